//! HR agency partnership (channel 5): agreements, consented assignments,
//! referrals with their moves, contacts, and the follow-up trail. Agencies
//! are outside the bureau: every person they reach goes through
//! [`access::person_for`].

pub mod access;
pub mod agreements;
pub mod assignments;
pub mod referrals;
pub mod trail;

use jobmatch_core::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(agreements::router())
        .merge(assignments::router())
        .merge(referrals::router())
        .merge(trail::router())
}

/// `YYYY-MM-DD`, or an error on `field`.
pub fn read_date(
    f: &jobmatch_core::validate::Fields,
    key: &str,
    required: bool,
    errs: &mut jobmatch_core::validate::Errors,
) -> Option<chrono::NaiveDate> {
    let s = f.string(key, required, 10, 10, errs)?;
    match chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errs.add(f.path(key), "invalid_date", "日期格式应为 YYYY-MM-DD");
            None
        }
    }
}
