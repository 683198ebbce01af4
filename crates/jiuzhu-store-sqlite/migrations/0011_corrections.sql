-- jiuzhu schema 11 (SQLite): corrections of approvals (纠正) after a supervision finding.
--   corrections  one row per `case.corrected` event: the finding it rests on, the amount
--                before and after, the month it is right from, the month the entitlement
--                changed from (the first unsettled one), and what was paid too much
--                (overpaid, to recover: 追回) or too little for the months already paid;
--                repaid_fen sums the repayments recorded since.

CREATE TABLE corrections (
    id              INTEGER NOT NULL PRIMARY KEY,
    county_code     TEXT NOT NULL,
    township_code   TEXT NOT NULL REFERENCES divisions (code),
    village_code    TEXT NOT NULL REFERENCES divisions (code),
    case_id         INTEGER NOT NULL,
    case_number     TEXT NOT NULL,
    household_id    INTEGER NOT NULL REFERENCES households (id),
    program         TEXT NOT NULL,
    finding         TEXT NOT NULL,
    previous_fen    INTEGER NOT NULL,
    corrected_fen   INTEGER NOT NULL,
    stopped         BOOLEAN NOT NULL,
    effective_ym    INTEGER NOT NULL,
    applies_ym      INTEGER,
    overpaid_fen    INTEGER NOT NULL,
    underpaid_fen   INTEGER NOT NULL,
    repaid_fen      INTEGER NOT NULL DEFAULT 0,
    reason          TEXT NOT NULL,
    corrected_by    INTEGER NOT NULL REFERENCES users (id),
    corrected_at    TEXT NOT NULL,
    CHECK (previous_fen >= 0 AND corrected_fen >= 0 AND overpaid_fen >= 0 AND underpaid_fen >= 0),
    CHECK (repaid_fen >= 0 AND repaid_fen <= overpaid_fen)
);
CREATE INDEX corrections_village ON corrections (village_code);
CREATE INDEX corrections_case ON corrections (case_id);
