//! Operational endpoints: liveness, readiness, metrics; and the answers for
//! unknown paths and panics.

use std::any::Any;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jobmatch_core::error::{problem_response, Problem};
use jobmatch_core::{ApiError, AppState};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(metrics))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
    /// What staff should see to soon (ready all the same), in Chinese:
    /// e.g. the working-day calendar about to run out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    detail: Vec<String>,
}

/// What the calendar asks of the bureau's admin now, if anything; sets the
/// gauge `jobmatch_calendar_days_covered` (days from today to the last day
/// the calendar knows; -1 when this year is missing).
async fn calendar_warning(state: &AppState) -> Option<String> {
    let cal = state.calendar().await.ok()?;
    let today = jobmatch_core::time::today();
    let (until, left, warning) = jobmatch_posting::calendar_api::reach(&cal, today);
    state.metrics.gauge("jobmatch_calendar_days_covered", &[], left.unwrap_or(-1) as f64);
    warning.then(|| match until {
        Some(u) => format!(
            "工作日历只到 {u}（还有 {} 天）：请管理员录入下一年的放假安排（/console/calendar）",
            left.unwrap_or(0)
        ),
        None => "工作日历没有今年的放假安排：请管理员录入（/console/calendar）".to_string(),
    })
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok", detail: Vec::new() })
}

/// The store answers and reference data is loaded.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses((status = 200, body = Health), (status = 503, body = Problem)))]
async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    if !state.db.ping().await {
        return Err(ApiError::unavailable("数据库无法连接"));
    }
    if state.regions.is_empty() {
        return Err(ApiError::unavailable("区划数据未加载"));
    }
    Ok(Json(Health { status: "ready", detail: calendar_warning(&state).await.into_iter().collect() }))
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, content_type = "text/plain", body = String)))]
async fn metrics(State(state): State<AppState>) -> Response {
    let _ = calendar_warning(&state).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

/// 404 for paths that do not exist, as problem+json.
pub async fn not_found() -> Response {
    problem_response(Problem::new(StatusCode::NOT_FOUND, "not_found", "资源不存在", "没有这个接口"))
}

/// 500 for a panic in a handler. The panic's message is never logged: it
/// can quote the input that caused it (an ID number, a name); the hook of
/// [`install_panic_hook`] logs where it happened.
pub fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked: answered 500");
    problem_response(Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "服务器内部错误", "请稍后再试"))
}

/// Replace the default panic hook (which prints the message to standard
/// error) with one that logs only the source location.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        tracing::error!(location = %at, "panic (message withheld: it may quote personal data)");
    }));
}
