//! Plain Chinese for job seekers: a job's pay and place as an SMS and the
//! seeker's page say them.

use crate::domain::{Job, PayUnit};
use crate::regions::Regions;

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
