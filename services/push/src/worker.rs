//! The delivery worker: claims due rows with a lease (`FOR UPDATE SKIP
//! LOCKED` on PostgreSQL; SQLite has one writer), applies quiet hours, the
//! daily cap and job state, delivers through the channel, and records the
//! outcome. A crashed worker's rows are claimed again when their lease
//! ends, so delivery is at least once; the unique key keeps one row per
//! recipient, job and channel, so the inbox shows each job once.
//!
//! Policy notices (`policy_notices`, queued when a payment list is
//! approved) go through the same worker by SMS, under the same consent,
//! quiet hours and daily cap.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use jobmatch_core::db::Backend;
use jobmatch_core::domain::JobStatus;
use jobmatch_core::records;
use jobmatch_core::time::to_text;
use jobmatch_core::AppState;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::channels::{Channels, Outcome};
use crate::quiet_hours::{day_start, next_day_morning, quiet_until};

/// A claimed row.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub id: String,
    pub job_id: String,
    pub person_id: Option<String>,
    pub agency_org_id: Option<String>,
    pub channel: String,
    pub title: String,
    pub body: String,
    pub attempts: i64,
    pub score: f64,
    pub job_opened_at: String,
}

/// A notification claimed under a lease.
#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: String,
    job_id: String,
    person_id: Option<String>,
    agency_org_id: Option<String>,
    channel: String,
    title: String,
    body: String,
    attempts: i64,
    score: f64,
    job_opened_at: String,
}

/// What a daily-cap reservation is for.
#[derive(Clone, Copy)]
enum Slot<'a> {
    Job(&'a str),
    Notice(&'a str),
}

/// A policy notice (`policy_notices`) claimed under a lease.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClaimedNotice {
    pub id: String,
    /// `person` or `employer`.
    pub recipient_kind: String,
    /// The person's id or the employer's credit code.
    pub recipient_code: String,
    pub body: String,
    pub attempts: i64,
}

pub struct Worker {
    pub state: AppState,
    pub channels: Channels,
    pub owner: String,
    permits: Arc<Semaphore>,
    /// People with a delivery in flight here: their other rows wait, so the
    /// daily cap sees every send.
    busy: Arc<Mutex<HashSet<String>>>,
}

/// A row's next state: status, attempts, error, due, sent at, metric outcome.
type Outcomes = (&'static str, i64, Option<String>, String, Option<String>, &'static str);

/// What happened to a row.
enum Next {
    Sent,
    Held {
        until: DateTime<Utc>,
        reason: String,
    },
    Retry {
        error: String,
    },
    Dead {
        error: String,
    },
    /// The receiver refused for good (410): an attempt that ends the row.
    Refused {
        error: String,
    },
}

impl Worker {
    pub fn new(state: AppState) -> anyhow::Result<Arc<Worker>> {
        let channels = Channels::new(&state)?;
        let permits = Arc::new(Semaphore::new(state.settings.push.concurrency));
        Ok(Arc::new(Worker {
            state,
            channels,
            owner: uuid::Uuid::new_v4().simple().to_string(),
            permits,
            busy: Arc::new(Mutex::new(HashSet::new())),
        }))
    }

    /// Claim up to `limit` due rows for this worker.
    pub async fn claim(&self, limit: usize) -> anyhow::Result<Vec<Claimed>> {
        let (sql, lease, now) = self.claim_sql(
            "notifications",
            "due_at, score DESC",
            "id, job_id, person_id, agency_org_id, channel, title, body, attempts, score, job_opened_at",
        )?;
        let rows: Vec<ClaimRow> = sqlx::query_as(&sql)
            .bind(&self.owner)
            .bind(lease)
            .bind(now)
            .bind(limit as i64)
            .fetch_all(&self.state.db.pool)
            .await?;
        let mut out: Vec<Claimed> = rows
            .into_iter()
            .map(|r| Claimed {
                id: r.id,
                job_id: r.job_id,
                person_id: r.person_id,
                agency_org_id: r.agency_org_id,
                channel: r.channel,
                title: r.title,
                body: r.body,
                attempts: r.attempts,
                score: r.score,
                job_opened_at: r.job_opened_at,
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(out)
    }

    /// Claim due rows of `table` (`notifications` or `policy_notices`) under
    /// a lease, `$4` at most, in `order`: the statement, the lease's end and now.
    fn claim_sql(&self, table: &str, order: &str, returning: &str) -> anyhow::Result<(String, String, String)> {
        let now = self.state.clock.now();
        let lease = to_text(now + chrono::Duration::from_std(self.state.settings.push.lease)?);
        let lock = match self.state.db.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE {table} SET lease_owner = $1, lease_until = $2, updated_at = $3
             WHERE id IN (SELECT id FROM {table}
                          WHERE status IN ('pending', 'held', 'failed') AND due_at <= $3
                            AND (lease_until IS NULL OR lease_until < $3)
                          ORDER BY {order} LIMIT $4 {lock})
             RETURNING {returning}"
        );
        Ok((sql, lease, to_text(now)))
    }

    /// Give a row of `table` back unprocessed (its person is busy here).
    async fn release(&self, table: &str, id: &str) -> anyhow::Result<()> {
        sqlx::query(&format!(
            "UPDATE {table} SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2"
        ))
        .bind(id)
        .bind(&self.owner)
        .execute(&self.state.db.pool)
        .await?;
        Ok(())
    }

    /// Claim what free capacity allows and start delivering it; returns how
    /// many rows were started.
    pub async fn tick(self: &Arc<Self>, tasks: &mut JoinSet<()>) -> anyhow::Result<usize> {
        let free = self.permits.available_permits();
        if free == 0 {
            return Ok(0);
        }
        let rows = self.claim(free).await?;
        let mut groups: HashMap<String, Vec<Claimed>> = HashMap::new();
        let mut order = Vec::new();
        for row in rows {
            let key = row.person_id.clone().unwrap_or_else(|| row.id.clone());
            if !groups.contains_key(&key) {
                order.push(key.clone());
            }
            groups.entry(key).or_default().push(row);
        }
        let mut started = 0;
        for key in order {
            let group = groups.remove(&key).unwrap_or_default();
            let is_person = group[0].person_id.is_some();
            if is_person && !self.busy.lock().expect("busy lock").insert(key.clone()) {
                for row in &group {
                    self.release("notifications", &row.id).await?;
                }
                continue;
            }
            let permit = self.permits.clone().acquire_many_owned(group.len() as u32).await?;
            started += group.len();
            let me = self.clone();
            tasks.spawn(async move {
                for row in group {
                    if let Err(e) = me.process(&row).await {
                        tracing::warn!(notification_id = %row.id, error = %e, "push delivery not recorded");
                    }
                }
                if is_person {
                    me.busy.lock().expect("busy lock").remove(&key);
                }
                drop(permit);
            });
        }
        started += self.tick_notices(tasks).await?;
        Ok(started)
    }

    /// Claim up to `limit` due policy notices for this worker.
    pub async fn claim_notices(&self, limit: usize) -> anyhow::Result<Vec<ClaimedNotice>> {
        let (sql, lease, now) =
            self.claim_sql("policy_notices", "due_at, id", "id, recipient_kind, recipient_code, body, attempts")?;
        Ok(sqlx::query_as(&sql)
            .bind(&self.owner)
            .bind(lease)
            .bind(now)
            .bind(limit as i64)
            .fetch_all(&self.state.db.pool)
            .await?)
    }

    /// Claim due policy notices and start delivering them, one task that
    /// takes them in turn (they are few: a month's new qualifiers). A person
    /// with a delivery in flight here waits, as for jobs.
    async fn tick_notices(self: &Arc<Self>, tasks: &mut JoinSet<()>) -> anyhow::Result<usize> {
        let free = self.permits.available_permits();
        if free == 0 {
            return Ok(0);
        }
        let mut claimed = self.claim_notices(free).await?;
        let mut mine = Vec::new();
        for n in claimed.drain(..) {
            let person = n.recipient_kind == "person";
            if person && !self.busy.lock().expect("busy lock").insert(n.recipient_code.clone()) {
                self.release("policy_notices", &n.id).await?;
                continue;
            }
            mine.push(n);
        }
        if mine.is_empty() {
            return Ok(0);
        }
        let started = mine.len();
        let permit = self.permits.clone().acquire_owned().await?;
        let me = self.clone();
        tasks.spawn(async move {
            for n in mine {
                let next = match me.deliver_notice(&n).await {
                    Ok(next) => next,
                    Err(e) => Next::Retry { error: format!("internal: {e}") },
                };
                if let Err(e) = me.record_notice(&n, next).await {
                    tracing::warn!(notice_id = %n.id, error = %e, "policy notice outcome not recorded");
                }
                if n.recipient_kind == "person" {
                    me.busy.lock().expect("busy lock").remove(&n.recipient_code);
                }
            }
            drop(permit);
        });
        Ok(started)
    }

    /// A policy notice goes out by SMS: to a person who consented to pushes,
    /// outside quiet hours, within the daily cap; to an employer's contact
    /// outside quiet hours.
    async fn deliver_notice(&self, n: &ClaimedNotice) -> anyhow::Result<Next> {
        let state = &self.state;
        let now = self.state.clock.now();
        let phone = if n.recipient_kind == "person" {
            let reachable =
                records::persons::reachable(&state.db.pool, std::slice::from_ref(&n.recipient_code)).await?;
            let Some(person) = reachable.into_iter().next() else {
                return Ok(Next::Dead { error: "person_missing: 人员记录不存在".into() });
            };
            if !person.push_consent {
                return Ok(Next::Dead { error: "no_consent: 本人未同意接收推送".into() });
            }
            let Some(phone) = person.phone(&state.vault)? else {
                return Ok(Next::Dead { error: "no_phone: 没有登记手机号".into() });
            };
            if let Some(wait) = self.wait_for(&n.recipient_code, Slot::Notice(&n.id), now).await? {
                return Ok(wait);
            }
            phone
        } else {
            let cipher: Option<String> =
                sqlx::query_scalar("SELECT phone_cipher FROM employer_contacts WHERE employer_code = $1")
                    .bind(&n.recipient_code)
                    .fetch_optional(&state.db.pool)
                    .await?;
            let Some(cipher) = cipher else {
                return Ok(Next::Dead { error: "no_contact: 社保数据中没有该单位的联系电话".into() });
            };
            if let Some(wait) = quiet(now, state.settings.push.quiet_hours) {
                return Ok(wait);
            }
            state.vault.decrypt(&cipher)?
        };
        Ok(self.after(self.channels.sms(&phone, &n.body).await))
    }

    /// Write a notice's outcome, if this worker still holds its lease.
    async fn record_notice(&self, n: &ClaimedNotice, next: Next) -> anyhow::Result<()> {
        let now = self.state.clock.now();
        let now_t = to_text(now);
        let o = self.outcome(n.attempts, &next, now)?;
        let outcome = o.5;
        let mut conn = self.state.db.pool.acquire().await?;
        if !self.write_state(&mut conn, "policy_notices", &n.id, &o, &now_t).await? {
            tracing::warn!(notice_id = %n.id, "lease lost before the outcome was written");
            return Ok(());
        }
        self.state.metrics.count_with(
            "jobmatch_push_deliveries_total",
            &[("channel", "policy_sms"), ("outcome", outcome)],
            1,
        );
        Ok(())
    }

    async fn process(&self, row: &Claimed) -> anyhow::Result<()> {
        let next = self.decide_and_deliver(row).await?;
        self.record(row, next).await
    }

    async fn decide_and_deliver(&self, row: &Claimed) -> anyhow::Result<Next> {
        let state = &self.state;
        let job = records::jobs::get(state, &row.job_id).await?.filter(|j| j.job.status == JobStatus::Open);
        let Some(job) = job else {
            return Ok(Next::Dead { error: "job_closed: 岗位已关闭、招满或过期，不再发送".into() });
        };
        let now = self.state.clock.now();
        if let Some(person_id) = &row.person_id {
            let reachable = records::persons::reachable(&state.db.pool, std::slice::from_ref(person_id)).await?;
            let Some(person) = reachable.into_iter().next() else {
                return Ok(Next::Dead { error: "person_missing: 人员记录不存在".into() });
            };
            if !person.push_consent {
                return Ok(Next::Dead { error: "consent_withdrawn: 本人已撤回推送同意".into() });
            }
            if records::seeker::declined(&state.db.pool, person_id, &row.job_id).await? {
                return Ok(Next::Dead { error: "declined: 本人已回复此岗位不合适".into() });
            }
            if let Some(wait) = self.wait_for(person_id, Slot::Job(&row.job_id), now).await? {
                return Ok(wait);
            }
            let outcome = match row.channel.as_str() {
                "inbox" => Outcome::Delivered,
                "sms" => match person.phone(&state.vault)? {
                    None => return Ok(Next::Dead { error: "no_phone: 没有登记手机号".into() }),
                    Some(phone) => {
                        // A new link per attempt: the token is never stored
                        // in clear, so it cannot be read back for a retry.
                        let token = jobmatch_core::links::issue(
                            &state.db.pool,
                            person_id,
                            &row.job_id,
                            state.settings.link_ttl_days,
                            now,
                        )
                        .await?;
                        let link = format!("{}/m/{token}", state.settings.public_url);
                        let text = crate::message::sms_text(&job.job, &state.regions, &link);
                        self.channels.sms(&phone, &text).await
                    }
                },
                other => anyhow::bail!("unknown channel {other}"),
            };
            return Ok(self.after(outcome));
        }
        let Some(agency) = &row.agency_org_id else { anyhow::bail!("a webhook row without an agency") };
        let endpoint: Option<(String, String, String)> =
            sqlx::query_as("SELECT id, url, secret_cipher FROM webhooks WHERE agency_org_id = $1 AND active = 1")
                .bind(agency)
                .fetch_optional(&state.db.pool)
                .await?;
        let Some((endpoint_id, url, secret_cipher)) = endpoint else {
            return Ok(Next::Dead { error: "webhook_disabled: 机构没有可用的回调地址".into() });
        };
        // Only people still assigned to this agency (which needs their
        // consent to sharing) are sent: consent may be withdrawn after queueing.
        let Some(body) = still_shared(&state.db.pool, agency, &row.body).await? else {
            return Ok(Next::Dead {
                error: "consent_withdrawn: 相关人员已撤回同意或不再由本机构服务，不再发送".into(),
            });
        };
        let secret = state.vault.decrypt(&secret_cipher)?;
        let outcome = self.channels.webhook(&url, &secret, &row.id, &body).await;
        if matches!(outcome, Outcome::Gone) {
            sqlx::query("UPDATE webhooks SET active = 0, disabled_reason = 'gone_410', updated_at = $1 WHERE id = $2")
                .bind(self.state.now_text())
                .bind(&endpoint_id)
                .execute(&state.db.pool)
                .await?;
            tracing::warn!(webhook_id = %endpoint_id, "webhook endpoint answered 410: disabled");
        }
        Ok(self.after(outcome))
    }

    fn after(&self, outcome: Outcome) -> Next {
        match outcome {
            Outcome::Delivered => Next::Sent,
            Outcome::NotConfigured => Next::Held {
                until: self.state.clock.now() + chrono::Duration::hours(1),
                reason: "sms_gateway_not_configured: 未配置短信网关，短信暂存待发".into(),
            },
            Outcome::Gone => Next::Refused { error: "endpoint_gone: 对方回调地址已停用(410)".into() },
            Outcome::Failed(e) => Next::Retry { error: e },
        }
    }

    /// Whether a message to a person must wait: quiet hours, then the daily
    /// cap (the message is counted against it when it may go now).
    async fn wait_for(&self, person_id: &str, slot: Slot<'_>, now: DateTime<Utc>) -> anyhow::Result<Option<Next>> {
        let quiet_hours = self.state.settings.push.quiet_hours;
        if let Some(wait) = quiet(now, quiet_hours) {
            return Ok(Some(wait));
        }
        Ok(self.reserve_slot(person_id, slot, now).await?.map(|sent_today| Next::Held {
            until: next_day_morning(now, quiet_hours),
            reason: format!("daily_cap: 今天已推送{sent_today}条消息，明天再发送"),
        }))
    }

    /// Count this job against the person's daily cap, unless the cap is
    /// reached (then the number of messages already sent today). The check
    /// and the reservation run under a per-person lock (PostgreSQL advisory
    /// lock; SQLite has one writer), so several push processes never pass the cap.
    pub async fn reserve(&self, person_id: &str, job_id: &str, now: DateTime<Utc>) -> anyhow::Result<Option<i64>> {
        self.reserve_slot(person_id, Slot::Job(job_id), now).await
    }

    /// The same for a job or a policy notice: both count against the cap.
    async fn reserve_slot(&self, person_id: &str, slot: Slot<'_>, now: DateTime<Utc>) -> anyhow::Result<Option<i64>> {
        let day = day_start(now).with_timezone(&jobmatch_core::time::shanghai()).date_naive().to_string();
        let mut tx = self.state.db.pool.begin().await?;
        if self.state.db.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))::text").bind(person_id).fetch_one(&mut *tx).await?;
        }
        let jobs: Vec<String> =
            sqlx::query_scalar("SELECT job_id FROM push_daily_sends WHERE person_id = $1 AND day = $2")
                .bind(person_id)
                .bind(&day)
                .fetch_all(&mut *tx)
                .await?;
        let notices: Vec<String> =
            sqlx::query_scalar("SELECT notice_id FROM push_daily_notices WHERE person_id = $1 AND day = $2")
                .bind(person_id)
                .bind(&day)
                .fetch_all(&mut *tx)
                .await?;
        let (already, insert) = match slot {
            Slot::Job(id) => (
                jobs.iter().any(|j| j == id),
                "INSERT INTO push_daily_sends (person_id, day, job_id, created_at) VALUES ($1, $2, $3, $4)",
            ),
            Slot::Notice(id) => (
                notices.iter().any(|n| n == id),
                "INSERT INTO push_daily_notices (person_id, day, notice_id, created_at) VALUES ($1, $2, $3, $4)",
            ),
        };
        if already {
            return Ok(None);
        }
        let sent = jobs.len() + notices.len();
        if sent >= self.state.settings.push.daily_cap as usize {
            return Ok(Some(sent as i64));
        }
        let (Slot::Job(id) | Slot::Notice(id)) = slot;
        sqlx::query(insert).bind(person_id).bind(&day).bind(id).bind(to_text(now)).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(None)
    }

    /// The row's next state from what happened: status, attempts, the
    /// error, when it is due again, when it was sent, and the metric's outcome.
    fn outcome(&self, attempts: i64, next: &Next, now: DateTime<Utc>) -> anyhow::Result<Outcomes> {
        let now_t = to_text(now);
        let schedule = &self.state.settings.push.retry_schedule;
        Ok(match next {
            Next::Sent => ("sent", attempts + 1, None, now_t.clone(), Some(now_t), "sent"),
            Next::Held { until, reason } => ("held", attempts, Some(reason.clone()), to_text(*until), None, "held"),
            Next::Dead { error } => ("dead", attempts, Some(error.clone()), now_t, None, "dead"),
            Next::Refused { error } => ("dead", attempts + 1, Some(error.clone()), now_t, None, "dead"),
            Next::Retry { error } => {
                let attempts = attempts + 1;
                match schedule.get(attempts as usize - 1) {
                    Some(wait) => {
                        let due = to_text(now + chrono::Duration::from_std(*wait)?);
                        ("failed", attempts, Some(error.clone()), due, None, "failed")
                    }
                    None => ("dead", attempts, Some(error.clone()), now_t, None, "dead"),
                }
            }
        })
    }

    /// Write a row's next state into `table` (`notifications` or
    /// `policy_notices`), if this worker still holds its lease; false when
    /// the lease was lost.
    async fn write_state(
        &self,
        conn: &mut sqlx::AnyConnection,
        table: &str,
        id: &str,
        o: &Outcomes,
        now_t: &str,
    ) -> Result<bool, sqlx::Error> {
        let (status, attempts, error, due, sent_at, _) = o;
        let done = sqlx::query(&format!(
            "UPDATE {table} SET status = $1, attempts = $2, last_error = $3, due_at = $4,
                 sent_at = COALESCE($5, sent_at), lease_owner = NULL, lease_until = NULL, updated_at = $6
             WHERE id = $7 AND lease_owner = $8"
        ))
        .bind(*status)
        .bind(*attempts)
        .bind(error)
        .bind(due)
        .bind(sent_at)
        .bind(now_t)
        .bind(id)
        .bind(&self.owner)
        .execute(conn)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Write the outcome, if this worker still holds the row's lease.
    async fn record(&self, row: &Claimed, next: Next) -> anyhow::Result<()> {
        let state = &self.state;
        let now = self.state.clock.now();
        let now_t = to_text(now);
        let o = self.outcome(row.attempts, &next, now)?;
        let (status, attempts, error, outcome) = (o.0, o.1, o.2.clone(), o.5);
        let mut tx = state.db.pool.begin().await?;
        if !self.write_state(&mut tx, "notifications", &row.id, &o, &now_t).await? {
            tracing::warn!(notification_id = %row.id, "lease lost before the outcome was written");
            return Ok(());
        }
        if attempts > row.attempts {
            sqlx::query(
                "INSERT INTO notification_attempts (notification_id, attempt, outcome, detail, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&row.id)
            .bind(attempts)
            .bind(outcome)
            .bind(&error)
            .bind(&now_t)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        state.metrics.count_with(
            "jobmatch_push_deliveries_total",
            &[("channel", &row.channel), ("outcome", outcome)],
            1,
        );
        if status == "sent" {
            if let Some(opened) = jobmatch_core::time::from_text(&row.job_opened_at) {
                let secs = (now - opened).num_milliseconds().max(0) as f64 / 1000.0;
                state.metrics.observe_seconds("jobmatch_push_open_to_sent_seconds", secs);
            }
        }
        Ok(())
    }

    /// Queue depth by state, for `/metrics`.
    pub async fn refresh_depth(&self) -> anyhow::Result<()> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM notifications GROUP BY status")
            .fetch_all(&self.state.db.pool)
            .await?;
        for s in ["pending", "held", "sent", "failed", "dead"] {
            let n = rows.iter().find(|(st, _)| st == s).map(|(_, n)| *n).unwrap_or(0);
            self.state.metrics.gauge("jobmatch_push_queue_depth", &[("state", s)], n as f64);
        }
        Ok(())
    }
}

/// Held until quiet hours end, when they hold at `now`.
fn quiet(now: DateTime<Utc>, quiet_hours: Option<jobmatch_core::config::QuietHours>) -> Option<Next> {
    quiet_until(now, quiet_hours)
        .map(|until| Next::Held { until, reason: "quiet_hours: 夜间免打扰，早上再发送".into() })
}

/// A queued webhook body with only the people still assigned to `agency`
/// (None when nobody is left to tell it about).
async fn still_shared(pool: &sqlx::AnyPool, agency: &str, body: &str) -> anyhow::Result<Option<String>> {
    let mut payload: serde_json::Value = serde_json::from_str(body)?;
    let Some(people) = payload["data"]["people"].as_array() else { return Ok(None) };
    let assigned: HashSet<String> = records::agency::assigned_people(pool, agency).await?.into_iter().collect();
    let kept: Vec<serde_json::Value> =
        people.iter().filter(|p| p["person_id"].as_str().is_some_and(|id| assigned.contains(id))).cloned().collect();
    if kept.is_empty() {
        return Ok(None);
    }
    if kept.len() == people.len() {
        return Ok(Some(body.to_string()));
    }
    payload["data"]["people"] = serde_json::Value::Array(kept);
    Ok(Some(payload.to_string()))
}
