//! `GET /v1/subsidies`: the service subsidies HR agencies earn by result
//! (就业创业服务补助), computed from placements and the social-insurance
//! evidence imported for their people — never typed.

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

/// A person whose placement met the service-subsidy condition on the
/// social-insurance evidence.
#[derive(Serialize, ToSchema)]
pub struct QualifiedPerson {
    pub person_id: String,
    pub placement_id: String,
    /// The first day of the month whose contribution met the agreement's
    /// requirement (counted from the placement's start).
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
/// agreement, the placements whose social-insurance evidence (imported from
/// the insurance records, never the agency's own report) first met the
/// agreement's requirement in that month, and the amount. Admin, staff; an agency its own.
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
    let rows = qualified(&state.db.pool, &state.policy, &agency).await?;
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

/// A placement whose social-insurance evidence reached its agreement's
/// requirement: the month the last needed contribution is for.
pub struct Qualified {
    pub agency_org_id: String,
    pub agency_name: String,
    pub agreement_id: String,
    /// Yuan per person under the agreement.
    pub amount: i64,
    pub person_id: String,
    pub placement_id: String,
    /// The first day of the month the requirement was met.
    pub qualified_on: String,
    /// The insured months the requirement asked (and the evidence shows).
    pub months: i64,
}

/// agency, its name, agreement, amount, months asked, person, placement, started, contract, ended.
type PlacementRow = (String, String, String, i64, i64, String, String, String, Option<String>, Option<String>);

/// Every placement in force (not corrected) under an agreement whose person
/// has, in the social-insurance evidence the bureau imported, employee
/// contributions (参保类型 单位职工) for as many months as the agreement asks
/// (never fewer than the policy's months), counted from the month the
/// placement began — or the labour contract was signed, whichever is later —
/// to the month it ended. The agency's own reports of insured months are its
/// progress, never the ground of a payment (就业创业服务补助 is paid on
/// evidence; 财社〔2017〕164号). One agency (`""`: all), by agency,
/// agreement, placement.
pub async fn qualified(
    pool: &sqlx::AnyPool,
    policy: &jobmatch_core::policy::Policy,
    agency: &str,
) -> Result<Vec<Qualified>, sqlx::Error> {
    let rows: Vec<PlacementRow> = sqlx::query_as(
        "SELECT g.agency_org_id, o.name, g.id, g.subsidy_amount, g.insurance_months, p.person_id, p.id,
                p.started_on, p.contract_signed_on, p.ended_on
         FROM placements p
         JOIN agreements g ON g.id = p.agreement_id
         JOIN orgs o ON o.id = g.agency_org_id
         WHERE ($1 = '' OR g.agency_org_id = $1)
           AND NOT EXISTS (SELECT 1 FROM placements c WHERE c.supersedes = p.id)
         ORDER BY g.agency_org_id, g.id, p.id",
    )
    .bind(agency)
    .fetch_all(pool)
    .await?;
    let months: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT c.person_id, c.month FROM si_contributions c
         WHERE c.kind = 'employer' AND c.person_id IN (
             SELECT p.person_id FROM placements p JOIN agreements g ON g.id = p.agreement_id
             WHERE ($1 = '' OR g.agency_org_id = $1))
         ORDER BY c.person_id, c.month",
    )
    .bind(agency)
    .fetch_all(pool)
    .await?;
    let mut by_person: std::collections::HashMap<&str, Vec<&str>> = std::collections::HashMap::new();
    for (person, month) in &months {
        by_person.entry(person.as_str()).or_default().push(month.as_str());
    }
    let mut out: Vec<Qualified> = Vec::new();
    for (agency_org_id, agency_name, agreement_id, amount, asked, person_id, placement_id, started, contract, ended) in
        rows
    {
        // A labour contract is the condition: none recorded, nothing due.
        let Some(contract) = contract.as_deref().and_then(|c| c.get(..7)) else { continue };
        let need = asked.max(policy.agency.insurance_months).max(1) as usize;
        // Months compare as their `YYYY-MM` text.
        let from = started.get(..7).unwrap_or("").max(contract);
        let until = ended.as_deref().and_then(|e| e.get(..7)).unwrap_or("9999-12");
        let paid: Vec<&str> = by_person
            .get(person_id.as_str())
            .map(|ms| ms.iter().copied().filter(|m| *m >= from && *m <= until).collect())
            .unwrap_or_default();
        let Some(reached) = paid.get(need - 1) else { continue };
        let qualified_on = format!("{reached}-01");
        // Once per person and agreement: two placements in force under one
        // agreement count once, at the earlier month.
        if let Some(q) = out.iter_mut().find(|q| q.agreement_id == agreement_id && q.person_id == person_id) {
            if qualified_on < q.qualified_on {
                q.qualified_on = qualified_on;
                q.placement_id = placement_id;
            }
            continue;
        }
        out.push(Qualified {
            agency_org_id,
            agency_name,
            agreement_id,
            amount,
            person_id,
            placement_id,
            qualified_on,
            months: need as i64,
        });
    }
    Ok(out)
}
