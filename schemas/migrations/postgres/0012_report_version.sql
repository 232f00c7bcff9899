-- A counter every write to the report's records moves on (placements and
-- their ends, certification steps, allowances, people registered or
-- changed), in the same transaction: a report computed at version N holds
-- while the counter is N, so a process may keep it.
CREATE TABLE report_version (
    id      INTEGER PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO report_version (id, version) VALUES (1, 0);
