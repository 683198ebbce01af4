//! 县级页面 the county's pages: the dashboard (counts by program, township and month,
//! processing times and overdue rates, drawn as inline SVG), the delegation grants with the
//! grant and revoke forms, and the effective procedure profile (read-only).

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use jiuzhu_domain::{DivisionCode, Fen, Program, Role};
use jiuzhu_store::auth::new_secret;
use jiuzhu_store::{Command, CommandContext, NewGrant, StoreError};

use crate::AppState;
use crate::error::WebError;
use crate::session::{SessionUser, WebUser};
use crate::util::fmt_date;
use crate::web::Nav;
use crate::workbench::FormData;

// ---- charts -----------------------------------------------------------------------------

pub(crate) struct Bar {
    pub label: String,
    pub value: String,
    pub y: u32,
    pub w: u32,
}

/// A horizontal bar chart, laid out for the template (labels are escaped there).
pub(crate) struct Chart {
    pub title: &'static str,
    pub id: &'static str,
    pub height: u32,
    pub bars: Vec<Bar>,
}

const BAR_MAX_WIDTH: f64 = 380.0;
const BAR_STEP: u32 = 24;

fn chart(title: &'static str, id: &'static str, data: &[(String, f64, String)]) -> Chart {
    let max = data.iter().map(|d| d.1).fold(0.0_f64, f64::max);
    let bars = data
        .iter()
        .enumerate()
        .map(|(i, (label, v, shown))| Bar {
            label: label.clone(),
            value: shown.clone(),
            y: i as u32 * BAR_STEP,
            w: if max > 0.0 {
                (v / max * BAR_MAX_WIDTH).round() as u32
            } else {
                0
            },
        })
        .collect();
    Chart {
        title,
        id,
        height: (data.len() as u32).max(1) * BAR_STEP,
        bars,
    }
}

// ---- dashboard --------------------------------------------------------------------------

struct ProgramRow {
    program: &'static str,
    total: usize,
    open: usize,
    approved: usize,
    refused: usize,
    avg_days: String,
}

struct TownRow {
    name: String,
    open: usize,
    overdue: usize,
    rate: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    nav: Option<Nav>,
    scope_name: String,
    total: usize,
    open: usize,
    overdue: usize,
    overdue_rate: String,
    programs: Vec<ProgramRow>,
    towns: Vec<TownRow>,
    charts: Vec<Chart>,
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "—".to_string()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// `GET /dashboard`
pub(crate) async fn dashboard(
    State(state): State<AppState>,
    WebUser(s): WebUser,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let facts = state.store.case_facts(&actor, None).await?;
    let now = state.local_now();
    let overdue = |f: &jiuzhu_store::CaseFact| f.open && f.next_deadline.is_some_and(|d| d < now);

    let mut programs = Vec::new();
    let mut by_program = Vec::new();
    for p in Program::ALL {
        let of: Vec<_> = facts.iter().filter(|f| f.program == p).collect();
        if of.is_empty() {
            continue;
        }
        let days: Vec<i64> = of
            .iter()
            .filter_map(|f| f.decided_on.map(|d| (d - f.opened_on).num_days()))
            .collect();
        let avg = if days.is_empty() {
            "—".to_string()
        } else {
            format!("{:.1}", days.iter().sum::<i64>() as f64 / days.len() as f64)
        };
        by_program.push((
            p.name_zh().to_string(),
            of.len() as f64,
            of.len().to_string(),
        ));
        programs.push(ProgramRow {
            program: p.name_zh(),
            total: of.len(),
            open: of.iter().filter(|f| f.open).count(),
            approved: of.iter().filter(|f| f.approved == Some(true)).count(),
            refused: of.iter().filter(|f| f.approved == Some(false)).count(),
            avg_days: avg,
        });
    }

    let mut towns: BTreeMap<DivisionCode, (usize, usize, usize)> = BTreeMap::new();
    for f in &facts {
        let e = towns.entry(f.township.clone()).or_default();
        e.0 += 1;
        if f.open {
            e.1 += 1;
        }
        if overdue(f) {
            e.2 += 1;
        }
    }
    let mut town_rows = Vec::new();
    let mut by_town = Vec::new();
    let mut overdue_by_town = Vec::new();
    for (code, (total, open, late)) in &towns {
        let name = state
            .store
            .division(code)
            .await?
            .map(|d| d.name)
            .unwrap_or_else(|| code.to_string());
        by_town.push((name.clone(), *total as f64, total.to_string()));
        let rate = if *open == 0 {
            0.0
        } else {
            *late as f64 / *open as f64 * 100.0
        };
        overdue_by_town.push((name.clone(), rate, percent(*late, *open)));
        town_rows.push(TownRow {
            name,
            open: *open,
            overdue: *late,
            rate: percent(*late, *open),
        });
    }

    // The last 12 months, oldest first.
    let this_month = NaiveDate::from_ymd_opt(now.year(), now.month(), 1).unwrap_or(now.date());
    let mut months = Vec::new();
    let mut m = this_month;
    for _ in 0..12 {
        months.push(m);
        m = m.checked_sub_months(chrono::Months::new(1)).unwrap_or(m);
    }
    months.reverse();
    let by_month: Vec<(String, f64, String)> = months
        .iter()
        .map(|m| {
            let n = facts
                .iter()
                .filter(|f| f.opened_on.year() == m.year() && f.opened_on.month() == m.month())
                .count();
            (m.format("%Y年%m月").to_string(), n as f64, n.to_string())
        })
        .collect();

    let open = facts.iter().filter(|f| f.open).count();
    let late = facts.iter().filter(|f| overdue(f)).count();
    let scope_name = state
        .store
        .division(&s.user.division)
        .await?
        .map(|d| d.name)
        .unwrap_or_default();
    let page = DashboardPage {
        nav: Nav::of(&s),
        scope_name,
        total: facts.len(),
        open,
        overdue: late,
        overdue_rate: percent(late, open),
        programs,
        towns: town_rows,
        charts: vec![
            chart("按救助项目统计（件）", "chart-program", &by_program),
            chart("按乡镇（街道）统计（件）", "chart-township", &by_town),
            chart("按月受理（近12个月，件）", "chart-month", &by_month),
            chart(
                "在办案件超期率（按乡镇）",
                "chart-overdue",
                &overdue_by_town,
            ),
        ],
    };
    Ok(Html(page.render()?).into_response())
}

// ---- delegation grants ------------------------------------------------------------------

struct GrantRow {
    id: i64,
    program: &'static str,
    township: String,
    from: String,
    until: String,
    cap: String,
    basis: String,
    revoked: String,
    in_force: bool,
    /// The archived 授权书: document id and 文号.
    letter: Option<(i64, String)>,
}

#[derive(Template)]
#[template(path = "grants.html")]
struct GrantsPage {
    nav: Option<Nav>,
    rows: Vec<GrantRow>,
    may_grant: bool,
    programs: Vec<(&'static str, &'static str)>,
    townships: Vec<(String, String)>,
    error: Option<String>,
    key: String,
}

async fn grants_page(
    state: &AppState,
    s: &SessionUser,
    error: Option<String>,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let grants = state.store.grants(&actor, None, None).await?;
    let today = state.local_now().date();
    let mut rows = Vec::new();
    for g in &grants {
        let township = state
            .store
            .division(&g.township)
            .await?
            .map(|d| d.name)
            .unwrap_or_else(|| g.township.to_string());
        rows.push(GrantRow {
            id: g.id,
            program: g.program.name_zh(),
            township,
            from: fmt_date(g.from),
            until: g.until.map(fmt_date).unwrap_or_else(|| "长期".to_string()),
            cap: g
                .cap
                .map(|c| format!("{}元", c.format_grouped()))
                .unwrap_or_else(|| "不限".to_string()),
            basis: g.basis.clone(),
            revoked: g
                .revoked
                .as_ref()
                .map(|r| format!("自{}起撤销：{}", fmt_date(r.effective), r.reason))
                .unwrap_or_default(),
            in_force: g.in_force(today),
            letter: state
                .store
                .documents_of(&actor, &format!("grant:{}", g.id))
                .await?
                .first()
                .map(|d| (d.id, d.number.clone())),
        });
    }
    let may_grant = s.user.role == Role::CountyAdmin;
    let townships = if may_grant {
        state
            .store
            .divisions(&actor, Some(&s.user.division))
            .await?
            .into_iter()
            .map(|d| (d.code.to_string(), d.name))
            .collect()
    } else {
        Vec::new()
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = GrantsPage {
        nav: Nav::of(s),
        rows,
        may_grant,
        programs: Program::ALL
            .iter()
            .map(|p| (p.as_str(), p.name_zh()))
            .collect(),
        townships,
        error,
        key: new_secret().map_err(WebError::from)?,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /grants`
pub(crate) async fn grants(
    State(state): State<AppState>,
    WebUser(s): WebUser,
) -> Result<Response, WebError> {
    grants_page(&state, &s, None).await
}

fn grant_refusal(e: &StoreError) -> Option<String> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => Some(format!("未能保存：{m}")),
        StoreError::Forbidden(_) => Some("只有县级民政管理员可以授权或撤销".to_string()),
        StoreError::NotFound(_) => Some("未找到该授权".to_string()),
        _ => None,
    }
}

/// `POST /grants`: 授权 a program's confirmation to a township.
pub(crate) async fn grant_submit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = FormData::parse(&body);
    if !s.csrf_ok(&f.one("csrf")) {
        return Err(WebError::csrf());
    }
    let program = f.one("program").parse::<Program>().ok();
    let township = DivisionCode::parse(&f.one("township")).ok();
    let from = NaiveDate::parse_from_str(&f.one("from"), "%Y-%m-%d").ok();
    let until = match f.one("until").as_str() {
        "" => Ok(None),
        d => NaiveDate::parse_from_str(d, "%Y-%m-%d").map(Some),
    };
    let cap = match f.one("cap_yuan").as_str() {
        "" => Ok(None),
        c => Fen::parse_yuan(c).map(Some),
    };
    let basis = f.one("basis");
    let (Some(program), Some(township), Some(from), Ok(until), Ok(cap)) =
        (program, township, from, until, cap)
    else {
        return grants_page(
            &state,
            &s,
            Some(
                "请选择项目和乡镇，填写起始日期；截止日期和金额上限可不填，金额以元为单位"
                    .to_string(),
            ),
        )
        .await;
    };
    if basis.is_empty() {
        return grants_page(
            &state,
            &s,
            Some("请填写授权依据（授权书文号或方案条款）".to_string()),
        )
        .await;
    }
    let ctx = CommandContext::new(s.actor(), format!("web:{}", f.one("key")), state.now());
    let grant = NewGrant {
        program,
        township,
        from,
        until,
        cap,
        basis,
    };
    match state
        .store
        .execute(&ctx, Command::GrantDelegation(grant))
        .await
    {
        Ok(_) => Ok(Redirect::to("/grants").into_response()),
        Err(e) => match grant_refusal(&e) {
            Some(m) => grants_page(&state, &s, Some(m)).await,
            None => Err(e.into()),
        },
    }
}

/// `POST /grants/{id}/revoke`
pub(crate) async fn revoke_submit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = FormData::parse(&body);
    if !s.csrf_ok(&f.one("csrf")) {
        return Err(WebError::csrf());
    }
    let id: i64 = id
        .parse()
        .map_err(|_| WebError::new(StatusCode::NOT_FOUND, "未找到该授权"))?;
    let Ok(effective) = NaiveDate::parse_from_str(&f.one("effective"), "%Y-%m-%d") else {
        return grants_page(&state, &s, Some("请填写撤销生效日期".to_string())).await;
    };
    let reason = f.one("reason");
    if reason.is_empty() {
        return grants_page(&state, &s, Some("请填写撤销理由".to_string())).await;
    }
    let ctx = CommandContext::new(s.actor(), format!("web:{}", f.one("key")), state.now());
    match state
        .store
        .execute(
            &ctx,
            Command::RevokeDelegation {
                grant_id: id,
                effective,
                reason,
            },
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/grants").into_response()),
        Err(e) => match grant_refusal(&e) {
            Some(m) => grants_page(&state, &s, Some(m)).await,
            None => Err(e.into()),
        },
    }
}

// ---- profile (read-only) ----------------------------------------------------------------

struct RuleRow {
    program: &'static str,
    rows: Vec<(&'static str, String)>,
}

struct ProfileView {
    name: String,
    plan: String,
    programs: Vec<RuleRow>,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    nav: Option<Nav>,
    profiles: Vec<ProfileView>,
}

/// `GET /profile`: the effective rules of the counties in my jurisdiction.
pub(crate) async fn profile(
    State(state): State<AppState>,
    WebUser(s): WebUser,
) -> Result<Response, WebError> {
    let rules = state.store.rules()?;
    let scope = s.actor().scope();
    let mut profiles = Vec::new();
    for p in rules.profiles.profiles() {
        if !p
            .applies_to
            .iter()
            .any(|c| scope.contains(c) || c.contains(&s.user.division))
        {
            continue;
        }
        let period = |p: Option<jiuzhu_domain::deadline::Period>| {
            p.map(|p| p.to_string())
                .unwrap_or_else(|| "未规定".to_string())
        };
        let programs = p
            .programs
            .iter()
            .map(|(program, r)| RuleRow {
                program: program.name_zh(),
                rows: vec![
                    (
                        "审核确认权限",
                        if r.delegation.delegated {
                            r.delegation
                                .phases
                                .iter()
                                .map(|ph| format!("自{}起下放乡镇", fmt_date(ph.from)))
                                .collect::<Vec<_>>()
                                .join("；")
                        } else {
                            "县级确认".to_string()
                        },
                    ),
                    (
                        "乡镇金额上限",
                        r.delegation
                            .cap
                            .map(|c| format!("{}元", c.format_grouped()))
                            .unwrap_or_else(|| "无".to_string()),
                    ),
                    ("程序顺序", r.order.name_zh().to_string()),
                    (
                        "村(居)初审",
                        if r.steps.village_review { "有" } else { "无" }.to_string(),
                    ),
                    ("民主评议", r.steps.appraisal.name_zh().to_string()),
                    (
                        "决定前公示",
                        if r.steps.notice.before_decision {
                            period(r.steps.notice.length)
                        } else {
                            "无".to_string()
                        },
                    ),
                    ("确认期限", period(r.steps.decision.deadline)),
                    ("办理时限", period(r.whole_limit(r.delegation.delegated))),
                    (
                        "金额核定",
                        jiuzhu_domain::benefit::formula_zh(r.amount.formula()).to_string(),
                    ),
                    (
                        "保障标准",
                        r.standards
                            .iter()
                            .map(|st| {
                                format!(
                                    "{} {}{}{}",
                                    st.name_zh,
                                    st.yuan.format_grouped(),
                                    st.per.name_zh(),
                                    if st.demo { "（演示数据）" } else { "" }
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("；"),
                    ),
                ],
            })
            .collect();
        profiles.push(ProfileView {
            name: p.name.clone(),
            plan: format!("{}（{}）", p.plan.title, p.plan.source),
            programs,
        });
    }
    Ok(Html(
        ProfilePage {
            nav: Nav::of(&s),
            profiles,
        }
        .render()?,
    )
    .into_response())
}
