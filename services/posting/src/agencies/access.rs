//! Object-level authorisation for people: admin sees everyone, staff the
//! people of their region, an agency only the people assigned to it (who
//! consented to sharing) — everyone else is told 404, never that the id exists.

use jobmatch_core::domain::Person;
use jobmatch_core::records::agency::assigned_to;
use jobmatch_core::records::persons::{self, StoredPerson};
use jobmatch_core::time::{now_text, today};
use jobmatch_core::{ApiError, ApiResult, AppState, Principal, Role};

/// A person the caller may act on, or 404.
pub async fn person_for(state: &AppState, p: &Principal, id: &str) -> ApiResult<StoredPerson> {
    let sp = persons::get(&state.db.pool, id).await?.ok_or_else(ApiError::not_found)?;
    let ok = match p.role {
        Role::Admin | Role::Staff => p.covers_region(state, &sp.profile.region_code),
        Role::Agency => assigned_to(&state.db.pool, id, &p.org_id).await?,
        Role::Publisher => false,
    };
    if ok {
        Ok(sp)
    } else {
        Err(ApiError::not_found())
    }
}

pub use jobmatch_core::records::agency::for_agency;

/// `GET /v1/persons/{id}` for an agency key (audited).
pub async fn agency_view(state: &AppState, p: &Principal, id: &str) -> ApiResult<Person> {
    let sp = person_for(state, p, id).await?;
    let person = for_agency(persons::to_person(state, &sp, false, today())?);
    audit(state, p, id, "agency_read").await?;
    Ok(person)
}

/// Record an agency's access to a person.
pub async fn audit(state: &AppState, p: &Principal, person_id: &str, action: &str) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (person_id, action, fields, key_id, org_id, role, created_at)
         VALUES ($1, $2, '[\"masked\"]', $3, $4, $5, $6)",
    )
    .bind(person_id)
    .bind(action)
    .bind(&p.key_id)
    .bind(&p.org_id)
    .bind(p.role.as_str())
    .bind(now_text())
    .execute(&state.db.pool)
    .await?;
    Ok(())
}
