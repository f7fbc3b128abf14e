//! The sentences of a role-pair report: the verdict, the week's changes,
//! the narrative, the FAQ and the related comparisons, each written from
//! the figures. Pure.

use super::view::{
    Faq, Item, PairInput, Row, Section, change_text, median_with_interval, salary_or, share_or,
};
use crate::deltas::{MedianDelta, PairComparison, RoleDelta, Side, WeekOverWeek};
use crate::output::report_path;
use crate::roles::RoleDef;
use crate::stats::{RoleStats, Snapshot};
use crate::text::{self, count, list, money_delta_k, money_k};

/// The sentence for two medians that differ by no more than noise.
fn no_clear_difference(a: &RoleStats, b: &RoleStats) -> String {
    let mut s = text::NO_CLEAR_PAY_DIFFERENCE.to_string();
    s[..1].make_ascii_uppercase();
    format!(
        "{s}: {} {} and {} {}.",
        a.name,
        median_with_interval(a),
        b.name,
        median_with_interval(b)
    )
}

pub(super) fn pay_sentence(a: &RoleStats, b: &RoleStats, cmp: &PairComparison) -> String {
    if cmp.no_clear_pay_difference() {
        return no_clear_difference(a, b);
    }
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
                .map(|r| text::with_n(&r.name, r.salary.n))
                .collect();
            format!("No verdict on pay: not enough disclosed salaries for {}.", list(&thin))
        }
    }
}

pub(super) fn verdict(
    a: &RoleStats,
    b: &RoleStats,
    cmp: &PairComparison,
    da: &RoleDef,
    db: &RoleDef,
) -> Vec<String> {
    let mut v = Vec::new();
    match (cmp.pays_more, cmp.pay_gap_pct) {
        _ if cmp.no_clear_pay_difference() => v.push(no_clear_difference(a, b)),
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

pub(super) fn changes(
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
            a: get(ra, &|r| text::pp(r.remote_share_pp)),
            b: get(rb, &|r| text::pp(r.remote_share_pp)),
        },
        Row {
            label: "Senior share".into(),
            a: get(ra, &|r| text::pp(r.experience_mix_pp.senior)),
            b: get(rb, &|r| text::pp(r.experience_mix_pp.senior)),
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

/// The median's change, and whether it is more than noise (spec 10.3).
pub(super) fn median_change(r: &RoleStats, m: &MedianDelta) -> String {
    let c = &m.change;
    let Some(cur) = c.cur else { return text::with_n("suppressed", r.salary.n) };
    if c.abs.is_none() {
        return format!("{} (last week suppressed)", money_k(cur));
    }
    let moved = format!("{} {}", money_k(cur), change_text(c, money_delta_k));
    let (Some(lo), Some(hi)) = (m.ci_low, m.ci_high) else { return moved };
    let verdict = if m.is_significant() {
        if m.mostly_mix() { text::MOSTLY_MIX } else { "beyond the margin of error" }
    } else {
        "within the margin of error"
    };
    format!("{moved}, {verdict} ({})", text::change_interval(lo, hi))
}

pub(super) fn narrative(
    s: &Snapshot,
    a: &RoleStats,
    b: &RoleStats,
    cmp: &PairComparison,
) -> Vec<Section> {
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

pub(super) fn faq(
    a: &RoleStats,
    b: &RoleStats,
    cmp: &PairComparison,
    da: &RoleDef,
    db: &RoleDef,
) -> Vec<Faq> {
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
        a: format!("{an} roles are {} remote, while {bn} roles are {} remote (among jobs that state an arrangement).", share_or(a.remote_share), share_or(b.remote_share)),
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

pub(super) fn related(input: &PairInput<'_>) -> Vec<Item> {
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
                    "{}/{}",
                    input.base_url.trim_end_matches('/'),
                    report_path(week, x, y)
                ),
            });
        }
    }
    out
}
