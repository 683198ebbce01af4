//! The server-rendered pages (简体中文): login, home, household list and detail.
//!
//! Handlers turn store records into small view structs of display strings, so that the
//! templates only lay out text: every date is formatted, every ID number masked, here.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use chrono::Duration;
use jiuzhu_domain::DivisionCode;
use jiuzhu_store::auth::{new_secret, secret_digest};
use jiuzhu_store::{Actor, EventRecord, HouseholdFilter, NewSession, PageRequest, Scope};
use serde::Deserialize;

use crate::AppState;
use crate::error::{CSRF_MESSAGE, WebError};
use crate::session::{ClientIp, LoginFailure, SessionUser, WebUser, authenticate, session_of};
use crate::util::{
    LOGIN_CSRF_COOKIE, cookie, ct_eq, fmt_date, fmt_time, login_csrf_cookie, session_cookie,
};

/// How long a browser session lasts.
const SESSION_HOURS: i64 = 12;
/// Households per page of the list.
const PER_PAGE: u32 = 50;

pub(crate) const MSG_BAD_LOGIN: &str = "用户名或密码错误";
pub(crate) const MSG_DISABLED: &str = "账号已停用，请联系县级管理员";
pub(crate) const MSG_THROTTLED: &str = "登录失败次数过多，请15分钟后再试";

/// The header of every page for a logged-in user.
#[derive(Debug, Clone)]
pub(crate) struct Nav {
    pub display_name: String,
    pub role_name: &'static str,
    pub csrf: String,
    /// County administrators and supervisors: the 失信记录 link.
    pub county_staff: bool,
    /// The offices that take and answer complaints: the 投诉举报 link.
    pub complaints: bool,
}

impl Nav {
    pub(crate) fn of(s: &SessionUser) -> Option<Nav> {
        Some(Nav {
            display_name: s.user.display_name.clone(),
            role_name: s.user.role.name_zh(),
            csrf: s.csrf.clone(),
            county_staff: matches!(
                s.user.role,
                jiuzhu_domain::Role::CountyAdmin | jiuzhu_domain::Role::CountySupervisor
            ),
            complaints: crate::complaints::may_receive(s.user.role),
        })
    }
}

fn render(t: &impl Template) -> Result<Html<String>, WebError> {
    Ok(Html(t.render()?))
}

/// A page that may show a form's refusal or field errors: 422 when it does (`refused`), so
/// that a failed submission is not mistaken for a success, 200 otherwise.
pub(crate) fn form_page(t: &impl Template, refused: bool) -> Result<Response, WebError> {
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, render(t)?).into_response())
}

/// A form body whose fields all have defaults; a body that is not a form at all is a bad
/// request page rather than axum's plain-text rejection.
fn form<T>(f: Result<Form<T>, FormRejection>) -> Result<T, WebError> {
    f.map(|Form(v)| v).map_err(|e| {
        tracing::debug!(error = %e, "unreadable form");
        WebError::new(StatusCode::BAD_REQUEST, CSRF_MESSAGE)
    })
}

// ---- login -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Option<Nav>,
    csrf: String,
    username: String,
    error: Option<&'static str>,
    /// Where to go after logging in (a local path).
    next: String,
}

/// A local path to return to after logging in: starts with one `/`, no scheme, no
/// backslash, no control characters; anything else is the home page.
pub(crate) fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && next.len() <= 512
        && !next.starts_with("/login");
    ok.then_some(next)
}

/// Renders the login form with a fresh double-submit token in the form and in a cookie.
fn login_form(
    state: &AppState,
    status: StatusCode,
    username: &str,
    error: Option<&'static str>,
    next: &str,
) -> Result<Response, WebError> {
    let csrf = new_secret().map_err(WebError::from)?;
    let page = render(&LoginPage {
        nav: None,
        csrf: csrf.clone(),
        username: username.chars().take(64).collect(),
        error,
        next: safe_next(next).unwrap_or_default().to_string(),
    })?;
    let set = login_csrf_cookie(state.cookie_secure).set(&csrf, None);
    Ok((status, [(header::SET_COOKIE, set)], page).into_response())
}

/// `GET /login`
pub(crate) async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    let next = q.next.unwrap_or_default();
    if session_of(&state, &headers).await?.is_some() {
        return Ok(Redirect::to(safe_next(&next).unwrap_or("/")).into_response());
    }
    login_form(&state, StatusCode::OK, "", None, &next)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: String,
}

/// `POST /login`
pub(crate) async fn login_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    f: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    let cookie_token = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if cookie_token.is_empty() || f.csrf.is_empty() || !ct_eq(&cookie_token, &f.csrf) {
        tracing::info!(?ip, "login form refused: CSRF token missing or wrong");
        return login_form(
            &state,
            StatusCode::FORBIDDEN,
            &f.username,
            Some(CSRF_MESSAGE),
            &f.next,
        );
    }
    let user = match authenticate(&state, &f.username, &f.password, ip).await {
        Ok(user) => user,
        Err(LoginFailure::Throttled) => {
            return login_form(
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                &f.username,
                Some(MSG_THROTTLED),
                &f.next,
            );
        }
        Err(LoginFailure::BadCredentials) => {
            return login_form(
                &state,
                StatusCode::UNAUTHORIZED,
                &f.username,
                Some(MSG_BAD_LOGIN),
                &f.next,
            );
        }
        Err(LoginFailure::Disabled) => {
            return login_form(
                &state,
                StatusCode::UNAUTHORIZED,
                &f.username,
                Some(MSG_DISABLED),
                &f.next,
            );
        }
        Err(LoginFailure::Store(e)) => return Err(e.into()),
    };
    let session_id = new_secret()?;
    let now = state.now();
    let session = NewSession {
        digest: secret_digest(&session_id),
        csrf_token: new_secret()?,
        expires_at: now + Duration::hours(SESSION_HOURS),
    };
    state
        .store
        .record_login(now, &user.username, Some(&user), Some(session))
        .await?;
    tracing::info!(username = %user.username, user_id = user.id, "logged in");
    let cookies = AppendHeaders([
        (
            header::SET_COOKIE,
            session_cookie(state.cookie_secure).set(&session_id, Some(SESSION_HOURS * 3600)),
        ),
        (
            header::SET_COOKIE,
            login_csrf_cookie(state.cookie_secure).clear(),
        ),
    ]);
    Ok((cookies, Redirect::to(safe_next(&f.next).unwrap_or("/"))).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CsrfForm {
    csrf: String,
}

/// `POST /logout`
pub(crate) async fn logout(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    f: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    if !s.csrf_ok(&f.csrf) {
        return Err(WebError::csrf());
    }
    state.store.end_session(&s.digest, state.now()).await?;
    tracing::info!(username = %s.user.username, user_id = s.user.id, "logged out");
    Ok((
        [(
            header::SET_COOKIE,
            session_cookie(state.cookie_secure).clear(),
        )],
        Redirect::to("/login"),
    )
        .into_response())
}

// ---- home ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    nav: Option<Nav>,
    display_name: String,
    role_name: &'static str,
    division_name: String,
    division_code: String,
    division_level: &'static str,
    counts: jiuzhu_store::Counts,
}

/// `GET /`
pub(crate) async fn home(
    State(state): State<AppState>,
    WebUser(s): WebUser,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let counts = state.store.counts(&actor).await?;
    let division = state.store.division(&s.user.division).await?;
    let page = HomePage {
        nav: Nav::of(&s),
        display_name: s.user.display_name.clone(),
        role_name: s.user.role.name_zh(),
        division_name: division
            .map(|d| d.name)
            .unwrap_or_else(|| "（未登记的区划）".to_string()),
        division_code: s.user.division.to_string(),
        division_level: s.user.division.level().name_zh(),
        counts,
    };
    Ok(render(&page)?.into_response())
}

// ---- households ------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ListQuery {
    page: Option<String>,
    pub(crate) division: Option<String>,
}

struct HouseholdRow {
    id: i64,
    head_name: String,
    division_name: String,
    member_count: i64,
    created_at: String,
}

struct DivisionOption {
    code: String,
    name: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "households.html")]
struct HouseholdsPage {
    nav: Option<Nav>,
    rows: Vec<HouseholdRow>,
    total: i64,
    page: u32,
    pages: u32,
    options: Vec<DivisionOption>,
    /// The filter as a query-string suffix for the pager links (`&division=…` or empty).
    filter_query: String,
    /// The user may import households (批量导入 link).
    may_import: bool,
}

/// Parses the optional `division` filter of a list; the message names what was wrong.
pub(crate) fn parse_division_filter(
    raw: Option<&str>,
    scope: &Scope,
) -> Result<Option<DivisionCode>, String> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let code = DivisionCode::parse(raw)
        .map_err(|e| format!("区划代码（division）无效：{}", e.message_zh()))?;
    let overlaps = match scope {
        Scope::All => true,
        Scope::Within(root) => root.contains(&code) || code.contains(root),
    };
    if !overlaps {
        return Err(format!("区划{code}不在您的管辖范围内"));
    }
    Ok(Some(code))
}

/// Parses a page number; anything unreadable is the first page.
pub(crate) fn parse_page(raw: Option<&str>) -> u32 {
    raw.and_then(|p| p.trim().parse::<u32>().ok())
        .unwrap_or(1)
        .max(1)
}

/// `GET /households?page=N&division=CODE`
pub(crate) async fn households(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let division = parse_division_filter(q.division.as_deref(), &actor.scope())
        .map_err(|m| WebError::new(StatusCode::BAD_REQUEST, m))?;
    let page_no = parse_page(q.page.as_deref());
    let filter = HouseholdFilter {
        division: division.clone(),
    };
    let page = state
        .store
        .households(&actor, &filter, PageRequest::new(page_no, PER_PAGE))
        .await?;
    let children = state
        .store
        .divisions(&actor, Some(&s.user.division))
        .await?;
    let options = children
        .into_iter()
        .map(|d| DivisionOption {
            selected: division.as_ref() == Some(&d.code),
            code: d.code.to_string(),
            name: d.name,
        })
        .collect();
    let pages = page.pages().max(1);
    let rows = page
        .items
        .iter()
        .map(|h| HouseholdRow {
            id: h.id,
            head_name: h.head_name.to_string(),
            division_name: h.division_name.clone(),
            member_count: h.member_count,
            created_at: fmt_time(h.created_at),
        })
        .collect();
    let view = HouseholdsPage {
        nav: Nav::of(&s),
        rows,
        total: page.total,
        page: page.page,
        pages,
        options,
        filter_query: division
            .map(|d| format!("&division={d}"))
            .unwrap_or_default(),
        may_import: s.user.role.may_register_households(),
    };
    Ok(render(&view)?.into_response())
}

struct MemberRow {
    name: String,
    id_masked: String,
    sex: &'static str,
    birth_date: String,
    relation: &'static str,
}

struct EventRow {
    at: String,
    kind: String,
    actor: String,
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    nav: Option<Nav>,
    id: i64,
    division_name: String,
    division_code: String,
    address: String,
    demo: bool,
    created_at: String,
    members: Vec<MemberRow>,
    events: Vec<EventRow>,
    /// The viewer's role may ask for the full identity numbers (recorded).
    may_reveal: bool,
    revealed: bool,
    error: Option<String>,
    /// 银行账户 (masked) and its holder, where set.
    account: Option<(String, String)>,
    /// The viewer may set the account (and the member names to choose the holder from).
    may_set_account: bool,
    member_names: Vec<String>,
}

/// The Chinese name of an event kind for the audit timeline.
pub(crate) fn event_kind_zh(kind: &str) -> &str {
    match kind {
        "household.registered" => "登记家庭",
        "household.id_numbers_viewed" => "查看完整身份证号码",
        "household.import_completed" => "批量导入家庭",
        "account.user_created" => "新增用户",
        "account.user_deactivated" => "停用用户",
        "account.user_reactivated" => "启用用户",
        "household.bank_account_set" => "设置银行账户",
        "entitlement.granted" => "核定救助待遇",
        "entitlement.changed" => "变更救助待遇",
        "entitlement.corrected" => "纠正救助待遇",
        "entitlement.stopped" => "停发救助待遇",
        "dynamic.visited" => "走访",
        "account.password_changed" => "修改密码",
        "account.token_issued" => "签发API令牌",
        "account.login_succeeded" => "登录成功",
        "account.login_failed" => "登录失败",
        "account.logout" => "退出登录",
        other => other,
    }
}

/// Who did it, as the timeline shows it: the account's display name where the viewer can
/// see the account, otherwise what the log says.
pub(crate) async fn actor_names(
    state: &AppState,
    viewer: &Actor,
    events: &[EventRecord],
) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for e in events {
        if names.contains_key(&e.actor) {
            continue;
        }
        let shown = if let Some(op) = e.actor.strip_prefix("system:") {
            format!("系统操作员（{op}）")
        } else if let Some(id) = e
            .actor
            .strip_prefix("user:")
            .and_then(|i| i.parse::<i64>().ok())
        {
            match state.store.user(viewer, id).await {
                Ok(u) => format!("{}（{}）", u.display_name, u.username),
                Err(_) => format!("用户#{id}"),
            }
        } else {
            e.actor.clone()
        };
        names.insert(e.actor.clone(), shown);
    }
    names
}

/// `GET /households/{id}`
pub(crate) async fn household(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    household_page(&state, &s, &id, false, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RevealForm {
    csrf: String,
    reason: String,
}

/// `POST /households/{id}/reveal`: the full identity numbers, for the roles that need them,
/// after the view and its reason are recorded in the audit log.
pub(crate) async fn household_reveal(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    f: Result<Form<RevealForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    if !s.csrf_ok(&f.csrf) {
        return Err(WebError::csrf());
    }
    let hid: i64 = id
        .parse()
        .map_err(|_| WebError::new(StatusCode::NOT_FOUND, "未找到该家庭"))?;
    if f.reason.trim().is_empty() {
        return household_page(
            &state,
            &s,
            &id,
            false,
            Some("请填写查看完整身份证号码的事由".to_string()),
        )
        .await;
    }
    let ctx = jiuzhu_store::CommandContext::new(
        s.actor(),
        format!("web:{}", new_secret().map_err(WebError::from)?),
        state.now(),
    );
    match state
        .store
        .execute(
            &ctx,
            jiuzhu_store::Command::ViewIdNumbers {
                household_id: hid,
                reason: f.reason,
            },
        )
        .await
    {
        Ok(_) => household_page(&state, &s, &id, true, None).await,
        Err(jiuzhu_store::StoreError::Forbidden(_)) => {
            household_page(
                &state,
                &s,
                &id,
                false,
                Some("您的岗位无需查看完整身份证号码".to_string()),
            )
            .await
        }
        Err(jiuzhu_store::StoreError::Invalid(_)) => {
            household_page(
                &state,
                &s,
                &id,
                false,
                Some("事由过长或含有不允许的字符".to_string()),
            )
            .await
        }
        Err(jiuzhu_store::StoreError::NotFound(_)) => {
            Err(WebError::new(StatusCode::NOT_FOUND, "未找到该家庭"))
        }
        Err(e) => Err(e.into()),
    }
}

/// The household of a page's id; an id that is not a number, absent or outside the
/// viewer's jurisdiction is the same 404 page.
pub(crate) async fn household_or_404(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<jiuzhu_store::Household, WebError> {
    let not_found = || WebError::new(StatusCode::NOT_FOUND, "未找到该家庭");
    let id: i64 = id.parse().map_err(|_| not_found())?;
    state.store.household(actor, id).await.map_err(|e| match e {
        jiuzhu_store::StoreError::NotFound(_) => not_found(),
        other => other.into(),
    })
}

async fn household_page(
    state: &AppState,
    s: &SessionUser,
    id: &str,
    reveal: bool,
    error: Option<String>,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let h = household_or_404(state, &actor, id).await?;
    let account = state
        .store
        .bank_account(&actor, h.id)
        .await?
        .map(|a| (a.account_masked, a.holder));
    let id = h.id;
    let mut events = state
        .store
        .events_for(&actor, &format!("household:{id}"))
        .await?;
    // The trail of the household's entitlements: granted, changed, corrected (资金发放).
    let filter = jiuzhu_store::payroll::EntitlementFilter {
        household_id: Some(id),
        ..Default::default()
    };
    let entitlements = state
        .store
        .entitlements(&actor, &filter, jiuzhu_store::PageRequest::default())
        .await?;
    for e in &entitlements.items {
        events.extend(
            state
                .store
                .events_for(&actor, &format!("entitlement:{id}:{}", e.program))
                .await?,
        );
    }
    events.sort_by_key(|e| e.occurred_at);
    let names = actor_names(state, &actor, &events).await;
    let view = HouseholdPage {
        nav: Nav::of(s),
        id: h.id,
        division_name: h.division_name.clone(),
        division_code: h.division.to_string(),
        address: h.address.clone(),
        demo: h.demo,
        created_at: fmt_time(h.created_at),
        members: h
            .members
            .iter()
            .map(|m| MemberRow {
                name: m.name.to_string(),
                id_masked: if reveal {
                    m.id_number.as_str().to_string()
                } else {
                    m.id_number.masked()
                },
                sex: m.sex.name_zh(),
                birth_date: fmt_date(m.birth_date),
                relation: m.relation.name_zh(),
            })
            .collect(),
        events: events
            .iter()
            .map(|e| EventRow {
                at: fmt_time(e.occurred_at),
                kind: event_kind_zh(&e.kind).to_string(),
                actor: names
                    .get(&e.actor)
                    .cloned()
                    .unwrap_or_else(|| e.actor.clone()),
            })
            .collect(),
        may_reveal: s.user.role.may_view_id_numbers() && !reveal,
        revealed: reveal,
        error: error.clone(),
        account,
        may_set_account: matches!(
            s.user.role,
            jiuzhu_domain::Role::TownshipCaseworker
                | jiuzhu_domain::Role::TownshipHead
                | jiuzhu_domain::Role::CountyAdmin
        ),
        member_names: h.members.iter().map(|m| m.name.to_string()).collect(),
    };
    form_page(&view, error.is_some())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AccountForm {
    csrf: String,
    key: String,
    account: String,
    holder: String,
}

/// `POST /households/{id}/bank-account`: 银行账户 for the household's payments (the holder
/// must be a member: the recipient's own account). Recorded with the account's digest only.
pub(crate) async fn household_account(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    f: Result<Form<AccountForm>, FormRejection>,
) -> Result<Response, WebError> {
    let f = form(f)?;
    if !s.csrf_ok(&f.csrf) {
        return Err(WebError::csrf());
    }
    let hid: i64 = id
        .parse()
        .map_err(|_| WebError::new(StatusCode::NOT_FOUND, "未找到该家庭"))?;
    let key = if f.key.is_empty() {
        new_secret().map_err(WebError::from)?
    } else {
        f.key
    };
    let ctx = jiuzhu_store::CommandContext::new(s.actor(), format!("web:{key}"), state.now());
    let command = jiuzhu_store::Command::SetBankAccount {
        household_id: hid,
        account: f.account.trim().to_string(),
        holder: f.holder.trim().to_string(),
    };
    match state.store.execute(&ctx, command).await {
        Ok(_) => Ok(axum::response::Redirect::to(&format!("/households/{hid}")).into_response()),
        Err(jiuzhu_store::StoreError::Case { message_zh, .. }) => {
            household_page(&state, &s, &id, false, Some(message_zh)).await
        }
        Err(jiuzhu_store::StoreError::Forbidden(_)) => {
            household_page(
                &state,
                &s,
                &id,
                false,
                Some("您的岗位不能设置银行账户".to_string()),
            )
            .await
        }
        Err(jiuzhu_store::StoreError::Invalid(m)) => {
            household_page(&state, &s, &id, false, Some(format!("未能保存：{m}"))).await
        }
        Err(jiuzhu_store::StoreError::NotFound(_)) => {
            Err(WebError::new(StatusCode::NOT_FOUND, "未找到该家庭"))
        }
        Err(e) => Err(e.into()),
    }
}
