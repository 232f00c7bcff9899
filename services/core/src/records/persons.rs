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
pub type Row = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    String,
    String,
);

pub fn from_row(r: Row) -> anyhow::Result<StoredPerson> {
    let profile = serde_json::from_str(&r.7).map_err(|e| anyhow::anyhow!("person {} has a bad document: {e}", r.0))?;
    Ok(StoredPerson {
        id: r.0,
        id_cipher: r.1,
        id_masked: r.2,
        phone_cipher: r.3,
        phone_masked: r.4,
        birth_date: r.5,
        sex: r.6,
        profile,
        certification_status: r.8,
        certified_until: r.9,
        field_sources: serde_json::from_str(&r.10).unwrap_or_default(),
        version: r.11,
        created_at: r.12,
        updated_at: r.13,
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
pub fn to_matchable(state: &AppState, sp: &StoredPerson, today: NaiveDate) -> anyhow::Result<Person> {
    let mut person = to_person(state, sp, false, today)?;
    person.birth_date = Some(sp.birth_date.clone());
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
pub fn effective_certification(sp: &StoredPerson, today: NaiveDate) -> Option<CertificationSummary> {
    let status = CertificationStatus::parse(sp.certification_status.as_deref()?)?;
    let lapsed = status == CertificationStatus::Certified
        && sp.certified_until.as_deref().is_some_and(|u| u < today.format("%Y-%m-%d").to_string().as_str());
    Some(CertificationSummary {
        status: if lapsed { CertificationStatus::Expired } else { status },
        valid_until: sp.certified_until.clone(),
    })
}

/// The answer for a person; `full` decides whether the ID number and phone
/// are shown whole (the caller records that read in the audit log).
pub fn to_person(state: &AppState, sp: &StoredPerson, full: bool, today: NaiveDate) -> anyhow::Result<Person> {
    let (id_number, phone) = if full {
        (state.vault.decrypt(&sp.id_cipher)?, sp.phone_cipher.as_deref().map(|c| state.vault.decrypt(c)).transpose()?)
    } else {
        (sp.id_masked.clone(), sp.phone_masked.clone())
    };
    let birth = NaiveDate::parse_from_str(&sp.birth_date, "%Y-%m-%d")?;
    let mut profile = sp.profile.clone();
    let certification = effective_certification(sp, today);
    if certification.as_ref().is_some_and(|c| c.status == CertificationStatus::Expired) {
        profile.groups.retain(|g| *g != Group::HardshipCertified);
    }
    Ok(Person {
        id: sp.id.clone(),
        id_number,
        phone,
        profile,
        birth_date: full.then(|| sp.birth_date.clone()),
        age: age_on(birth, today),
        sex: sp.sex.clone(),
        certification,
        created_at: sp.created_at.clone(),
        updated_at: sp.updated_at.clone(),
    })
}
