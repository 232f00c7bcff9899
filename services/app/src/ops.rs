//! Operational endpoints: liveness, readiness, metrics; and the answers for
//! unknown paths and panics.

use std::any::Any;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jobmatch_core::clock::NotSet;
use jobmatch_core::error::{problem_response, FieldError, Problem};
use jobmatch_core::http::JsonBody;
use jobmatch_core::validate::{read_body, Errors, Fields, RequestBody};
use jobmatch_core::{ApiError, AppState, Principal, Role};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(get_clock, set_clock))
}

/// The service's clock ([`jobmatch_core::clock`]).
#[derive(Serialize, ToSchema)]
pub struct ClockView {
    /// Now by the service's clock, RFC 3339 (UTC).
    now: String,
    /// Whether the admin may move it forward (started with
    /// `JOBMATCH_SETTABLE_CLOCK=true`: a rehearsal, 演练环境).
    settable: bool,
}

/// `{ now }`: RFC 3339, not before the clock's now.
#[derive(ToSchema)]
pub struct ClockSet {
    #[schema(value_type = String)]
    now: chrono::DateTime<chrono::Utc>,
}

impl RequestBody for ClockSet {
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<ClockSet> {
        let text = f.string("now", true, 1, 40, errs)?;
        match chrono::DateTime::parse_from_rfc3339(text.trim()) {
            Ok(t) => Some(ClockSet { now: t.with_timezone(&chrono::Utc) }),
            Err(_) => {
                errs.add("now", "invalid_time", "应为 RFC 3339 时间，例如 2027-01-04T09:00:00+08:00");
                None
            }
        }
    }
}

fn clock_view(state: &AppState) -> ClockView {
    ClockView { now: state.now_text(), settable: state.clock.is_settable() }
}

/// The service's clock: now, and whether it may be set (a rehearsal).
#[utoipa::path(get, path = "/v1/ops/clock", tag = "ops", responses((status = 200, body = ClockView)))]
async fn get_clock(State(state): State<AppState>) -> Result<Json<ClockView>, ApiError> {
    state.clock.refresh(&state.db.pool).await?;
    Ok(Json(clock_view(&state)))
}

/// Move the clock forward (admin; only when started with
/// `JOBMATCH_SETTABLE_CLOCK=true`): every time-dependent part — sweeps,
/// quiet hours, daily caps, 公示, registration, payment lists, 报送, link
/// expiry — reads it from then on, and it runs on from the time set.
#[utoipa::path(put, path = "/v1/ops/clock", tag = "ops", request_body = ClockSet,
    responses((status = 200, body = ClockView), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)), security(("bearer" = [])))]
async fn set_clock(
    State(state): State<AppState>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> Result<Json<ClockView>, ApiError> {
    caller.require(&[Role::Admin])?;
    let ClockSet { now: to } = read_body(&body, &state)?;
    match state.clock.set_and_store(&state.db.pool, to).await? {
        Ok(()) => {
            tracing::warn!(now = %state.now_text(), "the rehearsal clock was moved forward");
            Ok(Json(clock_view(&state)))
        }
        Err(NotSet::Fixed) => Err(ApiError::conflict(
            "clock_fixed",
            "本服务使用真实时间，不能调整（只有以 JOBMATCH_SETTABLE_CLOCK=true 启动的演练环境可以）",
        )),
        Err(NotSet::Backward(now)) => Err(ApiError::validation(vec![FieldError::new(
            "now",
            "backward",
            format!(
                "时钟只能向后调：当前为 {}",
                jobmatch_core::time::local_minutes(&jobmatch_core::time::to_text(now))
            ),
        )])),
    }
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
    let today = state.today();
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
    let mut detail: Vec<String> = Vec::new();
    if state.clock.is_settable() {
        state.clock.refresh(&state.db.pool).await?;
        detail.push(format!(
            "演练环境：时钟可调，当前为 {}（不是真实业务）",
            jobmatch_core::time::local_minutes(&state.now_text())
        ));
    }
    detail.extend(calendar_warning(&state).await);
    Ok(Json(Health { status: "ready", detail }))
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
