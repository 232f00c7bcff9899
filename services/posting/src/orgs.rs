//! Organisations and their API keys.
//!
//! The bureau's admin creates organisations and keys; staff may register gig
//! markets, communities and employers in their own region and give them
//! publisher keys. A key's region defaults to its organisation's and must lie
//! within it. Keys are shown once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use jobmatch_core::auth::{generate_key, hash_key};
use jobmatch_core::db::is_unique_violation;
use jobmatch_core::domain::OrgKind;
use jobmatch_core::error::ApiResult;
use jobmatch_core::http::{encode_cursor, JsonBody, QueryParams};
use jobmatch_core::ids::new_id;
use jobmatch_core::validate::{read_body, Errors, Fields, RequestBody};
use jobmatch_core::{ApiError, AppState, Principal, Role};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// An organisation: bureau, community, gig market, employer or HR agency.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub kind: OrgKind,
    pub region_code: String,
    pub active: bool,
}

/// `POST /v1/orgs` body.
#[derive(ToSchema)]
pub struct OrgCreate {
    /// 2–60 characters, unique.
    #[schema(example = "南湖零工市场")]
    pub name: String,
    pub kind: OrgKind,
    #[schema(example = "330402")]
    pub region_code: String,
}

impl RequestBody for OrgCreate {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<OrgCreate> {
        let name = f.string("name", true, 2, 60, errs);
        let kind = f.one_of("kind", true, OrgKind::ALL, errs).and_then(|k| OrgKind::parse(&k));
        let region_code = f.string("region_code", true, 6, 20, errs);
        if region_code.as_deref().is_some_and(|code| !state.regions.contains(code)) {
            errs.add("region_code", "unknown_region", "未知区划代码");
            return None;
        }
        Some(OrgCreate { name: name?, kind: kind?, region_code: region_code? })
    }
}

/// `PATCH /v1/orgs/{id}` body.
#[derive(ToSchema)]
pub struct OrgPatch {
    pub name: Option<String>,
    /// `false` deactivates the organisation: its keys stop working at once.
    pub active: Option<bool>,
}

impl RequestBody for OrgPatch {
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<OrgPatch> {
        Some(OrgPatch { name: f.string("name", false, 2, 60, errs), active: f.boolean("active", false, errs) })
    }
}

/// `POST /v1/orgs/{id}/keys` body.
#[derive(ToSchema)]
pub struct KeyCreate {
    pub role: Role,
    /// Defaults to the organisation's region; must lie within it.
    pub region_code: Option<String>,
}

impl RequestBody for KeyCreate {
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<KeyCreate> {
        let role = f.one_of("role", true, &Role::ALL, errs).and_then(|r| Role::parse(&r));
        let region_code = f.string("region_code", false, 6, 20, errs);
        Some(KeyCreate { role: role?, region_code })
    }
}

/// A new key, shown once.
#[derive(Serialize, ToSchema)]
pub struct NewKey {
    pub id: String,
    pub key: String,
    pub role: Role,
    pub region_code: String,
}

/// A key as listed (never the key itself).
#[derive(Serialize, ToSchema)]
pub struct KeyInfo {
    pub id: String,
    pub role: Role,
    pub region_code: String,
    /// The first characters of the key, to tell keys apart.
    pub key_prefix: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OrgPage {
    pub items: Vec<Org>,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct KeyList {
    pub items: Vec<KeyInfo>,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_org, list_orgs))
        .routes(routes!(get_org, patch_org))
        .routes(routes!(create_key, list_keys))
        .routes(routes!(revoke_key))
}

type OrgRow = (String, String, String, String, i64);

fn org_from_row((id, name, kind, region_code, active): OrgRow) -> ApiResult<Org> {
    let kind = OrgKind::parse(&kind).ok_or_else(|| anyhow::anyhow!("org {id} has unknown kind"))?;
    Ok(Org { id, name, kind, region_code, active: active != 0 })
}

/// Read an organisation by id.
pub async fn find_org(state: &AppState, id: &str) -> ApiResult<Option<Org>> {
    let row: Option<OrgRow> = sqlx::query_as("SELECT id, name, kind, region_code, active FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?;
    row.map(org_from_row).transpose()
}

/// Read an organisation by its (unique) name.
pub async fn find_org_by_name(state: &AppState, name: &str) -> ApiResult<Option<Org>> {
    let row: Option<OrgRow> = sqlx::query_as("SELECT id, name, kind, region_code, active FROM orgs WHERE name = $1")
        .bind(name)
        .fetch_optional(&state.db.pool)
        .await?;
    row.map(org_from_row).transpose()
}

/// Insert an organisation; a taken name is 409 with the existing id.
pub async fn insert_org(state: &AppState, name: &str, kind: OrgKind, region_code: &str) -> ApiResult<Org> {
    let id = new_id("org");
    let now = state.now_text();
    let res = sqlx::query(
        "INSERT INTO orgs (id, name, kind, region_code, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(name)
    .bind(kind.as_str())
    .bind(region_code)
    .bind(1_i64)
    .bind(&now)
    .execute(&state.db.pool)
    .await;
    match res {
        Ok(_) => Ok(Org { id, name: name.into(), kind, region_code: region_code.into(), active: true }),
        Err(e) if is_unique_violation(&e) => {
            let existing = find_org_by_name(state, name).await?.map(|o| o.id).unwrap_or_default();
            Err(jobmatch_core::error::Problem::new(
                StatusCode::CONFLICT,
                "org_name_taken",
                "与现有记录冲突",
                format!("机构名称“{name}”已被使用"),
            )
            .with("existing_id", existing)
            .into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Check that `role` and `region` fit `org`, then store a new key,
/// recording who issued it (`None`: the command line).
pub async fn issue_key(
    state: &AppState,
    org: &Org,
    role: Role,
    region: Option<&str>,
    issued_by: Option<&str>,
) -> ApiResult<NewKey> {
    let mut errs = Errors::default();
    let region = check_grant(state, org, role, region, "密钥", &mut errs);
    errs.finish(|| ())?;
    let key = generate_key();
    let id = new_id("key");
    sqlx::query(
        "INSERT INTO api_keys (id, org_id, role, region_code, key_hash, key_prefix, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(&org.id)
    .bind(role.as_str())
    .bind(&region)
    .bind(hash_key(&key))
    .bind(&key[..8])
    .bind(state.now_text())
    .bind(issued_by)
    .execute(&state.db.pool)
    .await?;
    tracing::info!(key_id = %id, org_id = %org.id, role = role.as_str(), "api key issued");
    Ok(NewKey { id, key, role, region_code: region })
}

/// The region a key or account of `role` for `org` acts for (the org's
/// own unless `region` says one within it); what does not fit is added
/// to `errs`. One rule for keys and staff accounts.
pub fn check_grant(
    state: &AppState,
    org: &Org,
    role: Role,
    region: Option<&str>,
    noun: &str,
    errs: &mut Errors,
) -> String {
    if !role.org_kinds().contains(&org.kind.as_str()) {
        errs.add(
            "role",
            "role_not_allowed",
            format!(
                "{} 类机构不能持有 {} {noun}；可持有的机构类型：{}",
                org.kind.as_str(),
                role.as_str(),
                role.org_kinds().join(", ")
            ),
        );
    }
    let region = region.unwrap_or(&org.region_code).to_string();
    if !state.regions.contains(&region) {
        errs.add("region_code", "unknown_region", "未知区划代码");
    } else if !state.regions.covers(&org.region_code, &region) {
        errs.add("region_code", "outside_org_region", format!("{noun}区域必须在机构所属区域之内"));
    }
    region
}

/// Whether `p` may manage `org` (admin: all; staff: non-bureau orgs in region).
pub fn may_manage(caller: &Principal, state: &AppState, org: &Org) -> bool {
    match caller.role {
        Role::Admin => true,
        Role::Staff => {
            !matches!(org.kind, OrgKind::Bureau | OrgKind::HrAgency)
                && state.regions.covers(&caller.region_code, &org.region_code)
        }
        _ => false,
    }
}

/// Whether `p` may list or revoke `org`'s keys and accounts at all: the
/// bureau admin, or staff of that same organisation. Staff of another
/// organisation never manage its credentials, whatever their region. Which
/// of them is [`may_grant`]'s question.
pub fn may_manage_keys(caller: &Principal, org: &Org) -> bool {
    match caller.role {
        Role::Admin => true,
        Role::Staff => caller.org_id == org.id,
        Role::Publisher | Role::Agency => false,
    }
}

/// What a credential is: a person's console account or a machine's API key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    Account,
    Key,
}

/// The one rule for credentials: whether `caller` may give `org` an
/// account or a key of `role` acting for `region` — and so list, reset,
/// disable or revoke one. The bureau's admin: any. Staff: publisher ones
/// for the organisations they manage or their own, and staff accounts of
/// their own organisation within their region; never a staff key (a
/// second identity of their own) and never an admin's. (Whether the role
/// fits the organisation and the region lies within it is
/// [`check_grant`]'s.)
pub fn may_grant(caller: &Principal, state: &AppState, org: &Org, what: Credential, role: Role, region: &str) -> bool {
    let own_region = || caller.org_id == org.id && state.regions.covers(&caller.region_code, region);
    match (caller.role, role, what) {
        (Role::Admin, _, _) => true,
        (Role::Staff, Role::Publisher, _) => may_manage(caller, state, org) || own_region(),
        (Role::Staff, Role::Staff, Credential::Account) => own_region(),
        _ => false,
    }
}

/// [`may_grant`] as an answer: 403 naming what staff may grant.
pub fn check_may_grant(
    caller: &Principal,
    state: &AppState,
    org: &Org,
    what: Credential,
    role: Role,
    region: &str,
) -> ApiResult<()> {
    if may_grant(caller, state, org, what, role, region) {
        Ok(())
    } else {
        Err(ApiError::forbidden("工作人员只能开设 publisher 账号或密钥，或本机构、本人负责区域内的 staff 账号"))
    }
}

/// Register an organisation.
#[utoipa::path(post, path = "/v1/orgs", tag = "orgs", request_body = OrgCreate,
    responses((status = 201, body = Org), (status = 409, description = "名称已被使用", body = jobmatch_core::error::Problem),
               (status = 422, body = jobmatch_core::error::Problem)),
    security(("bearer" = [])))]
async fn create_org(
    State(state): State<AppState>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Org>)> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let OrgCreate { name, kind, region_code: region } = read_body(&body, &state)?;
    if caller.role == Role::Staff {
        if matches!(kind, OrgKind::Bureau | OrgKind::HrAgency) {
            return Err(ApiError::forbidden("街道社区工作人员只能登记零工市场、社区和用人单位"));
        }
        if !state.regions.covers(&caller.region_code, &region) {
            return Err(ApiError::forbidden("只能在本人负责的区域内登记机构"));
        }
    }
    let org = insert_org(&state, &name, kind, &region).await?;
    Ok((StatusCode::CREATED, Json(org)))
}

/// List organisations (admin: all; staff: those in their region).
#[utoipa::path(get, path = "/v1/orgs", tag = "orgs",
    params(("limit" = Option<usize>, Query, description = "1–200, default 20"), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = OrgPage)), security(("bearer" = [])))]
async fn list_orgs(State(state): State<AppState>, caller: Principal, params: QueryParams) -> ApiResult<Json<OrgPage>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let mut errs = Errors::default();
    params.deny_unknown(&["limit", "cursor"], &mut errs);
    let limit = params.limit(20, 200, &mut errs);
    let cursor = params.cursor(&mut errs);
    QueryParams::finish(errs)?;
    // Orgs are few (hundreds); filter the region scope in memory.
    let rows: Vec<OrgRow> =
        sqlx::query_as("SELECT id, name, kind, region_code, active FROM orgs WHERE id > $1 ORDER BY id")
            .bind(cursor.unwrap_or_default())
            .fetch_all(&state.db.pool)
            .await?;
    let mut items = Vec::new();
    let mut next_cursor = None;
    for row in rows {
        let org = org_from_row(row)?;
        if caller.role == Role::Staff && !state.regions.covers(&caller.region_code, &org.region_code) {
            continue;
        }
        if items.len() == limit {
            next_cursor = items.last().map(|o: &Org| encode_cursor(&o.id));
            break;
        }
        items.push(org);
    }
    Ok(Json(OrgPage { items, next_cursor }))
}

async fn visible_org(state: &AppState, caller: &Principal, id: &str) -> ApiResult<Org> {
    let org = find_org(state, id).await?.ok_or_else(ApiError::not_found)?;
    if org.id == caller.org_id || may_manage(caller, state, &org) {
        Ok(org)
    } else {
        Err(ApiError::not_found())
    }
}

/// Read an organisation (its own members, admin, staff of its region).
#[utoipa::path(get, path = "/v1/orgs/{id}", tag = "orgs", params(("id" = String, Path)),
    responses((status = 200, body = Org), (status = 404, body = jobmatch_core::error::Problem)), security(("bearer" = [])))]
async fn get_org(State(state): State<AppState>, caller: Principal, Path(id): Path<String>) -> ApiResult<Json<Org>> {
    Ok(Json(visible_org(&state, &caller, &id).await?))
}

/// Rename or (de)activate an organisation (admin). Deactivating the
/// caller's own organisation is 409.
#[utoipa::path(patch, path = "/v1/orgs/{id}", tag = "orgs", params(("id" = String, Path)), request_body = OrgPatch,
    responses((status = 200, body = Org), (status = 404, body = jobmatch_core::error::Problem),
               (status = 409, body = jobmatch_core::error::Problem)), security(("bearer" = [])))]
async fn patch_org(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Org>> {
    caller.require(&[Role::Admin])?;
    let org = find_org(&state, &id).await?.ok_or_else(ApiError::not_found)?;
    let OrgPatch { name, active } = read_body(&body, &state)?;
    let name = name.unwrap_or(org.name.clone());
    let active = active.unwrap_or(org.active);
    if org.active && !active {
        refuse_lockout(&caller, &org)?;
    }
    let res = sqlx::query("UPDATE orgs SET name = $1, active = $2, updated_at = $3 WHERE id = $4")
        .bind(&name)
        .bind(i64::from(active))
        .bind(state.now_text())
        .bind(&id)
        .execute(&state.db.pool)
        .await;
    match res {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(ApiError::conflict("org_name_taken", format!("机构名称“{name}”已被使用")))
        }
        Err(e) => return Err(e.into()),
    }
    if active != org.active {
        tracing::info!(org_id = %id, active, "organisation activation changed");
    }
    Ok(Json(Org { name, active, ..org }))
}

/// Deactivating an organisation stops its keys at once: an admin may not
/// deactivate its own. (So the last organisation holding an admin key is
/// never deactivated: whoever asks holds an admin key of another, active one.)
fn refuse_lockout(caller: &Principal, org: &Org) -> ApiResult<()> {
    if org.id == caller.org_id {
        return Err(ApiError::conflict("own_org", "不能停用本人所属的机构：停用后本机构所有密钥立即失效"));
    }
    Ok(())
}

/// Issue a key for an organisation; the key is in this answer only.
#[utoipa::path(post, path = "/v1/orgs/{id}/keys", tag = "orgs", params(("id" = String, Path)), request_body = KeyCreate,
    responses((status = 201, body = NewKey), (status = 403, body = jobmatch_core::error::Problem), (status = 422, body = jobmatch_core::error::Problem)),
    security(("bearer" = [])))]
async fn create_key(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<NewKey>)> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let org = find_org(&state, &id).await?.ok_or_else(ApiError::not_found)?;
    if !may_manage(&caller, &state, &org) && caller.org_id != org.id {
        return Err(ApiError::not_found());
    }
    let KeyCreate { role, region_code: region } = read_body(&body, &state)?;
    let mut errs = Errors::default();
    let granted = check_grant(&state, &org, role, region.as_deref(), "密钥", &mut errs);
    errs.finish(|| ())?;
    check_may_grant(&caller, &state, &org, Credential::Key, role, &granted)?;
    let key = issue_key(&state, &org, role, Some(&granted), Some(&caller.key_id)).await?;
    Ok((StatusCode::CREATED, Json(key)))
}

/// List an organisation's keys (never the keys themselves).
#[utoipa::path(get, path = "/v1/orgs/{id}/keys", tag = "orgs", params(("id" = String, Path)),
    responses((status = 200, body = KeyList)), security(("bearer" = [])))]
async fn list_keys(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<KeyList>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let org = find_org(&state, &id).await?.ok_or_else(ApiError::not_found)?;
    if !may_manage_keys(&caller, &org) {
        return Err(ApiError::not_found());
    }
    let rows: Vec<(String, String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, role, region_code, key_prefix, created_at, revoked_at FROM api_keys WHERE org_id = $1 ORDER BY id",
    )
    .bind(&id)
    .fetch_all(&state.db.pool)
    .await?;
    let items = rows
        .into_iter()
        .filter_map(|(id, role, region_code, key_prefix, created_at, revoked_at)| {
            Some(KeyInfo { id, role: Role::parse(&role)?, region_code, key_prefix, created_at, revoked_at })
        })
        .filter(|k| may_grant(&caller, &state, &org, Credential::Key, k.role, &k.region_code))
        .collect();
    Ok(Json(KeyList { items }))
}

/// Revoke a key; it stops working at once.
#[utoipa::path(delete, path = "/v1/orgs/{id}/keys/{key_id}", tag = "orgs",
    params(("id" = String, Path), ("key_id" = String, Path)),
    responses((status = 204), (status = 404, body = jobmatch_core::error::Problem)), security(("bearer" = [])))]
async fn revoke_key(
    State(state): State<AppState>,
    caller: Principal,
    Path((id, key_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let org = find_org(&state, &id).await?.ok_or_else(ApiError::not_found)?;
    if !may_manage_keys(&caller, &org) {
        return Err(ApiError::not_found());
    }
    // Only a key the caller could have issued; any other is as unknown.
    let target: Option<(String, String)> =
        sqlx::query_as("SELECT role, region_code FROM api_keys WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL")
            .bind(&key_id)
            .bind(&id)
            .fetch_optional(&state.db.pool)
            .await?;
    let allowed = target
        .and_then(|(role, region)| Some((Role::parse(&role)?, region)))
        .is_some_and(|(role, region)| may_grant(&caller, &state, &org, Credential::Key, role, &region));
    if !allowed {
        return Err(ApiError::not_found());
    }
    let done = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL")
        .bind(state.now_text())
        .bind(&key_id)
        .bind(&id)
        .execute(&state.db.pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found());
    }
    tracing::info!(key_id = %key_id, org_id = %id, "api key revoked");
    Ok(StatusCode::NO_CONTENT)
}
