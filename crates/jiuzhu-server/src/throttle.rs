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

/// An attempt that [`LoginThrottle::reserve`] let through and already counted as a failure.
/// A successful login hands it back to [`LoginThrottle::succeeded`], a failed one to
/// [`LoginThrottle::failed`] (it stays counted), an attempt that could not be decided (a
/// store error) to [`LoginThrottle::release`].
#[derive(Debug)]
#[must_use = "a reservation counts as a failure unless it is handed back"]
pub(crate) struct Reservation {
    user: Key,
    ip: Option<Key>,
    at: Instant,
}

impl LoginThrottle {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, VecDeque<Instant>>> {
        // A panic while holding the lock cannot leave the map inconsistent: keep going.
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Lets an attempt for `username` from `ip` through, or refuses it (`None`) when the
    /// username or the address has reached its limit. The check and the counting happen
    /// under one lock: an attempt let through counts as a failure from this moment, so
    /// parallel requests cannot all pass the check before the first of them fails.
    pub(crate) fn reserve(
        &self,
        username: &str,
        ip: Option<IpAddr>,
        now: Instant,
    ) -> Option<Reservation> {
        let user = user_key(username);
        let ip = ip.map(Key::Ip);
        let mut map = self.lock();
        let blocked = std::iter::once(&user).chain(ip.as_ref()).any(|k| {
            map.get(k).is_some_and(|times| {
                times
                    .iter()
                    .filter(|t| now.saturating_duration_since(**t) < WINDOW)
                    .count()
                    >= k.limit()
            })
        });
        if blocked {
            return None;
        }
        for k in std::iter::once(&user).chain(ip.as_ref()) {
            let limit = k.limit();
            let times = map.entry(k.clone()).or_default();
            times.push_back(now);
            while times.len() > limit {
                times.pop_front();
            }
        }
        if map.len() > MAX_KEYS {
            evict(&mut map, now);
        }
        Some(Reservation { user, ip, at: now })
    }

    /// A successful login clears the username's failures and takes back the attempt's
    /// count from the address (whose other failures stay).
    pub(crate) fn succeeded(&self, r: Reservation) {
        let mut map = self.lock();
        map.remove(&r.user);
        if let Some(ip) = &r.ip {
            unreserve(&mut map, ip, r.at);
        }
    }

    /// The attempt failed: it stays counted (it was counted when it was let through).
    pub(crate) fn failed(&self, _r: Reservation) {}

    /// Takes back an attempt that was never decided (the store failed): it counts nowhere.
    pub(crate) fn release(&self, r: Reservation) {
        let mut map = self.lock();
        for k in std::iter::once(&r.user).chain(r.ip.as_ref()) {
            unreserve(&mut map, k, r.at);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

/// Removes one failure counted at `at` from `key` (if it is still there).
fn unreserve(map: &mut HashMap<Key, VecDeque<Instant>>, key: &Key, at: Instant) {
    if let Some(times) = map.get_mut(key) {
        if let Some(i) = times.iter().rposition(|t| *t == at) {
            times.remove(i);
        }
        if times.is_empty() {
            map.remove(key);
        }
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
            // each attempt let through counts at once; dropping it leaves it counted
            assert!(t.reserve("zhang", None, now).is_some());
        }
        assert!(t.reserve("zhang", None, now).is_none());
        assert!(t.reserve(" ZHANG ", None, now).is_none());
        // the window passes
        assert!(t.reserve("zhang", None, now + WINDOW).is_some());
        // a success resets the username
        let t = LoginThrottle::new();
        for _ in 0..USER_LIMIT - 1 {
            let _ = t.reserve("li", None, now);
        }
        let r = t.reserve("li", None, now).unwrap();
        t.succeeded(r);
        for _ in 0..USER_LIMIT {
            assert!(t.reserve("li", None, now).is_some());
        }
        assert!(t.reserve("li", None, now).is_none());
    }

    #[test]
    fn parallel_attempts_cannot_pass_the_check_together() {
        let t = std::sync::Arc::new(LoginThrottle::new());
        let now = Instant::now();
        let handles: Vec<_> = (0..20)
            .map(|_| {
                let t = t.clone();
                std::thread::spawn(move || t.reserve("wang", None, now))
            })
            .collect();
        let let_through = handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .count();
        assert_eq!(let_through, USER_LIMIT);
    }

    #[test]
    fn blocks_an_address_after_twenty_failures() {
        let t = LoginThrottle::new();
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        let now = Instant::now();
        for i in 0..IP_LIMIT {
            assert!(t.reserve(&format!("user{i}"), Some(ip), now).is_some());
        }
        assert!(t.reserve("someone-else", Some(ip), now).is_none());
        let other: IpAddr = "10.0.0.8".parse().unwrap();
        let r = t.reserve("someone-else", Some(other), now).unwrap();
        t.succeeded(r);
        assert!(t.reserve("someone-else", Some(ip), now).is_none());
    }

    #[test]
    fn successes_and_releases_do_not_count_against_the_address() {
        let t = LoginThrottle::new();
        let ip: IpAddr = "10.0.0.9".parse().unwrap();
        let now = Instant::now();
        for i in 0..(IP_LIMIT * 2) {
            let r = t.reserve(&format!("ok{i}"), Some(ip), now).unwrap();
            if i % 2 == 0 {
                t.succeeded(r);
            } else {
                t.release(r);
            }
        }
        assert_eq!(t.len(), 0, "nothing is left counted");
        assert!(t.reserve("ok0", Some(ip), now).is_some());
    }

    #[test]
    fn the_map_stays_bounded() {
        let t = LoginThrottle::new();
        let start = Instant::now();
        for i in 0..(MAX_KEYS + 10) {
            let _ = t.reserve(&format!("u{i}"), None, start);
        }
        assert!(t.len() <= MAX_KEYS);
        // expired entries go first
        let later = start + WINDOW + Duration::from_secs(1);
        for i in 0..(MAX_KEYS / 2) {
            let _ = t.reserve(&format!("v{i}"), None, later);
        }
        let _ = t.reserve("trigger", None, later);
        // every stale `u…` key is gone, every fresh `v…` key is kept
        assert_eq!(t.len(), MAX_KEYS / 2 + 1);
        assert!(t.lock().contains_key(&user_key("v1")));
        assert!(!t.lock().contains_key(&user_key("u1")));
    }
}

/// 限流 a per-address limit on public forms (status lookup, objections): at most `max`
/// requests per address within `window`. In memory, like the login throttle.
#[derive(Debug)]
pub(crate) struct RateLimit {
    max: usize,
    window: Duration,
    hits: Mutex<HashMap<Option<IpAddr>, VecDeque<Instant>>>,
}

impl RateLimit {
    pub(crate) fn new(max: usize, window: Duration) -> Self {
        RateLimit {
            max,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request from `ip`; `false` when the address is over its limit.
    pub(crate) fn allow(&self, ip: Option<IpAddr>) -> bool {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if hits.len() >= MAX_KEYS {
            let window = self.window;
            hits.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let q = hits.entry(ip).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            q.pop_front();
        }
        if q.len() >= self.max {
            return false;
        }
        q.push_back(now);
        true
    }
}
