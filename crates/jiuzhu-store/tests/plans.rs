//! Each seed plan's own sentences, answered by the built-in procedure profiles, the
//! delegation grants they imply (as demo mode creates them), the authority function and the
//! deadline engine over the official calendar.

use chrono::{NaiveDate, NaiveDateTime};
use jiuzhu_domain::calendar::Calendar;
use jiuzhu_domain::deadline::{Period, due};
use jiuzhu_domain::delegation::{Authority, CountyReason, Grant, authority};
use jiuzhu_domain::profile::{EffectiveProfile, ProfileSet};
use jiuzhu_domain::{DivisionCode, Fen, Program};
use jiuzhu_store::demo::profile_grants;
use jiuzhu_store::divisions;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn code(s: &str) -> DivisionCode {
    DivisionCode::parse(s).unwrap()
}

/// The grants demo mode creates, as the authority function sees them.
fn grants() -> Vec<Grant> {
    let divisions = divisions::parse(divisions::BUILTIN).unwrap();
    profile_grants(&divisions)
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, g)| {
            let mut grant = g.to_grant();
            grant.id = i as i64 + 1;
            grant
        })
        .collect()
}

fn who(g: &[Grant], program: Program, town: &str, date: &str, yuan: Option<i64>) -> Authority {
    authority(
        g,
        program,
        &code(town),
        d(date),
        yuan.and_then(Fen::from_yuan),
    )
    .unwrap()
}

fn profile(county: &str) -> EffectiveProfile {
    ProfileSet::builtin()
        .unwrap()
        .effective_for(&code(county))
        .unwrap()
}

/// Due date of `period` after `start` (a date-time in Asia/Shanghai).
fn due_date(start: &str, period: Period) -> NaiveDate {
    due(at(start), period, &Calendar::builtin()).unwrap().date
}

#[test]
fn gongxian_003_pilot_towns_then_all_and_the_3000_yuan_cap() {
    let g = grants();
    const XIAOER: &str = "511526102000"; // 孝儿镇, pilot
    const LUOHAI: &str = "511526106000"; // 洛亥镇, not a pilot
    // "从2020年5月1日起将巡场镇、珙泉镇、底洞镇、孝儿镇、沐滩镇、王家镇先行纳入试点"
    assert!(matches!(
        who(&g, Program::Dibao, XIAOER, "2020-04-30", None),
        Authority::County {
            reason: CountyReason::NotYetInForce { .. },
            ..
        }
    ));
    assert!(who(&g, Program::Dibao, XIAOER, "2020-05-01", None).is_township());
    // "其余乡镇从10月1日起全域推开试点工作"
    assert!(!who(&g, Program::Dibao, LUOHAI, "2020-09-30", None).is_township());
    assert!(who(&g, Program::Dibao, LUOHAI, "2020-10-01", None).is_township());
    // "临时救助（3000元以下）的确认权委托下放到试点乡镇"
    assert!(who(&g, Program::Linshi, XIAOER, "2021-03-01", Some(3000)).is_township());
    assert!(matches!(
        who(&g, Program::Linshi, XIAOER, "2021-03-01", Some(3500)),
        Authority::County {
            reason: CountyReason::AboveCap { .. },
            ..
        }
    ));
    // 特困 is not delegated in 珙县.
    assert!(matches!(
        who(&g, Program::Tekun, XIAOER, "2021-03-01", None),
        Authority::County {
            reason: CountyReason::NotDelegated,
            ..
        }
    ));
    // "受托金融机构……3个工作日内将资金划转到救助对象个人账户": a roster sent on
    // 2020-09-30 is paid by 2020-10-12 (National Day 10-01..08; Saturday 10-10 is a working day).
    let p = profile("511526");
    assert_eq!(p.payment.bank_transfer, Period::WorkingDays(3));
    assert_eq!(
        due_date("2020-09-30 16:00", p.payment.bank_transfer),
        d("2020-10-12")
    );
}

#[test]
fn wuerhe_001_two_townships_from_2022_02_01_and_its_deadlines() {
    let g = grants();
    // "2022年2月1日起，审批权限下放至柳树街街道办事处、乌尔禾镇人民政府"
    for town in ["650205001000", "650205100000"] {
        for program in [
            Program::Dibao,
            Program::Tekun,
            Program::Dishouru,
            Program::Linshi,
        ] {
            assert!(
                !who(&g, program, town, "2022-01-31", None).is_township(),
                "{town} {program}"
            );
            assert!(
                who(&g, program, town, "2022-02-01", None).is_township(),
                "{town} {program}"
            );
        }
        assert!(!who(&g, Program::Gaoling, town, "2022-06-01", None).is_township());
    }
    let p = profile("650205");
    let dibao = p.program(Program::Dibao).unwrap();
    // "自受理材料之日起10个工作日内……调查核实": accepted Wednesday 2022-09-28, due
    // 2022-10-17 (National Day 10-01..07; Saturday 10-08 and Sunday 10-09 are working days).
    let investigation = dibao.steps.investigation.deadline.unwrap();
    assert_eq!(investigation, Period::WorkingDays(10));
    assert_eq!(due_date("2022-09-28 10:00", investigation), d("2022-10-17"));
    // "入户调查结束后，在5个工作日内进行审核": visit ended Friday 2022-10-14 → 2022-10-21.
    let review = dibao.steps.review.deadline.unwrap();
    assert_eq!(review, Period::WorkingDays(5));
    assert_eq!(due_date("2022-10-14 17:00", review), d("2022-10-21"));
    // "公示期为7个工作日": posted 2022-10-21 → ends 2022-11-01.
    assert!(dibao.steps.notice.before_decision);
    let notice = dibao.steps.notice.length.unwrap();
    assert_eq!(notice, Period::WorkingDays(7));
    assert_eq!(due_date("2022-10-21 09:00", notice), d("2022-11-01"));
    // "无异议的……在3个工作日内作出确认决定": → 2022-11-04.
    let decision = dibao.steps.decision.deadline.unwrap();
    assert_eq!(decision, Period::WorkingDays(3));
    assert_eq!(due_date("2022-11-01 18:00", decision), d("2022-11-04"));
    // "决定不予批准的，应当在3个工作日内以书面形式通知".
    assert_eq!(
        dibao.steps.decision.refusal_notice,
        Some(Period::WorkingDays(3))
    );
    // "公示期间出现异议的……在15个工作日内作出审批决定": → 2022-11-22.
    let objection = dibao.steps.decision.after_objection.unwrap();
    assert_eq!(objection, Period::WorkingDays(15));
    assert_eq!(due_date("2022-11-01 18:00", objection), d("2022-11-22"));
    // "抽查比例不低于30%".
    assert!(p.supervision.spot_check_percent >= 30);
}

#[test]
fn lingwu_000_four_programs_to_all_townships_from_2021_09_05() {
    let g = grants();
    // Every township and street of 灵武市 holds 低收入认定, 高龄津贴, 特困 and 残疾人两项补贴.
    for town in ["640181001000", "640181100000", "640181101000"] {
        for program in [
            Program::Dishouru,
            Program::Gaoling,
            Program::Tekun,
            Program::Canji,
        ] {
            assert!(
                !who(&g, program, town, "2021-09-04", None).is_township(),
                "{town} {program}"
            );
            assert!(
                who(&g, program, town, "2021-09-05", None).is_township(),
                "{town} {program}"
            );
        }
        // 低保 stays with the county.
        assert!(!who(&g, Program::Dibao, town, "2022-01-01", None).is_township());
    }
    // "按时（每月25日前）提交备案辖区社会救助对象花名册".
    assert_eq!(profile("640181").payment.roster_cutoff_day, 25);
}

#[test]
fn yinzhou_002_integrates_without_delegating() {
    let g = grants();
    let town = divisions::parse(divisions::BUILTIN)
        .unwrap()
        .into_iter()
        .find(|x| {
            x.code.as_str().starts_with("330212")
                && x.level() == jiuzhu_domain::DivisionLevel::Township
        })
        .unwrap();
    for program in Program::ALL {
        assert!(matches!(
            who(&g, program, town.code.as_str(), "2022-01-01", None),
            Authority::County {
                reason: CountyReason::NotDelegated,
                ..
            }
        ));
    }
}

#[test]
fn taian_004_verify_first_20_working_days_and_emergency_aid() {
    let p = profile("370902");
    let dibao = p.program(Program::Dibao).unwrap();
    // "实行先核对、后申请".
    assert_eq!(format!("{:?}", dibao.order), "VerifyFirst");
    // "取消低保和特困人员救助供养审核阶段公示和民主评议两个环节，审批结果……公示".
    assert!(!dibao.steps.notice.before_decision);
    assert!(dibao.steps.disclosure.after_decision);
    // "审核审批时限压缩到20个工作日内": accepted Friday 2020-09-25 → 2020-10-29
    // (make-up Sunday 09-27 and Saturday 10-10 count; 10-01..08 do not).
    let whole = dibao.whole_limit(true).unwrap();
    assert_eq!(whole, Period::WorkingDays(20));
    assert_eq!(due_date("2020-09-25 11:00", whole), d("2020-10-29"));
    // "急难型临时救助要在24小时内先行救助，并在5个工作日内……补齐……手续".
    let emergency = p
        .program(Program::Linshi)
        .unwrap()
        .emergency
        .clone()
        .unwrap();
    assert_eq!(emergency.help_within, Some(Period::Hours(24)));
    let help = due(
        at("2020-01-23 20:30"),
        Period::Hours(24),
        &Calendar::builtin(),
    )
    .unwrap();
    assert_eq!(
        help.at,
        Some(at("2020-01-24 20:30")),
        "24 hours run through the Spring Festival"
    );
    let paperwork = emergency.paperwork_within.unwrap();
    assert_eq!(paperwork, Period::WorkingDays(5));
    // Helped on 2020-01-24: the extended Spring Festival runs to 02-02, so → 2020-02-07.
    assert_eq!(due_date("2020-01-24 20:30", paperwork), d("2020-02-07"));
    // 泰安's counties confirm 低保, 特困 and 临时救助 in their townships (demo date: the plan
    // delegates "成熟一批下放一批" without dates).
    let g = grants();
    assert!(who(&g, Program::Dibao, "370902001000", "2021-01-04", None).is_township());
    assert!(who(&g, Program::Tekun, "370983001000", "2021-01-04", None).is_township());
    // 数据一致性 ≥95%.
    assert_eq!(p.supervision.ledger_consistency_min_percent, Some(95));
}

fn timeline(county: &str, program: Program, start: &str) -> Vec<(String, NaiveDate)> {
    let p = profile(county);
    let rules = p.program(program).unwrap();
    jiuzhu_domain::schedule::planned(rules, at(start), true, &Calendar::builtin())
        .unwrap()
        .into_iter()
        .map(|s| (format!("{:?}", s.step), s.due.date))
        .collect()
}

#[test]
fn planned_timelines_follow_each_plan() {
    let steps = |v: &[(&str, &str)]| -> Vec<(String, NaiveDate)> {
        v.iter().map(|(s, x)| (s.to_string(), d(x))).collect()
    };
    // 乌尔禾区 低保 accepted Wednesday 2022-09-28 (National Day 10-01..07, make-up 10-08/09):
    // check 3wd, start 3wd (national); investigation 10wd; review 5wd after the visit;
    // notice 7wd; decision 3wd after the notice; refusal notice 3wd after the decision.
    // The whole-procedure limit for township confirmation (20wd, national) falls before
    // the plan's own step deadlines add up: the timeline shows it rather than hiding it.
    assert_eq!(
        timeline("650205", Program::Dibao, "2022-09-28 10:00"),
        steps(&[
            ("EconomicCheck", "2022-10-08"),
            ("InvestigationStart", "2022-10-08"),
            ("WholeProcedure", "2022-10-31"),
            ("Investigation", "2022-10-17"),
            ("Review", "2022-10-24"),
            ("Notice", "2022-11-02"),
            ("Decision", "2022-11-07"),
            ("RefusalNotice", "2022-11-10"),
        ])
    );
    // 泰安 低保 先核对后申请: the check requested Friday 2020-09-25 is due 09-29 (Sunday 09-27
    // is a make-up working day); the application is accepted then, and the 20 working days
    // run from there to 2020-11-03 (10-01..08 off, Saturday 10-10 on). The national rules
    // set no deadline for completing the investigation, so later steps cannot be planned.
    assert_eq!(
        timeline("370902", Program::Dibao, "2020-09-25 11:00"),
        steps(&[
            ("EconomicCheck", "2020-09-29"),
            ("InvestigationStart", "2020-10-10"),
            ("WholeProcedure", "2020-11-03"),
        ])
    );
    // 珙县 低保, applied first: everything runs from acceptance on 2020-09-25.
    assert_eq!(
        timeline("511526", Program::Dibao, "2020-09-25 11:00"),
        steps(&[
            ("EconomicCheck", "2020-09-29"),
            ("InvestigationStart", "2020-09-29"),
            ("WholeProcedure", "2020-10-29"),
        ])
    );
    // 泰安 急难型临时救助: help within 24 hours of the report, paperwork within 5 working days.
    let p = profile("370911");
    let linshi = p.program(Program::Linshi).unwrap();
    let e = jiuzhu_domain::schedule::planned_emergency(
        linshi,
        at("2020-01-23 20:30"),
        &Calendar::builtin(),
    )
    .unwrap();
    assert_eq!(e[0].due.at, Some(at("2020-01-24 20:30")));
    assert_eq!(e[1].due.date, d("2020-02-07"));
    // An objection during the 乌尔禾 notice: decision within 15 working days of it.
    let wuerhe = profile("650205");
    let dibao = wuerhe.program(Program::Dibao).unwrap();
    let after = jiuzhu_domain::schedule::due_for(
        dibao,
        jiuzhu_domain::schedule::Step::DecisionAfterObjection,
        at("2022-10-28 15:00"),
        true,
        &Calendar::builtin(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(after.date, d("2022-11-18"));
}
