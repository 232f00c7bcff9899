//! The staff console (`/console/`): server-rendered pages in Chinese for
//! the people who run the service — gig-market and community staff, agency
//! staff, the bureau.
//!
//! A page never reads the store on its own account. It calls the API in
//! process, as the signed-in person (an [`accounts::Delegated`] caller in
//! the request's extensions, which the API's `Principal` extractor takes
//! instead of a key), and renders the answer. So every page applies exactly
//! the API's authorisation (the same 404 for what one may not see), and a
//! refused form shows the API's own Chinese messages, field by field.
//!
//! Pages carry a strict Content-Security-Policy (`default-src 'self'`, no
//! inline script), are never cached or framed, and every state-changing
//! form carries the session's CSRF token. Templates are compiled in and
//! the stylesheet and the one small script are embedded: nothing is loaded
//! from anywhere else.

// A page handler answers a `Response` either way; boxing the refusal would
// only add an allocation.
#![allow(clippy::result_large_err)]

mod auth;
mod calendar;
mod forms;
mod imports;
mod jobs;
mod labels;
mod payments;
mod persons;
mod records;
mod reports;
mod work;

use askama::Template;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use http_body_util::BodyExt;
use jobmatch_core::accounts::{self, Session};
use jobmatch_core::{AppState, Role};
use serde_json::Value;
use tower::ServiceExt;

/// The API the pages act through (the process's own routes).
#[derive(Clone)]
pub struct Api(Router);

/// The console's routes, acting through `api`.
pub fn router(api: Router) -> Router<AppState> {
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/") }))
        .route("/console/", get(work::home))
        .route("/console/sign-in", get(auth::sign_in_page).post(auth::sign_in))
        .route("/console/sign-out", post(auth::sign_out))
        .route("/console/password", get(auth::password_page).post(auth::change_password))
        .route("/console/calendar", get(calendar::page).post(calendar::save))
        .route("/console/assets/{name}", get(asset))
        .route("/console/jobs", get(jobs::list).post(jobs::create))
        .route("/console/jobs/new", get(jobs::new_form))
        // Uploads read their file in chunks up to their own limit (a
        // department's list may be large); other forms keep axum's default.
        .route(
            "/console/jobs/import",
            get(imports::jobs_import_page).post(imports::jobs_import).layer(DefaultBodyLimit::disable()),
        )
        .route("/console/jobs/import/{name}", get(imports::jobs_template))
        .route("/console/jobs/{id}", get(jobs::show).post(jobs::update))
        .route("/console/jobs/{id}/edit", get(jobs::edit_form))
        .route("/console/jobs/{id}/close", post(jobs::close))
        .route("/console/jobs/{id}/refer", post(jobs::refer))
        .route("/console/persons", get(persons::find_page).post(persons::find))
        .route(
            "/console/persons/import",
            get(imports::persons_import_page).post(imports::persons_import).layer(DefaultBodyLimit::disable()),
        )
        .route("/console/persons/{id}", get(persons::show))
        .route("/console/persons/{id}/plan", get(records::plan_page).post(records::save_plan))
        .route("/console/persons/{id}/contact", get(records::contact_page).post(records::save_contact))
        .route(
            "/console/persons/{id}/certification",
            get(records::certification_page).post(records::certification_step),
        )
        .route("/console/leads/{id}/{act}", post(records::act_on_lead))
        .route("/console/referrals", get(work::referrals))
        .route("/console/referrals/{id}/move", post(work::move_referral))
        .route("/console/payments", get(payments::index))
        .route("/console/payments/propose", post(payments::propose))
        .route("/console/payments/{id}", get(payments::show))
        .route("/console/payments/{id}/approve", post(payments::approve))
        .route("/console/payments/{id}/download", get(payments::download))
        .route("/console/reports/progress", get(reports::progress))
        .route("/console/reports/progress/download", get(reports::download))
        .route("/console/reports/progress/submit", post(reports::submit))
        .route("/console/reports/year", get(reports::year))
        .route("/console/notifications", get(work::notifications))
        .route("/console/notifications/{id}/retry", post(work::retry))
        .route("/console/{*rest}", get(not_found))
        .layer(Extension(Api(api)))
}

const STYLESHEET: &str = include_str!("../assets/console.css");
const SCRIPT: &str = include_str!("../assets/console.js");

/// The embedded assets, cached for a day (they change only with the binary).
async fn asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "console.css" => (STYLESHEET, "text/css; charset=utf-8"),
        "console.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

/// The headers of every console page: never cached (it shows people's
/// records), never framed, scripts and styles from this server only.
pub(crate) fn secure(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    response
}

/// `page` as an HTML answer with [`secure`] headers.
pub(crate) fn render(status: StatusCode, page: &impl Template) -> Response {
    let body =
        match page.render() {
            Ok(body) => body,
            Err(e) => {
                tracing::error!(error = %e, "a console page did not render");
                return secure(
                (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                 "<!doctype html><html lang=\"zh-CN\"><title>出错了</title><p>页面出错了，请稍后再试。</p></html>")
                    .into_response(),
            );
            }
        };
    secure((status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response())
}

/// `id` when it could be an id of ours (letters, digits, `_`, at most 64),
/// before it goes into an API path; a page answers anything else as the
/// API answers an unknown id.
pub(crate) fn safe_id(id: &str) -> Option<&str> {
    (id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')).then_some(id)
}

/// A stored instant as staff read it: `2026-12-03 21:04`, Asia/Shanghai.
pub(crate) use jobmatch_core::time::local_minutes as local_time;

/// After a form: go to `to` (303, so a reload does not post again).
pub(crate) fn see_other(to: &str) -> Response {
    secure(Redirect::to(to).into_response())
}

/// A file the API answered (an export), passed on with its type and name
/// (`fallback` when the API gave none).
pub(crate) fn file_answer(answer: Answer, fallback: &str) -> Response {
    let mut response = answer.body.into_response();
    let h = response.headers_mut();
    for name in [header::CONTENT_TYPE, header::CONTENT_DISPOSITION] {
        if let Some(v) = answer.headers.get(&name) {
            h.insert(name, v.clone());
        }
    }
    if !h.contains_key(header::CONTENT_DISPOSITION) {
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{fallback}\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    secure(response)
}

/// What every page's frame needs: who is signed in, the sections they may
/// open, the CSRF token for the sign-out form.
pub(crate) struct Layout {
    pub title: String,
    pub section: &'static str,
    pub user: Option<(String, String, &'static str)>,
    pub nav: Vec<(&'static str, &'static str, &'static str)>,
    pub csrf: String,
}

impl Layout {
    /// A page before sign-in.
    pub fn public(title: &str) -> Layout {
        Layout { title: title.into(), section: "", user: None, nav: Vec::new(), csrf: String::new() }
    }
}

/// The sections of the console a role may open: (key, path, label).
fn sections(role: Role) -> Vec<(&'static str, &'static str, &'static str)> {
    let all = [
        ("home", "/console/", "首页"),
        ("jobs", "/console/jobs", "岗位"),
        ("persons", "/console/persons", "人员"),
        ("referrals", "/console/referrals", "推荐"),
        ("reports", "/console/reports/progress", "报表"),
        ("payments", "/console/payments", "直补"),
        ("push", "/console/notifications", "推送"),
        ("calendar", "/console/calendar", "日历"),
    ];
    let allowed: &[&str] = match role {
        Role::Admin => &["home", "jobs", "persons", "referrals", "reports", "payments", "push", "calendar"],
        Role::Staff => &["home", "jobs", "persons", "referrals", "reports", "payments", "push"],
        Role::Publisher => &["home", "jobs"],
        Role::Agency => &["home", "persons", "referrals"],
    };
    all.into_iter().filter(|(k, _, _)| allowed.contains(k)).collect()
}

/// One request of a signed-in person: their session, the API to act
/// through, the service state.
pub(crate) struct Ctx {
    pub session: Session,
    pub api: Api,
    pub state: AppState,
}

/// The value of cookie `name` in `headers`.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Extension(api) = Extension::<Api>::from_request_parts(parts, state)
            .await
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
        let found = match cookie(&parts.headers, accounts::SESSION_COOKIE) {
            Some(value) => accounts::session(state, value).await.map_err(|e| {
                tracing::error!(error = ?e, "session lookup failed");
                error_page(StatusCode::SERVICE_UNAVAILABLE, "暂时无法登录", "请稍后再试。")
            })?,
            None => None,
        };
        match found {
            // A first or reset password is changed before anything else.
            Some(session)
                if session.must_change_password
                    && !matches!(parts.uri.path(), "/console/password" | "/console/sign-out") =>
            {
                Err(see_other("/console/password"))
            }
            Some(session) => Ok(Ctx { session, api, state: state.clone() }),
            // GET pages send the person to sign in (and back); a form posted
            // from an ended session cannot be replayed after sign-in.
            None if parts.method == Method::GET => {
                let back = parts.uri.path();
                let next = if back.starts_with("/console/") && back.len() < 200 { back } else { "/console/" };
                Err(see_other(&format!("/console/sign-in?next={}", forms::encode(next))))
            }
            None => Err(see_other("/console/sign-in")),
        }
    }
}

/// An answer of the API to a page.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The body read as JSON once (`Null` for a file or an empty body).
    value: Value,
}

impl Answer {
    /// What a malformed id in a console address is answered with: as the
    /// API answers an unknown one.
    pub fn not_found() -> Answer {
        Answer::new(StatusCode::NOT_FOUND, HeaderMap::new(), Vec::new())
    }

    /// What a page answers for an action the role may never take.
    pub fn forbidden() -> Answer {
        Answer::new(StatusCode::FORBIDDEN, HeaderMap::new(), Vec::new())
    }

    /// What a page answers when something of ours failed (logged there).
    pub fn unavailable() -> Answer {
        Answer::new(StatusCode::SERVICE_UNAVAILABLE, HeaderMap::new(), Vec::new())
    }

    fn new(status: StatusCode, headers: HeaderMap, body: Vec<u8>) -> Answer {
        let json = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.contains("json"));
        let value = if json { serde_json::from_slice(&body).unwrap_or(Value::Null) } else { Value::Null };
        Answer { status, headers, body, value }
    }

    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    pub fn json(&self) -> &Value {
        &self.value
    }

    /// The problem's `detail`, or a plain message for its status.
    pub fn detail(&self) -> String {
        self.json()["detail"].as_str().map(str::to_string).unwrap_or_else(|| match self.status {
            StatusCode::NOT_FOUND => "没有找到，或您无权查看。".into(),
            StatusCode::FORBIDDEN => "您无权执行此操作。".into(),
            _ => "操作没有完成，请稍后再试。".into(),
        })
    }

    /// The problem's field errors: (field, message).
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.json()["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| Some((e["field"].as_str()?.to_string(), e["message"].as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Ctx {
    pub fn layout(&self, title: impl Into<String>, section: &'static str) -> Layout {
        let role = self.session.principal.role;
        Layout {
            title: title.into(),
            section,
            user: Some((self.session.name.clone(), self.session.org_name.clone(), labels::role(role))),
            // Until a first password is changed no section opens: none is offered.
            nav: if self.session.must_change_password { Vec::new() } else { sections(role) },
            csrf: self.session.csrf_token.clone(),
        }
    }

    pub fn role(&self) -> Role {
        self.session.principal.role
    }

    /// Call the API as the signed-in person.
    pub async fn call(&self, method: Method, uri: &str, body: Option<&Value>) -> Answer {
        match body {
            Some(v) => {
                self.send(method, uri, Some("application/json"), serde_json::to_vec(v).unwrap_or_default()).await
            }
            None => self.send(method, uri, None, Vec::new()).await,
        }
    }

    /// Call the API as the signed-in person with a body of `content_type`.
    pub async fn send(&self, method: Method, uri: &str, content_type: Option<&str>, body: Vec<u8>) -> Answer {
        let mut request = Request::builder().method(method).uri(uri).extension(self.session.delegate());
        if let Some(t) = content_type {
            request = request.header(header::CONTENT_TYPE, t);
        }
        let request = match request.body(Body::from(body)) {
            Ok(r) => r,
            Err(_) => return Answer::new(StatusCode::BAD_REQUEST, HeaderMap::new(), Vec::new()),
        };
        let Ok(response) = self.api.0.clone().oneshot(request).await;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
        Answer::new(parts.status, parts.headers, body)
    }

    /// A form's action: POST `body` to `uri`; then go to `to`, or the page
    /// telling why not.
    pub async fn act(&self, uri: &str, body: Option<&Value>, to: &str) -> Response {
        let answer = self.call(Method::POST, uri, body).await;
        if answer.ok() {
            see_other(to)
        } else {
            self.refused(&answer)
        }
    }

    /// GET `uri`'s JSON, or the page telling why not.
    pub async fn get(&self, uri: &str) -> Result<Value, Response> {
        let answer = self.call(Method::GET, uri, None).await;
        if answer.ok() {
            Ok(answer.value)
        } else {
            Err(self.refused(&answer))
        }
    }

    /// The page for an API refusal that is not a form's field errors.
    pub fn refused(&self, answer: &Answer) -> Response {
        let (heading, status) = match answer.status {
            StatusCode::NOT_FOUND => ("没有找到", StatusCode::NOT_FOUND),
            StatusCode::FORBIDDEN => ("无权操作", StatusCode::FORBIDDEN),
            StatusCode::CONFLICT => ("不能这样操作", StatusCode::CONFLICT),
            StatusCode::TOO_MANY_REQUESTS => ("操作太频繁", StatusCode::TOO_MANY_REQUESTS),
            s if s.is_client_error() => ("请求有误", s),
            _ => ("暂时无法完成", StatusCode::SERVICE_UNAVAILABLE),
        };
        let page = Notice { layout: self.layout(heading, ""), heading: heading.into(), lines: vec![answer.detail()] };
        render(status, &page)
    }

    /// The posted form, once its CSRF token is this session's; else the
    /// page saying the form has expired (403).
    pub fn checked(&self, form: Vec<(String, String)>) -> Result<forms::Posted, Response> {
        let posted = forms::Posted(form);
        if accounts::same_token(posted.get("csrf"), &self.session.csrf_token) {
            Ok(posted)
        } else {
            let page = Notice {
                layout: self.layout("表单已失效", ""),
                heading: "表单已失效".into(),
                lines: vec!["这个表单已失效（可能已在别处退出登录）。请返回上一页，刷新后再提交。".into()],
            };
            Err(render(StatusCode::FORBIDDEN, &page))
        }
    }
}

#[derive(Template)]
#[template(path = "notice.html")]
pub(crate) struct Notice {
    pub layout: Layout,
    pub heading: String,
    pub lines: Vec<String>,
}

/// A page with a heading and lines, outside a session.
pub(crate) fn error_page(status: StatusCode, heading: &str, line: &str) -> Response {
    render(status, &Notice { layout: Layout::public(heading), heading: heading.into(), lines: vec![line.into()] })
}

async fn not_found(ctx: Ctx) -> Response {
    let page = Notice {
        layout: ctx.layout("页面不存在", ""),
        heading: "页面不存在".into(),
        lines: vec!["请从上方的栏目进入。".into()],
    };
    render(StatusCode::NOT_FOUND, &page)
}
