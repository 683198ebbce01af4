//! Conformance of corrections (纠正, issue 8 part 3): a spot check finds a township's approval
//! wrong; the township head corrects it through the case engine; the entitlement changes from
//! the first unsettled month, the months already settled give the overpayment to recover
//! (追回), and repayments never exceed it. A child module of `conformance`.

use jiuzhu_domain::benefit::AmountBasis;
use jiuzhu_domain::{Fen, Role, case};
use jiuzhu_store::payroll::{Month, codes};
use jiuzhu_store::{
    Command, CommandOutcome, FindingRef, SpotCheckResult, StoreError, SupervisionCommand,
};

use super::dynamic::entitlement;
use super::payroll::{approve_dibao, run};
use super::{XUNCHANG, account, case_cmd, case_office, code, ctx, date, run_case};
use crate::TestDb;

/// A valid 16-digit card number (Luhn).
const CARD: &str = "6222021234567894";

fn month(s: &str) -> Month {
    s.parse().expect("test month")
}

fn yuan(y: i64) -> Fen {
    Fen::from_yuan(y).expect("fen")
}

/// The correction the township head makes: the head of household earns 400, not 300.
fn correction(finding: FindingRef, from: &str, income: i64) -> case::CommandBody {
    case::CommandBody::Correct {
        finding,
        correction: case::CorrectionRequest::Amount {
            basis: AmountBasis::TopUp {
                standard: "rural".into(),
                add_ons: Vec::new(),
            },
            members: vec![case::MemberFacts {
                member_seq: 1,
                relation: jiuzhu_domain::Relation::Head,
                lives_together: true,
                able_to_work: false,
                monthly_income: yuan(income),
                note: "抽查核实务工收入".into(),
            }],
            expected_amount: None,
        },
        effective_month: date(from),
        reason: "抽查发现户主有务工收入未申报".into(),
    }
}

pub async fn corrections_change_the_entitlement_and_count_the_overpayment(db: &TestDb) {
    let o = case_office(db).await;
    let case_id = approve_dibao(db, &o, o.household, "c1", "2023-03-01").await;
    let admin = account(db, "gx.fin", Role::FinanceOfficer, "511526").await;
    let supervisor = account(db, "gx.sup", Role::CountySupervisor, "511526").await;
    let county = code("511526");
    // March to May paid in May's roster (900 = 3 × 300), settled and submitted.
    run(
        db,
        &o.cw,
        "acc",
        Command::SetBankAccount {
            household_id: o.household,
            account: CARD.into(),
            holder: "张某华".into(),
        },
    )
    .await
    .expect("account");
    let may = month("2023-05");
    run(
        db,
        &admin,
        "gen-may",
        Command::GenerateRosters {
            county: county.clone(),
            month: may,
        },
    )
    .await
    .expect("generate");
    run(
        db,
        &o.cw,
        "set-may",
        Command::SettleRosters {
            township: code(XUNCHANG),
            month: may,
        },
    )
    .await
    .expect("settle");
    run(
        db,
        &admin,
        "sub-may",
        Command::SubmitRosters {
            county: county.clone(),
            month: may,
        },
    )
    .await
    .expect("submit");

    // The county draws March's sample (the one decision) and finds the decision wrong.
    let drawn = run(
        db,
        &supervisor,
        "draw",
        Command::Supervision(SupervisionCommand::DrawSample {
            county: county.clone(),
            period: "2023-03".parse().expect("period"),
            seed: 7,
            redraw_reason: None,
        }),
    )
    .await
    .expect("draw");
    let CommandOutcome::SampleDrawn { draw_id, .. } = drawn else {
        panic!("{drawn:?}")
    };
    let finding = FindingRef::SpotCheck { draw_id, case_id };
    let cmd = |key: &str, body: case::CommandBody| {
        (
            key.to_string(),
            case_cmd(Some(case_id), "2023-06-05 09:00", body),
        )
    };

    // Before the check found anything, the sampled case is no finding to rest on.
    let (k, c) = cmd("cor-0", correction(finding.clone(), "2023-04-01", 400));
    let err = run_case(db, &o.head, &k, c).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Supervision { code, .. } if *code == "supervision.not_a_finding"),
        "{err:?}"
    );
    run(
        db,
        &supervisor,
        "check",
        Command::Supervision(SupervisionCommand::RecordSpotCheck {
            draw_id,
            case_id,
            result: SpotCheckResult::ProblemFound {
                findings: "户主在外务工，收入未如实申报".into(),
                decision_wrong: true,
            },
            repeat_visit: Some("2023-06-02 复核入户".into()),
        }),
    )
    .await
    .expect("check");

    // A caseworker does not correct decisions; the head of another township cannot see it.
    let (k, c) = cmd("cor-cw", correction(finding.clone(), "2023-04-01", 400));
    let err = run_case(db, &o.cw, &k, c).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Case { code, .. } if *code == "case.wrong_role"),
        "{err:?}"
    );
    let other_head = account(db, "gq.head", Role::TownshipHead, super::GONGQUAN).await;
    let (k, c) = cmd("cor-other", correction(finding.clone(), "2023-04-01", 400));
    let err = run_case(db, &other_head, &k, c).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    // A finding that does not exist.
    let (k, c) = cmd(
        "cor-none",
        correction(
            FindingRef::Complaint { complaint_id: 99 },
            "2023-04-01",
            400,
        ),
    );
    let err = run_case(db, &o.head, &k, c).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let nothing = db
        .store
        .corrections(&o.cw, None)
        .await
        .expect("corrections");
    assert!(nothing.is_empty(), "refused corrections leave nothing");

    // Right from April: 600 − 400 = 200 a month. April and May were paid 300: 200 too much.
    let (k, c) = cmd("cor-1", correction(finding.clone(), "2023-04-01", 400));
    let done = run_case(db, &o.head, &k, c).await.expect("corrected");
    assert_eq!(done.4, vec!["case.corrected".to_string()]);
    let state = db.store.case(&o.cw, case_id).await.unwrap();
    assert_eq!(state.current_amount(), Some(yuan(200)));
    let list = db.store.corrections(&o.cw, None).await.unwrap();
    assert_eq!(list.len(), 1);
    let c = &list[0];
    assert_eq!(
        (
            c.previous,
            c.corrected,
            c.stopped,
            c.effective,
            c.applies_from
        ),
        (
            yuan(300),
            yuan(200),
            false,
            month("2023-04"),
            Some(month("2023-06"))
        )
    );
    assert_eq!(
        (c.overpaid, c.underpaid, c.outstanding()),
        (yuan(200), Fen::ZERO, yuan(200))
    );
    assert_eq!(c.finding, finding);
    let e = entitlement(db, &o.cw, o.household).await;
    assert_eq!(e.amount_for(month("2023-05")), yuan(300), "settled as paid");
    assert_eq!(e.amount_for(month("2023-06")), yuan(200));
    // June's roster pays the corrected amount.
    let june = run(
        db,
        &admin,
        "gen-june",
        Command::GenerateRosters {
            county: county.clone(),
            month: month("2023-06"),
        },
    )
    .await
    .unwrap();
    assert!(
        matches!(june, CommandOutcome::RostersGenerated { lines: 1, total, .. } if total == yuan(200)),
        "{june:?}"
    );

    // Repayments: never more than is owed, only by staff who see the case.
    let repay = |key: &str, amount: Fen| {
        (
            key.to_string(),
            Command::Supervision(SupervisionCommand::RecordRepayment {
                correction_id: c.id,
                amount,
                note: "现金退回，收据 No.0012".into(),
            }),
        )
    };
    let (k, r) = repay("rep-other", yuan(50));
    assert!(matches!(
        run(db, &o.other_cw, &k, r).await.unwrap_err(),
        StoreError::NotFound(_)
    ));
    let (k, r) = repay("rep-0", Fen::ZERO);
    let err = run(db, &o.cw, &k, r).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Supervision { code, .. } if *code == "supervision.invalid_amount"),
        "{err:?}"
    );
    let (k, r) = repay("rep-1", yuan(150));
    run(db, &o.cw, &k, r).await.expect("repaid");
    let (k, r) = repay("rep-2", yuan(51));
    let err = run(db, &o.cw, &k, r).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Supervision { code, .. } if *code == "supervision.repayment_exceeds"),
        "{err:?}"
    );
    let (k, r) = repay("rep-3", yuan(50));
    run(db, &o.cw, &k, r).await.expect("the rest");
    let after = &db.store.corrections(&o.cw, None).await.unwrap()[0];
    assert_eq!((after.repaid, after.outstanding()), (yuan(200), Fen::ZERO));

    // The log: the case's event, the entitlement's change, the correction and repayments;
    // the reason and the note only as digests outside the case's own record.
    let events = db
        .store
        .events_for(&o.cw, &format!("correction:{}", c.id))
        .await
        .unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "correction.recorded",
            "correction.repaid",
            "correction.repaid"
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| !e.payload.to_string().contains("收据"))
    );
    assert!(matches!(
        db.store
            .events_for(&o.other_cw, &format!("correction:{}", c.id))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        db.store
            .corrections(&o.other_cw, None)
            .await
            .unwrap()
            .is_empty()
    );
    let village = account(
        db,
        "xc.village",
        Role::VillageAssistant,
        super::XUNCHANG_VILLAGE,
    )
    .await;
    assert!(matches!(
        db.store.corrections(&village, None).await,
        Err(StoreError::Forbidden(_))
    ));

    // The county stops the payment from July: June is not settled yet, so nothing more to
    // recover; July on pays nothing.
    let (k, c2) = cmd(
        "cor-stop",
        case::CommandBody::Correct {
            finding: finding.clone(),
            correction: case::CorrectionRequest::Stop,
            effective_month: date("2023-07-01"),
            reason: "复查认定不符合低保条件".into(),
        },
    );
    let gx_admin = account(db, "gx.admin2", Role::CountyAdmin, "511526").await;
    run_case(db, &gx_admin, &k, c2).await.expect("stopped");
    let list = db.store.corrections(&gx_admin, None).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[0].stopped, list[0].overpaid, list[0].applies_from),
        (true, Fen::ZERO, Some(month("2023-07")))
    );
    let e = entitlement(db, &o.cw, o.household).await;
    assert_eq!(
        (
            e.amount_for(month("2023-06")),
            e.amount_for(month("2023-07"))
        ),
        (yuan(200), Fen::ZERO)
    );
    // A stopped entitlement is not changed by the engine's next refusal either.
    let err = db
        .store
        .execute(
            &ctx(&o.cw, "chg-after-stop"),
            Command::ChangeEntitlement {
                household_id: o.household,
                program: jiuzhu_domain::Program::Dibao,
                change: jiuzhu_store::payroll::EntitlementChange::Resume,
                effective: month("2023-08"),
                reason: "恢复".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Case { code, .. } if *code == codes::ENTITLEMENT_STOPPED),
        "{err:?}"
    );
    // The entitlement's own trail: granted, corrected, stopped; seen with the household.
    let subject = format!("entitlement:{}:dibao", o.household);
    let trail: Vec<String> = db
        .store
        .events_for(&o.cw, &subject)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        trail,
        [
            "entitlement.granted",
            "entitlement.corrected",
            "entitlement.corrected"
        ]
    );
    assert!(matches!(
        db.store.events_for(&o.other_cw, &subject).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        db.store
            .events_for(&o.cw, &format!("entitlement:{}:nonsense", o.household))
            .await,
        Err(StoreError::Invalid(_))
    ));
    let verified = db.store.verify_chain().await.unwrap();
    assert!(verified.first_break.is_none(), "{verified:?}");
}
