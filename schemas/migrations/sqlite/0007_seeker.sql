-- The job seeker's side (issue 16): the links in SMS, what people opened and
-- answered, the leads staff act on, and the planner's memory per person.

-- One row per SMS link: the token is kept only as its SHA-256 hash.
CREATE TABLE seeker_links (
    token_hash TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL REFERENCES persons (id),
    -- the job the SMS was about (the page opens on it)
    job_id     TEXT NOT NULL REFERENCES jobs (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_used_at TEXT
);
CREATE INDEX seeker_links_person ON seeker_links (person_id, created_at);

-- The first time a person opened a pushed job's page.
CREATE TABLE seeker_views (
    person_id  TEXT NOT NULL REFERENCES persons (id),
    job_id     TEXT NOT NULL REFERENCES jobs (id),
    opened_at  TEXT NOT NULL,
    PRIMARY KEY (person_id, job_id)
);
CREATE INDEX seeker_views_job ON seeker_views (job_id);

-- A person's answer to a pushed job: interested, or not fitting with a reason.
-- One answer per person and job; answering again replaces it.
CREATE TABLE seeker_answers (
    person_id    TEXT NOT NULL REFERENCES persons (id),
    job_id       TEXT NOT NULL REFERENCES jobs (id),
    answer       TEXT NOT NULL,
    reason       TEXT,
    reason_text  TEXT,
    wants_contact BIGINT NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (person_id, job_id)
);
CREATE INDEX seeker_answers_job ON seeker_answers (job_id, answer);

-- What staff act on: `interested` (turn into a referral) and `found_work`
-- (record the placement).
CREATE TABLE leads (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    person_id     TEXT NOT NULL REFERENCES persons (id),
    job_id        TEXT NOT NULL REFERENCES jobs (id),
    region_code   TEXT NOT NULL,
    wants_contact BIGINT NOT NULL DEFAULT 0,
    status        TEXT NOT NULL,
    referral_id   TEXT,
    closed_note   TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CONSTRAINT leads_once UNIQUE (person_id, job_id, kind)
);
CREATE INDEX leads_list ON leads (kind, status, id);

-- The planner's memory per person: whether they were ready for pushes
-- (matchable and consenting) when last seen, so that becoming ready plans
-- their best open jobs once and any other change does not.
CREATE TABLE push_persons (
    person_id  TEXT PRIMARY KEY REFERENCES persons (id),
    was_ready  BIGINT NOT NULL,
    planned_at TEXT NOT NULL
);
