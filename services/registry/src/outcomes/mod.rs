//! Outcomes: placements in the six channels (with agencies' social-insurance
//! reports and the service subsidies they earn), temporary living
//! allowances, and the monthly progress report computed from them.

pub mod allowances;
pub mod columns;
pub mod figures;
pub mod form;
pub mod placements;
pub mod report;
pub mod subsidies;

use jobmatch_core::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(placements::router())
        .merge(subsidies::router())
        .merge(allowances::router())
        .merge(report::router())
}

use chrono::NaiveDate;
use jobmatch_core::http::QueryParams;
use jobmatch_core::validate::Errors;

pub use jobmatch_core::time::parse_month;

pub use jobmatch_core::time::{add_months, last_day, months_between};

/// The required `month` query parameter (`YYYY-MM`), or an error on it.
pub fn read_month(params: &QueryParams, errs: &mut Errors) -> Option<NaiveDate> {
    match params.get("month") {
        None => {
            errs.add("month", "required", "必填，格式 YYYY-MM");
            None
        }
        Some(m) => match parse_month(m) {
            Some(d) => Some(d),
            None => {
                errs.add("month", "invalid_month", "月份格式应为 YYYY-MM");
                None
            }
        },
    }
}

/// The required `year` query parameter (a four-digit year), or an error on it.
pub fn read_year(params: &QueryParams, errs: &mut Errors) -> Option<i32> {
    let year = params.get("year").and_then(|y| y.parse::<i32>().ok()).filter(|y| (2000..=2100).contains(y));
    if year.is_none() {
        errs.add("year", "invalid_year", "应为四位年份，如 2026");
    }
    year
}

/// `YYYY-MM`.
pub fn month_text(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_add_and_end() {
        let oct = parse_month("2026-10").unwrap();
        assert_eq!(add_months(oct, 3), parse_month("2027-01").unwrap());
        assert_eq!(add_months(oct, -10), parse_month("2025-12").unwrap());
        assert_eq!(last_day(parse_month("2028-02").unwrap()).to_string(), "2028-02-29");
        assert!(parse_month("2026-13").is_none() && parse_month("2026-1").is_none());
    }
}
