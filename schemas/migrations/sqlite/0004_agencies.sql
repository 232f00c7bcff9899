-- HR agency partnership: agreements, consent records, assignments, the
-- follow-up trail (contacts, referrals and their moves) and placements with
-- the social-insurance months agencies report.

CREATE TABLE agreements (
    id                TEXT PRIMARY KEY,
    agency_org_id     TEXT NOT NULL REFERENCES orgs (id),
    region_code       TEXT NOT NULL REFERENCES regions (code),
    starts_on         TEXT NOT NULL,
    ends_on           TEXT NOT NULL,
    people_target     BIGINT NOT NULL,
    subsidy_amount    BIGINT NOT NULL,
    insurance_months  BIGINT NOT NULL,
    created_by_key    TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX agreements_agency ON agreements (agency_org_id, id);

-- PIPL art. 23: providing a person's data to another handler needs separate
-- consent naming the recipient and the purpose.
CREATE TABLE consent_records (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id        TEXT NOT NULL REFERENCES persons (id),
    recipient_org_id TEXT NOT NULL REFERENCES orgs (id),
    purpose          TEXT NOT NULL,
    given_at         TEXT NOT NULL,
    withdrawn_at     TEXT,
    recorded_by_key  TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX consent_records_person ON consent_records (person_id, id);

CREATE TABLE assignments (
    id              TEXT PRIMARY KEY,
    agreement_id    TEXT NOT NULL REFERENCES agreements (id),
    agency_org_id   TEXT NOT NULL REFERENCES orgs (id),
    person_id       TEXT NOT NULL REFERENCES persons (id),
    assigned_at     TEXT NOT NULL,
    assigned_by_key TEXT NOT NULL,
    ended_at        TEXT,
    end_reason      TEXT
);
-- One agency at a time follows a person.
CREATE UNIQUE INDEX assignments_one_active ON assignments (person_id) WHERE ended_at IS NULL;
CREATE INDEX assignments_agreement ON assignments (agreement_id, person_id);
CREATE INDEX assignments_agency ON assignments (agency_org_id, ended_at);

CREATE TABLE contacts (
    id            TEXT PRIMARY KEY,
    person_id     TEXT NOT NULL REFERENCES persons (id),
    agency_org_id TEXT,
    method        TEXT NOT NULL,
    note          TEXT NOT NULL,
    contacted_at  TEXT NOT NULL,
    actor_key_id  TEXT NOT NULL,
    actor_org_id  TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX contacts_person ON contacts (person_id, id);

CREATE TABLE referrals (
    id            TEXT PRIMARY KEY,
    job_id        TEXT NOT NULL REFERENCES jobs (id),
    person_id     TEXT NOT NULL REFERENCES persons (id),
    agency_org_id TEXT REFERENCES orgs (id),
    status        TEXT NOT NULL,
    note          TEXT,
    created_by_org TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX referrals_person ON referrals (person_id, id);
CREATE INDEX referrals_job ON referrals (job_id, id);
CREATE INDEX referrals_agency ON referrals (agency_org_id, id);

CREATE TABLE referral_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    referral_id  TEXT NOT NULL REFERENCES referrals (id),
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    note         TEXT,
    actor_key_id TEXT NOT NULL,
    actor_org_id TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX referral_events_referral ON referral_events (referral_id, id);

-- A placement is never edited: an end or a correction is a new row
-- (`ends` / `supersedes` name the placement it acts on).
CREATE TABLE placements (
    id                 TEXT PRIMARY KEY,
    person_id          TEXT NOT NULL REFERENCES persons (id),
    channel            TEXT NOT NULL,
    started_on         TEXT NOT NULL,
    ended_on           TEXT,
    job_id             TEXT REFERENCES jobs (id),
    employer_name      TEXT,
    agency_org_id      TEXT REFERENCES orgs (id),
    agreement_id       TEXT REFERENCES agreements (id),
    referral_id        TEXT REFERENCES referrals (id),
    contract_signed_on TEXT,
    supersedes         TEXT REFERENCES placements (id),
    -- where the person was filed when placed: the report counts by this
    region_code        TEXT NOT NULL,
    unit_code          TEXT,
    street_code        TEXT,
    county_code        TEXT,
    actor_key_id       TEXT NOT NULL,
    created_at         TEXT NOT NULL
);
CREATE INDEX placements_person ON placements (person_id, id);
CREATE INDEX placements_started ON placements (started_on);
CREATE INDEX placements_agency ON placements (agency_org_id, id);

CREATE TABLE insurance_reports (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    placement_id  TEXT NOT NULL REFERENCES placements (id),
    months        BIGINT NOT NULL,
    reported_on   TEXT NOT NULL,
    actor_key_id  TEXT NOT NULL,
    actor_org_id  TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX insurance_reports_placement ON insurance_reports (placement_id, id);
