// County supervision (监督) of the SQL store: filing review (备案审查), spot checks (抽查),
// rectification (整改), complaints (投诉举报) and dishonesty records (失信记录). Included by
// each backend right after `store.rs`, so it shares its imports, helpers and `SqlStore`;
// see `jiuzhu_store::supervision` for the commands and records and ARCHITECTURE.md
// "Supervision" for the rules.
//
// Every command here runs inside `execute`'s transaction like any other: it locks its
// county's chain first (commands of one county serialize on both backends), checks role and
// jurisdiction, writes its table and returns its events, which go to the county's chain.

use jiuzhu_domain::supervision::{
    self as sup, ComplaintChannel, ComplaintOutcome, FilingOutcome, RectificationStatus,
};
use jiuzhu_store::supervision::{
    Complaint, ComplaintStat, DishonestyRecord, Filing, FilingFilter, FilingReview, FindingRef,
    MAX_SUPERVISION_TEXT, Rectification, RectificationFilter, SpotCheckDraw, SpotCheckFeedback,
    SpotCheckItem, SpotCheckRecord, SpotCheckResult, SupervisionCommand, TownshipSupervision,
};

type Recorded = (String, CommandOutcome, Vec<NewEvent>);

/// Open bounds of date filters, inside both backends' date ranges.
const EARLIEST: NaiveDate = NaiveDate::from_ymd_opt(1, 1, 1).expect("a valid date");
const LATEST: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");

fn sup_err(code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::supervision(code, message)
}

fn is_county_staff(role: Role) -> bool {
    matches!(role, Role::CountyAdmin | Role::CountySupervisor)
}

fn is_township_staff(role: Role) -> bool {
    matches!(
        role,
        Role::TownshipCaseworker | Role::TownshipReviewer | Role::TownshipHead
    )
}

/// The county administrator or supervisor running the command.
/// The county's side of supervision (filing review, draws, checks, feedback, orders and
/// their conclusion, dishonesty records) is done by the county's own staff: an account above
/// a county (a prefecture's supervisor, e.g. 泰安市) watches its counties' supervision but does
/// not act in their name.
fn county_staff(actor: &Actor) -> Result<&jiuzhu_store::UserActor> {
    match actor {
        Actor::User(u) if is_county_staff(u.role) => {
            if u.division.level() == jiuzhu_domain::DivisionLevel::County {
                Ok(u)
            } else {
                Err(sup_err(
                    "supervision.not_county_account",
                    format!(
                        "an account at {} watches its counties' supervision; the county's own staff act",
                        u.division
                    ),
                ))
            }
        }
        _ => Err(sup_err(
            "supervision.wrong_role",
            "only a county administrator or supervisor may do this",
        )),
    }
}

/// A required free text of a supervision record: trimmed, 1 to 2,000 characters.
fn sup_text(field: &str, text: &str) -> Result<String> {
    let text = multiline(field, text)?;
    if text.is_empty() {
        return Err(sup_err(
            "supervision.text_required",
            format!("{field} is empty"),
        ));
    }
    if text.chars().count() > MAX_SUPERVISION_TEXT {
        return Err(sup_err(
            "supervision.text_too_long",
            format!("{field} is longer than {MAX_SUPERVISION_TEXT} characters"),
        ));
    }
    Ok(text)
}

/// An optional free text: `None` when empty.
fn sup_text_opt(field: &str, text: Option<&str>) -> Result<Option<String>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => sup_text(field, t).map(Some),
        None => Ok(None),
    }
}

fn supervised_county_of(code: &str) -> Result<DivisionCode> {
    DivisionCode::parse(&code[..6.min(code.len())]).map_err(|e| corrupt("county code", e))
}

fn parse_stored<T: std::str::FromStr>(what: &str, s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse::<T>().map_err(|e| corrupt(what, e))
}

/// What a finding says, wherever it was made.
struct FindingInfo {
    county: String,
    township: DivisionCode,
    case_id: Option<i64>,
    case_number: Option<String>,
    decision_wrong: bool,
    /// The record found a problem (a filing with questions or needing rectification, a
    /// check with a problem, a substantiated complaint).
    is_finding: bool,
}

const FILING_COLUMNS: &str = "id, case_id, case_number, program, township_code, village_code, \
     approved, amount_fen, decided_on, decided_by, filed_at, review_outcome, review_opinion, \
     reviewed_by, reviewed_at";
const RECTIFICATION_COLUMNS: &str = "id, township_code, case_id, finding_kind, finding_id, \
     decision_wrong, requirement, period, ordered_by, ordered_at, due_date, status, response, \
     responded_by, responded_at, rejections, conclusion, closed_by, closed_at";
const COMPLAINT_COLUMNS: &str = "id, channel, division_code, township_code, handler_code, \
     case_number, content, contact, received_by, received_at, due_date, outcome, reply, \
     answered_by, answered_at";
const ITEM_COLUMNS: &str = "i.draw_id, d.period, d.superseded, i.case_id, i.case_number, \
     i.filing_id, i.program, i.township_code, i.approved, i.result, i.findings, \
     i.decision_wrong, i.repeat_visit, i.checked_by, i.checked_at";

fn filing_from_row(row: &DbRow) -> Result<Filing> {
    let outcome: Option<String> = get(row, "review_outcome")?;
    let review = match outcome {
        Some(o) => Some(FilingReview {
            outcome: parse_stored::<FilingOutcome>("filing outcome", &o)?,
            opinion: get::<Option<String>>(row, "review_opinion")?.unwrap_or_default(),
            reviewed_by: get::<Option<i64>>(row, "reviewed_by")?.unwrap_or_default(),
            reviewed_at: get::<Option<DateTime<Utc>>>(row, "reviewed_at")?
                .ok_or_else(|| corrupt("filing review", "no time"))?,
        }),
        None => None,
    };
    let program: String = get(row, "program")?;
    Ok(Filing {
        id: get(row, "id")?,
        case_id: get(row, "case_id")?,
        case_number: get(row, "case_number")?,
        program: parse_stored("program", &program)?,
        township: division_col(row, "township_code")?,
        village: division_col(row, "village_code")?,
        approved: get(row, "approved")?,
        amount: get::<Option<i64>>(row, "amount_fen")?.map(Fen::new),
        decided_on: get(row, "decided_on")?,
        decided_by: get(row, "decided_by")?,
        filed_at: get(row, "filed_at")?,
        review,
    })
}

fn finding_from_cols(kind: &str, id: i64, case_id: Option<i64>) -> Result<FindingRef> {
    Ok(match kind {
        "filing" => FindingRef::Filing { filing_id: id },
        "spot_check" => FindingRef::SpotCheck {
            draw_id: id,
            case_id: case_id.ok_or_else(|| corrupt("finding", "spot check without a case"))?,
        },
        "complaint" => FindingRef::Complaint { complaint_id: id },
        other => return Err(corrupt("finding kind", other)),
    })
}

fn rectification_from_row(row: &DbRow) -> Result<Rectification> {
    let case_id: Option<i64> = get(row, "case_id")?;
    let kind: String = get(row, "finding_kind")?;
    let status: String = get(row, "status")?;
    Ok(Rectification {
        id: get(row, "id")?,
        township: division_col(row, "township_code")?,
        case_id,
        finding: finding_from_cols(&kind, get(row, "finding_id")?, case_id)?,
        decision_wrong: get(row, "decision_wrong")?,
        requirement: get(row, "requirement")?,
        period: get(row, "period")?,
        ordered_by: get(row, "ordered_by")?,
        ordered_at: get(row, "ordered_at")?,
        due_date: get(row, "due_date")?,
        status: parse_stored::<RectificationStatus>("rectification status", &status)?,
        response: get(row, "response")?,
        responded_by: get(row, "responded_by")?,
        responded_at: get(row, "responded_at")?,
        rejections: u32::try_from(get::<i64>(row, "rejections")?).unwrap_or(u32::MAX),
        conclusion: get(row, "conclusion")?,
        closed_by: get(row, "closed_by")?,
        closed_at: get(row, "closed_at")?,
    })
}

fn complaint_from_row(row: &DbRow) -> Result<Complaint> {
    let channel: String = get(row, "channel")?;
    let outcome: Option<String> = get(row, "outcome")?;
    Ok(Complaint {
        id: get(row, "id")?,
        channel: parse_stored::<ComplaintChannel>("complaint channel", &channel)?,
        division: division_col(row, "division_code")?,
        township: division_col(row, "township_code")?,
        handler: division_col(row, "handler_code")?,
        case_number: get(row, "case_number")?,
        content: get(row, "content")?,
        contact: get(row, "contact")?,
        received_by: get(row, "received_by")?,
        received_at: get(row, "received_at")?,
        due_date: get(row, "due_date")?,
        outcome: outcome
            .map(|o| parse_stored::<ComplaintOutcome>("complaint outcome", &o))
            .transpose()?,
        reply: get(row, "reply")?,
        answered_by: get(row, "answered_by")?,
        answered_at: get(row, "answered_at")?,
    })
}

fn item_from_row(row: &DbRow) -> Result<SpotCheckItem> {
    let result: Option<String> = get(row, "result")?;
    let check = match result.as_deref() {
        None => None,
        Some(r) => Some(SpotCheckRecord {
            result: match r {
                "correct" => SpotCheckResult::Correct,
                "problem" => SpotCheckResult::ProblemFound {
                    findings: get::<Option<String>>(row, "findings")?.unwrap_or_default(),
                    decision_wrong: get::<Option<bool>>(row, "decision_wrong")?.unwrap_or_default(),
                },
                other => return Err(corrupt("spot check result", other)),
            },
            repeat_visit: get(row, "repeat_visit")?,
            checked_by: get::<Option<i64>>(row, "checked_by")?.unwrap_or_default(),
            checked_at: get::<Option<DateTime<Utc>>>(row, "checked_at")?
                .ok_or_else(|| corrupt("spot check", "no time"))?,
        }),
    };
    let period: String = get(row, "period")?;
    let program: String = get(row, "program")?;
    Ok(SpotCheckItem {
        draw_id: get(row, "draw_id")?,
        period: parse_stored("period", &period)?,
        case_id: get(row, "case_id")?,
        case_number: get(row, "case_number")?,
        filing_id: get(row, "filing_id")?,
        program: parse_stored("program", &program)?,
        township: division_col(row, "township_code")?,
        approved: get(row, "approved")?,
        superseded: get(row, "superseded")?,
        check,
    })
}

impl SqlStore {
    /// 备案: files a township decision of the case engine with the county, in the decision's
    /// transaction. Returns the `supervision.filed` event, or `None` for anything that is not
    /// a decision under a township's grant (county decisions are the county's own).
    async fn file_township_decision(
        tx: &mut Tx<'_>,
        county: &str,
        state: &CaseState,
        event: &jiuzhu_domain::case::Event,
        now: DateTime<Utc>,
    ) -> Result<Option<NewEvent>> {
        let jiuzhu_domain::case::EventBody::Decided {
            decision,
            authority: jiuzhu_domain::delegation::Authority::Township { grant_id, .. },
            ..
        } = &event.body
        else {
            return Ok(None);
        };
        let h = &state.header;
        let amount = match decision {
            CaseDecision::Approve { amount, .. } => Some(amount.fen()),
            CaseDecision::Refuse { .. } => None,
        };
        let id = Self::next_id(tx, "filing").await?;
        sqlx::query(
            "INSERT INTO filings (county_code, id, case_id, case_number, program, township_code, \
             village_code, approved, amount_fen, decided_on, decided_by, case_version, filed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(county)
        .bind(id)
        .bind(h.case_id)
        .bind(&h.number)
        .bind(h.program.as_str())
        .bind(h.township.as_str())
        .bind(h.village.as_str())
        .bind(decision.is_approve())
        .bind(amount)
        .bind(event.at.date())
        .bind(event.by)
        .bind(state.version as i64)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        Ok(Some(NewEvent::new(
            "supervision.filed",
            format!("filing:{id}"),
            json!({
                "filing_id": id,
                "case_id": h.case_id,
                "case_number": h.number,
                "program": h.program,
                "township": h.township,
                "approved": decision.is_approve(),
                "amount_fen": amount,
                "decided_on": event.at.date(),
                "decided_by": event.by,
                "grant_id": grant_id,
            }),
        )))
    }

    /// Runs a supervision command inside the caller's transaction.
    async fn supervision_command(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        rules: &Rules,
        command: SupervisionCommand,
        locked: &mut Option<ChainHead>,
    ) -> Result<Recorded> {
        match command {
            SupervisionCommand::ReviewFiling {
                filing_id,
                outcome,
                opinion,
            } => Self::review_filing(tx, ctx, locked, filing_id, outcome, opinion).await,
            SupervisionCommand::DrawSample {
                county,
                period,
                seed,
                redraw_reason,
            } => {
                Self::draw_sample(tx, ctx, rules, locked, county, period, seed, redraw_reason).await
            }
            SupervisionCommand::RecordSpotCheck {
                draw_id,
                case_id,
                result,
                repeat_visit,
            } => {
                Self::record_spot_check(tx, ctx, locked, draw_id, case_id, result, repeat_visit)
                    .await
            }
            SupervisionCommand::SendSpotCheckFeedback {
                draw_id,
                township,
                text,
            } => Self::send_feedback(tx, ctx, locked, draw_id, township, text).await,
            SupervisionCommand::OrderRectification {
                finding,
                requirement,
                working_days,
            } => {
                Self::order_rectification(
                    tx,
                    ctx,
                    rules,
                    locked,
                    finding,
                    requirement,
                    working_days,
                )
                .await
            }
            SupervisionCommand::RespondRectification {
                rectification_id,
                response,
            } => Self::respond_rectification(tx, ctx, locked, rectification_id, response).await,
            SupervisionCommand::ConcludeRectification {
                rectification_id,
                accept,
                opinion,
            } => {
                Self::conclude_rectification(tx, ctx, locked, rectification_id, accept, opinion)
                    .await
            }
            SupervisionCommand::ReceiveComplaint {
                channel,
                division,
                to_county,
                case_number,
                content,
                contact,
            } => {
                Self::receive_complaint(
                    tx,
                    ctx,
                    rules,
                    locked,
                    channel,
                    division,
                    to_county,
                    case_number,
                    content,
                    contact,
                )
                .await
            }
            SupervisionCommand::AnswerComplaint {
                complaint_id,
                outcome,
                reply,
            } => Self::answer_complaint(tx, ctx, locked, complaint_id, outcome, reply).await,
            SupervisionCommand::RecordDishonesty {
                case_id,
                finding,
                legal_basis,
                facts,
                amount_to_recover,
            } => {
                Self::record_dishonesty(
                    tx,
                    ctx,
                    rules,
                    locked,
                    case_id,
                    finding,
                    legal_basis,
                    facts,
                    amount_to_recover,
                )
                .await
            }
            SupervisionCommand::RecordRepayment {
                correction_id,
                amount,
                note,
            } => Self::record_repayment(tx, ctx, locked, correction_id, amount, note).await,
        }
    }

    /// Locks the county's chain for the rest of the command (its events go there).
    async fn lock_county(
        tx: &mut Tx<'_>,
        locked: &mut Option<ChainHead>,
        county: &str,
    ) -> Result<()> {
        if locked.as_ref().is_none_or(|h| h.chain != county) {
            *locked = Some(Self::lock_chain(tx, county).await?);
        }
        Ok(())
    }

    async fn review_filing(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        locked: &mut Option<ChainHead>,
        filing_id: i64,
        outcome: FilingOutcome,
        opinion: String,
    ) -> Result<Recorded> {
        let not_found = || StoreError::NotFound(format!("filing {filing_id}"));
        let row = sqlx::query(
            "SELECT county_code, village_code, case_id, case_number FROM filings WHERE id = $1",
        )
        .bind(filing_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?
        .ok_or_else(not_found)?;
        if !ctx
            .actor
            .scope()
            .contains(&division_col(&row, "village_code")?)
        {
            return Err(not_found());
        }
        let user = county_staff(&ctx.actor)?;
        let county: String = get(&row, "county_code")?;
        Self::lock_county(tx, locked, &county).await?;
        let opinion = sup_text("opinion", &opinion)?;
        let updated = sqlx::query(
            "UPDATE filings SET review_outcome = $2, review_opinion = $3, reviewed_by = $4, \
             reviewed_at = $5 WHERE id = $1 AND review_outcome IS NULL",
        )
        .bind(filing_id)
        .bind(outcome.as_str())
        .bind(&opinion)
        .bind(user.id)
        .bind(ctx.now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        if updated.rows_affected() != 1 {
            return Err(sup_err(
                "supervision.already_reviewed",
                format!("filing {filing_id} is already reviewed"),
            ));
        }
        let subject = format!("filing:{filing_id}");
        Ok((
            county,
            CommandOutcome::SupervisionRecorded {
                subject: subject.clone(),
                due_date: None,
            },
            vec![NewEvent::new(
                "supervision.filing_reviewed",
                subject,
                json!({
                    "filing_id": filing_id,
                    "case_id": get::<i64>(&row, "case_id")?,
                    "case_number": get::<String>(&row, "case_number")?,
                    "outcome": outcome,
                    "opinion": opinion,
                }),
            )],
        ))
    }

    #[allow(clippy::too_many_arguments)]
    async fn draw_sample(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        rules: &Rules,
        locked: &mut Option<ChainHead>,
        county: DivisionCode,
        period: sup::Month,
        seed: u64,
        redraw_reason: Option<String>,
    ) -> Result<Recorded> {
        if let Actor::User(_) = &ctx.actor {
            county_staff(&ctx.actor)?;
        }
        if county.level() != jiuzhu_domain::DivisionLevel::County {
            return Err(StoreError::Invalid(format!(
                "{county} is not a county-level division; draw per county"
            )));
        }
        ctx.actor.scope().require(&county, "county")?;
        if period.next_first_day() > local_time(ctx.now).date() {
            return Err(sup_err(
                "supervision.period_not_over",
                format!("{period} is not over yet"),
            ));
        }
        let profile = rules.profiles.profile_for(&county).ok_or_else(|| {
            StoreError::Invalid(format!("no procedure profile governs county {county}"))
        })?;
        let county_code = county.as_str().to_string();
        Self::lock_county(tx, locked, &county_code).await?;
        let standing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM spot_check_draws WHERE county_code = $1 AND period = $2 \
             AND NOT superseded",
        )
        .bind(&county_code)
        .bind(period.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?;
        let reason = sup_text_opt("redraw_reason", redraw_reason.as_deref())?;
        match (standing, &reason) {
            (Some(id), None) => {
                return Err(sup_err(
                    "supervision.sample_exists",
                    format!("county {county} has draw {id} for {period}; a re-draw needs a reason"),
                ));
            }
            (None, Some(_)) => {
                return Err(sup_err(
                    "supervision.no_draw_to_replace",
                    format!("county {county} has no draw for {period} to replace"),
                ));
            }
            (Some(id), Some(_)) => {
                sqlx::query("UPDATE spot_check_draws SET superseded = $2 WHERE id = $1")
                    .bind(id)
                    .bind(true)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
            }
            (None, None) => {}
        }
        // The filed decisions of the month; of a case decided twice, the latest.
        let rows = sqlx::query(
            "SELECT id, case_id, case_number, program, township_code, approved FROM filings \
             WHERE county_code = $1 AND decided_on >= $2 AND decided_on < $3 ORDER BY id",
        )
        .bind(&county_code)
        .bind(period.first_day())
        .bind(period.next_first_day())
        .fetch_all(&mut **tx)
        .await
        .map_err(db_err)?;
        let mut latest: std::collections::BTreeMap<String, (i64, i64, sup::Candidate)> =
            std::collections::BTreeMap::new();
        for row in &rows {
            let program: String = get(row, "program")?;
            let number: String = get(row, "case_number")?;
            latest.insert(
                number.clone(),
                (
                    get(row, "id")?,
                    get(row, "case_id")?,
                    sup::Candidate {
                        case_number: number,
                        township: division_col(row, "township_code")?,
                        program: parse_stored("program", &program)?,
                        approved: get(row, "approved")?,
                    },
                ),
            );
        }
        if latest.is_empty() {
            return Err(sup_err(
                "supervision.no_candidates",
                format!("county {county} filed no township decision in {period}"),
            ));
        }
        let candidates: Vec<sup::Candidate> = latest.values().map(|(_, _, c)| c.clone()).collect();
        let sample = sup::draw(&candidates, seed, |p| sup::rate(&profile.supervision, p));
        let draw_id = Self::next_id(tx, "spot_check_draw").await?;
        sqlx::query(
            "INSERT INTO spot_check_draws (county_code, id, period, seed, method, candidates, \
             sampled, strata, redraw_of, redraw_reason, superseded, drawn_by, drawn_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&county_code)
        .bind(draw_id)
        .bind(period.to_string())
        .bind(seed.to_string())
        .bind(&sample.method)
        .bind(sample.candidates as i64)
        .bind(sample.case_numbers.len() as i64)
        .bind(Json(&sample.strata))
        .bind(standing)
        .bind(&reason)
        .bind(false)
        .bind(ctx.actor.audit_name())
        .bind(ctx.now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        for number in &sample.case_numbers {
            let (filing_id, case_id, c) = latest
                .get(number)
                .ok_or_else(|| corrupt("sample", "a case number that is no candidate"))?;
            sqlx::query(
                "INSERT INTO spot_check_items (county_code, draw_id, case_id, case_number, \
                 filing_id, program, township_code, approved) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&county_code)
            .bind(draw_id)
            .bind(case_id)
            .bind(number)
            .bind(filing_id)
            .bind(c.program.as_str())
            .bind(c.township.as_str())
            .bind(c.approved)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
        }
        Ok((
            county_code.clone(),
            CommandOutcome::SampleDrawn {
                draw_id,
                county: county_code,
                period: period.to_string(),
                seed: seed.to_string(),
                method: sample.method.clone(),
                candidates: sample.candidates as u64,
                case_numbers: sample.case_numbers.clone(),
            },
            vec![NewEvent::new(
                "supervision.sample_drawn",
                format!("spot_check:{draw_id}"),
                json!({
                    "draw_id": draw_id,
                    "county": county,
                    "period": period,
                    "seed": seed.to_string(),
                    "method": sample.method,
                    "candidates": sample.candidates,
                    "strata": sample.strata,
                    "case_numbers": sample.case_numbers,
                    "redraw_of": standing,
                    "redraw_reason": reason,
                }),
            )],
        ))
    }

    /// The draw's county, if the draw exists and the actor's scope covers its county.
    async fn visible_draw(tx: &mut Tx<'_>, actor: &Actor, draw_id: i64) -> Result<String> {
        let county: Option<String> =
            sqlx::query_scalar("SELECT county_code FROM spot_check_draws WHERE id = $1")
                .bind(draw_id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_err)?;
        match county {
            Some(c) if actor.scope().contains(&supervised_county_of(&c)?) => Ok(c),
            _ => Err(StoreError::NotFound(format!("spot check draw {draw_id}"))),
        }
    }

    async fn record_spot_check(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        locked: &mut Option<ChainHead>,
        draw_id: i64,
        case_id: i64,
        result: SpotCheckResult,
        repeat_visit: Option<String>,
    ) -> Result<Recorded> {
        let user = county_staff(&ctx.actor)?;
        let county = Self::visible_draw(tx, &ctx.actor, draw_id).await?;
        Self::lock_county(tx, locked, &county).await?;
        let row = sqlx::query(
            "SELECT i.case_number, i.result, d.superseded FROM spot_check_items i \
             JOIN spot_check_draws d ON d.id = i.draw_id WHERE i.draw_id = $1 AND i.case_id = $2",
        )
        .bind(draw_id)
        .bind(case_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?
        .ok_or_else(|| {
            sup_err(
                "supervision.not_sampled",
                format!("case {case_id} is not in draw {draw_id}"),
            )
        })?;
        if get::<bool>(&row, "superseded")? {
            return Err(sup_err(
                "supervision.draw_superseded",
                format!("draw {draw_id} was replaced by a re-draw"),
            ));
        }
        if get::<Option<String>>(&row, "result")?.is_some() {
            return Err(sup_err(
                "supervision.already_checked",
                format!("case {case_id} of draw {draw_id} is already checked"),
            ));
        }
        let (code, findings, wrong) = match &result {
            SpotCheckResult::Correct => ("correct", None, None),
            SpotCheckResult::ProblemFound {
                findings,
                decision_wrong,
            } => (
                "problem",
                Some(sup_text("findings", findings)?),
                Some(*decision_wrong),
            ),
        };
        let repeat_visit = sup_text_opt("repeat_visit", repeat_visit.as_deref())?;
        sqlx::query(
            "UPDATE spot_check_items SET result = $3, findings = $4, decision_wrong = $5, \
             repeat_visit = $6, checked_by = $7, checked_at = $8 \
             WHERE draw_id = $1 AND case_id = $2 AND result IS NULL",
        )
        .bind(draw_id)
        .bind(case_id)
        .bind(code)
        .bind(&findings)
        .bind(wrong)
        .bind(&repeat_visit)
        .bind(user.id)
        .bind(ctx.now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        let subject = format!("spot_check:{draw_id}");
        Ok((
            county,
            CommandOutcome::SupervisionRecorded {
                subject: subject.clone(),
                due_date: None,
            },
            vec![NewEvent::new(
                "supervision.spot_check_recorded",
                subject,
                json!({
                    "draw_id": draw_id,
                    "case_id": case_id,
                    "case_number": get::<String>(&row, "case_number")?,
                    "result": code,
                    "findings": findings,
                    "decision_wrong": wrong,
                    "repeat_visit": repeat_visit,
                }),
            )],
        ))
    }

    async fn send_feedback(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        locked: &mut Option<ChainHead>,
        draw_id: i64,
        township: DivisionCode,
        text: String,
    ) -> Result<Recorded> {
        let user = county_staff(&ctx.actor)?;
        let county = Self::visible_draw(tx, &ctx.actor, draw_id).await?;
        Self::lock_county(tx, locked, &county).await?;
        let sampled: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM spot_check_items WHERE draw_id = $1 AND township_code = $2",
        )
        .bind(draw_id)
        .bind(township.as_str())
        .fetch_one(&mut **tx)
        .await
        .map_err(db_err)?;
        if sampled == 0 {
            return Err(sup_err(
                "supervision.township_not_in_draw",
                format!("draw {draw_id} sampled no case of {township}"),
            ));
        }
        let text = sup_text("text", &text)?;
        let done = sqlx::query(
            "INSERT INTO spot_check_feedback (county_code, draw_id, township_code, text, sent_by, \
             sent_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(&county)
        .bind(draw_id)
        .bind(township.as_str())
        .bind(&text)
        .bind(user.id)
        .bind(ctx.now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        if done.rows_affected() != 1 {
            return Err(sup_err(
                "supervision.feedback_exists",
                format!("draw {draw_id} already has feedback for {township}"),
            ));
        }
        let subject = format!("spot_check:{draw_id}");
        Ok((
            county,
            CommandOutcome::SupervisionRecorded {
                subject: subject.clone(),
                due_date: None,
            },
            vec![NewEvent::new(
                "supervision.feedback_sent",
                subject,
                json!({ "draw_id": draw_id, "township": township, "text": text }),
            )],
        ))
    }

    /// What a finding says, if the actor can see it (not found otherwise).
    async fn finding_info(tx: &mut Tx<'_>, actor: &Actor, f: &FindingRef) -> Result<FindingInfo> {
        let scope = actor.scope();
        let info = match f {
            FindingRef::Filing { filing_id } => {
                let row = sqlx::query(
                    "SELECT county_code, township_code, village_code, case_id, case_number, \
                     review_outcome FROM filings WHERE id = $1",
                )
                .bind(filing_id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_err)?;
                match row {
                    Some(row) if scope.contains(&division_col(&row, "village_code")?) => {
                        let outcome: Option<String> = get(&row, "review_outcome")?;
                        FindingInfo {
                            county: get(&row, "county_code")?,
                            township: division_col(&row, "township_code")?,
                            case_id: Some(get(&row, "case_id")?),
                            case_number: Some(get(&row, "case_number")?),
                            decision_wrong: false,
                            is_finding: matches!(
                                outcome.as_deref(),
                                Some("questions" | "rectification_required")
                            ),
                        }
                    }
                    _ => return Err(StoreError::NotFound(format!("filing {filing_id}"))),
                }
            }
            FindingRef::SpotCheck { draw_id, case_id } => {
                let row = sqlx::query(
                    "SELECT county_code, township_code, case_number, result, decision_wrong \
                     FROM spot_check_items WHERE draw_id = $1 AND case_id = $2",
                )
                .bind(draw_id)
                .bind(case_id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_err)?;
                match row {
                    Some(row) if scope.contains(&division_col(&row, "township_code")?) => {
                        let result: Option<String> = get(&row, "result")?;
                        FindingInfo {
                            county: get(&row, "county_code")?,
                            township: division_col(&row, "township_code")?,
                            case_id: Some(*case_id),
                            case_number: Some(get(&row, "case_number")?),
                            decision_wrong: get::<Option<bool>>(&row, "decision_wrong")?
                                .unwrap_or(false),
                            is_finding: result.as_deref() == Some("problem"),
                        }
                    }
                    _ => {
                        return Err(StoreError::NotFound(format!(
                            "case {case_id} of spot check draw {draw_id}"
                        )));
                    }
                }
            }
            FindingRef::Complaint { complaint_id } => {
                let row = sqlx::query(
                    "SELECT county_code, township_code, handler_code, case_number, outcome \
                     FROM complaints WHERE id = $1",
                )
                .bind(complaint_id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_err)?;
                match row {
                    Some(row) if scope.contains(&division_col(&row, "handler_code")?) => {
                        let outcome: Option<String> = get(&row, "outcome")?;
                        let number: Option<String> = get(&row, "case_number")?;
                        let case_id: Option<i64> = match &number {
                            Some(n) => sqlx::query_scalar("SELECT id FROM cases WHERE number = $1")
                                .bind(n)
                                .fetch_optional(&mut **tx)
                                .await
                                .map_err(db_err)?,
                            None => None,
                        };
                        FindingInfo {
                            county: get(&row, "county_code")?,
                            township: division_col(&row, "township_code")?,
                            case_id,
                            case_number: number,
                            decision_wrong: false,
                            is_finding: outcome
                                .as_deref()
                                .and_then(|o| o.parse::<ComplaintOutcome>().ok())
                                .is_some_and(ComplaintOutcome::is_finding),
                        }
                    }
                    _ => return Err(StoreError::NotFound(format!("complaint {complaint_id}"))),
                }
            }
        };
        if !info.is_finding {
            return Err(sup_err(
                "supervision.not_a_finding",
                format!("{} {} found no problem", f.kind(), f.id()),
            ));
        }
        Ok(info)
    }

    #[allow(clippy::too_many_arguments)]
    async fn order_rectification(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        rules: &Rules,
        locked: &mut Option<ChainHead>,
        finding: FindingRef,
        requirement: String,
        working_days: u32,
    ) -> Result<Recorded> {
        let user = county_staff(&ctx.actor)?;
        let info = Self::finding_info(tx, &ctx.actor, &finding).await?;
        Self::lock_county(tx, locked, &info.county).await?;
        if !(1..=60).contains(&working_days) {
            return Err(sup_err(
                "supervision.invalid_period",
                format!("{working_days} working days is outside 1 to 60"),
            ));
        }
        let requirement = sup_text("requirement", &requirement)?;
        let period = jiuzhu_domain::deadline::Period::WorkingDays(working_days);
        let due = jiuzhu_domain::deadline::due(local_time(ctx.now), period, &rules.calendar)
            .map_err(|e| StoreError::Invalid(format!("the rectification deadline: {e}")))?
            .date;
        let id = Self::next_id(tx, "rectification").await?;
        sqlx::query(
            "INSERT INTO rectifications (county_code, id, township_code, case_id, finding_kind, \
             finding_id, decision_wrong, requirement, period, ordered_by, ordered_at, due_date, \
             status, rejections) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&info.county)
        .bind(id)
        .bind(info.township.as_str())
        .bind(info.case_id)
        .bind(finding.kind())
        .bind(finding.id())
        .bind(info.decision_wrong)
        .bind(&requirement)
        .bind(period.to_string())
        .bind(user.id)
        .bind(ctx.now)
        .bind(due)
        .bind(RectificationStatus::Open.as_str())
        .bind(0_i64)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        let subject = format!("rectification:{id}");
        Ok((
            info.county,
            CommandOutcome::SupervisionRecorded {
                subject: subject.clone(),
                due_date: Some(due),
            },
            vec![NewEvent::new(
                "supervision.rectification_ordered",
                subject,
                json!({
                    "rectification_id": id,
                    "township": info.township,
                    "finding": finding,
                    "case_id": info.case_id,
                    "case_number": info.case_number,
                    "decision_wrong": info.decision_wrong,
                    "requirement": requirement,
                    "period": period.to_string(),
                    "due_date": due,
                }),
            )],
        ))
    }

    /// A rectification the actor can see: (county, township, status).
    async fn visible_rectification(
        tx: &mut Tx<'_>,
        actor: &Actor,
        id: i64,
    ) -> Result<(String, DivisionCode, RectificationStatus)> {
        let row = sqlx::query(
            "SELECT county_code, township_code, status FROM rectifications WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?;
        match row {
            Some(row)
                if actor
                    .scope()
                    .contains(&division_col(&row, "township_code")?) =>
            {
                let status: String = get(&row, "status")?;
                Ok((
                    get(&row, "county_code")?,
                    division_col(&row, "township_code")?,
                    parse_stored("rectification status", &status)?,
                ))
            }
            _ => Err(StoreError::NotFound(format!("rectification {id}"))),
        }
    }

    async fn respond_rectification(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        locked: &mut Option<ChainHead>,
        id: i64,
        response: String,
    ) -> Result<Recorded> {
        let (county, _, status) = Self::visible_rectification(tx, &ctx.actor, id).await?;
        let user = match &ctx.actor {
            Actor::User(u) if is_township_staff(u.role) => u,
            _ => {
                return Err(sup_err(
                    "supervision.wrong_role",
                    "the township's staff report on a rectification",
                ));
            }
        };
        Self::lock_county(tx, locked, &county).await?;
        match status {
            RectificationStatus::Closed => {
                return Err(sup_err(
                    "supervision.rectification_closed",
                    format!("rectification {id} is closed"),
                ));
            }
            RectificationStatus::Responded => {
                return Err(sup_err(
                    "supervision.rectification_responded",
                    format!("rectification {id} awaits the county's conclusion"),
                ));
            }
            RectificationStatus::Open => {}
        }
        let response = sup_text("response", &response)?;
        sqlx::query(
            "UPDATE rectifications SET status = $2, response = $3, responded_by = $4, \
             responded_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(RectificationStatus::Responded.as_str())
        .bind(&response)
        .bind(user.id)
        .bind(ctx.now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        let subject = format!("rectification:{id}");
        Ok((
            county,
            CommandOutcome::SupervisionRecorded {
                subject: subject.clone(),
                due_date: None,
            },
            vec![NewEvent::new(
                "supervision.rectification_responded",
                subject,
                json!({ "rectification_id": id, "response": response }),
            )],
        ))
    }

    async fn conclude_rectification(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        locked: &mut Option<ChainHead>,
        id: i64,
        accept: bool,
        opinion: String,
    ) -> Result<Recorded> {
        let (county, _, status) = Self::visible_rectification(tx, &ctx.actor, id).await?;
        let user = county_staff(&ctx.actor)?;
        Self::lock_county(tx, locked, &county).await?;
        match status {
            RectificationStatus::Closed => {
                return Err(sup_err(
                    "supervision.rectification_closed",
                    format!("rectification {id} is closed"),
                ));
            }
            RectificationStatus::Open => {
                return Err(sup_err(
                    "supervision.rectification_no_response",
                    format!("rectification {id} has no response from the township yet"),
                ));
            }
            RectificationStatus::Responded => {}
        }
        let opinion = sup_text("opinion", &opinion)?;
        if accept {
            sqlx::query(
                "UPDATE rectifications SET status = $2, conclusion = $3, closed_by = $4, \
                 closed_at = $5 WHERE id = $1",
            )
            .bind(id)
            .bind(RectificationStatus::Closed.as_str())
            .bind(&opinion)
            .bind(user.id)
            .bind(ctx.now)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
        } else {
            sqlx::query(
                "UPDATE rectifications SET status = $2, conclusion = $3, \
                 rejections = rejections + 1 WHERE id = $1",
            )
            .bind(id)
            .bind(RectificationStatus::Open.as_str())
            .bind(&opinion)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
        }
        let subject = format!("rectification:{id}");
        let kind = if accept {
            "supervision.rectification_accepted"
        } else {
            "supervision.rectification_rejected"
        };
        Ok((
            county,
            CommandOutcome::SupervisionRecorded {
                subject: subject.clone(),
                due_date: None,
            },
            vec![NewEvent::new(
                kind,
                subject,
                json!({ "rectification_id": id, "opinion": opinion }),
            )],
        ))
    }

    #[allow(clippy::too_many_arguments)]
    async fn receive_complaint(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        rules: &Rules,
        locked: &mut Option<ChainHead>,
        channel: ComplaintChannel,
        division: DivisionCode,
        to_county: bool,
        case_number: Option<String>,
        content: String,
        contact: Option<String>,
    ) -> Result<Recorded> {
        let user = match &ctx.actor {
            Actor::User(u) if is_county_staff(u.role) || is_township_staff(u.role) => u,
            _ => {
                return Err(sup_err(
                    "supervision.wrong_role",
                    "complaints are taken by county or township staff",
                ));
            }
        };
        if channel == ComplaintChannel::PublicForm {
            return Err(sup_err(
                "supervision.public_form_channel",
                "the public form's reports come from the public board",
            ));
        }
        let township = match division.level() {
            jiuzhu_domain::DivisionLevel::Township => division.clone(),
            jiuzhu_domain::DivisionLevel::Village => division
                .parent()
                .ok_or_else(|| StoreError::Invalid(format!("{division} has no township")))?,
            _ => {
                return Err(StoreError::Invalid(format!(
                    "{division} is not a township or village"
                )));
            }
        };
        ctx.actor.scope().require(&division, "division")?;
        if !Self::division_exists(tx, &division).await? {
            return Err(StoreError::Invalid(format!(
                "{division} is not in the jurisdiction table"
            )));
        }
        let county = division.county_prefix().to_string();
        let county_code = supervised_county_of(&county)?;
        Self::lock_county(tx, locked, &county).await?;
        let handler = if to_county {
            county_code.clone()
        } else {
            township.clone()
        };
        let period = rules
            .profiles
            .profile_for(&county_code)
            .map(|p| p.supervision.report_answer)
            .ok_or_else(|| {
                StoreError::Invalid(format!("no procedure profile governs county {county}"))
            })?;
        let due = jiuzhu_domain::deadline::due(local_time(ctx.now), period, &rules.calendar)
            .map_err(|e| StoreError::Invalid(format!("the answer deadline: {e}")))?
            .date;
        let content = sup_text("content", &content)?;
        let contact = contact
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| c.chars().take(100).collect::<String>());
        if let Some(c) = &contact {
            check_text("contact", c, 100)?;
        }
        let case_number = case_number
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| n.chars().take(32).collect::<String>());
        if let Some(n) = &case_number {
            check_text("case_number", n, 32)?;
        }
        let id = Self::next_id(tx, "complaint").await?;
        sqlx::query(
            "INSERT INTO complaints (county_code, id, channel, division_code, township_code, \
             handler_code, case_number, content, contact, received_by, received_at, due_date) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&county)
        .bind(id)
        .bind(channel.as_str())
        .bind(division.as_str())
        .bind(township.as_str())
        .bind(handler.as_str())
        .bind(&case_number)
        .bind(&content)
        .bind(&contact)
        .bind(user.id)
        .bind(ctx.now)
        .bind(due)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        let subject = format!("complaint:{id}");
        // Like the public form's reports: the content's digest, never the text (it may
        // name people) nor the contact.
        Ok((
            county,
            CommandOutcome::SupervisionRecorded {
                subject: subject.clone(),
                due_date: Some(due),
            },
            vec![NewEvent::new(
                "supervision.complaint_received",
                subject,
                json!({
                    "complaint_id": id,
                    "channel": channel,
                    "division": division,
                    "township": township,
                    "handler": handler,
                    "case_number": case_number,
                    "content_sha256": jiuzhu_store::event::sha256_hex(content.as_bytes()),
                    "content_chars": content.chars().count(),
                    "due_date": due,
                }),
            )],
        ))
    }

    async fn answer_complaint(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        locked: &mut Option<ChainHead>,
        id: i64,
        outcome: ComplaintOutcome,
        reply: String,
    ) -> Result<Recorded> {
        let row =
            sqlx::query("SELECT county_code, handler_code, reply FROM complaints WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_err)?;
        let row = match row {
            Some(row)
                if ctx
                    .actor
                    .scope()
                    .contains(&division_col(&row, "handler_code")?) =>
            {
                row
            }
            _ => return Err(StoreError::NotFound(format!("complaint {id}"))),
        };
        let handler = division_col(&row, "handler_code")?;
        let user = match &ctx.actor {
            Actor::User(u) if is_county_staff(u.role) => u,
            Actor::User(u)
                if is_township_staff(u.role)
                    && handler.level() == jiuzhu_domain::DivisionLevel::Township =>
            {
                u
            }
            _ => {
                return Err(sup_err(
                    "supervision.wrong_role",
                    "the handling office's staff answer a complaint",
                ));
            }
        };
        let county: String = get(&row, "county_code")?;
        Self::lock_county(tx, locked, &county).await?;
        if get::<Option<String>>(&row, "reply")?.is_some() {
            return Err(sup_err(
                "supervision.already_answered",
                format!("complaint {id} is already answered"),
            ));
        }
        let reply = sup_text("reply", &reply)?;
        sqlx::query(
            "UPDATE complaints SET outcome = $2, reply = $3, answered_by = $4, answered_at = $5 \
             WHERE id = $1 AND reply IS NULL",
        )
        .bind(id)
        .bind(outcome.as_str())
        .bind(&reply)
        .bind(user.id)
        .bind(ctx.now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        let subject = format!("complaint:{id}");
        Ok((
            county,
            CommandOutcome::SupervisionRecorded {
                subject: subject.clone(),
                due_date: None,
            },
            vec![NewEvent::new(
                "supervision.complaint_answered",
                subject,
                json!({
                    "complaint_id": id,
                    "outcome": outcome,
                    "reply_sha256": jiuzhu_store::event::sha256_hex(reply.as_bytes()),
                    "reply_chars": reply.chars().count(),
                }),
            )],
        ))
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_dishonesty(
        tx: &mut Tx<'_>,
        ctx: &CommandContext,
        rules: &Rules,
        locked: &mut Option<ChainHead>,
        case_id: i64,
        finding: FindingRef,
        legal_basis: String,
        facts: String,
        amount: Fen,
    ) -> Result<Recorded> {
        let user = county_staff(&ctx.actor)?;
        let row = sqlx::query(
            "SELECT county_code, township_code, village_code, household_id, number FROM cases \
             WHERE id = $1",
        )
        .bind(case_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?;
        let row = match row {
            Some(row)
                if ctx
                    .actor
                    .scope()
                    .contains(&division_col(&row, "village_code")?) =>
            {
                row
            }
            _ => return Err(StoreError::NotFound(format!("case {case_id}"))),
        };
        let county: String = get(&row, "county_code")?;
        let enabled = rules
            .profiles
            .profile_for(&supervised_county_of(&county)?)
            .is_some_and(|p| p.supervision.dishonesty_record);
        if !enabled {
            return Err(sup_err(
                "supervision.dishonesty_disabled",
                format!("the profile of county {county} has no dishonesty records"),
            ));
        }
        let info = Self::finding_info(tx, &ctx.actor, &finding).await?;
        let number: String = get(&row, "number")?;
        let same_case =
            info.case_id == Some(case_id) || info.case_number.as_deref() == Some(number.as_str());
        if !same_case {
            return Err(sup_err(
                "supervision.finding_of_another_case",
                format!(
                    "{} {} is not about case {case_id}",
                    finding.kind(),
                    finding.id()
                ),
            ));
        }
        Self::lock_county(tx, locked, &county).await?;
        let legal_basis = sup_text("legal_basis", &legal_basis)?;
        let facts = sup_text("facts", &facts)?;
        if amount.is_negative() {
            return Err(sup_err(
                "supervision.negative_amount",
                "the amount to recover is negative",
            ));
        }
        let household_id: i64 = get(&row, "household_id")?;
        let township = division_col(&row, "township_code")?;
        let id = Self::next_id(tx, "dishonesty").await?;
        sqlx::query(
            "INSERT INTO dishonesty_records (county_code, id, case_id, household_id, \
             township_code, finding_kind, finding_id, legal_basis, facts, amount_fen, \
             recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&county)
        .bind(id)
        .bind(case_id)
        .bind(household_id)
        .bind(township.as_str())
        .bind(finding.kind())
        .bind(finding.id())
        .bind(&legal_basis)
        .bind(&facts)
        .bind(amount.fen())
        .bind(user.id)
        .bind(ctx.now)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        let subject = format!("dishonesty:{id}");
        Ok((
            county,
            CommandOutcome::SupervisionRecorded {
                subject: subject.clone(),
                due_date: None,
            },
            vec![NewEvent::new(
                "supervision.dishonesty_recorded",
                subject,
                json!({
                    "dishonesty_id": id,
                    "case_id": case_id,
                    "household_id": household_id,
                    "finding": finding,
                    "legal_basis": legal_basis,
                    "facts_sha256": jiuzhu_store::event::sha256_hex(facts.as_bytes()),
                    "amount_fen": amount.fen(),
                }),
            )],
        ))
    }

    // ---- reads -------------------------------------------------------------------------

    async fn filings_impl(&self, actor: &Actor, filter: &FilingFilter) -> Result<Vec<Filing>> {
        let (from, until) = match filter.period {
            Some(p) => (p.first_day(), p.next_first_day()),
            None => (EARLIEST, LATEST),
        };
        let pending = if filter.pending_only {
            "AND review_outcome IS NULL"
        } else {
            ""
        };
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {FILING_COLUMNS} FROM filings WHERE village_code LIKE $1 \
             AND village_code LIKE $2 AND decided_on >= $3 AND decided_on < $4 {pending} \
             ORDER BY id"
        )))
        .bind(actor.scope().like_pattern())
        .bind(Scope::within(filter.within.as_ref()).like_pattern())
        .bind(from)
        .bind(until)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(filing_from_row).collect()
    }

    async fn spot_check_draws_impl(
        &self,
        actor: &Actor,
        county: Option<&DivisionCode>,
    ) -> Result<Vec<SpotCheckDraw>> {
        if let Actor::User(u) = actor
            && !is_county_staff(u.role)
        {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT county_code, id, period, seed, method, candidates, strata, redraw_of, \
             redraw_reason, superseded, drawn_by, drawn_at FROM spot_check_draws \
             WHERE county_code LIKE $1 AND county_code LIKE $2 ORDER BY id DESC",
        )
        .bind(actor.scope().like_pattern())
        .bind(Scope::within(county).like_pattern())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|row| {
                let strata: Json<Vec<sup::Stratum>> = get(row, "strata")?;
                let mut numbers: Vec<String> =
                    strata.0.iter().flat_map(|s| s.sampled.clone()).collect();
                numbers.sort();
                let period: String = get(row, "period")?;
                let seed: String = get(row, "seed")?;
                Ok(SpotCheckDraw {
                    id: get(row, "id")?,
                    county: division_col(row, "county_code")?,
                    period: parse_stored("period", &period)?,
                    seed: parse_stored("seed", &seed)?,
                    method: get(row, "method")?,
                    candidates: u64::try_from(get::<i64>(row, "candidates")?).unwrap_or(0),
                    strata: strata.0,
                    case_numbers: numbers,
                    redraw_of: get(row, "redraw_of")?,
                    redraw_reason: get(row, "redraw_reason")?,
                    superseded: get(row, "superseded")?,
                    drawn_by: get(row, "drawn_by")?,
                    drawn_at: get(row, "drawn_at")?,
                })
            })
            .collect()
    }

    async fn spot_checks_impl(
        &self,
        actor: &Actor,
        draw_id: Option<i64>,
    ) -> Result<Vec<SpotCheckItem>> {
        let one = if draw_id.is_some() {
            "AND i.draw_id = $2"
        } else {
            "AND $2 = $2"
        };
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM spot_check_items i \
             JOIN spot_check_draws d ON d.id = i.draw_id \
             WHERE i.township_code LIKE $1 {one} ORDER BY i.case_number, i.draw_id"
        )))
        .bind(actor.scope().like_pattern())
        .bind(draw_id.unwrap_or(0))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(item_from_row).collect()
    }

    async fn spot_check_feedback_impl(&self, actor: &Actor) -> Result<Vec<SpotCheckFeedback>> {
        let rows = sqlx::query(
            "SELECT f.draw_id, d.period, f.township_code, f.text, f.sent_by, f.sent_at \
             FROM spot_check_feedback f JOIN spot_check_draws d ON d.id = f.draw_id \
             WHERE f.township_code LIKE $1 ORDER BY f.sent_at DESC, f.draw_id DESC",
        )
        .bind(actor.scope().like_pattern())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|row| {
                let period: String = get(row, "period")?;
                Ok(SpotCheckFeedback {
                    draw_id: get(row, "draw_id")?,
                    period: parse_stored("period", &period)?,
                    township: division_col(row, "township_code")?,
                    text: get(row, "text")?,
                    sent_by: get(row, "sent_by")?,
                    sent_at: get(row, "sent_at")?,
                })
            })
            .collect()
    }

    async fn rectifications_impl(
        &self,
        actor: &Actor,
        filter: &RectificationFilter,
    ) -> Result<Vec<Rectification>> {
        let open = if filter.open_only || filter.overdue_on.is_some() {
            "AND status <> 'closed'"
        } else {
            ""
        };
        let overdue = if filter.overdue_on.is_some() {
            "AND due_date < $3"
        } else {
            "AND $3 = $3"
        };
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {RECTIFICATION_COLUMNS} FROM rectifications WHERE township_code LIKE $1 \
             AND township_code LIKE $2 {open} {overdue} ORDER BY due_date, id"
        )))
        .bind(actor.scope().like_pattern())
        .bind(Scope::within(filter.within.as_ref()).like_pattern())
        .bind(filter.overdue_on.unwrap_or(EARLIEST))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(rectification_from_row).collect()
    }

    async fn complaints_impl(&self, actor: &Actor, open_only: bool) -> Result<Vec<Complaint>> {
        // The records carry the complainants' contacts: only the offices that take and
        // answer complaints read them (not verifiers, finance or village assistants).
        if let Actor::User(u) = actor
            && !is_county_staff(u.role)
            && !is_township_staff(u.role)
        {
            return Err(StoreError::Forbidden(format!(
                "role {} does not handle complaints",
                u.role
            )));
        }
        let open = if open_only { "AND reply IS NULL" } else { "" };
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE handler_code LIKE $1 {open} \
             ORDER BY CASE WHEN reply IS NULL THEN 0 ELSE 1 END, due_date, id"
        )))
        .bind(actor.scope().like_pattern())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(complaint_from_row).collect()
    }

    async fn complaint_stats_impl(&self, actor: &Actor) -> Result<Vec<ComplaintStat>> {
        let pattern = actor.scope().like_pattern();
        let mut out = Vec::new();
        for (sql, channel) in [
            (
                "SELECT channel, township_code, CASE WHEN reply IS NULL THEN 0 ELSE 1 END \
                 AS answered, COUNT(*) AS n FROM complaints WHERE handler_code LIKE $1 \
                 GROUP BY channel, township_code, CASE WHEN reply IS NULL THEN 0 ELSE 1 END",
                None,
            ),
            (
                "SELECT 'public_form' AS channel, township_code, \
                 CASE WHEN answer IS NULL THEN 0 ELSE 1 END AS answered, COUNT(*) AS n \
                 FROM public_reports WHERE township_code LIKE $1 \
                 GROUP BY township_code, CASE WHEN answer IS NULL THEN 0 ELSE 1 END",
                Some(ComplaintChannel::PublicForm),
            ),
        ] {
            let rows = sqlx::query(sql)
                .bind(&pattern)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
            for row in &rows {
                let channel = match channel {
                    Some(c) => c,
                    None => parse_stored("complaint channel", &get::<String>(row, "channel")?)?,
                };
                out.push(ComplaintStat {
                    channel,
                    township: division_col(row, "township_code")?,
                    answered: get::<i32>(row, "answered")? == 1,
                    count: u64::try_from(get::<i64>(row, "n")?).unwrap_or(0),
                });
            }
        }
        out.sort_by(|a, b| {
            (a.channel, a.township.as_str(), a.answered).cmp(&(
                b.channel,
                b.township.as_str(),
                b.answered,
            ))
        });
        Ok(out)
    }

    async fn dishonesty_records_impl(&self, actor: &Actor) -> Result<Vec<DishonestyRecord>> {
        if let Actor::User(u) = actor
            && !is_county_staff(u.role)
        {
            return Err(StoreError::Forbidden(
                "dishonesty records are for county administrators and supervisors".to_string(),
            ));
        }
        let rows = sqlx::query(
            "SELECT id, case_id, household_id, township_code, finding_kind, finding_id, \
             legal_basis, facts, amount_fen, recorded_by, recorded_at FROM dishonesty_records \
             WHERE township_code LIKE $1 ORDER BY id DESC",
        )
        .bind(actor.scope().like_pattern())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|row| {
                let kind: String = get(row, "finding_kind")?;
                let case_id: i64 = get(row, "case_id")?;
                Ok(DishonestyRecord {
                    id: get(row, "id")?,
                    case_id,
                    household_id: get(row, "household_id")?,
                    township: division_col(row, "township_code")?,
                    finding: finding_from_cols(&kind, get(row, "finding_id")?, Some(case_id))?,
                    legal_basis: get(row, "legal_basis")?,
                    facts: get(row, "facts")?,
                    amount_to_recover: Fen::new(get(row, "amount_fen")?),
                    recorded_by: get(row, "recorded_by")?,
                    recorded_at: get(row, "recorded_at")?,
                })
            })
            .collect()
    }

    async fn supervision_summary_impl(
        &self,
        actor: &Actor,
        within: Option<&DivisionCode>,
        period: sup::Month,
        today: NaiveDate,
    ) -> Result<Vec<TownshipSupervision>> {
        let scope = actor.scope().like_pattern();
        let within = Scope::within(within).like_pattern();
        let mut rows: std::collections::BTreeMap<String, TownshipSupervision> =
            std::collections::BTreeMap::new();
        // (SQL over $1 scope, $2 within, $3 first day, $4 next first day, $5 period, $6 today;
        // each returns township_code and up to three counts a, b, c.)
        type Put = fn(&mut TownshipSupervision, i64, i64, i64);
        let queries: [(&str, Put); 6] = [
            (
                "SELECT township_code, COUNT(*) AS a, CAST(0 AS BIGINT) AS b, CAST(0 AS BIGINT) AS c FROM filings \
                 WHERE village_code LIKE $1 AND village_code LIKE $2 AND review_outcome IS NULL \
                 AND $3 = $3 AND $4 = $4 AND $5 = $5 AND $6 = $6 GROUP BY township_code",
                |t, a, _, _| t.filings_pending = a as u64,
            ),
            (
                "SELECT township_code, COUNT(DISTINCT case_id) AS a, CAST(0 AS BIGINT) AS b, CAST(0 AS BIGINT) AS c FROM filings \
                 WHERE village_code LIKE $1 AND village_code LIKE $2 AND decided_on >= $3 \
                 AND decided_on < $4 AND $5 = $5 AND $6 = $6 GROUP BY township_code",
                |t, a, _, _| t.filings_in_period = a as u64,
            ),
            (
                "SELECT i.township_code, COUNT(*) AS a, \
                 SUM(CASE WHEN i.result IS NULL THEN 0 ELSE 1 END) AS b, \
                 SUM(CASE WHEN i.result = 'problem' THEN 1 ELSE 0 END) AS c \
                 FROM spot_check_items i JOIN spot_check_draws d ON d.id = i.draw_id \
                 WHERE i.township_code LIKE $1 AND i.township_code LIKE $2 AND $3 = $3 \
                 AND $4 = $4 AND d.period = $5 AND NOT d.superseded AND $6 = $6 \
                 GROUP BY i.township_code",
                |t, a, b, c| {
                    t.sampled = a as u64;
                    t.checked = b as u64;
                    t.problems = c as u64;
                },
            ),
            (
                "SELECT township_code, COUNT(*) AS a, \
                 SUM(CASE WHEN due_date < $6 THEN 1 ELSE 0 END) AS b, CAST(0 AS BIGINT) AS c \
                 FROM rectifications WHERE township_code LIKE $1 AND township_code LIKE $2 \
                 AND status <> 'closed' AND $3 = $3 AND $4 = $4 AND $5 = $5 \
                 GROUP BY township_code",
                |t, a, b, _| {
                    t.rectifications_open = a as u64;
                    t.rectifications_overdue = b as u64;
                },
            ),
            (
                "SELECT township_code, COUNT(*) AS a, CAST(0 AS BIGINT) AS b, CAST(0 AS BIGINT) AS c FROM complaints \
                 WHERE handler_code LIKE $1 AND township_code LIKE $2 AND reply IS NULL \
                 AND $3 = $3 AND $4 = $4 AND $5 = $5 AND $6 = $6 GROUP BY township_code",
                |t, a, _, _| t.complaints_open += a as u64,
            ),
            (
                "SELECT township_code, COUNT(*) AS a, CAST(0 AS BIGINT) AS b, CAST(0 AS BIGINT) AS c FROM public_reports \
                 WHERE township_code LIKE $1 AND township_code LIKE $2 AND answer IS NULL \
                 AND $3 = $3 AND $4 = $4 AND $5 = $5 AND $6 = $6 GROUP BY township_code",
                |t, a, _, _| t.complaints_open += a as u64,
            ),
        ];
        for (sql, put) in queries {
            let found = sqlx::query(sql)
                .bind(&scope)
                .bind(&within)
                .bind(period.first_day())
                .bind(period.next_first_day())
                .bind(period.to_string())
                .bind(today)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
            for row in &found {
                let township = division_col(row, "township_code")?;
                let n = |c: &str| -> Result<i64> { Ok(get::<Option<i64>>(row, c)?.unwrap_or(0)) };
                let entry =
                    rows.entry(township.to_string())
                        .or_insert_with(|| TownshipSupervision::empty(township.clone()));
                put(entry, n("a")?, n("b")?, n("c")?);
            }
        }
        // 走访: the month's recipient households (as `visit_list`) without a visit. Only for
        // townships with something else to show or with recipients.
        let month = Month::new(period.year, period.month)
            .ok_or_else(|| StoreError::Invalid(format!("month {period}")))?;
        let visits = sqlx::query(AssertSqlSafe(format!(
            "SELECT e.township_code, COUNT(DISTINCT e.household_id) AS a, \
             COUNT(DISTINCT v.household_id) AS b FROM entitlements e \
             LEFT JOIN visits v ON v.county_code = e.county_code \
              AND v.household_id = e.household_id AND v.month_ym = $2 \
             WHERE e.village_code LIKE $1 AND e.village_code LIKE $3 AND {RECIPIENT_CONDITION} \
             GROUP BY e.township_code"
        )))
        .bind(&scope)
        .bind(month.index())
        .bind(&within)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        for row in &visits {
            let township = division_col(row, "township_code")?;
            let due: i64 = get(row, "a")?;
            let visited: i64 = get(row, "b")?;
            let entry = rows
                .entry(township.to_string())
                .or_insert_with(|| TownshipSupervision::empty(township.clone()));
            entry.visits_due = due as u64;
            entry.visits_missing = (due - visited).max(0) as u64;
        }
        Ok(rows.into_values().collect())
    }

    /// Whether the actor may see the events of a supervision subject (`events_for`).
    async fn supervision_subject_visible(
        &self,
        actor: &Actor,
        kind: &str,
        id: i64,
    ) -> Result<bool> {
        let sql = match kind {
            "filing" => "SELECT village_code FROM filings WHERE id = $1",
            "spot_check" => "SELECT county_code FROM spot_check_draws WHERE id = $1",
            "rectification" => "SELECT township_code FROM rectifications WHERE id = $1",
            "complaint" => "SELECT handler_code FROM complaints WHERE id = $1",
            "dishonesty" => "SELECT township_code FROM dishonesty_records WHERE id = $1",
            _ => return Ok(false),
        };
        // The whole draw and dishonesty records are county business.
        if matches!(kind, "spot_check" | "dishonesty")
            && let Actor::User(u) = actor
            && !is_county_staff(u.role)
        {
            return Ok(false);
        }
        self.division_of_visible(actor, sql, id).await
    }

    /// Whether the division code `sql` reads for record `id` ($1) lies in the actor's
    /// scope (a record that does not exist is not visible).
    async fn division_of_visible(&self, actor: &Actor, sql: &'static str, id: i64) -> Result<bool> {
        let code: Option<String> = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(code
            .and_then(|c| DivisionCode::parse(&c).ok())
            .is_some_and(|c| actor.scope().contains(&c)))
    }
}
