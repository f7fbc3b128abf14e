//! Moved, or noise? The resampling methods of spec section 10: the paired
//! bootstrap interval of a median's week-over-week change, the change
//! reweighted to last week's seniority mix, and the bootstrap medians that
//! give a pair of roles an interval for the ratio of their medians. Pure and
//! seeded: the same input gives the same numbers.

use crate::model::{IsoWeek, Seniority};
use crate::quantile::{Interval, percentile};

/// Resamples of every bootstrap (the spec asks for at least 1,000).
pub const RESAMPLES: usize = 1000;

/// The seed of a role's bootstrap in a week: FNV-1a over what names it, so
/// that it does not depend on the platform or the catalogue's order.
pub fn seed(week: IsoWeek, slug: &str, purpose: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in
        week.to_string().bytes().chain([0]).chain(slug.bytes()).chain([0]).chain(purpose.bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The median (linear interpolation, as [`percentile`]) of unsorted values,
/// reordering them; `None` for none.
pub fn median(values: &mut [f64]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (_, &mut hi, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return Some(hi);
    }
    let lo = values[..n / 2].iter().copied().max_by(f64::total_cmp).expect("n ≥ 2");
    percentile(&[lo, hi], 0.5)
}

/// One job of the paired bootstrap: its salary point last week and this
/// week (`None` when it was not open in the role, or had no salary).
pub type Pair = (Option<f64>, Option<f64>);

/// Draws of a resample counted by rank: values are sorted once, a resample
/// only counts how often each rank was drawn, and its order statistics are
/// read off the cumulative counts (the numbers `median` gives for the drawn
/// values, without selecting among them).
struct RankCounts {
    sorted: Vec<f64>,
    counts: Vec<u32>,
    drawn: usize,
}

impl RankCounts {
    fn new(sorted: Vec<f64>) -> Self {
        let counts = vec![0; sorted.len()];
        RankCounts { sorted, counts, drawn: 0 }
    }

    fn add(&mut self, rank: usize) {
        self.counts[rank] += 1;
        self.drawn += 1;
    }

    /// The median of a resample of `total` draws of which `below` fell
    /// below these ranks and `self.drawn` among them: `None` when the
    /// middle draws are not among them.
    fn median_of(&self, below: usize, total: usize) -> Option<f64> {
        let (lo_at, hi_at) = ((total.checked_sub(1)?) / 2, total / 2);
        if lo_at < below || hi_at >= below + self.drawn {
            return None;
        }
        let (lo_at, hi_at) = (lo_at - below, hi_at - below);
        let (mut lo, mut seen) = (None, 0usize);
        for (rank, &c) in self.counts.iter().enumerate() {
            seen += c as usize;
            if lo.is_none() && seen > lo_at {
                lo = Some(self.sorted[rank]);
            }
            if seen > hi_at {
                return percentile(&[lo?, self.sorted[rank]], 0.5);
            }
        }
        None
    }

    /// The median of the draws counted, then forgets them.
    fn take_median(&mut self) -> Option<f64> {
        let m = self.median_of(0, self.drawn);
        self.clear();
        m
    }

    fn clear(&mut self) {
        self.counts.fill(0);
        self.drawn = 0;
    }
}

/// fastrand's generator behind `rand_core`'s interface, for `rand_distr`'s
/// binomial sampler.
struct Draws(fastrand::Rng);

impl rand_core::RngCore for Draws {
    fn next_u32(&mut self) -> u32 {
        self.0.u32(..)
    }

    fn next_u64(&mut self) -> u64 {
        self.0.u64(..)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.0.fill(dest);
        Ok(())
    }
}

impl Draws {
    fn with_seed(seed: u64) -> Self {
        Draws(fastrand::Rng::with_seed(seed))
    }

    fn below(&mut self, n: usize) -> usize {
        self.0.usize(..n)
    }

    /// How many of `n` draws land in a part holding `part` of `whole`
    /// equally likely outcomes: an exact binomial draw (rand_distr's BTPE).
    fn binomial(&mut self, n: usize, part: usize, whole: usize) -> usize {
        use rand_distr::Distribution;
        if n == 0 || part == 0 {
            return 0;
        }
        if part >= whole {
            return n;
        }
        let p = part as f64 / whole as f64;
        let d = rand_distr::Binomial::new(n as u64, p).expect("0 < p < 1");
        d.sample(self) as usize
    }
}

/// How far either side of the median, in √n ranks, a resample's median is
/// looked for: its middle draws fall outside with a probability under 10⁻⁶
/// (5 standard deviations of the count of draws below).
const SPREAD: f64 = 2.5;

/// The ranks around the median of `n` sorted values that a resample's
/// median almost always comes from ([`SPREAD`]). Only draws inside are
/// drawn one by one; how many fall below and above is one binomial draw each.
#[derive(Debug, Clone, Copy)]
struct Window {
    lo: usize,
    hi: usize,
}

/// Where a rank lies against a [`Window`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    /// No value in this week.
    Absent,
    Below,
    Inside,
    Above,
}

impl Window {
    fn around_median(n: usize, spread: f64) -> Self {
        let half = (spread * (n as f64).sqrt()).ceil() as usize + 4;
        let mid = n / 2;
        Window { lo: mid.saturating_sub(half), hi: (mid + half + 1).min(n) }
    }

    fn part(self, rank: Option<u32>) -> Part {
        match rank.map(|r| r as usize) {
            None => Part::Absent,
            Some(r) if r < self.lo => Part::Below,
            Some(r) if r < self.hi => Part::Inside,
            Some(_) => Part::Above,
        }
    }

    fn counts(self, sorted: &[f64]) -> RankCounts {
        RankCounts::new(sorted[self.lo..self.hi].to_vec())
    }
}

/// Sorts values and gives each input its rank in the sorted order.
fn ranked(values: &[Option<f64>]) -> (Vec<f64>, Vec<Option<u32>>) {
    let mut order: Vec<usize> = (0..values.len()).filter(|&i| values[i].is_some()).collect();
    order.sort_by(|&a, &b| values[a].unwrap_or(0.0).total_cmp(&values[b].unwrap_or(0.0)));
    let mut ranks = vec![None; values.len()];
    let sorted = order
        .iter()
        .enumerate()
        .map(|(rank, &i)| {
            ranks[i] = Some(rank as u32);
            values[i].unwrap_or(0.0)
        })
        .collect();
    (sorted, ranks)
}

/// The jobs of one stratum that lie in the same parts of both weeks.
struct Class {
    prev: Part,
    cur: Part,
    jobs: Vec<u32>,
}

impl Class {
    /// Whether its draws are needed one by one for a median.
    fn drawn_one_by_one(&self) -> bool {
        self.prev == Part::Inside || self.cur == Part::Inside
    }
}

/// The 95 % interval of `median(this week) − median(last week)` by a paired
/// bootstrap over the jobs open in either week: a job drawn counts in both
/// weeks, with its values there. `None` when either week has no salaried job.
///
/// Drawing from all the jobs at once would let each resample's count of
/// jobs in a week wander, which widens the interval: in simulations of
/// overlapping weeks with no true change it then called 1.7 % of weeks
/// significant instead of about 5 %. The strata keep those counts.
///
/// Each resample is drawn exactly as if every job were drawn one by one,
/// but only the draws near each week's median are: within a stratum, how
/// many draws land in each class of jobs (below, near or above the median
/// in each week) is one multinomial draw, and the draws of a class are
/// equally likely to be any of its jobs. When a resample's middle falls
/// outside the window (under once in a million), the rest of its draws
/// are made too.
pub fn paired_median_change(jobs: &[Pair], seed: u64) -> Option<(f64, f64)> {
    let mut diffs = paired_draws(jobs, seed, RESAMPLES, SPREAD)?;
    diffs.sort_by(f64::total_cmp);
    Some((percentile(&diffs, 0.025)?, percentile(&diffs, 0.975)?))
}

/// The medians' changes of `resamples` resamples of [`paired_median_change`],
/// in draw order, with the window of [`Window::around_median`]'s `spread`.
fn paired_draws(jobs: &[Pair], seed: u64, resamples: usize, spread: f64) -> Option<Vec<f64>> {
    if !jobs.iter().any(|j| j.0.is_some()) || !jobs.iter().any(|j| j.1.is_some()) {
        return None;
    }
    // In a canonical order, so that the draws do not depend on the input's.
    let key = |v: Option<f64>| v.unwrap_or(f64::NEG_INFINITY);
    let mut jobs = jobs.to_vec();
    jobs.sort_by(|a, b| key(a.0).total_cmp(&key(b.0)).then(key(a.1).total_cmp(&key(b.1))));
    let (prev_sorted, prev_rank) = ranked(&jobs.iter().map(|j| j.0).collect::<Vec<_>>());
    let (cur_sorted, cur_rank) = ranked(&jobs.iter().map(|j| j.1).collect::<Vec<_>>());
    let (n_prev, n_cur) = (prev_sorted.len(), cur_sorted.len());
    let (wp, wc) = (Window::around_median(n_prev, spread), Window::around_median(n_cur, spread));
    // Resampled within three strata (open last week only, this week only,
    // both), each keeping its size: every resample has as many jobs in each
    // week as the weeks had, and a job open in both weeks is one draw for both.
    let strata: Vec<Vec<Class>> = [(true, false), (false, true), (true, true)]
        .iter()
        .map(|&(p, c)| {
            let mut classes: Vec<Class> = Vec::new();
            for j in 0..jobs.len() {
                if prev_rank[j].is_some() != p || cur_rank[j].is_some() != c {
                    continue;
                }
                let (pp, cp) = (wp.part(prev_rank[j]), wc.part(cur_rank[j]));
                match classes.iter_mut().find(|k| (k.prev, k.cur) == (pp, cp)) {
                    Some(k) => k.jobs.push(j as u32),
                    None => classes.push(Class { prev: pp, cur: cp, jobs: vec![j as u32] }),
                }
            }
            classes.sort_by_key(|k| (k.prev, k.cur));
            classes
        })
        .collect();
    let (mut prev_in, mut cur_in) = (wp.counts(&prev_sorted), wc.counts(&cur_sorted));
    let mut rng = Draws::with_seed(seed);
    let mut picks: Vec<u32> = Vec::new();
    let mut deferred: Vec<(usize, usize, usize)> = Vec::new();
    let mut diffs = Vec::with_capacity(resamples);
    // Every stratum keeps its size, so every resample has jobs in both weeks.
    for _ in 0..resamples {
        picks.clear();
        deferred.clear();
        let (mut prev_below, mut cur_below) = (0, 0);
        for (s, classes) in strata.iter().enumerate() {
            // A multinomial draw: the stratum's draws shared out class by class.
            let mut left = classes.iter().map(|k| k.jobs.len()).sum::<usize>();
            let mut draws = left;
            for (i, class) in classes.iter().enumerate() {
                let size = class.jobs.len();
                let k = rng.binomial(draws, size, left);
                (draws, left) = (draws - k, left - size);
                prev_below += if class.prev == Part::Below { k } else { 0 };
                cur_below += if class.cur == Part::Below { k } else { 0 };
                if !class.drawn_one_by_one() {
                    deferred.push((s, i, k));
                    continue;
                }
                for _ in 0..k {
                    let j = class.jobs[rng.below(size)];
                    picks.push(j);
                    if class.prev == Part::Inside {
                        prev_in.add(
                            prev_rank[j as usize].expect("inside has a rank") as usize - wp.lo,
                        );
                    }
                    if class.cur == Part::Inside {
                        cur_in
                            .add(cur_rank[j as usize].expect("inside has a rank") as usize - wc.lo);
                    }
                }
            }
        }
        let medians = (prev_in.median_of(prev_below, n_prev), cur_in.median_of(cur_below, n_cur));
        prev_in.clear();
        cur_in.clear();
        let (p, c) = match medians {
            (Some(p), Some(c)) => (p, c),
            // The middle of a week fell outside its window: draw the rest.
            _ => {
                for &(s, i, k) in &deferred {
                    let class = &strata[s][i].jobs;
                    picks.extend((0..k).map(|_| class[rng.below(class.len())]));
                }
                let mut prev = RankCounts::new(prev_sorted.clone());
                let mut cur = RankCounts::new(cur_sorted.clone());
                for &j in &picks {
                    if let Some(r) = prev_rank[j as usize] {
                        prev.add(r as usize);
                    }
                    if let Some(r) = cur_rank[j as usize] {
                        cur.add(r as usize);
                    }
                }
                (prev.take_median()?, cur.take_median()?)
            }
        };
        diffs.push(c - p);
    }
    Some(diffs)
}

/// The weighted median: the smallest value at which the cumulative weight
/// reaches half of the total, or the midpoint of it and the next value when
/// it reaches exactly half (so that equal weights give the usual median).
pub fn weighted_median(mut points: Vec<(f64, f64)>) -> Option<f64> {
    points.retain(|p| p.1 > 0.0);
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = points.iter().map(|p| p.1).sum();
    let half = total / 2.0;
    let mut seen = 0.0;
    for (i, &(x, w)) in points.iter().enumerate() {
        seen += w;
        if (seen - half).abs() <= 1e-9 * total {
            return Some(points.get(i + 1).map_or(x, |next| (x + next.0) / 2.0));
        }
        if seen > half {
            return Some(x);
        }
    }
    points.last().map(|p| p.0)
}

/// The median's change as a fraction after reweighting this week's
/// salaried jobs so that their entry/mid/senior shares equal last week's
/// (shares among salaried jobs): the change that is not a change of mix.
/// `None` when a level present last week has no salaried job this week, or
/// either week has none.
pub fn mix_adjusted_pct(prev: &[(f64, Seniority)], cur: &[(f64, Seniority)]) -> Option<f64> {
    let level = |s: Seniority| match s {
        Seniority::Entry => 0,
        Seniority::Mid => 1,
        Seniority::Senior => 2,
    };
    let shares = |v: &[(f64, Seniority)]| {
        let mut c = [0.0f64; 3];
        for &(_, s) in v {
            c[level(s)] += 1.0;
        }
        c.map(|x| x / v.len() as f64)
    };
    if prev.is_empty() || cur.is_empty() {
        return None;
    }
    let (ps, cs) = (shares(prev), shares(cur));
    if (0..3).any(|l| ps[l] > 0.0 && cs[l] == 0.0) {
        return None;
    }
    let weights = [0, 1, 2].map(|l| if cs[l] > 0.0 { ps[l] / cs[l] } else { 0.0 });
    let adjusted = weighted_median(cur.iter().map(|&(x, s)| (x, weights[level(s)])).collect())?;
    let prev_median = median(&mut prev.iter().map(|p| p.0).collect::<Vec<_>>())?;
    (prev_median > 0.0).then(|| (adjusted - prev_median) / prev_median)
}

/// Medians of [`RESAMPLES`] bootstrap resamples of a role's salary points,
/// in draw order (a pair of roles reads them side by side); empty for no
/// points. The points are sorted first, so the draws do not depend on their
/// order. As in [`paired_median_change`], only the draws near the median
/// are made one by one; how many fall below and above are binomial draws.
pub fn bootstrap_medians(points: &[f64], seed: u64) -> Vec<f64> {
    medians(points, seed, RESAMPLES, SPREAD)
}

/// [`bootstrap_medians`] with `resamples` resamples and a window of `spread`.
fn medians(points: &[f64], seed: u64, resamples: usize, spread: f64) -> Vec<f64> {
    if points.is_empty() {
        return Vec::new();
    }
    let mut sorted = points.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let w = Window::around_median(n, spread);
    let mut inside = w.counts(&sorted);
    let mut rng = Draws::with_seed(seed);
    (0..resamples)
        .map(|_| {
            let below = rng.binomial(n, w.lo, n);
            let above = rng.binomial(n - below, n - w.hi, n - w.lo);
            for _ in 0..n - below - above {
                inside.add(rng.below(w.hi - w.lo));
            }
            let median = inside.median_of(below, n).unwrap_or_else(|| {
                // The middle fell outside the window: draw the rest.
                let mut all = RankCounts::new(sorted.clone());
                for (rank, &c) in inside.counts.iter().enumerate() {
                    for _ in 0..c {
                        all.add(w.lo + rank);
                    }
                }
                for _ in 0..below {
                    all.add(rng.below(w.lo));
                }
                for _ in 0..above {
                    all.add(w.hi + rng.below(n - w.hi));
                }
                all.take_median().expect("a resample of points has points")
            });
            inside.clear();
            median
        })
        .collect()
}

/// The 95 % interval of the ratio of two roles' medians, from their
/// bootstrap medians drawn independently (`a[i] / b[i]`).
pub fn ratio_interval(a: &[f64], b: &[f64]) -> Option<Interval> {
    if a.is_empty() || a.len() != b.len() || b.iter().any(|&x| x <= 0.0) {
        return None;
    }
    let mut r: Vec<f64> = a.iter().zip(b).map(|(x, y)| x / y).collect();
    r.sort_by(f64::total_cmp);
    Some(Interval { low: percentile(&r, 0.025)?, high: percentile(&r, 0.975)?, level: 0.95 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_by_selection_agrees_with_the_sorted_percentile() {
        let mut v = vec![5.0, 1.0, 4.0, 2.0];
        assert_eq!(median(&mut v), Some(3.0));
        let mut v = vec![5.0, 1.0, 4.0];
        assert_eq!(median(&mut v), Some(4.0));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn medians_by_counting_agree_with_medians_by_selection() {
        let values = [5.0, 1.0, 4.0, 2.0, 9.0, 4.0];
        let mut rc = RankCounts::new({
            let mut v = values.to_vec();
            v.sort_by(f64::total_cmp);
            v
        });
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..200 {
            let k = 1 + rng.usize(..12);
            let mut drawn = Vec::new();
            for _ in 0..k {
                let r = rng.usize(..values.len());
                rc.add(r);
                drawn.push(rc.sorted[r]);
            }
            assert_eq!(rc.take_median(), median(&mut drawn));
        }
    }

    /// The bootstrap drawn one job at a time, as the spec describes it:
    /// the reference the windowed draws must be indistinguishable from.
    fn one_by_one_paired(jobs: &[Pair], seed: u64, resamples: usize) -> Vec<f64> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let strata: Vec<Vec<Pair>> = [(true, false), (false, true), (true, true)]
            .iter()
            .map(|&(p, c)| {
                jobs.iter().copied().filter(|j| (j.0.is_some(), j.1.is_some()) == (p, c)).collect()
            })
            .collect();
        (0..resamples)
            .map(|_| {
                let (mut prev, mut cur) = (Vec::new(), Vec::new());
                for s in strata.iter().filter(|s| !s.is_empty()) {
                    for _ in 0..s.len() {
                        let j = s[rng.usize(..s.len())];
                        prev.extend(j.0);
                        cur.extend(j.1);
                    }
                }
                median(&mut cur).unwrap() - median(&mut prev).unwrap()
            })
            .collect()
    }

    fn one_by_one_medians(points: &[f64], seed: u64, resamples: usize) -> Vec<f64> {
        let mut rng = fastrand::Rng::with_seed(seed);
        (0..resamples)
            .map(|_| {
                let mut v: Vec<f64> =
                    (0..points.len()).map(|_| points[rng.usize(..points.len())]).collect();
                median(&mut v).unwrap()
            })
            .collect()
    }

    /// The two-sample Kolmogorov–Smirnov statistic.
    fn ks(mut a: Vec<f64>, mut b: Vec<f64>) -> f64 {
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        let (mut i, mut j, mut d) = (0, 0, 0.0f64);
        while i < a.len() && j < b.len() {
            let x = a[i].min(b[j]);
            while i < a.len() && a[i] <= x {
                i += 1;
            }
            while j < b.len() && b[j] <= x {
                j += 1;
            }
            d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
        }
        d
    }

    /// KS critical value for two samples of `n` at α = 0.001.
    fn critical(n: usize) -> f64 {
        1.95 * (2.0 / n as f64).sqrt()
    }

    /// Two weeks of one role: 300 salaried jobs each, 200 of them open in both.
    fn two_weeks() -> Vec<Pair> {
        let mut rng = fastrand::Rng::with_seed(11);
        let mut pay = || (60_000.0 + 120_000.0 * rng.f64()).round();
        let mut jobs: Vec<Pair> = (0..200)
            .map(|_| {
                let x = pay();
                (Some(x), Some(x + 1000.0))
            })
            .collect();
        jobs.extend((0..100).map(|_| (Some(pay()), None)));
        jobs.extend((0..100).map(|_| (None, Some(pay()))));
        jobs
    }

    #[test]
    fn windowed_draws_follow_the_one_by_one_bootstrap() {
        const N: usize = 20_000;
        let jobs = two_weeks();
        let reference = one_by_one_paired(&jobs, 1, N);
        // The window as shipped, and one so narrow that most resamples
        // fall back to drawing everything: both the same distribution.
        for spread in [SPREAD, 0.0] {
            let windowed = paired_draws(&jobs, 2, N, spread).unwrap();
            let d = ks(windowed, reference.clone());
            assert!(d < critical(N), "paired, spread {spread}: KS {d}");
        }
        let points: Vec<f64> = jobs.iter().filter_map(|j| j.1).collect();
        let reference = one_by_one_medians(&points, 3, N);
        for spread in [SPREAD, 0.0] {
            let d = ks(medians(&points, 4, N, spread), reference.clone());
            assert!(d < critical(N), "medians, spread {spread}: KS {d}");
        }
        // The test can tell: a bootstrap of the wrong size is rejected.
        let wrong = one_by_one_medians(&points[..200], 5, N);
        assert!(ks(wrong, reference) > critical(N));
    }

    #[test]
    fn equal_weights_give_the_plain_median() {
        let pts = [1.0, 2.0, 3.0, 4.0, 10.0, 11.0];
        assert_eq!(weighted_median(pts.iter().map(|&x| (x, 2.0)).collect()), Some(3.5));
        assert_eq!(weighted_median(vec![(1.0, 1.0), (2.0, 1.0), (9.0, 1.0)]), Some(2.0));
        // Weight on the low values pulls the median down.
        let m = weighted_median(vec![(1.0, 3.0), (2.0, 1.0), (9.0, 1.0)]).unwrap();
        assert!(m < 2.0, "{m}");
    }

    #[test]
    fn a_mix_shift_is_not_a_pay_change() {
        use Seniority::*;
        // Pay within each level is the same both weeks; only the mix moves
        // from half senior to four in five senior.
        let level = |n: usize, mid: usize| -> Vec<(f64, Seniority)> {
            let m = (0..mid).map(|i| (80.0 + 60.0 * i as f64 / mid as f64, Mid));
            let s = (0..n - mid).map(|i| (120.0 + 100.0 * i as f64 / (n - mid) as f64, Senior));
            m.chain(s).collect()
        };
        let (prev, cur) = (level(500, 250), level(500, 100));
        let raw = {
            let p = median(&mut prev.iter().map(|x| x.0).collect::<Vec<_>>()).unwrap();
            let c = median(&mut cur.iter().map(|x| x.0).collect::<Vec<_>>()).unwrap();
            (c - p) / p
        };
        let adj = mix_adjusted_pct(&prev, &cur).unwrap();
        assert!(raw > 0.1, "{raw}");
        assert!(adj.abs() < 0.03, "{adj}");
        // A level that vanished: no adjustment.
        let only_senior: Vec<(f64, Seniority)> = (0..10).map(|_| (200.0, Senior)).collect();
        assert_eq!(mix_adjusted_pct(&prev, &only_senior), None);
    }

    #[test]
    fn seeds_name_the_week_and_role() {
        let w: IsoWeek = "2026-W47".parse().unwrap();
        assert_eq!(seed(w, "mlops-engineer", "wow"), seed(w, "mlops-engineer", "wow"));
        assert_ne!(seed(w, "mlops-engineer", "wow"), seed(w, "llm-engineer", "wow"));
        assert_ne!(seed(w, "mlops-engineer", "wow"), seed(w.prev(), "mlops-engineer", "wow"));
    }
}
