-- A 公示 whose end was counted on the provisional calendar (暂定: a year
-- whose holiday notice was not entered yet). When the year is entered the
-- end is settled: the later of the two, never shortened.
ALTER TABLE welfare_publicities ADD COLUMN provisional BIGINT NOT NULL DEFAULT 0;
