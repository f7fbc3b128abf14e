//! The weekly job as an operator runs it: everything from the postings to
//! the outbox, a rerun that does nothing new and says so, one run at a time,
//! and logs for schedulers.

use std::time::Duration;

use crate::support::Project;

fn weekly(p: &Project) -> assert_cmd::Command {
    let mut c = p.cmd();
    c.env("SALARYTRENDS_UNSUBSCRIBE_KEY", "weekly-test-key").arg("weekly");
    c
}

#[test]
fn weekly_makes_everything_then_a_rerun_does_nothing_new() {
    let p = Project::generated(5, "");
    let first = weekly(&p).assert().success();
    let err = String::from_utf8_lossy(&first.get_output().stderr).to_string();
    assert!(err.contains("rendered 91 PDFs"), "{err}");
    let week = p.path("output/2026-W47");
    assert!(p.path("snapshots/2026-W47.json").is_file());
    assert_eq!(
        std::fs::read_dir(week.join("reports"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "pdf"))
            .count(),
        91
    );
    assert!(week.join("newsletter/newsletter.html").is_file());
    let active = std::fs::read_to_string(p.path("subscribers.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| l.ends_with(",active"))
        .count();
    assert!(active > 0);
    let eml = std::fs::read_dir(week.join("outbox")).unwrap().count();
    assert_eq!(eml, active, "one message per active subscriber");
    assert!(err.contains(&format!("sent {active}, failed 0")), "{err}");
    let manifest = std::fs::read_to_string(week.join("manifest.json")).unwrap();
    assert!(manifest.contains("outbox/2026-W47."), "the outbox is in the manifest");

    let again = weekly(&p).assert().success();
    let err = String::from_utf8_lossy(&again.get_output().stderr).to_string();
    assert!(err.contains("nothing new: 2026-W47 was already complete"), "{err}");
    assert!(err.contains(&format!("{active} already sent")), "{err}");
    assert_eq!(std::fs::read_dir(week.join("outbox")).unwrap().count(), active);
}

#[test]
fn two_weekly_runs_started_together_one_works_the_other_says_why_not() {
    let p = Project::generated(5, "");
    let bin = assert_cmd::cargo::cargo_bin("salarytrends");
    let start = || {
        std::process::Command::new(&bin)
            .current_dir(p.dir.path())
            .env("SALARYTRENDS_UNSUBSCRIBE_KEY", "weekly-test-key")
            .args(["--config", "salarytrends.toml", "--as-of", "2026-11-28", "weekly"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (start(), start());
    let mut results: Vec<(i32, String)> = [a, b]
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            (out.status.code().unwrap(), String::from_utf8_lossy(&out.stderr).into_owned())
        })
        .collect();
    results.sort_by_key(|r| r.0);
    assert_eq!(results[0].0, 0, "{}", results[0].1);
    assert_eq!(results[1].0, 75, "{}", results[1].1);
    assert!(
        results[1].1.contains("another salarytrends run is using state/state.sqlite"),
        "{}",
        results[1].1
    );
    // The loser wrote nothing: the winner's outbox has one message for each
    // active subscriber, none twice.
    let list = std::fs::read_to_string(p.path("subscribers.csv")).unwrap();
    let mut active: Vec<String> = list
        .lines()
        .skip(1)
        .filter(|l| l.ends_with(",active"))
        .map(|l| l.split(',').next().unwrap().to_ascii_lowercase())
        .collect();
    active.sort();
    let mut to: Vec<String> = std::fs::read_dir(p.path("output/2026-W47/outbox"))
        .unwrap()
        .map(|e| {
            let eml = std::fs::read(e.unwrap().path()).unwrap();
            let msg = mail_parser::MessageParser::default().parse(&eml).unwrap();
            msg.to().unwrap().first().unwrap().address().unwrap().to_ascii_lowercase()
        })
        .collect();
    to.sort();
    assert!(!active.is_empty());
    assert_eq!(to, active);
    std::thread::sleep(Duration::from_millis(10));
}

#[test]
fn json_logs_are_one_object_per_line_and_errors_carry_the_exit_code() {
    let p = Project::generated(5, "");
    let out = p
        .cmd()
        .args(["--log-format", "json", "snapshot", "--weeks", "2026-W46..2026-W47"])
        .assert()
        .success();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let lines: Vec<serde_json::Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.iter().all(|l| l["level"] == "INFO" && l["timestamp"].is_string()));
    assert!(
        lines.iter().any(|l| l["message"].as_str().unwrap().contains("2026-W47: snapshot written"))
    );

    let bad =
        p.cmd().args(["--log-format", "json", "deltas", "--week", "2020-W01"]).assert().code(1);
    let err = String::from_utf8_lossy(&bad.get_output().stderr).to_string();
    let last: serde_json::Value = serde_json::from_str(err.lines().last().unwrap()).unwrap();
    assert_eq!(last["level"], "ERROR");
    assert_eq!(last["exit_code"], 1);
    assert!(last["message"].as_str().unwrap().contains("no stored snapshot for 2020-W01"));

    // -q: nothing but errors.
    let quiet = p.cmd().args(["-q", "snapshot", "--week", "2026-W47"]).assert().success();
    assert!(quiet.get_output().stderr.is_empty());
}
