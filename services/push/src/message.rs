//! What a person reads: short plain Chinese an older person understands —
//! what the work is, where, the pay, and how to answer.

use jobmatch_core::domain::Job;
use jobmatch_core::regions::Regions;

pub use jobmatch_core::plain::{pay_text, place_text};

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

/// Characters of a Chinese SMS segment. A concatenated message carries 67
/// per segment (the rest is the joining header), so two segments hold 134.
pub const SMS_SEGMENT_CHARS: usize = 67;
/// The longest SMS sent: two segments.
pub const SMS_MAX_CHARS: usize = 2 * SMS_SEGMENT_CHARS;

/// The SMS about `job`: what, where, pay, how many and the phone, then the
/// link to the person's page (`link`), within [`SMS_MAX_CHARS`]. When it
/// would not fit, the title is shortened (…) and then the least needed parts
/// go first (headcount, phone — the page has both — then the place).
pub fn sms_text(job: &Job, regions: &Regions, link: &str) -> String {
    let input = &job.input;
    let place = format!("在{}", place_text(job, regions));
    let pay = pay_text(job);
    let headcount = format!("招{}人", input.headcount);
    let phone = format!("电话{}", input.contact.phone);
    let tail = format!("。详情和回复：{link}");
    let choices: [&[&str]; 4] =
        [&[&headcount, &place, &pay, &phone], &[&headcount, &place, &pay], &[&place, &pay], &[&pay]];
    let title: Vec<char> = input.title.chars().collect();
    for parts in choices {
        let body = parts.join("，");
        let fixed = "新岗位：，".chars().count() + body.chars().count() + tail.chars().count();
        let room = SMS_MAX_CHARS.saturating_sub(fixed);
        // Keep at least a readable start of the title.
        if room >= title.len().min(8) {
            return format!("新岗位：{}，{body}{tail}", shorten(&title, room));
        }
    }
    // A link this long cannot be (the public address is at most 60 characters).
    format!("新岗位：{}{tail}", shorten(&title, 8))
}

fn shorten(title: &[char], room: usize) -> String {
    if title.len() <= room {
        title.iter().collect()
    } else {
        let mut s: String = title[..room.saturating_sub(1)].iter().collect();
        s.push('…');
        s
    }
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
        let link = "https://jy.jiaxing.gov.cn/m/AAAAAAAAAAAAAAAAAAAAAA";
        let sms = sms_text(&job, &regions, link);
        assert!(sms.ends_with(link), "{sms}");
        assert!(sms.contains("写字楼保洁员") && sms.contains("招3人") && sms.contains("13805730000"), "{sms}");
        assert!(sms.chars().count() <= SMS_MAX_CHARS, "{sms}");
    }

    /// The longest message the generator can make: the longest title the
    /// API takes (60), the longest place names of the seed regions, pay with
    /// the most digits, the largest headcount, the longest contact phone and
    /// the longest public address the settings take (60) — still two SMS,
    /// with the link whole and the title still there.
    #[test]
    fn the_longest_notice_stays_within_two_sms_and_keeps_the_link() {
        let regions = Regions::from_rows(
            jobmatch_core::regions::parse_csv(jobmatch_core::regions::SEED_CSV).expect("seed regions parse"),
        );
        let longest_place = regions
            .all()
            .map(|r| r.code.clone())
            .max_by_key(|code| {
                let job = job_in(code, "x", 1, 1);
                place_text(&job, &regions).chars().count()
            })
            .expect("regions");
        let title = "长".repeat(60);
        for (url_len, headcount, pay) in [(24, 1, 1), (60, 10_000, 999_999), (60, 1, 999_999)] {
            let mut job = job_in(&longest_place, &title, headcount, pay);
            job.input.contact.phone = "0573-8888888-88888".into();
            let base = format!("https://{}", "j".repeat(url_len - 8));
            assert_eq!(base.chars().count(), url_len);
            let link = format!("{base}/m/{}", "A".repeat(jobmatch_core::links::TOKEN_LEN));
            let sms = sms_text(&job, &regions, &link);
            let n = sms.chars().count();
            assert!(n <= SMS_MAX_CHARS, "{n} characters: {sms}");
            assert!(n.div_ceil(SMS_SEGMENT_CHARS) <= 2);
            assert!(sms.ends_with(&link), "{sms}");
            assert!(sms.contains("长长长长长长长"), "the title's start is kept: {sms}");
            assert!(sms.contains("元"), "pay is always there: {sms}");
        }
    }

    fn job_in(region: &str, title: &str, headcount: i64, pay: i64) -> Job {
        serde_json::from_value(serde_json::json!({
            "id": "job_1", "title": title, "description": "x", "source": "gig_market",
            "category": "cleaning", "employment_type": "part_time",
            "pay": {"min": pay, "max": pay + 1, "unit": "piece"}, "region_code": region, "address": null,
            "location": null, "headcount": headcount, "requirements": {"age_min": null, "age_max": null,
            "certificates": [], "physical": null, "skills": []}, "disability_friendly": true,
            "valid_until": null, "contact": {"name": "李经理", "phone": "13805730000"}, "status": "open",
            "close_reason": null, "publisher_org_id": "org_1", "created_at": "x", "updated_at": "x"
        }))
        .expect("a job document")
    }
}
