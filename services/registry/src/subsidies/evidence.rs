//! Evidence from other departments (数据共享比对) that subsidies rest on:
//! social-insurance contributions, unemployment-insurance payments, business
//! registrations and guaranteed start-up loans, imported as CSV (UTF-8 or
//! GBK) or XLSX like the person lists.
//!
//! A file is taken whole or not at all: every row is checked first (the
//! person known and in the importer's region, the values, duplicates in the
//! file, overlapping loans, a month not in the future) and any bad row
//! refuses the file with every bad cell named (`rows[LINE].field`). A row
//! equal to one on record is unchanged; one that differs from it is a
//! conflict, never overwritten. `dry_run` checks and stores nothing.

use std::collections::{HashMap, HashSet};

use axum::extract::{Request, State};
use axum::Json;
use chrono::{Datelike, NaiveDate};
use jobmatch_core::error::{ApiResult, FieldError, Problem};
use jobmatch_core::http::QueryParams;
use jobmatch_core::ids::new_id;
use jobmatch_core::validate::{to_half_width, Errors};
use jobmatch_core::{ApiError, AppState, Principal, Role};
use serde::Serialize;
use sqlx::AnyConnection;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::money::{parse_fen, parse_rate_ppm};
use crate::persons::import::{each_row, spool, Spool};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import_evidence))
}

/// The kinds of evidence.
pub const KINDS: [&str; 4] = ["social_insurance", "unemployment_insurance", "business_registration", "startup_loan"];

/// At most this many data rows in one file.
const MAX_ROWS: usize = 300_000;
/// At most this many bad cells listed in a refusal (the count says all).
const MAX_LISTED: usize = 1000;

/// A column: the API's field name and the Chinese headers it is known by.
struct Col {
    field: &'static str,
    names: &'static [&'static str],
    label: &'static str,
    required: bool,
}

const fn col(field: &'static str, label: &'static str, names: &'static [&'static str], required: bool) -> Col {
    Col { field, names, label, required }
}

const ID: Col = col("id_number", "身份证号", &["身份证号", "身份证号码", "公民身份号码"], true);
const MONTH: Col = col("month", "月份", &["月份", "缴费月份", "发放月份", "所属期"], true);

const SOCIAL_INSURANCE: &[Col] = &[
    ID,
    MONTH,
    col("kind", "参保类型", &["参保类型", "参保身份"], true),
    col("employer_code", "统一社会信用代码", &["统一社会信用代码", "单位代码"], false),
    col("employer_name", "单位名称", &["单位名称"], false),
    col("employer_type", "单位性质", &["单位性质", "单位类型"], false),
    col("employer_phone", "单位联系电话", &["单位联系电话", "联系电话"], false),
    col("pension", "养老保险", &["养老保险", "养老保险缴费"], true),
    col("medical", "医疗保险", &["医疗保险", "医疗保险缴费"], true),
    col("unemployment", "失业保险", &["失业保险", "失业保险缴费"], true),
];
const UNEMPLOYMENT_INSURANCE: &[Col] = &[ID, MONTH, col("amount", "金额", &["金额", "发放金额", "失业保险金"], true)];
const BUSINESS_REGISTRATION: &[Col] = &[
    ID,
    col("registered_on", "登记日期", &["登记日期", "成立日期"], true),
    col("licence_no", "营业执照号", &["营业执照号", "统一社会信用代码", "注册号"], true),
    col("business_name", "名称", &["名称", "字号名称", "企业名称"], false),
];
const STARTUP_LOAN: &[Col] = &[
    ID,
    col("bank", "贷款银行", &["贷款银行", "经办银行"], true),
    col("amount", "贷款金额", &["贷款金额", "金额"], true),
    col("rate", "年利率", &["年利率", "利率"], true),
    col("starts_on", "放款日期", &["放款日期", "起始日期"], true),
    col("ends_on", "到期日期", &["到期日期", "终止日期"], true),
];

fn columns(kind: &str) -> &'static [Col] {
    match kind {
        "social_insurance" => SOCIAL_INSURANCE,
        "unemployment_insurance" => UNEMPLOYMENT_INSURANCE,
        "business_registration" => BUSINESS_REGISTRATION,
        _ => STARTUP_LOAN,
    }
}

/// What an import did (or, on a dry run, would do).
#[derive(Serialize, ToSchema)]
pub struct EvidenceReport {
    pub kind: String,
    pub dry_run: bool,
    /// Data rows read (the header not counted).
    pub rows: usize,
    /// Rows stored (on a dry run: that would be).
    pub stored: usize,
    /// Rows equal to what is on record.
    pub unchanged: usize,
    /// Columns not used by the import.
    pub ignored_columns: Vec<String>,
    /// The stored batch (absent on a dry run or when nothing was new).
    pub batch_id: Option<String>,
    /// Employers whose contact phone the file gives (kept for policy notices).
    pub employer_contacts: usize,
}

/// One checked row.
#[derive(Clone, Debug, PartialEq)]
enum Record {
    Contribution {
        month: String,
        kind: String,
        employer_code: String,
        employer_name: Option<String>,
        employer_type: Option<String>,
        pension: i64,
        medical: i64,
        unemployment: i64,
    },
    Benefit {
        month: String,
        amount: i64,
    },
    Business {
        registered_on: String,
        licence_no: String,
        business_name: Option<String>,
    },
    Loan {
        bank: String,
        amount: i64,
        rate_ppm: i64,
        starts_on: String,
        ends_on: String,
    },
}

impl Record {
    /// What makes two rows the same record (the rest must then be equal).
    fn key(&self) -> String {
        match self {
            Record::Contribution { month, kind, employer_code, .. } => format!("{month}|{kind}|{employer_code}"),
            Record::Benefit { month, .. } => month.clone(),
            Record::Business { licence_no, .. } => licence_no.clone(),
            Record::Loan { bank, starts_on, .. } => format!("{bank}|{starts_on}"),
        }
    }
}

struct Row {
    line: usize,
    id_number: String,
    record: Record,
    /// The employer's contact (单位联系电话), for policy notices.
    employer_phone: Option<String>,
}

/// Where a bad cell is, as the answer names it.
fn at(line: usize, field: &str) -> String {
    format!("rows[{line}].{field}")
}

fn month_cell(raw: &str) -> Option<NaiveDate> {
    let s = raw.trim().replace(['年', '/', '.'], "-").replace('月', "");
    let s = if s.len() == 6 && s.chars().all(|c| c.is_ascii_digit()) { format!("{}-{}", &s[..4], &s[4..]) } else { s };
    let (y, m) = s.split_once('-')?;
    let m: u32 = m.trim_end_matches('-').parse().ok()?;
    NaiveDate::from_ymd_opt(y.parse().ok()?, m, 1)
}

fn date_cell(raw: &str) -> Option<NaiveDate> {
    let s = raw.trim();
    let s = s.split([' ', 'T']).next().unwrap_or(s).replace(['/', '.'], "-");
    if s.len() == 8 && s.chars().all(|c| c.is_ascii_digit()) {
        return NaiveDate::parse_from_str(&s, "%Y%m%d").ok();
    }
    NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()
}

/// Check one row's cells into a record; every bad cell is added to `errs`.
/// `kinds`: the employer kinds the policy file names (单位性质).
fn check_row(
    kind: &str,
    line: usize,
    cells: &HashMap<&'static str, String>,
    today: NaiveDate,
    kinds: &jobmatch_core::policy::EvidencePolicy,
    errs: &mut Errors,
) -> Option<Row> {
    let cell = |f: &str| cells.get(f).map(|v| v.trim()).filter(|v| !v.is_empty());
    let before = errs.0.len();
    for c in columns(kind) {
        if c.required && cell(c.field).is_none() {
            errs.add(at(line, c.field), "required", format!("第 {line} 行“{}”必填", c.label));
        }
    }
    let id_number = cell("id_number").map(|v| to_half_width(v).to_uppercase()).unwrap_or_default();
    if !id_number.is_empty() {
        if let Err(e) = jobmatch_core::idcard::parse(&id_number, today) {
            errs.add(at(line, "id_number"), e.code, format!("第 {line} 行“身份证号”：{}", e.message));
        }
    }
    let this_month = today.with_day0(0).unwrap_or(today);
    let month = |errs: &mut Errors| -> Option<String> {
        let raw = cell("month")?;
        match month_cell(raw) {
            None => errs.add(at(line, "month"), "invalid_month", format!("第 {line} 行“月份”应为 YYYY-MM")),
            Some(m) if m > this_month => {
                errs.add(at(line, "month"), "future_month", format!("第 {line} 行“月份”{raw} 尚未到来"))
            }
            Some(m) => return Some(m.format("%Y-%m").to_string()),
        }
        None
    };
    let money = |field: &str, label: &str, errs: &mut Errors| -> Option<i64> {
        let raw = cell(field)?;
        match parse_fen(raw) {
            Some(v) if v >= 0 => Some(v),
            Some(_) => {
                errs.add(at(line, field), "negative_amount", format!("第 {line} 行“{label}”不能为负数"));
                None
            }
            None => {
                errs.add(
                    at(line, field),
                    "invalid_amount",
                    format!("第 {line} 行“{label}”应为金额（元，最多两位小数）"),
                );
                None
            }
        }
    };
    let date = |field: &str, label: &str, errs: &mut Errors| -> Option<NaiveDate> {
        let raw = cell(field)?;
        let d = date_cell(raw);
        if d.is_none() {
            errs.add(at(line, field), "invalid_date", format!("第 {line} 行“{label}”应为日期 YYYY-MM-DD"));
        }
        d
    };
    let text = |field: &str| cell(field).map(|v| v.chars().take(200).collect::<String>());
    let employer_phone = cell("employer_phone").and_then(|raw| {
        let phone = jobmatch_core::validate::normalize_phone(raw);
        if phone.is_none() {
            errs.add(
                at(line, "employer_phone"),
                "invalid_phone",
                format!("第 {line} 行“单位联系电话”应为手机号或带区号的固定电话"),
            );
        }
        phone
    });
    let record = match kind {
        "social_insurance" => {
            let month = month(errs);
            let k = cell("kind").and_then(|v| match v {
                "灵活就业" | "灵活就业人员" | "flexible" => Some("flexible"),
                "单位" | "单位职工" | "企业职工" | "employer" => Some("employer"),
                _ => None,
            });
            if cell("kind").is_some() && k.is_none() {
                errs.add(at(line, "kind"), "unknown_kind", format!("第 {line} 行“参保类型”应为 灵活就业 或 单位职工"));
            }
            let employer_type = cell("employer_type").map(|v| kinds.employer_type(v));
            if employer_type.is_some_and(|t| t.is_none()) {
                let names: Vec<&str> = kinds.employer_type.iter().map(|t| t.name.as_str()).collect();
                errs.add(
                    at(line, "employer_type"),
                    "unknown_employer_type",
                    format!("第 {line} 行“单位性质”应为：{}", names.join("、")),
                );
            }
            let employer_type = employer_type.flatten().map(String::from);
            let employer_code = cell("employer_code").map(|v| to_half_width(v).to_uppercase()).unwrap_or_default();
            if k == Some("employer") {
                if employer_code.is_empty() {
                    errs.add(
                        at(line, "employer_code"),
                        "required",
                        format!("第 {line} 行单位职工须填“统一社会信用代码”"),
                    );
                } else if employer_code.len() != 18 || !employer_code.chars().all(|c| c.is_ascii_alphanumeric()) {
                    errs.add(
                        at(line, "employer_code"),
                        "invalid_credit_code",
                        format!("第 {line} 行“统一社会信用代码”应为 18 位数字或字母"),
                    );
                }
                if employer_type.is_none() && cell("employer_type").is_none() {
                    errs.add(at(line, "employer_type"), "required", format!("第 {line} 行单位职工须填“单位性质”"));
                }
                if cell("employer_name").is_none() {
                    errs.add(at(line, "employer_name"), "required", format!("第 {line} 行单位职工须填“单位名称”"));
                }
            }
            let (pension, medical, unemployment) = (
                money("pension", "养老保险", errs),
                money("medical", "医疗保险", errs),
                money("unemployment", "失业保险", errs),
            );
            let flexible = k == Some("flexible");
            Record::Contribution {
                month: month?,
                kind: k?.to_string(),
                employer_code: if flexible { String::new() } else { employer_code },
                employer_name: if flexible { None } else { text("employer_name") },
                employer_type: if flexible { None } else { employer_type },
                pension: pension?,
                medical: medical?,
                unemployment: unemployment?,
            }
        }
        "unemployment_insurance" => {
            let month = month(errs);
            let amount = money("amount", "金额", errs);
            Record::Benefit { month: month?, amount: amount? }
        }
        "business_registration" => {
            let on = date("registered_on", "登记日期", errs);
            if on.is_some_and(|d| d > today) {
                errs.add(at(line, "registered_on"), "future_date", format!("第 {line} 行“登记日期”尚未到来"));
            }
            let licence = cell("licence_no").map(|v| to_half_width(v).to_uppercase());
            if licence
                .as_deref()
                .is_some_and(|l| l.len() < 8 || l.len() > 30 || !l.chars().all(|c| c.is_ascii_alphanumeric()))
            {
                errs.add(
                    at(line, "licence_no"),
                    "invalid_licence",
                    format!("第 {line} 行“营业执照号”应为 8–30 位数字或字母"),
                );
            }
            Record::Business {
                registered_on: on.filter(|d| *d <= today)?.to_string(),
                licence_no: licence.filter(|_| !errs.has(&at(line, "licence_no")))?,
                business_name: text("business_name"),
            }
        }
        _ => {
            let amount = money("amount", "贷款金额", errs);
            if amount == Some(0) {
                errs.add(at(line, "amount"), "zero_amount", format!("第 {line} 行“贷款金额”应大于 0"));
            }
            let rate = cell("rate").map(|raw| parse_rate_ppm(raw).filter(|r| (1..=200_000).contains(r)));
            if rate.is_some_and(|r| r.is_none()) {
                errs.add(
                    at(line, "rate"),
                    "invalid_rate",
                    format!("第 {line} 行“年利率”应为百分数，如 3.45 或 3.45%（0–20%）"),
                );
            }
            let (starts, ends) = (date("starts_on", "放款日期", errs), date("ends_on", "到期日期", errs));
            if starts.is_some_and(|d| d > today) {
                errs.add(at(line, "starts_on"), "future_date", format!("第 {line} 行“放款日期”尚未到来"));
            }
            if let (Some(s), Some(e)) = (starts, ends) {
                if e <= s {
                    errs.add(at(line, "ends_on"), "ends_before_start", format!("第 {line} 行“到期日期”应晚于放款日期"));
                }
            }
            Record::Loan {
                bank: text("bank")?,
                amount: amount.filter(|a| *a > 0)?,
                rate_ppm: rate.flatten()?,
                starts_on: starts.filter(|d| *d <= today)?.to_string(),
                ends_on: ends.filter(|e| starts.is_some_and(|s| *e > s))?.to_string(),
            }
        }
    };
    (errs.0.len() == before).then_some(Row { line, id_number, record, employer_phone })
}

/// Map the header to fields; every required column must be there.
fn read_header(kind: &str, header: &[String]) -> Result<(HashMap<usize, &'static str>, Vec<String>), ApiError> {
    let mut map = HashMap::new();
    let mut ignored = Vec::new();
    for (i, h) in header.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{feff}');
        match columns(kind).iter().find(|c| c.field == h || c.names.contains(&h)) {
            Some(c) if !map.values().any(|f| *f == c.field) => {
                map.insert(i, c.field);
            }
            _ => ignored.push(h.to_string()),
        }
    }
    let missing: Vec<FieldError> = columns(kind)
        .iter()
        .filter(|c| c.required && !map.values().any(|f| *f == c.field))
        .map(|c| FieldError::new("header", "missing_column", format!("缺少“{}”列", c.label)))
        .collect();
    if missing.is_empty() {
        Ok((map, ignored))
    } else {
        Err(ApiError::validation(missing))
    }
}

/// The people of these ID numbers the caller may act on: number → (id).
/// Anyone else (unknown, or outside the caller's region) is absent alike.
async fn people(
    conn: &mut AnyConnection,
    state: &AppState,
    caller: &Principal,
    numbers: &HashSet<String>,
) -> Result<HashMap<String, String>, sqlx::Error> {
    let mut out = HashMap::new();
    let numbers: Vec<&String> = numbers.iter().collect();
    for chunk in numbers.chunks(500) {
        let hashes: Vec<String> = chunk.iter().map(|n| state.vault.blind_index("id_number", n)).collect();
        let marks: Vec<String> = (1..=hashes.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT id_hash, id, region_code FROM persons WHERE id_hash IN ({})", marks.join(", "));
        let mut q = sqlx::query_as::<_, (String, String, String)>(&sql);
        for h in &hashes {
            q = q.bind(h);
        }
        let found: HashMap<String, (String, String)> =
            q.fetch_all(&mut *conn).await?.into_iter().map(|(h, id, region)| (h, (id, region))).collect();
        for (n, h) in chunk.iter().zip(&hashes) {
            if let Some((id, region)) = found.get(h) {
                if caller.covers_region(state, region) {
                    out.insert((*n).clone(), id.clone());
                }
            }
        }
    }
    Ok(out)
}

/// month, kind, employer code, name, type, pension, medical, unemployment.
type StoredContribution = (String, String, String, Option<String>, Option<String>, i64, i64, i64);

/// What is on record for a person, by record key.
async fn stored(conn: &mut AnyConnection, kind: &str, person_id: &str) -> Result<Vec<(String, Record)>, sqlx::Error> {
    let records: Vec<Record> = match kind {
        "social_insurance" => {
            let rows: Vec<StoredContribution> = sqlx::query_as(
                "SELECT month, kind, employer_code, employer_name, employer_type, pension_fen, medical_fen, unemployment_fen
                 FROM si_contributions WHERE person_id = $1",
            )
            .bind(person_id)
            .fetch_all(&mut *conn)
            .await?;
            rows.into_iter()
                .map(|r| Record::Contribution {
                    month: r.0,
                    kind: r.1,
                    employer_code: r.2,
                    employer_name: r.3,
                    employer_type: r.4,
                    pension: r.5,
                    medical: r.6,
                    unemployment: r.7,
                })
                .collect()
        }
        "unemployment_insurance" => {
            let rows: Vec<(String, i64)> =
                sqlx::query_as("SELECT month, amount_fen FROM ui_payments WHERE person_id = $1")
                    .bind(person_id)
                    .fetch_all(&mut *conn)
                    .await?;
            rows.into_iter().map(|(month, amount)| Record::Benefit { month, amount }).collect()
        }
        "business_registration" => {
            let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
                "SELECT registered_on, licence_no, business_name FROM business_registrations WHERE person_id = $1",
            )
            .bind(person_id)
            .fetch_all(&mut *conn)
            .await?;
            rows.into_iter()
                .map(|(registered_on, licence_no, business_name)| Record::Business {
                    registered_on,
                    licence_no,
                    business_name,
                })
                .collect()
        }
        _ => {
            let rows: Vec<(String, i64, i64, String, String)> = sqlx::query_as(
                "SELECT bank, amount_fen, rate_ppm, starts_on, ends_on FROM startup_loans WHERE person_id = $1",
            )
            .bind(person_id)
            .fetch_all(&mut *conn)
            .await?;
            rows.into_iter()
                .map(|(bank, amount, rate_ppm, starts_on, ends_on)| Record::Loan {
                    bank,
                    amount,
                    rate_ppm,
                    starts_on,
                    ends_on,
                })
                .collect()
        }
    };
    Ok(records.into_iter().map(|r| (r.key(), r)).collect())
}

/// A business registration number held by someone else.
async fn licence_holder(conn: &mut AnyConnection, licence: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT person_id FROM business_registrations WHERE licence_no = $1")
        .bind(licence)
        .fetch_optional(conn)
        .await
}

async fn insert(
    conn: &mut AnyConnection,
    person_id: &str,
    record: &Record,
    batch: &str,
    now: &str,
) -> Result<(), sqlx::Error> {
    match record {
        Record::Contribution {
            month,
            kind,
            employer_code,
            employer_name,
            employer_type,
            pension,
            medical,
            unemployment,
        } => {
            sqlx::query(
                "INSERT INTO si_contributions (id, person_id, month, kind, employer_code, employer_name, employer_type,
                    pension_fen, medical_fen, unemployment_fen, batch_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(new_id("sic"))
            .bind(person_id)
            .bind(month)
            .bind(kind)
            .bind(employer_code)
            .bind(employer_name)
            .bind(employer_type)
            .bind(pension)
            .bind(medical)
            .bind(unemployment)
            .bind(batch)
            .bind(now)
            .execute(conn)
            .await?;
        }
        Record::Benefit { month, amount } => {
            sqlx::query(
                "INSERT INTO ui_payments (id, person_id, month, amount_fen, batch_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(new_id("uip"))
            .bind(person_id)
            .bind(month)
            .bind(amount)
            .bind(batch)
            .bind(now)
            .execute(conn)
            .await?;
        }
        Record::Business { registered_on, licence_no, business_name } => {
            sqlx::query(
                "INSERT INTO business_registrations (id, person_id, registered_on, licence_no, business_name, batch_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(new_id("biz"))
            .bind(person_id)
            .bind(registered_on)
            .bind(licence_no)
            .bind(business_name)
            .bind(batch)
            .bind(now)
            .execute(conn)
            .await?;
        }
        Record::Loan { bank, amount, rate_ppm, starts_on, ends_on } => {
            sqlx::query(
                "INSERT INTO startup_loans (id, person_id, bank, amount_fen, rate_ppm, starts_on, ends_on, batch_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(new_id("loan"))
            .bind(person_id)
            .bind(bank)
            .bind(amount)
            .bind(rate_ppm)
            .bind(starts_on)
            .bind(ends_on)
            .bind(batch)
            .bind(now)
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

fn loan_span(r: &Record) -> Option<(&str, &str)> {
    match r {
        Record::Loan { starts_on, ends_on, .. } => Some((starts_on, ends_on)),
        _ => None,
    }
}

/// Import a file of evidence from another department.
///
/// `kind`: `social_insurance` (身份证号, 月份, 参保类型 灵活就业|单位职工,
/// 统一社会信用代码, 单位名称, 单位性质 企业|机关|全额拨款事业单位|公益性岗位|其他,
/// 养老保险, 医疗保险, 失业保险 — for 单位职工 the employer's parts; optional
/// 单位联系电话, where the employer's policy notices go),
/// `unemployment_insurance` (身份证号, 月份, 金额), `business_registration`
/// (身份证号, 登记日期, 营业执照号, 名称), `startup_loan` (身份证号, 贷款银行,
/// 贷款金额, 年利率, 放款日期, 到期日期). Amounts in yuan with at most two
/// decimals. Any bad row refuses the whole file (422, every bad cell as
/// `rows[LINE].field`, header = line 1); nothing is stored from it.
#[utoipa::path(post, path = "/v1/evidence/import", tag = "subsidies",
    params(("kind" = String, Query, description = "social_insurance | unemployment_insurance | business_registration | startup_loan"),
           ("dry_run" = Option<bool>, Query)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = EvidenceReport), (status = 400, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn import_evidence(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
    req: Request,
) -> ApiResult<Json<EvidenceReport>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let mut errs = Errors::default();
    params.deny_unknown(&["kind", "dry_run"], &mut errs);
    let kind = params.one_of("kind", &KINDS, &mut errs);
    if params.get("kind").is_none() {
        errs.add("kind", "required", format!("必填：{}", KINDS.join(", ")));
    }
    let dry_run = params.flag("dry_run", &mut errs);
    QueryParams::finish(errs)?;
    let kind = kind.unwrap_or_default();
    let spooled =
        Spool(jobmatch_core::files::spool_dir(&state.settings.data_dir).join(format!("{}.upload", new_id("evidence"))));
    spool(req, &spooled.0, state.settings.person_import_max_bytes).await?;

    // Read and check every row (on a blocking thread: parsing is CPU work).
    let today = state.today();
    let path = spooled.0.clone();
    let k = kind.clone();
    let kinds = state.policy.evidence.clone();
    let (rows, ignored, mut errs, read) = tokio::task::spawn_blocking(move || -> ApiResult<_> {
        let mut header: Option<HashMap<usize, &'static str>> = None;
        let mut ignored = Vec::new();
        let mut rows = Vec::new();
        let mut errs = Errors::default();
        let mut read = 0usize;
        each_row(&path, &mut |line, cells| {
            let Some(map) = &header else {
                let (map, skipped) = read_header(&k, &cells)?;
                header = Some(map);
                ignored = skipped;
                return Ok(true);
            };
            read += 1;
            if read > MAX_ROWS {
                return Err(ApiError::validation(vec![FieldError::new(
                    "body",
                    "too_many_rows",
                    format!("一个文件最多 {MAX_ROWS} 行数据，请分批导入"),
                )]));
            }
            let named: HashMap<&'static str, String> =
                cells.into_iter().enumerate().filter_map(|(i, v)| map.get(&i).map(|f| (*f, v))).collect();
            if let Some(row) = check_row(&k, line, &named, today, &kinds, &mut errs) {
                rows.push(row);
            }
            Ok(true)
        })?;
        Ok((rows, ignored, errs, read))
    })
    .await
    .map_err(anyhow::Error::from)??;
    drop(spooled);

    // The people, the file against itself, and the file against the records.
    let mut conn = state.db.pool.acquire().await?;
    let numbers: HashSet<String> = rows.iter().map(|r| r.id_number.clone()).collect();
    let found = people(&mut conn, &state, &caller, &numbers).await?;
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut new_rows: Vec<(String, &Row)> = Vec::new();
    let mut unchanged = 0usize;
    let mut on_record: HashMap<String, Vec<(String, Record)>> = HashMap::new();
    let mut licences: HashMap<String, String> = HashMap::new();
    for row in &rows {
        let line = row.line;
        let Some(person) = found.get(&row.id_number) else {
            errs.add(
                at(line, "id_number"),
                "unknown_person",
                format!("第 {line} 行：没有此身份证号的登记人员（或不在本人负责的区域内）"),
            );
            continue;
        };
        if let Some(first) = seen.insert((person.clone(), row.record.key()), line) {
            errs.add(at(line, "id_number"), "duplicate_row", format!("第 {line} 行与第 {first} 行是同一条记录"));
            continue;
        }
        if !on_record.contains_key(person) {
            let s = stored(&mut conn, &kind, person).await?;
            on_record.insert(person.clone(), s);
        }
        let mine = &on_record[person];
        match mine.iter().find(|(key, _)| *key == row.record.key()) {
            Some((_, r)) if *r == row.record => {
                unchanged += 1;
                continue;
            }
            Some(_) => {
                errs.add(
                    at(line, "id_number"),
                    "conflicts_with_record",
                    format!("第 {line} 行与已导入的同一条记录数值不同；已有记录不会被覆盖，如需更正请联系数据提供部门"),
                );
                continue;
            }
            None => {}
        }
        if let Record::Business { licence_no, .. } = &row.record {
            let holder = match licences.get(licence_no) {
                Some(h) => Some(h.clone()),
                None => licence_holder(&mut conn, licence_no).await?,
            };
            if holder.as_deref().is_some_and(|h| h != person) {
                errs.add(at(line, "licence_no"), "licence_taken", format!("第 {line} 行“营业执照号”已登记在他人名下"));
                continue;
            }
            licences.insert(licence_no.clone(), person.clone());
        }
        if let Some((s, e)) = loan_span(&row.record) {
            let others = mine
                .iter()
                .map(|(_, r)| (r, 0))
                .chain(new_rows.iter().filter(|(p, _)| p == person).map(|(_, r)| (&r.record, r.line)));
            for (other, other_line) in others {
                if let Some((os, oe)) = loan_span(other) {
                    if s <= oe && os <= e {
                        let with = if other_line == 0 {
                            "已登记的贷款".to_string()
                        } else {
                            format!("第 {other_line} 行的贷款")
                        };
                        errs.add(
                            at(line, "starts_on"),
                            "overlapping_loan",
                            format!("第 {line} 行的贷款期限与{with}重叠（{os} 至 {oe}）"),
                        );
                        break;
                    }
                }
            }
            if errs.has(&at(line, "starts_on")) {
                continue;
            }
        }
        new_rows.push((person.clone(), row));
    }
    if !errs.is_empty() {
        let mut all = errs.0;
        let total = all.len();
        all.truncate(MAX_LISTED);
        let problem = Problem::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "文件有误，未导入任何一行",
            format!("{total} 处不符合要求，请改正后重新导入整个文件"),
        )
        .with_errors(all)
        .with("error_count", total as i64);
        return Err(problem.into());
    }
    // The employers' contacts (the file's last word for each), also from
    // rows already on record.
    let mut contacts: HashMap<&str, (&Option<String>, &str)> = HashMap::new();
    for row in &rows {
        if let (Record::Contribution { kind, employer_code, employer_name, .. }, Some(phone)) =
            (&row.record, &row.employer_phone)
        {
            if kind == "employer" {
                contacts.insert(employer_code.as_str(), (employer_name, phone.as_str()));
            }
        }
    }
    let mut report = EvidenceReport {
        kind: kind.clone(),
        dry_run,
        rows: read,
        stored: new_rows.len(),
        unchanged,
        ignored_columns: ignored,
        batch_id: None,
        employer_contacts: contacts.len(),
    };
    if dry_run || new_rows.is_empty() && contacts.is_empty() {
        return Ok(Json(report));
    }
    drop(conn);
    let now = state.now_text();
    let mut tx = state.db.pool.begin().await?;
    for (code, (name, phone)) in &contacts {
        sqlx::query(
            "INSERT INTO employer_contacts (employer_code, employer_name, phone_cipher, phone_masked, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (employer_code) DO UPDATE SET employer_name = excluded.employer_name,
                 phone_cipher = excluded.phone_cipher, phone_masked = excluded.phone_masked, updated_at = excluded.updated_at",
        )
        .bind(*code)
        .bind(*name)
        .bind(state.vault.encrypt(phone))
        .bind(jobmatch_core::records::persons::mask_phone(phone))
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    }
    if new_rows.is_empty() {
        tx.commit().await?;
        return Ok(Json(report));
    }
    let batch = new_id("evb");
    sqlx::query(
        "INSERT INTO evidence_batches (id, kind, rows, actor_key_id, actor_org_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&batch)
    .bind(&kind)
    .bind(new_rows.len() as i64)
    .bind(&caller.key_id)
    .bind(&caller.org_id)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    for (person, row) in &new_rows {
        insert(&mut tx, person, &row.record, &batch, &now).await?;
    }
    tx.commit().await?;
    tracing::info!(kind, rows = new_rows.len(), batch, "evidence imported");
    report.batch_id = Some(batch);
    Ok(Json(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn months_and_dates_are_read_as_departments_write_them() {
        for m in ["2025-03", "2025/03", "202503", "2025年3月", "2025.3"] {
            assert_eq!(month_cell(m), Some(d("2025-03-01")), "{m}");
        }
        assert_eq!(month_cell("2025-13"), None);
        for s in ["2025-03-09", "2025/3/9", "20250309", "2025-03-09 00:00:00"] {
            assert_eq!(date_cell(s), Some(d("2025-03-09")), "{s}");
        }
        assert_eq!(date_cell("去年"), None);
    }

    #[test]
    fn a_bad_row_names_every_bad_cell() {
        let cells: HashMap<&'static str, String> = [
            ("id_number", "330402199001011234"),
            ("month", "2099-01"),
            ("kind", "单位职工"),
            ("employer_code", "123"),
            ("pension", "-5"),
            ("medical", "1.234"),
            ("unemployment", "abc"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
        let mut errs = Errors::default();
        assert!(check_row("social_insurance", 7, &cells, d("2026-12-06"), &Default::default(), &mut errs).is_none());
        let fields: Vec<String> = errs.0.into_iter().map(|e| e.field).collect();
        for f in ["month", "employer_code", "employer_type", "employer_name", "pension", "medical", "unemployment"] {
            assert!(fields.contains(&format!("rows[7].{f}")), "{f} in {fields:?}");
        }
    }
}
