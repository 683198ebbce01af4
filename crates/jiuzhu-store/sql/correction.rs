// Corrections of approvals (纠正) of the SQL store: what a `case.corrected` event does to the
// money. Included by each backend after `dynamic.rs`, so it shares the imports and helpers
// of `store.rs`, `payroll.rs` and `supervision.rs`; see ARCHITECTURE.md "Supervision" for the
// rules. Table: migration 0011.
//
// The case engine decides a correction (who, which approval, the amount from the facts
// found); `case_command` then calls `record_correction` inside the same transaction, which
// 1. checks the finding the correction rests on is a finding about this case (a spot check
//    must have found the decision wrong);
// 2. changes the entitlement from the first month whose roster is not settled yet (the
//    months already settled are paid as they were: the difference is what this computes);
// 3. computes, over the payments of settled months from the effective month on, what was
//    paid too much (to recover, 追回) and too little;
// 4. writes the `corrections` row and its event.
// A repayment (`SupervisionCommand::RecordRepayment`) reduces what is owed, never below zero.

use jiuzhu_domain::case::Correction as CorrectionKind;
use jiuzhu_store::CaseCorrection;
use jiuzhu_store::payroll::{PaidLine, overpayment};

const CORRECTION_COLUMNS: &str = "id, case_id, case_number, household_id, program, \
     township_code, village_code, finding, previous_fen, corrected_fen, stopped, effective_ym, \
     applies_ym, overpaid_fen, underpaid_fen, repaid_fen, reason, corrected_by, corrected_at";

fn correction_from_row(row: &DbRow) -> Result<CaseCorrection> {
    let finding: Json<FindingRef> = get(row, "finding")?;
    let applies: Option<i64> = get(row, "applies_ym")?;
    Ok(CaseCorrection {
        id: get(row, "id")?,
        case_id: get(row, "case_id")?,
        case_number: get(row, "case_number")?,
        household_id: get(row, "household_id")?,
        program: program_col(row, "program")?,
        township: division_col(row, "township_code")?,
        village: division_col(row, "village_code")?,
        finding: finding.0,
        previous: Fen::new(get(row, "previous_fen")?),
        corrected: Fen::new(get(row, "corrected_fen")?),
        stopped: get(row, "stopped")?,
        effective: month_col(row, "effective_ym")?,
        applies_from: applies.and_then(Month::from_index),
        overpaid: Fen::new(get(row, "overpaid_fen")?),
        underpaid: Fen::new(get(row, "underpaid_fen")?),
        repaid: Fen::new(get(row, "repaid_fen")?),
        reason: get(row, "reason")?,
        corrected_by: get(row, "corrected_by")?,
        corrected_at: get(row, "corrected_at")?,
    })
}

/// Who reads corrections and records repayments: county and township staff, finance.
fn handles_corrections(actor: &Actor) -> bool {
    match actor {
        Actor::User(u) => matches!(
            u.role,
            Role::CountyAdmin
                | Role::CountySupervisor
                | Role::FinanceOfficer
                | Role::TownshipCaseworker
                | Role::TownshipReviewer
                | Role::TownshipHead
        ),
        _ => true,
    }
}

impl SqlStore {
    /// The money side of a `case.corrected` event (see the top of this file), inside the
    /// case command's transaction; returns the events to append after the case's.
    async fn record_correction(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        county: &str,
        state: &CaseState,
        event: &jiuzhu_domain::case::Event,
    ) -> Result<Vec<NewEvent>> {
        use jiuzhu_domain::case::EventBody;
        let EventBody::Corrected {
            finding,
            previous_amount,
            correction,
            effective_month,
            reason,
            ..
        } = &event.body
        else {
            return Ok(Vec::new());
        };
        let h = &state.header;
        let info = Self::finding_info(tx, &ctx.actor, finding).await?;
        if info.case_id != Some(h.case_id) && info.case_number.as_deref() != Some(&h.number) {
            return Err(sup_err(
                "supervision.finding_of_another_case",
                format!(
                    "{} {} is not about case {}",
                    finding.kind(),
                    finding.id(),
                    h.case_id
                ),
            ));
        }
        if matches!(finding, FindingRef::SpotCheck { .. }) && !info.decision_wrong {
            return Err(sup_err(
                "supervision.decision_not_wrong",
                "the spot check did not find the decision wrong",
            ));
        }
        let corrected = correction.amount();
        let stopped = matches!(correction, CorrectionKind::Stop) || corrected == Fen::ZERO;
        let effective = Month::of(*effective_month);
        let mut events = Vec::new();
        let mut applies = None;
        let (mut over, mut under) = (Fen::ZERO, Fen::ZERO);
        let subject = format!("entitlement:{}:{}", h.household_id, h.program);
        let entitlement = Self::entitlement_in_tx(tx, county, h.household_id, h.program).await?;
        if let Some(old) = entitlement {
            if old.case_id != Some(h.case_id) {
                return Err(refused(
                    codes::ENTITLEMENT_REPLACED,
                    format!(
                        "the {} entitlement of household {} was granted by case {:?}; correct that case",
                        h.program,
                        h.household_id,
                        old.case_id
                    ),
                    "该家庭的现行待遇由之后的另一案件批准，请对该案件作出纠正",
                ));
            }
            let frozen = Self::frozen_through(tx, county, &old.township, h.program).await?;
            // What the settled months paid (or will pay: a settled roster is paid as signed).
            let lines = sqlx::query(
                "SELECT for_ym, months, amount_fen, backpay_fen FROM payments \
                 WHERE county_code = $1 AND household_id = $2 AND program = $3 \
                 AND status IN ('paid', 'pending') AND month_ym <= $4 ORDER BY for_ym, id",
            )
            .bind(county)
            .bind(h.household_id)
            .bind(h.program.as_str())
            .bind(frozen.map_or(i64::MIN, Month::index))
            .fetch_all(&mut **tx)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| {
                let months: i64 = get(r, "months")?;
                Ok(PaidLine {
                    for_month: month_col(r, "for_ym")?,
                    months: u32::try_from(months).map_err(|e| corrupt("months", e))?,
                    amount: Fen::new(get(r, "amount_fen")?),
                    backpay: Fen::new(get(r, "backpay_fen")?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
            (over, under) = overpayment(&lines, effective, corrected, old.one_off);
            let paid_once = old.one_off && (!lines.is_empty() || old.paid_through.is_some());
            if old.status != EntitlementStatus::Stopped && !paid_once {
                // A one-off payment not yet paid is paid at the corrected amount, whatever
                // its month; a monthly one changes from the first unsettled month.
                let first_open = frozen.map_or(old.start, Month::next);
                let from = if old.one_off {
                    old.start
                } else {
                    effective.max(first_open).max(old.start)
                };
                let previous = if from <= old.start {
                    Fen::ZERO
                } else {
                    old.amount_for(from.prev())
                };
                let (status, base, monthly) = if stopped {
                    (EntitlementStatus::Stopped, old.base, Fen::ZERO)
                } else if old.status == EntitlementStatus::Suspended {
                    (EntitlementStatus::Suspended, corrected, Fen::ZERO)
                } else {
                    (EntitlementStatus::Active, corrected, corrected)
                };
                sqlx::query(
                    "UPDATE entitlements SET status = $4, base_fen = $5, monthly_fen = $6, \
                     prev_fen = $7, effective_ym = $8, updated_at = $9 \
                     WHERE county_code = $1 AND household_id = $2 AND program = $3",
                )
                .bind(county)
                .bind(h.household_id)
                .bind(h.program.as_str())
                .bind(status.as_str())
                .bind(base.fen())
                .bind(monthly.fen())
                .bind(previous.fen())
                .bind(from.index())
                .bind(ctx.now)
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
                Self::next_id(tx, &format!("entitlements:{county}")).await?;
                applies = Some(from);
                events.push(NewEvent::new(
                    "entitlement.corrected",
                    subject,
                    json!({
                        "household_id": h.household_id,
                        "program": h.program,
                        "case_id": h.case_id,
                        "from_fen": old.monthly.fen(),
                        "to_fen": monthly.fen(),
                        "status": status.as_str(),
                        "effective_month": from,
                    }),
                ));
            }
        }
        let id = Self::next_id(tx, "correction").await?;
        let user_id = match &ctx.actor {
            Actor::User(u) => u.id,
            _ => event.by,
        };
        sqlx::query(
            "INSERT INTO corrections (id, county_code, township_code, village_code, case_id, \
             case_number, household_id, program, finding, previous_fen, corrected_fen, stopped, \
             effective_ym, applies_ym, overpaid_fen, underpaid_fen, repaid_fen, reason, \
             corrected_by, corrected_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 0, \
             $17, $18, $19)",
        )
        .bind(id)
        .bind(county)
        .bind(h.township.as_str())
        .bind(h.village.as_str())
        .bind(h.case_id)
        .bind(&h.number)
        .bind(h.household_id)
        .bind(h.program.as_str())
        .bind(Json(finding))
        .bind(previous_amount.fen())
        .bind(corrected.fen())
        .bind(stopped)
        .bind(effective.index())
        .bind(applies.map(Month::index))
        .bind(over.fen())
        .bind(under.fen())
        .bind(reason)
        .bind(user_id)
        .bind(ctx.now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        events.push(NewEvent::new(
            "correction.recorded",
            format!("correction:{id}"),
            json!({
                "correction_id": id,
                "case_id": h.case_id,
                "household_id": h.household_id,
                "program": h.program,
                "finding": finding,
                "previous_fen": previous_amount.fen(),
                "corrected_fen": corrected.fen(),
                "stopped": stopped,
                "effective_month": effective,
                "applies_from": applies,
                "overpaid_fen": over.fen(),
                "underpaid_fen": under.fen(),
                "reason_sha256": jiuzhu_store::event::sha256_hex(reason.as_bytes()),
            }),
        ));
        Ok(events)
    }

    /// 追回 a repayment on a correction's overpayment.
    async fn record_repayment(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        locked: &mut Option<ChainHead>,
        correction_id: i64,
        amount: Fen,
        note: String,
    ) -> Result<Recorded> {
        if !handles_corrections(&ctx.actor) {
            return Err(sup_err(
                "supervision.wrong_role",
                "only county or township staff record repayments",
            ));
        }
        let not_found = || StoreError::NotFound(format!("correction {correction_id}"));
        let row = sqlx::query(
            "SELECT county_code, village_code, overpaid_fen, repaid_fen FROM corrections \
             WHERE id = $1",
        )
        .bind(correction_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?
        .ok_or_else(not_found)?;
        if !ctx.actor.scope().contains(&division_col(&row, "village_code")?) {
            return Err(not_found());
        }
        let county: String = get(&row, "county_code")?;
        Self::lock_county(tx, locked, &county).await?;
        // Read again under the lock: another repayment may have come first.
        let (overpaid, repaid): (i64, i64) =
            sqlx::query_as("SELECT overpaid_fen, repaid_fen FROM corrections WHERE id = $1")
                .bind(correction_id)
                .fetch_one(&mut **tx)
                .await
                .map_err(db_err)?;
        let outstanding = Fen::new(overpaid - repaid);
        if amount <= Fen::ZERO {
            return Err(sup_err(
                "supervision.invalid_amount",
                "the amount repaid must be more than zero",
            ));
        }
        if amount > outstanding {
            return Err(sup_err(
                "supervision.repayment_exceeds",
                format!("{amount} is more than the {outstanding} still owed"),
            ));
        }
        let note = multiline("note", &note)?;
        check_text("note", &note, MAX_REASON_CHARS)?;
        sqlx::query("UPDATE corrections SET repaid_fen = repaid_fen + $2 WHERE id = $1")
            .bind(correction_id)
            .bind(amount.fen())
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
        let subject = format!("correction:{correction_id}");
        Ok((
            county,
            CommandOutcome::SupervisionRecorded {
                subject: subject.clone(),
                due_date: None,
            },
            vec![NewEvent::new(
                "correction.repaid",
                subject,
                json!({
                    "correction_id": correction_id,
                    "amount_fen": amount.fen(),
                    "outstanding_fen": (outstanding - amount).fen(),
                    "note_sha256": jiuzhu_store::event::sha256_hex(note.as_bytes()),
                }),
            )],
        ))
    }

    /// Whether the actor may see the correction (`events_for`).
    async fn correction_visible(&self, actor: &Actor, id: i64) -> Result<bool> {
        if !handles_corrections(actor) {
            return Ok(false);
        }
        self.division_of_visible(actor, "SELECT village_code FROM corrections WHERE id = $1", id)
            .await
    }

    async fn corrections_impl(
        &self,
        actor: &Actor,
        within: Option<&DivisionCode>,
    ) -> Result<Vec<CaseCorrection>> {
        if !handles_corrections(actor) {
            return Err(StoreError::Forbidden(
                "corrections are for county and township staff".to_string(),
            ));
        }
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CORRECTION_COLUMNS} FROM corrections WHERE village_code LIKE $1 \
             AND village_code LIKE $2 ORDER BY corrected_at DESC, id DESC LIMIT 500"
        )))
        .bind(actor.scope().like_pattern())
        .bind(Scope::within(within).like_pattern())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(correction_from_row).collect()
    }
}
