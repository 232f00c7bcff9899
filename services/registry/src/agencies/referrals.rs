//! Referrals (推荐): an agency or staff refers a person to a job; the status
//! moves referred → contacted → interviewed → hired, or to rejected or
//! withdrawn from any open step. Each move is kept with time, actor and note;
//! a move the chain does not allow is 409. `hired` records the placement.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use jobmatch_core::domain::JobStatus;
use jobmatch_core::error::Problem;
use jobmatch_core::http::{page, JsonBody, ListQuery, QueryParams};
use jobmatch_core::records;
use jobmatch_core::validate::{read_body, schema_fields, Errors, Fields, RequestBody};
use jobmatch_core::{ApiError, ApiResult, AppState, Principal, Role};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::outcomes::placements::{self, NewPlacement};
use jobmatch_core::access::{list_scope, person_for, AgencyRows, NO_PERSON_RECORDS_FOR_PUBLISHERS};
use jobmatch_core::validate::read_date;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_referral, list_referrals))
        .routes(routes!(get_referral))
        .routes(routes!(move_referral))
}

pub const STATUSES: &[&str] = &["referred", "contacted", "interviewed", "hired", "rejected", "withdrawn"];

/// Whether a referral may move from `from` to `to`.
pub fn allowed(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("referred", "contacted")
            | ("contacted", "interviewed")
            | ("interviewed", "hired")
            | ("referred" | "contacted" | "interviewed", "rejected" | "withdrawn")
    )
}

#[derive(Serialize, ToSchema)]
pub struct ReferralStep {
    pub from: Option<String>,
    pub to: String,
    pub note: Option<String>,
    pub actor_org_id: String,
    pub at: String,
}

#[derive(Serialize, ToSchema)]
pub struct Referral {
    pub id: String,
    pub job_id: String,
    pub person_id: String,
    /// The agency that referred, when an agency did.
    pub agency_org_id: Option<String>,
    /// `referred`, `contacted`, `interviewed`, `hired`, `rejected` or `withdrawn`.
    pub status: String,
    pub note: Option<String>,
    /// The placement recorded when hired.
    pub placement_id: Option<String>,
    pub history: Vec<ReferralStep>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReferralPage {
    pub items: Vec<Referral>,
    pub next_cursor: Option<String>,
}

/// `{ job_id, person_id, note? }`
#[derive(ToSchema)]
pub struct ReferralCreate {
    pub job_id: String,
    pub person_id: String,
    /// 1–500 characters.
    pub note: Option<String>,
}

impl RequestBody for ReferralCreate {
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<ReferralCreate> {
        let job_id = f.string("job_id", true, 1, 100, errs);
        let person_id = f.string("person_id", true, 1, 100, errs);
        let note = f.string("note", false, 1, 500, errs);
        Some(ReferralCreate { job_id: job_id?, person_id: person_id?, note })
    }
}

/// `{ status, note?, placement? }`; `placement` only with `hired`.
#[derive(ToSchema)]
pub struct ReferralMove {
    /// The next step: `contacted`, `interviewed`, `hired`, `rejected` or `withdrawn`.
    pub status: String,
    pub note: Option<String>,
    pub placement: Option<HiredPlacement>,
}

/// What is known of the job a hired person took (all optional; the
/// employer defaults to the job's publisher).
#[derive(ToSchema)]
pub struct HiredPlacement {
    /// YYYY-MM-DD, not in the future.
    #[schema(value_type = Option<String>)]
    pub started_on: Option<NaiveDate>,
    pub employer_name: Option<String>,
    /// YYYY-MM-DD.
    #[schema(value_type = Option<String>)]
    pub contract_signed_on: Option<NaiveDate>,
    /// 0–120.
    pub social_insurance_months: Option<i64>,
}

impl RequestBody for ReferralMove {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<ReferralMove> {
        let status = f.one_of("status", true, &STATUSES[1..], errs);
        let note = f.string("note", false, 1, 500, errs);
        if f.present("placement") && status.as_deref() != Some("hired") {
            errs.add("placement", "only_when_hired", "只有录用（hired）时才填写就业信息");
        }
        let placement = f
            .object("placement", false, errs, |pf, errs| {
                let known = schema_fields::<HiredPlacement>();
                pf.deny_unknown(&known.iter().map(String::as_str).collect::<Vec<_>>(), errs);
                let started_on = read_date(&pf, "started_on", false, errs);
                if started_on.is_some_and(|d| d > state.today()) {
                    errs.add("placement.started_on", "in_future", "上岗日期不能晚于今天");
                }
                Some(HiredPlacement {
                    started_on,
                    employer_name: pf.string("employer_name", false, 1, 100, errs),
                    contract_signed_on: read_date(&pf, "contract_signed_on", false, errs),
                    social_insurance_months: pf.int("social_insurance_months", false, 0, 120, errs),
                })
            })
            .flatten();
        Some(ReferralMove { status: status?, note, placement })
    }
}

/// A `referrals` row as read with [`SELECT`].
#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    job_id: String,
    person_id: String,
    agency_org_id: Option<String>,
    status: String,
    note: Option<String>,
    created_at: String,
    updated_at: String,
}
const SELECT: &str = "SELECT id, job_id, person_id, agency_org_id, status, note, created_at, updated_at FROM referrals";

async fn load(state: &AppState, r: Row) -> ApiResult<Referral> {
    type StepRow = (Option<String>, String, Option<String>, String, String);
    let steps: Vec<StepRow> = sqlx::query_as(
        "SELECT from_status, to_status, note, actor_org_id, created_at FROM referral_events
         WHERE referral_id = $1 ORDER BY id",
    )
    .bind(&r.id)
    .fetch_all(&state.db.pool)
    .await?;
    let placement_id: Option<String> = sqlx::query_scalar("SELECT id FROM placements WHERE referral_id = $1 LIMIT 1")
        .bind(&r.id)
        .fetch_optional(&state.db.pool)
        .await?;
    Ok(Referral {
        id: r.id,
        job_id: r.job_id,
        person_id: r.person_id,
        agency_org_id: r.agency_org_id,
        status: r.status,
        note: r.note,
        placement_id,
        history: steps
            .into_iter()
            .map(|(from, to, note, actor_org_id, at)| ReferralStep { from, to, note, actor_org_id, at })
            .collect(),
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// A referral the caller may see: admin; staff of the person's region; the
/// referring agency while the person is still assigned to it. Else 404.
async fn visible(state: &AppState, caller: &Principal, id: &str) -> ApiResult<Row> {
    let row: Option<Row> =
        sqlx::query_as(&format!("{SELECT} WHERE id = $1")).bind(id).fetch_optional(&state.db.pool).await?;
    let row = row.ok_or_else(ApiError::not_found)?;
    if caller.role == Role::Agency && row.agency_org_id.as_deref() != Some(caller.org_id.as_str()) {
        return Err(ApiError::not_found());
    }
    person_for(state, caller, &row.person_id).await?;
    Ok(row)
}

/// Refer a person to a job (agency: its own people; staff: people of their region).
#[utoipa::path(post, path = "/v1/referrals", tag = "agencies", request_body = ReferralCreate,
    responses((status = 201, body = Referral), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)), security(("bearer" = [])))]
async fn create_referral(
    State(state): State<AppState>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Referral>)> {
    let ReferralCreate { job_id, person_id, note } = read_body(&body, &state)?;
    Ok((StatusCode::CREATED, Json(refer(&state, &caller, &job_id, &person_id, note.as_deref()).await?)))
}

/// Refer `person_id` to `job_id` as `caller` (agency: its own people; staff:
/// people of their region; admin): the one path of `POST /v1/referrals`
/// and of turning a job seeker's lead into a referral.
pub async fn refer(
    state: &AppState,
    caller: &Principal,
    job_id: &str,
    person_id: &str,
    note: Option<&str>,
) -> ApiResult<Referral> {
    caller.require(&[Role::Admin, Role::Staff, Role::Agency])?;
    person_for(state, caller, person_id).await?;
    let job = records::jobs::get(state, job_id).await?.ok_or_else(ApiError::not_found)?;
    if job.job.status != JobStatus::Open {
        return Err(ApiError::conflict("job_not_open", "岗位已关闭、招满或过期，不能推荐"));
    }
    let open: Option<String> = sqlx::query_scalar(
        "SELECT id FROM referrals WHERE job_id = $1 AND person_id = $2
         AND status IN ('referred', 'contacted', 'interviewed') LIMIT 1",
    )
    .bind(job_id)
    .bind(person_id)
    .fetch_optional(&state.db.pool)
    .await?;
    if let Some(existing) = open {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "already_referred",
            "已推荐",
            "该人员已被推荐到此岗位，推荐仍在进行中",
        )
        .with("referral_id", existing)
        .into());
    }
    let id = jobmatch_core::ids::new_id("ref");
    let now = state.now_text();
    let agency = (caller.role == Role::Agency).then(|| caller.org_id.clone());
    let mut tx = state.db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO referrals (id, job_id, person_id, agency_org_id, status, note, created_by_org, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'referred', $5, $6, $7, $7)",
    )
    .bind(&id)
    .bind(job_id)
    .bind(person_id)
    .bind(&agency)
    .bind(note)
    .bind(&caller.org_id)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    step(&mut tx, &id, None, "referred", note, caller, &now).await?;
    tx.commit().await?;
    let row = visible(state, caller, &id).await?;
    load(state, row).await
}

async fn step(
    conn: &mut sqlx::AnyConnection,
    referral_id: &str,
    from: Option<&str>,
    to: &str,
    note: Option<&str>,
    caller: &Principal,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO referral_events (referral_id, from_status, to_status, note, actor_key_id, actor_org_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(referral_id)
    .bind(from)
    .bind(to)
    .bind(note)
    .bind(&caller.key_id)
    .bind(&caller.org_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Read a referral with its history.
#[utoipa::path(get, path = "/v1/referrals/{id}", tag = "agencies", params(("id" = String, Path)),
    responses((status = 200, body = Referral), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get_referral(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Referral>> {
    let row = visible(&state, &caller, &id).await?;
    Ok(Json(load(&state, row).await?))
}

/// Move a referral. `hired` records a placement (channel `project` for an
/// agency's referral, `employer` otherwise) from the optional `placement`.
#[utoipa::path(post, path = "/v1/referrals/{id}/status", tag = "agencies", params(("id" = String, Path)),
    request_body = ReferralMove,
    responses((status = 200, body = Referral), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)), security(("bearer" = [])))]
async fn move_referral(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Referral>> {
    let row = visible(&state, &caller, &id).await?;
    let ReferralMove { status: to, note, placement } = read_body(&body, &state)?;
    let HiredPlacement {
        started_on: started,
        employer_name: employer,
        contract_signed_on: contract,
        social_insurance_months: months,
    } = placement.unwrap_or(HiredPlacement {
        started_on: None,
        employer_name: None,
        contract_signed_on: None,
        social_insurance_months: None,
    });
    if !allowed(&row.status, &to) {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "illegal_move",
            "推荐状态不能这样变更",
            format!("不能从 {} 变为 {}", row.status, to),
        )
        .with("current_status", row.status.clone())
        .into());
    }
    let now = state.now_text();
    let mut tx = state.db.pool.begin().await?;
    let done = sqlx::query("UPDATE referrals SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
        .bind(&to)
        .bind(&now)
        .bind(&id)
        .bind(&row.status)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::conflict("stale", "推荐状态已被他人变更，请刷新后重试"));
    }
    step(&mut tx, &id, Some(&row.status), &to, note.as_deref(), &caller, &now).await?;
    if to == "hired" {
        let agreement_id: Option<String> = match &row.agency_org_id {
            Some(agency) => sqlx::query_scalar(
                "SELECT agreement_id FROM assignments WHERE person_id = $1 AND agency_org_id = $2 AND ended_at IS NULL",
            )
            .bind(&row.person_id)
            .bind(agency)
            .fetch_optional(&mut *tx)
            .await?,
            None => None,
        };
        let employer = match employer {
            Some(e) => Some(e),
            None => {
                sqlx::query_scalar("SELECT o.name FROM jobs j JOIN orgs o ON o.id = j.publisher_org_id WHERE j.id = $1")
                    .bind(&row.job_id)
                    .fetch_optional(&mut *tx)
                    .await?
            }
        };
        let np = NewPlacement {
            person_id: row.person_id.clone(),
            channel: if row.agency_org_id.is_some() { "project" } else { "employer" }.into(),
            started_on: started.unwrap_or_else(|| state.today()),
            job_id: Some(row.job_id.clone()),
            employer_name: employer,
            agency_org_id: row.agency_org_id.clone(),
            agreement_id,
            referral_id: Some(id.clone()),
            contract_signed_on: contract,
            social_insurance_months: months,
            supersedes: None,
        };
        placements::insert(&mut tx, &state, &np, &caller).await?;
    }
    tx.commit().await?;
    let row = visible(&state, &caller, &id).await?;
    Ok(Json(load(&state, row).await?))
}

/// Referrals: admin all; staff those of people in their region; an agency
/// its own referrals of its current people (rate limited per key).
#[utoipa::path(get, path = "/v1/referrals", tag = "agencies",
    params(("person_id" = Option<String>, Query), ("job_id" = Option<String>, Query), ("status" = Option<String>, Query),
           ("limit" = Option<usize>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ReferralPage), (status = 400, body = Problem), (status = 429, body = Problem)),
    security(("bearer" = [])))]
async fn list_referrals(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<ReferralPage>> {
    caller.require(&[Role::Admin, Role::Staff, Role::Agency])?;
    caller.limit_agency_lists(&state)?;
    let mut errs = Errors::default();
    params.deny_unknown(&["person_id", "job_id", "status", "limit", "cursor"], &mut errs);
    let limit = params.limit(20, 200, &mut errs);
    let status = params.one_of("status", STATUSES, &mut errs);
    let cursor = params.cursor(&mut errs);
    QueryParams::finish(errs)?;
    let mut list = ListQuery::default();
    let scope =
        list_scope(&state, &caller, list.binds(), "", AgencyRows::OfCurrentPeople, NO_PERSON_RECORDS_FOR_PUBLISHERS)?;
    list.condition(scope);
    list.equal("person_id", params.get("person_id"));
    list.equal("job_id", params.get("job_id"));
    list.equal("status", status);
    if let Some(after) = cursor {
        let mark = list.param(after);
        list.condition(format!("id > {mark}"));
    }
    let rows: Vec<Row> = list.fetch(&state.db.pool, SELECT, "id", limit).await?;
    let (rows, next_cursor) = page(rows, limit, |row| &row.id);
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(load(&state, row).await?);
    }
    Ok(Json(ReferralPage { items, next_cursor }))
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn the_chain_moves_forward_one_step_or_ends() {
        assert!(allowed("referred", "contacted"));
        assert!(allowed("interviewed", "hired"));
        assert!(allowed("contacted", "withdrawn"));
        assert!(!allowed("referred", "hired"));
        assert!(!allowed("hired", "rejected"));
        assert!(!allowed("rejected", "contacted"));
        assert!(!allowed("contacted", "referred"));
    }
}
