//! One-to-one follow-up (全流程跟踪): contacts with a person, and the trail of
//! every assignment, contact, referral step, placement and insurance report
//! in time order. An agency sees the entries of its own work only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use jobmatch_core::error::Problem;
use jobmatch_core::http::JsonBody;
use jobmatch_core::time::{parse_instant, to_text};
use jobmatch_core::validate::{read_body, Errors, Fields, RequestBody};
use jobmatch_core::{ApiResult, AppState, Principal, Role};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use jobmatch_core::access::person_for;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(add_contact)).routes(routes!(person_trail))
}

pub const METHODS: &[&str] = &["phone", "visit", "message", "meeting"];

#[derive(Serialize, ToSchema)]
pub struct ContactRecord {
    pub id: String,
    pub person_id: String,
    pub agency_org_id: Option<String>,
    /// `phone`, `visit`, `message` or `meeting`.
    pub method: String,
    pub note: String,
    pub contacted_at: String,
    pub created_at: String,
}

/// `{ method, note, contacted_at? }`
#[derive(ToSchema)]
pub struct ContactCreate {
    /// `phone`, `visit`, `message` or `meeting`.
    pub method: String,
    /// 1–1000 characters: what was said or done.
    pub note: String,
    /// RFC 3339, not in the future; default now.
    #[schema(value_type = Option<String>)]
    pub contacted_at: Option<DateTime<Utc>>,
}

impl RequestBody for ContactCreate {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<ContactCreate> {
        let method = f.one_of("method", true, METHODS, errs);
        let note = f.string("note", true, 1, 1000, errs);
        let mut contacted_at = None;
        if let Some(text) = f.string("contacted_at", false, 1, 40, errs) {
            match parse_instant(&text) {
                Some(at) if at <= state.clock.now() + chrono::Duration::minutes(5) => contacted_at = Some(at),
                Some(_) => errs.add("contacted_at", "in_future", "联系时间不能晚于现在"),
                None => errs.add("contacted_at", "invalid_time", "时间格式应为 RFC 3339"),
            }
        }
        Some(ContactCreate { method: method?, note: note?, contacted_at })
    }
}

/// Record a contact with a person (agency: its own people; staff).
#[utoipa::path(post, path = "/v1/persons/{id}/contacts", tag = "agencies", params(("id" = String, Path)),
    request_body = ContactCreate,
    responses((status = 201, body = ContactRecord), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn add_contact(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<ContactRecord>)> {
    caller.require(&[Role::Admin, Role::Staff, Role::Agency])?;
    person_for(&state, &caller, &id).await?;
    let ContactCreate { method, note, contacted_at } = read_body(&body, &state)?;
    let c = ContactRecord {
        id: jobmatch_core::ids::new_id("con"),
        person_id: id,
        agency_org_id: (caller.role == Role::Agency).then(|| caller.org_id.clone()),
        method,
        note,
        contacted_at: contacted_at.map(to_text).unwrap_or_else(|| state.now_text()),
        created_at: state.now_text(),
    };
    sqlx::query(
        "INSERT INTO contacts (id, person_id, agency_org_id, method, note, contacted_at, actor_key_id, actor_org_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&c.id)
    .bind(&c.person_id)
    .bind(&c.agency_org_id)
    .bind(&c.method)
    .bind(&c.note)
    .bind(&c.contacted_at)
    .bind(&caller.key_id)
    .bind(&caller.org_id)
    .bind(&c.created_at)
    .execute(&state.db.pool)
    .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// One entry of the trail.
#[derive(Serialize, ToSchema)]
pub struct TrailEntry {
    pub at: String,
    /// `assigned`, `unassigned`, `contact`, `referral`, `placement`, `placement_ended` or `insurance`.
    pub kind: String,
    pub agency_org_id: Option<String>,
    #[schema(value_type = Object)]
    pub detail: Value,
}

#[derive(Serialize, ToSchema)]
pub struct Trail {
    pub person_id: String,
    pub items: Vec<TrailEntry>,
}

/// The follow-up trail of a person, oldest first.
#[utoipa::path(get, path = "/v1/persons/{id}/trail", tag = "agencies", params(("id" = String, Path)),
    responses((status = 200, body = Trail), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn person_trail(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Trail>> {
    caller.require(&[Role::Admin, Role::Staff, Role::Agency])?;
    person_for(&state, &caller, &id).await?;
    let pool = &state.db.pool;
    let mut items = Vec::new();
    type AssignedRow = (String, String, String, Option<String>, Option<String>);
    let assigned: Vec<AssignedRow> = sqlx::query_as(
        "SELECT agreement_id, agency_org_id, assigned_at, ended_at, end_reason FROM assignments WHERE person_id = $1",
    )
    .bind(&id)
    .fetch_all(pool)
    .await?;
    for (agreement, agency, at, ended, reason) in assigned {
        items.push(TrailEntry {
            at,
            kind: "assigned".into(),
            agency_org_id: Some(agency.clone()),
            detail: json!({"agreement_id": agreement}),
        });
        if let Some(e) = ended {
            items.push(TrailEntry {
                at: e,
                kind: "unassigned".into(),
                agency_org_id: Some(agency),
                detail: json!({"agreement_id": agreement, "reason": reason}),
            });
        }
    }
    let contacts: Vec<(String, Option<String>, String, String)> =
        sqlx::query_as("SELECT contacted_at, agency_org_id, method, note FROM contacts WHERE person_id = $1")
            .bind(&id)
            .fetch_all(pool)
            .await?;
    for (at, agency, method, note) in contacts {
        items.push(TrailEntry {
            at,
            kind: "contact".into(),
            agency_org_id: agency,
            detail: json!({"method": method, "note": note}),
        });
    }
    type StepRow = (String, Option<String>, String, String, Option<String>, String, Option<String>);
    let steps: Vec<StepRow> = sqlx::query_as(
        "SELECT e.created_at, r.agency_org_id, r.id, r.job_id, e.from_status, e.to_status, e.note
         FROM referral_events e JOIN referrals r ON r.id = e.referral_id WHERE r.person_id = $1",
    )
    .bind(&id)
    .fetch_all(pool)
    .await?;
    for (at, agency, rid, job, from, to, note) in steps {
        items.push(TrailEntry {
            at,
            kind: "referral".into(),
            agency_org_id: agency,
            detail: json!({"referral_id": rid, "job_id": job, "from": from, "to": to, "note": note}),
        });
    }
    type PlacedRow = (String, Option<String>, String, String, String, Option<String>, Option<String>);
    let placed: Vec<PlacedRow> = sqlx::query_as(
        "SELECT created_at, agency_org_id, id, channel, started_on, ended_on, employer_name FROM placements WHERE person_id = $1",
    )
    .bind(&id)
    .fetch_all(pool)
    .await?;
    for (at, agency, pid, channel, started, ended, employer) in placed {
        items.push(TrailEntry {
            at,
            kind: "placement".into(),
            agency_org_id: agency.clone(),
            detail: json!({"placement_id": pid, "channel": channel, "started_on": started, "employer_name": employer}),
        });
        if let Some(e) = ended {
            items.push(TrailEntry {
                at: format!("{e}T23:59:59.999999Z"),
                kind: "placement_ended".into(),
                agency_org_id: agency,
                detail: json!({"placement_id": pid, "ended_on": e}),
            });
        }
    }
    let insurance: Vec<(String, Option<String>, String, i64)> = sqlx::query_as(
        "SELECT i.created_at, p.agency_org_id, p.id, i.months FROM insurance_reports i
         JOIN placements p ON p.id = i.placement_id WHERE p.person_id = $1",
    )
    .bind(&id)
    .fetch_all(pool)
    .await?;
    for (at, agency, pid, months) in insurance {
        items.push(TrailEntry {
            at,
            kind: "insurance".into(),
            agency_org_id: agency,
            detail: json!({"placement_id": pid, "months": months}),
        });
    }
    if caller.role == Role::Agency {
        items.retain(|e| e.agency_org_id.as_deref() == Some(caller.org_id.as_str()));
    }
    items.sort_by(|a, b| a.at.cmp(&b.at));
    Ok(Json(Trail { person_id: id, items }))
}
