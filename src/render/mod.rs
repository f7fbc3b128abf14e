//! Rendering: the view-model of a role-pair report ([`ReportModel`]), built
//! from snapshots and deltas, with every number already formatted; the typst
//! template only places it. Pure: no I/O.

pub mod pdf;
pub mod world;

use serde::Serialize;

use crate::deltas::{self, Change, PairComparison, RoleDelta, Side, WeekOverWeek};
use crate::model::{count, largest_remainder_tenths, money_delta_k, money_k, pct1};
use crate::roles::RoleDef;
use crate::stats::{RoleStats, Snapshot};

/// The report template shipped with the binary (used when `templates/report.typ` is absent).
pub const DEFAULT_TEMPLATE: &str = include_str!("../../templates/report.typ");

/// File name of a pair's report: slugs in `roles.toml` order.
pub fn report_file(a: &RoleDef, b: &RoleDef) -> String {
    format!("{}-vs-{}.pdf", a.slug, b.slug)
}

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

fn list(v: &[String]) -> String {
    match v.len() {
        0 => String::new(),
        1 => v[0].clone(),
        2 => format!("{} and {}", v[0], v[1]),
        n => format!("{} and {}", v[..n - 1].join(", "), v[n - 1]),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn salary_or(r: &RoleStats, v: Option<f64>) -> String {
    match v {
        Some(v) => money_k(v),
        None => format!("not enough disclosed salaries (n = {})", r.salary.n),
    }
}

fn reliability(r: &RoleStats) -> String {
    match r.salary.reliability {
        Some(rel) => format!("n = {}, {} reliability", r.salary.n, serde_plain(rel)),
        None => format!("n = {}, suppressed", r.salary.n),
    }
}

fn serde_plain<T: Serialize>(v: T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn mix_text(r: &RoleStats) -> String {
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

fn share_or(v: Option<f64>) -> String {
    v.map(pct1).unwrap_or_else(|| "unknown".into())
}

/// `↑ +12 (+4.3%)`, `↓ −5 (−2.1%)`, `→ no change`, with `fmt` for the amount.
fn change_text(c: &Change, fmt: impl Fn(f64) -> String) -> String {
    match (c.abs, c.cur) {
        (Some(0.0), _) => "→ no change".into(),
        (Some(a), _) => {
            let arrow = if a > 0.0 { "↑" } else { "↓" };
            let sign = if a > 0.0 { "+" } else { "−" };
            let pct =
                c.pct.map(|p| format!(" ({sign}{:.1}%)", p.abs() * 100.0)).unwrap_or_default();
            format!("{arrow} {sign}{}{pct}", fmt(a.abs()))
        }
        (None, Some(_)) => "n/a (no figure last week)".into(),
        (None, None) => "n/a".into(),
    }
}

fn pp_text(v: Option<f64>) -> String {
    match v {
        Some(p) if p.abs() < 0.05 => "→ no change".into(),
        Some(p) if p > 0.0 => format!("↑ +{p:.1} pp"),
        Some(p) => format!("↓ −{:.1} pp", p.abs()),
        None => "n/a".into(),
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

fn range_text(r: &RoleStats) -> String {
    match (r.salary.range_low, r.salary.range_high) {
        (Some(lo), Some(hi)) => format!("{}–{}", money_k(lo), money_k(hi)),
        _ => format!("not enough disclosed salaries (n = {})", r.salary.n),
    }
}

fn pay_sentence(a: &RoleStats, b: &RoleStats, cmp: &PairComparison) -> String {
    match (cmp.pays_more, cmp.pay_gap_pct) {
        (Some(side), Some(gap)) => {
            let (hi, lo) = if side == Side::A { (a, b) } else { (b, a) };
            format!("{} pays {gap}% more at the median than {}.", hi.name, lo.name)
        }
        (None, Some(_)) => format!("{} and {} pay the same at the median.", a.name, b.name),
        _ => {
            let thin: Vec<String> = [a, b]
                .iter()
                .filter(|r| r.salary.suppressed())
                .map(|r| format!("{} (n = {})", r.name, r.salary.n))
                .collect();
            format!("No verdict on pay: not enough disclosed salaries for {}.", list(&thin))
        }
    }
}

fn verdict(
    a: &RoleStats,
    b: &RoleStats,
    cmp: &PairComparison,
    da: &RoleDef,
    db: &RoleDef,
) -> Vec<String> {
    let mut v = Vec::new();
    match (cmp.pays_more, cmp.pay_gap_pct) {
        (Some(side), Some(gap)) => {
            let (hi, lo) = if side == Side::A { (a, b) } else { (b, a) };
            v.push(format!(
                "Choose {} if you want higher compensation: it pays {gap}% more at the median ({} vs {}).",
                hi.name,
                salary_or(hi, hi.salary.median),
                salary_or(lo, lo.salary.median)
            ));
        }
        _ => v.push(pay_sentence(a, b, cmp)),
    }
    match cmp.more_open {
        Some(side) => {
            let (more, less) = if side == Side::A { (a, b) } else { (b, a) };
            v.push(format!(
                "Choose {} if you want more open positions ({} vs {} currently listed).",
                more.name, more.open_positions, less.open_positions
            ));
        }
        None => v.push(format!("Both roles have {} open positions this week.", a.open_positions)),
    }
    if !da.description.is_empty() && !db.description.is_empty() {
        v.push(format!("{}: {} {}: {}", a.name, da.description, b.name, db.description));
    }
    v
}

fn changes(
    a: &RoleStats,
    b: &RoleStats,
    ra: Option<&RoleDelta>,
    rb: Option<&RoleDelta>,
    d: &WeekOverWeek,
) -> (Vec<Row>, String) {
    let Some(prev) = d.previous_week else {
        return (
            Vec::new(),
            format!(
                "First week on record: there is no earlier snapshot to compare {} with.",
                d.week
            ),
        );
    };
    let get = |r: Option<&RoleDelta>, f: &dyn Fn(&RoleDelta) -> String| {
        r.map(f).unwrap_or_else(|| "first week".into())
    };
    let skills = |r: &RoleDelta| {
        let e = r.skills_entered.clone().unwrap_or_default();
        let l = r.skills_left.clone().unwrap_or_default();
        match (e.is_empty(), l.is_empty()) {
            (true, true) => "no change".into(),
            _ => {
                let mut parts = Vec::new();
                if !e.is_empty() {
                    parts.push(format!("in: {}", e.join(", ")));
                }
                if !l.is_empty() {
                    parts.push(format!("out: {}", l.join(", ")));
                }
                parts.join("; ")
            }
        }
    };
    let rows = vec![
        Row {
            label: "Open positions".into(),
            a: get(ra, &|r| {
                format!(
                    "{} {}",
                    a.open_positions,
                    change_text(&r.open_positions, |v| format!("{v:.0}"))
                )
            }),
            b: get(rb, &|r| {
                format!(
                    "{} {}",
                    b.open_positions,
                    change_text(&r.open_positions, |v| format!("{v:.0}"))
                )
            }),
        },
        Row {
            label: "Median salary".into(),
            a: get(ra, &|r| median_change(a, &r.median)),
            b: get(rb, &|r| median_change(b, &r.median)),
        },
        Row {
            label: "Remote share".into(),
            a: get(ra, &|r| pp_text(r.remote_share_pp)),
            b: get(rb, &|r| pp_text(r.remote_share_pp)),
        },
        Row {
            label: "Senior share".into(),
            a: get(ra, &|r| pp_text(r.experience_mix_pp.senior)),
            b: get(rb, &|r| pp_text(r.experience_mix_pp.senior)),
        },
        Row { label: "Top-8 skills".into(), a: get(ra, &skills), b: get(rb, &skills) },
    ];
    let m = &d.market.open_positions;
    let note = format!(
        "Changes since {prev}. The whole market: {} open AI positions, {}.",
        m.cur.map(|v| count(v as u64)).unwrap_or_default(),
        change_text(m, |v| format!("{v:.0}"))
    );
    (rows, note)
}

fn median_change(r: &RoleStats, c: &Change) -> String {
    match c.cur {
        None => format!("suppressed (n = {})", r.salary.n),
        Some(cur) if c.abs.is_none() => format!("{} (last week suppressed)", money_k(cur)),
        Some(cur) => format!("{} {}", money_k(cur), change_text(c, money_delta_k)),
    }
}

fn narrative(s: &Snapshot, a: &RoleStats, b: &RoleStats, cmp: &PairComparison) -> Vec<Section> {
    let (an, bn) = (&a.name, &b.name);
    let mut out = Vec::new();
    out.push(Section {
        heading: format!("{an} vs {bn}: What You Need to Know"),
        paragraphs: vec![
            format!(
                "Across the {} open AI positions we track this week, {an} makes up {} of listings while {bn} accounts for {}.",
                count(s.market.open_positions),
                share_or(a.share_of_market),
                share_or(b.share_of_market)
            ),
            "This comparison sets the salary data, required skills, hiring patterns and career paths of both roles side by side, from this week's postings.".into(),
        ],
    });
    let mut skills = Vec::new();
    if !cmp.shared_skills.is_empty() {
        skills.push(format!(
            "Both roles share demand for {}. That overlap means a foundation that keeps both paths open.",
            list(&cmp.shared_skills)
        ));
    }
    if !cmp.unique_a.is_empty() {
        skills.push(format!("Skills in the top 8 of {an} only: {}.", list(&cmp.unique_a)));
    }
    if !cmp.unique_b.is_empty() {
        skills.push(format!("Skills in the top 8 of {bn} only: {}.", list(&cmp.unique_b)));
    }
    if !skills.is_empty() {
        out.push(Section {
            heading: "Skills Analysis: Where the Roles Diverge".into(),
            paragraphs: skills,
        });
    }
    let mut pay = Vec::new();
    if let (Some(ha), Some(hb)) = (a.salary.range_high, b.salary.range_high) {
        let (hi, lo, h, l) = if ha >= hb { (an, bn, ha, hb) } else { (bn, an, hb, ha) };
        pay.push(format!(
            "{hi} has a {} higher average salary ceiling than {lo} ({} vs {}).",
            money_k(h - l),
            money_k(h),
            money_k(l)
        ));
    }
    pay.push(format!(
        "Median salaries tell a more grounded story: {an} sits at {} while {bn} comes in at {}. The median is not pulled up by a few outlier offers the way the average is.",
        salary_or(a, a.salary.median),
        salary_or(b, b.salary.median)
    ));
    pay.push(format!(
        "At the 75th percentile, {an} reaches {} and {bn} reaches {}.",
        salary_or(a, a.salary.p75),
        salary_or(b, b.salary.p75)
    ));
    pay.push(format!(
        "Remote work: {} of {an} roles with a stated arrangement are fully remote, against {} for {bn}.",
        share_or(a.remote_share),
        share_or(b.remote_share)
    ));
    out.push(Section { heading: "Salary Breakdown: Beyond the Averages".into(), paragraphs: pay });
    let metros = |r: &RoleStats| {
        let m: Vec<String> = r.top_metros.iter().map(|m| m.name.clone()).collect();
        if m.is_empty() { "none listed".to_string() } else { list(&m) }
    };
    out.push(Section {
        heading: "Hiring Patterns".into(),
        paragraphs: vec![
            format!(
                "Seniority: {an} is {} senior and {} entry-level; {bn} is {} senior and {} entry-level.",
                share_or(a.experience_mix.senior),
                share_or(a.experience_mix.entry),
                share_or(b.experience_mix.senior),
                share_or(b.experience_mix.entry)
            ),
            format!("Top hiring locations for {an}: {}. For {bn}: {}.", metros(a), metros(b)),
        ],
    });
    out
}

fn faq(a: &RoleStats, b: &RoleStats, cmp: &PairComparison, da: &RoleDef, db: &RoleDef) -> Vec<Faq> {
    let (an, bn) = (&a.name, &b.name);
    let mut v = Vec::new();
    v.push(Faq { q: format!("Which pays more, {an} or {bn}?"), a: pay_sentence(a, b, cmp) });
    v.push(Faq {
        q: format!("Can I switch from {an} to {bn}?"),
        a: if cmp.shared_skills.is_empty() {
            format!("The two roles share none of their top skills this week, so a switch means learning {bn}'s core skills first.")
        } else {
            format!(
                "Both roles share these top skills: {}. To move across you would add {bn}-specific skills{}.",
                list(&cmp.shared_skills),
                if cmp.unique_b.is_empty() { String::new() } else { format!(" such as {}", list(&cmp.unique_b)) }
            )
        },
    });
    v.push(Faq {
        q: "Which role has more remote work?".into(),
        a: format!("{an} roles are {} remote, while {bn} roles are {} remote (among postings that state an arrangement).", share_or(a.remote_share), share_or(b.remote_share)),
    });
    v.push(Faq {
        q: "Which is easier to enter at entry level?".into(),
        a: format!(
            "Entry-level postings make up {} of {an} openings and {} of {bn} openings.",
            share_or(a.experience_mix.entry),
            share_or(b.experience_mix.entry)
        ),
    });
    let entry = |d: &RoleDef| {
        if d.entry_points.is_empty() {
            "no usual entry points recorded".to_string()
        } else {
            list(&d.entry_points)
        }
    };
    v.push(Faq {
        q: format!("How do people get into {an} and {bn}?"),
        a: format!("Common entry points for {an}: {}. For {bn}: {}.", entry(da), entry(db)),
    });
    v.push(Faq {
        q: "Which has more open positions?".into(),
        a: match cmp.more_open {
            Some(side) => {
                let (m, l) = if side == Side::A { (a, b) } else { (b, a) };
                format!(
                    "{} currently has more open positions ({} vs {}).",
                    m.name, m.open_positions, l.open_positions
                )
            }
            None => format!("Both have {} open positions this week.", a.open_positions),
        },
    });
    v.push(Faq {
        q: "What do experienced people earn?".into(),
        a: format!(
            "At the 75th percentile, a proxy for senior pay, {an} reaches {} and {bn} reaches {}.",
            salary_or(a, a.salary.p75),
            salary_or(b, b.salary.p75)
        ),
    });
    v
}

fn related(input: &PairInput<'_>) -> Vec<Item> {
    let week = input.snapshot.week;
    let mut out = Vec::new();
    // Up to four other pairs of each role, the nearest in roles.toml first.
    for &me in &[input.a, input.b] {
        // Only pairs with a report: both roles have figures this week.
        let has = |j: usize| input.snapshot.roles.iter().any(|r| r.slug == input.roles[j].slug);
        let mut others: Vec<usize> =
            (0..input.roles.len()).filter(|&j| j != input.a && j != input.b && has(j)).collect();
        others.sort_by_key(|&j| (j.abs_diff(me), j));
        for j in others.into_iter().take(4) {
            let (x, y) = if me < j {
                (&input.roles[me], &input.roles[j])
            } else {
                (&input.roles[j], &input.roles[me])
            };
            out.push(Item {
                name: format!("{} vs {}", x.name, y.name),
                detail: format!(
                    "{}/{week}/reports/{}",
                    input.base_url.trim_end_matches('/'),
                    report_file(x, y)
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_text_has_arrows_and_signs() {
        let c = Change::between(Some(80.0), Some(92.0));
        assert_eq!(change_text(&c, |v| format!("{v:.0}")), "↑ +12 (+15.0%)");
        let c = Change::between(Some(100.0), Some(95.0));
        assert_eq!(change_text(&c, |v| format!("{v:.0}")), "↓ −5 (−5.0%)");
        let c = Change::between(Some(0.0), Some(3.0));
        assert_eq!(change_text(&c, |v| format!("{v:.0}")), "↑ +3");
        assert_eq!(
            change_text(&Change::between(None, Some(3.0)), |v| v.to_string()),
            "n/a (no figure last week)"
        );
        assert_eq!(pp_text(Some(-2.46)), "↓ −2.5 pp");
    }

    #[test]
    fn lists_read_as_english() {
        let s = |v: &[&str]| list(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(s(&["AWS"]), "AWS");
        assert_eq!(s(&["AWS", "Docker"]), "AWS and Docker");
        assert_eq!(s(&["AWS", "Docker", "Rust"]), "AWS, Docker and Rust");
    }
}
