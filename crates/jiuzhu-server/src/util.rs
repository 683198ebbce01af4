//! Small helpers: cookies, constant-time comparison, the one date format.

use axum::http::{HeaderMap, HeaderValue, header};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// The session cookie (value: the session id; the store keeps only its digest).
pub(crate) const SESSION_COOKIE: &str = "jz_session";
/// The login form's double-submit CSRF cookie.
pub(crate) const LOGIN_CSRF_COOKIE: &str = "jz_login_csrf";

/// The value of cookie `name` in the request, if sent.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
}

/// How a cookie set by the server is scoped.
pub(crate) struct CookieSpec<'a> {
    pub name: &'a str,
    pub path: &'a str,
    pub same_site: &'a str,
    pub secure: bool,
}

impl CookieSpec<'_> {
    /// `Set-Cookie` value; `max_age` `None` makes a browser-session cookie. Values are
    /// hex secrets, so the header is always valid.
    pub(crate) fn set(&self, value: &str, max_age: Option<i64>) -> HeaderValue {
        let mut s = format!(
            "{}={}; Path={}; HttpOnly; SameSite={}",
            self.name, value, self.path, self.same_site
        );
        if let Some(age) = max_age {
            s.push_str(&format!("; Max-Age={age}"));
        }
        if self.secure {
            s.push_str("; Secure");
        }
        HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// `Set-Cookie` value that removes the cookie.
    pub(crate) fn clear(&self) -> HeaderValue {
        self.set("", Some(0))
    }
}

pub(crate) fn session_cookie(secure: bool) -> CookieSpec<'static> {
    CookieSpec {
        name: SESSION_COOKIE,
        path: "/",
        same_site: "Lax",
        secure,
    }
}

pub(crate) fn login_csrf_cookie(secure: bool) -> CookieSpec<'static> {
    CookieSpec {
        name: LOGIN_CSRF_COOKIE,
        path: "/login",
        same_site: "Strict",
        secure,
    }
}

/// Compares two secrets without an early exit on the first differing byte.
pub(crate) fn ct_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The users work in China Standard Time (UTC+8, no daylight saving).
fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The local (China Standard Time) wall-clock time of a moment: what deadlines, notices and
/// command times are compared with.
pub(crate) fn local_time(t: DateTime<Utc>) -> chrono::NaiveDateTime {
    t.with_timezone(&china()).naive_local()
}

/// A moment as shown on pages: `2026-11-03 14:05` Beijing time.
pub(crate) fn fmt_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A date as shown on pages: `2026-11-03`.
pub(crate) fn fmt_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cookies() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; jz_session=abc ; b=2"),
        );
        h.append(
            header::COOKIE,
            HeaderValue::from_static("jz_login_csrf=xyz"),
        );
        assert_eq!(cookie(&h, "jz_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "jz_login_csrf").as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, "missing"), None);
        assert_eq!(cookie(&h, "jz"), None);
    }

    #[test]
    fn compares_in_constant_time() {
        assert!(ct_eq("abc", "abc"));
        assert!(!ct_eq("abc", "abd"));
        assert!(!ct_eq("abc", "abcd"));
        assert!(!ct_eq("", "a"));
    }

    #[test]
    fn cookies_are_scoped() {
        let c = session_cookie(false)
            .set("00ff", Some(60))
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(
            c,
            "jz_session=00ff; Path=/; HttpOnly; SameSite=Lax; Max-Age=60"
        );
        let c = login_csrf_cookie(true)
            .clear()
            .to_str()
            .unwrap()
            .to_string();
        assert!(c.contains("SameSite=Strict") && c.contains("Max-Age=0") && c.ends_with("Secure"));
    }

    #[test]
    fn times_are_beijing_time() {
        let t = DateTime::parse_from_rfc3339("2026-01-01T20:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(fmt_time(t), "2026-01-02 04:30");
    }
}
