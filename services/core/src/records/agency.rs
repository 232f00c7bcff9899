//! Which people an HR agency may see: those assigned to it under an
//! agreement, for as long as they consent to sharing (PIPL art. 23).

use sqlx::{Any, Executor};

/// Whether `person_id` is assigned to `agency_org_id` now, with consent.
pub async fn assigned_to<'e>(
    ex: impl Executor<'e, Database = Any>,
    person_id: &str,
    agency_org_id: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM assignments WHERE person_id = $1 AND agency_org_id = $2 AND ended_at IS NULL",
    )
    .bind(person_id)
    .bind(agency_org_id)
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}

/// The people assigned to an agency now.
pub async fn assigned_people<'e>(
    ex: impl Executor<'e, Database = Any>,
    agency_org_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT person_id FROM assignments WHERE agency_org_id = $1 AND ended_at IS NULL")
        .bind(agency_org_id)
        .fetch_all(ex)
        .await
}

/// A person assigned to an agency that has an active webhook endpoint.
#[derive(sqlx::FromRow)]
pub struct Watched {
    pub person_id: String,
    pub agency_org_id: String,
    /// The person's name, for the masked name in the webhook.
    pub name: String,
}

/// Every current assignment to an agency with an active webhook endpoint:
/// whom the push service tells which agency about.
pub async fn watched_by_webhooks<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<Watched>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.person_id, a.agency_org_id, p.name FROM assignments a
         JOIN webhooks w ON w.agency_org_id = a.agency_org_id AND w.active = 1
         JOIN persons p ON p.id = a.person_id
         WHERE a.ended_at IS NULL",
    )
    .fetch_all(ex)
    .await
}

/// What an agency is shown of its person: ID and phone masked (the caller
/// passes the masked answer); of the groups only the hardship certification
/// (it decides the subsidy); no disability, allowance or family details, no
/// address.
pub fn for_agency(mut person: crate::domain::Person) -> crate::domain::Person {
    use crate::domain::{Group, ServiceNeed};
    person.profile.groups.retain(|g| *g == Group::HardshipCertified);
    person.profile.service_needs.retain(|n| *n != ServiceNeed::Allowance);
    person.profile.address = None;
    person.profile.willingness_reason = None;
    person
}
