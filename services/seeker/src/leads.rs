//! What staff see of the answers: `GET /v1/leads` (the people who answered
//! 我感兴趣, and the 已经找到工作 tasks), one step from a lead to a referral,
//! closing a lead, and per job the counts of who was told, opened, was
//! interested and why it did not fit — counts only, never who.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use jobmatch_core::access::{list_scope, person_for, AgencyRows, NO_PERSON_RECORDS_FOR_PUBLISHERS};
use jobmatch_core::http::{page, JsonBody, ListQuery, QueryParams};
use jobmatch_core::records;
use jobmatch_core::validate::{read_body, Errors, Fields, RequestBody};
use jobmatch_core::{ApiError, ApiResult, AppState, Principal, Role};
use jobmatch_registry::agencies::referrals::{refer, Referral};
use serde::Serialize;
use utoipa::ToSchema;

use crate::answers::Reason;

pub const KINDS: &[&str] = &["interested", "found_work"];
pub const STATUSES: &[&str] = &["open", "referred", "closed"];

/// A job seeker's answer for staff to act on. Only ids: the person's
/// record is read through `/v1/persons/{id}` with the caller's own rights.
#[derive(Serialize, ToSchema, sqlx::FromRow)]
pub struct Lead {
    pub id: String,
    /// `interested` (我感兴趣: refer them) or `found_work` (已经找到工作: record the placement).
    pub kind: String,
    pub person_id: String,
    pub job_id: String,
    /// The person asked to be called (请工作人员联系我).
    #[sqlx(try_from = "i64")]
    #[schema(value_type = bool)]
    pub wants_contact: Flag,
    /// `open`, `referred` (with `referral_id`) or `closed` (with `closed_note`).
    pub status: String,
    pub referral_id: Option<String>,
    pub closed_note: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A 0/1 column as a boolean.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(transparent)]
pub struct Flag(pub bool);

impl From<i64> for Flag {
    fn from(v: i64) -> Flag {
        Flag(v != 0)
    }
}

#[derive(Serialize, ToSchema)]
pub struct LeadPage {
    pub items: Vec<Lead>,
    pub next_cursor: Option<String>,
}

const SELECT: &str = "SELECT id, kind, person_id, job_id, wants_contact, status, referral_id, closed_note, created_at,
    updated_at FROM leads";

/// Leads: admin all; staff those of people in their region; an agency those
/// of the people assigned to it (who consented to sharing). Default
/// `kind=interested`.
#[utoipa::path(get, path = "/v1/leads", tag = "seeker",
    params(("kind" = Option<String>, Query, description = "`interested` (default) or `found_work`"),
           ("status" = Option<String>, Query, description = "`open`, `referred` or `closed`"),
           ("person_id" = Option<String>, Query), ("job_id" = Option<String>, Query),
           ("limit" = Option<usize>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = LeadPage), (status = 400, body = jobmatch_core::error::Problem),
              (status = 403, body = jobmatch_core::error::Problem), (status = 429, body = jobmatch_core::error::Problem)),
    security(("bearer" = [])))]
pub async fn list_leads(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<LeadPage>> {
    caller.require(&[Role::Admin, Role::Staff, Role::Agency])?;
    caller.limit_agency_lists(&state)?;
    let mut errs = Errors::default();
    params.deny_unknown(&["kind", "status", "person_id", "job_id", "limit", "cursor"], &mut errs);
    let limit = params.limit(20, 200, &mut errs);
    let kind = params.one_of("kind", KINDS, &mut errs).unwrap_or_else(|| "interested".into());
    let status = params.one_of("status", STATUSES, &mut errs);
    let cursor = params.cursor(&mut errs);
    QueryParams::finish(errs)?;
    let mut list = ListQuery::default();
    let scope =
        list_scope(&state, &caller, list.binds(), "", AgencyRows::OfAssignedPeople, NO_PERSON_RECORDS_FOR_PUBLISHERS)?;
    list.condition(scope);
    list.equal("kind", Some(kind));
    list.equal("status", status);
    list.equal("person_id", params.get("person_id"));
    list.equal("job_id", params.get("job_id"));
    if let Some(after) = cursor {
        let mark = list.param(after);
        list.condition(format!("id > {mark}"));
    }
    let rows: Vec<Lead> = list.fetch(&state.db.pool, SELECT, "id", limit).await?;
    let (items, next_cursor) = page(rows, limit, |row| &row.id);
    Ok(Json(LeadPage { items, next_cursor }))
}

/// A lead the caller may act on: the same rule as the list. Else 404.
async fn visible(state: &AppState, caller: &Principal, id: &str) -> ApiResult<Lead> {
    caller.require(&[Role::Admin, Role::Staff, Role::Agency])?;
    let lead: Option<Lead> =
        sqlx::query_as(&format!("{SELECT} WHERE id = $1")).bind(id).fetch_optional(&state.db.pool).await?;
    let lead = lead.ok_or_else(ApiError::not_found)?;
    person_for(state, caller, &lead.person_id).await?;
    Ok(lead)
}

/// `{ note? }`
#[derive(ToSchema)]
pub struct LeadNote {
    /// 1–500 characters.
    pub note: Option<String>,
}

impl RequestBody for LeadNote {
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<LeadNote> {
        Some(LeadNote { note: f.string("note", false, 1, 500, errs) })
    }
}

#[derive(Serialize, ToSchema)]
pub struct LeadReferred {
    pub lead: Lead,
    pub referral: Referral,
}

/// Turn an open 我感兴趣 lead into a referral of the person to the job (the
/// same rules as `POST /v1/referrals`: staff of the person's region, their
/// agency, admin). 409 `lead_not_open` for a lead already acted on.
#[utoipa::path(post, path = "/v1/leads/{id}/referral", tag = "seeker",
    params(("id" = String, Path)), request_body = LeadNote,
    responses((status = 201, body = LeadReferred), (status = 404, body = jobmatch_core::error::Problem),
              (status = 409, body = jobmatch_core::error::Problem), (status = 422, body = jobmatch_core::error::Problem)),
    security(("bearer" = [])))]
pub async fn refer_lead(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<LeadReferred>)> {
    let LeadNote { note } = read_body(&body, &state)?;
    let lead = visible(&state, &caller, &id).await?;
    if lead.kind != "interested" || lead.status != "open" {
        return Err(ApiError::conflict("lead_not_open", "这条线索已经处理过（已推荐或已关闭）"));
    }
    let note = note.unwrap_or_else(|| "本人在短信页面回复：我感兴趣".into());
    let referral = refer(&state, &caller, &lead.job_id, &lead.person_id, Some(&note)).await?;
    sqlx::query(
        "UPDATE leads SET status = 'referred', referral_id = $1, updated_at = $2 WHERE id = $3 AND status = 'open'",
    )
    .bind(&referral.id)
    .bind(state.now_text())
    .bind(&id)
    .execute(&state.db.pool)
    .await?;
    let lead = visible(&state, &caller, &id).await?;
    Ok((StatusCode::CREATED, Json(LeadReferred { lead, referral })))
}

/// Close a lead (e.g. the placement of a 已经找到工作 task is recorded, or
/// the person could not be reached), with a note.
#[utoipa::path(post, path = "/v1/leads/{id}/close", tag = "seeker",
    params(("id" = String, Path)), request_body = LeadNote,
    responses((status = 200, body = Lead), (status = 404, body = jobmatch_core::error::Problem),
              (status = 409, body = jobmatch_core::error::Problem), (status = 422, body = jobmatch_core::error::Problem)),
    security(("bearer" = [])))]
pub async fn close_lead(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Lead>> {
    let LeadNote { note } = read_body(&body, &state)?;
    let lead = visible(&state, &caller, &id).await?;
    if lead.status != "open" {
        return Err(ApiError::conflict("lead_not_open", "这条线索已经处理过（已推荐或已关闭）"));
    }
    sqlx::query(
        "UPDATE leads SET status = 'closed', closed_note = $1, updated_at = $2 WHERE id = $3 AND status = 'open'",
    )
    .bind(note.unwrap_or_else(|| "已处理".into()))
    .bind(state.now_text())
    .bind(&id)
    .execute(&state.db.pool)
    .await?;
    Ok(Json(visible(&state, &caller, &id).await?))
}

/// The counts of each 不合适 reason.
#[derive(Serialize, ToSchema, Default)]
pub struct NotFitting {
    pub too_far: i64,
    pub low_pay: i64,
    pub bad_hours: i64,
    pub too_hard: i64,
    pub found_work: i64,
    pub other: i64,
}

/// How people answered a job's pushes: counts only.
#[derive(Serialize, ToSchema)]
pub struct JobResponses {
    pub job_id: String,
    /// People sent the job (inbox or SMS).
    pub told: i64,
    /// People who opened its page from their SMS link.
    pub opened: i64,
    /// People who answered 我感兴趣.
    pub interested: i64,
    pub not_fitting: NotFitting,
}

/// How the people told of a job answered: the publisher of the job, staff
/// of the job's region, admin. Counts only — never who.
#[utoipa::path(get, path = "/v1/jobs/{id}/responses", tag = "seeker",
    params(("id" = String, Path)),
    responses((status = 200, body = JobResponses), (status = 403, body = jobmatch_core::error::Problem),
              (status = 404, body = jobmatch_core::error::Problem)),
    security(("bearer" = [])))]
pub async fn job_responses(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<JobResponses>> {
    caller.require(&[Role::Admin, Role::Staff, Role::Publisher])?;
    let job = records::jobs::get(&state, &id).await?.ok_or_else(ApiError::not_found)?;
    let allowed = match caller.role {
        Role::Publisher => job.job.publisher_org_id == caller.org_id,
        _ => caller.covers_region(&state, &job.job.input.region_code),
    };
    if !allowed {
        return Err(ApiError::not_found());
    }
    let pool = &state.db.pool;
    let told: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT person_id) FROM notifications
         WHERE job_id = $1 AND channel IN ('inbox', 'sms') AND status = 'sent'",
    )
    .bind(&id)
    .fetch_one(pool)
    .await?;
    let opened: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM seeker_views WHERE job_id = $1").bind(&id).fetch_one(pool).await?;
    let answers: Vec<(String, Option<String>, i64)> =
        sqlx::query_as("SELECT answer, reason, COUNT(*) FROM seeker_answers WHERE job_id = $1 GROUP BY answer, reason")
            .bind(&id)
            .fetch_all(pool)
            .await?;
    let mut interested = 0;
    let mut not_fitting = NotFitting::default();
    for (answer, reason, n) in answers {
        match (answer.as_str(), reason.as_deref().and_then(Reason::parse)) {
            ("interested", _) => interested += n,
            (_, Some(Reason::TooFar)) => not_fitting.too_far += n,
            (_, Some(Reason::LowPay)) => not_fitting.low_pay += n,
            (_, Some(Reason::BadHours)) => not_fitting.bad_hours += n,
            (_, Some(Reason::TooHard)) => not_fitting.too_hard += n,
            (_, Some(Reason::FoundWork)) => not_fitting.found_work += n,
            (_, _) => not_fitting.other += n,
        }
    }
    Ok(Json(JobResponses { job_id: id, told, opened, interested, not_fitting }))
}
