-- jiuzhu schema 6 (PostgreSQL): 异议/举报 from the public board. The township (or the
-- county) must answer each by its due date; the content stays here, the event log keeps its
-- digest.

CREATE TABLE public_reports (
    county_code    TEXT NOT NULL,
    id             BIGINT NOT NULL,
    township_code  TEXT NOT NULL REFERENCES divisions (code),
    division_code  TEXT NOT NULL REFERENCES divisions (code),
    kind           TEXT NOT NULL,
    case_number    TEXT,
    content        TEXT NOT NULL,
    contact        TEXT,
    submitted_at   TIMESTAMPTZ NOT NULL,
    due_date       DATE NOT NULL,
    answer         TEXT,
    answered_by    BIGINT REFERENCES users (id),
    answered_at    TIMESTAMPTZ,
    PRIMARY KEY (county_code, id)
);
CREATE UNIQUE INDEX public_reports_id ON public_reports (id);
CREATE INDEX public_reports_township ON public_reports (township_code text_pattern_ops);
