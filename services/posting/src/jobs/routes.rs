//! The jobs endpoints of the posting service.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::Json;
use jobmatch_core::domain::{CloseReason, EmploymentType, Job, JobInput, JobSource, JobStatus};
use jobmatch_core::error::{ApiResult, FieldError, Problem};
use jobmatch_core::http::{encode_cursor, json_from_request, JsonBody, ListQuery, QueryParams};
use jobmatch_core::validate::{read_body, Errors, Fields, RequestBody};
use jobmatch_core::{ApiError, AppState, Principal, Role};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::{self, Change, StoredJob};
use super::validate::{read_job, JobRules};
use jobmatch_core::validate::merge_patch;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_job, list_jobs))
        .routes(routes!(get_job, patch_job))
        .routes(routes!(close_job))
        .routes(routes!(import_jobs))
}

#[derive(Serialize, ToSchema)]
pub struct JobPage {
    pub items: Vec<Job>,
    pub next_cursor: Option<String>,
}

/// `POST /v1/jobs/{id}/close` body.
#[derive(ToSchema)]
pub struct CloseBody {
    pub reason: CloseReason,
}

impl RequestBody for CloseBody {
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<CloseBody> {
        let reason = f.one_of("reason", true, CloseReason::ALL, errs).and_then(|r| CloseReason::parse(&r))?;
        Some(CloseBody { reason })
    }
}

/// `POST /v1/jobs/import` body (a bare array of jobs is accepted too). Each
/// row is checked on its own as a job and answered in `results`.
#[derive(ToSchema)]
pub struct ImportBody<'a> {
    #[schema(value_type = Vec<JobInput>)]
    pub jobs: &'a [Value],
}

impl<'a> ImportBody<'a> {
    /// The rows of `body`, without checking them yet.
    fn rows(body: &'a Value) -> ApiResult<ImportBody<'a>> {
        match body {
            Value::Array(rows) => Ok(ImportBody { jobs: rows }),
            Value::Object(o) if o.len() == 1 && o.get("jobs").is_some_and(Value::is_array) => {
                Ok(ImportBody { jobs: o["jobs"].as_array().map(Vec::as_slice).unwrap_or_default() })
            }
            _ => Err(ApiError::validation(vec![FieldError::new("jobs", "required", "请求体应为 {\"jobs\": [...]}")])),
        }
    }
}

/// The result for one row of an import.
#[derive(Serialize, ToSchema)]
pub struct ImportRow {
    /// 1-based position in `jobs`.
    pub row: usize,
    /// `created`, `valid` (dry run) or `invalid`.
    pub status: &'static str,
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    pub dry_run: bool,
    pub created: usize,
    pub invalid: usize,
    pub results: Vec<ImportRow>,
}

fn rules<'a>(state: &'a AppState, previous_valid_until: Option<&'a str>) -> JobRules<'a> {
    JobRules { vocab: &state.vocab, regions: &state.regions, now: state.clock.now(), previous_valid_until }
}

/// Whether `p` may see `job`: open jobs are public postings; a closed or
/// expired one only to its publisher, admin and staff of its region.
fn visible(caller: &Principal, state: &AppState, job_row: &StoredJob) -> bool {
    job_row.job.status == JobStatus::Open
        || job_row.publisher_org_id == caller.org_id
        || caller.covers_region(state, &job_row.job.input.region_code)
}

/// Whether `p` may change `job`: 404 when it may not even see it (or is
/// another publisher), 403 for staff of another region.
fn check_editable(caller: &Principal, state: &AppState, job_row: &StoredJob) -> ApiResult<()> {
    caller.require(&[Role::Admin, Role::Staff, Role::Publisher])?;
    match caller.role {
        Role::Admin => Ok(()),
        Role::Publisher if job_row.publisher_org_id == caller.org_id => Ok(()),
        Role::Staff if caller.covers_region(state, &job_row.job.input.region_code) => Ok(()),
        Role::Staff if visible(caller, state, job_row) => Err(ApiError::forbidden("只能修改本人负责区域内的岗位")),
        _ => Err(ApiError::not_found()),
    }
}

async fn load_visible(state: &AppState, caller: &Principal, id: &str) -> ApiResult<StoredJob> {
    let job_row = store::get(state, id).await?.ok_or_else(ApiError::not_found)?;
    if visible(caller, state, &job_row) {
        Ok(job_row)
    } else {
        Err(ApiError::not_found())
    }
}

fn not_open(status: JobStatus) -> ApiError {
    ApiError::conflict("job_not_open", format!("岗位状态为 {}，不能再修改", status.as_str()))
}

/// Publish a job.
///
/// Every rule of the contract is checked and every bad field reported at
/// once; wording that excludes applicants by sex, ethnicity, religion,
/// disability, carrier status or household registration is refused.
#[utoipa::path(post, path = "/v1/jobs", tag = "jobs", request_body = JobInput,
    responses((status = 201, body = Job), (status = 400, body = Problem), (status = 413, body = Problem),
               (status = 422, description = "字段不符合要求或含歧视性内容", body = Problem)),
    security(("bearer" = [])))]
async fn create_job(
    State(state): State<AppState>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> ApiResult<(StatusCode, Json<Job>)> {
    caller.require(&[Role::Admin, Role::Staff, Role::Publisher])?;
    let input = read_job(&body, &rules(&state, None))?;
    if caller.role == Role::Staff && !caller.covers_region(&state, &input.region_code) {
        return Err(ApiError::forbidden("只能在本人负责的区域内发布岗位"));
    }
    let job = store::insert(&state, &caller.org_id, &input).await?;
    tracing::info!(job_id = %job.id, org_id = %caller.org_id, "job created");
    Ok((StatusCode::CREATED, Json(job)))
}

/// Read a job.
#[utoipa::path(get, path = "/v1/jobs/{id}", tag = "jobs", params(("id" = String, Path)),
    responses((status = 200, body = Job), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get_job(State(state): State<AppState>, caller: Principal, Path(id): Path<String>) -> ApiResult<Json<Job>> {
    Ok(Json(load_visible(&state, &caller, &id).await?.job))
}

/// Change an open job (JSON Merge Patch: send the fields to change; `null`
/// clears an optional one). The whole result is checked like a new job.
#[utoipa::path(patch, path = "/v1/jobs/{id}", tag = "jobs", params(("id" = String, Path)), request_body = JobInput,
    responses((status = 200, body = Job), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn patch_job(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody,
) -> ApiResult<Json<Job>> {
    let job_row = store::get(&state, &id).await?.ok_or_else(ApiError::not_found)?;
    check_editable(&caller, &state, &job_row)?;
    if !patch.is_object() {
        let mut errs = Errors::default();
        Fields::root(&patch, &mut errs);
        return Err(ApiError::validation(errs.0));
    }
    if job_row.job.status != JobStatus::Open {
        return Err(not_open(job_row.job.status));
    }
    let mut doc = serde_json::to_value(&job_row.job.input).map_err(anyhow::Error::from)?;
    merge_patch(&mut doc, &patch);
    let input = read_job(&doc, &rules(&state, job_row.job.input.valid_until.as_deref()))?;
    if caller.role == Role::Staff && !caller.covers_region(&state, &input.region_code) {
        return Err(ApiError::forbidden("只能把岗位设在本人负责的区域内"));
    }
    match store::update(&state, &id, &input).await? {
        Change::Done(job) => Ok(Json(*job)),
        Change::NotFound => Err(ApiError::not_found()),
        Change::NotOpen(s) => Err(not_open(s)),
    }
}

/// Close a job: `filled` or `withdrawn`.
#[utoipa::path(post, path = "/v1/jobs/{id}/close", tag = "jobs", params(("id" = String, Path)), request_body = CloseBody,
    responses((status = 200, body = Job), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
async fn close_job(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Job>> {
    let job_row = store::get(&state, &id).await?.ok_or_else(ApiError::not_found)?;
    check_editable(&caller, &state, &job_row)?;
    let CloseBody { reason } = read_body(&body, &state)?;
    match store::close(&state, &id, reason).await? {
        Change::Done(job) => {
            tracing::info!(job_id = %id, reason = reason.as_str(), "job closed");
            Ok(Json(*job))
        }
        Change::NotFound => Err(ApiError::not_found()),
        Change::NotOpen(s) => Err(not_open(s)),
    }
}

/// List and search jobs: open jobs by default, newest first.
///
/// `q` searches open jobs with the Chinese analyzer (synonyms, traditional
/// characters, sound-alike typos), best first; for closed or expired jobs it
/// matches text plainly. `region` includes everything below that region. Publishers also see their own closed and expired jobs; staff
/// those of their region.
#[utoipa::path(get, path = "/v1/jobs", tag = "jobs",
    params(("q" = Option<String>, Query), ("region" = Option<String>, Query), ("category" = Option<String>, Query),
           ("source" = Option<JobSource>, Query), ("employment_type" = Option<EmploymentType>, Query),
           ("status" = Option<JobStatus>, Query, description = "default open"),
           ("limit" = Option<usize>, Query, description = "1–200, default 20"), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = JobPage), (status = 400, body = Problem)), security(("bearer" = [])))]
async fn list_jobs(State(state): State<AppState>, caller: Principal, params: QueryParams) -> ApiResult<Json<JobPage>> {
    let mut errs = Errors::default();
    params.deny_unknown(
        &["q", "region", "category", "source", "employment_type", "status", "limit", "cursor"],
        &mut errs,
    );
    let limit = params.limit(20, 200, &mut errs);
    let cursor = params.cursor(&mut errs);
    let status = params
        .one_of("status", JobStatus::ALL, &mut errs)
        .and_then(|s| JobStatus::parse(&s))
        .unwrap_or(JobStatus::Open);
    let category = params.one_of("category", state.vocab.category_codes(), &mut errs);
    let source = params.one_of("source", JobSource::ALL, &mut errs);
    let employment_type = params.one_of("employment_type", EmploymentType::ALL, &mut errs);
    let region = params.region(&state.regions, &mut errs);
    let text = params.get("q").map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > 100) {
        errs.add("q", "too_long", "搜索词最长 100 个字符");
    }
    QueryParams::finish(errs)?;

    // Open jobs searched by words go through the Chinese analyzer when the
    // matching service runs here: ranked by relevance, paged by rank.
    let ranked = match (&text, status, state.job_search.get()) {
        (Some(t), JobStatus::Open, Some(search)) => {
            let search = search.clone();
            let t = t.clone();
            Some(
                tokio::task::spawn_blocking(move || search.search_open_jobs(&t, 1000))
                    .await
                    .map_err(anyhow::Error::from)??,
            )
        }
        _ => None,
    };
    let offset = match (&ranked, &cursor) {
        (Some(_), Some(c)) => c.strip_prefix('r').and_then(|n| n.parse::<usize>().ok()).unwrap_or(0),
        _ => 0,
    };

    let now = state.now_text();
    let mut list = ListQuery::default();
    let at = list.param(&now);
    let open = format!("(status = 'open' AND (valid_until IS NULL OR valid_until > {at}))");
    list.condition(match status {
        JobStatus::Open => open.clone(),
        JobStatus::Closed => "status = 'closed'".into(),
        JobStatus::Expired => format!("(status = 'expired' OR (status = 'open' AND valid_until <= {at}))"),
    });
    match caller.role {
        Role::Admin => {}
        Role::Staff => {
            let mark = list.param(&caller.region_code);
            list.condition(format!("({open} OR {})", state.regions.scope_sql(&caller.region_code, &mark)));
        }
        Role::Publisher => {
            let me = list.param(&caller.org_id);
            list.condition(format!("({open} OR publisher_org_id = {me})"));
        }
        Role::Agency => list.condition(open.clone()),
    }
    if let Some(region) = &region {
        let mark = list.param(region);
        list.condition(state.regions.scope_sql(region, &mark));
    }
    list.equal("category", category);
    list.equal("source", source);
    list.equal("employment_type", employment_type);
    if let Some(ids) = &ranked {
        if ids.is_empty() {
            return Ok(Json(JobPage { items: Vec::new(), next_cursor: None }));
        }
        let marks: Vec<String> = ids.iter().map(|id| list.param(id)).collect();
        list.condition(format!("id IN ({})", marks.join(", ")));
    } else if let Some(text) = &text {
        list.contains("search_text", text);
    }
    if let Some(before) = &cursor {
        let mark = list.param(before);
        list.condition(format!("id < {mark}"));
    }
    let select = format!("SELECT {} FROM jobs", store::COLUMNS);
    let rows: Vec<store::Row> = list.fetch(&state.db.pool, &select, "id DESC", limit).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(store::from_row(row, &now)?.job);
    }
    if let Some(ids) = &ranked {
        let rank: std::collections::HashMap<&str, usize> =
            ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        items.sort_by_key(|j| rank.get(j.id.as_str()).copied().unwrap_or(usize::MAX));
        let total = items.len();
        let page: Vec<Job> = items.into_iter().skip(offset).take(limit).collect();
        let next_cursor = (offset + limit < total).then(|| encode_cursor(&format!("r{}", offset + limit)));
        return Ok(Json(JobPage { items: page, next_cursor }));
    }
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|j| encode_cursor(&j.id))
    } else {
        None
    };
    Ok(Json(JobPage { items, next_cursor }))
}

/// Publish many jobs at once: `{ "jobs": [ … ] }`, at most the configured
/// number of rows. Each row is checked and stored on its own; the answer
/// gives every row's outcome. `?dry_run=true` checks without storing.
#[utoipa::path(post, path = "/v1/jobs/import", tag = "jobs", request_body = ImportBody,
    params(("dry_run" = Option<bool>, Query)),
    responses((status = 200, body = ImportResult), (status = 413, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn import_jobs(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
    req: Request,
) -> ApiResult<Json<ImportResult>> {
    caller.require(&[Role::Admin, Role::Staff, Role::Publisher])?;
    let mut errs = Errors::default();
    params.deny_unknown(&["dry_run"], &mut errs);
    let dry_run = params.flag("dry_run", &mut errs);
    QueryParams::finish(errs)?;
    let max_rows = state.settings.import_max_rows;
    let body = json_from_request(req, state.settings.max_body_bytes.saturating_mul(16)).await?;
    let rows = ImportBody::rows(&body)?.jobs;
    if rows.is_empty() || rows.len() > max_rows {
        return Err(ApiError::validation(vec![FieldError::new(
            "jobs",
            "out_of_range",
            format!("应有 1 到 {max_rows} 条"),
        )]));
    }
    let mut results = Vec::with_capacity(rows.len());
    let (mut created, mut invalid) = (0, 0);
    for (i, row) in rows.iter().enumerate() {
        let checked = read_job(row, &rules(&state, None)).and_then(|input| {
            if caller.role == Role::Staff && !caller.covers_region(&state, &input.region_code) {
                Err(ApiError::validation(vec![FieldError::new(
                    "region_code",
                    "outside_scope",
                    "只能在本人负责的区域内发布岗位",
                )]))
            } else {
                Ok(input)
            }
        });
        match checked {
            Ok(_) if dry_run => results.push(ImportRow { row: i + 1, status: "valid", id: None, errors: vec![] }),
            Ok(input) => {
                let job = store::insert(&state, &caller.org_id, &input).await?;
                created += 1;
                results.push(ImportRow { row: i + 1, status: "created", id: Some(job.id), errors: vec![] });
            }
            Err(ApiError::Problem(problem)) => {
                invalid += 1;
                results.push(ImportRow { row: i + 1, status: "invalid", id: None, errors: problem.errors });
            }
            Err(other) => return Err(other),
        }
    }
    tracing::info!(org_id = %caller.org_id, created, invalid, dry_run, "jobs imported");
    Ok(Json(ImportResult { dry_run, created, invalid, results }))
}
