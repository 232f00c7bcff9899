//! `GET /v1/notifications`, the in-app inbox and agency webhooks.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use jobmatch_core::access::{self, AgencyRows};
use jobmatch_core::error::{ApiResult, Problem};
use jobmatch_core::http::{page, Binds, JsonBody, ListQuery, QueryParams};
use jobmatch_core::validate::{finish_body, read_body_partly, sent_text, Errors, Fields, RequestBody};
use jobmatch_core::{ApiError, AppState, Principal, Role};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::egress::{check_target, AllowList};
use crate::signature::secret_key;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(retry_notification))
        .routes(routes!(inbox))
        .routes(routes!(mark_read))
        .routes(routes!(create_webhook, list_webhooks))
}

pub const STATUSES: &[&str] = &["pending", "held", "sent", "failed", "dead"];
pub const CHANNELS: &[&str] = &["inbox", "sms", "webhook"];

/// One notification's delivery state.
#[derive(Serialize, ToSchema)]
pub struct Notification {
    pub id: String,
    pub job_id: String,
    /// For `inbox` and `sms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    /// For `webhook`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency_org_id: Option<String>,
    /// `inbox`, `sms` or `webhook`.
    pub channel: String,
    /// `pending`, `held`, `sent`, `failed` or `dead`.
    pub status: String,
    pub attempts: i64,
    /// A stable code, a colon and a Chinese explanation (e.g. `quiet_hours: …`).
    pub last_error: Option<String>,
    /// When the next attempt is due (pending, held, failed).
    pub due_at: String,
    pub created_at: String,
    pub sent_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    pub next_cursor: Option<String>,
}

/// A `notifications` row as read with [`NOTIFICATION_COLUMNS`].
#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: String,
    job_id: String,
    person_id: Option<String>,
    agency_org_id: Option<String>,
    channel: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    due_at: String,
    created_at: String,
    sent_at: Option<String>,
}
const NOTIFICATION_COLUMNS: &str =
    "id, job_id, person_id, agency_org_id, channel, status, attempts, last_error, due_at, created_at, sent_at";

fn notification(r: NotificationRow) -> Notification {
    Notification {
        id: r.id,
        job_id: r.job_id,
        person_id: r.person_id,
        agency_org_id: r.agency_org_id,
        channel: r.channel,
        status: r.status,
        attempts: r.attempts,
        last_error: r.last_error,
        due_at: r.due_at,
        created_at: r.created_at,
        sent_at: r.sent_at,
    }
}

impl Notification {
    /// What `p` is told of a failed webhook delivery: an agency reads only
    /// that it failed (the detail — refused address, connection error, the
    /// status its server gave — would let it map the network behind the
    /// push service); admin and staff read the detail.
    fn seen_by(mut self, caller: &Principal) -> Notification {
        let told = |e: &str| SAFE_FOR_AGENCIES.iter().any(|code| e.starts_with(code));
        if caller.role == Role::Agency && self.last_error.as_deref().is_some_and(|e| !told(e)) {
            self.last_error = Some(crate::channels::DELIVERY_FAILED.into());
        }
        self
    }
}

/// Reasons an agency may read as they are: about its own endpoint or its people.
const SAFE_FOR_AGENCIES: &[&str] = &["endpoint_gone", "consent_withdrawn", "webhook_disabled", "job_closed"];

/// The condition limiting notifications to what `p` may see: the one rule
/// of `jobmatch_core::access`, with an agency seeing every delivery
/// addressed to it.
fn visibility(state: &AppState, caller: &Principal, binds: &mut Binds) -> ApiResult<String> {
    access::list_scope(state, caller, binds, "", AgencyRows::AddressedToIt, "发布机构不能查看推送记录")
}

/// Delivery state of notifications, oldest first: admin all, staff those to
/// people of their region, an agency its own webhooks.
#[utoipa::path(get, path = "/v1/notifications", tag = "push",
    params(("job_id" = Option<String>, Query), ("person_id" = Option<String>, Query),
           ("status" = Option<String>, Query, description = "pending, held, sent, failed or dead"),
           ("channel" = Option<String>, Query, description = "inbox, sms or webhook"),
           ("limit" = Option<usize>, Query, description = "1–200, default 20"), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = NotificationPage), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn list_notifications(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<NotificationPage>> {
    let mut errs = Errors::default();
    params.deny_unknown(&["job_id", "person_id", "status", "channel", "limit", "cursor"], &mut errs);
    let limit = params.limit(20, 200, &mut errs);
    let status = params.one_of("status", STATUSES, &mut errs);
    let channel = params.one_of("channel", CHANNELS, &mut errs);
    let cursor = params.cursor(&mut errs);
    QueryParams::finish(errs)?;
    let mut list = ListQuery::default();
    let scope = visibility(&state, &caller, list.binds())?;
    list.condition(scope);
    list.equal("job_id", params.get("job_id"));
    list.equal("person_id", params.get("person_id"));
    list.equal("status", status);
    list.equal("channel", channel);
    if let Some(after) = cursor {
        let mark = list.param(after);
        list.condition(format!("id > {mark}"));
    }
    let select = format!("SELECT {NOTIFICATION_COLUMNS} FROM notifications");
    let rows: Vec<NotificationRow> = list.fetch(&state.db.pool, &select, "id", limit).await?;
    let items: Vec<Notification> = rows.into_iter().map(|r| notification(r).seen_by(&caller)).collect();
    let (items, next_cursor) = page(items, limit, |x| &x.id);
    Ok(Json(NotificationPage { items, next_cursor }))
}

/// Send a `dead`, `failed` or `held` notification again now, with a fresh
/// retry schedule (its earlier attempts stay on record). Admin, or staff for
/// people of their region.
#[utoipa::path(post, path = "/v1/notifications/{id}/retry", tag = "push", params(("id" = String, Path)),
    responses((status = 200, body = Notification), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
async fn retry_notification(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Notification>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let mut binds = Binds::default();
    let vis = visibility(&state, &caller, &mut binds)?;
    let idp = binds.push(id.clone());
    let sql = format!("SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE {vis} AND id = {idp}");
    let mut query = sqlx::query_as::<_, NotificationRow>(&sql);
    for v in &binds.0 {
        query = query.bind(v);
    }
    let n = query.fetch_optional(&state.db.pool).await?.map(notification).ok_or_else(ApiError::not_found)?;
    if n.status == "sent" || n.status == "pending" {
        return Err(ApiError::conflict("not_retryable", format!("状态为 {} 的通知无需重发", n.status)));
    }
    let now = state.now_text();
    sqlx::query(
        "UPDATE notifications SET status = 'pending', attempts = 0, due_at = $1, updated_at = $1,
             lease_owner = NULL, lease_until = NULL WHERE id = $2",
    )
    .bind(&now)
    .bind(&id)
    .execute(&state.db.pool)
    .await?;
    let row: NotificationRow =
        sqlx::query_as(&format!("SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE id = $1"))
            .bind(&id)
            .fetch_one(&state.db.pool)
            .await?;
    Ok(Json(notification(row)))
}

/// A message in a person's in-app inbox.
#[derive(Serialize, ToSchema)]
pub struct InboxItem {
    pub id: String,
    pub job_id: String,
    pub title: String,
    pub body: String,
    /// When it reached the inbox.
    pub created_at: String,
    pub read: bool,
}

#[derive(Serialize, ToSchema)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub next_cursor: Option<String>,
}

/// A notification as shown in an inbox.
#[derive(sqlx::FromRow)]
struct InboxRow {
    id: String,
    job_id: String,
    title: String,
    body: String,
    sent_at: Option<String>,
    read_at: Option<String>,
}

fn inbox_item(r: InboxRow) -> InboxItem {
    InboxItem {
        id: r.id,
        job_id: r.job_id,
        title: r.title,
        body: r.body,
        created_at: r.sent_at.unwrap_or_default(),
        read: r.read_at.is_some(),
    }
}

/// The person must exist and be the caller's to see; inboxes are for admin
/// and staff only.
async fn own_person(state: &AppState, caller: &Principal, id: &str) -> ApiResult<()> {
    caller.require(&[Role::Admin, Role::Staff])?;
    access::person_for(state, caller, id).await.map(drop)
}

/// A person's in-app inbox, newest first: each job at most once.
#[utoipa::path(get, path = "/v1/persons/{id}/inbox", tag = "push",
    params(("id" = String, Path), ("unread" = Option<bool>, Query, description = "only unread messages"),
           ("limit" = Option<usize>, Query, description = "1–200, default 20"), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = InboxPage), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn inbox(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    params: QueryParams,
) -> ApiResult<Json<InboxPage>> {
    let mut errs = Errors::default();
    params.deny_unknown(&["unread", "limit", "cursor"], &mut errs);
    let limit = params.limit(20, 200, &mut errs);
    let unread = params.flag("unread", &mut errs);
    let cursor = params.cursor(&mut errs);
    QueryParams::finish(errs)?;
    own_person(&state, &caller, &id).await?;
    let rows: Vec<InboxRow> = sqlx::query_as(&format!(
        "SELECT id, job_id, title, body, sent_at, read_at FROM notifications
         WHERE person_id = $1 AND channel = 'inbox' AND status = 'sent' AND ($2 = 0 OR read_at IS NULL)
           AND ($3 = '' OR id < $3)
         ORDER BY id DESC LIMIT {}",
        limit + 1
    ))
    .bind(&id)
    .bind(unread as i64)
    .bind(cursor.unwrap_or_default())
    .fetch_all(&state.db.pool)
    .await?;
    let items: Vec<InboxItem> = rows.into_iter().map(inbox_item).collect();
    let (items, next_cursor) = page(items, limit, |x| &x.id);
    Ok(Json(InboxPage { items, next_cursor }))
}

/// Mark an inbox message read.
#[utoipa::path(post, path = "/v1/persons/{id}/inbox/{message_id}/read", tag = "push",
    params(("id" = String, Path), ("message_id" = String, Path)),
    responses((status = 200, body = InboxItem), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn mark_read(
    State(state): State<AppState>,
    caller: Principal,
    Path((id, message_id)): Path<(String, String)>,
) -> ApiResult<Json<InboxItem>> {
    own_person(&state, &caller, &id).await?;
    sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE id = $2 AND person_id = $3 AND channel = 'inbox'
           AND status = 'sent' AND read_at IS NULL",
    )
    .bind(state.now_text())
    .bind(&message_id)
    .bind(&id)
    .execute(&state.db.pool)
    .await?;
    let row: Option<InboxRow> = sqlx::query_as(
        "SELECT id, job_id, title, body, sent_at, read_at FROM notifications
         WHERE id = $1 AND person_id = $2 AND channel = 'inbox' AND status = 'sent'",
    )
    .bind(&message_id)
    .bind(&id)
    .fetch_optional(&state.db.pool)
    .await?;
    row.map(|r| Json(inbox_item(r))).ok_or_else(ApiError::not_found)
}

/// An agency's webhook endpoint (the secret is never answered).
#[derive(Serialize, ToSchema)]
pub struct Webhook {
    pub id: String,
    pub agency_org_id: String,
    pub url: String,
    /// False after the endpoint answered 410 Gone or was replaced.
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub created_at: String,
    /// The agency's newest attempted delivery, for an active endpoint.
    pub last_delivery: Option<WebhookDelivery>,
}

/// The outcome of a delivery attempt.
#[derive(Serialize, ToSchema, sqlx::FromRow)]
pub struct WebhookDelivery {
    pub notification_id: String,
    /// `sent`, `failed` (to be retried) or `dead`.
    pub status: String,
    pub attempts: i64,
    /// A stable code, a colon and a Chinese explanation.
    pub last_error: Option<String>,
    /// When the attempt was recorded.
    pub at: String,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<Webhook>,
}

/// The webhook request: `{ "url": "https://…", "secret": "whsec_…" }`.
#[derive(ToSchema)]
pub struct WebhookCreate {
    /// http:// or https://, at most 500 characters.
    pub url: String,
    /// Standard Webhooks secret: `whsec_` and base64 of 24–64 random bytes.
    pub secret: String,
}

impl RequestBody for WebhookCreate {
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<WebhookCreate> {
        let url = f.string("url", true, 8, 500, errs);
        let secret = f.string("secret", true, 10, 200, errs);
        if secret.as_deref().is_some_and(|s| secret_key(s).is_none()) {
            errs.add("secret", "invalid_secret", "应为 whsec_ 加 24–64 字节随机数的 base64 编码");
        }
        Some(WebhookCreate { url: url?, secret: secret? })
    }
}

/// A `webhooks` row.
#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: String,
    agency_org_id: String,
    url: String,
    active: i64,
    disabled_reason: Option<String>,
    created_at: String,
}

fn webhook(r: WebhookRow) -> Webhook {
    Webhook {
        id: r.id,
        agency_org_id: r.agency_org_id,
        url: r.url,
        active: r.active == 1,
        disabled_reason: r.disabled_reason,
        created_at: r.created_at,
        last_delivery: None,
    }
}

/// Register the calling agency's webhook endpoint; it replaces any earlier
/// one. Deliveries are signed the Standard Webhooks way with `secret`.
#[utoipa::path(post, path = "/v1/webhooks", tag = "push", request_body = WebhookCreate,
    responses((status = 201, body = Webhook), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn create_webhook(
    State(state): State<AppState>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Webhook>)> {
    caller.require(&[Role::Agency])?;
    let (read, mut errs) = read_body_partly::<WebhookCreate>(&body, &state);
    // Where the URL leads is checked with a DNS lookup (no internal addresses).
    if let Some(url) = sent_text(&body, "url", &errs) {
        let allow = AllowList::new(&state.settings.push.webhook_allow_hosts);
        if let Err(refused) = check_target(url, &allow).await {
            errs.add("url", refused.0, refused.1);
        }
    }
    let WebhookCreate { url, secret } = finish_body(read, errs)?;
    let now = state.now_text();
    let id = jobmatch_core::ids::new_id("whk");
    let mut tx = state.db.pool.begin().await?;
    sqlx::query(
        "UPDATE webhooks SET active = 0, disabled_reason = 'replaced', updated_at = $1
         WHERE agency_org_id = $2 AND active = 1",
    )
    .bind(&now)
    .bind(&caller.org_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO webhooks (id, agency_org_id, url, secret_cipher, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 1, $5, $5)",
    )
    .bind(&id)
    .bind(&caller.org_id)
    .bind(&url)
    .bind(state.vault.encrypt(&secret))
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(webhook_id = %id, org_id = %caller.org_id, "webhook registered");
    Ok((
        StatusCode::CREATED,
        Json(Webhook {
            id,
            agency_org_id: caller.org_id,
            url,
            active: true,
            disabled_reason: None,
            created_at: now,
            last_delivery: None,
        }),
    ))
}

/// Webhook endpoints: an agency its own, admin all.
#[utoipa::path(get, path = "/v1/webhooks", tag = "push",
    responses((status = 200, body = WebhookList), (status = 403, body = Problem)), security(("bearer" = [])))]
async fn list_webhooks(State(state): State<AppState>, caller: Principal) -> ApiResult<Json<WebhookList>> {
    caller.require(&[Role::Admin, Role::Agency])?;
    let rows: Vec<WebhookRow> = sqlx::query_as(
        "SELECT id, agency_org_id, url, active, disabled_reason, created_at FROM webhooks
         WHERE ($1 = '' OR agency_org_id = $1) ORDER BY id DESC LIMIT 200",
    )
    .bind(if caller.role == Role::Agency { caller.org_id.as_str() } else { "" })
    .fetch_all(&state.db.pool)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let mut w = webhook(row);
        if w.active {
            w.last_delivery = sqlx::query_as(
                "SELECT id AS notification_id, status, attempts, last_error, updated_at AS at FROM notifications
                 WHERE agency_org_id = $1 AND channel = 'webhook' AND attempts > 0
                 ORDER BY updated_at DESC LIMIT 1",
            )
            .bind(&w.agency_org_id)
            .fetch_optional(&state.db.pool)
            .await?;
        }
        items.push(w);
    }
    Ok(Json(WebhookList { items }))
}
