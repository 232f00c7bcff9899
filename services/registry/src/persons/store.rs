//! People in the store. The ID number and phone are kept only encrypted,
//! with a keyed hash to find them and a masked copy to show; every change
//! bumps the version, writes a history row naming who made it, and appends an
//! outbox event, all in one transaction.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use jobmatch_core::domain::{Group, PersonProfile};
use jobmatch_core::idcard::mask;
use jobmatch_core::ids::new_id;
pub use jobmatch_core::records::persons::mask_phone;
use jobmatch_core::{events, AppState, Principal};
use serde_json::{json, Map, Value};
use sqlx::AnyConnection;

pub use jobmatch_core::records::persons::{
    effective_certification, find_by_id_number, from_row, get, to_person, Row, StoredPerson, COLUMNS,
};

use super::validate::PersonInput;

/// Who made a change, and through what.
#[derive(Clone, Debug)]
pub struct Actor {
    pub key_id: Option<String>,
    pub org_id: Option<String>,
    /// `staff` for the API, `import:<source>` for department lists,
    /// `certification`, `system`.
    pub source: String,
}

impl Actor {
    pub fn staff(caller: &Principal) -> Actor {
        Actor { key_id: Some(caller.key_id.clone()), org_id: Some(caller.org_id.clone()), source: "staff".into() }
    }
    pub fn import(caller: &Principal, source: &str) -> Actor {
        Actor { source: format!("import:{source}"), ..Actor::staff(caller) }
    }
    pub fn system(what: &str) -> Actor {
        Actor { key_id: None, org_id: None, source: what.into() }
    }
}

/// The fields of a profile as a JSON map, with the phone (masked) beside them.
fn snapshot(profile: &PersonProfile, phone_masked: Option<&str>) -> Map<String, Value> {
    let mut m = match serde_json::to_value(profile) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    m.insert("phone".into(), json!(phone_masked));
    m
}

async fn append_history(
    conn: &mut AnyConnection,
    person_id: &str,
    version: i64,
    actor: &Actor,
    changes: &Value,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO person_history (person_id, version, source, actor_key_id, actor_org_id, changes, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(person_id)
    .bind(version)
    .bind(&actor.source)
    .bind(&actor.key_id)
    .bind(&actor.org_id)
    .bind(changes.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Everything a new `persons` row holds; the profile's own columns are
/// derived from it in [`insert_row`].
pub struct NewRow<'a> {
    pub id: &'a str,
    pub id_hash: String,
    pub id_cipher: String,
    pub id_masked: String,
    pub phone_hash: Option<String>,
    pub phone_cipher: Option<String>,
    pub phone_masked: Option<String>,
    pub birth_date: String,
    pub sex: &'a str,
    pub profile: &'a PersonProfile,
    /// Set when the person is registered as already certified.
    pub certified_until: Option<String>,
    pub field_sources: String,
    pub now: &'a str,
}

/// Write a new `persons` row at version 1: the one place its column list is
/// written (registration, imports, benchmarks). No history or event.
pub async fn insert_row(conn: &mut AnyConnection, state: &AppState, row: &NewRow<'_>) -> anyhow::Result<()> {
    let place = state.regions.placement(&row.profile.region_code);
    sqlx::query(
        "INSERT INTO persons (id, id_hash, id_cipher, id_masked, phone_hash, phone_cipher, phone_masked, name, region_code,
            street_code, county_code, unit_code, birth_date, sex, employment_status, willingness, groups,
            certification_status, certified_until, doc, field_sources, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, 1, $22, $22)",
    )
    .bind(row.id)
    .bind(&row.id_hash)
    .bind(&row.id_cipher)
    .bind(&row.id_masked)
    .bind(&row.phone_hash)
    .bind(&row.phone_cipher)
    .bind(&row.phone_masked)
    .bind(&row.profile.name)
    .bind(&row.profile.region_code)
    .bind(&place.street_code)
    .bind(&place.county_code)
    .bind(&place.unit_code)
    .bind(&row.birth_date)
    .bind(row.sex)
    .bind(row.profile.employment_status.as_str())
    .bind(row.profile.willingness.as_str())
    .bind(serde_json::to_string(&row.profile.groups)?)
    .bind(row.certified_until.is_some().then_some("certified"))
    .bind(&row.certified_until)
    .bind(serde_json::to_string(row.profile)?)
    .bind(&row.field_sources)
    .bind(row.now)
    .execute(&mut *conn)
    .await?;
    jobmatch_core::memo::records_changed(&mut *conn).await?;
    Ok(())
}

/// Insert a new person. `Err(existing_id)` when the ID number is taken.
pub async fn insert(
    conn: &mut AnyConnection,
    state: &AppState,
    input: &PersonInput,
    actor: &Actor,
    today: NaiveDate,
) -> anyhow::Result<Result<String, String>> {
    if let Some(existing) = find_by_id_number(&mut *conn, state, &input.id.number).await? {
        return Ok(Err(existing));
    }
    let id = new_id("per");
    let now = state.now_text();
    let phone_masked = input.phone.as_deref().map(mask_phone);
    let fields = snapshot(&input.profile, phone_masked.as_deref());
    let sources: BTreeMap<&String, &String> = fields.keys().map(|k| (k, &actor.source)).collect();
    // A certification made before this system is recorded as such.
    let certified = input.profile.groups.contains(&Group::HardshipCertified);
    let certified_until = certified
        .then(|| (today + Duration::days(state.policy.certification.validity_days)).format("%Y-%m-%d").to_string());
    let row = NewRow {
        id: &id,
        id_hash: state.vault.blind_index("id_number", &input.id.number),
        id_cipher: state.vault.encrypt(&input.id.number),
        id_masked: mask(&input.id.number),
        phone_hash: input.phone.as_deref().map(|p| state.vault.blind_index("phone", p)),
        phone_cipher: input.phone.as_deref().map(|p| state.vault.encrypt(p)),
        phone_masked: phone_masked.clone(),
        birth_date: input.id.birth_date.format("%Y-%m-%d").to_string(),
        sex: input.id.sex,
        profile: &input.profile,
        certified_until: certified_until.clone(),
        field_sources: serde_json::to_string(&sources)?,
        now: &now,
    };
    insert_row(conn, state, &row).await?;
    if certified {
        sqlx::query(
            "INSERT INTO certification_events (person_id, from_status, to_status, grounds, valid_from, valid_until, note,
                actor_key_id, actor_org_id, effective_on, created_at)
             VALUES ($1, NULL, 'certified', '[]', $2, $3, $4, $5, $6, $2, $7)",
        )
        .bind(&id)
        .bind(today.format("%Y-%m-%d").to_string())
        .bind(&certified_until)
        .bind("登记时已认定（系统外认定）")
        .bind(&actor.key_id)
        .bind(&actor.org_id)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    }
    let changes: Map<String, Value> = fields.into_iter().map(|(k, v)| (k, json!({"from": null, "to": v}))).collect();
    append_history(conn, &id, 1, actor, &Value::Object(changes), &now).await?;
    events::append(
        conn,
        "person.created",
        &id,
        &input.profile.region_code,
        &json!({"person_id": id, "version": 1}),
        &now,
    )
    .await?;
    Ok(Ok(id))
}

/// The fields that differ between two snapshots.
pub fn diff(old: &Map<String, Value>, new: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in new {
        let before = old.get(k).cloned().unwrap_or(Value::Null);
        if &before != v {
            out.insert(k.clone(), json!({"from": before, "to": v}));
        }
    }
    out
}

/// What `update` did.
pub enum Updated {
    /// Nothing differed; nothing was written.
    Unchanged,
    /// The new version and the fields that changed.
    Changed(i64, Vec<String>),
    /// Someone else changed the person meanwhile.
    Stale,
}

/// Write a new profile (and phone, when `Some`) over `current`. Fields
/// changed are credited to `actor.source` in the field sources.
pub async fn update(
    conn: &mut AnyConnection,
    state: &AppState,
    current: &StoredPerson,
    profile: &PersonProfile,
    phone: Option<Option<&str>>,
    actor: &Actor,
) -> anyhow::Result<Updated> {
    let new_phone_masked = match phone {
        Some(p) => p.map(mask_phone),
        None => current.phone_masked.clone(),
    };
    let old = snapshot(&current.profile, current.phone_masked.as_deref());
    let new = snapshot(profile, new_phone_masked.as_deref());
    let mut changes = diff(&old, &new);
    // A new phone with the same masked form is still a change.
    if let Some(Some(p)) = phone {
        let same = current.phone_cipher.as_deref().map(|c| state.vault.decrypt(c)).transpose()?.as_deref() == Some(p);
        if !same {
            changes.insert("phone".into(), json!({"from": current.phone_masked, "to": new_phone_masked}));
        }
    }
    if changes.is_empty() {
        return Ok(Updated::Unchanged);
    }
    let mut sources = current.field_sources.clone();
    for k in changes.keys() {
        sources.insert(k.clone(), actor.source.clone());
    }
    let now = state.now_text();
    let version = current.version + 1;
    let place = state.regions.placement(&profile.region_code);
    let (phone_hash, phone_cipher) = match phone {
        Some(Some(p)) => (Some(state.vault.blind_index("phone", p)), Some(state.vault.encrypt(p))),
        Some(None) => (None, None),
        None => (None, current.phone_cipher.clone()),
    };
    let replace_phone_hash = i64::from(phone.is_some());
    let done = sqlx::query(
        "UPDATE persons SET phone_hash = CASE WHEN $17 = 1 THEN $18 ELSE phone_hash END, phone_cipher = $1, phone_masked = $2, name = $3, region_code = $4, street_code = $5,
            county_code = $6, unit_code = $7, employment_status = $8, willingness = $9, groups = $10, doc = $11,
            field_sources = $12, version = $13, updated_at = $14
         WHERE id = $15 AND version = $16",
    )
    .bind(&phone_cipher)
    .bind(&new_phone_masked)
    .bind(&profile.name)
    .bind(&profile.region_code)
    .bind(&place.street_code)
    .bind(&place.county_code)
    .bind(&place.unit_code)
    .bind(profile.employment_status.as_str())
    .bind(profile.willingness.as_str())
    .bind(serde_json::to_string(&profile.groups)?)
    .bind(serde_json::to_string(profile)?)
    .bind(serde_json::to_string(&sources)?)
    .bind(version)
    .bind(&now)
    .bind(&current.id)
    .bind(current.version)
    .bind(replace_phone_hash)
    .bind(phone_hash)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(Updated::Stale);
    }
    jobmatch_core::memo::records_changed(&mut *conn).await?;
    let fields: Vec<String> = changes.keys().cloned().collect();
    if current.profile.consent.share_with_agencies && !profile.consent.share_with_agencies {
        crate::agencies::assignments::end_for_withdrawn_consent(conn, &current.id, &now).await?;
    }
    append_history(conn, &current.id, version, actor, &Value::Object(changes), &now).await?;
    events::append(
        conn,
        "person.updated",
        &current.id,
        &profile.region_code,
        &json!({"person_id": current.id, "version": version, "fields": fields}),
        &now,
    )
    .await?;
    Ok(Updated::Changed(version, fields))
}
