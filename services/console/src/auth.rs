//! Signing in and out, and changing one's password.
//!
//! The sign-in form carries a token that must equal a cookie set with the
//! form (so another site cannot sign someone in as itself). Failures are
//! throttled per account (locked after five in fifteen minutes, in the
//! store) and per address (the API's failed-key budget). One message for a
//! wrong login and a wrong password.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Form as AxumForm;
use jobmatch_core::accounts::{self, SignInRefusal, SESSION_COOKIE};
use jobmatch_core::client::ClientIp;
use jobmatch_core::AppState;
use serde::Deserialize;

use crate::forms::{Field, Form, Posted};
use crate::{cookie, render, see_other, Ctx, Layout};

const SIGN_IN_COOKIE: &str = "jm_sign_in";

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    form: Form,
    token: String,
    next: String,
    problem: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Next {
    next: Option<String>,
}

/// Only a console path of ours: never another host (`//x`, `/\x`), and
/// nothing a `Location` header cannot carry (control characters, spaces,
/// anything outside visible ASCII).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/console/")
                && !n.contains("//")
                && !n.contains('\\')
                && n.len() < 200
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n.into()
        }
        _ => "/console/".into(),
    }
}

fn secure_flag(state: &AppState) -> &'static str {
    if state.settings.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

/// Add `Set-Cookie: cookie` to `response`.
fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn sign_in_form(login: &str) -> Form {
    let mut form = Form::new(vec![
        Field::new("login", "登录名", "text").required().autocomplete("username"),
        Field::new("password", "密码", "password").required().autocomplete("current-password"),
    ]);
    form.set("login", login);
    form
}

fn sign_in_answer(state: &AppState, status: StatusCode, form: Form, next: String, problem: Option<String>) -> Response {
    let token = accounts::random_token(24);
    let title = form.title("登录");
    let page = SignInPage { layout: Layout::public(&title), form, token: token.clone(), next, problem };
    let mut response = render(status, &page);
    let set =
        format!("{SIGN_IN_COOKIE}={token}; Path=/console/sign-in; HttpOnly; SameSite=Strict{}", secure_flag(state));
    if let Ok(v) = HeaderValue::from_str(&set) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

pub(crate) async fn sign_in_page(State(state): State<AppState>, Query(q): Query<Next>) -> Response {
    sign_in_answer(&state, StatusCode::OK, sign_in_form(""), safe_next(q.next.as_deref()), None)
}

pub(crate) async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientIp,
    AxumForm(form): AxumForm<Vec<(String, String)>>,
) -> Response {
    let posted = Posted(form);
    let next = safe_next(Some(posted.get("next")));
    let login = posted.get("login").to_lowercase();
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or("");
    if expected.is_empty() || !accounts::same_token(posted.get("token"), expected) {
        let problem = "登录页面已失效，请重新输入登录名和密码。".to_string();
        return sign_in_answer(&state, StatusCode::FORBIDDEN, sign_in_form(&login), next, Some(problem));
    }
    let mut form = sign_in_form(&login);
    let mut missing = Vec::new();
    if login.is_empty() {
        missing.push(("login".to_string(), "请输入登录名".to_string()));
    }
    if posted.get("password").is_empty() {
        missing.push(("password".to_string(), "请输入密码".to_string()));
    }
    if !missing.is_empty() {
        form.refuse(&missing, |f| f.to_string(), "login");
        return sign_in_answer(&state, StatusCode::UNPROCESSABLE_ENTITY, form, next, None);
    }
    // The attempt is paid for before the password is looked at (per
    // address here, per login in the store), so a burst gets the budget.
    let address = client.limit_key();
    let budget = state.settings.auth_failures_per_minute;
    if let Err(wait) = state.auth_failures.take(&address, budget) {
        let problem = format!("登录失败次数过多，请 {wait} 秒后再试。");
        return sign_in_answer(&state, StatusCode::TOO_MANY_REQUESTS, form, next, Some(problem));
    }
    let password = posted.0.iter().find(|(k, _)| k == "password").map(|(_, v)| v.as_str()).unwrap_or("");
    match accounts::sign_in(&state, &login, password, client.0).await {
        Ok(Ok(opened)) => {
            state.auth_failures.refund(&address);
            let mut response = see_other(&next);
            let session = format!(
                "{SESSION_COOKIE}={}; Path=/console; HttpOnly; SameSite=Strict{}",
                opened.cookie_value,
                secure_flag(&state)
            );
            set_cookie(&mut response, &session);
            set_cookie(
                &mut response,
                &format!("{SIGN_IN_COOKIE}=; Path=/console/sign-in; Max-Age=0; HttpOnly; SameSite=Strict"),
            );
            response
        }
        Ok(Err(refusal)) => {
            let (status, problem) = match refusal {
                SignInRefusal::Wrong => (StatusCode::UNAUTHORIZED, "登录名或密码不正确。".to_string()),
                SignInRefusal::Locked(minutes) => (
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("该账号连续登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试，或请管理员协助。"),
                ),
            };
            sign_in_answer(&state, status, form, next, Some(problem))
        }
        Err(e) => {
            tracing::error!(error = ?e, "sign-in failed");
            sign_in_answer(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                form,
                next,
                Some("暂时无法登录，请稍后再试。".into()),
            )
        }
    }
}

pub(crate) async fn sign_out(
    ctx: Ctx,
    headers: HeaderMap,
    AxumForm(form): AxumForm<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = ctx.checked(form) {
        return r;
    }
    if let Some(value) = cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = accounts::end(&ctx.state, value).await {
            tracing::error!(error = ?e, "sign-out failed");
        }
    }
    let mut response = see_other("/console/sign-in");
    set_cookie(&mut response, &format!("{SESSION_COOKIE}=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict"));
    response
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    layout: Layout,
    form: Form,
    done: bool,
    /// A first or reset password, to be changed before anything else.
    first: bool,
}

fn password_form() -> Form {
    Form::new(vec![
        Field::new("current", "现在的密码", "password").required().autocomplete("current-password"),
        Field::new("new", "新密码", "password")
            .required()
            .autocomplete("new-password")
            .hint("至少 10 个字符，不能含登录名，不能是常见密码或 1234567890 这样连续、重复的字符；可以是一句好记的话"),
    ])
}

pub(crate) async fn password_page(ctx: Ctx) -> Response {
    let form = password_form();
    let first = ctx.session.must_change_password;
    render(StatusCode::OK, &PasswordPage { layout: ctx.layout(form.title("修改密码"), ""), form, done: false, first })
}

pub(crate) async fn change_password(
    ctx: Ctx,
    headers: HeaderMap,
    AxumForm(form): AxumForm<Vec<(String, String)>>,
) -> Response {
    let posted = match ctx.checked(form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let raw = |name: &str| posted.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let (current, new) = (raw("current"), raw("new"));
    let mut errors = Vec::new();
    if !matches!(accounts::password_matches(&ctx.state, &ctx.session.account_id, &current).await, Ok(true)) {
        errors.push(("current".to_string(), "现在的密码不正确".to_string()));
    }
    if let Some(p) = accounts::password_problem(&new, &ctx.session.login) {
        errors.push(("new".to_string(), p));
    } else if new == current {
        errors.push(("new".to_string(), "新密码不能与现在的密码相同".to_string()));
    }
    let mut form = password_form();
    if !errors.is_empty() {
        form.refuse(&errors, |f| f.to_string(), "current");
        let first = ctx.session.must_change_password;
        let page = PasswordPage { layout: ctx.layout(form.title("修改密码"), ""), form, done: false, first };
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let keep = cookie(&headers, SESSION_COOKIE).unwrap_or("");
    if let Err(e) = accounts::set_password(&ctx.state, &ctx.session.account_id, &new, keep).await {
        tracing::error!(error = ?e, "password change failed");
        return crate::error_page(StatusCode::SERVICE_UNAVAILABLE, "暂时无法修改", "请稍后再试。");
    }
    render(StatusCode::OK, &PasswordPage { layout: ctx.layout("密码已修改", ""), form, done: true, first: false })
}
