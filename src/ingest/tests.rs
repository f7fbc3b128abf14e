//! Streaming ingest against the whole-file answer: whatever the blocks and
//! whichever weeks are kept, the weeks computed come out the same.

use proptest::prelude::*;

use super::*;
use crate::stats;

const ROLES: &str = r#"
[[role]]
name = "MLOps Engineer"
slug = "mlops-engineer"
match = ["mlops"]
description = "Deploys ML systems."
career_path = ["ML Platform Lead"]
entry_points = ["DevOps Engineer"]

[[role]]
name = "Data Scientist"
slug = "data-scientist"
match = ["data scientist"]
description = "Models data."
career_path = ["Lead Data Scientist"]
entry_points = ["Analyst"]
"#;

const HEADER: &str = "id,title,role,company,location,remote,seniority,salary_min,salary_max,salary_currency,salary_period,skills,posted_at,closed_at";

/// One row: a few titles, companies and places so that reposts happen;
/// ids from a small pool so that ids repeat; now and then a bad date.
fn row() -> impl Strategy<Value = (u32, String)> {
    let title = prop::sample::select(vec![
        "MLOps Engineer",
        "Senior MLOps Engineer",
        "Data Scientist",
        "Junior Data Scientist",
        "Office Manager",
    ]);
    let company = prop::sample::select(vec!["Acme", "acme", "Initech", "Umbrella, Inc."]);
    let place = prop::sample::select(vec!["Remote", "\"Berlin,\nDE\"", "Paris"]);
    let skills = prop::sample::select(vec!["", "k8s;Python", "python;AWS", "Rust"]);
    (
        0u32..400,
        (title, company, place, skills),
        prop::option::of(60_000u32..250_000),
        0i64..140,
        prop::option::of(0i64..70),
        0u8..40,
    )
        .prop_map(|(id, (title, company, place, skills), salary, posted, open_for, bad)| {
            let day = |d: i64| NaiveDate::from_ymd_opt(2026, 8, 1).unwrap() + chrono::Days::new(d as u64);
            let posted_at = if bad == 0 { "2026-13-01".to_string() } else { day(posted).to_string() };
            let closed = open_for.map(|n| day(posted + n).to_string()).unwrap_or_default();
            let salary = salary.map(|s| s.to_string()).unwrap_or_default();
            let company = if company.contains(',') { format!("\"{company}\"") } else { company.to_string() };
            (
                posted as u32,
                format!(
                    "p{id},{title},,{company},{place},,,{salary},{salary},,,{skills},{posted_at},{closed}"
                ),
            )
        })
}

fn write(dir: &Path, rows: &[String]) -> PathBuf {
    let path = dir.join("postings.csv");
    std::fs::write(&path, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
    path
}

fn read(path: &Path, plan: Plan, block_bytes: usize) -> Dataset {
    let catalog = Catalog::parse(ROLES).unwrap();
    let display = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
    load_blocks(&[path.to_path_buf()], display, &catalog, &FxRates::usd_only(), &plan, block_bytes)
        .unwrap()
}

/// The figures a dataset gives for `weeks`.
fn snapshots(ds: &Dataset, weeks: &[IsoWeek]) -> Vec<stats::Snapshot> {
    let catalog = Catalog::parse(ROLES).unwrap();
    weeks.iter().map(|&w| stats::snapshot(ds, &catalog, w, 3)).collect()
}

/// What every plan must agree on, kept or not.
fn counts(ds: &Dataset) -> impl PartialEq + std::fmt::Debug {
    (
        ds.rows_read,
        ds.rows_rejected,
        ds.accepted,
        ds.unclassified,
        ds.newest_posted(),
        ds.oldest_posted(),
        ds.issues.clone(),
        ds.files.clone(),
        ds.skills.clone(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn kept_weeks_read_in_blocks_give_the_whole_file_figures(
        rows in prop::collection::vec(row(), 1..160),
        by_date in any::<bool>(),
        window in prop::sample::select(vec![0u32, 7, 30, 60]),
        last in 33u32..52,
        weeks in 1usize..4,
        block in 64usize..2048,
    ) {
        let mut rows = rows;
        if by_date {
            // Sorted by date, the first week kept moves on as the file is read.
            rows.sort_by_key(|r| r.0);
        }
        let rows: Vec<String> = rows.into_iter().map(|r| r.1).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), &rows);
        let mut whole = read(&path, Plan::default(), 1 << 30);
        jobs::chain(&mut whole, window);
        let last: IsoWeek = format!("2026-W{last}").parse().unwrap();
        let computed = last.trailing(weeks);
        for keep_last in [LastWeek::Given(last), LastWeek::Newest { at_most: last }] {
            let plan = Plan { keep: Keep::Weeks { last: keep_last, weeks }, window_days: Some(window) };
            let part = read(&path, plan, block);
            prop_assert_eq!(counts(&part), counts(&whole));
            // The default week is the same, from every row.
            let resolved = keep_last.resolve(part.newest_posted());
            prop_assert_eq!(resolved, keep_last.resolve(whole.newest_posted()));
            let weeks_of = |w: IsoWeek| w.trailing(weeks);
            let computed = resolved.map_or(computed.clone(), weeks_of);
            prop_assert_eq!(snapshots(&part, &computed), snapshots(&whole, &computed));
            prop_assert!(part.postings.len() <= whole.postings.len());
        }
        // Nothing kept: the same counts and issues.
        let none = read(&path, Plan { keep: Keep::Nothing, window_days: None }, block);
        prop_assert_eq!(counts(&none), counts(&whole));
        prop_assert!(none.postings.is_empty());
    }
}

#[test]
fn a_repeated_id_names_its_first_row_in_another_block_even_when_that_posting_is_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = vec!["a1,MLOps Engineer,,Acme,Remote,,,,,,,,2026-01-05,2026-01-20".to_string()];
    for i in 0..200 {
        rows.push(format!("b{i},Data Scientist,,Initech,Paris,,,,,,,,2026-11-16,"));
    }
    rows.push("a1,MLOps Engineer,,Acme,Remote,,,,,,,,2026-11-16,".into());
    let path = write(dir.path(), &rows);
    let keep = Keep::Weeks { last: LastWeek::Given("2026-W47".parse().unwrap()), weeks: 1 };
    let ds = read(&path, Plan { keep, window_days: Some(60) }, 256);
    let issue = ds.issues.iter().find(|i| i.field == "id").expect("the repeat is rejected");
    assert_eq!((issue.line, issue.id.as_str()), (203, "a1"));
    assert_eq!(issue.reason, "repeats the id first seen at postings.csv:2");
    assert_eq!((ds.rows_read, ds.rows_rejected, ds.accepted), (202, 1, 201));
    // The January posting is counted but not kept; the repeat is neither.
    assert_eq!(ds.postings.len(), 200);
    assert_eq!(ds.oldest_posted(), NaiveDate::from_ymd_opt(2026, 1, 5));
}

#[test]
fn a_repeated_id_names_the_file_and_line_it_was_first_seen_at_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let row = |id: &str| format!("{id},MLOps Engineer,,Acme,Remote,,,,,,,,2026-11-16,");
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    let a_rows: Vec<String> = (0..50).map(|i| row(&format!("a{i}"))).collect();
    std::fs::write(&a, format!("{HEADER}\n{}\n\n\n", a_rows.join("\n"))).unwrap();
    let b_rows = [row("b0"), row("a7"), row("b1"), row("b0")];
    std::fs::write(&b, format!("{HEADER}\n{}\n", b_rows.join("\n"))).unwrap();
    let catalog = Catalog::parse(ROLES).unwrap();
    let display = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
    let ds = load_blocks(&[a, b], display, &catalog, &FxRates::usd_only(), &Plan::default(), 128)
        .unwrap();
    let repeats: Vec<(String, u64, String)> = ds
        .issues
        .iter()
        .filter(|i| i.field == "id")
        .map(|i| (i.file.clone(), i.line, i.reason.clone()))
        .collect();
    assert_eq!(
        repeats,
        [
            ("b.csv".to_string(), 3, "repeats the id first seen at a.csv:9".to_string()),
            ("b.csv".to_string(), 5, "repeats the id first seen at b.csv:2".to_string()),
        ]
    );
    assert_eq!(ds.accepted, 52);
}

#[test]
fn json_lines_in_small_blocks_read_as_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("postings.jsonl");
    let mut text = String::new();
    for i in 0..120 {
        let title = if i % 3 == 0 { "Data Scientist" } else { "MLOps Engineer" };
        let line = serde_json::json!({
            "id": format!("j{}", i % 100),
            "title": title,
            "company": "Acme",
            "location": "Zürich",
            "salary_min": 90_000 + i * 100,
            "skills": ["k8s", "Python"],
            "posted_at": "2026-11-16",
        });
        text.push_str(&line.to_string());
        text.push_str(if i % 7 == 0 { "\r\n" } else { "\n" });
        if i == 50 {
            text.push_str("{not json}\n\n");
        }
    }
    std::fs::write(&path, text).unwrap();
    let whole = read(&path, Plan::default(), 1 << 30);
    let part = read(&path, Plan::default(), 97);
    assert_eq!(counts(&part), counts(&whole));
    assert_eq!(part.postings, whole.postings);
    assert_eq!((whole.rows_read, whole.rows_rejected, whole.accepted), (121, 21, 100));
    let bad = whole.issues.iter().find(|i| i.field == "(row)").unwrap();
    assert_eq!(bad.line, 52);
}

#[test]
fn bytes_that_are_not_utf8_in_a_later_block_name_their_line_and_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("postings.csv");
    let mut bytes = format!("{HEADER}\n").into_bytes();
    for i in 0..40 {
        bytes.extend_from_slice(
            format!("p{i},MLOps Engineer,,Acme,Remote,,,,,,,,2026-11-16,\n").as_bytes(),
        );
    }
    let at = bytes.len() + 10;
    bytes.extend_from_slice(b"p40,MLOps \xff Engineer,,Acme,Remote,,,,,,,,2026-11-16,\n");
    std::fs::write(&path, &bytes).unwrap();
    let catalog = Catalog::parse(ROLES).unwrap();
    let display = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
    for block in [64, 1 << 20] {
        let err = load_blocks(
            std::slice::from_ref(&path),
            display,
            &catalog,
            &FxRates::usd_only(),
            &Plan::default(),
            block,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), format!("postings.csv: not UTF-8 (line 42, byte {})", at + 1));
    }
}
