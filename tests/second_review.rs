//! The second security review (issue 29), each finding end to end against
//! the real server: credentials managed only by who could have made them,
//! sign-in budgets taken before the password is checked, per (login,
//! address) locks, client addresses behind a trusted proxy, password
//! rules with a first change, bounded upload fields, events of one's own
//! region, safe sign-in redirects, no-store API answers and concurrent
//! payment-list proposals. (Two people for money: tests/subsidies.rs,
//! tests/persons.rs and tests/console.rs; back-dated 公示: tests/welfare.rs;
//! formula cells: tests/subsidies.rs.)

use reqwest::StatusCode;
use serde_json::json;

use crate::console::Browser;
use crate::helpers::*;

impl TestApp {
    /// The bureau's own organisation (the one the admin keys belong to).
    pub(crate) async fn bureau_org(&self) -> String {
        let orgs = self.get("/v1/orgs?limit=200", &self.admin).await;
        let org = orgs.body["items"].as_array().unwrap().iter().find(|o| o["name"] == "市人社局").cloned();
        org.expect("the bureau's organisation")["id"].as_str().unwrap().to_string()
    }

    /// A key of `role` for `org` acting for `region`, issued by admin.
    async fn key_for(&self, org: &str, role: &str, region: &str) -> (String, String) {
        let r =
            self.post(&format!("/v1/orgs/{org}/keys"), &self.admin, json!({"role": role, "region_code": region})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        (r.body["id"].as_str().unwrap().to_string(), r.body["key"].as_str().unwrap().to_string())
    }

    pub(crate) async fn account_id(&self, org: &str, login: &str) -> String {
        let listed = self.get(&format!("/v1/orgs/{org}/accounts"), &self.admin).await;
        let found = listed.body["items"].as_array().unwrap().iter().find(|a| a["login"] == login).cloned();
        found.unwrap_or_else(|| panic!("{login} in {}", listed.body))["id"].as_str().unwrap().to_string()
    }
}

/// One sign-in posted from `forwarded_for` (as a proxy would forward it):
/// the answer's status and `Location`.
async fn sign_in_from(
    app: &TestApp,
    forwarded_for: Option<&str>,
    login: &str,
    password: &str,
    next: &str,
) -> (StatusCode, String) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(format!("{}/console/sign-in", app.base)).send().await.unwrap().text().await.unwrap();
    let marker = "name=\"token\" value=\"";
    let at = page.find(marker).expect("the form's token") + marker.len();
    let token = page[at..at + page[at..].find('"').unwrap()].to_string();
    let mut req = client
        .post(format!("{}/console/sign-in", app.base))
        .header("cookie", format!("jm_sign_in={token}"))
        .form(&[("token", token.as_str()), ("login", login), ("password", password), ("next", next)]);
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    let res = req.send().await.unwrap();
    let location = res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (res.status(), location)
}

fn statuses(answers: &[StatusCode], status: StatusCode) -> usize {
    answers.iter().filter(|s| **s == status).count()
}

both_backends! {
    // Finding 1: a staff key resets, disables or revokes only what it could
    // have made; never an admin's, never one outside its region.
    async fn staff_keys_cannot_take_over_admin_accounts(app: TestApp) {
        let bureau = app.bureau_org().await;
        let admin_password = app.account_first(&app.admin, &bureau, "city.admin", "admin", None).await;
        let admin_account = app.account_id(&bureau, "city.admin").await;
        app.account_first(&app.admin, &bureau, "nanhu.head", "staff", Some("330402")).await;
        let head = app.account_id(&bureau, "nanhu.head").await;
        app.account_first(&app.admin, &bureau, "jiefang.li", "staff", Some("330402008")).await;
        let street_account = app.account_id(&bureau, "jiefang.li").await;
        let (_, county) = app.key_for(&bureau, "staff", "330402").await;
        let (_, street) = app.key_for(&bureau, "staff", "330402008").await;
        let keys = app.get(&format!("/v1/orgs/{bureau}/keys"), &app.admin).await;
        let admin_key_id = keys.body["items"].as_array().unwrap().iter().find(|k| k["role"] == "admin").unwrap()["id"]
            .as_str().unwrap().to_string();

        // The county key: not the admin's account or key, in any way.
        for action in ["reset-password", "disable"] {
            let r = app.post(&format!("/v1/orgs/{bureau}/accounts/{admin_account}/{action}"), &county, json!({})).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{action}: {}", r.body);
            assert!(r.body.get("password").is_none());
        }
        let r = app.send("DELETE", &format!("/v1/orgs/{bureau}/keys/{admin_key_id}"), Some(&county), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // Listing shows only what it could have made.
        let listed = app.get(&format!("/v1/orgs/{bureau}/accounts"), &county).await;
        let logins: Vec<&str> = listed.body["items"].as_array().unwrap().iter().map(|a| a["login"].as_str().unwrap()).collect();
        assert_eq!(logins.len(), 2, "{}", listed.body);
        assert!(logins.contains(&"nanhu.head") && logins.contains(&"jiefang.li") && !logins.contains(&"city.admin"));
        let listed = app.get(&format!("/v1/orgs/{bureau}/keys"), &county).await;
        assert!(listed.body["items"].as_array().unwrap().iter().all(|k| k["role"] != "admin"), "{}", listed.body);
        // The street key: not its county head.
        let r = app.post(&format!("/v1/orgs/{bureau}/accounts/{head}/reset-password"), &street, json!({})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        let r = app.post(&format!("/v1/orgs/{bureau}/accounts/{head}/disable"), &street, json!({})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // Nothing was touched: the admin signs in with the same password,
        // the admin key works, the head is not disabled.
        let mut browser = Browser::new(&app);
        assert_eq!(browser.sign_in("city.admin", &admin_password).await.status, StatusCode::SEE_OTHER);
        assert_eq!(app.get("/v1/orgs", &app.admin).await.status, StatusCode::OK);
        let all = app.get(&format!("/v1/orgs/{bureau}/accounts"), &app.admin).await;
        assert!(all.body["items"].as_array().unwrap().iter().all(|a| a["disabled_at"].is_null()), "{}", all.body);
        // What it could have made, it may manage: the county key resets a
        // street colleague; the street key cannot create a county account.
        let r = app.post(&format!("/v1/orgs/{bureau}/accounts/{street_account}/reset-password"), &county, json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body["password"].as_str().is_some_and(|p| p.len() >= 20));
        let r = app.post(&format!("/v1/orgs/{bureau}/accounts"), &street,
            json!({"login": "up.high", "name": "高", "role": "staff", "region_code": "330402"})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = app.post(&format!("/v1/orgs/{bureau}/keys"), &county, json!({"role": "admin"})).await;
        assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::UNPROCESSABLE_ENTITY), "{}", r.body);
        // Nor a second staff key of its own (another identity for the
        // two-person checks).
        let r = app.post(&format!("/v1/orgs/{bureau}/keys"), &county, json!({"role": "staff", "region_code": "330402"})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(app.count("staff_accounts").await, 3, "nothing stored from the refusals");
    }

    // Finding 2: another identity of the person who proposed — a key or an
    // account they issued or reset — does not make a second person.
    async fn a_second_identity_of_the_proposer_cannot_approve(app: TestApp) {
        let (org, head) = app.org_with_key("南湖区人社局", "bureau", "330402", "staff").await;
        let proposed = app.post("/v1/payment-lists", &head, json!({"unit_code": "330402", "month": "2025-01"})).await;
        assert_eq!(proposed.status, StatusCode::CREATED, "{}", proposed.body);
        let list = proposed.body["id"].as_str().unwrap().to_string();
        let approve = format!("/console/payments/{list}/approve");
        // An account the head opens for "someone else", used by the head.
        let alias = app.account(&head, &org, "nanhu.alias", "staff", None).await;
        let mut as_alias = Browser::new(&app);
        as_alias.sign_in("nanhu.alias", &alias).await;
        let csrf = as_alias.get("/console/").await.hidden("csrf");
        assert!(!as_alias.get(&format!("/console/payments/{list}")).await.body.contains("核对无误，审核通过"));
        let r = as_alias.post(&approve, &[("csrf", &csrf)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        // A colleague's account the head reset (and so could sign in with).
        app.account(&app.admin, &org, "nanhu.peer", "staff", None).await;
        let peer_id = app.account_id(&org, "nanhu.peer").await;
        let reset = app.post(&format!("/v1/orgs/{org}/accounts/{peer_id}/reset-password"), &head, json!({})).await;
        assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
        let mut as_peer = Browser::new(&app);
        as_peer.sign_in("nanhu.peer", reset.body["password"].as_str().unwrap()).await;
        let form = as_peer.get("/console/password").await;
        let (current, new) = (reset.body["password"].as_str().unwrap(), "换了一个新密码-2026");
        as_peer.post("/console/password", &[("csrf", &form.hidden("csrf")), ("current", current), ("new", new)]).await;
        let r = as_peer.post(&approve, &[("csrf", &form.hidden("csrf"))]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(app.get(&format!("/v1/payment-lists/{list}"), &head).await.body["state"], "proposed");
        // An admin key the admin issues is the admin all the same.
        let second = app.post(&format!("/v1/orgs/{org}/keys"), &app.admin, json!({"role": "staff"})).await;
        let second = second.body["key"].as_str().unwrap().to_string();
        let mine = app.post("/v1/payment-lists", &app.admin, json!({"unit_code": "330402", "month": "2025-02"})).await;
        let mine = mine.body["id"].as_str().unwrap().to_string();
        let r = app.post(&format!("/v1/payment-lists/{mine}/approve"), &second, json!({})).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::FORBIDDEN, Some("self_approval")), "{}", r.body);
        // Someone else entirely approves both.
        let colleague = app.account(&app.reviewer, &org, "nanhu.qin", "staff", None).await;
        let mut as_colleague = Browser::new(&app);
        as_colleague.sign_in("nanhu.qin", &colleague).await;
        let csrf = as_colleague.get("/console/").await.hidden("csrf");
        let r = as_colleague.post(&approve, &[("csrf", &csrf)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = as_colleague.post(&format!("/console/payments/{mine}/approve"), &[("csrf", &csrf)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let approved = app.get(&format!("/v1/payment-lists/{list}"), &head).await;
        assert_eq!(approved.body["approved_by"], app.account_id(&org, "nanhu.qin").await.as_str());
    }

    // Finding 6: the budget is taken before the password is checked.
    async fn a_concurrent_burst_of_guesses_gets_exactly_the_budget(app: TestApp) {
        let (org, _) = app.org_with_key("南湖区就业服务中心", "community", "330402", "staff").await;
        let password = app.account(&app.admin, &org, "burst.target", "staff", None).await;
        let tries = futures::future::join_all((0..40).map(|i| {
            let app = &app;
            async move { sign_in_from(app, None, "burst.target", &format!("guess number {i}"), "/console/").await.0 }
        }))
        .await;
        assert_eq!(statuses(&tries, StatusCode::UNAUTHORIZED), 5, "{tries:?}");
        assert_eq!(statuses(&tries, StatusCode::TOO_MANY_REQUESTS), 35, "{tries:?}");
        let (status, _) = sign_in_from(&app, None, "burst.target", &password, "/console/").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "locked for this address, even with the right password");
        let outcomes: i64 = app.count("staff_sign_ins").await;
        assert!(outcomes >= 41, "every attempt is in the audit: {outcomes}");
    }

    // Finding 6, per address: 60 guesses at once from one address, at
    // many logins, against a budget of 20 failures a minute: exactly 20 are
    // checked, the rest are 429 — and so is the right password after them.
    async fn a_concurrent_burst_from_one_address_gets_exactly_its_budget(app: TestApp) {
        let (org, _) = app.org_with_key("南湖区就业服务中心", "community", "330402", "staff").await;
        let password = app.account(&app.admin, &org, "burst.owner", "staff", None).await;
        let (data_dir, url) = app.shutdown().await;
        let app = start_app(&data_dir, &url, |s| s.auth_failures_per_minute = 20).await.unwrap();
        let tries = futures::future::join_all((0..60).map(|i| {
            let app = &app;
            async move { sign_in_from(app, None, &format!("guess.{i}"), "wrong password", "/console/").await.0 }
        }))
        .await;
        assert_eq!(statuses(&tries, StatusCode::UNAUTHORIZED), 20, "{tries:?}");
        assert_eq!(statuses(&tries, StatusCode::TOO_MANY_REQUESTS), 40, "{tries:?}");
        let (status, _) = sign_in_from(&app, None, "burst.owner", &password, "/console/").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the address has used its budget");
    }

    // Findings 7 and 8: behind a trusted proxy each client has its own
    // budget and lock; the owner signs in from their own address.
    async fn limits_key_on_the_client_behind_a_trusted_proxy(app: TestApp) {
        let (data_dir, url) = app.shutdown().await;
        let app = start_app(&data_dir, &url, |s| {
            s.trusted_proxies = jobmatch_core::client::parse_list("127.0.0.1").unwrap();
            s.auth_failures_per_minute = 6;
        })
        .await
        .unwrap();
        // Wrong SMS links: one client is throttled, another is not.
        let link = |from: &'static str| {
            let app = &app;
            async move {
                app.client
                    .get(format!("{}/m/not-a-token-at-all-000000000000", app.base))
                    .header("x-forwarded-for", from)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        for _ in 0..6 {
            assert_eq!(link("203.0.113.7").await, StatusCode::NOT_FOUND);
        }
        assert_eq!(link("203.0.113.7").await, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(link("198.51.100.1, 203.0.113.7").await, StatusCode::TOO_MANY_REQUESTS, "a forged left entry is ignored");
        assert_eq!(link("203.0.113.8").await, StatusCode::NOT_FOUND, "another client is not locked out");

        // Sign-in: five failures from the attacker lock the login for the
        // attacker, even with the right password; the owner signs in from
        // their own address.
        let (org, _) = app.org_with_key("南湖区就业服务中心", "community", "330402", "staff").await;
        let password = app.account(&app.admin, &org, "owner.wang", "staff", None).await;
        for i in 0..5 {
            let (status, _) = sign_in_from(&app, Some("192.0.2.1"), "owner.wang", &format!("wrong {i}"), "/console/").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        let (status, _) = sign_in_from(&app, Some("192.0.2.1"), "owner.wang", &password, "/console/").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "locked for the attacker's address");
        let (status, _) = sign_in_from(&app, Some("192.0.2.10"), "owner.wang", &password, "/console/").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "the owner, from elsewhere, is not locked out by guesses");
        let audit: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT outcome, client_address FROM staff_sign_ins ORDER BY id")
                .fetch_all(&app.state.db.pool)
                .await
                .unwrap();
        assert!(audit.contains(&("signed_in".to_string(), Some("192.0.2.10".to_string()))), "{audit:?}");
        assert!(audit.contains(&("wrong_password".to_string(), Some("192.0.2.1".to_string()))), "{audit:?}");
        assert!(audit.contains(&("locked".to_string(), Some("192.0.2.1".to_string()))), "{audit:?}");
    }

    // Finding 9: weak passwords are refused; the first is changed first.
    async fn first_passwords_are_changed_and_weak_ones_refused(app: TestApp) {
        let (org, _) = app.org_with_key("南湖区就业服务中心", "community", "330402", "staff").await;
        let first = app.account_first(&app.admin, &org, "nanhu.sun", "staff", None).await;
        let mut browser = Browser::new(&app);
        assert_eq!(browser.sign_in("nanhu.sun", &first).await.status, StatusCode::SEE_OTHER);
        for page in ["/console/", "/console/jobs", "/console/persons"] {
            let r = browser.get(page).await;
            assert_eq!((r.status, r.location.as_str()), (StatusCode::SEE_OTHER, "/console/password"), "{page}");
        }
        let form = browser.get("/console/password").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("初始密码"), "{}", form.body);
        let csrf = form.hidden("csrf");
        for weak in ["1234567890", "abcdefghij", "aaaaaaaaaaaa", "qwertyuiop", "nanhu.sun2026", "short"] {
            let r = browser.post("/console/password", &[("csrf", &csrf), ("current", &first), ("new", weak)]).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{weak}");
            assert!(r.body.contains("<a href=\"#f-new\">"), "{weak}: the summary names the field");
        }
        assert_eq!(browser.get("/console/").await.status, StatusCode::SEE_OTHER, "still the first password");
        let own = "南湖边上的老槐树-07";
        let r = browser.post("/console/password", &[("csrf", &csrf), ("current", &first), ("new", own)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(browser.get("/console/").await.status, StatusCode::OK);
        // A reset password must be changed again.
        let id = app.account_id(&org, "nanhu.sun").await;
        let reset = app.post(&format!("/v1/orgs/{org}/accounts/{id}/reset-password"), &app.admin, json!({})).await;
        let again = reset.body["password"].as_str().unwrap().to_string();
        let mut browser = Browser::new(&app);
        assert_eq!(browser.sign_in("nanhu.sun", &again).await.status, StatusCode::SEE_OTHER);
        assert_eq!(browser.get("/console/jobs").await.location, "/console/password");
    }

    // Finding 10: an announcement joins only an event of its own region.
    async fn announcements_join_only_events_of_their_region(app: TestApp) {
        let (_, nanhu) = app.org_with_key("南湖区人社局", "bureau", "330402", "staff").await;
        let (_, xiuzhou) = app.org_with_key("秀洲区人社局", "bureau", "330411", "staff").await;
        let event = app.ok("/v1/welfare/events", &xiuzhou,
            json!({"name": "秀洲区公益性岗位专场招聘会", "region_code": "330411", "held_on": "2026-12-20", "place": "秀洲区人力资源市场"}),
            StatusCode::CREATED).await;
        let event_id = event["id"].as_str().unwrap();
        let position = app.position(&nanhu, 1).await;
        let body = json!({"requirements": "河道保洁", "posts": 1, "event_id": event_id});
        let r = app.post(&format!("/v1/welfare/positions/{position}/announcements"), &nanhu, body).await;
        assert_eq!((r.status, r.error_fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["event_id".to_string()]), "{}", r.body);
        assert_eq!(r.body["errors"][0]["code"], "outside_event_region");
        assert_eq!(app.count("welfare_announcements").await, 0);
        // A city-wide event takes any county's posts.
        let city = app.ok("/v1/welfare/events", &app.admin,
            json!({"name": "全市公益性岗位专场招聘会", "region_code": "330400", "held_on": "2026-12-21", "place": "嘉兴市人力资源市场"}),
            StatusCode::CREATED).await;
        let (_, _) = app.announce(&nanhu, &position, 1, city["id"].as_str()).await;
        let page = app.send("GET", &format!("/v1/public/welfare/events/{}", city["id"].as_str().unwrap()), None, None).await;
        assert_eq!(page.body["jobs"].as_array().map(Vec::len), Some(1), "{}", page.body);
        let theirs = app.send("GET", &format!("/v1/public/welfare/events/{event_id}"), None, None).await;
        assert_eq!(theirs.body["jobs"], json!([]));
    }

    // Also: API answers with personal data are never cached.
    async fn api_answers_are_not_stored_by_browsers_or_proxies(app: TestApp) {
        let person = app.create_person(person_body(7)).await;
        for path in [format!("/v1/persons/{person}"), "/v1/persons".to_string(), "/v1/orgs".to_string()] {
            let res = app.client.get(format!("{}{path}", app.base)).bearer_auth(&app.admin).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
        }
        let refused = app.client.get(format!("{}/v1/persons/{person}", app.base)).send().await.unwrap();
        assert_eq!(refused.headers()["cache-control"], "no-store");
    }

    // Also: two proposals of one unit and month at once: never a 500.
    async fn concurrent_proposals_of_one_list_never_fail(app: TestApp) {
        let (_, a) = app.org_with_key("南湖区人社局", "bureau", "330402", "staff").await;
        for month in ["2025-01", "2025-02", "2025-03", "2025-04"] {
            let answers = futures::future::join_all([&a, &app.admin].map(|key| {
                let app = &app;
                async move {
                    app.post("/v1/payment-lists", key, json!({"unit_code": "330402", "month": month})).await
                }
            }))
            .await;
            let mut got: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
            got.sort();
            assert!(got == [201, 409] || got == [200, 201], "{month}: {got:?} {:?}", answers.iter().map(|r| &r.body).collect::<Vec<_>>());
            let lists = app.get(&format!("/v1/payment-lists?month={month}"), &app.admin).await;
            assert_eq!(lists.body["items"].as_array().map(Vec::len), Some(1), "one list: {}", lists.body);
        }
    }
}

// Findings 9 and 2 in a real browser, as a new member of a county's staff:
// the first sign-in asks for her own password (a weak one refused with the
// error summary), and the payment list she proposed offers her no approval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sign_in_and_a_list_of_ones_own_in_the_browser() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (org, _) = app.org_with_key("南湖区人社局", "bureau", "330402", "staff").await;
    let first = app.account_first(&app.admin, &org, "nanhu.new", "staff", None).await;
    let Some(out) = run_browser_script(
        "first-sign-in.mjs",
        &json!({"base": app.base, "login": "nanhu.new", "password": first, "new_password": "南湖的新密码-2026",
                "out_dir": std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/console-pages")}),
    ) else {
        return;
    };
    crate::console::assert_checked_pages(&out);
    let steps = &out["steps"];
    assert_eq!(steps["after_sign_in"], "/console/password", "{steps}");
    assert!(steps["note"].as_str().unwrap().contains("初始密码"), "{steps}");
    assert!(steps["weak_summary"].as_str().unwrap().contains("常见密码"), "{steps}");
    assert_eq!(steps["changed"], "密码已修改");
    assert_eq!(steps["home"], "/console/");
    // Her own list: proposed through the console, then looked at.
    let mut her = Browser::new(&app);
    assert_eq!(her.sign_in("nanhu.new", "南湖的新密码-2026").await.status, StatusCode::SEE_OTHER);
    let csrf = her.get("/console/").await.hidden("csrf");
    let proposed = her.post("/console/payments/propose", &[("csrf", &csrf), ("month", "2026-11")]).await;
    assert_eq!(proposed.status, StatusCode::SEE_OTHER, "{}", proposed.body);
    let lists = app.get("/v1/payment-lists?month=2026-11", &app.admin).await;
    let list = lists.body["items"].as_array().unwrap().iter().find(|l| l["unit_code"] == "330402").cloned().unwrap();
    let Some(out) = run_browser_script(
        "first-sign-in.mjs",
        &json!({"base": app.base, "login": "nanhu.new", "password": "南湖的新密码-2026",
                "list_id": list["id"], "out_dir": std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/console-pages")}),
    ) else {
        return;
    };
    let steps = &out["steps"];
    assert_eq!(steps["approve_buttons"], 0, "{steps}");
    assert!(steps["proposer_note"].as_str().unwrap().contains("另一位工作人员"), "{steps}");
}

// Finding 11: a sign-in `next` holding a control character goes home.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_next_with_control_characters_goes_home() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (org, _) = app.org_with_key("南湖区就业服务中心", "community", "330402", "staff").await;
    let password = app.account(&app.admin, &org, "nanhu.next", "staff", None).await;
    for next in ["/console/jobs\u{1}x", "/console/jobs\r\nSet-Cookie: x=1", "/console/岗位", "/console/a b"] {
        let (status, location) = sign_in_from(&app, None, "nanhu.next", &password, next).await;
        assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/console/"), "{next:?}");
    }
    let (status, location) = sign_in_from(&app, None, "nanhu.next", &password, "/console/jobs?status=open").await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/console/jobs?status=open"));
}

// Finding 5: a text field of an upload form is read only up to a small
// bound: the server answers the form's error page without reading the
// rest of a 256 MB field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_form_refuses_a_huge_text_field_without_reading_it() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (org, _) = app.org_with_key("南湖区就业服务中心", "community", "330402", "staff").await;
    let password = app.account(&app.admin, &org, "nanhu.upload", "staff", None).await;
    let mut browser = Browser::new(&app);
    assert_eq!(browser.sign_in("nanhu.upload", &password).await.status, StatusCode::SEE_OTHER);
    let page = browser.get("/console/persons/import").await;
    let csrf = page.hidden("csrf");
    let cookie = format!("jm_session={}", browser.session_cookie());
    let boundary = "----jobmatch-huge-field";
    let head = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\ncontent-disposition: form-data; name=\"source\"\r\n\r\n"
    );
    // Sent by hand over a socket: the head, the start of the form, then
    // 1 MB pieces of one field while the answer is awaited.
    const CHUNK: usize = 1 << 20;
    const TOTAL: usize = 256 * CHUNK;
    let length = head.len() + TOTAL;
    let addr = app.base.trim_start_matches("http://").to_string();
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let request = format!(
        "POST /console/persons/import HTTP/1.1\r\nhost: {addr}\r\ncookie: {cookie}\r\n\
         content-type: multipart/form-data; boundary={boundary}\r\ncontent-length: {length}\r\n\r\n{head}"
    );
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = sent.clone();
    let writing = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        if writer.write_all(request.as_bytes()).await.is_err() {
            return;
        }
        let piece = vec![b'x'; CHUNK];
        for _ in 0..TOTAL / CHUNK {
            if writer.write_all(&piece).await.is_err() {
                return;
            }
            counter.fetch_add(CHUNK, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let mut answer = Vec::new();
    let read = async {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            if String::from_utf8_lossy(&answer).contains("</html>") {
                break;
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), read).await.expect("an answer in time");
    let at_answer = sent.load(std::sync::atomic::Ordering::SeqCst);
    writing.abort();
    let text = String::from_utf8_lossy(&answer).to_string();
    assert!(text.starts_with("HTTP/1.1 422"), "{}", &text[..text.len().min(300)]);
    assert!(text.contains("表单内容过长"), "the form's error: {text}");
    assert!(
        at_answer < 64 * CHUNK,
        "answered after {} MB of the {} MB field: the field was not read to its end",
        at_answer / CHUNK,
        TOTAL / CHUNK
    );
    assert_eq!(app.count("persons").await, 0);
}
