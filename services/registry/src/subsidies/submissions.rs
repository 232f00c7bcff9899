//! 报送: each reporting unit submits its month's 进度表 by the 25th; the
//! figures are frozen with who and when. From the 20th the unit's staff are
//! reminded to check them. The city sees every unit's state. A correction
//! after submission is a resubmission: a new frozen copy with a note, and
//! the difference from the one before.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{Datelike, NaiveDate};
use jobmatch_core::error::Problem;
use jobmatch_core::http::{JsonBody, QueryParams};
use jobmatch_core::ids::new_id;
use jobmatch_core::time::{from_text, shanghai};
use jobmatch_core::validate::{read_body, Errors, Fields, RequestBody};
use jobmatch_core::{ApiError, ApiResult, AppState, Principal, Role};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::lists::{read_past_month, read_unit};
use crate::outcomes::figures::{compute, Period};
use crate::outcomes::report::{may_read, read_region, tabulate, units, Column, Figures};
use crate::outcomes::{month_text, parse_month, read_month};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(submit, list_submissions))
}

/// A figure that changed between two submissions.
#[derive(Clone, Serialize, ToSchema, Debug, PartialEq)]
pub struct Change {
    /// The figure's key (`helped_total`, …).
    pub figure: String,
    /// Its header on the form.
    pub header: String,
    pub from: i64,
    pub to: i64,
}

/// A frozen submission.
#[derive(Clone, Serialize, ToSchema)]
pub struct Submission {
    pub id: String,
    pub unit_code: String,
    pub month: String,
    /// 1 for the first submission, then one more per resubmission.
    pub sequence: i64,
    pub figures: Figures,
    pub note: Option<String>,
    pub submitted_by: String,
    pub submitted_at: String,
    /// Submitted after the deadline (the first submission's time counts).
    pub late: bool,
    /// What differs from the submission before (empty for the first).
    pub changes: Vec<Change>,
    /// The days its figures cover (统计期间, the policy's `report.period`).
    pub period_from: String,
    pub period_to: String,
}

/// `{ unit_code, month, note? }` (a note is required for a resubmission).
#[derive(ToSchema)]
pub struct SubmissionCreate {
    pub unit_code: String,
    #[schema(value_type = String)]
    pub month: NaiveDate,
    pub note: Option<String>,
}

impl RequestBody for SubmissionCreate {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<SubmissionCreate> {
        let unit_code = read_unit(f, state, errs);
        let month = read_past_month(f, state.today(), errs);
        let note = f.string("note", false, 2, 500, errs);
        Some(SubmissionCreate { unit_code: unit_code?, month: month?, note })
    }
}

fn day_of(instant: &str) -> Option<NaiveDate> {
    from_text(instant).map(|t| t.with_timezone(&shanghai()).date_naive())
}

pub fn changes(before: &Figures, after: &Figures) -> Vec<Change> {
    Column::ALL
        .into_iter()
        .filter(|c| before[*c] != after[*c])
        .map(|c| Change { figure: c.key().into(), header: c.header().into(), from: before[c], to: after[c] })
        .collect()
}

type StoredSubmission = (String, String, String, i64, String, Option<String>, String, String);

async fn submissions_of(state: &AppState, month: &str, unit: &str) -> Result<Vec<Submission>, sqlx::Error> {
    let rows: Vec<StoredSubmission> = sqlx::query_as(
        "SELECT id, unit_code, month, sequence, figures, note, submitted_by, submitted_at FROM report_submissions
         WHERE month = $1 AND ($2 = '' OR unit_code = $2) ORDER BY unit_code, sequence",
    )
    .bind(month)
    .bind(unit)
    .fetch_all(&state.db.pool)
    .await?;
    let mut out: Vec<Submission> = Vec::new();
    for (id, unit_code, month, sequence, figures, note, submitted_by, submitted_at) in rows {
        let figures: Figures = serde_json::from_str(&figures).unwrap_or_default();
        let before = out.iter().rev().find(|s| s.unit_code == unit_code);
        let first_at = before.map(|b| b.late);
        let changes = before.map(|b| changes(&b.figures, &figures)).unwrap_or_default();
        let due = parse_month(&month).map(|m| state.policy.report.deadline(m));
        let (from, to) = parse_month(&month).map(|m| state.policy.report.period_of(m)).unzip();
        let late = first_at.unwrap_or_else(|| day_of(&submitted_at).zip(due).is_some_and(|(d, due)| d > due));
        out.push(Submission {
            id,
            unit_code,
            month,
            sequence,
            figures,
            note,
            submitted_by,
            submitted_at,
            late,
            changes,
            period_from: from.map(|d| d.to_string()).unwrap_or_default(),
            period_to: to.map(|d| d.to_string()).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Submit a unit's 进度表 for a month: its figures as computed now, frozen
/// with who and when. A second submission is a correction: it needs a
/// `note`, must differ, and shows what changed. Admin, the unit's staff.
#[utoipa::path(post, path = "/v1/reports/progress/submissions", tag = "reports", request_body = SubmissionCreate,
    responses((status = 201, body = Submission), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn submit(
    State(state): State<AppState>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Submission>)> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let SubmissionCreate { unit_code, month, note } = read_body(&body, &state)?;
    if !caller.covers_region(&state, &unit_code) {
        return Err(ApiError::not_found());
    }
    let month_s = month_text(month);
    let (first, last) = state.policy.report.period_of(month);
    let columns = compute(&state, Period { first, last }).await?;
    let unit = units(&state, &unit_code).ok_or_else(ApiError::not_found)?;
    let (rows, _) = tabulate(&columns, &unit);
    let figures = rows.into_iter().next().map(|r| r.figures).unwrap_or_default();
    let before = submissions_of(&state, &month_s, &unit_code).await?;
    if let Some(last) = before.last() {
        if note.is_none() {
            return Err(ApiError::validation(vec![jobmatch_core::error::FieldError::new(
                "note",
                "required",
                "本月已报送；更正后重新报送须说明原因",
            )]));
        }
        if last.figures == figures {
            return Err(ApiError::conflict("nothing_changed", "数据与上次报送相同，无需重新报送"));
        }
    }
    let sequence = before.last().map(|s| s.sequence + 1).unwrap_or(1);
    let id = new_id("sub");
    let now = state.now_text();
    let inserted = sqlx::query(
        "INSERT INTO report_submissions (id, unit_code, month, sequence, figures, note, submitted_by, submitted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (unit_code, month, sequence) DO NOTHING",
    )
    .bind(&id)
    .bind(&unit_code)
    .bind(&month_s)
    .bind(sequence)
    .bind(serde_json::to_string(&figures).map_err(anyhow::Error::from)?)
    .bind(&note)
    .bind(&caller.key_id)
    .bind(&now)
    .execute(&state.db.pool)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(ApiError::conflict("concurrent_update", "另一份报送刚刚提交，请刷新后再试"));
    }
    let mut all = submissions_of(&state, &month_s, &unit_code).await?;
    let mine = all.pop().filter(|s| s.id == id).ok_or_else(|| anyhow::anyhow!("submission {id} not read back"))?;
    Ok((StatusCode::CREATED, Json(mine)))
}

/// A unit's 报送 state for a month.
#[derive(Serialize, ToSchema)]
pub struct UnitSubmission {
    pub unit_code: String,
    pub unit_name: String,
    /// `not_started`, `submitted`, `late` (not submitted after the
    /// deadline), `submitted_late`.
    pub state: String,
    /// From the 20th until submitted: the unit's staff are reminded.
    pub reminder: bool,
    /// The latest frozen submission, with its changes from the one before.
    pub latest: Option<Submission>,
    pub submissions: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SubmissionBoard {
    pub month: String,
    pub region: String,
    /// The last day to submit on time.
    pub deadline: String,
    pub reminder_from: String,
    /// The days the month's figures cover (统计期间).
    pub period_from: String,
    pub period_to: String,
    pub units: Vec<UnitSubmission>,
}

/// The 报送 state of every unit under `region` (default the city) for a
/// month. Admin, and staff for their region.
#[utoipa::path(get, path = "/v1/reports/progress/submissions", tag = "reports",
    params(("month" = String, Query, description = "YYYY-MM"), ("region" = Option<String>, Query)),
    responses((status = 200, body = SubmissionBoard), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn list_submissions(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<SubmissionBoard>> {
    let mut errs = Errors::default();
    params.deny_unknown(&["month", "region"], &mut errs);
    let month = read_month(&params, &mut errs);
    let unit_list = read_region(&state, &params, &mut errs);
    QueryParams::finish(errs)?;
    let (Some(month), Some(unit_list)) = (month, unit_list) else {
        return Err(anyhow::anyhow!("checked above").into());
    };
    let region = params.get("region").unwrap_or("330400").to_string();
    may_read(&state, &caller, &region)?;
    let month_s = month_text(month);
    let all = submissions_of(&state, &month_s, "").await?;
    let due = state.policy.report.deadline(month);
    let reminder_from = month.with_day(state.policy.report.reminder_day).unwrap_or(due);
    let (period_from, period_to) = state.policy.report.period_of(month);
    let today = state.today();
    let mut out = Vec::new();
    for (code, name) in unit_list {
        let mine: Vec<&Submission> = all.iter().filter(|s| s.unit_code == code).collect();
        let state_text = match mine.first() {
            Some(first) if first.late => "submitted_late",
            Some(_) => "submitted",
            None if today > due => "late",
            None => "not_started",
        };
        let n = mine.len() as i64;
        let latest = mine.last().map(|s| (*s).clone());
        out.push(UnitSubmission {
            unit_code: code,
            unit_name: name,
            state: state_text.into(),
            reminder: n == 0 && today >= reminder_from && month <= today,
            latest,
            submissions: n,
        });
    }
    Ok(Json(SubmissionBoard {
        month: month_s,
        region,
        deadline: due.to_string(),
        reminder_from: reminder_from.to_string(),
        period_from: period_from.to_string(),
        period_to: period_to.to_string(),
        units: out,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resubmission_shows_only_what_changed() {
        let before = Figures { helped_total: 3, flexible: 2, employer: 1, ..Figures::default() };
        let after = Figures { helped_total: 4, flexible: 2, employer: 2, ..Figures::default() };
        let c = changes(&before, &after);
        let keys: Vec<(&str, i64, i64)> = c.iter().map(|c| (c.figure.as_str(), c.from, c.to)).collect();
        assert_eq!(keys, [("helped_total", 3, 4), ("employer", 1, 2)]);
    }

    #[test]
    fn the_policy_says_what_a_month_covers() {
        let feb = NaiveDate::from_ymd_opt(2025, 2, 1).unwrap();
        let mut p = jobmatch_core::policy::ReportPolicy::default();
        assert_eq!(p.deadline(feb).to_string(), "2025-02-25");
        let (a, b) = p.period_of(feb);
        assert_eq!((a.to_string(), b.to_string()), ("2025-02-01".into(), "2025-02-28".into()));
        p.period = "to_submission_day".into();
        let (a, b) = p.period_of(feb);
        assert_eq!((a.to_string(), b.to_string()), ("2025-01-26".into(), "2025-02-25".into()));
    }
}
