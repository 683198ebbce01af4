//! 审计链 the event log: every change is an event, appended in the same transaction as the
//! projections it changes, chained by SHA-256 so that any edit or deletion is detectable
//! (环环有痕迹、步步能倒查).
//!
//! There is one chain per partition: the 6-digit county (or prefecture) code of the
//! jurisdiction the event belongs to, or [`SYSTEM_CHAIN`] for installation-wide events.
//! Each event's hash covers a canonical encoding of all its fields and the previous
//! event's hash, so verification needs nothing but the rows themselves.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Chain of installation-wide events (jurisdiction data, system accounts).
pub const SYSTEM_CHAIN: &str = "000000";

/// The hash that the first event of every chain points back to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Version of the canonical encoding; bump it (and keep the old one) if the encoding changes.
const ENCODING_VERSION: u32 = 1;

/// An event about to be appended. The store fills in sequence, previous hash and hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// Dotted kind, e.g. `account.user_created`.
    pub kind: String,
    /// What the event is about, e.g. `user:12`, `household:7`.
    pub subject: String,
    /// Event data. Personal data may appear here (the audit trail must be complete); it is
    /// masked wherever events are shown.
    pub payload: Value,
}

impl NewEvent {
    pub fn new(kind: &str, subject: impl Into<String>, payload: Value) -> Self {
        NewEvent {
            kind: kind.to_string(),
            subject: subject.into(),
            payload,
        }
    }
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub chain: String,
    pub seq: i64,
    pub kind: String,
    pub subject: String,
    pub occurred_at: DateTime<Utc>,
    /// `user:<id>` or `system:<operator>`.
    pub actor: String,
    pub actor_role: String,
    pub actor_division: String,
    pub idempotency_key: String,
    pub payload: Value,
    pub prev_hash: String,
    pub hash: String,
}

impl EventRecord {
    /// Recomputes this event's hash from its fields.
    pub fn compute_hash(&self) -> String {
        let encoded = canonical_encoding(self);
        hex::encode(Sha256::digest(encoded.as_bytes()))
    }
}

/// Hex SHA-256 of some bytes: the digest events record of texts they do not carry.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Timestamps are stored with microsecond precision by both backends; truncate before
/// hashing so that what is hashed is exactly what is read back.
pub fn event_time(now: DateTime<Utc>) -> DateTime<Utc> {
    now.trunc_subsecs(6)
}

/// The canonical encoding hashed for an event: a JSON array in fixed field order with the
/// payload's object keys sorted recursively and no insignificant whitespace.
pub fn canonical_encoding(e: &EventRecord) -> String {
    let fields = Value::Array(vec![
        Value::from(ENCODING_VERSION),
        Value::from(e.chain.as_str()),
        Value::from(e.seq),
        Value::from(e.kind.as_str()),
        Value::from(e.subject.as_str()),
        Value::from(e.occurred_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
        Value::from(e.actor.as_str()),
        Value::from(e.actor_role.as_str()),
        Value::from(e.actor_division.as_str()),
        Value::from(e.idempotency_key.as_str()),
        e.payload.clone(),
        Value::from(e.prev_hash.as_str()),
    ]);
    let mut out = String::new();
    write_canonical(&fields, &mut out);
    out
}

/// Writes JSON with object keys in byte order regardless of how the map stores them
/// (serde_json's `preserve_order` feature may be on somewhere in the dependency graph).
fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                write_canonical(&map[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A problem found while walking a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    pub chain: String,
    pub seq: i64,
    pub reason: String,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "event {}/{}: {}", self.chain, self.seq, self.reason)
    }
}

/// Streaming verifier for one chain: feed events in sequence order.
#[derive(Debug)]
pub struct ChainVerifier {
    chain: String,
    expected_seq: i64,
    prev_hash: String,
}

impl ChainVerifier {
    pub fn new(chain: &str) -> Self {
        ChainVerifier {
            chain: chain.to_string(),
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
        }
    }

    /// Checks the next event; returns the first problem found.
    pub fn check(&mut self, e: &EventRecord) -> Result<(), ChainBreak> {
        let fail = |reason: String| ChainBreak {
            chain: self.chain.clone(),
            seq: e.seq,
            reason,
        };
        if e.chain != self.chain {
            return Err(fail(format!("belongs to chain {}", e.chain)));
        }
        if e.seq != self.expected_seq {
            return Err(fail(format!(
                "sequence gap: expected event {} (an event was deleted or inserted)",
                self.expected_seq
            )));
        }
        if e.prev_hash != self.prev_hash {
            return Err(fail(
                "previous-hash link does not match the preceding event".to_string(),
            ));
        }
        let computed = e.compute_hash();
        if computed != e.hash {
            return Err(fail(
                "stored hash does not match the event's content (the row was altered)".to_string(),
            ));
        }
        self.expected_seq += 1;
        self.prev_hash = e.hash.clone();
        Ok(())
    }

    /// Checks that the chain head recorded by the store matches the last verified event
    /// (catches truncation of the newest events).
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<(), ChainBreak> {
        if head_seq != self.expected_seq - 1 || head_hash != self.prev_hash {
            return Err(ChainBreak {
                chain: self.chain.clone(),
                seq: head_seq,
                reason: format!(
                    "chain head says {} events but {} were found (events were removed from the end)",
                    head_seq,
                    self.expected_seq - 1
                ),
            });
        }
        Ok(())
    }
}

/// Summary of a full verification.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub chains: usize,
    pub events: u64,
    /// The first problem found, if any (verification stops at the first break per chain
    /// and reports the first chain that broke).
    pub first_break: Option<ChainBreak>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(seq: i64, prev: &str, payload: Value) -> EventRecord {
        let mut e = EventRecord {
            chain: "511526".into(),
            seq,
            kind: "test.kind".into(),
            subject: "x:1".into(),
            occurred_at: event_time(Utc::now()),
            actor: "system:test".into(),
            actor_role: "system".into(),
            actor_division: "000000".into(),
            idempotency_key: format!("k{seq}"),
            payload,
            prev_hash: prev.into(),
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }

    #[test]
    fn key_order_does_not_change_the_hash() {
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"y":2,"x":[3,{"q":1,"p":2}]}}"#).unwrap();
        let b: Value =
            serde_json::from_str(r#"{"a":{"x":[3,{"p":2,"q":1}],"y":2},"b":1}"#).unwrap();
        let mut ea = event(1, GENESIS_HASH, a);
        let mut eb = ea.clone();
        eb.payload = b;
        ea.hash = ea.compute_hash();
        eb.hash = eb.compute_hash();
        assert_eq!(ea.hash, eb.hash);
    }

    #[test]
    fn verifier_accepts_a_chain_and_catches_changes() {
        let e1 = event(1, GENESIS_HASH, json!({"n": 1}));
        let e2 = event(2, &e1.hash, json!({"n": 2}));
        let e3 = event(3, &e2.hash, json!({"n": 3}));
        let mut v = ChainVerifier::new("511526");
        for e in [&e1, &e2, &e3] {
            v.check(e).unwrap();
        }
        v.finish(3, &e3.hash).unwrap();
        assert!(v.finish(4, "x").is_err());

        // altered payload
        let mut bad = e2.clone();
        bad.payload = json!({"n": 20});
        let mut v = ChainVerifier::new("511526");
        v.check(&e1).unwrap();
        let err = v.check(&bad).unwrap_err();
        assert_eq!(err.seq, 2);
        assert!(err.reason.contains("altered"));

        // deleted event
        let mut v = ChainVerifier::new("511526");
        v.check(&e1).unwrap();
        assert!(v.check(&e3).unwrap_err().reason.contains("gap"));

        // re-hashed forgery still breaks the link to the next event
        let mut forged = e2.clone();
        forged.payload = json!({"n": 20});
        forged.hash = forged.compute_hash();
        let mut v = ChainVerifier::new("511526");
        v.check(&e1).unwrap();
        v.check(&forged).unwrap();
        assert!(v.check(&e3).unwrap_err().reason.contains("previous-hash"));
    }
}
