//! The working-day calendar the 公示 periods are counted on: `GET
//! /v1/calendar` (the years listed, how far they reach, whether the next
//! year is due) and `PUT /v1/calendar/{year}` (the bureau's admin enters a
//! year from the State Council's notice; stored, so every replica counts
//! with it at once, no restart).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use jobmatch_core::calendar::{self, CalendarYear, StoredYear, WARN_DAYS};
use jobmatch_core::error::{ApiResult, Problem};
use jobmatch_core::http::JsonBody;
use jobmatch_core::validate::{read_body_partly, Errors, Fields, RequestBody};
use jobmatch_core::{ApiError, AppState, Principal, Role};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_calendar)).routes(routes!(put_year))
}

/// One year of the calendar.
#[derive(Serialize, ToSchema)]
pub struct CalendarYearView {
    pub year: i32,
    /// Days off (YYYY-MM-DD), in order.
    pub holidays: Vec<String>,
    /// Weekend days worked in exchange (调休上班), in order.
    pub working_days: Vec<String>,
    /// The notice it comes from.
    pub source: String,
    /// Who entered it (a key or account id); null for a year the shipped
    /// calendar file brought.
    pub updated_by: Option<String>,
    pub updated_at: String,
}

/// The calendar and how far it reaches.
#[derive(Serialize, ToSchema)]
pub struct CalendarView {
    pub years: Vec<CalendarYearView>,
    /// The last day known without a gap from this year on (null when this
    /// year itself is missing): a 公示 cannot end after it.
    pub covered_until: Option<String>,
    /// Days from today to `covered_until`.
    pub days_left: Option<i64>,
    /// Whether the next year is due: `covered_until` is within 60 days, or
    /// this year is missing.
    pub warning: bool,
}

fn view(y: StoredYear) -> CalendarYearView {
    // Stored in order (calendar::put_year and seed sort them).
    CalendarYearView {
        year: y.year.year,
        holidays: y.year.holidays.iter().map(NaiveDate::to_string).collect(),
        working_days: y.year.working_days.iter().map(NaiveDate::to_string).collect(),
        source: y.year.source,
        updated_by: y.updated_by,
        updated_at: y.updated_at,
    }
}

/// How far the calendar reaches from `today`: (covered until, days left, warning).
pub fn reach(cal: &calendar::Calendar, today: NaiveDate) -> (Option<NaiveDate>, Option<i64>, bool) {
    let until = cal.covered_until(today);
    let left = until.map(|u| (u - today).num_days());
    (until, left, left.is_none_or(|d| d <= WARN_DAYS))
}

/// The calendar: every year listed, with its source (admin and staff).
#[utoipa::path(get, path = "/v1/calendar", tag = "calendar",
    responses((status = 200, body = CalendarView)), security(("bearer" = [])))]
async fn get_calendar(State(state): State<AppState>, caller: Principal) -> ApiResult<Json<CalendarView>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let stored = calendar::stored_years(&state.db.pool).await?;
    let cal = calendar::Calendar::from_years(&stored.iter().map(|y| y.year.clone()).collect::<Vec<_>>());
    let (until, days_left, warning) = reach(&cal, state.today());
    Ok(Json(CalendarView {
        years: stored.into_iter().map(view).collect(),
        covered_until: until.map(|u| u.to_string()),
        days_left,
        warning,
    }))
}

/// `PUT /v1/calendar/{year}` body: the year as the State Council's notice
/// gives it.
#[derive(ToSchema)]
pub struct CalendarYearBody {
    /// Every day off of the year (YYYY-MM-DD), at most 60: 元旦, 春节,
    /// 清明节, 劳动节, 端午节, 中秋节, 国庆节 with the days taken with them.
    /// (As read: each item in its place, `None` where it was not a string.)
    #[schema(value_type = Vec<String>)]
    pub holidays: Vec<Option<String>>,
    /// The weekend days worked in exchange (调休上班, YYYY-MM-DD), at most 20.
    #[schema(value_type = Vec<String>)]
    pub working_days: Vec<Option<String>>,
    /// The notice, e.g. 国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕…号）; 5–200 characters.
    pub source: String,
}

/// A list of dates as sent, each in its place (None where an item is not
/// a string, named in `errs`).
fn sent_list(f: &Fields<'_>, key: &str, max: usize, errs: &mut Errors) -> Vec<Option<String>> {
    match f.get(key) {
        None => {
            errs.add(key, "required", "必填（没有则填空数组 []）");
            Vec::new()
        }
        Some(v) => match v.as_array() {
            None => {
                errs.add(key, "type", "应为日期数组");
                Vec::new()
            }
            Some(items) if items.len() > max => {
                errs.add(key, "too_many", format!("最多 {max} 项"));
                Vec::new()
            }
            Some(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let s = item.as_str().map(str::to_string);
                    if s.is_none() {
                        errs.add(format!("{key}[{i}]"), "type", "应为 YYYY-MM-DD 格式的字符串");
                    }
                    s
                })
                .collect(),
        },
    }
}

impl RequestBody for CalendarYearBody {
    /// What could be read goes on to the date checks, so that every bad
    /// field is named in one answer (`errs` holds the others).
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<CalendarYearBody> {
        Some(CalendarYearBody {
            holidays: sent_list(f, "holidays", 60, errs),
            working_days: sent_list(f, "working_days", 20, errs),
            source: f.string("source", true, 5, 200, errs).unwrap_or_default(),
        })
    }
}

/// Dates of `key` with the place each had in the list sent; each one that
/// is not a YYYY-MM-DD date is named.
fn dates(key: &str, list: &[Option<String>], errs: &mut Errors) -> (Vec<NaiveDate>, Vec<usize>) {
    let mut out = (Vec::new(), Vec::new());
    for (i, d) in list.iter().enumerate() {
        let Some(d) = d else { continue };
        match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(day) if day.to_string() == *d => {
                out.0.push(day);
                out.1.push(i);
            }
            _ => errs.add(
                format!("{key}[{i}]"),
                "invalid_date",
                format!(
                    "第 {} 个日期“{}”不是有效日期，格式应为 YYYY-MM-DD",
                    i + 1,
                    d.chars().take(20).collect::<String>()
                ),
            ),
        }
    }
    out
}

/// `holidays[2]` of the dates kept as the field of the list sent.
fn as_sent(field: &str, places: &[(&str, &[usize])]) -> String {
    for (key, at) in places {
        if let Some(i) = field.strip_prefix(key).and_then(|r| r.strip_prefix('[')).and_then(|r| r.strip_suffix(']')) {
            if let Some(original) = i.parse::<usize>().ok().and_then(|i| at.get(i)) {
                return format!("{key}[{original}]");
            }
        }
    }
    field.to_string()
}

/// Enter or correct one year of the calendar (admin): the State Council's
/// notice as published. Answered with the year; 201 when it is new.
#[utoipa::path(put, path = "/v1/calendar/{year}", tag = "calendar", params(("year" = i32, Path)),
    request_body = CalendarYearBody,
    responses((status = 200, body = CalendarYearView), (status = 201, body = CalendarYearView),
              (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn put_year(
    State(state): State<AppState>,
    caller: Principal,
    Path(year): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<CalendarYearView>)> {
    caller.require(&[Role::Admin])?;
    let (read, mut errs) = read_body_partly::<CalendarYearBody>(&body, &state);
    let year = match year.parse::<i32>() {
        Ok(y) if calendar::YEARS.contains(&y) => Some(y),
        _ => {
            errs.add(
                "year",
                "out_of_range",
                format!("年份须在 {} 至 {} 之间", calendar::YEARS.start(), calendar::YEARS.end()),
            );
            None
        }
    };
    let entered = match (year, read) {
        (Some(year), Some(b)) => {
            let (holidays, holiday_places) = dates("holidays", &b.holidays, &mut errs);
            let (working_days, working_places) = dates("working_days", &b.working_days, &mut errs);
            let y = CalendarYear { year, holidays, working_days, source: b.source };
            let places: [(&str, &[usize]); 2] = [("holidays", &holiday_places), ("working_days", &working_places)];
            for (field, code, message) in y.problems() {
                errs.add(as_sent(&field, &places), code, message);
            }
            Some(y)
        }
        _ => None,
    };
    errs.finish(|| ())?;
    let entered = entered.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("checked above")))?;
    let created = calendar::put_year(&state.db.pool, &entered, &caller.key_id, &state.now_text()).await?;
    tracing::info!(year = entered.year, created, "calendar year entered");
    let stored = calendar::stored_years(&state.db.pool).await?;
    let y = stored.into_iter().find(|y| y.year.year == entered.year).ok_or_else(ApiError::not_found)?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(view(y))))
}
