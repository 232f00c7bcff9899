//! Keeping a person's record (for admin and the staff of the person's
//! region, as the API decides): the 一人一策 plan, a follow-up contact, a
//! certification step, and acting on what the person answered to a push
//! (refer them, or close the answer). Each is one form in the GOV.UK
//! pattern; the API's messages show by the fields they name.

use axum::extract::Path;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::Form as AxumForm;
use serde_json::{json, Value};

use crate::forms::{flat_field, Field, Form, FormPage, Posted};
use crate::labels::{self, name};
use crate::{render, safe_id, see_other, Answer, Ctx};

/// One kind of form about a person: its fields, how the post becomes the
/// API's call, and where the page stands.
struct Kind {
    heading: &'static str,
    submit: &'static str,
    path: &'static str,
}

const PLAN: Kind = Kind { heading: "修改一人一策", submit: "保存", path: "plan" };
const CONTACT: Kind = Kind { heading: "记录一次跟进", submit: "保存跟进记录", path: "contact" };
const CERTIFICATION: Kind = Kind { heading: "就业困难人员认定", submit: "提交", path: "certification" };

fn plan_form() -> Form {
    Form::new(vec![
        Field::new("owner", "跟进人", "text").hint("负责跟进的工作人员姓名"),
        Field::new("next_follow_up_on", "下次跟进日期", "date"),
        Field::new("guidance", "职业指导", "textarea"),
        Field::new("training_goal", "培训目标", "text"),
        Field::new("entrepreneurship_direction", "创业方向", "text"),
    ])
}

fn contact_form() -> Form {
    Form::new(vec![
        Field::new("method", "跟进方式", "select")
            .required()
            .options(labels::options("contact_method", &["phone", "visit", "meeting", "message"])),
        Field::new("note", "跟进情况", "textarea").required().hint("说了什么、做了什么、下一步"),
    ])
}

/// The certification steps open from `status`: (action, label).
fn steps_from(status: Option<&str>) -> Vec<(String, String)> {
    let steps: &[(&str, &str)] = match status {
        None | Some("rejected" | "revoked" | "expired") => &[("apply", "提出认定申请")],
        Some("applied") => &[("certify", "认定为就业困难人员"), ("reject", "不予认定")],
        Some("certified") => &[("renew", "续期（从今天起重新计算有效期）"), ("revoke", "撤销认定")],
        _ => &[],
    };
    let mut out: Vec<(String, String)> = steps.iter().map(|(a, l)| (a.to_string(), l.to_string())).collect();
    out.insert(0, (String::new(), "请选择".into()));
    out
}

fn certification_form(ctx: &Ctx, status: Option<&str>) -> Form {
    let grounds = ctx.state.policy.certification.ground.iter().map(|g| (g.code.clone(), g.name.clone())).collect();
    let mut fields = vec![Field::new("action", "办理事项", "select").required().options(steps_from(status))];
    if steps_from(status).iter().any(|(a, _)| a == "apply") {
        fields.push(Field::new("grounds", "认定条件", "checkboxes").hint("申请时至少选择一项").options(grounds));
    }
    fields.push(Field::new("note", "说明", "textarea").hint("不予认定或撤销时必填"));
    Form::new(fields)
}

/// The person (for the heading) or the page telling why not.
async fn person(ctx: &Ctx, id: &str) -> Result<Value, Response> {
    match safe_id(id) {
        Some(id) => ctx.get(&format!("/v1/persons/{id}")).await,
        None => Err(ctx.refused(&Answer::not_found())),
    }
}

fn page(ctx: &Ctx, status: StatusCode, kind: &Kind, p: &Value, intro: Vec<String>, form: Form) -> Response {
    let id = p["id"].as_str().unwrap_or("");
    let heading = format!("{}：{}", kind.heading, p["name"].as_str().unwrap_or(""));
    let page = FormPage {
        layout: ctx.layout(form.title(&heading), "persons"),
        heading,
        intro,
        action: format!("/console/persons/{id}/{}", kind.path),
        form,
        submit: kind.submit.into(),
        back: format!("/console/persons/{id}"),
    };
    render(status, &page)
}

fn certification_intro(p: &Value) -> Vec<String> {
    let c = &p["certification"];
    let now = match c["status"].as_str() {
        Some(s) => format!("目前：{}", name("certification", s)),
        None => "目前：未申请认定".into(),
    };
    let mut lines = match c["valid_until"].as_str() {
        Some(until) => vec![format!("{now}，有效期至 {until}。")],
        None => vec![format!("{now}。")],
    };
    if c["status"] == "applied" {
        lines.push("认定须由提出申请之外的另一位工作人员办理（两人分别经办）。".into());
    }
    lines
}

/// The form's page, filled from the record where it edits one.
async fn open(ctx: Ctx, id: String, kind: &Kind) -> Response {
    // The page answers as the API answers its own question first (may this
    // caller read the plan / the certification / the trail?), then reads
    // the person for the heading.
    let Some(safe) = safe_id(&id) else { return ctx.refused(&Answer::not_found()) };
    let own = match kind.path {
        "plan" => format!("/v1/persons/{safe}/plan"),
        "contact" => format!("/v1/persons/{safe}/trail"),
        _ => format!("/v1/persons/{safe}/certification"),
    };
    let first = ctx.call(Method::GET, &own, None).await;
    if !first.ok() {
        return ctx.refused(&first);
    }
    let p = match person(&ctx, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match kind.path {
        "plan" => {
            let mut form = plan_form();
            for f in &mut form.fields {
                f.value = first.json()[f.name].as_str().unwrap_or("").to_string();
            }
            page(&ctx, StatusCode::OK, kind, &p, Vec::new(), form)
        }
        "contact" => page(&ctx, StatusCode::OK, kind, &p, Vec::new(), contact_form()),
        _ => {
            let form = certification_form(&ctx, p["certification"]["status"].as_str());
            page(&ctx, StatusCode::OK, kind, &p, certification_intro(&p), form)
        }
    }
}

/// Post the form to the API; on a refusal the form again with every
/// message, else back to the person's page.
async fn save(ctx: Ctx, id: String, kind: &Kind, form: Vec<(String, String)>) -> Response {
    let posted = match ctx.checked(form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let p = match person(&ctx, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let id = p["id"].as_str().unwrap_or("").to_string();
    let opt = |posted: &Posted, k: &str| if posted.get(k).is_empty() { Value::Null } else { json!(posted.get(k)) };
    let (mut form, method, uri, body, intro) = match kind.path {
        "plan" => {
            let body = json!({
                "owner": opt(&posted, "owner"),
                "next_follow_up_on": opt(&posted, "next_follow_up_on"),
                "guidance": opt(&posted, "guidance"),
                "training_goal": opt(&posted, "training_goal"),
                "entrepreneurship_direction": opt(&posted, "entrepreneurship_direction"),
            });
            (plan_form(), Method::PUT, format!("/v1/persons/{id}/plan"), body, Vec::new())
        }
        "contact" => {
            let body = json!({"method": posted.get("method"), "note": posted.get("note")});
            (contact_form(), Method::POST, format!("/v1/persons/{id}/contacts"), body, Vec::new())
        }
        _ => {
            let mut body = json!({"action": posted.get("action"), "note": opt(&posted, "note")});
            if posted.get("action") == "apply" {
                body["grounds"] = json!(posted.all("grounds"));
            }
            let form = certification_form(&ctx, p["certification"]["status"].as_str());
            (form, Method::POST, format!("/v1/persons/{id}/certification"), body, certification_intro(&p))
        }
    };
    let answer = ctx.call(method, &uri, Some(&body)).await;
    if answer.ok() {
        return see_other(&format!("/console/persons/{id}?saved={}", kind.path));
    }
    let mut errors = answer.field_errors();
    if errors.is_empty() && answer.status == StatusCode::CONFLICT {
        // A step not open from the current status (someone else moved it).
        errors.push(("action".into(), answer.detail()));
    }
    if errors.is_empty() {
        return ctx.refused(&answer);
    }
    form.fill(&posted);
    let fallback = form.fields[0].name;
    form.refuse(&errors, flat_field, fallback);
    page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, kind, &p, intro, form)
}

pub(crate) async fn plan_page(ctx: Ctx, Path(id): Path<String>) -> Response {
    open(ctx, id, &PLAN).await
}

pub(crate) async fn save_plan(
    ctx: Ctx,
    Path(id): Path<String>,
    AxumForm(f): AxumForm<Vec<(String, String)>>,
) -> Response {
    save(ctx, id, &PLAN, f).await
}

pub(crate) async fn contact_page(ctx: Ctx, Path(id): Path<String>) -> Response {
    open(ctx, id, &CONTACT).await
}

pub(crate) async fn save_contact(
    ctx: Ctx,
    Path(id): Path<String>,
    AxumForm(f): AxumForm<Vec<(String, String)>>,
) -> Response {
    save(ctx, id, &CONTACT, f).await
}

pub(crate) async fn certification_page(ctx: Ctx, Path(id): Path<String>) -> Response {
    open(ctx, id, &CERTIFICATION).await
}

pub(crate) async fn certification_step(
    ctx: Ctx,
    Path(id): Path<String>,
    AxumForm(f): AxumForm<Vec<(String, String)>>,
) -> Response {
    save(ctx, id, &CERTIFICATION, f).await
}

/// Act on a person's answer to a push: `refer` them to the job, or `close`
/// the answer; then back to the person's page (its id posted with the form).
pub(crate) async fn act_on_lead(
    ctx: Ctx,
    Path((id, act)): Path<(String, String)>,
    AxumForm(form): AxumForm<Vec<(String, String)>>,
) -> Response {
    let posted = match ctx.checked(form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (Some(id), Some(person)) = (safe_id(&id), safe_id(posted.get("person_id"))) else {
        return ctx.refused(&Answer::not_found());
    };
    let uri = match act.as_str() {
        "refer" => format!("/v1/leads/{id}/referral"),
        "close" => format!("/v1/leads/{id}/close"),
        _ => return ctx.refused(&Answer::not_found()),
    };
    ctx.act(&uri, Some(&json!({})), &format!("/console/persons/{person}?saved=lead")).await
}
