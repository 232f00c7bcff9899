//! Payment lists (直补发放名单): one per reporting unit and month, computed by
//! the rule engine, proposed → approved (by staff of the unit, with who and
//! when) → paid (the payment confirmation imported). What was listed once
//! for a rule, payee, person and month is never listed again (the row's
//! `claim` is unique in the store); a reversal is a new row with the
//! negative amount, which frees the claim.
//!
//! Admin and the unit's staff see names and full ID numbers (finance pays
//! by them); an agency sees only its own rows, the people masked.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Datelike, NaiveDate};
use jobmatch_core::accounts::is_one_of;
use jobmatch_core::db::Backend;
use jobmatch_core::error::{FieldError, Problem};
use jobmatch_core::http::{JsonBody, QueryParams};
use jobmatch_core::ids::new_id;
use jobmatch_core::validate::{read_body, Errors, Fields, RequestBody};
use jobmatch_core::{ApiError, ApiResult, AppState, Principal, Role};
use serde::Serialize;
use sqlx::AnyConnection;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use std::collections::HashMap;

use super::engine::{agreement_cause, agreement_of, claim_text, due, Due, Facts};
use super::money::{parse_fen, yuan};
use crate::outcomes::report::attachment;
use crate::outcomes::{month_text, parse_month};
use crate::persons::import::{read_sheet, spool, Spool};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(propose, list_lists))
        .routes(routes!(propose_all))
        .routes(routes!(get_list))
        .routes(routes!(approve))
        .routes(routes!(confirm_payments))
        .routes(routes!(reverse_row))
}

/// The Chinese name of a rule.
pub fn rule_name(rule: &str) -> &'static str {
    match rule {
        "flexible_si" => "灵活就业社保补贴",
        "employer_si" => "单位吸纳社保补贴",
        "welfare_post" => "公益性岗位补贴",
        "loan_interest" => "创业担保贷款贴息",
        "living_allowance" => "临时生活补助",
        "agency_service" => "就业创业服务补助",
        _ => "其他",
    }
}

/// A list's or a row's state in words.
pub fn state_name(state: &str) -> &'static str {
    match state {
        "proposed" => "待审核",
        "approved" => "已审核",
        "paid" => "已支付",
        "reversed" => "已冲正",
        "reversal" => "冲正",
        _ => "",
    }
}

/// One payment.
#[derive(Serialize, ToSchema)]
pub struct PaymentRow {
    pub id: String,
    pub rule: String,
    pub rule_name: String,
    /// The version of the rule the amount was computed under (`rule@YYYY-MM`).
    pub rule_version: String,
    /// `person`, `employer` or `agency`.
    pub payee_kind: String,
    pub payee_code: String,
    pub payee_name: String,
    pub person_id: String,
    pub person_name: String,
    /// Full for admin and the unit's staff, else masked.
    pub id_number: String,
    pub period_month: String,
    /// Yuan with two decimals.
    pub amount: String,
    pub evidence: Vec<String>,
    pub basis: String,
    /// `proposed`, `approved`, `paid`, `reversed`, `reversal`.
    pub state: String,
    pub reverses: Option<String>,
    pub paid_on: Option<String>,
    pub voucher: Option<String>,
}

/// A rule's total in a list.
#[derive(Serialize, ToSchema)]
pub struct RuleTotal {
    pub rule: String,
    pub rule_name: String,
    pub rows: i64,
    pub amount: String,
}

/// A unit's payment list for a month.
#[derive(Serialize, ToSchema)]
pub struct PaymentList {
    pub id: String,
    pub unit_code: String,
    pub unit_name: String,
    pub month: String,
    /// `proposed`, `approved`, `paid`.
    pub state: String,
    /// Who proposed or last recomputed it.
    pub proposed_by: String,
    pub proposed_at: String,
    /// Everyone who proposed or recomputed it, first first: none of them
    /// may approve it.
    pub proposers: Vec<String>,
    /// Whether the caller may approve it now: it is proposed, the caller
    /// acts for its unit, and is not among its proposers (two people).
    pub may_approve: bool,
    pub approved_by: Option<String>,
    /// Who approved, as staff read it: the account's name and organisation,
    /// or the organisation of the API key (admin and staff of the unit).
    pub approved_by_name: Option<String>,
    pub approved_at: Option<String>,
    pub totals: Vec<RuleTotal>,
    /// The sum of every row (reversals negative), yuan.
    pub total: String,
    pub rows: Vec<PaymentRow>,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentListSummary {
    pub id: String,
    pub unit_code: String,
    pub month: String,
    pub state: String,
    pub rows: i64,
    pub total: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentListIndex {
    pub items: Vec<PaymentListSummary>,
}

/// `{ unit_code, month }`
#[derive(ToSchema)]
pub struct ListCreate {
    /// A county-level unit (县、市、区 or zone).
    pub unit_code: String,
    /// YYYY-MM, not after the current month.
    #[schema(value_type = String)]
    pub month: NaiveDate,
}

/// The `unit_code` field: a county-level unit (县、市、区 or zone).
pub(super) fn read_unit(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<String> {
    let code = f.string("unit_code", true, 1, 40, errs)?;
    let ok = state.regions.get(&code).is_some_and(|r| matches!(r.level.as_str(), "county" | "zone"));
    if !ok {
        errs.add("unit_code", "not_a_unit", "应为县（市、区）或开发区的区划代码");
        return None;
    }
    Some(code)
}

/// The `month` field: YYYY-MM, not after the current month.
pub(super) fn read_past_month(f: &Fields<'_>, today: NaiveDate, errs: &mut Errors) -> Option<NaiveDate> {
    let text = f.string("month", true, 7, 7, errs)?;
    match parse_month(&text) {
        None => errs.add("month", "invalid_month", "月份格式应为 YYYY-MM"),
        Some(m) if m > today.with_day0(0).unwrap_or(m) => errs.add("month", "future_month", "该月尚未到来"),
        Some(m) => return Some(m),
    }
    None
}

impl RequestBody for ListCreate {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<ListCreate> {
        let unit_code = read_unit(f, state, errs);
        let month = read_past_month(f, state.today(), errs);
        Some(ListCreate { unit_code: unit_code?, month: month? })
    }
}

/// The one rule of who acts on a unit's money: admin, and staff whose
/// region covers the unit; anyone else is told 404 (as for people).
fn may_act(state: &AppState, caller: &Principal, unit: &str) -> ApiResult<()> {
    caller.require(&[Role::Admin, Role::Staff])?;
    if caller.covers_region(state, unit) {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

#[derive(sqlx::FromRow)]
struct ListRow {
    id: String,
    unit_code: String,
    month: String,
    state: String,
    proposed_by: String,
    proposed_at: String,
    approved_by: Option<String>,
    approved_at: Option<String>,
}

const LIST_COLUMNS: &str = "id, unit_code, month, state, proposed_by, proposed_at, approved_by, approved_at";

async fn list_row(conn: &mut AnyConnection, id: &str) -> Result<Option<ListRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {LIST_COLUMNS} FROM payment_lists WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

#[derive(sqlx::FromRow)]
struct StoredRow {
    id: String,
    rule: String,
    rule_version: String,
    payee_kind: String,
    payee_code: String,
    payee_name: String,
    person_id: String,
    period_month: String,
    amount_fen: i64,
    evidence: String,
    basis: String,
    state: String,
    reverses: Option<String>,
    paid_on: Option<String>,
    voucher: Option<String>,
    name: String,
    id_masked: String,
    id_cipher: String,
}

/// The list as the caller may see it (an agency: its own rows only, masked).
async fn answer(state: &AppState, caller: &Principal, list: ListRow) -> ApiResult<PaymentList> {
    let rows: Vec<StoredRow> = sqlx::query_as(
        "SELECT r.id, r.rule, r.rule_version, r.payee_kind, r.payee_code, r.payee_name, r.person_id, r.period_month,
                r.amount_fen, r.evidence, r.basis, r.state, r.reverses, r.paid_on, r.voucher,
                p.name, p.id_masked, p.id_cipher
         FROM payment_rows r JOIN persons p ON p.id = r.person_id
         WHERE r.list_id = $1 ORDER BY r.rule, r.payee_code, r.person_id, r.created_at, r.id",
    )
    .bind(&list.id)
    .fetch_all(&state.db.pool)
    .await?;
    let full = caller.covers_region(state, &list.unit_code);
    let mut out = Vec::new();
    let mut totals: Vec<RuleTotal> = Vec::new();
    let mut sums: Vec<(String, i64, i64)> = Vec::new();
    let mut total = 0i64;
    for r in rows {
        if !(full || r.payee_kind == "agency" && r.payee_code == caller.org_id) {
            continue;
        }
        let (person_name, id_number) = if full {
            (r.name.clone(), state.vault.decrypt(&r.id_cipher)?)
        } else {
            (jobmatch_core::records::persons::mask_name(&r.name), r.id_masked.clone())
        };
        match sums.iter_mut().find(|s| s.0 == r.rule) {
            Some(s) => {
                s.1 += 1;
                s.2 += r.amount_fen;
            }
            None => sums.push((r.rule.clone(), 1, r.amount_fen)),
        }
        total += r.amount_fen;
        out.push(PaymentRow {
            rule_name: rule_name(&r.rule).into(),
            id: r.id,
            rule: r.rule,
            rule_version: r.rule_version,
            payee_kind: r.payee_kind,
            payee_code: r.payee_code,
            payee_name: r.payee_name,
            person_id: r.person_id,
            person_name,
            id_number,
            period_month: r.period_month,
            amount: yuan(r.amount_fen),
            evidence: serde_json::from_str(&r.evidence).unwrap_or_default(),
            basis: r.basis,
            state: r.state,
            reverses: r.reverses,
            paid_on: r.paid_on,
            voucher: r.voucher,
        });
    }
    for (rule, n, fen) in sums {
        totals.push(RuleTotal { rule_name: rule_name(&rule).into(), rule, rows: n, amount: yuan(fen) });
    }
    let approved_by_name = match (&list.approved_by, full) {
        (Some(by), true) => jobmatch_core::accounts::actor_name(state, by).await?,
        _ => None,
    };
    // Who proposed is for the unit's staff and admin, not for an agency.
    let (proposers, may_approve) = if full {
        let mut conn = state.db.pool.acquire().await?;
        let proposers = proposers(&mut conn, &list.id).await?;
        let may = list.state == "proposed"
            && matches!(caller.role, Role::Admin | Role::Staff)
            && !is_one_of(&mut conn, &caller.key_id, &proposers).await?;
        (proposers, may)
    } else {
        (Vec::new(), false)
    };
    Ok(PaymentList {
        approved_by_name,
        proposers,
        may_approve,
        unit_name: state.regions.get(&list.unit_code).map(|r| r.name.clone()).unwrap_or_default(),
        id: list.id,
        unit_code: list.unit_code,
        month: list.month,
        state: list.state,
        proposed_by: list.proposed_by,
        proposed_at: list.proposed_at,
        approved_by: list.approved_by,
        approved_at: list.approved_at,
        totals,
        total: yuan(total),
        rows: out,
    })
}

/// Everyone who proposed or recomputed list `id`, in the order they first did.
async fn proposers(conn: &mut AnyConnection, id: &str) -> ApiResult<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT principal_id FROM payment_list_proposals WHERE list_id = $1 GROUP BY principal_id ORDER BY MIN(id)",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Propose (or, while still proposed, recompute) a unit's list for a month:
/// every payment the rules make due from the records, less what was listed
/// before. A list already approved is 409 `list_closed`. Admin, the unit's staff.
#[utoipa::path(post, path = "/v1/payment-lists", tag = "subsidies", request_body = ListCreate,
    responses((status = 201, body = PaymentList), (status = 200, body = PaymentList), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn propose(State(state): State<AppState>, caller: Principal, JsonBody(body): JsonBody) -> ApiResult<Response> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let ListCreate { unit_code, month } = read_body(&body, &state)?;
    may_act(&state, &caller, &unit_code)?;
    let facts = Facts::load(&state, month, &unit_code).await?;
    let mut dues: Vec<(String, Due)> = due(&facts, &state.policy, month)
        .into_iter()
        .filter(|d| d.unit_code == unit_code)
        .map(|d| (month_text(month), d))
        .collect();
    dues.extend(arrears(&state, &unit_code, month).await?);
    let Some((id, created)) = store_list(&state, &caller, &unit_code, month, &dues).await? else {
        return Err(ApiError::conflict("list_closed", "该名单已审核，不能重新生成；更正请对已支付的行冲正"));
    };
    let mut conn = state.db.pool.acquire().await?;
    let row = list_row(&mut conn, &id).await?.ok_or_else(ApiError::not_found)?;
    drop(conn);
    let list = answer(&state, &caller, row).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(list)).into_response())
}

/// What is due for earlier months of the unit whose lists were approved
/// before some of their evidence or facts arrived (补发: social insurance,
/// loans, business registrations, an allowance granted for the month, a
/// public-welfare registration whose subsidy began in it, an agency's
/// placement recorded late): each such month computed
/// again under its own rule versions, less what was listed then (the claims)
/// and less what was paid and reversed (a reversal is not undone by itself);
/// rows the list being (re)computed holds now do not count as listed.
async fn arrears(state: &AppState, unit: &str, month: NaiveDate) -> ApiResult<Vec<(String, Due)>> {
    let pool = &state.db.pool;
    // How many months back late evidence is still paid: the policy's.
    let since = month_text(crate::outcomes::add_months(month, -state.policy.report.arrears_months));
    let late: Vec<String> = sqlx::query_scalar(
        "SELECT l.month FROM payment_lists l
         WHERE l.unit_code = $1 AND l.month < $2 AND l.month >= $3 AND l.state IN ('approved', 'paid')
           AND (EXISTS (SELECT 1 FROM si_contributions c WHERE c.month = l.month AND c.created_at > l.approved_at)
                OR EXISTS (SELECT 1 FROM startup_loans s WHERE s.created_at > l.approved_at)
                OR EXISTS (SELECT 1 FROM business_registrations b WHERE b.created_at > l.approved_at)
                OR EXISTS (SELECT 1 FROM allowances a JOIN persons pr ON pr.id = a.person_id
                           WHERE pr.unit_code = l.unit_code AND a.start_month <= l.month
                             AND a.created_at > l.approved_at)
                OR EXISTS (SELECT 1 FROM welfare_registrations r JOIN placements p ON p.id = r.placement_id
                           WHERE p.unit_code = l.unit_code AND r.subsidy_start <= l.month || '-31'
                             AND r.subsidy_end >= l.month || '-01' AND r.created_at > l.approved_at)
                OR EXISTS (SELECT 1 FROM placements p
                           WHERE p.unit_code = l.unit_code AND p.agreement_id IS NOT NULL
                             AND p.started_on <= l.month || '-31' AND p.created_at > l.approved_at))
         ORDER BY l.month",
    )
    .bind(unit)
    .bind(month_text(month))
    .bind(&since)
    .fetch_all(pool)
    .await?;
    let mut out = Vec::new();
    for m in late.iter().filter_map(|m| parse_month(m)) {
        let m_s = month_text(m);
        let facts = Facts::load(state, m, unit).await?;
        // A listed row's claim; a reversed row's (freed) claim made again —
        // a one-off payment's from its cause, the evidence's second entry.
        let listed: std::collections::HashSet<String> =
            sqlx::query_as::<_, (Option<String>, String, String, String, String, String)>(
                "SELECT claim, rule, payee_kind, payee_code, person_id, evidence FROM payment_rows
                 WHERE period_month = $1 AND (claim IS NOT NULL OR state = 'reversed')
                   AND list_id NOT IN (SELECT id FROM payment_lists WHERE unit_code = $2 AND month = $3)",
            )
            .bind(&m_s)
            .bind(unit)
            .bind(month_text(month))
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|(claim, rule, kind, code, person, evidence)| {
                claim.unwrap_or_else(|| {
                    let once = (rule == "agency_service").then(|| agreement_of(&evidence)).flatten();
                    let per = once.map(|a| agreement_cause(&a)).unwrap_or_else(|| m_s.clone());
                    claim_text(&rule, &kind, &code, &person, &per)
                })
            })
            .collect();
        for d in due(&facts, &state.policy, m) {
            if d.unit_code == unit && !listed.contains(&d.claim(&m_s)) {
                let basis = format!("补发 {m_s}：{}", d.basis);
                out.push((m_s.clone(), Due { basis, ..d }));
            }
        }
    }
    Ok(out)
}

/// Store a unit's proposed list for `month` with `dues`, each with the month
/// it pays for (on a list still proposed: rows equal to a due are kept, the
/// others replaced): its id and whether it is new,
/// or `None` when the list is already approved (not recomputed).
async fn store_list(
    state: &AppState,
    caller: &Principal,
    unit_code: &str,
    month: NaiveDate,
    dues: &[(String, Due)],
) -> ApiResult<Option<(String, bool)>> {
    let month_s = month_text(month);
    let now = state.now_text();
    let mut tx = state.db.pool.begin().await?;
    let existing: Option<(String, String)> =
        sqlx::query_as("SELECT id, state FROM payment_lists WHERE unit_code = $1 AND month = $2")
            .bind(unit_code)
            .bind(&month_s)
            .fetch_optional(&mut *tx)
            .await?;
    // On a recompute, only the dues that are not on the list as they are.
    let mut kept_only: Option<Vec<(&String, &Due)>> = None;
    let (id, created) = match existing {
        Some((_, s)) if s != "proposed" => return Ok(None),
        Some((id, _)) => {
            // Taken first, so that an approval waits for this recompute
            // (and then sees its proposer) rather than racing it.
            let still = sqlx::query(
                "UPDATE payment_lists SET proposed_by = $2, proposed_at = $3, updated_at = $3
                 WHERE id = $1 AND state = 'proposed'",
            )
            .bind(&id)
            .bind(&caller.key_id)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            if still.rows_affected() == 0 {
                return Ok(None);
            }
            // Rows equal to what is due now stay as they are (with their
            // ids); the others go, and what is new is added below.
            let stored: Vec<StoredProposal> = sqlx::query_as(
                "SELECT id, claim, rule_version, payee_name, amount_fen, evidence, basis FROM payment_rows
                 WHERE list_id = $1 AND state = 'proposed'",
            )
            .bind(&id)
            .fetch_all(&mut *tx)
            .await?;
            let mut stale: HashMap<String, (String, StoredProposal)> =
                stored.into_iter().filter_map(|r| Some((r.1.clone()?, (r.0.clone(), r)))).collect();
            let mut fresh = Vec::with_capacity(dues.len());
            for (period, d) in dues {
                let claim = d.claim(period);
                let evidence = serde_json::to_string(&d.evidence).map_err(anyhow::Error::from)?;
                let same = stale.get(&claim).is_some_and(|(_, r)| {
                    r.2 == d.rule_version
                        && r.3 == d.payee_name
                        && r.4 == d.amount_fen
                        && r.5 == evidence
                        && r.6 == d.basis
                });
                if same {
                    stale.remove(&claim);
                } else {
                    fresh.push((period, d));
                }
            }
            let gone: Vec<String> = stale.into_values().map(|(row_id, _)| row_id).collect();
            for chunk in gone.chunks(500) {
                let marks: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
                let sql = format!("DELETE FROM payment_rows WHERE id IN ({})", marks.join(", "));
                let mut q = sqlx::query(&sql);
                for row_id in chunk {
                    q = q.bind(row_id);
                }
                q.execute(&mut *tx).await?;
            }
            kept_only = Some(fresh);
            (id, false)
        }
        None => {
            let id = new_id("pay");
            let inserted = sqlx::query(
                "INSERT INTO payment_lists (id, unit_code, month, state, proposed_by, proposed_at, updated_at)
                 VALUES ($1, $2, $3, 'proposed', $4, $5, $5)",
            )
            .bind(&id)
            .bind(unit_code)
            .bind(&month_s)
            .bind(&caller.key_id)
            .bind(&now)
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(_) => {}
                // Someone else proposed the same unit and month a moment ago.
                Err(e) if jobmatch_core::db::is_unique_violation(&e) => {
                    return Err(ApiError::conflict("concurrent_update", "该单位本月的名单正由他人生成，请稍后刷新查看"))
                }
                Err(e) => return Err(e.into()),
            }
            (id, true)
        }
    };
    sqlx::query("INSERT INTO payment_list_proposals (list_id, principal_id, at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(&caller.key_id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    // A claim listed before (in any list) is skipped: never paid twice.
    // The rows go to the store as one JSON document per statement (a unit's
    // month can hold thousands), unpacked there by the store's own JSON
    // functions: one parameter instead of thirteen a row.
    let insert = match state.db.backend {
        Backend::Postgres => {
            "INSERT INTO payment_rows (id, list_id, rule, rule_version, payee_kind, payee_code, payee_name, person_id,
                period_month, amount_fen, evidence, basis, claim, state, created_at)
             SELECT x.id, $2, x.rule, x.rule_version, x.payee_kind, x.payee_code, x.payee_name, x.person_id,
                x.period_month, x.amount_fen, x.evidence, x.basis, x.claim, 'proposed', $3
             FROM json_to_recordset(CAST($1 AS json)) AS x(id text, rule text, rule_version text, payee_kind text,
                payee_code text, payee_name text, person_id text, period_month text, amount_fen bigint, evidence text,
                basis text, claim text)
             ON CONFLICT (claim) DO NOTHING"
        }
        Backend::Sqlite => {
            "INSERT INTO payment_rows (id, list_id, rule, rule_version, payee_kind, payee_code, payee_name, person_id,
                period_month, amount_fen, evidence, basis, claim, state, created_at)
             SELECT json_extract(value, '$.id'), $2, json_extract(value, '$.rule'), json_extract(value, '$.rule_version'),
                json_extract(value, '$.payee_kind'), json_extract(value, '$.payee_code'),
                json_extract(value, '$.payee_name'), json_extract(value, '$.person_id'),
                json_extract(value, '$.period_month'), json_extract(value, '$.amount_fen'),
                json_extract(value, '$.evidence'), json_extract(value, '$.basis'), json_extract(value, '$.claim'),
                'proposed', $3
             FROM json_each($1) WHERE true
             ON CONFLICT (claim) DO NOTHING"
        }
    };
    let to_insert: Vec<(&String, &Due)> = kept_only.unwrap_or_else(|| dues.iter().map(|(p, d)| (p, d)).collect());
    for chunk in to_insert.chunks(INSERT_ROWS) {
        let rows: Vec<serde_json::Value> = chunk
            .iter()
            .map(|(period, d)| {
                Ok(serde_json::json!({
                    "id": new_id("prw"), "rule": d.rule, "rule_version": d.rule_version, "payee_kind": d.payee_kind,
                    "payee_code": d.payee_code, "payee_name": d.payee_name, "person_id": d.person_id,
                    "period_month": period, "amount_fen": d.amount_fen,
                    "evidence": serde_json::to_string(&d.evidence)?, "basis": d.basis, "claim": d.claim(period),
                }))
            })
            .collect::<Result<_, serde_json::Error>>()
            .map_err(anyhow::Error::from)?;
        let doc = serde_json::to_string(&rows).map_err(anyhow::Error::from)?;
        sqlx::query(insert).bind(doc).bind(&id).bind(&now).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(Some((id, created)))
}

/// A proposed row as stored: id, claim, version, payee name, amount, evidence, basis.
type StoredProposal = (String, Option<String>, String, String, i64, String, String);

/// Data rows read from one payment confirmation file.
const MAX_CONFIRMATION_ROWS: usize = 200_000;

/// Payment rows stored by one statement.
const INSERT_ROWS: usize = 5000;

/// `{ month }`
#[derive(ToSchema)]
pub struct MonthCreate {
    /// YYYY-MM, not after the current month.
    #[schema(value_type = String)]
    pub month: NaiveDate,
}

impl RequestBody for MonthCreate {
    fn read(f: &Fields<'_>, state: &AppState, errs: &mut Errors) -> Option<MonthCreate> {
        Some(MonthCreate { month: read_past_month(f, state.today(), errs)? })
    }
}

/// Propose (or recompute) the month's list of every unit the caller acts
/// for at once — admin all units, staff those of their region — from one
/// reading of the records; lists already approved are left as they are.
/// Answers each unit's list as a summary (its rows: `GET /v1/payment-lists/{id}`).
#[utoipa::path(post, path = "/v1/payment-lists/all-units", tag = "subsidies", request_body = MonthCreate,
    responses((status = 200, body = PaymentListIndex), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn propose_all(
    State(state): State<AppState>,
    caller: Principal,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<PaymentListIndex>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let MonthCreate { month } = read_body(&body, &state)?;
    let units: Vec<String> = state
        .regions
        .all()
        .filter(|r| matches!(r.level.as_str(), "county" | "zone") && caller.covers_region(&state, &r.code))
        .map(|r| r.code.clone())
        .collect();
    // One unit: its own (smaller) reading; more: the whole city once.
    let scope = if units.len() == 1 { units[0].as_str() } else { "" };
    let mut by_unit: HashMap<String, Vec<(String, Due)>> = HashMap::new();
    if !units.is_empty() {
        let facts = Facts::load(&state, month, scope).await?;
        for d in due(&facts, &state.policy, month) {
            by_unit.entry(d.unit_code.clone()).or_default().push((month_text(month), d));
        }
    }
    for unit in &units {
        let late = arrears(&state, unit, month).await?;
        by_unit.entry(unit.clone()).or_default().extend(late);
    }
    // PostgreSQL stores several units at once (a transaction each);
    // SQLite has one writer.
    let at_once = match state.db.backend {
        Backend::Postgres => 3,
        Backend::Sqlite => 1,
    };
    let mut stores = tokio::task::JoinSet::new();
    for unit in &units {
        if stores.len() >= at_once {
            if let Some(done) = stores.join_next().await {
                done.map_err(anyhow::Error::from)??;
            }
        }
        let (state, caller, unit) = (state.clone(), caller.clone(), unit.clone());
        let dues = by_unit.remove(&unit).unwrap_or_default();
        stores.spawn(async move { store_list(&state, &caller, &unit, month, &dues).await.map(drop) });
    }
    while let Some(done) = stores.join_next().await {
        done.map_err(anyhow::Error::from)??;
    }
    let items = summaries(&state, &caller, &month_text(month), "").await?;
    Ok(Json(PaymentListIndex { items: items.into_iter().filter(|i| units.contains(&i.unit_code)).collect() }))
}

/// id, unit, month, state, approved by, approved at, rows, total.
type SummaryRow = (String, String, String, String, Option<String>, Option<String>, i64, Option<i64>);

/// The lists of a month (and unit) the caller may see, with their totals.
#[utoipa::path(get, path = "/v1/payment-lists", tag = "subsidies",
    params(("month" = Option<String>, Query, description = "YYYY-MM"), ("unit_code" = Option<String>, Query)),
    responses((status = 200, body = PaymentListIndex), (status = 400, body = Problem)), security(("bearer" = [])))]
async fn list_lists(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<PaymentListIndex>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let mut errs = Errors::default();
    params.deny_unknown(&["month", "unit_code"], &mut errs);
    let month = params.get("month").unwrap_or("");
    if !month.is_empty() && parse_month(month).is_none() {
        errs.add("month", "invalid_month", "月份格式应为 YYYY-MM");
    }
    QueryParams::finish(errs)?;
    let unit = params.get("unit_code").unwrap_or("");
    let items = summaries(&state, &caller, month, unit).await?;
    Ok(Json(PaymentListIndex { items }))
}

/// The lists of a month and unit (`""`: any) the caller may see, with their totals.
async fn summaries(
    state: &AppState,
    caller: &Principal,
    month: &str,
    unit: &str,
) -> ApiResult<Vec<PaymentListSummary>> {
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT l.id, l.unit_code, l.month, l.state, l.approved_by, l.approved_at, COUNT(r.id), CAST(SUM(r.amount_fen) AS BIGINT)
         FROM payment_lists l LEFT JOIN payment_rows r ON r.list_id = l.id
         WHERE ($1 = '' OR l.month = $1) AND ($2 = '' OR l.unit_code = $2)
         GROUP BY l.id, l.unit_code, l.month, l.state, l.approved_by, l.approved_at
         ORDER BY l.month DESC, l.unit_code",
    )
    .bind(month)
    .bind(unit)
    .fetch_all(&state.db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| caller.covers_region(state, &r.1))
        .map(|r| PaymentListSummary {
            id: r.0,
            unit_code: r.1,
            month: r.2,
            state: r.3,
            approved_by: r.4,
            approved_at: r.5,
            rows: r.6,
            total: yuan(r.7.unwrap_or(0)),
        })
        .collect())
}

/// A list with every row and the totals, as JSON, or for the finance office
/// as XLSX or CSV (Chinese headers, amounts as numbers with two decimals,
/// a total per rule and in all). Admin and the unit's staff; an agency its
/// own rows, the people masked.
#[utoipa::path(get, path = "/v1/payment-lists/{id}", tag = "subsidies",
    params(("id" = String, Path), ("format" = Option<String>, Query, description = "json (default), csv or xlsx")),
    responses((status = 200, description = "JSON, CSV or XLSX by `format`", content(
                  (PaymentList = "application/json"),
                  (String = "text/csv"),
                  (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 400, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
async fn get_list(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    params: QueryParams,
) -> ApiResult<Response> {
    caller.require(&[Role::Admin, Role::Staff, Role::Agency])?;
    let mut errs = Errors::default();
    params.deny_unknown(&["format"], &mut errs);
    let format = params.one_of("format", &["json", "csv", "xlsx"], &mut errs).unwrap_or_else(|| "json".into());
    QueryParams::finish(errs)?;
    // An agency may read any list, but sees only its own rows (none: 404).
    let row = if caller.role == Role::Agency {
        let mut conn = state.db.pool.acquire().await?;
        list_row(&mut conn, &id).await?.ok_or_else(ApiError::not_found)?
    } else {
        list_for(&state, &caller, &id).await?
    };
    let list = answer(&state, &caller, row).await?;
    if caller.role == Role::Agency && list.rows.is_empty() {
        return Err(ApiError::not_found());
    }
    let file = format!("payments-{}-{}", list.month, list.unit_code);
    Ok(match format.as_str() {
        "csv" => attachment(csv_text(&list)?, "text/csv; charset=utf-8", &format!("{file}.csv")),
        "xlsx" => attachment(
            xlsx(&list)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{file}.xlsx"),
        ),
        _ => Json(list).into_response(),
    })
}

const HEADERS: [&str; 12] = [
    "编号",
    "补贴项目",
    "领取对象",
    "对象代码",
    "姓名",
    "身份证号",
    "所属月份",
    "金额（元）",
    "计算依据",
    "规则版本",
    "状态",
    "凭证号",
];

fn cells(r: &PaymentRow) -> [String; 12] {
    [
        r.id.clone(),
        r.rule_name.clone(),
        r.payee_name.clone(),
        r.payee_code.clone(),
        r.person_name.clone(),
        r.id_number.clone(),
        r.period_month.clone(),
        r.amount.clone(),
        r.basis.clone(),
        r.rule_version.clone(),
        state_name(&r.state).into(),
        r.voucher.clone().unwrap_or_default(),
    ]
}

fn csv_text(list: &PaymentList) -> anyhow::Result<Vec<u8>> {
    let mut w = jobmatch_core::sheet::CsvOut::new(Vec::new());
    w.write_record(HEADERS)?;
    for r in &list.rows {
        w.write_record(cells(r))?;
    }
    for t in &list.totals {
        w.write_record([
            "",
            &format!("{}小计", t.rule_name),
            "",
            "",
            "",
            "",
            "",
            &t.amount,
            &format!("{} 笔", t.rows),
            "",
            "",
            "",
        ])?;
    }
    w.write_record(["", "合计", "", "", "", "", "", &list.total, &format!("{} 笔", list.rows.len()), "", "", ""])?;
    let mut out = "\u{feff}".as_bytes().to_vec();
    out.extend(w.into_inner()?);
    Ok(out)
}

/// The list as the finance office prints and files it: A4 landscape one
/// page wide, the header row on every page, long text wrapped, amounts as
/// numbers with two decimals, subtotals per rule, the total, who approved
/// and when (Beijing time), and lines for the signatures.
fn xlsx(list: &PaymentList) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("发放名单")?;
    let bordered = || Format::new().set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter);
    let head = bordered().set_bold().set_text_wrap().set_align(FormatAlign::Center);
    let cell = bordered();
    let wrapped = bordered().set_text_wrap();
    // Ids are long and read by machines more than people: smaller.
    let code = bordered().set_font_size(8);
    let money = bordered().set_num_format("0.00");
    let bold = bordered().set_bold();
    let bold_money = bordered().set_bold().set_num_format("0.00");
    let last = (HEADERS.len() - 1) as u16;
    let (y, m) = (&list.month[..4], list.month[5..].trim_start_matches('0'));
    ws.merge_range(
        0,
        0,
        0,
        last,
        &format!("{}{y}年{m}月就业补贴直补发放名单（{}）", list.unit_name, state_name(&list.state)),
        &Format::new().set_bold().set_font_size(14).set_align(FormatAlign::Center),
    )?;
    ws.set_row_height(0, 26)?;
    for (i, h) in HEADERS.iter().enumerate() {
        ws.write_string_with_format(1, i as u16, *h, &head)?;
    }
    let widths = [27.0, 14.0, 16.0, 27.0, 8.0, 20.0, 9.0, 11.0, 36.0, 16.0, 7.0, 12.0];
    let amount = |s: &str| s.parse::<f64>().unwrap_or(0.0);
    let mut row = 2u32;
    for r in &list.rows {
        let cells = cells(r);
        // A spreadsheet does not grow a row for wrapped text by itself:
        // as many lines as the longest wrapped cell needs.
        let lines = [1usize, 2, 8].iter().map(|&i| wrapped_lines(&cells[i], widths[i])).max().unwrap_or(1);
        ws.set_row_height(row, 15.0 * lines as f64)?;
        for (i, v) in cells.iter().enumerate() {
            match i {
                7 => ws.write_number_with_format(row, 7, amount(v), &money)?,
                0 | 3 | 9 => ws.write_string_with_format(row, i as u16, v, &code)?,
                1 | 2 | 8 => ws.write_string_with_format(row, i as u16, v, &wrapped)?,
                _ => ws.write_string_with_format(row, i as u16, v, &cell)?,
            };
        }
        row += 1;
    }
    let mut sum_row = |row: u32, label: String, yuan: &str| -> anyhow::Result<()> {
        ws.merge_range(row, 0, row, 6, &label, &bold.clone().set_align(FormatAlign::Right))?;
        ws.write_number_with_format(row, 7, amount(yuan), &bold_money)?;
        ws.merge_range(row, 8, row, last, "", &bold)?;
        Ok(())
    };
    for t in &list.totals {
        sum_row(row, format!("{}小计（{} 笔）", t.rule_name, t.rows), &t.amount)?;
        row += 1;
    }
    sum_row(row, format!("合计（{} 笔）", list.rows.len()), &list.total)?;
    let approved_at = list
        .approved_at
        .as_deref()
        .map(|at| format!("{}（北京时间）", jobmatch_core::time::local_minutes(at)))
        .unwrap_or_default();
    let approver = list.approved_by_name.as_deref().or(list.approved_by.as_deref()).unwrap_or("");
    ws.merge_range(
        row + 2,
        0,
        row + 2,
        last,
        &format!("审核人：{approver}    审核时间：{approved_at}"),
        &Format::new(),
    )?;
    ws.merge_range(row + 4, 0, row + 4, 2, "经办人（签字）：", &Format::new())?;
    ws.merge_range(row + 4, 3, row + 4, 6, "财务审核（签字）：", &Format::new())?;
    ws.merge_range(row + 4, 7, row + 4, last, "单位负责人（签字、盖章）：            年    月    日", &Format::new())?;
    for (i, w) in widths.iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    ws.set_freeze_panes(2, 0)?;
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_margins(0.4, 0.4, 0.6, 0.6, 0.3, 0.3);
    ws.set_repeat_rows(1, 1)?;
    ws.set_footer("&C第 &P 页，共 &N 页");
    Ok(wb.save_to_buffer()?)
}

/// The lines `text` takes in a wrapped column `width` characters wide (a
/// Chinese character is two).
fn wrapped_lines(text: &str, width: f64) -> usize {
    let units: usize = text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    let per_line = (width as usize).saturating_sub(4).max(1);
    units.div_ceil(per_line).max(1)
}

async fn list_for(state: &AppState, caller: &Principal, id: &str) -> ApiResult<ListRow> {
    let mut conn = state.db.pool.acquire().await?;
    let row = list_row(&mut conn, id).await?.ok_or_else(ApiError::not_found)?;
    may_act(state, caller, &row.unit_code)?;
    Ok(row)
}

/// Approve a proposed list (the unit's staff, or admin): it and its rows
/// become `approved`, with who and when; from then on it is not recomputed.
/// The approver is not anyone who proposed or recomputed it (403
/// `self_approval`; the list stays `proposed`).
/// Whoever it pays for the first time under a rule and period is sent a
/// policy notice (`GET /v1/policy-notices`).
#[utoipa::path(post, path = "/v1/payment-lists/{id}/approve", tag = "subsidies", params(("id" = String, Path)),
    responses((status = 200, body = PaymentList), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)),
    security(("bearer" = [])))]
async fn approve(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<PaymentList>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let row = list_for(&state, &caller, &id).await?;
    let now = state.now_text();
    let mut tx = state.db.pool.begin().await?;
    // The list is taken first (on PostgreSQL a row lock; SQLite has one
    // writer), so a recompute cannot slip in between the check and the
    // approval, and each check below reads what is committed now.
    let lock = match state.db.backend {
        Backend::Postgres => "SELECT state FROM payment_lists WHERE id = $1 FOR UPDATE",
        Backend::Sqlite => "SELECT state FROM payment_lists WHERE id = $1",
    };
    let current: String = sqlx::query_scalar(lock).bind(&id).fetch_one(&mut *tx).await?;
    if current != "proposed" {
        return Err(ApiError::conflict("not_proposed", format!("该名单当前为“{}”，不能再审核", state_name(&current))));
    }
    // Two people: whoever proposed or recomputed the list cannot approve
    // it, admin included — nor a credential one of them issued or reset
    // (a second identity of the same person).
    let proposed_by = proposers(&mut tx, &id).await?;
    if is_one_of(&mut tx, &caller.key_id, &proposed_by).await? {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "self_approval",
            "不能审核自己生成的名单",
            "您生成或重新生成过这份名单（或您的账号、密钥由生成人开设或重置），须由另一位工作人员核对并审核（两人分别经办）",
        )
        .into());
    }
    sqlx::query(
        "UPDATE payment_lists SET state = 'approved', approved_by = $2, approved_at = $3, updated_at = $3, drill = $4
         WHERE id = $1 AND state = 'proposed'",
    )
    .bind(&id)
    .bind(&caller.key_id)
    .bind(&now)
    // Approved in a rehearsal (settable clock): marked, so that a live
    // store is told from a rehearsal's (`jobmatch_core::clock`).
    .bind(i64::from(state.clock.is_settable()))
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE payment_rows SET state = 'approved' WHERE list_id = $1 AND state = 'proposed'")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let told = super::notices::queue(&mut tx, &state, &id, &row.unit_code, &now).await?;
    tx.commit().await?;
    tracing::info!(list_id = %id, notices = told, "payment list approved");
    let row = list_for(&state, &caller, &id).await?;
    Ok(Json(answer(&state, &caller, row).await?))
}

/// Import the finance office's payment confirmation for an approved list:
/// a CSV (UTF-8 or GBK) or XLSX with 编号 (the row's id), 金额, 支付日期 and
/// 凭证号. The whole file or nothing: a row not in the list, not approved
/// (paying twice), with another amount, or a bad date refuses it, every bad
/// cell named (`rows[LINE].field`). The list is `paid` once every row is.
#[utoipa::path(post, path = "/v1/payment-lists/{id}/payments", tag = "subsidies", params(("id" = String, Path)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = PaymentList), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn confirm_payments(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Json<PaymentList>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let list = list_for(&state, &caller, &id).await?;
    if list.state == "proposed" {
        return Err(ApiError::conflict("not_approved", "名单审核后才能登记支付"));
    }
    let spooled =
        Spool(jobmatch_core::files::spool_dir(&state.settings.data_dir).join(format!("{}.upload", new_id("paid"))));
    spool(req, &spooled.0, state.settings.person_import_max_bytes).await?;
    let path = spooled.0.clone();
    // A list holds at most a unit's month: a larger file is refused whole.
    let sheet = tokio::task::spawn_blocking(move || read_sheet(&path, MAX_CONFIRMATION_ROWS))
        .await
        .map_err(anyhow::Error::from)??;
    drop(spooled);
    let Some(((_, header), body)) = sheet.split_first() else {
        return Err(ApiError::validation(vec![FieldError::new("header", "empty_file", "文件为空")]));
    };
    let find = |names: &[&str]| header.iter().position(|h| names.contains(&h.trim().trim_start_matches('\u{feff}')));
    let (c_id, c_amount, c_on, c_voucher) = (
        find(&["编号", "row_id", "id"]),
        find(&["金额", "金额（元）", "amount"]),
        find(&["支付日期", "paid_on"]),
        find(&["凭证号", "voucher"]),
    );
    let mut missing = Vec::new();
    for (c, label) in [(c_id, "编号"), (c_amount, "金额"), (c_on, "支付日期"), (c_voucher, "凭证号")] {
        if c.is_none() {
            missing.push(FieldError::new("header", "missing_column", format!("缺少“{label}”列")));
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::validation(missing));
    }
    let (c_id, c_amount, c_on, c_voucher) =
        (c_id.unwrap_or(0), c_amount.unwrap_or(0), c_on.unwrap_or(0), c_voucher.unwrap_or(0));
    let stored: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT id, amount_fen, state FROM payment_rows WHERE list_id = $1")
            .bind(&id)
            .fetch_all(&state.db.pool)
            .await?;
    let stored: std::collections::HashMap<String, (i64, String)> =
        stored.into_iter().map(|(i, a, s)| (i, (a, s))).collect();
    let mut errs = Errors::default();
    let mut seen = std::collections::HashMap::new();
    let mut paid: Vec<(String, String, String)> = Vec::new();
    let at = |line: usize, f: &str| format!("rows[{line}].{f}");
    for (line, cells) in body {
        let line = *line;
        let get = |i: usize| cells.get(i).map(|s| s.trim().to_string()).unwrap_or_default();
        let (row_id, amount, on, voucher) = (get(c_id), get(c_amount), get(c_on), get(c_voucher));
        if row_id.is_empty() && amount.is_empty() {
            continue; // a totals line
        }
        match stored.get(&row_id) {
            None => errs.add(at(line, "row_id"), "unknown_row", format!("第 {line} 行：本名单没有编号 {row_id}")),
            Some((_, s)) if s == "paid" => errs.add(
                at(line, "row_id"),
                "already_paid",
                format!("第 {line} 行：编号 {row_id} 已登记支付，不能重复支付"),
            ),
            Some((_, s)) if s != "approved" => errs.add(
                at(line, "row_id"),
                "not_payable",
                format!("第 {line} 行：编号 {row_id} 当前为“{}”，不能支付", state_name(s)),
            ),
            Some((fen, _)) => {
                if let Some(first) = seen.insert(row_id.clone(), line) {
                    errs.add(at(line, "row_id"), "duplicate_row", format!("第 {line} 行与第 {first} 行支付同一编号"));
                }
                if parse_fen(&amount) != Some(*fen) {
                    errs.add(
                        at(line, "amount"),
                        "amount_mismatch",
                        format!("第 {line} 行“金额”应为名单金额 {} 元", yuan(*fen)),
                    );
                }
            }
        }
        let day = NaiveDate::parse_from_str(&on, "%Y-%m-%d").ok();
        if day.is_none() {
            errs.add(at(line, "paid_on"), "invalid_date", format!("第 {line} 行“支付日期”应为 YYYY-MM-DD"));
        } else if day.is_some_and(|d| d > state.today()) {
            errs.add(at(line, "paid_on"), "future_date", format!("第 {line} 行“支付日期”尚未到来"));
        }
        if voucher.is_empty() || voucher.chars().count() > 60 {
            errs.add(at(line, "voucher"), "required", format!("第 {line} 行“凭证号”必填（最多 60 字）"));
        }
        paid.push((row_id, on, voucher));
    }
    if paid.is_empty() && errs.is_empty() {
        errs.add("body", "no_rows", "文件中没有支付记录");
    }
    if !errs.is_empty() {
        let total = errs.0.len();
        let problem = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "文件有误，未登记任何一笔支付",
            format!("{total} 处不符合要求，请改正后重新导入整个文件"),
        )
        .with_errors(errs.0);
        return Err(problem.into());
    }
    let now = state.now_text();
    let mut tx = state.db.pool.begin().await?;
    for (row_id, on, voucher) in &paid {
        let done = sqlx::query(
            "UPDATE payment_rows SET state = 'paid', paid_on = $3, voucher = $4 WHERE id = $1 AND list_id = $2 AND state = 'approved'",
        )
        .bind(row_id)
        .bind(&id)
        .bind(on)
        .bind(voucher)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(ApiError::conflict("already_paid", format!("编号 {row_id} 已被同时登记支付")));
        }
    }
    sqlx::query(
        "UPDATE payment_lists SET state = 'paid', updated_at = $2 WHERE id = $1
           AND NOT EXISTS (SELECT 1 FROM payment_rows r WHERE r.list_id = $1 AND r.state = 'approved')",
    )
    .bind(&id)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let row = list_for(&state, &caller, &id).await?;
    Ok(Json(answer(&state, &caller, row).await?))
}

/// `{ reason }`
#[derive(ToSchema)]
pub struct Reversal {
    /// Why the payment is taken back (2–200 characters).
    pub reason: String,
}

impl RequestBody for Reversal {
    fn read(f: &Fields<'_>, _state: &AppState, errs: &mut Errors) -> Option<Reversal> {
        Some(Reversal { reason: f.string("reason", true, 2, 200, errs)? })
    }
}

/// Reverse a paid row: a new row in the same list with the negative amount
/// (the paid row stays, marked `reversed`); the claim is freed.
#[utoipa::path(post, path = "/v1/payment-rows/{id}/reverse", tag = "subsidies", params(("id" = String, Path)),
    request_body = Reversal,
    responses((status = 200, body = PaymentList), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn reverse_row(
    State(state): State<AppState>,
    caller: Principal,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<PaymentList>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let Reversal { reason } = read_body(&body, &state)?;
    let found: Option<(String, String)> = sqlx::query_as("SELECT list_id, state FROM payment_rows WHERE id = $1")
        .bind(&id)
        .fetch_optional(&state.db.pool)
        .await?;
    let (list_id, row_state) = found.ok_or_else(ApiError::not_found)?;
    list_for(&state, &caller, &list_id).await?;
    if row_state != "paid" {
        return Err(ApiError::conflict("not_paid", "只有已支付的行可以冲正"));
    }
    let now = state.now_text();
    let mut tx = state.db.pool.begin().await?;
    let moved =
        sqlx::query("UPDATE payment_rows SET state = 'reversed', claim = NULL WHERE id = $1 AND state = 'paid'")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
    if moved.rows_affected() != 1 {
        return Err(ApiError::conflict("not_paid", "只有已支付的行可以冲正"));
    }
    sqlx::query(
        "INSERT INTO payment_rows (id, list_id, rule, rule_version, payee_kind, payee_code, payee_name, person_id,
            period_month, amount_fen, evidence, basis, claim, reverses, state, created_at)
         SELECT $2, list_id, rule, rule_version, payee_kind, payee_code, payee_name, person_id,
            period_month, -amount_fen, evidence, $3, NULL, id, 'reversal', $4
         FROM payment_rows WHERE id = $1",
    )
    .bind(&id)
    .bind(new_id("prw"))
    .bind(format!("冲正：{reason}"))
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let row = list_for(&state, &caller, &list_id).await?;
    Ok(Json(answer(&state, &caller, row).await?))
}

#[cfg(test)]
mod tests {
    use super::wrapped_lines;

    #[test]
    fn a_wrapped_cell_takes_the_lines_its_text_needs() {
        assert_eq!(wrapped_lines("", 36.0), 1);
        // 32 units fit a 36-wide column (less its padding); a Chinese character is two.
        assert_eq!(wrapped_lines(&"a".repeat(32), 36.0), 1);
        assert_eq!(wrapped_lines(&"a".repeat(33), 36.0), 2);
        assert_eq!(wrapped_lines(&"补".repeat(16), 36.0), 1);
        assert_eq!(wrapped_lines(&"补".repeat(17), 36.0), 2);
        assert_eq!(wrapped_lines("灵活就业社保补贴", 14.0), 2);
    }
}
