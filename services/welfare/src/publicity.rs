//! The 公示 of the chosen candidates for a configurable number of working
//! days, objections and their resolution, registration as employed
//! (就业登记) when the period ends clean, filings (备案) for a second
//! placement, and the staff worklist.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{Duration, NaiveDate};
use jobmatch_core::calendar::NotCovered;
use jobmatch_core::error::{FieldError, Problem};
use jobmatch_core::http::{JsonBody, QueryParams};
use jobmatch_core::ids::new_id;
use jobmatch_core::records::persons;
use jobmatch_core::time::local_day;
use jobmatch_core::validate::{finish_body, read_body, read_body_partly, read_date, Errors, Fields, RequestBody};
use jobmatch_core::{access::person_for, ApiError, ApiResult, AppState, Principal, Role};
use jobmatch_registry::outcomes::placements::{self, NewPlacement};
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::announcements::{announcement_for, applications_where, placeable, Announcement, Application};
use crate::limits::{repeat_grounds, subsidy_period};
use crate::log;
use crate::positions;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_publicity))
        .routes(routes!(get_publicity))
        .routes(routes!(create_objection))
        .routes(routes!(resolve_objection))
        .routes(routes!(register))
        .routes(routes!(create_filing))
        .routes(routes!(list_registrations))
        .routes(routes!(worklist))
}

fn not_covered(field: &str, NotCovered(year): NotCovered) -> FieldError {
    FieldError::new(
        field,
        "calendar_not_covered",
        format!("工作日历中没有 {year} 年的节假日安排，也无法暂定：请管理员在工作日历（/console/calendar）中录入"),
    )
}

#[derive(Serialize, ToSchema)]
pub struct Publicity {
    pub id: String,
    pub announcement_id: String,
    pub starts_on: String,
    /// The last day objections are taken.
    pub ends_on: String,
    /// `ends_on` is provisional (暂定): counted on the provisional calendar
    /// for a year whose holiday notice is not entered yet; settled when it
    /// is (the later end, never an earlier one).
    pub provisional: bool,
    /// Working days from start to end.
    pub working_days: i64,
    /// How to object (who, where, phone), as posted.
    pub how_to_object: String,
    /// `open` or `registered`.
    pub state: String,
    /// The applications listed.
    pub application_ids: Vec<String>,
    /// The public page.
    pub public_url: String,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct PublicityRow {
    pub id: String,
    pub announcement_id: String,
    pub starts_on: String,
    pub ends_on: String,
    pub working_days: i64,
    pub how_to_object: String,
    pub state: String,
    pub created_at: String,
    pub provisional: i64,
}

pub(crate) const PUBLICITY_SELECT: &str = "SELECT id, announcement_id, starts_on, ends_on, working_days, how_to_object,
    state, created_at, provisional FROM welfare_publicities";

pub(crate) async fn publicity_row(conn: &mut AnyConnection, id: &str) -> Result<Option<PublicityRow>, sqlx::Error> {
    sqlx::query_as(&format!("{PUBLICITY_SELECT} WHERE id = $1")).bind(id).fetch_optional(conn).await
}

/// A 公示 counted on the provisional calendar, settled once its years are
/// entered: its end becomes the later of the provisional one and the one
/// the entered calendar gives — a 公示 is never shortened (a notice may
/// give more days off than the provisional rule took), only lengthened.
/// Read back as it then stands.
pub(crate) async fn settled(state: &AppState, r: PublicityRow) -> ApiResult<PublicityRow> {
    if r.provisional == 0 {
        return Ok(r);
    }
    let (Ok(start), Ok(end)) =
        (NaiveDate::parse_from_str(&r.starts_on, "%Y-%m-%d"), NaiveDate::parse_from_str(&r.ends_on, "%Y-%m-%d"))
    else {
        return Ok(r);
    };
    let calendar = state.calendar().await?;
    let Ok(real) = calendar.end_of_working_days(start, r.working_days.max(1) as u32) else { return Ok(r) };
    if !calendar.covers(start, end.max(real)) {
        return Ok(r);
    }
    let ends_on = end.max(real).to_string();
    let mut conn = state.db.pool.acquire().await?;
    sqlx::query("UPDATE welfare_publicities SET ends_on = $1, provisional = 0 WHERE id = $2 AND provisional = 1")
        .bind(&ends_on)
        .bind(&r.id)
        .execute(&mut *conn)
        .await?;
    if ends_on != r.ends_on {
        tracing::info!(publicity_id = %r.id, from = %r.ends_on, to = %ends_on, "provisional 公示 end settled later");
    }
    publicity_row(&mut conn, &r.id).await?.ok_or_else(ApiError::not_found)
}

/// The applications a 公示 lists (publicised, registered, or removed after an objection).
pub(crate) async fn listed(conn: &mut AnyConnection, publicity_id: &str) -> Result<Vec<Application>, sqlx::Error> {
    applications_where(conn, "publicity_id = $1", publicity_id).await
}

async fn publicity_from(conn: &mut AnyConnection, r: PublicityRow) -> Result<Publicity, sqlx::Error> {
    let apps = listed(conn, &r.id).await?;
    Ok(Publicity {
        application_ids: apps.into_iter().map(|a| a.id).collect(),
        public_url: format!("/public/welfare/publicities/{}", r.id),
        id: r.id,
        announcement_id: r.announcement_id,
        starts_on: r.starts_on,
        ends_on: r.ends_on,
        provisional: r.provisional != 0,
        working_days: r.working_days,
        how_to_object: r.how_to_object,
        state: r.state,
        created_at: r.created_at,
    })
}

/// A 公示 the caller may act on (through its announcement's position,
/// the announcement coming with it), or 404.
async fn publicity_for(state: &AppState, caller: &Principal, id: &str) -> ApiResult<(PublicityRow, Announcement)> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let row = publicity_row(&mut *state.db.pool.acquire().await?, id).await?.ok_or_else(ApiError::not_found)?;
    let (a, _) = announcement_for(state, caller, &row.announcement_id).await?;
    Ok((settled(state, row).await?, a))
}

/// `{ starts_on, ends_on?, how_to_object }`
#[derive(ToSchema)]
pub struct PublicityCreate {
    /// YYYY-MM-DD.
    #[schema(value_type = String)]
    pub starts_on: NaiveDate,
    /// YYYY-MM-DD; default: the end of the policy's working days (5). When
    /// given, not before the start and not shorter than those working days.
    #[schema(value_type = Option<String>)]
    pub ends_on: Option<NaiveDate>,
    /// Who takes objections, where and by which phone, 5–300 characters.
    pub how_to_object: String,
}

impl RequestBody for PublicityCreate {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<PublicityCreate> {
        let starts_on = read_date(f, "starts_on", true, errs);
        let ends_on = read_date(f, "ends_on", false, errs);
        if let (Some(s), Some(e)) = (starts_on, ends_on) {
            if e < s {
                errs.add("ends_on", "before_start", "公示结束日期不能早于开始日期");
            }
        }
        let how_to_object = f.string("how_to_object", true, 5, 300, errs);
        let horizon = state.policy.public_welfare.publicity_horizon_days;
        if starts_on.is_some_and(|s| s > state.today() + Duration::days(horizon)) {
            errs.add("starts_on", "too_far_ahead", format!("公示开始日期最多可晚于今天 {horizon} 天"));
        }
        // A 公示 is public for its whole period: it cannot have begun before
        // the day it is posted.
        if starts_on.is_some_and(|s| s < state.today()) {
            errs.add("starts_on", "before_today", "公示开始日期不能早于今天：公示须从发布之日起完整公开");
        }
        Some(PublicityCreate { starts_on: starts_on?, ends_on, how_to_object: how_to_object? })
    }
}

/// Post the chosen candidates of an announcement publicly (公示): every
/// application `selected` and not yet publicised is listed.
#[utoipa::path(post, path = "/v1/welfare/announcements/{id}/publicity", tag = "welfare",
    params(("id" = String, Path)), request_body = PublicityCreate,
    responses((status = 201, body = Publicity), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)), security(("bearer" = [])))]
async fn create_publicity(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Publicity>)> {
    let (a, _) = announcement_for(&state, &caller, &id).await?;
    let (read, mut errs) = read_body_partly::<PublicityCreate>(&body, &state);
    let published_on = a.published_at.as_deref().and_then(local_day);
    if let (Some(input), Some(published)) = (&read, published_on) {
        if input.starts_on < published {
            errs.add(
                "starts_on",
                "before_announcement",
                format!("公示开始日期不能早于招聘公告发布之日（{published}）"),
            );
        }
    }
    let days = state.policy.public_welfare.publicity_working_days;
    let calendar = state.calendar().await?;
    let mut span = None;
    if let Some(input) = &read {
        // A year whose notice is not entered yet is counted provisionally
        // (暂定), never refused: recruitment does not stop at a year's end.
        let end = match input.ends_on {
            Some(e) => match calendar.working_days_between_provisional(input.starts_on, e) {
                Ok((n, _)) if n < days => {
                    errs.add("ends_on", "too_short", format!("公示期不少于 {days} 个工作日（此期间只有 {n} 个）"));
                    None
                }
                Ok((n, provisional)) => Some((e, n, provisional)),
                Err(nc) => {
                    errs.0.push(not_covered("ends_on", nc));
                    None
                }
            },
            None => match calendar.end_of_working_days_provisional(input.starts_on, days) {
                Ok((e, provisional)) => Some((e, days, provisional)),
                Err(nc) => {
                    errs.0.push(not_covered("starts_on", nc));
                    None
                }
            },
        };
        span = end;
    }
    let input = finish_body(read, errs)?;
    let (ends_on, working_days, provisional) = span.ok_or_else(|| anyhow::anyhow!("checked above"))?;
    let mut tx = state.db.pool.begin().await?;
    let chosen = applications_where(&mut tx, "announcement_id = $1 AND state = 'selected'", &a.id).await?;
    if chosen.is_empty() {
        return Err(ApiError::conflict("nobody_selected", "没有待公示的入选人员"));
    }
    let pid = new_id("wpb");
    sqlx::query(
        "INSERT INTO welfare_publicities (id, announcement_id, starts_on, ends_on, working_days, how_to_object, state,
             actor_key_id, created_at, provisional)
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9)",
    )
    .bind(&pid)
    .bind(&a.id)
    .bind(input.starts_on.to_string())
    .bind(ends_on.to_string())
    .bind(i64::from(working_days))
    .bind(&input.how_to_object)
    .bind(&caller.key_id)
    .bind(state.now_text())
    .bind(i64::from(provisional))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE welfare_applications SET state = 'publicised', publicity_id = $1, updated_at = $2
         WHERE announcement_id = $3 AND state = 'selected'",
    )
    .bind(&pid)
    .bind(state.now_text())
    .bind(&a.id)
    .execute(&mut *tx)
    .await?;
    log(
        &mut tx,
        &state,
        &caller,
        "publicity",
        &pid,
        "posted",
        json!({"ends_on": ends_on.to_string(), "people": chosen.len()}),
    )
    .await?;
    let row = publicity_row(&mut tx, &pid).await?.ok_or_else(|| anyhow::anyhow!("publicity vanished"))?;
    let created = publicity_from(&mut tx, row).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One 公示 (admin; staff of its position's region).
#[utoipa::path(get, path = "/v1/welfare/publicities/{id}", tag = "welfare", params(("id" = String, Path)),
    responses((status = 200, body = Publicity), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get_publicity(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Publicity>> {
    let (row, _) = publicity_for(&state, &caller, &id).await?;
    Ok(Json(publicity_from(&mut *state.db.pool.acquire().await?, row).await?))
}

// ------------------------------------------------------------- objections

#[derive(Serialize, ToSchema)]
pub struct Objection {
    pub id: String,
    pub publicity_id: String,
    pub application_id: String,
    /// Who objected (name and how to reach them), as they gave it.
    pub objector: String,
    pub grounds: String,
    pub received_on: String,
    /// `open`, `upheld` (the person is removed and the place reopens) or `dismissed`.
    pub state: String,
    pub resolution: Option<String>,
    /// The key that resolved it, and when.
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct ObjectionRow {
    id: String,
    publicity_id: String,
    application_id: String,
    objector: String,
    grounds: String,
    received_on: String,
    state: String,
    resolution: Option<String>,
    resolved_by: Option<String>,
    resolved_at: Option<String>,
    created_at: String,
}

const OBJECTION_SELECT: &str = "SELECT id, publicity_id, application_id, objector, grounds, received_on, state,
    resolution, resolved_by, resolved_at, created_at FROM welfare_objections";

fn objection_from(r: ObjectionRow) -> Objection {
    Objection {
        id: r.id,
        publicity_id: r.publicity_id,
        application_id: r.application_id,
        objector: r.objector,
        grounds: r.grounds,
        received_on: r.received_on,
        state: r.state,
        resolution: r.resolution,
        resolved_by: r.resolved_by,
        resolved_at: r.resolved_at,
        created_at: r.created_at,
    }
}

async fn objection(conn: &mut AnyConnection, id: &str) -> Result<Option<Objection>, sqlx::Error> {
    let row: Option<ObjectionRow> =
        sqlx::query_as(&format!("{OBJECTION_SELECT} WHERE id = $1")).bind(id).fetch_optional(conn).await?;
    Ok(row.map(objection_from))
}

/// `{ application_id, objector, grounds, received_on }`
#[derive(ToSchema)]
pub struct ObjectionCreate {
    /// The listed person objected to.
    pub application_id: String,
    /// Who objects and how to reach them, 1–100 characters.
    pub objector: String,
    /// 1–2000 characters.
    pub grounds: String,
    /// YYYY-MM-DD: within the 公示 period and not in the future.
    #[schema(value_type = String)]
    pub received_on: NaiveDate,
}

impl RequestBody for ObjectionCreate {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<ObjectionCreate> {
        let application_id = f.string("application_id", true, 1, 100, errs);
        let objector = f.string("objector", true, 1, 100, errs);
        let grounds = f.string("grounds", true, 1, 2000, errs);
        let received_on = read_date(f, "received_on", true, errs);
        if received_on.is_some_and(|d| d > state.today()) {
            errs.add("received_on", "in_future", "收到日期不能晚于今天");
        }
        Some(ObjectionCreate {
            application_id: application_id?,
            objector: objector?,
            grounds: grounds?,
            received_on: received_on?,
        })
    }
}

/// Record an objection to a listed person, received within the period.
#[utoipa::path(post, path = "/v1/welfare/publicities/{id}/objections", tag = "welfare",
    params(("id" = String, Path)), request_body = ObjectionCreate,
    responses((status = 201, body = Objection), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)), security(("bearer" = [])))]
async fn create_objection(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Objection>)> {
    let (p, _) = publicity_for(&state, &caller, &id).await?;
    let (read, mut errs) = read_body_partly::<ObjectionCreate>(&body, &state);
    if let Some(input) = &read {
        let day = input.received_on.to_string();
        // While the end is provisional it can only move later: an objection
        // after it is still taken.
        if day > p.ends_on && p.provisional == 0 {
            errs.add("received_on", "after_period", format!("公示期已于 {} 结束，不再受理异议", p.ends_on));
        } else if day < p.starts_on {
            errs.add("received_on", "before_period", format!("公示期自 {} 开始", p.starts_on));
        }
        let listed = listed(&mut *state.db.pool.acquire().await?, &id).await?;
        if !listed.iter().any(|a| a.id == input.application_id && a.state == "publicised") {
            errs.add("application_id", "not_listed", "该人员不在本次公示名单中");
        }
    }
    let input = finish_body(read, errs)?;
    if p.state != "open" {
        return Err(ApiError::conflict("publicity_closed", "本次公示已办理就业登记"));
    }
    let oid = new_id("wob");
    let mut tx = state.db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO welfare_objections (id, publicity_id, application_id, objector, grounds, received_on, state,
             actor_key_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8)",
    )
    .bind(&oid)
    .bind(&id)
    .bind(&input.application_id)
    .bind(&input.objector)
    .bind(&input.grounds)
    .bind(input.received_on.to_string())
    .bind(&caller.key_id)
    .bind(state.now_text())
    .execute(&mut *tx)
    .await?;
    log(&mut tx, &state, &caller, "objection", &oid, "received", json!({"application_id": input.application_id}))
        .await?;
    let created = objection(&mut tx, &oid).await?.ok_or_else(|| anyhow::anyhow!("objection vanished"))?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `{ outcome, reason }`
#[derive(ToSchema)]
pub struct ObjectionResolve {
    /// `upheld` (the person is removed and the place reopens) or `dismissed`.
    pub outcome: String,
    /// Why, 1–500 characters.
    pub reason: String,
}

impl RequestBody for ObjectionResolve {
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<ObjectionResolve> {
        let outcome = f.one_of("outcome", true, &["upheld", "dismissed"], errs);
        let reason = f.string("reason", true, 1, 500, errs);
        Some(ObjectionResolve { outcome: outcome?, reason: reason? })
    }
}

/// Resolve an objection with a reason.
#[utoipa::path(post, path = "/v1/welfare/objections/{id}/resolve", tag = "welfare", params(("id" = String, Path)),
    request_body = ObjectionResolve,
    responses((status = 200, body = Objection), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)), security(("bearer" = [])))]
async fn resolve_objection(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Objection>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let o = objection(&mut *state.db.pool.acquire().await?, &id).await?.ok_or_else(ApiError::not_found)?;
    publicity_for(&state, &caller, &o.publicity_id).await?;
    let input = read_body::<ObjectionResolve>(&body, &state)?;
    if o.state != "open" {
        return Err(ApiError::conflict("already_resolved", "该异议已处理"));
    }
    let now = state.now_text();
    let mut tx = state.db.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE welfare_objections SET state = $1, resolution = $2, resolved_by = $3, resolved_at = $4
         WHERE id = $5 AND state = 'open'",
    )
    .bind(&input.outcome)
    .bind(&input.reason)
    .bind(&caller.key_id)
    .bind(&now)
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::conflict("already_resolved", "该异议已处理"));
    }
    if input.outcome == "upheld" {
        sqlx::query(
            "UPDATE welfare_applications SET state = 'removed', reason = $1, updated_at = $2
             WHERE id = $3 AND state = 'publicised'",
        )
        .bind(format!("公示异议成立：{}", input.reason))
        .bind(&now)
        .bind(&o.application_id)
        .execute(&mut *tx)
        .await?;
    }
    log(&mut tx, &state, &caller, "objection", &id, &input.outcome, json!({"reason": input.reason})).await?;
    let after = objection(&mut tx, &id).await?.ok_or_else(|| anyhow::anyhow!("objection vanished"))?;
    tx.commit().await?;
    Ok(Json(after))
}

// ------------------------------------------------------------ registration

#[derive(Serialize, ToSchema)]
pub struct Registration {
    /// The placement (channel `public_welfare`) the report counts.
    pub placement_id: String,
    pub person_id: String,
    pub application_id: String,
    pub position_id: String,
    /// 1 or 2: which placement of the person's lifetime.
    pub sequence: i64,
    /// The day of 就业登记: the first working day after the 公示.
    pub started_on: String,
    pub subsidy_start: String,
    pub subsidy_end: String,
    /// `period` (the policy's years) or `retirement`.
    pub end_reason: String,
    /// The filing a second placement rests on.
    pub filing_id: Option<String>,
    /// The placement's end, when the person left.
    pub ended_on: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RegistrationRow {
    placement_id: String,
    person_id: String,
    application_id: String,
    position_id: String,
    sequence: i64,
    subsidy_start: String,
    subsidy_end: String,
    end_reason: String,
    filing_id: Option<String>,
    ended_on: Option<String>,
}

const REGISTRATION_SELECT: &str = "SELECT r.placement_id, r.person_id, r.application_id, r.position_id, r.sequence,
    r.subsidy_start, r.subsidy_end, r.end_reason, r.filing_id, pl.ended_on
    FROM welfare_registrations r JOIN placements pl ON pl.id = r.placement_id";

fn registration_from(r: RegistrationRow) -> Registration {
    Registration {
        started_on: r.subsidy_start.clone(),
        placement_id: r.placement_id,
        person_id: r.person_id,
        application_id: r.application_id,
        position_id: r.position_id,
        sequence: r.sequence,
        subsidy_start: r.subsidy_start,
        subsidy_end: r.subsidy_end,
        end_reason: r.end_reason,
        filing_id: r.filing_id,
        ended_on: r.ended_on,
    }
}

#[derive(Serialize, ToSchema)]
pub struct RegistrationResult {
    pub registered: Vec<Registration>,
    /// Listed people not registered (removed after an objection, or no
    /// longer placeable on the day), with the reason.
    pub not_registered: Vec<Application>,
}

/// Register the listed people as employed (就业登记) once the 公示 has
/// ended with no open objection: a placement with channel
/// `public_welfare` starting on the first working day after the period,
/// and the post-subsidy period. People removed by an upheld objection are
/// not registered; their places are open again.
#[utoipa::path(post, path = "/v1/welfare/publicities/{id}/register", tag = "welfare", params(("id" = String, Path)),
    responses((status = 200, body = RegistrationResult), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn register(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<RegistrationResult>> {
    let (p, a) = publicity_for(&state, &caller, &id).await?;
    if p.state != "open" {
        return Err(ApiError::conflict("already_registered", "本次公示已办理就业登记"));
    }
    // A provisional end (暂定) is settled by the year's notice first: only
    // then is it known that the whole period has passed.
    if p.provisional != 0 {
        return Err(ApiError::conflict(
            "provisional_end",
            format!(
                "公示结束日期 {} 是按暂定日历计算的：请管理员先录入该年的放假安排（工作日历），确定结束日期后再办理就业登记",
                p.ends_on
            ),
        ));
    }
    if p.ends_on.as_str() >= state.today().to_string().as_str() {
        return Err(ApiError::conflict(
            "period_not_over",
            format!("公示期到 {} 结束，期满后才能办理就业登记", p.ends_on),
        ));
    }
    // Only a 公示 that was public for its whole period: posted no later
    // than the day it began (one back-dated before this rule is refused).
    let starts = NaiveDate::parse_from_str(&p.starts_on, "%Y-%m-%d").map_err(anyhow::Error::from)?;
    if local_day(&p.created_at).is_none_or(|posted| posted > starts) {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "backdated_publicity",
            "公示未完整公开",
            format!(
                "本次公示登记的开始日期 {} 早于发布之日，公示期并未完整公开；请重新公示后再办理就业登记",
                p.starts_on
            ),
        )
        .into());
    }
    let ends = NaiveDate::parse_from_str(&p.ends_on, "%Y-%m-%d").map_err(anyhow::Error::from)?;
    // The first working day after it: provisionally when the next year's
    // notice is not entered yet (a 公示 ending on 31 December is registered
    // in January all the same).
    let (started, _) = state
        .calendar()
        .await?
        .next_working_day_provisional(ends)
        .map_err(|nc| ApiError::validation(vec![not_covered("ends_on", nc)]))?;
    // The placement begins after the 公示 ended, never within it.
    if started <= ends {
        return Err(anyhow::anyhow!("the next working day after {ends} is {started}").into());
    }
    let mut tx = state.db.pool.begin().await?;
    let open: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM welfare_objections WHERE publicity_id = $1 AND state = 'open'")
            .bind(&id)
            .fetch_one(&mut *tx)
            .await?;
    if open > 0 {
        return Err(ApiError::conflict("objections_open", format!("还有 {open} 件异议未处理，处理后才能办理就业登记")));
    }
    let position = positions::get(&mut tx, &state, &a.position_id).await?.ok_or_else(ApiError::not_found)?;
    let mut registered = Vec::new();
    let mut not_registered = Vec::new();
    for app in listed(&mut tx, &id).await? {
        if app.state != "publicised" {
            not_registered.push(app);
            continue;
        }
        let person = persons::get(&mut *tx, &app.person_id).await?.ok_or_else(ApiError::not_found)?;
        let filing = match placeable(&mut tx, &state, &person, &app.retirement_kind, started).await? {
            Ok(filing) => filing,
            Err(r) => {
                let reason = format!("未能登记：{}", r.message());
                sqlx::query(
                    "UPDATE welfare_applications SET state = 'refused', reason = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(&reason)
                .bind(state.now_text())
                .bind(&app.id)
                .execute(&mut *tx)
                .await?;
                log(&mut tx, &state, &caller, "application", &app.id, "not_registered", json!({"code": r.code()}))
                    .await?;
                not_registered.push(Application { state: "refused".into(), reason: Some(reason), ..app });
                continue;
            }
        };
        let sequence: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM welfare_registrations r WHERE r.person_id = $1
               AND NOT EXISTS (SELECT 1 FROM placements c WHERE c.supersedes = r.placement_id)",
        )
        .bind(&person.id)
        .fetch_one(&mut *tx)
        .await?;
        let np = NewPlacement {
            person_id: person.id.clone(),
            channel: "public_welfare".into(),
            started_on: started,
            job_id: a.job_id.clone(),
            employer_name: Some(position.employer_name.clone()),
            agency_org_id: None,
            agreement_id: None,
            referral_id: None,
            contract_signed_on: None,
            social_insurance_months: None,
            supersedes: None,
        };
        let placement_id = placements::insert(&mut tx, &state, &np, &caller).await?;
        let birth = NaiveDate::parse_from_str(&person.birth_date, "%Y-%m-%d").map_err(anyhow::Error::from)?;
        let period = subsidy_period(&state.policy.public_welfare, birth, &app.retirement_kind, started);
        sqlx::query(
            "INSERT INTO welfare_registrations (placement_id, person_id, application_id, position_id, sequence,
                 subsidy_start, subsidy_end, end_reason, filing_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&placement_id)
        .bind(&person.id)
        .bind(&app.id)
        .bind(&a.position_id)
        .bind(sequence + 1)
        .bind(period.start.to_string())
        .bind(period.end.to_string())
        .bind(period.end_reason)
        .bind(&filing)
        .bind(state.now_text())
        .execute(&mut *tx)
        .await?;
        if let Some(f) = &filing {
            sqlx::query("UPDATE welfare_filings SET used_by = $1 WHERE id = $2")
                .bind(&placement_id)
                .bind(f)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE welfare_applications SET state = 'registered', updated_at = $1 WHERE id = $2")
            .bind(state.now_text())
            .bind(&app.id)
            .execute(&mut *tx)
            .await?;
        log(&mut tx, &state, &caller, "application", &app.id, "registered", json!({"placement_id": placement_id}))
            .await?;
        let row: RegistrationRow = sqlx::query_as(&format!("{REGISTRATION_SELECT} WHERE r.placement_id = $1"))
            .bind(&placement_id)
            .fetch_one(&mut *tx)
            .await?;
        registered.push(registration_from(row));
    }
    sqlx::query("UPDATE welfare_publicities SET state = 'registered' WHERE id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    log(&mut tx, &state, &caller, "publicity", &id, "registered", json!({"people": registered.len()})).await?;
    positions::refresh_state(&mut tx, &state, &a.position_id).await?;
    let filled = positions::get(&mut tx, &state, &a.position_id).await?.is_some_and(|p| p.state == "filled");
    tx.commit().await?;
    if filled {
        positions::close_jobs(&state, &a.position_id, jobmatch_core::domain::CloseReason::Filled).await?;
    }
    Ok(Json(RegistrationResult { registered, not_registered }))
}

#[derive(Serialize, ToSchema)]
pub struct RegistrationList {
    pub items: Vec<Registration>,
}

/// Public-welfare registrations of the people the caller may see
/// (`person_id` for one person).
#[utoipa::path(get, path = "/v1/welfare/registrations", tag = "welfare",
    params(("person_id" = Option<String>, Query)),
    responses((status = 200, body = RegistrationList), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn list_registrations(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<RegistrationList>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let mut errs = Errors::default();
    params.deny_unknown(&["person_id"], &mut errs);
    QueryParams::finish(errs)?;
    Ok(Json(RegistrationList { items: visible_registrations(&state, &caller, params.get("person_id")).await? }))
}

async fn visible_registrations(
    state: &AppState,
    caller: &Principal,
    person_id: Option<&str>,
) -> ApiResult<Vec<Registration>> {
    let rows: Vec<RegistrationRow> = match person_id {
        Some(p) => {
            sqlx::query_as(&format!(
                "{REGISTRATION_SELECT} WHERE r.person_id = $1 ORDER BY r.subsidy_start, r.placement_id"
            ))
            .bind(p)
            .fetch_all(&state.db.pool)
            .await?
        }
        None => {
            sqlx::query_as(&format!("{REGISTRATION_SELECT} ORDER BY r.subsidy_start, r.placement_id"))
                .fetch_all(&state.db.pool)
                .await?
        }
    };
    let mut out = Vec::new();
    for r in rows {
        if person_for(state, caller, &r.person_id).await.is_ok() {
            out.push(registration_from(r));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- filings

#[derive(Serialize, ToSchema)]
pub struct Filing {
    pub id: String,
    pub person_id: String,
    /// `older`, `zero_employment_family` or `severe_disability`.
    pub ground: String,
    pub filed_on: String,
    /// The office above it was filed with.
    pub filed_with: String,
    /// The filing's reference number.
    pub reference: String,
    /// The placement that used it.
    pub used_by: Option<String>,
    pub created_at: String,
}

/// `{ person_id, ground, filed_on, filed_with, reference }`
#[derive(ToSchema)]
pub struct FilingCreate {
    pub person_id: String,
    /// `older`, `zero_employment_family` or `severe_disability`; the record
    /// must show it (age, family, disability).
    pub ground: String,
    /// YYYY-MM-DD, not in the future.
    #[schema(value_type = String)]
    pub filed_on: NaiveDate,
    /// 2–100 characters.
    pub filed_with: String,
    /// 1–100 characters.
    pub reference: String,
}

impl RequestBody for FilingCreate {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<FilingCreate> {
        let person_id = f.string("person_id", true, 1, 100, errs);
        let allowed: Vec<&str> = state.policy.public_welfare.repeat_grounds.iter().map(String::as_str).collect();
        let ground = f.one_of("ground", true, &allowed, errs);
        let filed_on = read_date(f, "filed_on", true, errs);
        if filed_on.is_some_and(|d| d > state.today()) {
            errs.add("filed_on", "in_future", "备案日期不能晚于今天");
        }
        let filed_with = f.string("filed_with", true, 2, 100, errs);
        let reference = f.string("reference", true, 1, 100, errs);
        Some(FilingCreate {
            person_id: person_id?,
            ground: ground?,
            filed_on: filed_on?,
            filed_with: filed_with?,
            reference: reference?,
        })
    }
}

/// Record the filing (备案) to the level above that a second placement
/// needs. The ground must be one the person's record shows.
#[utoipa::path(post, path = "/v1/welfare/filings", tag = "welfare", request_body = FilingCreate,
    responses((status = 201, body = Filing), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create_filing(
    State(state): State<AppState>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Filing>)> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let input = read_body::<FilingCreate>(&body, &state)?;
    let person = person_for(&state, &caller, &input.person_id).await?;
    let birth = NaiveDate::parse_from_str(&person.birth_date, "%Y-%m-%d").map_err(anyhow::Error::from)?;
    let grounds = repeat_grounds(
        birth,
        &person.sex,
        &person.profile.groups,
        state.policy.ground("older"),
        input.filed_on,
        &state.policy.public_welfare.repeat_grounds,
    );
    if !grounds.contains(&input.ground.as_str()) {
        return Err(ApiError::validation(vec![FieldError::new(
            "ground",
            "not_shown_by_record",
            format!("人员记录不能证明“{}”", crate::limits::ground_name(&input.ground)),
        )]));
    }
    let fid = new_id("wfl");
    let mut tx = state.db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO welfare_filings (id, person_id, ground, filed_on, filed_with, reference, actor_key_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&fid)
    .bind(&person.id)
    .bind(&input.ground)
    .bind(input.filed_on.to_string())
    .bind(&input.filed_with)
    .bind(&input.reference)
    .bind(&caller.key_id)
    .bind(state.now_text())
    .execute(&mut *tx)
    .await?;
    log(&mut tx, &state, &caller, "filing", &fid, "filed", json!({"ground": input.ground})).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(Filing {
            id: fid,
            person_id: person.id,
            ground: input.ground,
            filed_on: input.filed_on.to_string(),
            filed_with: input.filed_with,
            reference: input.reference,
            used_by: None,
            created_at: state.now_text(),
        }),
    ))
}

// --------------------------------------------------------------- worklist

#[derive(Serialize, ToSchema)]
pub struct VacantPosition {
    pub position_id: String,
    pub title: String,
    pub region_code: String,
    pub vacancies: i64,
}

#[derive(Serialize, ToSchema)]
pub struct PublicityEnding {
    pub publicity_id: String,
    pub announcement_id: String,
    pub ends_on: String,
    pub open_objections: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Worklist {
    /// The window, in days from today.
    pub within_days: i64,
    /// Post subsidies ending within the window (placement still running).
    pub subsidies_ending: Vec<Registration>,
    /// Positions not closed with posts to fill.
    pub vacant_positions: Vec<VacantPosition>,
    /// 公示 ending within the window or ended and not yet registered.
    pub publicity_ending: Vec<PublicityEnding>,
    /// People whose placement has ended (or whose subsidy has run out)
    /// with no next step on record: no later placement and no application
    /// under way.
    pub ending_without_next_step: Vec<Registration>,
}

/// What staff of a region have to do about public-welfare jobs.
#[utoipa::path(get, path = "/v1/welfare/worklist", tag = "welfare",
    params(("within_days" = Option<i64>, Query, description = "1–1096, default 60")),
    responses((status = 200, body = Worklist), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn worklist(State(state): State<AppState>, caller: Principal, params: QueryParams) -> ApiResult<Json<Worklist>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let mut errs = Errors::default();
    params.deny_unknown(&["within_days"], &mut errs);
    let within = match params.get("within_days") {
        None => 60,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=1096).contains(&n) => n,
            _ => {
                errs.add("within_days", "out_of_range", "应为 1 到 1096 之间的整数");
                60
            }
        },
    };
    QueryParams::finish(errs)?;
    let day = state.today();
    let horizon = (day + Duration::days(within)).to_string();
    let today_s = day.to_string();
    let regs = visible_registrations(&state, &caller, None).await?;
    let positions = positions::scoped(&state, &caller).await?;
    let mut subsidies_ending = Vec::new();
    let mut ending_without_next_step = Vec::new();
    let mut conn = state.db.pool.acquire().await?;
    for r in regs {
        let over = r.ended_on.is_some() || r.subsidy_end < today_s;
        if !over {
            if r.subsidy_end <= horizon {
                subsidies_ending.push(r);
            }
            continue;
        }
        let from = r.ended_on.clone().unwrap_or_else(|| r.subsidy_end.clone());
        let later: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM placements WHERE person_id = $1 AND started_on > $2")
            .bind(&r.person_id)
            .bind(&from)
            .fetch_one(&mut *conn)
            .await?;
        let applying: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM welfare_applications WHERE person_id = $1 AND state IN ('applied', 'selected', 'publicised')",
        )
        .bind(&r.person_id)
        .fetch_one(&mut *conn)
        .await?;
        let next = later + applying;
        if next == 0 {
            ending_without_next_step.push(r);
        }
    }
    let vacant_positions = positions
        .iter()
        .filter(|p| p.state != "closed" && p.vacancies > 0)
        .map(|p| VacantPosition {
            position_id: p.id.clone(),
            title: p.title.clone(),
            region_code: p.region_code.clone(),
            vacancies: p.vacancies,
        })
        .collect();
    let mut publicity_ending = Vec::new();
    let ids: Vec<&str> = positions.iter().map(|p| p.id.as_str()).collect();
    let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT p.id, p.announcement_id, p.ends_on, a.position_id,
                (SELECT COUNT(*) FROM welfare_objections o WHERE o.publicity_id = p.id AND o.state = 'open')
         FROM welfare_publicities p JOIN welfare_announcements a ON a.id = p.announcement_id
         WHERE p.state = 'open' AND p.ends_on <= $1 ORDER BY p.ends_on, p.id",
    )
    .bind(&horizon)
    .fetch_all(&mut *conn)
    .await?;
    for (id, announcement_id, ends_on, position_id, open_objections) in rows {
        if ids.contains(&position_id.as_str()) {
            publicity_ending.push(PublicityEnding { publicity_id: id, announcement_id, ends_on, open_objections });
        }
    }
    Ok(Json(Worklist {
        within_days: within,
        subsidies_ending,
        vacant_positions,
        publicity_ending,
        ending_without_next_step,
    }))
}
