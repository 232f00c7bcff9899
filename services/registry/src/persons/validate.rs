//! Every rule of API.md for a person, checked at once.

use chrono::NaiveDate;
use jobmatch_core::domain::{
    Consent, EmploymentStatus, EmploymentType, ExpectedPay, Group, PayUnit, PersonProfile, Physical, ServiceNeed,
    Willingness,
};
use jobmatch_core::error::ApiError;
use jobmatch_core::idcard::{self, ResidentId};
use jobmatch_core::regions::Regions;
use jobmatch_core::validate::{normalize_mobile, Errors, Fields};
use jobmatch_core::vocab::Vocabulary;
use serde_json::Value;

/// The fields of a person body.
pub const FIELDS: [&str; 19] = [
    "id_number",
    "name",
    "phone",
    "region_code",
    "address",
    "groups",
    "employment_status",
    "willingness",
    "willingness_reason",
    "service_needs",
    "skills",
    "certificates",
    "preferred_categories",
    "preferred_regions",
    "expected_pay",
    "availability",
    "physical_limit",
    "consent",
    "retirement_kind",
];

/// The youngest working age.
pub const MIN_AGE: i64 = 16;

pub struct PersonRules<'a> {
    pub vocab: &'a Vocabulary,
    pub regions: &'a Regions,
    pub today: NaiveDate,
}

/// A checked person: the ID number, the phone, and the rest.
#[derive(Clone, Debug)]
pub struct PersonInput {
    pub id: ResidentId,
    pub phone: Option<String>,
    pub profile: PersonProfile,
}

/// Check an ID number field, reporting on `field`.
pub fn check_id_number(raw: &str, field: &str, today: NaiveDate, errs: &mut Errors) -> Option<ResidentId> {
    match idcard::parse(raw, today) {
        Ok(id) if idcard::age_on(id.birth_date, today) < MIN_AGE => {
            errs.add(field, "under_working_age", format!("未满 {MIN_AGE} 周岁，不属于劳动年龄段"));
            None
        }
        Ok(id) => Some(id),
        Err(e) => {
            errs.add(field, e.code, e.message);
            None
        }
    }
}

/// Check a home region: known, and a street or community.
pub fn check_home_region(code: &str, field: &str, regions: &Regions, errs: &mut Errors) -> bool {
    match regions.get(code) {
        None => errs.add(field, "unknown_region", "未知区划代码"),
        Some(r) if !matches!(r.level.as_str(), "street" | "community") => {
            errs.add(field, "region_too_broad", "居住地应填到街道（乡镇）或社区（村）")
        }
        Some(_) => return true,
    }
    false
}

fn parse_all<T>(codes: Option<Vec<String>>, parse: fn(&str) -> Option<T>) -> Vec<T> {
    codes.unwrap_or_default().iter().filter_map(|c| parse(c)).collect()
}

/// Read a person body, or answer 422 naming every bad field. `phone_required`
/// is false only for department imports, whose lists may lack phones.
pub fn read_person(body: &Value, rules: &PersonRules<'_>, phone_required: bool) -> Result<PersonInput, ApiError> {
    let mut errs = Errors::default();
    let Some(f) = Fields::root(body, &mut errs) else {
        return Err(ApiError::validation(errs.0));
    };
    f.deny_unknown(&FIELDS, &mut errs);
    let id = f
        .string("id_number", true, 1, 40, &mut errs)
        .and_then(|raw| check_id_number(&raw, "id_number", rules.today, &mut errs));
    let name = f.string("name", true, 1, 50, &mut errs);
    let phone = f.string("phone", phone_required, 5, 30, &mut errs).and_then(|raw| {
        let p = normalize_mobile(&raw);
        if p.is_none() {
            errs.add("phone", "bad_phone", "应为有效的手机号（11 位，如 13905738765）");
        }
        p
    });
    let region_code = f
        .string("region_code", true, 6, 20, &mut errs)
        .filter(|code| check_home_region(code, "region_code", rules.regions, &mut errs));
    let address = f.string("address", false, 1, 200, &mut errs);
    let groups = parse_all(f.codes("groups", Group::ALL, &mut errs), Group::parse);
    let employment_status = match f.one_of("employment_status", false, EmploymentStatus::ALL, &mut errs) {
        Some(s) => EmploymentStatus::parse(&s),
        None if f.present("employment_status") => None,
        None => Some(EmploymentStatus::Unemployed),
    };
    let willingness = match f.one_of("willingness", false, Willingness::ALL, &mut errs) {
        Some(s) => Willingness::parse(&s),
        None if f.present("willingness") => None,
        None => Some(Willingness::Now),
    };
    let willingness_reason = f.string("willingness_reason", false, 1, 200, &mut errs);
    let service_needs = parse_all(f.codes("service_needs", ServiceNeed::ALL, &mut errs), ServiceNeed::parse);
    let skills = f.strings("skills", 30, 50, &mut errs).unwrap_or_default();
    let certificates = f.codes("certificates", rules.vocab.certificate_codes(), &mut errs).unwrap_or_default();
    let preferred_categories =
        f.codes("preferred_categories", rules.vocab.category_codes(), &mut errs).unwrap_or_default();
    let preferred_regions = f.strings("preferred_regions", 30, 20, &mut errs).unwrap_or_default();
    for (i, code) in preferred_regions.iter().enumerate() {
        if !rules.regions.contains(code) {
            errs.add(format!("preferred_regions[{i}]"), "unknown_region", format!("未知区划代码 {code}"));
        }
    }
    let expected_pay = f
        .object("expected_pay", false, &mut errs, |p, errs| {
            p.deny_unknown(&["min", "max", "unit"], errs);
            let min = p.int("min", true, 1, 1_000_000, errs);
            let max = p.int("max", false, 1, 1_000_000, errs);
            let unit = p.one_of("unit", true, PayUnit::ALL, errs).and_then(|u| PayUnit::parse(&u));
            if let (Some(lo), Some(hi)) = (min, max) {
                if lo > hi {
                    errs.add(p.path("min"), "min_gt_max", "期望最低薪资不能高于最高薪资");
                    return None;
                }
            }
            Some(ExpectedPay { min: min?, max, unit: unit? })
        })
        .flatten();
    let availability = parse_all(f.codes("availability", EmploymentType::ALL, &mut errs), EmploymentType::parse);
    let physical_limit = f.one_of("physical_limit", false, Physical::ALL, &mut errs).and_then(|p| Physical::parse(&p));
    // A woman's retirement kind (worker or cadre); a man has none to give.
    let retirement_kind = f.one_of("retirement_kind", false, &["female_worker", "female_cadre"], &mut errs);
    if retirement_kind.is_some() && id.as_ref().is_some_and(|id| id.sex == "male") {
        errs.add("retirement_kind", "not_for_men", "只有女性需要区分职工或干部的退休年龄");
    }
    let consent = f
        .object("consent", false, &mut errs, |c, errs| {
            c.deny_unknown(&["push", "share_with_agencies", "recommend_to_employers"], errs);
            Consent {
                push: c.boolean("push", false, errs).unwrap_or(false),
                share_with_agencies: c.boolean("share_with_agencies", false, errs).unwrap_or(false),
                recommend_to_employers: c.boolean("recommend_to_employers", false, errs).unwrap_or(false),
            }
        })
        .unwrap_or_default();

    let out = (|| {
        Some(PersonInput {
            id: id?,
            phone,
            profile: PersonProfile {
                name: name?,
                region_code: region_code?,
                address,
                groups,
                employment_status: employment_status?,
                willingness: willingness?,
                willingness_reason,
                service_needs,
                skills,
                certificates,
                preferred_categories,
                preferred_regions,
                expected_pay,
                availability,
                physical_limit,
                consent,
                retirement_kind,
            },
        })
    })();
    match out {
        Some(p) if errs.is_empty() => Ok(p),
        _ => {
            if errs.is_empty() {
                errs.add("body", "invalid", "请求无效");
            }
            Err(ApiError::validation(errs.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobmatch_core::idcard::check_char;
    use jobmatch_core::regions::{parse_csv, SEED_CSV};
    use serde_json::json;

    fn id(body17: &str) -> String {
        format!("{body17}{}", check_char(body17).unwrap())
    }

    fn check(body: Value) -> Result<PersonInput, Vec<String>> {
        let vocab = Vocabulary::load(None).unwrap();
        let regions = Regions::from_rows(parse_csv(SEED_CSV).unwrap());
        let rules =
            PersonRules { vocab: &vocab, regions: &regions, today: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap() };
        read_person(&body, &rules, true).map_err(|e| match e {
            ApiError::Problem(p) => p.errors.iter().map(|e| e.field.clone()).collect(),
            other => vec![other.to_string()],
        })
    }

    fn person() -> Value {
        json!({"id_number": id("33040219680512124"), "name": "张桂芳", "phone": "13905738765", "region_code": "330402008"})
    }

    #[test]
    fn defaults_are_filled_in() {
        let p = check(person()).unwrap();
        assert_eq!(p.profile.employment_status, EmploymentStatus::Unemployed);
        assert_eq!(p.profile.willingness, Willingness::Now);
        assert_eq!(p.profile.consent, Consent::default());
        assert_eq!(p.id.sex, "female");
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut b = person();
        b["id_number"] = json!("330402196805121240");
        b["phone"] = json!("0573-82345678");
        b["region_code"] = json!("330402");
        b["groups"] = json!(["rich"]);
        b["preferred_regions"] = json!(["330402", "999"]);
        b["expected_pay"] = json!({"min": 5000, "max": 3000, "unit": "month"});
        b["consent"] = json!({"push": "yes"});
        b["hobby"] = json!("x");
        let fields = check(b).unwrap_err();
        for f in [
            "id_number",
            "phone",
            "region_code",
            "groups",
            "preferred_regions[1]",
            "expected_pay.min",
            "consent.push",
            "hobby",
        ] {
            assert!(fields.contains(&f.to_string()), "{f} not in {fields:?}");
        }
    }

    #[test]
    fn a_child_is_not_of_working_age() {
        let mut b = person();
        b["id_number"] = json!(id("33040220150101123"));
        assert_eq!(check(b).unwrap_err(), ["id_number"]);
    }
}
