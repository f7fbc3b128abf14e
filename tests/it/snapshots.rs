//! Rendered text under review: the report model of one pair, the issue
//! model, and the newsletter's text and HTML, from the two fixture snapshots
//! in `tests/fixtures/small/`. A change of wording or figures shows up as a
//! snapshot diff to review (`cargo insta review`, or `INSTA_UPDATE=always`
//! and `git diff`).

use salarytrends::deltas::week_over_week;
use salarytrends::newsletter::{self, EmailChart, Renderer};
use salarytrends::report::{self, ReportJob};
use salarytrends::roles::Catalog;
use salarytrends::stats::Snapshot;
use salarytrends::store::SnapshotStore;

use crate::support::root;

const BASE_URL: &str = "https://example.com/salarytrends";

fn fixtures() -> (Catalog, Snapshot, Snapshot) {
    let dir = root().join("tests/fixtures/small");
    let catalog = Catalog::load(&dir.join("roles.toml")).unwrap();
    let store = SnapshotStore::new(&dir);
    let prev = store.load("2026-W46".parse().unwrap()).unwrap().unwrap();
    let cur = store.load("2026-W47".parse().unwrap()).unwrap().unwrap();
    (catalog, prev, cur)
}

fn issue() -> Renderer {
    let (catalog, prev, cur) = fixtures();
    let d = week_over_week(Some(&prev), &cur);
    let charts = salarytrends::charts::newsletter_charts(&cur)
        .into_iter()
        .map(|(file, alt, png)| EmailChart { cid: format!("{file}@test"), file, alt, png })
        .collect();
    let model = newsletter::issue_model(
        &cur,
        &d,
        &catalog.roles,
        BASE_URL,
        "AI Salary Trends, 1 Example Street, Springfield",
        charts,
    );
    Renderer::new(model, &root().join("templates")).unwrap()
}

#[test]
fn report_model_of_a_pair() {
    let (catalog, prev, cur) = fixtures();
    let d = week_over_week(Some(&prev), &cur);
    let history = [prev, cur.clone()];
    let job = ReportJob {
        snapshot: &cur,
        deltas: &d,
        history: &history,
        roles: &catalog.roles,
        base_url: BASE_URL,
        min_salary_sample: 10,
        week_dir: std::env::temp_dir(),
        emit_source: None,
    };
    let files = report::pair_files(&job, 0, 1).unwrap();
    let data = files.iter().find(|(name, _)| name == "data.json").unwrap();
    insta::assert_snapshot!("report_model", String::from_utf8(data.1.clone()).unwrap());
}

#[test]
fn issue_model() {
    let r = issue();
    // No median moved beyond the margin of error in the fixture week: none is
    // listed, and one sentence says so.
    assert!(r.model().movers_median.is_empty());
    assert_eq!(r.model().no_median_move, salarytrends::text::NO_SIGNIFICANT_MOVE);
    let json = salarytrends::store::to_json(r.model()).unwrap();
    insta::assert_snapshot!("issue_model", String::from_utf8(json).unwrap());
}

#[test]
fn newsletter_text() {
    insta::assert_snapshot!("newsletter_txt", issue().public_text().unwrap());
}

#[test]
fn newsletter_html() {
    insta::assert_snapshot!("newsletter_html", issue().public_html());
}
