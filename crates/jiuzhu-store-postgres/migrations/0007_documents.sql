-- jiuzhu schema 7 (PostgreSQL): 行政文书 archived with what they document (a case, a
-- grant, a township's notice list). The PDF is kept byte for
-- byte (a second download gives the same file); the event log keeps its SHA-256 (event
-- `document.issued`, subject `document:{id}`). 文号 serials come from the counter
-- `doc:{issuer division}:{year}`; one issuer never uses a serial twice.

CREATE TABLE documents (
    county_code  TEXT NOT NULL,
    id           BIGINT NOT NULL,
    -- What it belongs to: `case:{id}`, `grant:{id}` or `notices:{township}:{date}`.
    subject      TEXT NOT NULL,
    case_id      BIGINT REFERENCES cases (id),
    -- Who sees it: staff whose jurisdiction contains this division (the case's village,
    -- the grant's or the notice list's township).
    division_code TEXT NOT NULL REFERENCES divisions (code),
    kind         TEXT NOT NULL,
    -- Which step it records, e.g. `decision:0`: one document per subject, kind and source.
    source       TEXT NOT NULL,
    issuer_code  TEXT NOT NULL REFERENCES divisions (code),
    year         INTEGER NOT NULL,
    serial       INTEGER NOT NULL,
    number       TEXT NOT NULL,
    title        TEXT NOT NULL,
    issued_at    TIMESTAMPTZ NOT NULL,
    issued_by    BIGINT NOT NULL REFERENCES users (id),
    sha256       TEXT NOT NULL,
    size         BIGINT NOT NULL,
    pdf          BYTEA NOT NULL,
    PRIMARY KEY (county_code, id)
);
CREATE UNIQUE INDEX documents_id ON documents (id);
CREATE UNIQUE INDEX documents_source ON documents (subject, kind, source);
CREATE INDEX documents_case ON documents (case_id);
CREATE UNIQUE INDEX documents_serial ON documents (issuer_code, year, serial);

CREATE OR REPLACE FUNCTION documents_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'archived documents are immutable';
END;
$$;
CREATE TRIGGER documents_no_update BEFORE UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_immutable();
CREATE TRIGGER documents_no_truncate BEFORE TRUNCATE ON documents
    FOR EACH STATEMENT EXECUTE FUNCTION documents_immutable();
