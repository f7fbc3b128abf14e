//! The pipeline against real data (the ai-jobs.net fixture) and against
//! small data sets whose statistics were computed by hand.

use std::path::Path;

use salarytrends::deltas::{self, Side};
use salarytrends::ingest::{self, Dataset, FxRates};
use salarytrends::roles::Catalog;
use salarytrends::stats::{self, NameCount, Reliability, RoleStats, Snapshot};

use crate::support::{HEADER, ROLES, root};

fn load(path: &Path, catalog: &Catalog, fx: &FxRates) -> Dataset {
    ingest::load(&[path.to_path_buf()], |p| p.display().to_string(), catalog, fx).unwrap()
}

#[test]
fn ai_jobs_fixture_agrees_with_the_independent_computation() {
    let dir = root().join("tests/fixtures/ai-jobs-net");
    let catalog = Catalog::load(&dir.join("roles.toml")).unwrap();
    let mut data = load(&dir.join("postings.csv"), &catalog, &FxRates::usd_only());
    assert_eq!(data.rows_rejected, 0, "{:?}", &data.issues[..data.issues.len().min(5)]);
    // Survey rows, not job ads: `[dedup] window_days = 0` reproduces schema 1's figures.
    ingest::jobs::chain(&mut data, 0);
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let weeks = expected["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 6);
    for week in weeks {
        let week = week.as_str().unwrap();
        let snap = stats::snapshot(&data, &catalog, week.parse().unwrap(), 10);
        let exp = &expected["snapshots"][week];
        assert_eq!(snap.market.open_positions, exp["market"]["open_positions"].as_u64().unwrap());
        assert_eq!(snap.market.unclassified, exp["market"]["unclassified"].as_u64().unwrap());
        assert_eq!(snap.market.postings, Some(snap.market.open_positions));
        let exp_roles = exp["roles"].as_object().unwrap();
        assert_eq!(exp_roles.len(), snap.roles.len());
        for r in &snap.roles {
            check_role(week, r, &exp_roles[&r.name]);
        }
    }
}

fn check_role(week: &str, r: &RoleStats, e: &serde_json::Value) {
    let ctx = format!("{week} {}", r.name);
    let close =
        |got: Option<f64>, want: &serde_json::Value, tol: f64, what: &str| match want.as_f64() {
            Some(w) => {
                let g = got.unwrap_or_else(|| panic!("{ctx} {what}: null, expected {w}"));
                assert!((g - w).abs() <= tol, "{ctx} {what}: {g} vs {w}");
            }
            None => assert!(got.is_none(), "{ctx} {what}: {got:?}, expected null"),
        };
    assert_eq!(r.slug, e["slug"].as_str().unwrap(), "{ctx}");
    assert_eq!(r.open_positions, e["open_positions"].as_u64().unwrap(), "{ctx}");
    close(r.share_of_market, &e["share_of_market"], 1e-9, "share_of_market");
    let s = &e["salary"];
    assert_eq!(r.salary.n, s["n"].as_u64().unwrap(), "{ctx} n");
    for (got, key) in [
        (r.salary.p25, "p25"),
        (r.salary.median, "median"),
        (r.salary.p75, "p75"),
        (r.salary.mean, "mean"),
        (r.salary.range_low, "range_low"),
        (r.salary.range_high, "range_high"),
    ] {
        close(got, &s[key], 0.005, key);
    }
    // The interval, computed independently with exact binomial probabilities
    // (the fixture lists it beside the role; the snapshot holds it in `salary`).
    match e["median_ci"].as_object() {
        Some(ci) => {
            let got = r.salary.median_ci.unwrap_or_else(|| panic!("{ctx} median_ci: null"));
            assert_eq!(got.low, ci["low"].as_f64().unwrap(), "{ctx} median_ci.low");
            assert_eq!(got.high, ci["high"].as_f64().unwrap(), "{ctx} median_ci.high");
            assert_eq!(got.level, 0.95);
        }
        None => assert!(r.salary.median_ci.is_none(), "{ctx} median_ci: expected null"),
    }
    let rel = r.salary.reliability.map(|x| serde_json::to_value(x).unwrap());
    assert_eq!(
        rel.as_ref(),
        if s["reliability"].is_null() { None } else { Some(&s["reliability"]) }
    );
    close(r.remote_share, &e["remote_share"], 1e-9, "remote_share");
    close(r.hybrid_share, &e["hybrid_share"], 1e-9, "hybrid_share");
    assert_eq!(r.remote_known, e["remote_known"].as_u64().unwrap(), "{ctx}");
    let mix = &e["experience_mix"];
    close(r.experience_mix.entry, &mix["entry"], 1e-9, "entry");
    close(r.experience_mix.mid, &mix["mid"], 1e-9, "mid");
    close(r.experience_mix.senior, &mix["senior"], 1e-9, "senior");
    let names =
        |v: &serde_json::Value| -> Vec<NameCount> { serde_json::from_value(v.clone()).unwrap() };
    assert_eq!(r.top_companies, names(&e["top_companies"]), "{ctx} companies");
    assert_eq!(r.top_metros, names(&e["top_metros"]), "{ctx} metros");
}

/// Postings whose week-47 statistics are worked out by hand in the comments.
pub const HAND_ROWS: &[&str] = &[
    // MLOps (open in 2026-W47 unless noted)
    "m1,Senior MLOps Engineer,,Openkyber,Remote,,,100000,140000,,,aws;Python;k8s,2026-11-10,",
    "m2,ML Ops Engineer,,Apple,\"Austin, TX\",onsite,,150000,,,,AWS;Docker,2026-11-16,",
    "m3,Junior MLOps Engineer,,Openkyber,\"Austin, TX\",hybrid,,$160k,$200k,,,python;Kubernetes;rag,2026-11-22,",
    "m4,MLOps Engineer,,Unknown,,,,,,,,AWS,2026-11-01,2026-11-16",
    // closed the day before Monday: open in W46 only
    "m5,MLOps Engineer,,Worldpay,Remote,true,senior,50,60,,hour,,2026-11-01,2026-11-15",
    // the role column wins over the title; seniority from \"Lead\"
    "m6,Platform Lead,MLOps Engineer,Apple,Remote,remote,,100000,,EUR,,RAG; aws,2026-11-20,",
    // posted after Sunday: not open in W47
    "m7,MLOps Engineer,,Apple,Remote,,,90000,,,,,2026-11-23,",
    "a1,AI Engineer,,Google,\"San Francisco, CA\",remote,,200000,260000,,,RAG;Python,2026-11-18,",
    "a2,Staff AI Software Engineer,,Google,\"San Francisco, CA\",,,300k,340k,,,RAG,2026-11-19,",
    "u1,Recruiter,,Acme,,,,,,,,,2026-11-17,",
    "u2,Director of Sales,,Acme,,,,,,,,,2026-11-17,",
];

fn hand_snapshots() -> (Snapshot, Snapshot, Snapshot) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("postings.csv");
    std::fs::write(&path, format!("{HEADER}\n{}\n", HAND_ROWS.join("\n"))).unwrap();
    let catalog = Catalog::parse(ROLES).unwrap();
    let fx = FxRates::parse("[usd_per_unit]\nEUR = 1.1\n").unwrap();
    let data = load(&path, &catalog, &fx);
    assert_eq!(data.rows_rejected, 0, "{:?}", data.issues);
    let snap = |w: &str| stats::snapshot(&data, &catalog, w.parse().unwrap(), 3);
    (snap("2026-W45"), snap("2026-W46"), snap("2026-W47"))
}

#[test]
fn week_statistics_match_hand_computed_values() {
    let (_, _, s) = hand_snapshots();
    assert_eq!(s.market.open_positions, 9);
    assert_eq!(s.market.unclassified, 2);
    let m = &s.roles[0];
    assert_eq!(m.name, "MLOps Engineer");
    assert_eq!(m.open_positions, 5);
    assert_eq!(m.share_of_market, Some(5.0 / 9.0));
    // Points 110000 (EUR 100000 × 1.1), 120000, 150000, 180000.
    assert_eq!(m.salary.n, 4);
    assert_eq!(m.salary.p25, Some(117_500.0));
    assert_eq!(m.salary.median, Some(135_000.0));
    assert_eq!(m.salary.p75, Some(157_500.0));
    assert_eq!(m.salary.mean, Some(140_000.0));
    assert_eq!(m.salary.range_low, Some(130_000.0));
    assert_eq!(m.salary.range_high, Some(150_000.0));
    assert_eq!(m.salary.reliability, Some(Reliability::Low));
    assert_eq!((m.remote_share, m.hybrid_share, m.remote_known), (Some(0.5), Some(0.25), 4));
    assert_eq!(
        (m.experience_mix.entry, m.experience_mix.mid, m.experience_mix.senior),
        (Some(0.2), Some(0.4), Some(0.4))
    );
    let names = |v: &[NameCount]| v.iter().map(|n| (n.name.clone(), n.count)).collect::<Vec<_>>();
    let nc = |v: &[(&str, u64)]| v.iter().map(|(n, c)| (n.to_string(), *c)).collect::<Vec<_>>();
    assert_eq!(
        names(&m.top_skills),
        nc(&[("AWS", 4), ("Kubernetes", 2), ("Python", 2), ("RAG", 2), ("Docker", 1)])
    );
    assert_eq!(names(&m.top_companies), nc(&[("Apple", 2), ("Openkyber", 2)]));
    assert_eq!(names(&m.top_metros), nc(&[("Austin, TX", 2), ("Remote", 2)]));

    // Two salaries, below min_salary_sample = 3: everything but n is null.
    let a = &s.roles[1];
    assert_eq!(a.open_positions, 2);
    assert_eq!(a.salary.n, 2);
    assert!(a.salary.suppressed());
    assert_eq!((a.salary.mean, a.salary.p25, a.salary.reliability), (None, None, None));
}

#[test]
fn deltas_are_null_without_a_predecessor_and_for_suppressed_medians() {
    let (_, w46, w47) = hand_snapshots();
    let d = deltas::week_over_week(Some(&w46), &w47);
    assert_eq!(d.previous_week.unwrap().to_string(), "2026-W46");
    let m = &d.market.open_positions;
    assert_eq!((m.prev, m.cur, m.abs, m.pct), (Some(3.0), Some(9.0), Some(6.0), Some(2.0)));
    let ml = d.role("mlops-engineer").unwrap();
    assert_eq!(ml.open_positions.abs, Some(2.0));
    // W46 has two salaries (suppressed), so the median change is null.
    assert_eq!(
        (ml.median.change.prev, ml.median.change.abs, ml.median.change.pct),
        (None, None, None)
    );
    assert_eq!(ml.median.change.cur, Some(135_000.0));
    assert_eq!(ml.remote_share_pp, Some(-50.0));
    assert_eq!(ml.skills_entered.as_deref(), Some(&["RAG".to_string(), "Docker".to_string()][..]));
    assert_eq!(ml.skills_left.as_deref(), Some(&[][..]));
    let ai = d.role("ai-software-engineer").unwrap();
    // Zero last week: the absolute change exists, the percentage does not.
    assert_eq!((ai.open_positions.abs, ai.open_positions.pct), (Some(2.0), None));

    let first = deltas::week_over_week(None, &w47);
    assert_eq!(first.previous_week, None);
    assert_eq!(first.market.open_positions.abs, None);
    let r = &first.roles[0];
    assert_eq!(
        (r.open_positions.prev, r.open_positions.abs, r.open_positions.pct),
        (None, None, None)
    );
    assert_eq!((r.remote_share_pp, r.experience_mix_pp.entry), (None, None));
    assert_eq!((r.skills_entered.clone(), r.skills_left.clone()), (None, None));
    let json = serde_json::to_value(&first).unwrap();
    assert!(json["roles"][0]["open_positions"]["pct"].is_null());
    assert!(json["previous_week"].is_null());
}

fn role(median: Option<f64>, open: u64, skills: &[&str]) -> RoleStats {
    let (_, _, s) = hand_snapshots();
    let mut r = s.roles[0].clone();
    r.salary.median = median;
    r.open_positions = open;
    r.top_skills = skills.iter().map(|n| NameCount { name: n.to_string(), count: 1 }).collect();
    r
}

#[test]
fn pair_comparison_follows_the_seed_page() {
    let a = role(
        Some(173_000.0),
        80,
        &["AWS", "Python", "Kubernetes", "RAG", "Docker", "GCP", "Azure", "Rust"],
    );
    let b = role(
        Some(235_000.0),
        598,
        &["RAG", "Python", "Rust", "Kubernetes", "AWS", "Docker", "Claude", "OpenAI"],
    );
    let c = deltas::compare(&a, &b);
    assert_eq!(c.pays_more, Some(Side::B));
    // 235 / 173 − 1 = 0.3584 → 36 %.
    assert_eq!(c.pay_gap_pct, Some(36));
    assert_eq!(c.more_open, Some(Side::B));
    assert_eq!(c.shared_skills, ["AWS", "Python", "Kubernetes", "RAG", "Docker", "Rust"]);
    assert_eq!(c.overlap, Some(0.75));
    assert_eq!(c.unique_a, ["GCP", "Azure"]);
    assert_eq!(c.unique_b, ["Claude", "OpenAI"]);
    let back = deltas::compare(&b, &a);
    assert_eq!(
        (back.pays_more, back.pay_gap_pct, back.more_open),
        (Some(Side::A), Some(36), Some(Side::A))
    );
    // Half-up rounding: 100 → 100.5 is 0.5 %, shown as 1 %.
    let c = deltas::compare(&role(Some(100_500.0), 1, &[]), &role(Some(100_000.0), 1, &[]));
    assert_eq!((c.pays_more, c.pay_gap_pct, c.overlap), (Some(Side::A), Some(1), None));
    // No verdict on pay when a side is suppressed.
    let c = deltas::compare(&a, &role(None, 598, &[]));
    assert_eq!((c.pays_more, c.pay_gap_pct), (None, None));
}

#[test]
fn csv_and_json_lines_give_the_same_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("p.csv");
    std::fs::write(&csv_path, format!("{HEADER}\n{}\n", HAND_ROWS.join("\n"))).unwrap();
    // The same rows as JSON Lines, numbers as JSON numbers where they are plain.
    let mut rdr = csv::Reader::from_path(&csv_path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let mut jsonl = String::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let mut obj = serde_json::Map::new();
        for (h, v) in headers.iter().zip(rec.iter()) {
            let value = match v.parse::<u64>() {
                Ok(n) => serde_json::Value::from(n),
                Err(_) if v.is_empty() => serde_json::Value::Null,
                Err(_) => serde_json::Value::from(v),
            };
            obj.insert(h.to_string(), value);
        }
        jsonl.push_str(&serde_json::to_string(&obj).unwrap());
        jsonl.push('\n');
    }
    let jsonl_path = dir.path().join("p.jsonl");
    std::fs::write(&jsonl_path, jsonl).unwrap();
    let catalog = Catalog::parse(ROLES).unwrap();
    let fx = FxRates::parse("[usd_per_unit]\nEUR = 1.1\n").unwrap();
    let week = "2026-W47".parse().unwrap();
    let a = stats::snapshot(&load(&csv_path, &catalog, &fx), &catalog, week, 3);
    let b = stats::snapshot(&load(&jsonl_path, &catalog, &fx), &catalog, week, 3);
    assert_eq!(a.roles, b.roles);
    assert_eq!(a.market, b.market);
}

#[test]
fn large_files_split_in_pieces_keep_line_numbers_and_find_repeats() {
    // Over 5 MB: several parallel pieces. Every 7th title is quoted across two
    // lines, so a piece boundary must never fall inside a quoted field.
    let mut text = String::from(HEADER);
    text.push('\n');
    let mut line = 1u64;
    let rows = 60_000;
    for i in 0..rows {
        let title =
            if i % 7 == 0 { "\"Senior\nMLOps Engineer, \"\"Platform\"\"\"" } else { "AI Engineer" };
        text.push_str(&format!(
            "id{i},{title},,Company {},Remote,,,120000,150000,,,aws;rag;python;k8s,2026-11-16,\n",
            i % 97
        ));
        line += if i % 7 == 0 { 2 } else { 1 };
    }
    // A repeat of the first id and a bad date at the very end.
    text.push_str("id0,AI Engineer,,Acme,,,,,,,,,2026-11-16,\n");
    let repeat_line = line + 1;
    text.push_str("bad,AI Engineer,,Acme,,,,,,,,,2026-11-31,\n");
    let bad_line = line + 2;
    assert!(text.len() > 5 << 20, "{}", text.len());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    std::fs::write(&path, &text).unwrap();
    let catalog = Catalog::parse(ROLES).unwrap();
    let data = load(&path, &catalog, &FxRates::usd_only());
    assert_eq!(data.rows_read, rows + 2);
    assert_eq!(data.rows_rejected, 2);
    assert_eq!(data.postings.len() as u64, rows);
    let lines: Vec<(u64, &str, &str)> =
        data.issues.iter().map(|i| (i.line, i.id.as_str(), i.field.as_str())).collect();
    assert_eq!(lines, [(repeat_line, "id0", "id"), (bad_line, "bad", "posted_at")]);
    assert_eq!(data.issues[0].reason, format!("repeats the id first seen at {}:2", path.display()));
    let snap = stats::snapshot(&data, &catalog, "2026-W47".parse().unwrap(), 3);
    let multi_line = (0..rows).filter(|i| i % 7 == 0).count() as u64;
    assert_eq!(snap.roles[0].open_positions, multi_line);
    assert_eq!(snap.roles[1].open_positions, rows - multi_line);
    assert_eq!(snap.roles[0].experience_mix.senior, Some(1.0));
}
