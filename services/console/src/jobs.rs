//! 岗位: find, publish, edit and close jobs; a job's candidates with their
//! reasons. Every rule is the API's: a refused form shows its messages
//! (the discriminatory-wording refusal included) by the fields they name.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::Form as AxumForm;
use jobmatch_core::Role;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::forms::{encode, flat_field, words, Field, Form, FormPage, Posted};
use crate::labels::{self, name};
use crate::{render, safe_id, see_other, Ctx, Layout};

const SOURCES: &[&str] = &["gig_market", "community", "public_welfare", "employer"];
const TYPES: &[&str] = &["gig", "part_time", "full_time", "seasonal"];
const UNITS: &[&str] = &["hour", "day", "month", "piece"];
const PHYSICAL: &[&str] = &["light", "medium", "heavy"];

/// A job as a list or page shows it.
pub(crate) struct JobRow {
    pub id: String,
    pub title: String,
    pub status: String,
    pub place: String,
    pub pay: String,
    pub kind: String,
    pub headcount: i64,
    pub valid_until: String,
}

pub(crate) fn region_name(ctx: &Ctx, code: &str) -> String {
    let regions = &ctx.state.regions;
    let mut names: Vec<String> = regions
        .ancestors(code)
        .filter(|r| r.level != "city" && r.level != "province")
        .map(|r| r.name.clone())
        .collect();
    names.reverse();
    if names.is_empty() {
        regions.get(code).map(|r| r.name.clone()).unwrap_or_else(|| code.to_string())
    } else {
        names.join(" · ")
    }
}

pub(crate) fn pay_text(pay: &Value) -> String {
    let (min, max) = (pay["min"].as_i64().unwrap_or(0), pay["max"].as_i64().unwrap_or(0));
    let unit = name("pay_unit", pay["unit"].as_str().unwrap_or(""));
    if min == max {
        format!("{min} {unit}")
    } else {
        format!("{min}–{max} {unit}")
    }
}

pub(crate) fn job_row(ctx: &Ctx, j: &Value) -> JobRow {
    let text = |k: &str| j[k].as_str().unwrap_or("").to_string();
    let status = match (j["status"].as_str(), j["close_reason"].as_str()) {
        (Some("closed"), Some(r)) => format!("已关闭（{}）", name("close_reason", r)),
        (Some(s), _) => name("job_status", s),
        _ => String::new(),
    };
    JobRow {
        id: text("id"),
        title: text("title"),
        status,
        place: region_name(ctx, j["region_code"].as_str().unwrap_or("")),
        pay: pay_text(&j["pay"]),
        kind: name("employment_type", j["employment_type"].as_str().unwrap_or("")),
        headcount: j["headcount"].as_i64().unwrap_or(0),
        valid_until: j["valid_until"].as_str().map(|v| v.chars().take(10).collect()).unwrap_or_else(|| "长期".into()),
    }
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct JobsPage {
    layout: Layout,
    q: String,
    status: String,
    statuses: Vec<(String, String)>,
    jobs: Vec<JobRow>,
    next: Option<String>,
    may_publish: bool,
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
}

pub(crate) async fn list(ctx: Ctx, Query(query): Query<ListQuery>) -> Response {
    let q = query.q.unwrap_or_default().trim().chars().take(50).collect::<String>();
    let status = query.status.filter(|s| ["open", "closed", "expired"].contains(&s.as_str())).unwrap_or("open".into());
    let mut uri = format!("/v1/jobs?limit=50&status={status}");
    if !q.is_empty() {
        uri.push_str(&format!("&q={}", encode(&q)));
    }
    if let Some(c) = query.cursor.as_deref().filter(|c| c.len() < 200) {
        uri.push_str(&format!("&cursor={}", encode(c)));
    }
    let page = match ctx.get(&uri).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let jobs = page["items"].as_array().map(|a| a.iter().map(|j| job_row(&ctx, j)).collect()).unwrap_or_default();
    let next = page["next_cursor"]
        .as_str()
        .map(|c| format!("/console/jobs?status={status}&q={}&cursor={}", encode(&q), encode(c)));
    let may_publish = ctx.role() != Role::Agency;
    let page = JobsPage {
        layout: ctx.layout("岗位", "jobs"),
        q,
        status,
        statuses: labels::options("job_status", &["open", "closed", "expired"]),
        jobs,
        next,
        may_publish,
    };
    render(StatusCode::OK, &page)
}

fn region_options(ctx: &Ctx) -> Vec<(String, String)> {
    let p = &ctx.session.principal;
    let mut regions: Vec<_> = ctx
        .state
        .regions
        .all()
        .filter(|r| r.level != "city" && r.level != "province")
        .filter(|r| p.role != Role::Staff || ctx.state.regions.covers(&p.region_code, &r.code))
        .map(|r| (r.code.clone(), format!("{}（{}）", region_name(ctx, &r.code), r.code)))
        .collect();
    regions.sort();
    regions.insert(0, (String::new(), "请选择".into()));
    regions
}

fn with_blank(mut options: Vec<(String, String)>, blank: &str) -> Vec<(String, String)> {
    options.insert(0, (String::new(), blank.into()));
    options
}

pub(crate) fn job_form(ctx: &Ctx) -> Form {
    let categories: Vec<(String, String)> = ctx
        .state
        .vocab
        .category_codes()
        .iter()
        .map(|c| (c.to_string(), ctx.state.vocab.category(c).map(|x| x.name.clone()).unwrap_or_else(|| c.to_string())))
        .collect();
    Form::new(vec![
        Field::new("title", "岗位名称", "text").required().hint("2–60 个字，例如：小区保洁员"),
        Field::new("description", "工作内容", "textarea").required().hint("做什么、在哪里、几点到几点"),
        Field::new("source", "岗位来源", "select").required().options(labels::options("source", SOURCES)),
        Field::new("category", "工种类别", "select").required().options(with_blank(categories, "请选择")),
        Field::new("employment_type", "用工形式", "select")
            .required()
            .options(labels::options("employment_type", TYPES)),
        Field::new("pay_min", "最低薪酬（元）", "number").required(),
        Field::new("pay_max", "最高薪酬（元）", "number").required(),
        Field::new("pay_unit", "薪酬单位", "select").required().options(labels::options("pay_unit", UNITS)),
        Field::new("headcount", "招聘人数", "number").hint("不填为 1 人"),
        Field::new("region_code", "工作地点所在区域", "select").required().options(region_options(ctx)),
        Field::new("address", "详细地址", "text"),
        Field::new("skills", "技能要求", "text").hint("用逗号或顿号分开，例如：保洁、做饭"),
        Field::new("age_min", "最小年龄", "number"),
        Field::new("age_max", "最大年龄", "number"),
        Field::new("physical", "体力要求", "select").options(with_blank(labels::options("physical", PHYSICAL), "不限")),
        Field::new("disability_friendly", "适合残疾人", "checkbox"),
        Field::new("contact_name", "联系人", "text").required(),
        Field::new("contact_phone", "联系电话", "tel").required().hint("手机 13805731234 或座机 0573-82345678"),
        Field::new("valid_until", "有效期至", "date").hint("不填为长期有效"),
    ])
}

/// A number when the text is one, else the text (the API names it).
fn number_or_text(s: &str) -> Value {
    s.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::from(s))
}

/// The job the form describes, as the API's JSON. Empty optional fields
/// are `null` (clearing them on an edit).
pub(crate) fn job_json(p: &Posted) -> Value {
    let opt = |name: &str| if p.get(name).is_empty() { Value::Null } else { Value::from(p.get(name)) };
    let opt_num = |name: &str| if p.get(name).is_empty() { Value::Null } else { number_or_text(p.get(name)) };
    let mut requirements = Map::new();
    requirements.insert("skills".into(), json!(words(p.get("skills"))));
    requirements.insert("age_min".into(), opt_num("age_min"));
    requirements.insert("age_max".into(), opt_num("age_max"));
    requirements.insert("physical".into(), opt("physical"));
    json!({
        "title": p.get("title"),
        "description": p.get("description"),
        "source": p.get("source"),
        "category": p.get("category"),
        "employment_type": p.get("employment_type"),
        "pay": {"min": number_or_text(p.get("pay_min")), "max": number_or_text(p.get("pay_max")), "unit": p.get("pay_unit")},
        "headcount": if p.get("headcount").is_empty() { Value::from(1) } else { number_or_text(p.get("headcount")) },
        "region_code": p.get("region_code"),
        "address": opt("address"),
        "requirements": requirements,
        "disability_friendly": p.has("disability_friendly"),
        "contact": {"name": p.get("contact_name"), "phone": p.get("contact_phone")},
        "valid_until": opt("valid_until"),
    })
}

/// The form filled from a stored job.
fn fill_from_job(form: &mut Form, j: &Value) {
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(true) => "true".into(),
        _ => String::new(),
    };
    for (field, value) in [
        ("title", &j["title"]),
        ("description", &j["description"]),
        ("source", &j["source"]),
        ("category", &j["category"]),
        ("employment_type", &j["employment_type"]),
        ("pay_min", &j["pay"]["min"]),
        ("pay_max", &j["pay"]["max"]),
        ("pay_unit", &j["pay"]["unit"]),
        ("headcount", &j["headcount"]),
        ("region_code", &j["region_code"]),
        ("address", &j["address"]),
        ("age_min", &j["requirements"]["age_min"]),
        ("age_max", &j["requirements"]["age_max"]),
        ("physical", &j["requirements"]["physical"]),
        ("disability_friendly", &j["disability_friendly"]),
        ("contact_name", &j["contact"]["name"]),
        ("contact_phone", &j["contact"]["phone"]),
    ] {
        form.set(field, s(value));
    }
    let skills: Vec<String> = j["requirements"]["skills"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    form.set("skills", skills.join("、"));
    form.set(
        "valid_until",
        j["valid_until"].as_str().map(|v| v.chars().take(10).collect::<String>()).unwrap_or_default(),
    );
}

fn form_page(ctx: &Ctx, status: StatusCode, heading: &str, action: String, form: Form, back: String) -> Response {
    let page = FormPage {
        layout: ctx.layout(form.title(heading), "jobs"),
        heading: heading.into(),
        intro: Vec::new(),
        action,
        form,
        submit: heading.into(),
        back,
    };
    render(status, &page)
}

pub(crate) async fn new_form(ctx: Ctx) -> Response {
    let mut form = job_form(&ctx);
    form.set("source", if ctx.session.principal.org_kind == "gig_market" { "gig_market" } else { "community" });
    form.set("employment_type", "gig");
    form.set("pay_unit", "day");
    form_page(&ctx, StatusCode::OK, "发布岗位", "/console/jobs".into(), form, "/console/jobs".into())
}

/// Post the form to the API (`method uri`); on a refusal show the form
/// again with every message, else go to the job's page.
async fn submit(
    ctx: Ctx,
    form: Vec<(String, String)>,
    method: Method,
    uri: String,
    heading: &str,
    action: String,
) -> Response {
    let posted = match ctx.checked(form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let answer = ctx.call(method, &uri, Some(&job_json(&posted))).await;
    if answer.ok() {
        let id = answer.json()["id"].as_str().unwrap_or_default().to_string();
        return see_other(&format!("/console/jobs/{id}?saved=1"));
    }
    let errors = answer.field_errors();
    if answer.status != StatusCode::UNPROCESSABLE_ENTITY || errors.is_empty() {
        return ctx.refused(&answer);
    }
    let mut form = job_form(&ctx);
    form.fill(&posted);
    form.refuse(&errors, flat_field, "title");
    let back = action.clone();
    form_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, heading, action, form, back)
}

pub(crate) async fn create(ctx: Ctx, AxumForm(form): AxumForm<Vec<(String, String)>>) -> Response {
    submit(ctx, form, Method::POST, "/v1/jobs".into(), "发布岗位", "/console/jobs".into()).await
}

pub(crate) async fn edit_form(ctx: Ctx, Path(id): Path<String>) -> Response {
    let Some(id) = safe_id(&id) else { return ctx.refused(&crate::Answer::not_found()) };
    let job = match ctx.get(&format!("/v1/jobs/{id}")).await {
        Ok(j) => j,
        Err(r) => return r,
    };
    let mut form = job_form(&ctx);
    fill_from_job(&mut form, &job);
    form_page(&ctx, StatusCode::OK, "修改岗位", format!("/console/jobs/{id}"), form, format!("/console/jobs/{id}"))
}

pub(crate) async fn update(
    ctx: Ctx,
    Path(id): Path<String>,
    AxumForm(form): AxumForm<Vec<(String, String)>>,
) -> Response {
    let Some(id) = safe_id(&id).map(str::to_string) else { return ctx.refused(&crate::Answer::not_found()) };
    submit(ctx, form, Method::PATCH, format!("/v1/jobs/{id}"), "修改岗位", format!("/console/jobs/{id}")).await
}

/// A person who fits a job, as the caller may see them.
struct CandidateRow {
    person_id: String,
    name: String,
    age: String,
    place: String,
    score: String,
    reasons: String,
    linked: bool,
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage {
    layout: Layout,
    job: JobRow,
    description: String,
    requirements: Vec<(&'static str, String)>,
    contact: String,
    open: bool,
    editable: bool,
    saved: bool,
    candidates: Vec<CandidateRow>,
    candidates_note: Option<String>,
    /// Whether the caller may refer a candidate to the job.
    may_refer: bool,
    close_reasons: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub(crate) struct Saved {
    saved: Option<String>,
}

pub(crate) async fn show(ctx: Ctx, Path(id): Path<String>, Query(q): Query<Saved>) -> Response {
    let Some(id) = safe_id(&id) else { return ctx.refused(&crate::Answer::not_found()) };
    let job = match ctx.get(&format!("/v1/jobs/{id}")).await {
        Ok(j) => j,
        Err(r) => return r,
    };
    let row = job_row(&ctx, &job);
    let r = &job["requirements"];
    let mut requirements = Vec::new();
    if let Some(skills) = r["skills"].as_array().filter(|a| !a.is_empty()) {
        let s: Vec<&str> = skills.iter().filter_map(Value::as_str).collect();
        requirements.push(("技能", s.join("、")));
    }
    match (r["age_min"].as_i64(), r["age_max"].as_i64()) {
        (Some(a), Some(b)) => requirements.push(("年龄", format!("{a}–{b} 岁"))),
        (Some(a), None) => requirements.push(("年龄", format!("{a} 岁以上"))),
        (None, Some(b)) => requirements.push(("年龄", format!("{b} 岁以下"))),
        (None, None) => {}
    }
    if let Some(p) = r["physical"].as_str() {
        requirements.push(("体力", name("physical", p)));
    }
    if job["disability_friendly"].as_bool() == Some(true) {
        requirements.push(("适合残疾人", "是".into()));
    }
    if job["certified_only"].as_bool() == Some(true) {
        requirements.push(("招聘对象", "仅限已认定的就业困难人员（公益性岗位）".into()));
    }
    let open = job["status"].as_str() == Some("open");
    let p = &ctx.session.principal;
    let editable = open
        && match p.role {
            Role::Admin => true,
            Role::Staff => ctx.state.regions.covers(&p.region_code, job["region_code"].as_str().unwrap_or("")),
            Role::Publisher => job["publisher_org_id"].as_str() == Some(p.org_id.as_str()),
            Role::Agency => false,
        };
    let (candidates, candidates_note) = if open { candidates(&ctx, id).await } else { (Vec::new(), None) };
    let page = JobPage {
        layout: ctx.layout(row.title.clone(), "jobs"),
        description: job["description"].as_str().unwrap_or("").into(),
        contact: format!(
            "{} {}",
            job["contact"]["name"].as_str().unwrap_or(""),
            job["contact"]["phone"].as_str().unwrap_or("")
        ),
        job: row,
        requirements,
        open,
        editable,
        saved: q.saved.is_some(),
        candidates,
        candidates_note,
        may_refer: matches!(ctx.role(), Role::Admin | Role::Staff | Role::Agency),
        close_reasons: labels::options("close_reason", &["filled", "withdrawn"]),
    };
    render(StatusCode::OK, &page)
}

async fn candidates(ctx: &Ctx, id: &str) -> (Vec<CandidateRow>, Option<String>) {
    let answer = ctx.call(Method::GET, &format!("/v1/jobs/{id}/candidates?limit=20"), None).await;
    if !answer.ok() {
        return (Vec::new(), Some(format!("暂时无法列出合适人员：{}", answer.detail())));
    }
    let linked = ctx.role() != Role::Publisher;
    let rows: Vec<CandidateRow> = answer.json()["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|c| {
                    let p = &c["person"];
                    let reasons: Vec<&str> = c["reasons"]
                        .as_array()
                        .map(|a| a.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    CandidateRow {
                        person_id: p["id"].as_str().unwrap_or("").into(),
                        name: p["name"].as_str().unwrap_or("").into(),
                        age: match (p["age"].as_i64(), p["age_band"].as_str()) {
                            (Some(a), _) => format!("{a} 岁"),
                            (None, Some(b)) => format!("{b} 岁"),
                            _ => String::new(),
                        },
                        place: p["region_code"].as_str().map(|r| region_name(ctx, r)).unwrap_or_default(),
                        score: format!("{:.0}", c["score"].as_f64().unwrap_or(0.0) * 100.0),
                        reasons: reasons.join("；"),
                        linked,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let note = rows.is_empty().then(|| "目前没有合适的人员。".to_string());
    (rows, note)
}

pub(crate) async fn close(
    ctx: Ctx,
    Path(id): Path<String>,
    AxumForm(form): AxumForm<Vec<(String, String)>>,
) -> Response {
    let posted = match ctx.checked(form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(id) = safe_id(&id) else { return ctx.refused(&crate::Answer::not_found()) };
    let body = json!({"reason": posted.get("reason")});
    ctx.act(&format!("/v1/jobs/{id}/close"), Some(&body), &format!("/console/jobs/{id}")).await
}

/// Refer a candidate to the job (the person's id is posted, not put in
/// the address); then the referrals page, where it moves on.
pub(crate) async fn refer(
    ctx: Ctx,
    Path(id): Path<String>,
    AxumForm(form): AxumForm<Vec<(String, String)>>,
) -> Response {
    let posted = match ctx.checked(form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (Some(id), Some(person_id)) = (safe_id(&id), safe_id(posted.get("person_id"))) else {
        return ctx.refused(&crate::Answer::not_found());
    };
    let body = json!({"job_id": id, "person_id": person_id});
    ctx.act("/v1/referrals", Some(&body), "/console/referrals?status=referred&moved=1").await
}
