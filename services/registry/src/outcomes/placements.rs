//! `POST /v1/placements`: a person into work through one channel. A
//! placement sets the person's employment status; its end (job lost) puts
//! the person back to unemployed, so matching and push take them up again.
//! History is never edited: a correction is a new placement that
//! `supersedes` the wrong one, which stays on record.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use jobmatch_core::domain::EmploymentStatus;
use jobmatch_core::error::{FieldError, Problem};
use jobmatch_core::http::{page, JsonBody, ListQuery, QueryParams};
use jobmatch_core::records::persons;
use jobmatch_core::validate::{finish_body, read_body_partly, sent_text, Errors, Fields, RequestBody};
use jobmatch_core::{ApiError, ApiResult, AppState, Principal, Role};
use serde::Serialize;
use sqlx::AnyConnection;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::persons::store::{self as person_store, Actor, Updated};
use jobmatch_core::access::{list_scope, person_for, AgencyRows, NO_PERSON_RECORDS_FOR_PUBLISHERS};
use jobmatch_core::validate::read_date;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_placement, list_placements))
        .routes(routes!(end_placement))
        .routes(routes!(report_insurance))
}

/// The channels of the progress report (DOMAIN.md), as API codes.
pub const CHANNELS: &[&str] = &["flexible", "employer", "self_employed", "public_welfare", "project"];

/// The employment status a placement in `channel` gives.
pub fn status_for(channel: &str) -> EmploymentStatus {
    match channel {
        "flexible" => EmploymentStatus::Flexible,
        "self_employed" => EmploymentStatus::SelfEmployed,
        "public_welfare" => EmploymentStatus::PublicWelfare,
        _ => EmploymentStatus::Employed,
    }
}

#[derive(Clone, Debug)]
pub struct NewPlacement {
    pub person_id: String,
    pub channel: String,
    pub started_on: NaiveDate,
    pub job_id: Option<String>,
    pub employer_name: Option<String>,
    pub agency_org_id: Option<String>,
    pub agreement_id: Option<String>,
    pub referral_id: Option<String>,
    pub contract_signed_on: Option<NaiveDate>,
    pub social_insurance_months: Option<i64>,
    pub supersedes: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Placement {
    pub id: String,
    pub person_id: String,
    /// `flexible`, `employer`, `self_employed`, `public_welfare` or `project`.
    pub channel: String,
    pub started_on: String,
    pub ended_on: Option<String>,
    pub job_id: Option<String>,
    pub employer_name: Option<String>,
    pub agency_org_id: Option<String>,
    pub agreement_id: Option<String>,
    pub referral_id: Option<String>,
    pub contract_signed_on: Option<String>,
    /// The latest months of social insurance reported.
    pub social_insurance_months: i64,
    /// The placement this one corrects.
    pub supersedes: Option<String>,
    /// Set when a later placement corrects this one.
    pub superseded_by: Option<String>,
    /// The county-level reporting unit the person was filed under when placed.
    pub unit_code: Option<String>,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct PlacementPage {
    pub items: Vec<Placement>,
    pub next_cursor: Option<String>,
}

/// A `placements` row as read with [`SELECT`], with its insurance months and successor.
#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    person_id: String,
    channel: String,
    started_on: String,
    ended_on: Option<String>,
    job_id: Option<String>,
    employer_name: Option<String>,
    agency_org_id: Option<String>,
    agreement_id: Option<String>,
    referral_id: Option<String>,
    contract_signed_on: Option<String>,
    supersedes: Option<String>,
    unit_code: Option<String>,
    created_at: String,
    social_insurance_months: i64,
    superseded_by: Option<String>,
}
const SELECT: &str = "SELECT p.id, p.person_id, p.channel, p.started_on, p.ended_on, p.job_id, p.employer_name,
    p.agency_org_id, p.agreement_id, p.referral_id, p.contract_signed_on, p.supersedes, p.unit_code, p.created_at,
    COALESCE((SELECT MAX(i.months) FROM insurance_reports i WHERE i.placement_id = p.id), 0) AS social_insurance_months,
    (SELECT MIN(c.id) FROM placements c WHERE c.supersedes = p.id) AS superseded_by
    FROM placements p";

fn from_row(r: Row) -> Placement {
    Placement {
        id: r.id,
        person_id: r.person_id,
        channel: r.channel,
        started_on: r.started_on,
        ended_on: r.ended_on,
        job_id: r.job_id,
        employer_name: r.employer_name,
        agency_org_id: r.agency_org_id,
        agreement_id: r.agreement_id,
        referral_id: r.referral_id,
        contract_signed_on: r.contract_signed_on,
        supersedes: r.supersedes,
        unit_code: r.unit_code,
        created_at: r.created_at,
        social_insurance_months: r.social_insurance_months,
        superseded_by: r.superseded_by,
    }
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Placement>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE p.id = $1")).bind(id).fetch_optional(conn).await?;
    Ok(row.map(from_row))
}

/// Set the person's employment status from their placements: the latest
/// placement in force decides; with none in force the person is unemployed.
pub async fn refresh_status(
    conn: &mut AnyConnection,
    state: &AppState,
    person_id: &str,
    caller: &Principal,
) -> ApiResult<()> {
    let day = state.today().to_string();
    let channel: Option<String> = sqlx::query_scalar(
        "SELECT channel FROM placements p WHERE person_id = $1 AND started_on <= $2
           AND (ended_on IS NULL OR ended_on >= $2)
           AND NOT EXISTS (SELECT 1 FROM placements c WHERE c.supersedes = p.id)
         ORDER BY started_on DESC, id DESC LIMIT 1",
    )
    .bind(person_id)
    .bind(&day)
    .fetch_optional(&mut *conn)
    .await?;
    let status = channel.as_deref().map(status_for).unwrap_or(EmploymentStatus::Unemployed);
    let current =
        persons::get(&mut *conn, person_id).await?.ok_or_else(|| anyhow::anyhow!("person {person_id} vanished"))?;
    if current.profile.employment_status == status {
        return Ok(());
    }
    let mut profile = current.profile.clone();
    profile.employment_status = status;
    let actor = Actor { source: "placement".into(), ..Actor::staff(caller) };
    match person_store::update(conn, state, &current, &profile, None, &actor).await? {
        Updated::Stale => Err(ApiError::conflict("stale", "人员记录刚被他人修改，请重试")),
        _ => Ok(()),
    }
}

/// How far ahead a start date may lie (a job agreed, starting next month).
const MAX_DAYS_AHEAD: i64 = 31;

/// Insert a placement in the caller's transaction and update the person.
pub async fn insert(
    conn: &mut AnyConnection,
    state: &AppState,
    np: &NewPlacement,
    caller: &Principal,
) -> ApiResult<String> {
    let record = persons::get(&mut *conn, &np.person_id).await?.ok_or_else(|| anyhow::anyhow!("person vanished"))?;
    let place = state.regions.placement(&record.profile.region_code);
    let id = jobmatch_core::ids::new_id("plc");
    let now = state.now_text();
    sqlx::query(
        "INSERT INTO placements (id, person_id, channel, started_on, job_id, employer_name, agency_org_id, agreement_id,
             referral_id, contract_signed_on, supersedes, region_code, unit_code, street_code, county_code,
             actor_key_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(&id)
    .bind(&np.person_id)
    .bind(&np.channel)
    .bind(np.started_on.to_string())
    .bind(&np.job_id)
    .bind(&np.employer_name)
    .bind(&np.agency_org_id)
    .bind(&np.agreement_id)
    .bind(&np.referral_id)
    .bind(np.contract_signed_on.map(|d| d.to_string()))
    .bind(&np.supersedes)
    .bind(&record.profile.region_code)
    .bind(&place.unit_code)
    .bind(&place.street_code)
    .bind(&place.county_code)
    .bind(&caller.key_id)
    .bind(&now)
    .execute(&mut *conn)
    .await?;
    jobmatch_core::memo::records_changed(&mut *conn).await?;
    if let Some(m) = np.social_insurance_months.filter(|m| *m > 0) {
        insert_insurance(conn, &id, m, state.today(), caller, &now).await?;
    }
    refresh_status(conn, state, &np.person_id, caller).await?;
    tracing::info!(placement_id = %id, channel = %np.channel, "placement recorded");
    Ok(id)
}

async fn insert_insurance(
    conn: &mut AnyConnection,
    placement_id: &str,
    months: i64,
    on: NaiveDate,
    caller: &Principal,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO insurance_reports (placement_id, months, reported_on, actor_key_id, actor_org_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(placement_id)
    .bind(months)
    .bind(on.to_string())
    .bind(&caller.key_id)
    .bind(&caller.org_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The `POST /v1/placements` request.
#[derive(ToSchema)]
pub struct PlacementCreate {
    pub person_id: String,
    /// `flexible`, `employer`, `self_employed`, `public_welfare` or `project`.
    pub channel: String,
    /// YYYY-MM-DD: from the person's 16th birthday to 31 days ahead.
    #[schema(value_type = String)]
    pub started_on: NaiveDate,
    pub job_id: Option<String>,
    pub employer_name: Option<String>,
    /// Required for `project` when staff record it.
    pub agency_org_id: Option<String>,
    /// YYYY-MM-DD.
    #[schema(value_type = Option<String>)]
    pub contract_signed_on: Option<NaiveDate>,
    /// 0–120.
    pub social_insurance_months: Option<i64>,
    /// The id of a placement this one corrects.
    pub supersedes: Option<String>,
}

impl RequestBody for PlacementCreate {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<PlacementCreate> {
        let person_id = f.string("person_id", true, 1, 100, errs);
        let channel = f.one_of("channel", true, CHANNELS, errs);
        let started_on = read_date(f, "started_on", true, errs);
        if started_on.is_some_and(|d| d > state.today() + chrono::Duration::days(MAX_DAYS_AHEAD)) {
            errs.add("started_on", "too_far_ahead", format!("上岗日期最多可晚于今天 {MAX_DAYS_AHEAD} 天"));
        }
        let job_id = f.string("job_id", false, 1, 100, errs);
        let employer_name = f.string("employer_name", false, 1, 100, errs);
        let agency_org_id = f.string("agency_org_id", false, 1, 100, errs);
        let contract_signed_on = read_date(f, "contract_signed_on", false, errs);
        let social_insurance_months = f.int("social_insurance_months", false, 0, 120, errs);
        let supersedes = f.string("supersedes", false, 1, 100, errs);
        Some(PlacementCreate {
            person_id: person_id?,
            channel: channel?,
            started_on: started_on?,
            job_id,
            employer_name,
            agency_org_id,
            contract_signed_on,
            social_insurance_months,
            supersedes,
        })
    }
}

/// Record a placement (admin, staff of the person's region; an agency for
/// its own people, channel `project`).
#[utoipa::path(post, path = "/v1/placements", tag = "outcomes", request_body = PlacementCreate,
    responses((status = 201, body = Placement), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)), security(("bearer" = [])))]
async fn create_placement(
    State(state): State<AppState>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Placement>)> {
    caller.require(&[Role::Admin, Role::Staff, Role::Agency])?;
    let (read, mut errs) = read_body_partly::<PlacementCreate>(&body, &state);
    // Who may record what, and what must exist in the store.
    let channel = sent_text(&body, "channel", &errs);
    let mut agency = sent_text(&body, "agency_org_id", &errs).map(str::to_string);
    if caller.role == Role::Agency {
        if channel.is_some_and(|c| c != "project") {
            errs.add("channel", "agency_project_only", "机构只能登记合作项目（project）渠道的就业");
        }
        if agency.as_deref().is_some_and(|a| a != caller.org_id) {
            errs.add("agency_org_id", "not_yours", "只能登记本机构的就业结果");
        }
        agency = Some(caller.org_id.clone());
    }
    if channel == Some("project") && agency.is_none() {
        errs.add("agency_org_id", "required", "合作项目渠道须填写人力资源服务机构");
    }
    if let Some(a) = &agency {
        let kind: Option<String> =
            sqlx::query_scalar("SELECT kind FROM orgs WHERE id = $1").bind(a).fetch_optional(&state.db.pool).await?;
        if kind.as_deref() != Some("hr_agency") {
            errs.add("agency_org_id", "not_an_agency", "应为已登记的人力资源服务机构");
        }
    }
    if let Some(job) = sent_text(&body, "job_id", &errs) {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE id = $1").bind(job).fetch_one(&state.db.pool).await?;
        if n == 0 {
            errs.add("job_id", "unknown_job", "岗位不存在");
        }
    }
    let input = finish_body(read, errs)?;
    let mut np = NewPlacement {
        person_id: input.person_id,
        channel: input.channel,
        started_on: input.started_on,
        job_id: input.job_id,
        employer_name: input.employer_name,
        agency_org_id: agency,
        agreement_id: None,
        referral_id: None,
        contract_signed_on: input.contract_signed_on,
        social_insurance_months: input.social_insurance_months,
        supersedes: input.supersedes,
    };
    let person = person_for(&state, &caller, &np.person_id).await?;
    let sixteen = NaiveDate::parse_from_str(&person.birth_date, "%Y-%m-%d")
        .ok()
        .and_then(|b| b.checked_add_months(chrono::Months::new(16 * 12)));
    if sixteen.is_some_and(|d| np.started_on < d) {
        return Err(ApiError::validation(vec![FieldError::new(
            "started_on",
            "before_working_age",
            "上岗日期早于本人年满 16 周岁之日",
        )]));
    }
    if let Some(a) = &np.agency_org_id {
        np.agreement_id = sqlx::query_scalar(
            "SELECT agreement_id FROM assignments WHERE person_id = $1 AND agency_org_id = $2 AND ended_at IS NULL",
        )
        .bind(&np.person_id)
        .bind(a)
        .fetch_optional(&state.db.pool)
        .await?;
    }
    let unknown =
        || ApiError::validation(vec![FieldError::new("supersedes", "unknown_placement", "要更正的就业记录不存在")]);
    if let Some(old) = &np.supersedes {
        // Only a placement the caller may see, and for an agency only one
        // its own organisation recorded, may be corrected; anything else is
        // answered as if it did not exist.
        visible(&state, &caller, old).await.map_err(|_| unknown())?;
        if caller.role == Role::Agency {
            let author: Option<String> = sqlx::query_scalar(
                "SELECT k.org_id FROM placements pl JOIN api_keys k ON k.id = pl.actor_key_id WHERE pl.id = $1",
            )
            .bind(old)
            .fetch_optional(&state.db.pool)
            .await?;
            if author.as_deref() != Some(caller.org_id.as_str()) {
                return Err(unknown());
            }
        }
    }
    let mut tx = state.db.pool.begin().await?;
    if let Some(old) = &np.supersedes {
        let prev = get(&mut tx, old).await?;
        match prev {
            Some(prev) if prev.person_id == np.person_id && prev.superseded_by.is_none() => {}
            Some(prev) if prev.person_id == np.person_id => {
                return Err(ApiError::conflict("already_corrected", "该记录已被更正过，请更正最新的记录"));
            }
            _ => return Err(unknown()),
        }
    }
    let id = insert(&mut tx, &state, &np, &caller).await?;
    let created = get(&mut tx, &id).await?.ok_or_else(|| anyhow::anyhow!("placement vanished"))?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// A placement the caller may see: its person must be theirs; an agency
/// only its own placements.
async fn visible(state: &AppState, caller: &Principal, id: &str) -> ApiResult<Placement> {
    let pl = get(&mut *state.db.pool.acquire().await?, id).await?.ok_or_else(ApiError::not_found)?;
    if caller.role == Role::Agency && pl.agency_org_id.as_deref() != Some(caller.org_id.as_str()) {
        return Err(ApiError::not_found());
    }
    person_for(state, caller, &pl.person_id).await?;
    Ok(pl)
}

/// `{ ended_on, reason? }`
#[derive(ToSchema)]
pub struct PlacementEnd {
    /// YYYY-MM-DD, not in the future nor before the start.
    #[schema(value_type = String)]
    pub ended_on: NaiveDate,
    /// 1–200 characters.
    pub reason: Option<String>,
}

impl RequestBody for PlacementEnd {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<PlacementEnd> {
        let ended_on = read_date(f, "ended_on", true, errs);
        if ended_on.is_some_and(|d| d > state.today()) {
            errs.add("ended_on", "in_future", "离岗日期不能晚于今天");
        }
        let reason = f.string("reason", false, 1, 200, errs);
        Some(PlacementEnd { ended_on: ended_on?, reason })
    }
}

/// The person left this work (job lost): they are unemployed again unless
/// another placement holds, and matching and push take them up again.
#[utoipa::path(post, path = "/v1/placements/{id}/end", tag = "outcomes", params(("id" = String, Path)),
    request_body = PlacementEnd,
    responses((status = 200, body = Placement), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)), security(("bearer" = [])))]
async fn end_placement(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Placement>> {
    let pl = visible(&state, &caller, &id).await?;
    let (read, mut errs) = read_body_partly::<PlacementEnd>(&body, &state);
    if read.as_ref().is_some_and(|end| end.ended_on.to_string() < pl.started_on) {
        errs.add("ended_on", "before_start", "离岗日期不能早于上岗日期");
    }
    let ended = finish_body(read, errs)?.ended_on;
    if pl.ended_on.is_some() || pl.superseded_by.is_some() {
        return Err(ApiError::conflict("already_ended", "该就业记录已结束或已被更正"));
    }
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("UPDATE placements SET ended_on = $1 WHERE id = $2 AND ended_on IS NULL")
        .bind(ended.to_string())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    jobmatch_core::memo::records_changed(&mut tx).await?;
    refresh_status(&mut tx, &state, &pl.person_id, &caller).await?;
    let after = get(&mut tx, &id).await?.ok_or_else(|| anyhow::anyhow!("placement vanished"))?;
    tx.commit().await?;
    Ok(Json(after))
}

/// `{ months, reported_on? }`
#[derive(ToSchema)]
pub struct InsuranceReport {
    /// Months of social insurance paid so far, 1–120 (never fewer than reported before).
    pub months: i64,
    /// YYYY-MM-DD, not in the future; default today.
    #[schema(value_type = Option<String>)]
    pub reported_on: Option<NaiveDate>,
}

impl RequestBody for InsuranceReport {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<InsuranceReport> {
        let months = f.int("months", true, 1, 120, errs);
        let reported_on = read_date(f, "reported_on", false, errs);
        if reported_on.is_some_and(|d| d > state.today()) {
            errs.add("reported_on", "in_future", "日期不能晚于今天");
        }
        Some(InsuranceReport { months: months?, reported_on })
    }
}

/// Report the social-insurance months of a placement as they accrue (its
/// agency, staff, admin).
#[utoipa::path(post, path = "/v1/placements/{id}/insurance", tag = "outcomes", params(("id" = String, Path)),
    request_body = InsuranceReport,
    responses((status = 200, body = Placement), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn report_insurance(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Placement>> {
    let pl = visible(&state, &caller, &id).await?;
    let (read, mut errs) = read_body_partly::<InsuranceReport>(&body, &state);
    if read.as_ref().is_some_and(|report| report.months < pl.social_insurance_months) {
        errs.add("months", "decreasing", format!("已报 {} 个月，不能减少", pl.social_insurance_months));
    }
    let InsuranceReport { months, reported_on: on } = finish_body(read, errs)?;
    let mut tx = state.db.pool.begin().await?;
    insert_insurance(&mut tx, &id, months, on.unwrap_or_else(|| state.today()), &caller, &state.now_text()).await?;
    let after = get(&mut tx, &id).await?.ok_or_else(|| anyhow::anyhow!("placement vanished"))?;
    tx.commit().await?;
    Ok(Json(after))
}

/// Placements: admin all, staff their region's people, an agency its own.
#[utoipa::path(get, path = "/v1/placements", tag = "outcomes",
    params(("person_id" = Option<String>, Query), ("agency_org_id" = Option<String>, Query),
           ("channel" = Option<String>, Query), ("limit" = Option<usize>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = PlacementPage), (status = 400, body = Problem), (status = 429, body = Problem)),
    security(("bearer" = [])))]
async fn list_placements(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<PlacementPage>> {
    caller.require(&[Role::Admin, Role::Staff, Role::Agency])?;
    caller.limit_agency_lists(&state)?;
    let mut errs = Errors::default();
    params.deny_unknown(&["person_id", "agency_org_id", "channel", "limit", "cursor"], &mut errs);
    let limit = params.limit(20, 200, &mut errs);
    let channel = params.one_of("channel", CHANNELS, &mut errs);
    let cursor = params.cursor(&mut errs);
    QueryParams::finish(errs)?;
    let mut list = ListQuery::default();
    let scope =
        list_scope(&state, &caller, list.binds(), "p", AgencyRows::OfCurrentPeople, NO_PERSON_RECORDS_FOR_PUBLISHERS)?;
    list.condition(scope);
    list.equal("p.person_id", params.get("person_id"));
    list.equal("p.agency_org_id", params.get("agency_org_id"));
    list.equal("p.channel", channel);
    if let Some(after) = cursor {
        let mark = list.param(after);
        list.condition(format!("p.id > {mark}"));
    }
    let rows: Vec<Row> = list.fetch(&state.db.pool, SELECT, "p.id", limit).await?;
    let items: Vec<Placement> = rows.into_iter().map(from_row).collect();
    let (items, next_cursor) = page(items, limit, |x| &x.id);
    Ok(Json(PlacementPage { items, next_cursor }))
}
