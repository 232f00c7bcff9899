//! What anyone may read without a key: a 公示 (the announcement, the listed
//! people's masked names, the dates and how to object — nothing else about
//! the people) and a special recruitment event with its published
//! announcements, each as a page and as JSON.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use jobmatch_core::error::Problem;
use jobmatch_core::records::persons;
use jobmatch_core::{ApiError, ApiResult, AppState};
use jobmatch_seeker::pages::html;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::announcements::{self, EventRow, EVENT_SELECT};
use crate::mask_name;
use crate::publicity::{listed, publicity_row};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(publicity_json))
        .routes(routes!(publicity_page))
        .routes(routes!(event_json))
        .routes(routes!(event_page))
}

/// A public 公示.
#[derive(Serialize, ToSchema)]
pub struct PublicPublicity {
    pub id: String,
    pub employer_name: String,
    pub title: String,
    pub workplace: String,
    pub starts_on: String,
    pub ends_on: String,
    /// `ends_on` is provisional (暂定): the year's holiday notice is not
    /// entered yet; it may move later, never earlier.
    pub provisional: bool,
    pub working_days: i64,
    /// The listed people, masked (王*国); people removed after an upheld
    /// objection are no longer listed.
    pub names: Vec<String>,
    pub how_to_object: String,
}

async fn public_publicity(state: &AppState, id: &str) -> ApiResult<PublicPublicity> {
    let mut conn = state.db.pool.acquire().await?;
    let p = publicity_row(&mut conn, id).await?.ok_or_else(ApiError::not_found)?;
    drop(conn);
    let p = crate::publicity::settled(state, p).await?;
    let mut conn = state.db.pool.acquire().await?;
    let a = announcements::get(&mut conn, &p.announcement_id).await?.ok_or_else(ApiError::not_found)?;
    let mut names = Vec::new();
    for app in listed(&mut conn, id).await? {
        if matches!(app.state.as_str(), "publicised" | "registered") {
            if let Some(person) = persons::get(&mut *conn, &app.person_id).await? {
                names.push(mask_name(state, &person.profile.name));
            }
        }
    }
    Ok(PublicPublicity {
        id: p.id,
        employer_name: a.parts.employer_name.unwrap_or_default(),
        title: a.parts.title.unwrap_or_default(),
        workplace: a.parts.workplace.unwrap_or_default(),
        starts_on: p.starts_on,
        ends_on: p.ends_on,
        provisional: p.provisional != 0,
        working_days: p.working_days,
        names,
        how_to_object: p.how_to_object,
    })
}

/// A 公示 as JSON (no key).
#[utoipa::path(get, path = "/v1/public/welfare/publicities/{id}", tag = "welfare", params(("id" = String, Path)),
    responses((status = 200, body = PublicPublicity), (status = 404, body = Problem)))]
async fn publicity_json(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<PublicPublicity>> {
    Ok(Json(public_publicity(&state, &id).await?))
}

#[derive(Template)]
#[template(path = "publicity.html")]
struct PublicityPage {
    employer_name: String,
    title: String,
    workplace: String,
    starts_on: String,
    ends_on: String,
    provisional: bool,
    working_days: i64,
    names: Vec<String>,
    how_to_object: String,
}

fn page(result: ApiResult<String>) -> Response {
    match result {
        Ok(body) => html(StatusCode::OK, body),
        Err(ApiError::Problem(p)) if p.status == 404 => html(
            StatusCode::NOT_FOUND,
            "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>没有找到</title><p>没有找到这个公示或招聘会。</p></html>"
                .into(),
        ),
        Err(e) => {
            tracing::error!(error = %e, "a public welfare page did not render");
            e.into_response()
        }
    }
}

/// A 公示 as a page (no key).
#[utoipa::path(get, path = "/public/welfare/publicities/{id}", tag = "welfare", params(("id" = String, Path)),
    responses((status = 200, description = "公示页面", content_type = "text/html", body = String),
              (status = 404, description = "没有这个公示", content_type = "text/html", body = String)))]
async fn publicity_page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    page(
        async {
            let p = public_publicity(&state, &id).await?;
            let view = PublicityPage {
                employer_name: p.employer_name,
                title: p.title,
                workplace: p.workplace,
                starts_on: p.starts_on,
                ends_on: p.ends_on,
                provisional: p.provisional,
                working_days: p.working_days,
                names: p.names,
                how_to_object: p.how_to_object,
            };
            Ok(view.render().map_err(anyhow::Error::from)?)
        }
        .await,
    )
}

/// One announcement of an event, as published.
#[derive(Serialize, ToSchema)]
pub struct PublicJob {
    pub announcement_id: String,
    pub job_id: Option<String>,
    pub title: String,
    pub employer_name: String,
    /// e.g. 每月2200-2600元.
    pub pay: String,
    pub requirements: String,
    pub workplace: String,
    pub posts: i64,
    pub apply_by: String,
    pub contact_name: String,
    pub phone: String,
}

/// A special recruitment event (专场招聘) with its published announcements.
#[derive(Serialize, ToSchema)]
pub struct PublicEvent {
    pub id: String,
    pub name: String,
    pub held_on: String,
    pub place: String,
    pub jobs: Vec<PublicJob>,
}

async fn public_event(state: &AppState, id: &str) -> ApiResult<PublicEvent> {
    let mut conn = state.db.pool.acquire().await?;
    let e: EventRow = sqlx::query_as(&format!("{EVENT_SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let jobs = announcements::list_for_event(&mut conn, state, id, &e.region_code)
        .await?
        .into_iter()
        .map(|a| {
            let p = a.parts;
            let contact = p.contact.unwrap_or_default();
            PublicJob {
                announcement_id: a.id,
                job_id: a.job_id,
                title: p.title.unwrap_or_default(),
                employer_name: p.employer_name.unwrap_or_default(),
                pay: p.pay.map(|pay| format!("每月{}-{}元", pay.min, pay.max)).unwrap_or_default(),
                requirements: p.requirements.unwrap_or_default(),
                workplace: p.workplace.unwrap_or_default(),
                posts: p.posts.unwrap_or_default(),
                apply_by: p.apply_by.unwrap_or_default(),
                contact_name: contact.name,
                phone: contact.phone,
            }
        })
        .collect();
    Ok(PublicEvent { id: e.id, name: e.name, held_on: e.held_on, place: e.place, jobs })
}

/// A special recruitment event as JSON (no key).
#[utoipa::path(get, path = "/v1/public/welfare/events/{id}", tag = "welfare", params(("id" = String, Path)),
    responses((status = 200, body = PublicEvent), (status = 404, body = Problem)))]
async fn event_json(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<PublicEvent>> {
    Ok(Json(public_event(&state, &id).await?))
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    name: String,
    held_on: String,
    place: String,
    jobs: Vec<PublicJob>,
}

/// A special recruitment event as a page (no key).
#[utoipa::path(get, path = "/public/welfare/events/{id}", tag = "welfare", params(("id" = String, Path)),
    responses((status = 200, description = "专场招聘页面", content_type = "text/html", body = String),
              (status = 404, description = "没有这个招聘会", content_type = "text/html", body = String)))]
async fn event_page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    page(
        async {
            let e = public_event(&state, &id).await?;
            Ok(EventPage { name: e.name, held_on: e.held_on, place: e.place, jobs: e.jobs }
                .render()
                .map_err(anyhow::Error::from)?)
        }
        .await,
    )
}
