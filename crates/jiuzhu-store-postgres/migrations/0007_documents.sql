-- jiuzhu schema 7 (PostgreSQL): 行政文书 archived with their case. The PDF is kept byte for
-- byte (a second download gives the same file); the event log keeps its SHA-256 (event
-- `document.issued`, subject `document:{id}`). 文号 serials come from the counter
-- `doc:{issuer division}:{year}`; one issuer never uses a serial twice.

CREATE TABLE documents (
    county_code  TEXT NOT NULL,
    id           BIGINT NOT NULL,
    case_id      BIGINT NOT NULL REFERENCES cases (id),
    kind         TEXT NOT NULL,
    -- What the document documents, e.g. `decision:0`: one document per case, kind and source.
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
CREATE UNIQUE INDEX documents_source ON documents (case_id, kind, source);
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
