//! The ten columns of the 进度表, in the form's order: each column's API
//! key, its header on the bureau's form, whether it sits under 帮扶成效, and
//! which placement channel counts in it. JSON, CSV, XLSX and the figures all
//! read them from here; adding or changing a column starts in this file
//! (and its definition in `figures.rs`).

use std::ops::{Index, IndexMut};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::figures::Entry;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    HelpedTotal,
    Flexible,
    Employer,
    SelfEmployed,
    PublicWelfare,
    Project,
    Allowance,
    NewlyCertified,
    CertifiedEmployed,
    StillNeedingHelp,
}

impl Column {
    pub const ALL: [Column; 10] = [
        Column::HelpedTotal,
        Column::Flexible,
        Column::Employer,
        Column::SelfEmployed,
        Column::PublicWelfare,
        Column::Project,
        Column::Allowance,
        Column::NewlyCertified,
        Column::CertifiedEmployed,
        Column::StillNeedingHelp,
    ];

    /// The key in JSON answers and in `?column=`.
    pub fn key(self) -> &'static str {
        match self {
            Column::HelpedTotal => "helped_total",
            Column::Flexible => "flexible",
            Column::Employer => "employer",
            Column::SelfEmployed => "self_employed",
            Column::PublicWelfare => "public_welfare",
            Column::Project => "project",
            Column::Allowance => "allowance",
            Column::NewlyCertified => "newly_certified",
            Column::CertifiedEmployed => "certified_employed",
            Column::StillNeedingHelp => "still_needing_help",
        }
    }

    /// The header on the bureau's form.
    pub fn header(self) -> &'static str {
        match self {
            Column::HelpedTotal => "本期帮扶困难群体就业总人数",
            Column::Flexible => "实现灵活就业人数",
            Column::Employer => "用人单位吸纳人数",
            Column::SelfEmployed => "自主创业人数",
            Column::PublicWelfare => "公益性岗位安置人数",
            Column::Project => "项目帮扶人数",
            Column::Allowance => "享受临时生活补贴人数",
            Column::NewlyCertified => "新认定就业困难人员人数",
            Column::CertifiedEmployed => "帮扶就业困难人员就业人数",
            Column::StillNeedingHelp => "期末仍需帮扶就业困难人员人数",
        }
    }

    /// The form's column number (栏次), 1–10.
    pub fn number(self) -> usize {
        self as usize + 1
    }

    /// Whether the form groups the column under 帮扶成效 (columns 2–7).
    pub fn is_outcome(self) -> bool {
        matches!(
            self,
            Column::Flexible
                | Column::Employer
                | Column::SelfEmployed
                | Column::PublicWelfare
                | Column::Project
                | Column::Allowance
        )
    }

    /// The column a placement of `channel` counts in (besides column 1).
    pub fn for_channel(channel: &str) -> Column {
        match channel {
            "flexible" => Column::Flexible,
            "employer" => Column::Employer,
            "self_employed" => Column::SelfEmployed,
            "public_welfare" => Column::PublicWelfare,
            _ => Column::Project,
        }
    }

    /// A column by key or by its number (`7` or `allowance`).
    pub fn parse(text: &str) -> Option<Column> {
        Column::ALL
            .into_iter()
            .find(|c| c.key() == text)
            .or_else(|| text.parse::<usize>().ok().filter(|n| (1..=10).contains(n)).map(|n| Column::ALL[n - 1]))
    }
}

/// Who counts in each column, with the record that makes them count.
#[derive(Clone, Debug, Default)]
pub struct Columns([Vec<Entry>; 10]);

impl Index<Column> for Columns {
    type Output = Vec<Entry>;
    fn index(&self, column: Column) -> &Vec<Entry> {
        &self.0[column as usize]
    }
}

impl IndexMut<Column> for Columns {
    fn index_mut(&mut self, column: Column) -> &mut Vec<Entry> {
        &mut self.0[column as usize]
    }
}

impl Columns {
    /// How many people of `unit` count in `column`.
    pub fn count(&self, column: Column, unit: &str) -> i64 {
        self[column].iter().filter(|e| e.unit == unit).count() as i64
    }
}

/// The figures of one row: one field per column of the form.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Figures {
    pub helped_total: i64,
    pub flexible: i64,
    pub employer: i64,
    pub self_employed: i64,
    pub public_welfare: i64,
    pub project: i64,
    pub allowance: i64,
    pub newly_certified: i64,
    pub certified_employed: i64,
    pub still_needing_help: i64,
}

impl Index<Column> for Figures {
    type Output = i64;
    fn index(&self, column: Column) -> &i64 {
        match column {
            Column::HelpedTotal => &self.helped_total,
            Column::Flexible => &self.flexible,
            Column::Employer => &self.employer,
            Column::SelfEmployed => &self.self_employed,
            Column::PublicWelfare => &self.public_welfare,
            Column::Project => &self.project,
            Column::Allowance => &self.allowance,
            Column::NewlyCertified => &self.newly_certified,
            Column::CertifiedEmployed => &self.certified_employed,
            Column::StillNeedingHelp => &self.still_needing_help,
        }
    }
}

impl IndexMut<Column> for Figures {
    fn index_mut(&mut self, column: Column) -> &mut i64 {
        match column {
            Column::HelpedTotal => &mut self.helped_total,
            Column::Flexible => &mut self.flexible,
            Column::Employer => &mut self.employer,
            Column::SelfEmployed => &mut self.self_employed,
            Column::PublicWelfare => &mut self.public_welfare,
            Column::Project => &mut self.project,
            Column::Allowance => &mut self.allowance,
            Column::NewlyCertified => &mut self.newly_certified,
            Column::CertifiedEmployed => &mut self.certified_employed,
            Column::StillNeedingHelp => &mut self.still_needing_help,
        }
    }
}

impl Figures {
    /// The figures in the form's order.
    pub fn in_order(&self) -> impl Iterator<Item = (Column, i64)> + '_ {
        Column::ALL.into_iter().map(|c| (c, self[c]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_has_its_own_key_field_and_number() {
        let mut figures = Figures::default();
        for (i, column) in Column::ALL.into_iter().enumerate() {
            assert_eq!(column.number(), i + 1);
            assert_eq!(Column::parse(column.key()), Some(column));
            assert_eq!(Column::parse(&column.number().to_string()), Some(column));
            figures[column] = i as i64 + 100;
        }
        // The JSON field of each column is its key and holds its figure.
        let json = serde_json::to_value(&figures).unwrap();
        for (i, column) in Column::ALL.into_iter().enumerate() {
            assert_eq!(json[column.key()], i as i64 + 100, "{}", column.key());
        }
        assert_eq!(json.as_object().unwrap().len(), 10);
        let outcome: Vec<usize> = Column::ALL.into_iter().filter(|c| c.is_outcome()).map(Column::number).collect();
        assert_eq!(outcome, [2, 3, 4, 5, 6, 7], "帮扶成效 spans columns 2–7");
        assert_eq!(Column::parse("11"), None);
        assert_eq!(Column::parse("nothing"), None);
    }
}
