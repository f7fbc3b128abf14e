//! Delivery against a real SMTP server (aiosmtpd, `tests/smtp/server.py`):
//! every subscriber exactly once, retries and suppression, a SIGKILL in the
//! middle of a run, a server that is down, the guard rails, and the
//! unsubscribe endpoint.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use mail_parser::{MessageParser, MimeHeaders};
use salarytrends::delivery::ledger::{Ledger, Status};
use salarytrends::tokens::{unsubscribe as unsubscribe_token, verify_unsubscribe as verify_token};

use crate::support::{Project, SmtpServer, free_port, http};

const KEY: &str = "delivery-test-key";
const WEEK: &str = "2026-W47";

/// A generated project with `n` active subscribers at `domain` and a `[delivery]` section.
fn project(n: usize, domain: &str, delivery: &str) -> Project {
    let p = Project::generated(11, &format!("[delivery]\n{delivery}\n"));
    let mut subs = String::from("email,name,roles,status\n");
    for i in 0..n {
        subs.push_str(&format!("user{i:04}@{domain},User {i},mlops-engineer,active\n"));
    }
    subs.push_str(&format!("gone@{domain},Gone,,unsubscribed\n"));
    p.write("subscribers.csv", &subs);
    p.cmd().args(["-q", "snapshot", "--weeks", "2026-W46..2026-W47"]).assert().success();
    p
}

fn smtp(addr: &str, extra: &str) -> String {
    format!(
        "transport = \"smtp\"\nsmtp_url = \"smtp://{addr}\"\nmax_per_second = 0\nretry_base_seconds = 0.02\n{extra}"
    )
}

fn send(p: &Project) -> assert_cmd::Command {
    let mut c = p.cmd();
    c.env("SALARYTRENDS_UNSUBSCRIBE_KEY", KEY).args(["send", "--week", WEEK]);
    c
}

fn ledger(p: &Project) -> BTreeMap<String, (Status, u32)> {
    let l = Ledger::open(&p.path("state/state.sqlite")).unwrap();
    l.statuses(WEEK).unwrap().into_iter().map(|(e, s, a)| (e, (s, a))).collect()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

#[test]
#[ignore = "needs the test SMTP server: python3 with aiosmtpd"]
fn five_hundred_subscribers_get_one_message_each_and_a_rerun_sends_none() {
    let srv = SmtpServer::shared_or_start();
    let domain = format!("five-hundred-{}.example.com", std::process::id());
    let p = project(500, &domain, &smtp(&srv.addr, "connections = 4"));
    let out = send(&p).assert().success();
    assert!(stderr(&out).contains("sent 500, failed 0"), "{}", stderr(&out));

    let ours: Vec<(String, Vec<u8>)> =
        srv.messages().into_iter().filter(|(to, _)| to.ends_with(&domain)).collect();
    assert_eq!(ours.len(), 500);
    let rcpts: BTreeSet<&str> = ours.iter().map(|(to, _)| to.as_str()).collect();
    let expected: BTreeSet<String> = (0..500).map(|i| format!("user{i:04}@{domain}")).collect();
    assert_eq!(rcpts, expected.iter().map(String::as_str).collect());
    let mut ids = BTreeSet::new();
    for (to, bytes) in &ours {
        let m = MessageParser::default().parse(bytes).expect("parses as MIME");
        assert!(m.subject().unwrap().starts_with("AI salary trends 2026-W47: "));
        assert_eq!(m.to().unwrap().first().unwrap().address().unwrap().to_ascii_lowercase(), *to);
        assert!(m.content_type().unwrap().subtype() == Some("alternative"));
        assert!(m.body_text(0).unwrap().contains("TOP MOVERS BY OPEN POSITIONS"));
        assert!(m.body_html(0).unwrap().contains("Top movers by open positions"));
        let unsub = m.header_raw("List-Unsubscribe").unwrap().trim().to_string();
        let token = unsub.trim_end_matches('>').rsplit("token=").next().unwrap();
        assert!(verify_token(KEY.as_bytes(), to, token), "{to}: {unsub}");
        ids.insert(m.message_id().unwrap().to_string());
    }
    assert_eq!(ids.len(), 500, "Message-IDs are unique");
    assert!(ledger(&p).values().all(|(s, a)| *s == Status::Sent && *a == 1));

    let again = send(&p).assert().success();
    assert!(stderr(&again).contains("nothing to send"), "{}", stderr(&again));
    assert!(stderr(&again).contains("500 already sent"), "{}", stderr(&again));
    let count = srv.messages().iter().filter(|(to, _)| to.ends_with(&domain)).count();
    assert_eq!(count, 500, "the rerun mailed nobody");
}

#[test]
#[ignore = "needs the test SMTP server: python3 with aiosmtpd"]
fn temporary_refusals_are_retried_and_permanent_ones_suppressed() {
    let d = "retry.example.com";
    let srv = SmtpServer::start(&[
        "--tempfail",
        &format!("user0001@{d}=2"),
        "--tempfail",
        &format!("user0002@{d}=7"),
        "--reject",
        &format!("user0003@{d}"),
    ]);
    let p = project(6, d, &smtp(&srv.addr, "connections = 2\nmax_attempts = 5"));

    // user0002 is refused 7 times: more than one run's 5 attempts.
    let first = send(&p).assert().code(75);
    let err = stderr(&first);
    assert!(err.contains("sent 4, failed 1, left 1 of 6"), "{err}");
    assert!(
        err.contains(&format!(
            "failed for good (address suppressed): user0003@{d}: permanent error (550)"
        )),
        "{err}"
    );
    assert!(err.contains("rerun `salarytrends send --week 2026-W47` to resume"), "{err}");
    let l = ledger(&p);
    assert_eq!(l[&format!("user0001@{d}")], (Status::Sent, 3));
    assert_eq!(l[&format!("user0002@{d}")], (Status::Deferred, 5));
    assert_eq!(l[&format!("user0003@{d}")], (Status::Failed, 1));
    let db = Ledger::open(&p.path("state/state.sqlite")).unwrap();
    assert!(db.suppressed().unwrap().contains(&format!("user0003@{d}")));

    // The rerun resumes user0002 only (accepted at its 8th try).
    let second = send(&p).assert().success();
    let err = stderr(&second);
    assert!(err.contains("sending 1 message"), "{err}");
    assert!(
        err.contains(
            "4 already sent, 0 pending or paused, 1 unsubscribed, 1 bounced or complained"
        ),
        "{err}"
    );
    assert_eq!(ledger(&p)[&format!("user0002@{d}")], (Status::Sent, 8));
    let got: Vec<String> = srv.messages().into_iter().map(|(to, _)| to).collect();
    let want: Vec<String> = [0, 1, 2, 4, 5].iter().map(|i| format!("user{i:04}@{d}")).collect();
    assert_eq!(got, want, "each accepted address once, the refused one never");
}

#[test]
#[ignore = "needs the test SMTP server: python3 with aiosmtpd"]
fn a_killed_run_resumes_without_losing_or_repeating_more_than_in_flight() {
    let d = "kill.example.com";
    let connections = 4;
    let srv = SmtpServer::start(&["--delay-ms", "15"]);
    let p = project(240, d, &smtp(&srv.addr, &format!("connections = {connections}")));
    let bin = assert_cmd::cargo::cargo_bin("salarytrends");
    let mut child = std::process::Command::new(&bin)
        .current_dir(p.dir.path())
        .env("SALARYTRENDS_UNSUBSCRIBE_KEY", KEY)
        .args([
            "--config",
            "salarytrends.toml",
            "--as-of",
            "2026-11-28",
            "-q",
            "send",
            "--week",
            WEEK,
        ])
        .spawn()
        .unwrap();
    let t = Instant::now();
    while srv.messages().len() < 60 {
        assert!(t.elapsed() < Duration::from_secs(60), "the sender never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    // While it runs, a second run is turned away.
    let busy = send(&p).assert().code(75);
    assert!(stderr(&busy).contains("another salarytrends run is using"), "{}", stderr(&busy));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let at_kill = srv.messages().len();
    assert!(at_kill < 240, "the run finished before the kill");

    send(&p).assert().success();
    let msgs = srv.messages();
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    for (to, _) in &msgs {
        *per.entry(to.clone()).or_default() += 1;
    }
    assert_eq!(per.len(), 240, "every address has its message");
    let duplicates = msgs.len() - 240;
    assert!(duplicates <= connections, "{duplicates} duplicates with {connections} connections");
    assert!(ledger(&p).values().all(|(s, _)| *s == Status::Sent));
}

#[test]
fn a_server_that_stays_down_ends_the_run_with_69_and_nothing_lost() {
    let port = free_port();
    let p = project(5, "down.example.com", &smtp(&format!("127.0.0.1:{port}"), "max_attempts = 2"));
    let out = send(&p).assert().code(69);
    let err = stderr(&out);
    assert!(err.contains("delivery stopped, nothing was sent"), "{err}");
    assert!(err.contains("could not connect after 2 attempts"), "{err}");
    assert!(err.contains("5 left"), "{err}");
    assert!(ledger(&p).values().all(|(s, a)| *s == Status::Pending && *a == 0));
}

#[test]
fn a_broken_week_is_refused_unless_forced_and_dry_runs_change_nothing() {
    let p = project(3, "guard.example.com", "transport = \"file\"");
    // Last week's market three times this week's: a move of more than half.
    let w46 = p.path("snapshots/2026-W46.json");
    let mut prev: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&w46).unwrap()).unwrap();
    let cur: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.path("snapshots/2026-W47.json")).unwrap()).unwrap();
    prev["market"]["open_positions"] =
        (cur["market"]["open_positions"].as_u64().unwrap() * 3).into();
    std::fs::write(&w46, serde_json::to_vec(&prev).unwrap()).unwrap();

    let dry = send(&p).arg("--dry-run").arg("--force").assert().success();
    assert!(stderr(&dry).contains("would send 3 messages"), "{}", stderr(&dry));
    assert!(!p.path("state/state.sqlite").exists(), "a dry run created the ledger");
    assert!(!p.path("output/2026-W47/outbox").exists());

    let refused = send(&p).assert().code(1);
    let err = stderr(&refused);
    assert!(err.contains("looks broken, so nothing was sent"), "{err}");
    assert!(err.contains("the market total moved -67%"), "{err}");
    assert!(!p.path("output/2026-W47/outbox").exists());

    // A test copy goes through the same transport and leaves the ledger alone.
    send(&p).args(["--test-to", "editor@example.org", "--force"]).assert().success();
    let outbox = p.path("output/2026-W47/outbox");
    let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read(files[0].path()).unwrap();
    let m = MessageParser::default().parse(&eml).unwrap();
    assert_eq!(m.to().unwrap().first().unwrap().address().unwrap(), "editor@example.org");
    assert!(!p.path("state/state.sqlite").exists() || ledger(&p).is_empty());

    send(&p).arg("--force").assert().success();
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 4);
    assert_eq!(ledger(&p).len(), 3);
}

#[test]
fn the_unsubscribe_endpoint_works_in_one_click_and_serves_only_output() {
    let d = "unsub.example.com";
    let p = project(3, d, "transport = \"file\"");
    p.cmd()
        .env("SALARYTRENDS_UNSUBSCRIBE_KEY", KEY)
        .args(["-q", "newsletter", "--week", WEEK])
        .assert()
        .success();
    p.write("secret.txt", "outside output/");
    let server = crate::support::Serve::start(&p, KEY);
    let addr = server.addr.clone();
    let email = format!("user0001@{d}");
    let token = unsubscribe_token(KEY.as_bytes(), &email);
    let url = format!("/unsubscribe?email=user0001%40{d}&token={token}");
    let unsubscribed =
        || Ledger::open(&p.path("state/state.sqlite")).unwrap().is_unsubscribed(&email).unwrap();

    let (status, page) = http(&addr, "GET", &url, "");
    assert_eq!(status, 200);
    assert!(
        page.contains("<form method=\"post\"") && page.contains("value=\"One-Click\""),
        "{page}"
    );
    assert!(!unsubscribed(), "a GET must not unsubscribe (link scanners follow links)");

    let forged = format!("/unsubscribe?email=user0002%40{d}&token={token}");
    assert_eq!(http(&addr, "POST", &forged, "List-Unsubscribe=One-Click").0, 403);
    assert_eq!(
        http(&addr, "POST", "/unsubscribe?email=x%40y.z", "List-Unsubscribe=One-Click").0,
        400
    );
    assert_eq!(http(&addr, "POST", &url, "").0, 400, "a POST without the one-click body");
    assert!(!unsubscribed());

    let (status, page) = http(&addr, "POST", &url, "List-Unsubscribe=One-Click");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("will receive no more issues"));
    assert!(unsubscribed());

    // Files: the public newsletter, and nothing outside output/ or in the outbox.
    let (status, html) = http(&addr, "GET", "/2026-W47/newsletter/newsletter.html", "");
    assert_eq!(status, 200);
    assert!(html.contains("Top movers by open positions"));
    for bad in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/2026-W47/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/2026-W47/newsletter/preview.eml",
        "/2026-W47/newsletter/.inputs.sha256",
        "/../state/state.sqlite",
    ] {
        let (status, body) = http(&addr, "GET", bad, "");
        assert_eq!(status, 404, "{bad}");
        assert!(!body.contains("outside output/"), "{bad}");
    }
    drop(server);

    // The next send honours the unsubscribe.
    let out = send(&p).assert().success();
    // The one who unsubscribed through the link and the one the list says unsubscribed.
    assert!(stderr(&out).contains("2 unsubscribed"), "{}", stderr(&out));
    let l = ledger(&p);
    assert_eq!(l.len(), 2);
    assert!(!l.contains_key(&email));
}

#[test]
fn the_sendmail_transport_hands_each_message_to_the_program() {
    let p = project(3, "sendmail.example.com", "");
    // A sendmail that files each message under its recipient.
    let spool = p.path("spool");
    std::fs::create_dir_all(&spool).unwrap();
    p.write(
        "fake-sendmail",
        &format!(
            "#!/bin/sh\n# called as: fake-sendmail -i -f FROM -- TO\n[ \"$1\" = -i ] && [ \"$2\" = -f ] && [ \"$4\" = -- ] || exit 64\ncat > '{}'/\"$5\"\n",
            spool.display()
        ),
    );
    std::fs::set_permissions(
        p.path("fake-sendmail"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let cfg = std::fs::read_to_string(p.path("salarytrends.toml")).unwrap();
    p.write(
        "salarytrends.toml",
        &format!(
            "{cfg}transport = \"sendmail\"\nsendmail_command = \"{}\"\n",
            p.path("fake-sendmail").display()
        ),
    );
    let out = send(&p).assert().success();
    assert!(stderr(&out).contains("sent 3, failed 0"), "{}", stderr(&out));
    let mut got: Vec<String> = std::fs::read_dir(&spool)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "user0000@sendmail.example.com",
            "user0001@sendmail.example.com",
            "user0002@sendmail.example.com"
        ]
    );
    let eml = std::fs::read(spool.join("user0001@sendmail.example.com")).unwrap();
    let m = MessageParser::default().parse(&eml).unwrap();
    assert_eq!(
        m.to().unwrap().first().unwrap().address().unwrap(),
        "user0001@sendmail.example.com"
    );
    assert!(ledger(&p).values().all(|(s, _)| *s == Status::Sent));
}
