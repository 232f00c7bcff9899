//! Domain types shared by the services: the closed vocabularies of API.md and
//! the job document as stored and answered.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declare a closed set of snake_case codes with its list and parser.
#[macro_export]
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        // utoipa does not read the variants' renames through the macro; every
        // code is its variant in snake case, which this says to both.
        #[serde(rename_all = "snake_case")]
        pub enum $name { $( $(#[$vm])* #[serde(rename = $text)] $variant ),+ }
        impl $name {
            /// Every code, in order.
            pub const ALL: &'static [&'static str] = &[$($text),+];
            pub fn as_str(self) -> &'static str { match self { $(Self::$variant => $text),+ } }
            pub fn parse(s: &str) -> Option<Self> { match s { $($text => Some(Self::$variant),)+ _ => None } }
        }
    };
}

string_enum!(
    /// Who publishes a job.
    JobSource { GigMarket = "gig_market", Community = "community", PublicWelfare = "public_welfare", Employer = "employer" }
);
string_enum!(
    /// How a job employs (and what a person is available for).
    EmploymentType { Gig = "gig", PartTime = "part_time", FullTime = "full_time", Seasonal = "seasonal" }
);
string_enum!(
    /// The period a pay figure is for.
    PayUnit { Hour = "hour", Day = "day", Month = "month", Piece = "piece" }
);
string_enum!(
    /// Physical demand of a job, or the heaviest work a person can do (ordered).
    Physical { Light = "light", Medium = "medium", Heavy = "heavy" }
);
string_enum!(
    /// Job life cycle: `open` → `closed` (filled or withdrawn) or `expired`.
    JobStatus { Open = "open", Closed = "closed", Expired = "expired" }
);
string_enum!(
    /// Why a job was closed.
    CloseReason { Filled = "filled", Withdrawn = "withdrawn" }
);
string_enum!(
    /// What kind of organisation holds keys.
    OrgKind { GigMarket = "gig_market", Community = "community", Employer = "employer", HrAgency = "hr_agency", Bureau = "bureau" }
);

/// Pay in whole yuan per unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Pay {
    #[schema(example = 3000)]
    pub min: i64,
    #[schema(example = 4000)]
    pub max: i64,
    pub unit: PayUnit,
}

/// WGS-84 coordinates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

/// Who to call about a job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    pub name: String,
    /// Mainland mobile (`13805731234`) or landline (`0573-82345678`).
    pub phone: String,
}

/// What a job asks of applicants. Only lawful requirements: no sex,
/// ethnicity, religion, disability, carrier status or household registration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Requirements {
    /// 16–70.
    pub age_min: Option<i64>,
    /// 16–70, at least `age_min`.
    pub age_max: Option<i64>,
    /// Certificate codes from index-config/certificates.toml.
    #[serde(default)]
    pub certificates: Vec<String>,
    pub physical: Option<Physical>,
    #[serde(default)]
    pub skills: Vec<String>,
}

/// A job as a publisher writes it (`POST /v1/jobs`), defaults filled in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobInput {
    /// 2–60 characters.
    #[schema(example = "小区保洁员")]
    pub title: String,
    /// 1–5000 characters.
    pub description: String,
    pub source: JobSource,
    /// A category code from index-config/categories.toml.
    #[schema(example = "cleaning")]
    pub category: String,
    pub employment_type: EmploymentType,
    pub pay: Pay,
    /// A known region code (county, street or community).
    #[schema(example = "330402007")]
    pub region_code: String,
    pub address: Option<String>,
    pub location: Option<GeoPoint>,
    /// At least 1; default 1.
    pub headcount: i64,
    pub requirements: Requirements,
    pub disability_friendly: bool,
    /// RFC 3339; must be in the future when set.
    pub valid_until: Option<String>,
    pub contact: Contact,
}

/// A job as the API answers it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Job {
    pub id: String,
    #[serde(flatten)]
    pub input: JobInput,
    pub status: JobStatus,
    /// Why it was closed (`filled` or `withdrawn`), when closed.
    pub close_reason: Option<CloseReason>,
    pub publisher_org_id: String,
    /// Only certified 就业困难人员 are matched to it and told of it: the job
    /// of a public-welfare recruitment announcement (set by the server).
    #[serde(default)]
    pub certified_only: bool,
    pub created_at: String,
    pub updated_at: String,
}

string_enum!(
    /// Hardship groups (帮扶对象类别).
    Group { HardshipCertified = "hardship_certified", LowIncomeFamily = "low_income_family", Disabled = "disabled", ZeroEmploymentFamily = "zero_employment_family" }
);
string_enum!(
    /// Employment status (就业状态).
    EmploymentStatus { Unemployed = "unemployed", Flexible = "flexible", Employed = "employed", SelfEmployed = "self_employed", PublicWelfare = "public_welfare" }
);
string_enum!(
    /// Willingness to work (就业意愿).
    Willingness { Now = "now", Later = "later", NotNow = "not_now" }
);

/// Whether a person is matched at all: out of work (or in flexible work)
/// and wanting work now. Matching and push ask the same question.
pub fn is_matchable(status: EmploymentStatus, willingness: Willingness) -> bool {
    matches!(status, EmploymentStatus::Unemployed | EmploymentStatus::Flexible) && willingness == Willingness::Now
}
string_enum!(
    /// Service needs (服务需求).
    ServiceNeed { Job = "job", Training = "training", Entrepreneurship = "entrepreneurship", Allowance = "allowance", Guidance = "guidance" }
);
string_enum!(
    /// Certification as 就业困难人员.
    CertificationStatus { Applied = "applied", Certified = "certified", Rejected = "rejected", Revoked = "revoked", Expired = "expired" }
);

/// Pay a person hopes for; `max` may be left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExpectedPay {
    pub min: i64,
    pub max: Option<i64>,
    pub unit: PayUnit,
}

/// What a person agreed to (PIPL): job pushes, sharing with HR agencies,
/// being recommended to employers. Each defaults to `false`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Consent {
    pub push: bool,
    pub share_with_agencies: bool,
    /// Listed to publishers (employers, gig markets) as a candidate for
    /// their jobs, masked. Without it a person is never shown to a publisher.
    #[serde(default)]
    pub recommend_to_employers: bool,
}

/// Everything of a person's record but the ID number and phone (which are
/// kept encrypted apart) and what the server derives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PersonProfile {
    pub name: String,
    /// Home region (street or community).
    pub region_code: String,
    /// Home address below the community, free text.
    pub address: Option<String>,
    pub groups: Vec<Group>,
    pub employment_status: EmploymentStatus,
    pub willingness: Willingness,
    /// Why not now (e.g. 照顾家人), when willingness is not `now`.
    pub willingness_reason: Option<String>,
    pub service_needs: Vec<ServiceNeed>,
    /// Free words, e.g. 打扫卫生, 做饭.
    pub skills: Vec<String>,
    pub certificates: Vec<String>,
    pub preferred_categories: Vec<String>,
    /// Empty means the home county.
    pub preferred_regions: Vec<String>,
    pub expected_pay: Option<ExpectedPay>,
    pub availability: Vec<EmploymentType>,
    /// The heaviest work the person can do.
    pub physical_limit: Option<Physical>,
    pub consent: Consent,
    /// For a woman, whose statutory retirement age differs by it (2024
    /// decision): `female_worker` or `female_cadre`; unset, the policy's
    /// default is assumed. Used for subsidy periods and public-welfare posts.
    #[serde(default)]
    pub retirement_kind: Option<String>,
}

/// The current certification, in a person's answer.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CertificationSummary {
    pub status: CertificationStatus,
    pub valid_until: Option<String>,
}

impl CertificationSummary {
    /// The last day the certification as 就业困难人员 holds, when it is in
    /// force (status `certified`; no end date counts as far in the future).
    pub fn holds_through(&self) -> Option<chrono::NaiveDate> {
        if self.status != CertificationStatus::Certified {
            return None;
        }
        match self.valid_until.as_deref() {
            None => chrono::NaiveDate::from_ymd_opt(9999, 12, 31),
            Some(u) => chrono::NaiveDate::parse_from_str(u.get(..10).unwrap_or(u), "%Y-%m-%d").ok(),
        }
    }
}

/// A person as the API answers.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Person {
    pub id: String,
    /// Full to admin and staff of the person's region, else `3****************4` (first and last character only).
    pub id_number: String,
    /// Full to admin and staff of the person's region, else `138****5678`.
    pub phone: Option<String>,
    #[serde(flatten)]
    pub profile: PersonProfile,
    /// `YYYY-MM-DD`, from the ID number: only to admin and staff of the
    /// person's region (with a masked ID number it would rebuild the number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    pub age: i64,
    /// `male` or `female`, from the ID number.
    pub sex: String,
    pub certification: Option<CertificationSummary>,
    pub created_at: String,
    pub updated_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_its_variant_in_snake_case() {
        // The OpenAPI document takes codes from `rename_all`, serde from the
        // variants' renames: they must agree.
        fn check<T: serde::Serialize + std::fmt::Debug>(all: &[&str], parse: impl Fn(&str) -> Option<T>) {
            for code in all {
                let v = parse(code).unwrap();
                assert_eq!(serde_json::to_value(&v).unwrap(), serde_json::json!(code), "{v:?}");
                let debug = format!("{v:?}");
                let mut snake = String::new();
                for (i, c) in debug.chars().enumerate() {
                    if c.is_uppercase() && i > 0 {
                        snake.push('_');
                    }
                    snake.extend(c.to_lowercase());
                }
                assert_eq!(&snake, code);
            }
        }
        check(JobSource::ALL, JobSource::parse);
        check(EmploymentType::ALL, EmploymentType::parse);
        check(OrgKind::ALL, OrgKind::parse);
        check(EmploymentStatus::ALL, EmploymentStatus::parse);
        check(Group::ALL, Group::parse);
        check(Willingness::ALL, Willingness::parse);
        check(ServiceNeed::ALL, ServiceNeed::parse);
        check(CertificationStatus::ALL, CertificationStatus::parse);
    }

    #[test]
    fn codes_round_trip_and_physical_demand_is_ordered() {
        for s in EmploymentType::ALL {
            assert_eq!(EmploymentType::parse(s).unwrap().as_str(), *s);
        }
        assert!(Physical::Light < Physical::Medium && Physical::Medium < Physical::Heavy);
        assert_eq!(serde_json::to_string(&JobSource::GigMarket).unwrap(), "\"gig_market\"");
        assert_eq!(JobStatus::parse("gone"), None);
    }
}
