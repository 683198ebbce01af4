//! Who is acting (actors), jurisdiction scoping, and the account secrets: argon2 password
//! hashes, session and API tokens (only their SHA-256 is stored).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use jiuzhu_domain::{DivisionCode, Role};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};

/// 操作人 whoever performs a command or a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    /// An operator with shell access to the installation (the CLI). Not scoped.
    System { operator: String },
    /// A logged-in user, scoped to their jurisdiction.
    User(UserActor),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserActor {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub division: DivisionCode,
}

impl Actor {
    pub fn system(operator: impl Into<String>) -> Actor {
        Actor::System {
            operator: operator.into(),
        }
    }

    /// How the actor is written into the event log.
    pub fn audit_name(&self) -> String {
        match self {
            Actor::System { operator } => format!("system:{operator}"),
            Actor::User(u) => format!("user:{}", u.id),
        }
    }

    pub fn audit_role(&self) -> &'static str {
        match self {
            Actor::System { .. } => "system",
            Actor::User(u) => u.role.as_str(),
        }
    }

    pub fn audit_division(&self) -> String {
        match self {
            Actor::System { .. } => crate::event::SYSTEM_CHAIN.to_string(),
            Actor::User(u) => u.division.to_string(),
        }
    }

    /// The jurisdiction filter for reads: `None` means everything (system operator).
    pub fn scope(&self) -> Scope {
        match self {
            Actor::System { .. } => Scope::All,
            Actor::User(u) => Scope::Within(u.division.clone()),
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Actor::System { .. } => None,
            Actor::User(u) => Some(u.role),
        }
    }
}

/// 管辖范围 the part of the jurisdiction tree an actor may see and change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Within(DivisionCode),
}

impl Scope {
    pub fn contains(&self, code: &DivisionCode) -> bool {
        match self {
            Scope::All => true,
            Scope::Within(root) => root.contains(code),
        }
    }

    /// The scope of an optional division filter: everything, or under `code`.
    pub fn within(code: Option<&DivisionCode>) -> Scope {
        code.map_or(Scope::All, |c| Scope::Within(c.clone()))
    }

    /// `LIKE` pattern over division-code columns that matches exactly this scope.
    pub fn like_pattern(&self) -> String {
        match self {
            Scope::All => "%".to_string(),
            Scope::Within(root) => format!("{}%", root.scope_prefix()),
        }
    }

    /// Fails with [`StoreError::Forbidden`] unless `code` is inside the scope.
    pub fn require(&self, code: &DivisionCode, what: &str) -> Result<()> {
        if self.contains(code) {
            Ok(())
        } else {
            Err(StoreError::Forbidden(format!(
                "{what} {code} is outside your jurisdiction"
            )))
        }
    }
}

/// Minimum length of a password chosen by a user.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Checks a new password's strength. The message is English (CLI, logs); the web UI shows
/// its own Chinese text.
pub fn check_new_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StoreError::Invalid(format!(
            "password too short: at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.chars().all(|c| c.is_ascii_digit()) {
        return Err(StoreError::Invalid(
            "password must not be digits only".to_string(),
        ));
    }
    Ok(())
}

/// Hashes a password with argon2id (default parameters, random salt) into a PHC string.
pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("cannot hash password: {e}")))
}

/// Checks a password against a stored PHC string. A malformed stored hash counts as a
/// mismatch (and is logged by the caller), never as a success.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A fresh random secret (session id, API token, CSRF token): 32 random bytes as hex.
pub fn new_secret() -> Result<String> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf)
        .map_err(|e| StoreError::Database(format!("no randomness available: {e}")))?;
    Ok(hex::encode(buf))
}

/// What the database stores instead of a session id or API token.
pub fn secret_digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_mismatch() {
        let h = hash_password("正确的密码123").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("正确的密码123", &h));
        assert!(!verify_password("wrong password", &h));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("12345678901").is_err());
        assert!(check_new_password("good-pass-2026").is_ok());
    }

    #[test]
    fn secrets_are_random_and_digested() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(secret_digest(&a), a);
    }

    #[test]
    fn scope_patterns() {
        let county = DivisionCode::parse("511526").unwrap();
        let town = DivisionCode::parse("511526101000").unwrap();
        let other = DivisionCode::parse("640181101000").unwrap();
        let s = Scope::Within(county);
        assert_eq!(s.like_pattern(), "511526%");
        assert!(s.contains(&town));
        assert!(!s.contains(&other));
        assert!(s.require(&other, "household").is_err());
        assert_eq!(Scope::Within(town).like_pattern(), "511526101%");
    }
}
