//! Week-over-week deltas (spec section 5) and the comparison of two roles.
//!
//! Pure functions over snapshots. Anything without a predecessor is `None`
//! (JSON `null`), never zero.

use serde::{Deserialize, Serialize};

use crate::model::IsoWeek;
use crate::stats::{Interval, RoleStats, Snapshot};

/// A count or amount this week against last week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Last week's value.
    pub prev: Option<f64>,
    /// This week's value.
    pub cur: Option<f64>,
    /// `cur - prev`.
    pub abs: Option<f64>,
    /// `abs / prev` as a fraction (null when `prev` is 0 or missing).
    pub pct: Option<f64>,
}

impl Change {
    /// The change from `prev` to `cur`.
    pub fn between(prev: Option<f64>, cur: Option<f64>) -> Self {
        let abs = prev.zip(cur).map(|(p, c)| c - p);
        let pct = prev.zip(abs).and_then(|(p, a)| (p != 0.0).then(|| a / p));
        Change { prev, cur, abs, pct }
    }
}

/// The median's change, with whether it is more than noise (spec 10.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MedianDelta {
    /// `prev`, `cur`, `abs`, `pct`.
    #[serde(flatten)]
    pub change: Change,
    /// Lower end of the 95 % interval of `abs` (paired bootstrap over jobs).
    pub ci_low: Option<f64>,
    /// Upper end.
    pub ci_high: Option<f64>,
    /// Whether the interval excludes 0.
    pub significant: Option<bool>,
    /// The change as a fraction with this week reweighted to last week's
    /// seniority mix: the change that is not a change of mix.
    pub adjusted_pct: Option<f64>,
}

impl MedianDelta {
    /// Whether the move is more than the margin of error.
    pub fn is_significant(&self) -> bool {
        self.significant == Some(true)
    }

    /// Whether more than half of the move is a change of mix: the
    /// mix-adjusted change is further from the raw change than half of it.
    pub fn mostly_mix(&self) -> bool {
        match (self.change.pct, self.adjusted_pct) {
            (Some(raw), Some(adj)) => (raw - adj).abs() > raw.abs() / 2.0,
            _ => false,
        }
    }
}

/// The market's deltas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketDelta {
    /// All open positions.
    pub open_positions: Change,
}

/// Percentage-point changes of the experience mix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixDelta {
    /// Entry share change in points.
    pub entry: Option<f64>,
    /// Mid share change in points.
    pub mid: Option<f64>,
    /// Senior share change in points.
    pub senior: Option<f64>,
}

/// A skill that stayed in the top list but moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankMove {
    /// Skill name.
    pub name: String,
    /// Rank last week (1 is first).
    pub prev_rank: usize,
    /// Rank this week.
    pub cur_rank: usize,
}

/// One role's deltas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleDelta {
    /// Display name.
    pub name: String,
    /// Slug.
    pub slug: String,
    /// Open positions.
    pub open_positions: Change,
    /// Median salary (null when either week is suppressed).
    pub median: MedianDelta,
    /// Remote share change in percentage points.
    pub remote_share_pp: Option<f64>,
    /// Experience mix changes in percentage points.
    pub experience_mix_pp: MixDelta,
    /// Skills new in the top list.
    pub skills_entered: Option<Vec<String>>,
    /// Skills gone from the top list.
    pub skills_left: Option<Vec<String>>,
    /// Skills in both weeks' top lists whose rank changed.
    pub skill_rank_moves: Option<Vec<RankMove>>,
}

/// Deltas of a week against the week before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekOverWeek {
    /// This week.
    pub week: IsoWeek,
    /// The week compared against (null when it is not stored).
    pub previous_week: Option<IsoWeek>,
    /// Market deltas.
    pub market: MarketDelta,
    /// Role deltas, in the order of this week's snapshot.
    pub roles: Vec<RoleDelta>,
    /// Why figures are missing that the snapshots could not give (for
    /// example a schema-1 week, stored before intervals existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Open positions below which a role's relative change is left out of the
/// movers by open positions: on a handful of postings a percentage means little.
pub const MOVER_MIN_OPEN: f64 = 30.0;

impl WeekOverWeek {
    /// The deltas of a role by slug.
    pub fn role(&self, slug: &str) -> Option<&RoleDelta> {
        self.roles.iter().find(|r| r.slug == slug)
    }

    /// Roles by the size of their relative change of open positions, the
    /// biggest first (ties by slug): those with a percentage and at least
    /// [`MOVER_MIN_OPEN`] open positions this week. The newsletter and the
    /// terminal summary both list these.
    pub fn movers_by_open(&self) -> Vec<&RoleDelta> {
        let mut v: Vec<&RoleDelta> = self
            .roles
            .iter()
            .filter(|r| r.open_positions.pct.is_some())
            .filter(|r| r.open_positions.cur.is_some_and(|c| c >= MOVER_MIN_OPEN))
            .collect();
        sort_by_relative_change(&mut v, |r| &r.open_positions);
        v
    }

    /// Roles by the size of their relative change of median salary, the
    /// biggest first (ties by slug): those with a median in both weeks.
    pub fn movers_by_median(&self) -> Vec<&RoleDelta> {
        let mut v: Vec<&RoleDelta> =
            self.roles.iter().filter(|r| r.median.change.pct.is_some()).collect();
        sort_by_relative_change(&mut v, |r| &r.median.change);
        v
    }
}

fn sort_by_relative_change(v: &mut [&RoleDelta], change: fn(&RoleDelta) -> &Change) {
    v.sort_by(|a, b| {
        let (x, y) = (change(a).pct.unwrap_or(0.0), change(b).pct.unwrap_or(0.0));
        y.abs().total_cmp(&x.abs()).then_with(|| a.slug.cmp(&b.slug))
    });
}

fn pp(prev: Option<f64>, cur: Option<f64>) -> Option<f64> {
    prev.zip(cur).map(|(p, c)| (c - p) * 100.0)
}

/// Computes the deltas of `cur` against `prev` (`None`: no predecessor).
pub fn week_over_week(prev: Option<&Snapshot>, cur: &Snapshot) -> WeekOverWeek {
    let count = |v: u64| Some(v as f64);
    let comparable = prev.is_some_and(|p| p.schema_version == cur.schema_version);
    let roles = cur
        .roles
        .iter()
        .map(|r| {
            let before = prev.and_then(|p| p.roles.iter().find(|x| x.slug == r.slug));
            role_delta(before, r, comparable)
        })
        .collect();
    WeekOverWeek {
        week: cur.week,
        previous_week: prev.map(|p| p.week),
        market: MarketDelta {
            open_positions: Change::between(
                prev.and_then(|p| count(p.market.open_positions)),
                count(cur.market.open_positions),
            ),
        },
        roles,
        notes: schema_notes(prev, cur),
    }
}

/// Why the intervals are missing when a week was stored before they existed.
fn schema_notes(prev: Option<&Snapshot>, cur: &Snapshot) -> Vec<String> {
    let Some(prev) = prev else { return Vec::new() };
    let old: Vec<IsoWeek> = [prev, cur]
        .iter()
        .filter(|s| s.schema_version < crate::stats::SCHEMA_VERSION)
        .map(|s| s.week)
        .collect();
    old.iter()
        .map(|w| {
            format!(
                "{w} is a schema-1 snapshot, stored before reposts were counted once and medians had intervals: ci_low, ci_high, significant and adjusted_pct are null; `salarytrends snapshot --week {w} --recompute` upgrades it"
            )
        })
        .collect()
}

/// The median's change; its interval and mix adjustment come from the
/// snapshot of this week, computed against the stored week before.
fn median_delta(prev: Option<&RoleStats>, cur: &RoleStats, comparable: bool) -> MedianDelta {
    let change = Change::between(prev.and_then(|p| p.salary.median), cur.salary.median);
    // Both weeks counted the same way (a schema-1 week counted postings).
    let wow = cur.median_change.as_ref().filter(|_| change.abs.is_some() && comparable);
    MedianDelta {
        ci_low: wow.map(|w| w.ci_low),
        ci_high: wow.map(|w| w.ci_high),
        significant: wow.map(|w| w.ci_low > 0.0 || w.ci_high < 0.0),
        adjusted_pct: wow.and_then(|w| w.adjusted_pct),
        change,
    }
}

fn role_delta(prev: Option<&RoleStats>, cur: &RoleStats, comparable: bool) -> RoleDelta {
    let names = |r: &RoleStats| r.top_skills.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
    let cur_skills = names(cur);
    let prev_skills = prev.map(names);
    let entered = prev_skills
        .as_ref()
        .map(|p| cur_skills.iter().filter(|s| !p.contains(s)).cloned().collect());
    let left = prev_skills
        .as_ref()
        .map(|p| p.iter().filter(|s| !cur_skills.contains(s)).cloned().collect());
    let moves = prev_skills.as_ref().map(|p| {
        cur_skills
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let j = p.iter().position(|x| x == s)?;
                (i != j).then(|| RankMove { name: s.clone(), prev_rank: j + 1, cur_rank: i + 1 })
            })
            .collect()
    });
    let mix = |f: fn(&RoleStats) -> Option<f64>| pp(prev.and_then(f), f(cur));
    RoleDelta {
        name: cur.name.clone(),
        slug: cur.slug.clone(),
        open_positions: Change::between(
            prev.map(|p| p.open_positions as f64),
            Some(cur.open_positions as f64),
        ),
        median: median_delta(prev, cur, comparable),
        remote_share_pp: pp(prev.and_then(|p| p.remote_share), cur.remote_share),
        experience_mix_pp: MixDelta {
            entry: mix(|r| r.experience_mix.entry),
            mid: mix(|r| r.experience_mix.mid),
            senior: mix(|r| r.experience_mix.senior),
        },
        skills_entered: entered,
        skills_left: left,
        skill_rank_moves: moves,
    }
}

/// Which side of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The first role.
    A,
    /// The second role.
    B,
}

/// The head-to-head figures of two roles in one week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairComparison {
    /// Who pays more at the median (null when either side is suppressed or they are equal).
    pub pays_more: Option<Side>,
    /// Higher median over the lower, minus 1, as a whole percent rounded half-up.
    pub pay_gap_pct: Option<u64>,
    /// Who has more open positions (null on a tie).
    pub more_open: Option<Side>,
    /// Skills in both top lists, in A's order.
    pub shared_skills: Vec<String>,
    /// Skills only in A's top list.
    pub unique_a: Vec<String>,
    /// Skills only in B's top list.
    pub unique_b: Vec<String>,
    /// shared / max(len A, len B) (null when both lists are empty).
    pub overlap: Option<f64>,
    /// The 95 % interval of median(A) / median(B) (spec section 10.4; null
    /// without salary figures on both sides or in a schema-1 week).
    pub pay_ratio_ci: Option<Interval>,
}

impl PairComparison {
    /// With the pay ratio's interval of the week.
    pub fn with_pay_ratio(mut self, ci: Option<Interval>) -> Self {
        self.pay_ratio_ci = ci;
        self
    }

    /// Whether the medians differ by no more than noise: the pay ratio's
    /// interval includes 1. Documents then name no winner on pay.
    pub fn no_clear_pay_difference(&self) -> bool {
        self.pay_ratio_ci.is_some_and(|c| c.low <= 1.0 && c.high >= 1.0)
    }
}

/// Compares two roles of the same snapshot.
pub fn compare(a: &RoleStats, b: &RoleStats) -> PairComparison {
    let (pays_more, pay_gap_pct) = match (a.salary.median, b.salary.median) {
        (Some(x), Some(y)) if x > 0.0 && y > 0.0 => {
            let (hi, lo, side) = if x >= y { (x, y, Side::A) } else { (y, x, Side::B) };
            // (hi - lo) * 100 / lo keeps exact halves exact (hi / lo - 1 would not).
            let gap = ((hi - lo) * 100.0 / lo + 0.5).floor() as u64;
            ((x != y).then_some(side), Some(gap))
        }
        _ => (None, None),
    };
    let more_open = match a.open_positions.cmp(&b.open_positions) {
        std::cmp::Ordering::Greater => Some(Side::A),
        std::cmp::Ordering::Less => Some(Side::B),
        std::cmp::Ordering::Equal => None,
    };
    let sa: Vec<&str> = a.top_skills.iter().map(|s| s.name.as_str()).collect();
    let sb: Vec<&str> = b.top_skills.iter().map(|s| s.name.as_str()).collect();
    let shared: Vec<String> = sa.iter().filter(|s| sb.contains(s)).map(|s| s.to_string()).collect();
    let unique_a = sa.iter().filter(|s| !sb.contains(s)).map(|s| s.to_string()).collect();
    let unique_b = sb.iter().filter(|s| !sa.contains(s)).map(|s| s.to_string()).collect();
    let longest = sa.len().max(sb.len());
    PairComparison {
        pays_more,
        pay_gap_pct,
        more_open,
        overlap: (longest > 0).then(|| shared.len() as f64 / longest as f64),
        shared_skills: shared,
        unique_a,
        unique_b,
        pay_ratio_ci: None,
    }
}
