//! Composes the services into one process: `Application::build` binds the
//! listener (port 0 in tests), mounts the routes of the chosen roles and the
//! operational endpoints, and `run_until_stopped` serves until a shutdown
//! future resolves, then lets background tasks finish.

pub mod cli;
pub mod openapi;
pub mod ops;
pub mod serve;

use std::future::Future;
use std::sync::Arc;

use axum::http::{HeaderName, Request};
use axum::Router;
use jobmatch_core::config::Settings;
use jobmatch_core::AppState;
use jobmatch_matching::engine::matcher::Matcher;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

/// Which services a process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ServiceRole {
    /// Every service in one process (the default).
    All,
    Posting,
    Matching,
    Push,
}

impl ServiceRole {
    fn runs(self, other: ServiceRole) -> bool {
        self == ServiceRole::All || self == other
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "jobmatch",
        description = "困难群体就业精准帮扶：岗位发布、人岗匹配、推送与进度报表。Job matching for hardship-group job seekers.",
        version = "1"
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "orgs", description = "机构与 API 密钥 Organisations and keys"),
        (name = "regions", description = "行政区划 Regions"),
        (name = "calendar", description = "工作日历 The working-day calendar 公示 periods are counted on"),
        (name = "jobs", description = "岗位 Jobs (posting service)"),
        (name = "persons", description = "人员登记 The person registry"),
        (name = "matching", description = "人岗匹配 Matching service"),
        (name = "push", description = "岗位推送 Push service: inbox, SMS, agency webhooks"),
        (name = "agencies", description = "人力资源机构合作 HR agencies: agreements, assignments, referrals, follow-up"),
        (name = "outcomes", description = "帮扶成效 Placements, insurance months, subsidies, allowances"),
        (name = "subsidies", description = "直补快办 Evidence from other departments, payment lists by rule, payments and reversals"),
        (name = "reports", description = "进度表 The monthly progress report"),
        (name = "welfare", description = "公益性岗位 Public-welfare jobs: reserve, announcements, 公示, objections, registration, subsidy periods"),
        (name = "seeker", description = "求职者页面与回复 The job seeker's SMS link pages, their answers, leads for staff"),
        (name = "ops", description = "运维 Operations")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("API key")).build(),
            ),
        );
    }
}

/// The routes and OpenAPI document of the given roles. The posting role
/// serves the registry and the job seeker's pages too (one deployment owns
/// jobs and people). Matching's
/// routes come bound to a matcher: given `matching` when this process has
/// one, else only their documentation is added (`openapi_json`).
pub fn api(role: ServiceRole, matching: Option<(AppState, Arc<Matcher>)>) -> OpenApiRouter<AppState> {
    let mut api = OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(ops::router());
    if role.runs(ServiceRole::Posting) {
        api = api
            .merge(jobmatch_posting::router())
            .merge(jobmatch_registry::router())
            .merge(jobmatch_seeker::router())
            .merge(jobmatch_welfare::router());
    }
    if role.runs(ServiceRole::Matching) {
        match matching {
            Some((state, matcher)) => api = api.merge(jobmatch_matching::http::router(state, matcher)),
            None => {
                let (_, doc) = jobmatch_matching::http::routes().split_for_parts();
                api.get_openapi_mut().merge(doc);
            }
        }
    }
    if role.runs(ServiceRole::Push) {
        api = api.merge(jobmatch_push::router());
    }
    api
}

/// The OpenAPI document of `doc`'s routes, finished (`openapi::finish`).
fn document(doc: &utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut value = serde_json::to_value(doc).expect("the OpenAPI document serialises");
    openapi::finish(&mut value);
    value
}

/// The whole OpenAPI document, as committed in `schemas/openapi.json`.
pub fn openapi_json() -> String {
    let (_, doc) = api(ServiceRole::All, None).split_for_parts();
    let mut s = serde_json::to_string_pretty(&document(&doc)).expect("the OpenAPI document serialises");
    s.push('\n');
    s
}

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The HTTP application of `role` around `state` (the matcher when this
/// process runs the matching service).
pub fn router(state: AppState, role: ServiceRole, matcher: Option<Arc<Matcher>>) -> Router {
    let (routes, doc) = api(role, matcher.map(|m| (state.clone(), m))).split_for_parts();
    let doc = Arc::new(document(&doc));
    // The staff console acts through this process's own API routes (with
    // the posting role, which owns jobs and people).
    let routes = if role.runs(ServiceRole::Posting) {
        let own_api: Router = routes.clone().with_state(state.clone());
        routes.merge(jobmatch_console::router(own_api))
    } else {
        routes
    };
    routes
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(ops::not_found)
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), jobmatch_core::metrics::track))
        .layer(axum::middleware::from_fn(jobmatch_core::http::refuse_nul))
        .layer(axum::middleware::from_fn_with_state(state.clone(), jobmatch_core::http::deadline))
        .layer(axum::middleware::from_fn_with_state(state.clone(), jobmatch_core::http::rehearsal_banner))
        .with_state(state)
        .layer(CatchPanicLayer::custom(ops::panic_response))
        // Outside the deadline and the panic catcher: their answers too.
        .layer(axum::middleware::from_fn(jobmatch_core::http::no_store))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            // The route template is recorded once routing has matched it
            // (`metrics::track`): a raw path or query could carry ids or names.
            tracing::info_span!("request", request_id = %id, method = %req.method(), route = tracing::field::Empty)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
}

/// A built, bound application.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    role: ServiceRole,
    matcher: Option<Arc<Matcher>>,
    recipients: Option<Arc<dyn jobmatch_core::state::CandidateSource>>,
}

impl Application {
    /// Open the store (migrating it), load configuration and bind the listener.
    pub async fn build(settings: Settings, role: ServiceRole) -> anyhow::Result<Application> {
        let listen = settings.listen;
        let state = AppState::open(settings).await?;
        let matcher = if role.runs(ServiceRole::Matching) {
            let config =
                jobmatch_matching::engine::config::MatchConfig::load(state.settings.index_config_dir.as_deref())?;
            let m = Matcher::open(state.clone(), Arc::new(config)).await?;
            let _ =
                state.job_search.set(Arc::new(jobmatch_matching::engine::matcher::WeakJobSearch(Arc::downgrade(&m))));
            Some(m)
        } else {
            None
        };
        let recipients: Option<Arc<dyn jobmatch_core::state::CandidateSource>> = if role.runs(ServiceRole::Push) {
            Some(match &matcher {
                Some(m) => Arc::new(jobmatch_matching::engine::matcher::MatcherCandidates(Arc::downgrade(m))),
                None => jobmatch_push::http_source(&state)?,
            })
        } else {
            None
        };
        let listener =
            TcpListener::bind(listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
        Ok(Application { listener, state, role, matcher, recipients })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The matcher, when this process runs the matching service.
    pub fn matcher(&self) -> Option<Arc<Matcher>> {
        self.matcher.clone()
    }

    /// Serve until `shutdown` resolves; in-flight requests finish, then the
    /// background tasks stop.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = Vec::new();
        if self.role.runs(ServiceRole::Posting) {
            tasks.push(jobmatch_posting::spawn_background(self.state.clone(), stop_rx.clone()));
            tasks.push(jobmatch_registry::spawn_background(self.state.clone(), stop_rx.clone()));
        }
        if let Some(m) = &self.matcher {
            tasks.push(m.clone().spawn(stop_rx.clone()));
        }
        if let Some(source) = self.recipients.clone() {
            tasks.push(jobmatch_push::spawn(self.state.clone(), source, stop_rx.clone())?);
        }
        if self.state.clock.is_settable() {
            // A rehearsal: follow the clock another replica moved.
            let (state, mut stop) = (self.state.clone(), stop_rx.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = stop.changed() => break,
                        _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
                    }
                    if let Err(e) = state.clock.refresh(&state.db.pool).await {
                        tracing::warn!(error = %e, "could not read the rehearsal clock");
                    }
                }
            }));
        }
        let app = router(self.state.clone(), self.role, self.matcher.clone());
        tracing::info!(addr = %self.listener.local_addr()?, role = ?self.role, "jobmatch listening");
        let trusted = self.state.settings.trusted_proxies.clone();
        serve::serve(self.listener, app, self.state.settings.max_connections, trusted, shutdown).await?;
        let _ = stop_tx.send(true);
        for t in tasks {
            let _ = t.await;
        }
        self.state.db.pool.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Resolves on SIGTERM or Ctrl-C. The SIGTERM handler is installed when
/// this is called (not when the future is first polled), so a SIGTERM sent
/// as soon as the server answers is a clean stop, never the default kill.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async move {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            _ = term => {}
        }
    }
}
