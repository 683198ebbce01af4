// Dynamic management (动态管理) of the SQL store: the village's monthly visits (走访, 零报告)
// and the township's re-checks (复核) with their effect on the entitlement. Included by each
// backend after `supervision.rs`, so it shares the imports and helpers of `store.rs` and
// `payroll.rs`; see `jiuzhu_store::dynamic` for the commands and records, and ARCHITECTURE.md
// "Dynamic management" for the rules. Tables: migration 0010.
//
// A re-check that changes the amount writes the entitlement through `change_entitlement`,
// the same code as `Command::ChangeEntitlement` (frozen months, status rules, the
// `entitlement.changed` event), inside the re-check's own transaction: the re-check and the
// change are recorded together or not at all.

use jiuzhu_domain::dynamic::{self as dy, Assessment, ChangeKind};
use jiuzhu_store::dynamic::{
    DueReason, DynamicCommand, Recheck, RecheckDue, RecheckFilter, RecheckOutcome, Visit,
    RecheckDetail, VisitLine, codes as dcodes,
};

/// Changes as stored: their machine names, comma-separated, in a fixed order, no repeats.
fn changes_text(changes: &[ChangeKind]) -> String {
    let set: std::collections::BTreeSet<ChangeKind> = changes.iter().copied().collect();
    set.into_iter()
        .map(ChangeKind::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

fn changes_col(row: &DbRow, col: &str) -> Result<Vec<ChangeKind>> {
    let text: String = get(row, col)?;
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| ChangeKind::parse(s).ok_or_else(|| corrupt("change kind", s)))
        .collect()
}

const VISIT_COLUMNS: &str = "v.id, v.household_id, v.month_ym, v.visited_on, v.zero_report, \
     v.changes, v.note, v.visitor_id, u.display_name AS visitor, v.recorded_at";

fn visit_from_row(row: &DbRow) -> Result<Visit> {
    Ok(Visit {
        id: get(row, "id")?,
        household_id: get(row, "household_id")?,
        month: month_col(row, "month_ym")?,
        visited_on: get(row, "visited_on")?,
        zero_report: get(row, "zero_report")?,
        changes: changes_col(row, "changes")?,
        note: get(row, "note")?,
        visitor_id: get(row, "visitor_id")?,
        visitor: get(row, "visitor")?,
        recorded_at: get(row, "recorded_at")?,
    })
}

const RECHECK_COLUMNS: &str = "id, household_id, program, village_code, township_code, case_id, \
     checked_on, stable, outcome, previous_fen, amount_fen, effective_ym, stop_ym, next_due, \
     findings, reason_zh, detail, recorded_by, recorded_at";

fn recheck_from_row(row: &DbRow) -> Result<Recheck> {
    let outcome: String = get(row, "outcome")?;
    let effective: Option<i64> = get(row, "effective_ym")?;
    let stop: Option<i64> = get(row, "stop_ym")?;
    let detail: Json<RecheckDetail> = get(row, "detail")?;
    Ok(Recheck {
        id: get(row, "id")?,
        household_id: get(row, "household_id")?,
        program: program_col(row, "program")?,
        village: division_col(row, "village_code")?,
        township: division_col(row, "township_code")?,
        case_id: get(row, "case_id")?,
        checked_on: get(row, "checked_on")?,
        stable: get(row, "stable")?,
        outcome: RecheckOutcome::parse(&outcome).ok_or_else(|| corrupt("outcome", &outcome))?,
        previous: Fen::new(get(row, "previous_fen")?),
        amount: Fen::new(get(row, "amount_fen")?),
        effective: effective.and_then(Month::from_index),
        stop_from: stop.and_then(Month::from_index),
        next_due: get(row, "next_due")?,
        findings: get(row, "findings")?,
        reason_zh: get(row, "reason_zh")?,
        calculation: detail.0.calculation,
        members: detail.0.members,
        recorded_by: get(row, "recorded_by")?,
        recorded_at: get(row, "recorded_at")?,
    })
}

/// Entitlements that pay monthly and are not stopped (or stop after `$2`): the recipients.
const RECIPIENT_CONDITION: &str = "e.one_off = FALSE AND e.program <> 'dishouru' \
     AND (e.status <> 'stopped' OR e.effective_ym > $2) AND e.start_ym <= $2";

impl SqlStore {
    /// The dynamic-management commands, inside `execute`'s transaction.
    async fn dynamic_command(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        rules: &Rules,
        command: DynamicCommand,
        locked: &mut Option<ChainHead>,
    ) -> Result<Recorded> {
        match command {
            DynamicCommand::RecordVisit {
                household_id,
                month,
                visited_on,
                zero_report,
                changes,
                note,
            } => {
                Self::record_visit(
                    tx,
                    ctx,
                    locked,
                    household_id,
                    month,
                    visited_on,
                    zero_report,
                    changes,
                    note,
                )
                .await
            }
            DynamicCommand::RecordRecheck {
                household_id,
                program,
                checked_on,
                stable,
                members,
                eligible,
                findings,
            } => {
                Self::record_recheck(
                    tx,
                    ctx,
                    rules,
                    locked,
                    household_id,
                    program,
                    checked_on,
                    stable,
                    members,
                    eligible,
                    findings,
                )
                .await
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_visit(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        locked: &mut Option<ChainHead>,
        household_id: i64,
        month: Month,
        visited_on: NaiveDate,
        zero_report: bool,
        changes: Vec<ChangeKind>,
        note: String,
    ) -> Result<Recorded> {
        let user = match &ctx.actor {
            Actor::User(u)
                if matches!(
                    u.role,
                    Role::VillageAssistant | Role::TownshipCaseworker | Role::TownshipHead
                ) =>
            {
                u
            }
            _ => {
                return Err(refused(
                    dcodes::WRONG_ROLE,
                    "monthly visits are recorded by the village assistant or the township's caseworker",
                    "每月走访由村（居）协理员或乡镇经办人登记",
                ));
            }
        };
        let (county, village) = Self::household_in_scope(tx, ctx, household_id).await?;
        let note = multiline("note", &note)?;
        check_text("note", &note, dy::MAX_NOTE_CHARS)?;
        dy::check_visit(zero_report, &changes, visited_on, month.first_day())
            .map_err(|e| refused(e.code(), e.to_string(), e.message_zh()))?;
        if visited_on > local_time(ctx.now).date() {
            return Err(refused(
                dcodes::VISIT_DATE,
                format!("the visit is dated {visited_on}, later than today"),
                "走访日期不能晚于今天",
            ));
        }
        Self::lock_county(tx, locked, &county).await?;
        let programs: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT e.program FROM entitlements e WHERE e.county_code = $1 \
             AND e.household_id = $3 AND {RECIPIENT_CONDITION} ORDER BY e.program"
        )))
        .bind(&county)
        .bind(month.index())
        .bind(household_id)
        .fetch_all(&mut **tx)
        .await
        .map_err(db_err)?;
        if programs.is_empty() {
            return Err(refused(
                dcodes::NOT_RECIPIENT,
                format!("household {household_id} receives no monthly payment in {month}"),
                format!("该家庭{month}不是按月领取救助金的对象，无需登记走访"),
            ));
        }
        let taken: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM visits WHERE county_code = $1 AND household_id = $2 AND month_ym = $3",
        )
        .bind(&county)
        .bind(household_id)
        .bind(month.index())
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?;
        if taken.is_some() {
            return Err(refused(
                dcodes::VISIT_RECORDED,
                format!("the visit of household {household_id} in {month} is recorded already"),
                format!("该家庭{month}的走访已登记，不能重复登记"),
            ));
        }
        let changes = if zero_report {
            String::new()
        } else {
            changes_text(&changes)
        };
        let id = Self::next_id(tx, "visit").await?;
        sqlx::query(
            "INSERT INTO visits (county_code, household_id, month_ym, id, village_code, \
             visited_on, zero_report, changes, note, visitor_id, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&county)
        .bind(household_id)
        .bind(month.index())
        .bind(id)
        .bind(village.as_str())
        .bind(visited_on)
        .bind(zero_report)
        .bind(&changes)
        .bind(&note)
        .bind(user.id)
        .bind(ctx.now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        // The note may name people: the log keeps its digest only.
        Ok((
            county,
            CommandOutcome::VisitRecorded {
                visit_id: id,
                household_id,
            },
            vec![NewEvent::new(
                "dynamic.visited",
                format!("household:{household_id}"),
                json!({
                    "visit_id": id,
                    "household_id": household_id,
                    "month": month,
                    "visited_on": visited_on,
                    "zero_report": zero_report,
                    "changes": changes,
                    "note_sha256": jiuzhu_store::event::sha256_hex(note.as_bytes()),
                }),
            )],
        ))
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_recheck(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        rules: &Rules,
        locked: &mut Option<ChainHead>,
        household_id: i64,
        program: Program,
        checked_on: NaiveDate,
        stable: bool,
        members: Vec<jiuzhu_domain::case::MemberFacts>,
        eligible: bool,
        findings: String,
    ) -> Result<Recorded> {
        let (county, village) = Self::household_in_scope(tx, ctx, household_id).await?;
        policy::manage_entitlement(&ctx.actor, &village)?;
        let Actor::User(user) = &ctx.actor else {
            return Err(StoreError::Forbidden(
                "re-checks are recorded by user accounts".to_string(),
            ));
        };
        let findings = multiline("findings", &findings)?;
        check_text("findings", &findings, dy::MAX_NOTE_CHARS)?;
        if findings.is_empty() {
            return Err(StoreError::Invalid(
                "write down what the re-check found (it goes on the notice)".to_string(),
            ));
        }
        let today = local_time(ctx.now).date();
        if checked_on > today {
            return Err(refused(
                dcodes::RECHECK_DATE,
                format!("the re-check is dated {checked_on}, later than today"),
                "复核日期不能晚于今天",
            ));
        }
        Self::lock_county(tx, locked, &county).await?;
        let no_entitlement = || {
            refused(
                dcodes::NOT_RECIPIENT,
                format!("household {household_id} receives no monthly {program} payment"),
                format!("该家庭不是按月领取{}的对象", program.name_zh()),
            )
        };
        let ent = Self::entitlement_in_tx(tx, &county, household_id, program)
            .await?
            .ok_or_else(no_entitlement)?;
        if ent.one_off || ent.status == EntitlementStatus::Stopped {
            return Err(no_entitlement());
        }
        let county_code = county_of(&village)?;
        let program_rules = rules
            .profiles
            .profile_for(&county_code)
            .and_then(|p| p.program(program))
            .ok_or_else(|| {
                StoreError::Invalid(format!("no procedure profile rules for {program} in {county}"))
            })?;
        // The approval's basis: the same formula and standards, the facts found now.
        let case_id = ent.case_id.ok_or_else(no_entitlement)?;
        let state: Json<CaseState> = sqlx::query_scalar("SELECT state FROM cases WHERE id = $1")
            .bind(case_id)
            .fetch_one(&mut **tx)
            .await
            .map_err(db_err)?;
        let Some((decided, jiuzhu_domain::case::Decision::Approve { calculation, .. })) =
            state.0.decision.as_ref().map(|d| (d.signed.at.date(), &d.decision))
        else {
            return Err(no_entitlement());
        };
        if checked_on < decided {
            return Err(refused(
                dcodes::RECHECK_DATE,
                format!("the re-check of {checked_on} is before the approval ({decided})"),
                format!("复核日期早于批准日期{decided}"),
            ));
        }
        let current = if ent.status == EntitlementStatus::Suspended {
            ent.base
        } else {
            ent.monthly
        };
        let assessment = dy::assess(program, program_rules, &calculation.basis, &members, current, eligible)
            .map_err(|e| refused(dcodes::RECHECK_AMOUNT, e.to_string(), e.message_zh()))?;
        // A change applies from the month after the re-check, or from the first month whose
        // roster is not yet settled.
        let mut effective = Month::of(checked_on).next().max(ent.effective).max(ent.start);
        if let Some(f) = Self::frozen_through(tx, &county, &ent.township, program).await? {
            effective = effective.max(f.next());
        }
        let months_after = |m: Month, n: u32| Month::from_index(m.index() + i64::from(n)).unwrap_or(m);
        let (outcome, change, reason_zh, stop_from, calculation) = match &assessment {
            Assessment::Unchanged { .. } => (
                RecheckOutcome::Unchanged,
                None,
                "经复核，家庭情况与待遇相符，维持原待遇".to_string(),
                None,
                None,
            ),
            Assessment::Increase { calculation } => (
                RecheckOutcome::Increase,
                Some((EntitlementChange::Increase { monthly: calculation.amount }, effective)),
                format!("经复核，按新核定的家庭收入和人口，月救助金由{current}元调整为{}元", calculation.amount),
                None,
                Some(calculation.clone()),
            ),
            Assessment::Reduce { calculation } => (
                RecheckOutcome::Reduce,
                Some((EntitlementChange::Reduce { monthly: calculation.amount }, effective)),
                format!("经复核，按新核定的家庭收入和人口，月救助金由{current}元调整为{}元", calculation.amount),
                None,
                Some(calculation.clone()),
            ),
            Assessment::GradualExit { months, reason_zh } => {
                let stop = months_after(effective, *months);
                (
                    RecheckOutcome::GradualExit,
                    Some((EntitlementChange::Stop, stop)),
                    format!("{reason_zh}；给予{months}个月渐退期，自{stop}起停发"),
                    Some(stop),
                    None,
                )
            }
            Assessment::Stop { reason_zh } => (
                RecheckOutcome::Stop,
                Some((EntitlementChange::Stop, effective)),
                format!("{reason_zh}，自{effective}起停发"),
                Some(effective),
                None,
            ),
        };
        let mut events = Vec::new();
        if let Some((change, from)) = change {
            let (_, _, changed) = Self::change_entitlement(
                tx,
                ctx,
                household_id,
                program,
                change,
                from,
                format!("复核：{findings}"),
                locked,
            )
            .await?;
            events.extend(changed);
        }
        let amount = assessment.new_amount(current);
        let interval = dy::recheck_interval(program_rules, stable).unwrap_or(12);
        let next_due = dy::next_recheck(checked_on, interval);
        let id = Self::next_id(tx, "recheck").await?;
        let detail = RecheckDetail {
            members,
            calculation,
        };
        let effective_col = outcome.needs_notice().then(|| effective.index());
        sqlx::query(
            "INSERT INTO rechecks (county_code, id, household_id, program, village_code, \
             township_code, case_id, checked_on, stable, outcome, previous_fen, amount_fen, \
             effective_ym, stop_ym, next_due, findings, reason_zh, detail, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20)",
        )
        .bind(&county)
        .bind(id)
        .bind(household_id)
        .bind(program.as_str())
        .bind(village.as_str())
        .bind(ent.township.as_str())
        .bind(case_id)
        .bind(checked_on)
        .bind(stable)
        .bind(outcome.as_str())
        .bind(current.fen())
        .bind(amount.fen())
        .bind(effective_col)
        .bind(stop_from.map(|m| m.index()))
        .bind(next_due)
        .bind(&findings)
        .bind(&reason_zh)
        .bind(Json(&detail))
        .bind(user.id)
        .bind(ctx.now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        events.push(NewEvent::new(
            "dynamic.rechecked",
            format!("recheck:{id}"),
            json!({
                "recheck_id": id,
                "household_id": household_id,
                "program": program,
                "case_id": case_id,
                "checked_on": checked_on,
                "stable": stable,
                "eligible": eligible,
                "outcome": outcome.as_str(),
                "previous_fen": current.fen(),
                "amount_fen": amount.fen(),
                "effective_month": outcome.needs_notice().then_some(effective),
                "stop_month": stop_from,
                "next_due": next_due,
                "findings_sha256": jiuzhu_store::event::sha256_hex(findings.as_bytes()),
            }),
        ));
        Ok((
            county,
            CommandOutcome::RecheckRecorded {
                recheck_id: id,
                result: outcome,
                monthly: amount,
                effective: outcome.needs_notice().then_some(effective),
            },
            events,
        ))
    }

    async fn recheck_visible(&self, actor: &Actor, id: i64) -> Result<bool> {
        self.division_of_visible(actor, "SELECT village_code FROM rechecks WHERE id = $1", id)
            .await
    }

    async fn visit_list_impl(
        &self,
        actor: &Actor,
        within: &DivisionCode,
        month: Month,
    ) -> Result<Vec<VisitLine>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT e.household_id, e.village_code, e.township_code, e.program, \
             (SELECT m.name FROM members m WHERE m.household_id = e.household_id \
              AND m.relation = 'head' ORDER BY m.seq LIMIT 1) AS head_name, \
             v.id AS visit_id \
             FROM entitlements e \
             LEFT JOIN visits v ON v.county_code = e.county_code \
              AND v.household_id = e.household_id AND v.month_ym = $2 \
             WHERE e.village_code LIKE $1 AND e.village_code LIKE $3 AND {RECIPIENT_CONDITION} \
             ORDER BY e.village_code, e.household_id, e.program"
        )))
        .bind(actor.scope().like_pattern())
        .bind(month.index())
        .bind(Scope::within(Some(within)).like_pattern())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let visits = sqlx::query(AssertSqlSafe(format!(
            "SELECT {VISIT_COLUMNS} FROM visits v JOIN users u ON u.id = v.visitor_id \
             WHERE v.village_code LIKE $1 AND v.village_code LIKE $2 AND v.month_ym = $3"
        )))
        .bind(actor.scope().like_pattern())
        .bind(Scope::within(Some(within)).like_pattern())
        .bind(month.index())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut by_household: std::collections::HashMap<i64, Visit> = visits
            .iter()
            .map(|r| visit_from_row(r).map(|v| (v.household_id, v)))
            .collect::<Result<_>>()?;
        let mut lines: Vec<VisitLine> = Vec::new();
        for row in &rows {
            let household_id: i64 = get(row, "household_id")?;
            let program = program_col(row, "program")?;
            if let Some(last) = lines.last_mut().filter(|l| l.household_id == household_id) {
                last.programs.push(program);
                continue;
            }
            let head: Option<String> = get(row, "head_name")?;
            lines.push(VisitLine {
                household_id,
                head_name: head.unwrap_or_default(),
                village: division_col(row, "village_code")?,
                township: division_col(row, "township_code")?,
                programs: vec![program],
                visit: by_household.remove(&household_id),
            });
        }
        Ok(lines)
    }

    async fn rechecks_impl(&self, actor: &Actor, filter: &RecheckFilter) -> Result<Vec<Recheck>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {RECHECK_COLUMNS} FROM rechecks WHERE village_code LIKE $1 \
             AND village_code LIKE $2 AND ($3 = 0 OR household_id = $3) \
             ORDER BY checked_on DESC, id DESC LIMIT 500"
        )))
        .bind(actor.scope().like_pattern())
        .bind(Scope::within(filter.within.as_ref()).like_pattern())
        .bind(filter.household_id.unwrap_or(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(recheck_from_row).collect()
    }

    async fn rechecks_due_impl(&self, actor: &Actor, within: &DivisionCode) -> Result<Vec<RecheckDue>> {
        let rules = self.rules()?;
        // One row per monthly entitlement that still pays: its latest re-check (if any) and
        // the changes visits reported after it.
        let rows = sqlx::query(
            "SELECT e.household_id, e.program, e.village_code, e.status, e.base_fen, \
             e.monthly_fen, e.start_ym, \
             (SELECT m.name FROM members m WHERE m.household_id = e.household_id \
              AND m.relation = 'head' ORDER BY m.seq LIMIT 1) AS head_name, \
             r.checked_on, r.next_due \
             FROM entitlements e \
             LEFT JOIN rechecks r ON r.id = (SELECT r2.id FROM rechecks r2 \
               WHERE r2.household_id = e.household_id AND r2.program = e.program \
               ORDER BY r2.checked_on DESC, r2.id DESC LIMIT 1) \
             WHERE e.village_code LIKE $1 AND e.village_code LIKE $2 \
             AND e.one_off = FALSE AND e.program <> 'dishouru' AND e.status <> 'stopped' \
             ORDER BY e.household_id, e.program",
        )
        .bind(actor.scope().like_pattern())
        .bind(Scope::within(Some(within)).like_pattern())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let changes = sqlx::query(
            "SELECT household_id, visited_on, changes FROM visits \
             WHERE village_code LIKE $1 AND village_code LIKE $2 AND zero_report = FALSE",
        )
        .bind(actor.scope().like_pattern())
        .bind(Scope::within(Some(within)).like_pattern())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut reported: std::collections::HashMap<i64, Vec<(NaiveDate, Vec<ChangeKind>)>> =
            std::collections::HashMap::new();
        for r in &changes {
            reported
                .entry(get(r, "household_id")?)
                .or_default()
                .push((get(r, "visited_on")?, changes_col(r, "changes")?));
        }
        let mut due = Vec::with_capacity(rows.len());
        for row in &rows {
            let household_id: i64 = get(row, "household_id")?;
            let program = program_col(row, "program")?;
            let village = division_col(row, "village_code")?;
            let last_checked: Option<NaiveDate> = get(row, "checked_on")?;
            let next_due: Option<NaiveDate> = get(row, "next_due")?;
            let start = month_col(row, "start_ym")?;
            let status: String = get(row, "status")?;
            let monthly = Fen::new(get(row, if status == "suspended" { "base_fen" } else { "monthly_fen" })?);
            // The visits that reported a change since the last re-check.
            let since: Vec<&(NaiveDate, Vec<ChangeKind>)> = reported
                .get(&household_id)
                .into_iter()
                .flatten()
                .filter(|(on, _)| last_checked.is_none_or(|c| *on >= c))
                .collect();
            let changes: Vec<ChangeKind> = since
                .iter()
                .flat_map(|(_, c)| c.iter().copied())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let scheduled = next_due.unwrap_or_else(|| {
                let months = county_of(&village)
                    .ok()
                    .and_then(|c| rules.profiles.profile_for(&c))
                    .and_then(|p| p.program(program))
                    .and_then(|r| dy::recheck_interval(r, false))
                    .unwrap_or(12);
                dy::next_recheck(start.first_day(), months)
            });
            let (reason, day) = match since.iter().map(|(on, _)| *on).min() {
                Some(first) => (DueReason::ChangeReported, first.min(scheduled)),
                None => (DueReason::Scheduled, scheduled),
            };
            let head: Option<String> = get(row, "head_name")?;
            due.push(RecheckDue {
                household_id,
                head_name: head.unwrap_or_default(),
                program,
                village,
                monthly,
                last_checked,
                due: day,
                reason,
                changes,
            });
        }
        due.sort_by_key(|d| (d.due, d.household_id));
        Ok(due)
    }
}
