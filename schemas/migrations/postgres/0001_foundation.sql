-- Foundation: regions, organisations, API keys, jobs and the outbox.
-- Flags are integers (0/1): the sqlx Any driver has no SQLite boolean.
-- Timestamps are fixed-width RFC 3339 UTC text; see services/core/src/db.rs.

CREATE TABLE regions (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    level           TEXT NOT NULL,
    parent          TEXT,
    reporting_unit  TEXT
);

CREATE TABLE orgs (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions (code),
    active      BIGINT NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CONSTRAINT orgs_name_key UNIQUE (name)
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    role        TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions (code),
    key_hash    TEXT NOT NULL UNIQUE,
    key_prefix  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX api_keys_org ON api_keys (org_id);

CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    publisher_org_id TEXT NOT NULL REFERENCES orgs (id),
    status           TEXT NOT NULL,
    close_reason     TEXT,
    title            TEXT NOT NULL,
    source           TEXT NOT NULL,
    category         TEXT NOT NULL,
    employment_type  TEXT NOT NULL,
    region_code      TEXT NOT NULL REFERENCES regions (code),
    street_code      TEXT,
    county_code      TEXT,
    unit_code        TEXT,
    headcount        BIGINT NOT NULL,
    valid_until      TEXT,
    search_text      TEXT NOT NULL,
    doc              TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX jobs_status ON jobs (status, id);
CREATE INDEX jobs_publisher ON jobs (publisher_org_id, id);
CREATE INDEX jobs_county ON jobs (county_code, id);
CREATE INDEX jobs_unit ON jobs (unit_code, id);
CREATE INDEX jobs_valid_until ON jobs (valid_until) WHERE status = 'open';

CREATE TABLE events (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    region_code TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX events_entity ON events (entity_id, id);
