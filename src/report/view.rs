//! What a role-pair report shows ([`ReportModel`] and its parts) and how
//! each of its figures reads. Pure.

use serde::Serialize;

use crate::deltas::{Change, WeekOverWeek};
use crate::roles::RoleDef;
use crate::stats::{RoleStats, Snapshot};
use crate::text::{self, largest_remainder_tenths, money_k, pct1};

/// A row of a two-role table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// What the row shows.
    pub label: String,
    /// The first role's value.
    pub a: String,
    /// The second role's value.
    pub b: String,
}

/// A name with its count, formatted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// The name.
    pub name: String,
    /// E.g. `27 jobs`.
    pub detail: String,
}

/// A role as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleView {
    /// Display name.
    pub name: String,
    /// Slug.
    pub slug: String,
    /// One sentence on the work.
    pub description: String,
    /// "Typical progression: …".
    pub career: String,
    /// "Common entry points: …".
    pub entry: String,
    /// Top skills with their posting counts.
    pub skills: Vec<Item>,
    /// Top companies.
    pub companies: Vec<Item>,
    /// Top metros.
    pub metros: Vec<Item>,
}

/// A heading with paragraphs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// The heading.
    pub heading: String,
    /// Its paragraphs.
    pub paragraphs: Vec<String>,
}

/// A question and its answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Faq {
    /// The question.
    pub q: String,
    /// The answer, written from the figures.
    pub a: String,
}

/// A chart as the template embeds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartRef {
    /// Path inside the report's files, e.g. `charts/salary.svg`.
    pub path: String,
    /// Alternative text with the chart's numbers.
    pub alt: String,
}

/// Everything the report template shows, formatted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportModel {
    /// "A vs B".
    pub title: String,
    /// Subtitle with the week.
    pub subtitle: String,
    /// ISO week.
    pub week: String,
    /// PDF author.
    pub author: String,
    /// Date of the report (Sunday of the week), as year, month, day.
    pub date: [u32; 3],
    /// Footer text.
    pub footer: String,
    /// The first role.
    pub a: RoleView,
    /// The second role.
    pub b: RoleView,
    /// Quick Verdict sentences.
    pub verdict: Vec<String>,
    /// Side-by-side comparison.
    pub table: Vec<Row>,
    /// "Skills You'd Need for Both Roles".
    pub shared_skills: String,
    /// Salary Deep Dive rows.
    pub salary_rows: Vec<Row>,
    /// Who pays more at the median.
    pub salary_verdict: String,
    /// Sample sizes.
    pub salary_note: String,
    /// "Switching Between Roles".
    pub switching: String,
    /// This Week's Changes rows (empty in a first week).
    pub changes: Vec<Row>,
    /// Sentence above or instead of the changes table.
    pub changes_note: String,
    /// Narrative sections ("what you need to know").
    pub narrative: Vec<Section>,
    /// Frequently asked questions.
    pub faq: Vec<Faq>,
    /// Related comparisons: other pairs of either role.
    pub related: Vec<Item>,
    /// Methodology paragraphs.
    pub methodology: Vec<String>,
    /// Data-quality paragraph.
    pub data_quality: String,
    /// Charts: salary, mix, skills, trend-open, trend-median.
    pub charts: std::collections::BTreeMap<String, ChartRef>,
}

/// Inputs of one pair report.
pub struct PairInput<'a> {
    /// The week's snapshot.
    pub snapshot: &'a Snapshot,
    /// Its deltas against the week before.
    pub deltas: &'a WeekOverWeek,
    /// Index of the first role (the earlier in `roles.toml`).
    pub a: usize,
    /// Index of the second role.
    pub b: usize,
    /// The roles of `roles.toml`.
    pub roles: &'a [RoleDef],
    /// Charts of the pair: (file name, alt text).
    pub charts: Vec<(String, String)>,
    /// Where `output/` is published.
    pub base_url: &'a str,
    /// The suppression threshold in force.
    pub min_salary_sample: u64,
}

pub(super) fn salary_or(r: &RoleStats, v: Option<f64>) -> String {
    match v {
        Some(v) => money_k(v),
        None => text::not_enough_salaries(r.salary.n),
    }
}

/// A median with its interval (spec section 10.5), or why there is none.
pub(super) fn median_with_interval(r: &RoleStats) -> String {
    match r.salary.median {
        Some(m) => text::money_with_interval(m, r.salary.median_ci.map(|c| (c.low, c.high))),
        None => text::not_enough_salaries(r.salary.n),
    }
}

pub(super) fn reliability(r: &RoleStats) -> String {
    match r.salary.reliability {
        Some(rel) => format!("n = {}, {} reliability", r.salary.n, serde_plain(rel)),
        None => format!("n = {}, suppressed", r.salary.n),
    }
}

pub(super) fn serde_plain<T: Serialize>(v: T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

pub(super) fn mix_text(r: &RoleStats) -> String {
    let m = &r.experience_mix;
    match (m.entry, m.mid, m.senior) {
        (Some(e), Some(mi), Some(s)) => {
            let t = largest_remainder_tenths(&[s, mi, e]);
            format!(
                "Senior {:.1}%, Mid {:.1}%, Entry {:.1}%",
                f64::from(t[0]) / 10.0,
                f64::from(t[1]) / 10.0,
                f64::from(t[2]) / 10.0
            )
        }
        _ => "no postings".into(),
    }
}

pub(super) fn share_or(v: Option<f64>) -> String {
    v.map(pct1).unwrap_or_else(|| "unknown".into())
}

/// `↑ +12 (+4.3%)`, `↓ −5 (−2.1%)`, `→ no change`, with `fmt` for the amount.
pub(super) fn change_text(c: &Change, fmt: impl Fn(f64) -> String) -> String {
    match (c.abs, c.cur) {
        (Some(0.0), _) => text::NO_CHANGE.into(),
        (Some(a), _) => format!("{} {}", text::arrow(a).0, text::signed_change(a, c.pct, fmt)),
        (None, Some(_)) => "n/a (no figure last week)".into(),
        (None, None) => "n/a".into(),
    }
}

pub(super) fn range_text(r: &RoleStats) -> String {
    match (r.salary.range_low, r.salary.range_high) {
        (Some(lo), Some(hi)) => format!("{}–{}", money_k(lo), money_k(hi)),
        _ => text::not_enough_salaries(r.salary.n),
    }
}
