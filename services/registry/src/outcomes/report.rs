//! `GET /v1/reports/progress` (JSON, CSV, XLSX), the people behind a
//! figure and the year view; the figures come from [`super::figures`].

use std::collections::{BTreeSet, HashMap, HashSet};

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Datelike, NaiveDate};
use jobmatch_core::error::Problem;
use jobmatch_core::http::{encode_cursor, QueryParams};
use jobmatch_core::records::persons;
use jobmatch_core::validate::Errors;
use jobmatch_core::{ApiError, ApiResult, AppState, Principal, Role};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::figures::{compute, first_placements, Entry, Period};
use super::form::{csv_text, xlsx};
use super::{last_day, month_text, read_month, read_year};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(progress)).routes(routes!(progress_people)).routes(routes!(progress_year))
}

pub use super::columns::{Column, Columns, Figures};

#[derive(Serialize, ToSchema)]
pub struct ReportRow {
    pub unit_code: String,
    pub unit_name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The 进度表 as JSON.
#[derive(Serialize, ToSchema)]
pub struct ProgressReport {
    pub month: String,
    pub region: String,
    /// False for the current month: its figures can still grow.
    pub complete: bool,
    /// The days it covers (统计期间): the calendar month, or — as the
    /// policy's `report.period` says — from the day after the previous
    /// month's 报送 day to this month's.
    pub period_from: String,
    pub period_to: String,
    pub rows: Vec<ReportRow>,
    pub total: Figures,
}

/// 422 for a month that has not begun; whether the month has ended.
fn not_in_the_future(month: NaiveDate, today: NaiveDate) -> ApiResult<bool> {
    if month > today {
        return Err(ApiError::validation(vec![jobmatch_core::error::FieldError::new(
            "month",
            "in_the_future",
            "不能查询尚未开始的月份",
        )]));
    }
    Ok(last_day(month) < today)
}

/// The reporting units under `region`, in the form's order (counties by
/// code, then the zones); None when `region` is not the city, a county or a zone.
pub fn units(state: &AppState, region: &str) -> Option<Vec<(String, String)>> {
    let r = state.regions.get(region)?;
    match r.level.as_str() {
        "county" | "zone" => Some(vec![(r.code.clone(), r.name.clone())]),
        "city" => {
            let mut counties: Vec<(String, String)> = Vec::new();
            let mut zones: Vec<(String, String)> = Vec::new();
            for known in state.regions.children(region) {
                match known.level.as_str() {
                    "county" => counties.push((known.code.clone(), known.name.clone())),
                    "zone" => zones.push((known.code.clone(), known.name.clone())),
                    _ => {}
                }
            }
            counties.sort();
            zones.sort();
            counties.extend(zones);
            Some(counties)
        }
        _ => None,
    }
}

/// The report's figures per unit and in total.
pub fn tabulate(columns: &Columns, units: &[(String, String)]) -> (Vec<ReportRow>, Figures) {
    let mut rows = Vec::new();
    let mut total = Figures::default();
    for (code, name) in units {
        let mut figures = Figures::default();
        for column in Column::ALL {
            figures[column] = columns.count(column, code);
            total[column] += figures[column];
        }
        rows.push(ReportRow { unit_code: code.clone(), unit_name: name.clone(), figures });
    }
    (rows, total)
}

pub fn read_region(state: &AppState, params: &QueryParams, errs: &mut Errors) -> Option<Vec<(String, String)>> {
    let region = params.get("region").unwrap_or("330400");
    match units(state, region) {
        Some(u) => Some(u),
        None => {
            errs.add("region", "not_a_report_region", "报表区域应为市、县（市、区）或开发区代码");
            None
        }
    }
}

pub fn may_read(state: &AppState, caller: &Principal, region: &str) -> ApiResult<()> {
    caller.require(&[Role::Admin, Role::Staff])?;
    if caller.role == Role::Staff && !state.regions.covers(&caller.region_code, region) {
        return Err(ApiError::forbidden("只能查看本人负责区域的报表"));
    }
    Ok(())
}

/// The progress report (进度表) of a month: one row per county-level unit
/// under `region` (default the city) and a total, as JSON, CSV (Chinese
/// headers, UTF-8 with BOM) or XLSX in the bureau's layout. Admin, and staff
/// for their region.
#[utoipa::path(get, path = "/v1/reports/progress", tag = "reports",
    params(("month" = String, Query, description = "YYYY-MM"), ("region" = Option<String>, Query, description = "city, county or zone code; default 330400"),
           ("format" = Option<String>, Query, description = "json (default), csv or xlsx")),
    responses((status = 200, description = "JSON, CSV or XLSX by `format`", content(
                  (ProgressReport = "application/json"),
                  (String = "text/csv"),
                  (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn progress(State(state): State<AppState>, caller: Principal, params: QueryParams) -> ApiResult<Response> {
    let mut errs = Errors::default();
    params.deny_unknown(&["month", "region", "format"], &mut errs);
    let month = read_month(&params, &mut errs);
    let format = params.one_of("format", &["json", "csv", "xlsx"], &mut errs).unwrap_or_else(|| "json".into());
    let units = read_region(&state, &params, &mut errs);
    QueryParams::finish(errs)?;
    let (Some(month), Some(units)) = (month, units) else { return Err(anyhow::anyhow!("checked above").into()) };
    let complete = not_in_the_future(month, state.today())?;
    let region = params.get("region").unwrap_or("330400").to_string();
    may_read(&state, &caller, &region)?;
    let (first, last) = state.policy.report.period_of(month);
    let columns = compute(&state, Period { first, last }).await?;
    let (rows, total) = tabulate(&columns, &units);
    let report = ProgressReport {
        month: month_text(month),
        region: region.clone(),
        complete: complete && last < state.today(),
        period_from: first.to_string(),
        period_to: last.to_string(),
        rows,
        total,
    };
    let region_name = state.regions.get(&region).map(|r| r.name.clone()).unwrap_or_default();
    let file = format!("progress-{}-{}", report.month, region);
    Ok(match format.as_str() {
        "csv" => attachment(csv_text(&report, &region_name)?, "text/csv; charset=utf-8", &format!("{file}.csv")),
        "xlsx" => attachment(
            xlsx(&report, &region_name)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{file}.xlsx"),
        ),
        _ => Json(report).into_response(),
    })
}

pub fn attachment(body: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut res = (StatusCode::OK, body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// One person behind a figure (ID number masked).
#[derive(Serialize, ToSchema)]
pub struct FigurePerson {
    pub person_id: String,
    pub name: String,
    pub id_number: String,
    pub unit_code: String,
    /// The record that counts: `plc_…` placement, `alw_…` allowance, `certification_event:N`.
    pub reference: String,
}

#[derive(Serialize, ToSchema)]
pub struct FigurePeople {
    pub month: String,
    pub region: String,
    pub column: String,
    /// By person id.
    pub items: Vec<FigurePerson>,
    pub next_cursor: Option<String>,
}

/// The people behind one figure of the report (staff of the region, admin).
/// `column` is a JSON key (`still_needing_help`) or its number (1–10).
#[utoipa::path(get, path = "/v1/reports/progress/people", tag = "reports",
    params(("month" = String, Query), ("region" = Option<String>, Query), ("column" = String, Query),
           ("limit" = Option<usize>, Query, description = "1–1000, default 200"), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = FigurePeople), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn progress_people(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<FigurePeople>> {
    let mut errs = Errors::default();
    params.deny_unknown(&["month", "region", "column", "limit", "cursor"], &mut errs);
    let month = read_month(&params, &mut errs);
    let units = read_region(&state, &params, &mut errs);
    let limit = params.limit(200, 1000, &mut errs);
    let cursor = params.cursor(&mut errs).unwrap_or_default();
    let column = params.get("column").and_then(Column::parse);
    if column.is_none() {
        errs.add("column", "unknown_column", "应为 1–10 或列名（如 still_needing_help）");
    }
    QueryParams::finish(errs)?;
    let (Some(month), Some(units), Some(column)) = (month, units, column) else {
        return Err(anyhow::anyhow!("checked above").into());
    };
    not_in_the_future(month, state.today())?;
    let region = params.get("region").unwrap_or("330400").to_string();
    may_read(&state, &caller, &region)?;
    let (first, last) = state.policy.report.period_of(month);
    let columns = compute(&state, Period { first, last }).await?;
    let codes: BTreeSet<&str> = units.iter().map(|(c, _)| c.as_str()).collect();
    let mut entries: Vec<&Entry> =
        columns[column].iter().filter(|e| codes.contains(e.unit.as_str()) && e.person_id > cursor).collect();
    entries.sort_by(|a, b| a.person_id.cmp(&b.person_id));
    let next_cursor = (entries.len() > limit).then(|| encode_cursor(&entries[limit - 1].person_id));
    entries.truncate(limit);
    let mut items = Vec::new();
    for e in entries {
        let Some(record) = persons::get(&state.db.pool, &e.person_id).await? else { continue };
        items.push(FigurePerson {
            person_id: e.person_id.clone(),
            name: record.profile.name.clone(),
            id_number: record.id_masked.clone(),
            unit_code: e.unit.clone(),
            reference: e.reference.clone(),
        });
    }
    Ok(Json(FigurePeople { month: month_text(month), region, column: column.key().into(), items, next_cursor }))
}

#[derive(Serialize, ToSchema)]
pub struct YearRow {
    pub unit_code: String,
    pub unit_name: String,
    /// Certified hardship persons into work this year (column 9 over the year).
    pub certified_employed: i64,
    /// Hardship-group people into work this year (column 1 over the year).
    pub helped_total: i64,
    /// `certified_employed` as a share of the city's target, percent.
    pub share_of_city_target: f64,
}

#[derive(Serialize, ToSchema)]
pub struct YearReport {
    pub year: i32,
    pub region: String,
    /// Last day counted (today within the current year).
    pub through: String,
    /// The city's yearly target of certified persons into work (policy).
    pub city_target: i64,
    pub rows: Vec<YearRow>,
    pub certified_employed: i64,
    pub helped_total: i64,
    /// `certified_employed` against the city target, percent.
    pub progress_percent: f64,
    /// With `by_month=true`: the year to date at the end of each month
    /// (people counted once however often placed, as in the year's
    /// figures); else empty.
    pub by_month: Vec<MonthToDate>,
}

/// The year to date at the end of one month.
#[derive(Serialize, ToSchema)]
pub struct MonthToDate {
    /// `YYYY-MM`.
    pub month: String,
    pub certified_employed: i64,
    pub helped_total: i64,
}

/// Year to date against the city's target (8,500 certified persons into
/// work), per unit. Admin, and staff for their region.
#[utoipa::path(get, path = "/v1/reports/progress/year", tag = "reports",
    params(("year" = i32, Query), ("region" = Option<String>, Query),
           ("by_month" = Option<bool>, Query, description = "also the year to date at each month's end")),
    responses((status = 200, body = YearReport), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn progress_year(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<YearReport>> {
    let mut errs = Errors::default();
    params.deny_unknown(&["year", "region", "by_month"], &mut errs);
    let by_month = params.flag("by_month", &mut errs);
    let year = read_year(&params, &mut errs);
    let units = read_region(&state, &params, &mut errs);
    QueryParams::finish(errs)?;
    let (Some(year), Some(units)) = (year, units) else { return Err(anyhow::anyhow!("checked above").into()) };
    let region = params.get("region").unwrap_or("330400").to_string();
    may_read(&state, &caller, &region)?;
    let first = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| anyhow::anyhow!("a valid year"))?;
    let last = NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(|| anyhow::anyhow!("a valid year"))?.min(state.today());
    // One pass over the year's first placements: a person's first placement
    // of the year is also their first of any part of it from 1 January, so
    // the year to date at a month's end counts those started by then.
    let placed = if last >= first {
        first_placements(&state, Period { first, last }).await?
    } else {
        std::sync::Arc::new(Vec::new())
    };
    // Per unit, and per month of the first placement (then summed up to
    // each month's end), in one pass.
    let mut per_unit: HashMap<&str, (i64, i64)> = HashMap::new();
    let mut per_month = [(0i64, 0i64); 12];
    let listed: HashSet<&str> = units.iter().map(|(code, _)| code.as_str()).collect();
    for p in placed.iter() {
        let certified = i64::from(p.certified);
        let unit = per_unit.entry(p.entry.unit.as_str()).or_default();
        unit.0 += 1;
        unit.1 += certified;
        let month = p.started_on.get(5..7).and_then(|m| m.parse::<usize>().ok()).unwrap_or(1).clamp(1, 12);
        if listed.contains(p.entry.unit.as_str()) {
            per_month[month - 1].0 += 1;
            per_month[month - 1].1 += certified;
        }
    }
    let target = state.policy.report.city_target;
    let pct = |n: i64| if target > 0 { (n as f64 * 1000.0 / target as f64).round() / 10.0 } else { 0.0 };
    let rows: Vec<YearRow> = units
        .iter()
        .map(|(code, name)| {
            let (helped, certified) = per_unit.get(code.as_str()).copied().unwrap_or_default();
            YearRow {
                unit_code: code.clone(),
                unit_name: name.clone(),
                certified_employed: certified,
                helped_total: helped,
                share_of_city_target: pct(certified),
            }
        })
        .collect();
    let certified: i64 = rows.iter().map(|r| r.certified_employed).sum();
    let mut months = Vec::new();
    let (mut helped_to_date, mut certified_to_date) = (0, 0);
    let mut month_start = first;
    while by_month && month_start <= last {
        let (helped, certified) = per_month[month_start.month0() as usize];
        helped_to_date += helped;
        certified_to_date += certified;
        months.push(MonthToDate {
            month: month_start.format("%Y-%m").to_string(),
            certified_employed: certified_to_date,
            helped_total: helped_to_date,
        });
        month_start = super::last_day(month_start).succ_opt().ok_or_else(|| anyhow::anyhow!("a next day"))?;
    }
    Ok(Json(YearReport {
        by_month: months,
        year,
        region,
        through: last.to_string(),
        city_target: target,
        helped_total: rows.iter().map(|r| r.helped_total).sum(),
        certified_employed: certified,
        progress_percent: pct(certified),
        rows,
    }))
}
