//! What a person reads: short plain Chinese an older person understands —
//! what the work is, where, the pay, and how to answer.

use jobmatch_core::domain::{Job, PayUnit};
use jobmatch_core::regions::Regions;

/// `每月2200-2600元`, `每小时25元`, `计件，每件1-2元`.
pub fn pay_text(job: &Job) -> String {
    let p = &job.input.pay;
    let amount = if p.min == p.max { format!("{}元", p.min) } else { format!("{}-{}元", p.min, p.max) };
    match p.unit {
        PayUnit::Hour => format!("每小时{amount}"),
        PayUnit::Day => format!("每天{amount}"),
        PayUnit::Month => format!("每月{amount}"),
        PayUnit::Piece => format!("计件，每件{amount}"),
    }
}

/// `南湖区建设街道`: the county-level and street names of the job's place.
pub fn place_text(job: &Job, regions: &Regions) -> String {
    let mut names: Vec<&str> = regions
        .ancestors(&job.input.region_code)
        .filter(|r| matches!(r.level.as_str(), "county" | "zone" | "street" | "community"))
        .map(|r| r.name.as_str())
        .collect();
    names.reverse();
    names.concat()
}

/// The title and body of a notice about `job` to a person.
pub fn person_notice(job: &Job, regions: &Regions) -> (String, String) {
    let input = &job.input;
    let title = format!("新岗位：{}", input.title);
    let mut body =
        format!("{}招{}人，在{}，{}。", input.title, input.headcount, place_text(job, regions), pay_text(job));
    if input.disability_friendly {
        body.push_str("适合残疾人。");
    }
    body.push_str(&format!("想去请打电话{}，找{}。", input.contact.phone, input.contact.name));
    (title, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_says_what_where_pay_and_how_to_answer() {
        let regions = Regions::from_rows(
            jobmatch_core::regions::parse_csv(jobmatch_core::regions::SEED_CSV).expect("seed regions parse"),
        );
        let job: Job = serde_json::from_value(serde_json::json!({
            "id": "job_1", "title": "写字楼保洁员", "description": "负责公共区域保洁", "source": "gig_market",
            "category": "cleaning", "employment_type": "part_time",
            "pay": {"min": 2200, "max": 2600, "unit": "month"}, "region_code": "330402009", "address": null,
            "location": null, "headcount": 3, "requirements": {"age_min": null, "age_max": null,
            "certificates": [], "physical": null, "skills": []}, "disability_friendly": false,
            "valid_until": null, "contact": {"name": "李经理", "phone": "13805730000"}, "status": "open",
            "close_reason": null, "publisher_org_id": "org_1", "created_at": "x", "updated_at": "x"
        }))
        .expect("a job document");
        let (title, body) = person_notice(&job, &regions);
        assert_eq!(title, "新岗位：写字楼保洁员");
        assert!(body.contains("每月2200-2600元"), "{body}");
        assert!(body.contains("南湖区"), "{body}");
        assert!(body.contains("13805730000") && body.contains("李经理"), "{body}");
        assert!(body.chars().count() < 90, "short enough for one SMS-sized read: {body}");
    }
}
