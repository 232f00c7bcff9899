-- Sign-in failures are counted by the login typed (a keyed hash, never the
-- login itself), whether or not an account has it: a locked login and an
-- unknown one answer alike.
ALTER TABLE staff_sign_ins ADD COLUMN login_hash TEXT;
CREATE INDEX staff_sign_ins_login ON staff_sign_ins (login_hash, at);
