//! `apply`: the state after an event. Total: it never fails and never panics, whatever the
//! order of the events. Validation is [`super::decide`]'s job; `apply` records.

use std::collections::BTreeSet;

use super::event::{Event, EventBody};
use super::state::{
    AppraisalReason, AppraisalRecord, CaseState, CheckRecord, Closure, CorrectionRecord,
    DecisionRecord, EmergencyHelp, EmergencyRecord, HomeVisit, NearRelativeFiling, NoticeRecord,
    ObjectionRecord, OneTimeNotice, OpenedVia, ReviewRecord, Signed, Stage, VillageReviewRecord,
};
use crate::schedule::Step;

/// The state after `event`. `None` is "no case yet": an `Opened` event creates the case, any
/// other event leaves `None`; an `Opened` event on an existing case changes nothing.
pub fn apply(state: Option<CaseState>, event: &Event) -> Option<CaseState> {
    match state {
        None => match &event.body {
            EventBody::Opened { case } => Some(CaseState {
                header: case.clone(),
                stage: match case.opened_via {
                    OpenedVia::Application => Stage::Intake,
                    OpenedVia::PreCheck => Stage::PreCheck,
                    OpenedVia::Emergency => Stage::EmergencyHelp,
                },
                version: 1,
                opened: signed(event),
                last_at: event.at,
                materials: BTreeSet::new(),
                applied: None,
                one_time_notice: None,
                village_review: None,
                accepted: None,
                checks: Vec::new(),
                home_visits: Vec::new(),
                investigators: BTreeSet::new(),
                reviews: Vec::new(),
                pending_appraisal: None,
                appraisals: Vec::new(),
                notices: Vec::new(),
                objections: Vec::new(),
                objection_calls_for_appraisal: false,
                decision: None,
                superseded_decisions: Vec::new(),
                delivered: None,
                result_posted: None,
                emergency: None,
                near_relatives: Vec::new(),
                corrections: Vec::new(),
                closure: None,
                dues: Vec::new(),
            }),
            _ => None,
        },
        Some(mut s) => {
            if matches!(event.body, EventBody::Opened { .. }) {
                return Some(s);
            }
            apply_to(&mut s, event);
            s.version = s.version.saturating_add(1);
            s.last_at = s.last_at.max(event.at);
            Some(s)
        }
    }
}

/// The state of a case rebuilt from its events, in order.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<CaseState> {
    events.into_iter().fold(None, apply)
}

fn signed(e: &Event) -> Signed {
    Signed { at: e.at, by: e.by }
}

fn apply_to(s: &mut CaseState, e: &Event) {
    let who = signed(e);
    match &e.body {
        EventBody::Opened { .. } => {}
        EventBody::CheckRequested {
            before_application,
            due,
        } => {
            s.checks.push(CheckRecord {
                requested: who,
                before_application: *before_application,
                result: None,
            });
            s.set_due(Step::EconomicCheck, *due);
            if *before_application {
                s.stage = Stage::PreCheck;
            }
        }
        EventBody::CheckRecorded { result } => {
            let pending = s.checks.last_mut().filter(|c| c.result.is_none());
            match pending {
                Some(record) => record.result = Some((who, result.clone())),
                None => s.checks.push(CheckRecord {
                    requested: who,
                    before_application: false,
                    result: Some((who, result.clone())),
                }),
            }
            s.clear_due(Step::EconomicCheck);
        }
        EventBody::InvitedToApply => s.stage = Stage::Invited,
        EventBody::ApplicationFiled { materials } => {
            s.materials.extend(materials.iter().cloned());
            s.applied = Some(who);
            s.stage = Stage::Intake;
        }
        EventBody::MaterialsIncomplete { missing } => {
            s.one_time_notice = Some(OneTimeNotice {
                signed: who,
                missing: missing.clone(),
            });
            s.stage = Stage::AwaitingMaterials;
        }
        EventBody::MaterialsSubmitted { materials } => {
            s.materials.extend(materials.iter().cloned());
        }
        EventBody::SentForVillageReview => s.stage = Stage::VillageReview,
        EventBody::VillageReviewed { supports, opinion } => {
            s.village_review = Some(VillageReviewRecord {
                signed: who,
                supports: *supports,
                opinion: opinion.clone(),
            });
        }
        EventBody::Accepted { dues } => {
            s.accepted = Some(who);
            for d in dues {
                s.set_due(d.step, Some(d.due));
            }
            s.stage = Stage::Investigation;
        }
        EventBody::HomeVisitRecorded {
            investigators,
            members,
            findings,
            reinvestigation,
            review_due,
        } => {
            s.investigators.extend(investigators.iter().copied());
            s.home_visits.push(HomeVisit {
                signed: who,
                investigators: investigators.clone(),
                members: members.clone(),
                findings: findings.clone(),
                reinvestigation: *reinvestigation,
            });
            s.clear_due(Step::InvestigationStart);
            s.clear_due(Step::Investigation);
            s.set_due(Step::Review, *review_due);
            s.stage = Stage::Review;
        }
        EventBody::ReviewSigned {
            recommendation,
            opinion,
            disputed,
        } => {
            s.reviews.push(ReviewRecord {
                signed: who,
                recommendation: recommendation.clone(),
                opinion: opinion.clone(),
                disputed: *disputed,
            });
            s.clear_due(Step::Review);
        }
        EventBody::AppraisalCalled { reason } => {
            s.pending_appraisal = Some(*reason);
            s.stage = Stage::Appraisal;
        }
        EventBody::AppraisalRecorded {
            participants,
            outcome,
            minutes,
        } => {
            let reason = s
                .pending_appraisal
                .take()
                .unwrap_or(AppraisalReason::Always);
            s.appraisals.push(AppraisalRecord {
                signed: who,
                reason,
                participants: participants.clone(),
                outcome: *outcome,
                minutes: minutes.clone(),
            });
            s.objection_calls_for_appraisal = false;
        }
        EventBody::ProposedForNotice => s.stage = Stage::ToNotice,
        EventBody::NoticePosted { due } => {
            s.notices.push(NoticeRecord {
                posted: who,
                due: *due,
                ended: None,
                objected: false,
            });
            s.set_due(Step::Notice, *due);
            s.stage = Stage::Notice;
        }
        EventBody::ObjectionRaised {
            summary,
            after_decision,
            calls_for_appraisal,
            decision_due,
        } => {
            s.objections.push(ObjectionRecord {
                signed: who,
                summary: summary.clone(),
                after_decision: *after_decision,
            });
            if !*after_decision
                && let Some(n) = s.notices.last_mut()
                && n.ended.is_none()
            {
                n.objected = true;
            }
            s.clear_due(Step::Notice);
            s.set_due(Step::DecisionAfterObjection, *decision_due);
            s.objection_calls_for_appraisal = *calls_for_appraisal;
        }
        EventBody::ReinvestigationOrdered => s.stage = Stage::Reinvestigation,
        EventBody::NoticeEnded => {
            if let Some(n) = s.notices.last_mut()
                && n.ended.is_none()
            {
                n.ended = Some(who);
            }
            s.clear_due(Step::Notice);
        }
        EventBody::SentForDecision { due } => {
            if due.is_some() {
                s.set_due(Step::Decision, *due);
            }
            s.stage = Stage::Decision;
        }
        EventBody::Decided {
            decision,
            authority,
            refusal_notice_due,
        } => {
            if let Some(old) = s.decision.take() {
                s.superseded_decisions.push(old);
            }
            s.decision = Some(DecisionRecord {
                signed: who,
                role: e.role,
                decision: decision.clone(),
                authority: authority.clone(),
            });
            s.delivered = None;
            s.result_posted = None;
            for step in [
                Step::Decision,
                Step::DecisionAfterObjection,
                Step::WholeProcedure,
                Step::Notice,
                Step::Review,
                Step::Investigation,
                Step::InvestigationStart,
                Step::EconomicCheck,
            ] {
                s.clear_due(step);
            }
            s.set_due(Step::RefusalNotice, *refusal_notice_due);
            s.stage = Stage::Decided;
        }
        EventBody::DecisionUpheld => {
            s.clear_due(Step::DecisionAfterObjection);
            s.stage = Stage::Decided;
        }
        EventBody::DecisionReopened => {
            if let Some(old) = s.decision.take() {
                s.superseded_decisions.push(old);
            }
            s.delivered = None;
            s.result_posted = None;
            s.clear_due(Step::RefusalNotice);
        }
        EventBody::NoticeDelivered { .. } => {
            s.delivered = Some(who);
            s.clear_due(Step::RefusalNotice);
        }
        EventBody::ResultPosted => s.result_posted = Some(who),
        EventBody::EmergencyReported { summary, help_due } => {
            s.emergency = Some(EmergencyRecord {
                reported: who,
                summary: summary.clone(),
                help: None,
                paperwork: None,
            });
            s.set_due(Step::EmergencyHelp, *help_due);
            s.stage = Stage::EmergencyHelp;
        }
        EventBody::EmergencyHelped {
            amount,
            description,
            paperwork_due,
        } => {
            let help = EmergencyHelp {
                signed: who,
                amount: *amount,
                description: description.clone(),
            };
            let record = s.emergency.get_or_insert(EmergencyRecord {
                reported: who,
                summary: String::new(),
                help: None,
                paperwork: None,
            });
            record.help = Some(help);
            s.clear_due(Step::EmergencyHelp);
            s.set_due(Step::EmergencyPaperwork, *paperwork_due);
            s.stage = Stage::EmergencyPaperwork;
        }
        EventBody::PaperworkCompleted { materials } => {
            s.materials.extend(materials.iter().cloned());
            if let Some(record) = s.emergency.as_mut() {
                record.paperwork = Some(who);
            }
            s.clear_due(Step::EmergencyPaperwork);
        }
        EventBody::NearRelativeFiled {
            related_user,
            kinship,
            capacity,
            filed_with,
            prior_duties,
        } => s.near_relatives.push(NearRelativeFiling {
            signed: who,
            related_user: *related_user,
            kinship: *kinship,
            capacity: *capacity,
            filed_with: filed_with.clone(),
            prior_duties: prior_duties.clone(),
        }),
        EventBody::Corrected {
            finding,
            previous_amount,
            correction,
            effective_month,
            reason,
            members: _,
        } => {
            let decision_index = s.superseded_decisions.len();
            s.corrections.push(CorrectionRecord {
                signed: who,
                role: e.role,
                finding: finding.clone(),
                previous_amount: *previous_amount,
                correction: correction.clone(),
                effective_month: *effective_month,
                reason: reason.clone(),
                decision_index,
            });
        }
        EventBody::Closed { reason } => {
            s.closure = Some(Closure {
                signed: who,
                reason: reason.clone(),
            });
            s.dues.clear();
            s.pending_appraisal = None;
            s.stage = Stage::Closed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::state::{CaseHeader, Origin, Procedure};
    use crate::profile::{Appraisal, StepOrder};
    use crate::{DivisionCode, Program, Role};
    use chrono::NaiveDate;

    fn at(h: u32) -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(2022, 3, 1)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .expect("valid")
    }

    fn event(h: u32, body: EventBody) -> Event {
        Event {
            at: at(h),
            by: 1,
            role: Role::TownshipCaseworker,
            body,
        }
    }

    fn opened() -> Event {
        let village = DivisionCode::parse("650205100200").expect("code");
        event(
            9,
            EventBody::Opened {
                case: CaseHeader {
                    case_id: 1,
                    number: "1".into(),
                    program: Program::Dibao,
                    county: village.county().expect("county"),
                    township: village.parent().expect("township"),
                    village,
                    household_id: 1,
                    origin: Origin::Household,
                    opened_via: OpenedVia::Application,
                    profile_id: "t".into(),
                    procedure: Procedure {
                        order: StepOrder::ApplyFirst,
                        village_review: false,
                        appraisal: Appraisal::OnObjection,
                        min_investigators: 2,
                        notice_before_decision: true,
                        disclosure_after_decision: true,
                    },
                },
            },
        )
    }

    #[test]
    fn only_an_opening_event_creates_a_case() {
        assert_eq!(apply(None, &event(9, EventBody::NoticeEnded)), None);
        let s = apply(None, &opened()).expect("opened");
        assert_eq!((s.stage, s.version), (Stage::Intake, 1));
        // A second opening changes nothing, not even the version.
        assert_eq!(apply(Some(s.clone()), &opened()), Some(s));
    }

    #[test]
    fn out_of_order_events_are_recorded_not_refused() {
        let s = apply(None, &opened());
        // A result without a request, a help without a report, an appraisal never called.
        let s = apply(
            s,
            &event(
                8,
                EventBody::CheckRecorded {
                    result: crate::case::CheckResult {
                        passed: true,
                        summary: "x".into(),
                        reasons: vec![],
                    },
                },
            ),
        );
        let s = apply(
            s,
            &event(
                10,
                EventBody::EmergencyHelped {
                    amount: crate::Fen::new(1),
                    description: "x".into(),
                    paperwork_due: None,
                },
            ),
        );
        let s = apply(
            s,
            &event(
                11,
                EventBody::AppraisalRecorded {
                    participants: vec![],
                    outcome: crate::case::AppraisalOutcome::Supports,
                    minutes: String::new(),
                },
            ),
        )
        .expect("case");
        assert_eq!(s.version, 4);
        assert_eq!(s.last_at, at(11), "the latest time, whatever the order");
        assert!(s.has_check_report());
        assert!(s.emergency.is_some());
    }

    #[test]
    fn invariants_catch_a_bad_state() {
        let mut s = apply(None, &opened()).expect("opened");
        assert!(s.invariant_violations().is_empty());
        s.stage = Stage::Closed;
        assert!(!s.invariant_violations().is_empty());
        s.stage = Stage::Review;
        s.investigators.insert(7);
        s.reviews.push(crate::case::ReviewRecord {
            signed: Signed { at: at(10), by: 7 },
            recommendation: crate::case::Recommendation::Approve {
                proposed_amount: None,
            },
            opinion: "x".into(),
            disputed: false,
        });
        assert_eq!(
            s.invariant_violations(),
            ["no reviewer investigated the case"]
        );
    }
}
