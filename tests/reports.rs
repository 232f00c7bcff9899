//! The monthly progress report computed from records: a month built by hand
//! and every cell asserted in JSON, CSV and XLSX; a past month that keeps its
//! figures; the people behind a figure; the year view.

use chrono::{Datelike, NaiveDate};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

const UNITS: [&str; 9] =
    ["330402", "330411", "330421", "330424", "330481", "330482", "330483", "330400-ETDZ", "330400-PORT"];
const KEYS: [&str; 10] = [
    "helped_total",
    "flexible",
    "employer",
    "self_employed",
    "public_welfare",
    "project",
    "allowance",
    "newly_certified",
    "certified_employed",
    "still_needing_help",
];

struct Month {
    /// This month and the one before (Asia/Shanghai).
    this: NaiveDate,
    prev: NaiveDate,
}

fn months() -> Month {
    let today = jobmatch_core::time::system_today();
    let this = today.with_day(1).unwrap();
    let prev = (this - chrono::Duration::days(1)).with_day(1).unwrap();
    Month { this, prev }
}

fn ym(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

impl TestApp {
    async fn resident(&self, name: &str, street: &str, groups: &[&str], seq: u32) -> String {
        self.create_person(json!({
            "id_number": id_number(&street[..6], "19700101", seq), "name": name, "phone": format!("1370573{seq:04}"),
            "region_code": street, "groups": groups, "skills": ["保洁"],
            "consent": {"push": false, "share_with_agencies": true}
        }))
        .await
    }

    async fn place(&self, person: &str, channel: &str, on: NaiveDate, extra: Value) -> String {
        let mut body =
            json!({"person_id": person, "channel": channel, "started_on": on.to_string(), "employer_name": "某单位"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = self.post("/v1/placements", &self.admin, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    }

    async fn report(&self, month: &str) -> Value {
        let r = self.get(&format!("/v1/reports/progress?month={month}&region=330400&format=json"), &self.admin).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body
    }
}

/// The expected table: unit → the ten figures.
fn expected_this_month() -> Vec<(&'static str, [i64; 10])> {
    vec![
        ("330402", [2, 1, 1, 0, 0, 0, 0, 0, 1, 0]),
        ("330411", [0, 0, 0, 0, 0, 0, 0, 1, 0, 1]),
        ("330421", [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        ("330424", [1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
        ("330481", [0, 0, 0, 0, 0, 0, 1, 0, 0, 0]),
        ("330482", [0; 10]),
        ("330483", [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        ("330400-ETDZ", [1, 0, 0, 0, 1, 0, 0, 0, 0, 0]),
        ("330400-PORT", [1, 0, 0, 0, 0, 1, 0, 0, 1, 0]),
    ]
}

async fn month_of_records(app: TestApp) {
    let m = months();
    let first = m.this;
    // 南湖: A certified (registered so), flexible; B placed twice (employer, then self-employed).
    let a = app.resident("甲一", "330402007", &["hardship_certified"], 601).await;
    app.place(&a, "flexible", first, json!({})).await;
    let b = app.resident("乙二", "330402008", &["low_income_family"], 603).await;
    app.place(&b, "employer", first, json!({})).await;
    app.place(&b, "self_employed", first, json!({})).await;
    // 秀洲: C certified through the workflow this month, not in work.
    let c = app.resident("丙三", "330411002", &["low_income_family"], 605).await;
    for (key, action) in [
        (&app.admin, json!({"action": "apply", "grounds": ["low_income_family"]})),
        (&app.reviewer, json!({"action": "certify"})),
    ] {
        let r = app.post(&format!("/v1/persons/{c}/certification"), key, action).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    // 开发区: D lives in 城南 (南湖区's street run by the zone), public-welfare job.
    let d = app.resident("丁四", "330402012", &["disabled"], 607).await;
    app.place(&d, "public_welfare", first, json!({})).await;
    // 港区: E lives in 乍浦镇, certified, placed by a partner agency.
    let e = app.resident("戊五", "330482101", &["hardship_certified"], 609).await;
    let (agency, _) = app.org_with_key("报表人力资源公司", "hr_agency", "330400", "agency").await;
    app.place(&e, "project", first, json!({"agency_org_id": agency})).await;
    // 海宁: F of a low-income family, unemployed, gets the allowance.
    let f = app.resident("己六", "330481001", &["low_income_family"], 611).await;
    let r =
        app.post("/v1/allowances", &app.admin, json!({"person_id": f, "start_month": ym(first), "months": 3})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // 嘉善: G certified, placed last month, lost the job this month.
    let g = app.resident("庚七", "330421001", &["hardship_certified"], 613).await;
    let pg = app.place(&g, "flexible", m.prev.with_day(10).unwrap(), json!({})).await;
    let r = app.post(&format!("/v1/placements/{pg}/end"), &app.admin, json!({"ended_on": first.to_string()})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let me = app.get(&format!("/v1/persons/{g}"), &app.admin).await;
    assert_eq!(me.body["employment_status"], "unemployed", "a lost job makes the person unemployed again");
    // 桐乡: H certified, never placed.
    let h = app.resident("辛八", "330483001", &["hardship_certified"], 615).await;
    // 海盐: J self-employed.
    let j = app.resident("壬九", "330424001", &["zero_employment_family"], 617).await;
    app.place(&j, "self_employed", first, json!({})).await;

    // JSON: every cell.
    let report = app.report(&ym(first)).await;
    assert_eq!(report["month"], ym(first));
    assert_eq!(report["region"], "330400");
    let rows = report["rows"].as_array().unwrap();
    let codes: Vec<&str> = rows.iter().map(|r| r["unit_code"].as_str().unwrap()).collect();
    assert_eq!(codes, UNITS, "the seven counties then the two zones");
    let mut total = [0i64; 10];
    for (row, (unit, want)) in rows.iter().zip(expected_this_month()) {
        assert_eq!(row["unit_code"], unit);
        for (k, key) in KEYS.iter().enumerate() {
            assert_eq!(row[key], want[k], "{unit} {key}: {row}");
            total[k] += want[k];
        }
    }
    for (k, key) in KEYS.iter().enumerate() {
        assert_eq!(report["total"][key], total[k], "total {key}");
    }
    assert_eq!(total, [5, 1, 1, 1, 1, 1, 1, 1, 2, 3]);

    // CSV: the Chinese headers in order, then the same cells.
    let res = app
        .client
        .get(format!("{}/v1/reports/progress?month={}&region=330400&format=csv", app.base, ym(first)))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = res.text().await.unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let lines: Vec<Vec<String>> = text.lines().map(|l| l.split(',').map(String::from).collect()).collect();
    assert_eq!(
        lines[0][2..],
        [
            "本期帮扶困难群体就业总人数",
            "实现灵活就业人数",
            "用人单位吸纳人数",
            "自主创业人数",
            "公益性岗位安置人数",
            "项目帮扶人数",
            "享受临时生活补贴人数",
            "新认定就业困难人员人数",
            "帮扶就业困难人员就业人数",
            "期末仍需帮扶就业困难人员人数",
        ]
    );
    for (line, (unit, want)) in lines[1..10].iter().zip(expected_this_month()) {
        assert_eq!(line[0], unit);
        let got: Vec<i64> = line[2..].iter().map(|v| v.parse().unwrap()).collect();
        assert_eq!(got, want, "csv {unit}");
    }
    assert!(lines[10][1].contains("合计"));
    let got: Vec<i64> = lines[10][2..].iter().map(|v| v.parse().unwrap()).collect();
    assert_eq!(got, total);

    // XLSX: read back; the form's title, period, two header rows with 帮扶成效 over columns 2–7.
    let res = app
        .client
        .get(format!("{}/v1/reports/progress?month={}&region=330400&format=xlsx", app.base, ym(first)))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let merged: Vec<((u32, u32), (u32, u32))> =
        wb.merge_cells_by_sheet_name("进度表").unwrap().iter().map(|d| (d.start, d.end)).collect();
    assert!(merged.contains(&((2, 2), (2, 7))), "帮扶成效 spans columns 2–7: {merged:?}");
    let sheet = wb.worksheet_range("进度表").unwrap();
    let s = |r: u32, c: u32| match sheet.get_value((r, c)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Float(f)) => format!("{f}"),
        Some(Data::Int(i)) => i.to_string(),
        other => format!("{other:?}"),
    };
    assert!(s(0, 0).contains("进度表"));
    assert!(s(1, 0).contains("嘉兴市"), "{}", s(1, 0));
    assert!(s(1, 6).contains(&format!("{}年{}月", first.year(), first.month())), "{}", s(1, 6));
    assert_eq!(s(2, 2), "帮扶成效");
    assert_eq!(s(2, 1), "本期帮扶困难群体就业总人数");
    assert_eq!(s(3, 2), "实现灵活就业人数");
    assert_eq!(s(3, 7), "享受临时生活补贴人数");
    assert_eq!(s(2, 10), "期末仍需帮扶就业困难人员人数");
    for (i, (_, want)) in expected_this_month().iter().enumerate() {
        for (k, v) in want.iter().enumerate() {
            assert_eq!(s(5 + i as u32, 1 + k as u32), v.to_string(), "xlsx row {i} col {k}");
        }
    }
    assert_eq!(s(4, 0), "栏次");
    assert_eq!((s(4, 1), s(4, 10)), ("1".to_string(), "10".to_string()), "the columns are numbered 1–10");
    assert_eq!(s(5, 0), "南湖区");
    assert_eq!(s(14, 0), "合计");
    for (k, v) in total.iter().enumerate() {
        assert_eq!(s(14, 1 + k as u32), v.to_string());
    }
    assert!(s(16, 0).starts_with("填报人"), "{}", s(16, 0));

    // The people behind a figure.
    let r = app
        .get(
            &format!("/v1/reports/progress/people?month={}&region=330400&column=still_needing_help", ym(first)),
            &app.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut ids: Vec<&str> =
        r.body["items"].as_array().unwrap().iter().map(|i| i["person_id"].as_str().unwrap()).collect();
    ids.sort();
    let mut want = vec![c.as_str(), g.as_str(), h.as_str()];
    want.sort();
    assert_eq!(ids, want);
    assert!(r.body["items"][0]["id_number"].as_str().unwrap().contains('*'));
    // Paged by person: two, then the third.
    let path = format!("/v1/reports/progress/people?month={}&region=330400&column=10&limit=2", ym(first));
    let p1 = app.get(&path, &app.admin).await;
    let cursor = p1.body["next_cursor"].as_str().expect("a second page").to_string();
    let p2 = app.get(&format!("{path}&cursor={cursor}"), &app.admin).await;
    let mut paged: Vec<&str> = p1.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(p2.body["items"].as_array().unwrap())
        .map(|i| i["person_id"].as_str().unwrap())
        .collect();
    paged.sort();
    assert_eq!(paged, want);
    assert!(p2.body["next_cursor"].is_null());
    let r =
        app.get(&format!("/v1/reports/progress/people?month={}&region=330400&column=9", ym(first)), &app.admin).await;
    let ids: Vec<&str> = r.body["items"].as_array().unwrap().iter().map(|i| i["person_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&a.as_str()) && ids.contains(&e.as_str()));
    // Staff of 南湖区: their unit only; the city's report is not theirs.
    let (_, staff) = app.org_with_key("南湖区就业局", "bureau", "330402", "staff").await;
    let r = app.get(&format!("/v1/reports/progress?month={}&region=330400", ym(first)), &staff).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get(&format!("/v1/reports/progress?month={}&region=330402", ym(first)), &staff).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["rows"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["total"]["helped_total"], 2);
    let r = app.get(&format!("/v1/reports/progress/people?month={}&region=330400&column=1", ym(first)), &staff).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get("/v1/reports/progress?month=2026-13&region=330402007&format=pdf", &app.admin).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(fields, ["format", "month", "region"]);

    // Last month: G's placement; it keeps its figures whatever happens now.
    let before = app.report(&ym(m.prev)).await;
    assert_eq!(before["total"]["helped_total"], 1);
    assert_eq!(before["rows"][2]["flexible"], 1, "嘉善: G");
    assert_eq!(before["rows"][2]["certified_employed"], 1);
    assert_eq!(before["total"]["still_needing_help"], 0, "nobody was registered yet at last month's end");
    let r = app.patch(&format!("/v1/persons/{g}"), &app.admin, json!({"region_code": "330481002"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    app.place(&h, "employer", first, json!({})).await;
    let r = app
        .post(&format!("/v1/persons/{c}/certification"), &app.admin, json!({"action": "revoke", "note": "核查不符"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.report(&ym(m.prev)).await, before, "a month that has ended keeps its figures");

    // The year view: certified persons into work against the city's 8,500.
    let r = app.get(&format!("/v1/reports/progress/year?year={}&region=330400", first.year()), &app.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["city_target"], 8500);
    assert_eq!(r.body["rows"].as_array().unwrap().len(), 9);
    let certified = r.body["certified_employed"].as_i64().unwrap();
    // A, E and H (registered as certified) placed this month; G last month when that is this year.
    let expected = 3 + i64::from(m.prev.year() == first.year());
    assert_eq!(certified, expected, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_of_records_gives_every_cell_in_json_csv_and_xlsx_on_sqlite() {
    month_of_records(spawn_app(Backend::Sqlite).await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_of_records_gives_every_cell_in_json_csv_and_xlsx_on_postgres() {
    match spawn_app(Backend::Postgres).await {
        Some(app) => month_of_records(app).await,
        None => eprintln!("skipped: JOBMATCH_TEST_POSTGRES_URL is not set"),
    }
}

both_backends! {
    async fn the_year_to_date_by_month_counts_each_person_once_from_their_first_placement(app: TestApp) {
        let year = jobmatch_core::time::system_today().year() - 1;
        let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).unwrap();
        let a = app.resident("周一", "330402008", &["low_income_family"], 901).await;
        let b = app.resident("吴二", "330411002", &["disabled"], 902).await;
        app.place(&a, "flexible", day(2, 10), json!({})).await;
        app.place(&b, "employer", day(5, 20), json!({})).await;
        let again = app.post("/v1/placements", &app.admin, json!({"person_id": a, "channel": "employer",
            "started_on": day(8, 1).to_string(), "employer_name": "另一单位"})).await;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
        let y = app.get(&format!("/v1/reports/progress/year?year={year}&by_month=true"), &app.admin).await;
        assert_eq!(y.status, StatusCode::OK, "{}", y.body);
        let helped: Vec<i64> = y.body["by_month"].as_array().unwrap().iter().map(|m| m["helped_total"].as_i64().unwrap()).collect();
        assert_eq!(helped, [0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2], "placed again in August, still counted once");
        assert_eq!(y.body["helped_total"], 2);
        let nanhu = app.get(&format!("/v1/reports/progress/year?year={year}&region=330402&by_month=true"), &app.admin).await;
        let helped: Vec<i64> = nanhu.body["by_month"].as_array().unwrap().iter().map(|m| m["helped_total"].as_i64().unwrap()).collect();
        assert_eq!(helped, [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], "one county's people only");
        // Figures are kept while the records are unchanged, never after:
        // each kind of write shows at once.
        let month = |m: u32| format!("/v1/reports/progress?month={year}-{m:02}&region=330402&format=json");
        let march = app.get(&month(3), &app.admin).await.body["total"]["helped_total"].clone();
        let c = app.resident("郑三", "330402008", &["low_income_family"], 903).await;
        let placement = app.place(&c, "flexible", day(3, 5), json!({})).await;
        let again = app.get(&format!("/v1/reports/progress/year?year={year}&region=330402&by_month=true"), &app.admin).await;
        assert_eq!(again.body["by_month"][2]["helped_total"], 2, "a new placement: {}", again.body);
        let march_now = app.get(&month(3), &app.admin).await.body["total"]["helped_total"].clone();
        assert_ne!(march_now, march, "the month's report follows the new placement");
        assert!(!placement.is_empty());
        // A certification step shows in this month's column 8 at once.
        let this_month = format!("/v1/reports/progress?month={}&region=330400&format=json", months().this.format("%Y-%m"));
        let before = app.get(&this_month, &app.admin).await.body["total"]["newly_certified"].as_i64().unwrap();
        let d = app.resident("冯四", "330402008", &["low_income_family"], 904).await;
        for (key, step) in [
            (&app.admin, json!({"action": "apply", "grounds": ["low_income_family"]})),
            (&app.reviewer, json!({"action": "certify"})),
        ] {
            let r = app.post(&format!("/v1/persons/{d}/certification"), key, step).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        let after = app.get(&this_month, &app.admin).await.body["total"]["newly_certified"].as_i64().unwrap();
        assert_eq!(after, before + 1, "the certification is counted at once");
    }

    async fn allowances_keep_their_rules_and_taper_after_a_placement(app: TestApp) {
        let m = months();
        let f = app.resident("低保甲", "330481001", &["low_income_family"], 701).await;
        let path = "/v1/allowances";
        // Not of a low-income family: refused with the reason.
        let other = app.resident("普通乙", "330481002", &["disabled"], 703).await;
        let r = app.post(path, &app.admin, json!({"person_id": other, "start_month": ym(m.prev), "months": 2})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["errors"][0]["code"], "not_low_income");
        // Bad fields are all named.
        let r = app.post(path, &app.admin, json!({"person_id": f, "start_month": "2026-13", "months": 7, "monthly_amount": 5})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let mut fields = r.error_fields();
        fields.sort();
        assert_eq!(fields, ["monthly_amount", "months", "start_month"]);
        let r = app.post(path, &app.admin, json!({"person_id": f, "start_month": ym(m.prev), "months": 4})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["monthly_amount"], 1131, "the local standard");
        // Beyond six months in all: refused, saying how many are left.
        let later = ym(m.this.checked_add_months(chrono::Months::new(6)).unwrap());
        let r = app.post(path, &app.admin, json!({"person_id": f, "start_month": later, "months": 3})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.body["errors"][0]["code"], "over_limit");
        assert!(r.body["errors"][0]["message"].as_str().unwrap().contains("最多还能申请 2 个月"), "{}", r.body);
        // Overlapping months: refused.
        let r = app.post(path, &app.admin, json!({"person_id": f, "start_month": ym(m.this), "months": 1})).await;
        assert_eq!(r.body["errors"][0]["code"], "overlaps", "{}", r.body);
        assert_eq!(app.count("allowances").await, 1, "nothing stored from refused requests");

        // Placed this month: this month is paid in full, then the taper (50 % for 3 months).
        app.place(&f, "flexible", m.this, json!({})).await;
        let r = app.get(&format!("/v1/allowances?person_id={f}"), &app.admin).await;
        let amounts: Vec<&str> =
            r.body["items"][0]["schedule"].as_array().unwrap().iter().map(|x| x["amount"].as_str().unwrap()).collect();
        assert_eq!(amounts, ["1131.00", "1131.00", "565.50", "565.50"], "the taper to the fen");
        // Employed now: no new allowance.
        let r = app.post(path, &app.admin, json!({"person_id": f, "start_month": later, "months": 1})).await;
        assert_eq!(r.body["errors"][0]["code"], "not_unemployed");
    }

    async fn a_correction_is_a_new_record_that_replaces_the_old_in_the_report(app: TestApp) {
        let m = months();
        let p = app.resident("更正丙", "330402007", &["hardship_certified"], 711).await;
        let wrong = app.place(&p, "employer", m.this, json!({})).await;
        let before = app.report(&ym(m.this)).await;
        assert_eq!((before["total"]["employer"].as_i64(), before["total"]["public_welfare"].as_i64()), (Some(1), Some(0)));
        let right = app.place(&p, "public_welfare", m.this, json!({"supersedes": wrong})).await;
        let after = app.report(&ym(m.this)).await;
        assert_eq!(after["total"]["helped_total"], 1);
        assert_eq!((after["total"]["employer"].as_i64(), after["total"]["public_welfare"].as_i64()), (Some(0), Some(1)));
        // The wrong record stays, marked; it cannot be corrected twice.
        let list = app.get(&format!("/v1/placements?person_id={p}"), &app.admin).await;
        let old = list.body["items"].as_array().unwrap().iter().find(|x| x["id"] == wrong.as_str()).unwrap().clone();
        assert_eq!(old["superseded_by"], right.as_str());
        let r = app.post("/v1/placements", &app.admin, json!({"person_id": p, "channel": "flexible",
            "started_on": m.this.to_string(), "supersedes": wrong})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let me = app.get(&format!("/v1/persons/{p}"), &app.admin).await;
        assert_eq!(me.body["employment_status"], "public_welfare");
    }
}
