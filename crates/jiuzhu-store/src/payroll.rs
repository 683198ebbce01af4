//! 资金发放 the funds core: entitlements (享受待遇), monthly rosters (花名册) per township and
//! program, payment files for the entrusted bank, bank return files, reconciliation with the
//! finance ledger (财务台账) and the townships' reserve funds (临时救助备用金).
//!
//! This module holds the values, the file formats (`docs/payment-files.md`) and their
//! parsers: everything that needs no database. The SQL lives in `sql/payroll.rs`; the
//! commands are [`crate::Command::ChangeEntitlement`], [`crate::Command::SetBankAccount`],
//! [`crate::Command::GenerateRosters`], [`crate::Command::SettleRosters`],
//! [`crate::Command::SubmitRosters`], [`crate::Command::ImportBankReturns`] and
//! [`crate::Command::ReserveMovement`]; reads and the two audited file operations (export,
//! reconciliation) are methods of [`crate::Store`].
//!
//! Refusals are [`crate::StoreError::Case`] with a stable `payroll.…` code (see
//! [`refused`]), so that pages and the API show their Chinese message like a case refusal's.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use jiuzhu_domain::{DivisionCode, Fen, Program};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;

// ---------------------------------------------------------------------------- refusals

/// A refusal with a stable code (`payroll.…`), an English message (log, CLI) and a Chinese
/// one (UI). Messages never carry an account number or an identity number.
pub fn refused(
    code: &'static str,
    message: impl Into<String>,
    zh: impl Into<String>,
) -> StoreError {
    StoreError::Case {
        code,
        message: message.into(),
        message_zh: zh.into(),
    }
}

/// Stable refusal codes.
pub mod codes {
    /// The month's roster of the county was submitted to finance: it is frozen.
    pub const ROSTER_SUBMITTED: &str = "payroll.roster_submitted";
    /// Nothing to settle, submit or export for that month.
    pub const NO_ROSTER: &str = "payroll.no_roster";
    /// The township's roster is settled already.
    pub const ALREADY_SETTLED: &str = "payroll.already_settled";
    /// Entitlements changed since the roster was generated: generate it again.
    pub const ROSTER_STALE: &str = "payroll.roster_stale";
    /// The county submits only when every township has settled.
    pub const NOT_SETTLED: &str = "payroll.not_settled";
    /// A payment file is written only for a submitted roster.
    pub const NOT_SUBMITTED: &str = "payroll.not_submitted";
    /// A roster line has no bank account.
    pub const MISSING_ACCOUNT: &str = "payroll.missing_account";
    /// The account number breaks the format rule.
    pub const ACCOUNT_FORMAT: &str = "payroll.account_format";
    /// A 16- or 19-digit card number fails the Luhn check.
    pub const ACCOUNT_CHECKSUM: &str = "payroll.account_checksum";
    /// The account holder is not a member of the household.
    pub const HOLDER_NOT_MEMBER: &str = "payroll.holder_not_member";
    /// No entitlement of that household and program.
    pub const NO_ENTITLEMENT: &str = "payroll.no_entitlement";
    /// The entitlement is stopped; a new approval starts a new one.
    pub const ENTITLEMENT_STOPPED: &str = "payroll.entitlement_stopped";
    /// The change does not fit the entitlement (an increase that is not higher, …).
    pub const BAD_CHANGE: &str = "payroll.bad_change";
    /// The change's month is in a settled or submitted roster.
    pub const MONTH_FROZEN: &str = "payroll.month_frozen";
    /// A bank return file was refused (the message names the line and the reason).
    pub const BAD_RETURN: &str = "payroll.bad_return";
    /// A payment would be paid twice.
    pub const PAID_TWICE: &str = "payroll.paid_twice";
    /// A finance ledger was refused (wrong stated total, bad line).
    pub const BAD_LEDGER: &str = "payroll.bad_ledger";
    /// The entitlement of the household and program was granted by a later case: a
    /// correction of the earlier case cannot change it.
    pub const ENTITLEMENT_REPLACED: &str = "payroll.entitlement_replaced";
    /// The reserve fund's balance would become negative.
    pub const RESERVE_OVERDRAFT: &str = "payroll.reserve_overdraft";
    /// The county's profile keeps no reserve fund.
    pub const RESERVE_DISABLED: &str = "payroll.reserve_disabled";
    /// The reserve is spent on a 临时救助 case of the township.
    pub const RESERVE_CASE: &str = "payroll.reserve_case";
}

// ---------------------------------------------------------------------------- months

/// 月份 a calendar month. Stored as an integer index (`year * 12 + month - 1`) so that month
/// arithmetic is plain integer arithmetic in both SQL dialects; written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(i32);

impl Month {
    /// `None` unless `1 <= month <= 12` and the year is 1900–9999.
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((1..=12).contains(&month) && (1900..=9999).contains(&year))
            .then(|| Month(year * 12 + month as i32 - 1))
    }

    pub fn of(date: NaiveDate) -> Month {
        Month(date.year() * 12 + date.month0() as i32)
    }

    /// The stored index.
    pub fn index(self) -> i64 {
        i64::from(self.0)
    }

    pub fn from_index(i: i64) -> Option<Month> {
        let m = Month(i32::try_from(i).ok()?);
        (1900..=9999).contains(&m.year()).then_some(m)
    }

    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    /// 1–12.
    pub fn month(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year(), self.month(), 1).unwrap_or(NaiveDate::MIN)
    }

    /// The given day of this month (clamped to 1–28, which every month has).
    pub fn day(self, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year(), self.month(), day.clamp(1, 28))
            .unwrap_or(NaiveDate::MIN)
    }

    pub fn next(self) -> Month {
        Month(self.0 + 1)
    }

    pub fn prev(self) -> Month {
        Month(self.0 - 1)
    }

    /// `YYYYMM`, as in the fixed-width file.
    pub fn compact(self) -> String {
        format!("{:04}{:02}", self.year(), self.month())
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl FromStr for Month {
    type Err = String;
    /// `YYYY-MM` (or `YYYY-MM-01`).
    fn from_str(s: &str) -> Result<Month, String> {
        let bad = || format!("month {s:?} is not YYYY-MM (e.g. 2026-03)");
        let s2 = s.strip_suffix("-01").filter(|t| t.len() == 7).unwrap_or(s);
        let (y, m) = s2.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let y: i32 = y.parse().map_err(|_| bad())?;
        let m: u32 = m.parse().map_err(|_| bad())?;
        Month::new(y, m).ok_or_else(bad)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Month, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------- accounts

/// Longest account holder name, in characters.
pub const MAX_HOLDER_CHARS: usize = 50;

/// 银行账号 checks an account number: digits only, 12 to 30 of them; a 16- or 19-digit
/// number is a bank card (银行卡) and must pass the Luhn check. Spaces and hyphens as typed on
/// cards are removed first. Returns the digits. Errors never repeat the number.
pub fn check_bank_account(input: &str) -> Result<String, StoreError> {
    let digits: String = input.chars().filter(|c| *c != ' ' && *c != '-').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(refused(
            codes::ACCOUNT_FORMAT,
            "a bank account number has digits only",
            "银行账号只能由数字组成",
        ));
    }
    let n = digits.len();
    if !(12..=30).contains(&n) {
        return Err(refused(
            codes::ACCOUNT_FORMAT,
            format!("a bank account number has 12 to 30 digits (got {n})"),
            format!("银行账号应为12至30位数字（现为{n}位）"),
        ));
    }
    if (n == 16 || n == 19) && !luhn_ok(&digits) {
        return Err(refused(
            codes::ACCOUNT_CHECKSUM,
            format!(
                "the {n}-digit card number fails its check digit (Luhn); check it against the card"
            ),
            format!("{n}位银行卡号校验位不正确，请对照银行卡核对"),
        ));
    }
    Ok(digits)
}

/// The Luhn (mod 10) check of a digit string.
pub fn luhn_ok(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// An account number as shown anywhere but the payment file: the last four digits.
pub fn mask_account(account: &str) -> String {
    let n = account.chars().count();
    let tail: String = account.chars().skip(n.saturating_sub(4)).collect();
    format!("****{tail}")
}

/// A household's account as staff see it (masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccountInfo {
    pub household_id: i64,
    /// `****1234`.
    pub account_masked: String,
    pub holder: String,
}

// ---------------------------------------------------------------------------- entitlements

/// 待遇状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntitlementStatus {
    /// 正常发放.
    Active,
    /// 暂停发放.
    Suspended,
    /// 停发 (final; a new approval starts again).
    Stopped,
}

impl EntitlementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EntitlementStatus::Active => "active",
            EntitlementStatus::Suspended => "suspended",
            EntitlementStatus::Stopped => "stopped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Suspended, Self::Stopped]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// 动态管理 a change of an entitlement (增发/减发/暂停/恢复/停发).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntitlementChange {
    /// 增发 a higher monthly amount.
    Increase { monthly: Fen },
    /// 减发 a lower (positive) monthly amount.
    Reduce { monthly: Fen },
    /// 暂停 nothing is paid from the effective month until resumed.
    Suspend,
    /// 恢复 the amount before the suspension is paid again.
    Resume,
    /// 停发 nothing is paid from the effective month on, for good.
    Stop,
}

impl EntitlementChange {
    pub fn name(self) -> &'static str {
        match self {
            EntitlementChange::Increase { .. } => "increase",
            EntitlementChange::Reduce { .. } => "reduce",
            EntitlementChange::Suspend => "suspend",
            EntitlementChange::Resume => "resume",
            EntitlementChange::Stop => "stop",
        }
    }
}

/// One household's entitlement to one program (the row of `entitlements`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlement {
    pub household_id: i64,
    pub program: Program,
    pub township: DivisionCode,
    pub village: DivisionCode,
    /// The case whose approval granted it.
    pub case_id: Option<i64>,
    /// 临时救助: paid once, not monthly.
    pub one_off: bool,
    pub status: EntitlementStatus,
    /// The first month it is paid for.
    pub start: Month,
    /// The regular monthly amount (kept while suspended).
    pub base: Fen,
    /// The amount paid per month from `effective` on (zero while suspended or stopped).
    pub monthly: Fen,
    /// The amount paid per month before `effective` (the previous amount).
    pub previous: Fen,
    /// The month of the latest change (the start month for a new entitlement).
    pub effective: Month,
    /// The last month included in a submitted roster.
    pub paid_through: Option<Month>,
}

impl Entitlement {
    /// The amount for one month (zero before the start month).
    pub fn amount_for(&self, month: Month) -> Fen {
        if month < self.start {
            Fen::ZERO
        } else if month >= self.effective {
            self.monthly
        } else {
            self.previous
        }
    }
}

/// Which entitlements to list (always also limited to the actor's scope).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitlementFilter {
    pub within: Option<DivisionCode>,
    pub program: Option<Program>,
    pub household_id: Option<i64>,
}

// ---------------------------------------------------------------------------- rosters

/// 花名册状态: generated → settled (乡镇月结) → submitted (县级报送财政, frozen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RosterStatus {
    Generated,
    Settled,
    Submitted,
}

impl RosterStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RosterStatus::Generated => "generated",
            RosterStatus::Settled => "settled",
            RosterStatus::Submitted => "submitted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Generated, Self::Settled, Self::Submitted]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            RosterStatus::Generated => "已生成",
            RosterStatus::Settled => "已月结",
            RosterStatus::Submitted => "已报送",
        }
    }
}

/// One township's roster of one program for one month, with its totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterSummary {
    pub county: DivisionCode,
    pub township: DivisionCode,
    pub program: Program,
    pub month: Month,
    pub status: RosterStatus,
    /// Payment lines (a household with a carried-over payment has two).
    pub lines: i64,
    /// Sum of the lines.
    pub total: Fen,
    /// Of which back-pay (补发) for months before this one.
    pub backpay: Fen,
    /// Of which failed payments of earlier months paid again.
    pub carried: Fen,
    /// Settled after the profile's cutoff day (`payment.roster_cutoff_day`).
    pub settled_late: bool,
    pub settled_on: Option<NaiveDate>,
    pub submitted_on: Option<NaiveDate>,
}

/// Totals over rosters (a county's, or any list).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterTotals {
    pub lines: i64,
    pub total: Fen,
    pub backpay: Fen,
    pub carried: Fen,
}

impl RosterTotals {
    pub fn of<'a>(rosters: impl IntoIterator<Item = &'a RosterSummary>) -> RosterTotals {
        rosters
            .into_iter()
            .fold(RosterTotals::default(), |t, r| RosterTotals {
                lines: t.lines + r.lines,
                total: Fen::new(t.total.fen().saturating_add(r.total.fen())),
                backpay: Fen::new(t.backpay.fen().saturating_add(r.backpay.fen())),
                carried: Fen::new(t.carried.fen().saturating_add(r.carried.fen())),
            })
    }
}

/// How a household's line changed against the previous month's roster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    /// 新增 in this month, not in the previous one.
    New,
    /// 变更 in both with different amounts.
    Changed,
    /// 停发 in the previous month, not in this one.
    Stopped,
}

/// One line of a roster diff (regular lines only; carried-over payments are not compared).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterDiffLine {
    pub kind: DiffKind,
    pub household_id: i64,
    pub program: Program,
    pub township: DivisionCode,
    pub previous: Option<Fen>,
    pub current: Option<Fen>,
}

// ---------------------------------------------------------------------------- payments

/// 发放状态 of one payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// In a roster, no answer from the bank yet.
    Pending,
    /// 已发放 credited.
    Paid,
    /// 发放失败 not credited (closed account, wrong name …): carried into the next roster.
    Failed,
    /// 退回 credited and sent back: carried into the next roster.
    Returned,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Paid, Self::Failed, Self::Returned]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// One payment (a roster line) as staff see it: the account masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub id: i64,
    pub month: Month,
    /// The month the money is for (earlier than `month` for a carried-over payment).
    pub for_month: Month,
    pub township: DivisionCode,
    pub village: DivisionCode,
    pub program: Program,
    pub household_id: i64,
    /// Months covered (more than one: back-pay).
    pub months: i64,
    pub amount: Fen,
    pub backpay: Fen,
    /// The failed payment this one pays again.
    pub carried_from: Option<i64>,
    pub account_masked: Option<String>,
    pub status: PaymentStatus,
    pub reason: Option<String>,
}

/// A payment line as written to the bank's file (full account: the file goes to the bank
/// only; it is never logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentLine {
    pub id: i64,
    pub township: String,
    pub program: Program,
    pub household_id: i64,
    pub for_month: Month,
    pub account: String,
    pub holder: String,
    pub amount: Fen,
}

/// 代发文件格式.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentFileFormat {
    Csv,
    FixedWidth,
}

impl FromStr for PaymentFileFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "csv" => Ok(PaymentFileFormat::Csv),
            "fixed" | "fixed-width" => Ok(PaymentFileFormat::FixedWidth),
            _ => Err(format!("unknown format {s:?}: use csv or fixed")),
        }
    }
}

/// The memo (附言) of a payment: the program's name when the profile says so
/// (`payment.label_program`, 注明发放资金项目名称), otherwise 社会救助金; with the month.
pub fn memo(program: Program, for_month: Month, label_program: bool) -> String {
    let name = if label_program {
        program.name_zh()
    } else {
        "社会救助金"
    };
    format!("{name}{}年{:02}月", for_month.year(), for_month.month())
}

/// Pads `s` to `width` characters (left-aligned), cutting longer text, onto `out`.
fn push_padded(out: &mut String, s: &str, width: usize) {
    let mut n = 0;
    for ch in s.chars().take(width) {
        out.push(ch);
        n += 1;
    }
    out.extend(std::iter::repeat_n(' ', width - n));
}

/// Pads `s` to `width` characters (left-aligned), cutting longer text.
fn pad_chars(s: &str, width: usize) -> String {
    let mut out = String::with_capacity(width);
    push_padded(&mut out, s, width);
    out
}

/// CSV fields never contain the separator: holder names and memos are checked texts; a
/// comma or quote in them is replaced (the bank's parsers are simple). Onto `out`.
fn push_csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"']) {
        out.push_str(&s.replace([',', '"'], " "));
    } else {
        out.push_str(s);
    }
}

/// One payment line borrowed from wherever it was read (the export's pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentLineRef<'a> {
    pub id: i64,
    pub township: &'a str,
    pub program: Program,
    pub household_id: i64,
    pub for_month: Month,
    pub account: &'a str,
    pub holder: &'a str,
    pub amount: Fen,
}

impl PaymentLine {
    pub fn as_ref(&self) -> PaymentLineRef<'_> {
        PaymentLineRef {
            id: self.id,
            township: &self.township,
            program: self.program,
            household_id: self.household_id,
            for_month: self.for_month,
            account: &self.account,
            holder: &self.holder,
            amount: self.amount,
        }
    }
}

/// Writes payment files line by line (see `docs/payment-files.md`).
pub struct PaymentFileWriter {
    pub format: PaymentFileFormat,
    pub county: DivisionCode,
    pub month: Month,
    pub label_program: bool,
    pub lines: i64,
    pub total: Fen,
    /// The last memo written, for the (program, month) it was made for: consecutive lines
    /// mostly share it.
    memo: Option<(Program, Month, String)>,
}

impl PaymentFileWriter {
    pub fn new(
        format: PaymentFileFormat,
        county: DivisionCode,
        month: Month,
        label_program: bool,
    ) -> Self {
        PaymentFileWriter {
            format,
            county,
            month,
            label_program,
            lines: 0,
            total: Fen::ZERO,
            memo: None,
        }
    }

    /// The header (CSV: the column names; fixed-width: the `H` record).
    pub fn header(&self) -> String {
        match self.format {
            PaymentFileFormat::Csv => "payment_id,county,month,township,program,household_id,for_month,account,holder,amount_fen,memo\n".to_string(),
            PaymentFileFormat::FixedWidth => format!(
                "H{}{}{}\n",
                pad_chars(self.county.as_str(), 6),
                self.month.compact(),
                pad_chars("JIUZHU-PAYROLL-1", 16)
            ),
        }
    }

    /// One payment line.
    pub fn line(&mut self, p: &PaymentLine) -> String {
        let mut out = String::with_capacity(160);
        self.write_line(&mut out, &p.as_ref());
        out
    }

    /// One payment line, appended to `out` (the same text as [`Self::line`]).
    pub fn write_line(&mut self, out: &mut String, p: &PaymentLineRef<'_>) {
        use std::fmt::Write as _;
        self.lines += 1;
        self.total = Fen::new(self.total.fen().saturating_add(p.amount.fen()));
        let memo = match &self.memo {
            Some((program, month, memo)) if *program == p.program && *month == p.for_month => memo,
            _ => {
                let m = memo(p.program, p.for_month, self.label_program);
                &self.memo.insert((p.program, p.for_month, m)).2
            }
        };
        // Writing into a String cannot fail.
        match self.format {
            PaymentFileFormat::Csv => {
                let _ = write!(
                    out,
                    "{},{},{},{},{},{},{},{},",
                    p.id,
                    self.county,
                    self.month,
                    p.township,
                    p.program,
                    p.household_id,
                    p.for_month,
                    p.account,
                );
                push_csv_field(out, p.holder);
                let _ = write!(out, ",{},", p.amount.fen());
                push_csv_field(out, memo);
                out.push('\n');
            }
            PaymentFileFormat::FixedWidth => {
                let _ = write!(out, "D{:012}", p.id);
                push_padded(out, p.township, 12);
                push_padded(out, p.program.as_str(), 8);
                push_padded(out, p.account, 30);
                let _ = write!(out, "{:015}", p.amount.fen());
                push_padded(out, p.holder, 20);
                push_padded(out, memo, 20);
                out.push('\n');
            }
        }
    }

    /// The closing line with the count and the total.
    pub fn trailer(&self) -> String {
        match self.format {
            PaymentFileFormat::Csv => format!("#total,{},{}\n", self.lines, self.total.fen()),
            PaymentFileFormat::FixedWidth => {
                format!("T{:012}{:018}\n", self.lines, self.total.fen())
            }
        }
    }
}

/// What an export wrote (its SHA-256 is in the event log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentFileSummary {
    pub county: DivisionCode,
    pub month: Month,
    pub format: PaymentFileFormat,
    pub lines: i64,
    pub total: Fen,
    pub sha256: String,
}

/// SHA-256 of a file written piece by piece (the export streams; the digest goes into the
/// event log).
#[derive(Default)]
pub struct FileDigest(sha2::Sha256);

impl FileDigest {
    pub fn update(&mut self, bytes: &[u8]) {
        use sha2::Digest;
        self.0.update(bytes);
    }

    pub fn finish(self) -> String {
        use sha2::Digest;
        hex::encode(self.0.finalize())
    }
}

// ---------------------------------------------------------------------------- bank returns

/// One line of a bank return file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnLine {
    /// 1-based line number in the file.
    pub line: usize,
    pub payment_id: i64,
    pub amount: Fen,
    /// Paid, failed or returned.
    pub result: PaymentStatus,
    pub reason: String,
}

/// A parsed bank return file (see `docs/payment-files.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankReturnFile {
    pub sha256: String,
    pub lines: Vec<ReturnLine>,
}

fn bad_file(code: &'static str, what: &str, line: usize, reason: String) -> StoreError {
    refused(
        code,
        format!("{what} refused: line {line}: {reason}"),
        format!("{what}被拒绝：第{line}行：{reason}"),
    )
}

/// Parses a bank return file: header `payment_id,amount_fen,result,reason`, then one line
/// per payment. Any bad line refuses the whole file, naming the line.
pub fn parse_bank_returns(text: &str) -> Result<BankReturnFile, StoreError> {
    let what = "bank return file";
    let sha256 = crate::event::sha256_hex(text.as_bytes());
    let mut lines = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let raw = raw.trim_end_matches('\r');
        if n == 1 {
            if raw.trim_start_matches('\u{feff}') != "payment_id,amount_fen,result,reason" {
                return Err(bad_file(
                    codes::BAD_RETURN,
                    what,
                    n,
                    "the header must be payment_id,amount_fen,result,reason".into(),
                ));
            }
            continue;
        }
        if raw.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = raw.splitn(4, ',').collect();
        if f.len() < 3 {
            return Err(bad_file(
                codes::BAD_RETURN,
                what,
                n,
                "expected 4 fields".into(),
            ));
        }
        let payment_id: i64 = f[0].trim().parse().map_err(|_| {
            bad_file(
                codes::BAD_RETURN,
                what,
                n,
                "payment_id is not a number".into(),
            )
        })?;
        let amount: i64 = f[1].trim().parse().map_err(|_| {
            bad_file(
                codes::BAD_RETURN,
                what,
                n,
                "amount_fen is not an integer".into(),
            )
        })?;
        let result = match PaymentStatus::parse(f[2].trim()) {
            Some(s) if s != PaymentStatus::Pending => s,
            _ => {
                return Err(bad_file(
                    codes::BAD_RETURN,
                    what,
                    n,
                    "result must be paid, failed or returned".into(),
                ));
            }
        };
        let reason = f.get(3).map(|s| s.trim().to_string()).unwrap_or_default();
        crate::model::check_text("reason", &reason, 200)
            .map_err(|e| bad_file(codes::BAD_RETURN, what, n, e.to_string()))?;
        if !seen.insert(payment_id) {
            return Err(bad_file(
                codes::BAD_RETURN,
                what,
                n,
                format!("payment {payment_id} appears twice"),
            ));
        }
        lines.push(ReturnLine {
            line: n,
            payment_id,
            amount: Fen::new(amount),
            result,
            reason,
        });
    }
    if lines.is_empty() && !text.is_empty() {
        // A header only is a valid, empty answer.
    }
    Ok(BankReturnFile { sha256, lines })
}

/// What a return import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnCounts {
    pub paid: i64,
    pub failed: i64,
    pub returned: i64,
    /// Lines that repeated a result already recorded.
    pub unchanged: i64,
}

// ---------------------------------------------------------------------------- reconciliation

/// One line of a finance ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerLine {
    pub line: usize,
    pub payment_id: i64,
    pub household_id: i64,
    pub program: Program,
    pub amount: Fen,
}

/// A parsed finance ledger (财务台账) of one county-month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    pub sha256: String,
    pub lines: Vec<LedgerLine>,
    pub total: Fen,
}

/// Parses a ledger: header `payment_id,household_id,program,amount_fen`, lines, and a last
/// line `#total,<lines>,<amount_fen>`. A missing total, or one that disagrees with the lines,
/// refuses the ledger.
pub fn parse_ledger(text: &str) -> Result<Ledger, StoreError> {
    let what = "finance ledger";
    let sha256 = crate::event::sha256_hex(text.as_bytes());
    let mut lines = Vec::new();
    let mut stated: Option<(usize, i64, i64)> = None;
    let mut sum: i64 = 0;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let raw = raw.trim_end_matches('\r');
        if n == 1 {
            if raw.trim_start_matches('\u{feff}') != "payment_id,household_id,program,amount_fen" {
                return Err(bad_file(
                    codes::BAD_LEDGER,
                    what,
                    n,
                    "the header must be payment_id,household_id,program,amount_fen".into(),
                ));
            }
            continue;
        }
        if raw.trim().is_empty() {
            continue;
        }
        if stated.is_some() {
            return Err(bad_file(
                codes::BAD_LEDGER,
                what,
                n,
                "a line after the #total line".into(),
            ));
        }
        let f: Vec<&str> = raw.split(',').map(str::trim).collect();
        if f[0] == "#total" {
            let (Some(c), Some(t)) = (
                f.get(1).and_then(|s| s.parse().ok()),
                f.get(2).and_then(|s| s.parse().ok()),
            ) else {
                return Err(bad_file(
                    codes::BAD_LEDGER,
                    what,
                    n,
                    "the #total line is #total,<lines>,<amount_fen>".into(),
                ));
            };
            stated = Some((n, c, t));
            continue;
        }
        if f.len() != 4 {
            return Err(bad_file(
                codes::BAD_LEDGER,
                what,
                n,
                "expected 4 fields".into(),
            ));
        }
        let num = |s: &str, name: &str| -> Result<i64, StoreError> {
            s.parse().map_err(|_| {
                bad_file(
                    codes::BAD_LEDGER,
                    what,
                    n,
                    format!("{name} is not an integer"),
                )
            })
        };
        let program: Program = f[2]
            .parse()
            .map_err(|_| bad_file(codes::BAD_LEDGER, what, n, "unknown program".into()))?;
        let amount = num(f[3], "amount_fen")?;
        sum = sum
            .checked_add(amount)
            .ok_or_else(|| bad_file(codes::BAD_LEDGER, what, n, "the amounts overflow".into()))?;
        lines.push(LedgerLine {
            line: n,
            payment_id: num(f[0], "payment_id")?,
            household_id: num(f[1], "household_id")?,
            program,
            amount: Fen::new(amount),
        });
    }
    let Some((n, count, total)) = stated else {
        return Err(bad_file(
            codes::BAD_LEDGER,
            what,
            text.lines().count().max(1),
            "the ledger has no #total line".into(),
        ));
    };
    if count != lines.len() as i64 || total != sum {
        return Err(bad_file(
            codes::BAD_LEDGER,
            what,
            n,
            format!(
                "the stated total ({count} lines, {total} fen) disagrees with the lines ({} lines, {sum} fen)",
                lines.len()
            ),
        ));
    }
    Ok(Ledger {
        sha256,
        lines,
        total: Fen::new(sum),
    })
}

/// Why a record does not match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mismatch {
    /// Paid according to jiuzhu, absent from the ledger.
    MissingInLedger { payment_id: i64, amount: Fen },
    /// In the ledger, not a paid payment of that month in jiuzhu.
    NotPaidHere {
        line: usize,
        payment_id: i64,
        amount: Fen,
    },
    /// Both have it, with different amounts.
    AmountDiffers {
        line: usize,
        payment_id: i64,
        ours: Fen,
        ledger: Fen,
    },
    /// Both have it, for a different household or program.
    RecipientDiffers { line: usize, payment_id: i64 },
}

/// 对账结果.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    pub county: DivisionCode,
    pub month: Month,
    pub ledger_sha256: String,
    /// Paid payments in jiuzhu.
    pub ours: i64,
    pub ledger_lines: i64,
    pub matched: i64,
    /// matched / (ours + ledger lines not matched to one of ours), in basis points (1/100 %).
    pub consistency_bp: i64,
    /// The profile's minimum (`supervision.ledger_consistency_min_percent`), in basis points.
    pub required_bp: Option<i64>,
    pub mismatches: Vec<Mismatch>,
}

impl Reconciliation {
    pub fn passes(&self) -> bool {
        self.required_bp.is_none_or(|r| self.consistency_bp >= r)
    }

    /// `98.50%`.
    pub fn rate_text(&self) -> String {
        format!(
            "{}.{:02}%",
            self.consistency_bp / 100,
            self.consistency_bp % 100
        )
    }
}

/// matched / compared in basis points, rounded down (100% only when everything matched).
pub fn rate_bp(matched: i64, compared: i64) -> i64 {
    if compared == 0 {
        10_000
    } else {
        matched.saturating_mul(10_000) / compared
    }
}

// ---------------------------------------------------------------------------- reserve fund

/// 备用金 movements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReserveKind {
    /// 县级核拨 the county allocates the fund.
    Allocation,
    /// 支出 spent on an emergency 临时救助 case.
    Spending,
    /// 补充 the county tops it up again.
    Replenishment,
}

impl ReserveKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReserveKind::Allocation => "allocation",
            ReserveKind::Spending => "spending",
            ReserveKind::Replenishment => "replenishment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Allocation, Self::Spending, Self::Replenishment]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// Input of [`crate::Command::ReserveMovement`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewReserveMovement {
    pub township: DivisionCode,
    pub kind: ReserveKind,
    /// Positive; spending takes it out.
    pub amount: Fen,
    /// The 临时救助 case paid (spending only).
    pub case_id: Option<i64>,
    pub note: String,
}

/// One entry of a reserve fund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReserveEntry {
    pub id: i64,
    pub township: DivisionCode,
    pub kind: ReserveKind,
    /// Signed: spending is negative.
    pub amount: Fen,
    pub balance: Fen,
    pub case_id: Option<i64>,
    pub note: String,
    pub date: NaiveDate,
}

/// 备用金对账单 a township's reserve over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReserveStatement {
    pub township: DivisionCode,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub opening: Fen,
    pub entries: Vec<ReserveEntry>,
    pub closing: Fen,
}

/// One payment already paid (or settled to be paid) for a household and program, as a
/// correction reads it: the month it is for, how many months it covers (back-pay: the
/// months before `for_month`), its amount and the back-pay in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaidLine {
    pub for_month: Month,
    pub months: u32,
    pub amount: Fen,
    pub backpay: Fen,
}

impl PaidLine {
    /// The amount of each month the payment covers, oldest first: the month itself is paid
    /// `amount − backpay`; the back-pay is spread evenly over the months before it (the
    /// remainder fen to the oldest), as the roster computed it from one amount per month.
    pub fn by_month(&self) -> Vec<(Month, Fen)> {
        let months = i64::from(self.months.max(1));
        let back = months - 1;
        let last = self.for_month.index();
        let mut out = Vec::with_capacity(months as usize);
        if back > 0 {
            let (each, rest) = (self.backpay.fen() / back, self.backpay.fen() % back);
            for i in 0..back {
                if let Some(m) = Month::from_index(last - back + i) {
                    out.push((m, Fen::new(each + i64::from(i < rest))));
                }
            }
        }
        out.push((self.for_month, self.amount - self.backpay));
        out
    }
}

/// What a correction finds paid too much and too little: over the months from `effective`
/// on that the lines paid, each month against `corrected` (zero for a stop). A one-off
/// payment (临时救助) is compared as a whole, whatever its month.
pub fn overpayment(
    lines: &[PaidLine],
    effective: Month,
    corrected: Fen,
    one_off: bool,
) -> (Fen, Fen) {
    let mut over = Fen::ZERO;
    let mut under = Fen::ZERO;
    let mut add = |paid: Fen| {
        if paid > corrected {
            over += paid - corrected;
        } else {
            under += corrected - paid;
        }
    };
    if one_off {
        let paid = lines.iter().fold(Fen::ZERO, |sum, l| sum + l.amount);
        if !lines.is_empty() {
            add(paid);
        }
        return (over, under);
    }
    for line in lines {
        for (month, paid) in line.by_month() {
            if month >= effective {
                add(paid);
            }
        }
    }
    (over, under)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        let m: Month = "2026-03".parse().unwrap();
        assert_eq!((m.year(), m.month()), (2026, 3));
        assert_eq!(m.to_string(), "2026-03");
        assert_eq!(m.prev().to_string(), "2026-02");
        assert_eq!(
            "2026-01".parse::<Month>().unwrap().prev().to_string(),
            "2025-12"
        );
        assert_eq!(Month::from_index(m.index()), Some(m));
        assert_eq!(Month::of(NaiveDate::from_ymd_opt(2026, 3, 17).unwrap()), m);
        assert_eq!("2026-03-01".parse::<Month>().unwrap(), m);
        for bad in ["2026-13", "2026-3", "26-03", "2026/03", ""] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
        assert_eq!(m.compact(), "202603");
    }

    #[test]
    fn accounts() {
        // A valid 16-digit card number (Luhn) and the same with a wrong last digit.
        assert_eq!(
            check_bank_account("6222 0212 3456 7894").unwrap(),
            "6222021234567894"
        );
        let e = check_bank_account("6222021234567892").unwrap_err();
        assert!(matches!(&e, StoreError::Case { code, .. } if *code == codes::ACCOUNT_CHECKSUM));
        assert!(!e.to_string().contains("6222021234567892"));
        // 12–30 digits; other lengths need no check digit.
        assert!(check_bank_account("123456789012").is_ok());
        assert!(check_bank_account("12345678901").is_err());
        assert!(check_bank_account(&"1".repeat(31)).is_err());
        assert!(check_bank_account("12345678901a").is_err());
        assert_eq!(mask_account("6222021234567894"), "****7894");
    }

    #[test]
    fn files_total_their_lines() {
        let mut w = PaymentFileWriter::new(
            PaymentFileFormat::FixedWidth,
            DivisionCode::parse("511526").unwrap(),
            "2026-03".parse().unwrap(),
            true,
        );
        let line = PaymentLine {
            id: 7,
            township: "511526101000".into(),
            program: Program::Dibao,
            household_id: 3,
            for_month: "2026-03".parse().unwrap(),
            account: "6222021234567894".into(),
            holder: "张某华".into(),
            amount: Fen::new(30000),
        };
        let l = w.line(&line);
        assert!(l.starts_with("D000000000007511526101000dibao   6222021234567894"));
        assert_eq!(
            l.trim_end_matches('\n').chars().count(),
            1 + 12 + 12 + 8 + 30 + 15 + 20 + 20
        );
        assert!(l.contains("最低生活保障2026年03月"));
        w.line(&line);
        assert_eq!(w.trailer(), "T000000000002000000000000060000\n");
    }

    #[test]
    fn returns_and_ledgers_parse_or_name_the_line() {
        let ok = parse_bank_returns(
            "payment_id,amount_fen,result,reason\n1,300,paid,\n2,400,failed,账户已销户\n",
        )
        .unwrap();
        assert_eq!(ok.lines.len(), 2);
        assert_eq!(ok.lines[1].result, PaymentStatus::Failed);
        let e =
            parse_bank_returns("payment_id,amount_fen,result,reason\n1,300,paid,\n1,300,paid,\n")
                .unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        let e =
            parse_bank_returns("payment_id,amount_fen,result,reason\n1,3.00,paid,\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let l = parse_ledger("payment_id,household_id,program,amount_fen\n1,5,dibao,300\n2,6,tekun,400\n#total,2,700\n").unwrap();
        assert_eq!(l.total, Fen::new(700));
        let e = parse_ledger(
            "payment_id,household_id,program,amount_fen\n1,5,dibao,300\n#total,1,301\n",
        )
        .unwrap_err();
        assert!(matches!(&e, StoreError::Case { code, .. } if *code == codes::BAD_LEDGER));
        assert!(e.to_string().contains("disagrees"), "{e}");
        assert!(
            parse_ledger("payment_id,household_id,program,amount_fen\n1,5,dibao,300\n").is_err()
        );
        assert_eq!(rate_bp(19, 20), 9500);
        assert_eq!(rate_bp(0, 0), 10_000);
    }

    #[test]
    fn overpayment_counts_each_paid_month_from_the_effective_one() {
        let m = |y, mo| Month::new(y, mo).expect("a month");
        let yuan = |y: i64| Fen::new(y * 100);
        // October paid 900 = 300 for October + 600 back-pay for August and September;
        // November paid 300.
        let lines = [
            PaidLine {
                for_month: m(2026, 10),
                months: 3,
                amount: yuan(900),
                backpay: yuan(600),
            },
            PaidLine {
                for_month: m(2026, 11),
                months: 1,
                amount: yuan(300),
                backpay: Fen::ZERO,
            },
        ];
        assert_eq!(
            lines[0].by_month(),
            vec![
                (m(2026, 8), yuan(300)),
                (m(2026, 9), yuan(300)),
                (m(2026, 10), yuan(300))
            ]
        );
        // Right from September: 200 a month; Sep, Oct, Nov paid 100 too much each.
        assert_eq!(
            overpayment(&lines, m(2026, 9), yuan(200), false),
            (yuan(300), Fen::ZERO)
        );
        // Stopped from August: everything paid is owed back.
        assert_eq!(
            overpayment(&lines, m(2026, 8), Fen::ZERO, false),
            (yuan(1200), Fen::ZERO)
        );
        // Raised to 350 from November: 50 owed to the household.
        assert_eq!(
            overpayment(&lines, m(2026, 11), yuan(350), false),
            (Fen::ZERO, yuan(50))
        );
        // Nothing paid from December on.
        assert_eq!(
            overpayment(&lines, m(2026, 12), Fen::ZERO, false),
            (Fen::ZERO, Fen::ZERO)
        );
        // Uneven back-pay: the remainder fen go to the oldest months.
        let odd = PaidLine {
            for_month: m(2026, 10),
            months: 3,
            amount: Fen::new(1001),
            backpay: Fen::new(701),
        };
        assert_eq!(
            odd.by_month(),
            vec![
                (m(2026, 8), Fen::new(351)),
                (m(2026, 9), Fen::new(350)),
                (m(2026, 10), Fen::new(300))
            ]
        );
        // A one-off payment is compared as a whole.
        let once = [PaidLine {
            for_month: m(2026, 10),
            months: 1,
            amount: yuan(2000),
            backpay: Fen::ZERO,
        }];
        assert_eq!(
            overpayment(&once, m(2027, 1), yuan(1500), true),
            (yuan(500), Fen::ZERO)
        );
        assert_eq!(
            overpayment(&[], m(2026, 1), yuan(1500), true),
            (Fen::ZERO, Fen::ZERO)
        );
    }
}
