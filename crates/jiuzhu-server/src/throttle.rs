//! 登录限流 login throttling: after too many failed logins for one username, or from one
//! client address, within a window, further attempts are refused before the password is
//! even checked. Kept in memory: a restart forgets it, which is acceptable for a brake on
//! password guessing (the failures are in the audit log anyway).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a failure counts.
pub(crate) const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures per username within [`WINDOW`] after which the username is blocked.
pub(crate) const USER_LIMIT: usize = 5;
/// Failures per client address within [`WINDOW`] after which the address is blocked.
pub(crate) const IP_LIMIT: usize = 20;
/// Most keys kept; beyond this, expired keys and then the stalest ones are dropped, so a
/// flood of made-up usernames cannot grow the map without bound.
const MAX_KEYS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Ip(IpAddr),
}

impl Key {
    fn limit(&self) -> usize {
        match self {
            Key::User(_) => USER_LIMIT,
            Key::Ip(_) => IP_LIMIT,
        }
    }
}

/// Usernames are compared case-insensitively and cut to 64 characters, as typed.
fn user_key(username: &str) -> Key {
    Key::User(username.trim().to_lowercase().chars().take(64).collect())
}

#[derive(Debug, Default)]
pub(crate) struct LoginThrottle {
    /// Per key, the times of its most recent failures (at most its limit), oldest first.
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

impl LoginThrottle {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn keys(username: &str, ip: Option<IpAddr>) -> impl Iterator<Item = Key> {
        std::iter::once(user_key(username)).chain(ip.map(Key::Ip))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, VecDeque<Instant>>> {
        // A panic while holding the lock cannot leave the map inconsistent: keep going.
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether an attempt for `username` from `ip` must be refused now.
    pub(crate) fn is_blocked(&self, username: &str, ip: Option<IpAddr>, now: Instant) -> bool {
        let map = self.lock();
        Self::keys(username, ip).any(|k| {
            map.get(&k).is_some_and(|times| {
                times
                    .iter()
                    .filter(|t| now.saturating_duration_since(**t) < WINDOW)
                    .count()
                    >= k.limit()
            })
        })
    }

    /// Counts a failed attempt.
    pub(crate) fn record_failure(&self, username: &str, ip: Option<IpAddr>, now: Instant) {
        let mut map = self.lock();
        for k in Self::keys(username, ip) {
            let limit = k.limit();
            let times = map.entry(k).or_default();
            times.push_back(now);
            while times.len() > limit {
                times.pop_front();
            }
        }
        if map.len() > MAX_KEYS {
            evict(&mut map, now);
        }
    }

    /// A successful login clears the username's failures (not the address's).
    pub(crate) fn record_success(&self, username: &str) {
        self.lock().remove(&user_key(username));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

fn evict(map: &mut HashMap<Key, VecDeque<Instant>>, now: Instant) {
    map.retain(|_, times| {
        times
            .back()
            .is_some_and(|t| now.saturating_duration_since(*t) < WINDOW)
    });
    if map.len() > MAX_KEYS {
        // Still full of live keys: drop the stalest half.
        let mut by_age: Vec<(Instant, Key)> = map
            .iter()
            .filter_map(|(k, times)| times.back().map(|t| (*t, k.clone())))
            .collect();
        by_age.sort_by_key(|(t, _)| *t);
        for (_, k) in by_age.into_iter().take(map.len() - MAX_KEYS / 2) {
            map.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_a_username_after_five_failures() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        for _ in 0..USER_LIMIT {
            assert!(!t.is_blocked("Zhang", None, now));
            t.record_failure("zhang", None, now);
        }
        assert!(t.is_blocked("zhang", None, now));
        assert!(t.is_blocked(" ZHANG ", None, now));
        assert!(!t.is_blocked("li", None, now));
        // the window passes
        assert!(!t.is_blocked("zhang", None, now + WINDOW));
        // success resets the username
        t.record_success("zhang");
        assert!(!t.is_blocked("zhang", None, now));
    }

    #[test]
    fn blocks_an_address_after_twenty_failures() {
        let t = LoginThrottle::new();
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        let now = Instant::now();
        for i in 0..IP_LIMIT {
            assert!(!t.is_blocked(&format!("user{i}"), Some(ip), now));
            t.record_failure(&format!("user{i}"), Some(ip), now);
        }
        assert!(t.is_blocked("someone-else", Some(ip), now));
        assert!(!t.is_blocked("someone-else", Some("10.0.0.8".parse().unwrap()), now));
        t.record_success("someone-else");
        assert!(t.is_blocked("someone-else", Some(ip), now));
    }

    #[test]
    fn the_map_stays_bounded() {
        let t = LoginThrottle::new();
        let start = Instant::now();
        for i in 0..(MAX_KEYS + 10) {
            t.record_failure(&format!("u{i}"), None, start);
        }
        assert!(t.len() <= MAX_KEYS);
        // expired entries go first
        let later = start + WINDOW + Duration::from_secs(1);
        for i in 0..(MAX_KEYS / 2) {
            t.record_failure(&format!("v{i}"), None, later);
        }
        t.record_failure("trigger", None, later);
        // every stale `u…` key is gone, every fresh `v…` key is kept
        assert_eq!(t.len(), MAX_KEYS / 2 + 1);
        assert!(t.lock().contains_key(&user_key("v1")));
        assert!(!t.lock().contains_key(&user_key("u1")));
    }
}
