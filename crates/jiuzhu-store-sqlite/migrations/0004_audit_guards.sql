-- jiuzhu schema 4 (SQLite): chain heads are never deleted. A head records how long its
-- chain is; without it, wiping a chain's events would leave nothing to compare with.
-- Updates stay allowed: every append moves the head forward. (SQLite has no TRUNCATE; a
-- `DELETE FROM` without WHERE runs the row triggers like any other delete.)

CREATE TRIGGER chain_heads_no_delete BEFORE DELETE ON chain_heads
BEGIN
    SELECT RAISE(ABORT, 'chain heads are never deleted');
END;
