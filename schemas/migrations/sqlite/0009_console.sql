-- The staff console (issue 17): people sign in, not API keys. An account
-- belongs to an organisation and acts with a role and region exactly like
-- a key; its password is kept only as an Argon2id hash. A session is a
-- random cookie value kept as its SHA-256, with the account's CSRF token,
-- an idle and an absolute expiry.

CREATE TABLE staff_accounts (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id),
    login         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    phone         TEXT,
    role          TEXT NOT NULL,
    region_code   TEXT NOT NULL REFERENCES regions (code),
    password_hash TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT
);
CREATE INDEX staff_accounts_org ON staff_accounts (org_id);

CREATE TABLE staff_sessions (
    id_hash      TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES staff_accounts (id),
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    ended_at     TEXT
);
CREATE INDEX staff_sessions_account ON staff_sessions (account_id);

-- Sign-ins and sign-outs, failed ones included (the login as typed is not
-- kept: it may be someone's phone number).
CREATE TABLE staff_sign_ins (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  TEXT,
    outcome     TEXT NOT NULL,
    at          TEXT NOT NULL
);
