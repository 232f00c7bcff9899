//! Public-welfare jobs (公益性岗位, channel 4 of the policy): the reserve of
//! positions (储备名录库), recruitment announcements and special recruitment
//! events, applications and selection, the public 公示 with its objections,
//! registration as employed (就业登记) with the post-subsidy period, and the
//! two-placement limit with its filings (备案). Every step is a row with who
//! and when, and each change is written to `welfare_log`.

pub mod announcements;
pub mod limits;
pub mod positions;
pub mod public;
pub mod publicity;

use jobmatch_core::{ApiError, ApiResult, AppState, Principal, Role};
use sqlx::AnyConnection;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(positions::router())
        .merge(announcements::router())
        .merge(publicity::router())
        .merge(public::router())
}

/// Record a change in the welfare log by the caller (in their transaction).
pub async fn log(
    conn: &mut AnyConnection,
    state: &AppState,
    caller: &Principal,
    entity: &str,
    id: &str,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    jobmatch_core::records::welfare::log(
        conn,
        &state.clock,
        (&caller.key_id, &caller.org_id),
        entity,
        id,
        action,
        detail,
    )
    .await
}

/// The one rule of who acts on public-welfare records about a place: admin
/// everywhere, staff in their region; anyone else, and staff of another
/// region, is told 404 (as for people).
pub fn may_act(state: &AppState, caller: &Principal, region_code: &str) -> ApiResult<()> {
    caller.require(&[Role::Admin, Role::Staff])?;
    if caller.covers_region(state, region_code) {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

/// A name as the public 公示 shows it, by the policy's rule
/// (`public_welfare.publicity_name_mask`): 王小国 → 王*国 (first and last
/// kept), or 王** (the surname only). Never in full.
pub fn mask_name(state: &AppState, name: &str) -> String {
    jobmatch_core::records::persons::mask_name_as(name, &state.policy.public_welfare.publicity_name_mask)
}

#[cfg(test)]
mod tests {
    use jobmatch_core::records::persons::mask_name_as;

    #[test]
    fn public_names_are_masked_by_the_policys_rule() {
        let first_and_last = |n: &str| mask_name_as(n, "first_and_last");
        assert_eq!(first_and_last("王小国"), "王*国");
        assert_eq!(first_and_last("王国"), "王*");
        assert_eq!(first_and_last("欧阳小明"), "欧**明");
        assert_eq!(first_and_last("李"), "*");
        let surname = |n: &str| mask_name_as(n, "surname");
        assert_eq!(surname("王小国"), "王**");
        assert_eq!(surname("欧阳小明"), "欧***");
        assert_eq!(surname("李"), "*");
        assert_eq!(surname(" 王国 "), "王*");
    }
}
