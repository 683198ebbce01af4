//! Case endpoints under `/api/v1/cases`: commands of the case engine and the case reads.
//!
//! A command's body is the serde form of [`jiuzhu_domain::case::Command`]:
//! `{"at": "2023-03-01T09:00:00", "body": {"type": "apply", …}}` (`at` is Asia/Shanghai
//! local time). Opening commands (`apply`, `request_pre_check`, `report_emergency`) go to
//! `POST /cases`; every other command to `POST /cases/{id}/commands`. The store checks who
//! may act and where; its refusals come back as `{"code": "case.…", "message": "…"}` with
//! 403 (who may act) or 409 (the case's state).
//!
//! What is returned holds no identity numbers or names of the household: a case refers to
//! its household by id and to its members by sequence number and relation, and to staff by
//! user id.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, NaiveDateTime, Utc};
use jiuzhu_domain::Program;
use jiuzhu_domain::case::{self, Stage};
use jiuzhu_store::{
    CaseFilter, CaseSummary, Command, CommandContext, CommandOutcome, EventRecord, Executed,
    PageRequest,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::doc::{CaseCommand, OpenCaseCommand};
use super::{
    ApiError, ApiResult, CommandHeaders, DEFAULT_PER_PAGE, ErrorBody, PageJson, command_error,
    division_filter, idempotency_key, unexpected_outcome,
};
use crate::AppState;
use crate::session::ApiUser;
use crate::web::parse_page;

/// Default window of `GET /cases/due-soon`, in calendar days.
const DEFAULT_DUE_SOON_DAYS: u32 = 7;
/// Longest window of `GET /cases/due-soon`.
const MAX_DUE_SOON_DAYS: u32 = 366;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cases, open_case))
        .routes(routes!(overdue))
        .routes(routes!(due_soon))
        .routes(routes!(get_case))
        .routes(routes!(case_command))
        .routes(routes!(timeline))
}

/// The local (Asia/Shanghai, UTC+8, no daylight saving) time the store's deadlines use.
fn local_now(now: DateTime<Utc>) -> NaiveDateTime {
    crate::util::local_time(now)
}

fn case_id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(ApiError::not_found)
}

// ---- commands --------------------------------------------------------------------------

/// serde's message without long digit runs (an identity number typed into the wrong
/// field must not come back in an error).
fn scrub_digits(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= 6 {
            out.push('…');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in message.chars() {
        if c.is_ascii_digit() || ((c == 'X' || c == 'x') && !run.is_empty()) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Parses a case command. For opening commands the store assigns the case's id and
/// number, so `body.case.case_id` and `body.case.number` may be left out.
fn parse_command(body: &[u8], opening: bool) -> ApiResult<case::Command> {
    let mut value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("请求体不是有效的JSON（第{}行第{}列）", e.line(), e.column()),
        )
    })?;
    if let Some(new_case) = value
        .get_mut("body")
        .and_then(|b| b.get_mut("case"))
        .and_then(Value::as_object_mut)
    {
        new_case.entry("case_id").or_insert(json!(0));
        new_case.entry("number").or_insert(json!(""));
    }
    let command: case::Command = serde_json::from_value(value).map_err(|e| {
        ApiError::invalid(
            "body",
            format!(
                "案件指令格式不正确：{}。指令应为 {{\"at\": \"2023-03-01T09:00:00\", \"body\": {{\"type\": \"apply\", …}}}}",
                scrub_digits(&e.to_string())
            ),
        )
    })?;
    let kind = command.body.kind();
    if opening && !kind.opens_case() {
        return Err(ApiError::invalid(
            "body.type",
            format!(
                "“{}”（{kind}）不能新建案件：新建案件须为 apply、request_pre_check 或 report_emergency；已有案件的指令请提交到 POST /api/v1/cases/{{id}}/commands",
                kind.name_zh()
            ),
        ));
    }
    if !opening && kind.opens_case() {
        return Err(ApiError::invalid(
            "body.type",
            format!(
                "“{}”（{kind}）用于新建案件，请提交到 POST /api/v1/cases",
                kind.name_zh()
            ),
        ));
    }
    Ok(command)
}

/// What a case command recorded (fields in the order the server has always written them).
#[derive(Serialize, ToSchema)]
#[schema(as = CaseRecorded)]
struct RecordedJson<'a> {
    case_id: i64,
    /// The kinds of the events recorded (`case.applied`, …).
    events: &'a [String],
    /// 案件编号 `{county}-{year}-{seq:06}`.
    number: &'a str,
    /// 办理阶段 after the command (`jiuzhu_domain::case::Stage`).
    #[schema(value_type = String)]
    stage: Stage,
    /// Number of events of the case (its version).
    version: u64,
}

/// The outcome of a case command as JSON, with `Idempotent-Replayed: true` on a replay.
fn recorded(executed: &Executed, status: StatusCode, location: bool) -> ApiResult {
    let CommandOutcome::CaseRecorded {
        case_id,
        number,
        version,
        stage,
        events,
    } = &executed.outcome
    else {
        return Err(unexpected_outcome(&executed.outcome));
    };
    let body = RecordedJson {
        case_id: *case_id,
        events,
        number,
        stage: *stage,
        version: *version,
    };
    let mut res = (status, axum::Json(body)).into_response();
    if executed.replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    if location && let Ok(loc) = HeaderValue::from_str(&format!("/api/v1/cases/{case_id}")) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(res)
}

async fn run(
    state: &AppState,
    who: &ApiUser,
    key: String,
    case_id: Option<i64>,
    case_command: case::Command,
) -> ApiResult<Executed> {
    let kind = case_command.body.kind();
    let ctx = CommandContext::new(who.actor(), key, state.now());
    let executed = state
        .store
        .execute(
            &ctx,
            Command::Case {
                case_id,
                case_command,
            },
        )
        .await
        .map_err(command_error)?;
    tracing::info!(
        username = %who.user.username,
        command = %kind,
        replayed = executed.replayed,
        "case command recorded"
    );
    Ok(executed)
}

/// `POST /api/v1/cases` (Idempotency-Key required): an opening command → 201
/// `{case_id, number, version, stage, events}`.
#[utoipa::path(
    post,
    path = "/cases",
    tag = "cases",
    summary = "新建案件（申请、先行核对或报告急难情况）",
    params(CommandHeaders),
    request_body = OpenCaseCommand,
    responses(
        (status = 201, description = "案件已新建（重放时带 Idempotent-Replayed: true）", body = RecordedJson,
         headers(("Location" = String, description = "/api/v1/cases/{id}"))),
        (status = 400, description = "缺少或无效的 Idempotency-Key，或请求体不是JSON", body = ErrorBody),
        (status = 403, description = "案件引擎拒绝：无权办理（如 case.wrong_role）", body = ErrorBody),
        (status = 409, description = "案件引擎拒绝：状态不允许（如 case.duplicate_application），或幂等键已用于另一请求", body = ErrorBody),
        (status = 422, description = "指令格式不正确（invalid_input，field 为 body 或 body.type）", body = ErrorBody),
    )
)]
async fn open_case(
    State(state): State<AppState>,
    who: ApiUser,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let key = idempotency_key(&headers, who.user.id)?;
    let command = parse_command(&body, true)?;
    let executed = run(&state, &who, key, None, command).await?;
    recorded(&executed, StatusCode::CREATED, true)
}

/// `POST /api/v1/cases/{id}/commands` (Idempotency-Key required): any other command → 200
/// `{case_id, number, version, stage, events}`.
#[utoipa::path(
    post,
    path = "/cases/{id}/commands",
    tag = "cases",
    summary = "办理案件（提交案件指令）",
    params(("id" = i64, Path, description = "案件编号（数字id）"), CommandHeaders),
    request_body = CaseCommand,
    responses(
        (status = 200, description = "指令已记录（重放时带 Idempotent-Replayed: true）", body = RecordedJson),
        (status = 400, description = "缺少或无效的 Idempotency-Key，或请求体不是JSON", body = ErrorBody),
        (status = 403, description = "案件引擎拒绝：无权办理（如 case.wrong_role）", body = ErrorBody),
        (status = 404, description = "案件不存在或不在管辖范围内（not_found）", body = ErrorBody),
        (status = 409, description = "案件引擎拒绝：状态不允许（如 case.wrong_stage），或幂等键已用于另一请求", body = ErrorBody),
        (status = 422, description = "指令格式不正确（invalid_input，field 为 body 或 body.type）", body = ErrorBody),
    )
)]
async fn case_command(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let id = case_id(&id)?;
    let key = idempotency_key(&headers, who.user.id)?;
    let command = parse_command(&body, false)?;
    let executed = run(&state, &who, key, Some(id), command).await?;
    recorded(&executed, StatusCode::OK, false)
}

// ---- reads -----------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CaseListQuery {
    /// 页码, from 1.
    #[param(value_type = Option<u32>, minimum = 1)]
    page: Option<String>,
    /// 每页条数 (default 50).
    #[param(value_type = Option<u32>, minimum = 1)]
    per_page: Option<String>,
    /// 救助项目 (`Program`).
    program: Option<String>,
    /// 只看该区划 (6- or 12-digit code inside the caller's jurisdiction).
    division: Option<String>,
    /// 办理阶段 (`Stage`: its code or its Chinese name).
    stage: Option<String>,
    /// `true`: only cases not closed.
    #[param(value_type = Option<bool>)]
    open: Option<String>,
}

fn present(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_program(raw: Option<&str>) -> ApiResult<Option<Program>> {
    raw.map(|p| {
        p.parse::<Program>().map_err(|_| {
            let names: Vec<String> = Program::ALL
                .iter()
                .map(|p| format!("{}（{}）", p.as_str(), p.name_zh()))
                .collect();
            ApiError::invalid(
                "program",
                format!(
                    "救助项目（program）无效，应为以下之一：{}",
                    names.join("、")
                ),
            )
        })
    })
    .transpose()
}

fn parse_stage(raw: Option<&str>) -> ApiResult<Option<Stage>> {
    raw.map(|s| {
        Stage::ALL
            .into_iter()
            .find(|st| st.as_str() == s || st.name_zh() == s)
            .ok_or_else(|| {
                let names: Vec<String> = Stage::ALL
                    .iter()
                    .map(|s| format!("{}（{}）", s.as_str(), s.name_zh()))
                    .collect();
                ApiError::invalid(
                    "stage",
                    format!("办理阶段（stage）无效，应为以下之一：{}", names.join("、")),
                )
            })
    })
    .transpose()
}

fn parse_bool(field: &str, raw: Option<&str>) -> ApiResult<bool> {
    match raw {
        None => Ok(false),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(_) => Err(ApiError::invalid(
            field,
            format!("{field} 应为 true 或 false"),
        )),
    }
}

/// A case in a list: the store's case summary (`id`, `number`, `program`, `township`,
/// `village`, `household_id`, `stage`, `open`, `version`, `next_due_date`, `next_deadline`,
/// `opened_at`, `updated_at`) with the Chinese names of its stage and program.
#[derive(Serialize, ToSchema)]
#[schema(as = CaseItem)]
struct CaseItemJson<'a> {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    case: &'a CaseSummary,
    stage_name: &'static str,
    program_name: &'static str,
}

fn items(cases: &[CaseSummary]) -> Vec<CaseItemJson<'_>> {
    cases
        .iter()
        .map(|c| CaseItemJson {
            case: c,
            stage_name: c.stage.name_zh(),
            program_name: c.program.name_zh(),
        })
        .collect()
}

/// `GET /api/v1/cases?program=&division=&stage=&open=&page=&per_page=`: cases in the
/// caller's jurisdiction, newest first.
#[utoipa::path(
    get,
    path = "/cases",
    tag = "cases",
    summary = "案件列表（本人管辖范围内，可按项目、区划、阶段筛选，分页）",
    params(CaseListQuery),
    responses(
        (status = 200, description = "一页案件，最新的在前", body = PageJson<CaseItemJson>),
        (status = 422, description = "筛选条件无效（invalid_input，field 指明参数）", body = ErrorBody),
    )
)]
async fn list_cases(
    State(state): State<AppState>,
    who: ApiUser,
    Query(q): Query<CaseListQuery>,
) -> ApiResult {
    let actor = who.actor();
    let within = division_filter(&q.division, &actor)?;
    let filter = CaseFilter {
        program: parse_program(present(&q.program))?,
        within,
        stage: parse_stage(present(&q.stage))?,
        open_only: parse_bool("open", present(&q.open))?,
    };
    let per_page = present(&q.per_page)
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or(DEFAULT_PER_PAGE);
    let page = state
        .store
        .cases(
            &actor,
            &filter,
            PageRequest::new(parse_page(q.page.as_deref()), per_page),
        )
        .await?;
    Ok(axum::Json(PageJson {
        items: items(&page.items),
        total: page.total,
        page: page.page,
        per_page: page.per_page,
    })
    .into_response())
}

/// `GET /api/v1/cases/{id}`: the case's state; 404 alike for absent cases and cases
/// outside the caller's jurisdiction.
#[utoipa::path(
    get,
    path = "/cases/{id}",
    tag = "cases",
    summary = "案件详情（案件状态）",
    description = "The case's state: the serde form of `jiuzhu_domain::case::CaseState` (header, stage, procedure, deadlines, records of each step). 案件状态，字段随案件引擎演进。",
    params(("id" = i64, Path, description = "案件编号（数字id）")),
    responses(
        (status = 200, description = "案件状态（jiuzhu_domain::case::CaseState 的 JSON 形式）", body = Object),
        (status = 404, description = "案件不存在或不在管辖范围内（not_found）", body = ErrorBody),
    )
)]
async fn get_case(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    let id = case_id(&id)?;
    let case = state.store.case(&who.actor(), id).await?;
    Ok(axum::Json(case).into_response())
}

/// One event of a case.
#[derive(Serialize, ToSchema)]
#[schema(as = TimelineEvent)]
struct TimelineEventJson<'a> {
    /// Sequence number in the county's audit chain.
    seq: i64,
    /// 事件类型 (`case.applied`, …).
    kind: &'a str,
    at: DateTime<Utc>,
    /// Who recorded it (`user:{id}`, …).
    actor: &'a str,
    role: &'a str,
    /// The event's payload (the serde form of `jiuzhu_domain::case::EventBody`).
    #[schema(value_type = Object)]
    payload: &'a Value,
}

/// A case's events.
#[derive(Serialize, ToSchema)]
#[schema(as = Timeline)]
struct TimelineJson<'a> {
    case_id: i64,
    events: Vec<TimelineEventJson<'a>>,
}

/// `GET /api/v1/cases/{id}/timeline`: the case's events, oldest first.
#[utoipa::path(
    get,
    path = "/cases/{id}/timeline",
    tag = "cases",
    summary = "案件时间线（全部事件，最早的在前）",
    params(("id" = i64, Path, description = "案件编号（数字id）")),
    responses(
        (status = 200, description = "案件的事件", body = TimelineJson),
        (status = 404, description = "案件不存在或不在管辖范围内（not_found）", body = ErrorBody),
    )
)]
async fn timeline(
    State(state): State<AppState>,
    who: ApiUser,
    Path(id): Path<String>,
) -> ApiResult {
    let id = case_id(&id)?;
    let events: Vec<EventRecord> = state
        .store
        .events_for(&who.actor(), &format!("case:{id}"))
        .await?;
    if events.is_empty() {
        // A case always has its opening event: no events means no (visible) case.
        return Err(ApiError::not_found());
    }
    let items: Vec<TimelineEventJson<'_>> = events
        .iter()
        .map(|e| TimelineEventJson {
            seq: e.seq,
            kind: &e.kind,
            at: e.occurred_at,
            actor: &e.actor,
            role: &e.actor_role,
            payload: &e.payload,
        })
        .collect();
    Ok(axum::Json(TimelineJson {
        case_id: id,
        events: items,
    })
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DueQuery {
    division: Option<String>,
    days: Option<String>,
}

/// Open cases with a step overdue now.
#[derive(Serialize, ToSchema)]
#[schema(as = OverdueCases)]
struct OverdueJson<'a> {
    items: Vec<CaseItemJson<'a>>,
}

/// Open cases falling due within `days`.
#[derive(Serialize, ToSchema)]
#[schema(as = DueSoonCases)]
struct DueSoonJson<'a> {
    days: u32,
    items: Vec<CaseItemJson<'a>>,
}

/// `GET /api/v1/cases/overdue?division=`: open cases with a step overdue now, most overdue
/// first.
#[utoipa::path(
    get,
    path = "/cases/overdue",
    tag = "cases",
    summary = "已超期案件（最超期的在前）",
    params(("division" = Option<String>, Query, description = "只看该区划 (inside the caller's jurisdiction)")),
    responses(
        (status = 200, description = "有步骤已超期的在办案件", body = OverdueJson),
        (status = 422, description = "区划筛选无效（invalid_input）", body = ErrorBody),
    )
)]
async fn overdue(
    State(state): State<AppState>,
    who: ApiUser,
    Query(q): Query<DueQuery>,
) -> ApiResult {
    let actor = who.actor();
    let within = division_filter(&q.division, &actor)?;
    let cases = state
        .store
        .overdue_cases(&actor, within.as_ref(), local_now(state.now()))
        .await?;
    Ok(axum::Json(OverdueJson {
        items: items(&cases),
    })
    .into_response())
}

/// `GET /api/v1/cases/due-soon?days=N&division=`: open cases not overdue whose next step
/// falls due within N calendar days (default 7), soonest first.
#[utoipa::path(
    get,
    path = "/cases/due-soon",
    tag = "cases",
    summary = "即将到期案件（N个自然日内到期，最早到期的在前）",
    params(
        ("days" = Option<u32>, Query, minimum = 1, maximum = 366, description = "天数 (calendar days, default 7)"),
        ("division" = Option<String>, Query, description = "只看该区划 (inside the caller's jurisdiction)"),
    ),
    responses(
        (status = 200, description = "未超期、下一步骤在N日内到期的在办案件", body = DueSoonJson),
        (status = 422, description = "天数或区划无效（invalid_input）", body = ErrorBody),
    )
)]
async fn due_soon(
    State(state): State<AppState>,
    who: ApiUser,
    Query(q): Query<DueQuery>,
) -> ApiResult {
    let actor = who.actor();
    let within = division_filter(&q.division, &actor)?;
    let days = match present(&q.days) {
        None => DEFAULT_DUE_SOON_DAYS,
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_DUE_SOON_DAYS).contains(d))
            .ok_or_else(|| {
                ApiError::invalid(
                    "days",
                    format!("天数（days）应为1至{MAX_DUE_SOON_DAYS}之间的整数"),
                )
            })?,
    };
    let cases = state
        .store
        .due_soon(&actor, within.as_ref(), local_now(state.now()), days)
        .await?;
    Ok(axum::Json(DueSoonJson {
        days,
        items: items(&cases),
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_digit_runs_are_scrubbed() {
        assert_eq!(
            scrub_digits("invalid type: string \"51152619800506123X\", expected u64 at 12"),
            "invalid type: string \"…\", expected u64 at 12"
        );
    }

    #[test]
    fn opening_and_other_commands_go_to_their_endpoints() {
        let apply = br#"{"at":"2023-03-01T09:00:00","body":{"type":"apply","case":{"program":"dibao","village":"511526100205","household_id":1,"origin":"household"},"materials":[]}}"#;
        assert!(parse_command(apply, true).is_ok());
        let e = parse_command(apply, false).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("body.type"));
        let check = br#"{"at":"2023-03-01T09:00:00","body":{"type":"request_check"}}"#;
        assert!(parse_command(check, false).is_ok());
        assert_eq!(parse_command(check, true).unwrap_err().status.as_u16(), 422);
        let bad = br#"{"at":"2023-03-01T09:00:00","body":{"type":"fly"}}"#;
        let e = parse_command(bad, false).unwrap_err();
        assert_eq!(e.status.as_u16(), 422);
        assert!(e.message.contains("fly"), "{}", e.message);
    }
}
