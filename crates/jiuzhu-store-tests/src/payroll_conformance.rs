//! Conformance of the funds core (资金发放): entitlements from approvals, rosters, payment
//! files, bank returns, reconciliation and reserve funds. A child module of `conformance`
//! (its helpers are used as `super::…`); re-exported from there.

use jiuzhu_domain::{Fen, Program, Role, case};
use jiuzhu_store::payroll::{
    self as pr, DiffKind, EntitlementChange, EntitlementFilter, Month, NewReserveMovement,
    PaymentFileFormat, PaymentStatus, ReserveKind, RosterStatus, codes,
};
use jiuzhu_store::{Actor, Command, CommandOutcome, PageRequest, StoreError};

use super::{
    ALL_DIBAO_MATERIALS, CaseOffice, XUNCHANG, XUNCHANG_VILLAGE, account, case_cmd, case_office,
    code, ctx, date, dibao_application, household, register, run_case, user_id,
};
use crate::TestDb;

/// A valid 16-digit card number (Luhn) and one that fails the check.
const CARD: &str = "6222021234567894";
const BAD_CARD: &str = "6222021234567892";

fn month(s: &str) -> Month {
    s.parse().expect("test month")
}

fn code_of(e: &StoreError) -> &'static str {
    match e {
        StoreError::Case { code, .. } => code,
        other => panic!("expected a refusal with a code, got {other:?}"),
    }
}

/// Runs a 低保 case of `household` from application to the township head's approval
/// (300 yuan a month: the demo rural standard 600 minus 300 of income) from `start`.
pub(super) async fn approve_dibao(
    db: &TestDb,
    o: &CaseOffice,
    household: i64,
    key: &str,
    start: &str,
) -> i64 {
    let (id, ..) = run_case(
        db,
        &o.cw,
        &format!("{key}-apply"),
        case_cmd(
            None,
            "2023-03-01 09:00",
            dibao_application(household, ALL_DIBAO_MATERIALS),
        ),
    )
    .await
    .expect("apply");
    let steps: Vec<(&Actor, &str, case::CommandBody)> = vec![
        (&o.cw, "2023-03-02 10:00", case::CommandBody::RequestCheck),
        (
            &o.verifier,
            "2023-03-03 10:00",
            case::CommandBody::RecordCheckResult {
                passed: true,
                summary: "核对家庭收入、财产均在规定范围内".into(),
                reasons: vec![],
            },
        ),
        (
            &o.cw,
            "2023-03-06 10:00",
            case::CommandBody::RecordHomeVisit {
                investigators: vec![user_id(&o.cw), user_id(&o.cw2)],
                members: vec![case::MemberFacts {
                    member_seq: 1,
                    relation: jiuzhu_domain::Relation::Head,
                    lives_together: true,
                    able_to_work: false,
                    monthly_income: Fen::from_yuan(300).unwrap(),
                    note: "患慢性病".into(),
                }],
                findings: "家庭收入低于当地低保标准".into(),
            },
        ),
        (
            &o.reviewer,
            "2023-03-07 10:00",
            case::CommandBody::SignReview {
                recommendation: case::Recommendation::Approve {
                    proposed_amount: Fen::from_yuan(300),
                },
                opinion: "经审核，符合条件，拟批准".into(),
                disputed: false,
            },
        ),
        (&o.cw, "2023-03-08 09:00", case::CommandBody::PostNotice),
        (&o.cw, "2023-03-16 09:00", case::CommandBody::EndNotice),
        (
            &o.head,
            "2023-03-16 15:00",
            case::CommandBody::Decide {
                decision: case::DecisionRequest::Approve {
                    basis: jiuzhu_domain::benefit::AmountBasis::TopUp {
                        standard: "rural".into(),
                        add_ons: Vec::new(),
                    },
                    start_month: date(start),
                    expected_amount: Fen::from_yuan(300),
                },
            },
        ),
    ];
    for (i, (who, when, body)) in steps.into_iter().enumerate() {
        run_case(
            db,
            who,
            &format!("{key}-{i}"),
            case_cmd(Some(id), when, body),
        )
        .await
        .unwrap_or_else(|e| panic!("{key} step {i}: {e:?}"));
    }
    id
}

pub(super) async fn run(
    db: &TestDb,
    actor: &Actor,
    key: &str,
    command: Command,
) -> Result<CommandOutcome, StoreError> {
    db.store
        .execute(&ctx(actor, key), command)
        .await
        .map(|d| d.outcome)
}

fn set_account(household_id: i64, account: &str, holder: &str) -> Command {
    Command::SetBankAccount {
        household_id,
        account: account.into(),
        holder: holder.into(),
    }
}

/// An approval writes the entitlement; dynamic management changes it with a reason and an
/// effective month, and refuses changes that do not fit.
pub async fn payroll_entitlement_from_approval(db: &TestDb) {
    let o = case_office(db).await;
    let none = db
        .store
        .entitlements(&o.cw, &EntitlementFilter::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(none.total, 0);
    let case_id = approve_dibao(db, &o, o.household, "e1", "2023-03-01").await;
    let list = db
        .store
        .entitlements(&o.cw, &EntitlementFilter::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(list.total, 1);
    let e = &list.items[0];
    assert_eq!(
        (e.household_id, e.program, e.case_id, e.one_off),
        (o.household, Program::Dibao, Some(case_id), false)
    );
    assert_eq!(e.monthly, Fen::from_yuan(300).unwrap());
    assert_eq!(e.start, month("2023-03"));
    assert_eq!(e.status, pr::EntitlementStatus::Active);
    // Another township sees nothing.
    let other = db
        .store
        .entitlements(
            &o.other_cw,
            &EntitlementFilter::default(),
            PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(other.total, 0);

    let change = |change, effective: &str| Command::ChangeEntitlement {
        household_id: o.household,
        program: Program::Dibao,
        change,
        effective: month(effective),
        reason: "家庭收入增加".into(),
    };
    // 减发 from June.
    let out = run(
        db,
        &o.cw,
        "chg-1",
        change(
            EntitlementChange::Reduce {
                monthly: Fen::new(20_000),
            },
            "2023-06",
        ),
    )
    .await
    .expect("reduce");
    assert!(
        matches!(out, CommandOutcome::EntitlementChanged { monthly, .. } if monthly == Fen::new(20_000))
    );
    let e = db
        .store
        .entitlements(&o.cw, &EntitlementFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(e.amount_for(month("2023-05")), Fen::new(30_000));
    assert_eq!(e.amount_for(month("2023-06")), Fen::new(20_000));
    assert_eq!(e.amount_for(month("2023-02")), Fen::ZERO);
    // An "increase" to less than now, a resume of an active one, an earlier month: refused.
    for (key, c, m) in [
        (
            "chg-bad-1",
            EntitlementChange::Increase {
                monthly: Fen::new(10_000),
            },
            "2023-07",
        ),
        ("chg-bad-2", EntitlementChange::Resume, "2023-07"),
        ("chg-bad-3", EntitlementChange::Suspend, "2023-05"),
    ] {
        let err = run(db, &o.cw, key, change(c, m)).await.unwrap_err();
        assert_eq!(code_of(&err), codes::BAD_CHANGE, "{key}: {err:?}");
    }
    // Another township's caseworker cannot find it; a village assistant may not change it.
    let err = run(
        db,
        &o.other_cw,
        "chg-other",
        change(EntitlementChange::Stop, "2023-07"),
    )
    .await
    .unwrap_err();
    assert_eq!(code_of(&err), codes::NO_ENTITLEMENT);
    // Suspend, resume, stop; a stopped entitlement changes no more.
    run(
        db,
        &o.cw,
        "chg-2",
        change(EntitlementChange::Suspend, "2023-07"),
    )
    .await
    .expect("suspend");
    run(
        db,
        &o.cw,
        "chg-3",
        change(EntitlementChange::Resume, "2023-08"),
    )
    .await
    .expect("resume");
    let e = db
        .store
        .entitlements(&o.cw, &EntitlementFilter::default(), PageRequest::default())
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(e.monthly, Fen::new(20_000));
    assert_eq!(e.amount_for(month("2023-07")), Fen::ZERO);
    run(
        db,
        &o.head,
        "chg-4",
        change(EntitlementChange::Stop, "2023-09"),
    )
    .await
    .expect("stop");
    let err = run(
        db,
        &o.cw,
        "chg-5",
        change(EntitlementChange::Resume, "2023-10"),
    )
    .await
    .unwrap_err();
    assert_eq!(code_of(&err), codes::ENTITLEMENT_STOPPED);
    // Every change is in the log with its reason.
    let reasons = db
        .query_text("SELECT CAST(payload AS TEXT) FROM events WHERE kind = 'entitlement.changed'")
        .await
        .unwrap();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(reasons.iter().all(|p| p.contains("家庭收入增加")));
}

/// Bank accounts are checked (digits, length, Luhn; holder a member) and never shown in full.
pub async fn payroll_bank_accounts_are_checked(db: &TestDb) {
    let o = case_office(db).await;
    let err = run(
        db,
        &o.cw,
        "acc-1",
        set_account(o.household, BAD_CARD, "张某华"),
    )
    .await
    .unwrap_err();
    assert_eq!(code_of(&err), codes::ACCOUNT_CHECKSUM);
    assert!(!err.to_string().contains(BAD_CARD));
    let err = run(
        db,
        &o.cw,
        "acc-2",
        set_account(o.household, "12345", "张某华"),
    )
    .await
    .unwrap_err();
    assert_eq!(code_of(&err), codes::ACCOUNT_FORMAT);
    let err = run(db, &o.cw, "acc-3", set_account(o.household, CARD, "王某某"))
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), codes::HOLDER_NOT_MEMBER);
    assert!(
        db.store
            .bank_account(&o.cw, o.household)
            .await
            .unwrap()
            .is_none()
    );
    run(db, &o.cw, "acc-4", set_account(o.household, CARD, "张某华"))
        .await
        .expect("set account");
    let info = db
        .store
        .bank_account(&o.cw, o.household)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.account_masked, "****7894");
    assert!(matches!(
        db.store.bank_account(&o.other_cw, o.household).await,
        Err(StoreError::NotFound(_))
    ));
    let logged = db
        .query_text(
            "SELECT CAST(payload AS TEXT) FROM events WHERE kind = 'household.bank_account_set'",
        )
        .await
        .unwrap();
    assert_eq!(logged.len(), 1);
    assert!(
        !logged[0].contains(CARD),
        "the log holds the account masked: {}",
        logged[0]
    );
}

/// The whole monthly cycle: generate (with back-pay, idempotent), settle (late after the
/// cutoff day), submit (frozen), payment files whose lines add up to the roster, bank
/// returns (paid/failed; unknown or different amounts refused), failed payments carried into
/// the next month and never paid twice, the diff against the previous month, and the
/// reconciliation with the finance ledger.
pub async fn payroll_monthly_cycle(db: &TestDb) {
    let o = case_office(db).await;
    let admin = account(db, "gx.fin", Role::FinanceOfficer, "511526").await;
    let h2 = register(db, &o.cw, "hh-pay-2", household(XUNCHANG_VILLAGE, 1))
        .await
        .unwrap();
    approve_dibao(db, &o, o.household, "m1", "2023-03-01").await;
    approve_dibao(db, &o, h2, "m2", "2023-03-01").await;
    run(
        db,
        &o.cw,
        "acc-h1",
        set_account(o.household, CARD, "张某华"),
    )
    .await
    .unwrap();
    let county = code("511526");
    let may = month("2023-05");
    let generate = |m: Month| Command::GenerateRosters {
        county: county.clone(),
        month: m,
    };
    // Only the county generates.
    let err = run(db, &o.cw, "gen-cw", generate(may)).await.unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
    let first = run(db, &admin, "gen-1", generate(may))
        .await
        .expect("generate");
    // March, April and May at 300 yuan for each of two households.
    let CommandOutcome::RostersGenerated {
        rosters,
        lines,
        total,
        ..
    } = first
    else {
        panic!("{first:?}")
    };
    assert_eq!((rosters, lines, total), (1, 2, Fen::new(180_000)));
    let listed = db.store.rosters(&o.cw, may, &county).await.unwrap();
    assert_eq!(listed.len(), 1);
    let r = &listed[0];
    assert_eq!(
        (r.township.as_str(), r.program, r.status),
        (XUNCHANG, Program::Dibao, RosterStatus::Generated)
    );
    assert_eq!(
        (r.total, r.backpay, r.carried),
        (Fen::new(180_000), Fen::new(120_000), Fen::ZERO)
    );
    let lines_1 = db
        .store
        .payments(&o.cw, may, &county, PageRequest::default())
        .await
        .unwrap();
    // Generating again gives the same roster.
    let again = run(db, &admin, "gen-2", generate(may))
        .await
        .expect("generate again");
    assert!(
        matches!(again, CommandOutcome::RostersGenerated { lines: 2, total, .. } if total == Fen::new(180_000))
    );
    let lines_2 = db
        .store
        .payments(&o.cw, may, &county, PageRequest::default())
        .await
        .unwrap();
    let view = |p: &jiuzhu_store::Page<pr::Payment>| {
        p.items
            .iter()
            .map(|l| (l.household_id, l.program, l.months, l.amount, l.backpay))
            .collect::<Vec<_>>()
    };
    assert_eq!(view(&lines_1), view(&lines_2));
    assert_eq!(view(&lines_1)[0].2, 3, "three months, two of them back-pay");
    assert_eq!(
        db.store.rosters(&o.cw, may, &county).await.unwrap().len(),
        1
    );

    // Submitting before the township settled is refused; the township settles, late.
    let submit = |m: Month| Command::SubmitRosters {
        county: county.clone(),
        month: m,
    };
    let err = run(db, &admin, "sub-0", submit(may)).await.unwrap_err();
    assert_eq!(code_of(&err), codes::NOT_SETTLED);
    let settle = |m: Month| Command::SettleRosters {
        township: code(XUNCHANG),
        month: m,
    };
    let err = run(db, &o.other_cw, "set-other", settle(may))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
    let settled = run(db, &o.cw, "set-1", settle(may)).await.expect("settle");
    assert!(
        matches!(
            settled,
            CommandOutcome::RostersSettled {
                rosters: 1,
                late: true,
                ..
            }
        ),
        "{settled:?}"
    );
    assert!(db.store.rosters(&o.cw, may, &county).await.unwrap()[0].settled_late);
    let err = run(db, &o.cw, "set-2", settle(may)).await.unwrap_err();
    assert_eq!(code_of(&err), codes::ALREADY_SETTLED);
    // Generating again keeps the settled roster as it is.
    let kept = run(db, &admin, "gen-3", generate(may)).await.unwrap();
    assert!(
        matches!(
            kept,
            CommandOutcome::RostersGenerated {
                rosters: 0,
                kept: 1,
                ..
            }
        ),
        "{kept:?}"
    );
    assert_eq!(
        db.store.rosters(&o.cw, may, &county).await.unwrap()[0].status,
        RosterStatus::Settled
    );
    // h2 has no account yet: the submission names it.
    let err = run(db, &admin, "sub-1", submit(may)).await.unwrap_err();
    assert_eq!(code_of(&err), codes::MISSING_ACCOUNT);
    assert!(err.to_string().contains(&h2.to_string()), "{err}");
    run(
        db,
        &o.cw,
        "acc-h2",
        set_account(h2, "6217000010002000", "张某华"),
    )
    .await
    .unwrap();
    let submitted = run(db, &admin, "sub-2", submit(may)).await.expect("submit");
    assert!(
        matches!(submitted, CommandOutcome::RostersSubmitted { lines: 2, total, .. } if total == Fen::new(180_000))
    );
    // Frozen: no second generate, settle or submit; no change in May.
    for (key, cmd) in [("gen-4", generate(may)), ("sub-3", submit(may))] {
        let err = run(db, &admin, key, cmd).await.unwrap_err();
        assert_eq!(code_of(&err), codes::ROSTER_SUBMITTED, "{key}");
    }
    let err = run(db, &o.cw, "set-3", settle(may)).await.unwrap_err();
    assert_eq!(code_of(&err), codes::ROSTER_SUBMITTED);
    let change = |c, m: &str| Command::ChangeEntitlement {
        household_id: o.household,
        program: Program::Dibao,
        change: c,
        effective: month(m),
        reason: "收入增加".into(),
    };
    let err = run(
        db,
        &o.cw,
        "chg-may",
        change(
            EntitlementChange::Reduce {
                monthly: Fen::new(20_000),
            },
            "2023-05",
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(code_of(&err), codes::MONTH_FROZEN);
    run(
        db,
        &o.cw,
        "chg-jun",
        change(
            EntitlementChange::Reduce {
                monthly: Fen::new(20_000),
            },
            "2023-06",
        ),
    )
    .await
    .expect("a change from June");

    // The payment file: one line per payment, lines add up to the roster, program named.
    let mut csv = Vec::new();
    let summary = db
        .store
        .export_payments(
            &ctx(&admin, "exp-1"),
            &county,
            may,
            PaymentFileFormat::Csv,
            &mut csv,
            &|_, _| {},
        )
        .await
        .expect("export");
    let text = String::from_utf8(csv).unwrap();
    let body: Vec<&str> = text
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(body.len(), 2);
    let sum: i64 = body
        .iter()
        .map(|l| l.split(',').nth(9).unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(
        (sum, summary.lines, summary.total),
        (180_000, 2, Fen::new(180_000))
    );
    assert!(text.ends_with("#total,2,180000\n"), "{text}");
    assert!(
        body.iter().all(|l| l.contains("最低生活保障2023年05月")),
        "{text}"
    );
    assert!(body.iter().any(|l| l.contains(CARD)));
    assert_eq!(
        summary.sha256,
        jiuzhu_store::event::sha256_hex(text.as_bytes())
    );
    let mut fixed = Vec::new();
    let fixed_summary = db
        .store
        .export_payments(
            &ctx(&admin, "exp-2"),
            &county,
            may,
            PaymentFileFormat::FixedWidth,
            &mut fixed,
            &|_, _| {},
        )
        .await
        .unwrap();
    let fixed = String::from_utf8(fixed).unwrap();
    assert_eq!(fixed.lines().filter(|l| l.starts_with('D')).count(), 2);
    assert!(
        fixed.ends_with("T000000000002000000000000180000\n"),
        "{fixed}"
    );
    let logged = db
        .query_text(
            "SELECT CAST(payload AS TEXT) FROM events WHERE kind = 'payroll.payment_file_exported'",
        )
        .await
        .unwrap();
    assert_eq!(logged.len(), 2);
    assert!(logged.iter().any(|p| p.contains(&summary.sha256)));
    assert!(logged.iter().any(|p| p.contains(&fixed_summary.sha256)));
    assert!(logged.iter().all(|p| !p.contains(CARD)));

    // Bank returns: h1 paid, h2 failed. Unknown payments and other amounts refuse the file.
    let ids: Vec<(i64, i64)> = body
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].parse().unwrap(), f[5].parse().unwrap())
        })
        .collect();
    let id_of = |h: i64| ids.iter().find(|(_, hh)| *hh == h).unwrap().0;
    let (p1, p2) = (id_of(o.household), id_of(h2));
    let import = |key: &str, text: String| {
        let file = pr::parse_bank_returns(&text).expect("parses");
        let cmd = Command::ImportBankReturns {
            county: county.clone(),
            month: may,
            sha256: file.sha256,
            lines: file.lines,
        };
        let key = key.to_string();
        let admin = admin.clone();
        async move { run(db, &admin, &key, cmd).await }
    };
    let head = "payment_id,amount_fen,result,reason\n";
    let err = import(
        "ret-0",
        format!("{head}{p1},90000,paid,\n999999,100,paid,\n"),
    )
    .await
    .unwrap_err();
    assert_eq!(code_of(&err), codes::BAD_RETURN);
    assert!(err.to_string().contains("line 3"), "{err}");
    let err = import("ret-1", format!("{head}{p1},90001,paid,\n"))
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), codes::BAD_RETURN);
    assert!(
        err.to_string().contains("line 2") && err.to_string().contains("90000"),
        "{err}"
    );
    // Nothing of a refused file was recorded.
    let page = db
        .store
        .payments(&o.cw, may, &county, PageRequest::default())
        .await
        .unwrap();
    assert!(
        page.items
            .iter()
            .all(|p| p.status == PaymentStatus::Pending)
    );
    let out = import(
        "ret-2",
        format!("{head}{p1},90000,paid,\n{p2},90000,failed,账户已冻结\n"),
    )
    .await
    .expect("returns");
    assert!(
        matches!(out, CommandOutcome::BankReturnsImported { counts } if counts.paid == 1 && counts.failed == 1),
        "{out:?}"
    );
    // A failed payment does not become paid; a paid one can be returned.
    let err = import("ret-3", format!("{head}{p2},90000,paid,\n"))
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), codes::BAD_RETURN);

    // June: the failed payment is carried over; h1 at the reduced amount.
    let june = month("2023-06");
    run(db, &admin, "gen-jun", generate(june))
        .await
        .expect("generate june");
    let jun = db
        .store
        .payments(&o.cw, june, &county, PageRequest::default())
        .await
        .unwrap();
    let carried: Vec<_> = jun
        .items
        .iter()
        .filter(|p| p.carried_from.is_some())
        .collect();
    assert_eq!(carried.len(), 1);
    assert_eq!(
        (
            carried[0].carried_from,
            carried[0].amount,
            carried[0].for_month
        ),
        (Some(p2), Fen::new(90_000), may)
    );
    let regular: Vec<_> = jun
        .items
        .iter()
        .filter(|p| p.carried_from.is_none())
        .map(|p| (p.household_id, p.amount))
        .collect();
    assert!(
        regular.contains(&(o.household, Fen::new(20_000))),
        "{regular:?}"
    );
    assert!(regular.contains(&(h2, Fen::new(30_000))), "{regular:?}");
    let r = &db.store.rosters(&o.cw, june, &county).await.unwrap()[0];
    assert_eq!(
        (r.lines, r.total, r.carried, r.backpay),
        (3, Fen::new(140_000), Fen::new(90_000), Fen::new(60_000))
    );
    // The diff against May: h1 changed; h2 the same monthly amount.
    let diff = db.store.roster_diff(&o.cw, june, &county).await.unwrap();
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert_eq!(
        (diff[0].kind, diff[0].household_id),
        (DiffKind::Changed, o.household)
    );
    assert_eq!(
        (diff[0].previous, diff[0].current),
        (Some(Fen::new(30_000)), Some(Fen::new(20_000)))
    );
    let may_diff = db.store.roster_diff(&o.cw, may, &county).await.unwrap();
    assert_eq!(
        may_diff.iter().filter(|d| d.kind == DiffKind::New).count(),
        2
    );
    // A change after generation makes the unsettled roster stale until generated again.
    let h3 = register(db, &o.cw, "hh-pay-3", household(XUNCHANG_VILLAGE, 1))
        .await
        .unwrap();
    approve_dibao(db, &o, h3, "m3", "2023-06-01").await;
    let err = run(db, &o.cw, "set-jun-0", settle(june)).await.unwrap_err();
    assert_eq!(code_of(&err), codes::ROSTER_STALE);
    run(
        db,
        &o.cw,
        "acc-h3",
        set_account(h3, "622848001234567890", "张某华"),
    )
    .await
    .unwrap();
    run(db, &admin, "gen-jun-2", generate(june)).await.unwrap();
    run(db, &o.cw, "set-jun", settle(june))
        .await
        .expect("settle june");
    run(db, &admin, "sub-jun", submit(june))
        .await
        .expect("submit june");
    let diff = db.store.roster_diff(&o.cw, june, &county).await.unwrap();
    assert!(
        diff.iter()
            .any(|d| d.kind == DiffKind::New && d.household_id == h3),
        "{diff:?}"
    );
    // The carried payment is paid in June; the May original can never be paid as well.
    let jun = db
        .store
        .payments(&o.cw, june, &county, PageRequest::default())
        .await
        .unwrap();
    let carried = jun
        .items
        .iter()
        .find(|p| p.carried_from == Some(p2))
        .unwrap();
    let file = pr::parse_bank_returns(&format!("{head}{},90000,paid,\n", carried.id)).unwrap();
    run(
        db,
        &admin,
        "ret-jun",
        Command::ImportBankReturns {
            county: county.clone(),
            month: june,
            sha256: file.sha256,
            lines: file.lines,
        },
    )
    .await
    .expect("carried payment paid");
    let twice = db
        .exec_raw(&format!(
            "UPDATE payments SET status = 'paid' WHERE id = {p2}"
        ))
        .await;
    assert!(
        twice.is_err(),
        "the database refuses a second paid payment for the month"
    );
    // July has no carried payment any more.
    run(db, &admin, "gen-jul", generate(month("2023-07")))
        .await
        .unwrap();
    let jul = db
        .store
        .payments(&o.cw, month("2023-07"), &county, PageRequest::default())
        .await
        .unwrap();
    assert!(jul.items.iter().all(|p| p.carried_from.is_none()));
    assert_eq!(jul.items.len(), 3);

    // Reconciliation of May: h1's payment was paid; h2's failed.
    let ledger_ok = format!(
        "payment_id,household_id,program,amount_fen\n{p1},{},dibao,90000\n#total,1,90000\n",
        o.household
    );
    let ledger = pr::parse_ledger(&ledger_ok).unwrap();
    let rec = db
        .store
        .reconcile(&ctx(&admin, "rec-1"), &county, may, &ledger)
        .await
        .unwrap();
    assert_eq!((rec.ours, rec.matched, rec.consistency_bp), (1, 1, 10_000));
    assert!(rec.mismatches.is_empty() && rec.passes());
    let ledger_bad = format!(
        "payment_id,household_id,program,amount_fen\n{p1},{},dibao,80000\n{p2},{h2},dibao,90000\n#total,2,170000\n",
        o.household
    );
    let rec = db
        .store
        .reconcile(
            &ctx(&admin, "rec-2"),
            &county,
            may,
            &pr::parse_ledger(&ledger_bad).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        (rec.matched, rec.consistency_bp, rec.mismatches.len()),
        (0, 0, 2)
    );
    assert!(
        matches!(rec.mismatches[0], pr::Mismatch::AmountDiffers { ours, .. } if ours == Fen::new(90_000))
    );
    assert!(
        matches!(rec.mismatches[1], pr::Mismatch::NotPaidHere { payment_id, .. } if payment_id == p2)
    );
    let wrong_total = format!(
        "payment_id,household_id,program,amount_fen\n{p1},{},dibao,90000\n#total,1,90001\n",
        o.household
    );
    let err = pr::parse_ledger(&wrong_total).unwrap_err();
    assert_eq!(code_of(&err), codes::BAD_LEDGER);
    let recorded = db
        .query_text("SELECT CAST(payload AS TEXT) FROM events WHERE kind = 'payroll.reconciled'")
        .await
        .unwrap();
    assert_eq!(recorded.len(), 2);
    assert!(recorded.iter().any(|p| p.contains(&ledger.sha256)));
    let report = db.store.verify_chain().await.unwrap();
    assert!(report.first_break.is_none(), "{report:?}");
}

/// The reserve fund: allocated and replenished by the county, spent by the township on its
/// 临时救助 cases, never below zero; the statement adds up.
pub async fn payroll_reserve_fund(db: &TestDb) {
    let o = case_office(db).await;
    let admin = account(db, "gx.admin2", Role::CountyAdmin, "511526").await;
    let township = code(XUNCHANG);
    let mv = |kind, amount: i64, case_id| {
        Command::ReserveMovement(NewReserveMovement {
            township: township.clone(),
            kind,
            amount: Fen::new(amount),
            case_id,
            note: "备用金".into(),
        })
    };
    // The township does not allocate; the county does.
    let err = run(
        db,
        &o.cw,
        "rs-0",
        mv(ReserveKind::Allocation, 100_000, None),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Forbidden(_)), "{err:?}");
    run(
        db,
        &admin,
        "rs-1",
        mv(ReserveKind::Allocation, 100_000, None),
    )
    .await
    .expect("allocate");
    let (linshi, ..) = run_case(
        db,
        &o.cw,
        "rs-case",
        case_cmd(
            None,
            "2023-03-01 20:00",
            case::CommandBody::ReportEmergency {
                case: case::NewCase {
                    case_id: 0,
                    number: String::new(),
                    program: Program::Linshi,
                    village: code(XUNCHANG_VILLAGE),
                    household_id: o.household,
                    origin: case::Origin::Household,
                },
                summary: "突发火灾".into(),
            },
        ),
    )
    .await
    .expect("emergency report");
    // Spending names a 临时救助 case of the township.
    let err = run(db, &o.cw, "rs-2", mv(ReserveKind::Spending, 10_000, None))
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), codes::RESERVE_CASE);
    let out = run(
        db,
        &o.cw,
        "rs-3",
        mv(ReserveKind::Spending, 60_000, Some(linshi)),
    )
    .await
    .expect("spend");
    assert!(
        matches!(out, CommandOutcome::ReserveMoved { balance, .. } if balance == Fen::new(40_000))
    );
    let err = run(
        db,
        &o.cw,
        "rs-4",
        mv(ReserveKind::Spending, 40_001, Some(linshi)),
    )
    .await
    .unwrap_err();
    assert_eq!(code_of(&err), codes::RESERVE_OVERDRAFT);
    run(
        db,
        &admin,
        "rs-5",
        mv(ReserveKind::Replenishment, 60_000, None),
    )
    .await
    .expect("replenish");
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let st = db
        .store
        .reserve_statement(
            &o.cw,
            &township,
            today - chrono::Duration::days(1),
            today + chrono::Duration::days(1),
        )
        .await
        .unwrap();
    assert_eq!(st.opening, Fen::ZERO);
    assert_eq!(st.entries.len(), 3);
    assert_eq!(st.closing, Fen::new(100_000));
    let sum: i64 = st.entries.iter().map(|e| e.amount.fen()).sum();
    assert_eq!(st.opening.fen() + sum, st.closing.fen());
    let later = db
        .store
        .reserve_statement(
            &o.cw,
            &township,
            today + chrono::Duration::days(1),
            today + chrono::Duration::days(30),
        )
        .await
        .unwrap();
    assert_eq!(
        (later.opening, later.entries.len(), later.closing),
        (Fen::new(100_000), 0, Fen::new(100_000))
    );
    // Another township's caseworker cannot read it.
    assert!(
        db.store
            .reserve_statement(&o.other_cw, &township, today, today)
            .await
            .is_err()
    );
}
