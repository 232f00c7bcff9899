//! The planner: reads job events from the outbox and, when a job opens,
//! reopens or its headcount grows, queues one notification per fitting
//! person (inbox, and SMS when a phone is on record) and one webhook per
//! agency with fitting people assigned to it. When a person becomes ready
//! for work — registered, wanting work now, out of work again, or newly
//! consenting to push — they are told of their best open jobs. Nobody is
//! told of a job they answered 不合适 to. The queue's unique key
//! (recipient, job, channel) makes a repeated plan harmless, so several push
//! processes may plan the same events.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use jobmatch_core::domain::{is_matchable, JobStatus};
use jobmatch_core::events::{self, Position};
use jobmatch_core::records;
use jobmatch_core::state::{Candidate, CandidateQuery, CandidateSource, NotCaughtUp};
use jobmatch_core::time::{from_text, to_text};
use jobmatch_core::AppState;
use serde_json::json;
use sqlx::AnyConnection;

use crate::message::person_notice;

const CURSOR_KEY: &str = "push_planned_event";

pub struct Planner {
    pub state: AppState,
    pub source: Arc<dyn CandidateSource>,
}

/// What a plan queued.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Planned {
    pub people: usize,
    pub rows: usize,
}

impl Planner {
    async fn cursor(&self) -> anyhow::Result<String> {
        let pool = &self.state.db.pool;
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, '0') ON CONFLICT (key) DO NOTHING")
            .bind(CURSOR_KEY)
            .execute(pool)
            .await?;
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1").bind(CURSOR_KEY).fetch_one(pool).await?)
    }

    /// Plan for the job events after the stored cursor; returns how many
    /// events it moved past (events of transactions still open wait for
    /// them: see `core::events`).
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let stored = self.cursor().await?;
        let from = Position::parse(&stored).ok_or_else(|| anyhow::anyhow!("bad push cursor {stored:?}"))?;
        let batch = events::read_after(&self.state.db, from, 500).await?;
        let Some(upto) = batch.last().map(events::Event::position) else {
            return Ok(0);
        };
        // One plan per job or person, timed from its earliest event in the batch.
        let mut plans: Vec<(bool, String, String)> = Vec::new();
        for e in &batch {
            let is_job = e.kind.starts_with("job.");
            if !(is_job || e.kind == "person.created" || e.kind == "person.updated") {
                continue;
            }
            if !plans.iter().any(|(job, id, _)| *job == is_job && *id == e.entity_id) {
                plans.push((is_job, e.entity_id.clone(), e.created_at.clone()));
            }
        }
        // Jobs first: a batch of newly registered people (a department
        // import) must not hold back the notices of a job opened meanwhile.
        plans.sort_by_key(|(is_job, _, _)| !*is_job);
        for (is_job, id, at) in &plans {
            let at = from_text(at).unwrap_or_else(|| self.state.clock.now());
            let planned =
                if *is_job { self.plan(id, at, Some(upto)).await } else { self.plan_person(id, at, Some(upto)).await };
            match planned {
                Ok(_) => {}
                // Matching has not yet applied these events (a person
                // registered just before the job would be missed): keep the
                // cursor and plan again at the next poll. Plans already made
                // are harmless to repeat.
                Err(e) if e.is::<NotCaughtUp>() => return Ok(0),
                Err(e) => return Err(e),
            }
        }
        // Another push process may have moved it on: only move it from
        // where this one read.
        sqlx::query("UPDATE meta SET value = $1 WHERE key = $2 AND value = $3")
            .bind(upto.to_string())
            .bind(CURSOR_KEY)
            .bind(&stored)
            .execute(&self.state.db.pool)
            .await?;
        Ok(batch.len())
    }

    /// Decide whether `job_id` needs notices now and queue them.
    /// `through`: the outbox position the answer must reflect (see
    /// [`CandidateQuery::through`]).
    pub async fn plan(
        &self,
        job_id: &str,
        event_at: DateTime<Utc>,
        through: Option<Position>,
    ) -> anyhow::Result<Planned> {
        let state = &self.state;
        let Some(job_row) = records::jobs::get(state, job_id).await? else { return Ok(Planned::default()) };
        let open = job_row.job.status == JobStatus::Open;
        let headcount = job_row.job.input.headcount;
        let prev: Option<(i64, i64)> = sqlx::query_as("SELECT was_open, headcount FROM push_jobs WHERE job_id = $1")
            .bind(job_id)
            .fetch_optional(&state.db.pool)
            .await?;
        let trigger = open && prev.is_none_or(|(was_open, planned)| was_open == 0 || headcount > planned);
        if !trigger {
            remember(&mut *state.db.pool.acquire().await?, job_id, open, headcount, None, &state.now_text()).await?;
            return Ok(Planned::default());
        }
        let push_settings = &state.settings.push;
        let push = CandidateQuery { push_consent: true, ids: None, through };
        let found = self.source.fitting_people(job_id, push_settings.max_per_job, push).await?;
        let people: Vec<&Candidate> = found
            .iter()
            .filter(|c| c.score >= push_settings.min_score && c.push_consent)
            .take(push_settings.max_per_job)
            .collect();
        // Agencies hear about their own people who fit, whatever their push consent.
        let mut watched: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for row in records::agency::watched_by_webhooks(&state.db.pool).await? {
            watched.entry(row.person_id).or_default().push((row.agency_org_id, row.name));
        }
        let agency_found = if watched.is_empty() {
            Vec::new()
        } else {
            let q = CandidateQuery { push_consent: false, ids: Some(watched.keys().cloned().collect()), through };
            self.source.fitting_people(job_id, push_settings.max_per_job, q).await?
        };
        let fitting: Vec<&Candidate> = agency_found.iter().filter(|c| c.score >= push_settings.min_score).collect();
        let declined = records::seeker::declined_by(&state.db.pool, job_id).await?;
        let people: Vec<&Candidate> = people.into_iter().filter(|c| !declined.contains(&c.person_id)).collect();
        let (title, body) = person_notice(&job_row.job, &state.regions);
        let now = self.state.now_text();
        let opened = to_text(event_at);
        let mut rows = 0;
        let ids: Vec<String> = people.iter().map(|c| c.person_id.clone()).collect();
        let reachable: HashMap<String, records::persons::Reachable> =
            records::persons::reachable(&state.db.pool, &ids).await?.into_iter().map(|r| (r.id.clone(), r)).collect();
        let mut tx = state.db.pool.begin().await?;
        for candidate in &people {
            let Some(person) = reachable.get(&candidate.person_id) else { continue };
            let notice =
                Notice { job_id, score: candidate.score, title: &title, body: &body, opened: &opened, now: &now };
            rows += queue_person(&mut tx, person, &notice).await?;
        }
        rows += queue_agencies(&mut tx, &job_row.job, &fitting, &watched, &opened, &now).await?;
        remember(&mut tx, job_id, true, headcount, Some(&opened), &now).await?;
        tx.commit().await?;
        let secs = (self.state.clock.now() - event_at).num_milliseconds().max(0) as f64 / 1000.0;
        state.metrics.observe_seconds("jobmatch_push_open_to_queued_seconds", secs);
        state.metrics.count_with("jobmatch_push_queued_total", &[], rows as u64);
        tracing::info!(job_id, people = people.len(), rows, "push planned");
        Ok(Planned { people: people.len(), rows })
    }

    /// Decide whether `person_id` just became ready for pushes (matchable
    /// and consenting, and not so when last seen) and, if so, queue notices
    /// of their best open jobs scoring at least the push threshold — as
    /// many as the daily cap lets through in a day.
    pub async fn plan_person(
        &self,
        person_id: &str,
        event_at: DateTime<Utc>,
        through: Option<Position>,
    ) -> anyhow::Result<Planned> {
        let state = &self.state;
        let pool = &state.db.pool;
        let Some(stored) = records::persons::get(pool, person_id).await? else { return Ok(Planned::default()) };
        let profile = &stored.profile;
        let ready = profile.consent.push && is_matchable(profile.employment_status, profile.willingness);
        let was_ready: Option<i64> = sqlx::query_scalar("SELECT was_ready FROM push_persons WHERE person_id = $1")
            .bind(person_id)
            .fetch_optional(pool)
            .await?;
        if !ready || was_ready == Some(1) {
            remember_person(&mut *pool.acquire().await?, person_id, ready, &self.state.now_text()).await?;
            return Ok(Planned::default());
        }
        let push_settings = &state.settings.push;
        let cap = push_settings.daily_cap as usize;
        let declined = records::seeker::declined_jobs(pool, person_id).await?;
        let found = self.source.fitting_jobs(person_id, cap + declined.len(), through).await?;
        let mut jobs = Vec::new();
        for fit in found.iter().filter(|f| f.score >= push_settings.min_score && !declined.contains(&f.job_id)) {
            if let Some(job_row) = records::jobs::get(state, &fit.job_id).await? {
                if job_row.job.status == JobStatus::Open {
                    jobs.push((job_row, fit.score));
                }
            }
            if jobs.len() >= cap {
                break;
            }
        }
        let person = records::persons::Reachable::from(stored);
        let now = self.state.now_text();
        let opened = to_text(event_at);
        let mut rows = 0;
        let mut tx = pool.begin().await?;
        for (job_row, score) in &jobs {
            let (title, body) = person_notice(&job_row.job, &state.regions);
            let notice = Notice {
                job_id: &job_row.job.id,
                score: *score,
                title: &title,
                body: &body,
                opened: &opened,
                now: &now,
            };
            rows += queue_person(&mut tx, &person, &notice).await?;
        }
        remember_person(&mut tx, person_id, true, &now).await?;
        tx.commit().await?;
        state.metrics.count_with("jobmatch_push_queued_total", &[], rows as u64);
        tracing::info!(person_id, jobs = jobs.len(), rows, "push planned for a person ready for work");
        Ok(Planned { people: usize::from(!jobs.is_empty()), rows })
    }
}

async fn remember_person(conn: &mut AnyConnection, person_id: &str, ready: bool, now: &str) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO push_persons (person_id, was_ready, planned_at) VALUES ($1, $2, $3)
         ON CONFLICT (person_id) DO UPDATE SET was_ready = excluded.was_ready, planned_at = excluded.planned_at",
    )
    .bind(person_id)
    .bind(ready as i64)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

async fn remember(
    conn: &mut AnyConnection,
    job_id: &str,
    open: bool,
    headcount: i64,
    opened_at: Option<&str>,
    now: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO push_jobs (job_id, was_open, headcount, opened_at, planned_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (job_id) DO UPDATE SET was_open = excluded.was_open, headcount = excluded.headcount,
           opened_at = CASE WHEN $6 = 1 THEN excluded.opened_at ELSE push_jobs.opened_at END,
           planned_at = CASE WHEN $6 = 1 THEN excluded.planned_at ELSE push_jobs.planned_at END",
    )
    .bind(job_id)
    .bind(open as i64)
    .bind(headcount)
    .bind(opened_at.unwrap_or(now))
    .bind(now)
    .bind(opened_at.is_some() as i64)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a person's notification of a job says, and when.
struct Notice<'a> {
    job_id: &'a str,
    score: f32,
    title: &'a str,
    body: &'a str,
    opened: &'a str,
    now: &'a str,
}

/// Queue `notice` to `person`: in the inbox always, by SMS only when a
/// phone is on record. Returns the rows queued (none when already queued).
async fn queue_person(
    conn: &mut AnyConnection,
    person: &records::persons::Reachable,
    notice: &Notice<'_>,
) -> anyhow::Result<usize> {
    let mut rows = queue_channel(conn, person, "inbox", notice).await?;
    if person.has_phone() {
        rows += queue_channel(conn, person, "sms", notice).await?;
    }
    Ok(rows)
}

async fn queue_channel(
    conn: &mut AnyConnection,
    person: &records::persons::Reachable,
    channel: &str,
    notice: &Notice<'_>,
) -> anyhow::Result<usize> {
    let done = sqlx::query(
        "INSERT INTO notifications (id, job_id, recipient_id, person_id, channel, status, score, region_code, title,
             body, due_at, job_opened_at, created_at, updated_at)
         VALUES ($1, $2, $3, $3, $4, 'pending', $5, $6, $7, $8, $9, $10, $9, $9)
         ON CONFLICT (recipient_id, job_id, channel) DO NOTHING",
    )
    .bind(jobmatch_core::ids::new_id("ntf"))
    .bind(notice.job_id)
    .bind(&person.id)
    .bind(channel)
    .bind(notice.score as f64)
    .bind(&person.region_code)
    .bind(notice.title)
    .bind(notice.body)
    .bind(notice.now)
    .bind(notice.opened)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() as usize)
}

pub use jobmatch_core::records::persons::mask_name;

/// One webhook row per agency that has an active endpoint and fitting
/// people assigned to it who consented to sharing: ids, masked names and
/// scores only — the agency reads details through the API. `watched` maps
/// each assigned person to their agencies (with an active endpoint) and name.
async fn queue_agencies(
    conn: &mut AnyConnection,
    job: &jobmatch_core::domain::Job,
    fitting: &[&Candidate],
    watched: &HashMap<String, Vec<(String, String)>>,
    opened: &str,
    now: &str,
) -> anyhow::Result<usize> {
    let mut by_agency: std::collections::BTreeMap<&str, Vec<serde_json::Value>> = Default::default();
    for c in fitting.iter().filter(|c| c.share_consent) {
        for (agency, name) in watched.get(&c.person_id).into_iter().flatten() {
            by_agency.entry(agency).or_default().push(json!({
                "person_id": c.person_id,
                "name": mask_name(name),
                "score": (c.score * 1000.0).round() / 1000.0,
            }));
        }
    }
    let mut queued = 0;
    for (agency, people) in by_agency {
        let id = jobmatch_core::ids::new_id("ntf");
        let input = &job.input;
        let payload = json!({
            "type": "job.matched",
            "timestamp": now,
            "data": {
                "job_id": job.id,
                "job": { "title": input.title, "category": input.category, "region_code": input.region_code,
                         "pay": input.pay, "headcount": input.headcount },
                "people": people,
            }
        });
        let done = sqlx::query(
            "INSERT INTO notifications (id, job_id, recipient_id, agency_org_id, channel, status, score, region_code,
                 title, body, due_at, job_opened_at, created_at, updated_at)
             VALUES ($1, $2, $3, $3, 'webhook', 'pending', $4, $5, $6, $7, $8, $9, $8, $8)
             ON CONFLICT (recipient_id, job_id, channel) DO NOTHING",
        )
        .bind(&id)
        .bind(&job.id)
        .bind(agency)
        .bind(people.iter().filter_map(|p| p["score"].as_f64()).fold(0.0, f64::max))
        .bind(&input.region_code)
        .bind(format!("岗位匹配：{}", input.title))
        .bind(payload.to_string())
        .bind(now)
        .bind(opened)
        .execute(&mut *conn)
        .await?;
        queued += done.rows_affected() as usize;
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_masked_in_the_middle() {
        assert_eq!(super::mask_name("陈美华"), "陈*华");
        assert_eq!(super::mask_name("欧阳娜娜"), "欧**娜");
        assert_eq!(super::mask_name("李四"), "李*");
    }
}
