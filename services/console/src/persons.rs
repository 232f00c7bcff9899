//! 人员: find a person by name or ID number (posted, so neither is in an
//! address; the API records each look-up), and a person's page: the four
//! clears (basic facts, employment status, willingness, service needs),
//! certification, the 一人一策 plan, matches with reasons, what was sent
//! to them, and the record's history. An agency sees its assigned people.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::Form as AxumForm;
use jobmatch_core::Role;
use serde_json::Value;

use crate::forms::{encode, flat_field, Field, Form};
use crate::jobs::{job_row, region_name, JobRow};
use crate::labels::name;
use crate::{render, Ctx, Layout};

pub(crate) struct PersonRow {
    pub id: String,
    pub name: String,
    pub age: String,
    pub place: String,
    pub groups: String,
    pub status: String,
}

fn names(kind: &str, v: &Value) -> String {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(|c| name(kind, c)).collect::<Vec<_>>().join("、"))
        .unwrap_or_default()
}

pub(crate) fn person_row(ctx: &Ctx, p: &Value) -> PersonRow {
    PersonRow {
        id: p["id"].as_str().unwrap_or("").into(),
        name: p["name"].as_str().unwrap_or("").into(),
        age: p["age"].as_i64().map(|a| format!("{a} 岁")).unwrap_or_default(),
        place: region_name(ctx, p["region_code"].as_str().unwrap_or("")),
        groups: names("group", &p["groups"]),
        status: name("employment_status", p["employment_status"].as_str().unwrap_or("")),
    }
}

#[derive(Template)]
#[template(path = "persons.html")]
struct FindPage {
    layout: Layout,
    form: Form,
    /// The people found, once searched.
    people: Option<Vec<PersonRow>>,
    agency: bool,
}

/// The 人员 page: the search form (an agency's own people instead), and
/// what was found.
fn find_answer(ctx: &Ctx, status: StatusCode, form: Form, people: Option<Vec<PersonRow>>, agency: bool) -> Response {
    let title = if agency { "我机构的服务对象".to_string() } else { form.title("人员") };
    render(status, &FindPage { layout: ctx.layout(title, "persons"), form, people, agency })
}

fn find_form() -> Form {
    Form::new(vec![
        Field::new("name", "姓名", "text").hint("可只输入姓名的一部分"),
        Field::new("id_number", "身份证号", "text").hint("18 位，末位可以是 X"),
    ])
}

pub(crate) async fn find_page(ctx: Ctx) -> Response {
    if ctx.role() == Role::Agency {
        return assigned(ctx).await;
    }
    find_answer(&ctx, StatusCode::OK, find_form(), None, false)
}

/// An agency's people: those assigned to it now.
async fn assigned(ctx: Ctx) -> Response {
    let page = match ctx.get("/v1/agency/people?limit=100").await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let people = page["items"]
        .as_array()
        .map(|a| a.iter().map(|i| person_row(&ctx, &i["person"])).collect())
        .unwrap_or_default();
    find_answer(&ctx, StatusCode::OK, find_form(), Some(people), true)
}

pub(crate) async fn find(ctx: Ctx, AxumForm(form): AxumForm<Vec<(String, String)>>) -> Response {
    let posted = match ctx.checked(form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut form = find_form();
    form.fill(&posted);
    let mut query = Vec::new();
    if !posted.get("name").is_empty() {
        query.push(format!("name={}", encode(posted.get("name"))));
    }
    if !posted.get("id_number").is_empty() {
        query.push(format!("id_number={}", encode(posted.get("id_number"))));
    }
    if query.is_empty() {
        form.refuse(&[("name".into(), "请输入姓名或身份证号".into())], |f| f.to_string(), "name");
        return find_answer(&ctx, StatusCode::UNPROCESSABLE_ENTITY, form, None, false);
    }
    let answer = ctx.call(Method::GET, &format!("/v1/persons?limit=50&{}", query.join("&")), None).await;
    if !answer.ok() {
        let errors = answer.field_errors();
        if errors.is_empty() {
            return ctx.refused(&answer);
        }
        form.refuse(&errors, flat_field, "name");
        return find_answer(&ctx, StatusCode::UNPROCESSABLE_ENTITY, form, None, false);
    }
    let people =
        answer.json()["items"].as_array().map(|a| a.iter().map(|p| person_row(&ctx, p)).collect()).unwrap_or_default();
    find_answer(&ctx, StatusCode::OK, form, Some(people), false)
}

struct MatchRow {
    job: JobRow,
    score: String,
    reasons: String,
}

struct SentRow {
    when: String,
    channel: String,
    status: String,
    job_id: String,
}

/// What the person answered to a push (a lead), and whether it is open.
struct AnswerRow {
    id: String,
    when: String,
    kind: String,
    wants_contact: bool,
    status: String,
    open: bool,
    interested: bool,
    job_id: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    layout: Layout,
    person: PersonRow,
    facts: Vec<(&'static str, String)>,
    clears: Vec<(&'static str, String)>,
    certification: String,
    plan: Vec<(&'static str, String)>,
    matches: Vec<MatchRow>,
    matches_note: Option<String>,
    sent: Vec<SentRow>,
    answers: Vec<AnswerRow>,
    trail: Vec<(String, String, String)>,
    certification_steps: Vec<(String, String, String)>,
    history: Vec<(String, String, String)>,
    /// Admin and staff keep the record; an agency records its contacts.
    keeps_record: bool,
    may_contact: bool,
    saved: Option<&'static str>,
}

#[derive(serde::Deserialize)]
pub(crate) struct Saved {
    saved: Option<String>,
}

/// Text of a JSON value as a list shows it.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

pub(crate) async fn show(ctx: Ctx, Path(id): Path<String>, Query(q): Query<Saved>) -> Response {
    if crate::safe_id(&id).is_none() {
        return ctx.refused(&crate::Answer::not_found());
    }
    let p = match ctx.get(&format!("/v1/persons/{id}")).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let text = |k: &str| p[k].as_str().unwrap_or("").to_string();
    let person = person_row(&ctx, &p);
    let mut facts = vec![
        ("姓名", text("name")),
        ("身份证号", text("id_number")),
        ("性别", if text("sex") == "female" { "女".into() } else { "男".into() }),
        ("年龄", person.age.clone()),
        ("电话", text("phone")),
        ("居住地", person.place.clone()),
    ];
    if !text("address").is_empty() {
        facts.push(("详细地址", text("address")));
    }
    facts.push(("帮扶对象类别", person.groups.clone()));
    let skills = p["skills"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("、"));
    facts.push(("技能", skills.unwrap_or_default()));
    let mut clears = vec![
        ("就业状态", person.status.clone()),
        ("就业意愿", name("willingness", p["willingness"].as_str().unwrap_or(""))),
    ];
    if !text("willingness_reason").is_empty() {
        clears.push(("暂无意愿的原因", text("willingness_reason")));
    }
    clears.push(("服务需求", names("service_need", &p["service_needs"])));
    let c = &p["certification"];
    let certification = match c["status"].as_str() {
        Some(s) => match c["valid_until"].as_str() {
            Some(until) => format!("{}，有效期至 {until}", name("certification", s)),
            None => name("certification", s),
        },
        None => "未申请认定".into(),
    };
    // The record's other parts are independent questions to the API: asked
    // at once.
    let uris = [
        format!("/v1/persons/{id}/plan"),
        format!("/v1/persons/{id}/matches?limit=10"),
        format!("/v1/notifications?person_id={id}&limit=20"),
        format!("/v1/leads?kind=interested&person_id={id}&limit=20"),
        format!("/v1/leads?kind=found_work&person_id={id}&limit=20"),
        format!("/v1/persons/{id}/trail"),
        format!("/v1/persons/{id}/certification"),
        format!("/v1/persons/{id}/history"),
    ];
    let (plan_a, matches_a, sent_a, interested_a, found_a, trail_a, cert_a, history_a) = tokio::join!(
        ctx.call(Method::GET, &uris[0], None),
        ctx.call(Method::GET, &uris[1], None),
        ctx.call(Method::GET, &uris[2], None),
        ctx.call(Method::GET, &uris[3], None),
        ctx.call(Method::GET, &uris[4], None),
        ctx.call(Method::GET, &uris[5], None),
        ctx.call(Method::GET, &uris[6], None),
        ctx.call(Method::GET, &uris[7], None),
    );
    let plan = match plan_a {
        a if a.ok() => {
            let v = a.json();
            [
                ("跟进人", "owner"),
                ("下次跟进日期", "next_follow_up_on"),
                ("职业指导", "guidance"),
                ("培训目标", "training_goal"),
                ("创业方向", "entrepreneurship_direction"),
            ]
            .into_iter()
            .filter_map(|(label, k)| Some((label, v[k].as_str()?.to_string())))
            .collect()
        }
        _ => Vec::new(),
    };
    let (matches, matches_note) = match matches_a {
        a if a.ok() => {
            let rows: Vec<MatchRow> = a.json()["items"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .map(|m| MatchRow {
                            job: job_row(&ctx, &m["job"]),
                            score: format!("{:.0}", m["score"].as_f64().unwrap_or(0.0) * 100.0),
                            reasons: m["reasons"]
                                .as_array()
                                .map(|r| r.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("；"))
                                .unwrap_or_default(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let note = rows.is_empty().then(|| "目前没有合适的岗位。".to_string());
            (rows, note)
        }
        a => (Vec::new(), Some(format!("暂时无法列出合适岗位：{}", a.detail()))),
    };
    let sent = match sent_a {
        a if a.ok() => a.json()["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|n| SentRow {
                        when: crate::local_time(n["sent_at"].as_str().or(n["created_at"].as_str()).unwrap_or("")),
                        channel: name("channel", n["channel"].as_str().unwrap_or("")),
                        status: name("notification", n["status"].as_str().unwrap_or("")),
                        job_id: n["job_id"].as_str().unwrap_or("").into(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut answers = Vec::new();
    for (kind, a) in [("interested", &interested_a), ("found_work", &found_a)] {
        for l in a.json()["items"].as_array().into_iter().flatten() {
            let status = l["status"].as_str().unwrap_or("");
            answers.push(AnswerRow {
                id: l["id"].as_str().unwrap_or("").into(),
                when: crate::local_time(l["created_at"].as_str().unwrap_or("")),
                kind: name("lead", kind),
                wants_contact: l["wants_contact"].as_bool() == Some(true),
                status: name("lead_status", status),
                open: status == "open",
                interested: kind == "interested",
                job_id: l["job_id"].as_str().unwrap_or("").into(),
            });
        }
    }
    answers.sort_by(|a, b| b.when.cmp(&a.when));
    let trail = match trail_a {
        a if a.ok() => a.json()["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .rev()
                    .map(|t| {
                        let d = &t["detail"];
                        let kind = t["kind"].as_str().unwrap_or("");
                        let text = match kind {
                            "contact" => format!(
                                "{}：{}",
                                name("contact_method", d["method"].as_str().unwrap_or("")),
                                plain(&d["note"])
                            ),
                            "referral" => name("referral", d["to"].as_str().unwrap_or("")),
                            "placement" => plain(&d["employer_name"]),
                            _ => String::new(),
                        };
                        (crate::local_time(t["at"].as_str().unwrap_or("")), name("trail", kind), text)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let certification_steps = match cert_a {
        a if a.ok() => a.json()["events"]
            .as_array()
            .map(|events| {
                events
                    .iter()
                    .rev()
                    .map(|e| {
                        let until = e["valid_until"].as_str().map(|u| format!("，有效期至 {u}")).unwrap_or_default();
                        (
                            plain(&e["effective_on"]),
                            name("certification", e["to_status"].as_str().unwrap_or("")),
                            format!("{}{until}", plain(&e["note"])),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let history = match history_a {
        a if a.ok() => a.json()["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|h| {
                        // The first version is the registration: every field is new.
                        let fields: Vec<String> = if h["version"].as_i64() == Some(1) {
                            vec!["登记入库".into()]
                        } else {
                            h["changes"]
                                .as_object()
                                .map(|o| o.keys().map(|k| name("field", k)).collect())
                                .unwrap_or_default()
                        };
                        (
                            crate::local_time(h["created_at"].as_str().unwrap_or("")),
                            name("history_source", h["source"].as_str().unwrap_or("")),
                            fields.join("、"),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let page = PersonPage {
        layout: ctx.layout(person.name.clone(), "persons"),
        person,
        facts,
        clears,
        certification,
        plan,
        matches,
        matches_note,
        sent,
        answers,
        trail,
        certification_steps,
        history,
        keeps_record: matches!(ctx.role(), Role::Admin | Role::Staff),
        may_contact: matches!(ctx.role(), Role::Admin | Role::Staff | Role::Agency),
        saved: match q.saved.as_deref() {
            Some("plan") => Some("一人一策已保存。"),
            Some("contact") => Some("跟进记录已保存。"),
            Some("certification") => Some("认定已办理。"),
            Some("lead") => Some("已处理该回复。"),
            _ => None,
        },
    };
    render(StatusCode::OK, &page)
}
