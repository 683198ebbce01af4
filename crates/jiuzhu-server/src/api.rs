//! The JSON API under `/api/v1`.
//!
//! Authentication: `Authorization: Bearer <token>` (tokens from `POST /api/v1/tokens`), or
//! the browser's session cookie (then changes need `X-CSRF-Token`). Every error is
//! `{"code": "<stable code>", "message": "<中文说明>"}`, with `field` naming the offending
//! input where there is one. Identity numbers leave the server only masked
//! (`id_number_masked`), and no error message ever repeats a submitted one.
//!
//! Changes need an `Idempotency-Key` header: a retry with the same key and body returns
//! the first result (with `Idempotent-Replayed: true`) and writes nothing.
//!
//! Every route is registered through utoipa-axum's [`OpenApiRouter`] with `routes!`, so the
//! router and the OpenAPI document (`doc`, served at `/api/v1/openapi.json` and rendered at
//! `/api/docs`) come from the same list and cannot drift.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use jiuzhu_domain::{DivisionCode, DivisionLevel, IdNumber, PersonName, Relation, Role};
use jiuzhu_store::auth::{
    MIN_PASSWORD_CHARS, check_new_password, hash_password, new_secret, secret_digest,
};
use jiuzhu_store::model::{check_text, check_username};
use jiuzhu_store::{
    Command, CommandContext, CommandOutcome, Executed, Household, HouseholdFilter,
    HouseholdSummary, NewHousehold, NewMember, NewUser, PageRequest, StoreError, User,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::openapi::OpenApi;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{log_store_error, store_message_zh, store_status};
use crate::session::{ApiUser, ClientIp, LoginFailure, authenticate};
use crate::web::{MSG_BAD_LOGIN, MSG_DISABLED, MSG_THROTTLED, parse_division_filter, parse_page};

mod cases;
pub(crate) mod doc;
mod documents;

/// How long an API token is valid.
const TOKEN_DAYS: i64 = 30;
/// Longest `Idempotency-Key` a client may send (the store adds a per-user prefix).
const MAX_CLIENT_KEY: usize = 100;
/// Default page size of lists.
const DEFAULT_PER_PAGE: u32 = 50;

/// The routes under `/api/v1`, each with its OpenAPI operation. Register routes only with
/// `routes!` (never `.route`): what is served is then exactly what is documented.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(issue_token))
        .routes(routes!(me))
        .routes(routes!(list_households, create_household))
        .routes(routes!(get_household))
        .routes(routes!(list_users, create_user))
        .routes(routes!(doc::openapi_json))
        .merge(cases::routes())
        .merge(documents::routes())
}

/// The API router (mounted at `/api/v1`) and its OpenAPI document, from one list of routes.
pub(crate) fn api() -> (Router<AppState>, OpenApi) {
    let (router, openapi) = OpenApiRouter::with_openapi(doc::base())
        .nest("/api/v1", routes())
        .split_for_parts();
    (router, doc::finish(openapi))
}

// ---- errors ----------------------------------------------------------------------------

/// An API error: status, stable code, Chinese message, optionally the input field.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// 422 for one input field.
    fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message).with_field(field)
    }

    pub(crate) fn unauthenticated() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "未登录或令牌无效、已过期：请使用 Authorization: Bearer <令牌> 请求头，令牌可通过 POST /api/v1/tokens 获取",
        )
    }

    pub(crate) fn csrf() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "使用登录会话调用修改类接口时须带 X-CSRF-Token 请求头；页面已过期或请求无效，请刷新后重试",
        )
    }

    pub(crate) fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "未找到该记录")
    }

    fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        log_store_error(&e);
        let code = match &e {
            StoreError::Database(_) | StoreError::Migration(_) | StoreError::ChainBroken(_) => {
                "internal"
            }
            other => other.code(),
        };
        // A case refusal carries the engine's stable code and its own Chinese explanation
        // (no personal data: see `jiuzhu_domain::case::CaseError`).
        if let StoreError::Case { message_zh, .. } | StoreError::Supervision { message_zh, .. } = &e
        {
            return ApiError::new(store_status(&e), code, message_zh.clone());
        }
        ApiError::new(store_status(&e), code, store_message_zh(&e))
    }
}

/// The body of every error answer (fields in the order the server has always written them).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "invalid_input", "field": "members[1].id_number", "message": "第2位成员的身份证号码校验位不正确"}))]
pub(crate) struct ErrorBody {
    /// Stable machine-readable code (`not_found`, `invalid_input`, `case.wrong_stage`, …). 稳定的错误代码。
    code: &'static str,
    /// The offending input field, where there is one (`members[1].id_number`). 出错的输入字段。
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    /// 中文说明 (the explanation for the user, in Chinese).
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code,
            field: self.field,
            message: self.message,
        };
        (self.status, axum::Json(body)).into_response()
    }
}

type ApiResult<T = Response> = Result<T, ApiError>;

/// Parses a JSON body. serde's messages can quote the input (an identity number sent as a
/// number, say), so only the position is reported.
fn json_body<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| {
        let at = format!("第{}行第{}列", e.line(), e.column());
        if e.is_data() {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("请求体字段类型不正确（{at}）：各字段应为字符串，成员列表应为数组"),
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("请求体不是有效的JSON（{at}）"),
            )
        }
    })
}

/// The client's `Idempotency-Key`, namespaced by user so that one user's key can never
/// replay another user's result.
fn idempotency_key(headers: &HeaderMap, user_id: i64) -> ApiResult<String> {
    let raw = headers
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::trim))
        .transpose()
        .map_err(|_| key_invalid())?
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "idempotency_key_required",
                "缺少 Idempotency-Key 请求头：新增类请求须带一个唯一的键（如随机UUID），重试同一请求时使用同一个键",
            )
        })?;
    if raw.len() > MAX_CLIENT_KEY || !raw.chars().all(|c| c.is_ascii_graphic()) {
        return Err(key_invalid());
    }
    Ok(format!("api:{user_id}:{raw}"))
}

fn key_invalid() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "idempotency_key_invalid",
        format!("Idempotency-Key 无效：应为1至{MAX_CLIENT_KEY}个可见ASCII字符，不含空格"),
    )
}

/// Maps the error of a command, recognising the conflicts a client can act on.
fn command_error(e: StoreError) -> ApiError {
    if let StoreError::IdempotencyKeyReused = &e {
        tracing::info!("idempotency key reused for a different request");
        return ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_key_reused",
            "该 Idempotency-Key 已用于另一个内容不同的请求；新请求请使用新的键",
        );
    }
    e.into()
}

/// `201 Created` with the outcome, or its replay with `Idempotent-Replayed: true`.
fn created(executed: &Executed, body: impl Serialize, location: Option<String>) -> Response {
    let mut res = (StatusCode::CREATED, axum::Json(body)).into_response();
    if executed.replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    if let Some(loc) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    res
}

fn unexpected_outcome(outcome: &CommandOutcome) -> ApiError {
    tracing::error!(
        ?outcome,
        "the store answered a command with an unexpected outcome"
    );
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "系统内部错误，请稍后再试",
    )
}

// ---- records as JSON -------------------------------------------------------------------

/// An account.
#[derive(Serialize, ToSchema)]
#[schema(as = User)]
struct UserJson {
    id: i64,
    username: String,
    display_name: String,
    /// 角色代码 (`township_caseworker`, …).
    #[schema(value_type = String)]
    role: Role,
    /// 角色名称.
    role_name: &'static str,
    /// 所属区划代码 (6 or 12 digits).
    #[schema(value_type = String)]
    division: DivisionCode,
    division_name: Option<String>,
    active: bool,
    created_at: DateTime<Utc>,
}

fn user_json(u: &User, division_name: Option<String>) -> UserJson {
    UserJson {
        id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role,
        role_name: u.role.name_zh(),
        division: u.division.clone(),
        division_name,
        active: u.active,
        created_at: u.created_at,
    }
}

/// A household in a list.
#[derive(Serialize, ToSchema)]
#[schema(as = HouseholdItem)]
struct HouseholdItemJson {
    id: i64,
    /// 村(社区)区划代码 (12 digits).
    #[schema(value_type = String)]
    division: DivisionCode,
    division_name: String,
    head_name: String,
    member_count: i64,
    created_at: DateTime<Utc>,
}

impl From<&HouseholdSummary> for HouseholdItemJson {
    fn from(h: &HouseholdSummary) -> Self {
        HouseholdItemJson {
            id: h.id,
            division: h.division.clone(),
            division_name: h.division_name.clone(),
            head_name: h.head_name.to_string(),
            member_count: h.member_count,
            created_at: h.created_at,
        }
    }
}

/// A household member (the identity number only masked).
#[derive(Serialize, ToSchema)]
#[schema(as = Member)]
struct MemberJson {
    seq: i32,
    name: String,
    /// 脱敏身份证号码.
    id_number_masked: String,
    /// 与户主关系 (`head`, `spouse`, `child`, …).
    #[schema(value_type = String)]
    relation: Relation,
    relation_name: &'static str,
    #[schema(value_type = String)]
    sex: jiuzhu_domain::Sex,
    sex_name: &'static str,
    birth_date: NaiveDate,
}

/// A household with its members.
#[derive(Serialize, ToSchema)]
#[schema(as = Household)]
struct HouseholdJson {
    id: i64,
    #[schema(value_type = String)]
    division: DivisionCode,
    division_name: String,
    address: String,
    demo: bool,
    created_at: DateTime<Utc>,
    members: Vec<MemberJson>,
}

impl From<&Household> for HouseholdJson {
    fn from(h: &Household) -> Self {
        HouseholdJson {
            id: h.id,
            division: h.division.clone(),
            division_name: h.division_name.clone(),
            address: h.address.clone(),
            demo: h.demo,
            created_at: h.created_at,
            members: h
                .members
                .iter()
                .map(|m| MemberJson {
                    seq: m.seq,
                    name: m.name.to_string(),
                    id_number_masked: m.id_number.masked(),
                    relation: m.relation,
                    relation_name: m.relation.name_zh(),
                    sex: m.sex,
                    sex_name: m.sex.name_zh(),
                    birth_date: m.birth_date,
                })
                .collect(),
        }
    }
}

/// One page of a list.
#[derive(Serialize, ToSchema)]
#[schema(as = Page)]
struct PageJson<T> {
    items: Vec<T>,
    /// Number of records in all pages.
    total: i64,
    page: u32,
    per_page: u32,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// 页码, from 1.
    #[param(value_type = Option<u32>, minimum = 1)]
    page: Option<String>,
    /// 每页条数 (default 50).
    #[param(value_type = Option<u32>, minimum = 1)]
    per_page: Option<String>,
    /// 只看该区划 (6- or 12-digit code inside the caller's jurisdiction).
    division: Option<String>,
}

impl ListQuery {
    fn page_request(&self) -> PageRequest {
        let per_page = self
            .per_page
            .as_deref()
            .and_then(|p| p.trim().parse::<u32>().ok())
            .unwrap_or(DEFAULT_PER_PAGE);
        PageRequest::new(parse_page(self.page.as_deref()), per_page)
    }
}

// ---- tokens ----------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, ToSchema)]
struct TokenRequest {
    #[schema(value_type = String, required = true)]
    username: Option<String>,
    #[schema(value_type = String, required = true, format = Password)]
    password: Option<String>,
    /// 令牌名称 (default `API令牌`, at most 64 characters).
    #[schema(value_type = String)]
    label: Option<String>,
}

/// A new API token: shown this once, only its digest is stored.
#[derive(Serialize, ToSchema)]
#[schema(as = Token)]
struct TokenJson {
    expires_at: DateTime<Utc>,
    /// Send as `Authorization: Bearer <token>`.
    token: String,
    user_id: i64,
}

/// The headers of a command (every `POST` but `/tokens`).
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // describes headers; they are read in `idempotency_key` and `session`
pub(crate) struct CommandHeaders {
    /// 幂等键: 1–100 visible ASCII characters, unique per request (a random UUID). A retry
    /// with the same key and body gets the first answer (`Idempotent-Replayed: true`) and
    /// writes nothing twice; the same key with another body → 409 `idempotency_key_reused`.
    #[param(rename = "Idempotency-Key")]
    idempotency_key: String,
    /// Only with the session cookie: the session's CSRF token (not needed with a bearer token).
    #[param(rename = "X-CSRF-Token")]
    x_csrf_token: Option<String>,
}

/// `POST /api/v1/tokens` `{"username","password","label"?}` → 201
/// `{"token","expires_at","user_id"}`. Failed attempts count towards the login throttle.
#[utoipa::path(
    post,
    path = "/tokens",
    tag = "auth",
    summary = "签发API令牌（用户名和密码换取 Bearer 令牌，有效期30天）",
    security(()),
    request_body = TokenRequest,
    responses(
        (status = 201, description = "令牌已签发（只显示这一次）", body = TokenJson),
        (status = 400, description = "请求体不是有效的JSON（invalid_json）", body = ErrorBody),
        (status = 401, description = "用户名或密码错误（invalid_credentials）、账号已停用（account_disabled）", body = ErrorBody),
        (status = 422, description = "字段类型不正确或令牌名称无效", body = ErrorBody),
        (status = 429, description = "登录失败次数过多（too_many_attempts）", body = ErrorBody),
    )
)]
async fn issue_token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Bytes,
) -> ApiResult {
    let req: TokenRequest = json_body(&body)?;
    let label = req
        .label
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .unwrap_or("API令牌")
        .to_string();
    text_field("label", "令牌名称", &label, 64)?;
    let username = req.username.unwrap_or_default();
    let password = req.password.unwrap_or_default();
    let user = match authenticate(&state, &username, &password, ip).await {
        Ok(u) => u,
        Err(LoginFailure::Throttled) => {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                MSG_THROTTLED,
            ));
        }
        Err(LoginFailure::BadCredentials) => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                MSG_BAD_LOGIN,
            ));
        }
        Err(LoginFailure::Disabled) => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "account_disabled",
                MSG_DISABLED,
            ));
        }
        Err(LoginFailure::Store(e)) => return Err(e.into()),
    };
    let token = new_secret()?;
    let now = state.now();
    let expires_at = now + Duration::days(TOKEN_DAYS);
    let ctx = CommandContext::new(
        crate::session::actor_of(&user),
        format!("token:{}", new_secret()?),
        now,
    );
    state
        .store
        .execute(
            &ctx,
            Command::IssueApiToken {
                user_id: user.id,
                label,
                token_digest: secret_digest(&token),
                expires_at,
            },
        )
        .await
        .map_err(command_error)?;
    tracing::info!(username = %user.username, user_id = user.id, "API token issued");
    Ok((
        StatusCode::CREATED,
        axum::Json(TokenJson {
            expires_at,
            token,
            user_id: user.id,
        }),
    )
        .into_response())
}

// ---- me --------------------------------------------------------------------------------

/// `GET /api/v1/me`: the account the request is authenticated as.
#[utoipa::path(
    get,
    path = "/me",
    tag = "auth",
    summary = "当前用户（令牌或会话所属的账号）",
    responses((status = 200, description = "当前账号", body = UserJson))
)]
async fn me(State(state): State<AppState>, who: ApiUser) -> ApiResult {
    let division_name = state
        .store
        .division(&who.user.division)
        .await?
        .map(|d| d.name);
    Ok(axum::Json(user_json(&who.user, division_name)).into_response())
}

// ---- households ------------------------------------------------------------------------

/// `GET /api/v1/households?page=&per_page=&division=`
/// The optional `division` filter of an API list; invalid or outside the caller's
/// jurisdiction → 422 naming the field.
pub(crate) fn division_filter(
    raw: &Option<String>,
    actor: &jiuzhu_store::Actor,
) -> ApiResult<Option<jiuzhu_domain::DivisionCode>> {
    parse_division_filter(raw.as_deref(), &actor.scope())
        .map_err(|m| ApiError::invalid("division", m))
}

#[utoipa::path(
    get,
    path = "/households",
    tag = "households",
    summary = "家庭列表（本人管辖范围内，分页）",
    params(ListQuery),
    responses(
        (status = 200, description = "一页家庭", body = PageJson<HouseholdItemJson>),
        (status = 422, description = "区划筛选（division）无效或不在管辖范围内", body = ErrorBody),
    )
)]
async fn list_households(
    State(state): State<AppState>,
    who: ApiUser,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let actor = who.actor();
    let division = division_filter(&q.division, &actor)?;
    let page = state
        .store
        .households(&actor, &HouseholdFilter { division }, q.page_request())
        .await?;
    Ok(axum::Json(PageJson {
        items: page.items.iter().map(HouseholdItemJson::from).collect(),
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    })
    .into_response())
}

/// `GET /api/v1/households/{id}`: 404 alike for absent ids and ids outside the caller's
/// jurisdiction.
#[utoipa::path(
    get,
    path = "/households/{id}",
    tag = "households",
    summary = "家庭详情（含成员，身份证号码脱敏）",
    params(("id" = i64, Path, description = "家庭编号")),
    responses(
        (status = 200, description = "家庭及其成员", body = HouseholdJson),
        (status = 404, description = "不存在或不在管辖范围内（not_found）", body = ErrorBody),
    )
)]
async fn get_household(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    let h = state.store.household(&who.actor(), id).await?;
    Ok(axum::Json(HouseholdJson::from(&h)).into_response())
}

/// A household to register: one head (`relation` = `head`), at most 30 members.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = NewHousehold)]
pub(crate) struct HouseholdRequest {
    /// 村(社区)区划代码 (12 digits, inside the caller's jurisdiction).
    #[schema(value_type = String, required = true, pattern = "^[0-9]{12}$")]
    division: Option<String>,
    /// 住址 (at most 200 characters).
    #[schema(value_type = String, required = true)]
    address: Option<String>,
    #[schema(value_type = Vec<MemberRequest>, required = true, min_items = 1, max_items = 30)]
    members: Option<Vec<MemberRequest>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = NewMember)]
pub(crate) struct MemberRequest {
    /// 姓名.
    #[schema(value_type = String, required = true)]
    name: Option<String>,
    /// 18位身份证号码 (GB 11643, with its check character). Never returned unmasked.
    #[schema(value_type = String, required = true)]
    id_number: Option<String>,
    /// 与户主关系: `head`, `spouse`, `child`, `parent`, `sibling`, `grandchild`,
    /// `grandparent`, `other` (or 户主, 配偶, 子女, 父母, 兄弟姐妹, 孙子女, 祖父母, 其他).
    #[schema(value_type = String, required = true)]
    relation: Option<String>,
}

fn present(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Checks a free-text field by the store's rule ([`check_text`]: no control characters, at
/// most `max_chars` characters), explained in Chinese.
fn text_field(field: &str, name_zh: &str, value: &str, max_chars: usize) -> ApiResult<()> {
    check_text(field, value, max_chars).map_err(|_| {
        ApiError::invalid(
            field,
            format!(
                "{name_zh}（{field}）不能超过{max_chars}个字，且不能包含换行、制表符等控制字符"
            ),
        )
    })
}

/// Checks a household registration field by field, in Chinese, naming the field and the
/// member (第2位成员…). Never repeats a submitted identity number.
pub(crate) fn parse_household(req: &HouseholdRequest) -> ApiResult<NewHousehold> {
    let raw_division = present(&req.division)
        .ok_or_else(|| ApiError::invalid("division", "缺少所在村(社区)的区划代码（division）"))?;
    let division = DivisionCode::parse(raw_division).map_err(|e| {
        ApiError::invalid(
            "division",
            format!("所在村(社区)的区划代码（division）无效：{}", e.message_zh()),
        )
    })?;
    if division.level() != DivisionLevel::Village {
        return Err(ApiError::invalid(
            "division",
            format!(
                "家庭须登记在村(社区)一级：区划代码（division）{division}是{}区划，请填写12位村级代码",
                division.level().name_zh()
            ),
        ));
    }
    let address = present(&req.address)
        .ok_or_else(|| ApiError::invalid("address", "住址（address）不能为空"))?;
    text_field("address", "住址", address, 200)?;
    let raw_members = req.members.as_deref().unwrap_or_default();
    if raw_members.is_empty() {
        return Err(ApiError::invalid(
            "members",
            "至少需要一名家庭成员（members）",
        ));
    }
    if raw_members.len() > 30 {
        return Err(ApiError::invalid("members", "一户最多登记30名家庭成员"));
    }
    let mut members: Vec<NewMember> = Vec::with_capacity(raw_members.len());
    for (i, m) in raw_members.iter().enumerate() {
        let n = i + 1;
        let field = |f: &str| format!("members[{i}].{f}");
        let name = PersonName::parse(m.name.as_deref().unwrap_or("")).map_err(|e| {
            ApiError::invalid(field("name"), format!("第{n}位成员的{}", e.message_zh()))
        })?;
        let raw_id = present(&m.id_number).ok_or_else(|| {
            ApiError::invalid(
                field("id_number"),
                format!("第{n}位成员缺少身份证号码（id_number）"),
            )
        })?;
        let id_number = IdNumber::parse(raw_id).map_err(|e| {
            ApiError::invalid(
                field("id_number"),
                format!("第{n}位成员的{}", e.message_zh()),
            )
        })?;
        let relation = present(&m.relation)
            .ok_or_else(|| {
                ApiError::invalid(field("relation"), format!("第{n}位成员缺少与户主关系（relation）"))
            })?
            .parse::<Relation>()
            .map_err(|_| {
                ApiError::invalid(
                    field("relation"),
                    format!(
                        "第{n}位成员的与户主关系（relation）无效，应为 head、spouse、child、parent、sibling、\
                         grandchild、grandparent、other 之一（或 户主、配偶、子女、父母、兄弟姐妹、孙子女、祖父母、其他）"
                    ),
                )
            })?;
        if let Some(j) = members.iter().position(|o| o.id_number == id_number) {
            return Err(ApiError::invalid(
                field("id_number"),
                format!("第{n}位成员的身份证号码与第{}位成员重复", j + 1),
            ));
        }
        members.push(NewMember {
            name,
            id_number,
            relation,
        });
    }
    let heads = members
        .iter()
        .filter(|m| m.relation == Relation::Head)
        .count();
    if heads != 1 {
        return Err(ApiError::invalid(
            "members",
            format!("一户须有且只有一名户主（relation 为 head），当前为{heads}名"),
        ));
    }
    let new = NewHousehold {
        division,
        address: address.to_string(),
        members,
        demo: false,
    };
    // The store checks again; both must agree, so say so if they ever do not.
    new.check().map_err(|m| {
        tracing::warn!(reason = %m, "household passed the API checks but not the model's");
        ApiError::invalid("members", "提交的家庭信息无效，请检查后重试")
    })?;
    Ok(new)
}

/// The answer to a household registration.
#[derive(Serialize, ToSchema)]
#[schema(as = HouseholdCreated)]
struct HouseholdCreatedJson {
    household_id: i64,
}

/// `POST /api/v1/households` (Idempotency-Key required) → 201 `{"household_id": N}`.
#[utoipa::path(
    post,
    path = "/households",
    tag = "households",
    summary = "登记家庭（乡镇经办人等有权登记的角色）",
    params(CommandHeaders),
    request_body = HouseholdRequest,
    responses(
        (status = 201, description = "已登记（重放时带 Idempotent-Replayed: true）", body = HouseholdCreatedJson,
         headers(("Location" = String, description = "/api/v1/households/{id}"))),
        (status = 400, description = "缺少或无效的 Idempotency-Key，或请求体不是JSON", body = ErrorBody),
        (status = 403, description = "角色不能登记家庭，或区划不在管辖范围内（forbidden）", body = ErrorBody),
        (status = 409, description = "身份证号码已登记在其他家庭（id_number_registered），或幂等键已用于另一请求", body = ErrorBody),
        (status = 422, description = "字段无效（invalid_input，field 指明字段）", body = ErrorBody),
    )
)]
async fn create_household(
    State(state): State<AppState>,
    who: ApiUser,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    if !who.user.role.may_register_households() {
        return Err(ApiError::forbidden(format!(
            "您的角色（{}）不能登记家庭",
            who.user.role.name_zh()
        )));
    }
    let key = idempotency_key(&headers, who.user.id)?;
    let req: HouseholdRequest = json_body(&body)?;
    let new = parse_household(&req)?;
    let actor = who.actor();
    if !actor.scope().contains(&new.division) {
        return Err(
            ApiError::forbidden(format!("村(社区){}不在您的管辖范围内", new.division))
                .with_field("division"),
        );
    }
    if state.store.division(&new.division).await?.is_none() {
        return Err(ApiError::invalid(
            "division",
            format!(
                "区划代码{}不在区划表中，请核对或联系管理员导入",
                new.division
            ),
        ));
    }
    let ctx = CommandContext::new(actor, key, state.now());
    let executed = state
        .store
        .execute(&ctx, Command::RegisterHousehold(new))
        .await
        .map_err(|e| match &e {
            StoreError::IdNumberRegistered { member: n, .. } => {
                let (field, which) = (
                    format!("members[{}].id_number", n.saturating_sub(1)),
                    format!("第{n}位成员的"),
                );
                tracing::info!("household refused: an ID number is already registered");
                ApiError::new(
                    StatusCode::CONFLICT,
                    "id_number_registered",
                    format!("{which}身份证号码已登记在其他家庭中，不能重复登记"),
                )
                .with_field(field)
            }
            _ => command_error(e),
        })?;
    let CommandOutcome::HouseholdRegistered { household_id } = executed.outcome else {
        return Err(unexpected_outcome(&executed.outcome));
    };
    tracing::info!(
        username = %who.user.username,
        household_id,
        replayed = executed.replayed,
        "household registered"
    );
    Ok(created(
        &executed,
        HouseholdCreatedJson { household_id },
        Some(format!("/api/v1/households/{household_id}")),
    ))
}

// ---- users -----------------------------------------------------------------------------

/// `GET /api/v1/users?page=&per_page=`: accounts in the caller's jurisdiction (county
/// roles; the store decides who may list).
#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    summary = "用户列表（县级角色，本人管辖范围内，分页）",
    params(
        ("page" = Option<u32>, Query, description = "页码, from 1"),
        ("per_page" = Option<u32>, Query, description = "每页条数 (default 50)"),
    ),
    responses(
        (status = 200, description = "一页账号", body = PageJson<UserJson>),
        (status = 403, description = "无权查看用户（forbidden）", body = ErrorBody),
    )
)]
async fn list_users(
    State(state): State<AppState>,
    who: ApiUser,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let actor = who.actor();
    let page = state.store.users(&actor, q.page_request()).await?;
    let mut names: HashMap<DivisionCode, Option<String>> = HashMap::new();
    let mut items = Vec::with_capacity(page.items.len());
    for u in &page.items {
        if !names.contains_key(&u.division) {
            let name = state.store.division(&u.division).await?.map(|d| d.name);
            names.insert(u.division.clone(), name);
        }
        items.push(user_json(u, names.get(&u.division).cloned().flatten()));
    }
    Ok(axum::Json(PageJson {
        items,
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    })
    .into_response())
}

/// A new account.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = NewUser)]
struct UserRequest {
    /// 3–32 characters: a letter first, then letters, digits and `. _ -`.
    #[schema(value_type = String, required = true)]
    username: Option<String>,
    /// 显示名称 (at most 64 characters).
    #[schema(value_type = String, required = true)]
    display_name: Option<String>,
    /// 角色代码; the role must fit the division's level.
    #[schema(value_type = String, required = true)]
    role: Option<String>,
    /// 所属区划代码, inside the caller's jurisdiction.
    #[schema(value_type = String, required = true)]
    division: Option<String>,
    /// At least 8 characters (`MIN_PASSWORD_CHARS`), not all digits.
    #[schema(value_type = String, required = true, format = Password)]
    password: Option<String>,
}

/// The answer to a new account.
#[derive(Serialize, ToSchema)]
#[schema(as = UserCreated)]
struct UserCreatedJson {
    user_id: i64,
}

/// The Chinese reason a new password is refused.
fn password_problem(password: &str) -> Option<String> {
    check_new_password(password).err().map(|_| {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            format!("密码（password）至少需要{MIN_PASSWORD_CHARS}个字符")
        } else {
            "密码（password）不能全为数字".to_string()
        }
    })
}

/// `POST /api/v1/users` (county administrators; Idempotency-Key required) → 201
/// `{"user_id": N}`; a taken username → 409.
#[utoipa::path(
    post,
    path = "/users",
    tag = "users",
    summary = "新增用户（县级民政管理员）",
    params(CommandHeaders),
    request_body = UserRequest,
    responses(
        (status = 201, description = "已新增（重放时带 Idempotent-Replayed: true）", body = UserCreatedJson),
        (status = 400, description = "缺少或无效的 Idempotency-Key，或请求体不是JSON", body = ErrorBody),
        (status = 403, description = "不是县级民政管理员，或区划不在管辖范围内（forbidden）", body = ErrorBody),
        (status = 409, description = "用户名已被使用（username_taken），或幂等键已用于另一请求", body = ErrorBody),
        (status = 422, description = "字段无效（invalid_input，field 指明字段）", body = ErrorBody),
    )
)]
async fn create_user(
    State(state): State<AppState>,
    who: ApiUser,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    if !who.user.role.may_manage_users() {
        return Err(ApiError::forbidden("只有县级民政管理员可以新增用户"));
    }
    let key = idempotency_key(&headers, who.user.id)?;
    let req: UserRequest = json_body(&body)?;
    let username = present(&req.username)
        .ok_or_else(|| ApiError::invalid("username", "缺少用户名（username）"))?
        .to_string();
    check_username(&username).map_err(|_| {
        ApiError::invalid(
            "username",
            "用户名（username）须为3至32个字符，以英文字母开头，只能包含英文字母、数字和 . _ -",
        )
    })?;
    let display_name = present(&req.display_name)
        .ok_or_else(|| ApiError::invalid("display_name", "缺少显示名称（display_name）"))?
        .to_string();
    text_field("display_name", "显示名称", &display_name, 64)?;
    let role: Role = present(&req.role)
        .ok_or_else(|| ApiError::invalid("role", "缺少角色（role）"))?
        .parse()
        .map_err(|_| {
            let names: Vec<String> = Role::ALL
                .iter()
                .map(|r| format!("{}（{}）", r.as_str(), r.name_zh()))
                .collect();
            ApiError::invalid(
                "role",
                format!("角色（role）无效，应为以下之一：{}", names.join("、")),
            )
        })?;
    let division = DivisionCode::parse(
        present(&req.division)
            .ok_or_else(|| ApiError::invalid("division", "缺少所属区划代码（division）"))?,
    )
    .map_err(|e| {
        ApiError::invalid(
            "division",
            format!("所属区划代码（division）无效：{}", e.message_zh()),
        )
    })?;
    let password = req.password.unwrap_or_default();
    if let Some(problem) = password_problem(&password) {
        return Err(ApiError::invalid("password", problem));
    }
    let actor = who.actor();
    if !actor.scope().contains(&division) {
        return Err(
            ApiError::forbidden(format!("区划{division}不在您的管辖范围内")).with_field("division"),
        );
    }
    if !role.fits(&division) {
        return Err(ApiError::invalid(
            "role",
            format!(
                "角色“{}”不能设在{}区划{division}",
                role.name_zh(),
                division.level().name_zh()
            ),
        ));
    }
    if state.store.division(&division).await?.is_none() {
        return Err(ApiError::invalid(
            "division",
            format!("区划代码{division}不在区划表中，请核对或先导入区划"),
        ));
    }
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing task failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "系统内部错误，请稍后再试",
            )
        })??;
    let ctx = CommandContext::new(actor, key, state.now());
    let command = Command::CreateUser(NewUser {
        username: username.clone(),
        display_name,
        role,
        division,
        password_hash,
    });
    let executed = state
        .store
        .execute(&ctx, command)
        .await
        .map_err(|e| match &e {
            StoreError::UsernameTaken(_) => ApiError::new(
                StatusCode::CONFLICT,
                "username_taken",
                format!("用户名{username}已被使用，请换一个"),
            )
            .with_field("username"),
            _ => command_error(e),
        })?;
    let CommandOutcome::UserCreated { user_id } = executed.outcome else {
        return Err(unexpected_outcome(&executed.outcome));
    };
    tracing::info!(
        by = %who.user.username,
        user_id,
        username = %username,
        replayed = executed.replayed,
        "user created"
    );
    Ok(created(&executed, UserCreatedJson { user_id }, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(division: &str, members: Vec<(&str, &str, &str)>) -> HouseholdRequest {
        HouseholdRequest {
            division: Some(division.to_string()),
            address: Some("新林村1组1号".to_string()),
            members: Some(
                members
                    .into_iter()
                    .map(|(n, id, r)| MemberRequest {
                        name: Some(n.to_string()),
                        id_number: Some(id.to_string()),
                        relation: Some(r.to_string()),
                    })
                    .collect(),
            ),
        }
    }

    fn valid_id(seq: u16) -> String {
        IdNumber::from_parts("511526", NaiveDate::from_ymd_opt(1980, 5, 6).unwrap(), seq)
            .unwrap()
            .as_str()
            .to_string()
    }

    fn broken_id(seq: u16) -> String {
        let good = valid_id(seq);
        let last = if good.ends_with('0') { '1' } else { '0' };
        format!("{}{last}", &good[..17])
    }

    #[test]
    fn accepts_a_valid_household() {
        let h = parse_household(&req(
            "511526101201",
            vec![
                ("王某华", &valid_id(11), "head"),
                ("李某芳", &valid_id(12), "配偶"),
            ],
        ))
        .unwrap();
        assert_eq!(h.members.len(), 2);
        assert_eq!(h.members[1].relation, Relation::Spouse);
    }

    #[test]
    fn names_the_member_and_never_repeats_the_number() {
        let bad = broken_id(12);
        let e = parse_household(&req(
            "511526101201",
            vec![
                ("王某华", &valid_id(11), "head"),
                ("李某芳", &bad, "spouse"),
            ],
        ))
        .unwrap_err();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            e.message.contains("第2位成员") && e.message.contains("校验位"),
            "{}",
            e.message
        );
        assert!(!e.message.contains(&bad));
        assert_eq!(e.field.as_deref(), Some("members[1].id_number"));
    }

    #[test]
    fn refuses_bad_households() {
        let id = valid_id(11);
        let cases = [
            (req("5115261012", vec![("王某华", &id, "head")]), "division"),
            (
                req("511526101000", vec![("王某华", &id, "head")]),
                "division",
            ),
            (req("511526101201", vec![]), "members"),
            (
                req("511526101201", vec![("王3", &id, "head")]),
                "members[0].name",
            ),
            (
                req("511526101201", vec![("王某华", &id, "neighbour")]),
                "members[0].relation",
            ),
            (
                req("511526101201", vec![("王某华", &id, "child")]),
                "members",
            ),
            (
                req(
                    "511526101201",
                    vec![("王某华", &id, "head"), ("王某明", &id, "child")],
                ),
                "members[1].id_number",
            ),
        ];
        for (r, field) in cases {
            let e = parse_household(&r).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{}", e.message);
        }
    }

    #[test]
    fn keys_are_required_and_namespaced() {
        let mut h = HeaderMap::new();
        assert_eq!(
            idempotency_key(&h, 7).unwrap_err().code,
            "idempotency_key_required"
        );
        h.insert("idempotency-key", HeaderValue::from_static("abc-123"));
        assert_eq!(idempotency_key(&h, 7).unwrap(), "api:7:abc-123");
        h.insert("idempotency-key", HeaderValue::from_static("a b"));
        assert_eq!(
            idempotency_key(&h, 7).unwrap_err().code,
            "idempotency_key_invalid"
        );
    }

    #[test]
    fn passwords_are_explained_in_chinese() {
        assert!(password_problem("short").unwrap().contains("至少"));
        assert!(password_problem("1234567890").unwrap().contains("数字"));
        assert_eq!(password_problem("good-pass-2026"), None);
    }
}
