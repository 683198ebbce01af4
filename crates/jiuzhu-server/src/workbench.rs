//! 工作台 the caseworkers' pages for cases: my tasks (待办) with due dates and overdue
//! warnings, the case list with filters, the case page (household, materials, deadlines,
//! decision, timeline from the event log) with a form for each next step, and the new
//! application form.
//!
//! Every form posts to the same engine the JSON API uses (`Command::Case` through
//! `Store::execute`); a form carries its own idempotency key, so a double click records one
//! step. Wrong values come back next to the field with what was entered kept; the engine's
//! refusals come back above the form in Chinese.

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use jiuzhu_domain::benefit::CareLevel;
use jiuzhu_domain::case::{self, CommandKind, Decision, Kinship, Origin, RelatedCapacity, Stage};
use jiuzhu_domain::profile::{AmountRule, ProgramRules, StepOrder};
use jiuzhu_domain::{DivisionCode, Fen, Program, Role};
use jiuzhu_store::auth::new_secret;
use jiuzhu_store::{
    Actor, CaseFilter, CaseSummary, Command, CommandContext, CommandOutcome, Household,
    PageRequest, StoreError,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::WebError;
use crate::session::{SessionUser, WebUser};
use crate::util::{fmt_date, fmt_time};
use crate::web::{Nav, actor_names, household_or_404, parse_division_filter, parse_page};

/// Cases per page of the list.
const PER_PAGE: u32 = 50;
/// The worklist looks at this many open cases of the user's jurisdiction at most.
const WORKLIST_SCAN: u32 = 2000;
/// Days ahead in which an open step counts as "due soon" (临近到期).
const DUE_SOON_DAYS: i64 = 3;

fn render(t: &impl Template) -> Result<Response, WebError> {
    Ok(Html(t.render()?).into_response())
}

fn not_found() -> WebError {
    WebError::new(StatusCode::NOT_FOUND, "未找到该案件")
}

fn store_not_found(e: StoreError) -> WebError {
    match e {
        StoreError::NotFound(_) => not_found(),
        other => other.into(),
    }
}

fn parse_id(raw: &str) -> Result<i64, WebError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(not_found)
}

// ---- the form body ---------------------------------------------------------------------

/// A submitted form: every value of every field, in order (checkbox groups repeat names).
#[derive(Debug, Default, Clone)]
pub(crate) struct FormData(HashMap<String, Vec<String>>);

impl FormData {
    pub(crate) fn parse(body: &[u8]) -> FormData {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in form_urlencoded::parse(body) {
            map.entry(k.into_owned()).or_default().push(v.into_owned());
        }
        FormData(map)
    }

    pub(crate) fn one(&self, name: &str) -> String {
        self.0
            .get(name)
            .and_then(|v| v.first())
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }

    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0.get(name).cloned().unwrap_or_default()
    }

    fn has(&self, name: &str, value: &str) -> bool {
        self.0
            .get(name)
            .is_some_and(|v| v.iter().any(|x| x == value))
    }

    pub(crate) fn checked(&self, name: &str) -> bool {
        self.has(name, "on")
    }

    /// Non-empty lines of a textarea.
    fn lines(&self, name: &str) -> Vec<String> {
        self.one(name)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }
}

// ---- form specifications -----------------------------------------------------------------

#[derive(Debug, Clone)]
pub(crate) struct Opt {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// One field of a form, ready to lay out.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub name: String,
    pub label: String,
    /// `text`, `number`, `month`, `datetime`, `textarea`, `radio`, `checks`, `check`, `select`.
    pub kind: &'static str,
    pub value: String,
    pub checked: bool,
    pub options: Vec<Opt>,
    pub hint: String,
    pub error: Option<String>,
}

impl Field {
    fn new(name: &str, label: &str, kind: &'static str) -> Field {
        Field {
            name: name.to_string(),
            label: label.to_string(),
            kind,
            value: String::new(),
            checked: false,
            options: Vec::new(),
            hint: String::new(),
            error: None,
        }
    }

    fn hint(mut self, hint: &str) -> Field {
        self.hint = hint.to_string();
        self
    }

    fn options(mut self, options: Vec<(String, String)>) -> Field {
        self.options = options
            .into_iter()
            .map(|(value, label)| Opt {
                value,
                label,
                checked: false,
            })
            .collect();
        self
    }

    /// Puts the submitted values back (or the defaults when nothing was submitted).
    fn fill(&mut self, data: Option<&FormData>) {
        match data {
            Some(d) => {
                self.value = d.one(&self.name);
                self.checked = d.checked(&self.name);
                for o in &mut self.options {
                    o.checked = d.has(&self.name, &o.value);
                }
            }
            None => {
                if self.kind == "radio"
                    && let Some(first) = self.options.first_mut()
                {
                    first.checked = true;
                }
            }
        }
    }
}

fn opts<T: Copy>(
    items: &[T],
    value: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Vec<(String, String)> {
    items
        .iter()
        .map(|i| (value(*i).to_string(), label(*i).to_string()))
        .collect()
}

fn yes_no(yes: &str, no: &str) -> Vec<(String, String)> {
    vec![
        ("true".to_string(), yes.to_string()),
        ("false".to_string(), no.to_string()),
    ]
}

/// What a case page needs to lay out its forms.
struct FormContext<'a> {
    rules: &'a ProgramRules,
    household: Option<&'a Household>,
    /// Staff who may investigate (id, label).
    staff: &'a [(i64, String)],
    /// The members as the latest home visit found them (a correction starts from them).
    visit: &'a [case::MemberFacts],
    /// Supervision findings about the case a correction may rest on (value, label).
    findings: &'a [(String, String)],
}

fn materials_field(rules: &ProgramRules, name: &str, label: &str) -> Field {
    Field::new(name, label, "checks").options(
        rules
            .materials
            .iter()
            .map(|m| {
                (
                    m.key.clone(),
                    format!("{}{}", m.name_zh, if m.required { "（必需）" } else { "" }),
                )
            })
            .collect(),
    )
}

fn member_label(h: Option<&Household>, seq: i32) -> String {
    h.and_then(|h| h.members.iter().find(|m| m.seq == seq))
        .map(|m| format!("第{seq}号 {}（{}）", m.name, m.relation.name_zh()))
        .unwrap_or_else(|| format!("第{seq}号成员"))
}

/// The fields of a command's form.
fn fields_for(kind: CommandKind, cx: &FormContext<'_>) -> Vec<Field> {
    use CommandKind as K;
    let mut f = Vec::new();
    match kind {
        K::SubmitMaterials | K::ApplyAfterCheck => {
            f.push(materials_field(cx.rules, "materials", "递交的材料"));
        }
        K::CompletePaperwork => {
            f.push(materials_field(cx.rules, "materials", "补办的材料"));
            f.push(Field::new(
                "continue_procedure",
                "补办后继续按常规程序办理（如支出型救助）",
                "check",
            ));
        }
        K::RecordVillageReview => {
            f.push(
                Field::new("supports", "初审意见", "radio").options(yes_no("同意上报", "不同意")),
            );
            f.push(Field::new("opinion", "初审意见说明", "textarea"));
        }
        K::RecordCheckResult => {
            f.push(
                Field::new("passed", "核对结果", "radio").options(yes_no("符合条件", "不符合条件")),
            );
            f.push(Field::new("summary", "核对情况摘要", "textarea"));
            f.push(Field::new(
                "reasons",
                "不符合的理由（每行一条）",
                "textarea",
            ));
        }
        K::RecordHomeVisit => {
            f.push(
                Field::new("investigators", "调查人员（至少2人）", "checks").options(
                    cx.staff
                        .iter()
                        .map(|(id, label)| (id.to_string(), label.clone()))
                        .collect(),
                ),
            );
            if let Some(h) = cx.household {
                for m in &h.members {
                    let seq = m.seq;
                    let who = member_label(Some(h), seq);
                    let mut lives = Field::new(
                        &format!("m{seq}_lives"),
                        &format!("{who}：共同生活"),
                        "check",
                    );
                    lives.hint = "共同生活的成员计入家庭人口".to_string();
                    f.push(lives);
                    f.push(Field::new(
                        &format!("m{seq}_able"),
                        &format!("{who}：有劳动能力"),
                        "check",
                    ));
                    f.push(
                        Field::new(
                            &format!("m{seq}_income"),
                            &format!("{who}：月收入（元）"),
                            "text",
                        )
                        .hint("如 0、300 或 1250.50"),
                    );
                }
            }
            f.push(Field::new("findings", "调查结论", "textarea"));
        }
        K::SignReview => {
            f.push(
                Field::new("recommendation", "审核意见", "radio").options(vec![
                    ("approve".into(), "拟批准".into()),
                    ("refuse".into(), "拟不予批准".into()),
                ]),
            );
            f.push(Field::new(
                "proposed_yuan",
                "拟保障金额（元/月，可不填）",
                "text",
            ));
            f.push(Field::new(
                "reasons",
                "拟不予批准的理由（每行一条）",
                "textarea",
            ));
            f.push(Field::new("opinion", "审核意见说明", "textarea"));
            f.push(Field::new("disputed", "事实有争议，需民主评议", "check"));
        }
        K::RecordAppraisal => {
            f.push(Field::new(
                "participants",
                "参加人员（每行一人或一类）",
                "textarea",
            ));
            f.push(Field::new("outcome", "评议结果", "radio").options(vec![
                ("supports".into(), "认定符合条件".into()),
                ("opposes".into(), "认定不符合条件".into()),
            ]));
            f.push(Field::new("minutes", "评议记录", "textarea"));
        }
        K::RaiseObjection => f.push(Field::new("summary", "异议内容", "textarea")),
        K::Decide => {
            f.push(Field::new("decision", "确认决定", "radio").options(vec![
                ("approve".into(), "批准".into()),
                ("refuse".into(), "不予批准".into()),
            ]));
            f.push(Field::new("start_month", "起始月份（批准时填写）", "month"));
            f.extend(basis_fields(cx));
            f.push(Field::new(
                "reasons",
                "不予批准的理由（每行一条）",
                "textarea",
            ));
        }
        K::DeliverNotice => f.push(Field::new("note", "送达说明（可不填）", "text")),
        K::Withdraw => {
            f.push(Field::new("reason", "撤回原因", "radio").options(vec![
                ("applicant_request".into(), "申请人撤回".into()),
                (
                    "refused_investigation".into(),
                    "拒绝配合调查（视为撤回）".into(),
                ),
            ]));
            f.push(Field::new("note", "说明（可不填）", "text"));
        }
        K::GiveEmergencyHelp => {
            f.push(Field::new("amount_yuan", "救助金额（元）", "text"));
            f.push(Field::new("description", "救助内容", "textarea"));
        }
        K::FileNearRelative => {
            f.push(Field::new(
                "related_user",
                "相关工作人员的用户编号",
                "number",
            ));
            f.push(Field::new("kinship", "亲属关系", "select").options(opts(
                &[
                    Kinship::Spouse,
                    Kinship::Parent,
                    Kinship::Child,
                    Kinship::Sibling,
                    Kinship::Grandparent,
                    Kinship::Grandchild,
                    Kinship::Other,
                ],
                kinship_str,
                Kinship::name_zh,
            )));
            f.push(Field::new("capacity", "其身份", "select").options(opts(
                &[RelatedCapacity::Staff, RelatedCapacity::VillageCadre],
                capacity_str,
                RelatedCapacity::name_zh,
            )));
        }
        K::Correct => {
            f.push(
                Field::new("finding", "所依据的监督发现", "select").options(cx.findings.to_vec()),
            );
            f.push(Field::new("correction", "纠正内容", "radio").options(vec![
                ("amount".into(), "按核实情况重新核定金额".into()),
                ("stop".into(), "终止救助（停发）".into()),
            ]));
            f.push(
                Field::new("effective_month", "纠正生效月份", "month")
                    .hint("自该月起按纠正后的金额计算；已月结的月份多发部分计入追回"),
            );
            f.extend(basis_fields(cx));
            if let Some(h) = cx.household {
                for m in cx.visit {
                    f.push(
                        Field::new(
                            &format!("m{}_income", m.member_seq),
                            &format!(
                                "{}：核实的月收入（元）",
                                member_label(Some(h), m.member_seq)
                            ),
                            "text",
                        )
                        .hint(&format!(
                            "入户调查时为{}元；不填则按入户调查",
                            m.monthly_income.format_grouped()
                        )),
                    );
                }
            }
            f.push(Field::new("reason", "纠正理由（写入告知）", "textarea"));
        }
        K::RequestCheck | K::PostNotice | K::EndNotice | K::PostResult | K::Archive => {}
        K::Apply | K::RequestPreCheck | K::ReportEmergency => {}
    }
    f.push(Field::new("at", "办理时间（不填为现在）", "datetime"));
    f
}

fn kinship_str(k: Kinship) -> &'static str {
    match k {
        Kinship::Spouse => "spouse",
        Kinship::Parent => "parent",
        Kinship::Child => "child",
        Kinship::Sibling => "sibling",
        Kinship::Grandparent => "grandparent",
        Kinship::Grandchild => "grandchild",
        Kinship::Other => "other",
    }
}

fn capacity_str(c: RelatedCapacity) -> &'static str {
    match c {
        RelatedCapacity::Staff => "staff",
        RelatedCapacity::VillageCadre => "village_cadre",
    }
}

/// The facts the profile's amount formula needs (see `jiuzhu_domain::benefit`).
fn basis_fields(cx: &FormContext<'_>) -> Vec<Field> {
    let standards = || {
        cx.rules
            .standards
            .iter()
            .map(|s| {
                (
                    s.key.clone(),
                    format!(
                        "{} {}{}",
                        s.name_zh,
                        s.yuan.format_grouped(),
                        s.per.name_zh()
                    ),
                )
            })
            .collect::<Vec<_>>()
    };
    match &cx.rules.amount {
        AmountRule::TopUp { add_ons } => {
            let mut options = Vec::new();
            if let Some(h) = cx.household {
                for m in &h.members {
                    for a in add_ons {
                        options.push((
                            format!("{}:{}", m.seq, a.key),
                            format!(
                                "{}：{}（标准的{}%）",
                                member_label(Some(h), m.seq),
                                a.name_zh,
                                a.percent
                            ),
                        ));
                    }
                }
            }
            vec![
                Field::new("standard", "保障标准", "select").options(standards()),
                Field::new("add_ons", "分类施保", "checks").options(options),
            ]
        }
        AmountRule::BasicPlusCare { .. } => {
            vec![Field::new("care", "生活自理能力", "select").options(opts(
                &[CareLevel::Full, CareLevel::Partial, CareLevel::SelfCare],
                |c| match c {
                    CareLevel::Full => "full",
                    CareLevel::Partial => "partial",
                    CareLevel::SelfCare => "self_care",
                },
                CareLevel::name_zh,
            ))]
        }
        AmountRule::MonthsOfStandard { max_months, max } => vec![
            Field::new("standard", "计算基数", "select").options(standards()),
            Field::new(
                "months",
                &format!("救助月数（1至{max_months}个月，单次最高{max}元）"),
                "number",
            ),
        ],
        AmountRule::AgeBand { .. } => vec![Field::new("age", "周岁年龄", "number")],
        AmountRule::DisabilitySubsidy {
            nursing_max_grade, ..
        } => vec![
            Field::new("living", "困难残疾人生活补贴", "check"),
            Field::new(
                "nursing",
                &format!("重度残疾人护理补贴（1至{nursing_max_grade}级）"),
                "check",
            ),
            Field::new("grade", "残疾等级", "select")
                .options((1..=4).map(|g| (g.to_string(), format!("{g}级"))).collect()),
        ],
        AmountRule::Status => Vec::new(),
    }
}

/// Field errors found while reading a form.
#[derive(Default)]
struct Errors(HashMap<String, String>);

impl Errors {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_insert_with(|| message.into());
    }
}

fn yuan(data: &FormData, field: &str, errors: &mut Errors) -> Option<Fen> {
    let raw = data.one(field);
    if raw.is_empty() {
        return None;
    }
    match Fen::parse_yuan(&raw) {
        Ok(f) if !f.is_negative() => Some(f),
        _ => {
            errors.add(field, "金额格式不正确，应为元，如 600 或 600.50");
            None
        }
    }
}

fn number<T: std::str::FromStr>(
    data: &FormData,
    field: &str,
    label: &str,
    errors: &mut Errors,
) -> Option<T> {
    let raw = data.one(field);
    match raw.parse::<T>() {
        Ok(v) => Some(v),
        Err(_) => {
            errors.add(field, format!("请填写{label}（整数）"));
            None
        }
    }
}

/// Reads a command's form into the JSON of its [`case::CommandBody`].
fn body_from_form(
    kind: CommandKind,
    data: &FormData,
    cx: &FormContext<'_>,
    errors: &mut Errors,
) -> Value {
    use CommandKind as K;
    let bool_of = |name: &str| data.one(name) == "true";
    match kind {
        K::SubmitMaterials | K::ApplyAfterCheck => json!({ "materials": data.all("materials") }),
        K::CompletePaperwork => json!({
            "materials": data.all("materials"),
            "continue_procedure": data.checked("continue_procedure"),
        }),
        K::RecordVillageReview => {
            json!({ "supports": bool_of("supports"), "opinion": data.one("opinion") })
        }
        K::RecordCheckResult => json!({
            "passed": bool_of("passed"),
            "summary": data.one("summary"),
            "reasons": data.lines("reasons"),
        }),
        K::RecordHomeVisit => {
            let investigators: Vec<i64> = data
                .all("investigators")
                .iter()
                .filter_map(|v| v.parse().ok())
                .collect();
            let mut members = Vec::new();
            if let Some(h) = cx.household {
                for m in &h.members {
                    let income =
                        yuan(data, &format!("m{}_income", m.seq), errors).unwrap_or(Fen::ZERO);
                    members.push(json!({
                        "member_seq": m.seq,
                        "relation": m.relation,
                        "lives_together": data.checked(&format!("m{}_lives", m.seq)),
                        "able_to_work": data.checked(&format!("m{}_able", m.seq)),
                        "monthly_income": income,
                    }));
                }
            }
            json!({ "investigators": investigators, "members": members, "findings": data.one("findings") })
        }
        K::SignReview => {
            let recommendation = if data.one("recommendation") == "refuse" {
                json!({ "kind": "refuse", "reasons": data.lines("reasons") })
            } else {
                json!({ "kind": "approve", "proposed_amount": yuan(data, "proposed_yuan", errors) })
            };
            json!({
                "recommendation": recommendation,
                "opinion": data.one("opinion"),
                "disputed": data.checked("disputed"),
            })
        }
        K::RecordAppraisal => json!({
            "participants": data.lines("participants"),
            "outcome": data.one("outcome"),
            "minutes": data.one("minutes"),
        }),
        K::RaiseObjection => json!({ "summary": data.one("summary") }),
        K::Decide => {
            if data.one("decision") == "refuse" {
                json!({ "decision": { "kind": "refuse", "reasons": data.lines("reasons") } })
            } else {
                let start = data.one("start_month");
                let start_month = NaiveDate::parse_from_str(&format!("{start}-01"), "%Y-%m-%d")
                    .map(|d| d.to_string())
                    .unwrap_or_else(|_| {
                        errors.add("start_month", "请选择起始月份");
                        String::new()
                    });
                let basis = basis_from_form(data, cx, errors);
                json!({ "decision": { "kind": "approve", "basis": basis, "start_month": start_month } })
            }
        }
        K::DeliverNotice => json!({ "note": data.one("note") }),
        K::Withdraw => json!({ "reason": data.one("reason"), "note": data.one("note") }),
        K::GiveEmergencyHelp => {
            let amount = yuan(data, "amount_yuan", errors);
            if amount.is_none() {
                errors.add("amount_yuan", "请填写救助金额（元）");
            }
            json!({ "amount": amount.unwrap_or(Fen::ZERO), "description": data.one("description") })
        }
        K::FileNearRelative => json!({
            "related_user": number::<i64>(data, "related_user", "用户编号", errors).unwrap_or(0),
            "kinship": data.one("kinship"),
            "capacity": data.one("capacity"),
        }),
        K::Correct => {
            let finding = finding_from_value(&data.one("finding"));
            if finding.is_none() {
                errors.add("finding", "请选择所依据的监督发现");
            }
            let month = data.one("effective_month");
            let effective_month = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
                .map(|d| d.to_string())
                .unwrap_or_else(|_| {
                    errors.add("effective_month", "请选择纠正生效月份");
                    String::new()
                });
            let correction = if data.one("correction") == "stop" {
                json!({ "kind": "stop" })
            } else {
                // The members as found: the home visit's, with the incomes the check found.
                let mut changed = false;
                let mut members = Vec::new();
                for m in cx.visit {
                    let name = format!("m{}_income", m.member_seq);
                    let mut found = m.clone();
                    if !data.one(&name).is_empty()
                        && let Some(income) = yuan(data, &name, errors)
                    {
                        changed |= income != m.monthly_income;
                        found.monthly_income = income;
                    }
                    members.push(found);
                }
                if !changed {
                    members.clear();
                }
                json!({
                    "kind": "amount",
                    "basis": basis_from_form(data, cx, errors),
                    "members": members,
                })
            };
            json!({
                "finding": finding,
                "correction": correction,
                "effective_month": effective_month,
                "reason": data.one("reason"),
            })
        }
        K::RequestCheck | K::PostNotice | K::EndNotice | K::PostResult | K::Archive => json!({}),
        K::Apply | K::RequestPreCheck | K::ReportEmergency => json!({}),
    }
}

/// A finding as the correction form names it: `spot_check:{draw}:{case}`, `filing:{id}`,
/// `complaint:{id}`.
fn finding_value(f: &case::FindingRef) -> String {
    match f {
        case::FindingRef::SpotCheck { draw_id, case_id } => {
            format!("spot_check:{draw_id}:{case_id}")
        }
        case::FindingRef::Filing { filing_id } => format!("filing:{filing_id}"),
        case::FindingRef::Complaint { complaint_id } => format!("complaint:{complaint_id}"),
    }
}

fn finding_from_value(v: &str) -> Option<case::FindingRef> {
    let mut parts = v.split(':');
    let kind = parts.next()?;
    let a: i64 = parts.next()?.parse().ok()?;
    let b: Option<i64> = parts.next().map(str::parse).transpose().ok()?;
    if parts.next().is_some() {
        return None;
    }
    match (kind, b) {
        ("spot_check", Some(case_id)) => Some(case::FindingRef::SpotCheck {
            draw_id: a,
            case_id,
        }),
        ("filing", None) => Some(case::FindingRef::Filing { filing_id: a }),
        ("complaint", None) => Some(case::FindingRef::Complaint { complaint_id: a }),
        _ => None,
    }
}

fn basis_from_form(data: &FormData, cx: &FormContext<'_>, errors: &mut Errors) -> Value {
    match &cx.rules.amount {
        AmountRule::TopUp { .. } => {
            let add_ons: Vec<Value> = data
                .all("add_ons")
                .iter()
                .filter_map(|v| {
                    let (seq, key) = v.split_once(':')?;
                    Some(json!({ "member_seq": seq.parse::<i32>().ok()?, "key": key }))
                })
                .collect();
            json!({ "formula": "top_up", "standard": data.one("standard"), "add_ons": add_ons })
        }
        AmountRule::BasicPlusCare { .. } => {
            json!({ "formula": "basic_plus_care", "care": data.one("care") })
        }
        AmountRule::MonthsOfStandard { .. } => json!({
            "formula": "months_of_standard",
            "standard": data.one("standard"),
            "months": number::<u32>(data, "months", "救助月数", errors).unwrap_or(0),
        }),
        AmountRule::AgeBand { .. } => json!({
            "formula": "age_band",
            "age": number::<u32>(data, "age", "周岁年龄", errors).unwrap_or(0),
        }),
        AmountRule::DisabilitySubsidy { .. } => json!({
            "formula": "disability_subsidy",
            "living": data.checked("living"),
            "nursing": data.checked("nursing"),
            "grade": number::<u8>(data, "grade", "残疾等级", errors).unwrap_or(0),
        }),
        AmountRule::Status => json!({ "formula": "status" }),
    }
}

/// The command's time: the form's `at` (local, `YYYY-MM-DDTHH:MM`), or now.
fn command_time(data: &FormData, now: NaiveDateTime, errors: &mut Errors) -> NaiveDateTime {
    let raw = data.one("at");
    if raw.is_empty() {
        return now;
    }
    NaiveDateTime::parse_from_str(&raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&raw, "%Y-%m-%dT%H:%M:%S"))
        .unwrap_or_else(|_| {
            errors.add("at", "时间格式不正确，如 2026-11-25T09:30");
            now
        })
}

// ---- views ------------------------------------------------------------------------------

pub(crate) struct ActionForm {
    pub kind: &'static str,
    pub title: &'static str,
    pub fields: Vec<Field>,
    pub error: Option<String>,
    pub key: String,
    pub open: bool,
}

struct CaseRow {
    id: i64,
    number: String,
    program: &'static str,
    village: String,
    stage: &'static str,
    due: String,
    overdue: bool,
    due_soon: bool,
    open: bool,
}

fn case_row(c: &CaseSummary, now: NaiveDateTime, names: &HashMap<String, String>) -> CaseRow {
    let overdue = c.open && c.next_deadline.is_some_and(|d| d < now);
    let due_soon = c.open
        && !overdue
        && c.next_deadline
            .is_some_and(|d| d < now + Duration::days(DUE_SOON_DAYS));
    CaseRow {
        id: c.id,
        number: c.number.clone(),
        program: c.program.name_zh(),
        village: names
            .get(c.village.as_str())
            .cloned()
            .unwrap_or_else(|| c.village.to_string()),
        stage: c.stage.name_zh(),
        due: c.next_due_date.map(fmt_date).unwrap_or_default(),
        overdue,
        due_soon,
        open: c.open,
    }
}

/// Names of divisions by code (jurisdiction names are public); each code looked up once.
pub(crate) async fn division_names(
    state: &AppState,
    codes: Vec<&DivisionCode>,
) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for code in codes {
        if names.contains_key(code.as_str()) {
            continue;
        }
        if let Ok(Some(d)) = state.store.division(code).await {
            names.insert(code.to_string(), d.name);
        }
    }
    names
}

/// Names of the villages of a list of cases.
pub(crate) async fn village_names(
    state: &AppState,
    cases: Vec<&CaseSummary>,
) -> HashMap<String, String> {
    division_names(state, cases.into_iter().map(|c| &c.village).collect()).await
}

#[derive(Template)]
#[template(path = "todo.html")]
struct TodoPage {
    nav: Option<Nav>,
    rows: Vec<(CaseRow, String)>,
    overdue: usize,
    due_soon: usize,
    scanned_all: bool,
}

/// `GET /todo` 我的待办: open cases of my jurisdiction whose next step my role may take,
/// overdue first, then by due date.
pub(crate) async fn todo(
    State(state): State<AppState>,
    WebUser(s): WebUser,
) -> Result<Response, WebError> {
    let (mine, scanned_all) = my_todo(&state, &s).await?;
    let now = state.local_now();
    let names = village_names(&state, mine.iter().map(|(c, _)| c).collect()).await;
    let rows: Vec<(CaseRow, String)> = mine
        .iter()
        .map(|(c, steps)| (case_row(c, now, &names), steps.clone()))
        .collect();
    render(&TodoPage {
        nav: Nav::of(&s),
        overdue: rows.iter().filter(|(r, _)| r.overdue).count(),
        due_soon: rows.iter().filter(|(r, _)| r.due_soon).count(),
        rows,
        scanned_all,
    })
}

/// 我的待办's cases: open cases of the user's jurisdiction whose next step the user's role
/// may take, with those steps' names, overdue first, then by due date; and whether every
/// open case was scanned.
pub(crate) async fn my_todo(
    state: &AppState,
    s: &SessionUser,
) -> Result<(Vec<(CaseSummary, String)>, bool), WebError> {
    let actor = s.actor();
    let role = s.user.role;
    let filter = CaseFilter {
        open_only: true,
        ..CaseFilter::default()
    };
    let page = state
        .store
        .cases(&actor, &filter, PageRequest::new(1, WORKLIST_SCAN))
        .await?;
    let scanned_all = page.total <= i64::from(WORKLIST_SCAN);
    let mut mine: Vec<(CaseSummary, String)> = page
        .items
        .into_iter()
        .filter_map(|c| {
            let steps: Vec<&str> = case::offered_at(c.stage)
                .iter()
                .filter(|k| {
                    **k != CommandKind::Withdraw && case::allowed_roles(**k).contains(&role)
                })
                .map(|k| k.name_zh())
                .collect();
            (!steps.is_empty()).then(|| (c, steps.join("、")))
        })
        .collect();
    mine.sort_by_key(|(c, _)| (c.next_deadline.is_none(), c.next_deadline, c.id));
    Ok((mine, scanned_all))
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CaseListQuery {
    pub(crate) program: Option<String>,
    pub(crate) stage: Option<String>,
    pub(crate) division: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) page: Option<String>,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    nav: Option<Nav>,
    rows: Vec<CaseRow>,
    total: i64,
    page: u32,
    pages: u32,
    programs: Vec<Opt>,
    stages: Vec<Opt>,
    divisions: Vec<Opt>,
    status: String,
    query: String,
    error: Option<String>,
}

/// `GET /cases?program=&stage=&division=&status=open|all&page=`
pub(crate) async fn cases(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<CaseListQuery>,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let mut error = None;
    let program = q
        .program
        .as_deref()
        .filter(|p| !p.is_empty())
        .and_then(|p| match p.parse::<Program>() {
            Ok(p) => Some(p),
            Err(_) => {
                error = Some(format!(
                    "未知的救助项目“{}”",
                    p.chars().take(20).collect::<String>()
                ));
                None
            }
        });
    let stage = q
        .stage
        .as_deref()
        .filter(|p| !p.is_empty())
        .and_then(|st| Stage::ALL.into_iter().find(|x| x.as_str() == st));
    let division = match parse_division_filter(q.division.as_deref(), &actor.scope()) {
        Ok(d) => d,
        Err(m) => {
            error = Some(m);
            None
        }
    };
    let status = match q.status.as_deref() {
        Some("all") => "all",
        _ => "open",
    };
    let filter = CaseFilter {
        program,
        within: division.clone(),
        stage,
        open_only: status == "open",
    };
    let page_no = parse_page(q.page.as_deref());
    let page = state
        .store
        .cases(&actor, &filter, PageRequest::new(page_no, PER_PAGE))
        .await?;
    let now = state.local_now();
    let names = village_names(&state, page.items.iter().collect()).await;
    let children = state
        .store
        .divisions(&actor, Some(&s.user.division))
        .await?;
    let mut query = format!("&status={status}");
    if let Some(p) = program {
        query.push_str(&format!("&program={}", p.as_str()));
    }
    if let Some(st) = stage {
        query.push_str(&format!("&stage={}", st.as_str()));
    }
    if let Some(d) = &division {
        query.push_str(&format!("&division={d}"));
    }
    render(&CasesPage {
        nav: Nav::of(&s),
        rows: page
            .items
            .iter()
            .map(|c| case_row(c, now, &names))
            .collect(),
        total: page.total,
        page: page.page,
        pages: page.pages().max(1),
        programs: Program::ALL
            .iter()
            .map(|p| Opt {
                value: p.as_str().to_string(),
                label: p.name_zh().to_string(),
                checked: program == Some(*p),
            })
            .collect(),
        stages: Stage::ALL
            .iter()
            .filter(|st| **st != Stage::Intake)
            .map(|st| Opt {
                value: st.as_str().to_string(),
                label: st.name_zh().to_string(),
                checked: stage == Some(*st),
            })
            .collect(),
        divisions: children
            .into_iter()
            .map(|d| Opt {
                checked: division.as_ref() == Some(&d.code),
                value: d.code.to_string(),
                label: d.name,
            })
            .collect(),
        status: status.to_string(),
        query,
        error,
    })
}

struct DueRow {
    step: &'static str,
    due: String,
    overdue: bool,
}

struct TimelineRow {
    at: String,
    kind: &'static str,
    actor: String,
    role: &'static str,
}

struct Line {
    text: String,
    amount: String,
}

struct DecisionView {
    what: String,
    by: String,
    lines: Vec<Line>,
    demo: bool,
    reasons: Vec<String>,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    nav: Option<Nav>,
    id: i64,
    number: String,
    program: &'static str,
    village: String,
    household_id: i64,
    household_head: String,
    origin: &'static str,
    stage: &'static str,
    closed: Option<String>,
    procedure: Vec<(&'static str, String)>,
    dues: Vec<DueRow>,
    materials: Vec<(String, bool, bool)>,
    decision: Option<DecisionView>,
    /// 纠正与追回 the corrections of the approval, with their money.
    corrections: Vec<CorrectionRow>,
    forms: Vec<ActionForm>,
    documents: Vec<crate::documents::DocRow>,
    may_issue: bool,
    timeline: Vec<TimelineRow>,
    notice: Option<String>,
    /// A refusal of a step whose form this user is not shown (e.g. another role's step).
    error: Option<String>,
}

/// The confirming authority as the page shows it.
fn authority_zh(a: &jiuzhu_domain::delegation::Authority) -> String {
    use jiuzhu_domain::delegation::{Authority, CountyReason};
    match a {
        Authority::Township { grant_id, .. } => {
            format!("乡镇（街道）依授权确认（授权#{grant_id}）")
        }
        Authority::County { reason, .. } => format!(
            "县级民政部门确认（{}）",
            match reason {
                CountyReason::NotDelegated => "未下放".to_string(),
                CountyReason::NotYetInForce { from } =>
                    format!("乡镇权限自{}起生效", fmt_date(*from)),
                CountyReason::Expired { until } => format!("授权已于{}到期", fmt_date(*until)),
                CountyReason::Revoked { effective } =>
                    format!("授权自{}起撤销", fmt_date(*effective)),
                CountyReason::AboveCap { cap } =>
                    format!("金额超过乡镇权限{}元", cap.format_grouped()),
                #[allow(unreachable_patterns)]
                _ => "县级确认".to_string(),
            }
        ),
    }
}

fn event_zh(kind: &str) -> &'static str {
    match kind {
        "case.opened" => "立案",
        "case.check_requested" => "发起经济状况核对",
        "case.check_recorded" => "录入核对结果",
        "case.invited_to_apply" => "通知正式申请",
        "case.application_filed" => "提交申请",
        "case.materials_incomplete" => "一次性告知缺少材料",
        "case.materials_submitted" => "补正材料",
        "case.sent_for_village_review" => "转村(居)初审",
        "case.village_reviewed" => "村(居)初审",
        "case.accepted" => "受理",
        "case.home_visit_recorded" => "入户调查",
        "case.review_signed" => "签署审核意见",
        "case.appraisal_called" => "启动民主评议",
        "case.appraisal_recorded" => "民主评议",
        "case.proposed_for_notice" => "拟公示",
        "case.notice_posted" => "张贴公示",
        "case.objection_raised" => "登记异议",
        "case.reinvestigation_ordered" => "异议复核调查",
        "case.notice_ended" => "公示期满",
        "case.sent_for_decision" => "报送确认",
        "case.decided" => "确认决定",
        "case.decision_upheld" => "维持决定",
        "case.decision_reopened" => "重新决定",
        "case.notice_delivered" => "送达告知书",
        "case.result_posted" => "审批结果公示",
        "case.emergency_reported" => "报告急难情况",
        "case.emergency_helped" => "先行救助",
        "case.paperwork_completed" => "补办手续",
        "case.near_relative_filed" => "近亲属备案",
        "case.corrected" => "纠正决定",
        "case.closed" => "办结",
        "document.issued" => "签发文书（归档）",
        _ => "其他",
    }
}

fn role_zh(role: &str) -> &'static str {
    role.parse::<Role>().map(Role::name_zh).unwrap_or("")
}

/// The staff who work in the case's township (and its villages), for the investigators'
/// checkboxes. Any user who can see the case sees their colleagues' names and roles, so the
/// accounts are read as the system (a township caseworker may not list accounts).
async fn township_staff(state: &AppState, township: &DivisionCode) -> Vec<(i64, String)> {
    match state
        .store
        .users(&Actor::system("workbench"), PageRequest::new(1, 5000))
        .await
    {
        Ok(page) => page
            .items
            .into_iter()
            .filter(|u| u.active && township.contains(&u.division))
            .map(|u| (u.id, format!("{}（{}）", u.display_name, u.role.name_zh())))
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot list the township's staff");
            Vec::new()
        }
    }
}

/// A case as its page needs it: the state, its household (where the viewer sees it) and
/// the program's rules under the store's profiles.
async fn load_case(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> Result<
    (
        jiuzhu_domain::case::CaseState,
        Option<Household>,
        Option<ProgramRules>,
    ),
    WebError,
> {
    let c = state.store.case(actor, id).await.map_err(store_not_found)?;
    let household = state
        .store
        .household(actor, c.header.household_id)
        .await
        .ok();
    let rules = state
        .store
        .rules()?
        .profiles
        .profile_for(&c.header.county)
        .and_then(|p| p.program(c.header.program))
        .cloned();
    Ok((c, household, rules))
}

/// The supervision findings about a case a correction may rest on, as (form value, label):
/// spot checks that found the decision wrong, filings reviewed with questions or needing
/// rectification, substantiated complaints naming the case. What the actor cannot see is
/// left out.
async fn case_findings(
    state: &AppState,
    actor: &Actor,
    c: &case::CaseState,
) -> Vec<(String, String)> {
    use jiuzhu_domain::supervision::{ComplaintOutcome, FilingOutcome};
    use jiuzhu_store::{FilingFilter, SpotCheckResult};
    let short = |text: &str| -> String {
        let mut t: String = text.chars().take(40).collect();
        if text.chars().count() > 40 {
            t.push('…');
        }
        t
    };
    let id = c.header.case_id;
    let mut out = Vec::new();
    for i in state
        .store
        .spot_checks(actor, None)
        .await
        .unwrap_or_default()
    {
        if i.case_id != id || i.superseded {
            continue;
        }
        if let Some(SpotCheckResult::ProblemFound {
            findings,
            decision_wrong: true,
        }) = i.check.as_ref().map(|x| &x.result)
        {
            out.push((
                finding_value(&case::FindingRef::SpotCheck {
                    draw_id: i.draw_id,
                    case_id: id,
                }),
                format!("抽查（{}）认定决定有误：{}", i.period, short(findings)),
            ));
        }
    }
    let filter = FilingFilter {
        within: Some(c.header.township.clone()),
        ..FilingFilter::default()
    };
    for f in state
        .store
        .filings(actor, &filter)
        .await
        .unwrap_or_default()
    {
        if f.case_id != id {
            continue;
        }
        if let Some(r) = f
            .review
            .as_ref()
            .filter(|r| r.outcome != FilingOutcome::Accepted)
        {
            out.push((
                finding_value(&case::FindingRef::Filing { filing_id: f.id }),
                format!("备案审查（{}）：{}", r.outcome.name_zh(), short(&r.opinion)),
            ));
        }
    }
    for x in state
        .store
        .complaints(actor, false)
        .await
        .unwrap_or_default()
    {
        if x.case_number.as_deref() == Some(c.header.number.as_str())
            && x.outcome.is_some_and(ComplaintOutcome::is_finding)
        {
            out.push((
                finding_value(&case::FindingRef::Complaint { complaint_id: x.id }),
                format!("投诉举报属实（#{}）", x.id),
            ));
        }
    }
    out
}

/// One correction of the case as its page shows it.
struct CorrectionRow {
    id: i64,
    at: String,
    what: String,
    finding: String,
    reason: String,
    overpaid: String,
    underpaid: String,
    repaid: String,
    outstanding: String,
    /// A repayment can be recorded (something is still owed).
    open: bool,
    key: String,
}

fn finding_zh(f: &case::FindingRef) -> String {
    match f {
        case::FindingRef::SpotCheck { draw_id, .. } => {
            format!("抽查认定决定有误（抽样#{draw_id}）")
        }
        case::FindingRef::Filing { filing_id } => format!("备案审查意见（备案#{filing_id}）"),
        case::FindingRef::Complaint { complaint_id } => format!("投诉举报属实（#{complaint_id}）"),
    }
}

/// The corrections of the case the actor may see (none for roles that do not handle them).
async fn correction_rows(
    state: &AppState,
    actor: &Actor,
    c: &case::CaseState,
) -> Vec<CorrectionRow> {
    if c.corrections.is_empty() {
        return Vec::new();
    }
    let list = state
        .store
        .corrections(actor, Some(&c.header.village))
        .await
        .unwrap_or_default();
    let mut rows = Vec::new();
    for x in list.into_iter().filter(|x| x.case_id == c.header.case_id) {
        let what = if x.stopped {
            format!(
                "自{}起终止（原{}元/月）",
                x.effective,
                x.previous.format_grouped()
            )
        } else {
            format!(
                "自{}起 {}元 → {}元",
                x.effective,
                x.previous.format_grouped(),
                x.corrected.format_grouped()
            )
        };
        let what = match x.applies_from {
            Some(m) if m != x.effective => format!("{what}；待遇自{m}起按纠正后发放"),
            _ => what,
        };
        rows.push(CorrectionRow {
            id: x.id,
            at: fmt_time(x.corrected_at),
            what,
            finding: finding_zh(&x.finding),
            reason: x.reason.clone(),
            overpaid: x.overpaid.format_grouped(),
            underpaid: x.underpaid.format_grouped(),
            repaid: x.repaid.format_grouped(),
            outstanding: x.outstanding().format_grouped(),
            open: x.outstanding() > Fen::ZERO,
            key: new_secret().unwrap_or_default(),
        });
    }
    rows
}

/// `POST /cases/{id}/corrections/{correction}/repay`: 追回 a repayment of an overpayment.
pub(crate) async fn correction_repay(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path((id, correction)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let correction_id = parse_id(&correction)?;
    let data = FormData::parse(&body);
    if !s.csrf_ok(&data.one("csrf")) {
        return Err(WebError::csrf());
    }
    let mut errors = Errors::default();
    let amount = yuan(&data, "amount_yuan", &mut errors);
    let Some(amount) = amount.filter(|_| errors.0.is_empty()) else {
        return case_page(
            &state,
            &s,
            id,
            None,
            None,
            Some("未能登记退回：金额格式不正确，应为元，如 150 或 150.50".to_string()),
        )
        .await;
    };
    let ctx = form_context(&state, s.actor(), &data)?;
    let command = Command::Supervision(jiuzhu_store::SupervisionCommand::RecordRepayment {
        correction_id,
        amount,
        note: data.one("note"),
    });
    match state.store.execute(&ctx, command).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}?repaid=1#corrections")).into_response()),
        Err(e) => match refusal_zh(&e) {
            Some(message) => {
                case_page(
                    &state,
                    &s,
                    id,
                    None,
                    None,
                    Some(format!("未能登记退回：{message}")),
                )
                .await
            }
            None => Err(store_not_found(e)),
        },
    }
}

/// What a form submission left behind for the page to show again.
struct Submitted<'a> {
    kind: CommandKind,
    data: &'a FormData,
    errors: Errors,
    message: Option<String>,
}

async fn case_page(
    state: &AppState,
    s: &SessionUser,
    id: i64,
    submitted: Option<Submitted<'_>>,
    notice: Option<String>,
    // A refusal of something outside the case's forms (a repayment): shown as the error.
    refused: Option<String>,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let (c, household, rules) = load_case(state, &actor, id).await?;
    // The investigators' checkboxes read every account: only when the home-visit form shows.
    let visit_form = !c.is_closed()
        && case::offered_at(c.stage).contains(&CommandKind::RecordHomeVisit)
        && case::allowed_roles(CommandKind::RecordHomeVisit).contains(&s.user.role);
    let staff = if visit_form {
        township_staff(state, &c.header.township).await
    } else {
        Vec::new()
    };
    let now = state.local_now();
    // 纠正: an approval, decided or archived, for those who may correct it, resting on a
    // supervision finding about the case.
    let approved = c.decision.as_ref().is_some_and(|d| d.decision.is_approve());
    let archived = c
        .closure
        .as_ref()
        .is_some_and(|x| x.reason == case::CloseReason::Archived);
    let correctable = approved
        && (c.stage == Stage::Decided || archived)
        && case::allowed_roles(CommandKind::Correct).contains(&s.user.role);
    let findings = if correctable {
        case_findings(state, &actor, &c).await
    } else {
        Vec::new()
    };
    let visit = c
        .home_visits
        .last()
        .map(|v| v.members.clone())
        .unwrap_or_default();
    let forms = match &rules {
        Some(rules) if !c.is_closed() || correctable => {
            let cx = FormContext {
                rules,
                household: household.as_ref(),
                staff: &staff,
                visit: &visit,
                findings: &findings,
            };
            let mut kinds: Vec<CommandKind> = case::offered_at(c.stage).to_vec();
            if !c.is_closed() {
                kinds.push(CommandKind::FileNearRelative);
            }
            let mut forms = Vec::new();
            for kind in kinds {
                if !case::allowed_roles(kind).contains(&s.user.role) {
                    continue;
                }
                // A correction rests on a finding: no finding, no form.
                if kind == CommandKind::Correct && (!approved || findings.is_empty()) {
                    continue;
                }
                let mut fields = fields_for(kind, &cx);
                let this = submitted.as_ref().filter(|x| x.kind == kind);
                for f in &mut fields {
                    f.fill(this.map(|x| x.data));
                    if let Some(x) = this {
                        f.error = x.errors.0.get(&f.name).cloned();
                    }
                }
                forms.push(ActionForm {
                    kind: kind.as_str(),
                    title: kind.name_zh(),
                    fields,
                    error: this.and_then(|x| x.message.clone()),
                    key: new_secret().map_err(WebError::from)?,
                    open: this.is_some(),
                });
            }
            forms
        }
        _ => Vec::new(),
    };
    let error = submitted
        .as_ref()
        .filter(|x| !forms.iter().any(|f| f.kind == x.kind.as_str()))
        .and_then(|x| x.message.clone())
        .or(refused.clone());
    let mut events = state
        .store
        .events_for(&actor, &format!("case:{id}"))
        .await?;
    // The documents archived with the case, and their events in the timeline.
    let archived = state.store.case_documents(&actor, id).await?;
    for d in &archived {
        events.extend(
            state
                .store
                .events_for(&actor, &format!("document:{}", d.id))
                .await?,
        );
    }
    events.sort_by_key(|e| e.occurred_at);
    let names = actor_names(state, &actor, &events).await;
    let village = state
        .store
        .division(&c.header.village)
        .await
        .ok()
        .flatten()
        .map(|d| d.name)
        .unwrap_or_else(|| c.header.village.to_string());
    let materials = rules
        .as_ref()
        .map(|r| {
            r.materials
                .iter()
                .map(|m| (m.name_zh.clone(), m.required, c.materials.contains(&m.key)))
                .collect()
        })
        .unwrap_or_default();
    let decision = c.decision.as_ref().map(|d| {
        let by = authority_zh(&d.authority);
        match &d.decision {
            Decision::Approve {
                amount,
                start_month,
                calculation,
            } => DecisionView {
                what: match c.current_corrections().last() {
                    None => format!(
                        "批准：{}元，自{}起",
                        amount.format_grouped(),
                        start_month.format("%Y年%m月")
                    ),
                    Some(x) => format!(
                        "批准：{}元，自{}起；经纠正，自{}起{}",
                        amount.format_grouped(),
                        start_month.format("%Y年%m月"),
                        x.effective_month.format("%Y年%m月"),
                        match x.correction.amount() {
                            a if a == Fen::ZERO => "终止".to_string(),
                            a => format!("为{}元", a.format_grouped()),
                        }
                    ),
                },
                by,
                lines: calculation
                    .lines
                    .iter()
                    .map(|l| Line {
                        text: l.text_zh.clone(),
                        amount: l.amount.format_grouped(),
                    })
                    .collect(),
                demo: calculation.demo,
                reasons: Vec::new(),
            },
            Decision::Refuse { reasons } => DecisionView {
                what: "不予批准".to_string(),
                by,
                lines: Vec::new(),
                demo: false,
                reasons: reasons.clone(),
            },
        }
    });
    let p = &c.header.procedure;
    let procedure = vec![
        (
            "程序顺序",
            if p.order == StepOrder::VerifyFirst {
                "先核对、后申请"
            } else {
                "先申请、后核对"
            }
            .to_string(),
        ),
        (
            "村(居)初审",
            if p.village_review { "有" } else { "无" }.to_string(),
        ),
        ("民主评议", p.appraisal.name_zh().to_string()),
        (
            "决定前公示",
            if p.notice_before_decision {
                "有"
            } else {
                "无"
            }
            .to_string(),
        ),
    ];
    let view = CasePage {
        nav: Nav::of(s),
        id,
        number: c.header.number.clone(),
        program: c.header.program.name_zh(),
        village,
        household_id: c.header.household_id,
        household_head: household
            .as_ref()
            .and_then(|h| h.head())
            .map(|m| m.name.to_string())
            .unwrap_or_default(),
        origin: c.header.origin.name_zh(),
        stage: c.stage.name_zh(),
        closed: c.closure.as_ref().map(|cl| cl.reason.name_zh().to_string()),
        procedure,
        dues: c
            .dues
            .iter()
            .map(|d| DueRow {
                step: d.step.name_zh(),
                due: match d.due.at {
                    Some(at) => at.format("%Y-%m-%d %H:%M").to_string(),
                    None => fmt_date(d.due.date),
                },
                overdue: d.due.is_overdue(now),
            })
            .collect(),
        materials,
        decision,
        corrections: correction_rows(state, &actor, &c).await,
        forms,
        documents: crate::documents::rows(&c, &archived),
        may_issue: crate::documents::may_issue(
            &actor,
            &jiuzhu_store::DocumentSubject::Case { case_id: id },
        ),
        timeline: events
            .iter()
            .map(|e| TimelineRow {
                at: fmt_time(e.occurred_at),
                kind: event_zh(&e.kind),
                actor: names
                    .get(&e.actor)
                    .cloned()
                    .unwrap_or_else(|| e.actor.clone()),
                role: role_zh(&e.actor_role),
            })
            .collect(),
        notice,
        error,
    };
    crate::web::form_page(&view, submitted.is_some() || refused.is_some())
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DoneQuery {
    done: Option<String>,
    repaid: Option<String>,
}

/// `GET /cases/{id}`
pub(crate) async fn case_view(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let notice = q
        .done
        .as_deref()
        .and_then(|k| CommandKind::ALL.into_iter().find(|x| x.as_str() == k))
        .map(|k| format!("已办理：{}", k.name_zh()))
        .or(q.repaid.map(|_| "已登记退回款".to_string()));
    case_page(&state, &s, id, None, notice, None).await
}

/// `POST /cases/{id}/act/{kind}`: one step of the case from its form.
pub(crate) async fn case_act(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path((id, kind)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let data = FormData::parse(&body);
    if !s.csrf_ok(&data.one("csrf")) {
        return Err(WebError::csrf());
    }
    let kind = CommandKind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind && !k.opens_case())
        .ok_or_else(not_found)?;
    let actor = s.actor();
    let (current, household, rules) = load_case(&state, &actor, id).await?;
    let rules = rules
        .ok_or_else(|| WebError::new(StatusCode::CONFLICT, "本县未配置该救助项目的办理规则"))?;
    let visit = current
        .home_visits
        .last()
        .map(|v| v.members.clone())
        .unwrap_or_default();
    let cx = FormContext {
        rules: &rules,
        household: household.as_ref(),
        staff: &[],
        visit: &visit,
        findings: &[],
    };
    let mut errors = Errors::default();
    let at = command_time(&data, state.local_now(), &mut errors);
    let mut body = body_from_form(kind, &data, &cx, &mut errors);
    if !errors.0.is_empty() {
        let submitted = Submitted {
            kind,
            data: &data,
            errors,
            message: Some("请按提示修改后重新提交".to_string()),
        };
        return case_page(&state, &s, id, Some(submitted), None, None).await;
    }
    if let Some(obj) = body.as_object_mut() {
        obj.insert("type".to_string(), json!(kind.as_str()));
    }
    let command: case::CommandBody = match serde_json::from_value(body) {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!(error = %e, kind = kind.as_str(), "form did not make a command");
            let submitted = Submitted {
                kind,
                data: &data,
                errors,
                message: Some("填写的内容不完整或格式不正确，请检查后重新提交".to_string()),
            };
            return case_page(&state, &s, id, Some(submitted), None, None).await;
        }
    };
    let ctx = form_context(&state, actor, &data)?;
    let result = state
        .store
        .execute(
            &ctx,
            Command::Case {
                case_id: Some(id),
                case_command: case::Command { at, body: command },
            },
        )
        .await;
    match result {
        Ok(done) => match done.outcome {
            CommandOutcome::CaseRecorded { .. } => {
                Ok(Redirect::to(&format!("/cases/{id}?done={}", kind.as_str())).into_response())
            }
            other => Err(WebError::from(StoreError::Database(format!(
                "unexpected outcome {other:?}"
            )))),
        },
        Err(e) => {
            let message = refusal_zh(&e);
            match message {
                Some(message) => {
                    let submitted = Submitted {
                        kind,
                        data: &data,
                        errors,
                        message: Some(message),
                    };
                    case_page(&state, &s, id, Some(submitted), None, None).await
                }
                None => Err(store_not_found(e)),
            }
        }
    }
}

/// The context of a command from a form: the form's idempotency key (a fresh one where the
/// form has none), namespaced for the web.
fn form_context(
    state: &AppState,
    actor: Actor,
    data: &FormData,
) -> Result<CommandContext, WebError> {
    let key = data.one("key");
    let key = if key.is_empty() {
        new_secret().map_err(WebError::from)?
    } else {
        key
    };
    Ok(CommandContext::new(
        actor,
        format!("web:{key}"),
        state.now(),
    ))
}

/// The Chinese message of a refusal the user can act on; `None` for faults.
fn refusal_zh(e: &StoreError) -> Option<String> {
    match e {
        StoreError::Case { message_zh, .. } | StoreError::Supervision { message_zh, .. } => {
            Some(message_zh.clone())
        }
        StoreError::Invalid(_) => Some("提交的内容无效，请检查后重试".to_string()),
        StoreError::Conflict(_) => Some("案件已被他人更新，请刷新页面后重试".to_string()),
        StoreError::Forbidden(_) => Some("您无权办理此事项".to_string()),
        _ => None,
    }
}

// ---- new application ---------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewCaseQuery {
    household: Option<String>,
    program: Option<String>,
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewCasePage {
    nav: Option<Nav>,
    household_id: i64,
    household_head: String,
    village: String,
    programs: Vec<Opt>,
    program: Option<(&'static str, &'static str)>,
    verify_first: bool,
    emergency: bool,
    fields: Vec<Field>,
    error: Option<String>,
    key: String,
}

fn new_case_fields(rules: &ProgramRules, emergency: bool, role: Role) -> Vec<Field> {
    let mut origins = vec![Origin::Household, Origin::OnBehalf, Origin::Discovered];
    if role == Role::VillageAssistant {
        origins.retain(|o| *o != Origin::Household);
    }
    let mut f = vec![Field::new("origin", "申请方式", "radio").options(opts(
        &origins,
        |o| match o {
            Origin::Household => "household",
            Origin::OnBehalf => "on_behalf",
            Origin::Discovered => "discovered",
        },
        Origin::name_zh,
    ))];
    if emergency {
        f.push(Field::new(
            "emergency",
            "急难型：先行救助、后补手续",
            "check",
        ));
        f.push(Field::new("summary", "急难情况（急难型填写）", "textarea"));
    }
    f.push(materials_field(
        rules,
        "materials",
        "已递交的材料（缺少的必需材料将一次性告知）",
    ));
    f.push(Field::new("at", "申请时间（不填为现在）", "datetime"));
    f
}

async fn new_case_page(
    state: &AppState,
    s: &SessionUser,
    q: &NewCaseQuery,
    submitted: Option<(&FormData, Errors, String)>,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let h = household_or_404(state, &actor, q.household.as_deref().unwrap_or_default()).await?;
    let rules_store = state.store.rules()?;
    let profile = h
        .division
        .county()
        .and_then(|county| rules_store.profiles.profile_for(&county));
    let program = q.program.as_deref().and_then(|p| p.parse::<Program>().ok());
    let rules = program.and_then(|p| profile.and_then(|pr| pr.program(p)));
    let emergency = rules
        .and_then(|r| r.emergency.as_ref())
        .is_some_and(|e| e.help_first);
    let mut fields = rules
        .map(|r| new_case_fields(r, emergency, s.user.role))
        .unwrap_or_default();
    let (data, errors, error) = match &submitted {
        Some((d, e, m)) => (Some(*d), Some(e), Some(m.clone())),
        None => (None, None, None),
    };
    for f in &mut fields {
        f.fill(data);
        if let Some(e) = errors {
            f.error = e.0.get(&f.name).cloned();
        }
    }
    let view = NewCasePage {
        nav: Nav::of(s),
        household_id: h.id,
        household_head: h.head().map(|m| m.name.to_string()).unwrap_or_default(),
        village: h.division_name.clone(),
        programs: profile
            .map(|p| {
                p.programs
                    .keys()
                    .map(|pr| Opt {
                        value: pr.as_str().to_string(),
                        label: pr.name_zh().to_string(),
                        checked: program == Some(*pr),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        program: program
            .filter(|_| rules.is_some())
            .map(|p| (p.as_str(), p.name_zh())),
        verify_first: rules.is_some_and(|r| r.order == StepOrder::VerifyFirst),
        emergency,
        fields,
        error,
        key: new_secret().map_err(WebError::from)?,
    };
    crate::web::form_page(&view, submitted.is_some())
}

/// `GET /cases/new?household=ID[&program=P]`
pub(crate) async fn new_case(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<NewCaseQuery>,
) -> Result<Response, WebError> {
    new_case_page(&state, &s, &q, None).await
}

/// `POST /cases/new`: the application (or the pre-check request, or the emergency report).
pub(crate) async fn new_case_submit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    body: Bytes,
) -> Result<Response, WebError> {
    let data = FormData::parse(&body);
    if !s.csrf_ok(&data.one("csrf")) {
        return Err(WebError::csrf());
    }
    let q = NewCaseQuery {
        household: Some(data.one("household")),
        program: Some(data.one("program")),
    };
    let actor = s.actor();
    let h = household_or_404(&state, &actor, &data.one("household")).await?;
    let Ok(program) = data.one("program").parse::<Program>() else {
        return new_case_page(
            &state,
            &s,
            &q,
            Some((&data, Errors::default(), "请选择救助项目".to_string())),
        )
        .await;
    };
    let rules_store = state.store.rules()?;
    let rules = h
        .division
        .county()
        .and_then(|county| rules_store.profiles.profile_for(&county))
        .and_then(|p| p.program(program))
        .cloned()
        .ok_or_else(|| WebError::new(StatusCode::CONFLICT, "本县未配置该救助项目"))?;
    let mut errors = Errors::default();
    let at = command_time(&data, state.local_now(), &mut errors);
    let origin = match data.one("origin").as_str() {
        "on_behalf" => Origin::OnBehalf,
        "discovered" => Origin::Discovered,
        "household" => Origin::Household,
        _ => {
            errors.add("origin", "请选择申请方式");
            Origin::Household
        }
    };
    let emergency = data.checked("emergency");
    if emergency && data.one("summary").is_empty() {
        errors.add("summary", "请填写急难情况");
    }
    if !errors.0.is_empty() {
        return new_case_page(
            &state,
            &s,
            &q,
            Some((&data, errors, "请按提示修改后重新提交".to_string())),
        )
        .await;
    }
    let new = case::NewCase {
        case_id: 0,
        number: String::new(),
        program,
        village: h.division.clone(),
        household_id: h.id,
        origin,
    };
    let materials = data.all("materials");
    let body = if emergency {
        case::CommandBody::ReportEmergency {
            case: new,
            summary: data.one("summary"),
        }
    } else if rules.order == StepOrder::VerifyFirst {
        case::CommandBody::RequestPreCheck {
            case: new,
            materials,
        }
    } else {
        case::CommandBody::Apply {
            case: new,
            materials,
        }
    };
    let ctx = form_context(&state, actor, &data)?;
    match state
        .store
        .execute(
            &ctx,
            Command::Case {
                case_id: None,
                case_command: case::Command { at, body },
            },
        )
        .await
    {
        Ok(done) => match done.outcome {
            CommandOutcome::CaseRecorded { case_id, .. } => {
                Ok(Redirect::to(&format!("/cases/{case_id}?done=apply")).into_response())
            }
            other => Err(WebError::from(StoreError::Database(format!(
                "unexpected outcome {other:?}"
            )))),
        },
        Err(e) => match refusal_zh(&e) {
            Some(m) => new_case_page(&state, &s, &q, Some((&data, Errors::default(), m))).await,
            None => Err(e.into()),
        },
    }
}

// ---- public reports (异议/举报) to answer ------------------------------------------------

struct ReportRow {
    id: i64,
    kind: &'static str,
    place: String,
    case_number: String,
    content: String,
    contact: String,
    submitted: String,
    due: String,
    overdue: bool,
    answer: Option<String>,
    answered: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    nav: Option<Nav>,
    rows: Vec<ReportRow>,
    open: usize,
    overdue: usize,
    may_answer: bool,
    error: Option<String>,
    notice: Option<String>,
}

fn may_answer(role: Role) -> bool {
    matches!(
        role,
        Role::TownshipCaseworker
            | Role::TownshipReviewer
            | Role::TownshipHead
            | Role::CountyAdmin
            | Role::CountySupervisor
    )
}

async fn reports_page(
    state: &AppState,
    s: &SessionUser,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let reports = state.store.public_reports(&actor, false).await?;
    let today = state.local_now().date();
    let names = division_names(state, reports.iter().map(|r| &r.division).collect()).await;
    let rows: Vec<ReportRow> = reports
        .iter()
        .map(|r| ReportRow {
            id: r.id,
            kind: r.kind.name_zh(),
            place: names
                .get(r.division.as_str())
                .cloned()
                .unwrap_or_else(|| r.division.to_string()),
            case_number: r.case_number.clone().unwrap_or_default(),
            content: r.content.clone(),
            contact: r.contact.clone().unwrap_or_default(),
            submitted: fmt_time(r.submitted_at),
            due: fmt_date(r.due_date),
            overdue: r.answer.is_none() && r.due_date < today,
            answer: r.answer.clone(),
            answered: r.answered_at.map(fmt_time).unwrap_or_default(),
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = ReportsPage {
        nav: Nav::of(s),
        open: rows.iter().filter(|r| r.answer.is_none()).count(),
        overdue: rows.iter().filter(|r| r.overdue).count(),
        rows,
        may_answer: may_answer(s.user.role),
        error,
        notice,
    };
    Ok((status, Html(view.render()?)).into_response())
}

/// `GET /reports`: the objections and reports of my jurisdiction, unanswered first.
pub(crate) async fn reports(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<AnsweredQuery>,
) -> Result<Response, WebError> {
    let notice = q.answered.is_some().then(|| "已提交答复".to_string());
    reports_page(&state, &s, None, notice).await
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AnsweredQuery {
    answered: Option<String>,
}

/// `POST /reports/{id}/answer`
pub(crate) async fn answer_report(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let data = FormData::parse(&body);
    if !s.csrf_ok(&data.one("csrf")) {
        return Err(WebError::csrf());
    }
    let id = parse_id(&id)?;
    let answer = data.one("answer");
    if answer.is_empty() {
        return reports_page(&state, &s, Some("请填写答复内容".to_string()), None).await;
    }
    let ctx = form_context(&state, s.actor(), &data)?;
    match state
        .store
        .execute(
            &ctx,
            Command::AnswerPublicReport {
                report_id: id,
                answer,
            },
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/reports?answered=1").into_response()),
        Err(StoreError::NotFound(_)) => {
            Err(WebError::new(StatusCode::NOT_FOUND, "未找到该异议或举报"))
        }
        Err(e) => match refusal_zh(&e) {
            Some(m) => {
                let m = if matches!(e, StoreError::Conflict(_)) {
                    "该件已答复，不能重复答复".to_string()
                } else {
                    m
                };
                reports_page(&state, &s, Some(m), None).await
            }
            None => Err(e.into()),
        },
    }
}
