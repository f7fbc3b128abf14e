//! Trends you can trust (spec section 10): reposts counted once, the
//! median's interval, and week-over-week moves told apart from noise and
//! from changes of mix.

use salarytrends::ingest::{self, Dataset, FxRates, jobs};
use salarytrends::roles::Catalog;
use salarytrends::stats;

use crate::support::{HEADER, ROLES};

fn load(rows: &[&str]) -> Dataset {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.csv");
    std::fs::write(&path, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
    let catalog = Catalog::parse(ROLES).unwrap();
    ingest::load(&[path], |p| p.display().to_string(), &catalog, &FxRates::usd_only()).unwrap()
}

#[test]
fn a_repost_joins_within_the_window_and_starts_a_new_job_after_it() {
    let rows = [
        // The same job: company, title and location equal after normalising.
        "r1,MLOps Engineer,,Acme Inc.,Remote,,,,,,,,2026-09-01,2026-09-20",
        "r2,mlops   engineer,,ACME INC,remote,,,,,,,,2026-10-31,2026-11-20",
        "r3,MLOps Engineer!,,\"Acme, Inc\",REMOTE,,,,,,,,2026-12-31,",
        // Another title: another job, even at the same company and place.
        "r4,MLOps Engineer (C++),,Acme Inc.,Remote,,,,,,,,2026-09-02,",
    ];
    let mut ds = load(&rows);
    assert_eq!(jobs::chain(&mut ds, 60), 3);
    let job: Vec<u32> = ds.postings.iter().map(|p| p.job).collect();
    // r2 is 60 days after r1: the same job; r3 is 61 days after r2: a new one.
    assert_eq!(job[0], job[1]);
    assert_ne!(job[1], job[2]);
    assert_ne!(job[3], job[0]);
    assert_ne!(job[3], job[2]);
    let mut ds = load(&rows);
    assert_eq!(jobs::chain(&mut ds, 0), 4);
}

#[test]
fn a_job_counts_once_with_the_figures_of_its_newest_open_posting() {
    let rows = [
        "n1,MLOps Engineer,,Acme,Remote,remote,senior,100000,100000,,,aws,2026-11-02,",
        "n2,MLOps Engineer,,Acme,Remote,onsite,entry,200000,200000,,,rust,2026-11-16,",
        "n3,MLOps Engineer,,Other,Remote,remote,mid,150000,150000,,,aws,2026-11-10,",
    ];
    let catalog = Catalog::parse(ROLES).unwrap();
    let week = "2026-W47".parse().unwrap();
    let mut ds = load(&rows);
    jobs::chain(&mut ds, 60);
    let s = stats::snapshot(&ds, &catalog, week, 1);
    let r = &s.roles[0];
    assert_eq!((s.market.open_positions, s.market.postings), (2, Some(3)));
    assert_eq!((r.open_positions, r.postings), (2, Some(3)));
    // Acme's job reads as n2 (newest): 200,000, onsite, entry, rust.
    assert_eq!(r.salary.median, Some(175_000.0));
    assert_eq!(r.remote_share, Some(0.5));
    assert_eq!(r.experience_mix.entry, Some(0.5));
    assert!(r.top_skills.iter().any(|k| k.name == "rust"));
    // Two salaries are below a threshold of 3: no figures, and no interval.
    let thin = stats::snapshot(&ds, &catalog, week, 3);
    assert_eq!((thin.roles[0].salary.median, thin.roles[0].salary.median_ci), (None, None));
    // Without chaining every posting is its own job.
    let ds = load(&rows);
    let s0 = stats::snapshot(&ds, &catalog, week, 1);
    assert_eq!((s0.roles[0].open_positions, s0.roles[0].postings), (3, Some(3)));
    assert_eq!(s0.roles[0].salary.median, Some(150_000.0));
}

/// A salary around $150K, log-normally spread as posted pay is.
fn salary(rng: &mut fastrand::Rng) -> f64 {
    let (u, v) = (rng.f64().max(1e-12), rng.f64());
    let z = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
    150_000.0 * (0.3 * z).exp()
}

/// Two consecutive weeks of one role: `n` jobs last week; this week `kept`
/// of them stay open with the same pay and `n - kept` new ones open, paid
/// `raise` times the same distribution.
fn two_weeks(rng: &mut fastrand::Rng, n: usize, kept: usize, raise: f64) -> Vec<trends::Pair> {
    let mut jobs: Vec<trends::Pair> = Vec::new();
    for i in 0..n {
        let pay = salary(rng);
        jobs.push((Some(pay), (i < kept).then_some(pay)));
    }
    for _ in kept..n {
        jobs.push((None, Some(salary(rng) * raise)));
    }
    jobs
}

use salarytrends::trends;

#[test]
fn with_no_true_change_about_one_week_in_twenty_is_called_a_move() {
    let mut rng = fastrand::Rng::with_seed(2026);
    let sims: u64 = 600;
    let mut significant = 0;
    for s in 0..sims {
        // Consecutive weeks share most of their jobs, as real data does.
        let jobs = two_weeks(&mut rng, 600, 500, 1.0);
        let (lo, hi) = trends::paired_median_change(&jobs, s).unwrap();
        if lo > 0.0 || hi < 0.0 {
            significant += 1;
        }
    }
    let share = significant as f64 / sims as f64;
    eprintln!("{significant} of {sims} weeks without a true change called significant");
    assert!((0.02..=0.09).contains(&share), "{significant} of {sims} called significant");
}

#[test]
fn a_real_raise_is_found_almost_every_time() {
    let mut rng = fastrand::Rng::with_seed(47);
    let sims = 120;
    let mut significant = 0;
    for s in 0..sims {
        // 500 of 600 jobs are new, and every new job pays 15 % more.
        let jobs = two_weeks(&mut rng, 600, 100, 1.15);
        let (lo, _) = trends::paired_median_change(&jobs, s).unwrap();
        if lo > 0.0 {
            significant += 1;
        }
    }
    assert!(significant as f64 >= 0.95 * sims as f64, "{significant} of {sims}");
}

#[test]
fn a_pure_shift_of_seniority_mix_is_told_apart_from_a_raise() {
    use salarytrends::model::Seniority::{self, *};
    // Pay within each level is the same both weeks: each level's jobs sit at
    // evenly spaced quantiles of that level's pay (log-normal around its
    // level), only the number of jobs per level moves. 500 jobs a week.
    let level_pay = |s: Seniority, q: f64| {
        let base = match s {
            Entry => 105_000.0,
            Mid => 150_000.0,
            Senior => 205_000.0,
        };
        // Inverse of the logistic, a stand-in for the normal quantile.
        base * (0.15 * (q / (1.0 - q)).ln() / 1.7).exp()
    };
    let week = |mix: [usize; 3]| -> Vec<(f64, Seniority)> {
        let mut v = Vec::new();
        for (l, &k) in [Entry, Mid, Senior].iter().zip(&mix) {
            v.extend((0..k).map(|i| (level_pay(*l, (i as f64 + 0.5) / k as f64), *l)));
        }
        v
    };
    let median = |v: &[(f64, Seniority)]| {
        trends::median(&mut v.iter().map(|x| x.0).collect::<Vec<_>>()).unwrap()
    };
    for (before, after) in [([150, 250, 100], [50, 200, 250]), ([100, 300, 100], [200, 250, 50])] {
        let (prev, cur) = (week(before), week(after));
        let raw = median(&cur) / median(&prev) - 1.0;
        let adjusted = trends::mix_adjusted_pct(&prev, &cur).unwrap();
        assert!(adjusted.abs() <= 0.03, "adjusted {adjusted:.4}, raw {raw:.4}");
        assert!(raw.abs() > 0.06, "the raw change should be far outside ±3 %: {raw:.4}");
    }
}

#[test]
fn deltas_carry_intervals_and_say_why_a_schema_1_week_has_none() {
    let p = crate::support::Project::generated(21, "");
    p.cmd().args(["-q", "snapshot", "--weeks", "2026-W46..2026-W47"]).assert().success();
    let deltas = |p: &crate::support::Project| -> serde_json::Value {
        let out = p.cmd().args(["deltas", "--week", "2026-W47"]).assert().success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    };
    let d = deltas(&p);
    let with_ci: Vec<&serde_json::Value> =
        d["roles"].as_array().unwrap().iter().filter(|r| !r["median"]["abs"].is_null()).collect();
    assert!(!with_ci.is_empty());
    for r in &with_ci {
        let m = &r["median"];
        let (lo, hi) = (m["ci_low"].as_f64().unwrap(), m["ci_high"].as_f64().unwrap());
        assert!(lo <= hi, "{m}");
        assert_eq!(m["significant"].as_bool().unwrap(), lo > 0.0 || hi < 0.0, "{m}");
        assert!(m.get("adjusted_pct").is_some());
    }
    // Same input, same bytes: the bootstraps are seeded.
    assert_eq!(deltas(&p), d);
    // A week stored by the previous schema: null intervals, and the reason.
    let path = p.path("snapshots/2026-W46.json");
    let mut old: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    old["schema_version"] = 1.into();
    std::fs::write(&path, serde_json::to_vec(&old).unwrap()).unwrap();
    let d = deltas(&p);
    assert!(d["roles"].as_array().unwrap().iter().all(|r| r["median"]["ci_low"].is_null()));
    let notes = d["notes"].as_array().unwrap();
    assert!(notes[0].as_str().unwrap().contains("2026-W46 is a schema-1 snapshot"), "{notes:?}");
    // The newsletter does not claim that nothing moved: it cannot tell.
    p.cmd()
        .env("SALARYTRENDS_UNSUBSCRIBE_KEY", "k")
        .args(["-q", "newsletter", "--week", "2026-W47"])
        .assert()
        .success();
    let text =
        std::fs::read_to_string(p.path("output/2026-W47/newsletter/newsletter.txt")).unwrap();
    assert!(text.contains(salarytrends::text::NO_INTERVALS_LAST_WEEK), "{text}");
    assert!(!text.contains(salarytrends::text::NO_SIGNIFICANT_MOVE), "{text}");
}

#[test]
fn two_roles_with_the_same_pay_have_no_clear_pay_difference() {
    let mut rows = Vec::new();
    for i in 0..60 {
        let pay = 120_000 + (i % 30) * 2_000;
        for (title, who) in [("MLOps Engineer", "m"), ("AI Engineer", "a")] {
            rows.push(format!(
                "{who}{i},{title},,Co {who}{i},Remote,remote,,{pay},{pay},,,aws,2026-11-16,"
            ));
        }
    }
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let p = crate::support::Project::with_rows(&refs);
    p.cmd().args(["-q", "snapshot", "--week", "2026-W47"]).assert().success();
    p.cmd()
        .args(["report", "--pair", "mlops-engineer", "ai-software-engineer", "--week", "2026-W47"])
        .args(["--emit-source", "src-out"])
        .assert()
        .success();
    let data: serde_json::Value = serde_json::from_slice(
        &std::fs::read(p.path("src-out/mlops-engineer-vs-ai-software-engineer/data.json")).unwrap(),
    )
    .unwrap();
    let verdict = data["verdict"][0].as_str().unwrap();
    assert!(
        verdict.starts_with("No clear pay difference at the median: MLOps Engineer $"),
        "{verdict}"
    );
    assert!(verdict.contains("95 % CI"), "{verdict}");
    assert!(data["salary_verdict"].as_str().unwrap().starts_with("No clear pay difference"));
}
