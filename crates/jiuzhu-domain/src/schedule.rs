//! 办理期限 the due date of every timed step of a case, from its program's rules in the
//! county's procedure profile, the official calendar and the moment that starts each step.
//!
//! Each profile field says what starts its clock (see `profile::Steps`); this module is the
//! one place that encodes those triggers, so the case engine asks [`due_for`] with the
//! actual moment of the triggering event, and a caseworker's planning view asks [`planned`]
//! for the latest permissible timeline of a case that runs without objection.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};
use crate::deadline::{Due, Period, due};
use crate::profile::{ProgramRules, StepOrder};

/// 环节 a timed step of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 家庭经济状况核对 the check centre's answer.
    EconomicCheck,
    /// 启动调查 the investigation starts.
    InvestigationStart,
    /// 调查核实 / 入户调查 the investigation (home visit) is complete.
    Investigation,
    /// 审核 the review opinion is signed.
    Review,
    /// 公示 the public notice before the decision ends.
    Notice,
    /// 确认 / 审批 the decision.
    Decision,
    /// 异议复核 after an objection: re-investigation and decision.
    DecisionAfterObjection,
    /// 不予批准告知 written notice of a refusal.
    RefusalNotice,
    /// 办理时限 the whole procedure, acceptance to decision.
    WholeProcedure,
    /// 先行救助 emergency help (急难型临时救助).
    EmergencyHelp,
    /// 补办手续 the paperwork after emergency help.
    EmergencyPaperwork,
}

/// 起算事件 the event whose moment starts a step's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// 受理 the application is accepted.
    Accepted,
    /// 发起核对 the economic check is requested (at acceptance, or before the application
    /// where the county verifies first).
    CheckRequested,
    /// 入户调查结束 the home visit ends.
    HomeVisitEnded,
    /// 签署审核意见 the review opinion is signed.
    ReviewSigned,
    /// 公示期满 the notice ends without objection.
    NoticeEnded,
    /// 提出异议 an objection is raised.
    ObjectionRaised,
    /// 作出决定 the decision is made.
    Decided,
    /// 报告急难情况 the emergency is reported.
    EmergencyReported,
    /// 先行救助 the emergency help is given.
    Helped,
}

impl Step {
    pub const ALL: [Step; 11] = [
        Step::EconomicCheck,
        Step::InvestigationStart,
        Step::Investigation,
        Step::Review,
        Step::Notice,
        Step::Decision,
        Step::DecisionAfterObjection,
        Step::RefusalNotice,
        Step::WholeProcedure,
        Step::EmergencyHelp,
        Step::EmergencyPaperwork,
    ];

    pub fn name_zh(self) -> &'static str {
        match self {
            Step::EconomicCheck => "家庭经济状况核对",
            Step::InvestigationStart => "启动调查",
            Step::Investigation => "入户调查核实",
            Step::Review => "审核",
            Step::Notice => "公示",
            Step::Decision => "确认决定",
            Step::DecisionAfterObjection => "异议复核决定",
            Step::RefusalNotice => "不予批准书面告知",
            Step::WholeProcedure => "办理时限",
            Step::EmergencyHelp => "先行救助",
            Step::EmergencyPaperwork => "补办手续",
        }
    }

    /// What starts this step's clock under `rules`. The decision runs from the end of the
    /// notice where there is a notice before the decision, otherwise from the review
    /// opinion (national rule: "of receiving the reviewed file").
    pub fn trigger(self, rules: &ProgramRules) -> Trigger {
        match self {
            Step::EconomicCheck => Trigger::CheckRequested,
            Step::InvestigationStart | Step::Investigation | Step::WholeProcedure => {
                Trigger::Accepted
            }
            Step::Review => Trigger::HomeVisitEnded,
            Step::Notice => Trigger::ReviewSigned,
            Step::Decision if rules.steps.notice.before_decision => Trigger::NoticeEnded,
            Step::Decision => Trigger::ReviewSigned,
            Step::DecisionAfterObjection => Trigger::ObjectionRaised,
            Step::RefusalNotice => Trigger::Decided,
            Step::EmergencyHelp => Trigger::EmergencyReported,
            Step::EmergencyPaperwork => Trigger::Helped,
        }
    }

    /// The step's period under `rules`, or `None` when the step does not exist there or the
    /// plan sets no deadline for it. `delegated`: the township confirms (the shorter
    /// whole-procedure limit applies).
    pub fn period(self, rules: &ProgramRules, delegated: bool) -> Option<Period> {
        let s = &rules.steps;
        let emergency = rules.emergency.as_ref().filter(|e| e.help_first);
        match self {
            Step::EconomicCheck => s.economic_check.deadline,
            Step::InvestigationStart => s.investigation.start_within,
            Step::Investigation => s.investigation.deadline,
            Step::Review => s.review.deadline,
            Step::Notice => s.notice.length.filter(|_| s.notice.before_decision),
            Step::Decision => s.decision.deadline,
            Step::DecisionAfterObjection => s.decision.after_objection,
            Step::RefusalNotice => s.decision.refusal_notice,
            Step::WholeProcedure => rules.whole_limit(delegated),
            Step::EmergencyHelp => emergency.and_then(|e| e.help_within),
            Step::EmergencyPaperwork => emergency.and_then(|e| e.paperwork_within),
        }
    }
}

/// The due date of `step` whose triggering event happened at `trigger_at` (local
/// Asia/Shanghai time), or `None` when the rules set no deadline for it.
pub fn due_for(
    rules: &ProgramRules,
    step: Step,
    trigger_at: NaiveDateTime,
    delegated: bool,
    cal: &Calendar,
) -> Result<Option<Due>, CalendarError> {
    step.period(rules, delegated)
        .map(|p| due(trigger_at, p, cal))
        .transpose()
}

/// One step of a planned timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedStep {
    pub step: Step,
    pub trigger: Trigger,
    pub period: Period,
    pub due: Due,
}

/// The latest permissible timeline of a case that runs without objection: every step done
/// on its last permissible day, the next one starting then. `start` is the acceptance of the
/// application, or, where the county verifies first (先核对、后申请), the check request, with
/// the application accepted when the check is due. Steps whose start depends on a step
/// without a deadline are left out (their date cannot be planned).
pub fn planned(
    rules: &ProgramRules,
    start: NaiveDateTime,
    delegated: bool,
    cal: &Calendar,
) -> Result<Vec<PlannedStep>, CalendarError> {
    let mut out = Vec::new();
    let mut push =
        |step: Step, at: NaiveDateTime| -> Result<Option<NaiveDateTime>, CalendarError> {
            let Some(period) = step.period(rules, delegated) else {
                return Ok(None);
            };
            let d = due(at, period, cal)?;
            out.push(PlannedStep {
                step,
                trigger: step.trigger(rules),
                period,
                due: d,
            });
            // The next step starts at the end of this one's last day (or at the hour).
            Ok(Some(d.at.unwrap_or_else(|| end_of(d))))
        };
    let accepted = match rules.order {
        StepOrder::VerifyFirst => push(Step::EconomicCheck, start)?.unwrap_or(start),
        StepOrder::ApplyFirst => {
            push(Step::EconomicCheck, start)?;
            start
        }
    };
    push(Step::InvestigationStart, accepted)?;
    push(Step::WholeProcedure, accepted)?;
    let Some(visit_ended) = push(Step::Investigation, accepted)? else {
        return Ok(out);
    };
    let Some(review_signed) = push(Step::Review, visit_ended)? else {
        return Ok(out);
    };
    let decision_from = if rules.steps.notice.before_decision {
        match push(Step::Notice, review_signed)? {
            Some(notice_ended) => notice_ended,
            None => return Ok(out),
        }
    } else {
        review_signed
    };
    if let Some(decided) = push(Step::Decision, decision_from)? {
        push(Step::RefusalNotice, decided)?;
    }
    Ok(out)
}

/// The emergency timeline of 急难型 help from the report: help, then paperwork.
pub fn planned_emergency(
    rules: &ProgramRules,
    reported: NaiveDateTime,
    cal: &Calendar,
) -> Result<Vec<PlannedStep>, CalendarError> {
    let mut out = Vec::new();
    let Some(help) = due_for(rules, Step::EmergencyHelp, reported, false, cal)? else {
        return Ok(out);
    };
    out.push(PlannedStep {
        step: Step::EmergencyHelp,
        trigger: Trigger::EmergencyReported,
        period: Step::EmergencyHelp
            .period(rules, false)
            .unwrap_or(Period::Hours(0)),
        due: help,
    });
    let helped = help.at.unwrap_or_else(|| end_of(help));
    if let (Some(period), Some(d)) = (
        Step::EmergencyPaperwork.period(rules, false),
        due_for(rules, Step::EmergencyPaperwork, helped, false, cal)?,
    ) {
        out.push(PlannedStep {
            step: Step::EmergencyPaperwork,
            trigger: Trigger::Helped,
            period,
            due: d,
        });
    }
    Ok(out)
}

/// 23:59:59 of the due date: a step done on its last day ends that day.
fn end_of(d: Due) -> NaiveDateTime {
    d.date
        .and_hms_opt(23, 59, 59)
        .unwrap_or_else(|| d.date.and_time(chrono::NaiveTime::MIN))
}
