//! 报表: the month's 进度表 laid out like the form (two header rows, 帮扶成效
//! over columns 2–7, the 栏次 row), each figure a link to the people
//! behind it; downloads (XLSX, CSV) as the API makes them; and the year to
//! date against the city's target as server-drawn SVG charts, by month and
//! by unit.

use askama::Template;
use axum::extract::Query;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use chrono::Datelike;
use jobmatch_registry::outcomes::columns::Column;
use serde::Deserialize;
use serde_json::Value;

use crate::forms::encode;
use crate::{render, Ctx, Layout};

#[derive(Deserialize)]
pub(crate) struct ReportQuery {
    month: Option<String>,
    region: Option<String>,
    format: Option<String>,
    column: Option<String>,
}

struct Cell {
    figure: i64,
    href: String,
}

struct Row {
    name: String,
    cells: Vec<Cell>,
}

/// One bar of a chart, with its geometry worked out here (no script).
struct Bar {
    label: String,
    value: i64,
    x: i64,
    y: i64,
    width: i64,
    height: i64,
    label_x: i64,
    label_y: i64,
}

struct Chart {
    title: String,
    description: String,
    width: i64,
    height: i64,
    bars: Vec<Bar>,
    /// The target line's y, with its label.
    target: Option<(i64, String)>,
    axis_y: i64,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    layout: Layout,
    month: String,
    /// 统计期间 as the policy sets it (`2025-01-26 至 2025-02-25`).
    period: String,
    region: String,
    region_name: String,
    complete: bool,
    outcome_span: usize,
    before: Vec<(usize, &'static str)>,
    outcomes: Vec<(usize, &'static str)>,
    after: Vec<(usize, &'static str)>,
    rows: Vec<Row>,
    total: Row,
    downloads: Vec<(String, &'static str)>,
    year: String,
    people: Option<(String, Vec<(String, String)>)>,
    /// 报送: each unit's state for the month (absent when not readable).
    submissions: Option<Submissions>,
}

/// The month's 报送 as the API gives it.
struct Submissions {
    deadline: String,
    /// Some unit is reminded (from the 20th until it submits).
    reminder: bool,
    units: Vec<UnitState>,
}

struct UnitState {
    code: String,
    name: String,
    state: String,
    /// "第 N 次，YYYY-MM-DD HH:MM" of the latest, with its note.
    latest: String,
    submitted: bool,
}

fn submissions(v: &Value) -> Submissions {
    let units: Vec<UnitState> = v["units"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| {
            let latest = &u["latest"];
            UnitState {
                code: u["unit_code"].as_str().unwrap_or("").into(),
                name: u["unit_name"].as_str().unwrap_or("").into(),
                state: crate::labels::name("submission", u["state"].as_str().unwrap_or("")),
                latest: if latest.is_object() {
                    format!(
                        "第 {} 次，{}{}",
                        latest["sequence"],
                        crate::local_time(latest["submitted_at"].as_str().unwrap_or("")),
                        latest["note"].as_str().map(|n| format!("（{n}）")).unwrap_or_default()
                    )
                } else {
                    String::new()
                },
                submitted: latest.is_object(),
            }
        })
        .collect();
    Submissions {
        deadline: v["deadline"].as_str().unwrap_or("").into(),
        reminder: v["units"].as_array().into_iter().flatten().any(|u| u["reminder"] == true),
        units,
    }
}

pub(crate) fn valid_month(m: &str) -> bool {
    m.len() == 7
        && m.as_bytes()[4] == b'-'
        && m[..4].parse::<i32>().is_ok()
        && m[5..].parse::<u32>().is_ok_and(|n| (1..=12).contains(&n))
}

fn figures(ctx_month: &str, region: &str, unit: Option<&str>, v: &Value) -> Vec<Cell> {
    Column::ALL
        .iter()
        .map(|c| Cell {
            figure: v[c.key()].as_i64().unwrap_or(0),
            href: format!(
                "/console/reports/progress?month={ctx_month}&region={}&column={}",
                unit.unwrap_or(region),
                c.key()
            ),
        })
        .collect()
}

/// A bar chart of `values` (label, value) with an optional target line.
fn bar_chart(title: String, description: String, values: Vec<(String, i64)>, target: Option<i64>) -> Chart {
    let (left, top, bar_w, gap, plot_h) = (48_i64, 24_i64, 64_i64, 22_i64, 200_i64);
    let max = values.iter().map(|(_, v)| *v).chain(target).max().unwrap_or(0).max(1);
    let scale = |v: i64| v * plot_h / max;
    let bars = values
        .into_iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let h = scale(value);
            let x = left + i as i64 * (bar_w + gap);
            Bar {
                label,
                value,
                x,
                y: top + plot_h - h,
                width: bar_w,
                height: h,
                label_x: x + bar_w / 2,
                label_y: top + plot_h + 18,
            }
        })
        .collect::<Vec<_>>();
    let width = left + bars.len() as i64 * (bar_w + gap) + 24;
    Chart {
        title,
        description,
        width: width.max(320),
        height: top + plot_h + 40,
        target: target.map(|t| (top + plot_h - scale(t), format!("目标 {t}"))),
        axis_y: top + plot_h,
        bars,
    }
}

pub(crate) async fn progress(ctx: Ctx, Query(q): Query<ReportQuery>) -> Response {
    let now = ctx.state.today();
    let month = q.month.filter(|m| valid_month(m)).unwrap_or_else(|| format!("{:04}-{:02}", now.year(), now.month()));
    let own = ctx.session.principal.region_code.clone();
    let region = q.region.filter(|r| ctx.state.regions.contains(r)).unwrap_or(own);
    let report = match ctx.get(&format!("/v1/reports/progress?month={month}&region={region}")).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let rows: Vec<Row> = report["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| Row {
            name: r["unit_name"].as_str().unwrap_or("").into(),
            cells: figures(&month, &region, r["unit_code"].as_str(), r),
        })
        .collect();
    let total = Row { name: "合计".into(), cells: figures(&month, &region, None, &report["total"]) };
    let columns: Vec<(usize, &'static str)> = Column::ALL.iter().map(|c| (c.number(), c.header())).collect();
    let first_outcome = Column::ALL.iter().position(|c| c.is_outcome()).unwrap_or(0);
    let outcome_span = Column::ALL.iter().filter(|c| c.is_outcome()).count();
    let before = columns[..first_outcome].to_vec();
    let outcomes = columns[first_outcome..first_outcome + outcome_span].to_vec();
    let after = columns[first_outcome + outcome_span..].to_vec();
    let downloads = vec![
        (
            format!("/console/reports/progress/download?month={month}&region={region}&format=xlsx"),
            "下载 Excel（.xlsx）",
        ),
        (format!("/console/reports/progress/download?month={month}&region={region}&format=csv"), "下载 CSV"),
    ];
    let people = match q.column.as_deref().and_then(Column::parse) {
        Some(c) => {
            let uri = format!("/v1/reports/progress/people?month={month}&region={region}&column={}&limit=100", c.key());
            match ctx.get(&uri).await {
                Ok(v) => Some((
                    format!("第 {} 栏：{}", c.number(), c.header()),
                    v["items"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|p| {
                            let id = p["person_id"].as_str().or(p["id"].as_str()).unwrap_or("").to_string();
                            (id, p["name"].as_str().unwrap_or("").to_string())
                        })
                        .collect(),
                )),
                Err(r) => return r,
            }
        }
        None => None,
    };
    let board =
        ctx.call(Method::GET, &format!("/v1/reports/progress/submissions?month={month}&region={region}"), None).await;
    let submissions = board.ok().then(|| submissions(board.json()));
    let year = month[..4].to_string();
    let page = ReportPage {
        submissions,
        year,
        layout: ctx.layout(format!("进度表 {month}"), "reports"),
        region_name: crate::jobs::region_name(&ctx, &region),
        complete: report["complete"].as_bool().unwrap_or(false),
        period: format!(
            "{} 至 {}",
            report["period_from"].as_str().unwrap_or(""),
            report["period_to"].as_str().unwrap_or("")
        ),
        month,
        region,
        outcome_span,
        before,
        outcomes,
        after,
        rows,
        total,
        downloads,
        people,
    };
    render(StatusCode::OK, &page)
}

/// The report file as the API makes it, with its name.
pub(crate) async fn download(ctx: Ctx, Query(q): Query<ReportQuery>) -> Response {
    let (Some(month), Some(region)) = (q.month.filter(|m| valid_month(m)), q.region) else {
        return ctx.refused(&crate::Answer::not_found());
    };
    let format = if q.format.as_deref() == Some("csv") { "csv" } else { "xlsx" };
    let answer = ctx
        .call(
            Method::GET,
            &format!("/v1/reports/progress?month={month}&region={}&format={format}", encode(&region)),
            None,
        )
        .await;
    if !answer.ok() {
        return ctx.refused(&answer);
    }
    crate::file_answer(answer, &format!("progress-{month}-{region}.{format}"))
}

#[derive(Template)]
#[template(path = "year.html")]
struct YearPage {
    layout: Layout,
    year: i32,
    region: String,
    region_name: String,
    charts: Vec<Chart>,
    year_line: String,
}

#[derive(Deserialize)]
pub(crate) struct YearQuery {
    year: Option<i32>,
    region: Option<String>,
}

/// The year to date against the city's target, by unit and by month.
pub(crate) async fn year(ctx: Ctx, Query(q): Query<YearQuery>) -> Response {
    let now = ctx.state.today();
    let year = q.year.filter(|y| (2000..=2100).contains(y)).unwrap_or(now.year());
    let own = ctx.session.principal.region_code.clone();
    let region = q.region.filter(|r| ctx.state.regions.contains(r)).unwrap_or(own);
    // The year to date: by unit from the year report, by month as the
    // year to date at each month's end (column 9, certified persons into work).
    let y = match ctx.get(&format!("/v1/reports/progress/year?year={year}&region={region}&by_month=true")).await {
        Ok(y) => y,
        Err(r) => return r,
    };
    let mut charts = Vec::new();
    let target = y["city_target"].as_i64().unwrap_or(0);
    let year_line = format!(
        "{year} 年截至 {}：帮扶就业困难人员就业 {} 人，占全市目标 {target} 人的 {:.1}%。",
        y["through"].as_str().unwrap_or(""),
        y["certified_employed"].as_i64().unwrap_or(0),
        y["progress_percent"].as_f64().unwrap_or(0.0)
    );
    let by_unit: Vec<(String, i64)> = y["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| (r["unit_name"].as_str().unwrap_or("").into(), r["certified_employed"].as_i64().unwrap_or(0)))
        .collect();
    charts.push(bar_chart(
        format!("{year} 年各单位帮扶就业困难人员就业人数"),
        by_unit.iter().map(|(n, v)| format!("{n} {v} 人")).collect::<Vec<_>>().join("，"),
        by_unit,
        None,
    ));
    let by_month: Vec<(String, i64)> = y["by_month"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let label = m["month"].as_str().and_then(|t| t.get(5..)).unwrap_or("").trim_start_matches('0');
            (format!("{label}月"), m["certified_employed"].as_i64().unwrap_or(0))
        })
        .collect();
    charts.push(bar_chart(
        format!("{year} 年逐月累计（对照全市目标 {target} 人）"),
        by_month.iter().map(|(n, v)| format!("{n}累计 {v} 人")).collect::<Vec<_>>().join("，"),
        by_month,
        Some(target),
    ));
    let page = YearPage {
        layout: ctx.layout(format!("{year} 年进度"), "reports"),
        region_name: crate::jobs::region_name(&ctx, &region),
        year,
        region,
        charts,
        year_line,
    };
    render(StatusCode::OK, &page)
}

/// 报送: freeze a unit's 进度表 for the month (again, with a note, to correct it).
pub(crate) async fn submit(ctx: Ctx, axum::Form(form): axum::Form<Vec<(String, String)>>) -> Response {
    let posted = match ctx.checked(form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (unit, month) = (posted.get("unit_code").to_string(), posted.get("month").to_string());
    if !ctx.state.regions.contains(&unit) || !valid_month(&month) {
        return ctx.refused(&crate::Answer::not_found());
    }
    let note = posted.get("note").trim().to_string();
    let mut body = serde_json::json!({"unit_code": unit, "month": month});
    if !note.is_empty() {
        body["note"] = Value::String(note);
    }
    ctx.act(
        "/v1/reports/progress/submissions",
        Some(&body),
        &format!("/console/reports/progress?month={month}&region={unit}#submissions"),
    )
    .await
}
