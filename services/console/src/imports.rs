//! Uploads: publishing many jobs from one sheet (XLSX or CSV, with a
//! template to download), and a department's list of people. Both post a
//! file (`multipart/form-data`, so they work without JavaScript; with it,
//! a progress bar shows the upload) and answer with the report row by row,
//! each row named by its line in the file. The rules are the API's: the
//! sheet's rows go to `POST /v1/jobs/import`, the list to
//! `POST /v1/persons/import`, as the signed-in person. "只检查，不保存"
//! runs either as a dry run.

use askama::Template;
use axum::extract::Multipart;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use jobmatch_core::Role;
use jobmatch_registry::persons::import::{read_sheet, Spool};
use serde_json::json;

use crate::forms::{flat_field, Field, Form, Posted};
use crate::jobs::{job_form, job_json};
use crate::{render, Ctx, Layout};

/// One line of an upload's report.
struct ReportRow {
    line: usize,
    outcome: &'static str,
    /// `ok`, `warn` or `bad`: how the row is marked.
    mark: &'static str,
    text: String,
    link: Option<String>,
}

struct Report {
    dry_run: bool,
    summary: Vec<(&'static str, usize)>,
    rows: Vec<ReportRow>,
    notes: Vec<String>,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    layout: Layout,
    heading: &'static str,
    intro: Vec<&'static str>,
    action: &'static str,
    templates: bool,
    form: Form,
    report: Option<Report>,
}

/// The largest text field of an upload form, in bytes, and how many there
/// may be: the forms have a token and a checkbox or two.
const FIELD_MAX_BYTES: usize = 1024;
const FIELDS_MAX: usize = 16;

/// What an upload form posted: its fields and the file.
struct Upload {
    posted: Posted,
    file: Vec<u8>,
}

/// Read the form: fields first (the CSRF token is checked before the file
/// is read), then the file, at most `limit` bytes.
async fn read_upload(ctx: &Ctx, mut multipart: Multipart, limit: usize) -> Result<Result<Upload, String>, Response> {
    let mut fields = Vec::new();
    let mut file = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Ok(Err("文件没有上传完整，请重新选择文件上传".into())),
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            ctx.checked(fields.clone())?;
            let mut field = field;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if file.len() + chunk.len() > limit {
                            return Ok(Err(format!("文件不能超过 {} MB", limit >> 20)));
                        }
                        file.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(_) => return Ok(Err("文件没有上传完整，请重新选择文件上传".into())),
                }
            }
        } else {
            // A form's other fields are short (a token, a checkbox): read
            // each in chunks up to a small bound, so no field of any size
            // is held in memory.
            if fields.len() >= FIELDS_MAX {
                return Ok(Err("表单内容过长或过多，请回到本页重新选择文件上传".into()));
            }
            let mut field = field;
            let mut value = Vec::new();
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if value.len() + chunk.len() > FIELD_MAX_BYTES {
                            return Ok(Err("表单内容过长或过多，请回到本页重新选择文件上传".into()));
                        }
                        value.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(_) => return Ok(Err("文件没有上传完整，请重新选择文件上传".into())),
                }
            }
            fields.push((name, String::from_utf8_lossy(&value).into_owned()));
        }
    }
    let posted = ctx.checked(fields)?;
    if file.is_empty() {
        return Ok(Err("请选择要上传的文件".into()));
    }
    Ok(Ok(Upload { posted, file }))
}

fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

// ---- jobs -----------------------------------------------------------------

fn jobs_form() -> Form {
    Form::new(vec![
        Field::new("file", "岗位表（XLSX 或 CSV）", "file").required().hint("每行一个岗位，第一行为列名（与模板相同）"),
        Field::new("dry_run", "只检查，不发布", "checkbox"),
    ])
}

/// What an upload page is: its heading, section, the lines above the
/// form, where it posts, whether it offers templates.
struct Kind {
    heading: &'static str,
    section: &'static str,
    intro: &'static [&'static str],
    action: &'static str,
    templates: bool,
}

const JOBS: Kind = Kind {
    heading: "批量发布岗位",
    section: "jobs",
    intro: &[
        "先下载模板，按模板填写后上传。每一行按与单个发布相同的规则检查；有错误的行不发布，其余行照常发布。",
        "下拉项可填中文名称或代码（例如“零工”或 gig），区域填区划代码。",
    ],
    action: "/console/jobs/import",
    templates: true,
};

const PEOPLE: Kind = Kind {
    heading: "导入部门名单",
    section: "persons",
    intro: &[
        "按身份证号与已登记的人员比对：新的人员登记入库，已有的人员补充信息。",
        "工作人员修改过的信息不会被名单覆盖，不一致之处列在报告中。",
    ],
    action: "/console/persons/import",
    templates: false,
};

fn upload_page(ctx: &Ctx, kind: &Kind, status: StatusCode, form: Form, report: Option<Report>) -> Response {
    let page = ImportPage {
        layout: ctx.layout(form.title(kind.heading), kind.section),
        heading: kind.heading,
        intro: kind.intro.to_vec(),
        action: kind.action,
        templates: kind.templates,
        form,
        report,
    };
    render(status, &page)
}

/// The form again (422) with `messages` by its file field.
fn refuse_file(ctx: &Ctx, kind: &Kind, mut form: Form, messages: Vec<String>) -> Response {
    let errors: Vec<(String, String)> = messages.into_iter().map(|m| ("file".to_string(), m)).collect();
    form.refuse(&errors, |f| f.to_string(), "file");
    upload_page(ctx, kind, StatusCode::UNPROCESSABLE_ENTITY, form, None)
}

fn jobs_page(ctx: &Ctx, status: StatusCode, form: Form, report: Option<Report>) -> Response {
    upload_page(ctx, &JOBS, status, form, report)
}

pub(crate) async fn jobs_import_page(ctx: Ctx) -> Response {
    if ctx.role() == Role::Agency {
        return ctx.refused(&crate::Answer::forbidden());
    }
    jobs_page(&ctx, StatusCode::OK, jobs_form(), None)
}

/// The sheet's columns: the publish form's fields, by their labels.
fn columns(ctx: &Ctx) -> Vec<(&'static str, String, bool, &'static str)> {
    job_form(ctx).fields.into_iter().map(|f| (f.name, column_label(f.label), f.required, f.hint)).collect()
}

/// A form label as a column header: without a unit in brackets.
fn column_label(label: &str) -> String {
    label.split('（').next().unwrap_or(label).to_string()
}

/// A header cell as compared: no spaces, no `*`, no bracketed note.
fn header_key(cell: &str) -> String {
    let cell: String = cell.chars().filter(|c| !c.is_whitespace() && *c != '*').collect();
    column_label(cell.split('(').next().unwrap_or(&cell))
}

const EXAMPLE: &[(&str, &str)] = &[
    ("title", "小区保洁员"),
    ("description", "打扫小区楼道和公共区域，每天上午 8 点到 11 点。"),
    ("source", "社区"),
    ("category", "cleaning"),
    ("employment_type", "零工"),
    ("pay_min", "120"),
    ("pay_max", "150"),
    ("pay_unit", "元/天"),
    ("headcount", "2"),
    ("region_code", "330402008"),
    ("skills", "保洁、打扫"),
    ("age_max", "65"),
    ("physical", "轻体力"),
    ("disability_friendly", "否"),
    ("contact_name", "王丽"),
    ("contact_phone", "13805731234"),
];

pub(crate) async fn jobs_template(ctx: Ctx, axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    let cols = columns(&ctx);
    let example = |field: &str| EXAMPLE.iter().find(|(f, _)| *f == field).map(|(_, v)| *v).unwrap_or("");
    let (body, kind) = match name.as_str() {
        "jobs-template.csv" => {
            let mut out = Vec::from("\u{feff}".as_bytes());
            let mut w = jobmatch_core::sheet::CsvOut::new(&mut out);
            let _ = w.write_record(cols.iter().map(|c| c.1.as_str()));
            let _ = w.write_record(cols.iter().map(|c| example(c.0)));
            drop(w);
            (out, "text/csv; charset=utf-8")
        }
        "jobs-template.xlsx" => match template_xlsx(&ctx, &cols, example) {
            Ok(b) => (b, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            Err(e) => {
                tracing::error!(error = %e, "the job sheet template did not build");
                return ctx.refused(&crate::Answer::unavailable());
            }
        },
        _ => return ctx.refused(&crate::Answer::not_found()),
    };
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    crate::secure(r)
}

/// The template workbook: the columns and an example row on the first
/// sheet, what each column takes on the second.
fn template_xlsx(
    ctx: &Ctx,
    cols: &[(&'static str, String, bool, &'static str)],
    example: impl Fn(&str) -> &'static str,
) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let form = job_form(ctx);
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let sheet = book.add_worksheet();
    sheet.set_name("岗位")?;
    for (c, (_, label, _, _)) in cols.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, label, &bold)?;
        sheet.set_column_format(c as u16, &text)?;
        sheet.set_column_width(c as u16, 14)?;
    }
    for (c, (field, _, _, _)) in cols.iter().enumerate() {
        sheet.write_string(1, c as u16, example(field))?;
    }
    let help = book.add_worksheet();
    help.set_name("填写说明")?;
    for (c, h) in ["列名", "是否必填", "说明", "可填的值"].iter().enumerate() {
        help.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, (field, label, required, hint)) in cols.iter().enumerate() {
        let row = i as u32 + 1;
        help.write_string(row, 0, label)?;
        help.write_string(row, 1, if *required { "必填" } else { "选填" })?;
        help.write_string(row, 2, *hint)?;
        let values = form
            .fields
            .iter()
            .find(|f| f.name == *field)
            .filter(|f| f.kind == "select" && *field != "region_code")
            .map(|f| {
                f.options
                    .iter()
                    .filter(|(code, _)| !code.is_empty())
                    .map(|(code, label)| format!("{label}（{code}）"))
                    .collect::<Vec<_>>()
                    .join("、")
            })
            .unwrap_or_else(|| match *field {
                "region_code" => "9 位区划代码，例如 330402008".into(),
                "disability_friendly" => "是、否".into(),
                "valid_until" => "日期，例如 2026-12-31".into(),
                _ => String::new(),
            });
        help.write_string(row, 3, values)?;
    }
    help.set_column_width(0, 16)?;
    help.set_column_width(2, 40)?;
    help.set_column_width(3, 60)?;
    Ok(book.save_to_buffer()?)
}

/// A sheet cell as the form's value: a select's label becomes its code, 是/否
/// a checkbox.
fn cell_value(form: &Form, field: &str, cell: &str) -> String {
    let cell = cell.trim();
    let Some(f) = form.fields.iter().find(|f| f.name == field) else { return cell.to_string() };
    match f.kind {
        "select" => f
            .options
            .iter()
            .find(|(code, label)| {
                !code.is_empty() && (code == cell || label == cell || label.starts_with(&format!("{cell}（")))
            })
            .map(|(code, _)| code.clone())
            .unwrap_or_else(|| cell.to_string()),
        "checkbox" => match cell {
            "是" | "true" | "1" | "Y" | "y" | "适合" => "true".into(),
            _ => String::new(),
        },
        _ => cell.to_string(),
    }
}

pub(crate) async fn jobs_import(ctx: Ctx, multipart: Multipart) -> Response {
    let mut form = jobs_form();
    let limit = 4 << 20;
    let upload = match read_upload(&ctx, multipart, limit).await {
        Err(r) => return r,
        Ok(Err(message)) => return refuse_file(&ctx, &JOBS, form, vec![message]),
        Ok(Ok(u)) => u,
    };
    form.fill(&upload.posted);
    let dry_run = upload.posted.has("dry_run");
    // The sheet is read from a private spooled file, removed when done.
    let settings = &ctx.state.settings;
    let spool = Spool(
        jobmatch_core::files::spool_dir(&settings.data_dir)
            .join(format!("{}.upload", jobmatch_core::ids::new_id("sheet"))),
    );
    let max_rows = settings.import_max_rows;
    let path = spool.0.clone();
    let file = upload.file;
    let read = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        if let Some(dir) = path.parent() {
            jobmatch_core::files::private_dir(dir)?;
        }
        let mut f = jobmatch_core::files::create_private(&path)?;
        f.write_all(&file)?;
        f.sync_all()?;
        Ok::<_, std::io::Error>(read_sheet(&path, max_rows))
    })
    .await;
    drop(spool);
    let rows = match read {
        Ok(Ok(Ok(rows))) => rows,
        Ok(Ok(Err(jobmatch_core::ApiError::Problem(p)))) => {
            let mut messages: Vec<String> = p.errors.iter().map(|e| e.message.clone()).collect();
            if messages.is_empty() {
                messages.push(p.detail.clone());
            }
            return refuse_file(&ctx, &JOBS, form, messages);
        }
        other => {
            if let Ok(Ok(Err(e))) = &other {
                tracing::error!(error = ?e, "a job sheet could not be read");
            }
            return ctx.refused(&crate::Answer::unavailable());
        }
    };
    let cols = columns(&ctx);
    let mut rows = rows.into_iter();
    let Some((_, header)) = rows.next() else { return refuse_file(&ctx, &JOBS, form, vec!["文件为空".into()]) };
    // Which form field each column is; columns we do not know are noted.
    let mut map: Vec<Option<&'static str>> = Vec::new();
    let mut unknown = Vec::new();
    for cell in &header {
        let key = header_key(cell);
        let field = cols.iter().find(|(name, label, _, _)| *label == key || *name == key).map(|c| c.0);
        let field = field.or_else(|| (key == "区划代码" || key == "区域").then_some("region_code"));
        if field.is_none() && !key.is_empty() {
            unknown.push(cell.trim().to_string());
        }
        map.push(field);
    }
    let missing: Vec<String> = cols
        .iter()
        .filter(|(name, _, required, _)| *required && !map.contains(&Some(*name)))
        .map(|(_, label, _, _)| label.clone())
        .collect();
    if !missing.is_empty() {
        let message = format!("第 1 行缺少列：{}（请使用模板）", missing.join("、"));
        return refuse_file(&ctx, &JOBS, form, vec![message]);
    }
    let fields_form = job_form(&ctx);
    let mut lines = Vec::new();
    let mut jobs = Vec::new();
    for (line, cells) in rows {
        let mut values = Vec::new();
        for (i, cell) in cells.iter().enumerate() {
            if let Some(Some(field)) = map.get(i) {
                values.push((field.to_string(), cell_value(&fields_form, field, cell)));
            }
        }
        lines.push(line);
        jobs.push(job_json(&Posted(values)));
    }
    if jobs.is_empty() {
        return refuse_file(&ctx, &JOBS, form, vec!["表中没有岗位（第 2 行起每行一个岗位）".into()]);
    }
    let uri = if dry_run { "/v1/jobs/import?dry_run=true" } else { "/v1/jobs/import" };
    let answer = ctx.call(Method::POST, uri, Some(&json!({ "jobs": jobs }))).await;
    if !answer.ok() {
        let errors = answer.field_errors();
        if answer.status != StatusCode::UNPROCESSABLE_ENTITY || errors.is_empty() {
            return ctx.refused(&answer);
        }
        return refuse_file(&ctx, &JOBS, form, errors.into_iter().map(|(_, m)| m).collect());
    }
    let label_of = |api_field: &str| {
        let field = flat_field(api_field);
        cols.iter().find(|c| c.0 == field).map(|c| c.1.clone()).unwrap_or(field)
    };
    let v = answer.json();
    let results = v["results"].as_array().cloned().unwrap_or_default();
    let mut report_rows = Vec::new();
    let (mut ok, mut bad) = (0, 0);
    for r in &results {
        let index = r["row"].as_u64().unwrap_or(0) as usize;
        let line = lines.get(index.saturating_sub(1)).copied().unwrap_or(index + 1);
        let (outcome, mark, text, link) = match r["status"].as_str() {
            Some("created") => {
                ok += 1;
                let id = r["id"].as_str().unwrap_or("");
                ("已发布", "ok", String::new(), Some(format!("/console/jobs/{id}")))
            }
            Some("valid") => {
                ok += 1;
                ("检查通过", "ok", String::new(), None)
            }
            _ => {
                bad += 1;
                let messages: Vec<String> = r["errors"]
                    .as_array()
                    .map(|errors| {
                        errors
                            .iter()
                            .map(|e| {
                                format!(
                                    "{}：{}",
                                    label_of(e["field"].as_str().unwrap_or("")),
                                    e["message"].as_str().unwrap_or("")
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                ("未发布", "bad", messages.join("；"), None)
            }
        };
        report_rows.push(ReportRow { line, outcome, mark, text, link });
    }
    let mut notes = Vec::new();
    if !unknown.is_empty() {
        notes.push(format!("以下列不是模板中的列，未使用：{}", unknown.join("、")));
    }
    let summary = if dry_run {
        vec![("读取岗位", results.len()), ("检查通过", ok), ("有错误", bad)]
    } else {
        vec![("读取岗位", results.len()), ("已发布", ok), ("未发布", bad)]
    };
    let report = Report { dry_run, summary, rows: report_rows, notes };
    jobs_page(&ctx, StatusCode::OK, form, Some(report))
}

// ---- people ---------------------------------------------------------------

const PERSON_SOURCES: &[(&str, &str)] = &[
    ("civil_affairs", "民政部门（低收入家庭名单）"),
    ("disabled_federation", "残联（残疾人名单）"),
    ("unemployment_registry", "失业登记名单"),
];

fn persons_form() -> Form {
    let mut sources: Vec<(String, String)> =
        PERSON_SOURCES.iter().map(|(c, l)| (c.to_string(), l.to_string())).collect();
    sources.insert(0, (String::new(), "请选择".into()));
    Form::new(vec![
        Field::new("source", "名单来源", "select").required().options(sources),
        Field::new("file", "名单文件（CSV 或 XLSX）", "file").required().hint(
            "CSV 可为 UTF-8 或 GBK 编码；第一行为列名，须有“身份证号”“姓名”两列，可有“手机号”“区划代码”“人员类别”",
        ),
        Field::new("dry_run", "只检查，不导入", "checkbox"),
    ])
}

fn persons_page(ctx: &Ctx, status: StatusCode, form: Form, report: Option<Report>) -> Response {
    upload_page(ctx, &PEOPLE, status, form, report)
}

pub(crate) async fn persons_import_page(ctx: Ctx) -> Response {
    if !matches!(ctx.role(), Role::Admin | Role::Staff) {
        return ctx.refused(&crate::Answer::forbidden());
    }
    persons_page(&ctx, StatusCode::OK, persons_form(), None)
}

pub(crate) async fn persons_import(ctx: Ctx, multipart: Multipart) -> Response {
    let mut form = persons_form();
    let limit = ctx.state.settings.person_import_max_bytes;
    let upload = match read_upload(&ctx, multipart, limit).await {
        Err(r) => return r,
        Ok(Err(message)) => return refuse_file(&ctx, &PEOPLE, form, vec![message]),
        Ok(Ok(u)) => u,
    };
    form.fill(&upload.posted);
    let source = upload.posted.get("source").to_string();
    if !PERSON_SOURCES.iter().any(|(c, _)| *c == source) {
        form.refuse(&[("source".into(), "请选择名单来源".into())], |f| f.to_string(), "source");
        return persons_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, form, None);
    }
    let dry_run = upload.posted.has("dry_run");
    let uri = format!("/v1/persons/import?source={source}{}", if dry_run { "&dry_run=true" } else { "" });
    let kind = if is_xlsx(&upload.file) {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else {
        "text/csv"
    };
    let answer = ctx.send(Method::POST, &uri, Some(kind), upload.file).await;
    if !answer.ok() {
        let mut errors: Vec<String> = answer.field_errors().into_iter().map(|(_, m)| m).collect();
        let refusal = [StatusCode::NOT_FOUND, StatusCode::FORBIDDEN].contains(&answer.status);
        if errors.is_empty() && answer.status.is_client_error() && !refusal {
            errors.push(answer.detail());
        }
        if errors.is_empty() {
            return ctx.refused(&answer);
        }
        return refuse_file(&ctx, &PEOPLE, form, errors);
    }
    let v = answer.json();
    let count = |k: &str| v[k].as_u64().unwrap_or(0) as usize;
    let list = |k: &str| v[k].as_array().cloned().unwrap_or_default();
    let mut rows: Vec<ReportRow> = list("invalid")
        .iter()
        .map(|r| ReportRow {
            line: r["row"].as_u64().unwrap_or(0) as usize,
            outcome: "未导入",
            mark: "bad",
            text: r["message"].as_str().unwrap_or("").into(),
            link: None,
        })
        .chain(list("conflicts").iter().map(|r| ReportRow {
            line: r["row"].as_u64().unwrap_or(0) as usize,
            outcome: "有不一致",
            mark: "warn",
            text: r["message"].as_str().unwrap_or("").into(),
            link: None,
        }))
        .collect();
    rows.sort_by_key(|r| r.line);
    let mut notes = Vec::new();
    let ignored: Vec<String> = list("ignored_columns").iter().filter_map(|c| c.as_str().map(String::from)).collect();
    if !ignored.is_empty() {
        notes.push(format!("以下列未使用：{}", ignored.join("、")));
    }
    let summary = vec![
        ("读取人员", count("rows")),
        (if dry_run { "将新登记" } else { "新登记" }, count("created")),
        (if dry_run { "将更新" } else { "已更新" }, count("updated")),
        ("无变化", count("unchanged")),
        ("有不一致", list("conflicts").len()),
        ("未导入", list("invalid").len()),
    ];
    let report = Report { dry_run, summary, rows, notes };
    persons_page(&ctx, StatusCode::OK, form, Some(report))
}
