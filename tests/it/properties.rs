//! Property tests: the snapshot does not depend on row order, role counts add
//! up to the market, and every median lies between its quartiles.

use proptest::prelude::*;
use salarytrends::ingest::{self, FxRates};
use salarytrends::roles::Catalog;
use salarytrends::stats;

use crate::support::{HEADER, ROLES};

const TITLES: &[&str] = &[
    "MLOps Engineer",
    "Senior ML Ops Engineer",
    "AI Engineer",
    "Junior AI Software Engineer",
    "Recruiter",
];
const SKILLS: &[&str] = &["aws", "AWS", "k8s", "Python", "rag", "Rust"];
const COMPANIES: &[&str] = &["Apple", "Google", "Openkyber", "Unknown"];

fn row() -> impl Strategy<Value = String> {
    (
        0..TITLES.len(),
        0..COMPANIES.len(),
        prop::option::of(40_000u32..400_000),
        0u32..60_000,
        prop::collection::vec(0..SKILLS.len(), 0..4),
        0u64..28,
        prop::option::of(0u64..21),
        0..4usize,
    )
        .prop_map(|(t, c, sal, width, skills, posted, open_days, remote)| {
            let posted_date =
                chrono::NaiveDate::from_ymd_opt(2026, 10, 26).unwrap() + chrono::Days::new(posted);
            let closed = open_days
                .map(|d| (posted_date + chrono::Days::new(d)).to_string())
                .unwrap_or_default();
            let (lo, hi) = match sal {
                Some(s) => (s.to_string(), (s + width.min(s)).to_string()),
                None => (String::new(), String::new()),
            };
            let remote = ["remote", "hybrid", "onsite", ""][remote];
            let skills: Vec<&str> = skills.iter().map(|&i| SKILLS[i]).collect();
            format!(
                "{{id}},{},,{},Remote,{remote},,{lo},{hi},,,{},{posted_date},{closed}",
                TITLES[t],
                COMPANIES[c],
                skills.join(";")
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn shuffled_input_gives_the_same_snapshot(
        rows in prop::collection::vec(row(), 1..120),
        seed in any::<u64>(),
    ) {
        let rows: Vec<String> =
            rows.iter().enumerate().map(|(i, r)| r.replace("{id}", &format!("p{i}"))).collect();
        let mut shuffled = rows.clone();
        // Fisher–Yates with a small LCG, driven by the generated seed.
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::parse(ROLES).unwrap();
        let fx = FxRates::usd_only();
        let mut snaps = Vec::new();
        for (name, rows) in [("a.csv", &rows), ("b.csv", &shuffled)] {
            let path = dir.path().join(name);
            std::fs::write(&path, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
            let data = ingest::load(&[path], |p| p.display().to_string(), &catalog, &fx).unwrap();
            prop_assert_eq!(data.rows_rejected, 0);
            let week = "2026-W46".parse().unwrap();
            snaps.push(stats::snapshot(&data, &catalog, week, 3));
        }
        let (a, b) = (&snaps[0], &snaps[1]);
        prop_assert_eq!(&a.market, &b.market);
        prop_assert_eq!(&a.roles, &b.roles);
        // Serialised, too: same bytes but for the file names and hashes.
        let strip = |s: &stats::Snapshot| {
            let mut s = s.clone();
            s.source.files.clear();
            serde_json::to_vec(&s).unwrap()
        };
        prop_assert_eq!(strip(a), strip(b));

        let role_total: u64 = a.roles.iter().map(|r| r.open_positions).sum();
        prop_assert_eq!(role_total + a.market.unclassified, a.market.open_positions);
        for r in &a.roles {
            if let (Some(p25), Some(m), Some(p75)) = (r.salary.p25, r.salary.median, r.salary.p75) {
                prop_assert!(p25 <= m && m <= p75, "{} {} {}", p25, m, p75);
            }
            let mix: f64 = [r.experience_mix.entry, r.experience_mix.mid, r.experience_mix.senior]
                .iter().flatten().sum();
            prop_assert!(r.open_positions == 0 || (mix - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn percentiles_are_ordered_and_within_range(mut v in prop::collection::vec(0.0f64..1e6, 1..200)) {
        v.sort_by(f64::total_cmp);
        let p = |q| stats::percentile(&v, q).unwrap();
        prop_assert!(v[0] <= p(0.25) && p(0.25) <= p(0.5) && p(0.5) <= p(0.75) && p(0.75) <= v[v.len() - 1]);
    }
}
