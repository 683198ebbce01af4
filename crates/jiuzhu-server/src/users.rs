//! 用户管理: the accounts of the county for its administrator (create, deactivate and
//! reactivate with a reason, reset a password); supervisors and township heads see the list.
//! Every change is a store command (audited); the store checks who may do it where.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiuzhu_domain::{DivisionCode, Role};
use jiuzhu_store::auth::{check_new_password, hash_password, new_secret};
use jiuzhu_store::{Command, CommandContext, NewUser, PageRequest, StoreError};
use serde::Deserialize;

use crate::AppState;
use crate::error::WebError;
use crate::session::{SessionUser, WebUser};
use crate::util::fmt_time;
use crate::web::{Nav, parse_page};
use crate::workbench::{FormData, division_names};

const PER_PAGE: u32 = 50;

struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: &'static str,
    division: String,
    active: bool,
    created: String,
    /// The administrator may manage it (not their own account).
    manage: bool,
}

/// What the create form shows again after a refusal.
#[derive(Default)]
struct Entered {
    username: String,
    display_name: String,
    role: String,
    division: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Option<Nav>,
    rows: Vec<UserRow>,
    total: i64,
    page: u32,
    pages: u32,
    may_manage: bool,
    roles: Vec<(&'static str, &'static str)>,
    divisions: Vec<(String, String)>,
    entered: Entered,
    key: String,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct UsersQuery {
    page: Option<String>,
    done: Option<String>,
}

/// The divisions an account can be attached to: the administrator's county, its townships
/// and their villages (indented), in code order.
async fn division_options(
    state: &AppState,
    s: &SessionUser,
) -> Result<Vec<(String, String)>, WebError> {
    let actor = s.actor();
    let county = &s.user.division;
    let mut out = vec![(
        county.to_string(),
        division_names(state, vec![county])
            .await
            .remove(county.as_str())
            .unwrap_or_else(|| county.to_string()),
    )];
    for township in state.store.divisions(&actor, Some(county)).await? {
        out.push((township.code.to_string(), format!("　{}", township.name)));
        for village in state.store.divisions(&actor, Some(&township.code)).await? {
            out.push((village.code.to_string(), format!("　　{}", village.name)));
        }
    }
    Ok(out)
}

async fn users_page(
    state: &AppState,
    s: &SessionUser,
    page: u32,
    notice: Option<String>,
    error: Option<(String, Entered)>,
) -> Result<Response, WebError> {
    let actor = s.actor();
    let list = state
        .store
        .users(&actor, PageRequest::new(page, PER_PAGE))
        .await
        .map_err(|e| match e {
            StoreError::Forbidden(_) => WebError::new(
                StatusCode::FORBIDDEN,
                "只有县级管理员、监督人员和乡镇负责人可以查看用户",
            ),
            other => other.into(),
        })?;
    let names = division_names(state, list.items.iter().map(|u| &u.division).collect()).await;
    let may_manage = s.user.role.may_manage_users();
    let rows = list
        .items
        .iter()
        .map(|u| UserRow {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.name_zh(),
            division: names
                .get(u.division.as_str())
                .cloned()
                .unwrap_or_else(|| u.division.to_string()),
            active: u.active,
            created: fmt_time(u.created_at),
            manage: may_manage && u.id != s.user.id,
        })
        .collect();
    let divisions = if may_manage {
        division_options(state, s).await?
    } else {
        Vec::new()
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (error, entered) = match error {
        Some((e, entered)) => (Some(e), entered),
        None => (None, Entered::default()),
    };
    let view = UsersPage {
        nav: Nav::of(s),
        rows,
        total: list.total,
        page,
        pages: (list.total.max(1) as u32).div_ceil(PER_PAGE),
        may_manage,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), r.name_zh()))
            .collect(),
        divisions,
        entered,
        key: new_secret().map_err(WebError::from)?,
        notice,
        error,
    };
    Ok((status, Html(view.render()?)).into_response())
}

/// `GET /users`
pub(crate) async fn users(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<UsersQuery>,
) -> Result<Response, WebError> {
    let notice = match q.done.as_deref() {
        Some("created") => Some("已新增用户".to_string()),
        Some("active") => Some("已更新账号状态".to_string()),
        Some("password") => Some("已重设密码；该账号已登录的会话和令牌均已失效".to_string()),
        _ => None,
    };
    users_page(&state, &s, parse_page(q.page.as_deref()), notice, None).await
}

/// The Chinese message of a refused account change; `None` for faults.
fn refusal(e: &StoreError) -> Option<String> {
    match e {
        StoreError::UsernameTaken(_) => Some("该用户名已被使用，请换一个".to_string()),
        StoreError::Invalid(m) => Some(format!("未能保存：{m}")),
        StoreError::Forbidden(_) => Some("只有县级民政管理员可以管理本县的账号".to_string()),
        StoreError::NotFound(_) => Some("未找到该账号".to_string()),
        _ => None,
    }
}

/// `POST /users`: 新增用户.
pub(crate) async fn create(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = FormData::parse(&body);
    if !s.csrf_ok(&f.one("csrf")) {
        return Err(WebError::csrf());
    }
    let entered = Entered {
        username: f.one("username").trim().to_string(),
        display_name: f.one("display_name").trim().to_string(),
        role: f.one("role"),
        division: f.one("division"),
    };
    let password = f.one("password");
    let role = entered.role.parse::<Role>().ok();
    let division = DivisionCode::parse(&entered.division).ok();
    let problem = if entered.username.is_empty() || entered.display_name.is_empty() {
        Some("请填写用户名和姓名".to_string())
    } else if role.is_none() || division.is_none() {
        Some("请选择角色和所属区划".to_string())
    } else if password != f.one("password2") {
        Some("两次输入的密码不一致".to_string())
    } else if check_new_password(&password).is_err() {
        Some("初始密码至少8位，且不能全是数字".to_string())
    } else {
        None
    };
    let (Some(role), Some(division), None) = (role, division, problem.clone()) else {
        let message = problem.unwrap_or_default();
        return users_page(&state, &s, 1, None, Some((message, entered))).await;
    };
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| WebError::internal())??;
    let ctx = CommandContext::new(s.actor(), format!("web:{}", f.one("key")), state.now());
    let new = NewUser {
        username: entered.username.clone(),
        display_name: entered.display_name.clone(),
        role,
        division,
        password_hash: hash,
    };
    match state.store.execute(&ctx, Command::CreateUser(new)).await {
        Ok(_) => Ok(Redirect::to("/users?done=created").into_response()),
        Err(e) => match refusal(&e) {
            Some(message) => users_page(&state, &s, 1, None, Some((message, entered))).await,
            None => Err(e.into()),
        },
    }
}

fn user_id(raw: &str) -> Result<i64, WebError> {
    raw.parse()
        .map_err(|_| WebError::new(StatusCode::NOT_FOUND, "未找到该记录"))
}

/// `POST /users/{id}/active`: 停用 (with a reason) or 启用 an account.
pub(crate) async fn set_active(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = FormData::parse(&body);
    if !s.csrf_ok(&f.one("csrf")) {
        return Err(WebError::csrf());
    }
    let user_id = user_id(&id)?;
    let active = f.one("active") == "true";
    let reason = f.one("reason").trim().to_string();
    if !active && reason.is_empty() {
        return users_page(
            &state,
            &s,
            1,
            None,
            Some(("停用账号须填写理由".to_string(), Entered::default())),
        )
        .await;
    }
    let ctx = CommandContext::new(s.actor(), format!("web:{}", f.one("key")), state.now());
    let command = Command::SetUserActive {
        user_id,
        active,
        reason,
    };
    match state.store.execute(&ctx, command).await {
        Ok(_) => Ok(Redirect::to("/users?done=active").into_response()),
        Err(e) => match refusal(&e) {
            Some(m) => users_page(&state, &s, 1, None, Some((m, Entered::default()))).await,
            None => Err(e.into()),
        },
    }
}

/// `POST /users/{id}/password`: 重设密码 (ends the account's sessions and tokens).
pub(crate) async fn reset_password(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f = FormData::parse(&body);
    if !s.csrf_ok(&f.one("csrf")) {
        return Err(WebError::csrf());
    }
    let user_id = user_id(&id)?;
    let password = f.one("password");
    if check_new_password(&password).is_err() {
        return users_page(
            &state,
            &s,
            1,
            None,
            Some((
                "新密码至少8位，且不能全是数字".to_string(),
                Entered::default(),
            )),
        )
        .await;
    }
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| WebError::internal())??;
    let ctx = CommandContext::new(s.actor(), format!("web:{}", f.one("key")), state.now());
    let command = Command::SetPassword {
        user_id,
        password_hash: hash,
    };
    match state.store.execute(&ctx, command).await {
        Ok(_) => Ok(Redirect::to("/users?done=password").into_response()),
        Err(e) => match refusal(&e) {
            Some(m) => users_page(&state, &s, 1, None, Some((m, Entered::default()))).await,
            None => Err(e.into()),
        },
    }
}
