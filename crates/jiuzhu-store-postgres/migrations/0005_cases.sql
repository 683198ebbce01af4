-- jiuzhu schema 5 (PostgreSQL): the cases projection. The case's history is its events in
-- the event log (subject `case:{id}`); this table holds the current state for reads and
-- lists. `next_due_date` is the earliest open due date and `next_deadline` the moment (local
-- time) after which the case is overdue (the due moment of an hour period, or the end of
-- the due date).

CREATE TABLE cases (
    county_code    TEXT NOT NULL,
    id             BIGINT NOT NULL,
    number         TEXT NOT NULL,
    program        TEXT NOT NULL,
    township_code  TEXT NOT NULL REFERENCES divisions (code),
    village_code   TEXT NOT NULL REFERENCES divisions (code),
    household_id   BIGINT NOT NULL REFERENCES households (id),
    stage          TEXT NOT NULL,
    open           BOOLEAN NOT NULL,
    version        BIGINT NOT NULL,
    state          JSONB NOT NULL,
    next_due_date  DATE,
    next_deadline  TIMESTAMP,
    opened_at      TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county_code, id)
);
CREATE UNIQUE INDEX cases_id ON cases (id);
CREATE UNIQUE INDEX cases_number ON cases (number);
CREATE INDEX cases_village ON cases (village_code text_pattern_ops);
CREATE INDEX cases_deadline ON cases (next_deadline) WHERE open;
-- One open case per household and program: a second application is a duplicate.
CREATE UNIQUE INDEX cases_one_open ON cases (household_id, program) WHERE open;
