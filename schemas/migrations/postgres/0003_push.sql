-- Push: the notification queue (one row per recipient, job and channel),
-- agency webhook endpoints, and what the planner has done per job.

CREATE TABLE notifications (
    id            TEXT PRIMARY KEY,
    job_id        TEXT NOT NULL REFERENCES jobs (id),
    -- the person for inbox and SMS, the agency org for webhooks
    recipient_id  TEXT NOT NULL,
    person_id     TEXT REFERENCES persons (id),
    agency_org_id TEXT REFERENCES orgs (id),
    channel       TEXT NOT NULL,
    status        TEXT NOT NULL,
    score         DOUBLE PRECISION NOT NULL,
    region_code   TEXT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    last_error    TEXT,
    due_at        TEXT NOT NULL,
    lease_owner   TEXT,
    lease_until   TEXT,
    job_opened_at TEXT NOT NULL,
    read_at       TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    sent_at       TEXT,
    CONSTRAINT notifications_once UNIQUE (recipient_id, job_id, channel)
);
CREATE INDEX notifications_due ON notifications (due_at, score) WHERE status IN ('pending', 'held', 'failed');
CREATE INDEX notifications_job ON notifications (job_id, id);
CREATE INDEX notifications_person ON notifications (person_id, channel, id);
CREATE INDEX notifications_sent_day ON notifications (person_id, sent_at) WHERE status = 'sent';
CREATE INDEX notifications_status ON notifications (status, id);

CREATE TABLE notification_attempts (
    id              BIGSERIAL PRIMARY KEY,
    notification_id TEXT NOT NULL REFERENCES notifications (id),
    attempt         BIGINT NOT NULL,
    outcome         TEXT NOT NULL,
    detail          TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX notification_attempts_row ON notification_attempts (notification_id, id);

CREATE TABLE webhooks (
    id            TEXT PRIMARY KEY,
    agency_org_id TEXT NOT NULL REFERENCES orgs (id),
    url           TEXT NOT NULL,
    secret_cipher TEXT NOT NULL,
    active        BIGINT NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX webhooks_agency ON webhooks (agency_org_id, active);

-- The planner's memory per job: the headcount it last planned for and
-- whether the job was open then, so that a reopening or a grown headcount
-- plans again and any other change does not.
CREATE TABLE push_jobs (
    job_id        TEXT PRIMARY KEY REFERENCES jobs (id),
    was_open      BIGINT NOT NULL,
    headcount     BIGINT NOT NULL,
    opened_at     TEXT NOT NULL,
    planned_at    TEXT NOT NULL
);

-- The daily cap: the jobs each person was sent on each day (Asia/Shanghai),
-- reserved before sending under a per-person lock, so that several push
-- processes together never pass the cap.
CREATE TABLE push_daily_sends (
    person_id  TEXT NOT NULL REFERENCES persons (id),
    day        TEXT NOT NULL,
    job_id     TEXT NOT NULL REFERENCES jobs (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (person_id, day, job_id)
);
