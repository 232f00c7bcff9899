//! Money as whole fen (1/100 yuan): read from what departments type, shown
//! with two decimals. Never floating point in a sum.

/// Yuan as typed (`1234.5`, `1,234.50`, `￥1234`, `-3`) → fen; more than two
/// decimals is refused unless they are zeros or the float noise of a
/// spreadsheet cell (`12.340000000001`).
pub fn parse_fen(raw: &str) -> Option<i64> {
    let s: String = raw.trim().trim_start_matches(['¥', '￥']).replace([',', '，'], "");
    let s = s.trim_end_matches('元');
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || whole.len() > 12 || !whole.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let cents = if frac.len() <= 2 || frac[2..].chars().all(|c| c == '0') {
        format!("{:0<2}", &frac[..frac.len().min(2)]).parse::<i64>().ok()?
    } else {
        // A spreadsheet's binary float: accept only when it is two decimals.
        let x: f64 = format!("0.{frac}").parse().ok()?;
        let c = (x * 100.0).round();
        if (x * 100.0 - c).abs() > 1e-6 {
            return None;
        }
        c as i64
    };
    let v = whole.parse::<i64>().ok()? * 100 + cents;
    Some(if neg { -v } else { v })
}

/// An annual rate as typed (`3.45`, `3.45%`, `0.0345`) → millionths (34500).
pub fn parse_rate_ppm(raw: &str) -> Option<i64> {
    let s = raw.trim();
    let (s, percent) = match s.strip_suffix(['%', '％']) {
        Some(rest) => (rest.trim(), true),
        None => (s, false),
    };
    let x: f64 = s.parse().ok()?;
    if !x.is_finite() || x < 0.0 {
        return None;
    }
    // Without a sign, a figure below 1 is a fraction (0.0345), else percent.
    let fraction = if percent || x >= 1.0 { x / 100.0 } else { x };
    Some((fraction * 1_000_000.0).round() as i64)
}

/// Fen as yuan with two decimals: `123456` → `1234.56`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

/// `amount × numerator / denominator`, rounded half up to the fen.
pub fn share(amount: i64, numerator: i64, denominator: i64) -> i64 {
    let n = amount as i128 * numerator as i128;
    let d = denominator as i128;
    ((2 * n + d) / (2 * d)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_exactly() {
        assert_eq!(parse_fen("1234.5"), Some(123450));
        assert_eq!(parse_fen("1,234.56"), Some(123456));
        assert_eq!(parse_fen("￥12"), Some(1200));
        assert_eq!(parse_fen("12.340000000001"), Some(1234));
        assert_eq!(parse_fen("12.3400"), Some(1234));
        assert_eq!(parse_fen("-3"), Some(-300));
        assert_eq!(parse_fen("1.234"), None);
        assert_eq!(parse_fen("abc"), None);
        assert_eq!(parse_fen(""), None);
        assert_eq!(parse_fen(".5"), None);
    }

    #[test]
    fn rates_and_shares() {
        assert_eq!(parse_rate_ppm("3.45"), Some(34500));
        assert_eq!(parse_rate_ppm("3.45%"), Some(34500));
        assert_eq!(parse_rate_ppm("0.0345"), Some(34500));
        assert_eq!(parse_rate_ppm("x"), None);
        assert_eq!(yuan(123456), "1234.56");
        assert_eq!(yuan(-5), "-0.05");
        assert_eq!(share(100, 2, 3), 67);
        assert_eq!(share(99, 2, 3), 66);
        assert_eq!(share(1, 1, 2), 1);
    }
}
