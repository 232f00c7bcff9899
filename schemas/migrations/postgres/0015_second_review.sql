-- The second security review (issue 29).

-- Sign-in budgets, taken before a password is checked: one row per bucket
-- (a login with a client address; a login from anywhere), counted in one
-- statement so that concurrent attempts get exactly the budget.
CREATE TABLE sign_in_budgets (
    bucket       TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    used         BIGINT NOT NULL
);

-- Where a sign-in came from (the client address behind trusted proxies).
ALTER TABLE staff_sign_ins ADD COLUMN client_address TEXT;

-- A first or reset password must be changed at the next sign-in.
ALTER TABLE staff_accounts ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;

-- Everyone who proposed or recomputed a payment list: none of them may
-- approve it.
CREATE TABLE payment_list_proposals (
    id           BIGSERIAL PRIMARY KEY,
    list_id      TEXT NOT NULL REFERENCES payment_lists (id),
    principal_id TEXT NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX payment_list_proposals_list ON payment_list_proposals (list_id, principal_id);
INSERT INTO payment_list_proposals (list_id, principal_id, at) SELECT id, proposed_by, proposed_at FROM payment_lists;

-- Who issued each credential: a key's creator, and whoever last reset an
-- account's password (its creator is in created_by). Whoever made or reset
-- a credential may hold it, so the two-person checks count them with it.
ALTER TABLE api_keys ADD COLUMN created_by TEXT;
ALTER TABLE staff_accounts ADD COLUMN reset_by TEXT;
