//! The push service end to end: planning from the outbox, the inbox, SMS
//! through a real loopback gateway, quiet hours, the daily cap, closed jobs.

use std::time::Duration;

use chrono::Timelike;
use jobmatch_core::config::{QuietHours, SmsGateway};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::receiver::{Mode, Receiver};

/// Settings for push tests: no quiet hours, a fast poll, short retries.
pub fn quick(s: &mut jobmatch_core::config::Settings) {
    s.push.quiet_hours = None;
    s.push.poll = Duration::from_millis(50);
    s.push.retry_schedule = vec![Duration::from_secs(1), Duration::from_secs(1)];
    s.push.http_timeout = Duration::from_secs(2);
}

impl TestApp {
    /// The notifications of a job, polled until `done` holds (up to 10 s).
    pub async fn notifications_until(&self, job_id: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let mut items = Vec::new();
        for _ in 0..200 {
            let r = self.get(&format!("/v1/notifications?job_id={job_id}&limit=200"), &self.admin).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            items = r.body["items"].as_array().cloned().unwrap_or_default();
            if done(&items) {
                return items;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("notifications of {job_id} never reached the expected state: {items:?}");
    }
}

fn of<'a>(items: &'a [Value], person: &str, channel: &str) -> Vec<&'a Value> {
    items.iter().filter(|n| n["person_id"] == person && n["channel"] == channel).collect()
}

fn all_settled(items: &[Value]) -> bool {
    !items.is_empty() && items.iter().all(|n| n["status"] != "pending")
}

/// A quiet window around the present moment in Asia/Shanghai.
fn quiet_now() -> QuietHours {
    let local = chrono::Utc::now().with_timezone(&jobmatch_core::time::shanghai());
    let m = local.hour() * 60 + local.minute();
    QuietHours { start: (m + 1440 - 60) % 1440, end: (m + 60) % 1440 }
}

async fn reach_once(backend: Backend) {
    let sms = Receiver::start(Mode::Ok).await;
    let url = sms.url.clone();
    let Some(app) = spawn_app_with(backend, |s| {
        quick(s);
        s.push.sms =
            Some(SmsGateway { url, key: Some(jobmatch_core::config::Secret::new("gw-key")), template: "T1".into() });
    })
    .await
    else {
        return eprintln!("skipped: JOBMATCH_TEST_POSTGRES_URL is not set");
    };
    let yes = app.create_person(person_body(101)).await;
    let no = app.create_person(with(person_body(103), |b| b["consent"]["push"] = json!(false))).await;
    app.wait_indexed().await;
    let (_, publisher) = app.publisher("推送零工市场").await;
    let job = app.create_job(&publisher, job_body()).await;
    let items = app
        .notifications_until(&job, |items| {
            of(items, &yes, "sms").first().is_some_and(|n| n["status"] == "sent")
                && of(items, &yes, "inbox").first().is_some_and(|n| n["status"] == "sent")
        })
        .await;
    assert_eq!(of(&items, &yes, "inbox").len(), 1, "{items:?}");
    assert_eq!(of(&items, &yes, "inbox")[0]["status"], "sent");
    assert!(of(&items, &no, "inbox").is_empty() && of(&items, &no, "sms").is_empty(), "no consent, no notice");
    // The gateway got the phone in full, the template and the plain text.
    let hits = sms.hits();
    assert_eq!(hits.len(), 1, "one SMS, to the one person who consented");
    let sent: Value = serde_json::from_str(&hits[0].body).unwrap();
    assert_eq!(sent["phone"], "13905738765");
    assert_eq!(sent["template"], "T1");
    assert!(sent["text"].as_str().unwrap().contains("小区保洁员"), "{sent}");
    assert_eq!(hits[0].headers.get("authorization").map(String::as_str), Some("Bearer gw-key"));

    // The inbox shows the job once; reading it marks it read.
    let inbox = app.get(&format!("/v1/persons/{yes}/inbox"), &app.admin).await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.body);
    let msgs = inbox.body["items"].as_array().unwrap().clone();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["job_id"], job.as_str());
    assert_eq!(msgs[0]["read"], false);
    assert!(msgs[0]["body"].as_str().unwrap().contains("13805731234"), "how to answer: {}", msgs[0]["body"]);
    let id = msgs[0]["id"].as_str().unwrap();
    let read = app.post(&format!("/v1/persons/{yes}/inbox/{id}/read"), &app.admin, json!({})).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.body["read"], true);
    let unread = app.get(&format!("/v1/persons/{yes}/inbox?unread=true"), &app.admin).await;
    assert_eq!(unread.body["items"].as_array().unwrap().len(), 0);

    // A grown headcount plans again: nobody gets the job twice.
    let r = app.patch(&format!("/v1/jobs/{job}"), &publisher, json!({"headcount": 5})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.wait_indexed().await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let again = app.notifications_until(&job, all_settled).await;
    assert_eq!(again.len(), items.len(), "{again:?}");
    assert_eq!(sms.hits().len(), 1);
    let inbox = app.get(&format!("/v1/persons/{yes}/inbox"), &app.admin).await;
    assert_eq!(inbox.body["items"].as_array().unwrap().len(), 1);

    // Metrics show the queue and the deliveries.
    let m = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(m.contains("jobmatch_push_deliveries_total{channel=\"sms\",outcome=\"sent\"} 1"), "{m}");
    assert!(m.contains("jobmatch_push_open_to_queued_seconds_count"), "{m}");
    assert!(m.contains("jobmatch_push_open_to_sent_seconds_count"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_job_reaches_each_fitting_consenting_person_once_sqlite() {
    reach_once(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_job_reaches_each_fitting_consenting_person_once_postgres() {
    reach_once(Backend::Postgres).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_hours_hold_notices_until_the_window_ends_and_closed_jobs_are_never_sent() {
    let quiet = quiet_now();
    let app = spawn_app_with(Backend::Sqlite, |s| {
        quick(s);
        s.push.quiet_hours = Some(quiet);
    })
    .await
    .unwrap();
    let person = app.create_person(person_body(111)).await;
    app.wait_indexed().await;
    let (_, publisher) = app.publisher("夜间零工市场").await;
    let job = app.create_job(&publisher, job_body()).await;
    let items =
        app.notifications_until(&job, |i| of(i, &person, "inbox").first().is_some_and(|n| n["status"] == "held")).await;
    let inbox = &of(&items, &person, "inbox")[0];
    assert!(inbox["last_error"].as_str().unwrap().starts_with("quiet_hours"), "{inbox}");
    // Due when the window ends, in Shanghai time.
    let due = chrono::DateTime::parse_from_rfc3339(inbox["due_at"].as_str().unwrap()).unwrap();
    let local = due.with_timezone(&jobmatch_core::time::shanghai());
    assert_eq!(local.hour() * 60 + local.minute(), quiet.end, "{due}");
    assert!(due > chrono::Utc::now());
    assert_eq!(inbox["attempts"], 0);
    let shown = app.get(&format!("/v1/persons/{person}/inbox"), &app.admin).await;
    assert_eq!(shown.body["items"].as_array().unwrap().len(), 0, "nothing reaches the inbox at night");

    // The job closes before morning; when morning comes the notice is dropped.
    let r = app.post(&format!("/v1/jobs/{job}/close"), &publisher, json!({"reason": "filled"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    sqlx::query("UPDATE notifications SET due_at = '2000-01-01T00:00:00.000000Z'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let items =
        app.notifications_until(&job, |i| of(i, &person, "inbox").first().is_some_and(|n| n["status"] == "dead")).await;
    assert!(of(&items, &person, "inbox")[0]["last_error"].as_str().unwrap().starts_with("job_closed"));
    let shown = app.get(&format!("/v1/persons/{person}/inbox"), &app.admin).await;
    assert_eq!(shown.body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_cap_holds_the_rest_until_the_next_morning_and_sms_waits_for_a_gateway() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        quick(s);
        s.push.daily_cap = 2;
    })
    .await
    .unwrap();
    let person = app.create_person(person_body(121)).await;
    app.wait_indexed().await;
    let (_, publisher) = app.publisher("限额零工市场").await;
    let mut jobs = Vec::new();
    for i in 0..3 {
        let job = app
            .create_job(&publisher, with(job_body(), |b| b["title"] = json!(format!("小区保洁员{}号", i + 1))))
            .await;
        app.notifications_until(&job, |items| {
            of(items, &person, "inbox").first().is_some_and(|n| n["status"] != "pending")
        })
        .await;
        jobs.push(job);
    }
    let r = app.get(&format!("/v1/notifications?person_id={person}&channel=inbox"), &app.admin).await;
    let items = r.body["items"].as_array().unwrap().clone();
    let sent = items.iter().filter(|n| n["status"] == "sent").count();
    let held: Vec<&Value> = items.iter().filter(|n| n["status"] == "held").collect();
    assert_eq!((sent, held.len()), (2, 1), "{items:?}");
    assert!(held[0]["last_error"].as_str().unwrap().starts_with("daily_cap"), "{}", held[0]);
    let due = chrono::DateTime::parse_from_rfc3339(held[0]["due_at"].as_str().unwrap()).unwrap();
    let today = chrono::Utc::now().with_timezone(&jobmatch_core::time::shanghai()).date_naive();
    assert_eq!(due.with_timezone(&jobmatch_core::time::shanghai()).date_naive(), today.succ_opt().unwrap());
    // No gateway: SMS rows are held with the reason, not lost.
    let r = app.get(&format!("/v1/notifications?person_id={person}&channel=sms"), &app.admin).await;
    let sms = r.body["items"].as_array().unwrap();
    assert!(!sms.is_empty());
    assert!(
        sms.iter()
            .any(|n| n["status"] == "held"
                && n["last_error"].as_str().unwrap().starts_with("sms_gateway_not_configured")),
        "{sms:?}"
    );
    // Bad filters are named.
    let r = app.get("/v1/notifications?status=lost&colour=red", &app.admin).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(fields, ["colour", "status"]);
    // Publishers see no delivery records.
    let r = app.get("/v1/notifications", &publisher).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// An agency with a webhook at `url` and one fitting person assigned to it
/// (who refused push: agencies hear about their people regardless).
pub async fn agency_with_webhook(app: &TestApp, name: &str, url: &str, seq: u32) -> (String, String, String) {
    let (org, key) = app.org_with_key(name, "hr_agency", "330400", "agency").await;
    let r = app.post("/v1/webhooks", &key, json!({"url": url, "secret": SECRET})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(r.body.get("secret").is_none(), "the secret is never answered");
    let person = follow_one_person(app, &org, seq).await;
    (org, key, person)
}

/// An agreement for agency `org` and one fitting person (who refused push)
/// assigned under it; returns the person.
pub async fn follow_one_person(app: &TestApp, org: &str, seq: u32) -> String {
    let agreement = app
        .post(
            "/v1/agreements",
            &app.admin,
            json!({"agency_org_id": org, "starts_on": "2026-01-01",
            "ends_on": "2030-12-31", "people_target": 5, "subsidy": {"amount": 300}}),
        )
        .await;
    let person = app.create_person(with(person_body(seq), |b| b["consent"]["push"] = json!(false))).await;
    app.assign(agreement.body["id"].as_str().unwrap(), &person).await;
    person
}

fn webhook_of<'a>(items: &'a [Value], org: &str) -> Option<&'a Value> {
    items.iter().find(|n| n["channel"] == "webhook" && n["agency_org_id"] == org)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_carry_only_the_agencys_people_and_retry_with_the_same_id() {
    let hook = Receiver::start(Mode::FailTimes(2)).await;
    let app = spawn_app_with(Backend::Sqlite, |s| {
        quick(s);
        s.push.retry_schedule = vec![Duration::from_secs(1), Duration::from_secs(1), Duration::from_secs(1)];
    })
    .await
    .unwrap();
    let (org, key, mine) = agency_with_webhook(&app, "回调人力资源公司", &hook.url, 301).await;
    let other = app.create_person(person_body(303)).await;
    app.wait_indexed().await;
    let (_, publisher) = app.publisher("回调零工市场").await;
    let job = app.create_job(&publisher, job_body()).await;
    let items = app.notifications_until(&job, |i| webhook_of(i, &org).is_some_and(|n| n["status"] == "sent")).await;
    let n = webhook_of(&items, &org).unwrap();
    assert_eq!(n["attempts"], 3, "two failures, then delivered: {n}");
    assert!(of(&items, &mine, "inbox").is_empty(), "the person refused push");
    let hits = hook.hits();
    assert_eq!(hits.len(), 3);
    let id = &hits[0].headers["webhook-id"];
    assert!(hits.iter().all(|h| &h.headers["webhook-id"] == id), "the same webhook-id on every retry");
    for w in hits.windows(2) {
        assert!(w[1].at - w[0].at >= Duration::from_millis(900), "retries follow the schedule");
    }
    // Each attempt is signed over its own timestamp, verifiable with the secret.
    let key_bytes = jobmatch_push::signature::secret_key(SECRET).unwrap();
    for h in &hits {
        let ts: i64 = h.headers["webhook-timestamp"].parse().unwrap();
        assert_eq!(
            h.headers["webhook-signature"],
            jobmatch_push::signature::sign(&key_bytes, id, ts, h.body.as_bytes())
        );
    }
    let payload: Value = serde_json::from_str(&hits[2].body).unwrap();
    assert_eq!(payload["type"], "job.matched");
    assert_eq!(payload["data"]["job_id"], job.as_str());
    let people = payload["data"]["people"].as_array().unwrap();
    assert_eq!(people.len(), 1, "only the agency's own person: {payload}");
    assert_eq!(people[0]["person_id"], mine.as_str());
    assert_eq!(people[0]["name"], "张*芳", "masked");
    assert!(!hits[2].body.contains(&other) && !hits[2].body.contains("1968"), "no other people, no ID numbers");
    // The agency sees its own delivery record, and the attempts are on record.
    let r = app.get("/v1/notifications?channel=webhook", &key).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    let attempts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notification_attempts WHERE notification_id = $1")
        .bind(n["id"].as_str().unwrap())
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(attempts, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_410_disables_the_endpoint_a_failing_one_ends_dead_and_a_hung_one_stalls_no_one() {
    let gone = Receiver::start(Mode::Status(410)).await;
    let failing = Receiver::start(Mode::Status(500)).await;
    let hung = Receiver::start(Mode::Hang).await;
    let redirecting = Receiver::start(Mode::RedirectOtherHost).await;
    let fine = Receiver::start(Mode::Ok).await;
    let app = spawn_app_with(Backend::Sqlite, |s| {
        quick(s);
        s.push.retry_schedule = vec![Duration::from_secs(1)];
        s.push.http_timeout = Duration::from_secs(3);
    })
    .await
    .unwrap();
    let (gone_org, gone_key, _) = agency_with_webhook(&app, "停用人力资源公司", &gone.url, 311).await;
    let (failing_org, _, _) = agency_with_webhook(&app, "故障人力资源公司", &failing.url, 313).await;
    let (hung_org, _, _) = agency_with_webhook(&app, "无响应人力资源公司", &hung.url, 315).await;
    let (fine_org, _, _) = agency_with_webhook(&app, "正常人力资源公司", &fine.url, 317).await;
    let (moved_org, _, _) = agency_with_webhook(&app, "转址人力资源公司", &redirecting.url, 319).await;
    app.wait_indexed().await;
    let (_, publisher) = app.publisher("故障零工市场").await;
    let started = std::time::Instant::now();
    let job = app.create_job(&publisher, job_body()).await;
    // The fine receiver is served while the hung one holds its call.
    app.notifications_until(&job, |i| webhook_of(i, &fine_org).is_some_and(|n| n["status"] == "sent")).await;
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "not stalled by the hung receiver: {:?}",
        started.elapsed()
    );
    assert!(!hung.hits().is_empty(), "the hung receiver was called");
    let items = app
        .notifications_until(&job, |i| {
            ["dead"].contains(&webhook_of(i, &gone_org).map_or("", |n| n["status"].as_str().unwrap()))
                && webhook_of(i, &failing_org).is_some_and(|n| n["status"] == "dead")
                && webhook_of(i, &hung_org).is_some_and(|n| n["status"] == "dead")
                && webhook_of(i, &moved_org).is_some_and(|n| n["status"] == "dead")
        })
        .await;
    // A redirect to another host is not followed.
    let r = webhook_of(&items, &moved_org).unwrap();
    assert!(r["last_error"].as_str().unwrap().starts_with("http_307"), "{r}");
    assert!(redirecting.hits().iter().all(|h| h.path == "/hook"), "never went to the other host");
    let g = webhook_of(&items, &gone_org).unwrap();
    assert!(g["last_error"].as_str().unwrap().starts_with("endpoint_gone"), "{g}");
    assert_eq!(gone.hits().len(), 1, "no retry after 410");
    let w = app.get("/v1/webhooks", &gone_key).await;
    assert_eq!(w.body["items"][0]["active"], false);
    let f = webhook_of(&items, &failing_org).unwrap();
    assert_eq!(f["attempts"], 2, "first try and the one retry of the schedule: {f}");
    assert!(f["last_error"].as_str().unwrap().starts_with("http_500"), "{f}");
    let h = webhook_of(&items, &hung_org).unwrap();
    assert!(h["last_error"].as_str().unwrap().starts_with("timeout"), "{h}");
    // Dead rows are listed, never dropped, and can be sent again.
    let dead = app.get("/v1/notifications?status=dead&channel=webhook", &app.admin).await;
    assert_eq!(dead.body["items"].as_array().unwrap().len(), 4);
    // Each active endpoint shows the agency's last delivery.
    let hooks = app.get("/v1/webhooks", &app.admin).await;
    let hook_of = |org: &str| {
        hooks.body["items"].as_array().unwrap().iter().find(|w| w["agency_org_id"] == org).cloned().unwrap()
    };
    let last = &hook_of(&failing_org)["last_delivery"];
    assert_eq!((last["status"].as_str(), last["attempts"].as_i64()), (Some("dead"), Some(2)), "{last}");
    assert!(last["last_error"].as_str().unwrap().starts_with("http_500"), "{last}");
    assert_eq!(hook_of(&fine_org)["last_delivery"]["status"], "sent");
    assert_eq!(hook_of(&gone_org)["last_delivery"], Value::Null, "a disabled endpoint has none");
    failing.set(Mode::Ok);
    let id = f["id"].as_str().unwrap();
    let r = app.post(&format!("/v1/notifications/{id}/retry"), &app.admin, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.notifications_until(&job, |i| webhook_of(i, &failing_org).is_some_and(|n| n["status"] == "sent")).await;
}

async fn claims_never_overlap(backend: Backend) {
    // The app's own planner and worker sleep after their first round (at
    // start, with nothing queued): the test plans the job itself, so the two
    // workers below are the only ones to claim.
    let Some(app) = spawn_app_with(backend, |s| {
        quick(s);
        s.push.poll = Duration::from_secs(600);
    })
    .await
    else {
        return eprintln!("skipped: JOBMATCH_TEST_POSTGRES_URL is not set");
    };
    for i in 0..20u32 {
        app.create_person(with(person_body(501 + 2 * i), |b| b["phone"] = json!(format!("1370573{:04}", i)))).await;
    }
    app.wait_indexed().await;
    let (_, publisher) = app.publisher("并发零工市场").await;
    let job = app.create_job(&publisher, job_body()).await;
    let planner = jobmatch_push::planner::Planner {
        state: app.state.clone(),
        source: std::sync::Arc::new(jobmatch_matching::engine::matcher::MatcherCandidates(std::sync::Arc::downgrade(
            &app.matcher,
        ))),
    };
    // Plan until the job's 40 rows are queued (the planner waits while
    // matching has not applied the job yet).
    for _ in 0..100 {
        planner.run_once().await.unwrap();
        let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE job_id = $1")
            .bind(&job)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
        if queued == 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let items = app.notifications_until(&job, |i| i.len() == 40).await;
    assert_eq!(items.len(), 40);
    assert!(items.iter().all(|n| n["status"] == "pending"), "nobody has claimed a row yet");
    // Every row falls due at once; two workers race for them.
    sqlx::query("UPDATE notifications SET due_at = '2000-01-01T00:00:00.000000Z'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let w1 = jobmatch_push::worker::Worker::new(app.state.clone()).unwrap();
    let w2 = jobmatch_push::worker::Worker::new(app.state.clone()).unwrap();
    let (a, b) = tokio::join!(w1.claim(25), w2.claim(25));
    let (a, b) = (a.unwrap(), b.unwrap());
    let ids_a: std::collections::HashSet<String> = a.iter().map(|c| c.id.clone()).collect();
    let ids_b: std::collections::HashSet<String> = b.iter().map(|c| c.id.clone()).collect();
    assert!(ids_a.is_disjoint(&ids_b), "a row was claimed by two workers at once");
    assert_eq!(ids_a.len() + ids_b.len(), 40, "between them they claimed every due row");
    // A claimed row is not claimed again while its lease holds.
    let again = w1.claim(100).await.unwrap();
    assert!(again.is_empty(), "{} rows claimed twice", again.len());
    let leased: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE lease_owner IS NOT NULL")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(leased, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_never_claim_the_same_row_at_once_on_sqlite() {
    claims_never_overlap(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_never_claim_the_same_row_at_once_on_postgres() {
    claims_never_overlap(Backend::Postgres).await
}

async fn cap_across_workers(backend: Backend) {
    // The app's own push worker sleeps: two other workers share the queue.
    let Some(app) = spawn_app_with(backend, |s| {
        s.push.poll = Duration::from_secs(60);
        s.push.daily_cap = 2;
    })
    .await
    else {
        return eprintln!("skipped: JOBMATCH_TEST_POSTGRES_URL is not set");
    };
    let person = app.create_person(person_body(801)).await;
    let (_, publisher) = app.publisher("限额并发零工市场").await;
    for i in 0..6 {
        let job = app.create_job(&publisher, with(job_body(), |b| b["title"] = json!(format!("保洁员{i}号")))).await;
        sqlx::query(
            "INSERT INTO notifications (id, job_id, recipient_id, person_id, channel, status, score, region_code, title, body,
                 due_at, job_opened_at, created_at, updated_at)
             VALUES ($1, $2, $3, $3, 'inbox', 'pending', 0.5, '330402008', 't', 'b', $4, $4, $4, $4)",
        )
        .bind(format!("ntf_cap{i}"))
        .bind(&job)
        .bind(&person)
        .bind(jobmatch_core::time::to_text(chrono::Utc::now()))
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    }
    let mut state = app.state.clone();
    let mut settings = (*state.settings).clone();
    settings.push.quiet_hours = None;
    // One row at a time each, so the two workers hold rows of the same person at once.
    settings.push.concurrency = 1;
    state.settings = std::sync::Arc::new(settings);
    let workers = [
        jobmatch_push::worker::Worker::new(state.clone()).unwrap(),
        jobmatch_push::worker::Worker::new(state.clone()).unwrap(),
    ];
    let (mut ta, mut tb) = (tokio::task::JoinSet::new(), tokio::task::JoinSet::new());
    for _ in 0..20 {
        let (a, b) = tokio::join!(workers[0].tick(&mut ta), workers[1].tick(&mut tb));
        a.unwrap();
        b.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    while ta.join_next().await.is_some() {}
    while tb.join_next().await.is_some() {}
    let r = app.get(&format!("/v1/notifications?person_id={person}"), &app.admin).await;
    let items = r.body["items"].as_array().unwrap();
    let sent = items.iter().filter(|n| n["status"] == "sent").count();
    let held = items
        .iter()
        .filter(|n| n["status"] == "held" && n["last_error"].as_str().unwrap().starts_with("daily_cap"))
        .count();
    assert_eq!((sent, held), (2, 4), "two workers together keep the cap of 2: {items:?}");

    // Tomorrow, twenty reservations race for the same person: two win.
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    let jobs: Vec<String> = sqlx::query_scalar("SELECT id FROM jobs").fetch_all(&app.state.db.pool).await.unwrap();
    let w = std::sync::Arc::new(jobmatch_push::worker::Worker::new(state.clone()).unwrap());
    let mut race = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (w, person, job) = (w.clone(), person.clone(), jobs[i % jobs.len()].clone());
        race.spawn(async move { w.reserve(&person, &job, tomorrow).await.unwrap().is_none() });
    }
    let mut granted = 0;
    while let Some(ok) = race.join_next().await {
        granted += ok.unwrap() as usize;
    }
    let day = tomorrow.with_timezone(&jobmatch_core::time::shanghai()).date_naive().to_string();
    let reserved: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM push_daily_sends WHERE person_id = $1 AND day = $2")
        .bind(&person)
        .bind(&day)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(reserved, 2, "never more jobs a day than the cap");
    assert!(granted >= 2, "the two reserved jobs (and repeats of them) are allowed: {granted}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_together_keep_the_daily_cap_on_sqlite() {
    cap_across_workers(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_together_keep_the_daily_cap_on_postgres() {
    cap_across_workers(Backend::Postgres).await
}

/// Both candidate sources of the push service — the matcher in this process
/// and the matching service over HTTP (how `--role push` asks) — give the
/// same people, scores and consents for the same question.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_candidate_sources_give_the_same_answer() {
    use jobmatch_core::state::{CandidateQuery, CandidateSource};
    let app = spawn_app(Backend::Sqlite).await.expect("sqlite app");
    let mut people = Vec::new();
    for seq in 0..12u32 {
        let body = with(person_body(200 + seq), |b| {
            b["consent"]["push"] = json!(seq % 3 != 0);
            if seq % 2 == 0 {
                b["skills"] = json!(["保洁"]);
            }
        });
        people.push(app.create_person(body).await);
    }
    let (_, publisher) = app.publisher("来源对照零工市场").await;
    let job = app.create_job(&publisher, job_body()).await;
    app.wait_indexed().await;
    let in_process = jobmatch_matching::engine::matcher::MatcherCandidates(std::sync::Arc::downgrade(&app.matcher));
    let over_http = jobmatch_push::matching_client::HttpCandidates {
        client: reqwest::Client::new(),
        base: app.base.clone(),
        key: app.admin.clone(),
    };
    let questions = [
        (5, CandidateQuery { push_consent: true, ids: None, through: None }),
        (200, CandidateQuery { push_consent: false, ids: None, through: None }),
        (3, CandidateQuery { push_consent: false, ids: Some(people[4..10].to_vec()), through: None }),
        (
            50,
            CandidateQuery { push_consent: true, ids: Some(vec![people[0].clone(), people[1].clone()]), through: None },
        ),
    ];
    for (limit, question) in questions {
        let here = in_process.fitting_people(&job, limit, question.clone()).await.unwrap();
        let there = over_http.fitting_people(&job, limit, question.clone()).await.unwrap();
        assert!(!here.is_empty() || question.ids.as_ref().is_some_and(|ids| ids.len() == 2), "{question:?}");
        assert!(here.len() <= limit, "{question:?}: limit kept");
        assert_eq!(here, there, "{question:?}");
        if question.push_consent {
            assert!(here.iter().all(|c| c.push_consent), "{question:?}");
        }
        if let Some(ids) = &question.ids {
            assert!(here.iter().all(|c| ids.contains(&c.person_id)), "{question:?}");
        }
    }
    // A question about events the source has not applied yet waits, both ways.
    let ahead = CandidateQuery {
        through: Some(jobmatch_core::events::Position { xid: i64::MAX, id: i64::MAX }),
        ..CandidateQuery::default()
    };
    let here = in_process.fitting_people(&job, 5, ahead.clone()).await.unwrap_err();
    let there = over_http.fitting_people(&job, 5, ahead).await.unwrap_err();
    assert!(here.is::<jobmatch_core::state::NotCaughtUp>(), "{here:#}");
    assert!(there.is::<jobmatch_core::state::NotCaughtUp>(), "{there:#}");
    // Unknown jobs: nobody, both ways.
    let none = CandidateQuery::default();
    assert!(in_process.fitting_people("job_missing", 10, none.clone()).await.unwrap().is_empty());
    assert!(over_http.fitting_people("job_missing", 10, none).await.unwrap().is_empty());
    // The route is for admin keys and names bad fields.
    let r = app.post(&format!("/v1/jobs/{job}/fitting-people"), &publisher, json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r =
        app.post(&format!("/v1/jobs/{job}/fitting-people"), &app.admin, json!({"limit": 0, "person_ids": "x"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["limit", "person_ids"], "{}", r.body);
}

/// A person registered just before a job opens is told of it: the planner
/// plans a job only once matching has applied every event before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_registered_just_before_the_job_is_not_missed() {
    let app = spawn_app_with(Backend::Sqlite, quick).await.expect("sqlite app");
    let (_, publisher) = app.publisher("先登记后发岗零工市场").await;
    for round in 0..3u32 {
        // No wait between the two: both events land in the same polls.
        let person = app.create_person(person_body(300 + round)).await;
        let job = app.create_job(&publisher, job_body()).await;
        let items = app.notifications_until(&job, |items| !of(items, &person, "inbox").is_empty()).await;
        assert_eq!(of(&items, &person, "inbox").len(), 1, "round {round}: {items:?}");
    }
}
