//! `POST/GET /v1/agreements`: an HR agency's service agreement — period,
//! number of people, and the service subsidy (amount per person, months of
//! social insurance required after the labour contract).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use jobmatch_core::error::Problem;
use jobmatch_core::http::{encode_cursor, JsonBody, QueryParams};
use jobmatch_core::validate::{finish_body, read_body_partly, sent_text, Errors, Fields, RequestBody};
use jobmatch_core::{ApiError, ApiResult, AppState, Principal, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use jobmatch_core::validate::read_date;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_agreement, list_agreements)).routes(routes!(get_agreement))
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Subsidy {
    /// Yuan per person placed who meets the condition.
    pub amount: i64,
    /// Months of social insurance after the labour contract (default from policy, 3).
    pub insurance_months: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Agreement {
    pub id: String,
    pub agency_org_id: String,
    pub starts_on: String,
    pub ends_on: String,
    pub people_target: i64,
    pub subsidy: Subsidy,
    /// The region of the staff who made it (staff of that region manage it).
    pub region_code: String,
    /// People assigned now.
    pub assigned: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct AgreementPage {
    pub items: Vec<Agreement>,
    pub next_cursor: Option<String>,
}

/// The request of `POST /v1/agreements`.
#[derive(ToSchema)]
pub struct AgreementCreate {
    /// An organisation of kind `hr_agency`.
    pub agency_org_id: String,
    /// YYYY-MM-DD
    #[schema(value_type = String)]
    pub starts_on: NaiveDate,
    /// YYYY-MM-DD, not before `starts_on`
    #[schema(value_type = String)]
    pub ends_on: NaiveDate,
    /// 1–100000
    pub people_target: i64,
    pub subsidy: SubsidyTerms,
}

/// The service subsidy an agreement pays per placement.
#[derive(ToSchema)]
pub struct SubsidyTerms {
    /// Yuan, 0–100000.
    pub amount: i64,
    /// Social-insurance months a placement needs, from the policy's months
    /// (never fewer) to 36; default the policy's.
    pub insurance_months: Option<i64>,
}

impl RequestBody for AgreementCreate {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<AgreementCreate> {
        let floor = state.policy.agency.insurance_months;
        let agency_org_id = f.string("agency_org_id", true, 1, 100, errs);
        let starts_on = read_date(f, "starts_on", true, errs);
        let ends_on = read_date(f, "ends_on", true, errs);
        let people_target = f.int("people_target", true, 1, 100_000, errs);
        let subsidy = f
            .object("subsidy", true, errs, |terms, errs| {
                terms.deny_unknown(&["amount", "insurance_months"], errs);
                let amount = terms.int("amount", true, 0, 100_000, errs);
                let insurance_months = terms.int("insurance_months", false, 1, 36, errs);
                // An agreement may ask more insured months than the policy,
                // never fewer (the policy's condition for the subsidy).
                if insurance_months.is_some_and(|m| m < floor) {
                    errs.add(
                        terms.path("insurance_months"),
                        "below_policy",
                        format!("不能少于政策规定的 {floor} 个月"),
                    );
                }
                Some(SubsidyTerms { amount: amount?, insurance_months })
            })
            .flatten();
        if let (Some(start), Some(end)) = (starts_on, ends_on) {
            if end < start {
                errs.add("ends_on", "before_start", "结束日期不能早于开始日期");
            }
        }
        Some(AgreementCreate {
            agency_org_id: agency_org_id?,
            starts_on: starts_on?,
            ends_on: ends_on?,
            people_target: people_target?,
            subsidy: subsidy?,
        })
    }
}

/// An `agreements` row as read with [`SELECT`], with its current assignments counted.
#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    agency_org_id: String,
    starts_on: String,
    ends_on: String,
    people_target: i64,
    subsidy_amount: i64,
    insurance_months: i64,
    region_code: String,
    created_at: String,
    updated_at: String,
    assigned: i64,
}
const SELECT: &str = "SELECT g.id, g.agency_org_id, g.starts_on, g.ends_on, g.people_target, g.subsidy_amount,
    g.insurance_months, g.region_code, g.created_at, g.updated_at,
    (SELECT COUNT(*) FROM assignments a WHERE a.agreement_id = g.id AND a.ended_at IS NULL) AS assigned
    FROM agreements g";

fn from_row(r: Row) -> Agreement {
    Agreement {
        id: r.id,
        agency_org_id: r.agency_org_id,
        starts_on: r.starts_on,
        ends_on: r.ends_on,
        people_target: r.people_target,
        subsidy: Subsidy { amount: r.subsidy_amount, insurance_months: r.insurance_months },
        region_code: r.region_code,
        created_at: r.created_at,
        updated_at: r.updated_at,
        assigned: r.assigned,
    }
}

/// One agreement the caller may see (admin; staff of its region; the agency itself), or 404.
pub async fn visible(state: &AppState, caller: &Principal, id: &str) -> ApiResult<Agreement> {
    let row: Option<Row> =
        sqlx::query_as(&format!("{SELECT} WHERE g.id = $1")).bind(id).fetch_optional(&state.db.pool).await?;
    let a = row.map(from_row).ok_or_else(ApiError::not_found)?;
    let ok = match caller.role {
        Role::Admin => true,
        Role::Staff => state.regions.covers(&caller.region_code, &a.region_code),
        Role::Agency => a.agency_org_id == caller.org_id,
        Role::Publisher => false,
    };
    if ok {
        Ok(a)
    } else {
        Err(ApiError::not_found())
    }
}

/// Sign an agreement with an HR agency (admin, staff).
#[utoipa::path(post, path = "/v1/agreements", tag = "agencies", request_body = AgreementCreate,
    responses((status = 201, body = Agreement), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create_agreement(
    State(state): State<AppState>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Agreement>)> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let (read, mut errs) = read_body_partly::<AgreementCreate>(&body, &state);
    let agency = sent_text(&body, "agency_org_id", &errs);
    if let Some(agency) = agency {
        let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM orgs WHERE id = $1")
            .bind(agency)
            .fetch_optional(&state.db.pool)
            .await?;
        if kind.as_deref() != Some("hr_agency") {
            errs.add("agency_org_id", "not_an_agency", "应为已登记的人力资源服务机构");
        }
    }
    let AgreementCreate { agency_org_id: agency, starts_on: starts, ends_on: ends, people_target: target, subsidy } =
        finish_body(read, errs)?;
    let amount = subsidy.amount;
    let months = subsidy.insurance_months.unwrap_or(state.policy.agency.insurance_months);
    let id = jobmatch_core::ids::new_id("agr");
    let now = state.now_text();
    sqlx::query(
        "INSERT INTO agreements (id, agency_org_id, region_code, starts_on, ends_on, people_target, subsidy_amount,
             insurance_months, created_by_key, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(&id)
    .bind(&agency)
    .bind(&caller.region_code)
    .bind(starts.to_string())
    .bind(ends.to_string())
    .bind(target)
    .bind(amount)
    .bind(months)
    .bind(&caller.key_id)
    .bind(&now)
    .execute(&state.db.pool)
    .await?;
    tracing::info!(agreement_id = %id, agency_org_id = %agency, "agreement signed");
    Ok((StatusCode::CREATED, Json(visible(&state, &caller, &id).await?)))
}

/// Read one agreement.
#[utoipa::path(get, path = "/v1/agreements/{id}", tag = "agencies", params(("id" = String, Path)),
    responses((status = 200, body = Agreement), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get_agreement(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Agreement>> {
    Ok(Json(visible(&state, &caller, &id).await?))
}

/// Agreements: admin all, staff their region's, an agency its own (rate limited per key).
#[utoipa::path(get, path = "/v1/agreements", tag = "agencies",
    params(("agency_org_id" = Option<String>, Query), ("limit" = Option<usize>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = AgreementPage), (status = 429, body = Problem)), security(("bearer" = [])))]
async fn list_agreements(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<AgreementPage>> {
    caller.require(&[Role::Admin, Role::Staff, Role::Agency])?;
    caller.limit_agency_lists(&state)?;
    let mut errs = Errors::default();
    params.deny_unknown(&["agency_org_id", "limit", "cursor"], &mut errs);
    let limit = params.limit(20, 200, &mut errs);
    let cursor = params.cursor(&mut errs).unwrap_or_default();
    QueryParams::finish(errs)?;
    let agency = if caller.role == Role::Agency {
        caller.org_id.clone()
    } else {
        params.get("agency_org_id").unwrap_or("").to_string()
    };
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE ($1 = '' OR g.agency_org_id = $1) AND g.id > $2 ORDER BY g.id LIMIT 1000"
    ))
    .bind(&agency)
    .bind(&cursor)
    .fetch_all(&state.db.pool)
    .await?;
    let mut items = Vec::new();
    let mut next_cursor = None;
    for a in rows.into_iter().map(from_row) {
        if caller.role == Role::Staff && !state.regions.covers(&caller.region_code, &a.region_code) {
            continue;
        }
        if items.len() == limit {
            next_cursor = items.last().map(|x: &Agreement| encode_cursor(&x.id));
            break;
        }
        items.push(a);
    }
    Ok(Json(AgreementPage { items, next_cursor }))
}
