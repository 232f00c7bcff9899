//! The staff console over real HTTP: accounts made through the API, sign-in
//! with its form token, throttling, sessions that end when the account is
//! disabled, CSRF on every form, the GOV.UK error pattern with the API's
//! messages, and the API's authorisation on every page (the same 404).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// A browser without a cookie jar of its own: cookies are kept by hand,
/// redirects are not followed (the tests read them).
pub(crate) struct Browser {
    client: reqwest::Client,
    base: String,
    session: Option<String>,
}

pub(crate) struct Page {
    pub status: StatusCode,
    pub location: String,
    set_cookies: Vec<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The value of the hidden input `name` on the page.
    pub(crate) fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let at = self.body.find(&marker).unwrap_or_else(|| panic!("no {name} on the page: {}", self.body));
        let rest = &self.body[at + marker.len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies.iter().find_map(|c| {
            let (k, rest) = c.split_once('=')?;
            (k == name).then(|| rest.split(';').next().unwrap_or("").to_string())
        })
    }

    fn title(&self) -> String {
        let at = self.body.find("<title>").expect("a title") + 7;
        self.body[at..at + self.body[at..].find("</title>").unwrap()].to_string()
    }
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Browser {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { client, base: app.base.clone(), session: None }
    }

    async fn open(&self, req: reqwest::RequestBuilder, extra_cookie: Option<String>) -> Page {
        let mut cookies: Vec<String> = self.session.iter().map(|s| format!("jm_session={s}")).collect();
        cookies.extend(extra_cookie);
        let req = if cookies.is_empty() { req } else { req.header("cookie", cookies.join("; ")) };
        let res = req.send().await.expect("request sent");
        let headers = res.headers().clone();
        Page {
            status: res.status(),
            location: headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string(),
            set_cookies: headers
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(String::from)
                .collect(),
            headers,
            body: res.text().await.unwrap_or_default(),
        }
    }

    /// The session cookie's value (after [`Browser::sign_in`]).
    pub(crate) fn session_cookie(&self) -> &str {
        self.session.as_deref().unwrap_or("")
    }

    /// The bytes of a download.
    pub(crate) async fn download(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let cookie = format!("jm_session={}", self.session.as_deref().unwrap_or(""));
        let res = self.client.get(format!("{}{path}", self.base)).header("cookie", cookie).send().await.unwrap();
        (res.status(), res.bytes().await.unwrap().to_vec())
    }

    /// Post a form with a file, as a browser does (`multipart/form-data`).
    pub(crate) async fn upload(&self, path: &str, fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> Page {
        let boundary = "----jobmatch-test-7d3f";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend(
                format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
            );
        }
        body.extend(
            format!("--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\ncontent-type: application/octet-stream\r\n\r\n")
                .bytes(),
        );
        body.extend_from_slice(file);
        body.extend(format!("\r\n--{boundary}--\r\n").bytes());
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body);
        self.open(req, None).await
    }

    pub(crate) async fn get(&self, path: &str) -> Page {
        self.open(self.client.get(format!("{}{path}", self.base)), None).await
    }

    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.open(self.client.post(format!("{}{path}", self.base)).form(form), None).await
    }

    /// Sign in; the page answered to the form.
    pub(crate) async fn sign_in(&mut self, login: &str, password: &str) -> Page {
        let page = self.get("/console/sign-in").await;
        assert_eq!(page.status, StatusCode::OK);
        let token = page.hidden("token");
        let cookie = page.cookie("jm_sign_in").expect("the sign-in form sets its token cookie");
        assert_eq!(token, cookie);
        let form = [("token", token.as_str()), ("login", login), ("password", password), ("next", "/console/jobs")];
        let answer = self
            .open(
                self.client.post(format!("{}/console/sign-in", self.base)).form(&form),
                Some(format!("jm_sign_in={cookie}")),
            )
            .await;
        if let Some(s) = answer.cookie("jm_session") {
            self.session = Some(s);
        }
        answer
    }
}

/// The console in a real browser (tests/browser/console.mjs), screenshots
/// under target/console-pages/.
fn browse_console(mut input: serde_json::Value) -> Option<serde_json::Value> {
    input["out_dir"] = json!("target/console-pages");
    run_browser_script("console.mjs", &input)
}

/// What a console browser script (tests/browser/common.mjs) checked on every
/// page it opened: nothing loaded from another host, no axe-core WCAG 2.2
/// A/AA violation, no sideways scrolling.
pub(crate) fn assert_checked_pages(out: &serde_json::Value) {
    assert_eq!(out["foreign_requests"], json!([]), "nothing loads from another host");
    let checked = out["axe"].as_object().unwrap();
    assert!(!checked.is_empty(), "the script checked no page");
    for (page, violations) in checked {
        assert_eq!(violations, &json!([]), "axe-core WCAG 2.2 AA on {page}");
    }
    for (page, scrolls) in out["scrolls_sideways"].as_object().unwrap() {
        assert_eq!(scrolls, &json!(false), "{page} reflows without sideways scrolling");
    }
}

impl TestApp {
    /// An account of `role` for `org_id`, made by `key`, whose person has
    /// signed in once and changed the first password (as every page asks):
    /// the password they now use.
    pub(crate) async fn account(
        &self,
        key: &str,
        org_id: &str,
        login: &str,
        role: &str,
        region: Option<&str>,
    ) -> String {
        let first = self.account_first(key, org_id, login, role, region).await;
        let mut browser = Browser::new(self);
        assert_eq!(browser.sign_in(login, &first).await.status, StatusCode::SEE_OTHER);
        let page = browser.get("/console/password").await;
        let own = format!("{first}-南湖");
        let form = [("csrf", page.hidden("csrf")), ("current", first), ("new", own.clone())];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let changed = browser.post("/console/password", &form).await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        own
    }

    /// An account as opened: its first password, not yet changed.
    pub(crate) async fn account_first(
        &self,
        key: &str,
        org_id: &str,
        login: &str,
        role: &str,
        region: Option<&str>,
    ) -> String {
        let mut body = json!({"login": login, "name": "王丽", "role": role});
        if let Some(r) = region {
            body["region_code"] = json!(r);
        }
        let res = self.post(&format!("/v1/orgs/{org_id}/accounts"), key, body).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        assert!(res.body.get("password_hash").is_none());
        res.body["password"].as_str().unwrap().to_string()
    }
}

both_backends! {
    async fn console_sign_in_forms_and_authorisation(app: TestApp) {
        let (nanhu, nanhu_key) = app.org_with_key("南湖区就业服务中心", "community", "330402", "staff").await;
        let (_, xiuzhou_key) = app.org_with_key("秀洲区就业服务中心", "community", "330411", "staff").await;
        // Who may open accounts: the bureau for anyone; staff only for
        // their own organisation within their region, or publishers.
        let password = app.account(&app.admin, &nanhu, "nanhu.wang", "staff", None).await;
        let refused = app.post(&format!("/v1/orgs/{nanhu}/accounts"), &xiuzhou_key,
            json!({"login": "x.y", "name": "李", "role": "staff"})).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "another county's staff cannot see the org");
        let bad = app.post(&format!("/v1/orgs/{nanhu}/accounts"), &app.admin,
            json!({"login": "白 板", "name": "", "role": "boss"})).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let mut fields = bad.error_fields();
        fields.sort();
        assert_eq!(fields, ["login", "name", "role"]);
        let taken = app.post(&format!("/v1/orgs/{nanhu}/accounts"), &nanhu_key,
            json!({"login": "nanhu.wang", "name": "王", "role": "staff"})).await;
        assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
        assert_eq!(app.count("staff_accounts").await, 1, "nothing stored from a refused request");

        // Pages need a session; the sign-in page sends people back.
        let mut browser = Browser::new(&app);
        let page = browser.get("/console/jobs").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.location, "/console/sign-in?next=/console/jobs");
        let page = browser.sign_in("nanhu.wang", "wrong password").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.body.contains("登录名或密码不正确"));
        assert!(page.body.contains("value=\"nanhu.wang\""), "the login typed is kept");
        assert!(!page.body.contains("wrong password"), "a password is never shown back");
        let unknown = browser.sign_in("nobody", "wrong password").await;
        assert_eq!(unknown.status, StatusCode::UNAUTHORIZED, "one answer for an unknown login");
        // A sign-in posted without the form's cookie is refused.
        let forged = browser.post("/console/sign-in", &[("token", "x"), ("login", "nanhu.wang"), ("password", &password)]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert!(forged.cookie("jm_session").is_none());

        let page = browser.sign_in("nanhu.wang", &password).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        assert_eq!(page.location, "/console/jobs");
        let cookie = page.set_cookies.iter().find(|c| c.starts_with("jm_session=")).unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"), "{cookie}");

        // Every page: strict CSP, never cached, never framed.
        let home = browser.get("/console/").await;
        assert_eq!(home.status, StatusCode::OK);
        let csp = home.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe"), "{csp}");
        assert_eq!(home.headers["cache-control"], "no-store");
        assert!(!home.body.contains("<script>") && !home.body.contains("style=\""), "no inline script or style");
        assert!(home.body.contains("今日待办") && home.body.contains("王丽"));

        // Publish with mistakes: the GOV.UK pattern with the API's messages.
        let form = browser.get("/console/jobs/new").await;
        let csrf = form.hidden("csrf");
        let jobs_before = app.job_rows().await;
        let fields = |title: &'static str, description: &'static str, pay_min: &'static str, phone: &'static str| {
            vec![
                ("title", title), ("description", description), ("source", "community"), ("category", "cleaning"),
                ("employment_type", "gig"), ("pay_min", pay_min), ("pay_max", "200"), ("pay_unit", "day"),
                ("region_code", "330402008"), ("contact_name", "王"), ("contact_phone", phone), ("skills", "保洁、打扫"),
            ]
        };
        let mut wrong = fields("保", "只招男性，打扫楼道", "abc", "123");
        wrong.push(("csrf", &csrf));
        let refused = browser.post("/console/jobs", &wrong).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.title().starts_with("错误："), "{}", refused.title());
        for (field, message) in [("title", "长度"), ("description", "歧视"), ("pay_min", "整数"), ("contact_phone", "")] {
            assert!(refused.body.contains(&format!("<li><a href=\"#f-{field}\">")), "summary links to {field}");
            assert!(refused.body.contains(&format!("id=\"{field}-error\"")), "message by {field}");
            assert!(refused.body.contains(message));
            assert!(refused.body.contains(&format!("aria-describedby=\"{field}-error\"")) || refused.body.contains(&format!("{field}-hint {field}-error")));
        }
        assert!(refused.body.contains("value=\"abc\""), "what was typed is kept");
        assert_eq!(app.job_rows().await, jobs_before, "nothing stored from a refused form");
        // Without the CSRF token nothing happens either.
        let no_token = browser.post("/console/jobs", &fields("小区保洁员", "打扫楼道", "150", "13805731234")).await;
        assert_eq!(no_token.status, StatusCode::FORBIDDEN);
        assert_eq!(app.job_rows().await, jobs_before);
        let mut right = fields("小区保洁员", "打扫楼道", "150", "13805731234");
        right.push(("csrf", &csrf));
        let done = browser.post("/console/jobs", &right).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let job_id = done.location.trim_start_matches("/console/jobs/").split('?').next().unwrap().to_string();
        assert_eq!(app.get(&format!("/v1/jobs/{job_id}"), &nanhu_key).await.body["title"], "小区保洁员");

        // The job's candidates with their reasons.
        let person = app.create_person(person_body(1)).await;
        app.wait_indexed().await;
        let job = browser.get(&done.location).await;
        assert_eq!(job.status, StatusCode::OK);
        assert!(job.body.contains(&format!("/console/persons/{person}")), "{}", job.body);
        assert!(job.body.contains("技能匹配"), "reasons are shown");

        // One rule: a person of another county is 404 on the page as in the API.
        let far = app.create_person(with(person_body(2), |b| b["region_code"] = json!("330411002"))).await;
        assert_eq!(app.get(&format!("/v1/persons/{far}"), &nanhu_key).await.status, StatusCode::NOT_FOUND);
        assert_eq!(browser.get(&format!("/console/persons/{far}")).await.status, StatusCode::NOT_FOUND);
        let near = browser.get(&format!("/console/persons/{person}")).await;
        assert_eq!(near.status, StatusCode::OK);
        assert!(near.body.contains("张桂芳") && near.body.contains("小区保洁员"), "the person's matches");
        // Finding by ID number is a posted form, recorded in the audit.
        let audits = app.count("audit_log").await;
        let found = browser.post("/console/persons", &[("csrf", &csrf), ("id_number", &id_number("330402", "19680512", 1))]).await;
        assert_eq!(found.status, StatusCode::OK);
        assert!(found.body.contains(&format!("/console/persons/{person}")));
        assert!(app.count("audit_log").await > audits, "the look-up is recorded");

        // The report downloads as the API makes it.
        let month = chrono::Utc::now().format("%Y-%m").to_string();
        let report = browser.get(&format!("/console/reports/progress?month={month}")).await;
        assert_eq!(report.status, StatusCode::OK);
        assert!(report.body.contains("帮扶成效") && report.body.contains("栏次"));
        let year_page = browser.get(&format!("/console/reports/year?year={}", &month[..4])).await;
        assert_eq!(year_page.status, StatusCode::OK);
        assert!(year_page.body.contains("<svg") && year_page.body.contains("目标 8500"), "the charts against the target");
        // The month chart reads the year to date at each month's end.
        let year = &month[..4];
        let y = app.get(&format!("/v1/reports/progress/year?year={year}&region=330402&by_month=true"), &nanhu_key).await;
        assert_eq!(y.status, StatusCode::OK, "{}", y.body);
        let months = y.body["by_month"].as_array().unwrap();
        assert_eq!(months.len(), month[5..].parse::<usize>().unwrap(), "January to this month");
        assert_eq!(months.last().unwrap()["certified_employed"], y.body["certified_employed"], "the last is the year to date");
        let plain = app.get(&format!("/v1/reports/progress/year?year={year}&region=330402"), &nanhu_key).await;
        assert_eq!(plain.body["by_month"], json!([]), "only when asked");
        let xlsx = browser.get(&format!("/console/reports/progress/download?month={month}&region=330402&format=xlsx")).await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(xlsx.headers["content-disposition"].to_str().unwrap().contains("attachment"));

        // The same flows in a real browser (SQLite run only: one is enough).
        if app.database_url.starts_with("sqlite") {
            // A department's list in GBK, as the browser uploads it.
            let list = format!("身份证号,姓名,手机号,区划代码,人员类别\n{},沈美华,13600000051,330402008,低保\n1234,错号码,,330402008,\n",
                id_number("330402", "19650704", 51));
            let gbk_file = temp_dir().join("list-gbk.csv");
            std::fs::write(&gbk_file, encoding_rs::GBK.encode(&list).0).unwrap();
            let input = json!({"base": app.base, "login": "nanhu.wang", "password": password, "person_id": person,
                "month": month, "gbk_file": gbk_file});
            if let Some(out) = browse_console(input) {
                assert_checked_pages(&out);
                let steps = &out["steps"];
                assert_eq!(steps["signed_in_at"], "/console/", "signed in with the keyboard alone");
                assert!(steps["error_title"].as_str().unwrap().starts_with("错误："), "{steps}");
                assert!(steps["focus_after_error"].as_str().unwrap().contains("error-summary"), "{steps}");
                assert_eq!(steps["focus_after_link"], "f-title");
                assert_eq!(steps["kept_description"], "打扫小区楼道，每天上午。");
                assert!(steps["job_text"].as_str().unwrap().contains("小区保洁员（浏览器）"));
                assert!(steps["job_text"].as_str().unwrap().contains("张桂芳"), "the candidate is listed");
                let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(steps["download"].as_str().unwrap());
                let mut book: calamine::Xlsx<_> = calamine::open_workbook(&path).expect("the downloaded report opens");
                use calamine::Reader;
                let sheet = book.worksheet_range_at(0).unwrap().unwrap();
                let text: Vec<String> = sheet.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect();
                assert!(text.iter().any(|c| c == "帮扶成效"), "the report's header");
                // The sheet: progress shown, the report focused, line by line.
                assert_eq!(steps["progress_shown"], true);
                assert_eq!(steps["jobs_report_focus"], "report-title");
                let jobs_report = steps["jobs_report"].as_str().unwrap();
                assert!(jobs_report.contains("第 2 行\t已发布") && jobs_report.contains("第 3 行\t未发布"), "{jobs_report}");
                assert!(jobs_report.contains("最低薪酬："), "{jobs_report}");
                let published = app.get("/v1/jobs?q=楼道保洁&limit=5", &nanhu_key).await;
                assert_eq!(published.body["items"][0]["title"], "楼道保洁（表格）", "{}", published.body);
                let persons_report = steps["persons_report"].as_str().unwrap();
                assert!(persons_report.contains("新登记\n1") && persons_report.contains("第 3 行\t未导入"), "{persons_report}");
                let found = app.get("/v1/persons?name=沈美华", &nanhu_key).await;
                assert_eq!(found.body["items"].as_array().map(Vec::len), Some(1), "the GBK name decoded: {}", found.body);
                assert!(steps["hired_text"].as_str().unwrap().contains("已录用"), "{steps}");
                let placements = app.get(&format!("/v1/placements?person_id={person}"), &nanhu_key).await;
                assert_eq!(placements.body["items"].as_array().map(Vec::len), Some(1), "hired in the browser: {}", placements.body);
            }
        }

        // Disabling the account ends its session at once.
        let accounts = app.get(&format!("/v1/orgs/{nanhu}/accounts"), &app.admin).await;
        let account_id = accounts.body["items"][0]["id"].as_str().unwrap().to_string();
        let disabled = app.post(&format!("/v1/orgs/{nanhu}/accounts/{account_id}/disable"), &app.admin, json!({})).await;
        assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);
        assert_eq!(browser.get("/console/").await.status, StatusCode::SEE_OTHER);
        let again = browser.sign_in("nanhu.wang", &password).await;
        assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    }

    async fn console_locks_an_account_and_signs_out(app: TestApp) {
        let (org, _) = app.org_with_key("嘉善县就业服务中心", "community", "330421", "staff").await;
        let password = app.account(&app.admin, &org, "jiashan.li", "staff", None).await;
        let mut browser = Browser::new(&app);
        for _ in 0..5 {
            assert_eq!(browser.sign_in("jiashan.li", "not the password").await.status, StatusCode::UNAUTHORIZED);
        }
        let locked = browser.sign_in("jiashan.li", &password).await;
        assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "locked even with the right password");
        assert!(locked.body.contains("锁定"));
        // A login nobody has is answered the same way: it cannot be told
        // apart from a locked account.
        for _ in 0..5 {
            assert_eq!(browser.sign_in("nobody.here", "not the password").await.status, StatusCode::UNAUTHORIZED);
        }
        let unknown = browser.sign_in("nobody.here", "not the password").await;
        assert_eq!(unknown.status, StatusCode::TOO_MANY_REQUESTS, "as for an account");
        let words = |page: &Page, login: &str| -> String {
            page.body.replace(&page.hidden("token"), "").replace(login, "").chars().filter(|c| !c.is_ascii_digit()).collect()
        };
        assert_eq!(words(&unknown, "nobody.here"), words(&locked, "jiashan.li"), "the same page, minutes aside");
        // Another account is not locked by these failures.
        let other = app.account(&app.admin, &org, "jiashan.zhao", "staff", None).await;
        let page = browser.sign_in("jiashan.zhao", &other).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        let home = browser.get("/console/").await;
        let csrf = home.hidden("csrf");
        // Signing out without the token does nothing; with it, the session ends.
        assert_eq!(browser.post("/console/sign-out", &[]).await.status, StatusCode::FORBIDDEN);
        assert_eq!(browser.get("/console/").await.status, StatusCode::OK);
        let out = browser.post("/console/sign-out", &[("csrf", &csrf)]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert_eq!(browser.get("/console/").await.status, StatusCode::SEE_OTHER, "the old cookie no longer works");

        // A forgotten password is reset by an admin of the organisation (or
        // the bureau): a new one, once; the account's sessions end.
        assert_eq!(browser.sign_in("jiashan.zhao", &other).await.status, StatusCode::SEE_OTHER);
        let accounts = app.get(&format!("/v1/orgs/{org}/accounts"), &app.admin).await;
        let zhao = accounts.body["items"].as_array().unwrap().iter().find(|a| a["login"] == "jiashan.zhao").unwrap()["id"]
            .as_str().unwrap().to_string();
        let (_, far_key) = app.org_with_key("海宁市就业服务中心", "community", "330481", "staff").await;
        let far = app.post(&format!("/v1/orgs/{org}/accounts/{zhao}/reset-password"), &far_key, json!({})).await;
        assert_eq!(far.status, StatusCode::NOT_FOUND, "another county's staff cannot");
        let reset = app.post(&format!("/v1/orgs/{org}/accounts/{zhao}/reset-password"), &app.admin, json!({})).await;
        assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
        let new_password = reset.body["password"].as_str().unwrap().to_string();
        assert_ne!(new_password, other);
        assert!(reset.body.get("password_hash").is_none());
        assert_eq!(browser.get("/console/").await.status, StatusCode::SEE_OTHER, "signed out at once");
        assert_eq!(browser.sign_in("jiashan.zhao", &other).await.status, StatusCode::UNAUTHORIZED, "the old one is gone");
        assert_eq!(browser.sign_in("jiashan.zhao", &new_password).await.status, StatusCode::SEE_OTHER);
    }

    async fn console_publishes_a_sheet_imports_a_list_and_moves_a_referral(app: TestApp) {
        let (org, key) = app.org_with_key("南湖区就业服务中心", "community", "330402", "staff").await;
        let password = app.account(&app.admin, &org, "nanhu.zhou", "staff", None).await;
        let mut browser = Browser::new(&app);
        assert_eq!(browser.sign_in("nanhu.zhou", &password).await.status, StatusCode::SEE_OTHER);
        let page = browser.get("/console/jobs/import").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("enctype=\"multipart/form-data\""));
        let csrf = page.hidden("csrf");

        // The templates: the publish form's columns, with an example row.
        let (status, csv_template) = browser.download("/console/jobs/import/jobs-template.csv").await;
        assert_eq!(status, StatusCode::OK);
        let csv_template = String::from_utf8(csv_template).unwrap();
        assert!(csv_template.starts_with('\u{feff}'), "a BOM, so that Excel reads UTF-8");
        let header = csv_template.lines().next().unwrap().trim_start_matches('\u{feff}').to_string();
        assert!(header.starts_with("岗位名称,工作内容,岗位来源"), "{header}");
        let (_, xlsx) = browser.download("/console/jobs/import/jobs-template.xlsx").await;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx)).expect("the template opens");
        use calamine::Reader;
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        let first: Vec<String> = sheet.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
        assert_eq!(first.join(","), header, "the same columns in both templates");
        assert_eq!(book.sheet_names()[1], "填写说明");

        // The example row, a row with mistakes, a row of another county.
        let example = csv_template.lines().nth(1).unwrap().to_string();
        let bad = example.replacen("小区保洁员", "只招男性保洁", 1).replacen(",120,", ",abc,", 1);
        let far = example.replacen("330402008", "330411002", 1);
        let sheet = format!("{header}\n{example}\n{bad}\n\n{far}\n");
        let jobs_before = app.job_rows().await;
        let forged = browser.upload("/console/jobs/import", &[], "jobs.csv", sheet.as_bytes()).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "no token, no upload");
        let dry = browser.upload("/console/jobs/import", &[("csrf", &csrf), ("dry_run", "true")], "jobs.csv", sheet.as_bytes()).await;
        assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
        assert!(dry.body.contains("检查结果（未保存）"));
        assert_eq!(app.job_rows().await, jobs_before, "a dry run stores nothing");
        let done = browser.upload("/console/jobs/import", &[("csrf", &csrf)], "jobs.csv", sheet.as_bytes()).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert_eq!(app.job_rows().await, jobs_before + 1, "only the good row is published");
        let report = &done.body;
        assert!(report.contains("<td>第 2 行</td><td>已发布</td>"), "{report}");
        assert!(report.contains("<td>第 3 行</td><td>未发布</td>"));
        assert!(report.contains("最低薪酬：") && report.contains("歧视"), "each bad cell named by its column");
        assert!(report.contains("<td>第 5 行</td><td>未发布</td>"), "lines are the file's, blank lines counted: {report}");
        assert!(report.contains("工作地点所在区域：只能在本人负责的区域内发布岗位"));
        let published = app.get("/v1/jobs?limit=10", &key).await;
        let job = published.body["items"][0].clone();
        assert_eq!((job["title"].as_str(), job["employment_type"].as_str()), (Some("小区保洁员"), Some("gig")), "labels read as codes");
        // A sheet without the required columns is refused as a whole.
        let wrong = browser.upload("/console/jobs/import", &[("csrf", &csrf)], "jobs.csv", "名称,薪酬\n保洁,100\n".as_bytes()).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.title().starts_with("错误：") && wrong.body.contains("<a href=\"#f-file\">第 1 行缺少列"), "{}", wrong.body);

        // A department's list in GBK: two new people, one bad ID number.
        let good = [id_number("330402", "19660301", 41), id_number("330402", "19700815", 42)];
        let wrong_id = format!("{}X", &id_number("330402", "19710101", 43)[..17]);
        let wrong_id = if wrong_id == id_number("330402", "19710101", 43) { format!("{}0", &wrong_id[..17]) } else { wrong_id };
        let list = format!(
            "身份证号,姓名,手机号,区划代码,人员类别\n{},周玉兰,13600000041,330402008,低保\n{},陈建华,13600000042,330402008,\n{wrong_id},错号码,13600000043,330402008,\n",
            good[0], good[1]
        );
        let (gbk, _, _) = encoding_rs::GBK.encode(&list);
        let people_before = app.count("persons").await;
        let no_source = browser.upload("/console/persons/import", &[("csrf", &csrf)], "list.csv", &gbk).await;
        assert_eq!(no_source.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(no_source.body.contains("<a href=\"#f-source\">"));
        let imported = browser
            .upload("/console/persons/import", &[("csrf", &csrf), ("source", "civil_affairs")], "list.csv", &gbk)
            .await;
        assert_eq!(imported.status, StatusCode::OK, "{}", imported.body);
        assert!(imported.body.contains("<dt>新登记</dt><dd>2</dd>"), "{}", imported.body);
        assert!(imported.body.contains("<td>第 4 行</td><td>未导入</td>") && imported.body.contains("校验位"));
        assert!(!imported.body.contains(&wrong_id), "the report does not repeat ID numbers");
        assert_eq!(app.count("persons").await, people_before + 2);

        // Refer a candidate from the job's page, then move the referral to hired.
        let person = app.create_person(person_body(7)).await;
        let job_id = app.create_job(&key, with(job_body(), |b| b["region_code"] = json!("330402008"))).await;
        app.wait_indexed().await;
        let job_page = browser.get(&format!("/console/jobs/{job_id}")).await;
        assert!(job_page.body.contains(&format!("name=\"person_id\" value=\"{person}\"")), "a refer button per candidate");
        let far = app.create_person(with(person_body(8), |b| b["region_code"] = json!("330411002"))).await;
        let refused = browser.post(&format!("/console/jobs/{job_id}/refer"), &[("csrf", &csrf), ("person_id", &far)]).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND, "another county's person, as the API answers");
        let referred = browser.post(&format!("/console/jobs/{job_id}/refer"), &[("csrf", &csrf), ("person_id", &person)]).await;
        assert_eq!(referred.status, StatusCode::SEE_OTHER, "{}", referred.body);
        let referrals = app.get(&format!("/v1/referrals?person_id={person}"), &key).await;
        let referral = referrals.body["items"][0]["id"].as_str().unwrap().to_string();
        for step in ["contacted", "interviewed", "hired"] {
            let list = browser.get("/console/referrals").await;
            assert!(list.body.contains(&format!("action=\"/console/referrals/{referral}/move\"")));
            let moved = browser.post(&format!("/console/referrals/{referral}/move"), &[("csrf", &csrf), ("status", step)]).await;
            assert_eq!(moved.status, StatusCode::SEE_OTHER, "{step}: {}", moved.body);
        }
        assert_eq!(app.get(&format!("/v1/referrals/{referral}"), &key).await.body["status"], "hired");
        let placements = app.get(&format!("/v1/placements?person_id={person}"), &key).await;
        assert_eq!(placements.body["items"].as_array().map(Vec::len), Some(1), "hired records the placement: {}", placements.body);

        // The record kept from the person's page: plan, follow-up, certification.
        let before = app.get(&format!("/v1/persons/{person}/plan"), &key).await.body;
        let plan = format!("/console/persons/{person}/plan");
        assert_eq!(browser.get(&plan).await.status, StatusCode::OK);
        let bad = browser.post(&plan, &[("csrf", &csrf), ("owner", "王丽"), ("next_follow_up_on", "2026-13-40")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        assert!(bad.title().starts_with("错误：") && bad.body.contains("<a href=\"#f-next_follow_up_on\">"), "{}", bad.body);
        assert!(bad.body.contains("value=\"2026-13-40\""), "what was typed is kept");
        assert_eq!(app.get(&format!("/v1/persons/{person}/plan"), &key).await.body, before, "nothing stored");
        let saved = browser.post(&plan, &[("csrf", &csrf), ("owner", "王丽"), ("next_follow_up_on", "2027-01-15"), ("training_goal", "保洁员证")]).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let stored = app.get(&format!("/v1/persons/{person}/plan"), &key).await.body;
        assert_eq!((stored["owner"].as_str(), stored["next_follow_up_on"].as_str()), (Some("王丽"), Some("2027-01-15")));
        let contact = format!("/console/persons/{person}/contact");
        let empty = browser.post(&contact, &[("csrf", &csrf), ("method", "phone"), ("note", "")]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.body.contains("<a href=\"#f-note\">"), "{}", empty.body);
        let noted = browser.post(&contact, &[("csrf", &csrf), ("method", "phone"), ("note", "电话沟通，愿意下周面试")]).await;
        assert_eq!(noted.status, StatusCode::SEE_OTHER, "{}", noted.body);
        let certification = format!("/console/persons/{person}/certification");
        let form = browser.get(&certification).await;
        assert!(form.body.contains("提出认定申请") && form.body.contains("name=\"grounds\""), "{}", form.body);
        let no_grounds = browser.post(&certification, &[("csrf", &csrf), ("action", "apply")]).await;
        assert_eq!(no_grounds.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no_grounds.body);
        assert!(no_grounds.body.contains("<a href=\"#f-grounds\">"), "{}", no_grounds.body);
        // One from the imported list applies and is certified.
        let listed = app.get("/v1/persons?name=周玉兰", &key).await.body["items"][0]["id"].as_str().unwrap().to_string();
        let steps = format!("/console/persons/{listed}/certification");
        let applied = browser.post(&steps, &[("csrf", &csrf), ("action", "apply"), ("grounds", "low_income_family")]).await;
        assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);
        let form = browser.get(&steps).await;
        assert!(form.body.contains("不予认定") && !form.body.contains("name=\"grounds\""), "the next steps only");
        // Two people: she applied, so she may not certify; a colleague does.
        let own = browser.post(&steps, &[("csrf", &csrf), ("action", "certify")]).await;
        assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.body);
        assert!(own.body.contains("另一位工作人员"), "{}", own.body);
        assert_eq!(app.get(&format!("/v1/persons/{listed}"), &key).await.body["certification"]["status"], "applied");
        let second = app.account(&app.admin, &org, "nanhu.qian", "staff", None).await;
        let mut colleague = Browser::new(&app);
        assert_eq!(colleague.sign_in("nanhu.qian", &second).await.status, StatusCode::SEE_OTHER);
        let their_csrf = colleague.get("/console/").await.hidden("csrf");
        let certified = colleague.post(&steps, &[("csrf", &their_csrf), ("action", "certify")]).await;
        assert_eq!(certified.status, StatusCode::SEE_OTHER, "{}", certified.body);
        assert_eq!(app.get(&format!("/v1/persons/{listed}"), &key).await.body["certification"]["status"], "certified");
        let twice = colleague.post(&steps, &[("csrf", &their_csrf), ("action", "certify")]).await;
        assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY, "a step not open now is named by the field");
        assert!(twice.body.contains("<a href=\"#f-action\">"), "{}", twice.body);
        let page = browser.get(&format!("/console/persons/{listed}")).await;
        assert!(page.body.contains("已认定，有效期至"), "{}", page.body);
        let page = browser.get(&format!("/console/persons/{person}")).await;
        assert!(page.body.contains("跟进 · 电话：电话沟通，愿意下周面试"), "the follow-up in the trail: {}", page.body);
        assert!(page.body.contains("下次跟进日期</dt><dd>2027-01-15"), "the plan");
        assert!(page.body.contains("就业登记 · 就业状态"), "history in words, not codes: {}", page.body);
        assert!(!page.body.contains("employment_status"), "no field codes on the page");

        // 报送 from the report page: last month's 进度表 submitted (late, past
        // the 25th); submitting again needs a note, and an unchanged one is refused.
        use chrono::Datelike;
        let today = jobmatch_core::time::system_today();
        let last = today.with_day(1).unwrap().pred_opt().unwrap().format("%Y-%m").to_string();
        let report = format!("/console/reports/progress?month={last}&region=330402");
        let page = browser.get(&report).await;
        assert!(page.body.contains("报送（截止 ") && page.body.contains("逾期未报送"), "{}", page.body);
        let form = [("csrf", csrf.as_str()), ("unit_code", "330402"), ("month", last.as_str())];
        let sent = browser.post("/console/reports/progress/submit", &form).await;
        assert_eq!((sent.status, sent.location.as_str()), (StatusCode::SEE_OTHER, format!("{report}#submissions").as_str()));
        let board = app.get(&format!("/v1/reports/progress/submissions?month={last}&region=330402"), &key).await;
        assert_eq!(board.body["units"][0]["state"], "submitted_late", "{}", board.body);
        let page = browser.get(&report).await;
        assert!(page.body.contains("逾期报送") && page.body.contains("更正后重新报送"), "{}", page.body);
        let again = browser.post("/console/reports/progress/submit", &form).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "a correction needs a note: {}", again.body);
        let mut noted = form.to_vec();
        noted.push(("note", "再次核对"));
        let same = browser.post("/console/reports/progress/submit", &noted).await;
        assert_eq!(same.status, StatusCode::CONFLICT, "nothing changed: {}", same.body);
        assert_eq!(app.get(&format!("/v1/reports/progress/submissions?month={last}&region=330402"), &key).await.body["units"][0]["submissions"], 1);

        // 直补: last month's list proposed, opened, approved and downloaded from the pages.
        let payments = format!("/console/payments?month={last}");
        assert!(browser.get(&payments).await.body.contains("还没有名单"));
        let default = browser.get("/console/payments").await;
        assert!(default.body.contains(&format!("value=\"{last}\"")), "last month by default: {}", default.body);
        let proposed = browser.post("/console/payments/propose", &[("csrf", &csrf), ("month", &last)]).await;
        assert_eq!((proposed.status, proposed.location.as_str()), (StatusCode::SEE_OTHER, payments.as_str()), "{}", proposed.body);
        let lists = app.get(&format!("/v1/payment-lists?month={last}"), &key).await;
        let items = lists.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "the staff's own unit only: {}", lists.body);
        let list_id = items[0]["id"].as_str().unwrap().to_string();
        let page = browser.get(&payments).await;
        assert!(page.body.contains(&format!("/console/payments/{list_id}")) && page.body.contains("待审核"), "{}", page.body);
        // She proposed it: no approve button, a note saying why, and a
        // forged approval is refused; her colleague approves.
        let detail = browser.get(&format!("/console/payments/{list_id}")).await;
        assert!(!detail.body.contains("核对无误，审核通过") && detail.body.contains("另一位工作人员"), "{}", detail.body);
        let own = browser.post(&format!("/console/payments/{list_id}/approve"), &[("csrf", &csrf)]).await;
        assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.body);
        assert_eq!(app.get(&format!("/v1/payment-lists/{list_id}"), &key).await.body["state"], "proposed");
        let detail = colleague.get(&format!("/console/payments/{list_id}")).await;
        assert!(detail.body.contains("核对无误，审核通过") && detail.body.contains("本月没有应发的补贴"), "{}", detail.body);
        let approved = colleague.post(&format!("/console/payments/{list_id}/approve"), &[("csrf", &their_csrf)]).await;
        assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
        assert_eq!(app.get(&format!("/v1/payment-lists/{list_id}"), &key).await.body["state"], "approved");
        let detail = browser.get(&format!("/console/payments/{list_id}")).await;
        assert!(detail.body.contains("已审核") && !detail.body.contains("核对无误，审核通过"), "{}", detail.body);
        assert!(detail.body.contains("王丽（"), "the approver by name, not by account id: {}", detail.body);
        let qian = app.account_id(&org, "nanhu.qian").await;
        assert_eq!(app.get(&format!("/v1/payment-lists/{list_id}"), &key).await.body["approved_by"], qian.as_str(), "approved by the colleague");
        let twice = colleague.post(&format!("/console/payments/{list_id}/approve"), &[("csrf", &their_csrf)]).await;
        assert_eq!(twice.status, StatusCode::CONFLICT);
        let (status, bytes) = browser.download(&format!("/console/payments/{list_id}/download?format=xlsx")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(bytes.starts_with(b"PK"), "an XLSX file");
        assert_eq!(browser.get("/console/payments/pay_nothing").await.status, StatusCode::NOT_FOUND);
    }

    async fn console_pages_answer_exactly_as_the_api_for_every_role(app: TestApp) {
        // Callers: a key and an account of the same organisation and role each.
        let (nanhu, nanhu_key) = app.org_with_key("南湖区就业服务中心", "community", "330402", "staff").await;
        let (xiuzhou, xiuzhou_key) = app.org_with_key("秀洲区就业服务中心", "community", "330411", "staff").await;
        let (market, market_key) = app.publisher("矩阵零工市场").await;
        let (other_market, other_market_key) = app.publisher("另一零工市场").await;
        let g = app.two_agencies().await;
        let mut callers = Vec::new();
        for (org, key, login, role) in [
            (&nanhu, &nanhu_key, "m.nanhu", "staff"),
            (&xiuzhou, &xiuzhou_key, "m.xiuzhou", "staff"),
            (&market, &market_key, "m.market", "publisher"),
            (&other_market, &other_market_key, "m.other", "publisher"),
            (&g.a_org, &g.a, "m.agency.a", "agency"),
            (&g.b_org, &g.b, "m.agency.b", "agency"),
        ] {
            let password = app.account(&app.admin, org, login, role, None).await;
            let mut browser = Browser::new(&app);
            assert_eq!(browser.sign_in(login, &password).await.status, StatusCode::SEE_OTHER, "{login}");
            callers.push((login, key.clone(), browser));
        }
        // Things to see: a person of 南湖 assigned to agency A, one of 秀洲,
        // a job of the market, a closed job of the other market.
        let person = app.create_person(person_body(61)).await;
        app.assign(&g.agreement_a, &person).await;
        let far = app.create_person(with(person_body(62), |b| b["region_code"] = json!("330411002"))).await;
        let job = app.create_job(&market_key, with(job_body(), |b| b["region_code"] = json!("330402008"))).await;
        let closed = app.create_job(&other_market_key, job_body()).await;
        app.post(&format!("/v1/jobs/{closed}/close"), &other_market_key, json!({"reason": "withdrawn"})).await;
        app.wait_indexed().await;
        let pairs = [
            (format!("/console/persons/{person}"), format!("/v1/persons/{person}")),
            (format!("/console/persons/{far}"), format!("/v1/persons/{far}")),
            (format!("/console/persons/{person}/plan"), format!("/v1/persons/{person}/plan")),
            (format!("/console/persons/{far}/certification"), format!("/v1/persons/{far}/certification")),
            (format!("/console/jobs/{job}"), format!("/v1/jobs/{job}")),
            (format!("/console/jobs/{closed}"), format!("/v1/jobs/{closed}")),
            ("/console/persons/per_00000000000000000000000000000000".into(), "/v1/persons/per_00000000000000000000000000000000".into()),
            ("/console/jobs/job_00000000000000000000000000000000".into(), "/v1/jobs/job_00000000000000000000000000000000".into()),
        ];
        let mut seen = std::collections::BTreeSet::new();
        for (login, key, browser) in &callers {
            for (page, api) in &pairs {
                let api_status = app.get(api, key).await.status;
                let page_status = browser.get(page).await.status;
                assert_eq!(page_status, api_status, "{login}: {page} as {api}");
                seen.insert(api_status.as_u16());
            }
        }
        assert!(seen.contains(&200) && seen.contains(&404), "the matrix holds both answers: {seen:?}");
        // Forms that change things follow the same rule.
        let (_, _, agency_b) = &callers[5];
        let csrf = agency_b.get("/console/").await.hidden("csrf");
        let contact = agency_b.post(&format!("/console/persons/{person}/contact"), &[("csrf", &csrf), ("method", "phone"), ("note", "越权")]).await;
        let api = app.post(&format!("/v1/persons/{person}/contacts"), &g.b, json!({"method": "phone", "note": "越权"})).await;
        assert_eq!((contact.status, api.status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND), "another agency's person");
        let (_, _, agency_a) = &callers[4];
        let csrf = agency_a.get("/console/").await.hidden("csrf");
        let own = agency_a.post(&format!("/console/persons/{person}/contact"), &[("csrf", &csrf), ("method", "phone"), ("note", "电话联系")]).await;
        assert_eq!(own.status, StatusCode::SEE_OTHER, "its own person: {}", own.body);
        let plan = agency_a.post(&format!("/console/persons/{person}/plan"), &[("csrf", &csrf), ("owner", "甲")]).await;
        assert_eq!(plan.status, StatusCode::FORBIDDEN, "an agency does not keep the plan");
    }
}
