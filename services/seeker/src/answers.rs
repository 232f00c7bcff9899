//! What a job seeker answered and what it sets going: 我感兴趣 opens a lead
//! for the person's community staff (and their agency); 不合适 keeps the job
//! from being pushed to them again, and 已经找到工作 opens a task to record
//! the placement. One answer per person and job; the same answer again
//! changes nothing.

use jobmatch_core::domain::JobStatus;
use jobmatch_core::links::Link;
use jobmatch_core::records;
use jobmatch_core::AppState;
use jobmatch_registry::persons::store::{self, Actor, Updated};
use sqlx::AnyConnection;

use crate::pages::{may_open, AnswerForm};

/// Why a job does not fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    TooFar,
    LowPay,
    BadHours,
    TooHard,
    FoundWork,
    Other,
}

impl Reason {
    pub const ALL: [Reason; 6] =
        [Reason::TooFar, Reason::LowPay, Reason::BadHours, Reason::TooHard, Reason::FoundWork, Reason::Other];

    pub fn code(self) -> &'static str {
        match self {
            Reason::TooFar => "too_far",
            Reason::LowPay => "low_pay",
            Reason::BadHours => "bad_hours",
            Reason::TooHard => "too_hard",
            Reason::FoundWork => "found_work",
            Reason::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Reason::TooFar => "太远",
            Reason::LowPay => "工资低",
            Reason::BadHours => "时间不合适",
            Reason::TooHard => "身体吃不消",
            Reason::FoundWork => "已经找到工作",
            Reason::Other => "其他",
        }
    }

    pub fn parse(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// Free words kept with a reason, in characters.
pub const REASON_TEXT_CHARS: usize = 200;

/// One answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub interested: bool,
    pub wants_contact: bool,
    pub reason: Option<Reason>,
    pub reason_text: Option<String>,
}

impl Answer {
    /// The answer a form says, or None when it says none (不合适 without a reason).
    pub fn from_form(form: &AnswerForm) -> Option<Answer> {
        let text = form
            .other
            .as_deref()
            .map(|t| t.trim().chars().filter(|c| !c.is_control()).take(REASON_TEXT_CHARS).collect::<String>())
            .filter(|t| !t.is_empty());
        match form.answer.as_deref()? {
            "interested" => Some(Answer {
                interested: true,
                wants_contact: form.contact.as_deref() == Some("1"),
                reason: None,
                reason_text: None,
            }),
            "not_fitting" => {
                let reason = Reason::parse(form.reason.as_deref()?)?;
                Some(Answer { interested: false, wants_contact: false, reason: Some(reason), reason_text: text })
            }
            _ => None,
        }
    }

    /// `我感兴趣（请工作人员联系我）`, `不合适（太远）`.
    pub fn said(&self) -> String {
        match (self.interested, self.reason) {
            (true, _) if self.wants_contact => "我感兴趣（请工作人员联系我）".into(),
            (true, _) => "我感兴趣".into(),
            (false, Some(r)) => match &self.reason_text {
                Some(text) => format!("不合适（{}：{text}）", r.label()),
                None => format!("不合适（{}）", r.label()),
            },
            (false, None) => "不合适".into(),
        }
    }

    fn code(&self) -> &'static str {
        if self.interested {
            "interested"
        } else {
            "not_fitting"
        }
    }
}

#[derive(sqlx::FromRow)]
struct AnswerRow {
    answer: String,
    reason: Option<String>,
    reason_text: Option<String>,
    wants_contact: i64,
}

/// The person's answer to the job, if any.
pub async fn current(pool: &sqlx::AnyPool, person_id: &str, job_id: &str) -> anyhow::Result<Option<Answer>> {
    let row: Option<AnswerRow> = sqlx::query_as(
        "SELECT answer, reason, reason_text, wants_contact FROM seeker_answers WHERE person_id = $1 AND job_id = $2",
    )
    .bind(person_id)
    .bind(job_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| Answer {
        interested: r.answer == "interested",
        wants_contact: r.wants_contact == 1,
        reason: r.reason.as_deref().and_then(Reason::parse),
        reason_text: r.reason_text,
    }))
}

/// What recording an answer did.
#[derive(Debug, PartialEq, Eq)]
pub enum Recorded {
    Saved,
    /// The job is not one the link opens.
    NotYours,
    /// The job closed: nothing recorded.
    JobClosed,
}

/// Record `answer` of the link's person to `job_id`, with its lead, in one
/// transaction.
pub async fn record(state: &AppState, link: &Link, job_id: &str, answer: &Answer) -> anyhow::Result<Recorded> {
    if !may_open(state, link, job_id).await? {
        return Ok(Recorded::NotYours);
    }
    let Some(job) = records::jobs::get(state, job_id).await? else { return Ok(Recorded::NotYours) };
    if job.job.status != JobStatus::Open {
        return Ok(Recorded::JobClosed);
    }
    let pool = &state.db.pool;
    let person_id = &link.person_id;
    if current(pool, person_id, job_id).await?.as_ref() == Some(answer) {
        return Ok(Recorded::Saved);
    }
    let Some(person) = records::persons::get(pool, person_id).await? else { return Ok(Recorded::NotYours) };
    let region = &person.profile.region_code;
    let now = state.now_text();
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO seeker_answers (person_id, job_id, answer, reason, reason_text, wants_contact, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT (person_id, job_id) DO UPDATE SET answer = excluded.answer, reason = excluded.reason,
           reason_text = excluded.reason_text, wants_contact = excluded.wants_contact, updated_at = excluded.updated_at",
    )
    .bind(person_id)
    .bind(job_id)
    .bind(answer.code())
    .bind(answer.reason.map(Reason::code))
    .bind(&answer.reason_text)
    .bind(answer.wants_contact as i64)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    if answer.interested {
        open_lead(&mut tx, "interested", person_id, job_id, region, answer.wants_contact, &now).await?;
        if job.job.certified_only {
            // A public-welfare recruitment: 我感兴趣 is the person's own application.
            let kind = state.policy.public_welfare.kind_of(&person.sex, person.profile.retirement_kind.as_deref());
            records::welfare::apply_from_page(&mut tx, &state.clock, job_id, person_id, kind).await?;
        }
    } else {
        sqlx::query(
            "UPDATE leads SET status = 'closed', closed_note = '本人回复不合适', updated_at = $1
             WHERE person_id = $2 AND job_id = $3 AND kind = 'interested' AND status = 'open'",
        )
        .bind(&now)
        .bind(person_id)
        .bind(job_id)
        .execute(&mut *tx)
        .await?;
        if answer.reason == Some(Reason::FoundWork) {
            open_lead(&mut tx, "found_work", person_id, job_id, region, false, &now).await?;
        }
    }
    tx.commit().await?;
    let reason = answer.reason.map(Reason::code).unwrap_or("");
    state.metrics.count_with("jobmatch_seeker_answers_total", &[("answer", answer.code()), ("reason", reason)], 1);
    Ok(Recorded::Saved)
}

/// Open (or reopen) the person's lead of `kind` about the job.
async fn open_lead(
    conn: &mut AnyConnection,
    kind: &str,
    person_id: &str,
    job_id: &str,
    region: &str,
    wants_contact: bool,
    now: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO leads (id, kind, person_id, job_id, region_code, wants_contact, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $7)
         ON CONFLICT (person_id, job_id, kind) DO UPDATE SET wants_contact = excluded.wants_contact,
           status = CASE WHEN leads.status = 'closed' THEN 'open' ELSE leads.status END,
           closed_note = CASE WHEN leads.status = 'closed' THEN NULL ELSE leads.closed_note END,
           updated_at = excluded.updated_at",
    )
    .bind(jobmatch_core::ids::new_id("lead"))
    .bind(kind)
    .bind(person_id)
    .bind(job_id)
    .bind(region)
    .bind(wants_contact as i64)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Withdraw the person's push consent, as a change to their record (history
/// with time and source `seeker_page`, an outbox event).
pub async fn withdraw_push_consent(state: &AppState, person_id: &str) -> anyhow::Result<()> {
    for _ in 0..5 {
        let Some(current) = records::persons::get(&state.db.pool, person_id).await? else { return Ok(()) };
        if !current.profile.consent.push {
            return Ok(());
        }
        let mut profile = current.profile.clone();
        profile.consent.push = false;
        let mut tx = state.db.pool.begin().await?;
        match store::update(&mut tx, state, &current, &profile, None, &Actor::system("seeker_page")).await? {
            Updated::Stale => continue,
            Updated::Unchanged | Updated::Changed(..) => {
                tx.commit().await?;
                state.metrics.count_with("jobmatch_seeker_answers_total", &[("answer", "stop_sms"), ("reason", "")], 1);
                return Ok(());
            }
        }
    }
    anyhow::bail!("the person's record kept changing while push consent was withdrawn")
}
