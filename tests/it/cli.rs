//! The command line: every error class of spec section 2 (exit code, a
//! message naming file, line and field, nothing written), and the commands'
//! happy paths.

use predicates::prelude::*;
use predicates::str::contains;

use crate::pipeline::HAND_ROWS;
use crate::support::{HEADER, Project, root};

#[test]
fn missing_postings_file_is_exit_65_and_writes_nothing() {
    let p = Project::empty();
    p.cmd()
        .args(["snapshot", "--week", "2026-W47"])
        .assert()
        .code(65)
        .stderr(contains("error: postings.csv: cannot read file"));
    assert!(p.written().is_empty());
}

#[test]
fn missing_required_column_is_named() {
    let p = Project::empty();
    p.write("postings.csv", "id,title,role,posted_at\nx1,MLOps Engineer,,2026-11-16\n");
    p.cmd()
        .args(["snapshot", "--week", "2026-W47"])
        .assert()
        .code(65)
        .stderr(contains("error: postings.csv: missing required column company"));
    assert!(p.written().is_empty());
}

#[test]
fn not_utf8_names_the_line() {
    let p = Project::empty();
    let mut bytes = format!("{HEADER}\n{}\n", HAND_ROWS[0]).into_bytes();
    bytes.extend_from_slice(b"x9,Caf\xe9 Engineer,,Acme,,,,,,,,,2026-11-16,\n");
    std::fs::write(p.path("postings.csv"), bytes).unwrap();
    p.cmd()
        .args(["snapshot", "--week", "2026-W47"])
        .assert()
        .code(65)
        .stderr(contains("error: postings.csv: not UTF-8 (line 3"));
    assert!(p.written().is_empty());
}

#[test]
fn header_only_is_no_data_rows() {
    let p = Project::with_rows(&[]);
    p.cmd()
        .args(["validate"])
        .assert()
        .code(65)
        .stderr(contains("error: postings.csv: no data rows"));
    assert!(p.written().is_empty());
}

#[test]
fn too_many_rejected_rows_is_exit_65_with_file_line_and_field() {
    let p = Project::with_rows(&[
        HAND_ROWS[0],
        "b1,MLOps Engineer,,,,,,,,,,,2026-11-16,",
        "b2,MLOps Engineer,,Acme,,,,,,,,,2026-13-01,",
        HAND_ROWS[1],
    ]);
    p.cmd()
        .args(["snapshot", "--week", "2026-W47"])
        .assert()
        .code(65)
        .stderr(contains("2 of 4 rows rejected"))
        .stderr(contains("postings.csv:3: company: required field is empty (id 'b1')"))
        .stderr(contains("postings.csv:4: posted_at: '2026-13-01' is not a date"));
    assert!(p.written().is_empty(), "{:?}", p.written());
}

#[test]
fn rejected_rows_and_salary_warnings_are_reported_in_rejected_csv() {
    let mut rows: Vec<String> = HAND_ROWS.iter().map(|r| r.to_string()).collect();
    // 60 good rows keep the reject ratio under 5 %.
    for i in 0..60 {
        rows.push(format!("g{i},Data Person,,Acme,,,,,,,,,2026-11-16,"));
    }
    rows.push("m1,MLOps Engineer,,Apple,,,,,,,,,2026-11-16,".into()); // repeated id
    rows.push("c1,MLOps Engineer,,Apple,,,,,,,,,2026-11-16,2026-11-10".into()); // closed before posted
    rows.push("s1,MLOps Engineer,,Apple,,,,120000,,,month,,2026-11-16,".into()); // salary kept out
    rows.push("r1,Chef,Plumber,Apple,,,,,,,,,2026-11-16,".into()); // unknown role
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let p = Project::with_rows(&refs);
    p.cmd()
        .args(["snapshot", "--week", "2026-W47"])
        .assert()
        .success()
        .stderr(contains("rejected:            3"))
        .stderr(contains("salaries excluded:   1"));
    let text = std::fs::read_to_string(p.path("output/2026-W47/rejected.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "file,line,id,kind,field,reason");
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines[1].starts_with(
            "postings.csv,73,m1,rejected,id,repeats the id first seen at postings.csv:2"
        ),
        "{text}"
    );
    assert!(
        lines[2].starts_with(
            "postings.csv,74,c1,rejected,closed_at,2026-11-10 is before posted_at 2026-11-16"
        ),
        "{text}"
    );
    assert!(
        lines[3].starts_with(
            "postings.csv,75,s1,warning,salary_min,\"salary excluded: 1440000 USD a year"
        ),
        "{text}"
    );
    assert!(
        lines[4].starts_with("postings.csv,76,r1,rejected,role,'Plumber' names no role"),
        "{text}"
    );
    assert!(p.path("snapshots/2026-W47.json").is_file());
}

#[test]
fn unknown_config_key_is_a_usage_error_naming_the_key() {
    let p = Project::with_rows(HAND_ROWS);
    p.write("salarytrends.toml", "postings = \"postings.csv\"\nmin_salary_samples = 3\n");
    p.cmd().args(["validate"]).assert().code(2).stderr(contains("min_salary_samples"));
}

#[test]
fn snapshot_is_kept_unless_recomputed_and_byte_identical() {
    let p = Project::with_rows(HAND_ROWS);
    p.cmd().args(["snapshot", "--weeks", "2026-W45..2026-W47"]).assert().success();
    let path = p.path("snapshots/2026-W47.json");
    let first = std::fs::read(&path).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(json["week"], "2026-W47");
    assert_eq!(json["week_start"], "2026-11-16");
    assert_eq!(json["week_end"], "2026-11-22");
    assert_eq!(json["market"]["open_positions"], 9);
    assert_eq!(json["roles"][0]["salary"]["median"], 135000.0);
    assert!(json["roles"][1]["salary"]["median"].is_null());
    assert_eq!(json["source"]["files"][0]["path"], "postings.csv");
    assert_eq!(json["source"]["files"][0]["sha256"].as_str().unwrap().len(), 64);
    p.cmd()
        .args(["snapshot", "--week", "2026-W47"])
        .assert()
        .success()
        .stderr(contains("stored snapshot kept"));
    std::fs::write(&path, b"{}").unwrap();
    p.cmd().args(["snapshot", "--week", "2026-W47", "--recompute"]).assert().success();
    assert_eq!(std::fs::read(&path).unwrap(), first);
}

#[test]
fn default_week_is_the_newest_posting_week_when_it_is_complete() {
    let p = Project::with_rows(HAND_ROWS);
    // Newest posted_at is 2026-11-23 (W48); as of 2026-11-28 the last complete week is W47.
    p.cmd().args(["snapshot"]).assert().success().stderr(contains("2026-W47: snapshot written"));
    // As of a later date, the week of the newest posting wins.
    p.cmd_as_of("2027-01-10")
        .args(["snapshot"])
        .assert()
        .success()
        .stderr(contains("2026-W48: snapshot written"));
}

#[test]
fn deltas_print_json_with_nulls_for_the_first_week() {
    let p = Project::with_rows(HAND_ROWS);
    p.cmd().args(["snapshot", "--weeks", "2026-W46..2026-W47"]).assert().success();
    let out = p.cmd().args(["deltas", "--week", "2026-W47"]).assert().success();
    let d: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(d["previous_week"], "2026-W46");
    assert_eq!(d["market"]["open_positions"]["abs"], 6.0);
    assert_eq!(d["roles"][0]["slug"], "mlops-engineer");
    assert!(d["roles"][0]["median"]["abs"].is_null());
    let out = p.cmd().args(["deltas", "--week", "2026-W46"]).assert().success();
    let d: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(d["previous_week"].is_null());
    assert!(d["market"]["open_positions"]["abs"].is_null());
    p.cmd()
        .args(["deltas", "--week", "2026-W40"])
        .assert()
        .code(1)
        .stderr(contains("no stored snapshot for 2026-W40"));
}

#[test]
fn ai_jobs_fixture_backfills_cleanly_from_the_command_line() {
    let p = Project::empty();
    let fixture = root().join("tests/fixtures/ai-jobs-net");
    p.write(
        "salarytrends.toml",
        &format!(
            "postings = '{}'\nroles = '{}'\nfx = 'fx.toml'\nsnapshots_dir = 'snapshots'\noutput_dir = 'output'\n",
            fixture.join("postings.csv").display(),
            fixture.join("roles.toml").display()
        ),
    );
    p.cmd()
        .args(["snapshot", "--weeks", "2024-W27..2024-W32"])
        .assert()
        .success()
        .stderr(contains("rejected:            0"))
        .stderr(contains("2024-W32: snapshot written"));
    assert_eq!(
        p.written().iter().filter(|f| f.extension().is_some_and(|e| e == "json")).count(),
        6
    );
}

#[test]
fn weekly_runs_and_a_rerun_computes_nothing_new() {
    // The hand data set's market triples in a week: everything is computed,
    // but the send is refused with the reason.
    let p = Project::with_rows(HAND_ROWS);
    p.cmd()
        .args(["weekly"])
        .assert()
        .code(1)
        .stderr(contains("week 2026-W47"))
        .stderr(contains("market: 9 open AI positions (+6, +200.0% on 2026-W46)"))
        .stderr(contains(
            "2026-W47 looks broken, so nothing was sent: the market total moved +200%",
        ));
    assert!(p.path("output/2026-W47/deltas.json").is_file());
    assert!(p.path("output/2026-W47/newsletter/newsletter.html").is_file());
    assert!(!p.path("output/2026-W47/outbox").exists());
    p.cmd()
        .args(["weekly"])
        .assert()
        .code(1)
        .stderr(contains("already stored, nothing recomputed"))
        .stderr(contains("unchanged"));
}

#[test]
fn gen_data_is_deterministic() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for d in [&a, &b] {
        assert_cmd::Command::cargo_bin("salarytrends")
            .unwrap()
            .args(["gen-data", "--out"])
            .arg(d.path())
            .args(["--rows", "5000", "--weeks", "4", "--subscribers", "20"])
            .assert()
            .success();
    }
    for f in ["postings.csv", "roles.toml", "fx.toml", "subscribers.csv"] {
        let x = std::fs::read(a.path().join(f)).unwrap();
        assert_eq!(x, std::fs::read(b.path().join(f)).unwrap(), "{f}");
    }
    let rows = std::fs::read_to_string(a.path().join("postings.csv")).unwrap().lines().count() - 1;
    assert!((4500..5500).contains(&rows), "{rows}");
}

#[test]
fn help_lists_exit_codes() {
    assert_cmd::Command::cargo_bin("salarytrends")
        .unwrap()
        .args(["snapshot", "--help"])
        .assert()
        .success()
        .stdout(contains("65").and(contains("Example: salarytrends snapshot")));
}
