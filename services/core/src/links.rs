//! A job seeker's link (`{JOBMATCH_PUBLIC_URL}/m/{token}`): issued by the
//! push service when an SMS goes out, resolved by the seeker's pages. The
//! token is 128 random bits (22 characters, URL-safe), belongs to one person
//! and one pushed job, expires, and is stored only as its SHA-256 hash: a
//! copy of the store opens nobody's page.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{Any, Executor};

use crate::time::to_text;

/// A link as its owner uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub person_id: String,
    /// The job the SMS was about.
    pub job_id: String,
    pub created_at: String,
}

/// Why a token opens nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    Unknown,
    Expired,
}

impl Refused {
    pub fn code(self) -> &'static str {
        match self {
            Refused::Unknown => "unknown",
            Refused::Expired => "expired",
        }
    }
}

/// The characters of a token: 22 of the URL-safe base64 alphabet.
pub const TOKEN_LEN: usize = 22;

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `text` has a token's form (checked before any store read).
pub fn looks_like_token(text: &str) -> bool {
    text.len() == TOKEN_LEN && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A new link of `person_id` for `job_id`, valid for `ttl_days`; returns
/// the token (shown once, in the SMS).
pub async fn issue<'e>(
    ex: impl Executor<'e, Database = Any>,
    person_id: &str,
    job_id: &str,
    ttl_days: u32,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    sqlx::query(
        "INSERT INTO seeker_links (token_hash, person_id, job_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash(&token))
    .bind(person_id)
    .bind(job_id)
    .bind(to_text(now))
    .bind(to_text(now + chrono::Duration::days(i64::from(ttl_days))))
    .execute(ex)
    .await?;
    Ok(token)
}

/// The link of `token`, unless unknown or expired.
pub async fn resolve(pool: &sqlx::AnyPool, token: &str, now: &str) -> anyhow::Result<Result<Link, Refused>> {
    if !looks_like_token(token) {
        return Ok(Err(Refused::Unknown));
    }
    let row: Option<(String, String, String, String)> =
        sqlx::query_as("SELECT person_id, job_id, created_at, expires_at FROM seeker_links WHERE token_hash = $1")
            .bind(hash(token))
            .fetch_optional(pool)
            .await?;
    let Some((person_id, job_id, created_at, expires_at)) = row else { return Ok(Err(Refused::Unknown)) };
    if expires_at.as_str() <= now {
        return Ok(Err(Refused::Expired));
    }
    sqlx::query("UPDATE seeker_links SET last_used_at = $1 WHERE token_hash = $2")
        .bind(now)
        .bind(hash(token))
        .execute(pool)
        .await?;
    Ok(Ok(Link { person_id, job_id, created_at }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_the_checked_form_and_are_stored_as_hashes() {
        assert!(looks_like_token("AAAAAAAAAAAAAAAAAAAAAA"));
        assert!(!looks_like_token("AAAAAAAAAAAAAAAAAAAAA"));
        assert!(!looks_like_token("AAAAAAAAAAAAAAAAAAAAA/"));
        assert!(!looks_like_token("../../../etc/passwd...."));
        assert_eq!(hash("x").len(), 64);
        assert_ne!(hash("x"), "x");
    }
}
