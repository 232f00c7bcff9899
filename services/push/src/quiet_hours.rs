//! When a message to a person may go out: quiet hours and the daily cap use
//! the Asia/Shanghai clock.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Timelike, Utc};
use jobmatch_core::config::QuietHours;
use jobmatch_core::time::shanghai;

fn minute_of_day(now: DateTime<Utc>) -> u32 {
    let local = now.with_timezone(&shanghai());
    local.hour() * 60 + local.minute()
}

fn in_window(minute: u32, q: QuietHours) -> bool {
    if q.start < q.end {
        (q.start..q.end).contains(&minute)
    } else {
        minute >= q.start || minute < q.end
    }
}

/// The local time `minutes` after midnight on the first day, starting with
/// `now`'s, at which it is later than `now`.
fn next_local(now: DateTime<Utc>, minutes: u32) -> DateTime<Utc> {
    let tz = shanghai();
    let local = now.with_timezone(&tz);
    let at = NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0).expect("a valid clock time");
    let mut day = local.date_naive();
    loop {
        let candidate = tz.from_local_datetime(&day.and_time(at)).single().expect("a fixed offset is unambiguous");
        if candidate > local {
            return candidate.with_timezone(&Utc);
        }
        day = day.succ_opt().expect("a date after today");
    }
}

/// When quiet hours hold at `now`, the moment they end.
pub fn quiet_until(now: DateTime<Utc>, quiet: Option<QuietHours>) -> Option<DateTime<Utc>> {
    let q = quiet?;
    in_window(minute_of_day(now), q).then(|| next_local(now, q.end))
}

/// The start of `now`'s day in Asia/Shanghai.
pub fn day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let tz = shanghai();
    let local = now.with_timezone(&tz);
    tz.from_local_datetime(&local.date_naive().and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("a fixed offset is unambiguous")
        .with_timezone(&Utc)
}

/// The first allowed moment of the next day: when its quiet hours end
/// (08:00 by default), or midnight without quiet hours.
pub fn next_day_morning(now: DateTime<Utc>, quiet: Option<QuietHours>) -> DateTime<Utc> {
    let tomorrow = day_start(now) + Duration::days(1);
    match quiet {
        Some(q) if in_window(0, q) => next_local(tomorrow - Duration::seconds(1), q.end),
        _ => tomorrow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    const NIGHT: Option<QuietHours> = Some(QuietHours { start: 21 * 60, end: 8 * 60 });

    #[test]
    fn quiet_hours_hold_until_eight_in_shanghai() {
        // 20:59 Shanghai: allowed.
        assert_eq!(quiet_until(at("2026-03-02T20:59:00+08:00"), NIGHT), None);
        // 21:00 Shanghai: held until 08:00 the next morning.
        assert_eq!(quiet_until(at("2026-03-02T21:00:00+08:00"), NIGHT), Some(at("2026-03-03T08:00:00+08:00")));
        // 03:00 Shanghai (19:00 UTC the day before): held until 08:00 that morning.
        assert_eq!(quiet_until(at("2026-03-02T19:00:00Z"), NIGHT), Some(at("2026-03-03T08:00:00+08:00")));
        assert_eq!(quiet_until(at("2026-03-03T07:59:59+08:00"), NIGHT), Some(at("2026-03-03T08:00:00+08:00")));
        assert_eq!(quiet_until(at("2026-03-03T08:00:00+08:00"), NIGHT), None);
        assert_eq!(quiet_until(at("2026-03-03T02:00:00+08:00"), None), None);
        // A window that does not wrap midnight.
        let lunch = Some(QuietHours { start: 12 * 60, end: 13 * 60 + 30 });
        assert_eq!(quiet_until(at("2026-03-03T12:10:00+08:00"), lunch), Some(at("2026-03-03T13:30:00+08:00")));
        assert_eq!(quiet_until(at("2026-03-03T13:30:00+08:00"), lunch), None);
    }

    #[test]
    fn days_are_shanghai_days() {
        assert_eq!(day_start(at("2026-03-02T17:00:00Z")), at("2026-03-03T00:00:00+08:00"));
        assert_eq!(next_day_morning(at("2026-03-03T15:00:00+08:00"), NIGHT), at("2026-03-04T08:00:00+08:00"));
        assert_eq!(next_day_morning(at("2026-03-03T15:00:00+08:00"), None), at("2026-03-04T00:00:00+08:00"));
    }
}
