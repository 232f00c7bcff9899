//! The person registry endpoints: create, read, change, list and search,
//! change history, and the audit of full-value reads.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use jobmatch_core::domain::{CertificationStatus, EmploymentStatus, Group, Person, Willingness};
use jobmatch_core::error::{ApiResult, Problem};
use jobmatch_core::http::{encode_cursor, JsonBody, ListQuery, QueryParams};
use jobmatch_core::validate::Errors;
use jobmatch_core::{ApiError, AppState, Principal, Role};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::{self, Actor, StoredPerson, Updated};
use super::validate::{read_person, PersonRules};
use jobmatch_core::validate::merge_patch;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_person, list_persons))
        .routes(routes!(get_person, patch_person))
        .routes(routes!(person_history))
        .routes(routes!(list_audit))
}

pub fn rules(state: &AppState) -> PersonRules<'_> {
    PersonRules { vocab: &state.vocab, regions: &state.regions, today: state.today() }
}

/// Whether `p` may see this person with full values: admin, and staff whose
/// region covers the person. Agencies see their assigned people masked
/// (`jobmatch_core::access`); everyone else is answered 404.
pub fn may_see_full(caller: &Principal, state: &AppState, record: &StoredPerson) -> bool {
    caller.covers_region(state, &record.profile.region_code)
}

/// Load a person the caller may see in full, or 404.
pub async fn load_for_staff(state: &AppState, caller: &Principal, id: &str) -> ApiResult<StoredPerson> {
    let record = store::get(&state.db.pool, id).await?.ok_or_else(ApiError::not_found)?;
    if may_see_full(caller, state, &record) {
        Ok(record)
    } else {
        Err(ApiError::not_found())
    }
}

/// Record that `p` was shown a person's full ID number and phone.
pub async fn audit_full_read(state: &AppState, caller: &Principal, person_id: &str, action: &str) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (person_id, action, fields, key_id, org_id, role, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(person_id)
    .bind(action)
    .bind(r#"["id_number","phone"]"#)
    .bind(&caller.key_id)
    .bind(&caller.org_id)
    .bind(caller.role.as_str())
    .bind(state.now_text())
    .execute(&state.db.pool)
    .await?;
    Ok(())
}

/// A person answered in full, with the read recorded.
pub async fn answer_full(
    state: &AppState,
    caller: &Principal,
    record: &StoredPerson,
    action: &str,
) -> ApiResult<Person> {
    let person = store::to_person(state, record, true, state.today())?;
    audit_full_read(state, caller, &record.id, action).await?;
    Ok(person)
}

/// 409 for a number already registered; the existing id only to a caller
/// who may see that person (staff elsewhere learn nothing they could use).
async fn duplicate(state: &AppState, caller: &Principal, existing: String) -> ApiResult<ApiError> {
    let problem = Problem::new(StatusCode::CONFLICT, "duplicate_id_number", "与现有记录冲突", "该身份证号已登记");
    Ok(match load_for_staff(state, caller, &existing).await {
        Ok(_) => problem.with("existing_id", existing).into(),
        Err(_) => problem.into(),
    })
}

/// Register a person (admin, or staff of the person's region).
///
/// Birth date, age and sex come from the ID number; a second registration
/// of the same ID number is 409 with the existing person's id.
#[utoipa::path(post, path = "/v1/persons", tag = "persons", request_body = Person,
    responses((status = 201, body = Person), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create_person(
    State(state): State<AppState>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Person>)> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let input = read_person(&body, &rules(&state), true)?;
    if !caller.covers_region(&state, &input.profile.region_code) {
        return Err(ApiError::forbidden("只能登记本人负责区域内的人员"));
    }
    let mut tx = state.db.pool.begin().await?;
    let id = match store::insert(&mut tx, &state, &input, &Actor::staff(&caller), state.today()).await? {
        Ok(id) => id,
        Err(existing) => {
            tx.rollback().await?;
            return Err(duplicate(&state, &caller, existing).await?);
        }
    };
    let created = store::get(&mut *tx, &id).await?.ok_or_else(|| anyhow::anyhow!("person {id} vanished"))?;
    tx.commit().await?;
    tracing::info!(person_id = %id, key_id = %caller.key_id, "person registered");
    Ok((StatusCode::CREATED, Json(answer_full(&state, &caller, &created, "create").await?)))
}

/// Read a person. Admin and staff of the person's region see the full ID
/// number and phone (each such read is audited); an agency sees its assigned
/// people masked, without disability or allowance details; others get 404.
#[utoipa::path(get, path = "/v1/persons/{id}", tag = "persons", params(("id" = String, Path)),
    responses((status = 200, body = Person), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get_person(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Person>> {
    if caller.role == Role::Agency {
        return Ok(Json(jobmatch_core::access::agency_view(&state, &caller, &id).await?));
    }
    let record = load_for_staff(&state, &caller, &id).await?;
    Ok(Json(answer_full(&state, &caller, &record, "read").await?))
}

/// Change a person (JSON Merge Patch; the result is checked as a whole).
/// The ID number never changes; certification goes through its workflow.
#[utoipa::path(patch, path = "/v1/persons/{id}", tag = "persons", params(("id" = String, Path)), request_body = Person,
    responses((status = 200, body = Person), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn patch_person(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody,
) -> ApiResult<Json<Person>> {
    let record = load_for_staff(&state, &caller, &id).await?;
    if !patch.is_object() {
        return Err(ApiError::validation(vec![jobmatch_core::error::FieldError::new(
            "body",
            "type",
            "请求体应为 JSON 对象",
        )]));
    }
    let current = store::to_person(&state, &record, true, state.today())?;
    let mut doc = serde_json::to_value(&current.profile).map_err(anyhow::Error::from)?;
    doc["id_number"] = Value::String(current.id_number.clone());
    if let Some(phone) = &current.phone {
        doc["phone"] = Value::String(phone.clone());
    }
    merge_patch(&mut doc, &patch);
    let input = read_person(&doc, &rules(&state), current.phone.is_some())?;
    let mut errs = Errors::default();
    if input.id.number != current.id_number {
        errs.add("id_number", "immutable", "身份证号不能修改；登记错误请联系管理员注销后重新登记");
    }
    let had = record.profile.groups.contains(&Group::HardshipCertified);
    if input.profile.groups.contains(&Group::HardshipCertified) != had {
        errs.add("groups", "use_certification", "就业困难人员身份须通过认定流程（/certification）变更");
    }
    errs.finish(|| ())?;
    if !caller.covers_region(&state, &input.profile.region_code) {
        return Err(ApiError::forbidden("不能把人员迁出本人负责的区域；请由上级或迁入地办理"));
    }
    let mut tx = state.db.pool.begin().await?;
    let phone = if input.phone != current.phone { Some(input.phone.as_deref()) } else { None };
    match store::update(&mut tx, &state, &record, &input.profile, phone, &Actor::staff(&caller)).await? {
        Updated::Stale => return Err(ApiError::conflict("concurrent_update", "该人员刚被他人修改，请刷新后重试")),
        Updated::Unchanged | Updated::Changed(..) => {}
    }
    let after = store::get(&mut *tx, &id).await?.ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok(Json(answer_full(&state, &caller, &after, "update").await?))
}

#[derive(Serialize, ToSchema)]
pub struct PersonPage {
    pub items: Vec<Person>,
    pub next_cursor: Option<String>,
}

/// List and search people (admin; staff within their region). ID numbers and
/// phones are masked in lists; `id_number` finds one person exactly.
#[utoipa::path(get, path = "/v1/persons", tag = "persons",
    params(("region" = Option<String>, Query), ("group" = Option<Group>, Query), ("employment_status" = Option<EmploymentStatus>, Query),
           ("willingness" = Option<Willingness>, Query), ("certification" = Option<CertificationStatus>, Query),
           ("name" = Option<String>, Query, description = "part of the name"), ("id_number" = Option<String>, Query),
           ("limit" = Option<usize>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = PersonPage), (status = 400, body = Problem)), security(("bearer" = [])))]
async fn list_persons(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<PersonPage>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let mut errs = Errors::default();
    params.deny_unknown(
        &[
            "region",
            "group",
            "employment_status",
            "willingness",
            "certification",
            "name",
            "id_number",
            "limit",
            "cursor",
        ],
        &mut errs,
    );
    let limit = params.limit(20, 200, &mut errs);
    let cursor = params.cursor(&mut errs);
    let group = params.one_of("group", Group::ALL, &mut errs);
    let status = params.one_of("employment_status", EmploymentStatus::ALL, &mut errs);
    let willingness = params.one_of("willingness", Willingness::ALL, &mut errs);
    let certification = params.one_of("certification", CertificationStatus::ALL, &mut errs);
    let region = params.region(&state.regions, &mut errs);
    let name = params.get("name").map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if name.as_ref().is_some_and(|n| n.chars().count() > 50) {
        errs.add("name", "too_long", "最长 50 个字符");
    }
    let id_hash = params.get("id_number").and_then(|raw| match jobmatch_core::idcard::parse(raw, state.today()) {
        Ok(id) => Some(state.vault.blind_index("id_number", &id.number)),
        Err(e) => {
            errs.add("id_number", e.code, e.message);
            None
        }
    });
    QueryParams::finish(errs)?;

    let mut list = ListQuery::default();
    for scope in [(caller.role == Role::Staff).then(|| caller.region_code.clone()), region].into_iter().flatten() {
        let mark = list.param(&scope);
        list.condition(state.regions.scope_sql(&scope, &mark));
    }
    if let Some(group) = group {
        let mark = list.param(format!("%\"{group}\"%"));
        list.condition(format!("groups LIKE {mark}"));
    }
    list.equal("employment_status", status);
    list.equal("willingness", willingness);
    list.equal("certification_status", certification);
    if let Some(name) = &name {
        list.contains("name", name);
    }
    let by_id_number = id_hash.is_some();
    list.equal("id_hash", id_hash);
    if let Some(before) = &cursor {
        let mark = list.param(before);
        list.condition(format!("id < {mark}"));
    }
    let select = format!("SELECT {} FROM persons", store::COLUMNS);
    let rows: Vec<store::Row> = list.fetch(&state.db.pool, &select, "id DESC", limit).await?;
    let day = state.today();
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(store::to_person(&state, &store::from_row(row)?, false, day)?);
    }
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|x| encode_cursor(&x.id))
    } else {
        None
    };
    // Looking someone up by ID number or name is recorded against each
    // person found (who looked, when), like a full read.
    let looked_up = if by_id_number { Some("found_by_id_number") } else { name.as_ref().map(|_| "found_by_name") };
    if let Some(action) = looked_up {
        let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        jobmatch_core::access::audit_all(&state, &caller, &ids, action).await?;
    }
    Ok(Json(PersonPage { items, next_cursor }))
}

/// One change to a person (动态管理).
#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    pub version: i64,
    /// `staff`, `import:<source>`, `certification` or `system`.
    pub source: String,
    pub actor_key_id: Option<String>,
    pub actor_org_id: Option<String>,
    /// `{ field: { from, to } }`; phones masked.
    #[schema(value_type = Object)]
    pub changes: Value,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryList {
    pub items: Vec<HistoryEntry>,
}

/// Every change to a person, oldest first, with who made it and when.
#[utoipa::path(get, path = "/v1/persons/{id}/history", tag = "persons", params(("id" = String, Path)),
    responses((status = 200, body = HistoryList), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn person_history(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<HistoryList>> {
    load_for_staff(&state, &caller, &id).await?;
    type Row = (i64, String, Option<String>, Option<String>, String, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT version, source, actor_key_id, actor_org_id, changes, created_at FROM person_history
         WHERE person_id = $1 ORDER BY id",
    )
    .bind(&id)
    .fetch_all(&state.db.pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|(version, source, actor_key_id, actor_org_id, changes, created_at)| HistoryEntry {
            version,
            source,
            actor_key_id,
            actor_org_id,
            changes: serde_json::from_str(&changes).unwrap_or(Value::Null),
            created_at,
        })
        .collect();
    Ok(Json(HistoryList { items }))
}

/// One read of a person's full ID number and phone.
#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub person_id: String,
    /// `read`, `create` or `update`.
    pub action: String,
    pub fields: Vec<String>,
    pub key_id: String,
    pub org_id: String,
    pub role: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

/// The audit log of full-value reads, newest first (admin).
#[utoipa::path(get, path = "/v1/audit", tag = "persons",
    params(("person_id" = Option<String>, Query), ("limit" = Option<usize>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = AuditPage)), security(("bearer" = [])))]
async fn list_audit(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<AuditPage>> {
    caller.require(&[Role::Admin])?;
    let mut errs = Errors::default();
    params.deny_unknown(&["person_id", "limit", "cursor"], &mut errs);
    let limit = params.limit(50, 200, &mut errs);
    let cursor = params.cursor(&mut errs).map(|c| c.parse::<i64>().unwrap_or(0));
    QueryParams::finish(errs)?;
    type Row = (i64, String, String, String, String, String, String, String);
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT id, person_id, action, fields, key_id, org_id, role, created_at FROM audit_log
         WHERE ($1 = '' OR person_id = $1) AND ($2 = 0 OR id < $2) ORDER BY id DESC LIMIT {}",
        limit + 1
    ))
    .bind(params.get("person_id").unwrap_or(""))
    .bind(cursor.unwrap_or(0))
    .fetch_all(&state.db.pool)
    .await?;
    let mut items: Vec<AuditEntry> = rows
        .into_iter()
        .map(|(id, person_id, action, fields, key_id, org_id, role, created_at)| AuditEntry {
            id,
            person_id,
            action,
            fields: serde_json::from_str(&fields).unwrap_or_default(),
            key_id,
            org_id,
            role,
            created_at,
        })
        .collect();
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|e| encode_cursor(&e.id.to_string()))
    } else {
        None
    };
    Ok(Json(AuditPage { items, next_cursor }))
}
