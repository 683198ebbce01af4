//! Errors of the web UI: a status and a Chinese message, rendered as a page. Store errors
//! map to statuses here (and in `api` for JSON); their details go to the log only.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use jiuzhu_store::StoreError;

/// What users see when the form's CSRF token is missing or wrong.
pub(crate) const CSRF_MESSAGE: &str = "页面已过期或请求无效，请刷新后重试";

/// The HTTP status for a store error.
pub(crate) fn store_status(e: &StoreError) -> StatusCode {
    match e {
        StoreError::NotFound(_) => StatusCode::NOT_FOUND,
        StoreError::Forbidden(_) => StatusCode::FORBIDDEN,
        StoreError::Conflict(_)
        | StoreError::IdempotencyKeyReused
        | StoreError::UsernameTaken(_)
        | StoreError::IdNumberRegistered { .. }
        | StoreError::DocumentSerialTaken { .. } => StatusCode::CONFLICT,
        StoreError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        // A case refusal: who may act (403) or the case's state (409).
        StoreError::Case { .. } if e.is_permission() => StatusCode::FORBIDDEN,
        StoreError::Case { .. } => StatusCode::CONFLICT,
        StoreError::Supervision { .. } if e.is_permission() => StatusCode::FORBIDDEN,
        StoreError::Supervision { .. } => StatusCode::CONFLICT,
        StoreError::ReadOnly(_) | StoreError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        StoreError::SchemaTooNew { .. }
        | StoreError::Migration(_)
        | StoreError::ChainBroken(_)
        | StoreError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A generic Chinese message for a store error (the detail is English and for the log).
pub(crate) fn store_message_zh(e: &StoreError) -> &'static str {
    match e {
        StoreError::NotFound(_) => "未找到该记录",
        StoreError::Forbidden(_) => "您没有权限执行此操作",
        StoreError::Conflict(_) => "操作与已有数据冲突",
        StoreError::IdempotencyKeyReused => "该请求编号已用于另一个内容不同的请求，请重新提交",
        StoreError::UsernameTaken(_) => "该用户名已被使用，请换一个",
        StoreError::IdNumberRegistered { .. } => "身份证号码已登记在其他家庭中，不能重复登记",
        StoreError::Invalid(_) => "提交的内容无效，请检查后重试",
        StoreError::Case { .. } => "该案件当前不能办理此操作",
        StoreError::Supervision { .. } => "该监督事项当前不能办理",
        StoreError::DocumentSerialTaken { .. } => "文号已被其他文书占用，请重新签发",
        StoreError::ReadOnly(_) => "系统当前为只读状态，暂时不能保存，请稍后再试或联系管理员",
        StoreError::Unavailable { .. } => "数据库暂时无法访问，请稍后再试或联系管理员",
        _ => "系统内部错误，请稍后再试；如问题持续，请联系管理员",
    }
}

/// Logs a store error: server faults as errors, the caller's mistakes at debug level.
/// Store messages carry no personal data (see `jiuzhu_store::error`).
pub(crate) fn log_store_error(e: &StoreError) {
    if store_status(e).is_server_error() {
        tracing::error!(code = e.code(), error = %e, "store error");
    } else {
        tracing::debug!(code = e.code(), error = %e, "request refused by the store");
    }
}

/// An error page.
#[derive(Debug)]
pub(crate) struct WebError {
    pub status: StatusCode,
    pub message: String,
}

impl WebError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        WebError {
            status,
            message: message.into(),
        }
    }

    pub(crate) fn internal() -> Self {
        WebError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "系统内部错误，请稍后再试；如问题持续，请联系管理员",
        )
    }

    pub(crate) fn csrf() -> Self {
        WebError::new(StatusCode::FORBIDDEN, CSRF_MESSAGE)
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        log_store_error(&e);
        WebError::new(store_status(&e), store_message_zh(&e))
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "template rendering failed");
        WebError::internal()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    nav: Option<crate::web::Nav>,
    status: u16,
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let title = match self.status {
            StatusCode::NOT_FOUND => "未找到",
            StatusCode::FORBIDDEN => "无权访问",
            StatusCode::TOO_MANY_REQUESTS => "请求过于频繁",
            s if s.is_server_error() => "系统错误",
            _ => "请求有误",
        };
        let page = ErrorPage {
            nav: None,
            status: self.status.as_u16(),
            title,
            message: &self.message,
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "cannot render the error page");
                (self.status, self.message).into_response()
            }
        }
    }
}
