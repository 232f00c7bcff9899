-- Policy pushes (政策推送): a person or an employer is told once per rule and
-- subsidy period that they qualify (when a payment list is approved), by the
-- push worker, under the same consent, quiet hours and daily cap as job
-- notices. Employers are reached through the contact the social-insurance
-- files give for them.

CREATE TABLE employer_contacts (
    employer_code TEXT PRIMARY KEY,
    employer_name TEXT,
    phone_cipher  TEXT NOT NULL,
    phone_masked  TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE policy_notices (
    id             TEXT PRIMARY KEY,
    -- rule | payee | person | period: each told once
    notice_key     TEXT NOT NULL UNIQUE,
    rule           TEXT NOT NULL,
    payment_row_id TEXT NOT NULL REFERENCES payment_rows (id),
    -- person or employer
    recipient_kind TEXT NOT NULL,
    recipient_code TEXT NOT NULL,
    person_id      TEXT NOT NULL REFERENCES persons (id),
    unit_code      TEXT NOT NULL,
    channel        TEXT NOT NULL,
    status         TEXT NOT NULL,
    body           TEXT NOT NULL,
    attempts       BIGINT NOT NULL DEFAULT 0,
    last_error     TEXT,
    due_at         TEXT NOT NULL,
    lease_owner    TEXT,
    lease_until    TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    sent_at        TEXT
);
CREATE INDEX policy_notices_due ON policy_notices (due_at) WHERE status IN ('pending', 'held', 'failed');
CREATE INDEX policy_notices_person ON policy_notices (person_id, id);
CREATE INDEX policy_notices_unit ON policy_notices (unit_code, id);

-- The daily cap counts policy notices with jobs (push_daily_sends).
CREATE TABLE push_daily_notices (
    person_id  TEXT NOT NULL REFERENCES persons (id),
    day        TEXT NOT NULL,
    notice_id  TEXT NOT NULL REFERENCES policy_notices (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (person_id, day, notice_id)
);
