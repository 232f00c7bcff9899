-- A payment list approved while the service ran on a settable clock (a
-- rehearsal, 演练环境): 1. A store holding lists approved with 0 is live, and
-- the service refuses to start on it with the settable clock.
ALTER TABLE payment_lists ADD COLUMN drill BIGINT NOT NULL DEFAULT 0;
