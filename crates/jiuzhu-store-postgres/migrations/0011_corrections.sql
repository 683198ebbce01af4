-- jiuzhu schema 11 (PostgreSQL): corrections of approvals (纠正) after a supervision finding.
--   corrections  one row per `case.corrected` event: the finding it rests on, the amount
--                before and after, the month it is right from, the month the entitlement
--                changed from (the first unsettled one), and what was paid too much
--                (overpaid, to recover: 追回) or too little for the months already paid;
--                repaid_fen sums the repayments recorded since.

CREATE TABLE corrections (
    id              BIGINT NOT NULL PRIMARY KEY,
    county_code     TEXT NOT NULL,
    township_code   TEXT NOT NULL REFERENCES divisions (code),
    village_code    TEXT NOT NULL REFERENCES divisions (code),
    case_id         BIGINT NOT NULL,
    case_number     TEXT NOT NULL,
    household_id    BIGINT NOT NULL REFERENCES households (id),
    program         TEXT NOT NULL,
    finding         JSONB NOT NULL,
    previous_fen    BIGINT NOT NULL,
    corrected_fen   BIGINT NOT NULL,
    stopped         BOOLEAN NOT NULL,
    effective_ym    BIGINT NOT NULL,
    applies_ym      BIGINT,
    overpaid_fen    BIGINT NOT NULL,
    underpaid_fen   BIGINT NOT NULL,
    repaid_fen      BIGINT NOT NULL DEFAULT 0,
    reason          TEXT NOT NULL,
    corrected_by    BIGINT NOT NULL REFERENCES users (id),
    corrected_at    TIMESTAMPTZ NOT NULL,
    CHECK (previous_fen >= 0 AND corrected_fen >= 0 AND overpaid_fen >= 0 AND underpaid_fen >= 0),
    CHECK (repaid_fen >= 0 AND repaid_fen <= overpaid_fen)
);
CREATE INDEX corrections_village ON corrections (village_code text_pattern_ops);
CREATE INDEX corrections_case ON corrections (case_id);
