//! Amounts from the profile's standards (`jiuzhu_domain::benefit`), with the national base's
//! demo standards: 低保 urban 800 / rural 600 yuan per person and month, 分类施保 add-ons
//! 30 / 20 / 10 %, 特困 1040 + care 500 / 200 / 60, 临时救助 months of 800 / 600 up to 6
//! months and 10,000 yuan, 高龄 50 / 100 / 300, 残疾人两项补贴 80 + 80 (nursing grades 1–2).

use jiuzhu_domain::benefit::{AddOnClaim, AmountBasis, AmountError, CareLevel, Payable, calculate};
use jiuzhu_domain::case::MemberFacts;
use jiuzhu_domain::profile::{ProfileSet, ProgramRules};
use jiuzhu_domain::{Fen, Program, Relation};
use proptest::prelude::*;

fn rules(program: Program) -> ProgramRules {
    let set = ProfileSet::builtin().expect("built-in profiles");
    set.base()
        .expect("national base")
        .program(program)
        .expect("configured")
        .clone()
}

fn yuan(y: i64) -> Fen {
    Fen::from_yuan(y).expect("small")
}

fn member(seq: i32, income_yuan: i64, lives_together: bool) -> MemberFacts {
    MemberFacts {
        member_seq: seq,
        relation: if seq == 1 {
            Relation::Head
        } else {
            Relation::Child
        },
        lives_together,
        able_to_work: false,
        monthly_income: yuan(income_yuan),
        note: String::new(),
    }
}

fn top_up(standard: &str, add_ons: &[(i32, &str)]) -> AmountBasis {
    AmountBasis::TopUp {
        standard: standard.to_string(),
        add_ons: add_ons
            .iter()
            .map(|(m, k)| AddOnClaim {
                member_seq: *m,
                key: k.to_string(),
            })
            .collect(),
    }
}

#[test]
fn dibao_tops_up_to_the_standard_with_classified_add_ons() {
    let r = rules(Program::Dibao);
    // Three members live together (one away working does not count), 900 yuan income.
    let members = [
        member(1, 500, true),
        member(2, 400, true),
        member(3, 0, true),
        member(4, 3000, false),
    ];
    let c = calculate(Program::Dibao, &r, &top_up("urban", &[]), Some(&members)).unwrap();
    assert_eq!(c.amount, yuan(800 * 3 - 900));
    assert_eq!(c.payable, Payable::Monthly);
    assert!(c.demo);
    assert_eq!(c.lines.len(), 2);
    assert_eq!(c.lines[1].amount, -yuan(900));
    assert!(
        c.lines[0].text_zh.contains("× 3人"),
        "{}",
        c.lines[0].text_zh
    );
    // A severely disabled member (30 %) and a minor (10 %) under the rural standard:
    // 600 × 3 − 900 + 180 + 60.
    let c = calculate(
        Program::Dibao,
        &r,
        &top_up("rural", &[(2, "severe_disability"), (3, "minor")]),
        Some(&members),
    )
    .unwrap();
    assert_eq!(c.amount, yuan(1800 - 900 + 180 + 60));
    assert_eq!(c.lines.len(), 4);
    assert_eq!(
        c.amount,
        c.lines.iter().map(|l| l.amount).sum::<Fen>(),
        "the lines add up"
    );
}

#[test]
fn dibao_refuses_what_the_facts_do_not_support() {
    let r = rules(Program::Dibao);
    let members = [member(1, 700, true), member(2, 600, true)];
    assert_eq!(
        calculate(Program::Dibao, &r, &top_up("rural", &[]), Some(&members)),
        Err(AmountError::IncomeNotBelowStandard {
            per_capita: yuan(650),
            standard: yuan(600),
        })
    );
    assert_eq!(
        calculate(Program::Dibao, &r, &top_up("rural", &[]), None),
        Err(AmountError::NeedsHomeVisit)
    );
    assert_eq!(
        calculate(
            Program::Dibao,
            &r,
            &top_up("rural", &[]),
            Some(&[member(1, 0, false)])
        ),
        Err(AmountError::NoMembers)
    );
    let poor = [member(1, 0, true), member(2, 0, true)];
    assert_eq!(
        calculate(
            Program::Dibao,
            &r,
            &top_up("rural", &[(2, "minor"), (2, "minor")]),
            Some(&poor)
        ),
        Err(AmountError::DuplicateAddOn {
            member_seq: 2,
            key: "minor".to_string()
        })
    );
    // A member living elsewhere cannot claim an add-on.
    let away = [member(1, 0, true), member(2, 0, false)];
    assert_eq!(
        calculate(
            Program::Dibao,
            &r,
            &top_up("rural", &[(2, "minor")]),
            Some(&away)
        ),
        Err(AmountError::UnknownMember { member_seq: 2 })
    );
    assert_eq!(
        calculate(
            Program::Dibao,
            &r,
            &AmountBasis::MonthsOfStandard {
                standard: "rural".into(),
                months: 1
            },
            Some(&poor)
        ),
        Err(AmountError::FormulaMismatch {
            program: Program::Dibao,
            expected: "top_up",
            given: "months_of_standard",
        })
    );
}

#[test]
fn tekun_is_basic_living_plus_care_by_self_care_level() {
    let r = rules(Program::Tekun);
    for (care, expected) in [
        (CareLevel::Full, 1040 + 500),
        (CareLevel::Partial, 1040 + 200),
        (CareLevel::SelfCare, 1040 + 60),
    ] {
        let c = calculate(
            Program::Tekun,
            &r,
            &AmountBasis::BasicPlusCare { care },
            None,
        )
        .unwrap();
        assert_eq!(c.amount, yuan(expected), "{care:?}");
        assert!(c.lines[1].text_zh.contains(care.name_zh()));
    }
}

#[test]
fn linshi_is_months_of_the_standard_up_to_the_cap() {
    let r = rules(Program::Linshi);
    let months = |standard: &str, months: u32| AmountBasis::MonthsOfStandard {
        standard: standard.into(),
        months,
    };
    let c = calculate(Program::Linshi, &r, &months("rural", 5), None).unwrap();
    assert_eq!(c.amount, yuan(3000));
    assert_eq!(c.payable, Payable::Once);
    assert_eq!(
        calculate(Program::Linshi, &r, &months("urban", 7), None),
        Err(AmountError::MonthsOutOfRange { months: 7, max: 6 })
    );
    assert_eq!(
        calculate(Program::Linshi, &r, &months("urban", 0), None),
        Err(AmountError::MonthsOutOfRange { months: 0, max: 6 })
    );
    // A county with a lower ceiling: the amount stops at the cap, with a line saying so.
    let set = ProfileSet::from_sources(&[
        ("profiles/national.toml", jiuzhu_domain::profile::BUILTIN[0].1),
        (
            "profiles/999999-test.toml",
            "id = \"999999-test\"\nname = \"测试县\"\nextends = \"national\"\napplies_to = [\"511526\"]\n[plan]\nsource = \"test\"\ntitle = \"测试\"\n[programs.linshi.amount]\nmax_yuan = \"4000.00\"\n",
        ),
    ])
    .expect("loads");
    let capped = set
        .get("999999-test")
        .unwrap()
        .program(Program::Linshi)
        .unwrap()
        .clone();
    let c = calculate(Program::Linshi, &capped, &months("urban", 6), None).unwrap();
    assert_eq!(c.amount, yuan(4000));
    assert_eq!(c.lines.len(), 2);
    assert!(c.lines[1].text_zh.contains("上限"));
}

#[test]
fn gaoling_pays_by_age_band() {
    let r = rules(Program::Gaoling);
    for (age, expected) in [
        (80, 50),
        (89, 50),
        (90, 100),
        (99, 100),
        (100, 300),
        (112, 300),
    ] {
        let c = calculate(Program::Gaoling, &r, &AmountBasis::AgeBand { age }, None).unwrap();
        assert_eq!(c.amount, yuan(expected), "age {age}");
    }
    assert_eq!(
        calculate(
            Program::Gaoling,
            &r,
            &AmountBasis::AgeBand { age: 79 },
            None
        ),
        Err(AmountError::AgeOutsideBands { age: 79 })
    );
}

#[test]
fn canji_nursing_subsidy_needs_a_severe_grade() {
    let r = rules(Program::Canji);
    let basis = |living, nursing, grade| AmountBasis::DisabilitySubsidy {
        living,
        nursing,
        grade,
    };
    let c = calculate(Program::Canji, &r, &basis(true, true, 2), None).unwrap();
    assert_eq!(c.amount, yuan(160));
    let c = calculate(Program::Canji, &r, &basis(true, false, 4), None).unwrap();
    assert_eq!(c.amount, yuan(80));
    assert_eq!(
        calculate(Program::Canji, &r, &basis(false, true, 3), None),
        Err(AmountError::NursingNeedsSevereGrade {
            grade: 3,
            max_grade: 2
        })
    );
    assert_eq!(
        calculate(Program::Canji, &r, &basis(false, false, 1), None),
        Err(AmountError::NoSubsidyChosen)
    );
    assert_eq!(
        calculate(Program::Canji, &r, &basis(true, false, 0), None),
        Err(AmountError::InvalidGrade { grade: 0 })
    );
}

#[test]
fn dishouru_is_a_status_without_money() {
    let r = rules(Program::Dishouru);
    let c = calculate(Program::Dishouru, &r, &AmountBasis::Status, None).unwrap();
    assert_eq!(c.amount, Fen::ZERO);
    assert_eq!(c.payable, Payable::None);
    assert!(c.lines.is_empty());
}

#[test]
fn every_error_has_a_case_code_and_a_chinese_message() {
    let errors = [
        AmountError::NeedsHomeVisit,
        AmountError::NoMembers,
        AmountError::IncomeNotBelowStandard {
            per_capita: yuan(650),
            standard: yuan(600),
        },
        AmountError::MonthsOutOfRange { months: 9, max: 6 },
        AmountError::NursingNeedsSevereGrade {
            grade: 3,
            max_grade: 2,
        },
    ];
    let mut codes = std::collections::BTreeSet::new();
    for e in errors {
        assert!(e.code().starts_with("case.amount."), "{}", e.code());
        assert!(codes.insert(e.code()));
        assert!(!e.message_zh().is_empty());
    }
    assert_eq!(
        AmountError::IncomeNotBelowStandard {
            per_capita: yuan(650),
            standard: yuan(600),
        }
        .message_zh(),
        "家庭月人均收入650.00元不低于保障标准600.00元，不应补差，请作不予批准处理"
    );
}

proptest! {
    /// The top-up plus the household's income is the standard for every member, whatever the
    /// incomes, whenever a top-up is due; otherwise the household is refused.
    #[test]
    fn top_up_fills_the_gap_exactly(incomes in prop::collection::vec(0i64..200_000, 1..8)) {
        let r = rules(Program::Dibao);
        let members: Vec<MemberFacts> = incomes
            .iter()
            .enumerate()
            .map(|(i, fen)| MemberFacts {
                monthly_income: Fen::new(*fen),
                ..member(i as i32 + 1, 0, true)
            })
            .collect();
        let total: i64 = incomes.iter().sum();
        let standard = 80_000 * incomes.len() as i64;
        match calculate(Program::Dibao, &r, &top_up("urban", &[]), Some(&members)) {
            Ok(c) => {
                prop_assert!(total < standard);
                prop_assert_eq!(c.amount.fen() + total, standard);
                prop_assert!(c.amount > Fen::ZERO);
            }
            Err(AmountError::IncomeNotBelowStandard { .. }) => prop_assert!(total >= standard),
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
    }
}
