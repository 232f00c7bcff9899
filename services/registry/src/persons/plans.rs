//! One person, one plan (一人一策): guidance notes, an entrepreneurship
//! direction, a training goal, the next follow-up date and its owner.

use axum::extract::{Path, State};
use axum::Json;
use chrono::NaiveDate;
use jobmatch_core::error::{ApiResult, Problem};
use jobmatch_core::http::{encode_cursor, JsonBody, ListQuery, QueryParams};
use jobmatch_core::validate::{Errors, Fields};
use jobmatch_core::{AppState, Principal, Role};
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::routes::load_for_staff;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(put_plan, get_plan)).routes(routes!(overdue_plans))
}

/// A person's plan; every field may be empty.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Plan {
    /// Career guidance notes (职业指导).
    pub guidance: Option<String>,
    /// Entrepreneurship direction, where the person wants one.
    pub entrepreneurship_direction: Option<String>,
    /// Training goal, where the person wants one.
    pub training_goal: Option<String>,
    /// `YYYY-MM-DD`.
    pub next_follow_up_on: Option<String>,
    /// Who follows the person up (a staff member's name).
    pub owner: Option<String>,
}

/// A plan as answered.
#[derive(Serialize, ToSchema)]
pub struct PlanView {
    pub person_id: String,
    #[serde(flatten)]
    pub plan: Plan,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
}

/// A `plans` row.
#[derive(sqlx::FromRow)]
struct PlanRow {
    guidance: Option<String>,
    entrepreneurship_direction: Option<String>,
    training_goal: Option<String>,
    next_follow_up_on: Option<String>,
    owner: Option<String>,
    updated_by: String,
    updated_at: String,
}

async fn load(state: &AppState, person_id: &str) -> ApiResult<Option<(Plan, String, String)>> {
    let row: Option<PlanRow> = sqlx::query_as(
        "SELECT guidance, entrepreneurship_direction, training_goal, next_follow_up_on, owner, updated_by, updated_at
         FROM plans WHERE person_id = $1",
    )
    .bind(person_id)
    .fetch_optional(&state.db.pool)
    .await?;
    Ok(row.map(|r| {
        (
            Plan {
                guidance: r.guidance,
                entrepreneurship_direction: r.entrepreneurship_direction,
                training_goal: r.training_goal,
                next_follow_up_on: r.next_follow_up_on,
                owner: r.owner,
            },
            r.updated_by,
            r.updated_at,
        )
    }))
}

/// Set a person's plan (the whole plan; absent fields become empty). The
/// change is kept in the person's history.
#[utoipa::path(put, path = "/v1/persons/{id}/plan", tag = "persons", params(("id" = String, Path)), request_body = Plan,
    responses((status = 200, body = PlanView), (status = 404, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
async fn put_plan(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<PlanView>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let record = load_for_staff(&state, &caller, &id).await?;
    let mut errs = Errors::default();
    let plan = Fields::root(&body, &mut errs).map(|f| {
        f.deny_unknown(
            &["guidance", "entrepreneurship_direction", "training_goal", "next_follow_up_on", "owner"],
            &mut errs,
        );
        let next =
            f.string("next_follow_up_on", false, 10, 10, &mut errs).and_then(|d| {
                match NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
                    Ok(_) => Some(d),
                    Err(_) => {
                        errs.add("next_follow_up_on", "bad_date", "日期格式应为 YYYY-MM-DD");
                        None
                    }
                }
            });
        Plan {
            guidance: f.string("guidance", false, 1, 2000, &mut errs),
            entrepreneurship_direction: f.string("entrepreneurship_direction", false, 1, 200, &mut errs),
            training_goal: f.string("training_goal", false, 1, 200, &mut errs),
            next_follow_up_on: next,
            owner: f.string("owner", false, 1, 50, &mut errs),
        }
    });
    let plan = errs.finish(|| plan.unwrap_or_default())?;
    let before = load(&state, &id).await?.map(|(caller, ..)| caller).unwrap_or_default();
    let now = state.now_text();
    let mut tx = state.db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO plans (person_id, guidance, entrepreneurship_direction, training_goal, next_follow_up_on, owner,
            updated_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         ON CONFLICT (person_id) DO UPDATE SET guidance = excluded.guidance,
            entrepreneurship_direction = excluded.entrepreneurship_direction, training_goal = excluded.training_goal,
            next_follow_up_on = excluded.next_follow_up_on, owner = excluded.owner, updated_by = excluded.updated_by,
            updated_at = excluded.updated_at",
    )
    .bind(&id)
    .bind(&plan.guidance)
    .bind(&plan.entrepreneurship_direction)
    .bind(&plan.training_goal)
    .bind(&plan.next_follow_up_on)
    .bind(&plan.owner)
    .bind(&caller.key_id)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    let (old, new) =
        (serde_json::to_value(&before).unwrap_or_default(), serde_json::to_value(&plan).unwrap_or_default());
    let mut changes = Map::new();
    if let (Value::Object(o), Value::Object(n)) = (&old, &new) {
        for (k, v) in n {
            if o.get(k) != Some(v) {
                changes.insert(format!("plan.{k}"), json!({"from": o.get(k), "to": v}));
            }
        }
    }
    if !changes.is_empty() {
        sqlx::query(
            "INSERT INTO person_history (person_id, version, source, actor_key_id, actor_org_id, changes, created_at)
             VALUES ($1, $2, 'staff', $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(record.version)
        .bind(&caller.key_id)
        .bind(&caller.org_id)
        .bind(Value::Object(changes).to_string())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Json(PlanView { person_id: id, plan, updated_by: Some(caller.key_id.clone()), updated_at: Some(now) }))
}

/// A person's plan (empty fields when none has been made).
#[utoipa::path(get, path = "/v1/persons/{id}/plan", tag = "persons", params(("id" = String, Path)),
    responses((status = 200, body = PlanView), (status = 404, body = Problem)), security(("bearer" = [])))]
async fn get_plan(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<PlanView>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    load_for_staff(&state, &caller, &id).await?;
    Ok(Json(match load(&state, &id).await? {
        Some((plan, by, at)) => PlanView { person_id: id, plan, updated_by: Some(by), updated_at: Some(at) },
        None => PlanView { person_id: id, plan: Plan::default(), updated_by: None, updated_at: None },
    }))
}

/// A plan whose follow-up date has passed.
#[derive(Serialize, ToSchema)]
pub struct OverduePlan {
    pub person_id: String,
    pub name: String,
    pub region_code: String,
    pub next_follow_up_on: String,
    pub owner: Option<String>,
    pub days_overdue: i64,
}

#[derive(Serialize, ToSchema)]
pub struct OverduePage {
    pub items: Vec<OverduePlan>,
    pub next_cursor: Option<String>,
}

/// People whose follow-up is overdue, most overdue first (admin; staff
/// within their region; `region` narrows).
#[utoipa::path(get, path = "/v1/plans/overdue", tag = "persons",
    params(("region" = Option<String>, Query), ("limit" = Option<usize>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = OverduePage)), security(("bearer" = [])))]
async fn overdue_plans(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<OverduePage>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let mut errs = Errors::default();
    params.deny_unknown(&["region", "limit", "cursor"], &mut errs);
    let limit = params.limit(50, 200, &mut errs);
    let cursor = params.cursor(&mut errs);
    let region = params.region(&state.regions, &mut errs);
    QueryParams::finish(errs)?;
    let today = state.today();
    let mut list = ListQuery::default();
    let day = list.param(today.format("%Y-%m-%d").to_string());
    list.condition(format!("pl.next_follow_up_on < {day}"));
    for scope in [(caller.role == Role::Staff).then(|| caller.region_code.clone()), region].into_iter().flatten() {
        if let Some(column) = state.regions.scope_column(&scope) {
            let mark = list.param(&scope);
            list.condition(format!("pe.{column} = {mark}"));
        }
    }
    if let Some((due, id)) = cursor.as_deref().and_then(|c| c.split_once('|')) {
        let (due, id) = (list.param(due), list.param(id));
        list.condition(format!("(pl.next_follow_up_on > {due} OR (pl.next_follow_up_on = {due} AND pe.id > {id}))"));
    }
    let select = "SELECT pe.id, pe.name, pe.region_code, pl.next_follow_up_on, pl.owner
        FROM plans pl JOIN persons pe ON pe.id = pl.person_id";
    let rows: Vec<(String, String, String, String, Option<String>)> =
        list.fetch(&state.db.pool, select, "pl.next_follow_up_on, pe.id", limit).await?;
    let mut items: Vec<OverduePlan> = rows
        .into_iter()
        .map(|(person_id, name, region_code, next, owner)| {
            let days = NaiveDate::parse_from_str(&next, "%Y-%m-%d").map(|d| (today - d).num_days()).unwrap_or(0);
            OverduePlan { person_id, name, region_code, next_follow_up_on: next, owner, days_overdue: days }
        })
        .collect();
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|x| encode_cursor(&format!("{}|{}", x.next_follow_up_on, x.person_id)))
    } else {
        None
    };
    Ok(Json(OverduePage { items, next_cursor }))
}
