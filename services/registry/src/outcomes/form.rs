//! The report as files staff send on: CSV (Chinese headers, UTF-8 with
//! BOM for Excel) and XLSX laid out like the bureau's form.

use super::columns::Column;
use super::report::ProgressReport;

pub fn csv_text(report: &ProgressReport, region_name: &str) -> anyhow::Result<Vec<u8>> {
    let mut w = jobmatch_core::sheet::CsvOut::new(Vec::new());
    let mut header = vec!["单位代码".to_string(), "单位".to_string()];
    header.extend(Column::ALL.iter().map(|c| c.header().to_string()));
    w.write_record(&header)?;
    for r in &report.rows {
        let mut rec = vec![r.unit_code.clone(), r.unit_name.clone()];
        rec.extend(r.figures.in_order().map(|(_, v)| v.to_string()));
        w.write_record(&rec)?;
    }
    let mut rec = vec![report.region.clone(), format!("{region_name}合计")];
    rec.extend(report.total.in_order().map(|(_, v)| v.to_string()));
    w.write_record(&rec)?;
    let mut out = "\u{feff}".as_bytes().to_vec();
    out.extend(w.into_inner()?);
    Ok(out)
}

/// The workbook laid out like the bureau's paper form, ready to print on
/// the 25th: title, 填报单位 and 统计期间, two header rows with 帮扶成效
/// over columns 2–7, a row numbering the columns 1–10, one row per unit,
/// the total, and a 填报人/审核人/填报日期 line. Landscape A4, one page
/// wide, the header rows repeated on every page.
pub fn xlsx(report: &ProgressReport, region_name: &str) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("进度表")?;
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin);
    let number = Format::new().set_align(FormatAlign::Center).set_border(FormatBorder::Thin);
    let cell = Format::new().set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter);
    let bold = Format::new().set_bold().set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter);
    let (y, m) = (&report.month[..4], report.month[5..].trim_start_matches('0'));
    let heading = if report.complete {
        "困难群体就业帮扶工作进度表".to_string()
    } else {
        "困难群体就业帮扶工作进度表（本月尚未结束，数据截至今日）".to_string()
    };
    // The sheet's last column: the unit's name is column 0, then one per figure.
    let last = Column::ALL.len() as u16;
    ws.merge_range(0, 0, 0, last, &heading, &title)?;
    ws.set_row_height(0, 32)?;
    ws.merge_range(1, 0, 1, 5, &format!("填报单位：{region_name}"), &Format::new())?;
    // The calendar month, or the days the policy's period gives.
    let period = if report.period_from.ends_with("-01") {
        format!("统计期间：{y}年{m}月")
    } else {
        format!("统计期间：{} 至 {}", report.period_from, report.period_to)
    };
    ws.merge_range(1, 6, 1, last, &period, &Format::new().set_align(FormatAlign::Right))?;
    ws.set_row_height(1, 20)?;
    ws.merge_range(2, 0, 3, 0, "单位", &head)?;
    // A column under 帮扶成效 has its header on the second row; the others
    // span both rows.
    let outcome: Vec<u16> = Column::ALL.iter().filter(|c| c.is_outcome()).map(|c| c.number() as u16).collect();
    if let (Some(first), Some(last)) = (outcome.first(), outcome.last()) {
        ws.merge_range(2, *first, 2, *last, "帮扶成效", &head)?;
    }
    for column in Column::ALL {
        let at = column.number() as u16;
        if column.is_outcome() {
            ws.write_string_with_format(3, at, column.header(), &head)?;
        } else {
            ws.merge_range(2, at, 3, at, column.header(), &head)?;
        }
    }
    ws.set_row_height(2, 22)?;
    ws.set_row_height(3, 58)?;
    // The form numbers its columns, so figures can be quoted as 第 N 栏.
    ws.write_string_with_format(NUMBER_ROW, 0, "栏次", &number)?;
    for column in Column::ALL {
        let at = column.number() as u16;
        ws.write_number_with_format(NUMBER_ROW, at, column.number() as f64, &number)?;
        ws.set_column_width(at, 12.5)?;
    }
    ws.set_column_width(0, 30)?;
    let mut row = FIRST_UNIT_ROW;
    for r in &report.rows {
        ws.set_row_height(row, 21)?;
        ws.write_string_with_format(row, 0, &r.unit_name, &cell)?;
        for (column, figure) in r.figures.in_order() {
            ws.write_number_with_format(row, column.number() as u16, figure as f64, &cell)?;
        }
        row += 1;
    }
    ws.set_row_height(row, 21)?;
    ws.write_string_with_format(row, 0, "合计", &bold)?;
    for (column, figure) in report.total.in_order() {
        ws.write_number_with_format(row, column.number() as u16, figure as f64, &bold)?;
    }
    row += 2;
    ws.merge_range(row, 0, row, 3, "填报人：", &Format::new())?;
    ws.merge_range(row, 4, row, 7, "审核人：", &Format::new())?;
    ws.merge_range(row, 8, row, last, "填报日期：    年  月  日", &Format::new())?;
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_margins(0.5, 0.5, 0.6, 0.6, 0.3, 0.3);
    ws.set_repeat_rows(0, NUMBER_ROW)?;
    Ok(wb.save_to_buffer()?)
}

/// The row numbering the columns, and the first unit's row (0-based).
pub const NUMBER_ROW: u32 = 4;
pub const FIRST_UNIT_ROW: u32 = 5;
