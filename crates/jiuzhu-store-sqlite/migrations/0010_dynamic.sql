-- jiuzhu schema 10 (SQLite): dynamic management of recipients (动态管理).
--   visits     走访 the village's monthly visit of a recipient household: a zero report
--              (零报告) or the changes found; one per household and month.
--   rechecks   复核 the township's re-checks: the facts found, the amount computed again and
--              what changed (增发/减发/渐退/停发) from which month; the next re-check's due day.

CREATE TABLE visits (
    county_code     TEXT NOT NULL,
    household_id    INTEGER NOT NULL REFERENCES households (id),
    month_ym        INTEGER NOT NULL,
    id              INTEGER NOT NULL,
    village_code    TEXT NOT NULL REFERENCES divisions (code),
    visited_on      TEXT NOT NULL,
    zero_report     BOOLEAN NOT NULL,
    changes         TEXT NOT NULL,
    note            TEXT NOT NULL,
    visitor_id      INTEGER NOT NULL REFERENCES users (id),
    recorded_at     TEXT NOT NULL,
    PRIMARY KEY (county_code, household_id, month_ym),
    CHECK (zero_report = (changes = ''))
);
CREATE UNIQUE INDEX visits_id ON visits (id);
CREATE INDEX visits_village ON visits (village_code, month_ym);

CREATE TABLE rechecks (
    county_code     TEXT NOT NULL,
    id              INTEGER NOT NULL,
    household_id    INTEGER NOT NULL REFERENCES households (id),
    program         TEXT NOT NULL,
    village_code    TEXT NOT NULL REFERENCES divisions (code),
    township_code   TEXT NOT NULL REFERENCES divisions (code),
    case_id         INTEGER,
    checked_on      TEXT NOT NULL,
    stable          BOOLEAN NOT NULL,
    outcome         TEXT NOT NULL,
    previous_fen    INTEGER NOT NULL,
    amount_fen      INTEGER NOT NULL,
    effective_ym    INTEGER,
    stop_ym         INTEGER,
    next_due        TEXT NOT NULL,
    findings        TEXT NOT NULL,
    reason_zh       TEXT NOT NULL,
    detail          TEXT NOT NULL,
    recorded_by     INTEGER NOT NULL REFERENCES users (id),
    recorded_at     TEXT NOT NULL,
    PRIMARY KEY (county_code, id),
    CHECK (amount_fen >= 0 AND previous_fen >= 0)
);
CREATE UNIQUE INDEX rechecks_id ON rechecks (id);
CREATE INDEX rechecks_household ON rechecks (household_id, program, checked_on);
CREATE INDEX rechecks_village ON rechecks (village_code);
