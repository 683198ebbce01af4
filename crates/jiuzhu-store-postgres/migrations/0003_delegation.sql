-- jiuzhu schema 3 (PostgreSQL): delegation grants (授权书/委托书) from a county to its townships.
-- Rows are projections of delegation.granted / delegation.revoked events.

CREATE TABLE delegation_grants (
    county_code   TEXT NOT NULL,
    id            BIGINT NOT NULL,
    program       TEXT NOT NULL,
    township_code TEXT NOT NULL REFERENCES divisions (code),
    valid_from    DATE NOT NULL,
    valid_until   DATE,
    cap_fen       BIGINT,
    basis         TEXT NOT NULL,
    revoked_from  DATE,
    revoke_reason TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county_code, id)
);
CREATE UNIQUE INDEX delegation_grants_id ON delegation_grants (id);
CREATE INDEX delegation_grants_township ON delegation_grants (township_code, program);
