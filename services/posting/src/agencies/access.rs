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

/// SQL keeping only rows about people `p` may see, for a table with a
/// `person_id` and an `agency_org_id` column (prefixed by `table.` when
/// given): staff their region's people, an agency its own rows about its
/// current people, admin everything; parameters go into `b`.
pub fn list_scope(
    state: &AppState,
    p: &Principal,
    b: &mut jobmatch_core::http::Binds,
    table: &str,
) -> ApiResult<String> {
    let t = if table.is_empty() { String::new() } else { format!("{table}.") };
    Ok(match p.role {
        Role::Admin => "1 = 1".into(),
        Role::Agency => {
            let o = b.push(p.org_id.clone());
            format!(
                "{t}agency_org_id = {o} AND {t}person_id IN
                 (SELECT person_id FROM assignments WHERE agency_org_id = {o} AND ended_at IS NULL)"
            )
        }
        Role::Staff => {
            let r = b.push(p.region_code.clone());
            format!("{t}person_id IN (SELECT id FROM persons WHERE {})", state.regions.scope_sql(&p.region_code, &r))
        }
        Role::Publisher => return Err(ApiError::forbidden("发布机构不能查看人员记录")),
    })
}
