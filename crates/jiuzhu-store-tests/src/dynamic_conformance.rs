//! Conformance of dynamic management (动态管理): monthly visits with zero reports, the list
//! of households not yet visited, re-check schedules, and re-checks whose new amount reaches
//! the next roster (减发, 渐退, 停发). A child module of `conformance`.

use jiuzhu_domain::dynamic::ChangeKind;
use jiuzhu_domain::{Fen, Program, Role, case};
use jiuzhu_store::dynamic::{DueReason, DynamicCommand, RecheckFilter, RecheckOutcome, codes};
use jiuzhu_store::payroll::{EntitlementFilter, Month};
use jiuzhu_store::{Actor, Command, CommandOutcome, PageRequest, StoreError};

use super::payroll::approve_dibao;
use super::{XUNCHANG, XUNCHANG_VILLAGE, account, case_office, code, ctx, date};
use crate::TestDb;

fn month(s: &str) -> Month {
    s.parse().expect("test month")
}

fn refusal(e: &StoreError) -> &'static str {
    match e {
        StoreError::Case { code, .. } => code,
        other => panic!("expected a refusal with a code, got {other:?}"),
    }
}

async fn run(
    db: &TestDb,
    actor: &Actor,
    key: &str,
    c: DynamicCommand,
) -> Result<CommandOutcome, StoreError> {
    db.store
        .execute(&ctx(actor, key), Command::Dynamic(c))
        .await
        .map(|d| d.outcome)
}

fn visit(household_id: i64, m: &str, on: &str, changes: &[ChangeKind]) -> DynamicCommand {
    DynamicCommand::RecordVisit {
        household_id,
        month: month(m),
        visited_on: date(on),
        zero_report: changes.is_empty(),
        changes: changes.to_vec(),
        note: String::new(),
    }
}

/// The head of household lives alone with `income_yuan` a month (the approval found 300).
fn recheck(household_id: i64, on: &str, income_yuan: i64, eligible: bool) -> DynamicCommand {
    DynamicCommand::RecordRecheck {
        household_id,
        program: Program::Dibao,
        checked_on: date(on),
        stable: false,
        members: vec![case::MemberFacts {
            member_seq: 1,
            relation: jiuzhu_domain::Relation::Head,
            lives_together: true,
            able_to_work: false,
            monthly_income: Fen::from_yuan(income_yuan).unwrap(),
            note: String::new(),
        }],
        eligible,
        findings: "入户复核家庭收入".into(),
    }
}

pub(super) async fn entitlement(
    db: &TestDb,
    actor: &Actor,
    household_id: i64,
) -> jiuzhu_store::payroll::Entitlement {
    db.store
        .entitlements(
            actor,
            &EntitlementFilter {
                household_id: Some(household_id),
                ..Default::default()
            },
            PageRequest::default(),
        )
        .await
        .unwrap()
        .items
        .remove(0)
}

/// Visits: once per household and month, a zero report or named changes, only recipients,
/// only in the visitor's jurisdiction; the list shows who is still to be visited; a reported
/// change puts the household on the re-check list at once.
pub async fn dynamic_monthly_visits_and_the_missing_list(db: &TestDb) {
    let o = case_office(db).await;
    let va = account(db, "xc.va", Role::VillageAssistant, XUNCHANG_VILLAGE).await;
    let verifier_visit = run(
        db,
        &o.verifier,
        "v-ver",
        visit(o.household, "2023-04", "2023-04-10", &[]),
    )
    .await;
    // Nothing to visit before an approval.
    let err = run(
        db,
        &va,
        "v-0",
        visit(o.household, "2023-04", "2023-04-10", &[]),
    )
    .await
    .unwrap_err();
    assert_eq!(refusal(&err), codes::NOT_RECIPIENT);
    approve_dibao(db, &o, o.household, "d1", "2023-03-01").await;
    let village = code(XUNCHANG_VILLAGE);
    let list = db
        .store
        .visit_list(&va, &village, month("2023-04"))
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].household_id, list[0].programs.clone()),
        (o.household, vec![Program::Dibao])
    );
    assert!(list[0].visit.is_none(), "not visited yet");
    assert_eq!(list[0].head_name, "张某华");
    // A county verifier does not record visits.
    assert_eq!(refusal(&verifier_visit.unwrap_err()), codes::WRONG_ROLE);
    // Zero report and changes together, or neither, are refused; so is a day outside the month.
    let both = DynamicCommand::RecordVisit {
        household_id: o.household,
        month: month("2023-04"),
        visited_on: date("2023-04-10"),
        zero_report: true,
        changes: vec![ChangeKind::Death],
        note: String::new(),
    };
    assert_eq!(
        refusal(&run(db, &va, "v-both", both).await.unwrap_err()),
        codes::VISIT_OUTCOME
    );
    let outside = run(
        db,
        &va,
        "v-out",
        visit(o.household, "2023-04", "2023-05-02", &[]),
    )
    .await;
    assert_eq!(refusal(&outside.unwrap_err()), "dynamic.visit_date");
    // Before the start month the household is not a recipient yet.
    let early = run(
        db,
        &va,
        "v-early",
        visit(o.household, "2023-02", "2023-02-10", &[]),
    )
    .await;
    assert_eq!(refusal(&early.unwrap_err()), codes::NOT_RECIPIENT);
    // Another township's caseworker does not find the household.
    let err = run(
        db,
        &o.other_cw,
        "v-other",
        visit(o.household, "2023-04", "2023-04-10", &[]),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    // The county's dashboard counts the households not yet visited, per township.
    let sup = account(db, "gx.sup", Role::CountySupervisor, "511526").await;
    let missing = |db: &TestDb, sup: Actor, m: &'static str| {
        let store = db.store.clone();
        async move {
            let period: jiuzhu_domain::supervision::Month = m.parse().unwrap();
            store
                .supervision_summary(&sup, None, period, date("2023-12-31"))
                .await
                .unwrap()
                .into_iter()
                .find(|t| t.township.as_str() == XUNCHANG)
                .map(|t| (t.visits_due, t.visits_missing))
        }
    };
    assert_eq!(missing(db, sup.clone(), "2023-03").await, Some((1, 1)));
    // March: a zero report.
    let done = run(
        db,
        &va,
        "v-mar",
        visit(o.household, "2023-03", "2023-03-28", &[]),
    )
    .await
    .unwrap();
    assert!(
        matches!(done, CommandOutcome::VisitRecorded { household_id, .. } if household_id == o.household)
    );
    // The same request again is a replay, not a second visit.
    let again = db
        .store
        .execute(
            &ctx(&va, "v-mar"),
            Command::Dynamic(visit(o.household, "2023-03", "2023-03-28", &[])),
        )
        .await
        .unwrap();
    assert!(again.replayed);
    let twice = run(
        db,
        &va,
        "v-mar-2",
        visit(o.household, "2023-03", "2023-03-30", &[]),
    )
    .await;
    assert_eq!(refusal(&twice.unwrap_err()), codes::VISIT_RECORDED);
    assert_eq!(missing(db, sup.clone(), "2023-03").await, Some((1, 0)));
    assert_eq!(missing(db, sup.clone(), "2023-04").await, Some((1, 1)));
    // Nothing due before a change is reported: the first scheduled re-check is 6 months
    // after the start (低保, not stable).
    let due = db.store.rechecks_due(&o.cw, &code(XUNCHANG)).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].reason, due[0].due),
        (DueReason::Scheduled, date("2023-09-01"))
    );
    // April: income changed.
    run(
        db,
        &va,
        "v-apr",
        visit(o.household, "2023-04", "2023-04-10", &[ChangeKind::Income]),
    )
    .await
    .unwrap();
    let list = db
        .store
        .visit_list(&o.cw, &code(XUNCHANG), month("2023-04"))
        .await
        .unwrap();
    let v = list[0].visit.as_ref().expect("visited");
    assert_eq!(
        (v.zero_report, v.changes.clone()),
        (false, vec![ChangeKind::Income])
    );
    let may = db
        .store
        .visit_list(&o.cw, &code(XUNCHANG), month("2023-05"))
        .await
        .unwrap();
    assert!(may[0].visit.is_none(), "May is still to visit");
    let due = db.store.rechecks_due(&o.cw, &code(XUNCHANG)).await.unwrap();
    assert_eq!(
        (due[0].reason, due[0].due, due[0].changes.clone()),
        (
            DueReason::ChangeReported,
            date("2023-04-10"),
            vec![ChangeKind::Income]
        )
    );
    // The other township sees none of it.
    assert!(
        db.store
            .rechecks_due(&o.other_cw, &code("511526"))
            .await
            .unwrap()
            .is_empty()
    );
    // The visit is on the household's timeline.
    let events = db
        .store
        .events_for(&o.cw, &format!("household:{}", o.household))
        .await
        .unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == "dynamic.visited")
            .count(),
        2
    );
}

/// A re-check computes the amount again: higher income reduces it from the next month (the
/// next roster pays less), income above the standard exits after the gradual-exit period,
/// a household no longer eligible is stopped; each with the entitlement change in the same
/// transaction and the next due date.
pub async fn dynamic_rechecks_change_the_next_roster(db: &TestDb) {
    let o = case_office(db).await;
    approve_dibao(db, &o, o.household, "r1", "2023-03-01").await;
    let before = entitlement(db, &o.cw, o.household).await;
    assert_eq!(before.monthly, Fen::from_yuan(300).unwrap());
    // The reviewer does not change entitlements.
    let err = run(
        db,
        &o.reviewer,
        "rc-rev",
        recheck(o.household, "2023-04-12", 400, true),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
    // Without the home visit's facts the top-up cannot be computed.
    let mut bare = recheck(o.household, "2023-04-12", 400, true);
    if let DynamicCommand::RecordRecheck { members, .. } = &mut bare {
        members.clear();
    }
    assert_eq!(
        refusal(&run(db, &o.cw, "rc-bare", bare).await.unwrap_err()),
        codes::RECHECK_AMOUNT
    );
    // Not before the approval.
    let early = run(
        db,
        &o.cw,
        "rc-early",
        recheck(o.household, "2023-03-01", 400, true),
    )
    .await;
    assert_eq!(refusal(&early.unwrap_err()), codes::RECHECK_DATE);

    // Income up by 100: 600 − 400 = 200 from May.
    let done = run(
        db,
        &o.cw,
        "rc-1",
        recheck(o.household, "2023-04-12", 400, true),
    )
    .await
    .unwrap();
    let CommandOutcome::RecheckRecorded {
        recheck_id,
        result: outcome,
        monthly,
        effective,
    } = done
    else {
        panic!("{done:?}")
    };
    assert_eq!(
        (outcome, monthly, effective),
        (
            RecheckOutcome::Reduce,
            Fen::from_yuan(200).unwrap(),
            Some(month("2023-05"))
        )
    );
    let e = entitlement(db, &o.cw, o.household).await;
    assert_eq!(e.amount_for(month("2023-04")), Fen::from_yuan(300).unwrap());
    assert_eq!(e.amount_for(month("2023-05")), Fen::from_yuan(200).unwrap());
    // The May roster pays March and April at 300 and May at 200.
    let fin = account(db, "gx.fin", Role::FinanceOfficer, "511526").await;
    let generated = db
        .store
        .execute(
            &ctx(&fin, "gen-may"),
            Command::GenerateRosters {
                county: code("511526"),
                month: month("2023-05"),
            },
        )
        .await
        .unwrap()
        .outcome;
    let CommandOutcome::RostersGenerated { total, .. } = generated else {
        panic!("{generated:?}")
    };
    assert_eq!(total, Fen::from_yuan(800).unwrap());
    let r = db
        .store
        .rechecks(&o.cw, &RecheckFilter::default())
        .await
        .unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].id, recheck_id);
    assert_eq!(
        (r[0].previous, r[0].amount),
        (Fen::from_yuan(300).unwrap(), Fen::from_yuan(200).unwrap())
    );
    assert_eq!(
        r[0].next_due,
        date("2023-10-12"),
        "6 months for a household not stable"
    );
    let calc = r[0]
        .calculation
        .as_ref()
        .expect("the working of the new amount");
    assert_eq!(calc.amount, Fen::from_yuan(200).unwrap());
    let due = db.store.rechecks_due(&o.cw, &code(XUNCHANG)).await.unwrap();
    assert_eq!(
        (due[0].reason, due[0].due),
        (DueReason::Scheduled, date("2023-10-12"))
    );
    // The log holds the re-check and the entitlement change; another township sees neither.
    let events = db
        .store
        .events_for(&o.cw, &format!("recheck:{recheck_id}"))
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "dynamic.rechecked");
    assert!(
        !events[0].payload.to_string().contains("入户复核"),
        "findings only as a digest"
    );
    let hidden = db
        .store
        .events_for(&o.other_cw, &format!("recheck:{recheck_id}"))
        .await;
    assert!(matches!(hidden, Err(StoreError::NotFound(_))), "{hidden:?}");
    assert!(
        db.store
            .rechecks(&o.other_cw, &RecheckFilter::default())
            .await
            .unwrap()
            .is_empty()
    );

    // The same income again: nothing changes.
    let same = run(
        db,
        &o.cw,
        "rc-2",
        recheck(o.household, "2023-05-20", 400, true),
    )
    .await
    .unwrap();
    assert!(
        matches!(
            same,
            CommandOutcome::RecheckRecorded {
                result: RecheckOutcome::Unchanged,
                effective: None,
                ..
            }
        ),
        "{same:?}"
    );

    // Income above the standard: 6 months of 渐退 (national 低保 rule), then stopped.
    let exit = run(
        db,
        &o.cw,
        "rc-3",
        recheck(o.household, "2023-06-05", 700, true),
    )
    .await
    .unwrap();
    let CommandOutcome::RecheckRecorded {
        result: outcome,
        monthly,
        effective,
        ..
    } = exit
    else {
        panic!("{exit:?}")
    };
    assert_eq!(
        (outcome, monthly, effective),
        (
            RecheckOutcome::GradualExit,
            Fen::from_yuan(200).unwrap(),
            Some(month("2023-07"))
        )
    );
    let e = entitlement(db, &o.cw, o.household).await;
    assert_eq!(e.amount_for(month("2023-12")), Fen::from_yuan(200).unwrap());
    assert_eq!(e.amount_for(month("2024-01")), Fen::ZERO);
    let latest = &db
        .store
        .rechecks(&o.cw, &RecheckFilter::default())
        .await
        .unwrap()[0];
    assert_eq!(latest.stop_from, Some(month("2024-01")));
    // Still a recipient to visit during the exit period, not after it.
    let dec = db
        .store
        .visit_list(&o.cw, &code(XUNCHANG), month("2023-12"))
        .await
        .unwrap();
    assert_eq!(dec.len(), 1);
    let jan = db
        .store
        .visit_list(&o.cw, &code(XUNCHANG), month("2024-01"))
        .await
        .unwrap();
    assert!(jan.is_empty(), "{jan:?}");
}

/// A household that no longer meets the conditions is stopped from the month after the
/// re-check; a stopped entitlement is not re-checked again.
pub async fn dynamic_recheck_stops_a_household_no_longer_eligible(db: &TestDb) {
    let o = case_office(db).await;
    approve_dibao(db, &o, o.household, "s1", "2023-03-01").await;
    let done = run(
        db,
        &o.cw,
        "st-1",
        recheck(o.household, "2023-08-03", 300, false),
    )
    .await
    .unwrap();
    assert!(
        matches!(done, CommandOutcome::RecheckRecorded { result: RecheckOutcome::Stop, monthly, effective: Some(m), .. } if monthly == Fen::ZERO && m == month("2023-09")),
        "{done:?}"
    );
    let e = entitlement(db, &o.cw, o.household).await;
    assert_eq!(e.amount_for(month("2023-08")), Fen::from_yuan(300).unwrap());
    assert_eq!(e.amount_for(month("2023-09")), Fen::ZERO);
    let again = run(
        db,
        &o.cw,
        "st-2",
        recheck(o.household, "2023-08-04", 300, true),
    )
    .await;
    assert_eq!(refusal(&again.unwrap_err()), codes::NOT_RECIPIENT);
    assert!(
        db.store
            .rechecks_due(&o.cw, &code(XUNCHANG))
            .await
            .unwrap()
            .is_empty()
    );
}
