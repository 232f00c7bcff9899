//! Staff accounts of an organisation: the people who sign in to the console.
//!
//! Who may make one is the key rule ([`may_grant`], [`check_grant`]): the
//! bureau's admin for any organisation and role; staff for the
//! organisations they manage, publisher accounts only — and, as the
//! organisation's own administrators, staff accounts of their own
//! organisation within their region. The same rule says which accounts a
//! caller lists, resets or disables, within the organisations whose
//! credentials it manages ([`may_manage_keys`]): never an admin's unless
//! it is admin, never one whose region is outside its own. The first
//! password is shown once and must be changed at first sign-in; disabling
//! an account ends its sessions at once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use jobmatch_core::accounts::{self, Account, AccountInput, NewAccount};
use jobmatch_core::error::ApiResult;
use jobmatch_core::http::JsonBody;
use jobmatch_core::validate::{read_body, Errors, Fields, RequestBody};
use jobmatch_core::{ApiError, AppState, Principal, Role};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::orgs::{check_grant, check_may_grant, find_org, may_grant, may_manage, may_manage_keys, Credential};

/// `POST /v1/orgs/{id}/accounts` body.
#[derive(ToSchema)]
pub struct AccountCreate {
    /// What the person types to sign in: 3–40 letters, digits, `.`, `_`, `-`
    /// or `@` (a phone number will do). Unique.
    #[schema(example = "nanhu.wang")]
    pub login: String,
    /// The person's name, shown in the console and the trail.
    #[schema(example = "王丽")]
    pub name: String,
    pub phone: Option<String>,
    pub role: Role,
    /// Defaults to the organisation's region; must lie within it.
    pub region_code: Option<String>,
}

impl RequestBody for AccountCreate {
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<AccountCreate> {
        let login = f.string("login", true, 3, 40, errs);
        if login.as_deref().is_some_and(|l| !l.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b))) {
            errs.add("login", "invalid_login", "登录名只能由字母、数字和 . _ - @ 组成");
        }
        let name = f.string("name", true, 1, 40, errs);
        let phone = f.string("phone", false, 5, 20, errs);
        if phone.as_deref().is_some_and(|p| !p.bytes().all(|b| b.is_ascii_digit() || b == b'-')) {
            errs.add("phone", "invalid_phone", "电话只能由数字和 - 组成");
        }
        let role = f.one_of("role", true, &Role::ALL, errs).and_then(|r| Role::parse(&r));
        let region_code = f.string("region_code", false, 6, 20, errs);
        Some(AccountCreate { login: login?.to_lowercase(), name: name?, phone, role: role?, region_code })
    }
}

#[derive(Serialize, ToSchema)]
pub struct AccountList {
    pub items: Vec<Account>,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_account, list_accounts))
        .routes(routes!(disable_account))
        .routes(routes!(reset_password))
}

/// Open a staff account; its first password is in the answer, once.
#[utoipa::path(post, path = "/v1/orgs/{id}/accounts", tag = "orgs", params(("id" = String, Path)),
    request_body = AccountCreate,
    responses((status = 201, body = NewAccount), (status = 404, body = jobmatch_core::error::Problem),
              (status = 409, description = "登录名已被使用", body = jobmatch_core::error::Problem),
              (status = 422, body = jobmatch_core::error::Problem)),
    security(("bearer" = [])))]
async fn create_account(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<NewAccount>)> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let org = find_org(&state, &id).await?.ok_or_else(ApiError::not_found)?;
    if !may_manage(&caller, &state, &org) && caller.org_id != org.id {
        return Err(ApiError::not_found());
    }
    let AccountCreate { login, name, phone, role, region_code } = read_body(&body, &state)?;
    let mut errs = Errors::default();
    let region = check_grant(&state, &org, role, region_code.as_deref(), "账号", &mut errs);
    errs.finish(|| ())?;
    check_may_grant(&caller, &state, &org, Credential::Account, role, &region)?;
    if accounts::login_taken(&state, &login).await? {
        return Err(ApiError::conflict("login_taken", format!("登录名“{login}”已被使用")));
    }
    let input = AccountInput {
        org_id: &org.id,
        login: &login,
        name: &name,
        phone: phone.as_deref(),
        role,
        region_code: &region,
    };
    let account = accounts::insert(&state, &input, &caller.key_id).await?;
    tracing::info!(account_id = %account.account.id, org_id = %org.id, role = role.as_str(), "staff account opened");
    Ok((StatusCode::CREATED, Json(account)))
}

/// List an organisation's accounts (never their passwords).
#[utoipa::path(get, path = "/v1/orgs/{id}/accounts", tag = "orgs", params(("id" = String, Path)),
    responses((status = 200, body = AccountList), (status = 404, body = jobmatch_core::error::Problem)),
    security(("bearer" = [])))]
async fn list_accounts(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<AccountList>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let org = find_org(&state, &id).await?.ok_or_else(ApiError::not_found)?;
    if !may_manage_keys(&caller, &org) {
        return Err(ApiError::not_found());
    }
    let items = accounts::list(&state, &org.id)
        .await?
        .into_iter()
        .filter(|a| may_grant(&caller, &state, &org, Credential::Account, a.role, &a.region_code))
        .collect();
    Ok(Json(AccountList { items }))
}

/// Account `account_id` of organisation `id`, when the caller may manage
/// the organisation's accounts (as its keys) and could have opened this one
/// ([`may_grant`]); else 404, and nothing is touched.
async fn managed_account(state: &AppState, caller: &Principal, id: &str, account_id: &str) -> ApiResult<Account> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let org = find_org(state, id).await?.ok_or_else(ApiError::not_found)?;
    if !may_manage_keys(caller, &org) {
        return Err(ApiError::not_found());
    }
    accounts::get(state, account_id)
        .await?
        .filter(|a| a.org_id == org.id && may_grant(caller, state, &org, Credential::Account, a.role, &a.region_code))
        .ok_or_else(ApiError::not_found)
}

/// Disable an account: its sessions end at once and it cannot sign in.
#[utoipa::path(post, path = "/v1/orgs/{id}/accounts/{account_id}/disable", tag = "orgs",
    params(("id" = String, Path), ("account_id" = String, Path)),
    responses((status = 200, body = Account), (status = 404, body = jobmatch_core::error::Problem)),
    security(("bearer" = [])))]
async fn disable_account(
    State(state): State<AppState>,
    caller: Principal,
    Path((id, account_id)): Path<(String, String)>,
) -> ApiResult<Json<Account>> {
    let account = managed_account(&state, &caller, &id, &account_id).await?;
    accounts::disable(&state, &account.id).await?;
    tracing::info!(account_id = %account.id, "staff account disabled");
    Ok(Json(accounts::get(&state, &account.id).await?.unwrap_or(account)))
}

/// Reset an account's password (someone forgot theirs): a new one is in
/// the answer, once; every session of the account ends.
#[utoipa::path(post, path = "/v1/orgs/{id}/accounts/{account_id}/reset-password", tag = "orgs",
    params(("id" = String, Path), ("account_id" = String, Path)),
    responses((status = 200, body = NewAccount), (status = 404, body = jobmatch_core::error::Problem)),
    security(("bearer" = [])))]
async fn reset_password(
    State(state): State<AppState>,
    caller: Principal,
    Path((id, account_id)): Path<(String, String)>,
) -> ApiResult<Json<NewAccount>> {
    let account = managed_account(&state, &caller, &id, &account_id).await?;
    let password = accounts::reset_password(&state, &account.id, &caller.key_id).await?;
    tracing::info!(account_id = %account.id, "staff account password reset");
    Ok(Json(NewAccount { account, password }))
}
