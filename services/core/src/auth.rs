//! API keys, roles and the authenticated caller.
//!
//! Keys are 256 random bits shown once at creation; the store keeps only their
//! SHA-256 (a slow password hash buys nothing for keys of this entropy). Every
//! request looks its key up, so revoking a key or deactivating its
//! organisation takes effect on the next request.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The bureau: the whole city.
    Admin,
    /// County, street or community staff: their region and below.
    Staff,
    /// Gig market, community platform or employer: its own jobs.
    Publisher,
    /// HR agency: its assigned people.
    Agency,
}

impl Role {
    pub const ALL: [&'static str; 4] = ["admin", "staff", "publisher", "agency"];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Staff => "staff",
            Role::Publisher => "publisher",
            Role::Agency => "agency",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "staff" => Some(Role::Staff),
            "publisher" => Some(Role::Publisher),
            "agency" => Some(Role::Agency),
            _ => None,
        }
    }

    /// The organisation kinds that may hold a key of this role.
    pub fn org_kinds(self) -> &'static [&'static str] {
        match self {
            Role::Admin => &["bureau"],
            Role::Staff => &["bureau", "community"],
            Role::Publisher => &["gig_market", "community", "employer", "bureau"],
            Role::Agency => &["hr_agency"],
        }
    }
}

/// A new random key (`jm_` and 43 URL-safe characters).
pub fn generate_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("jm_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// How a key is stored.
pub fn hash_key(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The caller of a request, from its `Authorization: Bearer` key.
#[derive(Clone, Debug)]
pub struct Principal {
    pub key_id: String,
    pub org_id: String,
    pub org_kind: String,
    pub role: Role,
    /// The region the key acts for (the whole city for admin).
    pub region_code: String,
}

impl Principal {
    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> ApiResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("角色 {} 不能执行此操作", self.role.as_str())))
        }
    }

    /// Count a list request against an agency key's per-minute budget
    /// (429 beyond it); other roles are not limited.
    pub fn limit_agency_lists(&self, state: &AppState) -> ApiResult<()> {
        if self.role == Role::Agency {
            state.limiter.check(&self.key_id, state.settings.agency_rate_limit_per_minute)?;
        }
        Ok(())
    }

    /// Whether the caller acts for `code` as bureau or staff.
    pub fn covers_region(&self, state: &AppState, code: &str) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Staff => state.regions.covers(&self.region_code, code),
            Role::Publisher | Role::Agency => false,
        }
    }
}

impl<S> FromRequestParts<S> for Principal
where
    S: Send + Sync,
    AppState: axum::extract::FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // A console page calling the API in process for a signed-in person.
        if let Some(d) = parts.extensions.get::<crate::accounts::Delegated>() {
            return Ok(d.principal().clone());
        }
        let state = &<AppState as axum::extract::FromRef<S>>::from_ref(state);
        // Failed attempts are counted per client address and per presented
        // key; past the budget every attempt is 429 until the minute ends,
        // so keys cannot be guessed at speed.
        let address = Some(crate::client::of(parts).limit_key());
        let presented = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .map(|h| format!("key:{}", hash_key(&String::from_utf8_lossy(h.as_bytes()))));
        let budget = state.settings.auth_failures_per_minute;
        let throttles: Vec<&String> = address.iter().chain(presented.iter()).collect();
        if let Some(wait) = throttles.iter().filter_map(|k| state.auth_failures.exhausted(k, budget)).max() {
            return Err(ApiError::from(
                crate::error::Problem::new(
                    axum::http::StatusCode::TOO_MANY_REQUESTS,
                    "too_many_failed_attempts",
                    "认证失败次数过多",
                    format!("认证失败次数过多，请 {wait} 秒后再试"),
                )
                .with("retry_after_seconds", wait),
            ));
        }
        let result = authenticate(parts, state).await;
        if matches!(&result, Err(ApiError::Problem(p)) if p.status == 401) {
            for k in throttles {
                state.auth_failures.count(k);
            }
        }
        result
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("缺少 Authorization: Bearer <API 密钥>"))?;
    let key = header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() < 200)
        .ok_or_else(|| ApiError::unauthorized("Authorization 头格式应为 Bearer <API 密钥>"))?;
    let row: Option<(String, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT k.id, k.org_id, k.role, k.region_code, o.kind, o.active
         FROM api_keys k JOIN orgs o ON o.id = k.org_id
         WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
    )
    .bind(hash_key(key))
    .fetch_optional(&state.db.pool)
    .await?;
    let Some((key_id, org_id, role, region_code, org_kind, active)) = row else {
        return Err(ApiError::unauthorized("API 密钥无效或已撤销"));
    };
    if active == 0 {
        return Err(ApiError::unauthorized("该密钥所属机构已停用"));
    }
    let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("stored key {key_id} has unknown role"))?;
    Ok(Principal { key_id, org_id, org_kind, role, region_code })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_stored_only_as_hashes() {
        let a = generate_key();
        let b = generate_key();
        assert_ne!(a, b);
        assert!(a.starts_with("jm_") && a.len() == 46);
        assert_eq!(hash_key(&a).len(), 64);
        assert_ne!(hash_key(&a), hash_key(&b));
        assert!(!hash_key(&a).contains(&a[3..]));
    }
}
