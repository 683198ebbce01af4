//! `decide`: the events a command produces, or why it is refused.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use super::command::{
    Command, CommandBody, CommandKind, CorrectionRequest, DecisionRequest, NewCase, WithdrawReason,
};
use super::duties::{check_not_related, check_separation};
use super::error::CaseError;
use super::event::{Event, EventBody};
use super::state::{
    AppraisalOutcome, AppraisalReason, CaseHeader, CaseState, CheckResult, CloseReason, Correction,
    Decision, Duty, MemberFacts, MissingMaterial, OpenedVia, Origin, Procedure, Recommendation,
    Stage, StepDue,
};
use super::{AUTHORIZATION, Ctx};
use crate::benefit::{self, AmountBasis, Calculation};
use crate::calendar::CalendarError;
use crate::deadline::Due;
use crate::delegation::{Authority, CountyReason};
use crate::profile::{AmountRule, Appraisal, EffectiveProfile, ProgramRules, StepOrder};
use crate::schedule::{Step, due_for};
use crate::{DivisionLevel, Fen, Role};

const MAX_TEXT: usize = 2000;
const MAX_SHORT: usize = 500;
const MAX_LIST: usize = 50;

/// The roles that may run each command. [`CommandKind::Decide`] further needs the role the
/// authority level names (township head or county admin).
pub fn allowed_roles(kind: CommandKind) -> &'static [Role] {
    use CommandKind as K;
    use Role::*;
    match kind {
        K::Apply
        | K::RequestPreCheck
        | K::ReportEmergency
        | K::ApplyAfterCheck
        | K::SubmitMaterials
        | K::RecordAppraisal
        | K::PostNotice
        | K::RaiseObjection
        | K::DeliverNotice
        | K::PostResult
        | K::Withdraw => &[TownshipCaseworker, VillageAssistant],
        K::RecordVillageReview => &[VillageAssistant],
        K::RequestCheck | K::RecordHomeVisit | K::EndNotice | K::Archive | K::CompletePaperwork => {
            &[TownshipCaseworker]
        }
        K::RecordCheckResult => &[CountyVerifier],
        K::SignReview => &[TownshipReviewer],
        K::Decide => &[TownshipHead, CountyAdmin],
        K::GiveEmergencyHelp => &[TownshipCaseworker, TownshipHead, CountyAdmin],
        K::Correct => &[TownshipHead, CountyAdmin],
        K::FileNearRelative => &[
            TownshipCaseworker,
            TownshipReviewer,
            TownshipHead,
            VillageAssistant,
            CountyAdmin,
        ],
    }
}

/// The events `command` produces on `state` (`None`: no case yet), or why it is refused.
///
/// Checks, in order: the command's date lies in a loaded calendar year; the actor's role
/// may run the command; the case exists (or does not, for the three opening commands); the
/// case lies in the actor's jurisdiction; the profile governs the case's county and defines
/// its program; the case is open; the actor is not a filed near relative; the command is not
/// dated before the case's last step; the stage allows the command; then the command's own
/// rules (materials, investigators, separation of duties, authority, notice period, …).
pub fn decide(
    state: Option<&CaseState>,
    command: &Command,
    ctx: &Ctx<'_>,
) -> Result<Vec<Event>, CaseError> {
    let kind = command.body.kind();
    let at = command.at;
    if ctx.calendar.year(at.year()).is_none() {
        return Err(CaseError::DateOutsideCalendar { year: at.year() });
    }
    if !allowed_roles(kind).contains(&ctx.actor.role) {
        return Err(CaseError::WrongRole {
            command: kind,
            role: ctx.actor.role,
        });
    }
    let mut out = Out {
        at,
        ctx,
        events: Vec::new(),
    };
    match state {
        None if kind.opens_case() => open_case(&command.body, &mut out)?,
        None => return Err(CaseError::NoCase { command: kind }),
        Some(_) if kind.opens_case() => return Err(CaseError::AlreadyOpened { command: kind }),
        Some(s) => on_case(s, &command.body, &mut out)?,
    }
    Ok(out.events)
}

/// The events being built, with what every step needs.
struct Out<'c, 'a> {
    at: NaiveDateTime,
    ctx: &'c Ctx<'a>,
    events: Vec<Event>,
}

impl Out<'_, '_> {
    fn push(&mut self, body: EventBody) {
        self.events.push(Event {
            at: self.at,
            by: self.ctx.actor.user_id,
            role: self.ctx.actor.role,
            body,
        });
    }

    fn due(
        &self,
        rules: &ProgramRules,
        step: Step,
        trigger_at: NaiveDateTime,
    ) -> Result<Option<Due>, CaseError> {
        self.due_delegated(rules, step, trigger_at, false)
    }

    fn due_delegated(
        &self,
        rules: &ProgramRules,
        step: Step,
        trigger_at: NaiveDateTime,
        delegated: bool,
    ) -> Result<Option<Due>, CaseError> {
        due_for(rules, step, trigger_at, delegated, self.ctx.calendar).map_err(calendar_error)
    }
}

fn calendar_error(e: CalendarError) -> CaseError {
    match e {
        CalendarError::YearNotLoaded(year) => CaseError::DateOutsideCalendar { year },
        _ => CaseError::DateOutOfRange,
    }
}

// ---------------------------------------------------------------------------- opening

fn open_case(body: &CommandBody, out: &mut Out<'_, '_>) -> Result<(), CaseError> {
    let (new, via) = match body {
        CommandBody::Apply { case, .. } => (case, OpenedVia::Application),
        CommandBody::RequestPreCheck { case, .. } => (case, OpenedVia::PreCheck),
        CommandBody::ReportEmergency { case, .. } => (case, OpenedVia::Emergency),
        other => {
            return Err(CaseError::NoCase {
                command: other.kind(),
            });
        }
    };
    let (header, rules) = new_header(new, via, out)?;
    match body {
        CommandBody::Apply { materials, .. } => {
            if rules.order == StepOrder::VerifyFirst {
                return Err(CaseError::CheckFirst);
            }
            let keys = material_keys(rules, materials, false)?;
            let on_file: BTreeSet<String> = keys.iter().cloned().collect();
            out.push(EventBody::Opened {
                case: header.clone(),
            });
            out.push(EventBody::ApplicationFiled { materials: keys });
            after_materials(&header, rules, &on_file, false, out)?;
        }
        CommandBody::RequestPreCheck { materials, .. } => {
            if rules.order != StepOrder::VerifyFirst {
                return Err(CaseError::NotVerifyFirst);
            }
            let keys = material_keys(rules, materials, false)?;
            if !keys.iter().any(|k| k == AUTHORIZATION) {
                return Err(CaseError::AuthorizationMissing);
            }
            let due = out.due(rules, Step::EconomicCheck, out.at)?;
            out.push(EventBody::Opened { case: header });
            out.push(EventBody::MaterialsSubmitted { materials: keys });
            out.push(EventBody::CheckRequested {
                before_application: true,
                due,
            });
        }
        CommandBody::ReportEmergency { summary, .. } => {
            if !rules.emergency.as_ref().is_some_and(|e| e.help_first) {
                return Err(CaseError::NoEmergencyProcedure {
                    program: new.program,
                });
            }
            let summary = text("summary", summary, MAX_TEXT)?;
            let help_due = out.due(rules, Step::EmergencyHelp, out.at)?;
            out.push(EventBody::Opened { case: header });
            out.push(EventBody::EmergencyReported { summary, help_due });
        }
        _ => {}
    }
    Ok(())
}

/// The header of a new case, after the checks of where it is and which rules apply.
fn new_header<'p>(
    new: &NewCase,
    via: OpenedVia,
    out: &Out<'_, 'p>,
) -> Result<(CaseHeader, &'p ProgramRules), CaseError> {
    let ctx = out.ctx;
    let village = &new.village;
    if village.level() != DivisionLevel::Village {
        return Err(CaseError::NotAVillage {
            code: village.clone(),
        });
    }
    let (Some(township), Some(county)) = (village.parent(), village.county()) else {
        return Err(CaseError::NotAVillage {
            code: village.clone(),
        });
    };
    if !ctx.actor.division.contains(village) {
        return Err(CaseError::OutsideJurisdiction);
    }
    let profile = ctx.profile;
    if !profile.applies_to.is_empty() && !profile.applies_to_code(village) {
        return Err(CaseError::ProfileMismatch { county });
    }
    let rules = profile
        .program(new.program)
        .ok_or(CaseError::ProgramNotConfigured {
            program: new.program,
        })?;
    let number = text("number", &new.number, 40)?;
    if ctx.actor.role == Role::VillageAssistant && new.origin == Origin::Household {
        return Err(CaseError::WrongOrigin);
    }
    let header = CaseHeader {
        case_id: new.case_id,
        number,
        program: new.program,
        county,
        township,
        village: village.clone(),
        household_id: new.household_id,
        origin: new.origin,
        opened_via: via,
        profile_id: profile.id.clone(),
        procedure: procedure_of(rules),
    };
    Ok((header, rules))
}

fn procedure_of(rules: &ProgramRules) -> Procedure {
    let s = &rules.steps;
    Procedure {
        order: rules.order,
        village_review: s.village_review,
        appraisal: s.appraisal,
        min_investigators: s.investigation.min_investigators.max(1),
        notice_before_decision: s.notice.before_decision,
        disclosure_after_decision: s.disclosure.after_decision,
    }
}

// ---------------------------------------------------------------------------- materials

/// The submitted keys, trimmed and without repetitions, each on the checklist (or the
/// verification authorization).
fn material_keys(
    rules: &ProgramRules,
    keys: &[String],
    required: bool,
) -> Result<Vec<String>, CaseError> {
    if required && keys.iter().all(|k| k.trim().is_empty()) {
        return Err(CaseError::TextRequired { field: "materials" });
    }
    if keys.len() > MAX_LIST {
        return Err(CaseError::TooManyEntries {
            field: "materials",
            max: MAX_LIST,
        });
    }
    let mut out: Vec<String> = Vec::new();
    for key in keys {
        let key = key.trim();
        if key.is_empty() {
            continue;
        }
        if key != AUTHORIZATION && !rules.materials.iter().any(|m| m.key == key) {
            return Err(CaseError::UnknownMaterial {
                key: printable_key(key),
            });
        }
        if !out.iter().any(|k| k == key) {
            out.push(key.to_string());
        }
    }
    Ok(out)
}

/// A key safe to repeat in an error: machine keys are short lowercase words; anything else
/// (which might be personal data typed into the wrong field) is not echoed.
fn printable_key(key: &str) -> String {
    let looks_like_key = key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && key.chars().filter(char::is_ascii_digit).count() < 6;
    if looks_like_key {
        key.to_string()
    } else {
        "(invalid key)".to_string()
    }
}

/// Every required item not on file, in checklist order; the verification authorization is
/// required even where the checklist omits it (DOMAIN.md §4).
fn missing_materials(rules: &ProgramRules, on_file: &BTreeSet<String>) -> Vec<MissingMaterial> {
    let mut missing: Vec<MissingMaterial> = rules
        .materials
        .iter()
        .filter(|m| m.required || m.key == AUTHORIZATION)
        .filter(|m| !on_file.contains(&m.key))
        .map(|m| MissingMaterial {
            key: m.key.clone(),
            name_zh: m.name_zh.clone(),
        })
        .collect();
    if !on_file.contains(AUTHORIZATION) && !rules.materials.iter().any(|m| m.key == AUTHORIZATION) {
        missing.push(MissingMaterial {
            key: AUTHORIZATION.to_string(),
            name_zh: "家庭经济状况核对授权书".to_string(),
        });
    }
    missing
}

/// After materials were filed: the one-time notice of everything missing (only once per
/// case: later submissions complete the same list), or the intake is complete.
fn after_materials(
    header: &CaseHeader,
    rules: &ProgramRules,
    on_file: &BTreeSet<String>,
    already_noticed: bool,
    out: &mut Out<'_, '_>,
) -> Result<(), CaseError> {
    let missing = missing_materials(rules, on_file);
    if missing.is_empty() {
        intake_complete(header, rules, out)
    } else {
        if !already_noticed {
            out.push(EventBody::MaterialsIncomplete { missing });
        }
        Ok(())
    }
}

/// Complete intake: to the village's first review, or accepted by the township.
fn intake_complete(
    header: &CaseHeader,
    rules: &ProgramRules,
    out: &mut Out<'_, '_>,
) -> Result<(), CaseError> {
    if header.procedure.village_review {
        out.push(EventBody::SentForVillageReview);
        Ok(())
    } else {
        accept(header, rules, out)
    }
}

/// 受理: the clocks of the investigation and of the whole procedure start.
fn accept(
    header: &CaseHeader,
    rules: &ProgramRules,
    out: &mut Out<'_, '_>,
) -> Result<(), CaseError> {
    let ctx = out.ctx;
    let delegated = match ctx.authority {
        Some(a) => a.is_township(),
        None => ctx
            .profile
            .township_confirms(header.program, &header.village, out.at.date()),
    };
    let mut dues = Vec::new();
    for step in [
        Step::InvestigationStart,
        Step::Investigation,
        Step::WholeProcedure,
    ] {
        if let Some(due) = out.due_delegated(rules, step, out.at, delegated)? {
            dues.push(StepDue { step, due });
        }
    }
    out.push(EventBody::Accepted { dues });
    Ok(())
}

// ---------------------------------------------------------------------------- existing cases

fn on_case(s: &CaseState, body: &CommandBody, out: &mut Out<'_, '_>) -> Result<(), CaseError> {
    let ctx = out.ctx;
    let kind = body.kind();
    let actor = ctx.actor;
    if !actor.division.contains(&s.header.village) {
        return Err(CaseError::OutsideJurisdiction);
    }
    if !ctx.profile.applies_to.is_empty() && !ctx.profile.applies_to_code(&s.header.village) {
        return Err(CaseError::ProfileMismatch {
            county: s.header.county.clone(),
        });
    }
    let rules = ctx
        .profile
        .program(s.header.program)
        .ok_or(CaseError::ProgramNotConfigured {
            program: s.header.program,
        })?;
    // An archived approval can still be corrected: the payment outlives the file.
    let archived = s
        .closure
        .as_ref()
        .is_some_and(|c| c.reason == CloseReason::Archived);
    if s.stage == Stage::Closed && !(kind == CommandKind::Correct && archived) {
        return Err(CaseError::CaseClosed { command: kind });
    }
    check_not_related(s, actor.user_id)?;
    if out.at < s.last_at {
        return Err(CaseError::BeforeLastStep { last: s.last_at });
    }
    let p = &s.header.procedure;
    let at = out.at;
    let stage_in = |stages: &[Stage]| {
        if stages.contains(&s.stage) {
            Ok(())
        } else {
            Err(CaseError::WrongStage {
                stage: s.stage,
                command: kind,
            })
        }
    };
    match body {
        CommandBody::Apply { .. }
        | CommandBody::RequestPreCheck { .. }
        | CommandBody::ReportEmergency { .. } => {
            return Err(CaseError::AlreadyOpened { command: kind });
        }
        CommandBody::ApplyAfterCheck { materials } => {
            stage_in(&[Stage::Invited])?;
            let keys = material_keys(rules, materials, false)?;
            let mut on_file = s.materials.clone();
            on_file.extend(keys.iter().cloned());
            out.push(EventBody::ApplicationFiled { materials: keys });
            after_materials(&s.header, rules, &on_file, s.one_time_notice.is_some(), out)?;
        }
        CommandBody::SubmitMaterials { materials } => {
            stage_in(&[
                Stage::AwaitingMaterials,
                Stage::Investigation,
                Stage::Review,
                Stage::Reinvestigation,
            ])?;
            let keys = material_keys(rules, materials, true)?;
            let mut on_file = s.materials.clone();
            on_file.extend(keys.iter().cloned());
            out.push(EventBody::MaterialsSubmitted { materials: keys });
            if s.stage == Stage::AwaitingMaterials {
                after_materials(&s.header, rules, &on_file, true, out)?;
            }
        }
        CommandBody::RecordVillageReview { supports, opinion } => {
            stage_in(&[Stage::VillageReview])?;
            let opinion = text("opinion", opinion, MAX_TEXT)?;
            out.push(EventBody::VillageReviewed {
                supports: *supports,
                opinion,
            });
            accept(&s.header, rules, out)?;
        }
        CommandBody::RequestCheck => {
            stage_in(&[Stage::Investigation, Stage::Review, Stage::Reinvestigation])?;
            match s.check() {
                Some(c) if c.result.is_none() => return Err(CaseError::CheckAlreadyRequested),
                Some(_) if s.stage != Stage::Reinvestigation => {
                    return Err(CaseError::CheckAlreadyDone);
                }
                _ => {}
            }
            if !s.materials.contains(AUTHORIZATION) {
                return Err(CaseError::AuthorizationMissing);
            }
            let due = out.due(rules, Step::EconomicCheck, at)?;
            out.push(EventBody::CheckRequested {
                before_application: false,
                due,
            });
        }
        CommandBody::RecordCheckResult {
            passed,
            summary,
            reasons: given,
        } => {
            stage_in(&[
                Stage::PreCheck,
                Stage::Investigation,
                Stage::Review,
                Stage::Reinvestigation,
            ])?;
            match s.check() {
                None => return Err(CaseError::CheckNotRequested),
                Some(c) if c.result.is_some() => return Err(CaseError::CheckAlreadyDone),
                Some(_) => {}
            }
            let summary = text("summary", summary, MAX_TEXT)?;
            let reasons = if *passed {
                optional_list("reasons", given)?
            } else {
                reasons(given)?
            };
            out.push(EventBody::CheckRecorded {
                result: CheckResult {
                    passed: *passed,
                    summary,
                    reasons: reasons.clone(),
                },
            });
            if s.stage == Stage::PreCheck {
                if *passed {
                    out.push(EventBody::InvitedToApply);
                } else {
                    out.push(EventBody::Closed {
                        reason: CloseReason::CheckFailed { reasons },
                    });
                }
            }
        }
        CommandBody::RecordHomeVisit {
            investigators,
            members,
            findings,
        } => {
            stage_in(&[Stage::Investigation, Stage::Reinvestigation])?;
            let distinct: BTreeSet<_> = investigators.iter().copied().collect();
            if distinct.len() != investigators.len() {
                return Err(CaseError::DuplicateInvestigator);
            }
            if distinct.len() < p.min_investigators as usize {
                return Err(CaseError::TooFewInvestigators {
                    required: p.min_investigators,
                    given: distinct.len(),
                });
            }
            if investigators.len() > MAX_LIST {
                return Err(CaseError::TooManyEntries {
                    field: "investigators",
                    max: MAX_LIST,
                });
            }
            if !distinct.contains(&actor.user_id) {
                return Err(CaseError::RecorderNotInvestigator);
            }
            for &user in investigators {
                check_not_related(s, user)?;
                check_separation(s, user, Duty::Investigate)?;
            }
            let members = member_facts(members)?;
            let findings = text("findings", findings, MAX_TEXT)?;
            let review_due = out.due(rules, Step::Review, at)?;
            out.push(EventBody::HomeVisitRecorded {
                investigators: investigators.clone(),
                members,
                findings,
                reinvestigation: s.stage == Stage::Reinvestigation,
                review_due,
            });
        }
        CommandBody::SignReview {
            recommendation,
            opinion,
            disputed,
        } => {
            stage_in(&[Stage::Review])?;
            check_separation(s, actor.user_id, Duty::Review)?;
            if !s.has_check_report() {
                return Err(CaseError::CheckReportMissing);
            }
            let recommendation = match recommendation {
                Recommendation::Approve { proposed_amount } => {
                    if proposed_amount.is_some_and(|a| a.is_negative()) {
                        return Err(CaseError::NegativeAmount {
                            field: "proposed amount",
                        });
                    }
                    Recommendation::Approve {
                        proposed_amount: *proposed_amount,
                    }
                }
                Recommendation::Refuse { reasons: given } => Recommendation::Refuse {
                    reasons: reasons(given)?,
                },
            };
            let opinion = text("opinion", opinion, MAX_TEXT)?;
            let approve = recommendation.is_approve();
            out.push(EventBody::ReviewSigned {
                recommendation,
                opinion,
                disputed: *disputed,
            });
            let appraisal = if s.objection_calls_for_appraisal {
                Some(AppraisalReason::Objection)
            } else if p.appraisal == Appraisal::Always {
                Some(AppraisalReason::Always)
            } else if p.appraisal == Appraisal::OnObjection && *disputed {
                Some(AppraisalReason::Disputed)
            } else {
                None
            };
            match appraisal {
                Some(reason) => out.push(EventBody::AppraisalCalled { reason }),
                None => to_notice_or_decision(p, rules, approve, at, out)?,
            }
        }
        CommandBody::RecordAppraisal {
            participants,
            outcome,
            minutes,
        } => {
            stage_in(&[Stage::Appraisal])?;
            let participants = list("participants", participants, 100, 100)?;
            let minutes = text("minutes", minutes, MAX_TEXT)?;
            out.push(EventBody::AppraisalRecorded {
                participants,
                outcome: *outcome,
                minutes,
            });
            if s.decision.is_some() {
                // After an objection to the posted result (seed 004): the appraisal upholds
                // the decision, or it is made again within the after-objection period.
                match outcome {
                    AppraisalOutcome::Supports => out.push(EventBody::DecisionUpheld),
                    AppraisalOutcome::Opposes => {
                        // Due within the after-objection period where the profile has one
                        // (counted from the objection), else the decision period from the
                        // appraisal: a reopened decision never goes without a deadline.
                        let due = match s.due(Step::DecisionAfterObjection) {
                            Some(due) => Some(due),
                            None => out.due(rules, Step::Decision, at)?,
                        };
                        out.push(EventBody::DecisionReopened);
                        out.push(EventBody::SentForDecision { due });
                    }
                }
            } else {
                let approve = s
                    .latest_review()
                    .is_some_and(|r| r.recommendation.is_approve())
                    && *outcome == AppraisalOutcome::Supports;
                let reviewed_at = s.latest_review().map_or(at, |r| r.signed.at);
                to_notice_or_decision(p, rules, approve, reviewed_at, out)?;
            }
        }
        CommandBody::PostNotice => {
            stage_in(&[Stage::ToNotice])?;
            let due = out.due(rules, Step::Notice, at)?;
            out.push(EventBody::NoticePosted { due });
        }
        CommandBody::RaiseObjection { summary } => {
            let summary = text("summary", summary, MAX_TEXT)?;
            let calls_for_appraisal = p.appraisal != Appraisal::Never;
            match s.stage {
                Stage::Notice => {
                    if let Some(due) = s.notices.last().and_then(|n| n.due)
                        && due.is_overdue(at)
                    {
                        return Err(CaseError::NoticePeriodOver { until: due.date });
                    }
                    let decision_due = out.due(rules, Step::DecisionAfterObjection, at)?;
                    out.push(EventBody::ObjectionRaised {
                        summary,
                        after_decision: false,
                        calls_for_appraisal,
                        decision_due,
                    });
                    out.push(EventBody::ReinvestigationOrdered);
                }
                Stage::Decided => {
                    if p.notice_before_decision {
                        return Err(CaseError::ObjectionAfterNotice);
                    }
                    if !s.decision.as_ref().is_some_and(|d| d.decision.is_approve()) {
                        return Err(CaseError::NotApproved);
                    }
                    if s.result_posted.is_none() {
                        return Err(CaseError::ResultNotPosted);
                    }
                    let decision_due = out.due(rules, Step::DecisionAfterObjection, at)?;
                    out.push(EventBody::ObjectionRaised {
                        summary,
                        after_decision: true,
                        calls_for_appraisal,
                        decision_due,
                    });
                    if calls_for_appraisal {
                        out.push(EventBody::AppraisalCalled {
                            reason: AppraisalReason::Objection,
                        });
                    } else {
                        out.push(EventBody::DecisionReopened);
                        out.push(EventBody::ReinvestigationOrdered);
                    }
                }
                stage => {
                    return Err(CaseError::WrongStage {
                        stage,
                        command: kind,
                    });
                }
            }
        }
        CommandBody::EndNotice => {
            stage_in(&[Stage::Notice])?;
            let notice_due = s.notices.last().and_then(|n| n.due);
            let ended_at = match notice_due {
                Some(due) if !due.is_overdue(at) => {
                    return Err(CaseError::NoticePeriodRunning { until: due.date });
                }
                Some(due) => due.at.unwrap_or_else(|| end_of_day(due.date)),
                None => at,
            };
            let due = out.due(rules, Step::Decision, ended_at)?;
            out.push(EventBody::NoticeEnded);
            out.push(EventBody::SentForDecision { due });
        }
        CommandBody::Decide { decision } => {
            stage_in(&[Stage::Decision])?;
            let authority = check_authority(s, out)?;
            check_separation(s, actor.user_id, Duty::Confirm)?;
            let decision = match decision {
                DecisionRequest::Approve {
                    basis,
                    start_month,
                    expected_amount,
                } => {
                    if start_month.day() != 1 {
                        return Err(CaseError::StartMonthNotFirstDay);
                    }
                    let opened = s.opened.at.date();
                    if (start_month.year(), start_month.month()) < (opened.year(), opened.month()) {
                        return Err(CaseError::StartMonthBeforeCase);
                    }
                    let calculation = calculate_amount(s, rules, basis)?;
                    if let Some(expected) = expected_amount
                        && *expected != calculation.amount
                    {
                        return Err(CaseError::AmountMismatch {
                            expected: *expected,
                            computed: calculation.amount,
                        });
                    }
                    if p.notice_before_decision
                        && !s
                            .notices
                            .last()
                            .is_some_and(|n| n.ended.is_some() && !n.objected)
                    {
                        return Err(CaseError::ApprovalNeedsNotice);
                    }
                    Decision::Approve {
                        amount: calculation.amount,
                        start_month: *start_month,
                        calculation,
                    }
                }
                DecisionRequest::Refuse { reasons: given } => Decision::Refuse {
                    reasons: reasons(given)?,
                },
            };
            let refusal_notice_due = if decision.is_approve() {
                None
            } else {
                out.due(rules, Step::RefusalNotice, at)?
            };
            out.push(EventBody::Decided {
                decision,
                authority,
                refusal_notice_due,
            });
        }
        CommandBody::DeliverNotice { note } => {
            stage_in(&[Stage::Decided])?;
            if s.delivered.is_some() {
                return Err(CaseError::NoticeAlreadyDelivered);
            }
            let note = optional_text("note", note, MAX_SHORT)?;
            out.push(EventBody::NoticeDelivered { note });
        }
        CommandBody::PostResult => {
            stage_in(&[Stage::Decided])?;
            if !s.decision.as_ref().is_some_and(|d| d.decision.is_approve()) {
                return Err(CaseError::NotApproved);
            }
            if !p.disclosure_after_decision {
                return Err(CaseError::NoDisclosure);
            }
            if s.result_posted.is_some() {
                return Err(CaseError::ResultAlreadyPosted);
            }
            out.push(EventBody::ResultPosted);
        }
        CommandBody::Archive => {
            stage_in(&[Stage::Decided])?;
            if s.delivered.is_none() {
                return Err(CaseError::NoticeNotDelivered);
            }
            let approved = s.decision.as_ref().is_some_and(|d| d.decision.is_approve());
            if approved && p.disclosure_after_decision && s.result_posted.is_none() {
                return Err(CaseError::ResultNotPosted);
            }
            out.push(EventBody::Closed {
                reason: CloseReason::Archived,
            });
        }
        CommandBody::Withdraw { reason, note } => {
            let allowed: &[Stage] = match reason {
                WithdrawReason::ApplicantRequest => &[
                    Stage::PreCheck,
                    Stage::Invited,
                    Stage::Intake,
                    Stage::AwaitingMaterials,
                    Stage::VillageReview,
                    Stage::Investigation,
                    Stage::Review,
                    Stage::Appraisal,
                    Stage::ToNotice,
                    Stage::Notice,
                    Stage::Reinvestigation,
                    Stage::Decision,
                    Stage::EmergencyHelp,
                ],
                WithdrawReason::RefusedInvestigation => &[
                    Stage::VillageReview,
                    Stage::Investigation,
                    Stage::Review,
                    Stage::Reinvestigation,
                ],
            };
            stage_in(allowed)?;
            if s.decision.is_some() {
                return Err(CaseError::WrongStage {
                    stage: s.stage,
                    command: kind,
                });
            }
            let note = optional_text("note", note, MAX_SHORT)?;
            out.push(EventBody::Closed {
                reason: CloseReason::Withdrawn {
                    refused_investigation: *reason == WithdrawReason::RefusedInvestigation,
                    note,
                },
            });
        }
        CommandBody::GiveEmergencyHelp {
            amount,
            description,
        } => {
            stage_in(&[Stage::EmergencyHelp])?;
            if amount.is_negative() {
                return Err(CaseError::NegativeAmount { field: "amount" });
            }
            // The program's own ceiling binds everyone; a township's delegated cap binds the
            // township: help above it is the county's (the caller passes the authority for
            // the amount, as for a decision). Without a grant the township still helps first
            // (national rule: 急难型 help first), within the ceiling.
            if let AmountRule::MonthsOfStandard { max, .. } = &rules.amount
                && amount > max
            {
                return Err(CaseError::AboveProgramMaximum { max: *max });
            }
            if let Some(Authority::County {
                reason: CountyReason::AboveCap { cap },
                ..
            }) = out.ctx.authority
                && actor.role != Role::CountyAdmin
            {
                return Err(CaseError::EmergencyHelpAboveCap { cap: *cap });
            }
            let description = text("description", description, MAX_TEXT)?;
            let paperwork_due = out.due(rules, Step::EmergencyPaperwork, at)?;
            out.push(EventBody::EmergencyHelped {
                amount: *amount,
                description,
                paperwork_due,
            });
        }
        CommandBody::CompletePaperwork {
            materials,
            continue_procedure,
        } => {
            stage_in(&[Stage::EmergencyPaperwork])?;
            let keys = material_keys(rules, materials, false)?;
            let mut on_file = s.materials.clone();
            on_file.extend(keys.iter().cloned());
            let missing = missing_materials(rules, &on_file);
            if !missing.is_empty() {
                return Err(CaseError::PaperworkIncomplete {
                    missing: missing.into_iter().map(|m| m.key).collect(),
                });
            }
            out.push(EventBody::PaperworkCompleted { materials: keys });
            if *continue_procedure {
                intake_complete(&s.header, rules, out)?;
            } else {
                out.push(EventBody::Closed {
                    reason: CloseReason::EmergencyOnly,
                });
            }
        }
        CommandBody::FileNearRelative {
            related_user,
            kinship,
            capacity,
        } => {
            if s.is_near_relative(*related_user) {
                return Err(CaseError::NearRelativeAlreadyFiled {
                    user: *related_user,
                });
            }
            out.push(EventBody::NearRelativeFiled {
                related_user: *related_user,
                kinship: *kinship,
                capacity: *capacity,
                filed_with: s.header.county.clone(),
                prior_duties: s.duties_of(*related_user),
            });
        }
        CommandBody::Correct {
            finding,
            correction,
            effective_month,
            reason,
        } => {
            stage_in(&[Stage::Decided, Stage::Closed])?;
            let Some(record) = s.decision.as_ref() else {
                return Err(CaseError::CorrectNotApproved);
            };
            let Decision::Approve { start_month, .. } = &record.decision else {
                return Err(CaseError::CorrectNotApproved);
            };
            check_corrector(s, &record.authority, actor)?;
            if effective_month.day() != 1 || effective_month < start_month {
                return Err(CaseError::CorrectionMonth);
            }
            let reason = text("reason", reason, MAX_SHORT)?;
            let previous_amount = s.current_amount().unwrap_or(Fen::ZERO);
            // Already stopped (or corrected to nothing) by an earlier correction.
            let stopped = s
                .current_corrections()
                .last()
                .is_some_and(|c| c.correction.amount() == Fen::ZERO);
            let (correction, members) = match correction {
                CorrectionRequest::Stop => {
                    if stopped {
                        return Err(CaseError::CorrectionChangesNothing {
                            amount: previous_amount,
                        });
                    }
                    (Correction::Stop, Vec::new())
                }
                CorrectionRequest::Amount {
                    basis,
                    members,
                    expected_amount,
                } => {
                    let members = if members.is_empty() {
                        Vec::new()
                    } else {
                        member_facts(members)?
                    };
                    let found = if members.is_empty() {
                        s.home_visits.last().map(|v| v.members.as_slice())
                    } else {
                        Some(members.as_slice())
                    };
                    let calculation = benefit::calculate(s.header.program, rules, basis, found)?;
                    if let Some(expected) = expected_amount
                        && *expected != calculation.amount
                    {
                        return Err(CaseError::AmountMismatch {
                            expected: *expected,
                            computed: calculation.amount,
                        });
                    }
                    if calculation.amount == previous_amount {
                        return Err(CaseError::CorrectionChangesNothing {
                            amount: previous_amount,
                        });
                    }
                    let amount = calculation.amount;
                    (
                        Correction::Amount {
                            amount,
                            calculation,
                        },
                        members,
                    )
                }
            };
            out.push(EventBody::Corrected {
                finding: finding.clone(),
                previous_amount,
                correction,
                effective_month: *effective_month,
                reason,
                members,
            });
        }
    }
    Ok(())
}

/// Who corrects an approval: the county administrator always (the county supervises what it
/// delegated); a township's head where the township decided under its grant, in that
/// township only.
fn check_corrector(
    s: &CaseState,
    authority: &Authority,
    actor: &super::Actor,
) -> Result<(), CaseError> {
    match (authority, actor.role) {
        (_, Role::CountyAdmin) => Ok(()),
        (Authority::Township { township, .. }, Role::TownshipHead) => {
            if township == &s.header.township && &actor.division == township {
                Ok(())
            } else {
                Err(CaseError::OutsideJurisdiction)
            }
        }
        (Authority::Township { .. }, role) => Err(CaseError::NotTheAuthority {
            required: Role::TownshipHead,
            level: "township",
            role,
        }),
        (Authority::County { .. }, role) => Err(CaseError::NotTheAuthority {
            required: Role::CountyAdmin,
            level: "county",
            role,
        }),
    }
}

/// After the review (and any appraisal): a proposed approval is posted where the plan posts
/// before deciding; otherwise the file goes to the confirming authority, whose period runs
/// from the review (national rule: "of receiving the reviewed file").
fn to_notice_or_decision(
    p: &Procedure,
    rules: &ProgramRules,
    approve: bool,
    reviewed_at: NaiveDateTime,
    out: &mut Out<'_, '_>,
) -> Result<(), CaseError> {
    if approve && p.notice_before_decision {
        out.push(EventBody::ProposedForNotice);
    } else {
        let due = out.due(rules, Step::Decision, reviewed_at)?;
        out.push(EventBody::SentForDecision { due });
    }
    Ok(())
}

/// The authority passed by the caller, checked against the case and the actor: a township
/// authority is exercised by a head of that township, a county one by a county admin.
fn check_authority(s: &CaseState, out: &Out<'_, '_>) -> Result<Authority, CaseError> {
    let ctx = out.ctx;
    let authority = ctx.authority.ok_or(CaseError::AuthorityMissing)?;
    let role = ctx.actor.role;
    match authority {
        Authority::Township { township, .. } => {
            if township != &s.header.township {
                return Err(CaseError::AuthorityMismatch);
            }
            if role != Role::TownshipHead {
                return Err(CaseError::NotTheAuthority {
                    required: Role::TownshipHead,
                    level: "township",
                    role,
                });
            }
            // A township's authority is exercised in that township, not from above it.
            if &ctx.actor.division != township {
                return Err(CaseError::OutsideJurisdiction);
            }
        }
        Authority::County { county, .. } => {
            if county != &s.header.county {
                return Err(CaseError::AuthorityMismatch);
            }
            if role != Role::CountyAdmin {
                return Err(CaseError::NotTheAuthority {
                    required: Role::CountyAdmin,
                    level: "county",
                    role,
                });
            }
        }
    }
    Ok(authority.clone())
}

/// The commands a user interface offers at a stage (besides near-relative filing, which is
/// possible at any open stage): the next steps of the procedure. The engine stays the judge
/// of each command (role, profile, state); this only says which forms to show.
pub fn offered_at(stage: Stage) -> &'static [CommandKind] {
    use CommandKind as K;
    match stage {
        Stage::PreCheck => &[K::RecordCheckResult, K::Withdraw],
        Stage::Invited => &[K::ApplyAfterCheck, K::Withdraw],
        Stage::AwaitingMaterials => &[K::SubmitMaterials, K::Withdraw],
        Stage::VillageReview => &[K::RecordVillageReview, K::Withdraw],
        Stage::Investigation => &[
            K::RequestCheck,
            K::RecordCheckResult,
            K::RecordHomeVisit,
            K::SubmitMaterials,
            K::Withdraw,
        ],
        Stage::Review => &[
            K::SignReview,
            K::RequestCheck,
            K::RecordCheckResult,
            K::SubmitMaterials,
            K::Withdraw,
        ],
        Stage::Reinvestigation => &[
            K::RecordHomeVisit,
            K::RequestCheck,
            K::RecordCheckResult,
            K::SubmitMaterials,
            K::Withdraw,
        ],
        Stage::Appraisal => &[K::RecordAppraisal, K::Withdraw],
        Stage::ToNotice => &[K::PostNotice, K::Withdraw],
        Stage::Notice => &[K::RaiseObjection, K::EndNotice, K::Withdraw],
        Stage::Decision => &[K::Decide, K::Withdraw],
        Stage::Decided => &[
            K::DeliverNotice,
            K::PostResult,
            K::RaiseObjection,
            K::Archive,
            K::Correct,
        ],
        Stage::EmergencyHelp => &[K::GiveEmergencyHelp, K::Withdraw],
        Stage::EmergencyPaperwork => &[K::CompletePaperwork],
        // Only an archived approval (the engine checks).
        Stage::Closed => &[K::Correct],
        Stage::Intake => &[],
    }
}

/// The amount an approval of the case gives under the program's rules: the profile's
/// formula over the facts in `basis` and, for the 低保 top-up, the members and incomes of
/// the latest home visit. The store calls this too, to ask for the authority of that amount.
pub fn approval_calculation(
    s: &CaseState,
    profile: &EffectiveProfile,
    basis: &AmountBasis,
) -> Result<Calculation, CaseError> {
    let program = s.header.program;
    let rules = profile
        .program(program)
        .ok_or(CaseError::ProgramNotConfigured { program })?;
    calculate_amount(s, rules, basis)
}

fn calculate_amount(
    s: &CaseState,
    rules: &ProgramRules,
    basis: &AmountBasis,
) -> Result<Calculation, CaseError> {
    let members = s.home_visits.last().map(|v| v.members.as_slice());
    Ok(benefit::calculate(s.header.program, rules, basis, members)?)
}

fn end_of_day(date: NaiveDate) -> NaiveDateTime {
    date.and_hms_opt(23, 59, 59)
        .unwrap_or_else(|| date.and_time(chrono::NaiveTime::MIN))
}

// ---------------------------------------------------------------------------- input

fn text(field: &'static str, s: &str, max: usize) -> Result<String, CaseError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(CaseError::TextRequired { field });
    }
    optional_text(field, t, max)
}

fn optional_text(field: &'static str, s: &str, max: usize) -> Result<String, CaseError> {
    let t = s.trim();
    if t.chars().count() > max {
        return Err(CaseError::TextTooLong { field, max });
    }
    Ok(t.to_string())
}

/// A non-empty list of non-empty texts.
fn list(
    field: &'static str,
    items: &[String],
    max_items: usize,
    max_len: usize,
) -> Result<Vec<String>, CaseError> {
    let items = optional_list_of(field, items, max_items, max_len)?;
    if items.is_empty() {
        return Err(CaseError::TextRequired { field });
    }
    Ok(items)
}

fn optional_list_of(
    field: &'static str,
    items: &[String],
    max_items: usize,
    max_len: usize,
) -> Result<Vec<String>, CaseError> {
    if items.len() > max_items {
        return Err(CaseError::TooManyEntries {
            field,
            max: max_items,
        });
    }
    items
        .iter()
        .filter(|i| !i.trim().is_empty())
        .map(|i| optional_text(field, i, max_len))
        .collect()
}

fn optional_list(field: &'static str, items: &[String]) -> Result<Vec<String>, CaseError> {
    optional_list_of(field, items, 20, MAX_SHORT)
}

/// 理由: at least one.
fn reasons(items: &[String]) -> Result<Vec<String>, CaseError> {
    let items = optional_list("reasons", items)?;
    if items.is_empty() {
        return Err(CaseError::ReasonsRequired);
    }
    Ok(items)
}

fn member_facts(members: &[MemberFacts]) -> Result<Vec<MemberFacts>, CaseError> {
    if members.is_empty() {
        return Err(CaseError::NoMemberFacts);
    }
    if members.len() > 30 {
        return Err(CaseError::TooManyEntries {
            field: "members",
            max: 30,
        });
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(members.len());
    for m in members {
        if m.member_seq < 1 || !seen.insert(m.member_seq) {
            return Err(CaseError::BadMemberFacts { seq: m.member_seq });
        }
        if m.monthly_income.is_negative() {
            return Err(CaseError::NegativeAmount {
                field: "monthly income",
            });
        }
        out.push(MemberFacts {
            note: optional_text("member note", &m.note, MAX_SHORT)?,
            ..m.clone()
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ProfileSet;
    use crate::{DivisionCode, Program};

    fn rules(county: &str, program: Program) -> ProgramRules {
        let set = ProfileSet::builtin().expect("built-in profiles");
        let code = DivisionCode::parse(county).expect("code");
        set.effective_for(&code)
            .and_then(|p| p.program(program).cloned())
            .expect("rules")
    }

    #[test]
    fn printable_keys_never_echo_numbers() {
        assert_eq!(printable_key("income_proof"), "income_proof");
        assert_eq!(printable_key("110105199003072316"), "(invalid key)");
        assert_eq!(printable_key("张三"), "(invalid key)");
        assert_eq!(printable_key(&"a".repeat(65)), "(invalid key)");
    }

    #[test]
    fn missing_materials_follow_the_checklist_and_add_the_authorization() {
        let dibao = rules("650205", Program::Dibao);
        let on_file: BTreeSet<String> = ["application_form".to_string()].into();
        let missing: Vec<String> = missing_materials(&dibao, &on_file)
            .into_iter()
            .map(|m| m.key)
            .collect();
        assert_eq!(
            missing,
            [
                "verification_authorization",
                "integrity_statement",
                "identity_documents"
            ]
        );
        // 残疾人两项补贴's checklist lacks the authorization: it is appended.
        let canji = rules("640181", Program::Canji);
        let missing = missing_materials(&canji, &BTreeSet::new());
        assert_eq!(missing.last().map(|m| m.key.as_str()), Some(AUTHORIZATION));
        assert_eq!(missing.len(), 4);
    }

    #[test]
    fn material_keys_are_trimmed_deduplicated_and_checked() {
        let dibao = rules("650205", Program::Dibao);
        let given = vec![
            " application_form ".to_string(),
            "application_form".to_string(),
            String::new(),
        ];
        assert_eq!(
            material_keys(&dibao, &given, false),
            Ok(vec!["application_form".to_string()])
        );
        assert_eq!(
            material_keys(&dibao, &[String::new()], true),
            Err(CaseError::TextRequired { field: "materials" })
        );
        assert_eq!(
            material_keys(&dibao, &["photo".to_string()], false),
            Err(CaseError::UnknownMaterial {
                key: "photo".to_string()
            })
        );
    }

    #[test]
    fn text_limits() {
        assert_eq!(text("opinion", "  同意  ", 10), Ok("同意".to_string()));
        assert_eq!(
            text("opinion", "   ", 10),
            Err(CaseError::TextRequired { field: "opinion" })
        );
        assert_eq!(
            text("opinion", &"字".repeat(11), 10),
            Err(CaseError::TextTooLong {
                field: "opinion",
                max: 10
            })
        );
        assert_eq!(reasons(&[]), Err(CaseError::ReasonsRequired));
    }

    #[test]
    fn every_role_has_something_to_do_except_finance() {
        for role in Role::ALL {
            let any = CommandKind::ALL
                .iter()
                .any(|k| allowed_roles(*k).contains(&role));
            assert_eq!(
                any,
                !matches!(role, Role::FinanceOfficer | Role::CountySupervisor),
                "{role}"
            );
        }
    }
}
