-- Person registry: people (ID number and phone encrypted, found by keyed
-- hash), change history, the audit of full-value reads, certification and
-- its events, one-person-one-plan.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE persons (
    id                   TEXT PRIMARY KEY,
    id_hash              TEXT NOT NULL,
    id_cipher            TEXT NOT NULL,
    id_masked            TEXT NOT NULL,
    phone_hash           TEXT,
    phone_cipher         TEXT,
    phone_masked         TEXT,
    name                 TEXT NOT NULL,
    region_code          TEXT NOT NULL REFERENCES regions (code),
    street_code          TEXT,
    county_code          TEXT,
    unit_code            TEXT,
    birth_date           TEXT NOT NULL,
    sex                  TEXT NOT NULL,
    employment_status    TEXT NOT NULL,
    willingness          TEXT NOT NULL,
    groups               TEXT NOT NULL,
    certification_status TEXT,
    certified_until      TEXT,
    doc                  TEXT NOT NULL,
    field_sources        TEXT NOT NULL,
    version              INTEGER NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    CONSTRAINT persons_id_hash_key UNIQUE (id_hash)
);
CREATE INDEX persons_county ON persons (county_code, id);
CREATE INDEX persons_unit ON persons (unit_code, id);
CREATE INDEX persons_street ON persons (street_code, id);
CREATE INDEX persons_name ON persons (name);
CREATE INDEX persons_certified_until ON persons (certified_until) WHERE certification_status = 'certified';

CREATE TABLE person_history (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id    TEXT NOT NULL REFERENCES persons (id),
    version      INTEGER NOT NULL,
    source       TEXT NOT NULL,
    actor_key_id TEXT,
    actor_org_id TEXT,
    changes      TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX person_history_person ON person_history (person_id, id);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id  TEXT NOT NULL,
    action     TEXT NOT NULL,
    fields     TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    org_id     TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX audit_log_person ON audit_log (person_id, id);

CREATE TABLE certification_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id    TEXT NOT NULL REFERENCES persons (id),
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    grounds      TEXT NOT NULL,
    valid_from   TEXT,
    valid_until  TEXT,
    note         TEXT,
    actor_key_id TEXT,
    actor_org_id TEXT,
    effective_on TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX certification_events_person ON certification_events (person_id, id);
CREATE INDEX certification_events_day ON certification_events (to_status, effective_on);

CREATE TABLE plans (
    person_id                 TEXT PRIMARY KEY REFERENCES persons (id),
    guidance                  TEXT,
    entrepreneurship_direction TEXT,
    training_goal             TEXT,
    next_follow_up_on         TEXT,
    owner                     TEXT,
    updated_by                TEXT NOT NULL,
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL
);
CREATE INDEX plans_follow_up ON plans (next_follow_up_on);
