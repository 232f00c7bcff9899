-- Direct subsidies (直补快办): evidence from other departments, the payment
-- lists computed from it, and the monthly submission (报送) of the 进度表.
-- Amounts are in fen (1/100 yuan), never floating point.

-- One imported file of evidence (who, when, what kind).
CREATE TABLE evidence_batches (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    rows         BIGINT NOT NULL,
    actor_key_id TEXT NOT NULL,
    actor_org_id TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

-- Social-insurance contributions (社保缴费): `flexible` are paid by the
-- person as a flexible worker; `employer` rows carry the employer's parts.
CREATE TABLE si_contributions (
    id                 TEXT PRIMARY KEY,
    person_id          TEXT NOT NULL REFERENCES persons (id),
    month              TEXT NOT NULL,
    kind               TEXT NOT NULL,
    -- '' for flexible work
    employer_code      TEXT NOT NULL,
    employer_name      TEXT,
    -- enterprise, government, state_funded, public_welfare, other
    employer_type      TEXT,
    pension_fen        BIGINT NOT NULL,
    medical_fen        BIGINT NOT NULL,
    unemployment_fen   BIGINT NOT NULL,
    batch_id           TEXT NOT NULL REFERENCES evidence_batches (id),
    created_at         TEXT NOT NULL,
    UNIQUE (person_id, month, kind, employer_code)
);
CREATE INDEX si_contributions_month ON si_contributions (month, person_id);

-- Unemployment-insurance benefit paid (失业保险金发放).
CREATE TABLE ui_payments (
    id         TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL REFERENCES persons (id),
    month      TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    batch_id   TEXT NOT NULL REFERENCES evidence_batches (id),
    created_at TEXT NOT NULL,
    UNIQUE (person_id, month)
);
CREATE INDEX ui_payments_month ON ui_payments (month);

-- Business registrations for self-employment (市场主体登记).
CREATE TABLE business_registrations (
    id            TEXT PRIMARY KEY,
    person_id     TEXT NOT NULL REFERENCES persons (id),
    registered_on TEXT NOT NULL,
    licence_no    TEXT NOT NULL UNIQUE,
    business_name TEXT,
    batch_id      TEXT NOT NULL REFERENCES evidence_batches (id),
    created_at    TEXT NOT NULL
);
CREATE INDEX business_registrations_person ON business_registrations (person_id);

-- Guaranteed start-up loans (创业担保贷款); the annual rate in millionths.
CREATE TABLE startup_loans (
    id         TEXT PRIMARY KEY,
    person_id  TEXT NOT NULL REFERENCES persons (id),
    bank       TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    rate_ppm   BIGINT NOT NULL,
    starts_on  TEXT NOT NULL,
    ends_on    TEXT NOT NULL,
    batch_id   TEXT NOT NULL REFERENCES evidence_batches (id),
    created_at TEXT NOT NULL,
    UNIQUE (person_id, bank, starts_on)
);
CREATE INDEX startup_loans_person ON startup_loans (person_id, starts_on);

-- A payment list: one per reporting unit and month.
-- proposed -> approved (staff of the unit) -> paid (confirmation imported).
CREATE TABLE payment_lists (
    id          TEXT PRIMARY KEY,
    unit_code   TEXT NOT NULL,
    month       TEXT NOT NULL,
    state       TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_at TEXT NOT NULL,
    approved_by TEXT,
    approved_at TEXT,
    updated_at  TEXT NOT NULL,
    UNIQUE (unit_code, month)
);

-- One payment: a rule, its version, who is paid for whom, for which month,
-- the evidence it rests on. `claim` (rule, payee, person, month) is unique:
-- what was paid is never listed again; a reversal is a new row (negative
-- amount, `reverses` the paid row), which frees the claim.
CREATE TABLE payment_rows (
    id            TEXT PRIMARY KEY,
    list_id       TEXT NOT NULL REFERENCES payment_lists (id),
    rule          TEXT NOT NULL,
    rule_version  TEXT NOT NULL,
    -- person, employer, agency
    payee_kind    TEXT NOT NULL,
    payee_code    TEXT NOT NULL,
    payee_name    TEXT NOT NULL,
    person_id     TEXT NOT NULL REFERENCES persons (id),
    period_month  TEXT NOT NULL,
    amount_fen    BIGINT NOT NULL,
    evidence      TEXT NOT NULL,
    basis         TEXT NOT NULL,
    claim         TEXT UNIQUE,
    reverses      TEXT REFERENCES payment_rows (id),
    -- proposed, approved, paid, reversed
    state         TEXT NOT NULL,
    paid_on       TEXT,
    voucher       TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX payment_rows_list ON payment_rows (list_id, id);
CREATE INDEX payment_rows_person ON payment_rows (rule, person_id, period_month);
CREATE INDEX payment_rows_reverses ON payment_rows (reverses);

-- 报送: a unit's 进度表 for a month, frozen when submitted; a correction is a
-- new submission (sequence + 1) that keeps the one before.
CREATE TABLE report_submissions (
    id           TEXT PRIMARY KEY,
    unit_code    TEXT NOT NULL,
    month        TEXT NOT NULL,
    sequence     BIGINT NOT NULL,
    figures      TEXT NOT NULL,
    note         TEXT,
    submitted_by TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    UNIQUE (unit_code, month, sequence)
);
CREATE INDEX report_submissions_month ON report_submissions (month, unit_code);
