//! Statistics: (&Dataset, week) → [`Snapshot`], exactly as spec section 4
//! defines each field. Pure: no I/O, no clock. The result does not depend on
//! the order of the postings (values are sorted before they are summed).

use rustc_hash::FxHashMap as HashMap;

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::ingest::{Dataset, SourceFile};
use crate::model::{Arrangement, IsoWeek, Seniority};
pub use crate::quantile::{Interval, percentile};
use crate::roles::Catalog;
use crate::trends;

/// Current snapshot schema: 2 adds reposts, intervals and the week over
/// week figures of spec section 10.
pub const SCHEMA_VERSION: u32 = 2;
/// Skills listed per role.
pub const TOP_SKILLS: usize = 8;
/// Companies listed per role.
pub const TOP_COMPANIES: usize = 5;
/// Metros listed per role.
pub const TOP_METROS: usize = 3;

/// A week's statistics for every role, as stored in `<snapshots_dir>/<week>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Schema version (1).
    pub schema_version: u32,
    /// The ISO week.
    pub week: IsoWeek,
    /// Monday of the week.
    pub week_start: NaiveDate,
    /// Sunday of the week.
    pub week_end: NaiveDate,
    /// Where the numbers came from.
    pub source: SourceInfo,
    /// The whole market.
    pub market: Market,
    /// Every role of `roles.toml`, in file order.
    pub roles: Vec<RoleStats>,
    /// The pay-ratio interval of every pair of roles whose salary figures
    /// are shown, in `roles.toml` order (schema 1: absent).
    #[serde(default)]
    pub pairs: Vec<PairInterval>,
}

/// Input files and data-quality counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// Files read, with their hashes.
    pub files: Vec<SourceFile>,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows rejected.
    pub rows_rejected: u64,
    /// Salaries excluded.
    pub salaries_excluded: u64,
    /// Reposts within this many days counted as one job (0: none; null: a
    /// schema-1 snapshot, or postings not chained).
    #[serde(default)]
    pub dedup_window_days: Option<u32>,
}

/// Market totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Market {
    /// All jobs open in the week, unclassified included (reposts are one job).
    pub open_positions: u64,
    /// Postings open in the week, reposts included (schema 1: absent).
    #[serde(default)]
    pub postings: Option<u64>,
    /// Open jobs that belong to no role.
    pub unclassified: u64,
}

/// One role's statistics for the week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleStats {
    /// Display name.
    pub name: String,
    /// Slug.
    pub slug: String,
    /// Jobs open in the week (reposts are one job).
    pub open_positions: u64,
    /// Postings of those jobs open in the week, reposts included (schema 1: absent).
    #[serde(default)]
    pub postings: Option<u64>,
    /// `open_positions` / market open positions (null when the market is empty).
    pub share_of_market: Option<f64>,
    /// Salary statistics.
    pub salary: SalaryStats,
    /// Share of remote among postings with a known arrangement.
    pub remote_share: Option<f64>,
    /// Share of hybrid among postings with a known arrangement.
    pub hybrid_share: Option<f64>,
    /// Postings with a known arrangement.
    pub remote_known: u64,
    /// Seniority shares.
    pub experience_mix: ExperienceMix,
    /// Most frequent skills.
    pub top_skills: Vec<NameCount>,
    /// Most frequent companies.
    pub top_companies: Vec<NameCount>,
    /// Most frequent locations.
    pub top_metros: Vec<NameCount>,
    /// The median's change since the week before, from the postings of both
    /// weeks (spec section 10.3); null when either week's figures are
    /// suppressed, and in schema-1 snapshots.
    #[serde(default)]
    pub median_change: Option<MedianChangeStats>,
}

/// The 95 % interval of the ratio of two roles' medians, A's over B's
/// (spec section 10.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairInterval {
    /// The first role's slug (the earlier in `roles.toml`).
    pub a: String,
    /// The second role's slug.
    pub b: String,
    /// The interval of median(A) / median(B).
    pub ratio: Interval,
}

/// What the deltas of a week need about a role's median that only the
/// postings hold (spec section 10.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MedianChangeStats {
    /// The week compared against.
    pub previous_week: IsoWeek,
    /// 95 % interval of this week's median minus last week's (paired bootstrap).
    pub ci_low: f64,
    /// Its upper end.
    pub ci_high: f64,
    /// The change as a fraction with this week reweighted to last week's
    /// seniority mix (null when a level of last week has no salaried job now).
    pub adjusted_pct: Option<f64>,
}

/// Salary statistics in annual USD; all but `n` are null when suppressed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SalaryStats {
    /// Postings with a usable salary.
    pub n: u64,
    /// 25th percentile of the salary points.
    pub p25: Option<f64>,
    /// Median of the salary points.
    pub median: Option<f64>,
    /// 75th percentile of the salary points.
    pub p75: Option<f64>,
    /// Mean of the salary points.
    pub mean: Option<f64>,
    /// Mean of the lower bounds.
    pub range_low: Option<f64>,
    /// Mean of the upper bounds.
    pub range_high: Option<f64>,
    /// How far to trust the figures.
    pub reliability: Option<Reliability>,
    /// The 95 % interval of the median (spec section 10.2); absent from
    /// schema-1 snapshots.
    #[serde(default)]
    pub median_ci: Option<Interval>,
}

/// The distribution-free 95 % interval of the median of sorted points
/// (spec section 10.2): with B ~ Binomial(n, ½), k is the largest integer
/// ≥ 1 with 2·P(B ≤ k−1) ≤ 0.05, and the interval is x(k)…x(n+1−k). `None`
/// for fewer than 6 points, where even the whole range holds the median with
/// less than 95 % confidence.
pub fn median_interval(sorted: &[f64]) -> Option<Interval> {
    let n = sorted.len();
    let k = median_interval_rank(n)?;
    Some(Interval { low: sorted[k - 1], high: sorted[n - k], level: 0.95 })
}

/// The rank k of [`median_interval`] for `n` points.
fn median_interval_rank(n: usize) -> Option<usize> {
    // P(B = i) in logs, so that 2^-n does not underflow for large n.
    let ln_half_n = -(n as f64) * std::f64::consts::LN_2;
    let mut ln_choose = 0.0_f64; // ln C(n, i)
    let mut cdf = 0.0_f64; // P(B ≤ i)
    let mut k = None;
    for i in 0..n {
        cdf += (ln_choose + ln_half_n).exp();
        if 2.0 * cdf > 0.05 {
            break;
        }
        // P(B ≤ i) qualifies: k − 1 = i.
        k = Some(i + 1);
        ln_choose += ((n - i) as f64).ln() - ((i + 1) as f64).ln();
    }
    k
}

impl SalaryStats {
    /// Figures withheld for a sample of `n`: every field but `n` is null.
    pub fn withheld(n: u64) -> Self {
        SalaryStats {
            n,
            p25: None,
            median: None,
            p75: None,
            mean: None,
            range_low: None,
            range_high: None,
            reliability: None,
            median_ci: None,
        }
    }

    /// Whether the figures are suppressed for a small sample.
    pub fn suppressed(&self) -> bool {
        self.median.is_none()
    }
}

impl Snapshot {
    /// The interval of median(A) / median(B) for two roles by slug (either
    /// order), when both have salary figures and the snapshot has intervals.
    pub fn pay_ratio(&self, a: &str, b: &str) -> Option<Interval> {
        self.pairs.iter().find_map(|p| {
            if p.a == a && p.b == b {
                Some(p.ratio)
            } else if p.a == b && p.b == a {
                Some(Interval {
                    low: 1.0 / p.ratio.high,
                    high: 1.0 / p.ratio.low,
                    level: p.ratio.level,
                })
            } else {
                None
            }
        })
    }
}

impl RoleStats {
    /// A role with no postings this week.
    pub fn empty(name: &str, slug: &str) -> Self {
        RoleStats {
            name: name.to_string(),
            slug: slug.to_string(),
            open_positions: 0,
            postings: Some(0),
            share_of_market: None,
            salary: SalaryStats::withheld(0),
            remote_share: None,
            hybrid_share: None,
            remote_known: 0,
            experience_mix: ExperienceMix { entry: None, mid: None, senior: None },
            top_skills: vec![],
            top_companies: vec![],
            top_metros: vec![],
            median_change: None,
        }
    }
}

/// Sample-size band of a salary figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reliability {
    /// n < 30.
    Low,
    /// n < 100.
    Medium,
    /// n ≥ 100.
    High,
}

impl Reliability {
    /// The band for a sample size.
    pub fn of(n: u64) -> Self {
        match n {
            0..30 => Reliability::Low,
            30..100 => Reliability::Medium,
            _ => Reliability::High,
        }
    }
}

/// Shares of entry, mid and senior postings (null for a role with none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperienceMix {
    /// Entry share.
    pub entry: Option<f64>,
    /// Mid share.
    pub mid: Option<f64>,
    /// Senior share.
    pub senior: Option<f64>,
}

/// A name with a posting count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameCount {
    /// The name.
    pub name: String,
    /// Postings.
    pub count: u64,
}

#[derive(Default, Clone)]
struct Acc {
    open: u64,
    postings: u64,
    points: Vec<f64>,
    lows: Vec<f64>,
    highs: Vec<f64>,
    remote: u64,
    hybrid: u64,
    known: u64,
    seniority: [u64; 3],
    skills: HashMap<u32, u64>,
    companies: HashMap<u32, u64>,
    metros: HashMap<u32, u64>,
}

impl Acc {
    fn merge(mut self, o: Acc) -> Acc {
        self.open += o.open;
        self.postings += o.postings;
        self.points.extend(o.points);
        self.lows.extend(o.lows);
        self.highs.extend(o.highs);
        self.remote += o.remote;
        self.hybrid += o.hybrid;
        self.known += o.known;
        for i in 0..3 {
            self.seniority[i] += o.seniority[i];
        }
        for (mine, theirs) in [
            (&mut self.skills, o.skills),
            (&mut self.companies, o.companies),
            (&mut self.metros, o.metros),
        ] {
            for (k, v) in theirs {
                *mine.entry(k).or_default() += v;
            }
        }
        self
    }
}

/// The jobs open in `week`, each as its newest posting open in the week
/// (latest `posted_at`, then last in file order; spec section 10.1), with
/// how many of the job's postings are open in the week.
fn open_jobs(ds: &Dataset, week: IsoWeek) -> Vec<(usize, u64)> {
    let jobs = ds.postings.iter().map(|p| p.job as usize + 1).max().unwrap_or(0);
    let mut newest = vec![u32::MAX; jobs];
    let mut open = vec![0u64; jobs];
    for (i, p) in ds.postings.iter().enumerate().filter(|(_, p)| p.is_open_in(week)) {
        let j = p.job as usize;
        open[j] += 1;
        let b = newest[j];
        // `i` only grows, so on equal dates the later posting in file order wins.
        if b == u32::MAX || p.posted >= ds.postings[b as usize].posted {
            newest[j] = i as u32;
        }
    }
    newest
        .into_iter()
        .zip(open)
        .filter(|(b, _)| *b != u32::MAX)
        .map(|(b, n)| (b as usize, n))
        .collect()
}

/// Computes the snapshot of `week`: every figure counts jobs (reposts
/// chained by `crate::ingest::jobs::chain`; each posting its own job
/// otherwise).
pub fn snapshot(
    ds: &Dataset,
    catalog: &Catalog,
    week: IsoWeek,
    min_salary_sample: u64,
) -> Snapshot {
    let nroles = catalog.roles.len();
    let jobs = open_jobs(ds, week);
    // One slot per role, and a last one for unclassified jobs.
    let accs = jobs
        .par_chunks(16 * 1024)
        .fold(
            || vec![Acc::default(); nroles + 1],
            |mut accs, chunk| {
                for &(i, postings) in chunk {
                    let p = &ds.postings[i];
                    let a = &mut accs[p.role.map_or(nroles, usize::from)];
                    a.open += 1;
                    a.postings += postings;
                    if p.role.is_none() {
                        continue;
                    }
                    if let Some(s) = p.salary {
                        a.points.push(s.point());
                        a.lows.push(s.low);
                        a.highs.push(s.high);
                    }
                    if let Some(arr) = p.arrangement {
                        a.known += 1;
                        match arr {
                            Arrangement::Remote => a.remote += 1,
                            Arrangement::Hybrid => a.hybrid += 1,
                            Arrangement::Onsite => {}
                        }
                    }
                    a.seniority[match p.seniority {
                        Seniority::Entry => 0,
                        Seniority::Mid => 1,
                        Seniority::Senior => 2,
                    }] += 1;
                    for &s in ds.skills_of(p) {
                        *a.skills.entry(s).or_default() += 1;
                    }
                    if let Some(c) = p.company {
                        *a.companies.entry(c).or_default() += 1;
                    }
                    if let Some(l) = p.location {
                        *a.metros.entry(l).or_default() += 1;
                    }
                }
                accs
            },
        )
        .reduce(
            || vec![Acc::default(); nroles + 1],
            |a, b| a.into_iter().zip(b).map(|(x, y)| x.merge(y)).collect(),
        );
    let market_open: u64 = accs.iter().map(|a| a.open).sum();
    let market_postings: u64 = accs.iter().map(|a| a.postings).sum();
    let unclassified = accs[nroles].open;
    let prev_jobs = jobs_by_role(ds, &open_jobs(ds, week.prev()), nroles);
    let cur_jobs = jobs_by_role(ds, &jobs, nroles);
    let (roles, draws): (Vec<RoleStats>, Vec<Vec<f64>>) = catalog
        .roles
        .par_iter()
        .zip(accs.into_par_iter())
        .zip(prev_jobs.par_iter().zip(&cur_jobs))
        .map(|((def, acc), (prev, cur))| {
            let mut r = role_stats(ds, &def.name, &def.slug, acc, market_open, min_salary_sample);
            resampled(&mut r, week, prev, cur, min_salary_sample);
            let draws = if r.salary.suppressed() {
                Vec::new()
            } else {
                let points: Vec<f64> = cur.iter().filter_map(|j| j.1).collect();
                trends::bootstrap_medians(&points, trends::seed(week, &r.slug, "median"))
            };
            (r, draws)
        })
        .unzip();
    let mut pairs = Vec::new();
    for i in 0..roles.len() {
        for j in i + 1..roles.len() {
            if let Some(ratio) = trends::ratio_interval(&draws[i], &draws[j]) {
                pairs.push(PairInterval {
                    a: roles[i].slug.clone(),
                    b: roles[j].slug.clone(),
                    ratio,
                });
            }
        }
    }
    Snapshot {
        schema_version: SCHEMA_VERSION,
        week,
        week_start: week.monday(),
        week_end: week.sunday(),
        source: SourceInfo {
            files: ds.files.clone(),
            rows_read: ds.rows_read,
            rows_rejected: ds.rows_rejected,
            salaries_excluded: ds.salaries_excluded_total(),
            dedup_window_days: ds.dedup_window_days,
        },
        market: Market {
            open_positions: market_open,
            postings: Some(market_postings),
            unclassified,
        },
        roles,
        pairs,
    }
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Mean of values that are sorted first, so the sum does not depend on input order.
fn sorted_mean(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v.iter().sum::<f64>() / v.len() as f64)
}

fn role_stats(
    ds: &Dataset,
    name: &str,
    slug: &str,
    mut acc: Acc,
    market_open: u64,
    min_salary_sample: u64,
) -> RoleStats {
    let n = acc.points.len() as u64;
    let salary = if n == 0 || n < min_salary_sample {
        SalaryStats::withheld(n)
    } else {
        acc.points.sort_by(f64::total_cmp);
        let pts = &acc.points;
        SalaryStats {
            n,
            p25: percentile(pts, 0.25),
            median: percentile(pts, 0.5),
            p75: percentile(pts, 0.75),
            mean: Some(pts.iter().sum::<f64>() / n as f64),
            range_low: sorted_mean(std::mem::take(&mut acc.lows)),
            range_high: sorted_mean(std::mem::take(&mut acc.highs)),
            reliability: Some(Reliability::of(n)),
            median_ci: median_interval(pts),
        }
    };
    let [entry, mid, senior] = acc.seniority;
    RoleStats {
        name: name.to_string(),
        slug: slug.to_string(),
        open_positions: acc.open,
        postings: Some(acc.postings),
        share_of_market: share(acc.open, market_open),
        salary,
        remote_share: share(acc.remote, acc.known),
        hybrid_share: share(acc.hybrid, acc.known),
        remote_known: acc.known,
        experience_mix: ExperienceMix {
            entry: share(entry, acc.open),
            mid: share(mid, acc.open),
            senior: share(senior, acc.open),
        },
        top_skills: top(&acc.skills, &ds.skills, TOP_SKILLS),
        top_companies: top(&acc.companies, &ds.companies, TOP_COMPANIES),
        top_metros: top(&acc.metros, &ds.locations, TOP_METROS),
        median_change: None,
    }
}

/// Each role's open jobs of a week (from [`open_jobs`]): job, salary
/// point, seniority; sorted by job.
fn jobs_by_role(ds: &Dataset, jobs: &[(usize, u64)], nroles: usize) -> Vec<Vec<JobFigure>> {
    let mut out = vec![Vec::new(); nroles];
    for &(i, _) in jobs {
        let p = &ds.postings[i];
        if let Some(r) = p.role {
            out[usize::from(r)].push((p.job, p.salary.map(|s| s.point()), p.seniority));
        }
    }
    for v in &mut out {
        v.sort_unstable_by_key(|j| j.0);
    }
    out
}

/// A job's figures in one week: job, salary point, seniority.
type JobFigure = (u32, Option<f64>, Seniority);

/// The week-over-week figures of a role whose median is shown in both
/// weeks (spec section 10.3).
fn resampled(
    r: &mut RoleStats,
    week: IsoWeek,
    prev: &[JobFigure],
    cur: &[JobFigure],
    min_salary_sample: u64,
) {
    if r.salary.suppressed() {
        return;
    }
    let salaried = |v: &[JobFigure]| -> Vec<(f64, Seniority)> {
        v.iter().filter_map(|j| j.1.map(|x| (x, j.2))).collect()
    };
    let (before, now) = (salaried(prev), salaried(cur));
    if (before.len() as u64) < min_salary_sample.max(1) {
        return;
    }
    // Jobs open in either week, in job order: a job open in both is one draw.
    // A job with a salary in neither week adds to neither median; it is left out.
    let mut pairs: Vec<trends::Pair> = Vec::with_capacity(prev.len() + cur.len());
    let (mut i, mut k) = (0, 0);
    while i < prev.len() || k < cur.len() {
        match (prev.get(i), cur.get(k)) {
            (Some(a), Some(b)) if a.0 == b.0 => {
                pairs.push((a.1, b.1));
                (i, k) = (i + 1, k + 1);
            }
            (Some(a), Some(b)) if a.0 < b.0 => {
                pairs.push((a.1, None));
                i += 1;
            }
            (Some(a), None) => {
                pairs.push((a.1, None));
                i += 1;
            }
            (_, Some(b)) => {
                pairs.push((None, b.1));
                k += 1;
            }
            (None, None) => unreachable!("the loop ends first"),
        }
    }
    pairs.retain(|p| p.0.is_some() || p.1.is_some());
    let Some((ci_low, ci_high)) =
        trends::paired_median_change(&pairs, trends::seed(week, &r.slug, "week-over-week"))
    else {
        return;
    };
    r.median_change = Some(MedianChangeStats {
        previous_week: week.prev(),
        ci_low,
        ci_high,
        adjusted_pct: trends::mix_adjusted_pct(&before, &now),
    });
}

/// The `k` names with the most postings: count descending, then name ascending.
fn top(counts: &HashMap<u32, u64>, names: &[String], k: usize) -> Vec<NameCount> {
    let mut v: Vec<(&str, u64)> =
        counts.iter().map(|(&id, &c)| (names[id as usize].as_str(), c)).collect();
    v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    v.truncate(k);
    v.into_iter().map(|(n, c)| NameCount { name: n.to_string(), count: c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_match_numpy_linear() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 0.25), Some(1.75));
        assert_eq!(percentile(&v, 0.5), Some(2.5));
        assert_eq!(percentile(&v, 0.75), Some(3.25));
        assert_eq!(percentile(&[7.0], 0.25), Some(7.0));
        assert_eq!(percentile(&[], 0.5), None);
        // numpy.percentile([10, 20, 30, 40, 50], [25, 50, 75]) = [20, 30, 40]
        let w = [10.0, 20.0, 30.0, 40.0, 50.0];
        assert_eq!(percentile(&w, 0.25), Some(20.0));
        assert_eq!(percentile(&w, 0.75), Some(40.0));
        // numpy.percentile([1, 5, 6, 100], 75) = 29.5
        assert_eq!(percentile(&[1.0, 5.0, 6.0, 100.0], 0.75), Some(29.5));
    }

    #[test]
    fn the_median_interval_takes_the_order_statistics_of_the_spec() {
        let pts: Vec<f64> = (1..=10).map(f64::from).collect();
        let ci = median_interval(&pts).unwrap();
        assert_eq!((ci.low, ci.high, ci.level), (2.0, 9.0, 0.95));
        let pts: Vec<f64> = (1..=100).map(f64::from).collect();
        let ci = median_interval(&pts).unwrap();
        assert_eq!((ci.low, ci.high), (40.0, 61.0));
        // n = 6 is the smallest sample with an interval: 2 · (1/2)^6 ≤ 0.05.
        assert_eq!(median_interval_rank(6), Some(1));
        assert_eq!(median_interval_rank(5), None);
        // Large samples do not underflow and stay near n/2 − 0.98·√n.
        let k = median_interval_rank(10_000).unwrap();
        assert!((4900..=4902).contains(&k), "{k}");
    }

    #[test]
    fn reliability_bands() {
        assert_eq!(Reliability::of(10), Reliability::Low);
        assert_eq!(Reliability::of(29), Reliability::Low);
        assert_eq!(Reliability::of(30), Reliability::Medium);
        assert_eq!(Reliability::of(99), Reliability::Medium);
        assert_eq!(Reliability::of(100), Reliability::High);
    }
}
