-- Security review (issue 11).
-- Masked ID numbers show only the first and last character: the old mask
-- kept digits 1-6 and 15-18, which with a birth date rebuilt the number.
UPDATE persons SET id_masked = substr(id_masked, 1, 1) || '****************' || substr(id_masked, 18, 1)
WHERE length(id_masked) = 18;

-- The outbox position is (writer transaction, id): each event records the
-- 64-bit id of the transaction that wrote it. Ids from a sequence can commit
-- out of order; readers read only events of transactions that had finished
-- before they looked (see core::events), in (xid, id) order, so an event can
-- never appear behind a reader's position.
ALTER TABLE events ADD COLUMN xid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ALTER COLUMN xid SET DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX events_position ON events (xid, id);
