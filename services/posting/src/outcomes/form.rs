//! The report as files staff send on: CSV (Chinese headers, UTF-8 with
//! BOM for Excel) and XLSX laid out like the bureau's form.

use super::report::{ProgressReport, COLUMNS};

pub fn csv_text(report: &ProgressReport, region_name: &str) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["单位代码".to_string(), "单位".to_string()];
    header.extend(COLUMNS.iter().map(|(_, h)| h.to_string()));
    w.write_record(&header)?;
    for r in &report.rows {
        let mut rec = vec![r.unit_code.clone(), r.unit_name.clone()];
        rec.extend(r.figures.values().iter().map(|v| v.to_string()));
        w.write_record(&rec)?;
    }
    let mut rec = vec![report.region.clone(), format!("{region_name}合计")];
    rec.extend(report.total.values().iter().map(|v| v.to_string()));
    w.write_record(&rec)?;
    let mut out = "\u{feff}".as_bytes().to_vec();
    out.extend(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?);
    Ok(out)
}

/// The workbook laid out like the bureau's form: title, unit and period,
/// two header rows with 帮扶成效 over columns 2–7, one row per unit, total.
pub fn xlsx(report: &ProgressReport, region_name: &str) -> anyhow::Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("进度表")?;
    let title = Format::new().set_bold().set_font_size(16).set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let bold = Format::new().set_bold().set_border(FormatBorder::Thin);
    let (y, m) = (&report.month[..4], report.month[5..].trim_start_matches('0'));
    ws.merge_range(0, 0, 0, 10, "困难群体就业帮扶工作进度表", &title)?;
    ws.merge_range(1, 0, 1, 5, &format!("填报单位：{region_name}"), &Format::new())?;
    ws.merge_range(1, 6, 1, 10, &format!("统计期间：{y}年{m}月"), &Format::new().set_align(FormatAlign::Right))?;
    ws.merge_range(2, 0, 3, 0, "单位", &head)?;
    ws.merge_range(2, 1, 3, 1, COLUMNS[0].1, &head)?;
    ws.merge_range(2, 2, 2, 7, "帮扶成效", &head)?;
    for (i, (_, h)) in COLUMNS.iter().enumerate().skip(1).take(6) {
        ws.write_string_with_format(3, (i + 1) as u16, *h, &head)?;
    }
    for (i, (_, h)) in COLUMNS.iter().enumerate().skip(7) {
        ws.merge_range(2, (i + 1) as u16, 3, (i + 1) as u16, h, &head)?;
    }
    ws.set_row_height(3, 48)?;
    ws.set_column_width(0, 26)?;
    for c in 1..=10u16 {
        ws.set_column_width(c, 14)?;
    }
    let mut row = 4u32;
    for r in &report.rows {
        ws.write_string_with_format(row, 0, &r.unit_name, &cell)?;
        for (i, v) in r.figures.values().iter().enumerate() {
            ws.write_number_with_format(row, (i + 1) as u16, *v as f64, &cell)?;
        }
        row += 1;
    }
    ws.write_string_with_format(row, 0, "合计", &bold)?;
    for (i, v) in report.total.values().iter().enumerate() {
        ws.write_number_with_format(row, (i + 1) as u16, *v as f64, &bold)?;
    }
    Ok(wb.save_to_buffer()?)
}
