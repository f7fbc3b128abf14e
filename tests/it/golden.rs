//! The bundled week, rendered end to end, gives the bytes recorded in
//! `tests/golden/bundled-week.sha256`: every snapshot, report, chart,
//! newsletter file and outbox message. A change of behaviour anywhere shows
//! up here; a restructure must leave it green.
//!
//! After an intended change of output, record the new digests with
//! `SALARYTRENDS_BLESS=1 cargo test --release golden` and review the diff.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::support::{collect, root};

const RECORD: &str = "tests/golden/bundled-week.sha256";

/// `sha256  path` lines, sorted by path, for everything the weekly job wrote.
fn digests(work: &Path) -> String {
    let mut all = Vec::new();
    for top in ["output", "data/snapshots"] {
        collect(&work.join(top), &mut all);
    }
    // Hidden files are the stages' stamps, not outputs.
    all.retain(|p| p.file_name().is_some_and(|n| !n.to_string_lossy().starts_with('.')));
    let mut lines: Vec<String> = all
        .iter()
        .map(|p| {
            let hash = Sha256::digest(std::fs::read(p).unwrap());
            let rel = p.strip_prefix(work).unwrap().to_string_lossy().replace('\\', "/");
            format!("{}  {rel}", salarytrends::model::hex(&hash))
        })
        .collect();
    lines.sort_by(|a, b| a[66..].cmp(&b[66..]));
    lines.join("\n") + "\n"
}

#[test]
fn the_bundled_week_renders_to_the_recorded_bytes() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    std::fs::create_dir_all(w.join("data")).unwrap();
    std::fs::copy(root().join("salarytrends.toml"), w.join("salarytrends.toml")).unwrap();
    for f in ["postings.csv", "roles.toml", "fx.toml", "subscribers.csv"] {
        std::fs::copy(root().join("data").join(f), w.join("data").join(f)).unwrap();
    }
    std::fs::create_dir_all(w.join("templates")).unwrap();
    for e in std::fs::read_dir(root().join("templates")).unwrap().flatten() {
        std::fs::copy(e.path(), w.join("templates").join(e.file_name())).unwrap();
    }
    assert_cmd::Command::cargo_bin("salarytrends")
        .unwrap()
        .current_dir(w)
        .env_remove("SALARYTRENDS_CONFIG")
        .env_remove("SOURCE_DATE_EPOCH")
        .env("SALARYTRENDS_UNSUBSCRIBE_KEY", "bundled-week-key")
        .args(["-q", "--as-of", "2026-11-28", "weekly"])
        .assert()
        .success();
    let got = digests(w);
    let record = root().join(RECORD);
    if std::env::var_os("SALARYTRENDS_BLESS").is_some() {
        std::fs::write(&record, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&record).unwrap_or_default();
    if got != want {
        let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
        let changed: Vec<&str> = g.iter().filter(|l| !w.contains(l)).map(|l| &l[66..]).collect();
        let gone: Vec<&str> = w.iter().filter(|l| !g.contains(l)).map(|l| &l[66..]).collect();
        panic!(
            "the bundled week's outputs differ from {RECORD}: {} new or changed ({}), {} no longer written as recorded ({})",
            changed.len(),
            changed.iter().take(8).copied().collect::<Vec<_>>().join(", "),
            gone.len(),
            gone.iter().take(8).copied().collect::<Vec<_>>().join(", "),
        );
    }
}
