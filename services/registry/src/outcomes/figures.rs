//! The monthly progress report (进度表) of DOMAIN.md, computed from dated
//! records so that a month that has ended always gives the same figures:
//!
//! - **Period**: the calendar month in Asia/Shanghai (the year view: 1
//!   January to the end of the year or today).
//! - **Columns 1–6**: people with a placement in force (not corrected by a
//!   later record) that started in the period. A person counts once in
//!   column 1 however many placements, and in columns 2–6 under the channel
//!   of their first placement of the period, so that 1 = 2 + … + 6. The unit
//!   is where the person was filed when placed.
//! - **Column 7**: people paid a temporary living allowance for a month of
//!   the period (the taper included).
//! - **Column 8**: people certified as 就业困难人员 through the workflow with
//!   effect in the period (a renewal of a running certification is not new;
//!   people registered as certified elsewhere are not new here).
//! - **Column 9**: those of column 1 certified on the day their placement started.
//! - **Column 10**: people registered by the period end, certified at its last
//!   day and not in work that day (no placement in force covering it).
//! - Columns 7, 8 and 10 file a person under the unit of where they lived at
//!   the period end (their record's region history).
//!
//! `GET /v1/reports/progress/people` lists the people behind any figure.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone};
use jobmatch_core::memo::records_version;
use jobmatch_core::time::{shanghai, to_text};
use jobmatch_core::AppState;
use serde_json::Value;

use super::allowances::{lifted, schedule};
use super::columns::{Column, Columns};
use super::{add_months, month_text, parse_month};

/// One person behind a figure.
#[derive(Clone, Debug)]
pub struct Entry {
    pub person_id: String,
    pub unit: String,
    /// The record that puts the person there (placement, allowance, certification event).
    pub reference: String,
}

/// A period: from `first` to `last`, days in Asia/Shanghai.
#[derive(Clone, Copy, Debug)]
pub struct Period {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Period {
    /// The instant the period ends (midnight after its last day, Shanghai), as stored text.
    fn end_instant(&self) -> String {
        let next = self.last.succ_opt().expect("a next day").and_hms_opt(0, 0, 0).expect("midnight");
        to_text(shanghai().from_local_datetime(&next).single().expect("fixed offset").with_timezone(&chrono::Utc))
    }
}

/// Where people who moved after `end` lived then (their unit), from the
/// change history; everyone else is filed where their record says now.
async fn movers(state: &AppState, end: &str) -> anyhow::Result<HashMap<String, String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT person_id, changes FROM person_history
         WHERE created_at >= $1 AND changes LIKE '%\"region_code\"%' ORDER BY id",
    )
    .bind(end)
    .fetch_all(&state.db.pool)
    .await?;
    let mut out = HashMap::new();
    for (person, changes) in rows {
        if out.contains_key(&person) {
            continue;
        }
        let v: Value = serde_json::from_str(&changes).unwrap_or_default();
        if let Some(from) = v["region_code"]["from"].as_str() {
            out.insert(person, state.regions.placement(from).unit_code.unwrap_or_default());
        }
    }
    Ok(out)
}

pub type CertRow = (String, Option<String>, String, String, Option<String>, String);

/// Whether a person was certified on `day`, from their certification events
/// (oldest first). A certification recorded at registration (made outside
/// the system) holds from before the record began.
pub fn certified_on(events: &[CertRow], day: &str) -> bool {
    let carried = |e: &CertRow| e.1.is_none() && e.3 == "[]";
    let last = events.iter().rfind(|e| carried(e) || e.5.as_str() <= day);
    last.is_some_and(|e| e.2 == "certified" && e.4.as_deref().is_none_or(|u| u >= day))
}

/// Every column's people for the period; kept in process while the
/// records are unchanged ([`jobmatch_core::memo`]).
pub async fn compute(state: &AppState, period: Period) -> anyhow::Result<Arc<Columns>> {
    let key = format!("columns {} {} {}", period.first, period.last, state.today());
    kept(state, &key, async {
        let mut columns = compute_placed(state, period).await?;
        compute_others(state, period, &mut columns).await?;
        Ok(columns)
    })
    .await
}

/// The result kept under `key` while the records are unchanged, or
/// `compute`'s, then kept.
async fn kept<T: Send + Sync + 'static>(
    state: &AppState,
    key: &str,
    compute: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<Arc<T>> {
    let version = records_version(&state.db.pool).await?;
    if let Some(kept) = state.memo.get::<T>(key, version) {
        return Ok(kept);
    }
    let value = Arc::new(compute.await?);
    state.memo.put(key, version, value.clone());
    Ok(value)
}

/// A person's first placement of a period, as columns 1–6 and 9 count it.
#[derive(Clone, Debug)]
pub struct FirstPlacement {
    pub entry: Entry,
    pub channel: String,
    pub started_on: String,
    /// Certified as 就业困难人员 on the day it started (column 9).
    pub certified: bool,
}

/// Each person's first placement in force that started in the period,
/// in start order; kept in process while the records are unchanged.
pub async fn first_placements(state: &AppState, period: Period) -> anyhow::Result<Arc<Vec<FirstPlacement>>> {
    let key = format!("first placements {} {}", period.first, period.last);
    kept(state, &key, read_first_placements(state, period)).await
}

async fn read_first_placements(state: &AppState, period: Period) -> anyhow::Result<Vec<FirstPlacement>> {
    let pool = &state.db.pool;
    let (first, last) = (period.first.to_string(), period.last.to_string());
    let placed: Vec<(String, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT p.id, p.person_id, p.channel, p.unit_code, p.started_on FROM placements p
         WHERE p.started_on >= $1 AND p.started_on <= $2
           AND NOT EXISTS (SELECT 1 FROM placements c WHERE c.supersedes = p.id)
         ORDER BY p.started_on, p.created_at, p.id",
    )
    .bind(&first)
    .bind(&last)
    .fetch_all(pool)
    .await?;
    let certs: Vec<CertRow> = sqlx::query_as(
        "SELECT e.person_id, e.from_status, e.to_status, e.grounds, e.valid_until, e.effective_on
         FROM certification_events e
         WHERE e.person_id IN (SELECT p.person_id FROM placements p WHERE p.started_on >= $1 AND p.started_on <= $2)
         ORDER BY e.person_id, e.id",
    )
    .bind(&first)
    .bind(&last)
    .fetch_all(pool)
    .await?;
    let mut by_person: HashMap<&str, Vec<CertRow>> = HashMap::new();
    for c in &certs {
        by_person.entry(c.0.as_str()).or_default().push(c.clone());
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (id, person, channel, unit, started) in placed {
        if !seen.insert(person.clone()) {
            continue;
        }
        let certified = by_person.get(person.as_str()).is_some_and(|ev| certified_on(ev, &started));
        let entry = Entry { person_id: person, unit: unit.unwrap_or_default(), reference: id };
        out.push(FirstPlacement { entry, channel, started_on: started, certified });
    }
    Ok(out)
}

/// Columns 1–6 and 9 (the rest left empty).
pub async fn compute_placed(state: &AppState, period: Period) -> anyhow::Result<Columns> {
    Ok(placed_columns(&read_first_placements(state, period).await?))
}

/// Columns 1–6 and 9 of these first placements.
fn placed_columns(placed: &[FirstPlacement]) -> Columns {
    let mut columns = Columns::default();
    for p in placed {
        if p.certified {
            columns[Column::CertifiedEmployed].push(p.entry.clone());
        }
        columns[Column::for_channel(&p.channel)].push(p.entry.clone());
        columns[Column::HelpedTotal].push(p.entry.clone());
    }
    columns
}

/// Columns 7, 8 and 10.
async fn compute_others(state: &AppState, period: Period, columns: &mut Columns) -> anyhow::Result<()> {
    let pool = &state.db.pool;
    let (first, last) = (period.first.to_string(), period.last.to_string());
    let end = period.end_instant();
    let moved = movers(state, &end).await?;
    let unit_now = |person: &str, current: Option<String>| -> String {
        moved.get(person).cloned().unwrap_or_else(|| current.unwrap_or_default())
    };

    // Column 7: allowances paid in a month of the period.
    let from_month = month_text(add_months(period.first, -24));
    let allowances: Vec<(String, String, String, i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT a.id, a.person_id, a.start_month, a.months, a.monthly_amount, pr.unit_code FROM allowances a
         JOIN persons pr ON pr.id = a.person_id
         WHERE a.start_month >= $1 AND a.start_month <= $2 ORDER BY a.id",
    )
    .bind(&from_month)
    .bind(month_text(period.last))
    .fetch_all(pool)
    .await?;
    let placed_after: Vec<(String, String)> = sqlx::query_as(
        "SELECT p.person_id, p.started_on FROM placements p
         WHERE p.person_id IN (SELECT person_id FROM allowances WHERE start_month >= $1 AND start_month <= $2)
           AND NOT EXISTS (SELECT 1 FROM placements c WHERE c.supersedes = p.id)",
    )
    .bind(&from_month)
    .bind(month_text(period.last))
    .fetch_all(pool)
    .await?;
    let (pf, pl) = (month_text(period.first), month_text(period.last));
    let mut paid = HashSet::new();
    for (id, person, start, months, amount, unit) in allowances {
        let Some(start_d) = parse_month(&start) else { continue };
        let lifted = lifted(start_d, placed_after.iter().filter(|(p, _)| *p == person).map(|(_, s)| s.as_str()));
        let pays = schedule(start_d, months, amount, lifted, &state.policy.allowance)
            .iter()
            .any(|m| m.fen > 0 && m.month >= pf && m.month <= pl);
        if pays && paid.insert(person.clone()) {
            let unit = unit_now(&person, unit);
            columns[Column::Allowance].push(Entry { person_id: person, unit, reference: id });
        }
    }

    // Column 8: newly certified through the workflow in the period.
    let newly: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT e.id, e.person_id, pr.unit_code FROM certification_events e JOIN persons pr ON pr.id = e.person_id
         WHERE e.to_status = 'certified' AND e.effective_on >= $1 AND e.effective_on <= $2
           AND e.from_status IS NOT NULL AND e.from_status <> 'certified'
         ORDER BY e.id",
    )
    .bind(&first)
    .bind(&last)
    .fetch_all(pool)
    .await?;
    let mut seen = HashSet::new();
    for (id, person, unit) in newly {
        if seen.insert(person.clone()) {
            let unit = unit_now(&person, unit);
            columns[Column::NewlyCertified].push(Entry {
                person_id: person,
                unit,
                reference: format!("certification_event:{id}"),
            });
        }
    }

    // Column 10: certified at the last day and not in work that day.
    let still: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT e.id, e.person_id, pr.unit_code FROM certification_events e
         JOIN persons pr ON pr.id = e.person_id
         WHERE e.to_status = 'certified' AND (e.valid_until IS NULL OR e.valid_until >= $1)
           AND (e.effective_on <= $1 OR (e.from_status IS NULL AND e.grounds = '[]'))
           AND pr.created_at < $2
           AND NOT EXISTS (SELECT 1 FROM certification_events x WHERE x.person_id = e.person_id AND x.id > e.id
                AND (x.effective_on <= $1 OR (x.from_status IS NULL AND x.grounds = '[]')))
           AND NOT EXISTS (SELECT 1 FROM placements p WHERE p.person_id = e.person_id AND p.started_on <= $1
                AND (p.ended_on IS NULL OR p.ended_on >= $1)
                AND NOT EXISTS (SELECT 1 FROM placements c WHERE c.supersedes = p.id))",
    )
    .bind(&last)
    .bind(&end)
    .fetch_all(pool)
    .await?;
    for (id, person, unit) in still {
        let unit = unit_now(&person, unit);
        columns[Column::StillNeedingHelp].push(Entry {
            person_id: person,
            unit,
            reference: format!("certification_event:{id}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(from: Option<&str>, to: &str, grounds: &str, until: Option<&str>, on: &str) -> CertRow {
        ("p".into(), from.map(String::from), to.into(), grounds.into(), until.map(String::from), on.into())
    }

    #[test]
    fn certification_is_read_as_of_a_day() {
        let events = vec![
            ev(None, "applied", "[\"older\"]", None, "2026-03-01"),
            ev(Some("applied"), "certified", "[\"older\"]", Some("2028-03-10"), "2026-03-10"),
            ev(Some("certified"), "revoked", "[]", None, "2026-09-01"),
        ];
        assert!(!certified_on(&events, "2026-03-09"));
        assert!(certified_on(&events, "2026-03-10"));
        assert!(certified_on(&events, "2026-08-31"));
        assert!(!certified_on(&events, "2026-09-01"));
        // Registered as certified elsewhere: holds before the record began, until its end.
        let carried = vec![ev(None, "certified", "[]", Some("2027-01-31"), "2026-11-25")];
        assert!(certified_on(&carried, "2026-10-15"));
        assert!(!certified_on(&carried, "2027-02-01"));
    }
}
