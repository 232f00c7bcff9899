//! Certification as 就业困难人员: apply → certified | rejected; certified →
//! revoked | expired, or renewed. Grounds come from the policy file; each
//! step records its date, grounds, note and the staff member.

use axum::extract::{Path, State};
use axum::Json;
use chrono::{Duration, NaiveDate};
use jobmatch_core::domain::{CertificationStatus, EmploymentStatus, Group, Person};
use jobmatch_core::error::{ApiResult, Problem};
use jobmatch_core::http::{encode_cursor, JsonBody, ListQuery, QueryParams};
use jobmatch_core::idcard::age_on;
use jobmatch_core::validate::{read_body, Errors, Fields, RequestBody};
use jobmatch_core::{events, ApiError, AppState, Principal, Role};
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::routes::{load_for_staff, PersonPage};
use super::store::{self, effective_certification, Actor, StoredPerson, Updated};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(certification_step, get_certification)).routes(routes!(expiring))
}

const ACTIONS: [&str; 5] = ["apply", "certify", "reject", "revoke", "renew"];

/// `POST /v1/persons/{id}/certification` body.
#[derive(ToSchema)]
pub struct CertificationStep {
    /// `apply`, `certify`, `reject`, `revoke` or `renew`.
    pub action: String,
    /// Ground codes of the policy file (needed to apply), at most 10.
    pub grounds: Option<Vec<String>>,
    /// Required to reject or revoke.
    pub note: Option<String>,
}

impl RequestBody for CertificationStep {
    fn read(f: &Fields<'_>, _: &AppState, errs: &mut Errors) -> Option<CertificationStep> {
        let action = f.one_of("action", true, &ACTIONS, errs);
        let grounds = f.strings("grounds", 10, 64, errs);
        let note = f.string("note", false, 1, 500, errs);
        Some(CertificationStep { action: action?, grounds, note })
    }
}

/// One step of a person's certification.
#[derive(Serialize, ToSchema)]
pub struct CertificationEvent {
    pub from_status: Option<CertificationStatus>,
    pub to_status: CertificationStatus,
    pub grounds: Vec<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub note: Option<String>,
    pub actor_key_id: Option<String>,
    pub actor_org_id: Option<String>,
    /// The day the step took effect (Asia/Shanghai).
    pub effective_on: String,
    pub created_at: String,
}

/// A person's certification and its steps.
#[derive(Serialize, ToSchema)]
pub struct CertificationView {
    pub status: Option<CertificationStatus>,
    pub valid_until: Option<String>,
    pub events: Vec<CertificationEvent>,
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Write one step: the person's certification columns, the event row, the
/// outbox event; and the `hardship_certified` group when it changes.
#[allow(clippy::too_many_arguments)]
pub async fn record_step(
    conn: &mut AnyConnection,
    state: &AppState,
    record: &StoredPerson,
    from: Option<CertificationStatus>,
    to: CertificationStatus,
    grounds: &[String],
    valid: (Option<String>, Option<String>),
    note: Option<&str>,
    actor: &Actor,
    effective_on: NaiveDate,
) -> anyhow::Result<bool> {
    let certified = to == CertificationStatus::Certified;
    if record.profile.groups.contains(&Group::HardshipCertified) != certified {
        let mut profile = record.profile.clone();
        if certified {
            profile.groups.push(Group::HardshipCertified);
        } else {
            profile.groups.retain(|g| *g != Group::HardshipCertified);
        }
        let cert_actor = Actor { source: "certification".into(), ..actor.clone() };
        if let Updated::Stale = store::update(conn, state, record, &profile, None, &cert_actor).await? {
            return Ok(false);
        }
    }
    let until = if matches!(to, CertificationStatus::Certified | CertificationStatus::Expired) {
        valid.1.clone().or_else(|| record.certified_until.clone())
    } else {
        None
    };
    sqlx::query("UPDATE persons SET certification_status = $1, certified_until = $2 WHERE id = $3")
        .bind(to.as_str())
        .bind(&until)
        .bind(&record.id)
        .execute(&mut *conn)
        .await?;
    jobmatch_core::memo::records_changed(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO certification_events (person_id, from_status, to_status, grounds, valid_from, valid_until, note,
            actor_key_id, actor_org_id, effective_on, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&record.id)
    .bind(from.map(|f| f.as_str()))
    .bind(to.as_str())
    .bind(serde_json::to_string(grounds)?)
    .bind(&valid.0)
    .bind(&valid.1)
    .bind(note)
    .bind(&actor.key_id)
    .bind(&actor.org_id)
    .bind(day(effective_on))
    .bind(state.now_text())
    .execute(&mut *conn)
    .await?;
    events::append(
        conn,
        "person.certification",
        &record.id,
        &record.profile.region_code,
        &json!({"person_id": record.id, "status": to.as_str()}),
        &state.now_text(),
    )
    .await?;
    Ok(true)
}

/// Whether `who` is another person than whoever took the person's latest
/// `apply` step: not the same key or account, nor a credential the
/// applicant issued or reset.
async fn other_person(state: &AppState, person_id: &str, who: &str) -> ApiResult<bool> {
    let mut conn = state.db.pool.acquire().await?;
    let by: Option<Option<String>> = sqlx::query_scalar(
        "SELECT actor_key_id FROM certification_events WHERE person_id = $1 AND to_status = 'applied'
         ORDER BY id DESC LIMIT 1",
    )
    .bind(person_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(applicant) = by.flatten() else { return Ok(true) };
    Ok(!jobmatch_core::accounts::is_one_of(&mut conn, who, &[applicant]).await?)
}

async fn last_grounds(state: &AppState, person_id: &str) -> ApiResult<Vec<String>> {
    let g: Option<String> = sqlx::query_scalar(
        "SELECT grounds FROM certification_events WHERE person_id = $1 AND grounds <> '[]' ORDER BY id DESC LIMIT 1",
    )
    .bind(person_id)
    .fetch_optional(&state.db.pool)
    .await?;
    Ok(g.and_then(|g| serde_json::from_str(&g).ok()).unwrap_or_default())
}

/// Check grounds against the policy and what the record shows.
fn check_grounds(state: &AppState, record: &StoredPerson, grounds: &[String], today: NaiveDate, errs: &mut Errors) {
    if grounds.is_empty() {
        errs.add("grounds", "required", format!("至少选择一项认定条件：{}", state.policy.ground_codes().join(", ")));
    }
    let age = NaiveDate::parse_from_str(&record.birth_date, "%Y-%m-%d").map(|b| age_on(b, today)).unwrap_or(0);
    for (i, code) in grounds.iter().enumerate() {
        let field = format!("grounds[{i}]");
        let Some(g) = state.policy.ground(code) else {
            errs.add(
                field.clone(),
                "unknown_ground",
                format!("未知认定条件；可选：{}", state.policy.ground_codes().join(", ")),
            );
            continue;
        };
        if let Some(group) = &g.requires_group {
            if !record.profile.groups.iter().any(|x| x.as_str() == group) {
                errs.add(field.clone(), "group_missing", format!("“{}”需要人员类别中有 {group}", g.name));
            }
        }
        let min_age = if record.sex == "female" { g.min_age_female } else { g.min_age_male };
        if let Some(min) = min_age {
            if age < min {
                errs.add(field, "too_young", format!("“{}”要求年满 {min} 周岁，该人员 {age} 周岁", g.name));
            }
        }
    }
}

/// Take one certification step (admin; staff of the person's region).
///
/// `apply` (from none, rejected, revoked or expired; the person must be
/// unemployed; grounds checked against the record) → `certify` or `reject`
/// (a note); a certified person may be `revoke`d (a note) or `renew`ed (a
/// new validity period from today, before it lapses). Other moves are 409.
/// Whoever applied cannot certify or renew (403 `self_approval`), nor a
/// credential they issued or reset: two people. A lapsed certification is
/// applied for again (409 `expired_reapply`).
#[utoipa::path(post, path = "/v1/persons/{id}/certification", tag = "persons", params(("id" = String, Path)),
    request_body = CertificationStep,
    responses((status = 200, body = Person), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn certification_step(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<Person>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let record = load_for_staff(&state, &caller, &id).await?;
    let today = state.today();
    let CertificationStep { action, grounds, note } = read_body(&body, &state)?;
    let current = effective_certification(&record, today).map(|c| c.status);
    use CertificationStatus as S;
    let to = match (action.as_str(), current) {
        ("apply", None | Some(S::Rejected | S::Revoked | S::Expired)) => S::Applied,
        ("certify", Some(S::Applied)) => S::Certified,
        ("reject", Some(S::Applied)) => S::Rejected,
        ("revoke", Some(S::Certified)) => S::Revoked,
        ("renew", Some(S::Certified)) => S::Certified,
        // A lapsed certification is decided afresh: applied for by one
        // person, certified by another.
        ("renew", Some(S::Expired)) => {
            return Err(Problem::new(
                axum::http::StatusCode::CONFLICT,
                "expired_reapply",
                "认定已过期",
                "认定已过期，请重新提出认定申请，由另一位工作人员认定",
            )
            .into())
        }
        (a, c) => {
            return Err(Problem::new(
                axum::http::StatusCode::CONFLICT,
                "illegal_transition",
                "与现有记录冲突",
                format!("当前认定状态为 {}，不能执行 {a}", c.map(|c| c.as_str()).unwrap_or("无")),
            )
            .into())
        }
    };
    let mut errs = Errors::default();
    let grounds = match action.as_str() {
        "apply" => {
            let g = grounds.unwrap_or_default();
            check_grounds(&state, &record, &g, today, &mut errs);
            if record.profile.employment_status != EmploymentStatus::Unemployed {
                errs.add("employment_status", "not_unemployed", "只有登记失业人员可以申请认定");
            }
            g
        }
        _ => match grounds {
            Some(g) => {
                check_grounds(&state, &record, &g, today, &mut errs);
                g
            }
            None => last_grounds(&state, &record.id).await?,
        },
    };
    if to == S::Certified && !other_person(&state, &record.id, &caller.key_id).await? {
        return Err(Problem::new(
            axum::http::StatusCode::FORBIDDEN,
            "self_approval",
            "不能认定自己受理的申请",
            "这份认定申请是您提交的，须由另一位工作人员审核认定（两人分别经办）",
        )
        .into());
    }
    if matches!(action.as_str(), "reject" | "revoke") && note.is_none() {
        errs.add("note", "required", "驳回或撤销须说明理由");
    }
    errs.finish(|| ())?;
    let valid = if to == S::Certified {
        let until = today + Duration::days(state.policy.certification.validity_days);
        (Some(day(today)), Some(day(until)))
    } else {
        (None, None)
    };
    let mut tx = state.db.pool.begin().await?;
    if !record_step(
        &mut tx,
        &state,
        &record,
        current,
        to,
        &grounds,
        valid,
        note.as_deref(),
        &Actor::staff(&caller),
        today,
    )
    .await?
    {
        return Err(ApiError::conflict("concurrent_update", "该人员刚被他人修改，请刷新后重试"));
    }
    tx.commit().await?;
    tracing::info!(person_id = %id, action = %action, to = to.as_str(), "certification step");
    let after = store::get(&state.db.pool, &id).await?.ok_or_else(ApiError::not_found)?;
    Ok(Json(super::routes::answer_full(&state, &caller, &after, "update").await?))
}

/// A person's certification with every step.
#[utoipa::path(get, path = "/v1/persons/{id}/certification", tag = "persons", params(("id" = String, Path)),
    responses((status = 200, body = CertificationView), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get_certification(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<CertificationView>> {
    let record = load_for_staff(&state, &caller, &id).await?;
    /// A `certification_events` row.
    #[derive(sqlx::FromRow)]
    struct Row {
        from_status: Option<String>,
        to_status: String,
        grounds: String,
        valid_from: Option<String>,
        valid_until: Option<String>,
        note: Option<String>,
        actor_key_id: Option<String>,
        actor_org_id: Option<String>,
        effective_on: String,
        created_at: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT from_status, to_status, grounds, valid_from, valid_until, note, actor_key_id, actor_org_id, effective_on, created_at
         FROM certification_events WHERE person_id = $1 ORDER BY id",
    )
    .bind(&id)
    .fetch_all(&state.db.pool)
    .await?;
    let events = rows
        .into_iter()
        .filter_map(|r| {
            Some(CertificationEvent {
                from_status: r.from_status.as_deref().and_then(CertificationStatus::parse),
                to_status: CertificationStatus::parse(&r.to_status)?,
                grounds: serde_json::from_str(&r.grounds).unwrap_or_default(),
                valid_from: r.valid_from,
                valid_until: r.valid_until,
                note: r.note,
                actor_key_id: r.actor_key_id,
                actor_org_id: r.actor_org_id,
                effective_on: r.effective_on,
                created_at: r.created_at,
            })
        })
        .collect();
    let current = effective_certification(&record, state.today());
    Ok(Json(CertificationView {
        status: current.as_ref().map(|c| c.status),
        valid_until: current.and_then(|c| c.valid_until),
        events,
    }))
}

/// Certified people whose certification ends within `within_days` (default
/// the policy's warning period), soonest first (admin; staff in region).
#[utoipa::path(get, path = "/v1/certifications/expiring", tag = "persons",
    params(("within_days" = Option<i64>, Query), ("region" = Option<String>, Query), ("limit" = Option<usize>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = PersonPage)), security(("bearer" = [])))]
async fn expiring(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<PersonPage>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let mut errs = Errors::default();
    params.deny_unknown(&["within_days", "region", "limit", "cursor"], &mut errs);
    let limit = params.limit(50, 200, &mut errs);
    let cursor = params.cursor(&mut errs);
    let within = match params.get("within_days") {
        None => state.policy.certification.warn_days,
        Some(s) => s.parse::<i64>().ok().filter(|d| (0..=3650).contains(d)).unwrap_or_else(|| {
            errs.add("within_days", "out_of_range", "应为 0 到 3650 之间的整数");
            0
        }),
    };
    let region = params.region(&state.regions, &mut errs);
    QueryParams::finish(errs)?;
    let today = state.today();
    let mut list = ListQuery::default();
    let from = list.param(day(today));
    let to = list.param(day(today + Duration::days(within)));
    list.condition(format!(
        "certification_status = 'certified' AND certified_until >= {from} AND certified_until <= {to}"
    ));
    for scope in [(caller.role == Role::Staff).then(|| caller.region_code.clone()), region].into_iter().flatten() {
        let mark = list.param(&scope);
        list.condition(state.regions.scope_sql(&scope, &mark));
    }
    // Position: certified_until and id, so the order is stable.
    if let Some((until, id)) = cursor.as_deref().and_then(|c| c.split_once('|')) {
        let (until, id) = (list.param(until), list.param(id));
        list.condition(format!("(certified_until > {until} OR (certified_until = {until} AND id > {id}))"));
    }
    let select = format!("SELECT {} FROM persons", store::COLUMNS);
    let rows: Vec<store::Row> = list.fetch(&state.db.pool, &select, "certified_until, id", limit).await?;
    let mut items = Vec::new();
    for row in rows {
        items.push(store::to_person(&state, &store::from_row(row)?, false, today)?);
    }
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|x| {
            encode_cursor(&format!(
                "{}|{}",
                x.certification.as_ref().and_then(|c| c.valid_until.clone()).unwrap_or_default(),
                x.id
            ))
        })
    } else {
        None
    };
    Ok(Json(PersonPage { items, next_cursor }))
}

/// Mark certifications past their end as expired (run by the sweeper).
pub async fn expire_lapsed(state: &AppState) -> anyhow::Result<u64> {
    let today = state.today();
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM persons WHERE certification_status = 'certified' AND certified_until < $1 ORDER BY id LIMIT 500",
    )
    .bind(day(today))
    .fetch_all(&state.db.pool)
    .await?;
    let mut n = 0;
    for id in ids {
        let mut tx = state.db.pool.begin().await?;
        let Some(record) = store::get(&mut *tx, &id).await? else { continue };
        let lapsed_on = record
            .certified_until
            .as_deref()
            .and_then(|u| NaiveDate::parse_from_str(u, "%Y-%m-%d").ok())
            .map(|u| u + Duration::days(1))
            .unwrap_or(today);
        let done = record_step(
            &mut tx,
            state,
            &record,
            Some(CertificationStatus::Certified),
            CertificationStatus::Expired,
            &[],
            (None, record.certified_until.clone()),
            Some("认定有效期届满"),
            &Actor::system("certification"),
            lapsed_on,
        )
        .await?;
        if done {
            tx.commit().await?;
            n += 1;
        }
    }
    Ok(n)
}
