-- jiuzhu schema 9 (SQLite): county supervision of township decisions (放权不放责).
-- Version 8 is reserved for other work; the migrator applies whatever is missing.
--   filings               备案: one row per township decision, written in the decision's
--                         transaction; the county's review (审查) fills the review columns.
--   spot_check_draws      抽查 draws: seed, method, candidates and strata of each draw; a
--                         re-draw supersedes the previous draw (with a reason), never silently.
--   spot_check_items      the sampled cases of a draw and each one's check result.
--   spot_check_feedback   抽查意见书 to a township, one per draw and township.
--   rectifications        整改 orders, the township's response and the county's acceptance.
--   complaints            投诉举报 by hotline, visit or letter (the public form stays in
--                         public_reports), routed to a township or the county.
--   dishonesty_records    失信记录 linked to a finding, with the amount to recover in fen.

CREATE TABLE filings (
    county_code     TEXT NOT NULL,
    id              INTEGER NOT NULL,
    case_id         INTEGER NOT NULL,
    case_number     TEXT NOT NULL,
    program         TEXT NOT NULL,
    township_code   TEXT NOT NULL REFERENCES divisions (code),
    village_code    TEXT NOT NULL REFERENCES divisions (code),
    approved        BOOLEAN NOT NULL,
    amount_fen      INTEGER,
    decided_on      TEXT NOT NULL,
    decided_by      INTEGER NOT NULL,
    case_version    INTEGER NOT NULL,
    filed_at        TEXT NOT NULL,
    review_outcome  TEXT,
    review_opinion  TEXT,
    reviewed_by     INTEGER REFERENCES users (id),
    reviewed_at     TEXT,
    PRIMARY KEY (county_code, id)
);
CREATE UNIQUE INDEX filings_id ON filings (id);
CREATE INDEX filings_period ON filings (county_code, decided_on);
CREATE INDEX filings_village ON filings (village_code);
CREATE INDEX filings_case ON filings (case_id);

CREATE TABLE spot_check_draws (
    county_code     TEXT NOT NULL,
    id              INTEGER NOT NULL,
    period          TEXT NOT NULL,
    seed            TEXT NOT NULL,
    method          TEXT NOT NULL,
    candidates      INTEGER NOT NULL,
    sampled         INTEGER NOT NULL,
    strata          TEXT NOT NULL,
    redraw_of       INTEGER,
    redraw_reason   TEXT,
    superseded      BOOLEAN NOT NULL,
    drawn_by        TEXT NOT NULL,
    drawn_at        TEXT NOT NULL,
    PRIMARY KEY (county_code, id)
);
CREATE UNIQUE INDEX spot_check_draws_id ON spot_check_draws (id);
-- One standing draw per county and period: a re-draw marks the previous one superseded first.
CREATE UNIQUE INDEX spot_check_draws_one ON spot_check_draws (county_code, period) WHERE NOT superseded;

CREATE TABLE spot_check_items (
    county_code     TEXT NOT NULL,
    draw_id         INTEGER NOT NULL,
    case_id         INTEGER NOT NULL,
    case_number     TEXT NOT NULL,
    filing_id       INTEGER NOT NULL,
    program         TEXT NOT NULL,
    township_code   TEXT NOT NULL REFERENCES divisions (code),
    approved        BOOLEAN NOT NULL,
    result          TEXT,
    findings        TEXT,
    decision_wrong  BOOLEAN,
    repeat_visit    TEXT,
    checked_by      INTEGER REFERENCES users (id),
    checked_at      TEXT,
    PRIMARY KEY (county_code, draw_id, case_id)
);
CREATE INDEX spot_check_items_township ON spot_check_items (township_code);

CREATE TABLE spot_check_feedback (
    county_code     TEXT NOT NULL,
    draw_id         INTEGER NOT NULL,
    township_code   TEXT NOT NULL REFERENCES divisions (code),
    text            TEXT NOT NULL,
    sent_by         INTEGER NOT NULL REFERENCES users (id),
    sent_at         TEXT NOT NULL,
    PRIMARY KEY (county_code, draw_id, township_code)
);

CREATE TABLE rectifications (
    county_code     TEXT NOT NULL,
    id              INTEGER NOT NULL,
    township_code   TEXT NOT NULL REFERENCES divisions (code),
    case_id         INTEGER,
    finding_kind    TEXT NOT NULL,
    finding_id      INTEGER NOT NULL,
    decision_wrong  BOOLEAN NOT NULL,
    requirement     TEXT NOT NULL,
    period          TEXT NOT NULL,
    ordered_by      INTEGER NOT NULL REFERENCES users (id),
    ordered_at      TEXT NOT NULL,
    due_date        TEXT NOT NULL,
    status          TEXT NOT NULL,
    response        TEXT,
    responded_by    INTEGER REFERENCES users (id),
    responded_at    TEXT,
    rejections      INTEGER NOT NULL,
    conclusion      TEXT,
    closed_by       INTEGER REFERENCES users (id),
    closed_at       TEXT,
    PRIMARY KEY (county_code, id)
);
CREATE UNIQUE INDEX rectifications_id ON rectifications (id);
CREATE INDEX rectifications_township ON rectifications (township_code);

CREATE TABLE complaints (
    county_code     TEXT NOT NULL,
    id              INTEGER NOT NULL,
    channel         TEXT NOT NULL,
    division_code   TEXT NOT NULL REFERENCES divisions (code),
    township_code   TEXT NOT NULL REFERENCES divisions (code),
    handler_code    TEXT NOT NULL,
    case_number     TEXT,
    content         TEXT NOT NULL,
    contact         TEXT,
    received_by     INTEGER NOT NULL REFERENCES users (id),
    received_at     TEXT NOT NULL,
    due_date        TEXT NOT NULL,
    outcome         TEXT,
    reply           TEXT,
    answered_by     INTEGER REFERENCES users (id),
    answered_at     TEXT,
    PRIMARY KEY (county_code, id)
);
CREATE UNIQUE INDEX complaints_id ON complaints (id);
CREATE INDEX complaints_handler ON complaints (handler_code);

CREATE TABLE dishonesty_records (
    county_code     TEXT NOT NULL,
    id              INTEGER NOT NULL,
    case_id         INTEGER NOT NULL,
    household_id    INTEGER NOT NULL REFERENCES households (id),
    township_code   TEXT NOT NULL REFERENCES divisions (code),
    finding_kind    TEXT NOT NULL,
    finding_id      INTEGER NOT NULL,
    legal_basis     TEXT NOT NULL,
    facts           TEXT NOT NULL,
    amount_fen      INTEGER NOT NULL,
    recorded_by     INTEGER NOT NULL REFERENCES users (id),
    recorded_at     TEXT NOT NULL,
    PRIMARY KEY (county_code, id)
);
CREATE UNIQUE INDEX dishonesty_records_id ON dishonesty_records (id);
