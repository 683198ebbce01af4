//! 程序配置 procedure profiles: each county's plan as data.
//!
//! A county plan (实施方案) decides which programs its townships confirm, from which date,
//! up to which amount, in which order the steps run, which steps exist and how long each
//! may take. jiuzhu reads every plan as a profile file (TOML, in `profiles/` at the
//! repository root, format in `profiles/README.md`) instead of branching on the county in
//! code.
//!
//! Profiles are layered: `national.toml` holds the national rules (DOMAIN.md §10) and a
//! county profile that says `extends = "national"` states only what its plan changes. The
//! *effective* rules of a county are the base with the county's values deep-merged on top
//! (tables merge key by key, arrays and scalars replace), then read into the typed
//! [`EffectiveProfile`] and checked. Errors name the file, the key and the reason
//! ([`ProfileError`]).
//!
//! This module is pure: it parses strings. The built-in profiles are compiled in with
//! `include_str!`; `jiuzhu profile check FILE` reads other files in the CLI.

mod load;
mod serde_util;
mod validate;

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::deadline::Period;
use crate::{DivisionCode, DivisionLevel, Fen, Program};

/// The profiles compiled into jiuzhu: the national base and one per seed plan, as
/// `(file name, text)`.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "profiles/national.toml",
        include_str!("../../../../profiles/national.toml"),
    ),
    (
        "profiles/640181-lingwu.toml",
        include_str!("../../../../profiles/640181-lingwu.toml"),
    ),
    (
        "profiles/650205-wuerhe.toml",
        include_str!("../../../../profiles/650205-wuerhe.toml"),
    ),
    (
        "profiles/330212-yinzhou.toml",
        include_str!("../../../../profiles/330212-yinzhou.toml"),
    ),
    (
        "profiles/511526-gongxian.toml",
        include_str!("../../../../profiles/511526-gongxian.toml"),
    ),
    (
        "profiles/370900-taian.toml",
        include_str!("../../../../profiles/370900-taian.toml"),
    ),
];

// ---------------------------------------------------------------------------- errors

/// Why a profile file was refused: the file, the line where known, the key (dotted path,
/// `programs.linshi.delegation.cap_yuan`, `…phases[1].from`) and the reason.
///
/// Displayed as `profiles/511526-gongxian.toml:31: programs.linshi.delegation.cap_yuan: must
/// be a positive amount`. A TOML syntax error has no key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ProfileError {
    pub file: String,
    /// 1-based line in `file`, where the key (or the nearest enclosing table) is written.
    pub line: Option<usize>,
    /// Dotted key path; empty for syntax errors.
    pub key: String,
    pub reason: String,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Something legal but worth a look (e.g. step deadlines that add up to more than the
/// whole-procedure limit, as in seed 001 under the national 20-working-day rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileWarning {
    pub file: String,
    pub key: String,
    pub message: String,
}

impl fmt::Display for ProfileWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.key, self.message)
    }
}

// ---------------------------------------------------------------------------- the profile

/// The effective rules of one profile: its own values over those of the profile it extends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectiveProfile {
    /// Machine name, e.g. `511526-gongxian`; `national` for the base.
    pub id: String,
    /// Display name, e.g. 珙县.
    pub name: String,
    /// The profile this one is layered on (`national`); `None` for a base profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// 适用县级单位 the 6-digit county-level codes this profile governs (empty for the base).
    #[serde(default, with = "serde_util::codes")]
    pub applies_to: Vec<DivisionCode>,
    /// 方案 the plan the profile was written from.
    pub plan: PlanRef,
    /// 监督 county supervision.
    pub supervision: Supervision,
    /// 资金发放 rosters and payment.
    pub payment: Payment,
    /// 统筹 coordination between departments and tiers.
    pub coordination: Coordination,
    /// Rules per program, keyed by machine name (`dibao`, `tekun`, …).
    pub programs: BTreeMap<Program, ProgramRules>,
    /// The files this profile was assembled from, base first.
    #[serde(skip)]
    pub files: Vec<String>,
}

impl EffectiveProfile {
    /// The rules of one program, if the profile (or its base) defines it.
    pub fn program(&self, program: Program) -> Option<&ProgramRules> {
        self.programs.get(&program)
    }

    /// The programs whose confirmation the county delegates, with their rules.
    pub fn delegated_programs(&self) -> impl Iterator<Item = (Program, &DelegationRule)> {
        self.programs
            .iter()
            .filter(|(_, r)| r.delegation.delegated)
            .map(|(p, r)| (*p, &r.delegation))
    }

    /// Whether this profile governs the county of `code` (county, township or village).
    pub fn applies_to_code(&self, code: &DivisionCode) -> bool {
        code.county()
            .is_some_and(|county| self.applies_to.contains(&county))
    }

    /// Whether the township of `code` (a township, or a village in it) confirms `program` on
    /// `date` under this profile: the county is one this profile governs and the phase in
    /// force covers the township. Amounts are a separate question
    /// ([`DelegationRule::county_decides_amount`]).
    pub fn township_confirms(
        &self,
        program: Program,
        code: &DivisionCode,
        date: NaiveDate,
    ) -> bool {
        self.applies_to_code(code)
            && self
                .program(program)
                .is_some_and(|r| r.delegation.township_holds(code, date))
    }

    /// County-wide settings: 监督.
    pub fn supervision(&self) -> &Supervision {
        &self.supervision
    }

    /// County-wide settings: 资金发放.
    pub fn payment(&self) -> &Payment {
        &self.payment
    }

    /// The effective rules as a TOML document in the profile format (a valid base profile).
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string_pretty(self)
    }
}

/// 方案 the source of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRef {
    /// Where the plan is kept, e.g. `seed 003`.
    pub source: String,
    /// The plan's title.
    pub title: String,
    /// 发文机关 issuing office.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// 文号 document number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_no: Option<String>,
    /// 成文日期 date of the plan.
    #[serde(
        default,
        with = "serde_util::date_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub date: Option<NaiveDate>,
}

/// 监督管理 what the county checks and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supervision {
    /// 备案抽查比例 percent (0–100) of township decisions the county spot-checks.
    pub spot_check_percent: u32,
    /// 分项目最低抽查比例: a program whose national rule asks for more than the county's
    /// rate (特困 ≥30%, 民发〔2021〕43号) is sampled at the higher of the two. Keys are
    /// program names (`tekun = 30`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub spot_check_program_percent: std::collections::BTreeMap<crate::Program, u32>,
    /// 近亲属备案 townships file cases of staff's near relatives.
    pub near_relative_filing: bool,
    /// 监督举报电话 a published hotline.
    pub hotline: bool,
    /// 保密协议 verification staff sign confidentiality agreements.
    pub verifier_confidentiality: bool,
    /// 失信记录 concealment is recorded in the credit system.
    pub dishonesty_record: bool,
    /// 每月走访 village visits recipients monthly.
    pub monthly_visits: bool,
    /// 零报告 the village reports monthly even when nothing changed.
    pub zero_report: bool,
    /// 与财务台账信息一致率 minimum percent of platform records matching the finance ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_consistency_min_percent: Option<u32>,
    /// 问题数据提示率 maximum percent of records flagged as problem data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem_data_max_percent: Option<u32>,
    /// 培训 minimum training sessions per year for village and township staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_per_year_min: Option<u32>,
    /// 答复期限 a public objection or report is answered within this period.
    pub report_answer: Period,
}

/// 资金发放 rosters and disbursement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// 花名册 townships submit the month's roster to the county by this day (1–28).
    pub roster_cutoff_day: u32,
    /// 受托金融机构 the bank credits each recipient's account within this period.
    pub bank_transfer: Period,
    /// Payments are labelled with the program name (注明发放资金项目名称).
    pub label_program: bool,
    /// 临时救助备用金 townships hold a reserve fund for temporary assistance.
    pub reserve_fund: bool,
}

/// 统筹 coordination across departments and tiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coordination {
    /// 一门受理、协同办理 one township window takes every application.
    pub one_window: bool,
    /// 社会救助代理窗口 villages run an agent window.
    pub village_agent_window: bool,
    /// 联席会议 a joint meeting of member departments.
    pub joint_meeting: bool,
    /// 项目会审 departments' assistance projects and budgets are reviewed jointly.
    pub project_joint_review: bool,
    /// 统筹信息平台 one platform shows every department's assistance to a household, to
    /// catch 重复救助、救助过度、救助缺失.
    pub cross_department_platform: bool,
}

// ---------------------------------------------------------------------------- programs

/// The rules of one program in one county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramRules {
    /// 先申请后核对 or 先核对后申请.
    pub order: StepOrder,
    /// 审核确认权限下放 who confirms.
    pub delegation: DelegationRule,
    /// Which steps exist and their deadlines.
    pub steps: Steps,
    /// 办理时限 whole-procedure limits.
    pub limits: Limits,
    /// 急难型 emergency rules (临时救助 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency: Option<EmergencyRules>,
    /// 动态管理 re-checks and gradual exit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic: Option<DynamicRules>,
    /// 申请材料 the materials checklist, in the order the applicant is told.
    #[serde(default)]
    pub materials: Vec<Material>,
    /// 保障标准 amount standards.
    #[serde(default)]
    pub standards: Vec<Standard>,
    /// 金额核定 how an approval's amount is computed from the standards.
    pub amount: AmountRule,
}

impl ProgramRules {
    /// The whole-procedure limit that applies to a case: where the township confirms
    /// (`delegated`), the shorter of the general and the delegated limit.
    pub fn whole_limit(&self, delegated: bool) -> Option<Period> {
        self.limits.whole_for(delegated)
    }
}

/// 程序顺序 whether the application or the economic check comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOrder {
    /// 先申请后核对: application, then investigation and economic check.
    ApplyFirst,
    /// 先核对、后申请 (seed 004): the check runs on the applicant's authorization first; only
    /// if it passes is the applicant invited to apply, otherwise the reasons are explained.
    VerifyFirst,
}

impl StepOrder {
    pub fn name_zh(self) -> &'static str {
        match self {
            StepOrder::ApplyFirst => "先申请、后核对",
            StepOrder::VerifyFirst => "先核对、后申请",
        }
    }
}

/// 审核确认权限下放 whether and to whom a program's confirmation is delegated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegationRule {
    pub delegated: bool,
    /// Phases in date order: from `from` on, the listed townships (or all townships of the
    /// county) hold the authority.
    #[serde(default)]
    pub phases: Vec<DelegationPhase>,
    /// Amounts strictly above the cap are decided by the county (e.g. 珙县 临时救助 3000
    /// yuan: 3000.00 is township, 3000.01 county). Written `cap_yuan = "3000.00"`.
    #[serde(
        rename = "cap_yuan",
        default,
        with = "serde_util::yuan_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub cap: Option<Fen>,
}

impl DelegationRule {
    /// The phase in force on `date`: the last one that started on or before it.
    pub fn phase_on(&self, date: NaiveDate) -> Option<&DelegationPhase> {
        if !self.delegated {
            return None;
        }
        self.phases.iter().rev().find(|p| p.from <= date)
    }

    /// Whether the township of `code` (a township or a village in it) holds the authority on
    /// `date`. The caller checks that the township lies in the profile's county.
    pub fn township_holds(&self, code: &DivisionCode, date: NaiveDate) -> bool {
        self.phase_on(date)
            .is_some_and(|p| p.townships.includes(code))
    }

    /// Whether an amount is above the cap, so that the county decides it.
    pub fn county_decides_amount(&self, amount: Fen) -> bool {
        self.cap.is_some_and(|cap| amount > cap)
    }
}

/// One step of a phased delegation (试点 pilot, 全域推开 rollout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegationPhase {
    /// First day on which the townships hold the authority (TOML date `2020-05-01`).
    #[serde(with = "serde_util::date")]
    pub from: NaiveDate,
    /// `"all"` or a list of 12-digit township codes.
    pub townships: TownshipSet,
    #[serde(default)]
    pub note: String,
}

/// The townships a phase covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TownshipSet {
    /// Every township and street office of the county (written `"all"`).
    All,
    /// These townships (12-digit codes).
    Listed(Vec<DivisionCode>),
}

impl TownshipSet {
    /// Whether `code` (a township, or a village within one) is covered. `All` covers any
    /// township-level or village-level code; the caller checks the county.
    pub fn includes(&self, code: &DivisionCode) -> bool {
        match self {
            TownshipSet::All => matches!(
                code.level(),
                DivisionLevel::Township | DivisionLevel::Village
            ),
            TownshipSet::Listed(list) => list.iter().any(|t| t.contains(code)),
        }
    }
}

/// Which steps exist, with their deadlines. Each deadline counts from the event that
/// starts it, as the plans word it (see the field docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Steps {
    /// 初审 the village/residents' committee reviews the application first (seed 000).
    pub village_review: bool,
    /// 民主评议 democratic appraisal.
    pub appraisal: Appraisal,
    /// 家庭经济状况核对 economic status check.
    pub economic_check: EconomicCheck,
    /// 调查核实 / 入户调查 investigation and home visit.
    pub investigation: Investigation,
    /// 审核 the township's review opinion.
    pub review: Review,
    /// 公示 public notice before the decision.
    pub notice: Notice,
    /// 确认 / 审批 the decision.
    pub decision: Decision,
    /// 公开 disclosure after the decision.
    pub disclosure: Disclosure,
}

/// 民主评议 when democratic appraisal is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Appraisal {
    /// In every case.
    Always,
    /// Only where a notice draws an objection or the facts are disputed (national rule; seed
    /// 001 "有争议"; seed 004 after the post-decision posting).
    OnObjection,
    /// Never.
    Never,
}

impl Appraisal {
    pub fn name_zh(self) -> &'static str {
        match self {
            Appraisal::Always => "每案评议",
            Appraisal::OnObjection => "有异议或争议时评议",
            Appraisal::Never => "不评议",
        }
    }
}

/// 家庭经济状况核对.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EconomicCheck {
    /// The check centre answers within this period of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Period>,
}

/// 调查核实 investigation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Investigation {
    /// 入户调查 a home visit is part of the investigation.
    pub home_visit: bool,
    /// Percent (0–100) of cases that get a home visit.
    pub home_visit_percent: u32,
    /// Investigators per home visit (at least 2 by national rule).
    pub min_investigators: u32,
    /// The investigation starts within this period of acceptance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_within: Option<Period>,
    /// The investigation is complete within this period of acceptance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Period>,
}

/// 审核 the township's review opinion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// Signed within this period after the home visit ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Period>,
}

/// 公示 public notice before the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    /// Whether the proposed approval is posted before the decision.
    pub before_decision: bool,
    /// How long it stays posted (`"7wd"` working days, `"7d"` calendar days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<Period>,
}

/// 确认 the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Within this period after the notice ends without objection (or, with no notice, of
    /// receiving the reviewed file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Period>,
    /// After an objection: re-investigation and a decision within this period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_objection: Option<Period>,
    /// 不予批准 written notice of refusal with reasons within this period of the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal_notice: Option<Period>,
}

/// 公开 what is published after the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disclosure {
    /// The result is posted after the decision.
    pub after_decision: bool,
    /// 长期公示 recipients stay published while they receive the benefit.
    pub long_term: bool,
}

/// 办理时限 whole-procedure limits, from acceptance to decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whole: Option<Period>,
    /// 特殊情况 the extended limit for special cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whole_special: Option<Period>,
    /// The limit where the township confirms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whole_when_delegated: Option<Period>,
}

impl Limits {
    /// The limit for a case: `whole`, and where the township confirms also
    /// `whole_when_delegated`, whichever is shorter (when they are in the same unit).
    pub fn whole_for(&self, delegated: bool) -> Option<Period> {
        let delegated_limit = if delegated {
            self.whole_when_delegated
        } else {
            None
        };
        match (self.whole, delegated_limit) {
            (Some(a), Some(b)) => Some(match period_cmp(a, b) {
                Some(std::cmp::Ordering::Greater) => b,
                Some(_) => a,
                None => b,
            }),
            (a, b) => b.or(a),
        }
    }
}

/// Compares two periods of the same unit.
pub(crate) fn period_cmp(a: Period, b: Period) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Period::WorkingDays(x), Period::WorkingDays(y))
        | (Period::CalendarDays(x), Period::CalendarDays(y))
        | (Period::Hours(x), Period::Hours(y)) => Some(x.cmp(&y)),
        _ => None,
    }
}

/// 急难型临时救助 emergency rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyRules {
    /// 先行救助 help first, paperwork after.
    pub help_first: bool,
    /// The economic check may be skipped before help.
    pub skip_check: bool,
    /// Help is given within this period of the report (seed 004: 24 hours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help_within: Option<Period>,
    /// The paperwork is completed within this period of the help (seed 004: 5 working days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paperwork_within: Option<Period>,
}

/// 动态管理 re-checks and exit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamicRules {
    /// Households with stable income or members who cannot work: re-check every N months.
    pub recheck_stable_months: u32,
    /// Other households: re-check every N months.
    pub recheck_other_months: u32,
    /// 渐退期 months a household above the standard keeps the allowance (0 = none, ≤6).
    pub gradual_exit_months: u32,
}

/// One item of a materials checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Material {
    /// Stable machine key (`application_form`).
    pub key: String,
    pub name_zh: String,
    pub required: bool,
}

/// 保障标准 one amount standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standard {
    pub key: String,
    pub name_zh: String,
    /// The amount, written in yuan as a string (`yuan = "800.00"`).
    #[serde(with = "serde_util::yuan")]
    pub yuan: Fen,
    pub per: StandardUnit,
    /// A placeholder no plan states: shown as 演示数据 and to be replaced by the county.
    #[serde(default)]
    pub demo: bool,
}

/// What a standard amount is counted per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StandardUnit {
    /// 每人每月.
    PersonMonth,
    /// 每户每月.
    HouseholdMonth,
    /// 一次性.
    Once,
}

impl StandardUnit {
    pub fn name_zh(self) -> &'static str {
        match self {
            StandardUnit::PersonMonth => "元/人·月",
            StandardUnit::HouseholdMonth => "元/户·月",
            StandardUnit::Once => "元/次",
        }
    }
}

/// 金额核定 the formula of a program's amounts (see [`crate::benefit`]); written as a table
/// with `formula = "…"` and the formula's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "formula", rename_all = "snake_case", deny_unknown_fields)]
pub enum AmountRule {
    /// 低保补差: standard × members − income, plus classified add-ons (分类施保).
    TopUp {
        #[serde(default)]
        add_ons: Vec<AddOn>,
    },
    /// 特困: basic living standard plus the care standard of the self-care level; the
    /// values are standard keys.
    BasicPlusCare {
        basic: String,
        care_full: String,
        care_partial: String,
        care_self: String,
    },
    /// 临时救助: months × a monthly standard, at most `max_months`, capped at `max_yuan`.
    MonthsOfStandard {
        max_months: u32,
        #[serde(rename = "max_yuan", with = "serde_util::yuan")]
        max: Fen,
    },
    /// 高龄津贴 by age band.
    AgeBand { bands: Vec<AgeBand> },
    /// 残疾人两项补贴: the standard keys of the two subsidies and the most severe grade
    /// that stops the nursing subsidy (2: grades 1 and 2).
    DisabilitySubsidy {
        living: String,
        nursing: String,
        nursing_max_grade: u8,
    },
    /// A recognition without money (低收入认定).
    Status,
}

impl AmountRule {
    /// The formula's machine name.
    pub fn formula(&self) -> &'static str {
        match self {
            AmountRule::TopUp { .. } => "top_up",
            AmountRule::BasicPlusCare { .. } => "basic_plus_care",
            AmountRule::MonthsOfStandard { .. } => "months_of_standard",
            AmountRule::AgeBand { .. } => "age_band",
            AmountRule::DisabilitySubsidy { .. } => "disability_subsidy",
            AmountRule::Status => "status",
        }
    }

    /// The standard keys the rule names, with their dotted key below `amount`.
    pub fn standard_keys(&self) -> Vec<(String, &str)> {
        match self {
            AmountRule::BasicPlusCare {
                basic,
                care_full,
                care_partial,
                care_self,
            } => vec![
                ("basic".to_string(), basic.as_str()),
                ("care_full".to_string(), care_full.as_str()),
                ("care_partial".to_string(), care_partial.as_str()),
                ("care_self".to_string(), care_self.as_str()),
            ],
            AmountRule::AgeBand { bands } => bands
                .iter()
                .enumerate()
                .map(|(i, b)| (format!("bands[{i}].standard"), b.standard.as_str()))
                .collect(),
            AmountRule::DisabilitySubsidy {
                living, nursing, ..
            } => vec![
                ("living".to_string(), living.as_str()),
                ("nursing".to_string(), nursing.as_str()),
            ],
            AmountRule::TopUp { .. } | AmountRule::MonthsOfStandard { .. } | AmountRule::Status => {
                Vec::new()
            }
        }
    }
}

/// 分类施保 a classified add-on: a percent of the standard per qualifying member and month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddOn {
    pub key: String,
    pub name_zh: String,
    pub percent: u32,
    #[serde(default)]
    pub demo: bool,
}

/// 年龄段 one age band of the 高龄津贴.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeBand {
    pub min_age: u32,
    /// Inclusive; none for the open top band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u32>,
    /// The standard's key.
    pub standard: String,
}

// ---------------------------------------------------------------------------- the set

/// The loaded, validated profiles, and which county each governs.
#[derive(Debug, Clone)]
pub struct ProfileSet {
    profiles: Vec<EffectiveProfile>,
    by_county: BTreeMap<DivisionCode, usize>,
    warnings: Vec<ProfileWarning>,
}

/// The outcome of checking one file: its effective rules and any warnings.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub profile: EffectiveProfile,
    pub warnings: Vec<ProfileWarning>,
}

impl ProfileSet {
    /// The built-in profiles ([`BUILTIN`]): the national base and the five seed plans.
    pub fn builtin() -> Result<ProfileSet, ProfileError> {
        ProfileSet::from_sources(BUILTIN)
    }

    /// Loads and validates profiles from `(file name, text)` pairs. Every profile named by
    /// an `extends` must be among them; a county may be governed by one profile only.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<ProfileSet, ProfileError> {
        let (profiles, warnings) = load::load(sources)?;
        let mut by_county = BTreeMap::new();
        for (i, profile) in profiles.iter().enumerate() {
            for county in &profile.applies_to {
                by_county.insert(county.clone(), i);
            }
        }
        Ok(ProfileSet {
            profiles,
            by_county,
            warnings,
        })
    }

    /// Checks one profile file against the built-in profiles it extends (a base profile,
    /// without `extends`, is checked on its own). A built-in profile with the same id is
    /// replaced by the file.
    pub fn check_file(file: &str, text: &str) -> Result<CheckReport, ProfileError> {
        let (profile, warnings) = load::check_file(file, text)?;
        Ok(CheckReport { profile, warnings })
    }

    /// The effective rules for the county of `code` (a county, township or village code);
    /// `None` if no profile governs it (see [`ProfileSet::base`] for the national rules).
    pub fn effective_for(&self, code: &DivisionCode) -> Option<EffectiveProfile> {
        self.profile_for(code).cloned()
    }

    /// As [`ProfileSet::effective_for`], borrowed.
    pub fn profile_for(&self, code: &DivisionCode) -> Option<&EffectiveProfile> {
        let county = code.county()?;
        self.by_county.get(&county).map(|&i| &self.profiles[i])
    }

    /// The profile with this id.
    pub fn get(&self, id: &str) -> Option<&EffectiveProfile> {
        self.profiles.iter().find(|p| p.id == id)
    }

    /// The base profile: `national` if loaded, else the first profile without `extends`.
    pub fn base(&self) -> Option<&EffectiveProfile> {
        self.get("national")
            .or_else(|| self.profiles.iter().find(|p| p.extends.is_none()))
    }

    /// All profiles, in the order of the sources.
    pub fn profiles(&self) -> &[EffectiveProfile] {
        &self.profiles
    }

    /// Legal but questionable settings found while loading.
    pub fn warnings(&self) -> &[ProfileWarning] {
        &self.warnings
    }
}
