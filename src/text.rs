//! Text: the one home of how figures and phrases read, in reports, the
//! newsletter and the terminal alike. Money, counts, percentages,
//! percentage points, changes with their signs and arrows, lists, plurals,
//! and the contract's fixed phrases (spec sections 4 and 5). Pure.

/// Money as shown in documents: `$173K` (thousands, rounded half-up).
pub fn money_k(usd: f64) -> String {
    let k = (usd / 1000.0 + 0.5).floor() as i64;
    format!("${k}K")
}

/// A count with thousands separators: `26,159`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A change of money: `$4.2K` (thousands with one decimal, so small moves still show).
pub fn money_delta_k(usd: f64) -> String {
    format!("${:.1}K", usd / 1000.0)
}

/// A fraction shown as a percentage with one decimal: `8.8%`.
pub fn pct1(fraction: f64) -> String {
    format!("{:.1}%", (fraction * 1000.0 + 0.5).floor() / 10.0)
}

/// Rounds shares (fractions) to tenths of a percent so that they sum to
/// exactly 100.0 (largest remainder). Returns tenths of a percent.
pub fn largest_remainder_tenths(shares: &[f64]) -> Vec<u32> {
    let total: f64 = shares.iter().sum();
    if shares.is_empty() || total <= 0.0 {
        return vec![0; shares.len()];
    }
    let scaled: Vec<f64> = shares.iter().map(|s| s / total * 1000.0).collect();
    let mut out: Vec<u32> = scaled.iter().map(|v| v.floor() as u32).collect();
    let given: u32 = out.iter().sum();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    // Largest remainder first; ties go to the earlier entry so the result is stable.
    order.sort_by(|&a, &b| {
        let ra = scaled[a] - scaled[a].floor();
        let rb = scaled[b] - scaled[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().take(1000u32.saturating_sub(given) as usize) {
        out[i] += 1;
    }
    out
}

/// `+`, `−` (a real minus sign) or `±` for no change.
pub fn sign(v: f64) -> &'static str {
    if v > 0.0 {
        "+"
    } else if v < 0.0 {
        "−"
    } else {
        "±"
    }
}

/// `↑`, `↓` or `→`, and the direction's name (`up`, `down`, `flat`, a CSS class).
pub fn arrow(v: f64) -> (&'static str, &'static str) {
    if v > 0.0 {
        ("↑", "up")
    } else if v < 0.0 {
        ("↓", "down")
    } else {
        ("→", "flat")
    }
}

/// A change with its sign and, when there is one, its percentage:
/// `+12 (+4.3%)`, `−$4.0K (−2.3%)`; `fmt` formats the amount.
pub fn signed_change(abs: f64, pct: Option<f64>, fmt: impl Fn(f64) -> String) -> String {
    let sign = sign(abs);
    let pct = pct.map(|p| format!(" ({sign}{:.1}%)", p.abs() * 100.0)).unwrap_or_default();
    format!("{sign}{}{pct}", fmt(abs.abs()))
}

/// A median with its interval, `$178K (95 % CI $165K–$190K)`, or the median alone.
pub fn money_with_interval(median: f64, interval: Option<(f64, f64)>) -> String {
    match interval {
        Some((low, high)) => format!("{} ({})", money_k(median), money_interval(low, high)),
        None => money_k(median),
    }
}

/// An interval of money: `95 % CI $165K–$190K`.
pub fn money_interval(low: f64, high: f64) -> String {
    format!("95 % CI {}–{}", money_k(low), money_k(high))
}

/// An interval of a change of money, with signs: `95 % CI −$2.1K to +$27.0K`.
pub fn change_interval(low: f64, high: f64) -> String {
    let end = |v: f64| format!("{}{}", sign(v), money_delta_k(v.abs()));
    format!("95 % CI {} to {}", end(low), end(high))
}

/// An interval of a ratio of medians as percentages: `95 % CI −3 % to +21 %`.
pub fn ratio_interval(low: f64, high: f64) -> String {
    let end = |r: f64| {
        let pct = ((r - 1.0) * 100.0).round();
        format!("{}{} %", sign(pct), pct.abs())
    };
    format!("95 % CI {} to {}", end(low), end(high))
}

/// The sentence for a week in which no median moved beyond the margin of error.
pub const NO_SIGNIFICANT_MOVE: &str =
    "No role's median salary moved beyond the margin of error this week.";

/// The sentence instead of median moves when last week was stored before
/// intervals existed (a schema-1 snapshot): nothing tells a move from noise.
pub const NO_INTERVALS_LAST_WEEK: &str = "Median moves are not shown this week: last week's figures were stored before the intervals that tell a move from noise.";

/// The sentence instead of median moves in the first week on record.
pub const NO_WEEK_BEFORE: &str = "Median moves start next week: this is the first week on record.";

/// The label of a move that is mostly a change of seniority mix.
pub const MOSTLY_MIX: &str = "mostly a change of seniority mix";

/// The verdict when a pay ratio's interval includes 1 (spec section 10.4).
pub const NO_CLEAR_PAY_DIFFERENCE: &str = "no clear pay difference at the median";

/// A change in percentage points with its arrow: `↑ +2.5 pp`, `→ no change`
/// below 0.05 points, `n/a` without a figure last week.
pub fn pp(v: Option<f64>) -> String {
    match v {
        Some(p) if p.abs() < 0.05 => NO_CHANGE.into(),
        Some(p) if p > 0.0 => format!("↑ +{p:.1} pp"),
        Some(p) => format!("↓ −{:.1} pp", p.abs()),
        None => "n/a".into(),
    }
}

/// What a change of exactly nothing reads as.
pub const NO_CHANGE: &str = "→ no change";

/// A list read as English: `AWS`, `AWS and Docker`, `AWS, Docker and Rust`.
pub fn list(v: &[String]) -> String {
    match v.len() {
        0 => String::new(),
        1 => v[0].clone(),
        2 => format!("{} and {}", v[0], v[1]),
        n => format!("{} and {}", v[..n - 1].join(", "), v[n - 1]),
    }
}

/// A count with its noun: `1 posting`, `27 postings`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The contract's phrase for suppressed salary figures (spec section 4).
pub fn not_enough_salaries(n: u64) -> String {
    format!("not enough disclosed salaries (n = {n})")
}

/// A name with its sample size: `MLOps Engineer (n = 31)`.
pub fn with_n(name: &str, n: u64) -> String {
    format!("{name} (n = {n})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_percent_formats() {
        assert_eq!(money_k(173_000.0), "$173K");
        assert_eq!(money_k(172_500.0), "$173K");
        assert_eq!(money_k(172_499.0), "$172K");
        assert_eq!(pct1(0.0875), "8.8%");
        assert_eq!(pct1(0.0), "0.0%");
        assert_eq!(count(26_159), "26,159");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000_000), "1,000,000");
        assert_eq!(money_delta_k(312.0), "$0.3K");
    }

    #[test]
    fn largest_remainder_sums_to_one_hundred() {
        let t = largest_remainder_tenths(&[1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0]);
        assert_eq!(t.iter().sum::<u32>(), 1000);
        assert_eq!(t, vec![334, 333, 333]);
        let t = largest_remainder_tenths(&[0.04, 0.74, 0.22]);
        assert_eq!(t, vec![40, 740, 220]);
    }

    #[test]
    fn changes_have_signs_arrows_and_percentages() {
        assert_eq!(signed_change(12.0, Some(0.15), |v| format!("{v:.0}")), "+12 (+15.0%)");
        assert_eq!(signed_change(-5.0, Some(-0.05), |v| format!("{v:.0}")), "−5 (−5.0%)");
        assert_eq!(signed_change(0.0, Some(0.0), |v| format!("{v:.0}")), "±0 (±0.0%)");
        assert_eq!(signed_change(3.0, None, |v| format!("{v:.0}")), "+3");
        assert_eq!(pp(Some(-2.46)), "↓ −2.5 pp");
        assert_eq!(pp(Some(0.01)), "→ no change");
        assert_eq!(arrow(-1.0), ("↓", "down"));
    }

    #[test]
    fn lists_read_as_english() {
        let s = |v: &[&str]| list(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(s(&["AWS"]), "AWS");
        assert_eq!(s(&["AWS", "Docker"]), "AWS and Docker");
        assert_eq!(s(&["AWS", "Docker", "Rust"]), "AWS, Docker and Rust");
        assert_eq!(plural(1, "job", "jobs"), "1 job");
        assert_eq!(not_enough_salaries(4), "not enough disclosed salaries (n = 4)");
        assert_eq!(money_interval(165_200.0, 190_000.0), "95 % CI $165K–$190K");
        assert_eq!(change_interval(-2_100.0, 27_000.0), "95 % CI −$2.1K to +$27.0K");
        assert_eq!(ratio_interval(0.97, 1.21), "95 % CI −3 % to +21 %");
    }
}
