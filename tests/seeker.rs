//! The job seeker's side end to end: the link in every SMS (through a real
//! loopback gateway), the page in a real headless Chromium (axe-core, the
//! elderly-friendly measures, screenshots under `target/seeker-pages/`),
//! answers that reach staff as leads and referrals, 不合适 never pushed
//! again, people registered after a job opened, and the abuse cases.

use std::time::Duration;

use jobmatch_core::config::SmsGateway;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::push::quick;
use crate::receiver::{Mode, Receiver};

/// The public address the SMS links carry (the tests open them on the
/// test server's own address).
const PUBLIC: &str = "https://jy.jiaxing.example.cn";

/// A page as a browser without redirects gets it.
pub struct Page {
    pub status: StatusCode,
    pub text: String,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
}

impl TestApp {
    /// GET (or POST a form to) a page, without following redirects; the
    /// status and content type must be ones the OpenAPI document lists.
    pub async fn page(&self, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let url = format!("{}{}", self.base, path);
        let req = match form {
            Some(fields) => client.post(url).form(fields),
            None => client.get(url),
        };
        let res = req.send().await.expect("page request");
        let status = res.status();
        let headers = res.headers().clone();
        let location = headers.get("location").and_then(|v| v.to_str().ok()).map(String::from);
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let text = res.text().await.unwrap_or_default();
        let method = if form.is_some() { "POST" } else { "GET" };
        conforms(method, path, &Answer { status, body: Value::Null, content_type });
        Page { status, text, location, headers }
    }

    /// The SMS the gateway got for `phone`, waited for (10 s).
    async fn sms_to(&self, gateway: &Receiver, phone: &str, count: usize) -> Vec<String> {
        for _ in 0..200 {
            let texts: Vec<String> = gateway
                .hits()
                .iter()
                .filter_map(|h| serde_json::from_str::<Value>(&h.body).ok())
                .filter(|b| b["phone"] == phone)
                .filter_map(|b| b["text"].as_str().map(String::from))
                .collect();
            if texts.len() >= count {
                return texts;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{phone} never got {count} SMS: {:?}", gateway.hits().iter().map(|h| &h.body).collect::<Vec<_>>());
    }

    async fn scalar(&self, sql: &str, binds: &[&str]) -> i64 {
        let mut q = sqlx::query_scalar::<_, i64>(sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.fetch_one(&self.state.db.pool).await.unwrap()
    }
}

/// The token of the link in an SMS, checked to be the public address's.
fn token_in(text: &str) -> String {
    let at = text.find(&format!("{PUBLIC}/m/")).unwrap_or_else(|| panic!("no link in {text}"));
    let token: String = text[at + PUBLIC.len() + 3..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert_eq!(token.len(), 22, "128 random bits: {text}");
    token
}

fn person(seq: u32, phone: &str, name: &str) -> Value {
    with(person_body(seq), |b| {
        b["phone"] = json!(phone);
        b["name"] = json!(name);
    })
}

/// What the browser script reports (tests/browser/seeker.mjs), when Node,
/// its packages and Chromium are here; required when
/// `JOBMATCH_BROWSER_TESTS=required` (as `.ci/run` sets).
fn browse(url: &str, expired_url: &str) -> Option<Value> {
    let out_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/seeker-pages");
    run_browser_script("seeker.mjs", &json!({"url": url, "expired_url": expired_url, "out_dir": out_dir}))
}

fn assert_accessible(report: &Value, page: &str) {
    let violations = report["violations"].as_array().expect("axe ran");
    assert!(violations.is_empty(), "axe-core WCAG 2.2 AA on the {page} page: {violations:?}");
    assert!(report["passes"].as_u64().unwrap() >= 5, "axe checked the {page} page: {report}");
}

async fn answers_reach_staff(backend: Backend) {
    let gateway = Receiver::start(Mode::Ok).await;
    let url = gateway.url.clone();
    let Some(app) = spawn_app_with(backend, |s| {
        quick(s);
        s.public_url = PUBLIC.into();
        s.push.sms = Some(SmsGateway { url, key: None, template: "T1".into() });
    })
    .await
    else {
        return eprintln!("skipped: JOBMATCH_TEST_POSTGRES_URL is not set");
    };
    let pool = &app.state.db.pool;
    let a = app.create_person(person(101, "13905738701", "张桂芳")).await;
    let b = app
        .create_person(with(person(103, "13905738702", "李建国"), |b| {
            b["preferred_regions"] = json!(["330402", "330411"])
        }))
        .await;
    let agencies = app.two_agencies().await;
    app.assign(&agencies.agreement_a, &a).await;
    let (staff_org, staff) = app.org_with_key("南湖区人社局", "bureau", "330402", "staff").await;
    let (_, far_staff) = app.org_with_key("秀洲区人社局", "bureau", "330411", "staff").await;
    app.wait_indexed().await;
    let (_, publisher) = app.publisher("推送零工市场").await;
    let job = app.create_job(&publisher, job_body()).await;

    // Every SMS carries a link within two segments; the token is not stored.
    let sms_a = app.sms_to(&gateway, "13905738701", 1).await;
    let sms_b = app.sms_to(&gateway, "13905738702", 1).await;
    assert!(sms_a[0].contains("小区保洁员") && sms_a[0].chars().count() <= 134, "{}", sms_a[0]);
    let token_a = token_in(&sms_a[0]);
    let token_b = token_in(&sms_b[0]);
    assert_ne!(token_a, token_b);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM seeker_links WHERE token_hash = $1", &[&token_a]).await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM seeker_links WHERE person_id = $1", &[&a]).await, 1);

    // The page: the job in plain words, no ID number, no phone of the person.
    let page = app.page(&format!("/m/{token_a}"), None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for part in [
        "小区保洁员",
        "每小时20-25元",
        "南湖区",
        "tel:13805731234",
        "我感兴趣",
        "不合适",
        "太远",
        "还招",
        "不再接收短信",
    ] {
        assert!(page.text.contains(part), "{part} missing from the page");
    }
    assert!(!page.text.contains("13905738701") && !page.text.contains("张桂芳"), "nothing of the person on the page");
    assert!(!page.text.contains("<script"), "works without JavaScript");
    assert_eq!(page.headers["cache-control"], "no-store");
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    assert!(page.headers["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    let css = app.client.get(format!("{}/m/assets/m.css", app.base)).send().await.unwrap();
    assert!(css.headers()["cache-control"].to_str().unwrap().contains("max-age"));

    // In a real browser at 360 px: accessible, large, answerable.
    let expired =
        jobmatch_core::links::issue(pool, &a, &job, 1, chrono::Utc::now() - chrono::Duration::days(2)).await.unwrap();
    let answered_in_browser = match browse(&format!("{}/m/{token_a}", app.base), &format!("{}/m/{expired}", app.base)) {
        Some(report) => {
            assert_eq!(report["job_status"], 200, "{report}");
            assert_accessible(&report["job_axe"], "job");
            assert_accessible(&report["answered_axe"], "answered");
            assert_accessible(&report["expired_axe"], "expired");
            let m = &report["job"];
            assert!(m["body_font_px"].as_f64().unwrap() >= 18.0, "{m}");
            assert!(m["min_text_px"].as_f64().unwrap() >= 18.0, "{m}");
            assert!(m["min_line_height"].as_f64().unwrap() >= 1.5, "{m}");
            let buttons = m["buttons"].as_array().unwrap();
            assert!(buttons.len() >= 3, "call, interested, not fitting: {m}");
            for button in buttons {
                assert!(
                    button["width"].as_f64().unwrap() >= 60.0 && button["height"].as_f64().unwrap() >= 60.0,
                    "{button}"
                );
                assert!(button["right"].as_f64().unwrap() <= 360.0, "one column within the screen: {button}");
            }
            assert_eq!(m["scripts"], 0);
            assert_eq!(m["horizontal_overflow"], false);
            assert_eq!(m["tel_links"], json!(["tel:13805731234"]));
            assert!(report["job_transferred_bytes"].as_u64().unwrap() <= 30 * 1024, "{report}");
            assert_eq!(report["dialogs"], 0, "no pop-ups");
            assert!(report["answered_text"].as_str().unwrap().contains("我感兴趣（请工作人员联系我）"), "{report}");
            assert_eq!(report["expired_status"], 410);
            assert_eq!(report["expired_heading"], "链接已过期");
            true
        }
        None => false,
    };
    if !answered_in_browser {
        let r = app
            .page(&format!("/m/{token_a}/jobs/{job}/answer"), Some(&[("answer", "interested"), ("contact", "1")]))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let expired_page = app.page(&format!("/m/{expired}"), None).await;
    assert_eq!(expired_page.status, StatusCode::GONE);
    assert!(expired_page.text.contains("社区"), "says what to do");

    // The lead reaches the person's community staff and their agency only.
    let leads = app.get("/v1/leads", &staff).await;
    assert_eq!(leads.status, StatusCode::OK, "{}", leads.body);
    let items = leads.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["person_id"], a.as_str());
    assert_eq!(items[0]["job_id"], job.as_str());
    assert_eq!(items[0]["wants_contact"], true);
    assert_eq!(items[0]["status"], "open");
    let lead = items[0]["id"].as_str().unwrap().to_string();
    assert_eq!(app.get("/v1/leads", &agencies.a).await.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.get("/v1/leads", &agencies.b).await.body["items"].as_array().unwrap().len(), 0);
    assert_eq!(app.get("/v1/leads", &far_staff).await.body["items"].as_array().unwrap().len(), 0);
    assert_eq!(app.get("/v1/leads", &publisher).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.post(&format!("/v1/leads/{lead}/referral"), &agencies.b, json!({})).await.status,
        StatusCode::NOT_FOUND
    );

    // Staff see the answer on the person's page in the console and refer
    // the person from there in one step; a second is refused.
    let password = app.account(&app.admin, &staff_org, "nanhu.leads", "staff", None).await;
    let mut console = crate::console::Browser::new(&app);
    assert_eq!(console.sign_in("nanhu.leads", &password).await.status, StatusCode::SEE_OTHER);
    let page = console.get(&format!("/console/persons/{a}")).await;
    assert!(page.body.contains("对岗位感兴趣，请工作人员联系"), "{}", page.body);
    assert!(page.body.contains(&format!("action=\"/console/leads/{lead}/refer\"")));
    let csrf = page.hidden("csrf");
    let forged = console.post(&format!("/console/leads/{lead}/refer"), &[("person_id", &a)]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "no token, no referral");
    let done = console.post(&format!("/console/leads/{lead}/refer"), &[("csrf", &csrf), ("person_id", &a)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location, format!("/console/persons/{a}?saved=lead"));
    let referred = app.get(&format!("/v1/leads?person_id={a}"), &staff).await;
    assert_eq!(referred.body["items"][0]["status"], "referred", "{}", referred.body);
    let referral =
        app.get(&format!("/v1/referrals/{}", referred.body["items"][0]["referral_id"].as_str().unwrap()), &staff).await;
    assert_eq!(referral.body["status"], "referred");
    assert_eq!(referral.body["person_id"], a.as_str());
    let page = console.get(&format!("/console/persons/{a}")).await;
    assert!(!page.body.contains(&format!("/console/leads/{lead}/refer")), "acted on: no button any more");
    let again = app.post(&format!("/v1/leads/{lead}/referral"), &staff, json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["code"], "lead_not_open");
    let refs = app.get(&format!("/v1/referrals?person_id={a}"), &staff).await;
    assert_eq!(refs.body["items"].as_array().unwrap().len(), 1);

    // B: 不合适 / 太远, twice (idempotent), shown back on the page.
    let answer = [("answer", "not_fitting"), ("reason", "too_far")];
    for _ in 0..2 {
        let r = app.page(&format!("/m/{token_b}/jobs/{job}/answer"), Some(&answer)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        assert_eq!(r.location.as_deref(), Some(format!("/m/{token_b}/jobs/{job}").as_str()));
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM seeker_answers WHERE person_id = $1", &[&b]).await, 1);
    let shown = app.page(&format!("/m/{token_b}/jobs/{job}"), None).await;
    assert!(shown.text.contains("已收到您的回复：不合适（太远）"), "{}", shown.text);
    let no_reason = app.page(&format!("/m/{token_b}/jobs/{job}/answer"), Some(&[("answer", "not_fitting")])).await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    assert!(no_reason.text.contains("请选一个原因"));

    // A notice of that job still waiting for B (held, e.g. by quiet hours)
    // is never sent now.
    sqlx::query("UPDATE notifications SET status = 'held', due_at = $1 WHERE person_id = $2 AND job_id = $3 AND channel = 'inbox'")
        .bind(jobmatch_core::time::to_text(chrono::Utc::now()))
        .bind(&b)
        .bind(&job)
        .execute(pool)
        .await
        .unwrap();
    let items = app
        .notifications_until(&job, |items| {
            items.iter().any(|n| n["person_id"] == b.as_str() && n["channel"] == "inbox" && n["status"] == "dead")
        })
        .await;
    let held = items.iter().find(|n| n["person_id"] == b.as_str() && n["channel"] == "inbox").unwrap();
    assert!(held["last_error"].as_str().unwrap().starts_with("declined"), "{held}");

    // Publishers see counts, never who.
    let counts = app.get(&format!("/v1/jobs/{job}/responses"), &publisher).await;
    assert_eq!(counts.status, StatusCode::OK, "{}", counts.body);
    assert_eq!(counts.body["told"], 2, "{}", counts.body);
    assert!(counts.body["opened"].as_i64().unwrap() >= 2, "{}", counts.body);
    assert_eq!(counts.body["interested"], 1);
    assert_eq!(counts.body["not_fitting"]["too_far"], 1);
    assert!(!counts.body.to_string().contains(&a) && !counts.body.to_string().contains(&b));
    let (_, other_publisher) = app.publisher("另一个零工市场").await;
    assert_eq!(app.get(&format!("/v1/jobs/{job}/responses"), &other_publisher).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/v1/jobs/{job}/responses"), &agencies.a).await.status, StatusCode::FORBIDDEN);

    // A job pushed only to B (in 秀洲区, where only B looks): A's token does not open it.
    let far_job = app.create_job(&publisher, with(job_body(), |j| j["region_code"] = json!("330411002"))).await;
    let sms_b = app.sms_to(&gateway, "13905738702", 2).await;
    let token_b2 = token_in(&sms_b[1]);
    assert_eq!(app.page(&format!("/m/{token_a}/jobs/{far_job}"), None).await.status, StatusCode::NOT_FOUND);
    let foreign = app.page(&format!("/m/{token_a}/jobs/{far_job}/answer"), Some(&[("answer", "interested")])).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(app.page(&format!("/m/{token_b}/jobs/{far_job}"), None).await.status, StatusCode::OK);
    // 我的推荐 on B's first link lists the other open job pushed to B.
    assert!(app.page(&format!("/m/{token_b}"), None).await.text.contains(&format!("/m/{token_b}/jobs/{far_job}")));

    // A long, scripted 其他 reason is kept as text and shown escaped.
    let script = format!("<script>alert(1)</script>{}", "长".repeat(300));
    let r = app
        .page(
            &format!("/m/{token_b2}/jobs/{far_job}/answer"),
            Some(&[("answer", "not_fitting"), ("reason", "other"), ("other", &script)]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let kept: String =
        sqlx::query_scalar("SELECT reason_text FROM seeker_answers WHERE person_id = $1 AND job_id = $2")
            .bind(&b)
            .bind(&far_job)
            .fetch_one(pool)
            .await
            .unwrap();
    assert!(kept.starts_with("<script>") && kept.chars().count() == 200, "{kept}");
    let shown = app.page(&format!("/m/{token_b2}/jobs/{far_job}"), None).await;
    assert!(
        shown.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || shown.text.contains("&#60;script&#62;"),
        "{}",
        shown.text
    );
    assert!(!shown.text.contains("<script>alert"));

    // Someone registered after the job opened is told of it.
    let c = app.create_person(person(105, "13905738703", "王秀英")).await;
    let items = app
        .notifications_until(&job, |items| {
            items.iter().any(|n| n["person_id"] == c.as_str() && n["channel"] == "inbox" && n["status"] == "sent")
        })
        .await;
    assert!(items.iter().any(|n| n["person_id"] == c.as_str() && n["channel"] == "sms"), "{items:?}");
    let sms_c = app.sms_to(&gateway, "13905738703", 1).await;
    let token_c = token_in(&sms_c[0]);
    // ... and B, ready again after a pause, is not told of the job B declined.
    app.patch(&format!("/v1/persons/{b}"), &app.admin, json!({"willingness": "later"})).await;
    app.patch(&format!("/v1/persons/{b}"), &app.admin, json!({"willingness": "now"})).await;

    // 已经找到工作 opens a task to record the placement, which staff close.
    let found = app
        .page(&format!("/m/{token_a}/jobs/{job}/answer"), Some(&[("answer", "not_fitting"), ("reason", "found_work")]))
        .await;
    assert_eq!(found.status, StatusCode::SEE_OTHER);
    let tasks = app.get("/v1/leads?kind=found_work", &staff).await;
    let tasks = tasks.body["items"].as_array().unwrap().clone();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["person_id"], a.as_str());
    let task = tasks[0]["id"].as_str().unwrap().to_string();
    let page = console.get(&format!("/console/persons/{a}")).await;
    assert!(page.body.contains("已经找到工作"), "{}", page.body);
    let closed = console.post(&format!("/console/leads/{task}/close"), &[("csrf", &csrf), ("person_id", &a)]).await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    let closed_task = app.get(&format!("/v1/leads?kind=found_work&person_id={a}"), &staff).await;
    assert_eq!(closed_task.body["items"][0]["status"], "closed", "{}", closed_task.body);
    let closed_again = app.post(&format!("/v1/leads/{task}/close"), &staff, json!({"note": "已登记就业"})).await;
    assert_eq!(closed_again.status, StatusCode::CONFLICT, "closed once");
    let referred_lead = app.get(&format!("/v1/leads?person_id={a}"), &staff).await;
    assert_eq!(referred_lead.body["items"][0]["status"], "referred", "a lead acted on stays as it was");

    // Someone not wanting work yet is told nothing, and is told once they do.
    let d = app.create_person(with(person(107, "13905738704", "陈美华"), |b| b["willingness"] = json!("later"))).await;
    app.wait_indexed().await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM notifications WHERE person_id = $1", &[&d]).await, 0);
    let r = app.patch(&format!("/v1/persons/{d}"), &app.admin, json!({"willingness": "now"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.notifications_until(&job, |items| items.iter().any(|n| n["person_id"] == d.as_str() && n["status"] == "sent"))
        .await;

    // An answer after the job closed: a page saying so, and no lead.
    let closed = app.post(&format!("/v1/jobs/{job}/close"), &publisher, json!({"reason": "filled"})).await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    let late = app.page(&format!("/m/{token_c}/jobs/{job}/answer"), Some(&[("answer", "interested")])).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert!(late.text.contains("已经关闭"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM leads WHERE person_id = $1", &[&c]).await, 0);
    assert!(app.page(&format!("/m/{token_c}"), None).await.text.contains("已经招满或关闭"));

    // 不再接收短信: asks first, then withdraws push consent on record.
    let confirm = app.page(&format!("/m/{token_c}/stop"), None).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert_eq!(
        app.get(&format!("/v1/persons/{c}"), &app.admin).await.body["consent"]["push"],
        true,
        "a GET stops nothing"
    );
    let stopped = app.page(&format!("/m/{token_c}/stop"), Some(&[])).await;
    assert_eq!(stopped.status, StatusCode::OK);
    assert!(stopped.text.contains("已退订"));
    assert_eq!(app.get(&format!("/v1/persons/{c}"), &app.admin).await.body["consent"]["push"], false);
    let history = app.get(&format!("/v1/persons/{c}/history"), &app.admin).await;
    assert!(history.body.to_string().contains("seeker_page"), "{}", history.body);

    // Unknown tokens, of any form, get the plain page.
    for bad in ["AAAAAAAAAAAAAAAAAAAAAA", "short", "%2e%2e%2fetc"] {
        let r = app.page(&format!("/m/{bad}"), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
        assert!(r.text.contains("社区"));
    }

    // The far job was never told to B again after B became ready again: one
    // notice per channel, and none of the declined job.
    app.wait_indexed().await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM notifications WHERE person_id = $1 AND job_id = $2", &[&b, &job]).await,
        2
    );

    let m = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(m.contains("jobmatch_seeker_answers_total{answer=\"not_fitting\",reason=\"too_far\"} 1"), "{m}");
    assert!(m.contains("jobmatch_seeker_opened_total"), "{m}");
    assert!(m.contains("jobmatch_seeker_link_failures_total{reason=\"expired\"}"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_on_the_sms_page_reach_staff_sqlite() {
    answers_reach_staff(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_on_the_sms_page_reach_staff_postgres() {
    answers_reach_staff(Backend::Postgres).await
}

/// 10,000 guessed tokens from one address: throttled after the budget,
/// nothing found, and the throttle holds for real tokens from there too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_tokens_is_throttled_and_finds_nothing() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.auth_failures_per_minute = 20).await.expect("sqlite app");
    let client = reqwest::Client::new();
    let mut found = 0;
    let mut not_found = 0;
    let mut throttled = 0;
    let guesses: Vec<String> = (0..10_000u32)
        .map(|i| {
            let t = format!("{:022}", u128::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835));
            t.chars().rev().take(22).collect()
        })
        .collect();
    for chunk in guesses.chunks(50) {
        let answers =
            futures::future::join_all(chunk.iter().map(|t| client.get(format!("{}/m/{t}", app.base)).send())).await;
        for a in answers {
            match a.expect("answered").status() {
                StatusCode::OK => found += 1,
                StatusCode::NOT_FOUND => not_found += 1,
                StatusCode::TOO_MANY_REQUESTS => throttled += 1,
                other => panic!("unexpected {other}"),
            }
        }
    }
    assert_eq!(found, 0);
    assert!(not_found <= 20 + 50, "{not_found} wrong tries answered before the throttle");
    assert!(throttled >= 9_900, "{throttled} throttled");
    let m = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(m.contains("jobmatch_seeker_link_failures_total{reason=\"throttled\"}"), "{m}");
}
