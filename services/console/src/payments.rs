//! 直补: the month's payment lists of the units the signed-in person acts
//! for (proposed all at once), one list with its totals and every row,
//! approval, and the finance office's XLSX/CSV — each through the API as
//! that person, so a page shows exactly what the API would.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::Form as AxumForm;
use chrono::Datelike;
use serde::Deserialize;
use serde_json::{json, Value};

use jobmatch_registry::subsidies::lists::state_name;

use crate::reports::valid_month;
use crate::{render, safe_id, Ctx, Layout};

#[derive(Deserialize)]
pub(crate) struct MonthQuery {
    month: Option<String>,
    format: Option<String>,
}

struct ListLine {
    id: String,
    unit: String,
    state: &'static str,
    rows: i64,
    total: String,
    approved: String,
}

#[derive(Template)]
#[template(path = "payments.html")]
struct PaymentsPage {
    layout: Layout,
    month: String,
    lists: Vec<ListLine>,
}

pub(crate) async fn index(ctx: Ctx, Query(q): Query<MonthQuery>) -> Response {
    // Without a month: the last one, whose evidence is in (December's
    // lists pay November's contributions).
    let month = q.month.filter(|m| valid_month(m)).unwrap_or_else(|| {
        let this = ctx.state.today();
        let last = this.with_day(1).and_then(|d| d.pred_opt()).unwrap_or(this);
        last.format("%Y-%m").to_string()
    });
    let page = match ctx.get(&format!("/v1/payment-lists?month={month}")).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let lists = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            let code = l["unit_code"].as_str().unwrap_or("");
            ListLine {
                id: l["id"].as_str().unwrap_or("").into(),
                unit: crate::jobs::region_name(&ctx, code),
                state: state_name(l["state"].as_str().unwrap_or("")),
                rows: l["rows"].as_i64().unwrap_or(0),
                total: l["total"].as_str().unwrap_or("").into(),
                approved: crate::local_time(l["approved_at"].as_str().unwrap_or("")),
            }
        })
        .collect();
    render(
        StatusCode::OK,
        &PaymentsPage { layout: ctx.layout(format!("直补发放名单 {month}"), "payments"), month, lists },
    )
}

/// Propose (or recompute) the month's list of every unit the person acts for.
pub(crate) async fn propose(ctx: Ctx, AxumForm(form): AxumForm<Vec<(String, String)>>) -> Response {
    let posted = match ctx.checked(form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let month = posted.get("month").to_string();
    if !valid_month(&month) {
        return ctx.refused(&crate::Answer::not_found());
    }
    ctx.act("/v1/payment-lists/all-units", Some(&json!({"month": month})), &format!("/console/payments?month={month}"))
        .await
}

struct Line {
    rule: String,
    payee: String,
    person: String,
    id_number: String,
    month: String,
    amount: String,
    basis: String,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "payment.html")]
struct PaymentPage {
    layout: Layout,
    id: String,
    unit: String,
    month: String,
    state: &'static str,
    proposed: bool,
    /// The signed-in person may approve (they did not propose it).
    may_approve: bool,
    approved: String,
    totals: Vec<(String, i64, String)>,
    total: String,
    rows: Vec<Line>,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

pub(crate) async fn show(ctx: Ctx, Path(id): Path<String>) -> Response {
    let Some(id) = safe_id(&id) else { return ctx.refused(&crate::Answer::not_found()) };
    let list = match ctx.get(&format!("/v1/payment-lists/{id}")).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let rows = list["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| Line {
            rule: text(&r["rule_name"]),
            payee: text(&r["payee_name"]),
            person: text(&r["person_name"]),
            id_number: text(&r["id_number"]),
            month: text(&r["period_month"]),
            amount: text(&r["amount"]),
            basis: text(&r["basis"]),
            state: state_name(r["state"].as_str().unwrap_or("")),
        })
        .collect();
    let totals = list["totals"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (text(&t["rule_name"]), t["rows"].as_i64().unwrap_or(0), text(&t["amount"])))
        .collect();
    let approver = list["approved_by_name"].as_str().or(list["approved_by"].as_str());
    let approved = match (list["approved_at"].as_str(), approver) {
        (Some(at), Some(by)) => format!("{}（{by}）", crate::local_time(at)),
        _ => String::new(),
    };
    let month = text(&list["month"]);
    let page = PaymentPage {
        layout: ctx.layout(format!("{} {month} 直补发放名单", text(&list["unit_name"])), "payments"),
        id: id.to_string(),
        unit: text(&list["unit_name"]),
        state: state_name(list["state"].as_str().unwrap_or("")),
        proposed: list["state"] == "proposed",
        may_approve: list["may_approve"] == json!(true),
        approved,
        totals,
        total: text(&list["total"]),
        rows,
        month,
    };
    render(StatusCode::OK, &page)
}

pub(crate) async fn approve(
    ctx: Ctx,
    Path(id): Path<String>,
    AxumForm(form): AxumForm<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = ctx.checked(form) {
        return r;
    }
    let Some(id) = safe_id(&id) else { return ctx.refused(&crate::Answer::not_found()) };
    ctx.act(&format!("/v1/payment-lists/{id}/approve"), Some(&json!({})), &format!("/console/payments/{id}")).await
}

/// The list for the finance office, as the API makes it.
pub(crate) async fn download(ctx: Ctx, Path(id): Path<String>, Query(q): Query<MonthQuery>) -> Response {
    let Some(id) = safe_id(&id) else { return ctx.refused(&crate::Answer::not_found()) };
    let format = if q.format.as_deref() == Some("csv") { "csv" } else { "xlsx" };
    let answer = ctx.call(Method::GET, &format!("/v1/payment-lists/{id}?format={format}"), None).await;
    if !answer.ok() {
        return ctx.refused(&answer);
    }
    crate::file_answer(answer, &format!("{id}.{format}"))
}
