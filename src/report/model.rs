//! The view-model of a role-pair report ([`ReportModel`]), built from
//! snapshots and deltas with every figure already formatted; the typst
//! template only places it, and the sentences come from [`super::prose`].
//! Pure: no I/O.

use super::prose::{changes, faq, narrative, pay_sentence, related, verdict};
use super::view::{
    ChartRef, Item, PairInput, ReportModel, RoleView, Row, median_with_interval, mix_text,
    range_text, reliability, salary_or, share_or,
};
use crate::deltas;
use crate::roles::RoleDef;
use crate::stats::RoleStats;
use crate::text::{count, list, pct1, plural};

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
        skills: items(&r.top_skills, ("job", "jobs")),
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
    let cmp = deltas::compare(&a, &b).with_pay_ratio(s.pay_ratio(&a.slug, &b.slug));
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
        row("Median", &median_with_interval),
        row("Average", &|r| salary_or(r, r.salary.mean)),
        row("75th percentile", &|r| salary_or(r, r.salary.p75)),
        row("Sample", &reliability),
    ];
    let salary_verdict = pay_sentence(&a, &b, &cmp);
    let salary_note = format!(
        "Based on {} and {} jobs with disclosed compensation, respectively; each median's 95 % interval is the range that holds the true median 95 times in 100.",
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
    let postings = s.market.postings.unwrap_or(s.market.open_positions);
    let reposts = match s.source.dedup_window_days {
        Some(0) | None => {
            format!("Every posting counts as its own job this week ({} postings).", count(postings))
        }
        Some(days) => format!(
            "Reposts count once. Job boards post the same job again every few weeks; postings with the same company, title and location (compared without case or punctuation) count as one job while each follows the one before within {days} days, and a job's figures are those of its newest posting open in the week. This week {} postings were open: {} jobs.",
            count(postings),
            count(s.market.open_positions)
        ),
    };
    let methodology = vec![
        reposts,
        "Open positions count jobs open at any time in the ISO week: posted on or before its Sunday and not closed before its Monday.".into(),
        "Salaries are annualised to US dollars (hourly × 2080, daily × 260, weekly × 52, monthly × 12; fixed exchange rates). A posting's salary point is the mean of its minimum and maximum. Percentiles interpolate linearly between closest ranks; the average salary range is the mean of the lower bounds to the mean of the upper bounds.".into(),
        format!(
            "Salary figures need at least {} disclosed salaries; below that they are suppressed. Reliability is low below 30, medium below 100, high from 100.",
            input.min_salary_sample
        ),
        "Roles come from the posting's role field or, failing that, from its title matched on whole words; skills are matched whole, case-insensitively, with aliases (k8s is Kubernetes). Shares shown together are rounded to sum to 100%.".into(),
        "Intervals. A median from a sample moves from week to week without anything happening, so every median comes with its 95 % interval: the range that holds the true median 95 times in 100, read from the ranked salaries themselves with no assumption about their shape. When the interval of the ratio of two medians includes equal pay, the report names no winner on pay.".into(),
        "Moves and noise. A week-over-week change of a median counts as a move only when its 95 % interval excludes zero; the interval comes from 1,000 resamples of the jobs open in either week, a job open in both weeks counting in both, as consecutive weeks share most of their jobs. Part of a move can be a change of mix: when more senior jobs are open the median rises although no one is paid more, so the mix-adjusted change reweights this week's jobs to last week's entry, mid and senior shares.".into(),
    ];
    let data_quality = format!(
        "This week's snapshot covers {} open AI jobs ({} postings, reposts included; {} jobs not matched to any role). It was computed from {} rows in {}; {} rows were rejected (listed in rejected.csv) and {} salaries were set aside as implausible.",
        count(s.market.open_positions),
        count(postings),
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
