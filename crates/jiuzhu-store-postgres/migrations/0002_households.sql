-- jiuzhu schema 2 (PostgreSQL): households and their members.

CREATE TABLE households (
    county_code   TEXT NOT NULL,
    id            BIGINT NOT NULL,
    division_code TEXT NOT NULL REFERENCES divisions (code),
    address       TEXT NOT NULL,
    demo          BOOLEAN NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county_code, id)
);
CREATE UNIQUE INDEX households_id ON households (id);
CREATE INDEX households_division ON households (division_code);

CREATE TABLE members (
    county_code  TEXT NOT NULL,
    household_id BIGINT NOT NULL REFERENCES households (id),
    seq          INTEGER NOT NULL,
    name         TEXT NOT NULL,
    id_number    TEXT NOT NULL,
    relation     TEXT NOT NULL,
    sex          TEXT NOT NULL,
    birth_date   DATE NOT NULL,
    PRIMARY KEY (county_code, household_id, seq)
);
CREATE UNIQUE INDEX members_id_number ON members (id_number);
