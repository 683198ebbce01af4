//! The case engine, run through each seed plan's procedure with the real built-in profiles
//! and calendar, plus its refusals (role, jurisdiction, stage, dates, separation of duties,
//! near relatives) and property tests over random command sequences.

use chrono::{NaiveDate, NaiveDateTime};
use jiuzhu_domain::benefit::{AddOnClaim, AmountBasis, AmountError, CareLevel};
use jiuzhu_domain::calendar::Calendar;
use jiuzhu_domain::case::{AUTHORIZATION, Actor, CorrectionRequest};
use jiuzhu_domain::case::{
    AppraisalOutcome, AppraisalReason, CaseError, CaseState, CloseReason, Command, CommandBody,
    CommandKind, Ctx, Decision, DecisionRequest, Duty, Event, EventBody, Kinship, MemberFacts,
    NewCase, Origin, Recommendation, RelatedCapacity, Stage, WithdrawReason, allowed_roles, apply,
    approval_calculation, decide, offered_at, replay,
};
use jiuzhu_domain::deadline::Due;
use jiuzhu_domain::delegation::{self, Authority, CountyReason, Grant};
use jiuzhu_domain::profile::{EffectiveProfile, ProfileSet};
use jiuzhu_domain::schedule::Step;
use jiuzhu_domain::supervision::FindingRef;
use jiuzhu_domain::{DivisionCode, Fen, Program, Relation, Role};

// ---------------------------------------------------------------------------- helpers

fn code(s: &str) -> DivisionCode {
    DivisionCode::parse(s).expect("valid code")
}

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("valid date-time")
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("valid date")
}

fn yuan(y: i64) -> Fen {
    Fen::from_yuan(y).expect("small amount")
}

fn day_due(s: &str) -> Due {
    Due {
        date: d(s),
        at: None,
    }
}

/// One county office: its effective profile, the calendar and the delegation grants demo
/// mode would create from the profile for the listed townships.
struct Office {
    profile: EffectiveProfile,
    cal: Calendar,
    grants: Vec<Grant>,
}

fn office(county: &str, townships: &[&str]) -> Office {
    let set = ProfileSet::builtin().expect("built-in profiles load");
    let profile = set
        .effective_for(&code(county))
        .expect("a profile governs the county");
    let towns: Vec<DivisionCode> = townships.iter().map(|t| code(t)).collect();
    let mut grants = Vec::new();
    for (program, rule) in profile.delegated_programs() {
        grants.extend(delegation::grants_from_rule(
            program,
            rule,
            &towns,
            &profile.plan.title,
        ));
    }
    for (i, g) in grants.iter_mut().enumerate() {
        g.id = i as i64 + 1;
    }
    Office {
        profile,
        cal: Calendar::builtin(),
        grants,
    }
}

fn actor(user_id: i64, role: Role, division: &str) -> Actor {
    Actor {
        user_id,
        role,
        division: code(division),
    }
}

/// The people of one township and its county.
struct Staff {
    cw: Actor,
    cw2: Actor,
    village: Actor,
    reviewer: Actor,
    reviewer2: Actor,
    head: Actor,
    verifier: Actor,
    admin: Actor,
}

fn staff(county: &str, township: &str, village: &str) -> Staff {
    Staff {
        cw: actor(11, Role::TownshipCaseworker, township),
        cw2: actor(12, Role::TownshipCaseworker, township),
        village: actor(21, Role::VillageAssistant, village),
        reviewer: actor(31, Role::TownshipReviewer, township),
        reviewer2: actor(32, Role::TownshipReviewer, township),
        head: actor(41, Role::TownshipHead, township),
        verifier: actor(51, Role::CountyVerifier, county),
        admin: actor(61, Role::CountyAdmin, county),
    }
}

fn new_case(program: Program, village: &str, origin: Origin) -> NewCase {
    NewCase {
        case_id: 1,
        number: "JZ-2022-0001".to_string(),
        program,
        village: code(village),
        household_id: 100,
        origin,
    }
}

fn keys(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn members() -> Vec<MemberFacts> {
    vec![
        MemberFacts {
            member_seq: 1,
            relation: Relation::Head,
            lives_together: true,
            able_to_work: false,
            monthly_income: yuan(300),
            note: "患慢性病".to_string(),
        },
        MemberFacts {
            member_seq: 2,
            relation: Relation::Child,
            lives_together: true,
            able_to_work: false,
            monthly_income: Fen::ZERO,
            note: String::new(),
        },
    ]
}

fn home_visit(investigators: &[i64]) -> CommandBody {
    CommandBody::RecordHomeVisit {
        investigators: investigators.to_vec(),
        members: members(),
        findings: "家庭收入低于当地低保标准，住房简陋".to_string(),
    }
}

fn approve_review(amount: Option<Fen>) -> CommandBody {
    CommandBody::SignReview {
        recommendation: Recommendation::Approve {
            proposed_amount: amount,
        },
        opinion: "经审核，符合条件，拟批准".to_string(),
        disputed: false,
    }
}

fn check_result(passed: bool) -> CommandBody {
    CommandBody::RecordCheckResult {
        passed,
        summary: if passed {
            "核对家庭收入、财产均在规定范围内".to_string()
        } else {
            "核对发现家庭名下有机动车两辆、商业用房一套".to_string()
        },
        reasons: if passed {
            vec![]
        } else {
            keys(&["家庭财产超过规定标准"])
        },
    }
}

fn appraisal(outcome: AppraisalOutcome) -> CommandBody {
    CommandBody::RecordAppraisal {
        participants: keys(&["村民代表5人", "驻村干部", "乡镇经办人"]),
        outcome,
        minutes: "评议会议记录".to_string(),
    }
}

fn approve(basis: AmountBasis, start: &str) -> DecisionRequest {
    DecisionRequest::Approve {
        basis,
        start_month: d(start),
        expected_amount: None,
    }
}

/// 低保 top-up under a standard (`rural` 600 yuan, `urban` 800 yuan per person in the
/// national demo values): with [`members`] (two living together, 300 yuan income) rural gives
/// 600 × 2 − 300 = 900 yuan.
fn top_up(standard: &str) -> AmountBasis {
    AmountBasis::TopUp {
        standard: standard.to_string(),
        add_ons: Vec::new(),
    }
}

/// 临时救助 months of a standard (rural 600, urban 800 yuan a month).
fn months(standard: &str, months: u32) -> AmountBasis {
    AmountBasis::MonthsOfStandard {
        standard: standard.to_string(),
        months,
    }
}

/// One case driven through its commands: every accepted command's events are applied, the
/// state's invariants checked, the replay of all events compared and every event
/// round-tripped through a serde format.
struct Case<'o> {
    office: &'o Office,
    state: Option<CaseState>,
    events: Vec<Event>,
}

impl<'o> Case<'o> {
    fn new(office: &'o Office) -> Self {
        Case {
            office,
            state: None,
            events: Vec::new(),
        }
    }

    fn state(&self) -> &CaseState {
        self.state.as_ref().expect("the case exists")
    }

    fn stage(&self) -> Stage {
        self.state().stage
    }

    fn run_with(
        &mut self,
        who: &Actor,
        at: &str,
        body: CommandBody,
        authority: Option<&Authority>,
    ) -> Result<Vec<Event>, CaseError> {
        let ctx = Ctx {
            actor: who,
            profile: &self.office.profile,
            calendar: &self.office.cal,
            authority,
        };
        let command = Command { at: t(at), body };
        let before = self.state.clone();
        let events = decide(self.state.as_ref(), &command, &ctx)?;
        assert!(!events.is_empty(), "an accepted command records something");
        for e in &events {
            round_trip(e);
            self.state = apply(self.state.take(), e);
        }
        self.events.extend(events.iter().cloned());
        let state = self.state();
        assert_eq!(
            state.invariant_violations(),
            Vec::<&str>::new(),
            "invariants after {:?}",
            command.body.kind()
        );
        assert_eq!(
            state.version,
            self.events.len() as u64,
            "one version per event"
        );
        assert_eq!(replay(&self.events).as_ref(), Some(state));
        assert!(before.is_none_or(|b| b.version < state.version));
        Ok(events)
    }

    fn try_run(
        &mut self,
        who: &Actor,
        at: &str,
        body: CommandBody,
    ) -> Result<Vec<Event>, CaseError> {
        self.run_with(who, at, body, None)
    }

    #[track_caller]
    fn ok(&mut self, who: &Actor, at: &str, body: CommandBody) -> Vec<Event> {
        let kind = body.kind();
        self.try_run(who, at, body)
            .unwrap_or_else(|e| panic!("{kind} at {at} refused: {e} ({})", e.code()))
    }

    #[track_caller]
    fn err(&mut self, who: &Actor, at: &str, body: CommandBody) -> CaseError {
        let version = self.state.as_ref().map(|s| s.version);
        match self.try_run(who, at, body) {
            Ok(events) => panic!("expected a refusal, got {events:?}"),
            Err(e) => {
                assert_eq!(self.state.as_ref().map(|s| s.version), version);
                e
            }
        }
    }

    /// The authority `delegation::authority` gives for this case on the command's date.
    fn authority(&self, at: &str, amount: Option<Fen>) -> Authority {
        let s = self.state();
        delegation::authority(
            &self.office.grants,
            s.header.program,
            &s.header.township,
            t(at).date(),
            amount,
        )
        .expect("authority answers")
    }

    fn try_decide(
        &mut self,
        who: &Actor,
        at: &str,
        decision: DecisionRequest,
    ) -> Result<Vec<Event>, CaseError> {
        let amount = match &decision {
            DecisionRequest::Approve { basis, .. } => {
                approval_calculation(self.state(), &self.office.profile, basis)
                    .map_or(Fen::ZERO, |c| c.amount)
            }
            DecisionRequest::Refuse { .. } => Fen::ZERO,
        };
        let authority = self.authority(at, Some(amount));
        self.run_with(who, at, CommandBody::Decide { decision }, Some(&authority))
    }

    fn event_names(&self) -> Vec<&'static str> {
        self.events.iter().map(|e| e.body.name()).collect()
    }
}

/// Events go into the event log serialized; every one must come back equal. (The crate has
/// no JSON dependency; TOML exercises the same serde derive.)
fn round_trip(e: &Event) {
    let text = toml::to_string(e).unwrap_or_else(|err| panic!("serialize {e:?}: {err}"));
    let back: Event = toml::from_str(&text).unwrap_or_else(|err| panic!("parse {text}: {err}"));
    assert_eq!(&back, e, "round trip of\n{text}");
}

fn bodies(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.body.name()).collect()
}

// ---------------------------------------------------------------------------- 乌尔禾区 (seed 001)

const WUERHE: &str = "650205";
const WUERHE_TOWN: &str = "650205100000"; // 乌尔禾镇
const CHAGANCAO: &str = "650205100200"; // 查干草村
const DIBAO_ALL: &[&str] = &[
    "application_form",
    "verification_authorization",
    "integrity_statement",
    "identity_documents",
];

fn wuerhe() -> Office {
    office(WUERHE, &["650205001000", WUERHE_TOWN])
}

/// 001 乌尔禾 五、: application, check, home visit within 10 working days, review within 5,
/// notice of 7 working days; an objection during the notice → re-investigation and a decision
/// within 15 working days, the approval posted again; decision by the township head within 3
/// working days of a notice without objection; long-term disclosure.
#[test]
fn wuerhe_dibao_objection_during_notice_reinvestigation_then_approval() {
    let office = wuerhe();
    let s = staff(WUERHE, WUERHE_TOWN, CHAGANCAO);
    let mut case = Case::new(&office);

    let ev = case.ok(
        &s.cw,
        "2022-03-01 09:00",
        CommandBody::Apply {
            case: new_case(Program::Dibao, CHAGANCAO, Origin::Household),
            materials: keys(DIBAO_ALL),
        },
    );
    assert_eq!(
        bodies(&ev),
        ["case.opened", "case.application_filed", "case.accepted"]
    );
    let st = case.state();
    assert_eq!(st.stage, Stage::Investigation);
    assert_eq!(st.header.township, code(WUERHE_TOWN));
    assert_eq!(st.header.county, code(WUERHE));
    // 自受理材料之日起10个工作日内 … 调查核实 (March 2022 has no holiday).
    assert_eq!(st.due(Step::Investigation), Some(day_due("2022-03-15")));
    assert_eq!(
        st.due(Step::InvestigationStart),
        Some(day_due("2022-03-04"))
    );
    // Delegated to the township since 2022-02-01: the 20-working-day national limit.
    assert_eq!(st.due(Step::WholeProcedure), Some(day_due("2022-03-29")));

    case.ok(&s.cw, "2022-03-01 10:00", CommandBody::RequestCheck);
    assert_eq!(
        case.state().due(Step::EconomicCheck),
        Some(day_due("2022-03-04"))
    );
    // The review needs the check report (需取得核对报告).
    case.ok(&s.cw, "2022-03-08 15:00", home_visit(&[11, 21]));
    assert_eq!(case.stage(), Stage::Review);
    assert_eq!(case.state().due(Step::Review), Some(day_due("2022-03-15")));
    assert_eq!(
        case.err(&s.reviewer, "2022-03-09 09:00", approve_review(None)),
        CaseError::CheckReportMissing
    );
    case.ok(&s.verifier, "2022-03-09 10:00", check_result(true));
    assert_eq!(case.state().due(Step::EconomicCheck), None);

    let ev = case.ok(
        &s.reviewer,
        "2022-03-10 09:00",
        approve_review(Some(yuan(500))),
    );
    assert_eq!(
        bodies(&ev),
        ["case.review_signed", "case.proposed_for_notice"]
    );
    case.ok(&s.village, "2022-03-11 09:00", CommandBody::PostNotice);
    // 公示期为7个工作日: Mar 14–18, 21, 22.
    assert_eq!(case.state().due(Step::Notice), Some(day_due("2022-03-22")));
    assert_eq!(
        case.err(&s.cw, "2022-03-15 09:00", CommandBody::EndNotice),
        CaseError::NoticePeriodRunning {
            until: d("2022-03-22")
        }
    );

    // 公示期间出现异议的，应当派人重新组织调查核实，在15个工作日内作出审批决定.
    let ev = case.ok(
        &s.village,
        "2022-03-15 10:00",
        CommandBody::RaiseObjection {
            summary: "邻居反映申请人子女在外地务工有稳定收入".to_string(),
        },
    );
    assert_eq!(
        bodies(&ev),
        ["case.objection_raised", "case.reinvestigation_ordered"]
    );
    assert_eq!(case.stage(), Stage::Reinvestigation);
    // 15 working days from 03-15: … Apr 1, Sat Apr 2 (调休上班), Apr 3–5 清明, Apr 6.
    assert_eq!(
        case.state().due(Step::DecisionAfterObjection),
        Some(day_due("2022-04-06"))
    );
    assert_eq!(case.state().due(Step::Notice), None);

    // The reviewer may not go on the re-investigation.
    assert_eq!(
        case.err(&s.cw2, "2022-03-18 09:00", home_visit(&[12, 31])),
        CaseError::SeparationOfDuties {
            user: 31,
            done: Duty::Review,
            attempted: Duty::Investigate
        }
    );
    case.ok(&s.cw2, "2022-03-18 10:00", home_visit(&[12, 21]));
    assert!(case.state().home_visits[1].reinvestigation);
    assert_eq!(case.stage(), Stage::Review);
    // Disputed after an objection: the profile holds appraisal on objection (有争议 … 民主评议).
    let ev = case.ok(
        &s.reviewer,
        "2022-03-21 09:00",
        approve_review(Some(yuan(500))),
    );
    assert_eq!(bodies(&ev), ["case.review_signed", "case.appraisal_called"]);
    assert_eq!(
        case.state().pending_appraisal,
        Some(AppraisalReason::Objection)
    );
    let ev = case.ok(
        &s.cw,
        "2022-03-22 09:00",
        appraisal(AppraisalOutcome::Supports),
    );
    assert_eq!(
        bodies(&ev),
        ["case.appraisal_recorded", "case.proposed_for_notice"]
    );
    // 对拟批准的申请重新公示.
    case.ok(&s.village, "2022-03-23 09:00", CommandBody::PostNotice);
    assert_eq!(case.state().due(Step::Notice), Some(day_due("2022-04-01")));
    assert_eq!(
        case.err(&s.cw, "2022-04-01 18:00", CommandBody::EndNotice),
        CaseError::NoticePeriodRunning {
            until: d("2022-04-01")
        }
    );
    let ev = case.ok(&s.cw, "2022-04-02 09:00", CommandBody::EndNotice);
    assert_eq!(bodies(&ev), ["case.notice_ended", "case.sent_for_decision"]);
    // 无异议的，3个工作日内作出确认决定: from the end of 04-01: Apr 2 (调休), Apr 6, Apr 7.
    assert_eq!(
        case.state().due(Step::Decision),
        Some(day_due("2022-04-07"))
    );

    // Only the township head confirms; the reviewer cannot, nor a county admin while the
    // township holds the authority.
    let authority = case.authority("2022-04-06 09:00", Some(yuan(500)));
    assert!(authority.is_township());
    assert_eq!(
        case.run_with(
            &s.reviewer,
            "2022-04-06 09:00",
            CommandBody::Decide {
                decision: approve(top_up("rural"), "2022-04-01")
            },
            Some(&authority)
        )
        .unwrap_err()
        .code(),
        "case.wrong_role"
    );
    assert_eq!(
        case.try_decide(
            &s.admin,
            "2022-04-06 09:00",
            approve(top_up("rural"), "2022-04-01")
        )
        .unwrap_err(),
        CaseError::NotTheAuthority {
            required: Role::TownshipHead,
            level: "township",
            role: Role::CountyAdmin
        }
    );
    case.try_decide(
        &s.head,
        "2022-04-06 10:00",
        approve(top_up("rural"), "2022-04-01"),
    )
    .expect("the township head confirms");
    let st = case.state();
    assert_eq!(st.stage, Stage::Decided);
    let decision = st.decision.as_ref().expect("decided");
    assert_eq!(decision.signed.by, 41);
    assert_eq!(decision.authority, authority);
    assert!(st.dues.is_empty(), "no deadline open after an approval");
    // The decision came on the last day of the after-objection period: on time.
    assert!(
        !day_due("2022-04-06").is_overdue(decision.signed.at),
        "decided within 15 working days of the objection"
    );

    // Long-term disclosure (长期公示) and delivery before the archive.
    assert_eq!(
        case.err(&s.cw, "2022-04-07 09:00", CommandBody::Archive),
        CaseError::NoticeNotDelivered
    );
    case.ok(
        &s.village,
        "2022-04-07 10:00",
        CommandBody::DeliverNotice {
            note: "由村委会转交申请人".to_string(),
        },
    );
    assert_eq!(
        case.err(&s.cw, "2022-04-07 11:00", CommandBody::Archive),
        CaseError::ResultNotPosted
    );
    // Under a plan that posts before deciding, an objection after the decision is a complaint.
    case.ok(&s.cw, "2022-04-07 11:00", CommandBody::PostResult);
    assert_eq!(
        case.err(
            &s.village,
            "2022-04-07 12:00",
            CommandBody::RaiseObjection {
                summary: "异议".to_string()
            }
        ),
        CaseError::ObjectionAfterNotice
    );
    case.ok(&s.cw, "2022-04-08 09:00", CommandBody::Archive);
    assert_eq!(case.stage(), Stage::Closed);
    assert_eq!(
        case.err(&s.cw, "2022-04-08 10:00", CommandBody::PostResult),
        CaseError::CaseClosed {
            command: CommandKind::PostResult
        }
    );
    assert_eq!(case.events.len(), 23, "{:?}", case.event_names());
}

/// A refusal with reasons (001 乌尔禾 五、(三): 决定不予批准的，应当在3个工作日内以书面形式通知 …
/// 并说明理由): no notice is posted for a proposed refusal, the written notice is due within 3
/// working days, and nothing is posted after it.
#[test]
fn refusal_with_reasons_and_its_notice() {
    let office = wuerhe();
    let s = staff(WUERHE, WUERHE_TOWN, CHAGANCAO);
    let mut case = Case::new(&office);
    case.ok(
        &s.cw,
        "2022-06-06 09:00",
        CommandBody::Apply {
            case: new_case(Program::Dibao, CHAGANCAO, Origin::Household),
            materials: keys(DIBAO_ALL),
        },
    );
    case.ok(&s.cw, "2022-06-06 10:00", CommandBody::RequestCheck);
    case.ok(&s.verifier, "2022-06-07 10:00", check_result(false));
    case.ok(&s.cw, "2022-06-08 10:00", home_visit(&[11, 21]));
    assert_eq!(
        case.err(
            &s.reviewer,
            "2022-06-09 09:00",
            CommandBody::SignReview {
                recommendation: Recommendation::Refuse { reasons: vec![] },
                opinion: "不符合条件".to_string(),
                disputed: false,
            }
        ),
        CaseError::ReasonsRequired
    );
    let ev = case.ok(
        &s.reviewer,
        "2022-06-09 09:00",
        CommandBody::SignReview {
            recommendation: Recommendation::Refuse {
                reasons: keys(&["家庭财产超过规定标准"]),
            },
            opinion: "经审核，不符合最低生活保障条件".to_string(),
            disputed: false,
        },
    );
    assert_eq!(
        bodies(&ev),
        ["case.review_signed", "case.sent_for_decision"]
    );
    // Decision within 3 working days of the reviewed file: Jun 10, 13, 14.
    assert_eq!(
        case.state().due(Step::Decision),
        Some(day_due("2022-06-14"))
    );
    assert_eq!(
        case.try_decide(
            &s.head,
            "2022-06-10 09:00",
            DecisionRequest::Refuse {
                reasons: vec!["  ".to_string()]
            }
        )
        .unwrap_err(),
        CaseError::ReasonsRequired
    );
    case.try_decide(
        &s.head,
        "2022-06-10 09:00",
        DecisionRequest::Refuse {
            reasons: keys(&["家庭财产超过规定标准", "名下有商业用房"]),
        },
    )
    .expect("refusal");
    // 3 working days for the written notice: Jun 13, 14, 15.
    assert_eq!(
        case.state().due(Step::RefusalNotice),
        Some(day_due("2022-06-15"))
    );
    assert_eq!(
        case.err(&s.cw, "2022-06-10 10:00", CommandBody::PostResult),
        CaseError::NotApproved
    );
    case.ok(
        &s.village,
        "2022-06-13 09:00",
        CommandBody::DeliverNotice {
            note: "不予批准告知书已送达，告知复议和诉讼权利".to_string(),
        },
    );
    assert_eq!(case.state().due(Step::RefusalNotice), None);
    assert_eq!(
        case.err(
            &s.village,
            "2022-06-13 10:00",
            CommandBody::DeliverNotice {
                note: String::new()
            }
        ),
        CaseError::NoticeAlreadyDelivered
    );
    case.ok(&s.cw, "2022-06-13 11:00", CommandBody::Archive);
    let st = case.state();
    assert!(matches!(
        st.closure.as_ref().map(|c| &c.reason),
        Some(CloseReason::Archived)
    ));
    match &st.decision.as_ref().expect("decided").decision {
        Decision::Refuse { reasons } => assert_eq!(reasons.len(), 2),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// 一次性告知: an incomplete application gets one notice listing every missing required item
/// (and not the optional ones); the case waits; later submissions complete the intake
/// without a second notice.
#[test]
fn one_time_notice_lists_every_missing_item() {
    let office = wuerhe();
    let s = staff(WUERHE, WUERHE_TOWN, CHAGANCAO);
    let mut case = Case::new(&office);
    let ev = case.ok(
        &s.cw,
        "2022-03-01 09:00",
        CommandBody::Apply {
            case: new_case(Program::Dibao, CHAGANCAO, Origin::Household),
            materials: keys(&["application_form", "income_proof"]),
        },
    );
    assert_eq!(
        bodies(&ev),
        [
            "case.opened",
            "case.application_filed",
            "case.materials_incomplete"
        ]
    );
    let notice = case.state().one_time_notice.clone().expect("notice");
    let missing: Vec<&str> = notice.missing.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(
        missing,
        [
            "verification_authorization",
            "integrity_statement",
            "identity_documents"
        ]
    );
    assert_eq!(notice.missing[0].name_zh, "家庭经济状况核对授权书");
    assert_eq!(case.stage(), Stage::AwaitingMaterials);
    assert!(case.state().accepted.is_none());
    assert!(
        case.state().dues.is_empty(),
        "no clock runs before acceptance"
    );
    // No check without the signed authorization; nothing but materials in this stage.
    assert_eq!(
        case.err(&s.cw, "2022-03-01 10:00", CommandBody::RequestCheck),
        CaseError::WrongStage {
            stage: Stage::AwaitingMaterials,
            command: CommandKind::RequestCheck
        }
    );
    assert_eq!(
        case.err(
            &s.cw,
            "2022-03-02 09:00",
            CommandBody::SubmitMaterials {
                materials: keys(&["110105199003072316"])
            }
        ),
        CaseError::UnknownMaterial {
            key: "(invalid key)".to_string()
        },
        "an ID number typed into the wrong field is not repeated"
    );
    let ev = case.ok(
        &s.cw,
        "2022-03-02 09:00",
        CommandBody::SubmitMaterials {
            materials: keys(&["integrity_statement"]),
        },
    );
    assert_eq!(
        bodies(&ev),
        ["case.materials_submitted"],
        "no second notice"
    );
    assert_eq!(case.stage(), Stage::AwaitingMaterials);
    let ev = case.ok(
        &s.village,
        "2022-03-04 09:00",
        CommandBody::SubmitMaterials {
            materials: keys(&["verification_authorization", "identity_documents"]),
        },
    );
    assert_eq!(bodies(&ev), ["case.materials_submitted", "case.accepted"]);
    assert_eq!(case.stage(), Stage::Investigation);
    // The clocks start at acceptance (03-04), not at the first application.
    assert_eq!(
        case.state().due(Step::Investigation),
        Some(day_due("2022-03-18"))
    );
}

/// A checklist without the authorization (the national 残疾人两项补贴 list) still needs it.
#[test]
fn the_verification_authorization_is_always_required() {
    let office = office("640181", &["640181100000"]);
    let s = staff("640181", "640181100000", "640181100200");
    let mut case = Case::new(&office);
    case.ok(
        &s.village,
        "2021-10-11 09:00",
        CommandBody::Apply {
            case: new_case(Program::Canji, "640181100200", Origin::OnBehalf),
            materials: keys(&[
                "application_form",
                "disability_certificate",
                "identity_documents",
            ]),
        },
    );
    let notice = case.state().one_time_notice.clone().expect("notice");
    assert_eq!(notice.missing.len(), 1);
    assert_eq!(notice.missing[0].key, AUTHORIZATION);
}

// ---------------------------------------------------------------------------- 泰安市 (seed 004)

const TAISHAN: &str = "370902"; // 泰山区
const DAIMIAO: &str = "370902001000"; // 岱庙街道
const DONGGUAN: &str = "370902001201"; // 东关村

fn taian() -> Office {
    office(TAISHAN, &[DAIMIAO])
}

/// 004 泰安 二、(一): 先核对、后申请 … 对经核对不符合相关规定的，要向申请人说明理由.
#[test]
fn taian_verify_first_failed_check_closes_with_reasons() {
    let office = taian();
    let s = staff(TAISHAN, DAIMIAO, DONGGUAN);
    let mut case = Case::new(&office);
    // No application before the check.
    assert_eq!(
        case.err(
            &s.cw,
            "2023-05-08 09:00",
            CommandBody::Apply {
                case: new_case(Program::Dibao, DONGGUAN, Origin::Household),
                materials: keys(&[
                    "application_form",
                    "integrity_statement",
                    "verification_authorization"
                ]),
            }
        ),
        CaseError::CheckFirst
    );
    // The check runs on the applicant's authorization (经申请人授权后).
    assert_eq!(
        case.err(
            &s.cw,
            "2023-05-08 09:00",
            CommandBody::RequestPreCheck {
                case: new_case(Program::Dibao, DONGGUAN, Origin::Household),
                materials: vec![],
            }
        ),
        CaseError::AuthorizationMissing
    );
    let ev = case.ok(
        &s.cw,
        "2023-05-08 09:00",
        CommandBody::RequestPreCheck {
            case: new_case(Program::Dibao, DONGGUAN, Origin::Household),
            materials: keys(&["verification_authorization"]),
        },
    );
    assert_eq!(
        bodies(&ev),
        [
            "case.opened",
            "case.materials_submitted",
            "case.check_requested"
        ]
    );
    assert_eq!(case.stage(), Stage::PreCheck);
    assert_eq!(
        case.state().due(Step::EconomicCheck),
        Some(day_due("2023-05-11"))
    );
    assert_eq!(
        case.err(
            &s.cw,
            "2023-05-09 09:00",
            CommandBody::ApplyAfterCheck {
                materials: keys(&["application_form"])
            }
        ),
        CaseError::WrongStage {
            stage: Stage::PreCheck,
            command: CommandKind::ApplyAfterCheck
        }
    );
    // Only the county verifier enters the result, and a failed check needs its reasons.
    assert_eq!(
        case.err(&s.cw, "2023-05-10 09:00", check_result(false))
            .code(),
        "case.wrong_role"
    );
    assert_eq!(
        case.err(
            &s.verifier,
            "2023-05-10 09:00",
            CommandBody::RecordCheckResult {
                passed: false,
                summary: "不符合".to_string(),
                reasons: vec![]
            }
        ),
        CaseError::ReasonsRequired
    );
    let ev = case.ok(&s.verifier, "2023-05-10 09:00", check_result(false));
    assert_eq!(bodies(&ev), ["case.check_recorded", "case.closed"]);
    let st = case.state();
    assert_eq!(st.stage, Stage::Closed);
    assert!(st.applied.is_none(), "no application was ever taken");
    match &st.closure.as_ref().expect("closed").reason {
        CloseReason::CheckFailed { reasons } => {
            assert_eq!(reasons, &keys(&["家庭财产超过规定标准"]))
        }
        other => panic!("expected a failed check, got {other:?}"),
    }
    assert_eq!(
        case.err(
            &s.cw,
            "2023-05-11 09:00",
            CommandBody::ApplyAfterCheck {
                materials: keys(&["application_form", "integrity_statement"])
            }
        ),
        CaseError::CaseClosed {
            command: CommandKind::ApplyAfterCheck
        }
    );
}

/// Drives a 泰安 低保 case from the check to the decision; returns it decided.
fn taian_decided<'o>(office: &'o Office, s: &Staff) -> Case<'o> {
    let mut case = Case::new(office);
    case.ok(
        &s.cw,
        "2023-05-08 09:00",
        CommandBody::RequestPreCheck {
            case: new_case(Program::Dibao, DONGGUAN, Origin::Household),
            materials: keys(&["verification_authorization"]),
        },
    );
    let ev = case.ok(&s.verifier, "2023-05-10 09:00", check_result(true));
    assert_eq!(
        bodies(&ev),
        ["case.check_recorded", "case.invited_to_apply"]
    );
    // 一次性告知、一次性填写: the authorization given for the check counts.
    let ev = case.ok(
        &s.cw,
        "2023-05-11 09:00",
        CommandBody::ApplyAfterCheck {
            materials: keys(&["application_form", "integrity_statement"]),
        },
    );
    assert_eq!(bodies(&ev), ["case.application_filed", "case.accepted"]);
    // 审核审批时限压缩到20个工作日内: from acceptance on 05-11.
    assert_eq!(
        case.state().due(Step::WholeProcedure),
        Some(day_due("2023-06-08"))
    );
    // The check is done: no second request.
    assert_eq!(
        case.err(&s.cw, "2023-05-12 09:00", CommandBody::RequestCheck),
        CaseError::CheckAlreadyDone
    );
    case.ok(&s.cw, "2023-05-15 09:00", home_visit(&[11, 21]));
    // 取消…审核阶段公示和民主评议两个环节: straight to the decision.
    let ev = case.ok(
        &s.reviewer,
        "2023-05-17 09:00",
        approve_review(Some(yuan(600))),
    );
    assert_eq!(
        bodies(&ev),
        ["case.review_signed", "case.sent_for_decision"]
    );
    assert_eq!(
        case.state().due(Step::Decision),
        Some(day_due("2023-05-31"))
    );
    assert!(case.state().notices.is_empty());
    case.try_decide(
        &s.head,
        "2023-05-19 09:00",
        approve(top_up("rural"), "2023-06-01"),
    )
    .expect("the township confirms");
    assert_eq!(case.stage(), Stage::Decided);
    case
}

/// 004 泰安 二、(二)(三): decision without a prior notice, within 20 working days; the result
/// is posted in the village; an objection to it → democratic appraisal, which upholds it.
#[test]
fn taian_verify_first_decision_posting_objection_appraisal() {
    let office = taian();
    let s = staff(TAISHAN, DAIMIAO, DONGGUAN);
    let mut case = taian_decided(&office, &s);
    let cal = &office.cal;
    let accepted = case.state().accepted.expect("accepted").at.date();
    let decided = case.state().decision.as_ref().expect("decided").signed.at;
    assert!(
        cal.working_days_between(accepted, decided.date())
            .expect("loaded")
            <= 20,
        "whole procedure ≤ 20 working days"
    );
    // An objection needs the posted result first.
    assert_eq!(
        case.err(
            &s.village,
            "2023-05-22 09:00",
            CommandBody::RaiseObjection {
                summary: "异议".to_string()
            }
        ),
        CaseError::ResultNotPosted
    );
    case.ok(&s.village, "2023-05-22 09:00", CommandBody::PostResult);
    let ev = case.ok(
        &s.village,
        "2023-05-24 09:00",
        CommandBody::RaiseObjection {
            summary: "群众反映申请人有经营收入".to_string(),
        },
    );
    assert_eq!(
        bodies(&ev),
        ["case.objection_raised", "case.appraisal_called"]
    );
    assert_eq!(case.stage(), Stage::Appraisal);
    // A decided case cannot be withdrawn, even while the appraisal is pending.
    assert_eq!(
        case.err(
            &s.cw,
            "2023-05-25 09:00",
            CommandBody::Withdraw {
                reason: WithdrawReason::ApplicantRequest,
                note: String::new()
            }
        ),
        CaseError::WrongStage {
            stage: Stage::Appraisal,
            command: CommandKind::Withdraw
        }
    );
    let ev = case.ok(
        &s.cw,
        "2023-05-26 09:00",
        appraisal(AppraisalOutcome::Supports),
    );
    assert_eq!(
        bodies(&ev),
        ["case.appraisal_recorded", "case.decision_upheld"]
    );
    let st = case.state();
    assert_eq!(st.stage, Stage::Decided);
    assert_eq!(st.appraisals[0].reason, AppraisalReason::Objection);
    assert!(st.objections[0].after_decision);
    assert!(st.result_posted.is_some(), "the posting stands");
    case.ok(
        &s.village,
        "2023-05-26 10:00",
        CommandBody::DeliverNotice {
            note: String::new(),
        },
    );
    case.ok(&s.cw, "2023-05-26 11:00", CommandBody::Archive);
    assert_eq!(case.stage(), Stage::Closed);
}

/// 纠正: a spot check finds the approval wrong (the household hid an income). The township's
/// head corrects the amount from a month on; after the archive the county stops the payment.
/// Who may correct, from when, and that a correction must change something.
#[test]
fn a_wrong_approval_is_corrected_then_stopped_after_the_archive() {
    let office = taian();
    let s = staff(TAISHAN, DAIMIAO, DONGGUAN);
    let mut case = taian_decided(&office, &s);
    let approved = case.state().current_amount().expect("approved");
    assert!(approved > Fen::ZERO);
    let finding = FindingRef::SpotCheck {
        draw_id: 3,
        case_id: 1,
    };
    let mut found = members();
    found[0].monthly_income = yuan(450);
    let correct = |month: &str, correction: CorrectionRequest| CommandBody::Correct {
        finding: finding.clone(),
        correction,
        effective_month: d(month),
        reason: "抽查发现户主隐瞒务工收入".to_string(),
    };
    let lower = || CorrectionRequest::Amount {
        basis: top_up("rural"),
        members: found.clone(),
        expected_amount: None,
    };
    // Only the township's head (or the county's administrator) corrects.
    assert_eq!(
        case.err(
            &s.reviewer,
            "2023-07-03 09:00",
            correct("2023-07-01", lower())
        ),
        CaseError::WrongRole {
            command: CommandKind::Correct,
            role: Role::TownshipReviewer
        }
    );
    // From the first day of a month, not before the approval's start month (2023-06).
    assert_eq!(
        case.err(&s.head, "2023-07-03 09:00", correct("2023-07-15", lower())),
        CaseError::CorrectionMonth
    );
    assert_eq!(
        case.err(&s.head, "2023-07-03 09:00", correct("2023-05-01", lower())),
        CaseError::CorrectionMonth
    );
    let ev = case.ok(&s.head, "2023-07-03 09:00", correct("2023-06-01", lower()));
    assert_eq!(bodies(&ev), ["case.corrected"]);
    let corrected = case.state().current_amount().expect("approved");
    assert_eq!(corrected, approved - yuan(150), "income 150 yuan higher");
    assert_eq!(case.stage(), Stage::Decided, "no stage change");
    let record = &case.state().corrections[0];
    assert_eq!(record.previous_amount, approved);
    assert_eq!(record.finding, finding);
    // The same amount again changes nothing.
    assert_eq!(
        case.err(&s.head, "2023-07-04 09:00", correct("2023-08-01", lower())),
        CaseError::CorrectionChangesNothing { amount: corrected }
    );
    case.ok(&s.village, "2023-07-05 09:00", CommandBody::PostResult);
    case.ok(
        &s.village,
        "2023-07-05 10:00",
        CommandBody::DeliverNotice {
            note: String::new(),
        },
    );
    case.ok(&s.cw, "2023-07-05 11:00", CommandBody::Archive);
    assert_eq!(case.stage(), Stage::Closed);
    // Archived: nothing else, but a correction still.
    assert_eq!(
        case.err(&s.cw, "2023-07-06 09:00", CommandBody::PostResult),
        CaseError::CaseClosed {
            command: CommandKind::PostResult
        }
    );
    let ev = case.ok(
        &s.admin,
        "2023-09-04 09:00",
        correct("2023-09-01", CorrectionRequest::Stop),
    );
    assert_eq!(bodies(&ev), ["case.corrected"]);
    assert_eq!(case.state().current_amount(), Some(Fen::ZERO));
    assert_eq!(case.stage(), Stage::Closed);
    assert_eq!(case.state().invariant_violations(), Vec::<&str>::new());
    assert_eq!(
        case.err(
            &s.admin,
            "2023-09-05 09:00",
            correct("2023-10-01", CorrectionRequest::Stop)
        ),
        CaseError::CorrectionChangesNothing { amount: Fen::ZERO }
    );
    // A head of another township cannot reach the case.
    let other = actor(42, Role::TownshipHead, "370902002000");
    assert_eq!(
        case.err(&other, "2023-09-05 09:00", correct("2023-10-01", lower())),
        CaseError::OutsideJurisdiction
    );
}

/// The appraisal finds the household not eligible: the decision is made again (here: refused
/// with reasons), the old one kept as superseded.
#[test]
fn taian_appraisal_against_the_decision_reopens_it() {
    let office = taian();
    let s = staff(TAISHAN, DAIMIAO, DONGGUAN);
    let mut case = taian_decided(&office, &s);
    case.ok(&s.village, "2023-05-22 09:00", CommandBody::PostResult);
    case.ok(
        &s.village,
        "2023-05-24 09:00",
        CommandBody::RaiseObjection {
            summary: "群众反映申请人有经营收入".to_string(),
        },
    );
    let ev = case.ok(
        &s.cw,
        "2023-05-26 09:00",
        appraisal(AppraisalOutcome::Opposes),
    );
    assert_eq!(
        bodies(&ev),
        [
            "case.appraisal_recorded",
            "case.decision_reopened",
            "case.sent_for_decision"
        ]
    );
    let st = case.state();
    assert_eq!(st.stage, Stage::Decision);
    // The remade decision is due like any decision (10 working days, from the appraisal on
    // Fri 26 May): it cannot sit undecided without showing as overdue.
    assert_eq!(st.due(Step::Decision), Some(day_due("2023-06-09")));
    assert!(st.decision.is_none());
    assert_eq!(st.superseded_decisions.len(), 1);
    assert!(st.result_posted.is_none());
    case.try_decide(
        &s.head,
        "2023-05-29 09:00",
        DecisionRequest::Refuse {
            reasons: keys(&["经民主评议，家庭有经营性收入未如实申报"]),
        },
    )
    .expect("decided again");
    assert_eq!(
        case.state().due(Step::RefusalNotice),
        Some(day_due("2023-06-01"))
    );
    case.ok(
        &s.village,
        "2023-05-30 09:00",
        CommandBody::DeliverNotice {
            note: String::new(),
        },
    );
    case.ok(&s.cw, "2023-05-30 10:00", CommandBody::Archive);
}

/// 004 泰安 二、(三): 急难型临时救助要在24小时内先行救助，并在5个工作日内 … 补齐经办人员签字、盖章手续.
#[test]
fn taian_emergency_help_within_24_hours_then_paperwork() {
    let office = taian();
    let s = staff(TAISHAN, DAIMIAO, DONGGUAN);
    let mut case = Case::new(&office);
    // Only 临时救助 has the emergency track.
    assert_eq!(
        case.err(
            &s.village,
            "2023-06-20 22:00",
            CommandBody::ReportEmergency {
                case: new_case(Program::Dibao, DONGGUAN, Origin::Discovered),
                summary: "火灾".to_string()
            }
        ),
        CaseError::NoEmergencyProcedure {
            program: Program::Dibao
        }
    );
    let ev = case.ok(
        &s.village,
        "2023-06-20 22:00",
        CommandBody::ReportEmergency {
            case: new_case(Program::Linshi, DONGGUAN, Origin::Discovered),
            summary: "夜间住房失火，一家三口无处居住".to_string(),
        },
    );
    assert_eq!(bodies(&ev), ["case.opened", "case.emergency_reported"]);
    assert_eq!(case.stage(), Stage::EmergencyHelp);
    let help_due = case.state().due(Step::EmergencyHelp).expect("24h");
    assert_eq!(help_due.at, Some(t("2023-06-21 22:00")));
    // Help is given by township staff, not by the village.
    assert_eq!(
        case.err(
            &s.village,
            "2023-06-21 08:00",
            CommandBody::GiveEmergencyHelp {
                amount: yuan(1000),
                description: "发放临时救助金".to_string()
            }
        )
        .code(),
        "case.wrong_role"
    );
    case.ok(
        &s.cw,
        "2023-06-21 08:00",
        CommandBody::GiveEmergencyHelp {
            amount: yuan(1000),
            description: "从临时救助备用金先行发放救助金并安置".to_string(),
        },
    );
    let st = case.state();
    let help = st
        .emergency
        .as_ref()
        .and_then(|e| e.help.as_ref())
        .expect("help");
    assert!(
        !help_due.is_overdue(help.signed.at),
        "helped within 24 hours"
    );
    // 5 working days from 06-21: 22–24 端午, Sun 25 调休上班, 26, 27, 28, 29.
    assert_eq!(
        st.due(Step::EmergencyPaperwork),
        Some(day_due("2023-06-29"))
    );
    assert_eq!(
        case.err(
            &s.cw,
            "2023-06-26 09:00",
            CommandBody::CompletePaperwork {
                materials: keys(&["application_form"]),
                continue_procedure: false
            }
        ),
        CaseError::PaperworkIncomplete {
            missing: keys(&["verification_authorization", "identity_documents"])
        }
    );
    let ev = case.ok(
        &s.cw,
        "2023-06-26 09:00",
        CommandBody::CompletePaperwork {
            materials: keys(&[
                "application_form",
                "verification_authorization",
                "identity_documents",
            ]),
            continue_procedure: false,
        },
    );
    assert_eq!(bodies(&ev), ["case.paperwork_completed", "case.closed"]);
    assert!(matches!(
        case.state().closure.as_ref().map(|c| &c.reason),
        Some(CloseReason::EmergencyOnly)
    ));
}

/// After emergency help the case can go on through the normal procedure (e.g. further
/// 支出型 help), with its clocks starting at the completed paperwork.
#[test]
fn emergency_help_then_the_normal_procedure() {
    let office = taian();
    let s = staff(TAISHAN, DAIMIAO, DONGGUAN);
    let mut case = Case::new(&office);
    case.ok(
        &s.cw,
        "2023-06-20 22:00",
        CommandBody::ReportEmergency {
            case: new_case(Program::Linshi, DONGGUAN, Origin::Household),
            summary: "突发重病".to_string(),
        },
    );
    case.ok(
        &s.head,
        "2023-06-21 09:00",
        CommandBody::GiveEmergencyHelp {
            amount: yuan(2000),
            description: "先行救助".to_string(),
        },
    );
    let ev = case.ok(
        &s.cw,
        "2023-06-26 09:00",
        CommandBody::CompletePaperwork {
            materials: keys(&[
                "application_form",
                "verification_authorization",
                "identity_documents",
            ]),
            continue_procedure: true,
        },
    );
    assert_eq!(bodies(&ev), ["case.paperwork_completed", "case.accepted"]);
    assert_eq!(case.stage(), Stage::Investigation);
    // 支出型 … 压缩到20个工作日内, from the paperwork: Jun 27 … Jul 24.
    assert_eq!(
        case.state().due(Step::WholeProcedure),
        Some(day_due("2023-07-24"))
    );
}

// ---------------------------------------------------------------------------- 珙县 (seed 003)

const GONGXIAN: &str = "511526";
const XIAOER: &str = "511526102000"; // 孝儿镇 (pilot)
const LONGWO: &str = "511526102201"; // 龙窝村

/// 003 珙县 二、: the 3,000-yuan cap binds emergency help (先行救助) too: above it the
/// county gives the help; the program's own ceiling (10,000 yuan, demo value) binds everyone.
#[test]
fn gongxian_emergency_help_above_the_cap_is_the_countys() {
    let office = office(GONGXIAN, &[XIAOER]);
    let s = staff(GONGXIAN, XIAOER, LONGWO);
    let mut case = Case::new(&office);
    case.ok(
        &s.cw,
        "2021-03-01 09:00",
        CommandBody::ReportEmergency {
            case: new_case(Program::Linshi, LONGWO, Origin::Household),
            summary: "房屋失火".to_string(),
        },
    );
    let help = |y: i64| CommandBody::GiveEmergencyHelp {
        amount: yuan(y),
        description: "先行救助".to_string(),
    };
    let above = case.authority("2021-03-01 12:00", Some(yuan(3600)));
    let too_much = case.authority("2021-03-01 12:00", Some(yuan(12000)));
    assert_eq!(
        case.run_with(&s.head, "2021-03-01 12:00", help(3600), Some(&above))
            .unwrap_err(),
        CaseError::EmergencyHelpAboveCap { cap: yuan(3000) }
    );
    assert_eq!(
        case.run_with(&s.admin, "2021-03-01 12:00", help(12000), Some(&too_much))
            .unwrap_err(),
        CaseError::AboveProgramMaximum { max: yuan(10000) }
    );
    case.run_with(&s.admin, "2021-03-01 12:00", help(3600), Some(&above))
        .expect("the county gives the help above the cap");
    assert_eq!(case.stage(), Stage::EmergencyPaperwork);
}

/// 003 珙县 二、: 临时救助（3000元以下）的确认权委托下放: 3,500 yuan goes up to the county.
#[test]
fn gongxian_linshi_above_3000_yuan_goes_to_the_county() {
    let office = office(GONGXIAN, &[XIAOER]);
    let s = staff(GONGXIAN, XIAOER, LONGWO);
    let mut case = Case::new(&office);
    case.ok(
        &s.cw,
        "2021-03-01 09:00",
        CommandBody::Apply {
            case: new_case(Program::Linshi, LONGWO, Origin::Household),
            materials: keys(&[
                "application_form",
                "verification_authorization",
                "identity_documents",
                "hardship_evidence",
            ]),
        },
    );
    case.ok(&s.cw, "2021-03-01 10:00", CommandBody::RequestCheck);
    case.ok(&s.verifier, "2021-03-02 10:00", check_result(true));
    case.ok(&s.cw, "2021-03-03 10:00", home_visit(&[11, 21]));
    case.ok(
        &s.reviewer,
        "2021-03-04 10:00",
        approve_review(Some(yuan(3500))),
    );
    assert_eq!(case.stage(), Stage::Decision);

    // 3,000.00 would be the township's; 3,500.00 is the county's.
    assert!(
        case.authority("2021-03-05 09:00", Some(yuan(3000)))
            .is_township()
    );
    let authority = case.authority("2021-03-05 09:00", Some(yuan(3500)));
    assert_eq!(
        authority,
        Authority::County {
            county: code(GONGXIAN),
            reason: CountyReason::AboveCap { cap: yuan(3000) }
        }
    );
    assert_eq!(
        case.err(
            &s.head,
            "2021-03-05 09:00",
            CommandBody::Decide {
                decision: approve(months("rural", 6), "2021-03-01")
            }
        ),
        CaseError::AuthorityMissing
    );
    let refused = case
        .try_decide(
            &s.head,
            "2021-03-05 09:00",
            approve(months("rural", 6), "2021-03-01"),
        )
        .unwrap_err();
    assert_eq!(
        refused,
        CaseError::NotTheAuthority {
            required: Role::CountyAdmin,
            level: "county",
            role: Role::TownshipHead
        }
    );
    assert_eq!(refused.code(), "case.not_the_authority");
    assert!(refused.message_zh().contains("县级"));
    // A county admin of another county is outside the jurisdiction.
    let other_admin = actor(62, Role::CountyAdmin, "511525");
    assert_eq!(
        case.run_with(
            &other_admin,
            "2021-03-05 09:00",
            CommandBody::Decide {
                decision: approve(months("rural", 6), "2021-03-01")
            },
            Some(&authority)
        )
        .unwrap_err(),
        CaseError::OutsideJurisdiction
    );
    // An authority computed for another township is refused.
    let elsewhere = Authority::Township {
        township: code("511526101000"),
        grant_id: 1,
    };
    assert_eq!(
        case.run_with(
            &s.head,
            "2021-03-05 09:00",
            CommandBody::Decide {
                decision: approve(months("rural", 5), "2021-03-01")
            },
            Some(&elsewhere)
        )
        .unwrap_err(),
        CaseError::AuthorityMismatch
    );
    case.try_decide(
        &s.admin,
        "2021-03-05 10:00",
        approve(months("rural", 6), "2021-03-01"),
    )
    .expect("the county confirms");
    let decision = case.state().decision.clone().expect("decided");
    assert_eq!(decision.role, Role::CountyAdmin);
    assert_eq!(decision.authority, authority);
}

// ---------------------------------------------------------------------------- 灵武市 (seed 000)

const LINGWU: &str = "640181";
const DONGTA: &str = "640181100000"; // 东塔镇
const CHENGYI: &str = "640181100200"; // 城一村

/// 000 灵武 三、(三): the village committee assists intake and first review (初审), the township
/// organises home visit and democratic appraisal, confirms, and posts the result long-term.
#[test]
fn lingwu_gaoling_with_village_first_review() {
    let office = office(LINGWU, &[DONGTA]);
    let s = staff(LINGWU, DONGTA, CHENGYI);
    let mut case = Case::new(&office);
    // A village assistant files on the household's behalf (代办), not as the household.
    assert_eq!(
        case.err(
            &s.village,
            "2021-10-11 09:00",
            CommandBody::Apply {
                case: new_case(Program::Gaoling, CHENGYI, Origin::Household),
                materials: vec![]
            }
        ),
        CaseError::WrongOrigin
    );
    let ev = case.ok(
        &s.village,
        "2021-10-11 09:00",
        CommandBody::Apply {
            case: new_case(Program::Gaoling, CHENGYI, Origin::OnBehalf),
            materials: keys(&[
                "application_form",
                "identity_documents",
                "verification_authorization",
            ]),
        },
    );
    assert_eq!(
        bodies(&ev),
        [
            "case.opened",
            "case.application_filed",
            "case.sent_for_village_review"
        ]
    );
    assert_eq!(case.stage(), Stage::VillageReview);
    assert!(case.state().accepted.is_none());
    // The township caseworker cannot do the village's first review, nor skip it.
    assert_eq!(
        case.err(
            &s.cw,
            "2021-10-11 10:00",
            CommandBody::RecordVillageReview {
                supports: true,
                opinion: "同意".to_string()
            }
        )
        .code(),
        "case.wrong_role"
    );
    assert_eq!(
        case.err(&s.cw, "2021-10-11 10:00", home_visit(&[11, 21])),
        CaseError::WrongStage {
            stage: Stage::VillageReview,
            command: CommandKind::RecordHomeVisit
        }
    );
    let ev = case.ok(
        &s.village,
        "2021-10-12 09:00",
        CommandBody::RecordVillageReview {
            supports: true,
            opinion: "经初审，申请人年满80周岁，家庭收入低，同意上报".to_string(),
        },
    );
    assert_eq!(bodies(&ev), ["case.village_reviewed", "case.accepted"]);
    case.ok(&s.cw, "2021-10-12 10:00", CommandBody::RequestCheck);
    case.ok(&s.verifier, "2021-10-13 10:00", check_result(true));
    case.ok(&s.cw, "2021-10-13 15:00", home_visit(&[11, 21]));
    // 组织入户调查、民主评议: appraisal in every case.
    let ev = case.ok(
        &s.reviewer,
        "2021-10-14 09:00",
        approve_review(Some(yuan(100))),
    );
    assert_eq!(bodies(&ev), ["case.review_signed", "case.appraisal_called"]);
    assert_eq!(
        case.state().pending_appraisal,
        Some(AppraisalReason::Always)
    );
    let ev = case.ok(
        &s.village,
        "2021-10-15 09:00",
        appraisal(AppraisalOutcome::Supports),
    );
    assert_eq!(
        bodies(&ev),
        ["case.appraisal_recorded", "case.proposed_for_notice"]
    );
    case.ok(&s.village, "2021-10-15 10:00", CommandBody::PostNotice);
    // The plan gives no length: the national 7 (calendar) days.
    assert_eq!(case.state().due(Step::Notice), Some(day_due("2021-10-22")));
    case.ok(&s.cw, "2021-10-23 09:00", CommandBody::EndNotice);
    // 10 working days from the end of 10-22: Oct 25–29, Nov 1–5.
    assert_eq!(
        case.state().due(Step::Decision),
        Some(day_due("2021-11-05"))
    );
    case.try_decide(
        &s.head,
        "2021-10-25 09:00",
        approve(AmountBasis::AgeBand { age: 92 }, "2021-11-01"),
    )
    .expect("the township confirms since 2021-09-05");
    case.ok(
        &s.village,
        "2021-10-26 09:00",
        CommandBody::DeliverNotice {
            note: String::new(),
        },
    );
    case.ok(&s.cw, "2021-10-26 10:00", CommandBody::PostResult);
    case.ok(&s.cw, "2021-10-26 11:00", CommandBody::Archive);
    let st = case.state();
    assert_eq!(st.header.origin, Origin::OnBehalf);
    assert!(st.village_review.as_ref().is_some_and(|v| v.supports));
    assert_eq!(st.stage, Stage::Closed);
}

// ---------------------------------------------------------------------------- a county of our own

/// 乌尔禾区 under a profile of our own: verify first, no appraisal, results posted after the
/// decision, 15 working days after an objection.
fn no_appraisal_office() -> Office {
    const TEXT: &str = r#"
id = "650205-test"
name = "测试县"
extends = "national"
applies_to = ["650205"]
[plan]
source = "test"
title = "测试方案"
[programs.dibao]
order = "verify_first"
[programs.dibao.delegation]
delegated = true
phases = [{ from = 2022-02-01, townships = "all" }]
[programs.dibao.steps]
appraisal = "never"
[programs.dibao.steps.notice]
before_decision = false
[programs.dibao.steps.decision]
after_objection = "15wd"
"#;
    let set = ProfileSet::from_sources(&[
        jiuzhu_domain::profile::BUILTIN[0],
        ("test/650205-test.toml", TEXT),
    ])
    .expect("the test profile loads");
    let profile = set.effective_for(&code(WUERHE)).expect("governs 650205");
    let rule = &profile.program(Program::Dibao).expect("dibao").delegation;
    Office {
        grants: delegation::grants_from_rule(
            Program::Dibao,
            rule,
            &[code(WUERHE_TOWN)],
            "测试方案",
        ),
        profile,
        cal: Calendar::builtin(),
    }
}

/// A plan none of the seeds has, written as a profile only: verify first, no appraisal, the
/// result posted after the decision, 15 working days after an objection. An objection to the
/// posted result then goes to re-investigation (there is no appraisal to hold), with a second
/// economic check; the first, pre-application check stays on record.
#[test]
fn a_profile_without_appraisal_reinvestigates_after_an_objection_to_the_result() {
    let office = no_appraisal_office();
    let s = staff(WUERHE, WUERHE_TOWN, CHAGANCAO);
    let mut case = Case::new(&office);
    case.ok(
        &s.cw,
        "2022-03-01 09:00",
        CommandBody::RequestPreCheck {
            case: new_case(Program::Dibao, CHAGANCAO, Origin::Household),
            materials: keys(&[AUTHORIZATION]),
        },
    );
    case.ok(&s.verifier, "2022-03-02 09:00", check_result(true));
    case.ok(
        &s.cw,
        "2022-03-03 09:00",
        CommandBody::ApplyAfterCheck {
            materials: keys(&[
                "application_form",
                "integrity_statement",
                "identity_documents",
            ]),
        },
    );
    case.ok(&s.cw, "2022-03-04 09:00", home_visit(&[11, 21]));
    case.ok(
        &s.reviewer,
        "2022-03-07 09:00",
        approve_review(Some(yuan(500))),
    );
    case.try_decide(
        &s.head,
        "2022-03-08 09:00",
        approve(top_up("rural"), "2022-03-01"),
    )
    .expect("decided");
    case.ok(&s.village, "2022-03-09 09:00", CommandBody::PostResult);
    let ev = case.ok(
        &s.village,
        "2022-03-10 09:00",
        CommandBody::RaiseObjection {
            summary: "异议".to_string(),
        },
    );
    assert_eq!(
        bodies(&ev),
        [
            "case.objection_raised",
            "case.decision_reopened",
            "case.reinvestigation_ordered"
        ]
    );
    assert_eq!(case.stage(), Stage::Reinvestigation);
    assert_eq!(
        case.state().due(Step::DecisionAfterObjection),
        Some(day_due("2022-03-31"))
    );
    // The head who decided may not re-investigate.
    assert_eq!(
        case.err(&s.cw, "2022-03-11 09:00", home_visit(&[11, 41])),
        CaseError::SeparationOfDuties {
            user: 41,
            done: Duty::Confirm,
            attempted: Duty::Investigate
        }
    );
    case.ok(&s.cw, "2022-03-11 09:00", CommandBody::RequestCheck);
    case.ok(&s.verifier, "2022-03-14 09:00", check_result(true));
    case.ok(&s.cw2, "2022-03-15 09:00", home_visit(&[12, 21]));
    let ev = case.ok(
        &s.reviewer,
        "2022-03-16 09:00",
        approve_review(Some(yuan(400))),
    );
    assert_eq!(
        bodies(&ev),
        ["case.review_signed", "case.sent_for_decision"]
    );
    case.try_decide(
        &s.head,
        "2022-03-17 09:00",
        approve(top_up("urban"), "2022-03-01"),
    )
    .expect("decided again");
    let st = case.state();
    assert_eq!(st.checks.len(), 2);
    assert!(st.checks[0].before_application);
    assert_eq!(st.superseded_decisions.len(), 1);
    assert!(st.dues.is_empty());
}

// ---------------------------------------------------------------------------- duties

/// Drives a 乌尔禾 低保 case to the decision with the given home-visit investigators.
fn wuerhe_to_review<'o>(office: &'o Office, s: &Staff, investigators: &[i64]) -> Case<'o> {
    let mut case = Case::new(office);
    case.ok(
        &s.cw,
        "2022-03-01 09:00",
        CommandBody::Apply {
            case: new_case(Program::Dibao, CHAGANCAO, Origin::Household),
            materials: keys(DIBAO_ALL),
        },
    );
    case.ok(&s.cw, "2022-03-01 10:00", CommandBody::RequestCheck);
    case.ok(&s.verifier, "2022-03-02 10:00", check_result(true));
    case.ok(&s.cw, "2022-03-03 10:00", home_visit(investigators));
    case
}

/// 谁受理、谁审核、谁确认、谁负责: an investigator may not review or confirm; a reviewer may not
/// confirm.
#[test]
fn separation_of_duties() {
    let office = wuerhe();
    let s = staff(WUERHE, WUERHE_TOWN, CHAGANCAO);

    // The reviewer went on the home visit: the review is refused, another reviewer signs.
    let mut case = wuerhe_to_review(&office, &s, &[11, 31]);
    let err = case.err(&s.reviewer, "2022-03-04 09:00", approve_review(None));
    assert_eq!(
        err,
        CaseError::SeparationOfDuties {
            user: 31,
            done: Duty::Investigate,
            attempted: Duty::Review
        }
    );
    assert_eq!(err.code(), "case.separation_of_duties");
    assert!(err.message_zh().contains("谁受理、谁审核、谁确认、谁负责"));
    case.ok(&s.reviewer2, "2022-03-04 09:00", approve_review(None));

    // The head went on the home visit: the head may not confirm.
    let mut case = wuerhe_to_review(&office, &s, &[11, 41]);
    case.ok(&s.reviewer, "2022-03-04 09:00", approve_review(None));
    case.ok(&s.village, "2022-03-04 10:00", CommandBody::PostNotice);
    case.ok(&s.cw, "2022-03-16 09:00", CommandBody::EndNotice);
    assert_eq!(
        case.try_decide(
            &s.head,
            "2022-03-16 10:00",
            approve(top_up("rural"), "2022-03-01")
        )
        .unwrap_err(),
        CaseError::SeparationOfDuties {
            user: 41,
            done: Duty::Investigate,
            attempted: Duty::Confirm
        }
    );
    // Another township head (a deputy with signing authority) confirms.
    let deputy = actor(42, Role::TownshipHead, WUERHE_TOWN);
    case.try_decide(
        &deputy,
        "2022-03-16 10:00",
        approve(top_up("rural"), "2022-03-01"),
    )
    .expect("deputy confirms");

    // Home visits need enough distinct investigators, the recorder among them.
    let mut case = wuerhe_to_review(&office, &s, &[11, 21]);
    case.ok(&s.reviewer, "2022-03-04 09:00", approve_review(None));
    case.ok(&s.village, "2022-03-04 10:00", CommandBody::PostNotice);
    case.ok(
        &s.village,
        "2022-03-07 10:00",
        CommandBody::RaiseObjection {
            summary: "异议".to_string(),
        },
    );
    assert_eq!(
        case.err(&s.cw, "2022-03-08 10:00", home_visit(&[11])),
        CaseError::TooFewInvestigators {
            required: 2,
            given: 1
        }
    );
    assert_eq!(
        case.err(&s.cw, "2022-03-08 10:00", home_visit(&[11, 11])),
        CaseError::DuplicateInvestigator
    );
    assert_eq!(
        case.err(&s.cw, "2022-03-08 10:00", home_visit(&[12, 21])),
        CaseError::RecorderNotInvestigator
    );
    // The head who is going to confirm may not re-investigate either way round: here the
    // head re-investigates, and may then not confirm.
    case.ok(&s.cw, "2022-03-08 10:00", home_visit(&[11, 41]));
    assert_eq!(case.state().duties_of(41), [Duty::Investigate]);
    assert_eq!(
        case.state().duties_of(11),
        [Duty::Intake, Duty::Investigate]
    );
}

/// 近亲属备案 (001 乌尔禾 四、(二)3.): the related person is filed with the county and can no
/// longer act on the case.
#[test]
fn near_relative_filing_bars_the_related_person() {
    let office = wuerhe();
    let s = staff(WUERHE, WUERHE_TOWN, CHAGANCAO);
    let mut case = wuerhe_to_review(&office, &s, &[11, 21]);
    // The village assistant (21) is the applicant's son-in-law.
    let ev = case.ok(
        &s.cw,
        "2022-03-04 09:00",
        CommandBody::FileNearRelative {
            related_user: 21,
            kinship: Kinship::Other,
            capacity: RelatedCapacity::VillageCadre,
        },
    );
    match &ev[0].body {
        EventBody::NearRelativeFiled {
            filed_with,
            prior_duties,
            ..
        } => {
            assert_eq!(filed_with, &code(WUERHE), "filed with the county");
            assert_eq!(prior_duties, &[Duty::Investigate]);
        }
        other => panic!("expected a filing, got {other:?}"),
    }
    assert_eq!(case.stage(), Stage::Review, "filing changes no stage");
    let err = case.err(
        &s.village,
        "2022-03-04 10:00",
        CommandBody::SubmitMaterials {
            materials: keys(&["income_proof"]),
        },
    );
    assert_eq!(err, CaseError::NearRelative { user: 21 });
    assert_eq!(err.code(), "case.near_relative");
    assert_eq!(
        case.err(
            &s.cw,
            "2022-03-04 10:00",
            CommandBody::FileNearRelative {
                related_user: 21,
                kinship: Kinship::Child,
                capacity: RelatedCapacity::VillageCadre
            }
        ),
        CaseError::NearRelativeAlreadyFiled { user: 21 }
    );
    // Nor can the related person be named on a re-investigation.
    case.ok(&s.reviewer, "2022-03-04 11:00", approve_review(None));
    assert_eq!(
        case.err(&s.village, "2022-03-04 12:00", CommandBody::PostNotice),
        CaseError::NearRelative { user: 21 }
    );
    case.ok(&s.cw, "2022-03-04 12:00", CommandBody::PostNotice);
    case.ok(
        &s.cw,
        "2022-03-07 10:00",
        CommandBody::RaiseObjection {
            summary: "异议".to_string(),
        },
    );
    assert_eq!(
        case.err(&s.cw, "2022-03-08 10:00", home_visit(&[11, 21])),
        CaseError::NearRelative { user: 21 }
    );
    // The township head can file their own relation (回避) and is then barred too.
    case.ok(
        &s.head,
        "2022-03-08 11:00",
        CommandBody::FileNearRelative {
            related_user: 41,
            kinship: Kinship::Sibling,
            capacity: RelatedCapacity::Staff,
        },
    );
    assert_eq!(
        case.err(
            &s.head,
            "2022-03-08 12:00",
            CommandBody::Withdraw {
                reason: WithdrawReason::ApplicantRequest,
                note: String::new()
            }
        )
        .code(),
        "case.wrong_role"
    );
    assert_eq!(
        case.err(
            &s.head,
            "2022-03-08 12:00",
            CommandBody::GiveEmergencyHelp {
                amount: yuan(1),
                description: "x".to_string()
            }
        ),
        CaseError::NearRelative { user: 41 }
    );
}

// ---------------------------------------------------------------------------- refusals

#[test]
fn wrong_role_jurisdiction_stage_and_dates() {
    let office = wuerhe();
    let s = staff(WUERHE, WUERHE_TOWN, CHAGANCAO);
    let mut case = Case::new(&office);
    // No case yet.
    assert_eq!(
        case.err(&s.cw, "2022-03-01 09:00", CommandBody::RequestCheck),
        CaseError::NoCase {
            command: CommandKind::RequestCheck
        }
    );
    // Another township's caseworker, another village's assistant.
    let outsider = actor(71, Role::TownshipCaseworker, "650205001000");
    let apply = || CommandBody::Apply {
        case: new_case(Program::Dibao, CHAGANCAO, Origin::Household),
        materials: keys(DIBAO_ALL),
    };
    assert_eq!(
        case.err(&outsider, "2022-03-01 09:00", apply()),
        CaseError::OutsideJurisdiction
    );
    let err = case.err(&s.reviewer, "2022-03-01 09:00", apply());
    assert_eq!(
        err,
        CaseError::WrongRole {
            command: CommandKind::Apply,
            role: Role::TownshipReviewer
        }
    );
    assert_eq!(err.message_zh(), "乡镇审核人无权执行“提出申请”");
    // A township is not a village of household registration.
    assert_eq!(
        case.err(
            &s.cw,
            "2022-03-01 09:00",
            CommandBody::Apply {
                case: new_case(Program::Dibao, WUERHE_TOWN, Origin::Household),
                materials: vec![]
            }
        ),
        CaseError::NotAVillage {
            code: code(WUERHE_TOWN)
        }
    );
    // Dates outside the loaded calendar.
    assert_eq!(
        case.err(&s.cw, "2030-03-01 09:00", apply()),
        CaseError::DateOutsideCalendar { year: 2030 }
    );
    // Accepted on 2026-12-28: the 10-working-day investigation runs into 2027.
    let err = case.err(&s.cw, "2026-12-28 09:00", apply());
    assert_eq!(err, CaseError::DateOutsideCalendar { year: 2027 });
    assert!(err.message_zh().contains("2027"));
    // A profile of another county.
    let taian = taian();
    let ctx = Ctx {
        actor: &s.cw,
        profile: &taian.profile,
        calendar: &taian.cal,
        authority: None,
    };
    assert_eq!(
        decide(
            None,
            &Command {
                at: t("2022-03-01 09:00"),
                body: apply()
            },
            &ctx
        ),
        Err(CaseError::ProfileMismatch {
            county: code(WUERHE)
        })
    );

    case.ok(&s.cw, "2022-03-01 09:00", apply());
    assert_eq!(
        case.err(&s.cw, "2022-03-01 09:30", apply()),
        CaseError::AlreadyOpened {
            command: CommandKind::Apply
        }
    );
    let other_village = actor(22, Role::VillageAssistant, "650205100201");
    assert_eq!(
        case.err(
            &other_village,
            "2022-03-01 10:00",
            CommandBody::SubmitMaterials {
                materials: keys(&["income_proof"])
            }
        ),
        CaseError::OutsideJurisdiction
    );
    assert_eq!(
        case.err(&s.reviewer, "2022-03-01 10:00", home_visit(&[11, 21])),
        CaseError::WrongRole {
            command: CommandKind::RecordHomeVisit,
            role: Role::TownshipReviewer
        }
    );
    let err = case.err(
        &s.head,
        "2022-03-01 10:00",
        CommandBody::Decide {
            decision: approve(top_up("rural"), "2022-03-01"),
        },
    );
    assert_eq!(
        err,
        CaseError::WrongStage {
            stage: Stage::Investigation,
            command: CommandKind::Decide
        }
    );
    assert_eq!(err.message_zh(), "案件当前处于“调查核实”阶段，不能确认决定");
    assert_eq!(
        err.to_string(),
        "the case is at stage investigation, where decide is not possible"
    );
    assert_eq!(
        case.err(&s.cw, "2022-02-28 10:00", CommandBody::RequestCheck),
        CaseError::BeforeLastStep {
            last: t("2022-03-01 09:00")
        }
    );
    assert_eq!(
        case.err(&s.verifier, "2022-03-02 10:00", check_result(true)),
        CaseError::CheckNotRequested
    );
    case.ok(&s.cw, "2022-03-01 10:00", CommandBody::RequestCheck);
    assert_eq!(
        case.err(&s.cw, "2022-03-01 11:00", CommandBody::RequestCheck),
        CaseError::CheckAlreadyRequested
    );
    // Refusing the investigation counts as withdrawing (视为放弃申请).
    let ev = case.ok(
        &s.village,
        "2022-03-02 09:00",
        CommandBody::Withdraw {
            reason: WithdrawReason::RefusedInvestigation,
            note: "申请人拒绝入户调查".to_string(),
        },
    );
    assert_eq!(bodies(&ev), ["case.closed"]);
    assert!(matches!(
        case.state().closure.as_ref().map(|c| &c.reason),
        Some(CloseReason::Withdrawn {
            refused_investigation: true,
            ..
        })
    ));
    assert!(case.state().dues.is_empty());
    assert_eq!(
        case.err(&s.verifier, "2022-03-03 09:00", check_result(true)),
        CaseError::CaseClosed {
            command: CommandKind::RecordCheckResult
        }
    );
}

#[test]
fn decisions_validate_amounts_and_months() {
    let office = wuerhe();
    let s = staff(WUERHE, WUERHE_TOWN, CHAGANCAO);
    let mut case = wuerhe_to_review(&office, &s, &[11, 21]);
    case.ok(
        &s.reviewer,
        "2022-03-04 09:00",
        CommandBody::SignReview {
            recommendation: Recommendation::Refuse {
                reasons: keys(&["不符合条件"]),
            },
            opinion: "拟不予批准".to_string(),
            disputed: false,
        },
    );
    let authority = case.authority("2022-03-07 09:00", Some(yuan(500)));
    let mut decide_with = |decision: DecisionRequest| {
        case.run_with(
            &s.head,
            "2022-03-07 09:00",
            CommandBody::Decide { decision },
            Some(&authority),
        )
    };
    // The amount comes from the profile's formula over the home visit's facts.
    assert_eq!(
        decide_with(approve(AmountBasis::AgeBand { age: 85 }, "2022-03-01")).unwrap_err(),
        CaseError::Amount(AmountError::FormulaMismatch {
            program: Program::Dibao,
            expected: "top_up",
            given: "age_band",
        })
    );
    assert_eq!(
        decide_with(approve(top_up("suburban"), "2022-03-01")).unwrap_err(),
        CaseError::Amount(AmountError::UnknownStandard {
            program: Program::Dibao,
            key: "suburban".to_string(),
        })
    );
    let claim = |member_seq: i32, key: &str| AmountBasis::TopUp {
        standard: "rural".to_string(),
        add_ons: vec![AddOnClaim {
            member_seq,
            key: key.to_string(),
        }],
    };
    assert_eq!(
        decide_with(approve(claim(9, "minor"), "2022-03-01")).unwrap_err(),
        CaseError::Amount(AmountError::UnknownMember { member_seq: 9 })
    );
    assert_eq!(
        decide_with(approve(claim(2, "astronaut"), "2022-03-01")).unwrap_err(),
        CaseError::Amount(AmountError::UnknownAddOn {
            key: "astronaut".to_string()
        })
    );
    // 600 × 2 − 300 = 900 yuan; a form that showed 500 yuan is out of date.
    assert_eq!(
        decide_with(DecisionRequest::Approve {
            basis: top_up("rural"),
            start_month: d("2022-03-01"),
            expected_amount: Some(yuan(500)),
        })
        .unwrap_err(),
        CaseError::AmountMismatch {
            expected: yuan(500),
            computed: yuan(900),
        }
    );
    assert_eq!(
        decide_with(approve(top_up("rural"), "2022-03-15")).unwrap_err(),
        CaseError::StartMonthNotFirstDay
    );
    assert_eq!(
        decide_with(approve(top_up("rural"), "2022-02-01")).unwrap_err(),
        CaseError::StartMonthBeforeCase
    );
    // Where the plan posts before deciding, an approval needs the notice: a proposed refusal
    // that was never posted can only be refused.
    assert_eq!(
        decide_with(approve(top_up("rural"), "2022-03-01")).unwrap_err(),
        CaseError::ApprovalNeedsNotice
    );
    decide_with(DecisionRequest::Refuse {
        reasons: keys(&["不符合条件"]),
    })
    .expect("refused");
}

/// Every error has a distinct `case.` code and a Chinese message without ID numbers.
#[test]
fn error_codes_and_messages() {
    let samples = [
        CaseError::WrongRole {
            command: CommandKind::Decide,
            role: Role::VillageAssistant,
        },
        CaseError::OutsideJurisdiction,
        CaseError::NearRelative { user: 7 },
        CaseError::SeparationOfDuties {
            user: 7,
            done: Duty::Review,
            attempted: Duty::Confirm,
        },
        CaseError::WrongStage {
            stage: Stage::Notice,
            command: CommandKind::Archive,
        },
        CaseError::PaperworkIncomplete {
            missing: keys(&["application_form"]),
        },
        CaseError::DateOutsideCalendar { year: 2031 },
        CaseError::UnknownMaterial {
            key: "x".to_string(),
        },
    ];
    let mut codes = std::collections::BTreeSet::new();
    for e in &samples {
        assert!(e.code().starts_with("case."), "{}", e.code());
        assert!(codes.insert(e.code()), "duplicate code {}", e.code());
        assert!(!e.message_zh().is_empty());
        assert!(!e.to_string().is_empty());
    }
    // The role table names at least one role per command, and Decide only confirming roles.
    for kind in CommandKind::ALL {
        assert!(!allowed_roles(kind).is_empty(), "{kind}");
    }
    assert_eq!(
        allowed_roles(CommandKind::Decide),
        [Role::TownshipHead, Role::CountyAdmin]
    );
}

// ---------------------------------------------------------------------------- properties

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// A county setting for random runs.
    struct World {
        office: Office,
        staff: Staff,
        program: Program,
        village: &'static str,
        start: NaiveDateTime,
        materials: Vec<String>,
    }

    fn worlds() -> Vec<World> {
        let w = |county: &str,
                 town: &str,
                 village: &'static str,
                 program: Program,
                 start: &str,
                 materials: &[&str]| World {
            office: office(county, &[town]),
            staff: staff(county, town, village),
            program,
            village,
            start: t(start),
            materials: keys(materials),
        };
        vec![
            w(
                WUERHE,
                WUERHE_TOWN,
                CHAGANCAO,
                Program::Dibao,
                "2022-03-01 09:00",
                DIBAO_ALL,
            ),
            w(
                TAISHAN,
                DAIMIAO,
                DONGGUAN,
                Program::Dibao,
                "2023-05-08 09:00",
                &[
                    "application_form",
                    "integrity_statement",
                    "verification_authorization",
                ],
            ),
            w(
                TAISHAN,
                DAIMIAO,
                DONGGUAN,
                Program::Linshi,
                "2023-06-20 22:00",
                &[
                    "application_form",
                    "verification_authorization",
                    "identity_documents",
                ],
            ),
            w(
                LINGWU,
                DONGTA,
                CHENGYI,
                Program::Gaoling,
                "2021-10-11 09:00",
                &[
                    "application_form",
                    "identity_documents",
                    "verification_authorization",
                ],
            ),
            World {
                office: no_appraisal_office(),
                staff: staff(WUERHE, WUERHE_TOWN, CHAGANCAO),
                program: Program::Dibao,
                village: CHAGANCAO,
                start: t("2022-03-01 09:00"),
                materials: keys(DIBAO_ALL),
            },
            w(
                GONGXIAN,
                XIAOER,
                LONGWO,
                Program::Linshi,
                "2021-03-01 09:00",
                &[
                    "application_form",
                    "verification_authorization",
                    "identity_documents",
                ],
            ),
        ]
    }

    /// One random step: which command (natural for the stage, or any), by whom, how much
    /// later, and a variant number for its parameters.
    #[derive(Debug, Clone)]
    struct Step {
        natural: bool,
        kind: usize,
        who: usize,
        hours: i64,
        variant: u32,
    }

    fn step() -> impl Strategy<Value = Step> {
        (
            prop::bool::weighted(0.8),
            0usize..CommandKind::ALL.len(),
            0usize..12,
            prop_oneof![8 => 0i64..80, 1 => -30i64..0, 1 => 200i64..2000],
            any::<u32>(),
        )
            .prop_map(|(natural, kind, who, hours, variant)| Step {
                natural,
                kind,
                who,
                hours,
                variant,
            })
    }

    fn pool(w: &World) -> Vec<Actor> {
        let s = &w.staff;
        vec![
            s.cw.clone(),
            s.cw2.clone(),
            s.village.clone(),
            s.reviewer.clone(),
            s.reviewer2.clone(),
            s.head.clone(),
            s.verifier.clone(),
            s.admin.clone(),
            actor(42, Role::TownshipHead, s.head.division.as_ref()),
            actor(22, Role::VillageAssistant, s.village.division.as_ref()),
            actor(71, Role::TownshipCaseworker, "110101001000"),
            actor(72, Role::CountyAdmin, "110101"),
        ]
    }

    /// The command a user would plausibly give at this stage, and who would give it.
    fn natural(w: &World, s: Option<&CaseState>, v: u32) -> (CommandKind, usize) {
        use CommandKind as K;
        let pick = |a: K, b: K| if v.is_multiple_of(2) { a } else { b };
        let Some(s) = s else {
            return match (w.program, v % 3) {
                (Program::Linshi, 0) => (K::ReportEmergency, 2),
                _ if w.office.profile.program(w.program).map(|r| r.order)
                    == Some(jiuzhu_domain::profile::StepOrder::VerifyFirst) =>
                {
                    (K::RequestPreCheck, 0)
                }
                _ => (K::Apply, if v.is_multiple_of(4) { 2 } else { 0 }),
            };
        };
        if v.is_multiple_of(37) {
            return (K::Withdraw, 0);
        }
        if v.is_multiple_of(13) {
            return (K::FileNearRelative, 0);
        }
        match s.stage {
            Stage::PreCheck => (K::RecordCheckResult, 6),
            Stage::Invited => (K::ApplyAfterCheck, 0),
            Stage::Intake | Stage::AwaitingMaterials => (K::SubmitMaterials, 2),
            Stage::VillageReview => (K::RecordVillageReview, 2),
            Stage::Investigation | Stage::Review | Stage::Reinvestigation => match s.check() {
                None => (K::RequestCheck, 0),
                Some(c) if c.result.is_none() => (K::RecordCheckResult, 6),
                _ if s.stage == Stage::Review => (K::SignReview, 3 + (v as usize / 7) % 2),
                _ => (K::RecordHomeVisit, (v as usize / 5) % 2),
            },
            Stage::Appraisal => (K::RecordAppraisal, 0),
            Stage::ToNotice => (K::PostNotice, 2),
            Stage::Notice => (pick(K::EndNotice, K::RaiseObjection), 0),
            Stage::Decision => (K::Decide, if v.is_multiple_of(3) { 7 } else { 5 }),
            Stage::Decided => match v % 5 {
                0 => (K::DeliverNotice, 2),
                1 => (K::PostResult, 0),
                2 => (K::RaiseObjection, 2),
                3 => (K::Correct, if v.is_multiple_of(2) { 5 } else { 7 }),
                _ => (K::Archive, 0),
            },
            Stage::EmergencyHelp => (K::GiveEmergencyHelp, 0),
            Stage::EmergencyPaperwork => (K::CompletePaperwork, 0),
            Stage::Closed => (K::Correct, 7),
        }
    }

    /// Builds the command body of `kind` with parameters from `v`.
    fn body(w: &World, kind: CommandKind, v: u32) -> CommandBody {
        use CommandKind as K;
        let materials = || {
            if v.is_multiple_of(5) {
                w.materials[..1].to_vec()
            } else {
                w.materials.clone()
            }
        };
        let case = || NewCase {
            case_id: 9,
            number: "P-1".to_string(),
            program: w.program,
            village: code(w.village),
            household_id: 5,
            origin: if v.is_multiple_of(2) {
                Origin::OnBehalf
            } else {
                Origin::Household
            },
        };
        let investigators = match v % 6 {
            0 => vec![11],
            1 => vec![11, 41],
            2 => vec![12, 21],
            3 => vec![11, 31],
            _ => vec![11, 21],
        };
        let amount = Fen::new(i64::from(v % 5000) * 100 - 1000);
        match kind {
            K::Apply => CommandBody::Apply {
                case: case(),
                materials: materials(),
            },
            K::RequestPreCheck => CommandBody::RequestPreCheck {
                case: case(),
                materials: keys(&[AUTHORIZATION]),
            },
            K::ApplyAfterCheck => CommandBody::ApplyAfterCheck {
                materials: materials(),
            },
            K::SubmitMaterials => CommandBody::SubmitMaterials {
                materials: w.materials.clone(),
            },
            K::RecordVillageReview => CommandBody::RecordVillageReview {
                supports: !v.is_multiple_of(3),
                opinion: "初审意见".to_string(),
            },
            K::RequestCheck => CommandBody::RequestCheck,
            K::RecordCheckResult => check_result(!v.is_multiple_of(4)),
            K::RecordHomeVisit => CommandBody::RecordHomeVisit {
                investigators,
                members: members(),
                findings: "调查结论".to_string(),
            },
            K::SignReview => CommandBody::SignReview {
                recommendation: if v.is_multiple_of(4) {
                    Recommendation::Refuse {
                        reasons: keys(&["不符合条件"]),
                    }
                } else {
                    Recommendation::Approve {
                        proposed_amount: Some(amount),
                    }
                },
                opinion: "审核意见".to_string(),
                disputed: v.is_multiple_of(3),
            },
            K::RecordAppraisal => appraisal(if v.is_multiple_of(3) {
                AppraisalOutcome::Opposes
            } else {
                AppraisalOutcome::Supports
            }),
            K::PostNotice => CommandBody::PostNotice,
            K::RaiseObjection => CommandBody::RaiseObjection {
                summary: "异议".to_string(),
            },
            K::EndNotice => CommandBody::EndNotice,
            K::Decide => CommandBody::Decide {
                decision: if v.is_multiple_of(4) {
                    DecisionRequest::Refuse {
                        reasons: keys(&["不符合条件"]),
                    }
                } else {
                    DecisionRequest::Approve {
                        basis: basis_for(w.program, v),
                        start_month: w.start.date().with_day(1).unwrap_or(w.start.date()),
                        expected_amount: None,
                    }
                },
            },
            K::DeliverNotice => CommandBody::DeliverNotice {
                note: String::new(),
            },
            K::PostResult => CommandBody::PostResult,
            K::Archive => CommandBody::Archive,
            K::Withdraw => CommandBody::Withdraw {
                reason: if v.is_multiple_of(2) {
                    WithdrawReason::ApplicantRequest
                } else {
                    WithdrawReason::RefusedInvestigation
                },
                note: String::new(),
            },
            K::ReportEmergency => CommandBody::ReportEmergency {
                case: case(),
                summary: "急难".to_string(),
            },
            K::GiveEmergencyHelp => CommandBody::GiveEmergencyHelp {
                amount,
                description: "先行救助".to_string(),
            },
            K::CompletePaperwork => CommandBody::CompletePaperwork {
                materials: materials(),
                continue_procedure: v.is_multiple_of(2),
            },
            K::FileNearRelative => CommandBody::FileNearRelative {
                related_user: [11, 21, 31, 41, 12][(v as usize / 3) % 5],
                kinship: Kinship::Sibling,
                capacity: RelatedCapacity::Staff,
            },
            K::Correct => CommandBody::Correct {
                finding: FindingRef::SpotCheck {
                    draw_id: 1,
                    case_id: 9,
                },
                correction: if v.is_multiple_of(3) {
                    CorrectionRequest::Stop
                } else {
                    CorrectionRequest::Amount {
                        basis: basis_for(w.program, v / 3 + 1),
                        members: Vec::new(),
                        expected_amount: None,
                    }
                },
                effective_month: NaiveDate::from_ymd_opt(
                    2019 + (v % 9) as i32,
                    1 + v % 12,
                    1 + v % 29 / 28,
                )
                .expect("a valid date"),
                reason: if v.is_multiple_of(17) {
                    String::new()
                } else {
                    "抽查发现隐瞒收入".to_string()
                },
            },
        }
    }

    use chrono::Datelike;

    /// An approval's facts for each program's formula, varied by `v`.
    fn basis_for(program: Program, v: u32) -> AmountBasis {
        match program {
            Program::Dibao => top_up(if v.is_multiple_of(2) {
                "rural"
            } else {
                "urban"
            }),
            Program::Tekun => AmountBasis::BasicPlusCare {
                care: CareLevel::Partial,
            },
            Program::Linshi => months("rural", v % 7),
            Program::Gaoling => AmountBasis::AgeBand { age: 78 + v % 30 },
            Program::Canji => AmountBasis::DisabilitySubsidy {
                living: true,
                nursing: !v.is_multiple_of(3),
                grade: (v % 4) as u8 + 1,
            },
            Program::Dishouru => AmountBasis::Status,
        }
    }

    /// The authority the caller would pass: from the grants, for the command's amount.
    fn authority_for(
        w: &World,
        s: Option<&CaseState>,
        at: NaiveDateTime,
        b: &CommandBody,
    ) -> Option<Authority> {
        let s = s?;
        let amount = match b {
            CommandBody::Decide {
                decision: DecisionRequest::Approve { basis, .. },
            } => approval_calculation(s, &w.office.profile, basis).map_or(Fen::ZERO, |c| c.amount),
            _ => Fen::ZERO,
        };
        delegation::authority(
            &w.office.grants,
            s.header.program,
            &s.header.township,
            at.date(),
            Some(amount),
        )
        .ok()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// Random command sequences: every accepted command leads to a state that keeps the
        /// invariants; a refused one records nothing; a closed case accepts nothing; the
        /// events replay to the same state and survive serialization; a filed near relative
        /// acts no more; `apply` takes the events in any order without panicking.
        #[test]
        fn random_commands_keep_the_invariants(
            world in 0usize..6,
            steps in prop::collection::vec(step(), 1..60),
            shuffle in prop::collection::vec(any::<prop::sample::Index>(), 0..40),
        ) {
            let worlds = worlds();
            let w = &worlds[world];
            let actors = pool(w);
            let mut state: Option<CaseState> = None;
            let mut events: Vec<Event> = Vec::new();
            let mut at = w.start;
            let mut filed: Vec<i64> = Vec::new();
            for st in &steps {
                at += chrono::TimeDelta::hours(st.hours);
                let (kind, who) = if st.natural {
                    natural(w, state.as_ref(), st.variant)
                } else {
                    (CommandKind::ALL[st.kind], st.who)
                };
                let who = if st.natural && st.variant % 11 == 0 { st.who } else { who };
                let actor = &actors[who];
                let body = body(w, kind, st.variant);
                let authority = authority_for(w, state.as_ref(), at, &body);
                let ctx = Ctx {
                    actor,
                    profile: &w.office.profile,
                    calendar: &w.office.cal,
                    authority: authority.as_ref(),
                };
                let command = Command { at, body };
                let was_closed = state.as_ref().is_some_and(CaseState::is_closed);
                let stage_before = state.as_ref().map(|s| s.stage);
                match decide(state.as_ref(), &command, &ctx) {
                    Ok(new_events) => {
                        prop_assert!(
                            !was_closed
                                || (kind == CommandKind::Correct
                                    && state.as_ref().and_then(|s| s.closure.as_ref()).is_some_and(
                                        |c| c.reason == jiuzhu_domain::case::CloseReason::Archived
                                    )),
                            "a closed case accepted {:?}", kind
                        );
                        // What the engine accepts, the UI offers at that stage.
                        if let Some(stage) = stage_before
                            && kind != CommandKind::FileNearRelative
                        {
                            prop_assert!(
                                offered_at(stage).contains(&kind),
                                "{:?} accepted at {:?} but not offered", kind, stage
                            );
                        }
                        prop_assert!(!new_events.is_empty());
                        prop_assert!(!filed.contains(&actor.user_id), "near relative acted");
                        for e in &new_events {
                            prop_assert_eq!(e.by, actor.user_id);
                            if let EventBody::HomeVisitRecorded { investigators, .. } = &e.body {
                                prop_assert!(investigators.iter().all(|i| !filed.contains(i)));
                            }
                            if let EventBody::NearRelativeFiled { related_user, .. } = &e.body {
                                filed.push(*related_user);
                            }
                            round_trip(e);
                            state = apply(state.take(), e);
                        }
                        events.extend(new_events);
                        let s = state.as_ref().expect("a case exists after an accepted command");
                        prop_assert_eq!(s.invariant_violations(), Vec::<&str>::new());
                        prop_assert_eq!(s.version, events.len() as u64);
                    }
                    Err(e) => {
                        prop_assert!(e.code().starts_with("case."));
                        prop_assert!(!e.message_zh().is_empty());
                        if was_closed {
                            prop_assert!(matches!(
                                e,
                                CaseError::CaseClosed { .. }
                                    | CaseError::WrongRole { .. }
                                    // an archived approval can still be corrected
                                    | CaseError::CorrectionMonth
                                    | CaseError::CorrectNotApproved
                                    | CaseError::CorrectionChangesNothing { .. }
                                    | CaseError::NotTheAuthority { .. }
                                    | CaseError::TextRequired { .. }
                                    | CaseError::NearRelative { .. }
                                    | CaseError::BeforeLastStep { .. }
                                    | CaseError::Amount(_)
                                    | CaseError::OutsideJurisdiction
                                    | CaseError::AlreadyOpened { .. }
                                    | CaseError::DateOutsideCalendar { .. }
                            ), "closed case refused with {:?}", e);
                        }
                    }
                }
            }
            prop_assert_eq!(replay(&events), state.clone());

            // apply is total: any order, any repetition.
            let mut scrambled = events.clone();
            if !scrambled.is_empty() {
                for (i, ix) in shuffle.iter().enumerate() {
                    let j = ix.index(scrambled.len());
                    let k = i % scrambled.len();
                    scrambled.swap(j, k);
                }
                let extra = scrambled[0].clone();
                scrambled.push(extra);
            }
            let _ = replay(&scrambled);
            let mut partial = None;
            for e in events.iter().skip(1) {
                partial = apply(partial, e);
            }
            prop_assert!(partial.is_none(), "without the opening event there is no case");
        }
    }
}
