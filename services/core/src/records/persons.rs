//! People as stored, and as answered (full or masked).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::{Any, Executor};

use crate::domain::{CertificationStatus, CertificationSummary, Group, Person, PersonProfile};
use crate::idcard::age_on;
use crate::state::AppState;

/// A person as stored.
#[derive(Clone, Debug)]
pub struct StoredPerson {
    pub id: String,
    pub id_cipher: String,
    pub id_masked: String,
    pub phone_cipher: Option<String>,
    pub phone_masked: Option<String>,
    pub birth_date: String,
    pub sex: String,
    pub profile: PersonProfile,
    pub certification_status: Option<String>,
    pub certified_until: Option<String>,
    /// For each field, who set it last (`staff` or `import:<source>`).
    pub field_sources: BTreeMap<String, String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

pub const COLUMNS: &str = "id, id_cipher, id_masked, phone_cipher, phone_masked, birth_date, sex, doc, \
    certification_status, certified_until, field_sources, version, created_at, updated_at";

/// A `persons` row as read with [`COLUMNS`].
#[derive(sqlx::FromRow)]
pub struct Row {
    id: String,
    id_cipher: String,
    id_masked: String,
    phone_cipher: Option<String>,
    phone_masked: Option<String>,
    birth_date: String,
    sex: String,
    doc: String,
    certification_status: Option<String>,
    certified_until: Option<String>,
    field_sources: String,
    version: i64,
    created_at: String,
    updated_at: String,
}

pub fn from_row(row: Row) -> anyhow::Result<StoredPerson> {
    let profile =
        serde_json::from_str(&row.doc).map_err(|e| anyhow::anyhow!("person {} has a bad document: {e}", row.id))?;
    Ok(StoredPerson {
        id: row.id,
        id_cipher: row.id_cipher,
        id_masked: row.id_masked,
        phone_cipher: row.phone_cipher,
        phone_masked: row.phone_masked,
        birth_date: row.birth_date,
        sex: row.sex,
        profile,
        certification_status: row.certification_status,
        certified_until: row.certified_until,
        field_sources: serde_json::from_str(&row.field_sources).unwrap_or_default(),
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// `陈*华`, `李*`: enough for an agency or employer to recognise a person
/// in a list, not to name them.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// A name as a public page shows it, by the policy's rule: `first_and_last`
/// (`王*国`, as [`mask_name`]) or `surname` (`王**`). Never in full.
pub fn mask_name_as(name: &str, rule: &str) -> String {
    let name = name.trim();
    if rule == "surname" {
        let mut chars = name.chars();
        return match chars.next() {
            Some(first) if name.chars().count() > 1 => {
                format!("{first}{}", "*".repeat(name.chars().count() - 1))
            }
            _ => "*".repeat(name.chars().count()),
        };
    }
    mask_name(name)
}

/// `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() == 11 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[7..].iter().collect();
        format!("{head}****{tail}")
    } else {
        "*".repeat(chars.len())
    }
}

/// What the matcher keeps of a person: the masked answer with the birth
/// date (the age rule needs it) and without the free text that ranking
/// never reads (name, address, the reason for not wanting work), so the
/// index on disk holds ids, codes and skill words only.
pub fn to_matchable(state: &AppState, record: &StoredPerson, today: NaiveDate) -> anyhow::Result<Person> {
    let mut person = to_person(state, record, false, today)?;
    person.birth_date = Some(record.birth_date.clone());
    person.id_number = String::new();
    person.phone = None;
    person.profile.name = String::new();
    person.profile.address = None;
    person.profile.willingness_reason = None;
    Ok(person)
}

/// Read several people at once (missing ids are left out).
pub async fn get_many<'e>(ex: impl Executor<'e, Database = Any>, ids: &[String]) -> anyhow::Result<Vec<StoredPerson>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!("SELECT {COLUMNS} FROM persons WHERE id IN ({})", marks.join(", "));
    let mut query = sqlx::query_as::<_, Row>(&sql);
    for id in ids {
        query = query.bind(id);
    }
    query.fetch_all(ex).await?.into_iter().map(from_row).collect()
}

/// Read one person.
pub async fn get<'e>(ex: impl Executor<'e, Database = Any>, id: &str) -> anyhow::Result<Option<StoredPerson>> {
    let row: Option<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM persons WHERE id = $1")).bind(id).fetch_optional(ex).await?;
    row.map(from_row).transpose()
}

/// Up to `limit` people who can be matched (out of work and wanting work
/// now), in id order after `after`: the pages of an index rebuild.
pub async fn matchable_page_after<'e>(
    ex: impl Executor<'e, Database = Any>,
    after: &str,
    limit: i64,
) -> anyhow::Result<Vec<StoredPerson>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM persons WHERE employment_status IN ('unemployed', 'flexible') AND willingness = 'now'
         AND id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(ex)
    .await?;
    rows.into_iter().map(from_row).collect()
}

/// What the push service needs of a person: consent, home region, and
/// the phone, decrypted only when an SMS is sent.
pub struct Reachable {
    pub id: String,
    pub region_code: String,
    pub push_consent: bool,
    phone_cipher: Option<String>,
}

impl Reachable {
    pub fn has_phone(&self) -> bool {
        self.phone_cipher.is_some()
    }

    /// The phone number in clear, if one is on record.
    pub fn phone(&self, vault: &crate::crypto::Vault) -> anyhow::Result<Option<String>> {
        self.phone_cipher.as_deref().map(|cipher| vault.decrypt(cipher)).transpose()
    }
}

impl From<StoredPerson> for Reachable {
    fn from(stored: StoredPerson) -> Reachable {
        Reachable {
            push_consent: stored.profile.consent.push,
            region_code: stored.profile.region_code,
            phone_cipher: stored.phone_cipher,
            id: stored.id,
        }
    }
}

/// [`Reachable`] of these people (missing ids are left out).
pub async fn reachable<'e>(ex: impl Executor<'e, Database = Any>, ids: &[String]) -> anyhow::Result<Vec<Reachable>> {
    Ok(get_many(ex, ids).await?.into_iter().map(Reachable::from).collect())
}

/// The id of the person with this ID number, if any.
pub async fn find_by_id_number<'e>(
    ex: impl Executor<'e, Database = Any>,
    state: &AppState,
    id_number: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM persons WHERE id_hash = $1")
        .bind(state.vault.blind_index("id_number", id_number))
        .fetch_optional(ex)
        .await
}

/// The certification status a reader sees: a certification past its end
/// has expired even before the sweeper writes it.
pub fn effective_certification(record: &StoredPerson, today: NaiveDate) -> Option<CertificationSummary> {
    let status = CertificationStatus::parse(record.certification_status.as_deref()?)?;
    let lapsed = status == CertificationStatus::Certified
        && record.certified_until.as_deref().is_some_and(|u| u < today.format("%Y-%m-%d").to_string().as_str());
    Some(CertificationSummary {
        status: if lapsed { CertificationStatus::Expired } else { status },
        valid_until: record.certified_until.clone(),
    })
}

/// The answer for a person; `full` decides whether the ID number and phone
/// are shown whole (the caller records that read in the audit log).
pub fn to_person(state: &AppState, record: &StoredPerson, full: bool, today: NaiveDate) -> anyhow::Result<Person> {
    let (id_number, phone) = if full {
        (
            state.vault.decrypt(&record.id_cipher)?,
            record.phone_cipher.as_deref().map(|c| state.vault.decrypt(c)).transpose()?,
        )
    } else {
        (record.id_masked.clone(), record.phone_masked.clone())
    };
    let birth = NaiveDate::parse_from_str(&record.birth_date, "%Y-%m-%d")?;
    let mut profile = record.profile.clone();
    let certification = effective_certification(record, today);
    if certification.as_ref().is_some_and(|c| c.status == CertificationStatus::Expired) {
        profile.groups.retain(|g| *g != Group::HardshipCertified);
    }
    Ok(Person {
        id: record.id.clone(),
        id_number,
        phone,
        profile,
        birth_date: full.then(|| record.birth_date.clone()),
        age: age_on(birth, today),
        sex: record.sex.clone(),
        certification,
        created_at: record.created_at.clone(),
        updated_at: record.updated_at.clone(),
    })
}
