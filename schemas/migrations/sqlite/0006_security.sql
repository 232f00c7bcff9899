-- Security review (issue 11).
-- Masked ID numbers show only the first and last character: the old mask
-- kept digits 1-6 and 15-18, which with a birth date rebuilt the number.
UPDATE persons SET id_masked = substr(id_masked, 1, 1) || '****************' || substr(id_masked, 18, 1)
WHERE length(id_masked) = 18;

-- The outbox position is (writer transaction, id). SQLite has one writer at
-- a time, so ids commit in order and every event's transaction is 0.
ALTER TABLE events ADD COLUMN xid INTEGER NOT NULL DEFAULT 0;
CREATE INDEX events_position ON events (xid, id);
