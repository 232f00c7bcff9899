//! Who may see a person: one rule, used by every surface (registry,
//! matching, push, outcomes). Admin sees everyone, staff the people of their
//! region, an agency only the people currently assigned to it (who consented
//! to sharing), a publisher no one's record — everyone else is told 404,
//! never that the id exists. Lists use [`list_scope`], the same rule as SQL.

use crate::domain::Person;
use crate::records::agency::assigned_to;
use crate::records::persons::{self, StoredPerson};
use crate::{ApiError, ApiResult, AppState, Principal, Role};

/// A person the caller may act on, or 404.
pub async fn person_for(state: &AppState, caller: &Principal, id: &str) -> ApiResult<StoredPerson> {
    let person = persons::get(&state.db.pool, id).await?.ok_or_else(ApiError::not_found)?;
    if may_see(state, caller, &person).await? {
        Ok(person)
    } else {
        Err(ApiError::not_found())
    }
}

/// Whether `p` may see `person`.
pub async fn may_see(state: &AppState, caller: &Principal, person: &StoredPerson) -> ApiResult<bool> {
    Ok(match caller.role {
        Role::Admin | Role::Staff => caller.covers_region(state, &person.profile.region_code),
        Role::Agency => assigned_to(&state.db.pool, &person.id, &caller.org_id).await?,
        Role::Publisher => false,
    })
}

/// Which rows of a table about people an agency sees in a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgencyRows {
    /// Its own rows about the people currently assigned to it (referrals,
    /// placements, contacts).
    OfCurrentPeople,
    /// Any row about the people currently assigned to it, whoever made it
    /// (a job seeker's leads: the person answered, not an agency).
    OfAssignedPeople,
    /// Every row addressed to it, whoever it was about (its webhook
    /// deliveries: it may read why one was not sent after a withdrawal).
    AddressedToIt,
}

pub use crate::records::agency::for_agency;

/// `GET /v1/persons/{id}` for an agency key (audited).
pub async fn agency_view(state: &AppState, caller: &Principal, id: &str) -> ApiResult<Person> {
    let record = person_for(state, caller, id).await?;
    let person = for_agency(persons::to_person(state, &record, false, state.today())?);
    audit(state, caller, id, "agency_read").await?;
    Ok(person)
}

/// Record an agency's access to a person.
pub async fn audit(state: &AppState, caller: &Principal, person_id: &str, action: &str) -> ApiResult<()> {
    audit_all(state, caller, &[person_id], action).await
}

/// [`audit`] for each of `person_ids`, in one transaction (a search that
/// finds many people is one write, not one per person).
pub async fn audit_all(state: &AppState, caller: &Principal, person_ids: &[&str], action: &str) -> ApiResult<()> {
    if person_ids.is_empty() {
        return Ok(());
    }
    let now = state.now_text();
    let mut tx = state.db.pool.begin().await?;
    for person_id in person_ids {
        sqlx::query(
            "INSERT INTO audit_log (person_id, action, fields, key_id, org_id, role, created_at)
             VALUES ($1, $2, '[\"masked\"]', $3, $4, $5, $6)",
        )
        .bind(person_id)
        .bind(action)
        .bind(&caller.key_id)
        .bind(&caller.org_id)
        .bind(caller.role.as_str())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// SQL keeping only rows about people `p` may see, for a table with a
/// `person_id` and an `agency_org_id` column (prefixed by `table.` when
/// given): staff their region's people, an agency the rows `agency_rows`
/// says, admin everything; parameters go into `binds`. A publisher is
/// refused with `refusal`.
pub fn list_scope(
    state: &AppState,
    caller: &Principal,
    binds: &mut crate::http::Binds,
    table: &str,
    agency_rows: AgencyRows,
    refusal: &str,
) -> ApiResult<String> {
    let t = if table.is_empty() { String::new() } else { format!("{table}.") };
    Ok(match (caller.role, agency_rows) {
        (Role::Admin, _) => "1 = 1".into(),
        (Role::Agency, AgencyRows::AddressedToIt) => {
            format!("{t}agency_org_id = {}", binds.push(caller.org_id.clone()))
        }
        (Role::Agency, AgencyRows::OfAssignedPeople) => {
            let org = binds.push(caller.org_id.clone());
            format!(
                "{t}person_id IN (SELECT person_id FROM assignments WHERE agency_org_id = {org} AND ended_at IS NULL)"
            )
        }
        (Role::Agency, AgencyRows::OfCurrentPeople) => {
            let org = binds.push(caller.org_id.clone());
            format!(
                "{t}agency_org_id = {org} AND {t}person_id IN
                 (SELECT person_id FROM assignments WHERE agency_org_id = {org} AND ended_at IS NULL)"
            )
        }
        (Role::Staff, _) => {
            let region = binds.push(caller.region_code.clone());
            format!(
                "{t}person_id IN (SELECT id FROM persons WHERE {})",
                state.regions.scope_sql(&caller.region_code, &region)
            )
        }
        (Role::Publisher, _) => return Err(ApiError::forbidden(refusal)),
    })
}

/// What a publisher is told when it asks for a list about people.
pub const NO_PERSON_RECORDS_FOR_PUBLISHERS: &str = "发布机构不能查看人员记录";
