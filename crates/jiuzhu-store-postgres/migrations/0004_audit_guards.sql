-- jiuzhu schema 4 (PostgreSQL): TRUNCATE bypasses row triggers, so the event log and the
-- chain heads get statement-level TRUNCATE guards; chain heads are never deleted (a head
-- records how long its chain is). Updates of chain heads stay allowed: every append moves
-- the head forward.
-- CREATE OR REPLACE: a schema rebuilt by hand may still hold the functions.

CREATE OR REPLACE FUNCTION audit_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: TRUNCATE is not allowed', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate();
CREATE TRIGGER chain_heads_no_truncate BEFORE TRUNCATE ON chain_heads
    FOR EACH STATEMENT EXECUTE FUNCTION audit_no_truncate();

CREATE OR REPLACE FUNCTION chain_heads_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'chain heads are never deleted';
END;
$$;
CREATE TRIGGER chain_heads_no_delete BEFORE DELETE ON chain_heads
    FOR EACH ROW EXECUTE FUNCTION chain_heads_keep();
