//! The monthly progress report (进度表) of DOMAIN.md, computed from dated
//! records so that a month that has ended always gives the same figures:
//!
//! - **Period**: the calendar month in Asia/Shanghai (the year view: 1
//!   January to the end of the year or today).
//! - **Columns 1–6**: people with a placement in force (not corrected by a
//!   later record) that started in the period. A person counts once in
//!   column 1 however many placements, and in columns 2–6 under the channel
//!   of their first placement of the period, so that 1 = 2 + … + 6. The unit
//!   is where the person was filed when placed.
//! - **Column 7**: people paid a temporary living allowance for a month of
//!   the period (the taper included).
//! - **Column 8**: people certified as 就业困难人员 through the workflow with
//!   effect in the period (a renewal of a running certification is not new;
//!   people registered as certified elsewhere are not new here).
//! - **Column 9**: those of column 1 certified on the day their placement started.
//! - **Column 10**: people registered by the period end, certified at its last
//!   day and not in work that day (no placement in force covering it).
//! - Columns 7, 8 and 10 file a person under the unit of where they lived at
//!   the period end (their record's region history).
//!
//! `GET /v1/reports/progress/people` lists the people behind any figure.

use std::collections::{BTreeSet, HashMap, HashSet};

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{NaiveDate, TimeZone};
use jobmatch_core::error::Problem;
use jobmatch_core::http::QueryParams;
use jobmatch_core::records::persons;
use jobmatch_core::time::{shanghai, to_text, today};
use jobmatch_core::validate::Errors;
use jobmatch_core::{ApiError, ApiResult, AppState, Principal, Role};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::allowances::schedule;
use super::{add_months, last_day, month_text, parse_month};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(progress)).routes(routes!(progress_people)).routes(routes!(progress_year))
}

/// The ten columns: API key and the bureau's header, in the form's order.
pub const COLUMNS: [(&str, &str); 10] = [
    ("helped_total", "本期帮扶困难群体就业总人数"),
    ("flexible", "实现灵活就业人数"),
    ("employer", "用人单位吸纳人数"),
    ("self_employed", "自主创业人数"),
    ("public_welfare", "公益性岗位安置人数"),
    ("project", "项目帮扶人数"),
    ("allowance", "享受临时生活补贴人数"),
    ("newly_certified", "新认定就业困难人员人数"),
    ("certified_employed", "帮扶就业困难人员就业人数"),
    ("still_needing_help", "期末仍需帮扶就业困难人员人数"),
];

/// The figures of one row.
#[derive(Clone, Debug, Default, Serialize, ToSchema, PartialEq, Eq)]
pub struct Figures {
    pub helped_total: i64,
    pub flexible: i64,
    pub employer: i64,
    pub self_employed: i64,
    pub public_welfare: i64,
    pub project: i64,
    pub allowance: i64,
    pub newly_certified: i64,
    pub certified_employed: i64,
    pub still_needing_help: i64,
}

impl Figures {
    pub fn values(&self) -> [i64; 10] {
        [
            self.helped_total,
            self.flexible,
            self.employer,
            self.self_employed,
            self.public_welfare,
            self.project,
            self.allowance,
            self.newly_certified,
            self.certified_employed,
            self.still_needing_help,
        ]
    }

    fn from_values(v: [i64; 10]) -> Figures {
        Figures {
            helped_total: v[0],
            flexible: v[1],
            employer: v[2],
            self_employed: v[3],
            public_welfare: v[4],
            project: v[5],
            allowance: v[6],
            newly_certified: v[7],
            certified_employed: v[8],
            still_needing_help: v[9],
        }
    }
}

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
    pub rows: Vec<ReportRow>,
    pub total: Figures,
}

/// One person behind a figure.
#[derive(Clone, Debug)]
pub struct Entry {
    pub person_id: String,
    pub unit: String,
    /// The record that puts the person there (placement, allowance, certification event).
    pub reference: String,
}

/// A period: from `first` to `last`, days in Asia/Shanghai.
#[derive(Clone, Copy, Debug)]
pub struct Period {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Period {
    /// The instant the period ends (midnight after its last day, Shanghai), as stored text.
    fn end_instant(&self) -> String {
        let next = self.last.succ_opt().expect("a next day").and_hms_opt(0, 0, 0).expect("midnight");
        to_text(shanghai().from_local_datetime(&next).single().expect("fixed offset").with_timezone(&chrono::Utc))
    }
}

/// Where people who moved after `end` lived then (their unit), from the
/// change history; everyone else is filed where their record says now.
async fn movers(state: &AppState, end: &str) -> anyhow::Result<HashMap<String, String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT person_id, changes FROM person_history
         WHERE created_at >= $1 AND changes LIKE '%\"region_code\"%' ORDER BY id",
    )
    .bind(end)
    .fetch_all(&state.db.pool)
    .await?;
    let mut out = HashMap::new();
    for (person, changes) in rows {
        if out.contains_key(&person) {
            continue;
        }
        let v: Value = serde_json::from_str(&changes).unwrap_or_default();
        if let Some(from) = v["region_code"]["from"].as_str() {
            out.insert(person, state.regions.placement(from).unit_code.unwrap_or_default());
        }
    }
    Ok(out)
}

type CertRow = (String, Option<String>, String, String, Option<String>, String);

/// Whether a person was certified on `day`, from their certification events
/// (oldest first). A certification recorded at registration (made outside
/// the system) holds from before the record began.
fn certified_on(events: &[CertRow], day: &str) -> bool {
    let carried = |e: &CertRow| e.1.is_none() && e.3 == "[]";
    let last = events.iter().rfind(|e| carried(e) || e.5.as_str() <= day);
    last.is_some_and(|e| e.2 == "certified" && e.4.as_deref().is_none_or(|u| u >= day))
}

/// Every column's people for the period.
pub async fn compute(state: &AppState, period: Period) -> anyhow::Result<Vec<Vec<Entry>>> {
    let mut cols = compute_placed(state, period).await?;
    compute_others(state, period, &mut cols).await?;
    Ok(cols)
}

/// Columns 1–6 and 9 (the rest left empty).
pub async fn compute_placed(state: &AppState, period: Period) -> anyhow::Result<Vec<Vec<Entry>>> {
    let pool = &state.db.pool;
    let (first, last) = (period.first.to_string(), period.last.to_string());
    let mut cols: Vec<Vec<Entry>> = vec![Vec::new(); 10];

    // Columns 1–6 and 9: the first placement of the period per person.
    let placed: Vec<(String, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT p.id, p.person_id, p.channel, p.unit_code, p.started_on FROM placements p
         WHERE p.started_on >= $1 AND p.started_on <= $2
           AND NOT EXISTS (SELECT 1 FROM placements c WHERE c.supersedes = p.id)
         ORDER BY p.started_on, p.created_at, p.id",
    )
    .bind(&first)
    .bind(&last)
    .fetch_all(pool)
    .await?;
    let certs: Vec<CertRow> = sqlx::query_as(
        "SELECT e.person_id, e.from_status, e.to_status, e.grounds, e.valid_until, e.effective_on
         FROM certification_events e
         WHERE e.person_id IN (SELECT p.person_id FROM placements p WHERE p.started_on >= $1 AND p.started_on <= $2)
         ORDER BY e.person_id, e.id",
    )
    .bind(&first)
    .bind(&last)
    .fetch_all(pool)
    .await?;
    let mut by_person: HashMap<&str, Vec<CertRow>> = HashMap::new();
    for c in &certs {
        by_person.entry(c.0.as_str()).or_default().push(c.clone());
    }
    let mut seen = HashSet::new();
    for (id, person, channel, unit, started) in placed {
        if !seen.insert(person.clone()) {
            continue;
        }
        let unit = unit.unwrap_or_default();
        let col = match channel.as_str() {
            "flexible" => 1,
            "employer" => 2,
            "self_employed" => 3,
            "public_welfare" => 4,
            _ => 5,
        };
        let entry = Entry { person_id: person.clone(), unit, reference: id };
        if by_person.get(person.as_str()).is_some_and(|ev| certified_on(ev, &started)) {
            cols[8].push(entry.clone());
        }
        cols[col].push(entry.clone());
        cols[0].push(entry);
    }
    Ok(cols)
}

/// Columns 7, 8 and 10.
async fn compute_others(state: &AppState, period: Period, cols: &mut [Vec<Entry>]) -> anyhow::Result<()> {
    let pool = &state.db.pool;
    let (first, last) = (period.first.to_string(), period.last.to_string());
    let end = period.end_instant();
    let moved = movers(state, &end).await?;
    let unit_now = |person: &str, current: Option<String>| -> String {
        moved.get(person).cloned().unwrap_or_else(|| current.unwrap_or_default())
    };

    // Column 7: allowances paid in a month of the period.
    let from_month = month_text(add_months(period.first, -24));
    let allowances: Vec<(String, String, String, i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT a.id, a.person_id, a.start_month, a.months, a.monthly_amount, pr.unit_code FROM allowances a
         JOIN persons pr ON pr.id = a.person_id
         WHERE a.start_month >= $1 AND a.start_month <= $2 ORDER BY a.id",
    )
    .bind(&from_month)
    .bind(month_text(period.last))
    .fetch_all(pool)
    .await?;
    let placed_after: Vec<(String, String)> = sqlx::query_as(
        "SELECT p.person_id, p.started_on FROM placements p
         WHERE p.person_id IN (SELECT person_id FROM allowances WHERE start_month >= $1 AND start_month <= $2)
           AND NOT EXISTS (SELECT 1 FROM placements c WHERE c.supersedes = p.id)",
    )
    .bind(&from_month)
    .bind(month_text(period.last))
    .fetch_all(pool)
    .await?;
    let (pf, pl) = (month_text(period.first), month_text(period.last));
    let mut paid = HashSet::new();
    for (id, person, start, months, amount, unit) in allowances {
        let Some(start_d) = parse_month(&start) else { continue };
        let lifted = placed_after
            .iter()
            .filter(|(p, s)| *p == person && s.as_str() >= start.as_str())
            .filter_map(|(_, s)| parse_month(s.get(..7)?))
            .min();
        let pays = schedule(start_d, months, amount, lifted, &state.policy.allowance)
            .iter()
            .any(|m| m.amount > 0 && m.month >= pf && m.month <= pl);
        if pays && paid.insert(person.clone()) {
            let unit = unit_now(&person, unit);
            cols[6].push(Entry { person_id: person, unit, reference: id });
        }
    }

    // Column 8: newly certified through the workflow in the period.
    let newly: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT e.id, e.person_id, pr.unit_code FROM certification_events e JOIN persons pr ON pr.id = e.person_id
         WHERE e.to_status = 'certified' AND e.effective_on >= $1 AND e.effective_on <= $2
           AND e.from_status IS NOT NULL AND e.from_status <> 'certified'
         ORDER BY e.id",
    )
    .bind(&first)
    .bind(&last)
    .fetch_all(pool)
    .await?;
    let mut seen = HashSet::new();
    for (id, person, unit) in newly {
        if seen.insert(person.clone()) {
            let unit = unit_now(&person, unit);
            cols[7].push(Entry { person_id: person, unit, reference: format!("certification_event:{id}") });
        }
    }

    // Column 10: certified at the last day and not in work that day.
    let still: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT e.id, e.person_id, pr.unit_code FROM certification_events e
         JOIN persons pr ON pr.id = e.person_id
         WHERE e.to_status = 'certified' AND (e.valid_until IS NULL OR e.valid_until >= $1)
           AND (e.effective_on <= $1 OR (e.from_status IS NULL AND e.grounds = '[]'))
           AND pr.created_at < $2
           AND NOT EXISTS (SELECT 1 FROM certification_events x WHERE x.person_id = e.person_id AND x.id > e.id
                AND (x.effective_on <= $1 OR (x.from_status IS NULL AND x.grounds = '[]')))
           AND NOT EXISTS (SELECT 1 FROM placements p WHERE p.person_id = e.person_id AND p.started_on <= $1
                AND (p.ended_on IS NULL OR p.ended_on >= $1)
                AND NOT EXISTS (SELECT 1 FROM placements c WHERE c.supersedes = p.id))",
    )
    .bind(&last)
    .bind(&end)
    .fetch_all(pool)
    .await?;
    for (id, person, unit) in still {
        let unit = unit_now(&person, unit);
        cols[9].push(Entry { person_id: person, unit, reference: format!("certification_event:{id}") });
    }
    Ok(())
}

/// The reporting units under `region`, in the form's order (counties by
/// code, then the zones); None when `region` is not the city, a county or a zone.
pub fn units(state: &AppState, region: &str) -> Option<Vec<(String, String)>> {
    let r = state.regions.get(region)?;
    match r.level.as_str() {
        "county" | "zone" => Some(vec![(r.code.clone(), r.name.clone())]),
        "city" => {
            let all = jobmatch_core::regions::parse_csv(jobmatch_core::regions::SEED_CSV).unwrap_or_default();
            let mut counties: Vec<(String, String)> = Vec::new();
            let mut zones: Vec<(String, String)> = Vec::new();
            for x in all {
                let Some(known) = state.regions.get(&x.code) else { continue };
                if known.parent.as_deref() != Some(region) {
                    continue;
                }
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
pub fn tabulate(cols: &[Vec<Entry>], units: &[(String, String)]) -> (Vec<ReportRow>, Figures) {
    let mut rows = Vec::new();
    let mut total = [0i64; 10];
    for (code, name) in units {
        let mut v = [0i64; 10];
        for (i, col) in cols.iter().enumerate() {
            v[i] = col.iter().filter(|e| e.unit == *code).count() as i64;
            total[i] += v[i];
        }
        rows.push(ReportRow { unit_code: code.clone(), unit_name: name.clone(), figures: Figures::from_values(v) });
    }
    (rows, Figures::from_values(total))
}

fn read_region(state: &AppState, p: &Principal, q: &QueryParams, errs: &mut Errors) -> Option<Vec<(String, String)>> {
    let region = q.get("region").unwrap_or("330400");
    match units(state, region) {
        Some(u) => Some(u),
        None => {
            errs.add("region", "not_a_report_region", "报表区域应为市、县（市、区）或开发区代码");
            let _ = p;
            None
        }
    }
}

fn may_read(state: &AppState, p: &Principal, region: &str) -> ApiResult<()> {
    p.require(&[Role::Admin, Role::Staff])?;
    if p.role == Role::Staff && !state.regions.covers(&p.region_code, region) {
        return Err(ApiError::forbidden("只能查看本人负责区域的报表"));
    }
    Ok(())
}

fn read_month(q: &QueryParams, errs: &mut Errors) -> Option<NaiveDate> {
    match q.get("month") {
        None => {
            errs.add("month", "required", "必填，格式 YYYY-MM");
            None
        }
        Some(m) => match parse_month(m) {
            Some(d) => Some(d),
            None => {
                errs.add("month", "invalid_month", "月份格式应为 YYYY-MM");
                None
            }
        },
    }
}

fn csv_text(report: &ProgressReport, region_name: &str) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["单位代码".to_string(), "单位".to_string()];
    header.extend(COLUMNS.iter().map(|(_, h)| h.to_string()));
    w.write_record(&header)?;
    for r in &report.rows {
        let mut rec = vec![r.unit_code.clone(), r.unit_name.clone()];
        rec.extend(r.figures.values().iter().map(|v| v.to_string()));
        w.write_record(&rec)?;
    }
    let mut rec = vec![report.region.clone(), format!("{region_name}合计")];
    rec.extend(report.total.values().iter().map(|v| v.to_string()));
    w.write_record(&rec)?;
    let mut out = "\u{feff}".as_bytes().to_vec();
    out.extend(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?);
    Ok(out)
}

/// The workbook laid out like the bureau's form: title, unit and period,
/// two header rows with 帮扶成效 over columns 2–7, one row per unit, total.
fn xlsx(report: &ProgressReport, region_name: &str) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("进度表")?;
    let title = Format::new().set_bold().set_font_size(16).set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let bold = Format::new().set_bold().set_border(FormatBorder::Thin);
    let (y, m) = (&report.month[..4], report.month[5..].trim_start_matches('0'));
    ws.merge_range(0, 0, 0, 10, "困难群体就业帮扶工作进度表", &title)?;
    ws.merge_range(1, 0, 1, 5, &format!("填报单位：{region_name}"), &Format::new())?;
    ws.merge_range(1, 6, 1, 10, &format!("统计期间：{y}年{m}月"), &Format::new().set_align(FormatAlign::Right))?;
    ws.merge_range(2, 0, 3, 0, "单位", &head)?;
    ws.merge_range(2, 1, 3, 1, COLUMNS[0].1, &head)?;
    ws.merge_range(2, 2, 2, 7, "帮扶成效", &head)?;
    for (i, (_, h)) in COLUMNS.iter().enumerate().skip(1).take(6) {
        ws.write_string_with_format(3, (i + 1) as u16, *h, &head)?;
    }
    for (i, (_, h)) in COLUMNS.iter().enumerate().skip(7) {
        ws.merge_range(2, (i + 1) as u16, 3, (i + 1) as u16, h, &head)?;
    }
    ws.set_row_height(3, 48)?;
    ws.set_column_width(0, 26)?;
    for c in 1..=10u16 {
        ws.set_column_width(c, 14)?;
    }
    let mut row = 4u32;
    for r in &report.rows {
        ws.write_string_with_format(row, 0, &r.unit_name, &cell)?;
        for (i, v) in r.figures.values().iter().enumerate() {
            ws.write_number_with_format(row, (i + 1) as u16, *v as f64, &cell)?;
        }
        row += 1;
    }
    ws.write_string_with_format(row, 0, "合计", &bold)?;
    for (i, v) in report.total.values().iter().enumerate() {
        ws.write_number_with_format(row, (i + 1) as u16, *v as f64, &bold)?;
    }
    Ok(wb.save_to_buffer()?)
}

/// The progress report (进度表) of a month: one row per county-level unit
/// under `region` (default the city) and a total, as JSON, CSV (Chinese
/// headers, UTF-8 with BOM) or XLSX in the bureau's layout. Admin, and staff
/// for their region.
#[utoipa::path(get, path = "/v1/reports/progress", tag = "reports",
    params(("month" = String, Query, description = "YYYY-MM"), ("region" = Option<String>, Query, description = "city, county or zone code; default 330400"),
           ("format" = Option<String>, Query, description = "json (default), csv or xlsx")),
    responses((status = 200, body = ProgressReport), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn progress(State(state): State<AppState>, p: Principal, q: QueryParams) -> ApiResult<Response> {
    let mut errs = Errors::default();
    q.deny_unknown(&["month", "region", "format"], &mut errs);
    let month = read_month(&q, &mut errs);
    let format = q.one_of("format", &["json", "csv", "xlsx"], &mut errs).unwrap_or_else(|| "json".into());
    let units = read_region(&state, &p, &q, &mut errs);
    QueryParams::finish(errs)?;
    let (Some(month), Some(units)) = (month, units) else { return Err(anyhow::anyhow!("checked above").into()) };
    let region = q.get("region").unwrap_or("330400").to_string();
    may_read(&state, &p, &region)?;
    let cols = compute(&state, Period { first: month, last: last_day(month) }).await?;
    let (rows, total) = tabulate(&cols, &units);
    let report = ProgressReport { month: month_text(month), region: region.clone(), rows, total };
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

fn attachment(body: Vec<u8>, content_type: &'static str, name: &str) -> Response {
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
    pub items: Vec<FigurePerson>,
}

/// The people behind one figure of the report (staff of the region, admin).
/// `column` is a JSON key (`still_needing_help`) or its number (1–10).
#[utoipa::path(get, path = "/v1/reports/progress/people", tag = "reports",
    params(("month" = String, Query), ("region" = Option<String>, Query), ("column" = String, Query)),
    responses((status = 200, body = FigurePeople), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn progress_people(State(state): State<AppState>, p: Principal, q: QueryParams) -> ApiResult<Json<FigurePeople>> {
    let mut errs = Errors::default();
    q.deny_unknown(&["month", "region", "column"], &mut errs);
    let month = read_month(&q, &mut errs);
    let units = read_region(&state, &p, &q, &mut errs);
    let column = q.get("column").and_then(|c| {
        COLUMNS
            .iter()
            .position(|(k, _)| *k == c)
            .or_else(|| c.parse::<usize>().ok().filter(|n| (1..=10).contains(n)).map(|n| n - 1))
    });
    if column.is_none() {
        errs.add("column", "unknown_column", "应为 1–10 或列名（如 still_needing_help）");
    }
    QueryParams::finish(errs)?;
    let (Some(month), Some(units), Some(column)) = (month, units, column) else {
        return Err(anyhow::anyhow!("checked above").into());
    };
    let region = q.get("region").unwrap_or("330400").to_string();
    may_read(&state, &p, &region)?;
    let cols = compute(&state, Period { first: month, last: last_day(month) }).await?;
    let codes: BTreeSet<&str> = units.iter().map(|(c, _)| c.as_str()).collect();
    let mut items = Vec::new();
    for e in cols[column].iter().filter(|e| codes.contains(e.unit.as_str())) {
        let Some(sp) = persons::get(&state.db.pool, &e.person_id).await? else { continue };
        items.push(FigurePerson {
            person_id: e.person_id.clone(),
            name: sp.profile.name.clone(),
            id_number: sp.id_masked.clone(),
            unit_code: e.unit.clone(),
            reference: e.reference.clone(),
        });
    }
    items.sort_by(|a, b| (&a.unit_code, &a.person_id).cmp(&(&b.unit_code, &b.person_id)));
    Ok(Json(FigurePeople { month: month_text(month), region, column: COLUMNS[column].0.into(), items }))
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
}

/// Year to date against the city's target (8,500 certified persons into
/// work), per unit. Admin, and staff for their region.
#[utoipa::path(get, path = "/v1/reports/progress/year", tag = "reports",
    params(("year" = i32, Query), ("region" = Option<String>, Query)),
    responses((status = 200, body = YearReport), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn progress_year(State(state): State<AppState>, p: Principal, q: QueryParams) -> ApiResult<Json<YearReport>> {
    let mut errs = Errors::default();
    q.deny_unknown(&["year", "region"], &mut errs);
    let year = q.get("year").and_then(|y| y.parse::<i32>().ok()).filter(|y| (2000..=2100).contains(y));
    if year.is_none() {
        errs.add("year", "invalid_year", "应为四位年份，如 2026");
    }
    let units = read_region(&state, &p, &q, &mut errs);
    QueryParams::finish(errs)?;
    let (Some(year), Some(units)) = (year, units) else { return Err(anyhow::anyhow!("checked above").into()) };
    let region = q.get("region").unwrap_or("330400").to_string();
    may_read(&state, &p, &region)?;
    let first = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| anyhow::anyhow!("a valid year"))?;
    let last = NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(|| anyhow::anyhow!("a valid year"))?.min(today());
    let cols = if last >= first { compute_placed(&state, Period { first, last }).await? } else { vec![Vec::new(); 10] };
    let target = state.policy.report.city_target;
    let pct = |n: i64| if target > 0 { (n as f64 * 1000.0 / target as f64).round() / 10.0 } else { 0.0 };
    let rows: Vec<YearRow> = units
        .iter()
        .map(|(code, name)| {
            let certified = cols[8].iter().filter(|e| e.unit == *code).count() as i64;
            YearRow {
                unit_code: code.clone(),
                unit_name: name.clone(),
                certified_employed: certified,
                helped_total: cols[0].iter().filter(|e| e.unit == *code).count() as i64,
                share_of_city_target: pct(certified),
            }
        })
        .collect();
    let certified: i64 = rows.iter().map(|r| r.certified_employed).sum();
    Ok(Json(YearReport {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(from: Option<&str>, to: &str, grounds: &str, until: Option<&str>, on: &str) -> CertRow {
        ("p".into(), from.map(String::from), to.into(), grounds.into(), until.map(String::from), on.into())
    }

    #[test]
    fn certification_is_read_as_of_a_day() {
        let events = vec![
            ev(None, "applied", "[\"older\"]", None, "2026-03-01"),
            ev(Some("applied"), "certified", "[\"older\"]", Some("2028-03-10"), "2026-03-10"),
            ev(Some("certified"), "revoked", "[]", None, "2026-09-01"),
        ];
        assert!(!certified_on(&events, "2026-03-09"));
        assert!(certified_on(&events, "2026-03-10"));
        assert!(certified_on(&events, "2026-08-31"));
        assert!(!certified_on(&events, "2026-09-01"));
        // Registered as certified elsewhere: holds before the record began, until its end.
        let carried = vec![ev(None, "certified", "[]", Some("2027-01-31"), "2026-11-25")];
        assert!(certified_on(&carried, "2026-10-15"));
        assert!(!certified_on(&carried, "2027-02-01"));
    }
}
