//! CSV files people open in a spreadsheet. A cell that begins with `=`, `+`,
//! `-`, `@`, a tab or a carriage return is read by Excel, WPS and
//! LibreOffice as a formula, so a name or a voucher number typed by
//! someone else could run one (`=HYPERLINK(…)`) on the finance clerk's
//! machine. Every CSV the service writes goes through [`CsvOut`], which
//! writes such a cell with a leading apostrophe (OWASP's rule for CSV
//! injection); a plain number such as `-565.50` stays a number.

use std::borrow::Cow;
use std::io::Write;

/// `cell` as it may stand in a CSV file: neutralised when a spreadsheet
/// would take it for a formula.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// `-12`, `+3.50`: a sign, digits, at most one point with digits after it.
fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// A CSV writer whose every cell is [`neutralise`]d.
pub struct CsvOut<W: Write>(csv::Writer<W>);

impl<W: Write> CsvOut<W> {
    pub fn new(out: W) -> CsvOut<W> {
        CsvOut(csv::Writer::from_writer(out))
    }

    /// Write one record, each cell neutralised.
    pub fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let cells: Vec<String> = record.into_iter().map(|c| neutralise(c.as_ref()).into_owned()).collect();
        self.0.write_record(&cells)
    }

    /// Flush and hand back the output.
    pub fn into_inner(self) -> anyhow::Result<W> {
        self.0.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for (cell, written) in [
            ("=HYPERLINK(\"http://x\",\"点我\")", "'=HYPERLINK(\"http://x\",\"点我\")"),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\rcmd", "'\rcmd"),
            ("-", "'-"),
            ("-565.50", "-565.50"),
            ("+86", "+86"),
            ("1131.00", "1131.00"),
            ("王小国", "王小国"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), written, "{cell:?}");
        }
    }

    #[test]
    fn the_writer_neutralises_every_cell() {
        let mut w = CsvOut::new(Vec::new());
        w.write_record(["=1+1", "-3.5", "ok"]).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text, "'=1+1,-3.5,ok\n");
    }
}
