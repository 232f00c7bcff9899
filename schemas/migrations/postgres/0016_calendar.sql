-- The working-day calendar, one row per year (issue 30): kept by the
-- bureau's admin through PUT /v1/calendar/{year}, read by every replica;
-- the shipped calendar file seeds the years missing here.
CREATE TABLE calendar_years (
    year         BIGINT PRIMARY KEY,
    -- JSON arrays of YYYY-MM-DD
    holidays     TEXT NOT NULL,
    working_days TEXT NOT NULL,
    source       TEXT NOT NULL,
    updated_by   TEXT,
    updated_at   TEXT NOT NULL
);
