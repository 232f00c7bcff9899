-- Temporary living allowances (临时生活补助). The months actually paid (and
-- the taper after a placement) are computed from the records.

CREATE TABLE allowances (
    id             TEXT PRIMARY KEY,
    person_id      TEXT NOT NULL REFERENCES persons (id),
    start_month    TEXT NOT NULL,
    months         BIGINT NOT NULL,
    monthly_amount BIGINT NOT NULL,
    actor_key_id   TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX allowances_person ON allowances (person_id, start_month);
CREATE INDEX allowances_month ON allowances (start_month);

CREATE INDEX placements_person_started ON placements (person_id, started_on);
CREATE INDEX placements_supersedes ON placements (supersedes);
CREATE INDEX certification_events_effective ON certification_events (effective_on);
CREATE INDEX person_history_created ON person_history (created_at);
