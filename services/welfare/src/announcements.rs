//! Recruitment: special recruitment events (专场招聘), announcements made
//! from reserve positions and published as jobs that only certified
//! 就业困难人员 are matched to, applications, and the selection of candidates
//! under the national rules.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use jobmatch_core::domain::{CertificationStatus, CertificationSummary};
use jobmatch_core::error::{FieldError, Problem};
use jobmatch_core::http::JsonBody;
use jobmatch_core::ids::new_id;
use jobmatch_core::records::persons::StoredPerson;
use jobmatch_core::records::welfare as welfare_records;
use jobmatch_core::validate::{
    finish_body, normalize_phone, read_body, read_body_partly, read_date, sent_text, Errors, Fields, RequestBody,
};
use jobmatch_core::{access::person_for, ApiError, ApiResult, AppState, Principal, Role};
use jobmatch_posting::jobs::store as job_store;
use jobmatch_posting::jobs::validate::{read_job, JobRules};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::limits::{may_place, Candidate, Refusal};
use crate::log;
use crate::positions::{self, position_for, read_pay, Position};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_event, list_events))
        .routes(routes!(create_announcement, list_announcements))
        .routes(routes!(get_announcement, patch_announcement))
        .routes(routes!(publish_announcement))
        .routes(routes!(create_application, list_applications))
        .routes(routes!(select_application))
        .routes(routes!(refuse_application))
}

// ---------------------------------------------------------------- events

#[derive(Serialize, ToSchema)]
pub struct Event {
    pub id: String,
    pub name: String,
    pub region_code: String,
    pub held_on: String,
    pub place: String,
    /// Its public page.
    pub public_url: String,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub id: String,
    pub name: String,
    pub region_code: String,
    pub held_on: String,
    pub place: String,
    pub created_at: String,
}

pub(crate) const EVENT_SELECT: &str = "SELECT id, name, region_code, held_on, place, created_at FROM welfare_events";

fn event_from(r: EventRow) -> Event {
    Event {
        public_url: format!("/public/welfare/events/{}", r.id),
        id: r.id,
        name: r.name,
        region_code: r.region_code,
        held_on: r.held_on,
        place: r.place,
        created_at: r.created_at,
    }
}

/// `POST /v1/welfare/events`
#[derive(ToSchema)]
pub struct EventCreate {
    /// e.g. 2026年秋季公益性岗位专场招聘会, 2–100 characters.
    pub name: String,
    pub region_code: String,
    /// YYYY-MM-DD.
    #[schema(value_type = String)]
    pub held_on: NaiveDate,
    /// Where it is held, 2–200 characters.
    pub place: String,
}

impl RequestBody for EventCreate {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<EventCreate> {
        let name = f.string("name", true, 2, 100, errs);
        let region_code = f.string("region_code", true, 1, 20, errs);
        if region_code.as_deref().is_some_and(|r| !state.regions.contains(r)) {
            errs.add("region_code", "unknown_region", "未知区划代码");
        }
        let held_on = read_date(f, "held_on", true, errs);
        let place = f.string("place", true, 2, 200, errs);
        Some(EventCreate {
            name: name?,
            region_code: region_code.filter(|r| state.regions.contains(r))?,
            held_on: held_on?,
            place: place?,
        })
    }
}

/// A special recruitment event grouping announcements (admin; staff of its region).
#[utoipa::path(post, path = "/v1/welfare/events", tag = "welfare", request_body = EventCreate,
    responses((status = 201, body = Event), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create_event(
    State(state): State<AppState>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Event>)> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let (read, errs) = read_body_partly::<EventCreate>(&body, &state);
    if let Some(region) = sent_text(&body, "region_code", &errs) {
        if state.regions.contains(region) && !caller.covers_region(&state, region) {
            return Err(ApiError::forbidden("只能为本人负责区域举办专场招聘"));
        }
    }
    let input = finish_body(read, errs)?;
    let id = new_id("wev");
    let mut tx = state.db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO welfare_events (id, name, region_code, held_on, place, actor_key_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&input.name)
    .bind(&input.region_code)
    .bind(input.held_on.to_string())
    .bind(&input.place)
    .bind(&caller.key_id)
    .bind(state.now_text())
    .execute(&mut *tx)
    .await?;
    log(&mut tx, &state, &caller, "event", &id, "created", json!({})).await?;
    let row: EventRow = sqlx::query_as(&format!("{EVENT_SELECT} WHERE id = $1")).bind(&id).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(event_from(row))))
}

#[derive(Serialize, ToSchema)]
pub struct EventList {
    pub items: Vec<Event>,
}

/// Special recruitment events in the caller's region (admin: all), by date.
#[utoipa::path(get, path = "/v1/welfare/events", tag = "welfare",
    responses((status = 200, body = EventList), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn list_events(State(state): State<AppState>, caller: Principal) -> ApiResult<Json<EventList>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let rows: Vec<EventRow> =
        sqlx::query_as(&format!("{EVENT_SELECT} ORDER BY held_on, id")).fetch_all(&state.db.pool).await?;
    let items = rows.into_iter().filter(|r| caller.covers_region(&state, &r.region_code)).map(event_from).collect();
    Ok(Json(EventList { items }))
}

// --------------------------------------------------------- announcements

/// 报名联系人.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct AnnouncementContact {
    pub name: String,
    pub phone: String,
}

/// The parts of an announcement. Each may be missing in a draft; publishing
/// needs all of `employer_name`, `title`, `pay`, `requirements`,
/// `workplace`, `posts`, `apply_by` and `contact`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct Parts {
    /// 用人单位.
    pub employer_name: Option<String>,
    /// 岗位名称.
    pub title: Option<String>,
    /// 薪酬待遇: monthly pay in yuan.
    pub pay: Option<PayParts>,
    /// 工作要求 (words: duties, hours, who may apply).
    pub requirements: Option<String>,
    /// 工作地点.
    pub workplace: Option<String>,
    /// 岗位数量: posts recruited, at most the position's vacancies.
    pub posts: Option<i64>,
    /// 报名截止日期, YYYY-MM-DD.
    pub apply_by: Option<String>,
    pub contact: Option<AnnouncementContact>,
    /// Age bounds (optional), as for jobs.
    pub age_min: Option<i64>,
    pub age_max: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PayParts {
    pub min: i64,
    pub max: i64,
}

/// What publishing needs, with the Chinese name of each part.
const REQUIRED: [(&str, &str); 8] = [
    ("employer_name", "用人单位"),
    ("title", "岗位名称"),
    ("pay", "薪酬待遇"),
    ("requirements", "工作要求"),
    ("workplace", "工作地点"),
    ("posts", "岗位数量"),
    ("apply_by", "报名截止日期"),
    ("contact", "报名联系人和电话"),
];

impl Parts {
    fn missing(&self) -> Vec<(&'static str, &'static str)> {
        REQUIRED
            .into_iter()
            .filter(|(key, _)| match *key {
                "employer_name" => self.employer_name.is_none(),
                "title" => self.title.is_none(),
                "pay" => self.pay.is_none(),
                "requirements" => self.requirements.is_none(),
                "workplace" => self.workplace.is_none(),
                "posts" => self.posts.is_none(),
                "apply_by" => self.apply_by.is_none(),
                _ => self.contact.is_none(),
            })
            .collect()
    }
}

/// Read the parts present in `f` over `into` (`null` removes a part).
fn read_parts(f: &Fields<'_>, into: &mut Parts, errs: &mut Errors) {
    fn null(f: &Fields<'_>, key: &str) -> bool {
        f.is_null(key)
    }
    macro_rules! text {
        ($key:literal, $field:ident, $min:expr, $max:expr) => {
            if null(f, $key) {
                into.$field = None;
            } else if f.present($key) {
                if let Some(v) = f.string($key, false, $min, $max, errs) {
                    into.$field = Some(v);
                }
            }
        };
    }
    text!("employer_name", employer_name, 2, 100);
    text!("title", title, 2, 60);
    text!("requirements", requirements, 2, 2000);
    text!("workplace", workplace, 2, 200);
    if null(f, "pay") {
        into.pay = None;
    } else if let Some((min, max)) = read_pay(f, "pay", false, errs) {
        into.pay = Some(PayParts { min, max });
    }
    if null(f, "posts") {
        into.posts = None;
    } else if let Some(n) = f.int("posts", false, 1, 1000, errs) {
        into.posts = Some(n);
    }
    if null(f, "apply_by") {
        into.apply_by = None;
    } else if let Some(d) = read_date(f, "apply_by", false, errs) {
        into.apply_by = Some(d.to_string());
    }
    for (key, slot) in [("age_min", &mut into.age_min), ("age_max", &mut into.age_max)] {
        if null(f, key) {
            *slot = None;
        } else if let Some(n) = f.int(key, false, 16, 70, errs) {
            *slot = Some(n);
        }
    }
    if null(f, "contact") {
        into.contact = None;
    } else if let Some(Some(c)) = f.object("contact", false, errs, |c, errs| {
        let name = c.string("name", true, 1, 50, errs);
        let phone = c.string("phone", true, 5, 30, errs).and_then(|p| match normalize_phone(&p) {
            Some(n) => Some(n),
            None => {
                errs.add(c.path("phone"), "invalid_phone", "电话号码无效");
                None
            }
        });
        Some(AnnouncementContact { name: name?, phone: phone? })
    }) {
        into.contact = Some(c);
    }
    if let (Some(lo), Some(hi)) = (into.age_min, into.age_max) {
        if lo > hi {
            errs.add("age_max", "below_min", "年龄上限不能低于下限");
        }
    }
}

/// The body of `POST /v1/welfare/positions/{id}/announcements` and of its
/// `PATCH`: any of the parts (see [`Parts`]), plus the event it belongs to.
#[derive(ToSchema)]
pub struct AnnouncementBody {
    pub event_id: Option<String>,
    /// 用人单位, 2–100 characters.
    pub employer_name: Option<String>,
    /// 岗位名称, 2–60 characters.
    pub title: Option<String>,
    /// 薪酬待遇: `{min, max}` monthly yuan.
    pub pay: Option<PayParts>,
    /// 工作要求, 2–2000 characters.
    pub requirements: Option<String>,
    /// 工作地点, 2–200 characters.
    pub workplace: Option<String>,
    /// 岗位数量, 1–1000.
    pub posts: Option<i64>,
    /// 报名截止日期, YYYY-MM-DD.
    pub apply_by: Option<String>,
    pub contact: Option<AnnouncementContact>,
    /// 16–70.
    pub age_min: Option<i64>,
    pub age_max: Option<i64>,
}

impl RequestBody for AnnouncementBody {
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<AnnouncementBody> {
        let event_id = f.string("event_id", false, 1, 100, errs);
        let mut p = Parts::default();
        read_parts(f, &mut p, errs);
        Some(AnnouncementBody {
            event_id,
            employer_name: p.employer_name,
            title: p.title,
            pay: p.pay,
            requirements: p.requirements,
            workplace: p.workplace,
            posts: p.posts,
            apply_by: p.apply_by,
            contact: p.contact,
            age_min: p.age_min,
            age_max: p.age_max,
        })
    }
}

/// The job rules' field names as the announcement's parts.
fn as_parts(e: ApiError) -> ApiError {
    const NAMES: [(&str, &str); 4] = [
        ("description", "requirements"),
        ("address", "workplace"),
        ("headcount", "posts"),
        ("valid_until", "apply_by"),
    ];
    match e {
        ApiError::Problem(mut p) => {
            for fe in &mut p.errors {
                if let Some((_, to)) = NAMES.iter().find(|(from, _)| fe.field == *from) {
                    fe.field = to.to_string();
                }
            }
            ApiError::Problem(p)
        }
        other => other,
    }
}

#[derive(Serialize, ToSchema)]
pub struct Announcement {
    pub id: String,
    pub position_id: String,
    pub event_id: Option<String>,
    /// `draft` or `published`.
    pub state: String,
    #[serde(flatten)]
    pub parts: Parts,
    /// The parts still missing before it can be published.
    pub missing: Vec<String>,
    /// The job it was published as (matched to certified 就业困难人员 only).
    pub job_id: Option<String>,
    pub published_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(sqlx::FromRow)]
struct AnnouncementRow {
    id: String,
    position_id: String,
    event_id: Option<String>,
    state: String,
    doc: String,
    job_id: Option<String>,
    published_at: Option<String>,
    created_at: String,
    updated_at: String,
}

const ANNOUNCEMENT_SELECT: &str =
    "SELECT id, position_id, event_id, state, doc, job_id, published_at, created_at, updated_at FROM welfare_announcements";

fn announcement_from(r: AnnouncementRow) -> anyhow::Result<Announcement> {
    let parts: Parts = serde_json::from_str(&r.doc)?;
    Ok(Announcement {
        missing: parts.missing().into_iter().map(|(k, _)| k.to_string()).collect(),
        parts,
        id: r.id,
        position_id: r.position_id,
        event_id: r.event_id,
        state: r.state,
        job_id: r.job_id,
        published_at: r.published_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> ApiResult<Option<Announcement>> {
    let row: Option<AnnouncementRow> =
        sqlx::query_as(&format!("{ANNOUNCEMENT_SELECT} WHERE id = $1")).bind(id).fetch_optional(conn).await?;
    Ok(row.map(announcement_from).transpose()?)
}

/// The published announcements of an event whose positions lie in the
/// event's region `event_region` (one joined before that was checked, from
/// another county, is left off).
pub async fn list_for_event(
    conn: &mut AnyConnection,
    state: &AppState,
    event_id: &str,
    event_region: &str,
) -> ApiResult<Vec<Announcement>> {
    let held: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.id, p.region_code FROM welfare_announcements a JOIN welfare_positions p ON p.id = a.position_id
         WHERE a.event_id = $1 AND a.state = 'published'",
    )
    .bind(event_id)
    .fetch_all(&mut *conn)
    .await?;
    let inside: std::collections::HashSet<String> =
        held.into_iter().filter(|(_, region)| state.regions.covers(event_region, region)).map(|(id, _)| id).collect();
    let rows: Vec<AnnouncementRow> = sqlx::query_as(&format!(
        "{ANNOUNCEMENT_SELECT} WHERE event_id = $1 AND state = 'published' ORDER BY published_at, id"
    ))
    .bind(event_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().filter(|r| inside.contains(&r.id)).map(announcement_from).collect::<anyhow::Result<_>>()?)
}

/// An announcement the caller may act on (through its position, which
/// comes with it), or 404.
pub async fn announcement_for(state: &AppState, caller: &Principal, id: &str) -> ApiResult<(Announcement, Position)> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let a = get(&mut *state.db.pool.acquire().await?, id).await?.ok_or_else(ApiError::not_found)?;
    let position = position_for(state, caller, &a.position_id).await?;
    Ok((a, position))
}

/// An event the announcement of a position in `position_region` may join:
/// it exists and its region holds the position (a county's event page
/// shows that county's posts, the city's any county's).
async fn check_event(
    state: &AppState,
    event_id: Option<&str>,
    position_region: &str,
    errs: &mut Errors,
) -> ApiResult<()> {
    if let Some(e) = event_id {
        let region: Option<String> = sqlx::query_scalar("SELECT region_code FROM welfare_events WHERE id = $1")
            .bind(e)
            .fetch_optional(&state.db.pool)
            .await?;
        match region {
            None => errs.add("event_id", "unknown_event", "专场招聘不存在"),
            Some(r) if !state.regions.covers(&r, position_region) => errs.add(
                "event_id",
                "outside_event_region",
                "该专场招聘由其他地区举办，只能加入本地区（或全市）的专场招聘",
            ),
            Some(_) => {}
        }
    }
    Ok(())
}

/// Draft a recruitment announcement from a reserve position. Parts not
/// given are taken from the position (employer, title, pay, posts = its
/// vacancies, workplace = its address).
#[utoipa::path(post, path = "/v1/welfare/positions/{id}/announcements", tag = "welfare",
    params(("id" = String, Path)), request_body = AnnouncementBody,
    responses((status = 201, body = Announcement), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)), security(("bearer" = [])))]
async fn create_announcement(
    State(state): State<AppState>,
    caller: Principal,
    Path(position_id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Announcement>)> {
    let position = position_for(&state, &caller, &position_id).await?;
    let (read, mut errs) = read_body_partly::<AnnouncementBody>(&body, &state);
    check_event(&state, sent_text(&body, "event_id", &errs), &position.region_code, &mut errs).await?;
    let input = finish_body(read, errs)?;
    if position.state == "closed" {
        return Err(ApiError::conflict("position_closed", "该公益性岗位已关闭，不能再招聘"));
    }
    let mut parts = Parts {
        employer_name: Some(position.employer_name.clone()),
        title: Some(position.title.clone()),
        pay: Some(PayParts { min: position.pay.min, max: position.pay.max }),
        workplace: position.address.clone(),
        posts: Some(position.vacancies).filter(|n| *n > 0),
        ..Parts::default()
    };
    // The parts sent (checked above) over the position's: `null` clears one.
    let mut ignore = Errors::default();
    if let Some(f) = Fields::root(&body, &mut ignore) {
        read_parts(&f, &mut parts, &mut ignore);
    }
    let id = new_id("wan");
    let now = state.now_text();
    let mut tx = state.db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO welfare_announcements (id, position_id, event_id, state, doc, actor_key_id, created_at, updated_at)
         VALUES ($1, $2, $3, 'draft', $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(&position_id)
    .bind(&input.event_id)
    .bind(serde_json::to_string(&parts).map_err(anyhow::Error::from)?)
    .bind(&caller.key_id)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    log(&mut tx, &state, &caller, "announcement", &id, "drafted", json!({"position_id": position_id})).await?;
    let created = get(&mut tx, &id).await?.ok_or_else(|| anyhow::anyhow!("announcement vanished"))?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[derive(Serialize, ToSchema)]
pub struct AnnouncementList {
    pub items: Vec<Announcement>,
}

/// A position's announcements, drafts and published, oldest first.
#[utoipa::path(get, path = "/v1/welfare/positions/{id}/announcements", tag = "welfare",
    params(("id" = String, Path)),
    responses((status = 200, body = AnnouncementList), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn list_announcements(
    State(state): State<AppState>,
    caller: Principal,
    Path(position_id): Path<String>,
) -> ApiResult<Json<AnnouncementList>> {
    position_for(&state, &caller, &position_id).await?;
    let rows: Vec<AnnouncementRow> =
        sqlx::query_as(&format!("{ANNOUNCEMENT_SELECT} WHERE position_id = $1 ORDER BY created_at, id"))
            .bind(&position_id)
            .fetch_all(&state.db.pool)
            .await?;
    let items = rows.into_iter().map(announcement_from).collect::<anyhow::Result<_>>()?;
    Ok(Json(AnnouncementList { items }))
}

/// One announcement (admin; staff of its position's region).
#[utoipa::path(get, path = "/v1/welfare/announcements/{id}", tag = "welfare", params(("id" = String, Path)),
    responses((status = 200, body = Announcement), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get_announcement(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Announcement>> {
    Ok(Json(announcement_for(&state, &caller, &id).await?.0))
}

/// Change a draft's parts (`null` clears one). A published announcement is 409.
#[utoipa::path(patch, path = "/v1/welfare/announcements/{id}", tag = "welfare", params(("id" = String, Path)),
    request_body = AnnouncementBody,
    responses((status = 200, body = Announcement), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)), security(("bearer" = [])))]
async fn patch_announcement(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Announcement>> {
    let (current, position) = announcement_for(&state, &caller, &id).await?;
    let (read, mut errs) = read_body_partly::<AnnouncementBody>(&body, &state);
    check_event(&state, sent_text(&body, "event_id", &errs), &position.region_code, &mut errs).await?;
    let input = finish_body(read, errs)?;
    if current.state != "draft" {
        return Err(ApiError::conflict("already_published", "公告已发布，不能修改"));
    }
    let mut parts = current.parts.clone();
    let event = if body.get("event_id").is_some() { input.event_id } else { current.event_id };
    let mut ignore = Errors::default();
    if let Some(f) = Fields::root(&body, &mut ignore) {
        read_parts(&f, &mut parts, &mut ignore);
    }
    let mut tx = state.db.pool.begin().await?;
    sqlx::query(
        "UPDATE welfare_announcements SET doc = $1, event_id = $2, updated_at = $3 WHERE id = $4 AND state = 'draft'",
    )
    .bind(serde_json::to_string(&parts).map_err(anyhow::Error::from)?)
    .bind(&event)
    .bind(state.now_text())
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    log(&mut tx, &state, &caller, "announcement", &id, "edited", json!({})).await?;
    let after = get(&mut tx, &id).await?.ok_or_else(|| anyhow::anyhow!("announcement vanished"))?;
    tx.commit().await?;
    Ok(Json(after))
}

/// Publish an announcement: every part must be there (422 naming each one
/// missing), the deadline not past, the posts within the position's
/// vacancies. It becomes a job (source `public_welfare`) that is matched and
/// pushed like any other, but only to certified 就业困难人员.
#[utoipa::path(post, path = "/v1/welfare/announcements/{id}/publish", tag = "welfare", params(("id" = String, Path)),
    responses((status = 200, body = Announcement), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)), security(("bearer" = [])))]
async fn publish_announcement(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Announcement>> {
    let (a, position) = announcement_for(&state, &caller, &id).await?;
    if a.state != "draft" {
        return Err(ApiError::conflict("already_published", "公告已发布"));
    }
    if position.state == "closed" {
        return Err(ApiError::conflict("position_closed", "该公益性岗位已关闭，不能再招聘"));
    }
    let mut errs = Errors::default();
    for (key, name) in a.parts.missing() {
        errs.add(key, "required", format!("发布公告须写明{name}"));
    }
    if a.parts.apply_by.as_deref().is_some_and(|d| d < state.today().to_string().as_str()) {
        errs.add("apply_by", "in_past", "报名截止日期不能早于今天");
    }
    if a.parts.posts.is_some_and(|n| n > position.vacancies) {
        errs.add("posts", "more_than_vacancies", format!("岗位数量不能超过该岗位的空缺数（{}）", position.vacancies));
    }
    errs.finish(|| ())?;
    let p = &a.parts;
    let category = state
        .policy
        .public_welfare
        .position_type(&position.kind)
        .map(|t| t.category.clone())
        .ok_or_else(|| anyhow::anyhow!("position type {} is not in the policy", position.kind))?;
    let pay = p.pay.clone().ok_or_else(|| anyhow::anyhow!("checked above"))?;
    let contact = p.contact.clone().ok_or_else(|| anyhow::anyhow!("checked above"))?;
    let mut requirements = json!({});
    if let Some(n) = p.age_min {
        requirements["age_min"] = json!(n);
    }
    if let Some(n) = p.age_max {
        requirements["age_max"] = json!(n);
    }
    let description = format!(
        "【公益性岗位招聘公告】\n用人单位：{}\n工作要求：{}\n工作地点：{}\n招聘人数：{}\n报名截止：{}\n仅限认定有效的就业困难人员报名。",
        p.employer_name.as_deref().unwrap_or_default(),
        p.requirements.as_deref().unwrap_or_default(),
        p.workplace.as_deref().unwrap_or_default(),
        p.posts.unwrap_or_default(),
        p.apply_by.as_deref().unwrap_or_default(),
    );
    let job_body = json!({
        "title": p.title, "description": description, "source": "public_welfare", "category": category,
        "employment_type": "full_time", "pay": {"min": pay.min, "max": pay.max, "unit": "month"},
        "region_code": position.region_code, "address": p.workplace, "headcount": p.posts,
        "requirements": requirements, "valid_until": p.apply_by, "contact": {"name": contact.name, "phone": contact.phone},
    });
    let rules =
        JobRules { vocab: &state.vocab, regions: &state.regions, now: state.clock.now(), previous_valid_until: None };
    let input = read_job(&job_body, &rules).map_err(as_parts)?;
    let mut tx = state.db.pool.begin().await?;
    let job = job_store::insert_in(&mut tx, &state, &caller.org_id, &input, true).await?;
    let now = state.now_text();
    let updated = sqlx::query(
        "UPDATE welfare_announcements SET state = 'published', job_id = $1, published_at = $2, updated_at = $2
         WHERE id = $3 AND state = 'draft'",
    )
    .bind(&job.id)
    .bind(&now)
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(ApiError::conflict("already_published", "公告已发布"));
    }
    positions::refresh_state(&mut tx, &state, &a.position_id).await?;
    log(&mut tx, &state, &caller, "announcement", &id, "published", json!({"job_id": job.id})).await?;
    let after = get(&mut tx, &id).await?.ok_or_else(|| anyhow::anyhow!("announcement vanished"))?;
    tx.commit().await?;
    Ok(Json(after))
}

// ---------------------------------------------------------- applications

#[derive(Serialize, ToSchema)]
pub struct Application {
    pub id: String,
    pub announcement_id: String,
    pub person_id: String,
    /// `applied`, `selected`, `refused`, `publicised`, `removed` (an objection upheld) or `registered`.
    pub state: String,
    pub applied_on: String,
    /// The 公示 that lists the person, once publicised.
    pub publicity_id: Option<String>,
    /// Why the person was refused or removed.
    pub reason: Option<String>,
    /// `male`, `female_worker` or `female_cadre`: the retirement age applied.
    pub retirement_kind: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(sqlx::FromRow)]
struct ApplicationRow {
    id: String,
    announcement_id: String,
    person_id: String,
    state: String,
    applied_on: String,
    publicity_id: Option<String>,
    reason: Option<String>,
    retirement_kind: String,
    created_at: String,
    updated_at: String,
}

pub(crate) const APPLICATION_SELECT: &str = "SELECT id, announcement_id, person_id, state, applied_on, publicity_id,
    reason, retirement_kind, created_at, updated_at FROM welfare_applications";

fn application_from(r: ApplicationRow) -> Application {
    Application {
        id: r.id,
        announcement_id: r.announcement_id,
        person_id: r.person_id,
        state: r.state,
        applied_on: r.applied_on,
        publicity_id: r.publicity_id,
        reason: r.reason,
        retirement_kind: r.retirement_kind,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

pub async fn get_application(conn: &mut AnyConnection, id: &str) -> Result<Option<Application>, sqlx::Error> {
    let row: Option<ApplicationRow> =
        sqlx::query_as(&format!("{APPLICATION_SELECT} WHERE id = $1")).bind(id).fetch_optional(conn).await?;
    Ok(row.map(application_from))
}

pub async fn applications_where(
    conn: &mut AnyConnection,
    condition: &str,
    bind: &str,
) -> Result<Vec<Application>, sqlx::Error> {
    let rows: Vec<ApplicationRow> =
        sqlx::query_as(&format!("{APPLICATION_SELECT} WHERE {condition} ORDER BY created_at, id"))
            .bind(bind)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(application_from).collect())
}

/// An application the caller may act on: its announcement's position and
/// its person must both be theirs; else 404. The announcement and the
/// person come with it.
pub async fn application_for(
    state: &AppState,
    caller: &Principal,
    id: &str,
) -> ApiResult<(Application, Announcement, StoredPerson)> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let app = get_application(&mut *state.db.pool.acquire().await?, id).await?.ok_or_else(ApiError::not_found)?;
    let (a, _) = announcement_for(state, caller, &app.announcement_id).await?;
    let person = person_for(state, caller, &app.person_id).await?;
    Ok((app, a, person))
}

/// `{ person_id, applied_on?, retirement_kind? }`
#[derive(ToSchema)]
pub struct ApplicationCreate {
    pub person_id: String,
    /// YYYY-MM-DD, not in the future; default today.
    #[schema(value_type = Option<String>)]
    pub applied_on: Option<NaiveDate>,
    /// For a woman: `female_worker` (default) or `female_cadre`, which sets
    /// her retirement age; a man is always `male`.
    pub retirement_kind: Option<String>,
}

impl RequestBody for ApplicationCreate {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<ApplicationCreate> {
        let person_id = f.string("person_id", true, 1, 100, errs);
        let applied_on = read_date(f, "applied_on", false, errs);
        if applied_on.is_some_and(|d| d > state.today()) {
            errs.add("applied_on", "in_future", "报名日期不能晚于今天");
        }
        let kinds = state.policy.public_welfare.retirement_kinds();
        let retirement_kind = f.one_of("retirement_kind", false, &kinds, errs);
        Some(ApplicationCreate { person_id: person_id?, applied_on, retirement_kind })
    }
}

/// The retirement kind of `person`, or the field error.
fn retirement_kind(state: &AppState, person: &StoredPerson, asked: Option<&str>) -> Result<String, FieldError> {
    match (person.sex.as_str(), asked) {
        ("male", None | Some("male")) => Ok("male".into()),
        ("male", Some(_)) => Err(FieldError::new("retirement_kind", "not_for_men", "男性的退休年龄类别只能是 male")),
        (_, Some("male")) => {
            Err(FieldError::new("retirement_kind", "not_for_women", "女性应为 female_worker 或 female_cadre"))
        }
        (_, Some(k)) => Ok(k.to_string()),
        // As the person's record says, else the policy's default.
        (_, None) => {
            Ok(state.policy.public_welfare.kind_of(&person.sex, person.profile.retirement_kind.as_deref()).to_string())
        }
    }
}

/// Record an application to a published announcement (admin; staff of
/// both the position's and the person's region).
#[utoipa::path(post, path = "/v1/welfare/announcements/{id}/applications", tag = "welfare",
    params(("id" = String, Path)), request_body = ApplicationCreate,
    responses((status = 201, body = Application), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)), security(("bearer" = [])))]
async fn create_application(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Application>)> {
    let (a, _) = announcement_for(&state, &caller, &id).await?;
    let input = read_body::<ApplicationCreate>(&body, &state)?;
    let person = person_for(&state, &caller, &input.person_id).await?;
    let kind = retirement_kind(&state, &person, input.retirement_kind.as_deref())
        .map_err(|e| ApiError::validation(vec![e]))?;
    if a.state != "published" {
        return Err(ApiError::conflict("not_published", "公告尚未发布，不能报名"));
    }
    let applied = input.applied_on.unwrap_or_else(|| state.today());
    if !welfare_records::open_for_applications(a.parts.apply_by.as_deref(), applied) {
        let by = a.parts.apply_by.as_deref().unwrap_or_default();
        return Err(ApiError::conflict("applications_closed", format!("报名已于 {by} 截止，不能再报名")));
    }
    let mut tx = state.db.pool.begin().await?;
    let applied_on = applied.to_string();
    let made =
        welfare_records::insert_application(&mut tx, &state.clock, &id, &person.id, &applied_on, &kind, &caller.key_id)
            .await?;
    let Some(app_id) = made else {
        return Err(ApiError::conflict("already_applied", "此人已报名该公告"));
    };
    log(&mut tx, &state, &caller, "application", &app_id, "applied", json!({"announcement_id": id})).await?;
    let created = get_application(&mut tx, &app_id).await?.ok_or_else(|| anyhow::anyhow!("application vanished"))?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationList {
    pub items: Vec<Application>,
}

/// The applications to an announcement whose people the caller may see.
#[utoipa::path(get, path = "/v1/welfare/announcements/{id}/applications", tag = "welfare",
    params(("id" = String, Path)),
    responses((status = 200, body = ApplicationList), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn list_applications(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<ApplicationList>> {
    announcement_for(&state, &caller, &id).await?;
    let all = applications_where(&mut *state.db.pool.acquire().await?, "announcement_id = $1", &id).await?;
    let mut items = Vec::new();
    for app in all {
        if person_for(&state, &caller, &app.person_id).await.is_ok() {
            items.push(app);
        }
    }
    Ok(Json(ApplicationList { items }))
}

/// The last day the person's certification holds, as recorded (judged
/// against the day of the placement, which may be before today).
pub fn certified_through(person: &StoredPerson) -> Option<NaiveDate> {
    let status = CertificationStatus::parse(person.certification_status.as_deref()?)?;
    CertificationSummary { status, valid_until: person.certified_until.clone() }.holds_through()
}

/// Whether `person` may be placed on `on` under the national rules, from
/// the records: their earlier public-welfare subsidies and unused filings.
/// `Ok` carries the filing used for a repeat placement.
pub async fn placeable(
    conn: &mut AnyConnection,
    state: &AppState,
    person: &StoredPerson,
    kind: &str,
    on: NaiveDate,
) -> ApiResult<Result<Option<String>, Refusal>> {
    // The end of each earlier subsidy period as registered — not the day
    // the person left: someone who left early is placed again only once
    // that period has run out (补贴期满后, 人社部发〔2019〕124号), never
    // with a fresh period in the middle of the old one.
    let ends: Vec<String> = sqlx::query_scalar(
        "SELECT r.subsidy_end FROM welfare_registrations r JOIN placements pl ON pl.id = r.placement_id
         WHERE r.person_id = $1 AND NOT EXISTS (SELECT 1 FROM placements c WHERE c.supersedes = pl.id)",
    )
    .bind(&person.id)
    .fetch_all(&mut *conn)
    .await?;
    let ends: Vec<NaiveDate> = ends.iter().filter_map(|end| NaiveDate::parse_from_str(end, "%Y-%m-%d").ok()).collect();
    let filings: Vec<(String, String)> =
        sqlx::query_as("SELECT id, ground FROM welfare_filings WHERE person_id = $1 AND used_by IS NULL ORDER BY id")
            .bind(&person.id)
            .fetch_all(&mut *conn)
            .await?;
    let grounds: Vec<String> = filings.iter().map(|(_, g)| g.clone()).collect();
    let birth = NaiveDate::parse_from_str(&person.birth_date, "%Y-%m-%d").map_err(anyhow::Error::from)?;
    let candidate = Candidate {
        birth,
        sex: &person.sex,
        groups: &person.profile.groups,
        certified_through: certified_through(person),
        retirement_kind: kind,
    };
    let verdict =
        may_place(&state.policy.public_welfare, state.policy.ground("older"), &candidate, &ends, &grounds, on);
    Ok(verdict.map(|used| used.and_then(|g| filings.iter().find(|(_, fg)| fg == g).map(|(id, _)| id.clone()))))
}

/// The 422 for a refusal, on `person_id`.
pub fn refused(r: &Refusal) -> ApiError {
    ApiError::validation(vec![FieldError::new("person_id", r.code(), r.message())])
}

/// Choose an applicant. Only a certified 就业困难人员 may be chosen, within
/// the two-placement limit (a second time only for the groups allowed,
/// after the first subsidy ended, with a filing); the answer says why not.
#[utoipa::path(post, path = "/v1/welfare/applications/{id}/select", tag = "welfare", params(("id" = String, Path)),
    responses((status = 200, body = Application), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)), security(("bearer" = [])))]
async fn select_application(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Application>> {
    let (app, a, person) = application_for(&state, &caller, &id).await?;
    if app.state != "applied" {
        return Err(ApiError::conflict("not_applied", format!("该报名当前状态为 {}，不能入选", app.state)));
    }
    let mut tx = state.db.pool.begin().await?;
    if let Err(r) = placeable(&mut tx, &state, &person, &app.retirement_kind, state.today()).await? {
        return Err(refused(&r));
    }
    // The announcement's own age limits, judged on the day of selection.
    let birth = NaiveDate::parse_from_str(&person.birth_date, "%Y-%m-%d").map_err(anyhow::Error::from)?;
    let age = jobmatch_core::idcard::age_on(birth, state.today());
    let (lo, hi) = (a.parts.age_min, a.parts.age_max);
    if lo.is_some_and(|lo| age < lo) || hi.is_some_and(|hi| age > hi) {
        let limits = match (lo, hi) {
            (Some(lo), Some(hi)) => format!("{lo}–{hi} 周岁"),
            (Some(lo), None) => format!("{lo} 周岁以上"),
            (_, Some(hi)) => format!("{hi} 周岁以下"),
            _ => String::new(),
        };
        return Err(ApiError::validation(vec![FieldError::new(
            "person_id",
            "outside_age_limits",
            format!("本公告招聘年龄为 {limits}，本人现年 {age} 周岁，不能入选"),
        )]));
    }
    let position = positions::get(&mut tx, &state, &a.position_id).await?.ok_or_else(ApiError::not_found)?;
    let chosen: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM welfare_applications WHERE announcement_id = $1 AND state IN ('selected', 'publicised', 'registered')",
    )
    .bind(&a.id)
    .fetch_one(&mut *tx)
    .await?;
    if position.vacancies < 1 || chosen >= a.parts.posts.unwrap_or(0) {
        return Err(ApiError::conflict("no_places", "该公告的招聘名额已满"));
    }
    sqlx::query("UPDATE welfare_applications SET state = 'selected', reason = NULL, updated_at = $1 WHERE id = $2 AND state = 'applied'")
        .bind(state.now_text())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    log(&mut tx, &state, &caller, "application", &id, "selected", json!({})).await?;
    let after = get_application(&mut tx, &id).await?.ok_or_else(|| anyhow::anyhow!("application vanished"))?;
    tx.commit().await?;
    Ok(Json(after))
}

/// `{ reason }`
#[derive(ToSchema)]
pub struct Refuse {
    /// Why, 1–200 characters (told to the person).
    pub reason: String,
}

impl RequestBody for Refuse {
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<Refuse> {
        Some(Refuse { reason: f.string("reason", true, 1, 200, errs)? })
    }
}

/// Turn an applicant down, with the reason.
#[utoipa::path(post, path = "/v1/welfare/applications/{id}/refuse", tag = "welfare", params(("id" = String, Path)),
    request_body = Refuse,
    responses((status = 200, body = Application), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)), security(("bearer" = [])))]
async fn refuse_application(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Application>> {
    let (app, _, _) = application_for(&state, &caller, &id).await?;
    let input = read_body::<Refuse>(&body, &state)?;
    if !matches!(app.state.as_str(), "applied" | "selected") {
        return Err(ApiError::conflict("not_refusable", format!("该报名当前状态为 {}，不能不予录用", app.state)));
    }
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("UPDATE welfare_applications SET state = 'refused', reason = $1, updated_at = $2 WHERE id = $3")
        .bind(&input.reason)
        .bind(state.now_text())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    log(&mut tx, &state, &caller, "application", &id, "refused", json!({"reason": input.reason})).await?;
    let after = get_application(&mut tx, &id).await?.ok_or_else(|| anyhow::anyhow!("application vanished"))?;
    tx.commit().await?;
    Ok(Json(after))
}
