//! `POST /v1/allowances`: the temporary living allowance (临时生活补助) for
//! unemployed members of allowance or near-allowance families
//! (`low_income_family`), at the local standard, at most six months per
//! person (policy). When a placement lifts the person out, 待遇渐退: the
//! months after the placement's month are paid at the taper share for the
//! taper months, then no more — computed from the records, never typed.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use jobmatch_core::domain::{EmploymentStatus, Group};
use jobmatch_core::error::{FieldError, Problem};
use jobmatch_core::http::{JsonBody, QueryParams};
use jobmatch_core::policy::AllowancePolicy;
use jobmatch_core::records::persons;
use jobmatch_core::validate::{finish_body, read_body_partly, sent_text, Errors, Fields, RequestBody};
use jobmatch_core::{ApiError, ApiResult, AppState, Principal, Role};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{add_months, month_text, months_between, parse_month};
use jobmatch_core::access::person_for;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(grant, list_allowances))
}

/// One month of an allowance.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Payment {
    pub month: String,
    /// Yuan to the fen (`565.50`); `0.00` once the taper has run out.
    pub amount: String,
    /// The same in fen.
    #[serde(skip)]
    pub fen: i64,
    /// Paid at the taper share after a placement.
    pub tapered: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Allowance {
    pub id: String,
    pub person_id: String,
    pub start_month: String,
    pub months: i64,
    pub monthly_amount: i64,
    /// Month by month, with the taper applied from the placements on record.
    pub schedule: Vec<Payment>,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct AllowanceList {
    pub items: Vec<Allowance>,
}

/// `{ person_id, start_month: "2026-06", months: 1–6, monthly_amount? }`
#[derive(ToSchema)]
pub struct AllowanceCreate {
    pub person_id: String,
    /// YYYY-MM.
    #[schema(value_type = String)]
    pub start_month: NaiveDate,
    pub months: i64,
    /// Yuan; the local standard of the policy (the default).
    pub monthly_amount: Option<i64>,
}

impl RequestBody for AllowanceCreate {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<AllowanceCreate> {
        let policy = &state.policy.allowance;
        let person_id = f.string("person_id", true, 1, 100, errs);
        let mut start_month = None;
        if let Some(text) = f.string("start_month", true, 7, 7, errs) {
            start_month = parse_month(&text);
            if start_month.is_none() {
                errs.add("start_month", "invalid_month", "月份格式应为 YYYY-MM");
            }
        }
        let months = f.int("months", true, 1, policy.max_months, errs);
        let monthly_amount = f.int("monthly_amount", false, 1, 100_000, errs);
        Some(AllowanceCreate { person_id: person_id?, start_month: start_month?, months: months?, monthly_amount })
    }
}

/// The payments of an allowance given the month a placement lifted the
/// person out (the first placement starting in or after its first month).
pub fn schedule(
    start: NaiveDate,
    months: i64,
    amount: i64,
    lifted: Option<NaiveDate>,
    p: &AllowancePolicy,
) -> Vec<Payment> {
    (0..months.max(0))
        .map(|i| {
            let m = add_months(start, i);
            // In fen: the taper share of a standard in yuan is exact to the
            // fen (1131 × 50 % = 565.50), never cut to the yuan.
            let (fen, tapered) = match lifted {
                // The placement's own month is paid in full; then the taper.
                Some(l) if m > l => {
                    if months_between(l, m) <= p.taper_months {
                        (amount * p.taper_percent, true)
                    } else {
                        (0, false)
                    }
                }
                _ => (amount * 100, false),
            };
            Payment { month: month_text(m), amount: crate::subsidies::money::yuan(fen), fen, tapered }
        })
        .collect()
}

/// The month a placement lifted the person out: that of the first
/// placement (of `started_on` days) starting in or after `start`'s month.
pub fn lifted<'a>(start: NaiveDate, started_on: impl IntoIterator<Item = &'a str>) -> Option<NaiveDate> {
    started_on.into_iter().filter_map(|d| parse_month(d.get(..7)?)).filter(|m| *m >= start).min()
}

/// [`lifted`] for one person, from their placements in force.
pub async fn lifted_month(
    ex: &mut sqlx::AnyConnection,
    person_id: &str,
    start: NaiveDate,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    let started: Vec<String> = sqlx::query_scalar(
        "SELECT started_on FROM placements p WHERE person_id = $1
           AND NOT EXISTS (SELECT 1 FROM placements c WHERE c.supersedes = p.id)",
    )
    .bind(person_id)
    .fetch_all(ex)
    .await?;
    Ok(lifted(start, started.iter().map(String::as_str)))
}

/// An `allowances` row.
#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    person_id: String,
    start_month: String,
    months: i64,
    monthly_amount: i64,
    created_at: String,
}

async fn answer(state: &AppState, r: Row) -> ApiResult<Allowance> {
    let start = parse_month(&r.start_month).ok_or_else(|| anyhow::anyhow!("allowance {} has a bad month", r.id))?;
    let mut conn = state.db.pool.acquire().await?;
    let lifted = lifted_month(&mut conn, &r.person_id, start).await?;
    Ok(Allowance {
        schedule: schedule(start, r.months, r.monthly_amount, lifted, &state.policy.allowance),
        id: r.id,
        person_id: r.person_id,
        start_month: r.start_month,
        months: r.months,
        monthly_amount: r.monthly_amount,
        created_at: r.created_at,
    })
}

fn refuse(field: &str, code: &str, message: String) -> ApiError {
    ApiError::validation(vec![FieldError::new(field, code, message)])
}

/// Grant a temporary living allowance (admin, staff of the person's region).
/// Refused, with the reason, for a person who is not unemployed, not of an
/// allowance or near-allowance family, or past the six months.
#[utoipa::path(post, path = "/v1/allowances", tag = "outcomes", request_body = AllowanceCreate,
    responses((status = 201, body = Allowance), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn grant(
    State(state): State<AppState>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Allowance>)> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let policy = &state.policy.allowance;
    let (read, mut errs) = read_body_partly::<AllowanceCreate>(&body, &state);
    // The standard of the person's county-level unit (the policy's), named
    // with the body's other bad fields.
    let mut standard = policy.monthly_standard;
    if let Some(id) = sent_text(&body, "person_id", &errs) {
        let record = person_for(&state, &caller, id).await?;
        let unit = state.regions.placement(&record.profile.region_code).unit_code;
        standard = policy.standard_for(unit.as_deref());
    }
    if body.get("monthly_amount").and_then(serde_json::Value::as_i64).is_some_and(|a| a != standard)
        && !errs.has("monthly_amount")
    {
        errs.add("monthly_amount", "not_the_standard", format!("临时生活补助按本地标准发放，应为每月 {standard} 元"));
    }
    let AllowanceCreate { person_id, start_month: start, months, .. } = finish_body(read, errs)?;
    let record = person_for(&state, &caller, &person_id).await?;
    if record.profile.employment_status != EmploymentStatus::Unemployed {
        return Err(refuse("person_id", "not_unemployed", "临时生活补助只发给失业人员，此人当前不是失业状态".into()));
    }
    if !record.profile.groups.contains(&Group::LowIncomeFamily) {
        return Err(refuse("person_id", "not_low_income", "临时生活补助只发给低保、低边家庭成员".into()));
    }
    let mut tx = state.db.pool.begin().await?;
    let existing: Vec<(String, i64)> =
        sqlx::query_as("SELECT start_month, months FROM allowances WHERE person_id = $1")
            .bind(&person_id)
            .fetch_all(&mut *tx)
            .await?;
    let used: i64 = existing.iter().map(|(_, m)| m).sum();
    if used + months > policy.max_months {
        return Err(refuse(
            "months",
            "over_limit",
            format!(
                "临时生活补助最多 {} 个月，此人已享受 {used} 个月，最多还能申请 {} 个月",
                policy.max_months,
                (policy.max_months - used).max(0)
            ),
        ));
    }
    let end = add_months(start, months);
    for (s, m) in &existing {
        if let Some(s) = parse_month(s) {
            if s < end && start < add_months(s, *m) {
                return Err(refuse(
                    "start_month",
                    "overlaps",
                    format!("与已发放的 {} 起 {m} 个月的补助重叠", month_text(s)),
                ));
            }
        }
    }
    let id = jobmatch_core::ids::new_id("alw");
    let now = state.now_text();
    sqlx::query(
        "INSERT INTO allowances (id, person_id, start_month, months, monthly_amount, actor_key_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&person_id)
    .bind(month_text(start))
    .bind(months)
    .bind(standard)
    .bind(&caller.key_id)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    jobmatch_core::memo::records_changed(&mut tx).await?;
    tx.commit().await?;
    let row = Row { id, person_id, start_month: month_text(start), months, monthly_amount: standard, created_at: now };
    Ok((StatusCode::CREATED, Json(answer(&state, row).await?)))
}

/// A person's allowances with their computed schedules.
#[utoipa::path(get, path = "/v1/allowances", tag = "outcomes", params(("person_id" = String, Query)),
    responses((status = 200, body = AllowanceList), (status = 400, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn list_allowances(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<AllowanceList>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let mut errs = Errors::default();
    params.deny_unknown(&["person_id"], &mut errs);
    if params.get("person_id").is_none() {
        errs.add("person_id", "required", "必填");
    }
    QueryParams::finish(errs)?;
    let person_id = params.get("person_id").unwrap_or_default().to_string();
    let record = persons::get(&state.db.pool, &person_id).await?;
    if !record.is_some_and(|record| caller.covers_region(&state, &record.profile.region_code)) {
        return Err(ApiError::not_found());
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, person_id, start_month, months, monthly_amount, created_at FROM allowances
         WHERE person_id = $1 ORDER BY start_month",
    )
    .bind(&person_id)
    .fetch_all(&state.db.pool)
    .await?;
    let mut items = Vec::new();
    for r in rows {
        items.push(answer(&state, r).await?);
    }
    Ok(Json(AllowanceList { items }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_taper_follows_the_placement_month() {
        let p = AllowancePolicy {
            monthly_standard: 1000,
            by_unit: Default::default(),
            max_months: 6,
            taper_months: 2,
            taper_percent: 50,
        };
        let start = parse_month("2026-06").unwrap();
        let none: Vec<i64> = schedule(start, 6, 1000, None, &p).iter().map(|x| x.fen).collect();
        assert_eq!(none, [100_000; 6]);
        let lifted = parse_month("2026-07");
        let s: Vec<i64> = schedule(start, 6, 1000, lifted, &p).iter().map(|x| x.fen).collect();
        assert_eq!(s, [100_000, 100_000, 50_000, 50_000, 0, 0]);
    }

    #[test]
    fn the_taper_is_paid_to_the_fen() {
        let p = AllowancePolicy {
            monthly_standard: 1131,
            by_unit: Default::default(),
            max_months: 6,
            taper_months: 3,
            taper_percent: 50,
        };
        let start = parse_month("2025-03").unwrap();
        let s = schedule(start, 4, 1131, parse_month("2025-04"), &p);
        let got: Vec<&str> = s.iter().map(|x| x.amount.as_str()).collect();
        assert_eq!(got, ["1131.00", "1131.00", "565.50", "565.50"]);
    }
}
