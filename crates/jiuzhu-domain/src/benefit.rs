//! 金额核定 the amount of an approval, computed from the county profile's standards.
//!
//! Each program's profile names a formula ([`AmountRule`], `programs.<p>.amount`) over its
//! standards (`programs.<p>.standards`); the decision states the facts the formula needs
//! ([`AmountBasis`]) and [`calculate`] returns the amount in fen with every line of the
//! working ([`Calculation`]), so that a decision notice and an auditor can retrace it:
//!
//! | program | formula | amount |
//! |---|---|---|
//! | 低保 | `top_up` 补差 | standard × members living together − their monthly income, plus 分类施保 add-ons (percent of the standard per qualifying member) |
//! | 特困 | `basic_plus_care` | basic living standard + the care standard of the self-care level |
//! | 临时救助 | `months_of_standard` | months × the monthly standard, months ≤ `max_months`, the total capped at `max_yuan` |
//! | 高龄津贴 | `age_band` | the standard of the age band |
//! | 残疾人两项补贴 | `disability_subsidy` | living subsidy and/or nursing subsidy (nursing only for grades ≤ `nursing_max_grade`) |
//! | 低收入认定 | `status` | none: a recognition without money |
//!
//! Household size and income for 低保 come from the latest home visit (入户调查 or the
//! re-investigation after an objection), never from the decision's own input.

use serde::{Deserialize, Serialize};

use crate::case::MemberFacts;
use crate::profile::{AmountRule, ProgramRules, Standard, StandardUnit};
use crate::{Fen, Program};

/// The facts of a decision that the profile's formula needs; `formula` must name the
/// program's formula.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "formula", rename_all = "snake_case", deny_unknown_fields)]
pub enum AmountBasis {
    /// 低保补差 under one standard (`urban`, `rural`, …), with the members who qualify
    /// for a classified add-on (分类施保).
    TopUp {
        standard: String,
        #[serde(default)]
        add_ons: Vec<AddOnClaim>,
    },
    /// 特困 by self-care level (生活自理能力).
    BasicPlusCare { care: CareLevel },
    /// 临时救助 a number of months of one standard.
    MonthsOfStandard { standard: String, months: u32 },
    /// 高龄津贴 by the recipient's age in full years.
    AgeBand { age: u32 },
    /// 残疾人两项补贴: which subsidies, and the disability grade (1–4).
    DisabilitySubsidy {
        living: bool,
        nursing: bool,
        grade: u8,
    },
    /// 低收入认定 and other recognitions without money.
    Status,
}

impl AmountBasis {
    /// The formula's machine name, as in the profile.
    pub fn formula(&self) -> &'static str {
        match self {
            AmountBasis::TopUp { .. } => "top_up",
            AmountBasis::BasicPlusCare { .. } => "basic_plus_care",
            AmountBasis::MonthsOfStandard { .. } => "months_of_standard",
            AmountBasis::AgeBand { .. } => "age_band",
            AmountBasis::DisabilitySubsidy { .. } => "disability_subsidy",
            AmountBasis::Status => "status",
        }
    }
}

/// One member's claim to a classified add-on (分类施保).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddOnClaim {
    /// The member's sequence number, as in the home visit.
    pub member_seq: i32,
    /// The add-on's key in the profile (`severe_disability`, …).
    pub key: String,
}

/// 生活自理能力 the self-care level of a 特困 person (judged on six activities).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CareLevel {
    /// 完全丧失生活自理能力.
    Full,
    /// 部分丧失生活自理能力.
    Partial,
    /// 具备生活自理能力.
    SelfCare,
}

impl CareLevel {
    pub fn name_zh(self) -> &'static str {
        match self {
            CareLevel::Full => "完全丧失生活自理能力",
            CareLevel::Partial => "部分丧失生活自理能力",
            CareLevel::SelfCare => "具备生活自理能力",
        }
    }
}

/// How the amount is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payable {
    /// Every month from the start month (按月发放).
    Monthly,
    /// Once (一次性发放).
    Once,
    /// No money: a recognition.
    None,
}

/// One line of the working, e.g. `城市最低生活保障标准 800.00元 × 3人 = 2400.00元`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub text_zh: String,
    /// Signed: income lines subtract.
    pub amount: Fen,
}

/// The amount and its working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calculation {
    pub basis: AmountBasis,
    pub lines: Vec<Line>,
    pub amount: Fen,
    pub payable: Payable,
    /// A standard used is a demo value (演示数据), not the county's real one.
    pub demo: bool,
}

/// Why an amount cannot be computed. Messages never repeat free text of the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("the profile computes {program} amounts with `{expected}`, not `{given}`")]
    FormulaMismatch {
        program: Program,
        expected: &'static str,
        given: &'static str,
    },
    #[error("the profile has no standard `{key}` for {program}")]
    UnknownStandard { program: Program, key: String },
    #[error("the 低保 top-up needs the household's members and incomes from a home visit")]
    NeedsHomeVisit,
    #[error("no member recorded at the home visit lives with the household")]
    NoMembers,
    #[error(
        "the household's monthly income per member ({per_capita}) is not below the standard ({standard}): no top-up is due"
    )]
    IncomeNotBelowStandard { per_capita: Fen, standard: Fen },
    #[error("member {member_seq} is not a member living with the household at the home visit")]
    UnknownMember { member_seq: i32 },
    #[error("the profile has no classified add-on `{key}`")]
    UnknownAddOn { key: String },
    #[error("member {member_seq} claims add-on `{key}` twice")]
    DuplicateAddOn { member_seq: i32, key: String },
    #[error("{months} months is outside 1 to {max} months")]
    MonthsOutOfRange { months: u32, max: u32 },
    #[error("age {age} lies in no age band of the profile")]
    AgeOutsideBands { age: u32 },
    #[error("disability grade {grade} is not 1 to 4")]
    InvalidGrade { grade: u8 },
    #[error(
        "the nursing subsidy needs a severe disability (grade 1 to {max_grade}), not grade {grade}"
    )]
    NursingNeedsSevereGrade { grade: u8, max_grade: u8 },
    #[error("choose the living subsidy, the nursing subsidy or both")]
    NoSubsidyChosen,
    #[error("the amount overflows")]
    Overflow,
}

impl AmountError {
    pub fn code(&self) -> &'static str {
        match self {
            AmountError::FormulaMismatch { .. } => "case.amount.formula_mismatch",
            AmountError::UnknownStandard { .. } => "case.amount.unknown_standard",
            AmountError::NeedsHomeVisit => "case.amount.needs_home_visit",
            AmountError::NoMembers => "case.amount.no_members",
            AmountError::IncomeNotBelowStandard { .. } => "case.amount.income_not_below_standard",
            AmountError::UnknownMember { .. } => "case.amount.unknown_member",
            AmountError::UnknownAddOn { .. } => "case.amount.unknown_add_on",
            AmountError::DuplicateAddOn { .. } => "case.amount.duplicate_add_on",
            AmountError::MonthsOutOfRange { .. } => "case.amount.months_out_of_range",
            AmountError::AgeOutsideBands { .. } => "case.amount.age_outside_bands",
            AmountError::InvalidGrade { .. } => "case.amount.invalid_grade",
            AmountError::NursingNeedsSevereGrade { .. } => "case.amount.nursing_needs_severe_grade",
            AmountError::NoSubsidyChosen => "case.amount.no_subsidy_chosen",
            AmountError::Overflow => "case.amount.overflow",
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            AmountError::FormulaMismatch {
                program, expected, ..
            } => format!(
                "本县{}金额按“{}”方式核定，请按该方式填写",
                program.name_zh(),
                formula_zh(expected)
            ),
            AmountError::UnknownStandard { program, key } => {
                format!("本县{}没有“{key}”保障标准", program.name_zh())
            }
            AmountError::NeedsHomeVisit => {
                "补差金额依据入户调查核实的家庭成员和收入计算，请先录入入户调查".to_string()
            }
            AmountError::NoMembers => "入户调查未登记共同生活的家庭成员".to_string(),
            AmountError::IncomeNotBelowStandard {
                per_capita,
                standard,
            } => format!(
                "家庭月人均收入{per_capita}元不低于保障标准{standard}元，不应补差，请作不予批准处理"
            ),
            AmountError::UnknownMember { member_seq } => {
                format!("第{member_seq}号成员不是入户调查登记的共同生活成员")
            }
            AmountError::UnknownAddOn { key } => format!("本县没有“{key}”分类施保项目"),
            AmountError::DuplicateAddOn { member_seq, .. } => {
                format!("第{member_seq}号成员重复申报同一分类施保项目")
            }
            AmountError::MonthsOutOfRange { months, max } => {
                format!("救助月数{months}超出范围，应为1至{max}个月")
            }
            AmountError::AgeOutsideBands { age } => {
                format!("{age}周岁不在本县高龄津贴的年龄段内")
            }
            AmountError::InvalidGrade { grade } => format!("残疾等级{grade}无效，应为1至4级"),
            AmountError::NursingNeedsSevereGrade { grade, max_grade } => {
                format!("护理补贴仅发给残疾等级1至{max_grade}级的重度残疾人，申请人为{grade}级")
            }
            AmountError::NoSubsidyChosen => "请选择生活补贴、护理补贴或两项".to_string(),
            AmountError::Overflow => "金额超出范围".to_string(),
        }
    }
}

/// The Chinese name of a formula.
pub fn formula_zh(formula: &str) -> &'static str {
    match formula {
        "top_up" => "补差（分类施保）",
        "basic_plus_care" => "基本生活标准加照料护理标准",
        "months_of_standard" => "按标准月数计算（设上限）",
        "age_band" => "按年龄段",
        "disability_subsidy" => "按补贴类别和残疾等级",
        "status" => "仅认定身份，不发放资金",
        _ => "未知方式",
    }
}

/// Computes the amount of an approval of `program` under its profile rules. `members` are
/// the facts of the latest home visit, where there was one.
pub fn calculate(
    program: Program,
    rules: &ProgramRules,
    basis: &AmountBasis,
    members: Option<&[MemberFacts]>,
) -> Result<Calculation, AmountError> {
    let rule = &rules.amount;
    if rule.formula() != basis.formula() {
        return Err(AmountError::FormulaMismatch {
            program,
            expected: rule.formula(),
            given: basis.formula(),
        });
    }
    let standard = |key: &str| -> Result<&Standard, AmountError> {
        rules
            .standards
            .iter()
            .find(|s| s.key == key)
            .ok_or_else(|| AmountError::UnknownStandard {
                program,
                key: key.to_string(),
            })
    };
    let mut w = Working::default();
    let payable = match (rule, basis) {
        (
            AmountRule::TopUp { add_ons },
            AmountBasis::TopUp {
                standard: key,
                add_ons: claims,
            },
        ) => {
            let std = standard(key)?;
            let members = members.ok_or(AmountError::NeedsHomeVisit)?;
            let living: Vec<&MemberFacts> = members.iter().filter(|m| m.lives_together).collect();
            if living.is_empty() {
                return Err(AmountError::NoMembers);
            }
            let n = living.len() as i64;
            let income = Fen::checked_sum(living.iter().map(|m| m.monthly_income))
                .ok_or(AmountError::Overflow)?;
            let (line_std, base) = match std.per {
                StandardUnit::HouseholdMonth => {
                    (format!("{} {}元/户·月", std.name_zh, std.yuan), std.yuan)
                }
                _ => (
                    format!("{} {}元 × {n}人", std.name_zh, std.yuan),
                    times(std.yuan, n)?,
                ),
            };
            if income >= base {
                return Err(AmountError::IncomeNotBelowStandard {
                    per_capita: Fen::new(income.fen() / n),
                    standard: std.yuan,
                });
            }
            w.add(std, line_std, base);
            w.line(
                format!("减：家庭月收入 {income}元（{n}人共同生活）"),
                -income,
            );
            let mut seen = std::collections::BTreeSet::new();
            for c in claims {
                if !living.iter().any(|m| m.member_seq == c.member_seq) {
                    return Err(AmountError::UnknownMember {
                        member_seq: c.member_seq,
                    });
                }
                let add = add_ons
                    .iter()
                    .find(|a| a.key == c.key)
                    .ok_or_else(|| AmountError::UnknownAddOn { key: c.key.clone() })?;
                if !seen.insert((c.member_seq, c.key.as_str())) {
                    return Err(AmountError::DuplicateAddOn {
                        member_seq: c.member_seq,
                        key: c.key.clone(),
                    });
                }
                let amount = percent_of(std.yuan, add.percent)?;
                w.demo |= add.demo;
                w.line(
                    format!(
                        "分类施保：第{}号成员 {} {}% × {}元",
                        c.member_seq, add.name_zh, add.percent, std.yuan
                    ),
                    amount,
                );
            }
            Payable::Monthly
        }
        (
            AmountRule::BasicPlusCare {
                basic,
                care_full,
                care_partial,
                care_self,
            },
            AmountBasis::BasicPlusCare { care },
        ) => {
            let b = standard(basic)?;
            w.add(b, b.name_zh.clone(), b.yuan);
            let key = match care {
                CareLevel::Full => care_full,
                CareLevel::Partial => care_partial,
                CareLevel::SelfCare => care_self,
            };
            let c = standard(key)?;
            w.add(c, format!("{}（{}）", c.name_zh, care.name_zh()), c.yuan);
            Payable::Monthly
        }
        (
            AmountRule::MonthsOfStandard { max_months, max },
            AmountBasis::MonthsOfStandard {
                standard: key,
                months,
            },
        ) => {
            if *months == 0 || months > max_months {
                return Err(AmountError::MonthsOutOfRange {
                    months: *months,
                    max: *max_months,
                });
            }
            let std = standard(key)?;
            let full = times(std.yuan, i64::from(*months))?;
            w.add(
                std,
                format!("{} {}元 × {months}个月", std.name_zh, std.yuan),
                full,
            );
            if full > *max {
                w.line(format!("超过单次救助上限 {max}元，按上限核定"), *max - full);
            }
            Payable::Once
        }
        (AmountRule::AgeBand { bands }, AmountBasis::AgeBand { age }) => {
            let band = bands
                .iter()
                .find(|b| b.min_age <= *age && b.max_age.is_none_or(|m| *age <= m))
                .ok_or(AmountError::AgeOutsideBands { age: *age })?;
            let std = standard(&band.standard)?;
            w.add(std, format!("{}（{age}周岁）", std.name_zh), std.yuan);
            Payable::Monthly
        }
        (
            AmountRule::DisabilitySubsidy {
                living,
                nursing,
                nursing_max_grade,
            },
            AmountBasis::DisabilitySubsidy {
                living: wants_living,
                nursing: wants_nursing,
                grade,
            },
        ) => {
            if !(1..=4).contains(grade) {
                return Err(AmountError::InvalidGrade { grade: *grade });
            }
            if !wants_living && !wants_nursing {
                return Err(AmountError::NoSubsidyChosen);
            }
            if *wants_nursing && grade > nursing_max_grade {
                return Err(AmountError::NursingNeedsSevereGrade {
                    grade: *grade,
                    max_grade: *nursing_max_grade,
                });
            }
            if *wants_living {
                let s = standard(living)?;
                w.add(s, s.name_zh.clone(), s.yuan);
            }
            if *wants_nursing {
                let s = standard(nursing)?;
                w.add(s, format!("{}（残疾等级{grade}级）", s.name_zh), s.yuan);
            }
            Payable::Monthly
        }
        (AmountRule::Status, AmountBasis::Status) => Payable::None,
        _ => unreachable!("formula names were compared above"),
    };
    let amount = Fen::checked_sum(w.lines.iter().map(|l| l.amount)).ok_or(AmountError::Overflow)?;
    Ok(Calculation {
        basis: basis.clone(),
        lines: w.lines,
        amount,
        payable,
        demo: w.demo,
    })
}

#[derive(Default)]
struct Working {
    lines: Vec<Line>,
    demo: bool,
}

impl Working {
    fn add(&mut self, std: &Standard, text_zh: String, amount: Fen) {
        self.demo |= std.demo;
        self.line(text_zh, amount);
    }

    fn line(&mut self, text_zh: String, amount: Fen) {
        self.lines.push(Line { text_zh, amount });
    }
}

fn times(a: Fen, n: i64) -> Result<Fen, AmountError> {
    a.checked_mul(n).ok_or(AmountError::Overflow)
}

/// `percent`% of `a`, rounded half up to the fen.
fn percent_of(a: Fen, percent: u32) -> Result<Fen, AmountError> {
    a.fen()
        .checked_mul(i64::from(percent))
        .and_then(|x| x.checked_add(50))
        .map(|x| Fen::new(x.div_euclid(100)))
        .ok_or(AmountError::Overflow)
}
