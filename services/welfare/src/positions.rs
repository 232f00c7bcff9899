//! The reserve (储备名录库): public-welfare positions with their type,
//! employer, place, headcount, pay and funding period, moving reserved →
//! recruiting (an announcement published) → filled (every post registered)
//! → closed; and the yearly count of newly reserved positions per reporting
//! unit against the city's target.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use jobmatch_core::domain::CloseReason;
use jobmatch_core::error::Problem;
use jobmatch_core::http::{JsonBody, QueryParams};
use jobmatch_core::ids::new_id;
use jobmatch_core::validate::finish_body;
use jobmatch_core::validate::{read_body, read_body_partly, read_date, sent_text, Errors, Fields, RequestBody};
use jobmatch_core::{ApiError, ApiResult, AppState, Principal, Role};
use jobmatch_registry::outcomes::read_year;
use jobmatch_registry::outcomes::report::{attachment, may_read, read_region};
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{log, may_act};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_position, list_positions))
        .routes(routes!(get_position))
        .routes(routes!(close_position))
        .routes(routes!(reserve_report))
}

/// Monthly pay of a position, in yuan.
#[derive(Serialize, ToSchema, Clone)]
pub struct MonthlyPay {
    pub min: i64,
    pub max: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Position {
    pub id: String,
    /// A position type code of the policy (`river_cleaning`, `green_ecology`, `community_service`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its Chinese name (河道保洁类 …).
    pub type_name: String,
    /// 用人单位.
    pub employer_name: String,
    pub title: String,
    /// The community or village (or street) of the work.
    pub region_code: String,
    /// The county-level reporting unit it is counted under.
    pub unit_code: Option<String>,
    pub address: Option<String>,
    pub headcount: i64,
    pub pay: MonthlyPay,
    pub funded_from: String,
    pub funded_until: String,
    /// `reserved`, `recruiting`, `filled` or `closed`.
    pub state: String,
    /// The day it entered the reserve (counts for that year's target).
    pub reserved_on: String,
    /// People registered in it whose placement has not ended.
    pub occupied: i64,
    /// Posts neither occupied nor held by someone selected or in 公示.
    pub vacancies: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    r#type: String,
    employer_name: String,
    title: String,
    region_code: String,
    unit_code: Option<String>,
    address: Option<String>,
    headcount: i64,
    pay_min: i64,
    pay_max: i64,
    funded_from: String,
    funded_until: String,
    state: String,
    reserved_on: String,
    created_at: String,
    updated_at: String,
    occupied: i64,
    pending: i64,
}

/// Occupied: registered and the placement not ended. Pending: chosen and
/// not yet registered (selected or in 公示).
const SELECT: &str = "SELECT p.id, p.type, p.employer_name, p.title, p.region_code, p.unit_code, p.address,
    p.headcount, p.pay_min, p.pay_max, p.funded_from, p.funded_until, p.state, p.reserved_on, p.created_at, p.updated_at,
    (SELECT COUNT(*) FROM welfare_registrations r JOIN placements pl ON pl.id = r.placement_id
       WHERE r.position_id = p.id AND pl.ended_on IS NULL) AS occupied,
    (SELECT COUNT(*) FROM welfare_applications a JOIN welfare_announcements n ON n.id = a.announcement_id
       WHERE n.position_id = p.id AND a.state IN ('selected', 'publicised')) AS pending
    FROM welfare_positions p";

fn from_row(state: &AppState, r: Row) -> Position {
    let type_name = state
        .policy
        .public_welfare
        .position_type(&r.r#type)
        .map(|t| t.name.clone())
        .unwrap_or_else(|| r.r#type.clone());
    Position {
        vacancies: (r.headcount - r.occupied - r.pending).max(0),
        id: r.id,
        kind: r.r#type,
        type_name,
        employer_name: r.employer_name,
        title: r.title,
        region_code: r.region_code,
        unit_code: r.unit_code,
        address: r.address,
        headcount: r.headcount,
        pay: MonthlyPay { min: r.pay_min, max: r.pay_max },
        funded_from: r.funded_from,
        funded_until: r.funded_until,
        state: r.state,
        reserved_on: r.reserved_on,
        occupied: r.occupied,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

pub async fn get(conn: &mut AnyConnection, state: &AppState, id: &str) -> Result<Option<Position>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE p.id = $1")).bind(id).fetch_optional(conn).await?;
    Ok(row.map(|r| from_row(state, r)))
}

/// A position the caller may act on (admin; staff of its region), or 404.
pub async fn position_for(state: &AppState, caller: &Principal, id: &str) -> ApiResult<Position> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let p = get(&mut *state.db.pool.acquire().await?, state, id).await?.ok_or_else(ApiError::not_found)?;
    may_act(state, caller, &p.region_code)?;
    Ok(p)
}

/// Set a position's state from its records: filled when every post is
/// occupied, recruiting when a published announcement exists, else as it is
/// (a closed position stays closed).
pub async fn refresh_state(conn: &mut AnyConnection, state: &AppState, id: &str) -> ApiResult<()> {
    let p = get(&mut *conn, state, id).await?.ok_or_else(|| anyhow::anyhow!("position {id} vanished"))?;
    if p.state == "closed" {
        return Ok(());
    }
    let published: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM welfare_announcements WHERE position_id = $1 AND state = 'published'")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    let next = if p.occupied >= p.headcount {
        "filled"
    } else if published > 0 {
        "recruiting"
    } else {
        "reserved"
    };
    if next != p.state {
        sqlx::query("UPDATE welfare_positions SET state = $1, updated_at = $2 WHERE id = $3")
            .bind(next)
            .bind(state.now_text())
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Close the open jobs of a position's announcements (the position is
/// filled or closed: recruiting stops, nobody is told of it any more).
pub async fn close_jobs(state: &AppState, position_id: &str, reason: CloseReason) -> ApiResult<()> {
    let jobs: Vec<String> = sqlx::query_scalar(
        "SELECT a.job_id FROM welfare_announcements a JOIN jobs j ON j.id = a.job_id
         WHERE a.position_id = $1 AND j.status = 'open'",
    )
    .bind(position_id)
    .fetch_all(&state.db.pool)
    .await?;
    for job in jobs {
        jobmatch_posting::jobs::store::close(state, &job, reason).await?;
    }
    Ok(())
}

/// `POST /v1/welfare/positions`.
#[derive(ToSchema)]
pub struct PositionCreate {
    /// A position type code of the policy.
    #[schema(rename = "type")]
    pub kind: String,
    /// 用人单位, 2–100 characters.
    pub employer_name: String,
    /// 岗位名称, 2–60 characters.
    pub title: String,
    /// The community or village (or street) of the work.
    pub region_code: String,
    pub address: Option<String>,
    /// 1–1000.
    pub headcount: i64,
    /// Monthly pay in yuan, min ≤ max, both > 0.
    pub pay: PayInput,
    /// YYYY-MM-DD: the funding period.
    #[schema(value_type = String)]
    pub funded_from: NaiveDate,
    #[schema(value_type = String)]
    pub funded_until: NaiveDate,
    /// YYYY-MM-DD, not in the future; default today.
    #[schema(value_type = Option<String>)]
    pub reserved_on: Option<NaiveDate>,
}

#[derive(ToSchema)]
pub struct PayInput {
    pub min: i64,
    pub max: i64,
}

/// Read `{min, max}` monthly pay in yuan.
pub fn read_pay(f: &Fields<'_>, key: &str, required: bool, errs: &mut Errors) -> Option<(i64, i64)> {
    f.object(key, required, errs, |p, errs| {
        let min = p.int("min", true, 1, 1_000_000, errs);
        let max = p.int("max", true, 1, 1_000_000, errs);
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                errs.add(p.path("max"), "below_min", "最高工资不能低于最低工资");
                return None;
            }
        }
        Some((min?, max?))
    })
    .flatten()
}

impl RequestBody for PositionCreate {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<PositionCreate> {
        let types: Vec<&str> = state.policy.public_welfare.position_types.iter().map(|t| t.code.as_str()).collect();
        let kind = f.one_of("type", true, &types, errs);
        let employer_name = f.string("employer_name", true, 2, 100, errs);
        let title = f.string("title", true, 2, 60, errs);
        let region_code = f.string("region_code", true, 1, 20, errs);
        if region_code.as_deref().is_some_and(|r| !state.regions.contains(r)) {
            errs.add("region_code", "unknown_region", "未知区划代码");
        }
        let address = f.string("address", false, 1, 200, errs);
        let headcount = f.int("headcount", true, 1, 1000, errs);
        let pay = read_pay(f, "pay", true, errs);
        let funded_from = read_date(f, "funded_from", true, errs);
        let funded_until = read_date(f, "funded_until", true, errs);
        if let (Some(a), Some(b)) = (funded_from, funded_until) {
            if b < a {
                errs.add("funded_until", "before_start", "经费期限的结束日期不能早于开始日期");
            }
        }
        let reserved_on = read_date(f, "reserved_on", false, errs);
        if reserved_on.is_some_and(|d| d > state.today()) {
            errs.add("reserved_on", "in_future", "入库日期不能晚于今天");
        }
        let (min, max) = pay?;
        Some(PositionCreate {
            kind: kind?,
            employer_name: employer_name?,
            title: title?,
            region_code: region_code.filter(|r| state.regions.contains(r))?,
            address,
            headcount: headcount?,
            pay: PayInput { min, max },
            funded_from: funded_from?,
            funded_until: funded_until?,
            reserved_on,
        })
    }
}

/// Put a position into the reserve (admin; staff of its region).
#[utoipa::path(post, path = "/v1/welfare/positions", tag = "welfare", request_body = PositionCreate,
    responses((status = 201, body = Position), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create_position(
    State(state): State<AppState>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Position>)> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let (read, errs) = read_body_partly::<PositionCreate>(&body, &state);
    if let Some(region) = sent_text(&body, "region_code", &errs) {
        if state.regions.contains(region) && !caller.covers_region(&state, region) {
            return Err(ApiError::forbidden("只能在本人负责区域内登记公益性岗位"));
        }
    }
    let input = finish_body(read, errs)?;
    let id = new_id("wpp");
    let now = state.now_text();
    let place = state.regions.placement(&input.region_code);
    let mut tx = state.db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO welfare_positions (id, type, employer_name, title, region_code, street_code, county_code, unit_code,
            address, headcount, pay_min, pay_max, funded_from, funded_until, state, reserved_on, actor_key_id,
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'reserved', $15, $16, $17, $17)",
    )
    .bind(&id)
    .bind(&input.kind)
    .bind(&input.employer_name)
    .bind(&input.title)
    .bind(&input.region_code)
    .bind(&place.street_code)
    .bind(&place.county_code)
    .bind(&place.unit_code)
    .bind(&input.address)
    .bind(input.headcount)
    .bind(input.pay.min)
    .bind(input.pay.max)
    .bind(input.funded_from.to_string())
    .bind(input.funded_until.to_string())
    .bind(input.reserved_on.unwrap_or_else(|| state.today()).to_string())
    .bind(&caller.key_id)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    log(&mut tx, &state, &caller, "position", &id, "reserved", json!({"headcount": input.headcount})).await?;
    let created = get(&mut tx, &state, &id).await?.ok_or_else(|| anyhow::anyhow!("position vanished"))?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[derive(Serialize, ToSchema)]
pub struct PositionList {
    pub items: Vec<Position>,
}

/// The reserve: admin all, staff their region's. `vacant=true` keeps
/// positions not closed with posts to fill.
#[utoipa::path(get, path = "/v1/welfare/positions", tag = "welfare",
    params(("state" = Option<String>, Query), ("type" = Option<String>, Query), ("vacant" = Option<bool>, Query),
           ("limit" = Option<usize>, Query, description = "1–500, default 100")),
    responses((status = 200, body = PositionList), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn list_positions(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<PositionList>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let mut errs = Errors::default();
    params.deny_unknown(&["state", "type", "vacant", "limit"], &mut errs);
    let wanted = params.one_of("state", &["reserved", "recruiting", "filled", "closed"], &mut errs);
    let kind = params.get("type").map(str::to_string);
    let vacant = params.flag("vacant", &mut errs);
    let limit = params.limit(100, 500, &mut errs);
    QueryParams::finish(errs)?;
    let items = scoped(&state, &caller).await?;
    let items = items
        .into_iter()
        .filter(|p| wanted.as_deref().is_none_or(|s| p.state == s))
        .filter(|p| kind.as_deref().is_none_or(|k| p.kind == k))
        .filter(|p| !vacant || (p.state != "closed" && p.vacancies > 0))
        .take(limit)
        .collect();
    Ok(Json(PositionList { items }))
}

/// Every position the caller's region holds, oldest first.
pub async fn scoped(state: &AppState, caller: &Principal) -> ApiResult<Vec<Position>> {
    let (condition, bind) = match caller.role {
        Role::Admin => ("1 = 1".to_string(), None),
        _ => (state.regions.scope_sql(&caller.region_code, "$1"), Some(caller.region_code.clone())),
    };
    let sql = format!("{SELECT} WHERE {condition} ORDER BY p.created_at, p.id");
    let mut q = sqlx::query_as::<_, Row>(&sql);
    if let Some(b) = bind.filter(|_| condition.contains("$1")) {
        q = q.bind(b);
    }
    Ok(q.fetch_all(&state.db.pool).await?.into_iter().map(|r| from_row(state, r)).collect())
}

/// One position (admin; staff of its region).
#[utoipa::path(get, path = "/v1/welfare/positions/{id}", tag = "welfare", params(("id" = String, Path)),
    responses((status = 200, body = Position), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get_position(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Position>> {
    Ok(Json(position_for(&state, &caller, &id).await?))
}

/// `{ reason }`
#[derive(ToSchema)]
pub struct PositionClose {
    /// 1–200 characters.
    pub reason: String,
}

impl RequestBody for PositionClose {
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<PositionClose> {
        Some(PositionClose { reason: f.string("reason", true, 1, 200, errs)? })
    }
}

/// Take a position out of use (funding ended, the work is no longer
/// needed). People already registered keep their placements.
#[utoipa::path(post, path = "/v1/welfare/positions/{id}/close", tag = "welfare", params(("id" = String, Path)),
    request_body = PositionClose,
    responses((status = 200, body = Position), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)), security(("bearer" = [])))]
async fn close_position(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Position>> {
    let p = position_for(&state, &caller, &id).await?;
    let input = read_body::<PositionClose>(&body, &state)?;
    if p.state == "closed" {
        return Err(ApiError::conflict("already_closed", "该岗位已关闭"));
    }
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("UPDATE welfare_positions SET state = 'closed', updated_at = $1 WHERE id = $2")
        .bind(state.now_text())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    log(&mut tx, &state, &caller, "position", &id, "closed", json!({"reason": input.reason})).await?;
    let after = get(&mut tx, &state, &id).await?.ok_or_else(|| anyhow::anyhow!("position vanished"))?;
    tx.commit().await?;
    close_jobs(&state, &id, CloseReason::Withdrawn).await?;
    Ok(Json(after))
}

#[derive(Serialize, ToSchema)]
pub struct ReserveRow {
    pub unit_code: String,
    pub unit_name: String,
    /// Positions newly put into the reserve in the year.
    pub positions: i64,
    /// Their posts (headcount).
    pub posts: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ReserveReport {
    pub year: i32,
    pub region: String,
    /// The city's yearly target of new positions (policy).
    pub city_target: i64,
    pub rows: Vec<ReserveRow>,
    pub positions: i64,
    pub posts: i64,
    /// `posts` (岗位, the headcount) against the city target, percent: the
    /// target counts posts, not reserve records.
    pub progress_percent: f64,
    /// Special recruitment events held in the year in `region`, and the
    /// city's yearly number (policy).
    pub events_held: i64,
    pub events_target: i64,
    /// The events held in the first (January–June) and the second half of
    /// the year: recruitment is spread over the year.
    pub events_by_half: [i64; 2],
}

/// New reserve positions of a year per reporting unit against the city's
/// target, as JSON, CSV (UTF-8 with BOM) or XLSX. Admin, and staff for their region.
#[utoipa::path(get, path = "/v1/reports/welfare-reserve", tag = "reports",
    params(("year" = i32, Query), ("region" = Option<String>, Query, description = "city, county or zone code; default 330400"),
           ("format" = Option<String>, Query, description = "json (default), csv or xlsx")),
    responses((status = 200, description = "JSON, CSV or XLSX by `format`", content(
                  (ReserveReport = "application/json"),
                  (String = "text/csv"),
                  (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn reserve_report(State(state): State<AppState>, caller: Principal, params: QueryParams) -> ApiResult<Response> {
    let mut errs = Errors::default();
    params.deny_unknown(&["year", "region", "format"], &mut errs);
    let year = read_year(&params, &mut errs);
    let format = params.one_of("format", &["json", "csv", "xlsx"], &mut errs).unwrap_or_else(|| "json".into());
    let units = read_region(&state, &params, &mut errs);
    QueryParams::finish(errs)?;
    let (Some(year), Some(units)) = (year, units) else { return Err(anyhow::anyhow!("checked above").into()) };
    let region = params.get("region").unwrap_or("330400").to_string();
    may_read(&state, &caller, &region)?;
    let counted: Vec<(Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT unit_code, COUNT(*), CAST(COALESCE(SUM(headcount), 0) AS BIGINT) FROM welfare_positions
         WHERE reserved_on >= $1 AND reserved_on <= $2 GROUP BY unit_code",
    )
    .bind(format!("{year}-01-01"))
    .bind(format!("{year}-12-31"))
    .fetch_all(&state.db.pool)
    .await?;
    let rows: Vec<ReserveRow> = units
        .iter()
        .map(|(code, name)| {
            let (positions, posts) = counted
                .iter()
                .filter(|(u, _, _)| u.as_deref() == Some(code.as_str()))
                .fold((0, 0), |(a, b), (_, n, h)| (a + n, b + h));
            ReserveRow { unit_code: code.clone(), unit_name: name.clone(), positions, posts }
        })
        .collect();
    let events: Vec<(String, String)> =
        sqlx::query_as("SELECT region_code, held_on FROM welfare_events WHERE held_on >= $1 AND held_on <= $2")
            .bind(format!("{year}-01-01"))
            .bind(format!("{year}-12-31"))
            .fetch_all(&state.db.pool)
            .await?;
    let mut events_by_half = [0, 0];
    for (code, held_on) in &events {
        if state.regions.covers(&region, code) {
            events_by_half[usize::from(held_on.as_str() >= format!("{year}-07-01").as_str())] += 1;
        }
    }
    let target = state.policy.public_welfare.reserve_target;
    let posts: i64 = rows.iter().map(|r| r.posts).sum();
    let report = ReserveReport {
        year,
        region: region.clone(),
        city_target: target,
        posts,
        positions: rows.iter().map(|r| r.positions).sum(),
        progress_percent: if target > 0 { (posts as f64 * 1000.0 / target as f64).round() / 10.0 } else { 0.0 },
        events_held: events_by_half[0] + events_by_half[1],
        events_target: state.policy.public_welfare.events_per_year,
        events_by_half,
        rows,
    };
    let file = format!("gongyi-chubei-{year}-{region}");
    Ok(match format.as_str() {
        "csv" => attachment(reserve_csv(&report)?, "text/csv; charset=utf-8", &format!("{file}.csv")),
        "xlsx" => attachment(
            reserve_xlsx(&report)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{file}.xlsx"),
        ),
        _ => Json(report).into_response(),
    })
}

const HEADERS: [&str; 4] = ["单位代码", "填报单位", "新增储备岗位数", "岗位人数"];

fn reserve_csv(r: &ReserveReport) -> anyhow::Result<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = jobmatch_core::sheet::CsvOut::new(&mut out);
        w.write_record(HEADERS)?;
        for row in &r.rows {
            w.write_record([
                row.unit_code.clone(),
                row.unit_name.clone(),
                row.positions.to_string(),
                row.posts.to_string(),
            ])?;
        }
        w.write_record(["合计".to_string(), String::new(), r.positions.to_string(), r.posts.to_string()])?;
        w.write_record([
            "全市年度目标（岗位数）".to_string(),
            String::new(),
            String::new(),
            r.city_target.to_string(),
        ])?;
        w.write_record([
            "专场招聘（已举办/年度目标）".to_string(),
            String::new(),
            r.events_held.to_string(),
            r.events_target.to_string(),
        ])?;
        w.write_record([
            "专场招聘（上半年/下半年）".to_string(),
            String::new(),
            r.events_by_half[0].to_string(),
            r.events_by_half[1].to_string(),
        ])?;
        w.into_inner()?;
    }
    Ok(out)
}

fn reserve_xlsx(r: &ReserveReport) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("公益性岗位储备")?;
    let bold = Format::new().set_bold();
    sheet.write_string_with_format(0, 0, format!("{} 年新增公益性岗位储备情况", r.year), &bold)?;
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(1, c as u16, *h, &bold)?;
    }
    let mut line = 2;
    for row in &r.rows {
        sheet.write_string(line, 0, &row.unit_code)?;
        sheet.write_string(line, 1, &row.unit_name)?;
        sheet.write_number(line, 2, row.positions as f64)?;
        sheet.write_number(line, 3, row.posts as f64)?;
        line += 1;
    }
    sheet.write_string_with_format(line, 0, "合计", &bold)?;
    sheet.write_number(line, 2, r.positions as f64)?;
    sheet.write_number(line, 3, r.posts as f64)?;
    sheet.write_string(line + 1, 0, "全市年度目标（岗位数）")?;
    sheet.write_number(line + 1, 3, r.city_target as f64)?;
    sheet.write_string(line + 2, 0, "专场招聘（已举办/年度目标）")?;
    sheet.write_number(line + 2, 2, r.events_held as f64)?;
    sheet.write_number(line + 2, 3, r.events_target as f64)?;
    sheet.write_string(line + 3, 0, "专场招聘（上半年/下半年）")?;
    sheet.write_number(line + 3, 2, r.events_by_half[0] as f64)?;
    sheet.write_number(line + 3, 3, r.events_by_half[1] as f64)?;
    sheet.set_column_width(1, 24)?;
    sheet.set_column_width(2, 16)?;
    Ok(book.save_to_buffer()?)
}
