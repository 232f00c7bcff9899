//! Working days (工作日) as the State Council's holiday notices make them:
//! Monday–Friday, less public holidays, plus the weekend days worked in
//! exchange (调休). The calendar is data in the store (`calendar_years`),
//! kept by the bureau's admin (`PUT /v1/calendar/{year}`) without a
//! restart and read by every replica; the shipped file
//! (`schemas/seed/calendar-cn.toml`, or `JOBMATCH_CALENDAR_FILE`) seeds the
//! years the store does not have yet. A date in a year it does not list is
//! unknown, never guessed.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

use crate::vocab::ConfigFileError;

pub const EMBEDDED: &str = include_str!("../../../schemas/seed/calendar-cn.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    year: Vec<YearFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    holidays: Vec<String>,
    workdays: Vec<String>,
    /// The notice the year comes from.
    source: Option<String>,
}

/// One year of the calendar as the bureau keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarYear {
    pub year: i32,
    /// Public holidays (法定节假日 and the days taken with them).
    pub holidays: Vec<NaiveDate>,
    /// Weekend days worked in exchange (调休上班).
    pub working_days: Vec<NaiveDate>,
    /// The notice it comes from (国办发明电〔…〕…号).
    pub source: String,
}

/// The years the calendar may hold.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

impl CalendarYear {
    /// What is wrong with this year, as (field, code, message); empty when
    /// nothing is. One check for the shipped file and the API.
    pub fn problems(&self) -> Vec<(String, &'static str, String)> {
        let mut out = Vec::new();
        if !YEARS.contains(&self.year) {
            out.push(("year".into(), "out_of_range", format!("年份须在 {} 至 {} 之间", YEARS.start(), YEARS.end())));
        }
        for (field, list, weekend_only) in
            [("holidays", &self.holidays, false), ("working_days", &self.working_days, true)]
        {
            let mut seen = HashSet::new();
            for (i, day) in list.iter().enumerate() {
                let at = format!("{field}[{i}]");
                if day.year() != self.year {
                    out.push((at, "wrong_year", format!("{day} 不在 {} 年", self.year)));
                } else if weekend_only && !is_weekend(*day) {
                    out.push((at, "not_weekend", format!("{day} 不是周六或周日：调休上班日只能是周末")));
                } else if !seen.insert(*day) {
                    out.push((at, "duplicate", format!("{day} 重复")));
                }
            }
        }
        for (i, day) in self.working_days.iter().enumerate() {
            if self.holidays.contains(day) {
                out.push((format!("working_days[{i}]"), "also_holiday", format!("{day} 同时列为放假日和上班日")));
            }
        }
        out
    }
}

/// A date the calendar does not know (its year is not listed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotCovered(pub i32);

#[derive(Clone, Debug, Default)]
pub struct Calendar {
    years: BTreeSet<i32>,
    holidays: HashSet<NaiveDate>,
    workdays: HashSet<NaiveDate>,
}

impl Calendar {
    /// The embedded calendar, or the file at `path`.
    pub fn load(path: Option<&Path>) -> Result<Calendar, ConfigFileError> {
        let (name, text) = crate::vocab::read_config(path, "calendar-cn.toml", EMBEDDED)?;
        Calendar::parse(&name, &text)
    }

    pub fn parse(name: &str, text: &str) -> Result<Calendar, ConfigFileError> {
        Ok(Calendar::from_years(&Calendar::parse_years(name, text)?))
    }

    /// The years of a calendar file, each checked.
    pub fn parse_years(name: &str, text: &str) -> Result<Vec<CalendarYear>, ConfigFileError> {
        let file: File = crate::vocab::parse(name, text)?;
        let bad = |message: String| ConfigFileError { file: name.to_string(), line: 1, message };
        if file.version != 1 {
            return Err(bad(format!("unsupported version {}", file.version)));
        }
        let mut years = Vec::new();
        let mut seen = BTreeSet::new();
        for y in &file.year {
            if !seen.insert(y.year) {
                return Err(bad(format!("year {} is listed twice", y.year)));
            }
            let dates = |list: &[String]| -> Result<Vec<NaiveDate>, ConfigFileError> {
                list.iter()
                    .map(|d| {
                        NaiveDate::parse_from_str(d, "%Y-%m-%d")
                            .map_err(|_| bad(format!("{d} in year {} is not a YYYY-MM-DD date", y.year)))
                    })
                    .collect()
            };
            let year = CalendarYear {
                year: y.year,
                holidays: dates(&y.holidays)?,
                working_days: dates(&y.workdays)?,
                source: y.source.clone().unwrap_or_else(|| "国务院办公厅关于部分节假日安排的通知".into()),
            };
            if let Some((field, _, message)) = year.problems().into_iter().next() {
                return Err(bad(format!("year {}: {field}: {message}", y.year)));
            }
            years.push(year);
        }
        Ok(years)
    }

    /// The calendar of `years` (each checked by [`CalendarYear::problems`]).
    pub fn from_years(years: &[CalendarYear]) -> Calendar {
        let mut cal = Calendar::default();
        for y in years {
            cal.years.insert(y.year);
            cal.holidays.extend(y.holidays.iter().copied());
            cal.workdays.extend(y.working_days.iter().copied());
        }
        cal
    }

    /// The last day known without a gap from `today`'s year on (31
    /// December of the last year of the run), or None when `today`'s year
    /// itself is missing.
    pub fn covered_until(&self, today: NaiveDate) -> Option<NaiveDate> {
        let mut year = today.year();
        if !self.years.contains(&year) {
            return None;
        }
        while self.years.contains(&(year + 1)) {
            year += 1;
        }
        NaiveDate::from_ymd_opt(year, 12, 31)
    }

    /// Whether staff work on `day`.
    pub fn is_working_day(&self, day: NaiveDate) -> Result<bool, NotCovered> {
        if !self.years.contains(&day.year()) {
            return Err(NotCovered(day.year()));
        }
        Ok(self.workdays.contains(&day) || (!is_weekend(day) && !self.holidays.contains(&day)))
    }

    /// The last day of a period of `n` working days (n ≥ 1) beginning on
    /// `start` on the entered years alone (`start` counts when it is a
    /// working day): the first year not entered is [`NotCovered`].
    pub fn end_of_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, NotCovered> {
        let (end, _) = self.end_of_working_days_provisional(start, n)?;
        match (start.year()..=end.year()).find(|y| !self.years.contains(y)) {
            Some(year) => Err(NotCovered(year)),
            None => Ok(end),
        }
    }

    /// Whether staff work on `day`, provisionally for a year not entered
    /// yet ([`provisional_days_off`], worked out once per year into `off`),
    /// and whether the answer is provisional; [`NotCovered`] when not even
    /// that can be said (a year the lunar and solar-term tables do not reach).
    fn working_or_provisional(
        &self,
        day: NaiveDate,
        off: &mut Option<(i32, HashSet<NaiveDate>)>,
    ) -> Result<(bool, bool), NotCovered> {
        match self.is_working_day(day) {
            Ok(w) => Ok((w, false)),
            Err(NotCovered(year)) => {
                if off.as_ref().is_none_or(|(y, _)| *y != year) {
                    *off = Some((year, provisional_days_off(year).ok_or(NotCovered(year))?));
                }
                let days = off.as_ref().map(|(_, days)| days);
                Ok((!is_weekend(day) && !days.is_some_and(|d| d.contains(&day)), true))
            }
        }
    }

    /// The last day of `n` working days (n ≥ 1) from `start` (`start` counts
    /// when it is a working day), counting a year not entered yet by the
    /// provisional rule: the day, and whether it is provisional (暂定).
    pub fn end_of_working_days_provisional(&self, start: NaiveDate, n: u32) -> Result<(NaiveDate, bool), NotCovered> {
        let (mut day, mut off) = (start, None);
        let (mut counted, mut provisional) = (0, false);
        loop {
            let (working, guess) = self.working_or_provisional(day, &mut off)?;
            provisional |= guess;
            if working {
                counted += 1;
                if counted >= n.max(1) {
                    return Ok((day, provisional));
                }
            }
            day = day.succ_opt().ok_or(NotCovered(day.year()))?;
        }
    }

    /// Working days from `start` to `end` (both included), provisionally
    /// for a year not entered: the count, and whether it is provisional.
    pub fn working_days_between_provisional(
        &self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<(u32, bool), NotCovered> {
        let (mut n, mut provisional, mut day, mut off) = (0, false, start, None);
        while day <= end {
            let (working, guess) = self.working_or_provisional(day, &mut off)?;
            n += u32::from(working);
            provisional |= guess;
            day = day.succ_opt().ok_or(NotCovered(day.year()))?;
        }
        Ok((n, provisional))
    }

    /// The first working day after `day`, provisionally for a year not entered.
    pub fn next_working_day_provisional(&self, day: NaiveDate) -> Result<(NaiveDate, bool), NotCovered> {
        self.end_of_working_days_provisional(day.succ_opt().ok_or(NotCovered(day.year()))?, 1)
    }

    /// Whether every day from `start` to `end` lies in an entered year.
    pub fn covers(&self, start: NaiveDate, end: NaiveDate) -> bool {
        (start.year()..=end.year()).all(|y| self.years.contains(&y))
    }
}

/// The public holidays of 《全国年节及纪念日放假办法》 (2024 revision) in
/// `year`, from the lunar and solar-term tables (1900–2039).
pub fn statutory_holidays(year: i32) -> Option<Vec<NaiveDate>> {
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d);
    // The day of `year` that is lunar month `m`, day `d` of the lunar year
    // beginning in it (正月初一, 端午 and 中秋 all fall in the same Gregorian
    // year). Found from the Gregorian side: the crate's `to_gregorian`
    // writes a debugging line to stderr on every call.
    let lunar = |m: u8, d: u8| {
        let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
        first.iter_days().take_while(|day| day.year() == year).find(|day| {
            nongli::ChineseDate::from_gregorian(day)
                .is_some_and(|c| c.year() == year && c.month() == m && !c.leap() && c.day() == d)
        })
    };
    let new_year = lunar(1, 1)?;
    let mut holidays = vec![ymd(1, 1)?, new_year.pred_opt()?, new_year, new_year.succ_opt()?];
    holidays.push(new_year + chrono::Duration::days(2));
    let qingming = (3..=6)
        .filter_map(|d| ymd(4, d))
        .find(|d| nongli::SolarTerm::from_date(d) == Some(nongli::SolarTerm::Qingming))?;
    holidays.extend([qingming, ymd(5, 1)?, ymd(5, 2)?, lunar(5, 5)?, lunar(8, 15)?]);
    holidays.extend([ymd(10, 1)?, ymd(10, 2)?, ymd(10, 3)?]);
    Some(holidays)
}

/// The days of `year` a provisional calendar takes as not worked, for a year
/// whose notice is not entered yet: the public holidays of 《全国年节及纪念日
/// 放假办法》 as revised in 2024 (国务院令第795号, from 2025-01-01) — 元旦
/// (1 January), 春节 (除夕 to 正月初三, four days), 清明节 (the day of the
/// solar term), 劳动节 (1–2 May), 端午节 (五月初五), 中秋节 (八月十五), 国庆节
/// (1–3 October) — and every weekday next to one of them (the notices
/// usually bridge a holiday to the weekend with a day taken there). Nothing
/// of the year's own notice is guessed beyond that; `None` for a year the
/// lunar and solar-term tables do not reach.
pub fn provisional_days_off(year: i32) -> Option<HashSet<NaiveDate>> {
    let holidays = statutory_holidays(year)?;
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d);
    let mut off: HashSet<NaiveDate> = holidays.iter().copied().collect();
    for h in &holidays {
        for next in [h.pred_opt(), h.succ_opt()].into_iter().flatten() {
            if !is_weekend(next) {
                off.insert(next);
            }
        }
    }
    // 31 December is next to the next year's 元旦.
    let eve = ymd(12, 31)?;
    if !is_weekend(eve) {
        off.insert(eve);
    }
    off.retain(|d| d.year() == year);
    Some(off)
}

/// A year as stored, with who set it and when.
#[derive(Clone, Debug)]
pub struct StoredYear {
    pub year: CalendarYear,
    /// The key or account that set it; None when the shipped file seeded it.
    pub updated_by: Option<String>,
    pub updated_at: String,
}

type YearRow = (i64, String, String, String, Option<String>, String);

fn dates_of(json: &str) -> Vec<NaiveDate> {
    serde_json::from_str::<Vec<String>>(json)
        .unwrap_or_default()
        .iter()
        .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .collect()
}

fn dates_json(days: &[NaiveDate]) -> String {
    let mut days: Vec<String> = days.iter().map(|d| d.to_string()).collect();
    days.sort();
    serde_json::to_string(&days).unwrap_or_else(|_| "[]".into())
}

/// Every year in the store, in order.
pub async fn stored_years(pool: &sqlx::AnyPool) -> Result<Vec<StoredYear>, sqlx::Error> {
    let rows: Vec<YearRow> = sqlx::query_as(
        "SELECT year, holidays, working_days, source, updated_by, updated_at FROM calendar_years ORDER BY year",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(year, holidays, working_days, source, updated_by, updated_at)| StoredYear {
            year: CalendarYear {
                year: year as i32,
                holidays: dates_of(&holidays),
                working_days: dates_of(&working_days),
                source,
            },
            updated_by,
            updated_at,
        })
        .collect())
}

/// The calendar as the store holds it now (every replica reads the same).
pub async fn load_stored(pool: &sqlx::AnyPool) -> Result<Calendar, sqlx::Error> {
    let years: Vec<CalendarYear> = stored_years(pool).await?.into_iter().map(|y| y.year).collect();
    Ok(Calendar::from_years(&years))
}

/// Store the shipped years the store does not have (a year the bureau set
/// is never overwritten by a file).
pub async fn seed(pool: &sqlx::AnyPool, years: &[CalendarYear]) -> Result<(), sqlx::Error> {
    for y in years {
        sqlx::query(
            "INSERT INTO calendar_years (year, holidays, working_days, source, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, NULL, $5) ON CONFLICT (year) DO NOTHING",
        )
        .bind(i64::from(y.year))
        .bind(dates_json(&y.holidays))
        .bind(dates_json(&y.working_days))
        .bind(&y.source)
        .bind(crate::time::to_text(chrono::Utc::now()))
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Set one year (checked by the caller); whether it is new.
pub async fn put_year(pool: &sqlx::AnyPool, y: &CalendarYear, by: &str, now: &str) -> Result<bool, sqlx::Error> {
    let existed: Option<i64> = sqlx::query_scalar("SELECT year FROM calendar_years WHERE year = $1")
        .bind(i64::from(y.year))
        .fetch_optional(pool)
        .await?;
    sqlx::query(
        "INSERT INTO calendar_years (year, holidays, working_days, source, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (year) DO UPDATE SET holidays = $2, working_days = $3, source = $4, updated_by = $5, updated_at = $6",
    )
    .bind(i64::from(y.year))
    .bind(dates_json(&y.holidays))
    .bind(dates_json(&y.working_days))
    .bind(&y.source)
    .bind(by)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(existed.is_none())
}

/// Days before `covered_until` from which staff are warned to add the
/// next year.
pub const WARN_DAYS: i64 = 60;

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn holidays_and_weekends_do_not_count_and_make_up_saturdays_do() {
        let cal = Calendar::load(None).unwrap();
        // National Day 2026: 1–7 October off, Saturday 10 October worked.
        assert!(!cal.is_working_day(d("2026-10-05")).unwrap());
        assert!(cal.is_working_day(d("2026-10-10")).unwrap());
        assert!(!cal.is_working_day(d("2026-10-11")).unwrap());
        assert!(cal.is_working_day(d("2026-10-12")).unwrap());
        // Five working days from Wednesday 30 September: 30 Sep, 8, 9, 10 (Sat), 12 Oct.
        assert_eq!(cal.end_of_working_days(d("2026-09-30"), 5).unwrap(), d("2026-10-12"));
        assert_eq!(cal.next_working_day_provisional(d("2026-10-12")).unwrap(), (d("2026-10-13"), false));
        assert_eq!(cal.working_days_between_provisional(d("2026-09-30"), d("2026-10-12")).unwrap(), (5, false));
        // A start on a holiday counts from the next working day.
        assert_eq!(cal.end_of_working_days(d("2026-10-01"), 1).unwrap(), d("2026-10-08"));
        // An ordinary week.
        assert_eq!(cal.end_of_working_days(d("2026-11-06"), 5).unwrap(), d("2026-11-12"));
    }

    #[test]
    fn an_unlisted_year_is_unknown_and_bad_files_are_refused() {
        let cal = Calendar::load(None).unwrap();
        assert_eq!(cal.is_working_day(d("2031-03-03")), Err(NotCovered(2031)));
        assert_eq!(cal.end_of_working_days(d("2026-12-28"), 10), Err(NotCovered(2027)));
        let twice = "version = 1\n[[year]]\nyear = 2026\nholidays = []\nworkdays = []\n[[year]]\nyear = 2026\nholidays = []\nworkdays = []\n";
        assert!(Calendar::parse("t", twice).unwrap_err().message.contains("twice"));
        let weekday = "version = 1\n[[year]]\nyear = 2026\nholidays = []\nworkdays = [\"2026-10-12\"]\n";
        assert!(Calendar::parse("t", weekday).unwrap_err().message.contains("不是周六或周日"));
        let wrong_year = "version = 1\n[[year]]\nyear = 2026\nholidays = [\"2025-10-01\"]\nworkdays = []\n";
        assert!(Calendar::parse("t", wrong_year).is_err());
        let both = "version = 1\n[[year]]\nyear = 2026\nholidays = [\"2026-10-10\"]\nworkdays = [\"2026-10-10\"]\n";
        assert!(Calendar::parse("t", both).unwrap_err().message.contains("同时"));
    }

    #[test]
    fn the_provisional_holidays_are_the_statutory_ones_of_the_notices() {
        // The notices of 2025 and 2026 (shipped) take every statutory day
        // of the 2024 放假办法 off: computed from the lunar and solar-term
        // tables, each is a holiday there.
        let cal = Calendar::parse("calendar-cn.toml", EMBEDDED).unwrap();
        for year in [2025, 2026] {
            let days = statutory_holidays(year).unwrap();
            assert_eq!(days.len(), 13, "{year}: {days:?}");
            for day in days {
                assert!(!cal.is_working_day(day).unwrap(), "{day}: a holiday in the {year} notice");
            }
        }
        let off = provisional_days_off(2027).unwrap();
        let d = |m, day| NaiveDate::from_ymd_opt(2027, m, day).unwrap();
        // 春节 2027: 正月初一 on 6 February (a Saturday): 除夕 5 Feb to 初三 8 Feb,
        // the Tuesday after next to it; 清明 5 April; 端午 9 June; 中秋 15 September.
        for day in [d(1, 1), d(2, 5), d(2, 8), d(2, 9), d(4, 5), d(5, 3), d(6, 9), d(9, 15), d(10, 1), d(10, 4)] {
            assert!(off.contains(&day), "{day} is off");
        }
        for day in [d(2, 10), d(4, 7), d(6, 7), d(9, 13), d(10, 6)] {
            assert!(!off.contains(&day), "{day} is worked");
        }
        // A 公示 of five working days from Wednesday 29 September 2027 on
        // the provisional calendar: 29 September; the 30th (next to 1
        // October) to Monday 4 October off; then 5–8 October.
        let cal = Calendar::from_years(&[]);
        assert_eq!(cal.end_of_working_days_provisional(d(9, 29), 5).unwrap(), (d(10, 8), true));
        // An entered year is counted as entered, not provisionally.
        let shipped = Calendar::parse("calendar-cn.toml", EMBEDDED).unwrap();
        let start = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
        assert_eq!(
            shipped.end_of_working_days_provisional(start, 5).unwrap(),
            (NaiveDate::from_ymd_opt(2026, 10, 12).unwrap(), false)
        );
    }

    #[test]
    fn covered_until_is_the_end_of_the_run_of_years_from_today() {
        let cal = Calendar::load(None).unwrap();
        assert_eq!(cal.covered_until(d("2026-12-08")), Some(d("2026-12-31")));
        assert_eq!(cal.covered_until(d("2024-03-01")), Some(d("2026-12-31")));
        assert_eq!(cal.covered_until(d("2027-01-04")), None);
        let mut years = Calendar::parse_years("t", super::EMBEDDED).unwrap();
        years.push(CalendarYear { year: 2028, holidays: vec![], working_days: vec![], source: "x".into() });
        assert_eq!(Calendar::from_years(&years).covered_until(d("2026-12-08")), Some(d("2026-12-31")), "2027 missing");
    }
}
