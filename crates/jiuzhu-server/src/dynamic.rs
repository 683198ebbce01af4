//! 动态管理 pages: the month's visits of recipient households (the village assistant records
//! each visit, a 零报告 when nothing changed; households not yet visited are listed), the
//! re-check schedule (定期复核, or now where a visit reported a change), the re-check form of
//! one household and program (the amount is computed again by the store from the facts
//! found), and the re-checks done, each with its 调整/停发告知书. Every action is a
//! `Command::Dynamic` through the store (audited there).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use jiuzhu_domain::case::MemberFacts;
use jiuzhu_domain::dynamic::ChangeKind;
use jiuzhu_domain::{DivisionCode, Fen, Program, Role};
use jiuzhu_store::dynamic::{DynamicCommand, RecheckFilter};
use jiuzhu_store::payroll::EntitlementFilter;
use jiuzhu_store::payroll::Month;
use jiuzhu_store::{Command, CommandContext, CommandOutcome, PageRequest};
use serde::Deserialize;

use crate::AppState;
use crate::error::{WebError, refusal_zh as refusal};
use crate::session::{SessionUser, WebUser};
use crate::web::Nav;
use crate::workbench::{FormData, division_names};

fn may_visit(role: Role) -> bool {
    matches!(
        role,
        Role::VillageAssistant | Role::TownshipCaseworker | Role::TownshipHead
    )
}

fn may_recheck(role: Role) -> bool {
    matches!(
        role,
        Role::TownshipCaseworker | Role::TownshipHead | Role::CountyAdmin
    )
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DynamicQuery {
    month: Option<String>,
    missing: Option<String>,
    done: Option<String>,
}

struct VisitRow {
    household_id: i64,
    head: String,
    village: String,
    programs: String,
    /// `None` while not visited.
    visit: Option<String>,
}

struct DueRow {
    household_id: i64,
    head: String,
    village: String,
    program: &'static str,
    program_key: &'static str,
    monthly: String,
    last: String,
    due: String,
    overdue: bool,
    reason: String,
}

struct RecheckRow {
    id: i64,
    household_id: i64,
    head: String,
    program: &'static str,
    checked_on: String,
    outcome: &'static str,
    change: String,
    next_due: String,
    notice: bool,
}

#[derive(Template)]
#[template(path = "dynamic.html")]
struct DynamicPage {
    nav: Option<Nav>,
    month: String,
    prev: String,
    next: String,
    missing_only: bool,
    can_visit: bool,
    can_recheck: bool,
    default_day: String,
    kinds: Vec<(&'static str, &'static str)>,
    recipients: usize,
    visited: usize,
    zero_reports: usize,
    changes: usize,
    visits: Vec<VisitRow>,
    due: Vec<DueRow>,
    due_total: usize,
    rechecks: Vec<RecheckRow>,
    key: String,
    notice: Option<String>,
    error: Option<String>,
}

fn month_of(state: &AppState, raw: Option<&str>) -> Result<Month, WebError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(m) => m
            .parse()
            .map_err(|_| WebError::new(StatusCode::UNPROCESSABLE_ENTITY, "月份格式应为 YYYY-MM")),
        None => Ok(Month::of(state.local_now().date())),
    }
}

fn change_names(changes: &[ChangeKind]) -> String {
    changes
        .iter()
        .map(|c| c.name_zh())
        .collect::<Vec<_>>()
        .join("、")
}

async fn page(
    state: &AppState,
    s: &SessionUser,
    month: Month,
    missing_only: bool,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let within = s.user.division.clone();
    let today = state.local_now().date();
    let lines = state.store.visit_list(&actor, &within, month).await?;
    let due = state.store.rechecks_due(&actor, &within).await?;
    let rechecks = state
        .store
        .rechecks(
            &actor,
            &RecheckFilter {
                within: Some(within.clone()),
                household_id: None,
            },
        )
        .await?;
    let mut codes: Vec<&DivisionCode> = lines.iter().map(|l| &l.village).collect();
    codes.extend(due.iter().map(|d| &d.village));
    let names = division_names(state, codes).await;
    let name = |c: &DivisionCode| {
        names
            .get(c.as_str())
            .cloned()
            .unwrap_or_else(|| c.to_string())
    };
    let heads: std::collections::HashMap<i64, String> = lines
        .iter()
        .map(|l| (l.household_id, l.head_name.clone()))
        .chain(due.iter().map(|d| (d.household_id, d.head_name.clone())))
        .collect();
    let visited = lines.iter().filter(|l| l.visit.is_some()).count();
    let zero_reports = lines
        .iter()
        .filter(|l| l.visit.as_ref().is_some_and(|v| v.zero_report))
        .count();
    // What a worker acts on within a month: due by then, or overdue.
    let horizon = today + chrono::Days::new(31);
    let due_total = due.len();
    let last_day = month.next().first_day() - chrono::Days::new(1);
    let view = DynamicPage {
        nav: Nav::of(s),
        month: month.to_string(),
        prev: month.prev().to_string(),
        next: month.next().to_string(),
        missing_only,
        can_visit: may_visit(s.user.role),
        can_recheck: may_recheck(s.user.role),
        default_day: today.min(last_day).max(month.first_day()).to_string(),
        kinds: ChangeKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.name_zh()))
            .collect(),
        recipients: lines.len(),
        visited,
        zero_reports,
        changes: visited - zero_reports,
        visits: lines
            .iter()
            .filter(|l| !missing_only || l.visit.is_none())
            .map(|l| VisitRow {
                household_id: l.household_id,
                head: l.head_name.clone(),
                village: name(&l.village),
                programs: l
                    .programs
                    .iter()
                    .map(|p| p.name_zh())
                    .collect::<Vec<_>>()
                    .join("、"),
                visit: l.visit.as_ref().map(|v| {
                    let what = if v.zero_report {
                        "零报告".to_string()
                    } else {
                        format!("发现：{}", change_names(&v.changes))
                    };
                    let note = if v.note.is_empty() {
                        String::new()
                    } else {
                        format!("（{}）", v.note)
                    };
                    format!("{} {} {what}{note}", v.visited_on, v.visitor)
                }),
            })
            .collect(),
        due: due
            .iter()
            .filter(|d| d.due <= horizon)
            .map(|d| DueRow {
                household_id: d.household_id,
                head: d.head_name.clone(),
                village: name(&d.village),
                program: d.program.name_zh(),
                program_key: d.program.as_str(),
                monthly: d.monthly.format_grouped(),
                last: d
                    .last_checked
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "未复核".to_string()),
                due: d.due.to_string(),
                overdue: d.due < today,
                reason: if d.changes.is_empty() {
                    d.reason.name_zh().to_string()
                } else {
                    format!("{}：{}", d.reason.name_zh(), change_names(&d.changes))
                },
            })
            .collect(),
        due_total,
        rechecks: rechecks
            .iter()
            .take(100)
            .map(|r| RecheckRow {
                id: r.id,
                household_id: r.household_id,
                head: heads.get(&r.household_id).cloned().unwrap_or_default(),
                program: r.program.name_zh(),
                checked_on: r.checked_on.to_string(),
                outcome: r.outcome.name_zh(),
                change: match (r.effective, r.stop_from) {
                    (Some(e), Some(stop)) if stop != e => format!(
                        "{}元照发至{}，{}起停发",
                        r.amount.format_grouped(),
                        stop.prev(),
                        stop
                    ),
                    (_, Some(stop)) => format!("{stop}起停发"),
                    (Some(e), None) => format!(
                        "{}元 → {}元（{e}起）",
                        r.previous.format_grouped(),
                        r.amount.format_grouped()
                    ),
                    (None, None) => format!("{}元不变", r.amount.format_grouped()),
                },
                next_due: r.next_due.to_string(),
                notice: r.outcome.needs_notice(),
            })
            .collect(),
        key: jiuzhu_store::auth::new_secret()?,
        notice,
        error,
    };
    crate::web::form_page(&view, view.error.is_some())
}

/// `GET /dynamic?month=YYYY-MM[&missing=1]`
pub(crate) async fn dynamic(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<DynamicQuery>,
) -> Result<Response, WebError> {
    let month = month_of(&state, q.month.as_deref())?;
    let notice = q.done.as_deref().map(|d| match d {
        "visit" => "已登记走访".to_string(),
        "recheck" => "已记录复核，待遇变化已计入下月花名册".to_string(),
        _ => "已办理".to_string(),
    });
    page(
        &state,
        &s,
        month,
        q.missing.as_deref() == Some("1"),
        notice,
        None,
    )
    .await
}

fn date_field(f: &FormData, name: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(f.one(name).trim(), "%Y-%m-%d").ok()
}

/// `POST /dynamic/visit`: records one household's visit of the month.
pub(crate) async fn visit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = FormData::parse(&body);
    if !s.csrf_ok(&f.one("csrf")) {
        return Err(WebError::csrf());
    }
    let month = month_of(&state, Some(f.one("month").as_str()))?;
    let zero_report = f.one("outcome") == "zero";
    let changes: Vec<ChangeKind> = f
        .all("changes")
        .iter()
        .filter_map(|c| ChangeKind::parse(c))
        .collect();
    let command = match (
        f.one("household_id").parse::<i64>(),
        date_field(&f, "visited_on"),
    ) {
        (Ok(household_id), Some(visited_on)) => DynamicCommand::RecordVisit {
            household_id,
            month,
            visited_on,
            zero_report,
            changes,
            note: f.one("note"),
        },
        (_, None) => {
            let m = Some("请填写走访日期（YYYY-MM-DD）".to_string());
            return page(&state, &s, month, false, None, m).await;
        }
        (Err(_), _) => return Err(WebError::new(StatusCode::NOT_FOUND, "未找到该家庭")),
    };
    let ctx = CommandContext::new(s.actor(), format!("web:{}", f.one("key")), state.now());
    match state.store.execute(&ctx, Command::Dynamic(command)).await {
        Ok(_) => Ok(Redirect::to(&format!("/dynamic?month={month}&done=visit")).into_response()),
        Err(e) => match refusal(&e) {
            Some(m) => page(&state, &s, month, false, None, Some(m)).await,
            None => Err(e.into()),
        },
    }
}

struct MemberRow {
    seq: i32,
    name: String,
    relation: &'static str,
    lives: bool,
    able: bool,
    income: String,
}

#[derive(Template)]
#[template(path = "recheck.html")]
struct RecheckPage {
    nav: Option<Nav>,
    household_id: i64,
    head: String,
    program: &'static str,
    program_key: &'static str,
    monthly: String,
    formula: &'static str,
    needs_members: bool,
    members: Vec<MemberRow>,
    checked_on: String,
    stable: bool,
    eligible: bool,
    findings: String,
    history: Vec<RecheckRow>,
    key: String,
    error: Option<String>,
}

/// The form's values (kept when a submission is refused).
struct RecheckInput {
    checked_on: String,
    stable: bool,
    eligible: bool,
    findings: String,
    /// seq → (lives, able, income as typed)
    members: std::collections::HashMap<i32, (bool, bool, String)>,
}

async fn recheck_page(
    state: &AppState,
    s: &SessionUser,
    household_id: i64,
    program: Program,
    input: Option<RecheckInput>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let household = state.store.household(&actor, household_id).await?;
    let ent = state
        .store
        .entitlements(
            &actor,
            &EntitlementFilter {
                within: None,
                program: Some(program),
                household_id: Some(household_id),
            },
            PageRequest::new(1, 1),
        )
        .await?
        .items
        .into_iter()
        .next()
        .ok_or_else(|| WebError::new(StatusCode::NOT_FOUND, "该家庭没有此项救助待遇"))?;
    // The facts of the approval's latest home visit, as a starting point.
    let (visit_members, formula) = match ent.case_id {
        Some(id) => match state.store.case(&actor, id).await {
            Ok(c) => (
                c.home_visits
                    .last()
                    .map(|v| v.members.clone())
                    .unwrap_or_default(),
                c.decision
                    .as_ref()
                    .and_then(|d| match &d.decision {
                        jiuzhu_domain::case::Decision::Approve { calculation, .. } => {
                            Some(calculation.basis.formula())
                        }
                        _ => None,
                    })
                    .unwrap_or(""),
            ),
            Err(_) => (Vec::new(), ""),
        },
        None => (Vec::new(), ""),
    };
    let history = state
        .store
        .rechecks(
            &actor,
            &RecheckFilter {
                within: None,
                household_id: Some(household_id),
            },
        )
        .await?;
    let head = household
        .head()
        .map(|m| m.name.as_str().to_string())
        .unwrap_or_default();
    let today = state.local_now().date();
    let members = household
        .members
        .iter()
        .map(|m| {
            let seen = visit_members.iter().find(|v| v.member_seq == m.seq);
            let typed = input.as_ref().and_then(|i| i.members.get(&m.seq));
            MemberRow {
                seq: m.seq,
                name: m.name.as_str().to_string(),
                relation: m.relation.name_zh(),
                lives: typed
                    .map(|t| t.0)
                    .unwrap_or_else(|| seen.is_none_or(|v| v.lives_together)),
                able: typed
                    .map(|t| t.1)
                    .unwrap_or_else(|| seen.is_some_and(|v| v.able_to_work)),
                income: typed.map(|t| t.2.clone()).unwrap_or_else(|| {
                    seen.map(|v| v.monthly_income.to_string())
                        .unwrap_or_else(|| "0.00".to_string())
                }),
            }
        })
        .collect();
    let view = RecheckPage {
        nav: Nav::of(s),
        household_id,
        head: head.clone(),
        program: program.name_zh(),
        program_key: program.as_str(),
        monthly: if ent.status == jiuzhu_store::payroll::EntitlementStatus::Suspended {
            format!("{}（暂停中）", ent.base.format_grouped())
        } else {
            ent.monthly.format_grouped()
        },
        formula: jiuzhu_domain::benefit::formula_zh(formula),
        needs_members: formula == "top_up",
        members,
        checked_on: input
            .as_ref()
            .map(|i| i.checked_on.clone())
            .unwrap_or_else(|| today.to_string()),
        stable: input.as_ref().is_some_and(|i| i.stable),
        eligible: input.as_ref().is_none_or(|i| i.eligible),
        findings: input
            .as_ref()
            .map(|i| i.findings.clone())
            .unwrap_or_default(),
        history: history
            .iter()
            .map(|r| RecheckRow {
                id: r.id,
                household_id,
                head: head.clone(),
                program: r.program.name_zh(),
                checked_on: r.checked_on.to_string(),
                outcome: r.outcome.name_zh(),
                change: r.reason_zh.clone(),
                next_due: r.next_due.to_string(),
                notice: r.outcome.needs_notice(),
            })
            .collect(),
        key: jiuzhu_store::auth::new_secret()?,
        error,
    };
    crate::web::form_page(&view, view.error.is_some())
}

fn program_of(raw: &str) -> Result<Program, WebError> {
    raw.parse()
        .map_err(|_| WebError::new(StatusCode::NOT_FOUND, "未找到该救助项目"))
}

/// `GET /dynamic/recheck/{household_id}/{program}`
pub(crate) async fn recheck_form(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path((household_id, program)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    recheck_page(&state, &s, household_id, program_of(&program)?, None, None).await
}

/// `POST /dynamic/recheck/{household_id}/{program}`
pub(crate) async fn recheck_submit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path((household_id, program)): Path<(i64, String)>,
    body: Bytes,
) -> Result<Response, WebError> {
    let program = program_of(&program)?;
    let f = FormData::parse(&body);
    if !s.csrf_ok(&f.one("csrf")) {
        return Err(WebError::csrf());
    }
    let household = state.store.household(&s.actor(), household_id).await?;
    let mut input = RecheckInput {
        checked_on: f.one("checked_on"),
        stable: f.checked("stable"),
        eligible: f.one("eligible") != "false",
        findings: f.one("findings"),
        members: Default::default(),
    };
    let mut members = Vec::new();
    let mut bad_income = None;
    let with_members = f.one("with_members") == "1";
    for m in &household.members {
        let lives = f.checked(&format!("m{}_lives", m.seq));
        let able = f.checked(&format!("m{}_able", m.seq));
        let raw = f.one(&format!("m{}_income", m.seq));
        input.members.insert(m.seq, (lives, able, raw.clone()));
        let income = if raw.is_empty() {
            Ok(Fen::ZERO)
        } else {
            Fen::parse_yuan(&raw)
        };
        match income {
            Ok(monthly_income) if with_members => members.push(MemberFacts {
                member_seq: m.seq,
                relation: m.relation,
                lives_together: lives,
                able_to_work: able,
                monthly_income,
                note: String::new(),
            }),
            Ok(_) => {}
            Err(_) => {
                bad_income = Some(format!(
                    "{}的月收入“{raw}”不是有效金额（元，最多两位小数）",
                    m.name.as_str()
                ))
            }
        }
    }
    if let Some(m) = bad_income {
        return recheck_page(&state, &s, household_id, program, Some(input), Some(m)).await;
    }
    let Some(checked_on) = date_field(&f, "checked_on") else {
        let m = Some("请填写复核日期（YYYY-MM-DD）".to_string());
        return recheck_page(&state, &s, household_id, program, Some(input), m).await;
    };
    let command = DynamicCommand::RecordRecheck {
        household_id,
        program,
        checked_on,
        stable: input.stable,
        members,
        eligible: input.eligible,
        findings: input.findings.clone(),
    };
    let ctx = CommandContext::new(s.actor(), format!("web:{}", f.one("key")), state.now());
    match state.store.execute(&ctx, Command::Dynamic(command)).await {
        Ok(done) => {
            let id = match done.outcome {
                CommandOutcome::RecheckRecorded { recheck_id, .. } => recheck_id,
                _ => 0,
            };
            Ok(Redirect::to(&format!("/dynamic?done=recheck#recheck-{id}")).into_response())
        }
        Err(e) => match refusal(&e) {
            Some(m) => recheck_page(&state, &s, household_id, program, Some(input), Some(m)).await,
            None => Err(e.into()),
        },
    }
}
