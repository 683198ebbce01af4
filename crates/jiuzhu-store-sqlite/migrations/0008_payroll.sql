-- jiuzhu schema 8 (SQLite): the funds core (资金发放). Months are integer indexes
-- (year * 12 + month - 1) so that month arithmetic is integer arithmetic in both dialects;
-- money is integer fen. See crates/jiuzhu-store/src/payroll.rs and docs/payment-files.md.
-- The big tables are WITHOUT ROWID: stored in primary key order, so a county's rows (and a
-- county-month's payments) are contiguous, and generation and export read them in order.

-- 银行账户: where a household's payments go (the holder is a member of the household).
ALTER TABLE households ADD COLUMN bank_account TEXT;
ALTER TABLE households ADD COLUMN account_holder TEXT;

-- 享受待遇: one row per household and program, written when a case's approval is applied and
-- changed by dynamic management. The amount for month m is 0 before start_ym, prev_fen before
-- effective_ym and monthly_fen from effective_ym on (0 while suspended or stopped).
CREATE TABLE entitlements (
    county_code     TEXT NOT NULL,
    household_id    INTEGER NOT NULL REFERENCES households (id),
    program         TEXT NOT NULL,
    township_code   TEXT NOT NULL,
    village_code    TEXT NOT NULL,
    case_id         INTEGER,
    one_off         BOOLEAN NOT NULL,
    status          TEXT NOT NULL,
    start_ym        INTEGER NOT NULL,
    base_fen        INTEGER NOT NULL,
    monthly_fen     INTEGER NOT NULL,
    prev_fen        INTEGER NOT NULL,
    effective_ym    INTEGER NOT NULL,
    paid_through_ym INTEGER,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (county_code, household_id, program)
) WITHOUT ROWID;
CREATE INDEX entitlements_village ON entitlements (village_code);

-- 花名册: one per county, month, township and program, with its totals.
CREATE TABLE rosters (
    county_code    TEXT NOT NULL,
    month_ym       INTEGER NOT NULL,
    township_code  TEXT NOT NULL,
    program        TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('generated', 'settled', 'submitted')),
    lines          INTEGER NOT NULL,
    total_fen      INTEGER NOT NULL,
    backpay_fen    INTEGER NOT NULL,
    carried_fen    INTEGER NOT NULL,
    basis_version  INTEGER NOT NULL,
    generated_at   TEXT NOT NULL,
    settled_at     TEXT,
    settled_by     TEXT,
    settled_late   BOOLEAN NOT NULL,
    submitted_at   TEXT,
    submitted_by   TEXT,
    PRIMARY KEY (county_code, month_ym, township_code, program)
);

-- 发放明细: the lines of the rosters, one payment each. `for_ym` is the month the money is
-- for (a carried-over payment keeps the month of the failed one it pays again).
CREATE TABLE payments (
    county_code    TEXT NOT NULL,
    month_ym       INTEGER NOT NULL,
    id             INTEGER NOT NULL,
    township_code  TEXT NOT NULL,
    village_code   TEXT NOT NULL,
    program        TEXT NOT NULL,
    household_id   INTEGER NOT NULL,
    for_ym         INTEGER NOT NULL,
    months         INTEGER NOT NULL,
    amount_fen     INTEGER NOT NULL,
    backpay_fen    INTEGER NOT NULL,
    carried_from   INTEGER,
    bank_account   TEXT,
    account_holder TEXT,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed', 'returned')),
    result_reason  TEXT,
    PRIMARY KEY (county_code, month_ym, id)
) WITHOUT ROWID;
-- Never paid twice: one paid payment per household, program and month.
CREATE UNIQUE INDEX payments_paid_once ON payments (household_id, program, for_ym)
    WHERE status = 'paid';
-- A failed payment is carried over once.
CREATE UNIQUE INDEX payments_carried_once ON payments (carried_from)
    WHERE carried_from IS NOT NULL;
CREATE INDEX payments_unpaid ON payments (county_code, month_ym)
    WHERE status IN ('failed', 'returned');

-- 临时救助备用金: every movement with the balance after it (never negative).
CREATE TABLE reserve_entries (
    county_code   TEXT NOT NULL,
    id            INTEGER NOT NULL,
    township_code TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('allocation', 'spending', 'replenishment')),
    amount_fen    INTEGER NOT NULL,
    balance_fen   INTEGER NOT NULL CHECK (balance_fen >= 0),
    case_id       INTEGER,
    note          TEXT NOT NULL,
    entry_date    TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    recorded_by   TEXT NOT NULL,
    PRIMARY KEY (county_code, id)
);
CREATE INDEX reserve_township ON reserve_entries (county_code, township_code, id);
