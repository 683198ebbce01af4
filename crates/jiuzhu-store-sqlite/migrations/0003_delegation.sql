-- jiuzhu schema 3 (SQLite): delegation grants (授权书/委托书) from a county to its townships.
-- Rows are projections of delegation.granted / delegation.revoked events.

CREATE TABLE delegation_grants (
    county_code   TEXT NOT NULL,
    id            INTEGER NOT NULL,
    program       TEXT NOT NULL,
    township_code TEXT NOT NULL REFERENCES divisions (code),
    valid_from    TEXT NOT NULL,
    valid_until   TEXT,
    cap_fen       INTEGER,
    basis         TEXT NOT NULL,
    revoked_from  TEXT,
    revoke_reason TEXT,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (county_code, id)
);
CREATE UNIQUE INDEX delegation_grants_id ON delegation_grants (id);
CREATE INDEX delegation_grants_township ON delegation_grants (township_code, program);
