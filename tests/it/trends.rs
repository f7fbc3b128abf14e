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
    // Without chaining every posting is its own job.
    let ds = load(&rows);
    let s0 = stats::snapshot(&ds, &catalog, week, 1);
    assert_eq!((s0.roles[0].open_positions, s0.roles[0].postings), (3, Some(3)));
    assert_eq!(s0.roles[0].salary.median, Some(150_000.0));
}
