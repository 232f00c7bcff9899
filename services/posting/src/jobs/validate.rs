//! Every rule of API.md for a job, checked at once.

use chrono::{DateTime, Duration, Utc};
use jobmatch_core::domain::{
    Contact, EmploymentType, GeoPoint, JobInput, JobSource, Pay, PayUnit, Physical, Requirements,
};
use jobmatch_core::error::{ApiError, Problem};
use jobmatch_core::regions::Regions;
use jobmatch_core::time::{parse_instant, to_text};
use jobmatch_core::validate::{normalize_phone, Errors, Fields};
use jobmatch_core::vocab::Vocabulary;
use serde_json::{json, Value};

/// What a job is checked against.
pub struct JobRules<'a> {
    pub vocab: &'a Vocabulary,
    pub regions: &'a Regions,
    pub now: DateTime<Utc>,
    /// On an update: the stored `valid_until`, which may stay as it is even
    /// if it has passed meanwhile.
    pub previous_valid_until: Option<&'a str>,
}

const FIELDS: [&str; 14] = [
    "title",
    "description",
    "source",
    "category",
    "employment_type",
    "pay",
    "region_code",
    "address",
    "location",
    "headcount",
    "requirements",
    "disability_friendly",
    "valid_until",
    "contact",
];

/// Highest pay figure accepted (whole yuan), to catch slips of the keyboard.
const PAY_MAX: i64 = 1_000_000;
/// How far ahead `valid_until` may be.
const VALID_FOR_AT_MOST_DAYS: i64 = 730;

/// Read a job body, or answer 422 naming every bad field (and every
/// discriminatory term found).
pub fn read_job(body: &Value, rules: &JobRules<'_>) -> Result<JobInput, ApiError> {
    let mut errs = Errors::default();
    let Some(f) = Fields::root(body, &mut errs) else {
        return Err(ApiError::validation(errs.0));
    };
    f.deny_unknown(&FIELDS, &mut errs);
    let title = f.string("title", true, 2, 60, &mut errs);
    let description = f.string("description", true, 1, 5000, &mut errs);
    let source = f.one_of("source", true, JobSource::ALL, &mut errs).and_then(|s| JobSource::parse(&s));
    let category = f.one_of("category", true, rules.vocab.category_codes(), &mut errs);
    let employment_type =
        f.one_of("employment_type", true, EmploymentType::ALL, &mut errs).and_then(|s| EmploymentType::parse(&s));
    let pay = f.object("pay", true, &mut errs, |p, errs| {
        p.deny_unknown(&["min", "max", "unit"], errs);
        let min = p.int("min", true, 1, PAY_MAX, errs);
        let max = p.int("max", true, 1, PAY_MAX, errs);
        let unit = p.one_of("unit", true, PayUnit::ALL, errs).and_then(|u| PayUnit::parse(&u));
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                errs.add(p.path("min"), "min_gt_max", "最低薪资不能高于最高薪资");
                return None;
            }
        }
        Some(Pay { min: min?, max: max?, unit: unit? })
    });
    let region_code = f.string("region_code", true, 6, 20, &mut errs);
    if let Some(code) = &region_code {
        match rules.regions.get(code) {
            None => errs.add("region_code", "unknown_region", "未知区划代码"),
            Some(r) if !matches!(r.level.as_str(), "county" | "zone" | "street" | "community") => {
                errs.add("region_code", "region_too_broad", "应为区县、街道（乡镇）或社区（村）代码")
            }
            Some(_) => {}
        }
    }
    let address = f.string("address", false, 1, 200, &mut errs);
    let location = f.object("location", false, &mut errs, |l, errs| {
        l.deny_unknown(&["lat", "lon"], errs);
        let lat = l.number("lat", true, -90.0, 90.0, errs);
        let lon = l.number("lon", true, -180.0, 180.0, errs);
        Some(GeoPoint { lat: lat?, lon: lon? })
    });
    let headcount = if f.present("headcount") { f.int("headcount", true, 1, 10_000, &mut errs) } else { Some(1) };
    let requirements = f
        .object("requirements", false, &mut errs, |r, errs| {
            r.deny_unknown(&["age_min", "age_max", "certificates", "physical", "skills"], errs);
            let age_min = r.int("age_min", false, 16, 70, errs);
            let age_max = r.int("age_max", false, 16, 70, errs);
            if let (Some(lo), Some(hi)) = (age_min, age_max) {
                if lo > hi {
                    errs.add(r.path("age_min"), "min_gt_max", "最低年龄不能高于最高年龄");
                }
            }
            let certificates = r.codes("certificates", rules.vocab.certificate_codes(), errs).unwrap_or_default();
            let physical = r.one_of("physical", false, Physical::ALL, errs).and_then(|p| Physical::parse(&p));
            let skills = r.strings("skills", 20, 30, errs).unwrap_or_default();
            Requirements { age_min, age_max, certificates, physical, skills }
        })
        .unwrap_or_default();
    let disability_friendly = f.boolean("disability_friendly", false, &mut errs).unwrap_or(false);
    let valid_until = f.string("valid_until", false, 1, 40, &mut errs).and_then(|raw| {
        let Some(t) = parse_instant(&raw) else {
            errs.add("valid_until", "bad_time", "时间格式应为 RFC 3339（如 2026-12-31T18:00:00+08:00）或 YYYY-MM-DD");
            return None;
        };
        let text = to_text(t);
        if rules.previous_valid_until == Some(text.as_str()) {
            return Some(text);
        }
        if t <= rules.now {
            errs.add("valid_until", "in_the_past", "有效期不能早于当前时间");
            None
        } else if t > rules.now + Duration::days(VALID_FOR_AT_MOST_DAYS) {
            errs.add("valid_until", "too_far", "有效期最长两年");
            None
        } else {
            Some(text)
        }
    });
    let contact = f.object("contact", true, &mut errs, |c, errs| {
        c.deny_unknown(&["name", "phone"], errs);
        let name = c.string("name", true, 1, 30, errs);
        let phone = c.string("phone", true, 5, 30, errs).and_then(|raw| {
            let p = normalize_phone(&raw);
            if p.is_none() {
                errs.add(
                    c.path("phone"),
                    "bad_phone",
                    "应为有效的手机号（如 13805731234）或固定电话（如 0573-82345678）",
                );
            }
            p
        });
        Some(Contact { name: name?, phone: phone? })
    });

    // Discriminatory wording (就业促进法): checked on every free text a job shows.
    let mut findings = Vec::new();
    let mut texts: Vec<(String, &str)> = Vec::new();
    if let Some(t) = &title {
        texts.push(("title".into(), t));
    }
    if let Some(d) = &description {
        texts.push(("description".into(), d));
    }
    if let Some(a) = &address {
        texts.push(("address".into(), a));
    }
    for (i, s) in requirements.skills.iter().enumerate() {
        texts.push((format!("requirements.skills[{i}]"), s));
    }
    if let Some(Some(c)) = &contact {
        texts.push(("contact.name".into(), &c.name));
    }
    for (field, text) in texts {
        let found = rules.vocab.discriminatory_terms(text);
        if !found.is_empty() {
            let list: Vec<String> = found.iter().map(|f| format!("“{}”（{}）", f.term, f.ground_name)).collect();
            errs.add(field, "discriminatory", format!("含有歧视性内容：{}", list.join("、")));
            findings.extend(found);
        }
    }
    if !findings.is_empty() {
        let terms: Vec<Value> = findings
            .iter()
            .map(|f| json!({"term": f.term, "ground": f.ground_code, "ground_name": f.ground_name}))
            .collect();
        let words: Vec<&str> = findings.iter().map(|f| f.term.as_str()).collect();
        return Err(Problem::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "discriminatory_wording",
            "招聘信息含有歧视性内容",
            format!(
                "根据《就业促进法》，招聘信息不得以性别、民族、宗教信仰、残疾、病原携带、户籍等限制求职者。发现：{}",
                words.join("、")
            ),
        )
        .with_errors(errs.0)
        .with("terms", terms)
        .into());
    }

    let out = (|| {
        Some(JobInput {
            title: title?,
            description: description?,
            source: source?,
            category: category?,
            employment_type: employment_type?,
            pay: pay??,
            region_code: region_code?,
            address,
            location: location.flatten(),
            headcount: headcount?,
            requirements,
            disability_friendly,
            valid_until,
            contact: contact??,
        })
    })();
    match out {
        Some(job) if errs.is_empty() => Ok(job),
        _ => {
            if errs.is_empty() {
                // Unreachable by construction: a missing value always records an error.
                errs.add("body", "invalid", "请求无效");
            }
            Err(ApiError::validation(errs.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobmatch_core::regions::{parse_csv, SEED_CSV};

    fn job() -> Value {
        json!({"title": "小区保洁员", "description": "负责楼道清洁", "source": "gig_market", "category": "cleaning",
               "employment_type": "part_time", "pay": {"min": 20, "max": 25, "unit": "hour"}, "region_code": "330402007",
               "requirements": {"age_min": 18, "age_max": 60, "physical": "medium"},
               "contact": {"name": "王女士", "phone": "13805731234"}})
    }

    fn check(body: &Value) -> Result<JobInput, Vec<String>> {
        let vocab = Vocabulary::load(None).unwrap();
        let regions = Regions::from_rows(parse_csv(SEED_CSV).unwrap());
        let rules = JobRules { vocab: &vocab, regions: &regions, now: Utc::now(), previous_valid_until: None };
        read_job(body, &rules).map_err(|e| match e {
            ApiError::Problem(p) => p.errors.iter().map(|e| e.field.clone()).collect(),
            other => vec![other.to_string()],
        })
    }

    #[test]
    fn a_good_job_gets_its_defaults() {
        let j = check(&job()).unwrap();
        assert_eq!(j.headcount, 1);
        assert!(!j.disability_friendly);
        assert_eq!(j.requirements.physical, Some(Physical::Medium));
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let mut b = job();
        b["title"] = json!("x");
        b["pay"] = json!({"min": 30, "max": 20, "unit": "week"});
        b["requirements"]["age_min"] = json!(15);
        b["requirements"]["age_max"] = json!(90);
        b["contact"]["phone"] = json!("12345");
        b["headcount"] = json!("两个");
        b["region_code"] = json!("999999");
        b["valid_until"] = json!("2020-01-01T00:00:00Z");
        b["salary_secret"] = json!(1);
        let fields = check(&b).unwrap_err();
        for f in [
            "title",
            "pay.unit",
            "requirements.age_min",
            "requirements.age_max",
            "contact.phone",
            "headcount",
            "region_code",
            "valid_until",
            "salary_secret",
        ] {
            assert!(fields.contains(&f.to_string()), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn pay_min_above_max_and_age_min_above_max_are_refused() {
        let mut b = job();
        b["pay"] = json!({"min": 30, "max": 20, "unit": "hour"});
        b["requirements"] = json!({"age_min": 50, "age_max": 40});
        assert_eq!(check(&b).unwrap_err(), ["pay.min", "requirements.age_min"]);
    }

    #[test]
    fn discriminatory_wording_is_refused_naming_the_field() {
        let mut b = job();
        b["description"] = json!("负责楼道清洁，限男性，乙肝携带者勿扰");
        assert_eq!(check(&b).unwrap_err(), ["description"]);
        b["description"] = json!("负责楼道清洁，男女不限");
        assert!(check(&b).is_ok());
    }

    #[test]
    fn a_landline_contact_is_accepted_and_normalised() {
        let mut b = job();
        b["contact"]["phone"] = json!("0573 8234 5678");
        assert_eq!(check(&b).unwrap().contact.phone, "0573-82345678");
    }
}
