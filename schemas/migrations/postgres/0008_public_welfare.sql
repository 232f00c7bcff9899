-- Public-welfare jobs (公益性岗位, issue 15): the reserve, recruitment
-- announcements and special events, applications, the 公示 and its
-- objections, registrations with their subsidy periods, and filings (备案)
-- for a second placement. Every step is a row with who and when; the
-- welfare_log keeps each change.

-- A job made from an announcement is matched and pushed only to certified
-- 就业困难人员.
ALTER TABLE jobs ADD COLUMN certified_only BIGINT NOT NULL DEFAULT 0;

CREATE TABLE welfare_positions (
    id            TEXT PRIMARY KEY,
    type          TEXT NOT NULL,
    employer_name TEXT NOT NULL,
    title         TEXT NOT NULL,
    -- community or village (or street) where the work is
    region_code   TEXT NOT NULL REFERENCES regions (code),
    street_code   TEXT,
    county_code   TEXT,
    unit_code     TEXT,
    address       TEXT,
    headcount     BIGINT NOT NULL,
    pay_min       BIGINT NOT NULL,
    pay_max       BIGINT NOT NULL,
    funded_from   TEXT NOT NULL,
    funded_until  TEXT NOT NULL,
    -- reserved, recruiting, filled, closed
    state         TEXT NOT NULL,
    reserved_on   TEXT NOT NULL,
    actor_key_id  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX welfare_positions_region ON welfare_positions (region_code);
CREATE INDEX welfare_positions_reserved ON welfare_positions (reserved_on);

CREATE TABLE welfare_events (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    region_code  TEXT NOT NULL REFERENCES regions (code),
    held_on      TEXT NOT NULL,
    place        TEXT NOT NULL,
    actor_key_id TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE welfare_announcements (
    id           TEXT PRIMARY KEY,
    position_id  TEXT NOT NULL REFERENCES welfare_positions (id),
    event_id     TEXT REFERENCES welfare_events (id),
    -- draft, published
    state        TEXT NOT NULL,
    -- the parts of the announcement (JSON), complete once published
    doc          TEXT NOT NULL,
    job_id       TEXT REFERENCES jobs (id),
    published_at TEXT,
    actor_key_id TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX welfare_announcements_position ON welfare_announcements (position_id);
CREATE INDEX welfare_announcements_event ON welfare_announcements (event_id);

CREATE TABLE welfare_applications (
    id              TEXT PRIMARY KEY,
    announcement_id TEXT NOT NULL REFERENCES welfare_announcements (id),
    person_id       TEXT NOT NULL REFERENCES persons (id),
    -- applied, selected, refused, publicised, removed, registered
    state           TEXT NOT NULL,
    applied_on      TEXT NOT NULL,
    publicity_id    TEXT,
    reason          TEXT,
    -- male, female_worker or female_cadre: which retirement age applies
    retirement_kind TEXT NOT NULL,
    actor_key_id    TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (announcement_id, person_id)
);
CREATE INDEX welfare_applications_person ON welfare_applications (person_id);

CREATE TABLE welfare_publicities (
    id              TEXT PRIMARY KEY,
    announcement_id TEXT NOT NULL REFERENCES welfare_announcements (id),
    starts_on       TEXT NOT NULL,
    ends_on         TEXT NOT NULL,
    working_days    BIGINT NOT NULL,
    how_to_object   TEXT NOT NULL,
    -- open, registered
    state           TEXT NOT NULL,
    actor_key_id    TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX welfare_publicities_announcement ON welfare_publicities (announcement_id);

CREATE TABLE welfare_objections (
    id             TEXT PRIMARY KEY,
    publicity_id   TEXT NOT NULL REFERENCES welfare_publicities (id),
    application_id TEXT NOT NULL REFERENCES welfare_applications (id),
    objector       TEXT NOT NULL,
    grounds        TEXT NOT NULL,
    received_on    TEXT NOT NULL,
    -- open, upheld, dismissed
    state          TEXT NOT NULL,
    resolution     TEXT,
    resolved_by    TEXT,
    resolved_at    TEXT,
    actor_key_id   TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX welfare_objections_publicity ON welfare_objections (publicity_id);

CREATE TABLE welfare_filings (
    id            TEXT PRIMARY KEY,
    person_id     TEXT NOT NULL REFERENCES persons (id),
    -- older, zero_employment_family, severe_disability
    ground        TEXT NOT NULL,
    filed_on      TEXT NOT NULL,
    filed_with    TEXT NOT NULL,
    reference     TEXT NOT NULL,
    used_by       TEXT,
    actor_key_id  TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX welfare_filings_person ON welfare_filings (person_id);

-- A registration (就业登记) in a public-welfare job: the placement the report
-- counts, and its post-subsidy period.
CREATE TABLE welfare_registrations (
    placement_id   TEXT PRIMARY KEY REFERENCES placements (id),
    person_id      TEXT NOT NULL REFERENCES persons (id),
    application_id TEXT NOT NULL REFERENCES welfare_applications (id),
    position_id    TEXT NOT NULL REFERENCES welfare_positions (id),
    sequence       BIGINT NOT NULL,
    subsidy_start  TEXT NOT NULL,
    subsidy_end    TEXT NOT NULL,
    -- why the subsidy ends then: `period` (the years) or `retirement`
    end_reason     TEXT NOT NULL,
    filing_id      TEXT REFERENCES welfare_filings (id),
    created_at     TEXT NOT NULL
);
CREATE INDEX welfare_registrations_person ON welfare_registrations (person_id);
CREATE INDEX welfare_registrations_end ON welfare_registrations (subsidy_end);

CREATE TABLE welfare_log (
    id          BIGSERIAL PRIMARY KEY,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    key_id      TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX welfare_log_entity ON welfare_log (entity, entity_id, id);
