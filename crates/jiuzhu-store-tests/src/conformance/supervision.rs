//! Conformance of county supervision (issue 8): filing review, spot-check draws, checks and
//! feedback, rectification, complaints and dishonesty records, with their scoping.

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use jiuzhu_domain::case;
use jiuzhu_domain::supervision::{
    self as sup, ComplaintChannel, ComplaintOutcome, FilingOutcome, Month, RectificationStatus,
};
use jiuzhu_domain::{Fen, Program, Relation, Role};
use jiuzhu_store::{
    Actor, Command, CommandContext, CommandOutcome, FilingFilter, FindingRef, NewPublicReport,
    RectificationFilter, ReportKind, SpotCheckResult, Store, StoreError, SupervisionCommand,
};

use super::{
    GONGQUAN, GONGQUAN_VILLAGE, XUNCHANG, XUNCHANG_VILLAGE, account, at, code, date, event_count,
    grant, household, load, register, run_case, system, user_id,
};
use crate::TestDb;

/// 珙县 with 低保 delegated to 巡场镇 only: six township decisions of March 2023 in 巡场镇
/// (four approvals, two refusals) and one county decision in 珙泉镇 (no grant there).
pub struct SupervisionOffice {
    pub admin: Actor,
    pub supervisor: Actor,
    pub xc_cw: Actor,
    pub xc_head: Actor,
    pub gq_cw: Actor,
    /// 灵武市's supervisor: another county.
    pub lw_supervisor: Actor,
    /// (case id, case number, approved) of the township decisions, in order.
    pub township_cases: Vec<(i64, String, bool)>,
    pub county_case: i64,
}

/// A context at a fixed instant (local time `local`, Asia/Shanghai).
fn ctx_at(actor: &Actor, key: &str, local: &str) -> CommandContext {
    let local = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").expect("test time");
    let utc = DateTime::<Utc>::from_naive_utc_and_offset(local - chrono::Duration::hours(8), Utc);
    CommandContext::new(actor.clone(), key, utc)
}

fn sup_code(e: &StoreError) -> &'static str {
    match e {
        StoreError::Supervision { code, .. } => code,
        other => panic!("expected a supervision refusal, got {other:?}"),
    }
}

async fn run(
    store: &dyn Store,
    actor: &Actor,
    key: &str,
    local: &str,
    c: SupervisionCommand,
) -> Result<CommandOutcome, StoreError> {
    store
        .execute(&ctx_at(actor, key, local), Command::Supervision(c))
        .await
        .map(|e| e.outcome)
}

fn subject_id(o: &CommandOutcome) -> i64 {
    match o {
        CommandOutcome::SupervisionRecorded { subject, .. } => subject
            .split_once(':')
            .and_then(|(_, id)| id.parse().ok())
            .expect("subject id"),
        other => panic!("unexpected outcome {other:?}"),
    }
}

struct Staff<'a> {
    cw: &'a Actor,
    cw2: &'a Actor,
    reviewer: &'a Actor,
    verifier: &'a Actor,
    decider: &'a Actor,
}

/// One 低保 case of a new household in `village` from the application to the decision.
async fn decided_case(
    db: &TestDb,
    s: &Staff<'_>,
    village: &str,
    key: &str,
    approve: bool,
) -> (i64, String) {
    let hh = register(db, s.cw, &format!("{key}-hh"), household(village, 1))
        .await
        .expect("household");
    let cmd = |id: Option<i64>, when: &str, body: case::CommandBody| Command::Case {
        case_id: id,
        case_command: case::Command { at: at(when), body },
    };
    let (id, number, ..) = run_case(
        db,
        s.cw,
        &format!("{key}-apply"),
        cmd(
            None,
            "2023-03-01 09:00",
            case::CommandBody::Apply {
                case: case::NewCase {
                    case_id: 0,
                    number: String::new(),
                    program: Program::Dibao,
                    village: code(village),
                    household_id: hh,
                    origin: case::Origin::Household,
                },
                materials: super::ALL_DIBAO_MATERIALS
                    .iter()
                    .map(|m| m.to_string())
                    .collect(),
            },
        ),
    )
    .await
    .expect("apply");
    let mut steps: Vec<(&Actor, &str, case::CommandBody)> = vec![
        (s.cw, "2023-03-02 10:00", case::CommandBody::RequestCheck),
        (
            s.verifier,
            "2023-03-03 10:00",
            case::CommandBody::RecordCheckResult {
                passed: true,
                summary: "核对完毕".into(),
                reasons: vec![],
            },
        ),
        (
            s.cw,
            "2023-03-06 10:00",
            case::CommandBody::RecordHomeVisit {
                investigators: vec![user_id(s.cw), user_id(s.cw2)],
                members: vec![case::MemberFacts {
                    member_seq: 1,
                    relation: Relation::Head,
                    lives_together: true,
                    able_to_work: false,
                    monthly_income: Fen::from_yuan(300).expect("fen"),
                    note: String::new(),
                }],
                findings: "入户调查".into(),
            },
        ),
    ];
    if approve {
        steps.extend([
            (
                s.reviewer,
                "2023-03-07 10:00",
                case::CommandBody::SignReview {
                    recommendation: case::Recommendation::Approve {
                        proposed_amount: Fen::from_yuan(300),
                    },
                    opinion: "符合条件".into(),
                    disputed: false,
                },
            ),
            (s.cw, "2023-03-08 09:00", case::CommandBody::PostNotice),
            (s.cw, "2023-03-16 09:00", case::CommandBody::EndNotice),
            (
                s.decider,
                "2023-03-16 15:00",
                case::CommandBody::Decide {
                    decision: case::DecisionRequest::Approve {
                        basis: jiuzhu_domain::benefit::AmountBasis::TopUp {
                            standard: "rural".into(),
                            add_ons: Vec::new(),
                        },
                        start_month: date("2023-03-01"),
                        expected_amount: Fen::from_yuan(300),
                    },
                },
            ),
        ]);
    } else {
        let reasons = vec!["家庭人均收入高于当地低保标准".to_string()];
        steps.extend([
            (
                s.reviewer,
                "2023-03-07 10:00",
                case::CommandBody::SignReview {
                    recommendation: case::Recommendation::Refuse {
                        reasons: reasons.clone(),
                    },
                    opinion: "不符合条件".into(),
                    disputed: false,
                },
            ),
            (
                s.decider,
                "2023-03-09 15:00",
                case::CommandBody::Decide {
                    decision: case::DecisionRequest::Refuse { reasons },
                },
            ),
        ]);
    }
    for (i, (who, when, body)) in steps.into_iter().enumerate() {
        run_case(db, who, &format!("{key}-{i}"), cmd(Some(id), when, body))
            .await
            .unwrap_or_else(|e| panic!("{key} step {i}: {e:?}"));
    }
    let state = db.store.case(s.cw, id).await.expect("case");
    assert_eq!(state.stage, case::Stage::Decided, "{key}");
    (id, number)
}

/// The shared fixture (also used by the CLI test of `jiuzhu supervise sample`).
pub async fn supervision_fixture(db: &TestDb) -> SupervisionOffice {
    load(db).await;
    let admin = account(db, "gx.admin", Role::CountyAdmin, "511526").await;
    grant(
        db,
        &admin,
        "g-dibao",
        Program::Dibao,
        XUNCHANG,
        "2020-05-01",
        None,
    )
    .await
    .expect("grant 低保 to 巡场镇");
    let verifier = account(db, "gx.ver", Role::CountyVerifier, "511526").await;
    let xc_cw = account(db, "xc.cw", Role::TownshipCaseworker, XUNCHANG).await;
    let xc_cw2 = account(db, "xc.cw2", Role::TownshipCaseworker, XUNCHANG).await;
    let xc_rev = account(db, "xc.rev", Role::TownshipReviewer, XUNCHANG).await;
    let xc_head = account(db, "xc.head", Role::TownshipHead, XUNCHANG).await;
    let gq_cw = account(db, "gq.cw", Role::TownshipCaseworker, GONGQUAN).await;
    let gq_cw2 = account(db, "gq.cw2", Role::TownshipCaseworker, GONGQUAN).await;
    let gq_rev = account(db, "gq.rev", Role::TownshipReviewer, GONGQUAN).await;
    let xc = Staff {
        cw: &xc_cw,
        cw2: &xc_cw2,
        reviewer: &xc_rev,
        verifier: &verifier,
        decider: &xc_head,
    };
    let mut township_cases = Vec::new();
    for (i, approve) in [true, false, true, true, false, true]
        .into_iter()
        .enumerate()
    {
        let (id, number) =
            decided_case(db, &xc, XUNCHANG_VILLAGE, &format!("xc{i}"), approve).await;
        township_cases.push((id, number, approve));
    }
    let gq = Staff {
        cw: &gq_cw,
        cw2: &gq_cw2,
        reviewer: &gq_rev,
        verifier: &verifier,
        decider: &admin,
    };
    let (county_case, _) = decided_case(db, &gq, GONGQUAN_VILLAGE, "gq0", true).await;
    SupervisionOffice {
        supervisor: account(db, "gx.sup", Role::CountySupervisor, "511526").await,
        lw_supervisor: account(db, "lw.sup", Role::CountySupervisor, "640181").await,
        admin,
        xc_cw,
        xc_head,
        gq_cw,
        township_cases,
        county_case,
    }
}

fn march() -> Month {
    "2023-03".parse().expect("month")
}

fn draw_cmd(seed: u64, reason: Option<&str>) -> SupervisionCommand {
    SupervisionCommand::DrawSample {
        county: code("511526"),
        period: march(),
        seed,
        redraw_reason: reason.map(str::to_string),
    }
}

/// Township decisions are filed in the decision's transaction, county decisions are not;
/// the county reviews each filing once; other townships and counties see nothing.
pub async fn township_decisions_are_filed_for_review(db: &TestDb) {
    let o = supervision_fixture(db).await;
    let all = db
        .store
        .filings(&o.supervisor, &FilingFilter::default())
        .await
        .unwrap();
    let filed: Vec<i64> = all.iter().map(|f| f.case_id).collect();
    let expected: Vec<i64> = o.township_cases.iter().map(|c| c.0).collect();
    assert_eq!(filed, expected, "every township decision, in order");
    assert!(
        !filed.contains(&o.county_case),
        "county decisions are not filed"
    );
    for (f, (_, number, approved)) in all.iter().zip(&o.township_cases) {
        assert_eq!(&f.case_number, number);
        assert_eq!(f.approved, *approved);
        assert_eq!(f.township, code(XUNCHANG));
        assert_eq!(
            f.decided_on,
            date(if *approved {
                "2023-03-16"
            } else {
                "2023-03-09"
            })
        );
        assert_eq!(
            f.amount,
            approved.then(|| Fen::from_yuan(300).unwrap()),
            "approvals carry the amount"
        );
        assert!(f.review.is_none());
        assert_eq!(f.decided_by, user_id(&o.xc_head));
    }
    // The township sees its own filings; another township and another county see none.
    assert_eq!(
        db.store
            .filings(&o.xc_cw, &FilingFilter::default())
            .await
            .unwrap()
            .len(),
        6
    );
    for outsider in [&o.gq_cw, &o.lw_supervisor] {
        assert!(
            db.store
                .filings(outsider, &FilingFilter::default())
                .await
                .unwrap()
                .is_empty()
        );
    }
    let april: Month = "2023-04".parse().unwrap();
    assert!(
        db.store
            .filings(
                &o.supervisor,
                &FilingFilter {
                    period: Some(april),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .is_empty()
    );
    let first = all[0].id;
    let review = |outcome, opinion: &str| SupervisionCommand::ReviewFiling {
        filing_id: first,
        outcome,
        opinion: opinion.into(),
    };
    let before = event_count(db).await;
    // Township staff cannot review; another county cannot even see the filing.
    let err = run(
        db.store.as_ref(),
        &o.xc_head,
        "rv-head",
        "2023-04-03 09:00",
        review(FilingOutcome::Accepted, "自审"),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.wrong_role");
    assert!(err.is_permission());
    let err = run(
        db.store.as_ref(),
        &o.lw_supervisor,
        "rv-lw",
        "2023-04-03 09:00",
        review(FilingOutcome::Accepted, "越权"),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = run(
        db.store.as_ref(),
        &o.supervisor,
        "rv-empty",
        "2023-04-03 09:00",
        review(FilingOutcome::Accepted, "  "),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.text_required");
    assert_eq!(event_count(db).await, before, "refusals record nothing");
    run(
        db.store.as_ref(),
        &o.supervisor,
        "rv-ok",
        "2023-04-03 09:00",
        review(FilingOutcome::Questions, "家庭收入核算依据不足，请说明"),
    )
    .await
    .expect("review");
    let err = run(
        db.store.as_ref(),
        &o.supervisor,
        "rv-again",
        "2023-04-03 10:00",
        review(FilingOutcome::Accepted, "再审"),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.already_reviewed");
    let pending = db
        .store
        .filings(
            &o.supervisor,
            &FilingFilter {
                pending_only: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(pending.len(), 5);
    assert!(pending.iter().all(|f| f.id != first));
    let reviewed = db
        .store
        .filings(&o.xc_cw, &FilingFilter::default())
        .await
        .unwrap();
    let r = reviewed[0].review.as_ref().expect("reviewed");
    assert_eq!(r.outcome, FilingOutcome::Questions);
    assert_eq!(r.reviewed_by, user_id(&o.supervisor));
    // The filing's history: filed with the decision, then reviewed.
    let mut events = db
        .store
        .events_for(&o.supervisor, &format!("filing:{first}"))
        .await
        .unwrap();
    // (The fixture's decisions run at the real time, the review at a fixed 2023 time: the
    // log's order is the chain's.)
    events.sort_by_key(|e| e.seq);
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["supervision.filed", "supervision.filing_reviewed"]);
    assert!(matches!(
        db.store
            .events_for(&o.gq_cw, &format!("filing:{first}"))
            .await,
        Err(StoreError::NotFound(_))
    ));
    let report = db.store.verify_chain().await.unwrap();
    assert!(report.first_break.is_none(), "{report:?}");
}

/// A draw is stratified, reproducible from its recorded seed and method, recorded in the
/// log, refused when repeated without a reason, and shown to a township only for its cases.
pub async fn spot_check_draws_are_reproducible_recorded_and_not_repeated(db: &TestDb) {
    let o = supervision_fixture(db).await;
    let store = db.store.as_ref();
    assert!(store.spot_checks(&o.xc_cw, None).await.unwrap().is_empty());
    // Not before the month is over; not by a township; not for another county.
    let err = run(
        store,
        &o.supervisor,
        "d-early",
        "2023-03-31 18:00",
        draw_cmd(42, None),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.period_not_over");
    let err = run(
        store,
        &o.xc_head,
        "d-head",
        "2023-04-03 09:00",
        draw_cmd(42, None),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.wrong_role");
    let err = run(
        store,
        &o.lw_supervisor,
        "d-lw",
        "2023-04-03 09:00",
        draw_cmd(42, None),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
    // 宜宾市's supervisor watches 珙县 but the county draws its own sample.
    let yibin = account(db, "yb.sup", Role::CountySupervisor, "511500").await;
    let err = run(
        store,
        &yibin,
        "d-yb",
        "2023-04-03 09:00",
        draw_cmd(42, None),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.not_county_account");
    let CommandOutcome::SampleDrawn {
        draw_id,
        case_numbers,
        candidates,
        method,
        seed,
        ..
    } = run(
        store,
        &o.supervisor,
        "d-1",
        "2023-04-03 09:00",
        draw_cmd(42, None),
    )
    .await
    .expect("draw")
    else {
        panic!("expected a draw")
    };
    assert_eq!(candidates, 6);
    assert_eq!(seed, "42");
    assert_eq!(method, sup::SAMPLE_METHOD);
    // ceil(30% × 4 approvals) + ceil(30% × 2 refusals) = 2 + 1.
    assert_eq!(case_numbers.len(), 3, "{case_numbers:?}");
    let approved_of = |n: &String| {
        o.township_cases
            .iter()
            .find(|c| &c.1 == n)
            .map(|c| c.2)
            .expect("a township case")
    };
    assert_eq!(case_numbers.iter().filter(|n| approved_of(n)).count(), 2);
    // Anyone can re-draw it from the recorded candidates, seed and method.
    let candidates: Vec<sup::Candidate> = o
        .township_cases
        .iter()
        .map(|(_, n, a)| sup::Candidate {
            case_number: n.clone(),
            township: code(XUNCHANG),
            program: Program::Dibao,
            approved: *a,
        })
        .collect();
    assert_eq!(
        sup::draw(&candidates, 42, |_| 30).case_numbers,
        case_numbers
    );
    // The draw is in the log with its seed, method, candidates and sample.
    let events = store
        .events_for(&o.supervisor, &format!("spot_check:{draw_id}"))
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "supervision.sample_drawn");
    assert_eq!(events[0].payload["seed"], "42");
    assert_eq!(events[0].payload["method"], sup::SAMPLE_METHOD);
    assert_eq!(events[0].payload["candidates"], 6);
    assert_eq!(
        events[0].payload["case_numbers"],
        serde_json::json!(case_numbers)
    );
    let draws = store.spot_check_draws(&o.supervisor, None).await.unwrap();
    assert_eq!(draws.len(), 1);
    assert_eq!(draws[0].case_numbers, case_numbers);
    assert_eq!(draws[0].seed, 42);
    // A second draw is refused and records nothing; a re-draw needs a reason.
    let before = event_count(db).await;
    let err = run(
        store,
        &o.supervisor,
        "d-2",
        "2023-04-03 10:00",
        draw_cmd(7, None),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.sample_exists");
    assert_eq!(event_count(db).await, before);
    // Townships see their own sampled cases only, and never the draw itself.
    let mine = store.spot_checks(&o.xc_cw, None).await.unwrap();
    assert_eq!(
        mine.iter()
            .map(|i| i.case_number.clone())
            .collect::<Vec<_>>(),
        case_numbers
    );
    assert!(store.spot_checks(&o.gq_cw, None).await.unwrap().is_empty());
    assert!(
        store
            .spot_checks(&o.lw_supervisor, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .spot_check_draws(&o.xc_head, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .events_for(&o.xc_head, &format!("spot_check:{draw_id}"))
            .await,
        Err(StoreError::NotFound(_))
    ));
    // Check results: one correct, one with a problem; no double check; only sampled cases.
    let sampled_ids: Vec<i64> = mine.iter().map(|i| i.case_id).collect();
    let not_sampled = o
        .township_cases
        .iter()
        .find(|c| !sampled_ids.contains(&c.0))
        .expect("an unsampled case")
        .0;
    let check = |case_id, result| SupervisionCommand::RecordSpotCheck {
        draw_id,
        case_id,
        result,
        repeat_visit: None,
    };
    let err = run(
        store,
        &o.supervisor,
        "c-ns",
        "2023-04-10 09:00",
        check(not_sampled, SpotCheckResult::Correct),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.not_sampled");
    let err = run(
        store,
        &o.xc_head,
        "c-head",
        "2023-04-10 09:00",
        check(sampled_ids[0], SpotCheckResult::Correct),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.wrong_role");
    let err = run(
        store,
        &o.supervisor,
        "c-nofind",
        "2023-04-10 09:00",
        check(
            sampled_ids[1],
            SpotCheckResult::ProblemFound {
                findings: " ".into(),
                decision_wrong: false,
            },
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.text_required");
    run(
        store,
        &o.supervisor,
        "c-1",
        "2023-04-10 09:00",
        check(sampled_ids[0], SpotCheckResult::Correct),
    )
    .await
    .expect("check");
    store
        .execute(
            &ctx_at(&o.supervisor, "c-2", "2023-04-10 10:00"),
            Command::Supervision(SupervisionCommand::RecordSpotCheck {
                draw_id,
                case_id: sampled_ids[1],
                result: SpotCheckResult::ProblemFound {
                    findings: "未核实赡养人收入".into(),
                    decision_wrong: true,
                },
                repeat_visit: Some("2023-04-08 复核入户，与户主面谈".into()),
            }),
        )
        .await
        .expect("check with a problem");
    let err = run(
        store,
        &o.supervisor,
        "c-again",
        "2023-04-10 11:00",
        check(sampled_ids[0], SpotCheckResult::Correct),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.already_checked");
    let mine = store.spot_checks(&o.xc_cw, Some(draw_id)).await.unwrap();
    let checked: Vec<_> = mine.iter().filter_map(|i| i.check.as_ref()).collect();
    assert_eq!(checked.len(), 2);
    assert!(checked.iter().any(|c| c.repeat_visit.is_some()
        && matches!(
            &c.result,
            SpotCheckResult::ProblemFound {
                decision_wrong: true,
                ..
            }
        )));
    // 抽查意见书 to the sampled township (once), not to one without sampled cases.
    let feedback = |township: &str| SupervisionCommand::SendSpotCheckFeedback {
        draw_id,
        township: code(township),
        text: "抽查3件，发现问题1件，请于10个工作日内整改".into(),
    };
    let err = run(
        store,
        &o.supervisor,
        "f-gq",
        "2023-04-11 09:00",
        feedback(GONGQUAN),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.township_not_in_draw");
    run(
        store,
        &o.supervisor,
        "f-xc",
        "2023-04-11 09:00",
        feedback(XUNCHANG),
    )
    .await
    .expect("feedback");
    let err = run(
        store,
        &o.supervisor,
        "f-xc2",
        "2023-04-11 10:00",
        feedback(XUNCHANG),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.feedback_exists");
    assert_eq!(
        store.spot_check_feedback(&o.xc_head).await.unwrap().len(),
        1
    );
    assert!(
        store
            .spot_check_feedback(&o.gq_cw)
            .await
            .unwrap()
            .is_empty()
    );
    // A documented re-draw supersedes the first draw (both stay in the log).
    let err = run(
        store,
        &o.supervisor,
        "d-nothing",
        "2023-04-12 09:00",
        SupervisionCommand::DrawSample {
            county: code("511526"),
            period: "2023-02".parse().unwrap(),
            seed: 1,
            redraw_reason: Some("重抽".into()),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.no_draw_to_replace");
    let CommandOutcome::SampleDrawn {
        draw_id: second, ..
    } = run(
        store,
        &o.supervisor,
        "d-re",
        "2023-04-12 09:00",
        draw_cmd(7, Some("首次抽取时备案数据未同步完整，经局长批准重新抽取")),
    )
    .await
    .expect("re-draw")
    else {
        panic!("expected a draw")
    };
    let draws = store.spot_check_draws(&o.supervisor, None).await.unwrap();
    assert_eq!(draws.len(), 2);
    assert_eq!(draws[0].id, second);
    assert_eq!(draws[0].redraw_of, Some(draw_id));
    assert!(draws[0].redraw_reason.is_some() && !draws[0].superseded);
    assert!(draws[1].superseded);
    let err = run(
        store,
        &o.supervisor,
        "c-old",
        "2023-04-12 10:00",
        check(sampled_ids[2], SpotCheckResult::Correct),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.draw_superseded");
    let report = store.verify_chain().await.unwrap();
    assert!(report.first_break.is_none(), "{report:?}");
}

/// Draws and checks a sample and returns (draw id, the case checked with a wrong decision).
async fn draw_and_find_a_problem(db: &TestDb, o: &SupervisionOffice) -> (i64, i64) {
    let store = db.store.as_ref();
    let CommandOutcome::SampleDrawn { draw_id, .. } = run(
        store,
        &o.supervisor,
        "p-draw",
        "2023-04-03 09:00",
        draw_cmd(42, None),
    )
    .await
    .expect("draw") else {
        panic!("expected a draw")
    };
    let items = store
        .spot_checks(&o.supervisor, Some(draw_id))
        .await
        .unwrap();
    run(
        store,
        &o.supervisor,
        "p-ok",
        "2023-04-03 10:00",
        SupervisionCommand::RecordSpotCheck {
            draw_id,
            case_id: items[0].case_id,
            result: SpotCheckResult::Correct,
            repeat_visit: None,
        },
    )
    .await
    .expect("check");
    run(
        store,
        &o.supervisor,
        "p-problem",
        "2023-04-03 11:00",
        SupervisionCommand::RecordSpotCheck {
            draw_id,
            case_id: items[1].case_id,
            result: SpotCheckResult::ProblemFound {
                findings: "未核实家庭存款".into(),
                decision_wrong: true,
            },
            repeat_visit: None,
        },
    )
    .await
    .expect("check");
    (draw_id, items[1].case_id)
}

/// A rectification is closed only after the township's response; a rejection sends it
/// back; its deadline counts working days; overdue orders are listed.
pub async fn rectification_needs_a_response_and_overdue_orders_are_listed(db: &TestDb) {
    let o = supervision_fixture(db).await;
    let store = db.store.as_ref();
    let (draw_id, wrong_case) = draw_and_find_a_problem(db, &o).await;
    let items = store
        .spot_checks(&o.supervisor, Some(draw_id))
        .await
        .unwrap();
    let order = |finding| SupervisionCommand::OrderRectification {
        finding,
        requirement: "重新核算家庭收入，依法纠正认定结论".into(),
        working_days: 5,
    };
    // A correct check is no finding.
    let err = run(
        store,
        &o.supervisor,
        "r-correct",
        "2023-04-03 12:00",
        order(FindingRef::SpotCheck {
            draw_id,
            case_id: items[0].case_id,
        }),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.not_a_finding");
    let ordered = run(
        store,
        &o.supervisor,
        "r-1",
        "2023-04-03 14:00",
        order(FindingRef::SpotCheck {
            draw_id,
            case_id: wrong_case,
        }),
    )
    .await
    .expect("order");
    // 5 working days after Monday 2023-04-03, with 清明 on Wednesday 04-05: 4, 6, 7, 10, 11.
    let CommandOutcome::SupervisionRecorded { due_date, .. } = &ordered else {
        panic!("{ordered:?}")
    };
    assert_eq!(*due_date, Some(date("2023-04-11")));
    let rect = subject_id(&ordered);
    let listed = store
        .rectifications(&o.xc_head, &RectificationFilter::default())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].case_id, Some(wrong_case));
    assert!(
        listed[0].decision_wrong,
        "the finding says the decision was wrong"
    );
    assert_eq!(listed[0].status, RectificationStatus::Open);
    assert!(
        store
            .rectifications(&o.gq_cw, &RectificationFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    let conclude = |accept: bool| SupervisionCommand::ConcludeRectification {
        rectification_id: rect,
        accept,
        opinion: if accept {
            "整改到位，予以销号"
        } else {
            "整改不到位，退回"
        }
        .into(),
    };
    let respond = |text: &str| SupervisionCommand::RespondRectification {
        rectification_id: rect,
        response: text.into(),
    };
    // No closing (nor rejecting) before the township's response.
    let err = run(
        store,
        &o.supervisor,
        "r-close0",
        "2023-04-04 09:00",
        conclude(true),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.rectification_no_response");
    // Another township cannot see it; the county cannot answer for the township.
    let err = run(store, &o.gq_cw, "r-gq", "2023-04-04 09:00", respond("代答"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = run(
        store,
        &o.supervisor,
        "r-sup",
        "2023-04-04 09:00",
        respond("代答"),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.wrong_role");
    run(
        store,
        &o.xc_head,
        "r-resp1",
        "2023-04-06 09:00",
        respond("已重新入户核实"),
    )
    .await
    .expect("respond");
    let err = run(
        store,
        &o.xc_cw,
        "r-resp1b",
        "2023-04-06 10:00",
        respond("补充"),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.rectification_responded");
    run(
        store,
        &o.supervisor,
        "r-reject",
        "2023-04-07 09:00",
        conclude(false),
    )
    .await
    .expect("reject");
    let r = &store
        .rectifications(&o.supervisor, &RectificationFilter::default())
        .await
        .unwrap()[0];
    assert_eq!(r.status, RectificationStatus::Open);
    assert_eq!(r.rejections, 1);
    let err = run(
        store,
        &o.supervisor,
        "r-close1",
        "2023-04-07 10:00",
        conclude(true),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.rectification_no_response");
    run(
        store,
        &o.xc_head,
        "r-resp2",
        "2023-04-10 09:00",
        respond("已依法纠正并追回多发资金"),
    )
    .await
    .expect("respond again");
    run(
        store,
        &o.supervisor,
        "r-accept",
        "2023-04-10 15:00",
        conclude(true),
    )
    .await
    .expect("accept");
    let err = run(
        store,
        &o.xc_head,
        "r-resp3",
        "2023-04-11 09:00",
        respond("再报"),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.rectification_closed");
    let events = store
        .events_for(&o.xc_head, &format!("rectification:{rect}"))
        .await
        .unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "supervision.rectification_ordered",
            "supervision.rectification_responded",
            "supervision.rectification_rejected",
            "supervision.rectification_responded",
            "supervision.rectification_accepted",
        ]
    );
    // A second order from a filing review, never answered: overdue after its due date.
    let filing = store
        .filings(&o.supervisor, &FilingFilter::default())
        .await
        .unwrap()[5]
        .id;
    run(
        store,
        &o.supervisor,
        "r-review",
        "2023-04-03 09:00",
        SupervisionCommand::ReviewFiling {
            filing_id: filing,
            outcome: FilingOutcome::RectificationRequired,
            opinion: "缺少民主评议记录".into(),
        },
    )
    .await
    .expect("review");
    let second = subject_id(
        &run(
            store,
            &o.supervisor,
            "r-2",
            "2023-04-03 16:00",
            order(FindingRef::Filing { filing_id: filing }),
        )
        .await
        .expect("order"),
    );
    let overdue = |actor: &Actor, day: &str| {
        let filter = RectificationFilter {
            overdue_on: Some(date(day)),
            ..Default::default()
        };
        let actor = actor.clone();
        async move {
            store
                .rectifications(&actor, &filter)
                .await
                .unwrap()
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        }
    };
    assert!(
        overdue(&o.supervisor, "2023-04-11").await.is_empty(),
        "due that day"
    );
    assert_eq!(overdue(&o.supervisor, "2023-04-12").await, vec![second]);
    assert_eq!(overdue(&o.xc_head, "2023-04-20").await, vec![second]);
    assert!(overdue(&o.gq_cw, "2023-04-20").await.is_empty());
    // The dashboard row of 巡场镇.
    let summary = store
        .supervision_summary(&o.supervisor, None, march(), date("2023-04-20"))
        .await
        .unwrap();
    // Only 巡场镇 has decisions; other townships appear for their recipients' visits only.
    let with_filings: Vec<_> = summary.iter().filter(|t| t.filings_pending > 0).collect();
    assert_eq!(with_filings.len(), 1, "{summary:?}");
    let s = with_filings[0];
    assert_eq!(s.township, code(XUNCHANG));
    assert_eq!(s.filings_in_period, 6);
    assert_eq!(s.filings_pending, 5);
    assert_eq!((s.sampled, s.checked, s.problems), (3, 2, 1));
    assert_eq!(s.error_rate_percent(), 50.0);
    assert_eq!(s.coverage_percent(), 50.0);
    assert_eq!((s.rectifications_open, s.rectifications_overdue), (1, 1));
    assert!(
        store
            .supervision_summary(&o.lw_supervisor, None, march(), date("2023-04-20"))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Complaints by hotline, visit or letter go to the township or the county with the
/// profile's answer deadline; the log keeps digests only; statistics count the public form.
pub async fn complaints_are_routed_with_an_answer_deadline(db: &TestDb) {
    let o = supervision_fixture(db).await;
    let store = db.store.as_ref();
    // Complaint records carry contacts: a verifier of the county does not read them.
    let verifier = account(db, "gx.ver.c", Role::CountyVerifier, "511526").await;
    let refused = store.complaints(&verifier, false).await;
    assert!(
        matches!(refused, Err(StoreError::Forbidden(_))),
        "{refused:?}"
    );
    let content = "群众反映某户家中有车辆仍享受低保";
    let contact = "13800000000";
    let receive = |channel, to_county| SupervisionCommand::ReceiveComplaint {
        channel,
        division: code(XUNCHANG_VILLAGE),
        to_county,
        case_number: Some(o.township_cases[0].1.clone()),
        content: content.into(),
        contact: Some(contact.into()),
    };
    let err = run(
        store,
        &o.supervisor,
        "k-form",
        "2023-05-04 09:00",
        receive(ComplaintChannel::PublicForm, false),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.public_form_channel");
    let to_township = run(
        store,
        &o.supervisor,
        "k-1",
        "2023-05-04 09:00",
        receive(ComplaintChannel::Hotline, false),
    )
    .await
    .expect("hotline");
    // 珙县's answer period is the national 15 working days (`supervision.report_answer`).
    let expected_due = jiuzhu_domain::calendar::Calendar::builtin()
        .add_working_days(date("2023-05-04"), 15)
        .unwrap();
    let CommandOutcome::SupervisionRecorded { due_date, .. } = &to_township else {
        panic!("{to_township:?}")
    };
    assert_eq!(*due_date, Some(expected_due));
    // May 5, 6 (调休 Saturday), 8–12, 15–19, 22–24.
    assert_eq!(expected_due, date("2023-05-24"));
    let to_county = run(
        store,
        &o.xc_cw,
        "k-2",
        "2023-05-04 10:00",
        receive(ComplaintChannel::WalkIn, true),
    )
    .await
    .expect("walk-in about the township's staff, to the county");
    let (k1, k2) = (subject_id(&to_township), subject_id(&to_county));
    // The township handles the first and does not see the second.
    let theirs = store.complaints(&o.xc_head, false).await.unwrap();
    assert_eq!(theirs.iter().map(|c| c.id).collect::<Vec<_>>(), vec![k1]);
    assert_eq!(theirs[0].handler, code(XUNCHANG));
    assert_eq!(theirs[0].channel, ComplaintChannel::Hotline);
    let county = store.complaints(&o.supervisor, true).await.unwrap();
    assert_eq!(county.len(), 2);
    assert_eq!(
        county.iter().find(|c| c.id == k2).unwrap().handler,
        code("511526")
    );
    assert!(store.complaints(&o.gq_cw, false).await.unwrap().is_empty());
    assert!(
        store
            .complaints(&o.lw_supervisor, false)
            .await
            .unwrap()
            .is_empty()
    );
    let answer = |id, outcome| SupervisionCommand::AnswerComplaint {
        complaint_id: id,
        outcome,
        reply: "经核查，情况属实，已停发".into(),
    };
    let err = run(
        store,
        &o.xc_head,
        "a-2",
        "2023-05-05 09:00",
        answer(k2, ComplaintOutcome::Unfounded),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    run(
        store,
        &o.xc_head,
        "a-1",
        "2023-05-05 09:00",
        answer(k1, ComplaintOutcome::Substantiated),
    )
    .await
    .expect("answer");
    let err = run(
        store,
        &o.supervisor,
        "a-1b",
        "2023-05-05 10:00",
        answer(k1, ComplaintOutcome::Unfounded),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.already_answered");
    // The log keeps the content's digest, never the text or the contact.
    for id in [k1, k2] {
        for e in store
            .events_for(&o.supervisor, &format!("complaint:{id}"))
            .await
            .unwrap()
        {
            let text = e.payload.to_string();
            assert!(!text.contains(content) && !text.contains(contact), "{text}");
        }
    }
    // A report from the public form counts under its own channel.
    store
        .execute(
            &ctx_at(&system(), "k-public", "2023-05-06 09:00"),
            Command::SubmitPublicReport(NewPublicReport {
                division: code(XUNCHANG_VILLAGE),
                kind: ReportKind::Report,
                case_number: None,
                content: "举报内容".into(),
                contact: None,
            }),
        )
        .await
        .expect("public report");
    let stats = store.complaint_stats(&o.supervisor).await.unwrap();
    let count = |channel, township: &str, answered| {
        stats
            .iter()
            .find(|s| {
                s.channel == channel && s.township == code(township) && s.answered == answered
            })
            .map_or(0, |s| s.count)
    };
    assert_eq!(count(ComplaintChannel::Hotline, XUNCHANG, true), 1);
    assert_eq!(count(ComplaintChannel::WalkIn, XUNCHANG, false), 1);
    assert_eq!(count(ComplaintChannel::PublicForm, XUNCHANG, false), 1);
    assert_eq!(stats.len(), 3, "{stats:?}");
    let township_stats = store.complaint_stats(&o.xc_head).await.unwrap();
    assert!(
        township_stats
            .iter()
            .all(|s| s.channel != ComplaintChannel::WalkIn),
        "the county's own complaints stay out of the township's figures"
    );
    let summary = store
        .supervision_summary(&o.supervisor, None, march(), date("2023-05-06"))
        .await
        .unwrap();
    let xc = summary
        .iter()
        .find(|t| t.township == code(XUNCHANG))
        .expect("巡场镇's row");
    assert_eq!(xc.complaints_open, 2, "{summary:?}");
}

/// Dishonesty records exist only where the profile enables them, rest on a finding about
/// the same case and are seen by county administrators and supervisors only.
pub async fn dishonesty_records_need_the_profile_and_stay_with_county_staff(db: &TestDb) {
    let o = supervision_fixture(db).await;
    let (draw_id, wrong_case) = draw_and_find_a_problem(db, &o).await;
    let record = |case_id, finding| SupervisionCommand::RecordDishonesty {
        case_id,
        finding,
        legal_basis: "《社会救助暂行办法》第六十八条".into(),
        facts: "隐瞒家庭存款5万元".into(),
        amount_to_recover: Fen::from_yuan(3600).unwrap(),
    };
    let finding = FindingRef::SpotCheck {
        draw_id,
        case_id: wrong_case,
    };
    // 珙县's plan has no dishonesty records.
    let err = run(
        db.store.as_ref(),
        &o.supervisor,
        "x-off",
        "2023-04-20 09:00",
        record(wrong_case, finding.clone()),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.dishonesty_disabled");
    // Installed rules that enable them for 珙县.
    let mut sources: Vec<(String, String)> = jiuzhu_domain::profile::BUILTIN
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    let gongxian = sources
        .iter_mut()
        .find(|(n, _)| n.ends_with("511526-gongxian.toml"))
        .expect("built-in 珙县 profile");
    assert!(!gongxian.1.contains("dishonesty_record"));
    gongxian.1 = gongxian.1.replacen(
        "[supervision]\n",
        "[supervision]\ndishonesty_record = true\n",
        1,
    );
    assert!(gongxian.1.contains("dishonesty_record = true"));
    let borrowed: Vec<(&str, &str)> = sources
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let profiles = jiuzhu_domain::profile::ProfileSet::from_sources(&borrowed).expect("loads");
    let store: Arc<dyn Store> = db
        .reopened_with_rules(jiuzhu_store::Rules::new(
            profiles,
            jiuzhu_domain::calendar::Calendar::builtin(),
        ))
        .await;
    let store = store.as_ref();
    let other_case = o
        .township_cases
        .iter()
        .find(|c| c.0 != wrong_case)
        .unwrap()
        .0;
    let err = run(
        store,
        &o.supervisor,
        "x-other",
        "2023-04-20 09:00",
        record(other_case, finding.clone()),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.finding_of_another_case");
    let err = run(
        store,
        &o.xc_head,
        "x-head",
        "2023-04-20 09:00",
        record(wrong_case, finding.clone()),
    )
    .await
    .unwrap_err();
    assert_eq!(sup_code(&err), "supervision.wrong_role");
    let done = run(
        store,
        &o.supervisor,
        "x-1",
        "2023-04-20 09:00",
        record(wrong_case, finding.clone()),
    )
    .await
    .expect("record");
    let id = subject_id(&done);
    for county_staff in [&o.supervisor, &o.admin] {
        let records = store.dishonesty_records(county_staff).await.unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].case_id, wrong_case);
        assert_eq!(records[0].finding, finding);
        assert_eq!(records[0].amount_to_recover, Fen::from_yuan(3600).unwrap());
    }
    for township in [&o.xc_head, &o.xc_cw] {
        assert!(matches!(
            store.dishonesty_records(township).await,
            Err(StoreError::Forbidden(_))
        ));
        assert!(matches!(
            store
                .events_for(township, &format!("dishonesty:{id}"))
                .await,
            Err(StoreError::NotFound(_))
        ));
    }
    assert!(
        store
            .dishonesty_records(&o.lw_supervisor)
            .await
            .unwrap()
            .is_empty()
    );
    let events = store
        .events_for(&o.supervisor, &format!("dishonesty:{id}"))
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].payload["amount_fen"], 360_000);
    assert!(!events[0].payload.to_string().contains("隐瞒家庭存款"));
}
