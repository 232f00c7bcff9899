//! Staff accounts and console sessions: people sign in, machines use keys.
//!
//! An account acts with a role and a region exactly like an API key, so a
//! signed-in page reaches the same [`Principal`] and the same authorisation
//! rules as the API. Passwords are kept only as Argon2id hashes. A session
//! is 256 random bits in an HTTP-only cookie, stored as its SHA-256 with a
//! CSRF token, an idle and an absolute expiry; each request looks it up, so
//! disabling the account or deactivating its organisation ends it at once.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::hash_key;
use crate::error::ApiResult;
use crate::ids::new_id;
use crate::time::to_text;
use crate::{AppState, Principal, Role};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "jm_session";
/// A session ends after this long without a request.
pub const IDLE_MINUTES: i64 = 30;
/// A session ends this long after sign-in, however busy.
pub const ABSOLUTE_HOURS: i64 = 12;
/// Failed sign-ins with one login from one client address within
/// [`LOCK_MINUTES`] that lock that login for that address for the rest of
/// the window: someone guessing from elsewhere does not lock the owner out.
pub const FAILURES_BEFORE_LOCK: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;
/// Failed sign-ins with one login from all addresses together within
/// [`LOCK_MINUTES`] that lock it everywhere: the slower back-off against
/// guessing from many addresses.
pub const FAILURES_BEFORE_GLOBAL_LOCK: i64 = 30;
/// Password length, in characters.
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;

/// Passwords of ten or more characters found at the top of the published
/// lists of leaked passwords (Chinese and international), lower case.
const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

/// An account as listed and returned (never its password).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Account {
    pub id: String,
    pub org_id: String,
    /// What the person types to sign in.
    pub login: String,
    pub name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub region_code: String,
    pub created_at: String,
    pub disabled_at: Option<String>,
}

/// A new account with its first password, shown once.
#[derive(Serialize, ToSchema)]
pub struct NewAccount {
    #[serde(flatten)]
    pub account: Account,
    /// The first (or a reset) password: give it to the person; it is not kept.
    pub password: String,
}

/// 22 random URL-safe characters (132 bits): a first password or a token.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// The Argon2id hash of `password` (the crate's defaults: 19 MiB, t=2, p=1,
/// OWASP's recommended minimum), in PHC string form.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 hashes any password").to_string()
}

/// Whether `password` matches `stored` (false for a malformed hash).
pub fn verify_password(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Why `password` may not be used by the account signing in as `login`,
/// in Chinese, or `None`: 10–128 characters, no control character, not a
/// common password, not made of the login, not one character repeated or
/// a run like `1234567890` or `abcabcabca`.
pub fn password_problem(password: &str, login: &str) -> Option<String> {
    let n = password.chars().count();
    let lower = password.to_lowercase();
    let login = login.trim().to_lowercase();
    if n < PASSWORD_MIN {
        Some(format!("密码至少 {PASSWORD_MIN} 个字符"))
    } else if n > PASSWORD_MAX {
        Some(format!("密码最多 {PASSWORD_MAX} 个字符"))
    } else if password.chars().any(char::is_control) {
        Some("密码不能含控制字符".into())
    } else if COMMON_PASSWORDS.lines().map(str::trim).any(|c| c == lower) {
        Some("这是常见密码，很容易被猜到，请换一个".into())
    } else if login.chars().count() >= 3 && (lower.contains(&login) || login.contains(&lower)) {
        Some("密码不能包含登录名".into())
    } else if is_run(&lower) {
        Some("密码不能是同一个字符重复或连续的字符（如 1234567890、abcabcabca）".into())
    } else {
        None
    }
}

/// Whether `s` is one short unit repeated (`aaaa`, `abab`, `123123`) or a
/// run of consecutive characters up or down (`1234…`, `9876…`, `abcd…`).
fn is_run(s: &str) -> bool {
    let c: Vec<u32> = s.chars().map(u32::from).collect();
    let repeated = (1..=3).any(|unit| c.len() > unit && c.iter().enumerate().all(|(i, x)| *x == c[i % unit]));
    // Each next character one on (or back); 7890 counts on from 9 to 0, as
    // keyboards and people do.
    let (nine, zero) = (u32::from('9'), u32::from('0'));
    let up = c.windows(2).all(|w| w[1] == w[0] + 1 || (w[0] == nine && w[1] == zero));
    let down = c.windows(2).all(|w| w[0] == w[1] + 1 || (w[0] == zero && w[1] == nine));
    repeated || up || down
}

type AccountRow = (String, String, String, String, Option<String>, String, String, String, Option<String>);

fn account_from(r: AccountRow) -> Option<Account> {
    Some(Account {
        id: r.0,
        org_id: r.1,
        login: r.2,
        name: r.3,
        phone: r.4,
        role: Role::parse(&r.5)?,
        region_code: r.6,
        created_at: r.7,
        disabled_at: r.8,
    })
}

const ACCOUNT_COLUMNS: &str = "id, org_id, login, name, phone, role, region_code, created_at, disabled_at";

/// The accounts of `org_id`, oldest first.
pub async fn list(state: &AppState, org_id: &str) -> ApiResult<Vec<Account>> {
    let rows: Vec<AccountRow> =
        sqlx::query_as(&format!("SELECT {ACCOUNT_COLUMNS} FROM staff_accounts WHERE org_id = $1 ORDER BY id"))
            .bind(org_id)
            .fetch_all(&state.db.pool)
            .await?;
    Ok(rows.into_iter().filter_map(account_from).collect())
}

/// One account.
pub async fn get(state: &AppState, id: &str) -> ApiResult<Option<Account>> {
    let row: Option<AccountRow> =
        sqlx::query_as(&format!("SELECT {ACCOUNT_COLUMNS} FROM staff_accounts WHERE id = $1"))
            .bind(id)
            .fetch_optional(&state.db.pool)
            .await?;
    Ok(row.and_then(account_from))
}

/// Who acted, as staff read it: a console account's name with its
/// organisation (`张三（南湖区人社局）`), or for an API key its organisation
/// (`南湖区人社局（接口）`); None for an id that is neither.
pub async fn actor_name(state: &AppState, id: &str) -> ApiResult<Option<String>> {
    let account: Option<(String, String)> =
        sqlx::query_as("SELECT a.name, o.name FROM staff_accounts a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1")
            .bind(id)
            .fetch_optional(&state.db.pool)
            .await?;
    if let Some((name, org)) = account {
        return Ok(Some(format!("{name}（{org}）")));
    }
    let key: Option<String> =
        sqlx::query_scalar("SELECT o.name FROM api_keys k JOIN orgs o ON o.id = k.org_id WHERE k.id = $1")
            .bind(id)
            .fetch_optional(&state.db.pool)
            .await?;
    Ok(key.map(|org| format!("{org}（接口）")))
}

/// Whether `login` is taken.
pub async fn login_taken(state: &AppState, login: &str) -> ApiResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff_accounts WHERE login = $1")
        .bind(login)
        .fetch_one(&state.db.pool)
        .await?;
    Ok(n > 0)
}

/// What a new account is made of (checked by the caller).
pub struct AccountInput<'a> {
    pub org_id: &'a str,
    pub login: &'a str,
    pub name: &'a str,
    pub phone: Option<&'a str>,
    pub role: Role,
    pub region_code: &'a str,
}

/// Store a new account with a random first password, returned once.
pub async fn insert(state: &AppState, input: &AccountInput<'_>, created_by: &str) -> ApiResult<NewAccount> {
    let password = random_token(15);
    let hash = hash_password(&password);
    let account = Account {
        id: new_id("acct"),
        org_id: input.org_id.into(),
        login: input.login.into(),
        name: input.name.into(),
        phone: input.phone.map(str::to_string),
        role: input.role,
        region_code: input.region_code.into(),
        created_at: state.now_text(),
        disabled_at: None,
    };
    sqlx::query(
        "INSERT INTO staff_accounts (id, org_id, login, name, phone, role, region_code, password_hash, created_by, created_at,
            must_change_password)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)",
    )
    .bind(&account.id)
    .bind(&account.org_id)
    .bind(&account.login)
    .bind(&account.name)
    .bind(&account.phone)
    .bind(account.role.as_str())
    .bind(&account.region_code)
    .bind(hash)
    .bind(created_by)
    .bind(&account.created_at)
    .execute(&state.db.pool)
    .await?;
    Ok(NewAccount { account, password })
}

/// Disable an account; its sessions end at once (they are looked up with it).
pub async fn disable(state: &AppState, id: &str) -> ApiResult<()> {
    let now = state.now_text();
    sqlx::query("UPDATE staff_accounts SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
        .bind(&now)
        .bind(id)
        .execute(&state.db.pool)
        .await?;
    sqlx::query("UPDATE staff_sessions SET ended_at = $1 WHERE account_id = $2 AND ended_at IS NULL")
        .bind(&now)
        .bind(id)
        .execute(&state.db.pool)
        .await?;
    Ok(())
}

/// Give account `id` a new random password (returned, not kept) and end
/// all its sessions: for someone who forgot theirs. They change it at their
/// next sign-in.
pub async fn reset_password(state: &AppState, id: &str, by: &str) -> ApiResult<String> {
    let password = random_token(15);
    sqlx::query("UPDATE staff_accounts SET password_hash = $1, must_change_password = 1, reset_by = $3 WHERE id = $2")
        .bind(hash_password(&password))
        .bind(id)
        .bind(by)
        .execute(&state.db.pool)
        .await?;
    end_sessions(state, id, None).await?;
    Ok(password)
}

/// Whether `who` (a key or account id) counts as one of `principals` in a
/// two-person check: it is one of them, or one of them issued it (a key's
/// or account's creator) or last reset its password — and so has held it.
/// One rule for every decision that needs a second person.
pub async fn is_one_of(conn: &mut sqlx::AnyConnection, who: &str, principals: &[String]) -> ApiResult<bool> {
    if principals.iter().any(|p| p == who) {
        return Ok(true);
    }
    let rows: Vec<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT created_by, reset_by FROM staff_accounts WHERE id = $1
         UNION ALL SELECT created_by, NULL FROM api_keys WHERE id = $1",
    )
    .bind(who)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().flat_map(|(a, b)| [a, b]).flatten().any(|issuer| principals.contains(&issuer)))
}

/// Whether `password` is account `id`'s.
pub async fn password_matches(state: &AppState, id: &str, password: &str) -> ApiResult<bool> {
    let hash: Option<String> = sqlx::query_scalar("SELECT password_hash FROM staff_accounts WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?;
    Ok(hash.is_some_and(|h| verify_password(&h, password)))
}

/// Set a new password (the caller has checked it); other sessions end.
pub async fn set_password(state: &AppState, id: &str, password: &str, keep_session: &str) -> ApiResult<()> {
    sqlx::query("UPDATE staff_accounts SET password_hash = $1, must_change_password = 0 WHERE id = $2")
        .bind(hash_password(password))
        .bind(id)
        .execute(&state.db.pool)
        .await?;
    end_sessions(state, id, Some(keep_session)).await
}

/// End account `id`'s open sessions, all or all but `keep`.
async fn end_sessions(state: &AppState, id: &str, keep: Option<&str>) -> ApiResult<()> {
    sqlx::query("UPDATE staff_sessions SET ended_at = $1 WHERE account_id = $2 AND id_hash <> $3 AND ended_at IS NULL")
        .bind(state.now_text())
        .bind(id)
        .bind(keep.map(hash_key).unwrap_or_default())
        .execute(&state.db.pool)
        .await?;
    Ok(())
}

/// Why a sign-in did not open a session.
#[derive(Debug, PartialEq, Eq)]
pub enum SignInRefusal {
    /// Unknown login, wrong password, disabled account or inactive
    /// organisation: one answer for all, so logins cannot be probed.
    Wrong,
    /// Too many failures for this account lately; minutes to wait.
    Locked(i64),
}

/// A session just opened: the cookie value (shown to the browser only).
pub struct Opened {
    pub cookie_value: String,
}

/// A sign-in attempt: the account (when the login has one), the keyed hash
/// of the login typed, the outcome and the client's address.
async fn record_login(
    state: &AppState,
    account_id: Option<&str>,
    login_hash: &str,
    outcome: &str,
    client: IpAddr,
) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO staff_sign_ins (account_id, login_hash, outcome, at, client_address) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(account_id)
    .bind(login_hash)
    .bind(outcome)
    .bind(state.now_text())
    .bind(client.to_string())
    .execute(&state.db.pool)
    .await?;
    Ok(())
}

/// A hash to verify against when the login is unknown, so that an unknown
/// login takes as long to refuse as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_token(15)))
}

/// One attempt taken from `bucket`'s budget of `budget` per [`LOCK_MINUTES`]
/// (a window that opens with the first attempt), in one statement: under
/// any concurrency exactly `budget` attempts of a window get through. The
/// window's start, and whether this attempt was within the budget.
async fn take_attempt(state: &AppState, bucket: &str, budget: i64) -> ApiResult<(String, bool)> {
    let now = state.clock.now();
    // Now and then, the windows that are over go (the logins typed are
    // anyone's choice: the table must not grow without end).
    if rand::random::<u8>() < 4 {
        sqlx::query("DELETE FROM sign_in_budgets WHERE window_start <= $1")
            .bind(to_text(now - Duration::minutes(LOCK_MINUTES)))
            .execute(&state.db.pool)
            .await?;
    }
    let (used, started): (i64, String) = sqlx::query_as(
        "INSERT INTO sign_in_budgets (bucket, window_start, used) VALUES ($1, $2, 1)
         ON CONFLICT (bucket) DO UPDATE SET
           used = CASE WHEN sign_in_budgets.window_start <= $3 THEN 1 ELSE sign_in_budgets.used + 1 END,
           window_start = CASE WHEN sign_in_budgets.window_start <= $3 THEN $2 ELSE sign_in_budgets.window_start END
         RETURNING used, window_start",
    )
    .bind(bucket)
    .bind(to_text(now))
    .bind(to_text(now - Duration::minutes(LOCK_MINUTES)))
    .fetch_one(&state.db.pool)
    .await?;
    Ok((started, used <= budget))
}

/// Give back an attempt taken in the window that started at `started` (the
/// sign-in succeeded: the budget is for failures).
async fn give_back(state: &AppState, bucket: &str, started: &str) -> ApiResult<()> {
    sqlx::query("UPDATE sign_in_budgets SET used = used - 1 WHERE bucket = $1 AND window_start = $2 AND used > 0")
        .bind(bucket)
        .bind(started)
        .execute(&state.db.pool)
        .await?;
    Ok(())
}

/// Minutes until a window that started at `started` is over (at least 1).
fn minutes_left(started: &str, now: DateTime<Utc>) -> i64 {
    let start = crate::time::from_text(started).unwrap_or(now);
    ((start + Duration::minutes(LOCK_MINUTES) - now).num_minutes() + 1).clamp(1, LOCK_MINUTES)
}

/// Check `login` and `password` from `client` and open a session.
///
/// Before the password is looked at, the attempt is taken from two budgets
/// in the store: [`FAILURES_BEFORE_LOCK`] per login and client address, and
/// [`FAILURES_BEFORE_GLOBAL_LOCK`] per login from anywhere, each per
/// [`LOCK_MINUTES`]; past either the login is locked (for that address, or
/// everywhere), and a success gives its attempts back. A login nobody has
/// is counted and answered exactly like an account (no way to learn which
/// exist). The per-address limit over all logins is the caller's.
pub async fn sign_in(
    state: &AppState,
    login: &str,
    password: &str,
    client: IpAddr,
) -> ApiResult<Result<Opened, SignInRefusal>> {
    let login_hash = state.vault.blind_index("sign_in_login", login);
    let pair = format!("pair:{}", state.vault.blind_index("sign_in_pair", &format!("{login}\n{client}")));
    let everywhere = format!("login:{login_hash}");
    let row: Option<(String, String, i64, Option<String>)> = sqlx::query_as(
        "SELECT a.id, a.password_hash, o.active, a.disabled_at FROM staff_accounts a JOIN orgs o ON o.id = a.org_id
         WHERE a.login = $1",
    )
    .bind(login)
    .fetch_optional(&state.db.pool)
    .await?;
    let account = row.as_ref().map(|r| r.0.as_str());
    let (pair_started, pair_ok) = take_attempt(state, &pair, FAILURES_BEFORE_LOCK).await?;
    let (all_started, all_ok) = if pair_ok {
        take_attempt(state, &everywhere, FAILURES_BEFORE_GLOBAL_LOCK).await?
    } else {
        (String::new(), true)
    };
    if !pair_ok || !all_ok {
        record_login(state, account, &login_hash, "locked", client).await?;
        let started = if pair_ok { &all_started } else { &pair_started };
        return Ok(Err(SignInRefusal::Locked(minutes_left(started, state.clock.now()))));
    }
    let Some((id, hash, active, disabled_at)) = row else {
        let _ = verify_password(decoy_hash(), password);
        record_login(state, None, &login_hash, "unknown_login", client).await?;
        return Ok(Err(SignInRefusal::Wrong));
    };
    if !verify_password(&hash, password) {
        record_login(state, Some(&id), &login_hash, "wrong_password", client).await?;
        return Ok(Err(SignInRefusal::Wrong));
    }
    give_back(state, &pair, &pair_started).await?;
    give_back(state, &everywhere, &all_started).await?;
    if active == 0 || disabled_at.is_some() {
        record_login(state, Some(&id), &login_hash, "disabled", client).await?;
        return Ok(Err(SignInRefusal::Wrong));
    }
    let cookie_value = random_token(32);
    let now = state.clock.now();
    sqlx::query(
        "INSERT INTO staff_sessions (id_hash, account_id, csrf_token, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(hash_key(&cookie_value))
    .bind(&id)
    .bind(random_token(32))
    .bind(to_text(now))
    .bind(to_text(now + Duration::hours(ABSOLUTE_HOURS)))
    .execute(&state.db.pool)
    .await?;
    record_login(state, Some(&id), &login_hash, "signed_in", client).await?;
    Ok(Ok(Opened { cookie_value }))
}

/// A signed-in person, for one request.
#[derive(Clone, Debug)]
pub struct Session {
    pub principal: Principal,
    pub account_id: String,
    /// What the person signs in with.
    pub login: String,
    pub name: String,
    pub org_name: String,
    /// The token every state-changing form of this session carries.
    pub csrf_token: String,
    /// The account still has a first or reset password: every page but
    /// changing it is closed until it is changed.
    pub must_change_password: bool,
}

/// The caller a console page acts as when it calls the API in process: the
/// [`Principal`] extractor takes it from the request's extensions (which no
/// client can set) instead of an `Authorization` header. Only a live
/// [`Session`] makes one.
#[derive(Clone, Debug)]
pub struct Delegated(Principal);

impl Delegated {
    pub(crate) fn principal(&self) -> &Principal {
        &self.0
    }
}

impl Session {
    pub fn delegate(&self) -> Delegated {
        Delegated(self.principal.clone())
    }
}

/// The live session of `cookie_value`, touched; `None` when it is unknown,
/// ended, idle too long, past its absolute end, or its account or
/// organisation is no longer active.
pub async fn session(state: &AppState, cookie_value: &str) -> ApiResult<Option<Session>> {
    if cookie_value.is_empty() || cookie_value.len() > 100 {
        return Ok(None);
    }
    type Row =
        (String, String, String, String, String, String, String, String, i64, Option<String>, String, i64, String);
    let id_hash = hash_key(cookie_value);
    let row: Option<Row> = sqlx::query_as(
        "SELECT a.id, a.org_id, a.role, a.region_code, a.name, o.kind, o.name, s.csrf_token, o.active, a.disabled_at,
                s.last_seen_at, a.must_change_password, a.login
         FROM staff_sessions s JOIN staff_accounts a ON a.id = s.account_id JOIN orgs o ON o.id = a.org_id
         WHERE s.id_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2",
    )
    .bind(&id_hash)
    .bind(state.now_text())
    .fetch_optional(&state.db.pool)
    .await?;
    let Some((
        account_id,
        org_id,
        role,
        region_code,
        name,
        org_kind,
        org_name,
        csrf_token,
        active,
        disabled,
        seen,
        must,
        login,
    )) = row
    else {
        return Ok(None);
    };
    let now = state.clock.now();
    let idle_since = crate::time::from_text(&seen).unwrap_or(now);
    if active == 0 || disabled.is_some() || now - idle_since > Duration::minutes(IDLE_MINUTES) {
        return Ok(None);
    }
    let Some(role) = Role::parse(&role) else { return Ok(None) };
    // Touch at most once a minute: a page of many requests is one write.
    if now - idle_since > Duration::seconds(60) {
        sqlx::query("UPDATE staff_sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(to_text(now))
            .bind(&id_hash)
            .execute(&state.db.pool)
            .await?;
    }
    Ok(Some(Session {
        principal: Principal { key_id: account_id.clone(), org_id, org_kind, role, region_code },
        account_id,
        login,
        name,
        org_name,
        csrf_token,
        must_change_password: must != 0,
    }))
}

/// End the session of `cookie_value` (signing out).
pub async fn end(state: &AppState, cookie_value: &str) -> ApiResult<()> {
    sqlx::query("UPDATE staff_sessions SET ended_at = $1 WHERE id_hash = $2 AND ended_at IS NULL")
        .bind(state.now_text())
        .bind(hash_key(cookie_value))
        .execute(&state.db.pool)
        .await?;
    Ok(())
}

/// Whether `given` equals `expected`, in time independent of where they differ.
pub fn same_token(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_argon2id_hashes_that_verify_only_the_password() {
        let h = hash_password("长城-2026-嘉兴!");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password(&h, "长城-2026-嘉兴!"));
        assert!(!verify_password(&h, "长城-2026-嘉兴?"));
        assert!(!verify_password("not a hash", "x"));
        assert_ne!(hash_password("same"), hash_password("same"), "salted");
    }

    #[test]
    fn weak_passwords_and_tokens() {
        assert!(password_problem("short", "wang").is_some());
        assert!(password_problem("嘉兴南湖的红船很好看", "wang").is_none());
        assert!(password_problem(&"x".repeat(129), "wang").is_some());
        assert!(password_problem("abcdefghiz\n", "wang").is_some());
        for weak in [
            "1234567890",
            "0987654321",
            "7890123456",
            "abcdefghij",
            "aaaaaaaaaa",
            "abcabcabca",
            "1212121212",
            "QWERTYUIOP",
            "Woaini1314",
            "nanhu.wang2026",
            "xx-NANHU.WANG",
        ] {
            assert!(password_problem(weak, "nanhu.wang").is_some(), "{weak} is refused");
        }
        for fine in ["长城-2026-嘉兴!", "correct horse battery", "8fj3-Kq2m-Zz91"] {
            assert_eq!(password_problem(fine, "nanhu.wang"), None, "{fine} is accepted");
        }
        assert_eq!(random_token(32).len(), 43);
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "abcd"));
    }
}
