//! The view-model of a role-pair report ([`ReportModel`]), built from
//! snapshots and deltas with every figure already formatted; the typst
//! template only places it, and the sentences come from [`super::prose`].
//! Pure: no I/O.

use serde::Serialize;

use super::prose::{changes, faq, narrative, pay_sentence, related, verdict};
use crate::deltas::{self, Change, WeekOverWeek};
use crate::roles::RoleDef;
use crate::stats::{RoleStats, Snapshot};
use crate::text::{self, count, largest_remainder_tenths, list, money_k, pct1, plural};

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

fn role_view(def: &RoleDef, r: &RoleStats) -> RoleView {
    let items = |v: &[crate::stats::NameCount], unit: (&str, &str)| {
        v.iter()
            .map(|n| Item { name: n.name.clone(), detail: plural(n.count, unit.0, unit.1) })
            .collect()
    };
    RoleView {
        name: def.name.clone(),
        slug: def.slug.clone(),
        description: def.description.clone(),
        career: if def.career_path.is_empty() {
            "No typical progression recorded.".into()
        } else {
            format!("Typical progression: {}.", def.career_path.join(" → "))
        },
        entry: if def.entry_points.is_empty() {
            String::new()
        } else {
            format!("Common entry points: {}.", list(&def.entry_points))
        },
        skills: items(&r.top_skills, ("posting", "postings")),
        companies: items(&r.top_companies, ("job", "jobs")),
        metros: items(&r.top_metros, ("job", "jobs")),
    }
}

/// Builds the report model of one pair.
pub fn pair_model(input: &PairInput<'_>) -> ReportModel {
    let s = input.snapshot;
    let (da, db) = (&input.roles[input.a], &input.roles[input.b]);
    let find = |def: &RoleDef| {
        s.roles
            .iter()
            .find(|r| r.slug == def.slug)
            .cloned()
            .unwrap_or_else(|| RoleStats::empty(&def.name, &def.slug))
    };
    let (a, b) = (find(da), find(db));
    let cmp = deltas::compare(&a, &b);
    let (an, bn) = (a.name.as_str(), b.name.as_str());
    let week = s.week.to_string();
    let range =
        format!("{} to {}", s.week_start.format("%-d %B %Y"), s.week_end.format("%-d %B %Y"));

    let verdict = verdict(&a, &b, &cmp, da, db);
    // One row of a two-role table: the same figure of each side.
    let row = |label: &str, f: &dyn Fn(&RoleStats) -> String| Row {
        label: label.into(),
        a: f(&a),
        b: f(&b),
    };
    let top_skill = |r: &RoleStats| {
        r.top_skills.first().map(|s| s.name.clone()).unwrap_or_else(|| "none listed".into())
    };
    let table = vec![
        row("Open positions", &|r| count(r.open_positions)),
        row("Average salary range", &range_text),
        row("Median salary", &|r| salary_or(r, r.salary.median)),
        row("75th percentile", &|r| salary_or(r, r.salary.p75)),
        row("Remote share", &|r| share_or(r.remote_share)),
        row("Experience mix", &mix_text),
        row("Top skill", &top_skill),
    ];
    let shared_skills = if cmp.shared_skills.is_empty() {
        format!("No skill appears in the top 8 of both {an} and {bn} this week.")
    } else {
        format!(
            "These skills appear in the top 8 for both {an} and {bn}: {}. If you have these skills, you're well-positioned for either path.",
            list(&cmp.shared_skills)
        )
    };
    let salary_rows = vec![
        row("25th percentile", &|r| salary_or(r, r.salary.p25)),
        row("Median", &|r| salary_or(r, r.salary.median)),
        row("Average", &|r| salary_or(r, r.salary.mean)),
        row("75th percentile", &|r| salary_or(r, r.salary.p75)),
        row("Sample", &reliability),
    ];
    let salary_verdict = pay_sentence(&a, &b, &cmp);
    let salary_note = format!(
        "Based on {} and {} job postings with disclosed compensation, respectively.",
        a.salary.n, b.salary.n
    );
    let shared_n = cmp.shared_skills.len();
    let switching = match cmp.overlap {
        Some(o) => {
            let how = if o >= 0.6 {
                "transitioning between these roles is feasible with targeted upskilling"
            } else if o >= 0.3 {
                "a move between these roles is possible but needs deliberate learning"
            } else {
                "moving between these roles means learning a largely different skill set"
            };
            format!(
                "With {} ({} of top skills), {how}.",
                plural(shared_n as u64, "overlapping skill", "overlapping skills"),
                pct1(o)
            )
        }
        None => "Neither role lists skills this week, so overlap cannot be measured.".into(),
    };

    let (ra, rb) = (input.deltas.role(&a.slug), input.deltas.role(&b.slug));
    let (changes, changes_note) = changes(&a, &b, ra, rb, input.deltas);
    let narrative = narrative(s, &a, &b, &cmp);
    let faq = faq(&a, &b, &cmp, da, db);
    let related = related(input);
    let methodology = vec![
        "Open positions count postings open at any time in the ISO week: posted on or before its Sunday and not closed before its Monday.".into(),
        "Salaries are annualised to US dollars (hourly × 2080, daily × 260, weekly × 52, monthly × 12; fixed exchange rates). A posting's salary point is the mean of its minimum and maximum. Percentiles interpolate linearly between closest ranks; the average salary range is the mean of the lower bounds to the mean of the upper bounds.".into(),
        format!(
            "Salary figures need at least {} disclosed salaries; below that they are suppressed. Reliability is low below 30, medium below 100, high from 100.",
            input.min_salary_sample
        ),
        "Roles come from the posting's role field or, failing that, from its title matched on whole words; skills are matched whole, case-insensitively, with aliases (k8s is Kubernetes). Shares shown together are rounded to sum to 100%.".into(),
    ];
    let data_quality = format!(
        "This week's snapshot covers {} open AI positions ({} not matched to any role). It was computed from {} rows in {}; {} rows were rejected (listed in rejected.csv) and {} salaries were set aside as implausible.",
        count(s.market.open_positions),
        count(s.market.unclassified),
        count(s.source.rows_read),
        list(&s.source.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>()),
        s.source.rows_rejected,
        s.source.salaries_excluded
    );
    let charts = input
        .charts
        .iter()
        .map(|(name, alt)| {
            let key = name.trim_end_matches(".svg").to_string();
            (key, ChartRef { path: format!("charts/{name}"), alt: alt.clone() })
        })
        .collect();
    let sunday = s.week_end;
    use chrono::Datelike;
    ReportModel {
        title: format!("{an} vs {bn}"),
        subtitle: format!("Salary, skills and demand compared · {week} ({range})"),
        week: week.clone(),
        author: "salarytrends".into(),
        date: [sunday.year() as u32, sunday.month(), sunday.day()],
        footer: format!("Track AI Salary Trends · {an} vs {bn} · {week}"),
        a: role_view(da, &a),
        b: role_view(db, &b),
        verdict,
        table,
        shared_skills,
        salary_rows,
        salary_verdict,
        salary_note,
        switching,
        changes,
        changes_note,
        narrative,
        faq,
        related,
        methodology,
        data_quality,
        charts,
    }
}

pub(super) fn range_text(r: &RoleStats) -> String {
    match (r.salary.range_low, r.salary.range_high) {
        (Some(lo), Some(hi)) => format!("{}–{}", money_k(lo), money_k(hi)),
        _ => text::not_enough_salaries(r.salary.n),
    }
}
