//! `GET /v1/regions`: the region tree staff pick from.

use axum::extract::State;
use axum::Json;
use jobmatch_core::error::ApiResult;
use jobmatch_core::regions::RegionNode;
use jobmatch_core::{ApiError, AppState, Principal};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(region_tree))
}

/// The region tree: the city, its counties and zones, their streets and
/// communities; streets name the unit that reports for them.
#[utoipa::path(get, path = "/v1/regions", tag = "regions",
    responses((status = 200, body = RegionNode)), security(("bearer" = [])))]
async fn region_tree(State(state): State<AppState>, _p: Principal) -> ApiResult<Json<RegionNode>> {
    state.regions.tree().map(Json).ok_or_else(|| ApiError::unavailable("区划数据未加载"))
}
