//! The store's error type: what went wrong, said so that the caller can tell the user what
//! to do next. Messages never carry personal data (ID numbers, full names, passwords).

use thiserror::Error;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The database cannot be reached or opened.
    #[error("cannot open the database {url}: {reason}")]
    Unavailable { url: String, reason: String },

    /// The database refuses writes (read-only file or read-only server).
    #[error("the database is read-only: {0}")]
    ReadOnly(String),

    /// The database was migrated by a newer jiuzhu.
    #[error(
        "the database has schema version {found}, newer than this jiuzhu knows (up to {known}); \
         run a jiuzhu release that supports it instead of downgrading"
    )]
    SchemaTooNew { found: i64, known: i64 },

    /// A migration failed; nothing of it was applied.
    #[error("database migration failed: {0}")]
    Migration(String),

    /// The actor may not do this (role or jurisdiction).
    #[error("forbidden: {0}")]
    Forbidden(String),

    /// Nothing visible to the actor has this identity (also returned for records that exist
    /// in another jurisdiction, so that guessing ids reveals nothing).
    #[error("not found: {0}")]
    NotFound(String),

    /// The command conflicts with existing data in a way not covered by a specific variant.
    #[error("conflict: {0}")]
    Conflict(String),

    /// The idempotency key was already used for a different request (or by another actor).
    #[error("this idempotency key was already used for a different request; use a new key")]
    IdempotencyKeyReused,

    /// The username belongs to another account.
    #[error("username {0} is already taken")]
    UsernameTaken(String),

    /// A member's ID number is already registered in a household. `member` is 1-based;
    /// `masked` is the masked number (never the full one).
    #[error("member {member}: ID number {masked} is already registered in a household")]
    IdNumberRegistered { member: usize, masked: String },

    /// The command's input is invalid.
    #[error("invalid input: {0}")]
    Invalid(String),

    /// The case engine refused a case command (or the store refused it for a reason only it
    /// can see, such as a duplicate application). `code` is the stable `case.…` code of
    /// [`jiuzhu_domain::case::CaseError::code`]; `message_zh` is the Chinese message for users.
    #[error("case command refused ({code}): {message}")]
    Case {
        code: &'static str,
        message: String,
        message_zh: String,
    },

    /// A supervision command (filing review, spot check, rectification, complaint,
    /// dishonesty record) refused: `code` is a stable `supervision.…` code (see
    /// [`crate::supervision::message_zh`]); `message` is English for logs, `message_zh` for users.
    #[error("supervision command refused ({code}): {message}")]
    Supervision {
        code: &'static str,
        message: String,
        message_zh: String,
    },
    /// The 文号 serial a document was rendered with was taken meanwhile by another document
    /// of the same issuer: render again with `next`.
    #[error("document serial {serial} is taken; the next free serial is {next}")]
    DocumentSerialTaken { serial: u32, next: u32 },

    /// The event log's hash chain is broken.
    #[error("audit chain broken: {0}")]
    ChainBroken(String),

    /// Any other database failure.
    #[error("database error: {0}")]
    Database(String),
}

impl StoreError {
    /// A supervision refusal with its stable code; the Chinese message comes from
    /// [`crate::supervision::message_zh`].
    pub fn supervision(code: &'static str, message: impl Into<String>) -> StoreError {
        StoreError::Supervision {
            code,
            message: message.into(),
            message_zh: crate::supervision::message_zh(code).to_string(),
        }
    }

    /// A stable machine code for APIs.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Unavailable { .. } => "db_unavailable",
            StoreError::ReadOnly(_) => "db_read_only",
            StoreError::SchemaTooNew { .. } => "schema_too_new",
            StoreError::Migration(_) => "migration_failed",
            StoreError::Forbidden(_) => "forbidden",
            StoreError::NotFound(_) => "not_found",
            StoreError::Conflict(_) => "conflict",
            StoreError::IdempotencyKeyReused => "idempotency_key_reused",
            StoreError::UsernameTaken(_) => "username_taken",
            StoreError::IdNumberRegistered { .. } => "id_number_registered",
            StoreError::Invalid(_) => "invalid",
            StoreError::Case { code, .. } => code,
            StoreError::Supervision { code, .. } => code,
            StoreError::DocumentSerialTaken { .. } => "document_serial_taken",
            StoreError::ChainBroken(_) => "chain_broken",
            StoreError::Database(_) => "database",
        }
    }
}

impl StoreError {
    /// Whether the error says the actor may not do this (role, jurisdiction, near relative,
    /// separation of duties, confirming authority): the API answers 403 for these and 409
    /// for other case refusals.
    pub fn is_permission(&self) -> bool {
        match self {
            StoreError::Forbidden(_) => true,
            StoreError::Case { code, .. } => CASE_PERMISSION_CODES.contains(code),
            StoreError::Supervision { code, .. } => {
                crate::supervision::SUPERVISION_PERMISSION_CODES.contains(code)
            }
            _ => false,
        }
    }
}

/// The case error codes that are about who may act rather than about the case's state.
pub const CASE_PERMISSION_CODES: &[&str] = &[
    "case.wrong_role",
    "case.outside_jurisdiction",
    "case.wrong_origin",
    "case.near_relative",
    "case.separation_of_duties",
    "case.not_the_authority",
    "case.emergency_help_above_cap",
];

/// The stable code of a duplicate application (an open case of the same household and
/// program exists).
pub const DUPLICATE_APPLICATION: &str = "case.duplicate_application";

impl From<jiuzhu_domain::case::CaseError> for StoreError {
    fn from(e: jiuzhu_domain::case::CaseError) -> Self {
        StoreError::Case {
            code: e.code(),
            message: e.to_string(),
            message_zh: e.message_zh(),
        }
    }
}

impl StoreError {
    /// A refusal of the case engine for a command run under `authority` (the confirming
    /// authority the store established for a decision). When a confirming official is
    /// refused because the case is the county's, the refusal says why (above the township's
    /// cap, the grant not yet in force, not delegated, …): the official must be able to tell
    /// the applicant and pass the file on.
    pub fn case_refusal(
        e: jiuzhu_domain::case::CaseError,
        authority: Option<&jiuzhu_domain::delegation::Authority>,
    ) -> StoreError {
        use jiuzhu_domain::case::CaseError;
        use jiuzhu_domain::delegation::Authority;
        let reason = match (&e, authority) {
            (CaseError::NotTheAuthority { .. }, Some(Authority::County { reason, .. })) => {
                Some(reason)
            }
            _ => None,
        };
        let mut out = StoreError::from(e);
        if let (
            Some(reason),
            StoreError::Case {
                message,
                message_zh,
                ..
            },
        ) = (reason, &mut out)
        {
            let zh = reason.message_zh();
            message_zh.push('：');
            message_zh.push_str(&zh);
            message.push_str(&format!(" ({reason:?})"));
        }
        out
    }
}

/// Removes the password from a database URL before it is shown anywhere: the one in the
/// authority (`scheme://user:password@host`, up to the last `@` before the path, so that an
/// unencoded `@` in the password is covered) and a `password=` query parameter.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((creds, host)) => match creds.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let (query, fragment) = match query.split_once('#') {
                Some((q, f)) => (q, Some(f)),
                None => (query, None),
            };
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}=***")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            let mut t = format!("{path}?{}", query.join("&"));
            if let Some(f) = fragment {
                t.push('#');
                t.push_str(f);
            }
            t
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_confirmation_says_why_the_county_confirms() {
        use jiuzhu_domain::case::CaseError;
        use jiuzhu_domain::delegation::{Authority, CountyReason};
        use jiuzhu_domain::{DivisionCode, Fen, Role};
        let refused = CaseError::NotTheAuthority {
            required: Role::CountyAdmin,
            level: "county",
            role: Role::TownshipHead,
        };
        let county = Authority::County {
            county: DivisionCode::parse("511526").unwrap(),
            reason: CountyReason::AboveCap {
                cap: Fen::parse_yuan("3000").unwrap(),
            },
        };
        let e = StoreError::case_refusal(refused.clone(), Some(&county));
        let StoreError::Case {
            code, message_zh, ..
        } = &e
        else {
            panic!("{e:?}");
        };
        assert_eq!(*code, "case.not_the_authority");
        assert!(
            message_zh.starts_with(&refused.message_zh()),
            "{message_zh}"
        );
        assert!(message_zh.contains("3000.00"), "{message_zh}");
        assert!(e.is_permission());
        // Without a county authority, and for other refusals, the engine's message as is.
        let plain = StoreError::case_refusal(refused.clone(), None);
        assert!(
            matches!(&plain, StoreError::Case { message_zh, .. } if *message_zh == refused.message_zh())
        );
        let other = StoreError::case_refusal(CaseError::ReasonsRequired, Some(&county));
        assert!(
            matches!(&other, StoreError::Case { message_zh, .. } if *message_zh == CaseError::ReasonsRequired.message_zh())
        );
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
        assert_eq!(redact_url("sqlite:x.db?mode=ro"), "sqlite:x.db?mode=ro");
    }

    #[test]
    fn redacts_a_password_containing_at_signs() {
        assert_eq!(
            redact_url("postgres://u:p@ss@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redact_url("postgres://u:a@b@c@h/db?sslmode=require"),
            "postgres://u:***@h/db?sslmode=require"
        );
        // An `@` after the path is not part of the credentials.
        assert_eq!(
            redact_url("postgres://u:pw@h/db?application_name=a@b"),
            "postgres://u:***@h/db?application_name=a@b"
        );
    }

    #[test]
    fn redacts_a_password_query_parameter() {
        assert_eq!(
            redact_url("postgres://h/db?user=u&password=secret&sslmode=require"),
            "postgres://h/db?user=u&password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("postgresql://u:one@h/db?password=two"),
            "postgresql://u:***@h/db?password=***"
        );
        assert_eq!(
            redact_url("postgres://h?password=x#frag"),
            "postgres://h?password=***#frag"
        );
        assert!(!redact_url("postgres://h/db?PASSWORD=secret").contains("secret"));
    }
}
