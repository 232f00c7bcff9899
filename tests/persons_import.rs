//! Department imports: encodings, formats, matching by ID number, conflicts
//! with staff edits, bad rows among good ones, dry runs.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{id_number, person_body};

fn csv(rows: &[String]) -> String {
    let mut s = "身份证号,姓名,手机号,区划代码,人员类别\n".to_string();
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

fn rows_of(v: &Value, list: &str) -> Vec<u64> {
    v[list].as_array().unwrap().iter().map(|x| x["row"].as_u64().unwrap()).collect()
}

both_backends! {
    async fn a_gbk_list_is_decoded_and_its_bad_row_reported(app: TestApp) {
        let good = id_number("330411", "19700101", 311);
        let bad = format!("{}0", &id_number("330411", "19710101", 313)[..17]);
        let bad = if bad == id_number("330411", "19710101", 313) { format!("{}1", &bad[..17]) } else { bad };
        let text = csv(&[format!("{good},李建国,13600000001,330411002,低保"), format!("{bad},坏数据,13600000002,330411002,")]);
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        let res = app.post_bytes("/v1/persons/import?source=civil_affairs", &app.admin, "text/csv", gbk.into_owned()).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!((res.body["created"].as_u64(), res.body["rows"].as_u64()), (Some(1), Some(2)));
        assert_eq!(rows_of(&res.body, "invalid"), [3]);
        assert!(res.body["invalid"][0]["message"].as_str().unwrap().contains("校验位"));
        let list = app.get("/v1/persons?limit=200", &app.admin).await;
        assert_eq!(list.body["items"][0]["name"], "李建国");
        assert_eq!(list.body["items"][0]["groups"], json!(["low_income_family"]));
        assert!(!list.body.to_string().contains("坏数据"));
    }

    async fn staff_edits_are_kept_and_reported_while_list_values_update_list_values(app: TestApp) {
        // Entered by staff: every field is theirs.
        let staff_person = app.create_person(person_body(124)).await;
        // Entered by a list: the next list may change it.
        let listed = id_number("330411", "19700101", 311);
        let first = csv(&[format!("{listed},李建国,13600000001,330411002,")]);
        app.post_bytes("/v1/persons/import?source=civil_affairs", &app.admin, "text/csv", first.into_bytes()).await;
        let ours = person_body(124)["id_number"].as_str().unwrap().to_string();
        let second = csv(&[
            format!("{ours},张桂英,13700000000,330402008,残疾人"),
            format!("{listed},李建国,13600000009,330411002,"),
            format!("{listed},李建国,13600000009,330411002,"),
        ]);
        let before = app.get(&format!("/v1/persons/{staff_person}"), &app.admin).await.body;
        let res = app.post_bytes("/v1/persons/import?source=civil_affairs", &app.admin, "text/csv", second.into_bytes()).await;
        assert_eq!((res.body["updated"].as_u64(), res.body["created"].as_u64()), (Some(1), Some(0)), "{}", res.body);
        let conflict_fields: Vec<&str> = res.body["conflicts"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
        assert_eq!(conflict_fields, ["name", "phone", "groups"]);
        assert!(rows_of(&res.body, "conflicts").iter().all(|r| *r == 2));
        assert!(!res.body.to_string().contains("13700000000"), "phones in conflicts are masked");
        assert_eq!(rows_of(&res.body, "invalid"), [4], "the repeated ID number in the file");
        let after = app.get(&format!("/v1/persons/{staff_person}"), &app.admin).await.body;
        assert_eq!((after["name"].clone(), after["phone"].clone(), after["groups"].clone()), (before["name"].clone(), before["phone"].clone(), before["groups"].clone()));
        let search = app.get(&format!("/v1/persons?id_number={listed}"), &app.admin).await;
        let id = search.body["items"][0]["id"].as_str().unwrap().to_string();
        let listed_now = app.get(&format!("/v1/persons/{id}"), &app.admin).await.body;
        assert_eq!(listed_now["phone"], "13600000009");
        let history = app.get(&format!("/v1/persons/{id}/history"), &app.admin).await;
        assert_eq!(history.body["items"][1]["source"], "import:civil_affairs");
    }

    async fn one_bad_row_among_a_thousand_good_ones_is_reported_and_the_rest_imported(app: TestApp) {
        let mut rows: Vec<String> = (0..1000).map(|i| format!("{},居民{i},,330402008,", id_number("330402", "19700101", i))).collect();
        rows[500] = "330402197001010000,坏行,,330402008,".to_string();
        let res = app.post_bytes("/v1/persons/import?source=disabled_federation", &app.admin, "text/csv", csv(&rows).into_bytes()).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.body["created"], 999);
        assert_eq!(rows_of(&res.body, "invalid"), [502]);
        assert_eq!(app.count("persons").await, 999);
        let p = app.get("/v1/persons?limit=1", &app.admin).await;
        assert_eq!(p.body["items"][0]["groups"], json!(["disabled"]), "the federation's list means a disability certificate");
    }

    async fn a_dry_run_reports_the_same_and_stores_nothing(app: TestApp) {
        let text = csv(&[
            format!("{},甲,13600000001,330402008,", id_number("330402", "19700101", 1)),
            format!("{},乙,,,", id_number("330402", "19700101", 3)),
        ]);
        let dry = app.post_bytes("/v1/persons/import?source=unemployment_registry&dry_run=true", &app.admin, "text/csv", text.clone().into_bytes()).await;
        assert_eq!((dry.body["created"].as_u64(), dry.body["dry_run"].as_bool()), (Some(1), Some(true)));
        assert_eq!(rows_of(&dry.body, "invalid"), [3], "a new person needs a region");
        assert_eq!((app.count("persons").await, app.count("events").await, app.count("person_history").await), (0, 0, 0));
        let real = app.post_bytes("/v1/persons/import?source=unemployment_registry", &app.admin, "text/csv", text.into_bytes()).await;
        assert_eq!(real.body["created"], dry.body["created"]);
        assert_eq!(app.count("persons").await, 1);
    }

    async fn an_xlsx_sheet_is_imported(app: TestApp) {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in ["姓名", "身份证号", "手机号", "区划代码", "备注"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        sheet.write_string(1, 0, "王秀英").unwrap();
        sheet.write_string(1, 1, id_number("330402", "19690416", 24)).unwrap();
        sheet.write_number(1, 2, 13832771458.0).unwrap();
        sheet.write_string(1, 3, "330402011").unwrap();
        sheet.write_string(2, 0, "没有身份证").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let res = app.post_bytes("/v1/persons/import?source=civil_affairs", &app.admin,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bytes).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(res.body["created"], 1);
        assert_eq!(rows_of(&res.body, "invalid"), [3]);
        assert_eq!(res.body["ignored_columns"], json!(["备注"]));
        let list = app.get("/v1/persons", &app.admin).await;
        let id = list.body["items"][0]["id"].as_str().unwrap();
        assert_eq!(app.get(&format!("/v1/persons/{id}"), &app.admin).await.body["phone"], "13832771458");
    }

    async fn unusable_files_are_refused_whole(app: TestApp) {
        let no_id = "姓名,手机号\n张三,13600000001\n".to_string();
        let res = app.post_bytes("/v1/persons/import?source=civil_affairs", &app.admin, "text/csv", no_id.into_bytes()).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.error_fields(), ["header"]);
        let garbage: Vec<u8> = (0..4000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let res = app.post_bytes("/v1/persons/import?source=civil_affairs", &app.admin, "text/csv", garbage).await;
        assert!(res.status == StatusCode::UNPROCESSABLE_ENTITY || res.status == StatusCode::BAD_REQUEST, "{}", res.status);
        let res = app.post_bytes("/v1/persons/import", &app.admin, "text/csv", b"x".to_vec()).await;
        assert_eq!(res.error_fields(), ["source"]);
        let (_, publisher) = app.publisher("某零工市场").await;
        let res = app.post_bytes("/v1/persons/import?source=civil_affairs", &publisher, "text/csv", b"x".to_vec()).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert_eq!(app.count("persons").await, 0);
    }
}
