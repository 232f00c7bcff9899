//! The job seeker's pages under `/m/{token}`: the pushed job in plain words,
//! a call button, the two answers, the other jobs pushed to them, and a way
//! to stop the SMS. No key: the token is the credential, and it opens only
//! its person's jobs pushed in the last `JOBMATCH_LINK_TTL_DAYS` days. Every
//! page works without JavaScript; a wrong token gets a plain page saying
//! what to do, and wrong tries are throttled per client address.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use jobmatch_core::client::ClientIp;
use jobmatch_core::domain::{EmploymentType, Job, JobStatus, Physical};
use jobmatch_core::links::{self, Link, Refused};
use jobmatch_core::plain::{pay_text, place_text};
use jobmatch_core::records;
use jobmatch_core::time::to_text;
use jobmatch_core::AppState;
use serde::Deserialize;

use crate::answers::{self, Answer, Reason};

/// The stylesheet, compiled in: nothing is loaded from elsewhere.
pub const STYLESHEET: &str = include_str!("../assets/m.css");

/// The description shown on a page, in characters (the page stays small).
const DESCRIPTION_CHARS: usize = 600;

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage<'a> {
    token: &'a str,
    job: JobView,
    said: Option<String>,
    wants_contact: bool,
    chosen: Option<String>,
    reasons: Vec<(&'static str, &'static str)>,
    others: Vec<OtherJob>,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    heading: String,
    lines: Vec<String>,
    back: Option<String>,
}

#[derive(Template)]
#[template(path = "stop.html")]
struct StopPage<'a> {
    token: &'a str,
}

/// A job as the page says it.
struct JobView {
    id: String,
    title: String,
    open: bool,
    pay: String,
    place: String,
    address: Option<String>,
    hours: String,
    requirements: String,
    places_left: i64,
    description: String,
    contact_name: String,
    phone: String,
}

struct OtherJob {
    id: String,
    title: String,
    pay: String,
    place: String,
}

/// A page with the headers every seeker page carries: never cached (it is
/// someone's), never framed, no referrer (the token is in the address), and
/// nothing but this server's stylesheet allowed.
pub fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; \
             frame-ancestors 'none'",
        ),
    );
    response
}

fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "a seeker page did not render");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!doctype html><title>出错了</title><p>出错了，请稍后再试。</p>".into(),
            )
        }
    }
}

fn notice(status: StatusCode, heading: &str, lines: &[&str], back: Option<String>) -> Response {
    let page = NoticePage { heading: heading.into(), lines: lines.iter().map(|l| l.to_string()).collect(), back };
    render(status, &page)
}

/// The page for a link that opens nothing (unknown, or a job not pushed to
/// its person): the same words either way.
fn not_found() -> Response {
    notice(
        StatusCode::NOT_FOUND,
        "没有找到这个页面",
        &["链接可能抄错了，或者不是发给您的。", "请打电话给您所在社区（村）的工作人员，他们会帮您查岗位。"],
        None,
    )
}

fn server_error(e: anyhow::Error) -> Response {
    tracing::error!(error = %e, "a seeker page failed");
    notice(StatusCode::INTERNAL_SERVER_ERROR, "出错了", &["请稍后再试，或打电话给社区（村）工作人员。"], None)
}

/// The stylesheet, cacheable for a day.
#[utoipa::path(get, path = "/m/assets/m.css", tag = "seeker",
    responses((status = 200, description = "样式表 The pages' stylesheet", content_type = "text/css", body = String)))]
pub async fn stylesheet() -> Response {
    let mut response = STYLESHEET.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// The link of `token`, or the page to answer instead: 429 while this
/// address has failed too often this minute, 404 for an unknown token, 410
/// for an expired one.
async fn open_link(state: &AppState, address: ClientIp, token: &str) -> Result<Link, Response> {
    let key = format!("link:{}", address.limit_key());
    let budget = state.settings.auth_failures_per_minute;
    if let Some(wait) = state.auth_failures.exhausted(&key, budget) {
        state.metrics.count_with("jobmatch_seeker_link_failures_total", &[("reason", "throttled")], 1);
        let mut page = notice(
            StatusCode::TOO_MANY_REQUESTS,
            "请稍后再试",
            &["打开的次数太多了，请过一分钟再试。", "也可以打电话给社区（村）工作人员。"],
            None,
        );
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            page.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Err(page);
    }
    match links::resolve(&state.db.pool, token, &state.now_text()).await {
        Ok(Ok(link)) => Ok(link),
        Ok(Err(refused)) => {
            state.auth_failures.count(&key);
            state.metrics.count_with("jobmatch_seeker_link_failures_total", &[("reason", refused.code())], 1);
            Err(match refused {
                Refused::Unknown => not_found(),
                Refused::Expired => notice(
                    StatusCode::GONE,
                    "链接已过期",
                    &[
                        "这条短信里的链接已经过期了。",
                        "想了解新的岗位，请打电话给您所在社区（村）的工作人员，或留意我们的下一条短信。",
                    ],
                    None,
                ),
            })
        }
        Err(e) => Err(server_error(e)),
    }
}

/// Since when pushed jobs are the link's to open.
fn recent(state: &AppState) -> String {
    to_text(state.clock.now() - chrono::Duration::days(i64::from(state.settings.link_ttl_days)))
}

/// The one rule of what a link opens: its own job, and any job sent to its
/// person (inbox or SMS) in the recent window.
pub async fn may_open(state: &AppState, link: &Link, job_id: &str) -> anyhow::Result<bool> {
    Ok(job_id == link.job_id
        || records::seeker::was_pushed(&state.db.pool, &link.person_id, job_id, &recent(state)).await?)
}

/// The page of the job the SMS was about.
#[utoipa::path(get, path = "/m/{token}", tag = "seeker",
    params(("token" = String, Path, description = "短信里的链接 The token of the SMS link")),
    responses((status = 200, description = "岗位页 The job page", content_type = "text/html", body = String),
              (status = 404, description = "链接不对 Unknown token", content_type = "text/html", body = String),
              (status = 410, description = "链接已过期 Expired", content_type = "text/html", body = String),
              (status = 429, description = "尝试太多 Too many wrong tries", content_type = "text/html", body = String)))]
pub async fn link_page(State(state): State<AppState>, address: ClientIp, Path(token): Path<String>) -> Response {
    let link = match open_link(&state, address, &token).await {
        Ok(link) => link,
        Err(page) => return page,
    };
    let job_id = link.job_id.clone();
    job_response(&state, &link, &token, &job_id).await.unwrap_or_else(server_error)
}

/// The page of another job pushed to the link's person.
#[utoipa::path(get, path = "/m/{token}/jobs/{job_id}", tag = "seeker",
    params(("token" = String, Path), ("job_id" = String, Path)),
    responses((status = 200, description = "岗位页 The job page", content_type = "text/html", body = String),
              (status = 404, description = "不是推给本人的岗位 Not pushed to this person", content_type = "text/html", body = String),
              (status = 410, description = "链接已过期 Expired", content_type = "text/html", body = String),
              (status = 429, description = "尝试太多 Too many wrong tries", content_type = "text/html", body = String)))]
pub async fn job_page(
    State(state): State<AppState>,
    address: ClientIp,
    Path((token, job_id)): Path<(String, String)>,
) -> Response {
    let link = match open_link(&state, address, &token).await {
        Ok(link) => link,
        Err(page) => return page,
    };
    job_response(&state, &link, &token, &job_id).await.unwrap_or_else(server_error)
}

async fn job_response(state: &AppState, link: &Link, token: &str, job_id: &str) -> anyhow::Result<Response> {
    if !may_open(state, link, job_id).await? {
        return Ok(not_found());
    }
    let Some(stored) = records::jobs::get(state, job_id).await? else { return Ok(not_found()) };
    let pool = &state.db.pool;
    let opened = sqlx::query(
        "INSERT INTO seeker_views (person_id, job_id, opened_at) VALUES ($1, $2, $3)
         ON CONFLICT (person_id, job_id) DO NOTHING",
    )
    .bind(&link.person_id)
    .bind(job_id)
    .bind(state.now_text())
    .execute(pool)
    .await?;
    if opened.rows_affected() > 0 {
        state.metrics.count_with("jobmatch_seeker_opened_total", &[], 1);
    }
    let placed = records::jobs::placed_count(pool, job_id).await?;
    let job = job_view(state, &stored.job, placed);
    let answer = answers::current(pool, &link.person_id, job_id).await?;
    let mut others = Vec::new();
    for other_id in records::seeker::pushed_jobs(pool, &link.person_id, &recent(state)).await? {
        if others.len() >= 10 {
            break;
        }
        if other_id == job_id {
            continue;
        }
        if let Some(other) = records::jobs::get(state, &other_id).await? {
            if other.job.status == JobStatus::Open {
                others.push(OtherJob {
                    id: other.job.id.clone(),
                    title: other.job.input.title.clone(),
                    pay: pay_text(&other.job),
                    place: place_text(&other.job, &state.regions),
                });
            }
        }
    }
    let page = JobPage {
        token,
        said: answer.as_ref().map(Answer::said),
        wants_contact: answer.as_ref().is_some_and(|a| a.wants_contact),
        chosen: answer.as_ref().and_then(|a| a.reason.map(|r| r.code().to_string())),
        reasons: Reason::ALL.iter().map(|r| (r.code(), r.label())).collect(),
        job,
        others,
    };
    Ok(render(StatusCode::OK, &page))
}

fn job_view(state: &AppState, job: &Job, placed: i64) -> JobView {
    let input = &job.input;
    let description: String = if input.description.chars().count() > DESCRIPTION_CHARS {
        input.description.chars().take(DESCRIPTION_CHARS).chain(['…']).collect()
    } else {
        input.description.clone()
    };
    JobView {
        id: job.id.clone(),
        title: input.title.clone(),
        open: job.status == JobStatus::Open,
        pay: pay_text(job),
        place: place_text(job, &state.regions),
        address: input.address.clone().filter(|a| !a.trim().is_empty()),
        hours: match input.employment_type {
            EmploymentType::FullTime => "全职，每天上班",
            EmploymentType::PartTime => "兼职，每天做几个小时",
            EmploymentType::Gig => "零工，按次或按天做",
            EmploymentType::Seasonal => "季节性，忙季做",
        }
        .into(),
        requirements: requirements_text(state, job),
        places_left: (input.headcount - placed).max(0),
        description,
        contact_name: input.contact.name.clone(),
        phone: input.contact.phone.clone(),
    }
}

/// `18-60岁，轻体力活，需要：健康证` or `没有特别要求`.
fn requirements_text(state: &AppState, job: &Job) -> String {
    let r = &job.input.requirements;
    let mut parts = Vec::new();
    match (r.age_min, r.age_max) {
        (Some(lo), Some(hi)) => parts.push(format!("{lo}-{hi}岁")),
        (Some(lo), None) => parts.push(format!("{lo}岁以上")),
        (None, Some(hi)) => parts.push(format!("{hi}岁以下")),
        (None, None) => {}
    }
    if let Some(p) = r.physical {
        parts.push(
            match p {
                Physical::Light => "轻体力活",
                Physical::Medium => "一般体力活",
                Physical::Heavy => "重体力活",
            }
            .into(),
        );
    }
    if !r.certificates.is_empty() {
        let names: Vec<&str> = r.certificates.iter().map(|c| state.vocab.certificate_name(c)).collect();
        parts.push(format!("需要：{}", names.join("、")));
    }
    if !r.skills.is_empty() {
        parts.push(format!("会：{}", r.skills.join("、")));
    }
    if job.input.disability_friendly {
        parts.push("适合残疾人".into());
    }
    if parts.is_empty() {
        "没有特别要求".into()
    } else {
        parts.join("，")
    }
}

/// What the answer forms send. Anything else in the form is ignored.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct AnswerForm {
    /// `interested` or `not_fitting`.
    pub answer: Option<String>,
    /// `1`: 请工作人员联系我 (with `interested`).
    pub contact: Option<String>,
    /// With `not_fitting`: `too_far`, `low_pay`, `bad_hours`, `too_hard`, `found_work` or `other`.
    pub reason: Option<String>,
    /// Free words with the reason (at most 200 characters are kept).
    pub other: Option<String>,
}

/// An answer to a pushed job: 我感兴趣 (a lead for the person's community
/// staff and agency) or 不合适 with a reason (never pushed again). Answering
/// again is harmless; an answer to a closed job makes no lead.
#[utoipa::path(post, path = "/m/{token}/jobs/{job_id}/answer", tag = "seeker",
    params(("token" = String, Path), ("job_id" = String, Path)),
    request_body(content = AnswerForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "回到岗位页 Back to the job page"),
              (status = 400, description = "回复不完整 The form was not filled in", content_type = "text/html", body = String),
              (status = 404, description = "不是推给本人的岗位 Not pushed to this person", content_type = "text/html", body = String),
              (status = 409, description = "岗位已关闭 The job has closed", content_type = "text/html", body = String),
              (status = 410, description = "链接已过期 Expired", content_type = "text/html", body = String),
              (status = 429, description = "尝试太多 Too many wrong tries", content_type = "text/html", body = String)))]
pub async fn answer(
    State(state): State<AppState>,
    address: ClientIp,
    Path((token, job_id)): Path<(String, String)>,
    form: Result<Form<AnswerForm>, FormRejection>,
) -> Response {
    let link = match open_link(&state, address, &token).await {
        Ok(link) => link,
        Err(page) => return page,
    };
    let back = format!("/m/{token}/jobs/{job_id}");
    let Ok(Form(form)) = form else {
        return notice(StatusCode::BAD_REQUEST, "没有收到您的回复", &["请回到岗位页，再点一次按钮。"], Some(back));
    };
    let Some(answer) = Answer::from_form(&form) else {
        return notice(
            StatusCode::BAD_REQUEST,
            "请选一个原因",
            &["点“不合适”之前，请先选一个原因，比如“太远”。"],
            Some(back),
        );
    };
    match answers::record(&state, &link, &job_id, &answer).await {
        Ok(answers::Recorded::Saved) => Redirect::to(&back).into_response(),
        Ok(answers::Recorded::NotYours) => not_found(),
        Ok(answers::Recorded::JobClosed) => notice(
            StatusCode::CONFLICT,
            "这个岗位已经关闭了",
            &["这个岗位已经招满或关闭，您的回复没有记下。", "谢谢您！可以看看给您推荐的其他岗位。"],
            Some(back),
        ),
        Err(e) => server_error(e),
    }
}

/// Asks to confirm before stopping the SMS (a link opened by a phone's
/// preview must not stop anything).
#[utoipa::path(get, path = "/m/{token}/stop", tag = "seeker",
    params(("token" = String, Path)),
    responses((status = 200, description = "确认页 Confirm", content_type = "text/html", body = String),
              (status = 404, description = "链接不对 Unknown token", content_type = "text/html", body = String),
              (status = 410, description = "链接已过期 Expired", content_type = "text/html", body = String),
              (status = 429, description = "尝试太多 Too many wrong tries", content_type = "text/html", body = String)))]
pub async fn stop_page(State(state): State<AppState>, address: ClientIp, Path(token): Path<String>) -> Response {
    match open_link(&state, address, &token).await {
        Ok(_) => render(StatusCode::OK, &StopPage { token: &token }),
        Err(page) => page,
    }
}

/// 不再接收短信: withdraws the person's push consent, recorded in their
/// history with the time, as a change through the API is.
#[utoipa::path(post, path = "/m/{token}/stop", tag = "seeker",
    params(("token" = String, Path)),
    responses((status = 200, description = "已退订 Stopped", content_type = "text/html", body = String),
              (status = 404, description = "链接不对 Unknown token", content_type = "text/html", body = String),
              (status = 410, description = "链接已过期 Expired", content_type = "text/html", body = String),
              (status = 429, description = "尝试太多 Too many wrong tries", content_type = "text/html", body = String)))]
pub async fn stop(State(state): State<AppState>, address: ClientIp, Path(token): Path<String>) -> Response {
    let link = match open_link(&state, address, &token).await {
        Ok(link) => link,
        Err(page) => return page,
    };
    match answers::withdraw_push_consent(&state, &link.person_id).await {
        Ok(()) => notice(
            StatusCode::OK,
            "已退订",
            &["以后不再给您发岗位短信。", "想再收到，请打电话给您所在社区（村）的工作人员。"],
            Some(format!("/m/{token}")),
        ),
        Err(e) => server_error(e),
    }
}
