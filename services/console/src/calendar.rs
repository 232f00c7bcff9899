//! 工作日历: the years the 公示 periods are counted on, how far they reach,
//! and — for the bureau's admin — a form to enter the next year from the
//! State Council's notice (`PUT /v1/calendar/{year}` as that person).

use askama::Template;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::Form as AxumForm;
use jobmatch_core::Role;
use serde_json::json;

use crate::forms::{Field, Form, Posted};
use crate::{render, see_other, Ctx, Layout};

struct YearLine {
    year: String,
    holidays: String,
    working_days: String,
    source: String,
    entered: String,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    layout: Layout,
    covered: String,
    warning: bool,
    years: Vec<YearLine>,
    admin: bool,
    form: Form,
    saved: Option<String>,
}

fn year_form() -> Form {
    Form::new(vec![
        Field::new("year", "年份", "text").required().hint("例如 2027"),
        Field::new("holidays", "放假日期", "textarea")
            .required()
            .hint("通知中放假的每一天，格式 2027-01-01，用空格、逗号或换行隔开"),
        Field::new("working_days", "调休上班日期", "textarea").hint("通知中需要上班的周六、周日；没有可不填"),
        Field::new("source", "依据的通知", "text")
            .required()
            .hint("例如：国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕×号）"),
    ])
}

/// The dates typed in a box: split on spaces, commas (either width), 、 and new lines.
fn typed_dates(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；'))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

async fn show(ctx: &Ctx, status: StatusCode, form: Form, saved: Option<String>) -> Response {
    let calendar = match ctx.get("/v1/calendar").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let years = calendar["years"]
        .as_array()
        .into_iter()
        .flatten()
        .rev()
        .map(|y| {
            let count = |k: &str| y[k].as_array().map(Vec::len).unwrap_or(0);
            YearLine {
                year: y["year"].to_string(),
                holidays: format!("{} 天", count("holidays")),
                working_days: format!("{} 天", count("working_days")),
                source: y["source"].as_str().unwrap_or("").to_string(),
                entered: if y["updated_by"].is_null() {
                    "随系统提供".to_string()
                } else {
                    crate::local_time(y["updated_at"].as_str().unwrap_or(""))
                },
            }
        })
        .collect();
    let covered = match calendar["covered_until"].as_str() {
        Some(u) => format!("日历已录入到 {u}，还有 {} 天。", calendar["days_left"]),
        None => "日历没有今年的放假安排。".to_string(),
    };
    let page = CalendarPage {
        layout: ctx.layout(form.title("工作日历"), "calendar"),
        covered,
        warning: calendar["warning"] == json!(true),
        years,
        admin: ctx.role() == Role::Admin,
        form,
        saved,
    };
    render(status, &page)
}

#[derive(serde::Deserialize)]
pub(crate) struct Saved {
    saved: Option<String>,
}

pub(crate) async fn page(ctx: Ctx, axum::extract::Query(q): axum::extract::Query<Saved>) -> Response {
    let saved = q.saved.filter(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()));
    show(&ctx, StatusCode::OK, year_form(), saved).await
}

pub(crate) async fn save(ctx: Ctx, AxumForm(form): AxumForm<Vec<(String, String)>>) -> Response {
    let posted: Posted = match ctx.checked(form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let year = posted.get("year").trim().to_string();
    let body = json!({
        "holidays": typed_dates(posted.get("holidays")),
        "working_days": typed_dates(posted.get("working_days")),
        "source": posted.get("source").trim(),
    });
    let mut form = year_form();
    form.fill(&posted);
    let path_year = if !year.is_empty() && year.len() <= 4 && year.bytes().all(|b| b.is_ascii_digit()) {
        year.clone()
    } else {
        "0".to_string()
    };
    let answer = ctx.call(Method::PUT, &format!("/v1/calendar/{path_year}"), Some(&body)).await;
    if answer.ok() {
        return see_other(&format!("/console/calendar?saved={path_year}"));
    }
    let errors = answer.field_errors();
    if errors.is_empty() {
        return ctx.refused(&answer);
    }
    form.refuse(&errors, crate::forms::flat_field, "year");
    show(&ctx, StatusCode::UNPROCESSABLE_ENTITY, form, None).await
}
