//! Who is asking: browser sessions (cookie `jz_session`), API tokens (`Authorization:
//! Bearer`), the client address, and password checks with the login throttle.
//!
//! Session ids and tokens are random secrets held only by the client; the store keeps
//! their SHA-256 digest, so a copy of the database opens no session.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiuzhu_store::auth::{secret_digest, verify_password};
use jiuzhu_store::{Actor, StoreError, User};

use crate::AppState;
use crate::api::ApiError;
use crate::error::WebError;
use crate::util::{SESSION_COOKIE, cookie, ct_eq};

/// The actor a logged-in user acts as.
pub(crate) fn actor_of(user: &User) -> Actor {
    user.actor()
}

/// A user logged in through the browser.
#[derive(Debug, Clone)]
pub(crate) struct SessionUser {
    pub user: User,
    /// The session's CSRF token, which every form must send back.
    pub csrf: String,
    /// The digest of the session id (what the store knows the session by).
    pub digest: String,
}

impl SessionUser {
    pub(crate) fn actor(&self) -> Actor {
        actor_of(&self.user)
    }

    /// Whether a submitted CSRF token is this session's.
    pub(crate) fn csrf_ok(&self, submitted: &str) -> bool {
        !submitted.is_empty() && ct_eq(submitted, &self.csrf)
    }
}

/// The session named by the request's cookie, if it is open.
pub(crate) async fn session_of(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<SessionUser>, StoreError> {
    let Some(id) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let digest = secret_digest(&id);
    Ok(state
        .store
        .session(&digest, state.now())
        .await?
        .map(|s| SessionUser {
            user: s.user,
            csrf: s.csrf_token,
            digest,
        }))
}

/// The login page with the address to come back to: the requested page for a GET, the page
/// the form was on (same-origin `Referer`) for a POST.
fn login_with_next(parts: &Parts) -> String {
    let path = if parts.method == axum::http::Method::GET {
        parts.uri.path_and_query().map(|p| p.as_str().to_string())
    } else {
        parts
            .headers
            .get(axum::http::header::REFERER)
            .and_then(|r| r.to_str().ok())
            .and_then(|r| r.parse::<axum::http::Uri>().ok())
            .filter(|r| {
                r.authority().map(|a| a.as_str())
                    == parts
                        .headers
                        .get(axum::http::header::HOST)
                        .and_then(|h| h.to_str().ok())
            })
            .and_then(|r| r.path_and_query().map(|p| p.as_str().to_string()))
    };
    match path.as_deref().and_then(crate::web::safe_next) {
        Some(p) if p != "/" => format!(
            "/login?next={}",
            form_urlencoded::byte_serialize(p.as_bytes()).collect::<String>()
        ),
        _ => "/login".to_string(),
    }
}

/// Extractor for pages: the logged-in user, or a redirect to the login page.
pub(crate) struct WebUser(pub SessionUser);

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match session_of(state, &parts.headers).await {
            Ok(Some(s)) => Ok(WebUser(s)),
            Ok(None) => Err(Redirect::to(&login_with_next(parts)).into_response()),
            Err(e) => Err(WebError::from(e).into_response()),
        }
    }
}

/// Extractor for the API: the user of a bearer token, or of the session cookie. A
/// cookie-authenticated request that changes something must also carry the session's CSRF
/// token in `X-CSRF-Token` (a bearer token is never sent by a browser on its own, so it
/// needs none).
pub(crate) struct ApiUser {
    pub user: User,
}

impl ApiUser {
    pub(crate) fn actor(&self) -> Actor {
        actor_of(&self.user)
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim())
                .filter(|t| !t.is_empty())
                .ok_or_else(ApiError::unauthenticated)?;
            return match state
                .store
                .token_user(&secret_digest(token), state.now())
                .await
            {
                Ok(Some(user)) => Ok(ApiUser { user }),
                Ok(None) => Err(ApiError::unauthenticated()),
                Err(e) => Err(ApiError::from(e)),
            };
        }
        let session = session_of(state, &parts.headers)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(ApiError::unauthenticated)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !session.csrf_ok(sent) {
                return Err(ApiError::csrf());
            }
        }
        Ok(ApiUser { user: session.user })
    }
}

/// The client's address, when the server was started with connect info (as [`crate::serve`]
/// does). Proxy headers such as `X-Forwarded-For` are not trusted.
pub(crate) struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// Why a login (page or API token) was refused.
#[derive(Debug)]
pub(crate) enum LoginFailure {
    /// Too many failures for the username or address: not even checked.
    Throttled,
    /// Unknown user or wrong password (never said which).
    BadCredentials,
    /// Right password, deactivated account.
    Disabled,
    Store(StoreError),
}

impl From<StoreError> for LoginFailure {
    fn from(e: StoreError) -> Self {
        LoginFailure::Store(e)
    }
}

/// Longest password accepted at login; longer input is refused without hashing it.
const MAX_PASSWORD_BYTES: usize = 1024;

/// A hash to check unknown usernames against, so that they take as long as known ones.
fn dummy_hash() -> Option<&'static str> {
    static HASH: OnceLock<Option<String>> = OnceLock::new();
    HASH.get_or_init(|| jiuzhu_store::auth::hash_password("jiuzhu-no-such-user").ok())
        .as_deref()
}

/// Checks a username and password against the store, with the throttle. The attempt is
/// counted as a failure before the password is checked (so that parallel attempts cannot
/// all get past the limit) and taken back on success. Failures are audited here; the
/// caller opens the session or issues the token (and audits that) on success.
pub(crate) async fn authenticate(
    state: &AppState,
    username: &str,
    password: &str,
    ip: Option<IpAddr>,
) -> Result<User, LoginFailure> {
    let username = username.trim();
    let Some(reservation) = state.throttle.reserve(username, ip, Instant::now()) else {
        // The typed username is not logged: people type passwords into it by mistake.
        tracing::warn!(?ip, "login refused: too many failed attempts");
        return Err(LoginFailure::Throttled);
    };
    let creds = if username.is_empty() {
        None
    } else {
        match state.store.credentials(username).await {
            Ok(c) => c,
            Err(e) => {
                // Not decided: this attempt counts as nothing.
                state.throttle.release(reservation);
                return Err(e.into());
            }
        }
    };
    let password = password.to_string();
    let hash = creds.as_ref().map(|c| c.password_hash.clone());
    let matches = if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
        false
    } else {
        // argon2 takes tens of milliseconds of CPU: keep it off the async workers.
        tokio::task::spawn_blocking(move || match hash {
            Some(h) => verify_password(&password, &h),
            None => {
                if let Some(d) = dummy_hash() {
                    verify_password(&password, d);
                }
                false
            }
        })
        .await
        .unwrap_or(false)
    };
    let now = state.now();
    // From here on the reservation stands as the counted failure unless the login succeeds.
    match creds {
        Some(c) if matches && c.user.active => {
            state.throttle.succeeded(reservation);
            Ok(c.user)
        }
        Some(c) => {
            state.throttle.failed(reservation);
            state
                .store
                .record_login(now, username, Some(&c.user), None)
                .await?;
            if matches {
                tracing::info!(
                    username,
                    user_id = c.user.id,
                    "login refused: account deactivated"
                );
                Err(LoginFailure::Disabled)
            } else {
                tracing::info!(
                    username,
                    user_id = c.user.id,
                    "login failed: wrong password"
                );
                Err(LoginFailure::BadCredentials)
            }
        }
        None => {
            state.throttle.failed(reservation);
            if !username.is_empty() {
                state.store.record_login(now, username, None, None).await?;
            }
            tracing::info!(?ip, "login failed: unknown username");
            Err(LoginFailure::BadCredentials)
        }
    }
}
