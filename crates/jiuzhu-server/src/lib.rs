//! jiuzhu's HTTP server: the server-rendered simplified-Chinese web UI (askama templates,
//! no script build step) and the JSON API under `/api/v1`.
//!
//! Everything the server knows comes from the [`Store`]; the server adds only what HTTP
//! needs: sessions in cookies (the store keeps only their SHA-256), CSRF tokens, the login
//! throttle (in memory), and the mapping of store errors to status codes and Chinese
//! messages.
//!
//! Where to start reading: [`router`] lists every route; `session` resolves who is asking;
//! `web` renders the pages; `api` answers JSON (and `api::doc` describes it: OpenAPI at
//! `/api/v1/openapi.json`, rendered by `docs` at `/api/docs`).
#![forbid(unsafe_code)]

mod api;
mod complaints;
mod county;
mod dishonesty;
mod docs;
mod documents;
mod dynamic;
mod error;
mod export;
mod funds;
mod imports;
mod public;
mod session;
mod supervise;
mod throttle;
mod users;
mod util;
mod web;
mod workbench;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use jiuzhu_store::Store;
use tower_http::trace::TraceLayer;

use crate::throttle::LoginThrottle;

/// Everything a request handler needs: the store, and the server's own in-memory state.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Failed-login counters per username and per client address.
    throttle: Arc<LoginThrottle>,
    /// Mark cookies `Secure` (set `JIUZHU_COOKIE_SECURE=1` behind an HTTPS proxy).
    cookie_secure: bool,
    /// Requests per client address to the public forms (status lookup, objections).
    public_limit: Arc<crate::throttle::RateLimit>,
    /// Running and recently finished household imports (批量导入).
    imports: Arc<imports::Jobs>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> AppState {
        AppState {
            store,
            throttle: Arc::new(LoginThrottle::new()),
            cookie_secure: std::env::var("JIUZHU_COOKIE_SECURE").is_ok_and(|v| v == "1"),
            public_limit: Arc::new(crate::throttle::RateLimit::new(
                public::PUBLIC_LIMIT,
                std::time::Duration::from_secs(15 * 60),
            )),
            imports: Arc::new(imports::Jobs::default()),
        }
    }

    /// The one clock of the server.
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// Now in local time (Asia/Shanghai, UTC+8).
    fn local_now(&self) -> chrono::NaiveDateTime {
        crate::util::local_time(self.now())
    }
}

/// All routes of the web UI and the API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(web::home))
        .route("/login", get(web::login_page).post(web::login_submit))
        .route("/logout", post(web::logout))
        .route("/households", get(web::households))
        .route("/households.xlsx", get(export::households))
        .route(
            "/households/import",
            get(imports::form)
                .post(imports::upload)
                .layer(DefaultBodyLimit::max(imports::MAX_UPLOAD_BYTES)),
        )
        .route(
            "/households/import/template.xlsx",
            get(imports::template_xlsx),
        )
        .route(
            "/households/import/template.csv",
            get(imports::template_csv),
        )
        .route("/households/import/{id}", get(imports::job))
        .route(
            "/households/import/{id}/report.xlsx",
            get(imports::report_xlsx),
        )
        .route("/households/{id}", get(web::household))
        .route("/households/{id}/reveal", post(web::household_reveal))
        .route(
            "/households/{id}/bank-account",
            post(web::household_account),
        )
        .route("/public", get(public::index))
        .route("/public/notices", get(public::notices))
        .route("/public/notices.xlsx", get(export::public_notices))
        .route(
            "/public/status",
            get(public::status_form).post(public::status_submit),
        )
        .route(
            "/public/report",
            get(public::report_form).post(public::report_submit),
        )
        .route("/reports", get(workbench::reports))
        .route("/reports/{id}/answer", post(workbench::answer_report))
        .route("/dashboard", get(county::dashboard))
        .route("/grants", get(county::grants).post(county::grant_submit))
        .route("/grants/{id}/revoke", post(county::revoke_submit))
        .route("/grants/{id}/letter", post(documents::grant_letter_submit))
        .route(
            "/notice-list",
            get(documents::notice_list_page).post(documents::notice_list_submit),
        )
        .route("/profile", get(county::profile))
        .route("/funds", get(funds::funds))
        .route("/funds/payments.xlsx", get(funds::payments_xlsx))
        .route("/funds/payment-file", get(funds::payment_file))
        .route("/funds/roster-pdf", post(documents::roster_submit))
        .route("/funds/returns", post(funds::returns))
        .route("/funds/reconcile", post(funds::reconcile))
        .route(
            "/funds/reserve",
            get(funds::reserve).post(funds::reserve_submit),
        )
        .route("/funds/{action}", post(funds::act))
        .route("/dynamic", get(dynamic::dynamic))
        .route("/dynamic/visit", post(dynamic::visit))
        .route(
            "/dynamic/recheck/{household_id}/{program}",
            get(dynamic::recheck_form).post(dynamic::recheck_submit),
        )
        .route(
            "/dynamic/rechecks/{id}/notice",
            post(documents::adjustment_notice_submit),
        )
        .route("/supervision", get(supervise::supervision))
        .route("/supervision/{op}", post(supervise::act))
        .route("/complaints", get(complaints::complaints))
        .route("/complaints/{op}", post(complaints::act))
        .route(
            "/dishonesty",
            get(dishonesty::dishonesty).post(dishonesty::record),
        )
        .route("/users", get(users::users).post(users::create))
        .route("/users/{id}/active", post(users::set_active))
        .route("/users/{id}/password", post(users::reset_password))
        .route("/todo", get(workbench::todo))
        .route("/todo.xlsx", get(export::todo))
        .route("/cases", get(workbench::cases))
        .route("/cases.xlsx", get(export::cases))
        .route(
            "/cases/new",
            get(workbench::new_case).post(workbench::new_case_submit),
        )
        .route("/cases/{id}", get(workbench::case_view))
        .route("/cases/{id}/act/{kind}", post(workbench::case_act))
        .route(
            "/cases/{id}/corrections/{correction}/repay",
            post(workbench::correction_repay),
        )
        .route(
            "/cases/{id}/documents/{kind}",
            post(documents::issue_submit),
        )
        .route("/documents/{id}", get(documents::download))
        .route("/healthz", get(healthz))
        .route("/static/style.css", get(stylesheet))
        .route("/api/docs", get(docs::page_handler))
        .merge(api::api().0)
        .fallback(fallback)
        .layer(middleware::map_response(security_headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes in-flight requests (graceful shutdown).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, backend = state.store.backend(), "jiuzhu server listening");
    }
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// `GET /healthz`: 200 `ok` when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.schema_version().await {
        Ok(_) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response()
        }
    }
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../templates/style.css"),
    )
        .into_response()
}

/// Unknown paths: JSON under `/api/`, a Chinese page elsewhere.
async fn fallback(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        api::ApiError::not_found().into_response()
    } else {
        error::WebError::new(StatusCode::NOT_FOUND, "您访问的页面不存在").into_response()
    }
}

/// Headers every response carries. Pages show personal data, so nothing is cached unless
/// the handler said otherwise (the stylesheet).
async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
