//! The matching service's HTTP side: `GET /v1/persons/{id}/matches`,
//! `GET /v1/jobs/{id}/candidates`, and `POST /v1/jobs/{id}/fitting-people`
//! and `POST /v1/persons/{id}/fitting-jobs` (the push service's questions
//! when it runs apart). Handlers get the
//! matcher through their state, so a router without one cannot be built.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRef, Path, State};
use axum::Json;
use jobmatch_core::access;
use jobmatch_core::domain::{Job, JobStatus, Person};
use jobmatch_core::error::{ApiResult, Problem};
use jobmatch_core::events::Position;
use jobmatch_core::http::{JsonBody, QueryParams};
use jobmatch_core::records;
use jobmatch_core::state::{Candidate, CandidateQuery, JobFit, NotCaughtUp};
use jobmatch_core::validate::{read_body, Errors, Fields, RequestBody};
use jobmatch_core::{ApiError, AppState, Principal, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::engine::facts::PersonFacts;
use crate::engine::matcher::{Matcher, Only};

/// What the matching handlers run with: the application and the matcher.
#[derive(Clone)]
pub struct MatchingState {
    pub app: AppState,
    pub matcher: Arc<Matcher>,
}

impl FromRef<MatchingState> for AppState {
    fn from_ref(state: &MatchingState) -> AppState {
        state.app.clone()
    }
}

/// The matching routes, to be given a [`MatchingState`] with `with_state`.
pub fn routes() -> OpenApiRouter<MatchingState> {
    OpenApiRouter::new()
        .routes(routes!(person_matches))
        .routes(routes!(job_candidates))
        .routes(routes!(fitting_people))
        .routes(routes!(fitting_jobs))
}

/// The matching routes bound to `matcher`.
pub fn router(app: AppState, matcher: Arc<Matcher>) -> OpenApiRouter<AppState> {
    routes().with_state(MatchingState { app, matcher })
}

/// A job for a person.
#[derive(Serialize, ToSchema)]
pub struct JobMatchItem {
    pub job: Job,
    /// 0–1, comparable within one list.
    pub score: f32,
    /// Short Chinese reasons staff can read out, e.g. 技能匹配: 保洁; 同街道.
    pub reasons: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MatchList {
    pub items: Vec<JobMatchItem>,
}

/// A person for a job, as the caller may see them.
#[derive(Serialize, ToSchema)]
pub struct CandidateItem {
    pub person: CandidatePerson,
    pub score: f32,
    pub reasons: Vec<String>,
}

/// Admin and staff get the masked record; an agency the masked record
/// without disability, allowance, family or address details; a publisher
/// only what an employer needs to decide whether to call.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum CandidatePerson {
    Record(Box<Person>),
    Publisher(PublisherCandidate),
}

/// A candidate as a publisher (employer, gig market) sees them: nothing of
/// hardship groups, service needs, address, birth date or numbers.
#[derive(Serialize, ToSchema)]
pub struct PublisherCandidate {
    pub id: String,
    /// Surname and last character, e.g. `王*国`.
    pub name: String,
    /// Five-year band, e.g. `55-59`.
    pub age_band: String,
    pub skills: Vec<String>,
    pub certificates: Vec<String>,
}

/// `55-59` for 57.
pub fn age_band(age: i64) -> String {
    let lo = age.div_euclid(5) * 5;
    format!("{lo}-{}", lo + 4)
}

#[derive(Serialize, ToSchema)]
pub struct CandidateList {
    pub items: Vec<CandidateItem>,
}

fn read_limit(params: &QueryParams, default: usize, max: usize) -> ApiResult<usize> {
    let mut errs = Errors::default();
    params.deny_unknown(&["limit"], &mut errs);
    let limit = params.limit(default, max, &mut errs);
    QueryParams::finish(errs)?;
    Ok(limit)
}

/// The best open jobs for a person, best first. Only jobs that keep every
/// hard rule of the contract are ever listed; a person who is employed or
/// not wanting work now gets none. Admin, staff of the person's region, and
/// the agency the person is assigned to (with consent); others get 404.
#[utoipa::path(get, path = "/v1/persons/{id}/matches", tag = "matching",
    params(("id" = String, Path), ("limit" = Option<usize>, Query, description = "1–100, default 20")),
    responses((status = 200, body = MatchList), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn person_matches(
    State(MatchingState { app: state, matcher }): State<MatchingState>,
    caller: Principal,
    Path(id): Path<String>,
    query: QueryParams,
) -> ApiResult<Json<MatchList>> {
    let limit = read_limit(&query, 20, 100)?;
    let stored = access::person_for(&state, &caller, &id).await?;
    let person = records::persons::to_matchable(&state, &stored, state.today())?;
    let Some(facts) =
        PersonFacts::build(person, &state.regions, &state.vocab, &matcher.analysis, &state.policy.public_welfare)
    else {
        return Ok(Json(MatchList { items: Vec::new() }));
    };
    let found = tokio::task::spawn_blocking(move || matcher.matches_for(&facts, limit))
        .await
        .map_err(anyhow::Error::from)??;
    let items = found
        .into_iter()
        .map(|m| JobMatchItem { job: m.facts.job, score: m.scored.score, reasons: m.scored.reasons })
        .collect();
    Ok(Json(MatchList { items }))
}

/// The best people for an open job, best first, masked. Admin sees all;
/// staff the people of their region; an agency only the people assigned to
/// it (without disability or allowance details); a publisher, for its own
/// jobs only, the people who consented to being recommended to employers
/// (`consent.recommend_to_employers`), as a masked name, an age band, skills
/// and certificates, with no reason that tells a hardship group.
#[utoipa::path(get, path = "/v1/jobs/{id}/candidates", tag = "matching",
    params(("id" = String, Path), ("limit" = Option<usize>, Query, description = "1–200, default 50")),
    responses((status = 200, body = CandidateList), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn job_candidates(
    State(MatchingState { app: state, matcher }): State<MatchingState>,
    caller: Principal,
    Path(id): Path<String>,
    params: QueryParams,
) -> ApiResult<Json<CandidateList>> {
    caller.require(&[Role::Admin, Role::Staff, Role::Publisher, Role::Agency])?;
    let limit = read_limit(&params, 50, 200)?;
    let job_row = records::jobs::get(&state, &id).await?.ok_or_else(ApiError::not_found)?;
    let visible = match caller.role {
        Role::Admin => true,
        Role::Staff => {
            job_row.job.status == JobStatus::Open || caller.covers_region(&state, &job_row.job.input.region_code)
        }
        Role::Agency => job_row.job.status == JobStatus::Open,
        Role::Publisher => job_row.publisher_org_id == caller.org_id,
    };
    if !visible {
        return Err(ApiError::not_found());
    }
    let scope = (caller.role == Role::Staff).then(|| caller.region_code.clone());
    let role = caller.role;
    caller.limit_agency_lists(&state)?;
    let ids = if role == Role::Agency {
        Some(records::agency::assigned_people(&state.db.pool, &caller.org_id).await?)
    } else {
        None
    };
    let found = tokio::task::spawn_blocking(move || {
        let (facts, _) = matcher.job_facts(job_row.job);
        let only = Only {
            home_scope: scope.as_deref(),
            ids: ids.as_deref(),
            push_consent: false,
            recommend_consent: role == Role::Publisher,
        };
        matcher.candidates_for(&facts, &only, limit)
    })
    .await
    .map_err(anyhow::Error::from)??;
    // What is shown comes from the store, not the index (which keeps no
    // names): a person changed since indexing is shown as they are now.
    let ids: Vec<String> = found.iter().map(|m| m.facts.person.id.clone()).collect();
    let stored: HashMap<String, records::persons::StoredPerson> = records::persons::get_many(&state.db.pool, &ids)
        .await?
        .into_iter()
        .map(|record| (record.id.clone(), record))
        .collect();
    let day = state.today();
    let mut items = Vec::with_capacity(found.len());
    for m in found {
        let Some(record) = stored.get(&m.facts.person.id) else { continue };
        let person = records::persons::to_person(&state, record, false, day)?;
        let (person, reasons) = match role {
            Role::Publisher => {
                if !person.profile.consent.recommend_to_employers {
                    continue;
                }
                let shown = PublisherCandidate {
                    id: person.id,
                    name: records::persons::mask_name(&person.profile.name),
                    age_band: age_band(person.age),
                    skills: person.profile.skills,
                    certificates: person.profile.certificates,
                };
                let reasons = m.scored.reasons.into_iter().filter(|r| !crate::engine::rank::reveals_group(r)).collect();
                (CandidatePerson::Publisher(shown), reasons)
            }
            Role::Agency => (CandidatePerson::Record(Box::new(records::agency::for_agency(person))), m.scored.reasons),
            Role::Admin | Role::Staff => (CandidatePerson::Record(Box::new(person)), m.scored.reasons),
        };
        items.push(CandidateItem { person, score: m.scored.score, reasons });
    }
    Ok(Json(CandidateList { items }))
}

/// The problem code of a fitting-people question this replica cannot answer yet.
pub const NOT_CAUGHT_UP: &str = "not_caught_up";

/// The push service's question, when it runs apart from matching.
#[derive(ToSchema)]
pub struct FittingQuery {
    /// 1–1000, default 200.
    pub limit: Option<usize>,
    /// Only people who consented to push.
    pub push_consent: Option<bool>,
    /// Only these people (at most 10,000).
    pub person_ids: Option<Vec<String>>,
    /// An outbox position (`xid:id`): answer only once this replica has
    /// applied every event up to it, else 503 `not_caught_up`.
    pub through: Option<String>,
}

/// `through`: an outbox position, like `0:42`.
fn read_through(f: &Fields<'_>, errs: &mut Errors) -> Option<String> {
    f.string("through", false, 1, 41, errs).filter(|text| {
        let known = Position::parse(text).is_some();
        if !known {
            errs.add("through", "invalid_position", "应为出站事件位置，如 0:42");
        }
        known
    })
}

/// 503 `not_caught_up`: this replica has not applied the events asked for.
fn not_caught_up() -> ApiError {
    Problem::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, NOT_CAUGHT_UP, "匹配服务尚未同步到该位置", "稍后重试")
        .into()
}

impl RequestBody for FittingQuery {
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<FittingQuery> {
        Some(FittingQuery {
            limit: f.int("limit", false, 1, 1000, errs).map(|n| n as usize),
            push_consent: f.boolean("push_consent", false, errs),
            person_ids: f.strings("person_ids", 10_000, 64, errs),
            through: read_through(f, errs),
        })
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct FittingPeople {
    pub items: Vec<Candidate>,
}

/// The people who fit an open job, best first, with their consents: what
/// the push service asks when it runs apart from matching (admin keys
/// only). The same answer the push service gets in-process.
#[utoipa::path(post, path = "/v1/jobs/{id}/fitting-people", tag = "matching",
    params(("id" = String, Path)), request_body = FittingQuery,
    responses((status = 200, body = FittingPeople), (status = 403, body = Problem), (status = 422, body = Problem),
              (status = 503, body = Problem)),
    security(("bearer" = [])))]
async fn fitting_people(
    State(MatchingState { app, matcher }): State<MatchingState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<FittingPeople>> {
    caller.require(&[Role::Admin])?;
    let FittingQuery { limit, push_consent, person_ids, through } = read_body(&body, &app)?;
    let through = through.as_deref().and_then(Position::parse);
    let query = CandidateQuery { push_consent: push_consent.unwrap_or(false), ids: person_ids, through };
    let limit = limit.unwrap_or(200);
    match matcher.fitting_people_of(&id, query, limit).await {
        Ok(items) => Ok(Json(FittingPeople { items })),
        Err(e) if e.is::<NotCaughtUp>() => Err(not_caught_up()),
        Err(e) => Err(e.into()),
    }
}

/// The push service's question about a person who became ready for work.
#[derive(ToSchema)]
pub struct FittingJobsQuery {
    /// 1–100, default 20.
    pub limit: Option<usize>,
    /// An outbox position (`xid:id`): answer only once this replica has
    /// applied every event up to it, else 503 `not_caught_up`.
    pub through: Option<String>,
}

impl RequestBody for FittingJobsQuery {
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<FittingJobsQuery> {
        Some(FittingJobsQuery {
            limit: f.int("limit", false, 1, 100, errs).map(|n| n as usize),
            through: read_through(f, errs),
        })
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct FittingJobs {
    pub items: Vec<JobFit>,
}

/// The open jobs that fit a person, best first, with their scores: what the
/// push service asks when it runs apart from matching and someone becomes
/// ready for work (admin keys only). Nothing for a person who is not
/// matchable; the same answer the push service gets in-process.
#[utoipa::path(post, path = "/v1/persons/{id}/fitting-jobs", tag = "matching",
    params(("id" = String, Path)), request_body = FittingJobsQuery,
    responses((status = 200, body = FittingJobs), (status = 403, body = Problem), (status = 422, body = Problem),
              (status = 503, body = Problem)),
    security(("bearer" = [])))]
async fn fitting_jobs(
    State(MatchingState { app, matcher }): State<MatchingState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<FittingJobs>> {
    caller.require(&[Role::Admin])?;
    let FittingJobsQuery { limit, through } = read_body(&body, &app)?;
    let through = through.as_deref().and_then(Position::parse);
    match matcher.fitting_jobs_of(&id, through, limit.unwrap_or(20)).await {
        Ok(items) => Ok(Json(FittingJobs { items })),
        Err(e) if e.is::<NotCaughtUp>() => Err(not_caught_up()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_shown_to_publishers_in_five_year_bands() {
        assert_eq!(age_band(57), "55-59");
        assert_eq!(age_band(60), "60-64");
    }
}
