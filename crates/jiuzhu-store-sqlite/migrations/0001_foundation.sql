-- jiuzhu schema 1 (SQLite): jurisdictions, the audit event log, idempotent commands,
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
    seq             INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    occurred_at     TEXT NOT NULL,
    actor           TEXT NOT NULL,
    actor_role      TEXT NOT NULL,
    actor_division  TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    payload         TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    PRIMARY KEY (chain, seq)
);
CREATE INDEX events_subject ON events (subject);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: updates are not allowed');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: deletes are not allowed');
END;

CREATE TABLE chain_heads (
    chain TEXT PRIMARY KEY NOT NULL,
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);

-- Results of commands by idempotency key: a retry is answered from here.
CREATE TABLE commands (
    idempotency_key TEXT PRIMARY KEY NOT NULL,
    chain           TEXT NOT NULL,
    command         TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    actor           TEXT NOT NULL,
    created_at      TEXT NOT NULL
);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);

CREATE TABLE users (
    county_code   TEXT NOT NULL,
    id            INTEGER NOT NULL,
    username      TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    division_code TEXT NOT NULL REFERENCES divisions (code),
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (county_code, id)
);
CREATE UNIQUE INDEX users_id ON users (id);
CREATE UNIQUE INDEX users_username ON users (username);
CREATE INDEX users_division ON users (division_code);

CREATE TABLE sessions (
    digest     TEXT PRIMARY KEY NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    digest     TEXT PRIMARY KEY NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
