//! Policy pushes (政策推送): when a payment list is approved, whoever it pays
//! for the first time under a rule and subsidy period is told, in plain
//! Chinese, what they qualify for, how much, and what to do. The notices are
//! queued in the approval's own transaction (`policy_notices`, unique per
//! rule, payee, person and period) and delivered by the push worker under
//! the same consent, quiet hours and daily cap as job notices; employers
//! through the contact the social-insurance files give for them.
//!
//! A notice carries no name or ID number: an employer is told it hired "a
//! certified person", never who or why.

use axum::extract::State;
use axum::Json;
use jobmatch_core::access::{self, AgencyRows};
use jobmatch_core::error::Problem;
use jobmatch_core::http::{page, ListQuery, QueryParams};
use jobmatch_core::ids::new_id;
use jobmatch_core::validate::Errors;
use jobmatch_core::{ApiResult, AppState, Principal, Role};
use serde::Serialize;
use sqlx::AnyConnection;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::lists::rule_name;
use super::money::yuan;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_notices))
}

/// Rules whose period is the record the payment rests on (a loan, an
/// allowance); the others have one period per payee and person.
const PERIOD_IS_EVIDENCE: &[&str] = &["loan_interest", "living_allowance"];

/// An approved row that may start a notice: id, rule, payee kind, payee
/// code, payee name, person, month, amount, evidence (JSON).
type RowFacts = (String, String, String, String, String, String, String, i64, String);

/// "2025-08" → "2025年8月".
fn month_words(month: &str) -> String {
    match month.split_once('-') {
        Some((y, m)) => format!("{y}年{}月", m.trim_start_matches('0')),
        None => month.to_string(),
    }
}

/// The text a payee reads (at most two SMS segments), or `None` for a rule
/// nobody is told about here (an agency's service subsidy reaches the agency
/// through its own API; a public-welfare post's employer through the programme).
pub fn notice_text(rule: &str, payee_name: &str, month: &str, fen: i64, unit_name: &str) -> Option<String> {
    let when = month_words(month);
    let amount = yuan(fen);
    let ask = format!("有疑问请咨询{unit_name}就业服务窗口。");
    Some(match rule {
        "flexible_si" => format!(
            "您好！您符合灵活就业社保补贴条件，{when}补贴{amount}元，以后按月按实缴社保计算。无需申请，补贴直接发到您的社保卡。{ask}"
        ),
        "loan_interest" => format!(
            "您好！您的首次创业担保贷款符合贴息条件，{when}贴息{amount}元，以后按月计算。无需申请，请按期还款，逾期不予贴息。{ask}"
        ),
        "living_allowance" => format!(
            "您好！您的临时生活补助已审核通过，{when}发放{amount}元，以后按月发放。无需再申请，补助直接发到您的社保卡。{ask}"
        ),
        "employer_si" => {
            let name: String = payee_name.chars().take(24).collect();
            format!(
                "{name}：贵单位招用了1名就业困难人员，符合社保补贴（单位吸纳）条件，{when}补贴{amount}元，以后按月计算。无需申请，补贴直接拨付到单位账户。{ask}"
            )
        }
        _ => return None,
    })
}

/// Queue the notices a list's approval makes due (in the approval's
/// transaction): one per rule, payee, person and period, ever.
pub(super) async fn queue(
    conn: &mut AnyConnection,
    state: &AppState,
    list_id: &str,
    unit_code: &str,
    now: &str,
) -> Result<usize, sqlx::Error> {
    let rows: Vec<RowFacts> = sqlx::query_as(
        "SELECT id, rule, payee_kind, payee_code, payee_name, person_id, period_month, amount_fen, evidence
         FROM payment_rows WHERE list_id = $1 AND state = 'approved' AND reverses IS NULL AND amount_fen > 0
           AND payee_kind IN ('person', 'employer')
         ORDER BY id",
    )
    .bind(list_id)
    .fetch_all(&mut *conn)
    .await?;
    let unit_name = state.regions.get(unit_code).map(|r| r.name.clone()).unwrap_or_default();
    let mut queued = 0;
    for (id, rule, payee_kind, payee_code, payee_name, person_id, month, fen, evidence) in rows {
        let Some(body) = notice_text(&rule, &payee_name, &month, fen, &unit_name) else { continue };
        // A loan's or an allowance's period is that record; the other rules
        // have one period per payee and person (it starts at the first
        // approved month and is never restarted by the engine).
        let period = if PERIOD_IS_EVIDENCE.contains(&rule.as_str()) {
            let evidence: Vec<String> = serde_json::from_str(&evidence).unwrap_or_default();
            evidence.into_iter().next().unwrap_or_default()
        } else {
            "period".to_string()
        };
        let key = format!("{rule}|{payee_kind}:{payee_code}|{person_id}|{period}");
        let done = sqlx::query(
            "INSERT INTO policy_notices (id, notice_key, rule, payment_row_id, recipient_kind, recipient_code,
                person_id, unit_code, channel, status, body, due_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'sms', 'pending', $9, $10, $10, $10)
             ON CONFLICT (notice_key) DO NOTHING",
        )
        .bind(new_id("pnt"))
        .bind(&key)
        .bind(&rule)
        .bind(&id)
        .bind(&payee_kind)
        .bind(&payee_code)
        .bind(&person_id)
        .bind(unit_code)
        .bind(&body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        queued += done.rows_affected() as usize;
    }
    Ok(queued)
}

/// A policy notice and its delivery state.
#[derive(Serialize, ToSchema, sqlx::FromRow)]
pub struct PolicyNotice {
    pub id: String,
    pub rule: String,
    pub rule_name: String,
    /// The payment row that first made it due.
    pub payment_row_id: String,
    /// `person` (told on their own phone) or `employer` (its contact).
    pub recipient_kind: String,
    /// Whom the subsidy is for.
    pub person_id: String,
    pub unit_code: String,
    /// `sms`.
    pub channel: String,
    /// `pending`, `held`, `sent`, `failed` or `dead`.
    pub status: String,
    /// What the recipient reads.
    pub body: String,
    pub attempts: i64,
    /// Why it is held or was not sent (a stable code, then Chinese).
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PolicyNoticePage {
    pub items: Vec<PolicyNotice>,
    pub next_cursor: Option<String>,
}

pub const NOTICE_STATUSES: &[&str] = &["pending", "held", "sent", "failed", "dead"];

/// Policy notices, oldest first: admin all, staff those about people of
/// their region.
#[utoipa::path(get, path = "/v1/policy-notices", tag = "subsidies",
    params(("person_id" = Option<String>, Query), ("rule" = Option<String>, Query),
           ("status" = Option<String>, Query, description = "pending, held, sent, failed or dead"),
           ("limit" = Option<usize>, Query, description = "1–200, default 20"), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = PolicyNoticePage), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
async fn list_notices(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
) -> ApiResult<Json<PolicyNoticePage>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let mut errs = Errors::default();
    params.deny_unknown(&["person_id", "rule", "status", "limit", "cursor"], &mut errs);
    let limit = params.limit(20, 200, &mut errs);
    let status = params.one_of("status", NOTICE_STATUSES, &mut errs);
    let cursor = params.cursor(&mut errs);
    QueryParams::finish(errs)?;
    let mut list = ListQuery::default();
    let scope = access::list_scope(&state, &caller, list.binds(), "", AgencyRows::AddressedToIt, "")?;
    list.condition(scope);
    list.equal("person_id", params.get("person_id"));
    list.equal("rule", params.get("rule"));
    list.equal("status", status);
    if let Some(after) = cursor {
        let mark = list.param(after);
        list.condition(format!("id > {mark}"));
    }
    let select = "SELECT id, rule, '' AS rule_name, payment_row_id, recipient_kind, person_id, unit_code, channel,
                         status, body, attempts, last_error, created_at, sent_at FROM policy_notices";
    let rows: Vec<PolicyNotice> = list.fetch(&state.db.pool, select, "id", limit).await?;
    let items: Vec<PolicyNotice> =
        rows.into_iter().map(|n| PolicyNotice { rule_name: rule_name(&n.rule).into(), ..n }).collect();
    let (items, next_cursor) = page(items, limit, |x| &x.id);
    Ok(Json(PolicyNoticePage { items, next_cursor }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_fits_two_sms_segments_and_names_nobody() {
        let long_employer = "嘉兴市南湖区某某某某某某某某某某某某某某食品加工有限责任公司";
        for rule in ["flexible_si", "loan_interest", "living_allowance", "employer_si"] {
            let text = notice_text(rule, long_employer, "2025-12", 99_999_999, "嘉兴经济技术开发区").unwrap();
            // Two SMS segments of 67 characters (the push service's SMS_MAX_CHARS).
            assert!(text.chars().count() <= 134, "{rule}: {} chars: {text}", text.chars().count());
            assert!(text.contains("2025年12月") && text.contains("999999.99元"), "{text}");
        }
        assert_eq!(notice_text("agency_service", "某机构", "2025-01", 100, "南湖区"), None);
        assert_eq!(notice_text("welfare_post", "某街道", "2025-01", 100, "南湖区"), None);
    }
}
