//! The day's work: the home page of each role, referrals moved along
//! referred → contacted → interviewed → hired, and the notification queue.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::Form as AxumForm;
use jobmatch_core::Role;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::forms::encode;
use crate::jobs::{job_row, JobRow};
use crate::labels::{self, name, next_referral_step};
use crate::{render, Ctx, Layout};

/// One line of a to-do list on the home page.
struct Todo {
    href: String,
    text: String,
    when: String,
}

/// A to-do list: its heading, lines, and where the whole list is.
struct TodoList {
    heading: &'static str,
    empty: &'static str,
    items: Vec<Todo>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    lists: Vec<TodoList>,
    jobs: Vec<JobRow>,
    show_jobs: bool,
}

fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().cloned().unwrap_or_default()
}

pub(crate) async fn home(ctx: Ctx) -> Response {
    let mut lists = Vec::new();
    let mut jobs = Vec::new();
    let role = ctx.role();
    if matches!(role, Role::Admin | Role::Staff) {
        let overdue = ctx.call(Method::GET, "/v1/plans/overdue?limit=20", None).await;
        lists.push(TodoList {
            heading: "逾期未跟进的一人一策",
            empty: "没有逾期的跟进。",
            items: items(overdue.json())
                .iter()
                .map(|p| Todo {
                    href: format!("/console/persons/{}", p["person_id"].as_str().unwrap_or("")),
                    text: format!(
                        "{}（跟进人：{}）",
                        p["name"].as_str().unwrap_or(""),
                        p["owner"].as_str().unwrap_or("未定")
                    ),
                    when: format!(
                        "应于 {} 跟进，已逾期 {} 天",
                        p["next_follow_up_on"].as_str().unwrap_or(""),
                        p["days_overdue"]
                    ),
                })
                .collect(),
        });
        let expiring = ctx.call(Method::GET, "/v1/certifications/expiring?within_days=30&limit=20", None).await;
        lists.push(TodoList {
            heading: "30 天内到期的就业困难人员认定",
            empty: "30 天内没有到期的认定。",
            items: items(expiring.json())
                .iter()
                .map(|p| Todo {
                    href: format!("/console/persons/{}", p["id"].as_str().unwrap_or("")),
                    text: p["name"].as_str().unwrap_or("").to_string(),
                    when: format!("有效期至 {}", p["certification"]["valid_until"].as_str().unwrap_or("")),
                })
                .collect(),
        });
        // 报送: from the 20th the month's 进度表 is to be checked and submitted by the 25th.
        let month = ctx.state.today().format("%Y-%m").to_string();
        let region = ctx.session.principal.region_code.clone();
        let board = ctx
            .call(Method::GET, &format!("/v1/reports/progress/submissions?month={month}&region={region}"), None)
            .await;
        if board.ok() {
            let b = board.json();
            let deadline = b["deadline"].as_str().unwrap_or("").to_string();
            lists.push(TodoList {
                heading: "本月进度表报送",
                empty: "本月没有需要报送的进度表（每月 20 日起提醒）。",
                items: b["units"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|u| u["reminder"] == true)
                    .map(|u| Todo {
                        href: format!(
                            "/console/reports/progress?month={month}&region={}#submissions",
                            u["unit_code"].as_str().unwrap_or("")
                        ),
                        text: format!(
                            "{}：{}",
                            u["unit_name"].as_str().unwrap_or(""),
                            if u["state"] == "late" {
                                "已过截止日，尚未报送"
                            } else {
                                "请核对本月进度表并报送"
                            }
                        ),
                        when: format!("截止 {deadline}"),
                    })
                    .collect(),
            });
        }
        // The working-day calendar: the admin enters the next year in time.
        if role == Role::Admin {
            let calendar = ctx.call(Method::GET, "/v1/calendar", None).await;
            if calendar.ok() {
                let c = calendar.json();
                let until = c["covered_until"].as_str().unwrap_or("").to_string();
                lists.push(TodoList {
                    heading: "工作日历",
                    empty: "工作日历已录入到明年，不需要处理。",
                    items: (c["warning"] == true)
                        .then(|| Todo {
                            href: "/console/calendar".into(),
                            text: "请录入下一年的放假安排（国务院办公厅通知），否则年底起无法发布公示".into(),
                            when: if until.is_empty() {
                                "今年尚未录入".into()
                            } else {
                                format!("日历只到 {until}")
                            },
                        })
                        .into_iter()
                        .collect(),
                });
            }
        }
        let dead = ctx.call(Method::GET, "/v1/notifications?status=dead&limit=20", None).await;
        lists.push(TodoList {
            heading: "发送失败的通知",
            empty: "没有发送失败的通知。",
            items: items(dead.json())
                .iter()
                .map(|n| Todo {
                    href: "/console/notifications?status=dead".into(),
                    text: format!(
                        "{}：{}",
                        name("channel", n["channel"].as_str().unwrap_or("")),
                        n["last_error"].as_str().unwrap_or("")
                    ),
                    when: crate::local_time(n["created_at"].as_str().unwrap_or("")),
                })
                .collect(),
        });
        let worklist = ctx.call(Method::GET, "/v1/welfare/worklist?within_days=30", None).await;
        if worklist.ok() {
            let w = worklist.json();
            lists.push(TodoList {
                heading: "即将结束或待登记的公益性岗位公示",
                empty: "没有需要处理的公示。",
                items: w["publicity_ending"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| Todo {
                        href: format!("/public/welfare/publicities/{}", p["publicity_id"].as_str().unwrap_or("")),
                        text: format!(
                            "公示 {}（未处理异议 {} 件）",
                            p["publicity_id"].as_str().unwrap_or(""),
                            p["open_objections"]
                        ),
                        when: format!("{} 结束", p["ends_on"].as_str().unwrap_or("")),
                    })
                    .collect(),
            });
            lists.push(TodoList {
                heading: "30 天内结束的公益性岗位补贴",
                empty: "30 天内没有结束的岗位补贴。",
                items: w["subsidies_ending"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| Todo {
                        href: format!("/console/persons/{}", r["person_id"].as_str().unwrap_or("")),
                        text: format!("第 {} 次安置", r["sequence"]),
                        when: format!("补贴至 {}", r["subsidy_end"].as_str().unwrap_or("")),
                    })
                    .collect(),
            });
        }
    }
    if role == Role::Agency {
        let referrals = ctx.call(Method::GET, "/v1/referrals?limit=20", None).await;
        lists.push(TodoList {
            heading: "进行中的推荐",
            empty: "没有进行中的推荐。",
            items: items(referrals.json())
                .iter()
                .filter(|r| next_referral_step(r["status"].as_str().unwrap_or("")).is_some())
                .map(|r| Todo {
                    href: "/console/referrals".into(),
                    text: format!(
                        "{}：{}",
                        r["id"].as_str().unwrap_or(""),
                        name("referral", r["status"].as_str().unwrap_or(""))
                    ),
                    when: crate::local_time(r["updated_at"].as_str().unwrap_or("")),
                })
                .collect(),
        });
    }
    let show_jobs = role == Role::Publisher;
    if show_jobs {
        if let Ok(page) = ctx.get("/v1/jobs?status=open&limit=100").await {
            jobs = items(&page)
                .iter()
                .filter(|j| j["publisher_org_id"].as_str() == Some(ctx.session.principal.org_id.as_str()))
                .map(|j| job_row(&ctx, j))
                .collect();
        }
    }
    let page = HomePage { layout: ctx.layout("今日待办", "home"), lists, jobs, show_jobs };
    render(StatusCode::OK, &page)
}

struct ReferralRow {
    id: String,
    person_id: String,
    job_id: String,
    status: String,
    updated: String,
    next: Option<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "referrals.html")]
struct ReferralsPage {
    layout: Layout,
    status: String,
    statuses: Vec<(String, String)>,
    rows: Vec<ReferralRow>,
    moved: bool,
}

#[derive(Deserialize)]
pub(crate) struct ReferralQuery {
    status: Option<String>,
    moved: Option<String>,
}

const REFERRAL_STATUSES: &[&str] = &["referred", "contacted", "interviewed", "hired", "rejected", "withdrawn"];

pub(crate) async fn referrals(ctx: Ctx, Query(q): Query<ReferralQuery>) -> Response {
    let status = q.status.filter(|s| REFERRAL_STATUSES.contains(&s.as_str())).unwrap_or_default();
    let mut uri = "/v1/referrals?limit=100".to_string();
    if !status.is_empty() {
        uri.push_str(&format!("&status={status}"));
    }
    let page = match ctx.get(&uri).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let rows = items(&page)
        .iter()
        .map(|r| {
            let s = r["status"].as_str().unwrap_or("");
            ReferralRow {
                id: r["id"].as_str().unwrap_or("").into(),
                person_id: r["person_id"].as_str().unwrap_or("").into(),
                job_id: r["job_id"].as_str().unwrap_or("").into(),
                status: name("referral", s),
                updated: crate::local_time(r["updated_at"].as_str().unwrap_or("")),
                next: next_referral_step(s),
            }
        })
        .collect();
    let mut statuses = labels::options("referral", REFERRAL_STATUSES);
    statuses.insert(0, (String::new(), "全部".into()));
    let page =
        ReferralsPage { layout: ctx.layout("推荐", "referrals"), status, statuses, rows, moved: q.moved.is_some() };
    render(StatusCode::OK, &page)
}

pub(crate) async fn move_referral(
    ctx: Ctx,
    Path(id): Path<String>,
    AxumForm(form): AxumForm<Vec<(String, String)>>,
) -> Response {
    let posted = match ctx.checked(form) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if crate::safe_id(&id).is_none() {
        return ctx.refused(&crate::Answer::not_found());
    }
    let body = json!({"status": posted.get("status")});
    ctx.act(&format!("/v1/referrals/{id}/status"), Some(&body), "/console/referrals?moved=1").await
}

/// An agency's endpoint and its last delivery.
struct WebhookRow {
    org: String,
    url: String,
    state: String,
    last: String,
}

struct NotificationRow {
    id: String,
    channel: String,
    status: String,
    attempts: i64,
    error: String,
    created: String,
    dead: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    status: String,
    statuses: Vec<(String, String)>,
    rows: Vec<NotificationRow>,
    next: Option<String>,
    webhooks: Vec<WebhookRow>,
}

#[derive(Deserialize)]
pub(crate) struct NotificationQuery {
    status: Option<String>,
    cursor: Option<String>,
}

const NOTIFICATION_STATUSES: &[&str] = &["pending", "held", "sent", "failed", "dead"];

pub(crate) async fn notifications(ctx: Ctx, Query(q): Query<NotificationQuery>) -> Response {
    let status = q.status.filter(|s| NOTIFICATION_STATUSES.contains(&s.as_str())).unwrap_or_default();
    let mut uri = "/v1/notifications?limit=50".to_string();
    if !status.is_empty() {
        uri.push_str(&format!("&status={status}"));
    }
    if let Some(c) = q.cursor.as_deref().filter(|c| c.len() < 200) {
        uri.push_str(&format!("&cursor={}", encode(c)));
    }
    let page = match ctx.get(&uri).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let rows = items(&page)
        .iter()
        .map(|n| NotificationRow {
            id: n["id"].as_str().map(str::to_string).unwrap_or_else(|| n["id"].to_string()),
            channel: name("channel", n["channel"].as_str().unwrap_or("")),
            status: name("notification", n["status"].as_str().unwrap_or("")),
            attempts: n["attempts"].as_i64().unwrap_or(0),
            error: n["last_error"].as_str().unwrap_or("").into(),
            created: crate::local_time(n["created_at"].as_str().unwrap_or("")),
            dead: n["status"].as_str() == Some("dead"),
        })
        .collect();
    let next =
        page["next_cursor"].as_str().map(|c| format!("/console/notifications?status={status}&cursor={}", encode(c)));
    let mut webhooks: Vec<WebhookRow> = match ctx.call(Method::GET, "/v1/webhooks", None).await {
        a if a.ok() => items(a.json())
            .iter()
            .map(|w| {
                let state = if w["active"].as_bool() == Some(true) {
                    "启用".to_string()
                } else {
                    format!("已停用：{}", w["disabled_reason"].as_str().unwrap_or(""))
                };
                let d = &w["last_delivery"];
                let last = match d["status"].as_str() {
                    None => "还没有投递".to_string(),
                    Some(s) => {
                        let error = d["last_error"].as_str().map(|e| format!("，{e}")).unwrap_or_default();
                        format!(
                            "{} {}（第 {} 次尝试{error}）",
                            crate::local_time(d["at"].as_str().unwrap_or("")),
                            name("notification", s),
                            d["attempts"].as_i64().unwrap_or(0)
                        )
                    }
                };
                WebhookRow {
                    org: w["agency_org_id"].as_str().unwrap_or("").into(),
                    url: w["url"].as_str().unwrap_or("").into(),
                    state,
                    last,
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    // Agencies by name (the API answers ids).
    for w in &mut webhooks {
        if let Some(id) = crate::safe_id(&w.org).map(str::to_string) {
            if let Some(n) = ctx.call(Method::GET, &format!("/v1/orgs/{id}"), None).await.json()["name"].as_str() {
                w.org = n.to_string();
            }
        }
    }
    let mut statuses = labels::options("notification", NOTIFICATION_STATUSES);
    statuses.insert(0, (String::new(), "全部".into()));
    let page = NotificationsPage { layout: ctx.layout("推送", "push"), status, statuses, rows, next, webhooks };
    render(StatusCode::OK, &page)
}

pub(crate) async fn retry(
    ctx: Ctx,
    Path(id): Path<String>,
    AxumForm(form): AxumForm<Vec<(String, String)>>,
) -> Response {
    if let Err(r) = ctx.checked(form) {
        return r;
    }
    if crate::safe_id(&id).is_none() {
        return ctx.refused(&crate::Answer::not_found());
    }
    ctx.act(&format!("/v1/notifications/{id}/retry"), None, "/console/notifications?status=dead").await
}
