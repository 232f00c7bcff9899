//! Working days (工作日) as the State Council's holiday notices make them:
//! Monday–Friday, less public holidays, plus the weekend days worked in
//! exchange (调休). The calendar is data (`schemas/seed/calendar-cn.toml`,
//! or `JOBMATCH_CALENDAR_FILE`); a date in a year it does not list is
//! unknown, never guessed.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

use crate::vocab::ConfigFileError;

const EMBEDDED: &str = include_str!("../../../schemas/seed/calendar-cn.toml");

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
        let file: File = crate::vocab::parse(name, text)?;
        let bad = |message: String| ConfigFileError { file: name.to_string(), line: 1, message };
        if file.version != 1 {
            return Err(bad(format!("unsupported version {}", file.version)));
        }
        let mut cal = Calendar::default();
        for y in &file.year {
            if !cal.years.insert(y.year) {
                return Err(bad(format!("year {} is listed twice", y.year)));
            }
            for (list, weekend_expected, into) in
                [(&y.holidays, false, &mut cal.holidays), (&y.workdays, true, &mut cal.workdays)]
            {
                for d in list {
                    let day = NaiveDate::parse_from_str(d, "%Y-%m-%d")
                        .map_err(|_| bad(format!("{d} in year {} is not a YYYY-MM-DD date", y.year)))?;
                    if day.year() != y.year {
                        return Err(bad(format!("{d} is listed under year {}", y.year)));
                    }
                    if weekend_expected && !is_weekend(day) {
                        return Err(bad(format!("{d} is a make-up working day but not a weekend day")));
                    }
                    into.insert(day);
                }
            }
        }
        if let Some(d) = cal.holidays.intersection(&cal.workdays).next() {
            return Err(bad(format!("{d} is both a holiday and a working day")));
        }
        Ok(cal)
    }

    /// Whether staff work on `day`.
    pub fn is_working_day(&self, day: NaiveDate) -> Result<bool, NotCovered> {
        if !self.years.contains(&day.year()) {
            return Err(NotCovered(day.year()));
        }
        Ok(self.workdays.contains(&day) || (!is_weekend(day) && !self.holidays.contains(&day)))
    }

    /// The last day of a period of `n` working days (n ≥ 1) beginning on
    /// `start`: `start` counts when it is a working day.
    pub fn end_of_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, NotCovered> {
        let mut day = start;
        let mut counted = 0;
        loop {
            if self.is_working_day(day)? {
                counted += 1;
                if counted >= n.max(1) {
                    return Ok(day);
                }
            }
            day = day.succ_opt().ok_or(NotCovered(day.year()))?;
        }
    }

    /// The first working day after `day`.
    pub fn next_working_day(&self, day: NaiveDate) -> Result<NaiveDate, NotCovered> {
        self.end_of_working_days(day.succ_opt().ok_or(NotCovered(day.year()))?, 1)
    }

    /// Working days from `start` to `end`, both included.
    pub fn working_days_between(&self, start: NaiveDate, end: NaiveDate) -> Result<u32, NotCovered> {
        let mut n = 0;
        let mut day = start;
        while day <= end {
            n += u32::from(self.is_working_day(day)?);
            day = day.succ_opt().ok_or(NotCovered(day.year()))?;
        }
        Ok(n)
    }
}

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
        assert_eq!(cal.next_working_day(d("2026-10-12")).unwrap(), d("2026-10-13"));
        assert_eq!(cal.working_days_between(d("2026-09-30"), d("2026-10-12")).unwrap(), 5);
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
        assert!(Calendar::parse("t", weekday).unwrap_err().message.contains("not a weekend"));
        let wrong_year = "version = 1\n[[year]]\nyear = 2026\nholidays = [\"2025-10-01\"]\nworkdays = []\n";
        assert!(Calendar::parse("t", wrong_year).is_err());
    }
}
