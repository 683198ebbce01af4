//! 动态管理 dynamic management of recipients: what a monthly visit (走访) reports, when a
//! household is due for its re-check (复核), and what a re-check means for the amount
//! (增发/减发/停发, or the 渐退期 gradual exit where the profile allows it).
//!
//! A re-check recomputes the amount with the same formula and standards as the approval
//! ([`crate::benefit::calculate`]), from the facts found at the re-check's home visit and the
//! approval's own basis, so a notice can show the working exactly as a decision does.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::benefit::{AmountBasis, AmountError, Calculation, calculate};
use crate::case::MemberFacts;
use crate::profile::ProgramRules;
use crate::{Fen, Program};

/// Longest note of a visit or finding of a re-check, in characters.
pub const MAX_NOTE_CHARS: usize = 1000;

/// What changed in a recipient household, as a visit reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// 收入变化
    Income,
    /// 人口变化 (birth, marriage, someone moved in or out)
    Members,
    /// 财产变化
    Assets,
    /// 住址变化
    Address,
    /// 死亡
    Death,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 5] = [
        ChangeKind::Income,
        ChangeKind::Members,
        ChangeKind::Assets,
        ChangeKind::Address,
        ChangeKind::Death,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Income => "income",
            ChangeKind::Members => "members",
            ChangeKind::Assets => "assets",
            ChangeKind::Address => "address",
            ChangeKind::Death => "death",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeKind> {
        ChangeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            ChangeKind::Income => "收入变化",
            ChangeKind::Members => "人口变化",
            ChangeKind::Assets => "财产变化",
            ChangeKind::Address => "住址变化",
            ChangeKind::Death => "成员死亡",
        }
    }
}

/// Why a visit report is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VisitError {
    #[error("a visit is either a zero report or reports at least one change, not both")]
    ZeroReportWithChanges,
    #[error("a visit that is not a zero report must name what changed")]
    NoChange,
    #[error("the visit on {visited_on} is not in the month it reports ({month_start} onwards)")]
    OutsideMonth {
        visited_on: NaiveDate,
        month_start: NaiveDate,
    },
}

impl VisitError {
    pub fn code(&self) -> &'static str {
        match self {
            VisitError::ZeroReportWithChanges | VisitError::NoChange => "dynamic.visit_outcome",
            VisitError::OutsideMonth { .. } => "dynamic.visit_date",
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            VisitError::ZeroReportWithChanges => {
                "零报告表示本月无变化，不能同时登记变化情况".to_string()
            }
            VisitError::NoChange => "请选择零报告，或勾选发现的变化情况".to_string(),
            VisitError::OutsideMonth { visited_on, .. } => {
                format!("走访日期{visited_on}不在所报告的月份内")
            }
        }
    }
}

/// Checks a visit report: a zero report (零报告) names no change; otherwise at least one;
/// the visit falls in the month it reports (`month_start` is that month's first day).
pub fn check_visit(
    zero_report: bool,
    changes: &[ChangeKind],
    visited_on: NaiveDate,
    month_start: NaiveDate,
) -> Result<(), VisitError> {
    match (zero_report, changes.is_empty()) {
        (true, false) => return Err(VisitError::ZeroReportWithChanges),
        (false, true) => return Err(VisitError::NoChange),
        _ => {}
    }
    let next = month_start
        .checked_add_months(Months::new(1))
        .unwrap_or(NaiveDate::MAX);
    if visited_on < month_start || visited_on >= next {
        return Err(VisitError::OutsideMonth {
            visited_on,
            month_start,
        });
    }
    Ok(())
}

/// The months between re-checks of a program's recipients under the profile: yearly for
/// households with stable income or members who cannot work, otherwise the shorter
/// interval. `None` when the program has no re-check rule.
pub fn recheck_interval(rules: &ProgramRules, stable: bool) -> Option<u32> {
    let d = rules.dynamic.as_ref()?;
    let months = if stable {
        d.recheck_stable_months
    } else {
        d.recheck_other_months
    };
    (months > 0).then_some(months)
}

/// The day a re-check is next due, `months` after `from` (the last re-check, or the first
/// day paid for a household never re-checked); the end of a shorter month where the day
/// does not exist.
pub fn next_recheck(from: NaiveDate, months: u32) -> NaiveDate {
    from.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// What a re-check means for the monthly amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Assessment {
    /// The amount stays as it is.
    Unchanged { amount: Fen },
    /// 增发 a higher amount, with its working.
    Increase { calculation: Calculation },
    /// 减发 a lower amount, with its working.
    Reduce { calculation: Calculation },
    /// 渐退 the household's income is no longer below the standard: the current amount is
    /// paid for `months` more months, then stopped.
    GradualExit { months: u32, reason_zh: String },
    /// 停发 from the next month that can still change.
    Stop { reason_zh: String },
}

impl Assessment {
    pub fn name(&self) -> &'static str {
        match self {
            Assessment::Unchanged { .. } => "unchanged",
            Assessment::Increase { .. } => "increase",
            Assessment::Reduce { .. } => "reduce",
            Assessment::GradualExit { .. } => "gradual_exit",
            Assessment::Stop { .. } => "stop",
        }
    }

    pub fn name_zh(&self) -> &'static str {
        match self {
            Assessment::Unchanged { .. } => "维持原待遇",
            Assessment::Increase { .. } => "增发",
            Assessment::Reduce { .. } => "减发",
            Assessment::GradualExit { .. } => "渐退后停发",
            Assessment::Stop { .. } => "停发",
        }
    }

    /// The monthly amount from the change on (what the household keeps during a gradual
    /// exit; zero after a stop).
    pub fn new_amount(&self, current: Fen) -> Fen {
        match self {
            Assessment::Unchanged { amount } => *amount,
            Assessment::Increase { calculation } | Assessment::Reduce { calculation } => {
                calculation.amount
            }
            Assessment::GradualExit { .. } => current,
            Assessment::Stop { .. } => Fen::ZERO,
        }
    }
}

/// Assesses a re-check of a household receiving `current` a month under `program`.
///
/// `eligible == false` (the household no longer meets the program's conditions: death,
/// moved away, no longer 特困, …) stops the payment. Otherwise the amount is computed again
/// with the approval's `basis` and, for the 低保 top-up, the `members` found at the
/// re-check's home visit (classified add-ons of members no longer living with the household
/// fall away). A 低保 household whose income is no longer below the standard leaves the
/// program, after the profile's gradual-exit period (渐退期) where there is one.
pub fn assess(
    program: Program,
    rules: &ProgramRules,
    basis: &AmountBasis,
    members: &[MemberFacts],
    current: Fen,
    eligible: bool,
) -> Result<Assessment, AmountError> {
    if !eligible {
        return Ok(Assessment::Stop {
            reason_zh: "经复核，家庭已不再符合救助条件".to_string(),
        });
    }
    let basis = match basis {
        AmountBasis::TopUp { standard, add_ons } => AmountBasis::TopUp {
            standard: standard.clone(),
            add_ons: add_ons
                .iter()
                .filter(|c| {
                    members
                        .iter()
                        .any(|m| m.member_seq == c.member_seq && m.lives_together)
                })
                .cloned()
                .collect(),
        },
        other => other.clone(),
    };
    let facts = (!members.is_empty()).then_some(members);
    match calculate(program, rules, &basis, facts) {
        Ok(calculation) if calculation.amount > current => Ok(Assessment::Increase { calculation }),
        Ok(calculation) if calculation.amount < current && calculation.amount > Fen::ZERO => {
            Ok(Assessment::Reduce { calculation })
        }
        Ok(calculation) if calculation.amount == Fen::ZERO => Ok(Assessment::Stop {
            reason_zh: "经复核，核定救助金额为零".to_string(),
        }),
        Ok(_) => Ok(Assessment::Unchanged { amount: current }),
        Err(AmountError::IncomeNotBelowStandard {
            per_capita,
            standard,
        }) => {
            let reason_zh =
                format!("经复核，家庭月人均收入{per_capita}元已不低于保障标准{standard}元");
            let months = rules
                .dynamic
                .as_ref()
                .map(|d| d.gradual_exit_months)
                .unwrap_or(0);
            Ok(if months > 0 {
                Assessment::GradualExit { months, reason_zh }
            } else {
                Assessment::Stop { reason_zh }
            })
        }
        Err(AmountError::NoMembers) => Ok(Assessment::Stop {
            reason_zh: "经复核，家庭已无共同生活的成员".to_string(),
        }),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Relation;
    use crate::profile::ProfileSet;

    fn member(seq: i32, income_yuan: i64, lives: bool) -> MemberFacts {
        MemberFacts {
            member_seq: seq,
            relation: if seq == 1 {
                Relation::Head
            } else {
                Relation::Child
            },
            lives_together: lives,
            able_to_work: false,
            monthly_income: Fen::new(income_yuan * 100),
            note: String::new(),
        }
    }

    fn gongxian_dibao() -> ProgramRules {
        let profiles = ProfileSet::builtin().expect("built-in profiles load");
        let county = crate::DivisionCode::parse("511526").unwrap();
        profiles
            .profile_for(&county)
            .and_then(|p| p.program(Program::Dibao))
            .cloned()
            .expect("珙县 has 低保 rules")
    }

    fn top_up(rules: &ProgramRules) -> AmountBasis {
        AmountBasis::TopUp {
            standard: rules.standards[0].key.clone(),
            add_ons: vec![],
        }
    }

    #[test]
    fn higher_income_reduces_and_lower_income_increases_the_top_up() {
        let rules = gongxian_dibao();
        let basis = top_up(&rules);
        let before = calculate(
            Program::Dibao,
            &rules,
            &basis,
            Some(&[member(1, 100, true), member(2, 0, true)]),
        )
        .unwrap()
        .amount;
        let more = [member(1, 250, true), member(2, 0, true)];
        let a = assess(Program::Dibao, &rules, &basis, &more, before, true).unwrap();
        let Assessment::Reduce { calculation } = &a else {
            panic!("expected a reduction, got {a:?}");
        };
        assert_eq!(calculation.amount, before - Fen::new(15_000));
        assert_eq!(a.new_amount(before), before - Fen::new(15_000));

        let less = [member(1, 0, true), member(2, 0, true)];
        let a = assess(Program::Dibao, &rules, &basis, &less, before, true).unwrap();
        assert!(matches!(a, Assessment::Increase { .. }), "{a:?}");

        let same = [member(1, 100, true), member(2, 0, true)];
        let a = assess(Program::Dibao, &rules, &basis, &same, before, true).unwrap();
        assert_eq!(a, Assessment::Unchanged { amount: before });
    }

    #[test]
    fn income_above_the_standard_exits_gradually_where_the_profile_allows() {
        let mut rules = gongxian_dibao();
        let basis = top_up(&rules);
        let rich = [member(1, 100_000, true)];
        let a = assess(
            Program::Dibao,
            &rules,
            &basis,
            &rich,
            Fen::new(30_000),
            true,
        )
        .unwrap();
        let months = rules.dynamic.as_ref().unwrap().gradual_exit_months;
        assert!(months > 0);
        assert!(matches!(a, Assessment::GradualExit { months: m, .. } if m == months));
        assert_eq!(a.new_amount(Fen::new(30_000)), Fen::new(30_000));

        rules.dynamic.as_mut().unwrap().gradual_exit_months = 0;
        let a = assess(
            Program::Dibao,
            &rules,
            &basis,
            &rich,
            Fen::new(30_000),
            true,
        )
        .unwrap();
        assert!(matches!(a, Assessment::Stop { .. }), "{a:?}");
        assert_eq!(a.new_amount(Fen::new(30_000)), Fen::ZERO);
    }

    #[test]
    fn not_eligible_or_nobody_left_stops() {
        let rules = gongxian_dibao();
        let basis = top_up(&rules);
        let a = assess(Program::Dibao, &rules, &basis, &[], Fen::new(1), false).unwrap();
        assert!(matches!(a, Assessment::Stop { .. }));
        let gone = [member(1, 0, false)];
        let a = assess(Program::Dibao, &rules, &basis, &gone, Fen::new(1), true).unwrap();
        assert!(matches!(a, Assessment::Stop { .. }));
        // Without the home visit's facts the top-up cannot be computed: an error, not a stop.
        assert_eq!(
            assess(Program::Dibao, &rules, &basis, &[], Fen::new(1), true),
            Err(AmountError::NeedsHomeVisit)
        );
    }

    #[test]
    fn re_checks_are_yearly_for_stable_households_and_the_due_day_clamps() {
        let rules = gongxian_dibao();
        let d = rules.dynamic.clone().unwrap();
        assert_eq!(
            recheck_interval(&rules, true),
            Some(d.recheck_stable_months)
        );
        assert_eq!(
            recheck_interval(&rules, false),
            Some(d.recheck_other_months)
        );
        let aug31 = NaiveDate::from_ymd_opt(2026, 8, 31).unwrap();
        assert_eq!(
            next_recheck(aug31, 6),
            NaiveDate::from_ymd_opt(2027, 2, 28).unwrap()
        );
    }

    #[test]
    fn a_visit_is_a_zero_report_or_names_a_change_within_its_month() {
        let m = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(check_visit(true, &[], d, m), Ok(()));
        assert_eq!(check_visit(false, &[ChangeKind::Income], d, m), Ok(()));
        assert_eq!(
            check_visit(true, &[ChangeKind::Death], d, m),
            Err(VisitError::ZeroReportWithChanges)
        );
        assert_eq!(check_visit(false, &[], d, m), Err(VisitError::NoChange));
        let dec1 = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert!(matches!(
            check_visit(true, &[], dec1, m),
            Err(VisitError::OutsideMonth { .. })
        ));
        for k in ChangeKind::ALL {
            assert_eq!(ChangeKind::parse(k.as_str()), Some(k));
        }
    }
}
