//! Assigning people to an agency's agreement. Only people who consented to
//! sharing with agencies are assigned, and the consent (time, recipient,
//! purpose) is recorded (PIPL art. 23); withdrawing it ends the assignment
//! and the agency's access at once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use jobmatch_core::error::{FieldError, Problem};
use jobmatch_core::http::{encode_cursor, page, JsonBody, QueryParams};
use jobmatch_core::records::persons;
use jobmatch_core::validate::{read_body, Errors, Fields, RequestBody};
use jobmatch_core::{ApiError, ApiResult, AppState, Principal, Role};
use serde::Serialize;
use sqlx::AnyConnection;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::agreements::visible;
use jobmatch_core::access::for_agency;

pub const PURPOSE: &str = "就业帮扶：岗位推荐、一对一跟踪服务与就业结果核实";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(assign, list_assignments)).routes(routes!(unassign)).routes(routes!(my_people))
}

#[derive(Serialize, ToSchema)]
pub struct Assignment {
    pub id: String,
    pub agreement_id: String,
    pub agency_org_id: String,
    pub person_id: String,
    pub assigned_at: String,
    pub ended_at: Option<String>,
    /// `removed` or `consent_withdrawn`.
    pub end_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AssignmentPage {
    pub items: Vec<Assignment>,
    pub next_cursor: Option<String>,
}

/// An `assignments` row as read with [`SELECT`].
#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    agreement_id: String,
    agency_org_id: String,
    person_id: String,
    assigned_at: String,
    ended_at: Option<String>,
    end_reason: Option<String>,
}
const SELECT: &str =
    "SELECT id, agreement_id, agency_org_id, person_id, assigned_at, ended_at, end_reason FROM assignments";

fn from_row(r: Row) -> Assignment {
    Assignment {
        id: r.id,
        agreement_id: r.agreement_id,
        agency_org_id: r.agency_org_id,
        person_id: r.person_id,
        assigned_at: r.assigned_at,
        ended_at: r.ended_at,
        end_reason: r.end_reason,
    }
}

/// The `{ "person_id": "…" }` of an assignment.
#[derive(ToSchema)]
pub struct AssignmentCreate {
    pub person_id: String,
}

impl RequestBody for AssignmentCreate {
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<AssignmentCreate> {
        Some(AssignmentCreate { person_id: f.string("person_id", true, 1, 100, errs)? })
    }
}

fn consent_missing() -> ApiError {
    ApiError::validation(vec![FieldError::new(
        "person_id",
        "consent_missing",
        "本人未同意向人力资源服务机构提供信息（consent.share_with_agencies），不能指派",
    )])
}

/// Assign a person to the agreement's agency (admin, staff of the person's
/// region). 422 without the person's consent to sharing; 409 when another
/// agency already follows the person.
#[utoipa::path(post, path = "/v1/agreements/{id}/assignments", tag = "agencies", params(("id" = String, Path)),
    request_body = AssignmentCreate,
    responses((status = 201, body = Assignment), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)), security(("bearer" = [])))]
async fn assign(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Assignment>)> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let agreement = visible(&state, &caller, &id).await?;
    let AssignmentCreate { person_id } = read_body(&body, &state)?;
    let record = persons::get(&state.db.pool, &person_id).await?;
    let Some(record) = record.filter(|record| caller.covers_region(&state, &record.profile.region_code)) else {
        return Err(ApiError::validation(vec![FieldError::new(
            "person_id",
            "unknown_person",
            "人员不存在或不在本人负责区域",
        )]));
    };
    if !record.profile.consent.share_with_agencies {
        return Err(consent_missing());
    }
    if agreement.ends_on < state.today().to_string() {
        return Err(ApiError::conflict("agreement_ended", format!("协议已于 {} 到期", agreement.ends_on)));
    }
    let now = state.now_text();
    let mut tx = state.db.pool.begin().await?;
    let active: Option<(String, String)> =
        sqlx::query_as("SELECT id, agency_org_id FROM assignments WHERE person_id = $1 AND ended_at IS NULL")
            .bind(&person_id)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some((existing, agency)) = active {
        let same = agency == agreement.agency_org_id;
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "already_assigned",
            "已有机构跟踪服务",
            if same { "该人员已指派给此机构" } else { "该人员已指派给其他机构，请先解除" },
        )
        .with("assignment_id", existing)
        .into());
    }
    let aid = jobmatch_core::ids::new_id("asg");
    sqlx::query(
        "INSERT INTO assignments (id, agreement_id, agency_org_id, person_id, assigned_at, assigned_by_key)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&aid)
    .bind(&agreement.id)
    .bind(&agreement.agency_org_id)
    .bind(&person_id)
    .bind(&now)
    .bind(&caller.key_id)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        // Another request assigned the person in the meantime (the one-active index).
        if jobmatch_core::db::is_unique_violation(&e) {
            ApiError::conflict("already_assigned", "该人员刚被指派给机构，请刷新后查看")
        } else {
            e.into()
        }
    })?;
    sqlx::query(
        "INSERT INTO consent_records (person_id, recipient_org_id, purpose, given_at, recorded_by_key, created_at)
         VALUES ($1, $2, $3, $4, $5, $4)",
    )
    .bind(&person_id)
    .bind(&agreement.agency_org_id)
    .bind(PURPOSE)
    .bind(&now)
    .bind(&caller.key_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(assignment_id = %aid, agreement_id = %agreement.id, "person assigned to an agency");
    let row: Row = sqlx::query_as(&format!("{SELECT} WHERE id = $1")).bind(&aid).fetch_one(&state.db.pool).await?;
    Ok((StatusCode::CREATED, Json(from_row(row))))
}

/// End a person's assignment under this agreement (admin, staff).
#[utoipa::path(delete, path = "/v1/agreements/{id}/assignments/{person_id}", tag = "agencies",
    params(("id" = String, Path), ("person_id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn unassign(
    State(state): State<AppState>,
    caller: Principal,
    Path((id, person_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let agreement = visible(&state, &caller, &id).await?;
    let now = state.now_text();
    let mut tx = state.db.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE assignments SET ended_at = $1, end_reason = 'removed'
         WHERE agreement_id = $2 AND person_id = $3 AND ended_at IS NULL",
    )
    .bind(&now)
    .bind(&agreement.id)
    .bind(&person_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found());
    }
    withdraw_consent_record(&mut tx, &person_id, Some(&agreement.agency_org_id), &now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn withdraw_consent_record(
    conn: &mut AnyConnection,
    person_id: &str,
    agency: Option<&str>,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE consent_records SET withdrawn_at = $1
         WHERE person_id = $2 AND ($3 = '' OR recipient_org_id = $3) AND withdrawn_at IS NULL",
    )
    .bind(now)
    .bind(person_id)
    .bind(agency.unwrap_or(""))
    .execute(conn)
    .await?;
    Ok(())
}

/// The person withdrew consent to sharing: every assignment ends now, in the
/// same transaction as the change of the person.
pub async fn end_for_withdrawn_consent(conn: &mut AnyConnection, person_id: &str, now: &str) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE assignments SET ended_at = $1, end_reason = 'consent_withdrawn'
         WHERE person_id = $2 AND ended_at IS NULL",
    )
    .bind(now)
    .bind(person_id)
    .execute(&mut *conn)
    .await?;
    withdraw_consent_record(conn, person_id, None, now).await?;
    Ok(())
}

/// The assignments of an agreement, current and ended.
#[utoipa::path(get, path = "/v1/agreements/{id}/assignments", tag = "agencies", params(("id" = String, Path),
    ("limit" = Option<usize>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = AssignmentPage), (status = 404, body = Problem), (status = 429, body = Problem)),
    security(("bearer" = [])))]
async fn list_assignments(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    params: QueryParams,
) -> ApiResult<Json<AssignmentPage>> {
    caller.limit_agency_lists(&state)?;
    let agreement = visible(&state, &caller, &id).await?;
    let mut errs = Errors::default();
    params.deny_unknown(&["limit", "cursor"], &mut errs);
    let limit = params.limit(50, 200, &mut errs);
    let cursor = params.cursor(&mut errs).unwrap_or_default();
    QueryParams::finish(errs)?;
    // An agency sees only its current assignments.
    let current_only = (caller.role == Role::Agency) as i64;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE agreement_id = $1 AND id > $2 AND ($3 = 0 OR ended_at IS NULL) ORDER BY id LIMIT {}",
        limit + 1
    ))
    .bind(&agreement.id)
    .bind(&cursor)
    .bind(current_only)
    .fetch_all(&state.db.pool)
    .await?;
    let items: Vec<Assignment> = rows.into_iter().map(from_row).collect();
    let (items, next_cursor) = page(items, limit, |x| &x.id);
    Ok(Json(AssignmentPage { items, next_cursor }))
}

/// One of an agency's people, masked.
#[derive(Serialize, ToSchema)]
pub struct AssignedPerson {
    pub assignment_id: String,
    pub agreement_id: String,
    pub assigned_at: String,
    pub person: jobmatch_core::domain::Person,
}

#[derive(Serialize, ToSchema)]
pub struct AssignedPage {
    pub items: Vec<AssignedPerson>,
    pub next_cursor: Option<String>,
}

/// The calling agency's assigned people (masked; rate limited per key).
#[utoipa::path(get, path = "/v1/agency/people", tag = "agencies",
    params(("limit" = Option<usize>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = AssignedPage), (status = 403, body = Problem), (status = 429, body = Problem)),
    security(("bearer" = [])))]
async fn my_people(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<AssignedPage>> {
    caller.require(&[Role::Agency])?;
    caller.limit_agency_lists(&state)?;
    let mut errs = Errors::default();
    params.deny_unknown(&["limit", "cursor"], &mut errs);
    let limit = params.limit(20, 200, &mut errs);
    let cursor = params.cursor(&mut errs).unwrap_or_default();
    QueryParams::finish(errs)?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE agency_org_id = $1 AND ended_at IS NULL AND id > $2 ORDER BY id LIMIT {}",
        limit + 1
    ))
    .bind(&caller.org_id)
    .bind(&cursor)
    .fetch_all(&state.db.pool)
    .await?;
    let mut items = Vec::new();
    let mut next_cursor = None;
    for a in rows.into_iter().map(from_row) {
        if items.len() == limit {
            next_cursor = items.last().map(|x: &AssignedPerson| encode_cursor(&x.assignment_id));
            break;
        }
        let Some(record) = persons::get(&state.db.pool, &a.person_id).await? else { continue };
        let person = for_agency(persons::to_person(&state, &record, false, state.today())?);
        items.push(AssignedPerson {
            assignment_id: a.id,
            agreement_id: a.agreement_id,
            assigned_at: a.assigned_at,
            person,
        });
    }
    Ok(Json(AssignedPage { items, next_cursor }))
}
