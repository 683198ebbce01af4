// The funds core (资金发放) of the SQL store: entitlements, rosters, payments, bank files,
// reconciliation and reserve funds. Included into each backend crate after `store.rs` (it
// uses that file's imports and helpers); portable SQL only. The values and file formats are
// in `jiuzhu_store::payroll`; the tables in migration 0008.
//
// Rosters are generated set-based: an `INSERT … SELECT` from `entitlements` writes every
// line of a county's month (back-pay included; on SQLite through a temporary table that
// numbers them, on PostgreSQL together with the rosters' totals), one more the failed
// payments carried over, one the rosters' totals (SQLite) or the carried payments' share of
// them (PostgreSQL). Nothing of the roster passes through Rust, so a county of a million
// households costs what the database needs for the rows.

use jiuzhu_store::payroll::{
    self as pr, BankAccountInfo, DiffKind, Entitlement, EntitlementChange, EntitlementFilter,
    EntitlementStatus, Ledger, Mismatch, Month, NewReserveMovement, PaymentFileFormat,
    PaymentFileSummary, PaymentStatus, Reconciliation, ReserveEntry, ReserveKind,
    ReserveStatement, ReturnCounts, ReturnLine, RosterDiffLine, RosterStatus, RosterSummary, codes,
    refused,
};

/// Payment rows read per round trip when a file is written or reconciled.
const PAYMENT_PAGE: i64 = 50_000;

/// Runs `work` while `fut` makes progress: `fut` is polled once first (which sends a
/// query on its way: to SQLite's worker thread or to the server), then `work` runs, then
/// `fut` is awaited. Both results are returned.
async fn overlap<F: std::future::Future, T>(fut: F, work: impl FnOnce() -> T) -> (F::Output, T) {
    let mut fut = std::pin::pin!(fut);
    let mut early = None;
    std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(cx) {
            early = Some(v);
        }
        std::task::Poll::Ready(())
    })
    .await;
    let done = work();
    let v = match early {
        Some(v) => v,
        None => fut.await,
    };
    (v, done)
}

/// Splits one row of `COPY … TO STDOUT` in text format (without its newline) into its
/// fields and hands them to `f`, undoing the backslash escapes (`\\`, `\t`, `\n`, `\r`, `\b`,
/// `\f`, `\v`; COPY TO writes no others, and `\N`, a NULL, is not expected here). A field
/// without a backslash is passed as it is.
fn copy_text_row<const N: usize, T>(
    row: &[u8],
    f: impl FnOnce([&str; N]) -> Result<T>,
) -> Result<T> {
    let bad = |why: &str| corrupt("payment", format!("a COPY row: {why}"));
    let row = std::str::from_utf8(row).map_err(|_| bad("not UTF-8"))?;
    let mut owned: [Option<String>; N] = std::array::from_fn(|_| None);
    let mut raw = [""; N];
    let mut parts = row.split('\t');
    for (i, slot) in raw.iter_mut().enumerate() {
        let part = parts.next().ok_or_else(|| bad("too few fields"))?;
        if part.contains('\\') {
            if part == "\\N" {
                return Err(bad("a NULL field"));
            }
            let mut s = String::with_capacity(part.len());
            let mut chars = part.chars();
            while let Some(ch) = chars.next() {
                if ch != '\\' {
                    s.push(ch);
                    continue;
                }
                s.push(match chars.next() {
                    Some('\\') => '\\',
                    Some('t') => '\t',
                    Some('n') => '\n',
                    Some('r') => '\r',
                    Some('b') => '\u{8}',
                    Some('f') => '\u{c}',
                    Some('v') => '\u{b}',
                    _ => return Err(bad("an unknown escape")),
                });
            }
            owned[i] = Some(s);
        } else {
            *slot = part;
        }
    }
    if parts.next().is_some() {
        return Err(bad("too many fields"));
    }
    let mut fields = raw;
    for (field, o) in fields.iter_mut().zip(&owned) {
        if let Some(o) = o {
            *field = o;
        }
    }
    f(fields)
}

/// Return lines looked up or written per statement (3 parameters each at most). Kept small:
/// binding is quadratic in the parameter count on SQLite (sqlx looks each parameter's name
/// up, and SQLite finds it by a linear scan): 1,000 lines per batch spent 60% of an import in
/// `sqlite3_bind_parameter_name`.
const RETURN_BATCH: usize = 100;

fn month_col(row: &DbRow, col: &str) -> Result<Month> {
    let i: i64 = get(row, col)?;
    Month::from_index(i).ok_or_else(|| corrupt("month", i))
}

fn program_col(row: &DbRow, col: &str) -> Result<Program> {
    let s: String = get(row, col)?;
    s.parse().map_err(|e| corrupt("program", e))
}

fn county_of(code: &DivisionCode) -> Result<DivisionCode> {
    DivisionCode::parse(code.county_prefix()).map_err(|e| corrupt("county code", e))
}

/// A county-level code (6 digits, not a prefecture above counties).
fn require_county(code: &DivisionCode) -> Result<()> {
    if code.as_str().len() == 6 && code.county().as_ref() == Some(code) {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "{code} is not a county: rosters are generated and submitted per county (6 digits)"
        )))
    }
}

fn require_township(code: &DivisionCode) -> Result<()> {
    if code.level() == jiuzhu_domain::DivisionLevel::Township {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "{code} is not a township or street office (12 digits, …TTT000)"
        )))
    }
}

fn entitlement_from_row(row: &DbRow) -> Result<Entitlement> {
    let status: String = get(row, "status")?;
    let paid: Option<i64> = get(row, "paid_through_ym")?;
    Ok(Entitlement {
        household_id: get(row, "household_id")?,
        program: program_col(row, "program")?,
        township: division_col(row, "township_code")?,
        village: division_col(row, "village_code")?,
        case_id: get(row, "case_id")?,
        one_off: get(row, "one_off")?,
        status: EntitlementStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        start: month_col(row, "start_ym")?,
        base: Fen::new(get(row, "base_fen")?),
        monthly: Fen::new(get(row, "monthly_fen")?),
        previous: Fen::new(get(row, "prev_fen")?),
        effective: month_col(row, "effective_ym")?,
        paid_through: paid.and_then(Month::from_index),
    })
}

const ENTITLEMENT_COLUMNS: &str = "household_id, program, township_code, village_code, case_id, \
     one_off, status, start_ym, base_fen, monthly_fen, prev_fen, effective_ym, paid_through_ym";

fn roster_from_row(row: &DbRow) -> Result<RosterSummary> {
    let status: String = get(row, "status")?;
    let settled: Option<DateTime<Utc>> = get(row, "settled_at")?;
    let submitted: Option<DateTime<Utc>> = get(row, "submitted_at")?;
    Ok(RosterSummary {
        county: division_col(row, "county_code")?,
        township: division_col(row, "township_code")?,
        program: program_col(row, "program")?,
        month: month_col(row, "month_ym")?,
        status: RosterStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        lines: get(row, "lines")?,
        total: Fen::new(get(row, "total_fen")?),
        backpay: Fen::new(get(row, "backpay_fen")?),
        carried: Fen::new(get(row, "carried_fen")?),
        settled_late: get(row, "settled_late")?,
        settled_on: settled.map(|t| local_time(t).date()),
        submitted_on: submitted.map(|t| local_time(t).date()),
    })
}

const ROSTER_COLUMNS: &str = "county_code, month_ym, township_code, program, status, lines, \
     total_fen, backpay_fen, carried_fen, settled_late, settled_at, submitted_at";

/// The amount per line of a roster for month $2, from the entitlement columns `e.*`: the
/// months from the first unpaid one (`first_ym`) to $2, those before the change month at the
/// previous amount and the others at the current one. A one-off payment covers one month.
const LINE_SELECT: &str = "SELECT y.county_code, y.household_id, y.program, y.township_code, \
     y.village_code, y.months, y.amount, y.amount - y.cur_fen AS backpay \
     FROM (SELECT x.*, x.before_n * x.prev_fen + (x.months - x.before_n) * x.monthly_fen AS amount \
       FROM (SELECT w.*, $2 - w.first_ym + 1 AS months, \
           CASE WHEN w.effective_ym <= w.first_ym THEN 0 \
                WHEN w.effective_ym > $2 THEN $2 - w.first_ym + 1 \
                ELSE w.effective_ym - w.first_ym END AS before_n, \
           CASE WHEN w.effective_ym <= $2 THEN w.monthly_fen ELSE w.prev_fen END AS cur_fen \
         FROM (SELECT e.county_code, e.household_id, e.program, e.township_code, e.village_code, \
             e.prev_fen, e.monthly_fen, e.effective_ym, \
             CASE WHEN e.one_off THEN $2 \
                  WHEN e.paid_through_ym IS NULL OR e.paid_through_ym < e.start_ym THEN e.start_ym \
                  ELSE e.paid_through_ym + 1 END AS first_ym \
           FROM entitlements e \
           WHERE e.county_code = $1 AND e.start_ym <= $2 \
             AND (e.paid_through_ym IS NULL OR (e.paid_through_ym < $2 AND NOT e.one_off)) \
             {KEEP_SETTLED}) w) x) y \
     WHERE y.amount > 0";

/// Leaves out the entitlements of a township and program whose roster of month $2 is settled
/// (only added when the county has one: it costs a lookup per row).
const KEEP_SETTLED: &str = "AND NOT EXISTS (SELECT 1 FROM rosters r WHERE r.county_code = $1 \
     AND r.month_ym = $2 AND r.township_code = e.township_code AND r.program = e.program)";

impl SqlStore {
    /// The profile governing a county, or the national base.
    fn payment_profile<'r>(
        rules: &'r Rules,
        code: &DivisionCode,
    ) -> Result<&'r jiuzhu_domain::profile::EffectiveProfile> {
        rules
            .profiles
            .profile_for(code)
            .or_else(|| rules.profiles.base())
            .ok_or_else(|| StoreError::Invalid(format!("no procedure profile governs {code}")))
    }

    /// The version of a county's entitlements: bumped by every approval and change, recorded
    /// in each generated roster; a roster older than its county's entitlements is stale.
    async fn entitlement_version(tx: &mut Tx<'_>, county: &str) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT value FROM counters WHERE name = $1")
            .bind(format!("entitlements:{county}"))
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_err)?;
        Ok(v.unwrap_or(0))
    }

    /// Writes the entitlement of a case whose events include a decision (inside the case
    /// command's transaction): an approval of a program with money creates or replaces the
    /// household's entitlement (临时救助 as a one-off payment); a refusal after the decision
    /// was reopened stops the entitlement that case granted. 低收入认定 is a status only.
    async fn entitlement_on_decision(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        county: &str,
        state: &CaseState,
        events: &[jiuzhu_domain::case::Event],
    ) -> Result<Vec<NewEvent>> {
        use jiuzhu_domain::case::EventBody;
        let decided = events
            .iter()
            .any(|e| matches!(e.body, EventBody::Decided { .. }));
        let h = &state.header;
        if !decided || h.program == Program::Dishouru {
            return Ok(Vec::new());
        }
        let subject = format!("entitlement:{}:{}", h.household_id, h.program);
        match state.decision.as_ref().map(|d| &d.decision) {
            Some(CaseDecision::Approve {
                amount,
                start_month,
                ..
            }) => {
                let one_off = h.program == Program::Linshi;
                let start = Month::of(*start_month);
                sqlx::query(
                    "INSERT INTO entitlements (county_code, household_id, program, township_code, \
                     village_code, case_id, one_off, status, start_ym, base_fen, monthly_fen, \
                     prev_fen, effective_ym, paid_through_ym, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $9, 0, $8, NULL, $10) \
                     ON CONFLICT (county_code, household_id, program) DO UPDATE SET \
                     township_code = excluded.township_code, village_code = excluded.village_code, \
                     case_id = excluded.case_id, one_off = excluded.one_off, status = 'active', \
                     start_ym = excluded.start_ym, base_fen = excluded.base_fen, \
                     monthly_fen = excluded.monthly_fen, prev_fen = 0, \
                     effective_ym = excluded.effective_ym, \
                     paid_through_ym = CASE WHEN excluded.one_off THEN NULL \
                       ELSE entitlements.paid_through_ym END, \
                     updated_at = excluded.updated_at",
                )
                .bind(county)
                .bind(h.household_id)
                .bind(h.program.as_str())
                .bind(h.township.as_str())
                .bind(h.village.as_str())
                .bind(h.case_id)
                .bind(one_off)
                .bind(start.index())
                .bind(amount.fen())
                .bind(ctx.now)
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
                Self::next_id(tx, &format!("entitlements:{county}")).await?;
                Ok(vec![NewEvent::new(
                    "entitlement.granted",
                    subject,
                    json!({
                        "household_id": h.household_id,
                        "program": h.program,
                        "case_id": h.case_id,
                        "monthly_fen": amount.fen(),
                        "one_off": one_off,
                        "start_month": start,
                    }),
                )])
            }
            Some(CaseDecision::Refuse { .. }) => {
                let stopped = sqlx::query(
                    "UPDATE entitlements SET status = 'stopped', monthly_fen = 0, prev_fen = 0, \
                     effective_ym = start_ym, updated_at = $4 \
                     WHERE county_code = $1 AND household_id = $2 AND program = $3 AND case_id = $5",
                )
                .bind(county)
                .bind(h.household_id)
                .bind(h.program.as_str())
                .bind(ctx.now)
                .bind(h.case_id)
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
                if stopped.rows_affected() == 0 {
                    return Ok(Vec::new());
                }
                Self::next_id(tx, &format!("entitlements:{county}")).await?;
                Ok(vec![NewEvent::new(
                    "entitlement.stopped",
                    subject,
                    json!({ "household_id": h.household_id, "program": h.program,
                            "case_id": h.case_id, "reason": "decision replaced by a refusal" }),
                )])
            }
            None => Ok(Vec::new()),
        }
    }

    /// The payroll commands, inside `execute`'s transaction.
    async fn payroll_command(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        rules: &Rules,
        command: Command,
        locked: &mut Option<ChainHead>,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        match command {
            Command::ChangeEntitlement {
                household_id,
                program,
                change,
                effective,
                reason,
            } => {
                Self::change_entitlement(
                    tx,
                    ctx,
                    household_id,
                    program,
                    change,
                    effective,
                    reason,
                    locked,
                )
                .await
            }
            Command::SetBankAccount {
                household_id,
                account,
                holder,
            } => Self::set_bank_account(tx, ctx, household_id, &account, holder).await,
            Command::GenerateRosters { county, month } => {
                Self::generate_rosters(tx, ctx, &county, month, locked).await
            }
            Command::SettleRosters { township, month } => {
                Self::settle_rosters(tx, ctx, rules, &township, month, locked).await
            }
            Command::SubmitRosters { county, month } => {
                Self::submit_rosters(tx, ctx, &county, month, locked).await
            }
            Command::ImportBankReturns {
                county,
                month,
                sha256,
                lines,
            } => Self::import_returns(tx, ctx, &county, month, &sha256, &lines, locked).await,
            Command::ReserveMovement(m) => Self::reserve_movement(tx, ctx, rules, m, locked).await,
            other => Err(StoreError::Invalid(format!(
                "{} is not a payroll command",
                other.name()
            ))),
        }
    }

    /// The last month whose roster of the township and program is settled or submitted: an
    /// entitlement changes from the month after it at the earliest.
    async fn frozen_through(
        tx: &mut Tx<'_>,
        county: &str,
        township: &DivisionCode,
        program: Program,
    ) -> Result<Option<Month>> {
        let frozen: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(month_ym) FROM rosters WHERE county_code = $1 AND township_code = $2 \
             AND program = $3 AND status <> 'generated'",
        )
        .bind(county)
        .bind(township.as_str())
        .bind(program.as_str())
        .fetch_one(&mut **tx)
        .await
        .map_err(db_err)?;
        Ok(frozen.and_then(Month::from_index))
    }

    /// The household's entitlement of the program, as the transaction sees it.
    async fn entitlement_in_tx(
        tx: &mut Tx<'_>,
        county: &str,
        household_id: i64,
        program: Program,
    ) -> Result<Option<Entitlement>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ENTITLEMENT_COLUMNS} FROM entitlements \
             WHERE county_code = $1 AND household_id = $2 AND program = $3"
        )))
        .bind(county)
        .bind(household_id)
        .bind(program.as_str())
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?;
        row.as_ref().map(entitlement_from_row).transpose()
    }

    #[allow(clippy::too_many_arguments)]
    async fn change_entitlement(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        household_id: i64,
        program: Program,
        change: EntitlementChange,
        effective: Month,
        reason: String,
        locked: &mut Option<ChainHead>,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        let reason = reason.trim().to_string();
        check_text("reason", &reason, MAX_REASON_CHARS)?;
        if reason.is_empty() {
            return Err(StoreError::Invalid(
                "give the reason for the change (it goes on the notice)".to_string(),
            ));
        }
        let not_found = || {
            refused(
                codes::NO_ENTITLEMENT,
                format!("household {household_id} has no {program} entitlement"),
                format!("该家庭没有{}待遇", program.name_zh()),
            )
        };
        let county: String = sqlx::query_scalar("SELECT county_code FROM households WHERE id = $1")
            .bind(household_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_err)?
            .ok_or_else(not_found)?;
        *locked = Some(Self::lock_chain(tx, &county).await?);
        let old = Self::entitlement_in_tx(tx, &county, household_id, program)
            .await?
            .ok_or_else(not_found)?;
        if !ctx.actor.scope().contains(&old.village) {
            return Err(not_found());
        }
        policy::manage_entitlement(&ctx.actor, &old.village)?;
        if old.status == EntitlementStatus::Stopped {
            return Err(refused(
                codes::ENTITLEMENT_STOPPED,
                "the entitlement is stopped; a new application and approval start a new one",
                "该待遇已停发，如需恢复请重新申请审批",
            ));
        }
        if let Some(frozen) = Self::frozen_through(tx, &county, &old.township, program).await?
            && effective <= frozen
        {
            return Err(refused(
                codes::MONTH_FROZEN,
                format!(
                    "the roster of {frozen} is settled or submitted; a change takes effect from {} at the earliest (the difference is paid or recovered there)",
                    frozen.next()
                ),
                format!(
                    "{frozen}花名册已月结或报送，变更最早从{}起生效",
                    frozen.next()
                ),
            ));
        }
        let bad = |m: String, zh: &str| Err(refused(codes::BAD_CHANGE, m, zh.to_string()));
        if effective < old.effective || effective < old.start {
            return bad(
                format!(
                    "the change must take effect from {} or later (the latest change or the start)",
                    old.effective.max(old.start)
                ),
                "变更生效月份不能早于上次变更或开始发放的月份",
            );
        }
        if old.one_off && change != EntitlementChange::Stop {
            return bad(
                "a one-off payment (临时救助) can only be stopped".to_string(),
                "临时救助为一次性发放，只能停发",
            );
        }
        let active = old.status == EntitlementStatus::Active;
        let (status, base, monthly) = match change {
            EntitlementChange::Increase { monthly } if active && monthly > old.base => {
                (EntitlementStatus::Active, monthly, monthly)
            }
            EntitlementChange::Reduce { monthly }
                if active && monthly < old.base && monthly > Fen::ZERO =>
            {
                (EntitlementStatus::Active, monthly, monthly)
            }
            EntitlementChange::Suspend if active => {
                (EntitlementStatus::Suspended, old.base, Fen::ZERO)
            }
            EntitlementChange::Resume if old.status == EntitlementStatus::Suspended => {
                (EntitlementStatus::Active, old.base, old.base)
            }
            EntitlementChange::Stop => (EntitlementStatus::Stopped, old.base, Fen::ZERO),
            _ => {
                return bad(
                    format!(
                        "{} does not fit a {} entitlement of {} a month (an increase must be higher, a reduction lower and above zero; only a suspended entitlement resumes)",
                        change.name(),
                        old.status.as_str(),
                        old.base
                    ),
                    "变更与当前待遇不符：增发须高于原标准，减发须低于原标准且大于零，只有暂停的待遇才能恢复",
                );
            }
        };
        // The amount before the change month: what was paid then.
        let previous = if effective == old.effective {
            old.previous
        } else {
            old.monthly
        };
        sqlx::query(
            "UPDATE entitlements SET status = $4, base_fen = $5, monthly_fen = $6, prev_fen = $7, \
             effective_ym = $8, updated_at = $9 \
             WHERE county_code = $1 AND household_id = $2 AND program = $3",
        )
        .bind(&county)
        .bind(household_id)
        .bind(program.as_str())
        .bind(status.as_str())
        .bind(base.fen())
        .bind(monthly.fen())
        .bind(previous.fen())
        .bind(effective.index())
        .bind(ctx.now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        Self::next_id(tx, &format!("entitlements:{county}")).await?;
        Ok((
            county,
            CommandOutcome::EntitlementChanged {
                household_id,
                program,
                monthly,
            },
            vec![NewEvent::new(
                "entitlement.changed",
                format!("entitlement:{household_id}:{program}"),
                json!({
                    "household_id": household_id,
                    "program": program,
                    "change": change.name(),
                    "from_fen": old.monthly.fen(),
                    "to_fen": monthly.fen(),
                    "status": status.as_str(),
                    "effective_month": effective,
                    "reason": reason,
                }),
            )],
        ))
    }

    /// The household's county and village, if the actor can see it (else not found).
    async fn household_in_scope(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        household_id: i64,
    ) -> Result<(String, DivisionCode)> {
        let row = sqlx::query("SELECT county_code, division_code FROM households WHERE id = $1")
            .bind(household_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_err)?
            .ok_or_else(|| StoreError::NotFound(format!("household {household_id}")))?;
        let village = division_col(&row, "division_code")?;
        if !ctx.actor.scope().contains(&village) {
            return Err(StoreError::NotFound(format!("household {household_id}")));
        }
        Ok((get(&row, "county_code")?, village))
    }

    async fn set_bank_account(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        household_id: i64,
        account: &str,
        holder: String,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        let (county, village) = Self::household_in_scope(tx, ctx, household_id).await?;
        policy::manage_entitlement(&ctx.actor, &village)?;
        let account = pr::check_bank_account(account)?;
        let holder = holder.trim().to_string();
        check_text("account holder", &holder, pr::MAX_HOLDER_CHARS)?;
        let members: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM members WHERE household_id = $1 AND name = $2",
        )
        .bind(household_id)
        .bind(&holder)
        .fetch_one(&mut **tx)
        .await
        .map_err(db_err)?;
        if members == 0 {
            return Err(refused(
                codes::HOLDER_NOT_MEMBER,
                format!(
                    "the account holder is not a member of household {household_id}: payments go to the recipient's own account"
                ),
                "账户户名须为本家庭成员（救助金发放到救助对象本人账户）",
            ));
        }
        sqlx::query("UPDATE households SET bank_account = $2, account_holder = $3 WHERE id = $1")
            .bind(household_id)
            .bind(&account)
            .bind(&holder)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
        Ok((
            county,
            CommandOutcome::BankAccountSet { household_id },
            vec![NewEvent::new(
                "household.bank_account_set",
                format!("household:{household_id}"),
                json!({
                    "household_id": household_id,
                    "account_masked": pr::mask_account(&account),
                    "account_sha256": jiuzhu_store::event::sha256_hex(account.as_bytes()),
                    "holder": holder,
                }),
            )],
        ))
    }

    async fn roster_statuses(
        tx: &mut Tx<'_>,
        county: &str,
        month: Month,
        township: Option<&str>,
    ) -> Result<Vec<(String, Program, RosterStatus, i64)>> {
        let rows = sqlx::query(
            "SELECT township_code, program, status, basis_version FROM rosters \
             WHERE county_code = $1 AND month_ym = $2 AND township_code LIKE $3 \
             ORDER BY township_code, program",
        )
        .bind(county)
        .bind(month.index())
        .bind(township.unwrap_or("%"))
        .fetch_all(&mut **tx)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let s: String = get(r, "status")?;
                Ok((
                    get(r, "township_code")?,
                    program_col(r, "program")?,
                    RosterStatus::parse(&s).ok_or_else(|| corrupt("status", &s))?,
                    get(r, "basis_version")?,
                ))
            })
            .collect()
    }

    fn submitted_error(county: &str, month: Month) -> StoreError {
        refused(
            codes::ROSTER_SUBMITTED,
            format!(
                "the {month} rosters of {county} were submitted to finance and are frozen; later changes go into {}",
                month.next()
            ),
            format!(
                "{month}花名册已报送财政，不能再修改；之后的变更计入{}",
                month.next()
            ),
        )
    }

    async fn generate_rosters(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        county: &DivisionCode,
        month: Month,
        locked: &mut Option<ChainHead>,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        require_county(county)?;
        policy::county_funds(&ctx.actor, county)?;
        let c = county.as_str();
        *locked = Some(Self::lock_chain(tx, c).await?);
        if BACKEND == "postgres" {
            // For this transaction only: the lines' sort (ids in household order) and the
            // totals' grouping stay in memory instead of spilling to disk at the default 4 MB,
            // and no JIT compilation (≈0.1 s per statement, more than it saves here).
            sqlx::query("SET LOCAL work_mem = '128MB'")
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
            sqlx::query("SET LOCAL jit = off")
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
        }
        let statuses = Self::roster_statuses(tx, c, month, None).await?;
        if statuses.iter().any(|s| s.2 == RosterStatus::Submitted) {
            return Err(Self::submitted_error(c, month));
        }
        let kept = statuses
            .iter()
            .filter(|s| s.2 == RosterStatus::Settled)
            .count() as i64;
        // Rebuild what is not settled: its lines and headers go, the rest stays as signed.
        sqlx::query(
            "DELETE FROM payments WHERE county_code = $1 AND month_ym = $2 AND EXISTS \
             (SELECT 1 FROM rosters r WHERE r.county_code = $1 AND r.month_ym = $2 \
              AND r.township_code = payments.township_code AND r.program = payments.program \
              AND r.status = 'generated')",
        )
        .bind(c)
        .bind(month.index())
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "DELETE FROM rosters WHERE county_code = $1 AND month_ym = $2 AND status = 'generated'",
        )
        .bind(c)
        .bind(month.index())
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        let version = Self::entitlement_version(tx, c).await?;
        // The payment counter, locked until commit: ids are base + 1 … base + n.
        let base: i64 = sqlx::query_scalar(
            "INSERT INTO counters (name, value) VALUES ('payment', 0) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value RETURNING value",
        )
        .fetch_one(&mut **tx)
        .await
        .map_err(db_err)?;
        let lines_sql =
            LINE_SELECT.replace("{KEEP_SETTLED}", if kept > 0 { KEEP_SETTLED } else { "" });
        let regular = if BACKEND == "sqlite" {
            // SQLite numbers the lines through a temporary table (its rowid), cheaper than
            // ROW_NUMBER(), whose window keeps the whole county in an ephemeral table; the
            // totals below read this narrow table instead of the written payments again.
            // Created and dropped inside this transaction: a rollback removes it too.
            for sql in [
                "DROP TABLE IF EXISTS temp.roster_lines",
                "CREATE TEMP TABLE roster_lines (n INTEGER PRIMARY KEY, county_code TEXT, \
                 household_id INTEGER, program TEXT, township_code TEXT, village_code TEXT, \
                 months INTEGER, amount INTEGER, backpay INTEGER)",
            ] {
                sqlx::query(sql)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
            }
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO temp.roster_lines (county_code, household_id, program, \
                 township_code, village_code, months, amount, backpay) \
                 SELECT l.county_code, l.household_id, l.program, l.township_code, \
                 l.village_code, l.months, l.amount, l.backpay FROM ({lines_sql}) l \
                 ORDER BY l.household_id, l.program"
            )))
            .bind(c)
            .bind(month.index())
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
            sqlx::query(
                "INSERT INTO payments (county_code, month_ym, id, township_code, village_code, \
                 program, household_id, for_ym, months, amount_fen, backpay_fen, carried_from, \
                 bank_account, account_holder, status) \
                 SELECT county_code, $1, $2 + n, township_code, village_code, program, \
                 household_id, $1, months, amount, backpay, NULL, NULL, NULL, 'pending' \
                 FROM temp.roster_lines ORDER BY n",
            )
            .bind(month.index())
            .bind(base)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?
            .rows_affected() as i64
        } else {
            // PostgreSQL writes the lines and their rosters' totals in one statement: the
            // totals are summed from the rows the INSERT returns (the rows written), without
            // reading a million rows back. Carried-over payments are added to them below.
            let rows = sqlx::query(AssertSqlSafe(format!(
                "WITH ins AS (INSERT INTO payments (county_code, month_ym, id, township_code, \
                 village_code, program, household_id, for_ym, months, amount_fen, backpay_fen, \
                 carried_from, bank_account, account_holder, status) \
                 SELECT l.county_code, $2, $3 + ROW_NUMBER() OVER (ORDER BY l.household_id, l.program), \
                 l.township_code, l.village_code, l.program, l.household_id, $2, l.months, l.amount, \
                 l.backpay, NULL, NULL, NULL, 'pending' FROM ({lines_sql}) l \
                 RETURNING township_code, program, amount_fen, backpay_fen) \
                 INSERT INTO rosters (county_code, month_ym, township_code, program, status, \
                 lines, total_fen, backpay_fen, carried_fen, basis_version, generated_at, \
                 settled_late) \
                 SELECT $1, $2, township_code, program, 'generated', COUNT(*), SUM(amount_fen), \
                 SUM(backpay_fen), 0, $4, $5, FALSE FROM ins GROUP BY township_code, program \
                 RETURNING lines"
            )))
            .bind(c)
            .bind(month.index())
            .bind(base)
            .bind(version)
            .bind(ctx.now)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_err)?;
            rows.iter()
                .map(|r| get::<i64>(r, "lines"))
                .sum::<Result<i64>>()?
        };
        let carried = sqlx::query(
            "INSERT INTO payments (county_code, month_ym, id, township_code, village_code, \
             program, household_id, for_ym, months, amount_fen, backpay_fen, carried_from, \
             bank_account, account_holder, status) \
             SELECT p.county_code, $2, $3 + ROW_NUMBER() OVER (ORDER BY p.id), p.township_code, \
             p.village_code, p.program, p.household_id, p.for_ym, p.months, p.amount_fen, \
             p.backpay_fen, p.id, NULL, NULL, 'pending' \
             FROM payments p \
             WHERE p.county_code = $1 AND p.month_ym < $2 AND p.status IN ('failed', 'returned') \
             AND NOT EXISTS (SELECT 1 FROM payments c WHERE c.carried_from = p.id) \
             AND NOT EXISTS (SELECT 1 FROM rosters r WHERE r.county_code = $1 \
               AND r.month_ym = $2 AND r.township_code = p.township_code \
               AND r.program = p.program AND r.status <> 'generated')",
        )
        .bind(c)
        .bind(month.index())
        .bind(base + regular)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?
        .rows_affected() as i64;
        sqlx::query("UPDATE counters SET value = $1 WHERE name = 'payment'")
            .bind(base + regular + carried)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
        sqlx::query(
            AssertSqlSafe(format!(
            "INSERT INTO rosters (county_code, month_ym, township_code, program, status, lines, \
             total_fen, backpay_fen, carried_fen, basis_version, generated_at, settled_late) \
             SELECT $1, $2, township_code, program, 'generated', COUNT(*), \
             SUM(amount_fen), SUM(backpay_fen), SUM(carried_fen), $4, $5, FALSE \
             FROM ({}) t GROUP BY township_code, program{}",
            if BACKEND == "sqlite" {
                // The regular lines as numbered (and written) above, the carried-over ones
                // as written.
                "SELECT township_code, program, amount AS amount_fen, backpay AS backpay_fen, \
                 0 AS carried_fen FROM temp.roster_lines UNION ALL \
                 SELECT township_code, program, amount_fen, backpay_fen, amount_fen \
                 FROM payments WHERE county_code = $1 AND month_ym = $2 AND id > $3 + $6"
            } else {
                // The carried-over payments, added to the totals written with the lines.
                "SELECT township_code, program, amount_fen, backpay_fen, \
                 amount_fen AS carried_fen \
                 FROM payments WHERE county_code = $1 AND month_ym = $2 AND id > $3 + $6"
            },
            if BACKEND == "sqlite" {
                ""
            } else {
                " ON CONFLICT (county_code, month_ym, township_code, program) DO UPDATE SET \
                 lines = rosters.lines + excluded.lines, \
                 total_fen = rosters.total_fen + excluded.total_fen, \
                 backpay_fen = rosters.backpay_fen + excluded.backpay_fen, \
                 carried_fen = rosters.carried_fen + excluded.carried_fen"
            }
        )))
        .bind(c)
        .bind(month.index())
        .bind(base)
        .bind(version)
        .bind(ctx.now)
        .bind(regular)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        if BACKEND == "sqlite" {
            sqlx::query("DROP TABLE temp.roster_lines")
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
        }
        let rows = sqlx::query(
            "SELECT township_code, program, lines, total_fen, backpay_fen, carried_fen \
             FROM rosters WHERE county_code = $1 AND month_ym = $2 AND status = 'generated' \
             ORDER BY township_code, program",
        )
        .bind(c)
        .bind(month.index())
        .fetch_all(&mut **tx)
        .await
        .map_err(db_err)?;
        let mut events = Vec::with_capacity(rows.len());
        let (mut lines, mut total) = (0i64, 0i64);
        for r in &rows {
            let township: String = get(r, "township_code")?;
            let program: String = get(r, "program")?;
            let n: i64 = get(r, "lines")?;
            let t: i64 = get(r, "total_fen")?;
            lines += n;
            total = total.saturating_add(t);
            events.push(NewEvent::new(
                "roster.generated",
                format!("roster:{c}:{month}:{township}:{program}"),
                json!({
                    "county": c, "month": month, "township": township, "program": program,
                    "lines": n, "total_fen": t,
                    "backpay_fen": get::<i64>(r, "backpay_fen")?,
                    "carried_fen": get::<i64>(r, "carried_fen")?,
                    "entitlement_version": version,
                }),
            ));
        }
        Ok((
            c.to_string(),
            CommandOutcome::RostersGenerated {
                county: county.clone(),
                month,
                rosters: rows.len() as i64,
                kept,
                lines,
                total: Fen::new(total),
            },
            events,
        ))
    }

    async fn settle_rosters(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        rules: &Rules,
        township: &DivisionCode,
        month: Month,
        locked: &mut Option<ChainHead>,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        require_township(township)?;
        policy::township_funds(&ctx.actor, township)?;
        let county = township.county_prefix().to_string();
        *locked = Some(Self::lock_chain(tx, &county).await?);
        let statuses = Self::roster_statuses(tx, &county, month, Some(township.as_str())).await?;
        if statuses.is_empty() {
            return Err(refused(
                codes::NO_ROSTER,
                format!("no roster of {township} for {month}: the county generates it first"),
                format!("{month}尚未生成本乡镇花名册，请县级先生成"),
            ));
        }
        if statuses.iter().any(|s| s.2 == RosterStatus::Submitted) {
            return Err(Self::submitted_error(&county, month));
        }
        let open: Vec<_> = statuses
            .iter()
            .filter(|s| s.2 == RosterStatus::Generated)
            .collect();
        if open.is_empty() {
            return Err(refused(
                codes::ALREADY_SETTLED,
                format!("the {month} rosters of {township} are settled already"),
                format!("本乡镇{month}花名册已月结"),
            ));
        }
        let version = Self::entitlement_version(tx, &county).await?;
        if open.iter().any(|s| s.3 < version) {
            return Err(refused(
                codes::ROSTER_STALE,
                format!(
                    "entitlements of {county} changed after the {month} rosters were generated: generate them again, then settle"
                ),
                format!("花名册生成后待遇有变动，请重新生成{month}花名册后再月结"),
            ));
        }
        let cutoff_day = Self::payment_profile(rules, township)?
            .payment
            .roster_cutoff_day;
        let today = local_time(ctx.now).date();
        let late = today > month.day(cutoff_day);
        let settled = sqlx::query(
            "UPDATE rosters SET status = 'settled', settled_at = $4, settled_by = $5, \
             settled_late = $6 \
             WHERE county_code = $1 AND month_ym = $2 AND township_code = $3 \
             AND status = 'generated'",
        )
        .bind(&county)
        .bind(month.index())
        .bind(township.as_str())
        .bind(ctx.now)
        .bind(ctx.actor.audit_name())
        .bind(late)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?
        .rows_affected() as i64;
        Ok((
            county.clone(),
            CommandOutcome::RostersSettled {
                township: township.clone(),
                month,
                rosters: settled,
                late,
            },
            vec![NewEvent::new(
                "roster.settled",
                format!("roster:{county}:{month}:{township}"),
                json!({
                    "township": township, "month": month, "rosters": settled,
                    "late": late, "cutoff": month.day(cutoff_day), "settled_on": today,
                    "programs": open.iter().map(|s| s.1).collect::<Vec<_>>(),
                }),
            )],
        ))
    }

    async fn submit_rosters(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        county: &DivisionCode,
        month: Month,
        locked: &mut Option<ChainHead>,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        require_county(county)?;
        policy::county_funds(&ctx.actor, county)?;
        let c = county.as_str();
        *locked = Some(Self::lock_chain(tx, c).await?);
        if BACKEND == "postgres" {
            // For this transaction only: the lines' sort (ids in household order) and the
            // totals' grouping stay in memory instead of spilling to disk at the default 4 MB,
            // and no JIT compilation (≈0.1 s per statement, more than it saves here).
            sqlx::query("SET LOCAL work_mem = '128MB'")
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
            sqlx::query("SET LOCAL jit = off")
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
        }
        let statuses = Self::roster_statuses(tx, c, month, None).await?;
        if statuses.is_empty() {
            return Err(refused(
                codes::NO_ROSTER,
                format!("no {month} rosters of {c} to submit: generate them first"),
                format!("{month}尚未生成花名册"),
            ));
        }
        if statuses.iter().any(|s| s.2 == RosterStatus::Submitted) {
            return Err(Self::submitted_error(c, month));
        }
        let mut unsettled: Vec<&str> = statuses
            .iter()
            .filter(|s| s.2 == RosterStatus::Generated)
            .map(|s| s.0.as_str())
            .collect();
        unsettled.dedup();
        if !unsettled.is_empty() {
            return Err(refused(
                codes::NOT_SETTLED,
                format!(
                    "{} township(s) have not settled their {month} rosters: {}",
                    unsettled.len(),
                    unsettled.join(", ")
                ),
                format!("以下乡镇尚未完成{month}月结：{}", unsettled.join("、")),
            ));
        }
        // The accounts as they are at submission go with the roster to finance and the bank.
        sqlx::query(
            "UPDATE payments SET bank_account = h.bank_account, \
             account_holder = h.account_holder FROM households h \
             WHERE payments.county_code = $1 AND payments.month_ym = $2 \
             AND h.county_code = payments.county_code AND h.id = payments.household_id",
        )
        .bind(c)
        .bind(month.index())
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        let missing: Vec<i64> = sqlx::query_scalar(
            "SELECT household_id FROM payments WHERE county_code = $1 AND month_ym = $2 \
             AND bank_account IS NULL ORDER BY id",
        )
        .bind(c)
        .bind(month.index())
        .fetch_all(&mut **tx)
        .await
        .map_err(db_err)?;
        if !missing.is_empty() {
            let first: Vec<String> = missing.iter().take(10).map(|h| h.to_string()).collect();
            return Err(refused(
                codes::MISSING_ACCOUNT,
                format!(
                    "{} payment(s) have no bank account (households {}{}): set the accounts and submit again",
                    missing.len(),
                    first.join(", "),
                    if missing.len() > 10 { ", …" } else { "" }
                ),
                format!(
                    "{}笔发放没有银行账户（家庭编号 {}），请补录账户后重新报送",
                    missing.len(),
                    first.join("、")
                ),
            ));
        }
        sqlx::query(
            "UPDATE rosters SET status = 'submitted', submitted_at = $3, submitted_by = $4 \
             WHERE county_code = $1 AND month_ym = $2",
        )
        .bind(c)
        .bind(month.index())
        .bind(ctx.now)
        .bind(ctx.actor.audit_name())
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        // Every regular line's entitlement is paid through this month now.
        sqlx::query(
            "UPDATE entitlements SET paid_through_ym = $2 FROM payments p \
             WHERE p.county_code = $1 AND p.month_ym = $2 AND p.carried_from IS NULL \
             AND entitlements.county_code = p.county_code \
             AND entitlements.household_id = p.household_id \
             AND entitlements.program = p.program",
        )
        .bind(c)
        .bind(month.index())
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        let totals = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(lines), 0) AS BIGINT) AS lines, \
             CAST(COALESCE(SUM(total_fen), 0) AS BIGINT) AS total FROM rosters \
             WHERE county_code = $1 AND month_ym = $2",
        )
        .bind(c)
        .bind(month.index())
        .fetch_one(&mut **tx)
        .await
        .map_err(db_err)?;
        let n: i64 = get(&totals, "n")?;
        let lines: i64 = get(&totals, "lines")?;
        let total: i64 = get(&totals, "total")?;
        Ok((
            c.to_string(),
            CommandOutcome::RostersSubmitted {
                county: county.clone(),
                month,
                rosters: n,
                lines,
                total: Fen::new(total),
            },
            vec![NewEvent::new(
                "roster.submitted",
                format!("roster:{c}:{month}"),
                json!({ "county": c, "month": month, "rosters": n, "lines": lines,
                        "total_fen": total }),
            )],
        ))
    }

    /// Refuses a file operation unless the county-month's rosters are all submitted.
    async fn require_submitted(
        exec: &mut <Db as sqlx::Database>::Connection,
        county: &str,
        month: Month,
    ) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, \
             CAST(COALESCE(SUM(CASE WHEN status = 'submitted' THEN 1 ELSE 0 END), 0) AS BIGINT) \
             AS submitted, CAST(COALESCE(SUM(lines), 0) AS BIGINT) AS lines \
             FROM rosters WHERE county_code = $1 AND month_ym = $2",
        )
        .bind(county)
        .bind(month.index())
        .fetch_one(&mut *exec)
        .await
        .map_err(db_err)?;
        let n: i64 = get(&row, "n")?;
        let submitted: i64 = get(&row, "submitted")?;
        if n == 0 {
            return Err(refused(
                codes::NO_ROSTER,
                format!("no {month} rosters of {county}"),
                format!("{month}没有花名册"),
            ));
        }
        if submitted < n {
            return Err(refused(
                codes::NOT_SUBMITTED,
                format!(
                    "the {month} rosters of {county} are not submitted to finance yet: payment files and bank answers follow the submission"
                ),
                format!("{month}花名册尚未报送财政，不能生成代发文件或导入回盘"),
            ));
        }
        get(&row, "lines")
    }

    /// Imports a bank return file set-based: the file's payments and the payments already
    /// paid for the same household, program and month are read in batches, every line is
    /// checked in file order in memory (the rules of the former line-at-a-time import), and
    /// only then are the final states written, a batch of rows per `UPDATE … FROM (VALUES …)`. Any bad line refuses the whole file before
    /// anything is written; the unique index `payments_paid_once` stays the last guard.
    #[allow(clippy::too_many_arguments)]
    async fn import_returns(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        county: &DivisionCode,
        month: Month,
        sha256: &str,
        lines: &[ReturnLine],
        locked: &mut Option<ChainHead>,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        use std::collections::{HashMap, HashSet};
        use PaymentStatus::*;
        require_county(county)?;
        policy::county_funds(&ctx.actor, county)?;
        let c = county.as_str();
        *locked = Some(Self::lock_chain(tx, c).await?);
        Self::require_submitted(tx, c, month).await?;
        let bad = |line: usize, reason: String| {
            refused(
                codes::BAD_RETURN,
                format!("bank return file refused: line {line}: {reason}"),
                format!("银行回盘文件被拒绝：第{line}行：{reason}"),
            )
        };
        let placeholders = |rows: usize, width: usize, first: usize| {
            (0..rows)
                .map(|r| {
                    let cols = (0..width)
                        .map(|k| format!("${}", first + r * width + k))
                        .collect::<Vec<_>>()
                        .join(", ");
                    format!("({cols})")
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        // 1. The file's payments of this county and month, as stored.
        struct Stored {
            amount: i64,
            status: PaymentStatus,
            key: (i64, String, i64),
        }
        let mut ids: Vec<i64> = lines.iter().map(|l| l.payment_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut stored: HashMap<i64, Stored> = HashMap::with_capacity(ids.len());
        for batch in ids.chunks(RETURN_BATCH) {
            let sql = format!(
                "SELECT id, amount_fen, status, household_id, program, for_ym FROM payments \
                 WHERE county_code = $1 AND month_ym = $2 AND id IN ({})",
                (0..batch.len())
                    .map(|i| format!("${}", i + 3))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            // Only placeholders are assembled; every value is bound.
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(c).bind(month.index());
            for id in batch {
                q = q.bind(*id);
            }
            for r in &q.fetch_all(&mut **tx).await.map_err(db_err)? {
                let status: String = get(r, "status")?;
                stored.insert(
                    get::<i64>(r, "id")?,
                    Stored {
                        amount: get(r, "amount_fen")?,
                        status: PaymentStatus::parse(&status)
                            .ok_or_else(|| corrupt("status", &status))?,
                        key: (get(r, "household_id")?, get(r, "program")?, get(r, "for_ym")?),
                    },
                );
            }
        }
        // 2. Which payments are paid already (any county month) for the household, program
        //    and month of a line the file marks paid.
        let mut keys: Vec<&(i64, String, i64)> = lines
            .iter()
            .filter(|l| l.result == Paid)
            .filter_map(|l| stored.get(&l.payment_id).map(|s| &s.key))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let mut paid: HashMap<(i64, String, i64), HashSet<i64>> = HashMap::new();
        for batch in keys.chunks(RETURN_BATCH) {
            let sql = format!(
                // CROSS JOIN: SQLite keeps the VALUES as the outer loop (one probe of
                // payments_paid_once per key; its planner otherwise scanned the index per
                // key: 8 s instead of 4 ms for 1,000 keys). PostgreSQL plans it as a join.
                "SELECT p.id, p.household_id, p.program, p.for_ym FROM (VALUES {}) v \
                 CROSS JOIN payments p WHERE p.household_id = v.column1 \
                 AND p.program = v.column2 AND p.for_ym = v.column3 AND p.status = 'paid'",
                placeholders(batch.len(), 3, 1)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (household, program, for_ym) in batch {
                q = q.bind(*household).bind(program.as_str()).bind(*for_ym);
            }
            for r in &q.fetch_all(&mut **tx).await.map_err(db_err)? {
                paid.entry((get(r, "household_id")?, get(r, "program")?, get(r, "for_ym")?))
                    .or_default()
                    .insert(get(r, "id")?);
            }
        }
        // 3. Every line in file order: its transition against the stored state (as one line
        //    at a time did), "paid already" against the stored state and the lines before.
        let mut counts = ReturnCounts::default();
        let mut paid_in_file = HashSet::new();
        // The final state of each payment the file changes, and the first line doing so.
        let mut changed: HashMap<i64, (PaymentStatus, Option<&str>, usize)> = HashMap::new();
        for l in lines {
            let Some(s) = stored.get(&l.payment_id) else {
                return Err(bad(
                    l.line,
                    format!(
                        "payment {} is not a payment of {c} in {month}",
                        l.payment_id
                    ),
                ));
            };
            if s.amount != l.amount.fen() {
                return Err(bad(
                    l.line,
                    format!(
                        "payment {} is {} fen, the file says {} fen",
                        l.payment_id,
                        s.amount,
                        l.amount.fen()
                    ),
                ));
            }
            match (s.status, l.result) {
                (s, r) if s == r => {
                    counts.unchanged += 1;
                    continue;
                }
                (Pending, _) | (Paid, Returned) => {}
                (s, r) => {
                    return Err(bad(
                        l.line,
                        format!(
                            "payment {} is recorded as {} and cannot become {}",
                            l.payment_id,
                            s.as_str(),
                            r.as_str()
                        ),
                    ));
                }
            }
            let already = paid.entry(s.key.clone()).or_default();
            if l.result == Paid {
                let (household, program, _) = &s.key;
                let elsewhere = already.iter().any(|id| *id != l.payment_id);
                if elsewhere || !paid_in_file.insert(s.key.clone()) {
                    return Err(refused(
                        codes::PAID_TWICE,
                        format!(
                            "bank return file refused: line {}: household {household} was paid {program} for that month already; payment {} must not be paid twice",
                            l.line, l.payment_id
                        ),
                        format!(
                            "银行回盘文件被拒绝：第{}行：该家庭该月该项目已发放，不能重复发放",
                            l.line
                        ),
                    ));
                }
                already.insert(l.payment_id);
            } else {
                already.remove(&l.payment_id);
            }
            let reason = (!l.reason.is_empty()).then_some(l.reason.as_str());
            changed
                .entry(l.payment_id)
                .and_modify(|e| (e.0, e.1) = (l.result, reason))
                .or_insert((l.result, reason, l.line));
            match l.result {
                Paid => counts.paid += 1,
                Failed => counts.failed += 1,
                Returned => counts.returned += 1,
                Pending => {}
            }
        }
        // 4. The final states: payments leaving `paid` first, so that the unique index
        //    never sees two paid payments of a household's month, even for a moment.
        let mut updates: Vec<(i64, PaymentStatus, Option<&str>, usize)> = changed
            .into_iter()
            .map(|(id, (status, reason, line))| (id, status, reason, line))
            .collect();
        updates.sort_unstable_by_key(|u| (u.1 == Paid, u.0));
        let (leaving, paying) = updates.split_at(updates.partition_point(|u| u.1 != Paid));
        for part in [leaving, paying] {
            for batch in part.chunks(RETURN_BATCH) {
                let sql = format!(
                    "UPDATE payments SET status = v.column2, result_reason = v.column3 \
                     FROM (VALUES {}) v \
                     WHERE payments.county_code = $1 AND payments.month_ym = $2 \
                     AND payments.id = v.column1",
                    placeholders(batch.len(), 3, 3)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql)).bind(c).bind(month.index());
                for (id, status, reason, _) in batch {
                    q = q.bind(*id).bind(status.as_str()).bind(*reason);
                }
                q.execute(&mut **tx).await.map_err(|e| match db_err(e) {
                    StoreError::Conflict(_) => {
                        let first = batch.iter().map(|u| u.3).min().unwrap_or(0);
                        refused(
                            codes::PAID_TWICE,
                            format!(
                                "bank return file refused: a line from line {first} on would pay a payment twice"
                            ),
                            format!("银行回盘文件被拒绝：第{first}行起有重复发放"),
                        )
                    }
                    other => other,
                })?;
            }
        }
        Ok((
            c.to_string(),
            CommandOutcome::BankReturnsImported { counts },
            vec![NewEvent::new(
                "payroll.bank_returns_imported",
                format!("roster:{c}:{month}"),
                json!({ "county": c, "month": month, "sha256": sha256, "lines": lines.len(),
                        "paid": counts.paid, "failed": counts.failed,
                        "returned": counts.returned, "unchanged": counts.unchanged }),
            )],
        ))
    }

    async fn reserve_movement(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        rules: &Rules,
        m: NewReserveMovement,
        locked: &mut Option<ChainHead>,
    ) -> Result<(String, CommandOutcome, Vec<NewEvent>)> {
        require_township(&m.township)?;
        match m.kind {
            ReserveKind::Spending => policy::township_funds(&ctx.actor, &m.township)?,
            ReserveKind::Allocation | ReserveKind::Replenishment => {
                policy::county_funds(&ctx.actor, &m.township)?
            }
        }
        if !Self::payment_profile(rules, &m.township)?
            .payment
            .reserve_fund
        {
            return Err(refused(
                codes::RESERVE_DISABLED,
                format!(
                    "the profile of {} keeps no reserve fund (payment.reserve_fund = false)",
                    m.township.county_prefix()
                ),
                "本县程序配置未设立临时救助备用金",
            ));
        }
        if m.amount <= Fen::ZERO {
            return Err(StoreError::Invalid(
                "a reserve movement is a positive amount".to_string(),
            ));
        }
        let note = m.note.trim().to_string();
        check_text("note", &note, MAX_REASON_CHARS)?;
        let county = m.township.county_prefix().to_string();
        match (m.kind, m.case_id) {
            (ReserveKind::Spending, Some(case_id)) => {
                let row = sqlx::query("SELECT program, township_code FROM cases WHERE id = $1")
                    .bind(case_id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db_err)?;
                let fits = match &row {
                    Some(r) => {
                        get::<String>(r, "program")? == Program::Linshi.as_str()
                            && get::<String>(r, "township_code")? == m.township.as_str()
                    }
                    None => false,
                };
                if !fits {
                    return Err(refused(
                        codes::RESERVE_CASE,
                        format!(
                            "case {case_id} is not a 临时救助 case of {}: the reserve pays emergency temporary assistance of its township",
                            m.township
                        ),
                        "备用金只能用于本乡镇的临时救助案件",
                    ));
                }
            }
            (ReserveKind::Spending, None) => {
                return Err(refused(
                    codes::RESERVE_CASE,
                    "spending from the reserve names the 临时救助 case it pays",
                    "备用金支出须注明所救助的临时救助案件",
                ));
            }
            (_, Some(_)) => {
                return Err(StoreError::Invalid(
                    "only spending names a case".to_string(),
                ));
            }
            (_, None) => {}
        }
        *locked = Some(Self::lock_chain(tx, &county).await?);
        let balance: i64 = sqlx::query_scalar(
            "SELECT balance_fen FROM reserve_entries WHERE county_code = $1 \
             AND township_code = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(&county)
        .bind(m.township.as_str())
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?
        .unwrap_or(0);
        let signed = match m.kind {
            ReserveKind::Spending => -m.amount.fen(),
            _ => m.amount.fen(),
        };
        let after = balance
            .checked_add(signed)
            .ok_or_else(|| StoreError::Invalid("the amount is out of range".to_string()))?;
        if after < 0 {
            return Err(refused(
                codes::RESERVE_OVERDRAFT,
                format!(
                    "the reserve fund of {} holds {}, less than {}: ask the county to replenish it",
                    m.township,
                    Fen::new(balance),
                    m.amount
                ),
                format!(
                    "备用金余额{}元，不足支出{}元，请申请县级补充",
                    Fen::new(balance),
                    m.amount
                ),
            ));
        }
        let id = Self::next_id(tx, "reserve").await?;
        let date = local_time(ctx.now).date();
        sqlx::query(
            "INSERT INTO reserve_entries (county_code, id, township_code, kind, amount_fen, \
             balance_fen, case_id, note, entry_date, recorded_at, recorded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&county)
        .bind(id)
        .bind(m.township.as_str())
        .bind(m.kind.as_str())
        .bind(signed)
        .bind(after)
        .bind(m.case_id)
        .bind(&note)
        .bind(date)
        .bind(ctx.now)
        .bind(ctx.actor.audit_name())
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        Ok((
            county,
            CommandOutcome::ReserveMoved {
                entry_id: id,
                balance: Fen::new(after),
            },
            vec![NewEvent::new(
                &format!("reserve.{}", m.kind.as_str()),
                format!("reserve:{}", m.township),
                json!({ "entry_id": id, "township": m.township, "amount_fen": signed,
                        "balance_fen": after, "case_id": m.case_id, "note": note,
                        "date": date }),
            )],
        ))
    }

    /// Records an audited file operation as a command of its own (key claimed, one event,
    /// outcome stored), in one transaction.
    async fn record_file_event(
        &self,
        ctx: &CommandContext,
        name: &str,
        chain: &str,
        event: NewEvent,
    ) -> Result<()> {
        check_idempotency_key(&ctx.idempotency_key).map_err(StoreError::Invalid)?;
        let fingerprint = format!(
            "{}:{}",
            ctx.actor.audit_name(),
            jiuzhu_store::event::sha256_hex(event.payload.to_string().as_bytes())
        );
        let mut tx = self.begin().await?;
        let outcome = CommandOutcome::Recorded {
            kind: event.kind.clone(),
        };
        let claimed = sqlx::query(
            "INSERT INTO commands (idempotency_key, chain, command, fingerprint, outcome, actor, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&ctx.idempotency_key)
        .bind(chain)
        .bind(name)
        .bind(&fingerprint)
        .bind(Json(&outcome))
        .bind(ctx.actor.audit_name())
        .bind(ctx.now)
        .execute(&mut *tx)
        .await;
        match claimed {
            Ok(_) => {}
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                tx.rollback().await.map_err(db_err)?;
                // The same operation recorded before answers from its record.
                return Self::replay(&self.pool, &ctx.idempotency_key, &fingerprint)
                    .await
                    .map(|_| ());
            }
            Err(e) => return Err(db_err(e)),
        }
        Self::append(
            &mut tx,
            &ctx.actor,
            ctx.now,
            &ctx.idempotency_key,
            chain,
            vec![event],
            None,
        )
        .await?;
        tx.commit().await.map_err(db_err)
    }

    async fn export_payments_impl(
        &self,
        ctx: &CommandContext,
        county: &DivisionCode,
        month: Month,
        format: PaymentFileFormat,
        out: &mut (dyn std::io::Write + Send),
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<PaymentFileSummary> {
        require_county(county)?;
        policy::county_funds(&ctx.actor, county)?;
        let c = county.as_str();
        let rules = self.rules_or_builtin()?;
        let label = Self::payment_profile(&rules, county)?.payment.label_program;
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let total_lines = Self::require_submitted(&mut conn, c, month).await?;
        let io = |e: std::io::Error| StoreError::Database(format!("cannot write the file: {e}"));
        let mut writer = pr::PaymentFileWriter::new(format, county.clone(), month, label);
        let mut digest = pr::FileDigest::default();
        let mut put = |s: &str, out: &mut (dyn std::io::Write + Send)| -> Result<()> {
            digest.update(s.as_bytes());
            out.write_all(s.as_bytes()).map_err(io)
        };
        put(&writer.header(), out)?;
        // One payment's fields as stored (id, township, program, household, month, amount,
        // account, holder), appended to `buf` as its line of the file.
        let line = |writer: &mut pr::PaymentFileWriter, buf: &mut String, f: [&str; 8]| {
            let bad = || corrupt("payment", "a page line");
            if f[6].is_empty() {
                return Err(corrupt(
                    "payment",
                    "a submitted payment has no bank account",
                ));
            }
            writer.write_line(
                buf,
                &pr::PaymentLineRef {
                    id: f[0].parse().map_err(|_| bad())?,
                    township: f[1],
                    program: f[2].parse().map_err(|_| bad())?,
                    household_id: f[3].parse().map_err(|_| bad())?,
                    for_month: f[4]
                        .parse::<i64>()
                        .ok()
                        .and_then(Month::from_index)
                        .ok_or_else(bad)?,
                    account: f[6],
                    holder: f[7],
                    amount: Fen::new(f[5].parse().map_err(|_| bad())?),
                },
            );
            Ok(())
        };
        let mut buf = String::with_capacity(1 << 21);
        // PostgreSQL streams the rows with one COPY: one statement and one snapshot, no
        // page queries and no text aggregate on the server. The county code is digits (a
        // `DivisionCode`) and the month an integer: nothing to bind.
        let copy_sql = format!(
            "COPY (SELECT id, township_code, program, household_id, for_ym, amount_fen, \
             COALESCE(bank_account, ''), COALESCE(account_holder, '') FROM payments \
             WHERE county_code = '{}' AND month_ym = {} AND status = 'pending' ORDER BY id) \
             TO STDOUT",
            c.replace('\'', "''"),
            month.index()
        );
        // `Ok(false)`: no COPY on this backend. The stream borrows the connection until
        // the end of this statement.
        let copied = match copy_out(&mut conn, &copy_sql).await.map_err(db_err)? {
            None => Ok(false),
            Some(mut rows) => {
            // Text format: a row per line, a tab between fields, backslash escapes. A row
            // may in principle straddle chunks: its start waits in `carry`.
            let mut carry: Vec<u8> = Vec::new();
            let mut failed = None;
            while let Some(chunk) = rows.next().await {
                let chunk = match chunk {
                    Ok(chunk) => chunk,
                    Err(e) => {
                        failed = Some(db_err(e));
                        break;
                    }
                };
                let carried = !carry.is_empty();
                if carried {
                    carry.extend_from_slice(&chunk[..]);
                }
                let data: &[u8] = if carried { &carry } else { &chunk[..] };
                let mut used = 0;
                let mut step = || -> Result<()> {
                    for row in data.split_inclusive(|&b| b == b'\n') {
                        let Some(row) = row.strip_suffix(b"\n") else {
                            break;
                        };
                        used += row.len() + 1;
                        copy_text_row(row, |f| line(&mut writer, &mut buf, f))?;
                        if writer.lines % PAYMENT_PAGE == 0 {
                            progress(writer.lines as u64, total_lines as u64);
                        }
                    }
                    if buf.len() >= 1 << 20 {
                        put(&buf, out)?;
                        buf.clear();
                    }
                    Ok(())
                };
                if let Err(e) = step() {
                    failed = Some(e);
                    break;
                }
                if carried {
                    carry.drain(..used);
                } else {
                    carry.extend_from_slice(&chunk[..][used..]);
                }
            }
            if let Some(e) = failed {
                Err(e)
            } else if !carry.is_empty() {
                Err(corrupt("payment", "the COPY ended inside a row"))
            } else {
                put(&buf, out).map(|()| {
                    progress(writer.lines as u64, total_lines as u64);
                    true
                })
            }
            }
        };
        let copied = match copied {
            Ok(copied) => copied,
            Err(e) => {
                // Possibly left in the middle of the COPY: the connection is not given back.
                conn.close_on_drop();
                return Err(e);
            }
        };
        if !copied {
            // One row per page: the page's lines joined by the database (a row per payment
            // would cost a round trip of the driver each; SQLite's is a thread hop). The
            // next page is asked for before this one is formatted, hashed and written, so
            // that the database reads it meanwhile (on SQLite's worker thread).
            let page_query = |after: i64| {
                sqlx::query(
                    "SELECT string_agg(format('%s,%s,%s,%s,%s,%s,%s,%s', id, township_code, \
                     program, household_id, for_ym, amount_fen, COALESCE(bank_account, ''), \
                     COALESCE(account_holder, '')), $5) AS page, MAX(id) AS last \
                     FROM (SELECT id, township_code, program, household_id, for_ym, amount_fen, \
                     bank_account, account_holder FROM payments \
                     WHERE county_code = $1 AND month_ym = $2 AND id > $3 AND status = 'pending' \
                     ORDER BY id LIMIT $4) p",
                )
                .bind(c)
                .bind(month.index())
                .bind(after)
                .bind(PAYMENT_PAGE)
                .bind("\n")
            };
            let mut page = page_query(i64::MIN)
                .fetch_one(&mut *conn)
                .await
                .map_err(db_err)?;
            while let Some(last) = get::<Option<i64>>(&page, "last")? {
                let text: String = get(&page, "page")?;
                let next = page_query(last).fetch_one(&mut *conn);
                let format = || -> Result<()> {
                    // The aggregate's order is its input's, which is by id; should a
                    // database ever join them otherwise, the page is put in order here.
                    let mut rows: Vec<&str> = text.split('\n').collect();
                    let id_of =
                        |row: &str| row.split(',').next().and_then(|i| i.parse::<i64>().ok());
                    if !rows.is_sorted_by_key(|r| id_of(r)) {
                        rows.sort_by_key(|r| id_of(r));
                    }
                    buf.clear();
                    for row in &rows {
                        // The holder comes last: it may hold commas.
                        let mut f = row.splitn(8, ',');
                        let mut fields = [""; 8];
                        for field in &mut fields {
                            *field = f.next().ok_or_else(|| corrupt("payment", "a page line"))?;
                        }
                        line(&mut writer, &mut buf, fields)?;
                    }
                    put(&buf, out)?;
                    progress(writer.lines as u64, total_lines as u64);
                    Ok(())
                };
                let (fetched, formatted) = overlap(next, format).await;
                formatted?;
                page = fetched.map_err(db_err)?;
            }
        }
        put(&writer.trailer(), out)?;
        out.flush().map_err(io)?;
        drop(conn);
        let sha256 = digest.finish();
        let summary = PaymentFileSummary {
            county: county.clone(),
            month,
            format,
            lines: writer.lines,
            total: writer.total,
            sha256,
        };
        self.record_file_event(
            ctx,
            "export_payments",
            c,
            NewEvent::new(
                "payroll.payment_file_exported",
                format!("roster:{c}:{month}"),
                json!({ "county": c, "month": month, "format": format, "lines": summary.lines,
                        "total_fen": summary.total.fen(), "sha256": summary.sha256 }),
            ),
        )
        .await?;
        Ok(summary)
    }

    async fn reconcile_impl(
        &self,
        ctx: &CommandContext,
        county: &DivisionCode,
        month: Month,
        ledger: &Ledger,
    ) -> Result<Reconciliation> {
        require_county(county)?;
        policy::county_funds(&ctx.actor, county)?;
        let c = county.as_str();
        let rules = self.rules_or_builtin()?;
        let required_bp = Self::payment_profile(&rules, county)?
            .supervision
            .ledger_consistency_min_percent
            .map(|p| i64::from(p) * 100);
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        Self::require_submitted(&mut conn, c, month).await?;
        let mut remaining: std::collections::HashMap<i64, &pr::LedgerLine> =
            ledger.lines.iter().map(|l| (l.payment_id, l)).collect();
        let mut mismatches = Vec::new();
        let (mut ours, mut matched) = (0i64, 0i64);
        let mut after = i64::MIN;
        loop {
            let rows = sqlx::query(
                "SELECT id, household_id, program, amount_fen FROM payments \
                 WHERE county_code = $1 AND month_ym = $2 AND id > $3 AND status = 'paid' \
                 ORDER BY id LIMIT $4",
            )
            .bind(c)
            .bind(month.index())
            .bind(after)
            .bind(PAYMENT_PAGE)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
            let Some(last) = rows.last() else { break };
            after = get(last, "id")?;
            for r in &rows {
                ours += 1;
                let id: i64 = get(r, "id")?;
                let amount = Fen::new(get(r, "amount_fen")?);
                match remaining.remove(&id) {
                    None => mismatches.push(Mismatch::MissingInLedger {
                        payment_id: id,
                        amount,
                    }),
                    Some(l)
                        if l.household_id != get::<i64>(r, "household_id")?
                            || l.program != program_col(r, "program")? =>
                    {
                        mismatches.push(Mismatch::RecipientDiffers {
                            line: l.line,
                            payment_id: id,
                        })
                    }
                    Some(l) if l.amount != amount => mismatches.push(Mismatch::AmountDiffers {
                        line: l.line,
                        payment_id: id,
                        ours: amount,
                        ledger: l.amount,
                    }),
                    Some(_) => matched += 1,
                }
            }
        }
        drop(conn);
        let mut extra: Vec<&pr::LedgerLine> = remaining.into_values().collect();
        extra.sort_by_key(|l| l.line);
        let unmatched_ledger = extra.len() as i64;
        for l in extra {
            mismatches.push(Mismatch::NotPaidHere {
                line: l.line,
                payment_id: l.payment_id,
                amount: l.amount,
            });
        }
        let report = Reconciliation {
            county: county.clone(),
            month,
            ledger_sha256: ledger.sha256.clone(),
            ours,
            ledger_lines: ledger.lines.len() as i64,
            matched,
            consistency_bp: pr::rate_bp(matched, ours + unmatched_ledger),
            required_bp,
            mismatches,
        };
        self.record_file_event(
            ctx,
            "reconcile",
            c,
            NewEvent::new(
                "payroll.reconciled",
                format!("roster:{c}:{month}"),
                json!({ "county": c, "month": month, "ledger_sha256": report.ledger_sha256,
                        "ours": report.ours, "ledger_lines": report.ledger_lines,
                        "matched": report.matched, "consistency_bp": report.consistency_bp,
                        "required_bp": report.required_bp, "passes": report.passes(),
                        "mismatches": report.mismatches.len() }),
            ),
        )
        .await?;
        Ok(report)
    }

    async fn entitlements_impl(
        &self,
        actor: &Actor,
        filter: &EntitlementFilter,
        page: PageRequest,
    ) -> Result<Page<Entitlement>> {
        let scope = actor.scope().like_pattern();
        let within = Scope::within(filter.within.as_ref()).like_pattern();
        let program = filter.program.map(|p| p.as_str()).unwrap_or("");
        let household = filter.household_id.unwrap_or(0);
        let cond = "village_code LIKE $1 AND village_code LIKE $2 AND ($3 = '' OR program = $3) \
                    AND ($4 = 0 OR household_id = $4)";
        let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM entitlements WHERE {cond}"
        )))
        .bind(&scope)
        .bind(&within)
        .bind(program)
        .bind(household)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ENTITLEMENT_COLUMNS} FROM entitlements WHERE {cond} \
             ORDER BY county_code, household_id, program LIMIT $5 OFFSET $6"
        )))
        .bind(&scope)
        .bind(&within)
        .bind(program)
        .bind(household)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(Page {
            items: rows
                .iter()
                .map(entitlement_from_row)
                .collect::<Result<_>>()?,
            total,
            page: page.page,
            per_page: page.per_page,
        })
    }

    async fn bank_account_impl(
        &self,
        actor: &Actor,
        household_id: i64,
    ) -> Result<Option<BankAccountInfo>> {
        let row = sqlx::query(
            "SELECT bank_account, account_holder FROM households \
             WHERE id = $1 AND division_code LIKE $2",
        )
        .bind(household_id)
        .bind(actor.scope().like_pattern())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .ok_or_else(|| StoreError::NotFound(format!("household {household_id}")))?;
        let account: Option<String> = get(&row, "bank_account")?;
        let holder: Option<String> = get(&row, "account_holder")?;
        Ok(account.map(|a| BankAccountInfo {
            household_id,
            account_masked: pr::mask_account(&a),
            holder: holder.unwrap_or_default(),
        }))
    }

    async fn rosters_impl(
        &self,
        actor: &Actor,
        month: Month,
        within: &DivisionCode,
    ) -> Result<Vec<RosterSummary>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ROSTER_COLUMNS} FROM rosters WHERE month_ym = $1 \
             AND township_code LIKE $2 AND township_code LIKE $3 \
             ORDER BY county_code, township_code, program"
        )))
        .bind(month.index())
        .bind(actor.scope().like_pattern())
        .bind(format!("{}%", within.scope_prefix()))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(roster_from_row).collect()
    }

    async fn roster_diff_impl(
        &self,
        actor: &Actor,
        month: Month,
        within: &DivisionCode,
    ) -> Result<Vec<RosterDiffLine>> {
        let county = county_of(within)?;
        let scope = actor.scope().like_pattern();
        let prefix = format!("{}%", within.scope_prefix());
        // The month's own amount of a line is its amount without back-pay.
        let rows = sqlx::query(
            "SELECT c.household_id, c.program, c.township_code, \
             c.amount_fen - c.backpay_fen AS cur, p.amount_fen - p.backpay_fen AS prev \
             FROM payments c LEFT JOIN payments p ON p.county_code = c.county_code \
               AND p.month_ym = $3 AND p.household_id = c.household_id \
               AND p.program = c.program AND p.carried_from IS NULL \
             WHERE c.county_code = $1 AND c.month_ym = $2 AND c.carried_from IS NULL \
               AND c.village_code LIKE $4 AND c.village_code LIKE $5 \
               AND (p.household_id IS NULL OR p.amount_fen - p.backpay_fen <> c.amount_fen - c.backpay_fen) \
             UNION ALL \
             SELECT p.household_id, p.program, p.township_code, NULL, p.amount_fen - p.backpay_fen \
             FROM payments p \
             WHERE p.county_code = $1 AND p.month_ym = $3 AND p.carried_from IS NULL \
               AND p.village_code LIKE $4 AND p.village_code LIKE $5 \
               AND NOT EXISTS (SELECT 1 FROM payments c WHERE c.county_code = $1 \
                 AND c.month_ym = $2 AND c.household_id = p.household_id \
                 AND c.program = p.program AND c.carried_from IS NULL) \
             ORDER BY 3, 1, 2",
        )
        .bind(county.as_str())
        .bind(month.index())
        .bind(month.prev().index())
        .bind(&scope)
        .bind(&prefix)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let cur: Option<i64> = get(r, "cur")?;
                let prev: Option<i64> = get(r, "prev")?;
                Ok(RosterDiffLine {
                    kind: match (prev, cur) {
                        (None, _) => DiffKind::New,
                        (_, None) => DiffKind::Stopped,
                        _ => DiffKind::Changed,
                    },
                    household_id: get(r, "household_id")?,
                    program: program_col(r, "program")?,
                    township: division_col(r, "township_code")?,
                    previous: prev.map(Fen::new),
                    current: cur.map(Fen::new),
                })
            })
            .collect()
    }

    async fn payments_impl(
        &self,
        actor: &Actor,
        month: Month,
        within: &DivisionCode,
        page: PageRequest,
    ) -> Result<Page<pr::Payment>> {
        let county = county_of(within)?;
        let scope = actor.scope().like_pattern();
        let prefix = format!("{}%", within.scope_prefix());
        let cond = "county_code = $1 AND month_ym = $2 AND village_code LIKE $3 \
                    AND village_code LIKE $4";
        let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM payments WHERE {cond}"
        )))
        .bind(county.as_str())
        .bind(month.index())
        .bind(&scope)
        .bind(&prefix)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT id, month_ym, for_ym, township_code, village_code, program, household_id, \
             months, amount_fen, backpay_fen, carried_from, bank_account, status, result_reason \
             FROM payments WHERE {cond} ORDER BY id LIMIT $5 OFFSET $6"
        )))
        .bind(county.as_str())
        .bind(month.index())
        .bind(&scope)
        .bind(&prefix)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let items = rows
            .iter()
            .map(|r| {
                let status: String = get(r, "status")?;
                let account: Option<String> = get(r, "bank_account")?;
                Ok(pr::Payment {
                    id: get(r, "id")?,
                    month: month_col(r, "month_ym")?,
                    for_month: month_col(r, "for_ym")?,
                    township: division_col(r, "township_code")?,
                    village: division_col(r, "village_code")?,
                    program: program_col(r, "program")?,
                    household_id: get(r, "household_id")?,
                    months: get(r, "months")?,
                    amount: Fen::new(get(r, "amount_fen")?),
                    backpay: Fen::new(get(r, "backpay_fen")?),
                    carried_from: get(r, "carried_from")?,
                    account_masked: account.as_deref().map(pr::mask_account),
                    status: PaymentStatus::parse(&status)
                        .ok_or_else(|| corrupt("status", &status))?,
                    reason: get(r, "result_reason")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Page {
            items,
            total,
            page: page.page,
            per_page: page.per_page,
        })
    }

    async fn reserve_statement_impl(
        &self,
        actor: &Actor,
        township: &DivisionCode,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<ReserveStatement> {
        require_township(township)?;
        actor.scope().require(township, "township")?;
        let county = township.county_prefix();
        let opening: i64 = sqlx::query_scalar(
            "SELECT balance_fen FROM reserve_entries WHERE county_code = $1 \
             AND township_code = $2 AND entry_date < $3 ORDER BY id DESC LIMIT 1",
        )
        .bind(county)
        .bind(township.as_str())
        .bind(from)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .unwrap_or(0);
        let rows = sqlx::query(
            "SELECT id, kind, amount_fen, balance_fen, case_id, note, entry_date \
             FROM reserve_entries WHERE county_code = $1 AND township_code = $2 \
             AND entry_date >= $3 AND entry_date <= $4 ORDER BY id",
        )
        .bind(county)
        .bind(township.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let entries: Vec<ReserveEntry> = rows
            .iter()
            .map(|r| {
                let kind: String = get(r, "kind")?;
                Ok(ReserveEntry {
                    id: get(r, "id")?,
                    township: township.clone(),
                    kind: ReserveKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
                    amount: Fen::new(get(r, "amount_fen")?),
                    balance: Fen::new(get(r, "balance_fen")?),
                    case_id: get(r, "case_id")?,
                    note: get(r, "note")?,
                    date: get(r, "entry_date")?,
                })
            })
            .collect::<Result<_>>()?;
        let closing = entries.last().map_or(Fen::new(opening), |e| e.balance);
        Ok(ReserveStatement {
            township: township.clone(),
            from,
            to,
            opening: Fen::new(opening),
            entries,
            closing,
        })
    }
}
