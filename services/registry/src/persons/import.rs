//! Department imports (数据共享比对): lists from civil affairs, the disabled
//! persons' federation and unemployment registrations, as CSV (UTF-8 or GBK,
//! detected) or XLSX (first sheet).
//!
//! The body is spooled to a file, parsed on a blocking thread and handed over
//! in batches through a bounded channel; each batch is one transaction. So a
//! CSV of any length is never held in memory (an XLSX sheet is: the format is
//! a zip archive read whole). Rows are matched by ID number. A value staff
//! edited that differs from the list is kept and reported as a conflict,
//! never silently overwritten. `dry_run` rolls every batch back.

use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use axum::extract::{Request, State};
use axum::Json;
use futures::StreamExt;
use jobmatch_core::domain::{Consent, EmploymentStatus, Group, PersonProfile, Willingness};
use jobmatch_core::error::{ApiResult, FieldError, Problem};
use jobmatch_core::http::QueryParams;
use jobmatch_core::ids::new_id;
use jobmatch_core::validate::{check_text, normalize_mobile, to_half_width, Errors};
use jobmatch_core::{ApiError, AppState, Principal, Role};
use serde::Serialize;
use tokio::sync::mpsc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::{self, Actor, Updated};
use super::validate::{check_home_region, check_id_number, PersonInput};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import_persons))
}

/// Where a list comes from, and the group its people are in by default.
const SOURCES: [(&str, Option<Group>); 3] = [
    ("civil_affairs", Some(Group::LowIncomeFamily)),
    ("disabled_federation", Some(Group::Disabled)),
    ("unemployment_registry", None),
];

const BATCH: usize = 500;

/// A row whose values conflict with what staff entered.
#[derive(Serialize, ToSchema)]
pub struct ImportConflict {
    pub row: usize,
    pub field: String,
    pub message: String,
}

/// A row that could not be used.
#[derive(Serialize, ToSchema)]
pub struct ImportInvalid {
    pub row: usize,
    /// `invalid` (a bad value), `duplicate_row`, `out_of_scope` (the row is
    /// about someone outside the importer's region, or would register
    /// someone there; nothing about that person is said), `busy`, `unreadable`.
    pub code: &'static str,
    pub message: String,
}

impl ImportInvalid {
    fn new(row: usize, code: &'static str, message: impl Into<String>) -> ImportInvalid {
        ImportInvalid { row, code, message: message.into() }
    }

    /// The one answer for any row about a person the importer may not
    /// touch: the same whether that person exists elsewhere or not at all.
    fn out_of_scope(row: usize) -> ImportInvalid {
        ImportInvalid::new(row, "out_of_scope", OUT_OF_SCOPE)
    }
}

const OUT_OF_SCOPE: &str = "该行人员不在本人负责的区域内（新登记人员须填写本区域的区划代码）";

/// What an import did (or, on a dry run, would do).
#[derive(Serialize, ToSchema, Default)]
pub struct ImportReport {
    pub source: String,
    pub dry_run: bool,
    /// Data rows read (the header not counted).
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub conflicts: Vec<ImportConflict>,
    pub invalid: Vec<ImportInvalid>,
    /// Columns not used by the import.
    pub ignored_columns: Vec<String>,
}

/// One data row as read, before checking. `line` is the line in the file
/// (header = 1).
#[derive(Debug, Clone)]
struct RawRow {
    line: usize,
    id_number: String,
    name: String,
    phone: Option<String>,
    region_code: Option<String>,
    groups: Option<String>,
}

enum Batch {
    Header(Vec<String>),
    Rows(Vec<RawRow>),
    Fatal(ApiError),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Col {
    IdNumber,
    Name,
    Phone,
    Region,
    Groups,
}

fn column(name: &str) -> Option<Col> {
    match name.trim().trim_start_matches('\u{feff}') {
        "身份证号" | "身份证号码" | "公民身份号码" | "id_number" => Some(Col::IdNumber),
        "姓名" | "name" => Some(Col::Name),
        "手机号" | "手机号码" | "联系电话" | "phone" => Some(Col::Phone),
        "区划代码" | "region_code" => Some(Col::Region),
        "人员类别" | "groups" => Some(Col::Groups),
        _ => None,
    }
}

/// Map the header to columns; the ID number and the name are required.
fn read_header(header: &[String]) -> Result<(HashMap<usize, Col>, Vec<String>), ApiError> {
    let mut map = HashMap::new();
    let mut ignored = Vec::new();
    for (i, h) in header.iter().enumerate() {
        match column(h) {
            Some(c) if !map.values().any(|x| *x == c) => {
                map.insert(i, c);
            }
            _ => ignored.push(h.trim().to_string()),
        }
    }
    let mut missing = Vec::new();
    if !map.values().any(|c| *c == Col::IdNumber) {
        missing.push(FieldError::new("header", "missing_column", "缺少“身份证号”列"));
    }
    if !map.values().any(|c| *c == Col::Name) {
        missing.push(FieldError::new("header", "missing_column", "缺少“姓名”列"));
    }
    if missing.is_empty() {
        Ok((map, ignored))
    } else {
        Err(ApiError::validation(missing))
    }
}

fn raw_row(line: usize, cells: &[String], map: &HashMap<usize, Col>) -> RawRow {
    let mut r =
        RawRow { line, id_number: String::new(), name: String::new(), phone: None, region_code: None, groups: None };
    for (i, cell) in cells.iter().enumerate() {
        let v = cell.trim();
        let opt = (!v.is_empty()).then(|| v.to_string());
        match map.get(&i) {
            Some(Col::IdNumber) => r.id_number = v.to_string(),
            Some(Col::Name) => r.name = v.to_string(),
            Some(Col::Phone) => r.phone = opt,
            Some(Col::Region) => r.region_code = opt,
            Some(Col::Groups) => r.groups = opt,
            None => {}
        }
    }
    r
}

/// Whether a file is valid UTF-8, read in chunks.
fn is_utf8(path: &Path) -> std::io::Result<bool> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(carry.is_empty());
        }
        carry.extend_from_slice(&buf[..n]);
        match std::str::from_utf8(&carry) {
            Ok(_) => carry.clear(),
            Err(e) if e.error_len().is_none() => carry = carry[e.valid_up_to()..].to_vec(),
            Err(_) => return Ok(false),
        }
    }
}

fn send(tx: &mpsc::Sender<Batch>, b: Batch) -> bool {
    tx.blocking_send(b).is_ok()
}

/// Where the line breaks of a text are, as it is read: `\n`, `\r\n` and a
/// lone `\r` each end one line (files from Excel on Windows use CRLF, old
/// Mac files CR), so a record's line number is the file's, also after
/// quoted cells that span lines.
#[derive(Default)]
struct LineBreaks {
    /// Breaks not yet passed by a record: (first byte, byte after).
    ahead: std::collections::VecDeque<(u64, u64)>,
    /// Breaks before the last record asked about.
    passed: usize,
    offset: u64,
    after_cr: bool,
}

impl LineBreaks {
    fn scan(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'\n' if self.after_cr => {
                    if let Some(last) = self.ahead.back_mut() {
                        last.1 = self.offset + 1;
                    }
                }
                b'\n' | b'\r' => self.ahead.push_back((self.offset, self.offset + 1)),
                _ => {}
            }
            self.after_cr = b == b'\r';
            self.offset += 1;
        }
    }

    /// The line (first = 1) of the record the reader places at `offset`;
    /// offsets asked about only grow. After blank lines the reader places
    /// a record at the first of them (for CRLF, at its `\n`): those breaks
    /// are passed too (no record starts with a line break).
    fn line_at(&mut self, mut offset: u64) -> usize {
        while let Some(&(start, end)) = self.ahead.front() {
            if end <= offset {
                self.passed += 1;
            } else if start <= offset {
                // At (or, for CRLF, inside) a break: the record starts after it.
                self.passed += 1;
                offset = end;
            } else {
                break;
            }
            self.ahead.pop_front();
        }
        self.passed + 1
    }
}

/// A reader that tells [`LineBreaks`] about every byte it hands on.
struct CountingLines<R> {
    inner: R,
    breaks: std::rc::Rc<std::cell::RefCell<LineBreaks>>,
}

impl<R: Read> Read for CountingLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.breaks.borrow_mut().scan(&buf[..n]);
        Ok(n)
    }
}

/// What a sheet reader is handed, row by row: the line in the file (header
/// = 1; an XLSX row's number) and the cells. The first row is the header;
/// blank data rows are skipped. `false` stops the reading.
pub type OnRow<'a> = dyn FnMut(usize, Vec<String>) -> Result<bool, ApiError> + 'a;

/// Read a CSV (UTF-8 or GBK) or XLSX (first sheet) file row by row.
pub fn each_row(path: &Path, on_row: &mut OnRow) -> Result<(), ApiError> {
    let mut magic = [0u8; 4];
    let is_xlsx = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .map(|_| magic == *b"PK\x03\x04")
        .unwrap_or(false);
    if is_xlsx {
        xlsx_rows(path, on_row)
    } else {
        csv_rows(path, on_row)
    }
}

/// A small sheet read whole (header first): at most `max_rows` data rows,
/// else 422 `too_many_rows`. For sheets other services take, such as the
/// console's bulk job publishing.
pub fn read_sheet(path: &Path, max_rows: usize) -> Result<Vec<(usize, Vec<String>)>, ApiError> {
    let mut rows = Vec::new();
    let mut over = false;
    each_row(path, &mut |line, cells| {
        if rows.len() > max_rows {
            over = true;
            return Ok(false);
        }
        rows.push((line, cells));
        Ok(true)
    })?;
    if over {
        return Err(ApiError::validation(vec![FieldError::new(
            "body",
            "too_many_rows",
            format!("最多 {max_rows} 行数据"),
        )]));
    }
    Ok(rows)
}

/// Read a department's list and hand it on in batches.
fn parse(path: &Path, tx: &mpsc::Sender<Batch>) -> Result<(), ApiError> {
    let mut header: Option<HashMap<usize, Col>> = None;
    let mut batch = Vec::with_capacity(BATCH);
    each_row(path, &mut |line, cells| {
        let Some(map) = &header else {
            let (map, ignored) = read_header(&cells)?;
            header = Some(map);
            return Ok(send(tx, Batch::Header(ignored)));
        };
        batch.push(raw_row(line, &cells, map));
        if batch.len() == BATCH && !send(tx, Batch::Rows(std::mem::take(&mut batch))) {
            return Ok(false);
        }
        Ok(true)
    })?;
    if !batch.is_empty() {
        send(tx, Batch::Rows(batch));
    }
    Ok(())
}

fn csv_rows(path: &Path, on_row: &mut OnRow) -> Result<(), ApiError> {
    let utf8 = is_utf8(path).map_err(anyhow::Error::from)?;
    let file = std::fs::File::open(path).map_err(anyhow::Error::from)?;
    let decoded: Box<dyn Read> = if utf8 {
        Box::new(BufReader::new(file))
    } else {
        // Files from other departments are often GBK (GB18030 is its superset).
        Box::new(encoding_rs_io::DecodeReaderBytesBuilder::new().encoding(Some(encoding_rs::GB18030)).build(file))
    };
    let breaks = std::rc::Rc::new(std::cell::RefCell::new(LineBreaks::default()));
    let reader = CountingLines { inner: decoded, breaks: breaks.clone() };
    let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(reader);
    let mut records = csv.records();
    match records.next() {
        Some(Ok(h)) => {
            if !on_row(1, h.iter().map(String::from).collect())? {
                return Ok(());
            }
        }
        Some(Err(e)) => return Err(ApiError::bad_request("bad_csv", format!("CSV 无法读取：{e}"))),
        None => return Err(ApiError::validation(vec![FieldError::new("header", "empty_file", "文件为空")])),
    };
    for rec in records {
        let rec = rec.map_err(|e| ApiError::bad_request("bad_csv", format!("CSV 无法读取：{e}")))?;
        let line = rec.position().map(|p| breaks.borrow_mut().line_at(p.byte())).unwrap_or(0);
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if !on_row(line, rec.iter().map(String::from).collect())? {
            return Ok(());
        }
    }
    Ok(())
}

/// Limits that keep a hostile workbook from exhausting memory: what its
/// parts may decompress to in all (a zip bomb), how many parts it may have,
/// and how many columns a sheet may use (a far cell must not make a reader
/// allocate the rectangle up to it).
const XLSX_MAX_UNPACKED_BYTES: u64 = 200 << 20;
const XLSX_MAX_PARTS: usize = 10_000;
const XLSX_MAX_COLUMNS: u32 = 256;
const XLSX_MAX_ROWS: u32 = 1_048_576;

fn too_large(code: &str, message: String) -> ApiError {
    ApiError::validation(vec![FieldError::new("body", code, message)])
}

/// Refuse a workbook whose parts decompress to more than the limit. The
/// sizes are measured by decompressing (the sizes a zip declares may lie).
fn check_unpacked_size(path: &Path) -> Result<(), ApiError> {
    let bad = |e: String| ApiError::bad_request("bad_xlsx", format!("XLSX 无法读取：{e}"));
    let file = std::fs::File::open(path).map_err(anyhow::Error::from)?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| bad(e.to_string()))?;
    if zip.len() > XLSX_MAX_PARTS {
        return Err(too_large("xlsx_too_many_parts", format!("XLSX 文件最多包含 {XLSX_MAX_PARTS} 个部件")));
    }
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|e| bad(e.to_string()))?;
        let left = XLSX_MAX_UNPACKED_BYTES - total;
        let n = std::io::copy(&mut (&mut part).take(left + 1), &mut std::io::sink()).map_err(|e| bad(e.to_string()))?;
        total += n;
        if total > XLSX_MAX_UNPACKED_BYTES {
            return Err(too_large(
                "xlsx_too_large",
                format!("XLSX 解压后不能超过 {} MB", XLSX_MAX_UNPACKED_BYTES >> 20),
            ));
        }
    }
    Ok(())
}

fn sheet_too_large() -> ApiError {
    too_large(
        "sheet_too_large",
        format!("工作表最多 {XLSX_MAX_COLUMNS} 列、{XLSX_MAX_ROWS} 行；请删除表格右侧或下方多余的单元格"),
    )
}

/// Read the first sheet cell by cell (never as a whole rectangle), row by row.
fn xlsx_rows(path: &Path, on_row: &mut OnRow) -> Result<(), ApiError> {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    check_unpacked_size(path)?;
    let bad = |e: String| ApiError::bad_request("bad_xlsx", format!("XLSX 无法读取：{e}"));
    let mut wb: Xlsx<_> = open_workbook(path).map_err(|e: calamine::XlsxError| bad(e.to_string()))?;
    let first = wb.sheet_names().into_iter().next().ok_or_else(|| bad("没有工作表".into()))?;
    let mut cells = wb.worksheet_cells_reader(&first).map_err(|e| bad(e.to_string()))?;
    let declared = cells.dimensions();
    if declared.end.1 >= XLSX_MAX_COLUMNS || declared.end.0 >= XLSX_MAX_ROWS {
        return Err(sheet_too_large());
    }
    let text = |c: Data| match c {
        // Long numbers typed as numbers: print them whole, not in exponent form.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        Data::Int(i) => i.to_string(),
        other => other.to_string(),
    };
    // (sheet row, cells by column) of the row being read.
    let mut current: Option<(u32, Vec<String>)> = None;
    let mut seen_header = false;
    let mut finish_row = |row: u32, cells: Vec<String>| -> Result<bool, ApiError> {
        if seen_header && cells.iter().all(|c| c.trim().is_empty()) {
            return Ok(true);
        }
        seen_header = true;
        on_row(row as usize + 1, cells)
    };
    loop {
        let cell = cells.next_cell().map_err(|e| bad(e.to_string()))?;
        let Some(cell) = cell else { break };
        let (row, col) = cell.get_position();
        if col >= XLSX_MAX_COLUMNS || row >= XLSX_MAX_ROWS {
            return Err(sheet_too_large());
        }
        if current.as_ref().is_some_and(|(r, _)| *r != row) {
            let (r, done) = current.take().unwrap_or_default();
            if !finish_row(r, done)? {
                return Ok(());
            }
        }
        let (_, row_cells) = current.get_or_insert_with(|| (row, Vec::new()));
        let col = col as usize;
        if row_cells.len() <= col {
            row_cells.resize(col + 1, String::new());
        }
        row_cells[col] = text(Data::from(cell.get_value().clone()));
    }
    if let Some((r, done)) = current.take() {
        if !finish_row(r, done)? {
            return Ok(());
        }
    }
    if !seen_header {
        return Err(ApiError::validation(vec![FieldError::new("header", "empty_file", "工作表为空")]));
    }
    Ok(())
}

/// Read `人员类别`: Chinese labels or codes, separated by 、 , ; | / or spaces.
fn parse_groups(raw: &str) -> Result<Vec<Group>, String> {
    let mut out = Vec::new();
    for label in to_half_width(raw).split(|c: char| "、,;|/ ，；".contains(c)).map(str::trim).filter(|s| !s.is_empty())
    {
        let g = match label {
            "低保" | "低保户" | "低保家庭" | "低边" | "低保边缘" | "低保边缘家庭" | "low_income_family" => {
                Group::LowIncomeFamily
            }
            "残疾" | "残疾人" | "持证残疾人" | "disabled" => Group::Disabled,
            "零就业" | "零就业家庭" | "zero_employment_family" => Group::ZeroEmploymentFamily,
            // Certification is a workflow, never an import.
            "就业困难人员" | "hardship_certified" => continue,
            other => return Err(format!("未知人员类别“{other}”")),
        };
        if !out.contains(&g) {
            out.push(g);
        }
    }
    Ok(out)
}

/// A checked row: what the list says.
struct Listed {
    id_number: String,
    input: PersonInput,
    phone: Option<String>,
    region_given: bool,
}

fn check_row(state: &AppState, r: &RawRow, default_group: Option<Group>) -> Result<Listed, String> {
    let mut errs = Errors::default();
    let today = state.today();
    let id = check_id_number(&r.id_number, "身份证号", today, &mut errs);
    let name = check_text("姓名", &r.name, 1, 50, &mut errs);
    let phone = r.phone.as_deref().and_then(|p| {
        let m = normalize_mobile(p);
        if m.is_none() {
            errs.add("手机号", "bad_phone", "手机号无效");
        }
        m
    });
    if let Some(code) = &r.region_code {
        check_home_region(code, "区划代码", &state.regions, &mut errs);
    }
    let mut groups = match r.groups.as_deref().map(parse_groups).transpose() {
        Ok(g) => g.unwrap_or_default(),
        Err(e) => {
            errs.add("人员类别", "unknown_group", e);
            Vec::new()
        }
    };
    if let Some(g) = default_group {
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    if !errs.is_empty() {
        return Err(errs.0.iter().map(|e| format!("{}：{}", e.field, e.message)).collect::<Vec<_>>().join("；"));
    }
    let (Some(id), Some(name)) = (id, name) else { return Err("无法读取".into()) };
    Ok(Listed {
        id_number: id.number.clone(),
        input: PersonInput {
            id,
            phone: phone.clone(),
            profile: PersonProfile {
                name,
                region_code: r.region_code.clone().unwrap_or_default(),
                address: None,
                groups,
                employment_status: EmploymentStatus::Unemployed,
                willingness: Willingness::Now,
                willingness_reason: None,
                service_needs: Vec::new(),
                skills: Vec::new(),
                certificates: Vec::new(),
                preferred_categories: Vec::new(),
                preferred_regions: Vec::new(),
                expected_pay: None,
                availability: Vec::new(),
                physical_limit: None,
                consent: Consent::default(),
                retirement_kind: None,
            },
        },
        phone,
        region_given: r.region_code.is_some(),
    })
}

/// Apply one checked row inside the batch transaction. The importer may
/// create people only inside its region (the caller checked the row's
/// region) and touch only existing people who live inside it.
async fn apply_row(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    caller: &Principal,
    row: usize,
    listed: Listed,
    actor: &Actor,
    report: &mut ImportReport,
) -> anyhow::Result<()> {
    let existing = store::find_by_id_number(&mut *conn, state, &listed.id_number).await?;
    let Some(existing) = existing else {
        if !listed.region_given {
            // Staff must not learn from this answer whether the number is
            // registered elsewhere in the city.
            report.invalid.push(if caller.role == Role::Admin {
                ImportInvalid::new(row, "invalid", "新登记人员须填写区划代码")
            } else {
                ImportInvalid::out_of_scope(row)
            });
            return Ok(());
        }
        if let Err(existing) = store::insert(conn, state, &listed.input, actor, state.today()).await? {
            // Only possible in a race with another writer: count it as seen.
            tracing::warn!(person_id = %existing, "person appeared during import");
            report.unchanged += 1;
        } else {
            report.created += 1;
        }
        return Ok(());
    };
    let current =
        store::get(&mut *conn, &existing).await?.ok_or_else(|| anyhow::anyhow!("person {existing} vanished"))?;
    if !caller.covers_region(state, &current.profile.region_code) {
        report.invalid.push(ImportInvalid::out_of_scope(row));
        return Ok(());
    }
    let mut profile = current.profile.clone();
    let mut phone_change: Option<Option<&str>> = None;
    let staff_set = |field: &str| current.field_sources.get(field).is_some_and(|s| s == "staff");
    let mut conflict = |field: &str, message: String| {
        report.conflicts.push(ImportConflict { row, field: field.into(), message });
    };
    let wanted = &listed.input.profile;
    if wanted.name != profile.name {
        if staff_set("name") {
            conflict("name", format!("工作人员已登记姓名“{}”，名单为“{}”：保留现值", profile.name, wanted.name));
        } else {
            profile.name = wanted.name.clone();
        }
    }
    if listed.region_given && wanted.region_code != profile.region_code {
        if staff_set("region_code") {
            conflict(
                "region_code",
                format!("工作人员已登记区划 {}，名单为 {}：保留现值", profile.region_code, wanted.region_code),
            );
        } else {
            profile.region_code = wanted.region_code.clone();
        }
    }
    if let Some(caller) = listed.phone.as_deref() {
        let current_phone = current.phone_cipher.as_deref().map(|c| state.vault.decrypt(c)).transpose()?;
        if current_phone.as_deref() != Some(caller) {
            if staff_set("phone") {
                conflict(
                    "phone",
                    format!(
                        "工作人员已登记手机号 {}，名单为 {}：保留现值",
                        current.phone_masked.clone().unwrap_or_default(),
                        store::mask_phone(caller)
                    ),
                );
            } else {
                phone_change = Some(Some(caller));
            }
        }
    }
    let missing: Vec<Group> = wanted.groups.iter().filter(|g| !profile.groups.contains(g)).copied().collect();
    if !missing.is_empty() {
        if staff_set("groups") {
            let names: Vec<&str> = missing.iter().map(|g| g.as_str()).collect();
            conflict("groups", format!("工作人员已修改人员类别，名单另有 {}：保留现值", names.join("、")));
        } else {
            profile.groups.extend(missing);
        }
    }
    match store::update(conn, state, &current, &profile, phone_change, actor).await? {
        Updated::Changed(..) => report.updated += 1,
        Updated::Unchanged => report.unchanged += 1,
        Updated::Stale => report.invalid.push(ImportInvalid::new(row, "busy", "该人员正被他人修改，请稍后重试")),
    }
    Ok(())
}

/// Removes the spooled file however the import ends.
pub struct Spool(pub PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Write the body to a new private file (0600 in a 0700 folder; removed by
/// [`Spool`] however the import ends, and swept at start after a crash).
pub async fn spool(req: Request, path: &Path, limit: usize) -> ApiResult<()> {
    if let Some(dir) = path.parent() {
        jobmatch_core::files::private_dir(dir).map_err(anyhow::Error::from)?;
    }
    let mut file = jobmatch_core::files::create_private(path).map_err(anyhow::Error::from)?;
    let mut stream = req.into_body().into_data_stream();
    let mut size = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::bad_request("body_read", "读取请求体失败"))?;
        size += chunk.len();
        if size > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        file.write_all(&chunk).map_err(anyhow::Error::from)?;
    }
    file.sync_all().map_err(anyhow::Error::from)?;
    if size == 0 {
        return Err(ApiError::validation(vec![FieldError::new("body", "empty_file", "文件为空")]));
    }
    Ok(())
}

/// Import a department's list of people.
///
/// The body is a CSV (`text/csv`, UTF-8 or GBK) or an XLSX workbook (first
/// sheet) whose header names columns in Chinese (`身份证号`, `姓名`, `手机号`,
/// `区划代码`, `人员类别`) or by the API's field names; `身份证号` and `姓名`
/// are required. Rows are matched by ID number; `row` in the answer is the
/// line in the file (header = 1).
#[utoipa::path(post, path = "/v1/persons/import", tag = "persons",
    params(("source" = String, Query, description = "civil_affairs | disabled_federation | unemployment_registry"),
           ("dry_run" = Option<bool>, Query)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 400, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
async fn import_persons(
    State(state): State<AppState>,
    caller: Principal,
    params: QueryParams,
    req: Request,
) -> ApiResult<Json<ImportReport>> {
    caller.require(&[Role::Admin, Role::Staff])?;
    let mut errs = Errors::default();
    params.deny_unknown(&["source", "dry_run"], &mut errs);
    let names: Vec<&str> = SOURCES.iter().map(|s| s.0).collect();
    let source = match params.one_of("source", &names, &mut errs) {
        Some(s) => Some(s),
        None if params.get("source").is_none() => {
            errs.add("source", "required", format!("必填：{}", names.join(", ")));
            None
        }
        None => None,
    };
    let dry_run = params.flag("dry_run", &mut errs);
    QueryParams::finish(errs)?;
    let source = source.unwrap_or_default();
    let default_group = SOURCES.iter().find(|s| s.0 == source).and_then(|s| s.1);
    let spool_path =
        Spool(jobmatch_core::files::spool_dir(&state.settings.data_dir).join(format!("{}.upload", new_id("import"))));
    spool(req, &spool_path.0, state.settings.person_import_max_bytes).await?;

    let (tx, mut rx) = mpsc::channel::<Batch>(4);
    let path = spool_path.0.clone();
    let parser = tokio::task::spawn_blocking(move || {
        let result = parse(&path, &tx);
        if let Err(e) = result {
            let _ = tx.blocking_send(Batch::Fatal(e));
        }
    });

    let actor = Actor::import(&caller, &source);
    let mut report = ImportReport { source: source.clone(), dry_run, ..ImportReport::default() };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut fatal = None;
    while let Some(batch) = rx.recv().await {
        let rows = match batch {
            Batch::Header(ignored) => {
                report.ignored_columns = ignored;
                continue;
            }
            Batch::Fatal(e) => {
                fatal = Some(e);
                break;
            }
            Batch::Rows(rows) => rows,
        };
        let mut txn = state.db.pool.begin().await?;
        for raw in rows {
            report.rows += 1;
            let listed = match check_row(&state, &raw, default_group) {
                Ok(l) => l,
                Err(message) => {
                    report.invalid.push(ImportInvalid::new(raw.line, "invalid", message));
                    continue;
                }
            };
            if let Some(first) = seen.get(&listed.id_number) {
                report.invalid.push(ImportInvalid::new(
                    raw.line,
                    "duplicate_row",
                    format!("身份证号与第 {first} 行重复"),
                ));
                continue;
            }
            seen.insert(listed.id_number.clone(), raw.line);
            if listed.region_given && !caller.covers_region(&state, &listed.input.profile.region_code) {
                report.invalid.push(ImportInvalid::new(raw.line, "out_of_scope", "区划不在本人负责的区域内"));
                continue;
            }
            apply_row(&mut txn, &state, &caller, raw.line, listed, &actor, &mut report).await?;
        }
        if dry_run {
            txn.rollback().await?;
        } else {
            txn.commit().await?;
        }
    }
    drop(rx);
    let _ = parser.await;
    if let Some(e) = fatal {
        if report.rows == 0 {
            return Err(e);
        }
        // A file broken part-way: what was read stands; say where it broke.
        let message = format!("文件在此处无法继续读取：{e}");
        report.invalid.push(ImportInvalid::new(report.rows + 2, "unreadable", message));
    }
    tracing::info!(
        source = %source, dry_run, rows = report.rows, created = report.created, updated = report.updated,
        conflicts = report.conflicts.len(), invalid = report.invalid.len(), "persons imported"
    );
    Ok(Json(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_labels_are_read_in_chinese_or_as_codes() {
        assert_eq!(parse_groups("低保、残疾人").unwrap(), [Group::LowIncomeFamily, Group::Disabled]);
        assert_eq!(
            parse_groups("zero_employment_family; 低边").unwrap(),
            [Group::ZeroEmploymentFamily, Group::LowIncomeFamily]
        );
        assert!(parse_groups("就业困难人员").unwrap().is_empty(), "certification is never imported");
        assert!(parse_groups("富人").is_err());
    }

    /// The line of each data record of `text` as the importer numbers it.
    fn lines_of(text: &str) -> Vec<usize> {
        let breaks = std::rc::Rc::new(std::cell::RefCell::new(LineBreaks::default()));
        let reader = CountingLines { inner: text.as_bytes(), breaks: breaks.clone() };
        let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(reader);
        csv.records().map(|r| breaks.borrow_mut().line_at(r.unwrap().position().unwrap().byte())).skip(1).collect()
    }

    #[test]
    fn rows_are_the_files_lines_whatever_the_line_ends() {
        for end in ["\n", "\r\n", "\r"] {
            // Line 3 holds a quoted cell that goes on to line 4.
            let text = ["身份证号,姓名,备注", "a,甲,", "b,乙,\"两行", "的备注\"", "c,丙,", ""].join(end);
            assert_eq!(lines_of(&text), [2, 3, 5], "line ends {end:?}");
            // Blank lines count: the reader places the next record at the
            // first of them.
            let text = ["身份证号,姓名", "a,甲", "", "", "b,乙", "", "c,丙", ""].join(end);
            assert_eq!(lines_of(&text), [2, 5, 7], "blank lines, line ends {end:?}");
        }
    }

    #[test]
    fn headers_need_the_id_number_and_name() {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (map, ignored) = read_header(&h(&["\u{feff}身份证号", "姓名", "备注"])).unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(ignored, ["备注"]);
        assert!(read_header(&h(&["姓名", "手机号"])).is_err());
    }
}
