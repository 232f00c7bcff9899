//! `GET /v1/subsidies`: the service subsidies HR agencies earn by result
//! (就业创业服务补助), computed from placements and the social-insurance
//! months reported for them — never typed.

use axum::extract::State;
use axum::Json;
use jobmatch_core::error::Problem;
use jobmatch_core::http::QueryParams;
use jobmatch_core::records::persons;
use jobmatch_core::validate::Errors;
use jobmatch_core::{ApiResult, AppState, Principal, Role};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{month_text, read_month};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_subsidies))
}

/// A person whose placement met the service-subsidy condition.
#[derive(Serialize, ToSchema)]
pub struct QualifiedPerson {
    pub person_id: String,
    pub placement_id: String,
    /// The day the reported months reached the agreement's requirement.
    pub qualified_on: String,
    pub insurance_months: i64,
}

/// What one agency earned under one agreement in the month.
#[derive(Serialize, ToSchema)]
pub struct SubsidyDue {
    pub agency_org_id: String,
    pub agreement_id: String,
    pub amount_per_person: i64,
    pub people: Vec<QualifiedPerson>,
    /// `amount_per_person` × people, in yuan.
    pub amount_due: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SubsidyList {
    pub month: String,
    pub items: Vec<SubsidyDue>,
}

/// Service subsidies due for `month` (YYYY-MM): for each agency and
/// agreement, the placements whose reported social-insurance months first
/// reached the agreement's requirement in that month, and the amount —
/// computed from the records, never typed. Admin, staff; an agency its own.
#[utoipa::path(get, path = "/v1/subsidies", tag = "outcomes",
    params(("month" = String, Query, description = "YYYY-MM"), ("agency_org_id" = Option<String>, Query)),
    responses((status = 200, body = SubsidyList), (status = 400, body = Problem)), security(("bearer" = [])))]
async fn list_subsidies(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<SubsidyList>> {
    caller.require(&[Role::Admin, Role::Staff, Role::Agency])?;
    let mut errs = Errors::default();
    params.deny_unknown(&["month", "agency_org_id"], &mut errs);
    let month = read_month(&params, &mut errs).map(month_text).unwrap_or_default();
    QueryParams::finish(errs)?;
    let agency = if caller.role == Role::Agency {
        caller.org_id.clone()
    } else {
        params.get("agency_org_id").unwrap_or("").to_string()
    };
    let rows = qualified(&state.db.pool, &agency).await?;
    let mut items: Vec<SubsidyDue> = Vec::new();
    for Qualified { agency_org_id, agreement_id, amount, person_id, placement_id, qualified_on, months, .. } in rows {
        if !qualified_on.starts_with(&month) {
            continue;
        }
        if caller.role == Role::Staff {
            let record = persons::get(&state.db.pool, &person_id).await?;
            if !record.is_some_and(|record| caller.covers_region(&state, &record.profile.region_code)) {
                continue;
            }
        }
        let person = QualifiedPerson { person_id, placement_id, qualified_on, insurance_months: months };
        match items.iter_mut().find(|s| s.agreement_id == agreement_id) {
            Some(s) => s.people.push(person),
            None => items.push(SubsidyDue {
                agency_org_id,
                agreement_id,
                amount_per_person: amount,
                people: vec![person],
                amount_due: 0,
            }),
        }
    }
    for s in &mut items {
        s.amount_due = s.amount_per_person * s.people.len() as i64;
    }
    Ok(Json(SubsidyList { month, items }))
}

/// A placement whose reported social-insurance months reached its
/// agreement's requirement (the first report that did, `qualified_on`).
pub struct Qualified {
    pub agency_org_id: String,
    pub agency_name: String,
    pub agreement_id: String,
    /// Yuan per person under the agreement.
    pub amount: i64,
    pub person_id: String,
    pub placement_id: String,
    pub qualified_on: String,
    pub months: i64,
}

/// agency, its name, agreement, amount, person, placement, qualified on, months.
type QualifiedRow = (String, String, String, i64, String, String, String, i64);

/// Every placement in force (not corrected) that met its agreement's
/// requirement, of one agency (`""`: all), by agency, agreement, placement.
pub async fn qualified(pool: &sqlx::AnyPool, agency: &str) -> Result<Vec<Qualified>, sqlx::Error> {
    let rows: Vec<QualifiedRow> = sqlx::query_as(
        "SELECT g.agency_org_id, o.name, g.id, g.subsidy_amount, p.person_id, p.id, MIN(i.reported_on), MAX(i.months)
         FROM placements p
         JOIN agreements g ON g.id = p.agreement_id
         JOIN orgs o ON o.id = g.agency_org_id
         JOIN insurance_reports i ON i.placement_id = p.id AND i.months >= g.insurance_months
         WHERE ($1 = '' OR g.agency_org_id = $1)
           AND NOT EXISTS (SELECT 1 FROM placements c WHERE c.supersedes = p.id)
         GROUP BY g.agency_org_id, o.name, g.id, g.subsidy_amount, p.person_id, p.id
         ORDER BY g.agency_org_id, g.id, p.id",
    )
    .bind(agency)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Qualified {
            agency_org_id: r.0,
            agency_name: r.1,
            agreement_id: r.2,
            amount: r.3,
            person_id: r.4,
            placement_id: r.5,
            qualified_on: r.6,
            months: r.7,
        })
        .collect())
}
