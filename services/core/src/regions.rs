//! Administrative regions (嘉兴市 → counties and zones → streets → communities)
//! and the scope rules built on them.
//!
//! A staff key for a region acts on that region and everything below it. The
//! two development zones have no streets of their own in the national codes:
//! they run streets that belong to a county (`reporting_unit` in the seed
//! data), so a zone's scope covers the streets it reports for.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;

/// The seed list shipped with the binary (copied from the bureau's data).
pub const SEED_CSV: &str = include_str!("../../../schemas/seed/regions-jiaxing.csv");

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Region {
    pub code: String,
    pub name: String,
    /// `city`, `county`, `zone`, `street` or `community`.
    pub level: String,
    pub parent: Option<String>,
    /// The county-level unit that reports for this region (streets and below).
    pub reporting_unit: Option<String>,
}

const LEVELS: [&str; 6] = ["province", "city", "county", "zone", "street", "community"];

/// Parse the regions CSV (`code,name,level,parent,reporting_unit`).
pub fn parse_csv(text: &str) -> Result<Vec<Region>, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header))
            if header.trim().trim_start_matches('\u{feff}') == "code,name,level,parent,reporting_unit" => {}
        _ => return Err("line 1: expected header code,name,level,parent,reporting_unit".into()),
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if cols.len() != 5 || cols[0].is_empty() || cols[1].is_empty() {
            return Err(format!("line {}: expected 5 columns with a code and a name", i + 1));
        }
        if !LEVELS.contains(&cols[2]) {
            return Err(format!("line {}: unknown level '{}'", i + 1, cols[2]));
        }
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        out.push(Region {
            code: cols[0].into(),
            name: cols[1].into(),
            level: cols[2].into(),
            parent: opt(cols[3]),
            reporting_unit: opt(cols[4]),
        });
    }
    Ok(out)
}

/// The region tree, loaded once at start.
#[derive(Clone, Debug, Default)]
pub struct Regions {
    by_code: HashMap<String, Region>,
    children: BTreeMap<String, Vec<String>>,
    root: Option<String>,
}

/// Where a region sits: the codes a job or person in it is filed under.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Placement {
    pub region_code: String,
    pub street_code: Option<String>,
    pub county_code: Option<String>,
    pub unit_code: Option<String>,
}

impl Regions {
    pub fn from_rows(rows: Vec<Region>) -> Regions {
        let mut r = Regions::default();
        for region in rows {
            if let Some(p) = &region.parent {
                r.children.entry(p.clone()).or_default().push(region.code.clone());
            }
            r.by_code.insert(region.code.clone(), region);
        }
        // The root is the region whose parent is not in the list (the city).
        r.root = r
            .by_code
            .values()
            .filter(|x| x.parent.as_ref().is_none_or(|p| !r.by_code.contains_key(p)))
            .map(|x| x.code.clone())
            .min();
        r
    }

    /// Write the seed rows into the store (insert or update by code).
    pub async fn seed(db: &Db, rows: &[Region]) -> Result<(), sqlx::Error> {
        let mut tx = db.pool.begin().await?;
        for r in rows {
            sqlx::query(
                "INSERT INTO regions (code, name, level, parent, reporting_unit) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level,
                 parent = excluded.parent, reporting_unit = excluded.reporting_unit",
            )
            .bind(&r.code)
            .bind(&r.name)
            .bind(&r.level)
            .bind(&r.parent)
            .bind(&r.reporting_unit)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// Load every region from the store.
    pub async fn load(db: &Db) -> Result<Regions, sqlx::Error> {
        type Row = (String, String, String, Option<String>, Option<String>);
        let rows: Vec<Row> =
            sqlx::query_as("SELECT code, name, level, parent, reporting_unit FROM regions ORDER BY code")
                .fetch_all(&db.pool)
                .await?;
        Ok(Regions::from_rows(
            rows.into_iter()
                .map(|(code, name, level, parent, reporting_unit)| Region { code, name, level, parent, reporting_unit })
                .collect(),
        ))
    }

    pub fn get(&self, code: &str) -> Option<&Region> {
        self.by_code.get(code)
    }

    /// Every region, in no particular order.
    pub fn all(&self) -> impl Iterator<Item = &Region> {
        self.by_code.values()
    }

    pub fn contains(&self, code: &str) -> bool {
        self.by_code.contains_key(code)
    }

    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// The regions directly below `code`.
    pub fn children<'a>(&'a self, code: &str) -> impl Iterator<Item = &'a Region> + 'a {
        self.children.get(code).into_iter().flatten().filter_map(|c| self.by_code.get(c))
    }

    /// The region itself, then its parent, up to the root.
    pub fn ancestors<'a>(&'a self, code: &'a str) -> impl Iterator<Item = &'a Region> + 'a {
        let mut next = self.by_code.get(code);
        let mut steps = 0;
        std::iter::from_fn(move || {
            let cur = next?;
            steps += 1;
            next = if steps > 16 { None } else { cur.parent.as_deref().and_then(|p| self.by_code.get(p)) };
            Some(cur)
        })
    }

    /// Every region a record in `code` lies in: itself and its parents, each
    /// followed by the zone that reports for it where one does.
    pub fn scopes(&self, code: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in self.ancestors(code) {
            for c in std::iter::once(&r.code).chain(r.reporting_unit.as_ref()) {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
        out
    }

    /// Whether a key scoped to `scope` may act on `code`: `code` is `scope` or
    /// below it, or `scope` is the reporting unit of a street above `code`.
    pub fn covers(&self, scope: &str, code: &str) -> bool {
        self.ancestors(code).any(|r| r.code == scope || r.reporting_unit.as_deref() == Some(scope))
    }

    /// The codes a record in `code` is filed under.
    pub fn placement(&self, code: &str) -> Placement {
        let mut p = Placement { region_code: code.to_string(), ..Placement::default() };
        for r in self.ancestors(code) {
            match r.level.as_str() {
                "street" => {
                    p.street_code = Some(r.code.clone());
                    p.unit_code = r.reporting_unit.clone();
                }
                "county" => {
                    p.county_code = Some(r.code.clone());
                    if p.unit_code.is_none() {
                        p.unit_code = r.reporting_unit.clone().or_else(|| Some(r.code.clone()));
                    }
                }
                "zone" => {
                    p.unit_code.get_or_insert_with(|| r.code.clone());
                }
                _ => {}
            }
        }
        p
    }

    /// The column of a record's placement that "filed under `code`" compares
    /// with `code` (None: `code` is the city and covers everything).
    pub fn scope_column(&self, code: &str) -> Option<&'static str> {
        match self.get(code).map(|r| r.level.as_str()) {
            Some("city") | Some("province") => None,
            Some("county") => Some("county_code"),
            Some("zone") => Some("unit_code"),
            Some("street") => Some("street_code"),
            _ => Some("region_code"),
        }
    }

    /// SQL for "filed under `code`" with `code` bound as `param`.
    pub fn scope_sql(&self, code: &str, param: &str) -> String {
        match self.scope_column(code) {
            None => "1 = 1".into(),
            Some(col) => format!("{col} = {param}"),
        }
    }

    /// The root (the city) as a nested tree.
    pub fn tree(&self) -> Option<RegionNode> {
        self.root.as_deref().map(|c| self.node(c, 0))
    }

    fn node(&self, code: &str, depth: usize) -> RegionNode {
        let r = &self.by_code[code];
        let children = if depth > 8 {
            Vec::new()
        } else {
            self.children.get(code).map(|cs| cs.iter().map(|c| self.node(c, depth + 1)).collect()).unwrap_or_default()
        };
        RegionNode {
            code: r.code.clone(),
            name: r.name.clone(),
            level: r.level.clone(),
            reporting_unit: r.reporting_unit.clone(),
            children,
        }
    }
}

/// A region with everything below it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RegionNode {
    pub code: String,
    pub name: String,
    pub level: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporting_unit: Option<String>,
    #[schema(no_recursion)]
    pub children: Vec<RegionNode>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded() -> Regions {
        Regions::from_rows(parse_csv(SEED_CSV).unwrap())
    }

    #[test]
    fn the_seed_parses_with_the_city_at_the_root() {
        let r = seeded();
        assert!(r.len() > 80);
        assert_eq!(r.tree().unwrap().code, "330400");
    }

    #[test]
    fn a_county_covers_its_streets_but_not_its_neighbours() {
        let r = seeded();
        assert!(r.covers("330402", "330402007"));
        assert!(r.covers("330400", "330402007"));
        assert!(r.covers("330402007", "330402007"));
        assert!(!r.covers("330411", "330402007"));
        assert!(!r.covers("330402007", "330402"));
    }

    #[test]
    fn a_zone_covers_the_streets_it_reports_for() {
        let r = seeded();
        assert!(r.covers("330400-ETDZ", "330402012"));
        assert!(!r.covers("330400-ETDZ", "330402007"));
        let p = r.placement("330402012");
        assert_eq!(p.county_code.as_deref(), Some("330402"));
        assert_eq!(p.unit_code.as_deref(), Some("330400-ETDZ"));
        assert_eq!(r.placement("330402007").unit_code.as_deref(), Some("330402"));
    }

    #[test]
    fn a_malformed_csv_names_the_line() {
        let e = parse_csv("code,name,level,parent,reporting_unit\n1,a,street,,\n2,b,planet,,\n").unwrap_err();
        assert!(e.starts_with("line 3"), "{e}");
    }
}
