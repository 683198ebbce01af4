-- jiuzhu schema 1 (PostgreSQL): jurisdictions, the audit event log, idempotent commands,
-- counters, accounts, sessions and API tokens.
-- Every county-partitioned table's primary key starts with the 6-digit county code.

CREATE TABLE divisions (
    code        TEXT PRIMARY KEY NOT NULL,
    parent_code TEXT REFERENCES divisions (code),
    level       TEXT NOT NULL,
    name        TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX divisions_parent ON divisions (parent_code);

-- Append-only, hash-chained: one chain per county (or SYSTEM chain 000000).
CREATE TABLE events (
    chain           TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    occurred_at     TIMESTAMPTZ NOT NULL,
    actor           TEXT NOT NULL,
    actor_role      TEXT NOT NULL,
    actor_division  TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    payload         JSONB NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    PRIMARY KEY (chain, seq)
);
CREATE INDEX events_subject ON events (subject);

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % is not allowed', TG_OP;
END;
$$;
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();

CREATE TABLE chain_heads (
    chain TEXT PRIMARY KEY NOT NULL,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);

-- Results of commands by idempotency key: a retry is answered from here.
CREATE TABLE commands (
    idempotency_key TEXT PRIMARY KEY NOT NULL,
    chain           TEXT NOT NULL,
    command         TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    outcome         JSONB NOT NULL,
    actor           TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);

CREATE TABLE users (
    county_code   TEXT NOT NULL,
    id            BIGINT NOT NULL,
    username      TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    division_code TEXT NOT NULL REFERENCES divisions (code),
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county_code, id)
);
CREATE UNIQUE INDEX users_id ON users (id);
CREATE UNIQUE INDEX users_username ON users (username);
CREATE INDEX users_division ON users (division_code);

CREATE TABLE sessions (
    digest     TEXT PRIMARY KEY NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_tokens (
    digest     TEXT PRIMARY KEY NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    label      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
