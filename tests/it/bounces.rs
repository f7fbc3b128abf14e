//! Bounces and complaints: the corpus in `tests/fixtures/bounces/` (the
//! shapes Postfix, Exim, Gmail, Microsoft 365, a Yahoo-style feedback loop
//! and an out-of-office reply write, and a bare bounce known only by its
//! VERP address) classified and applied to a list that was really sent to.

use std::collections::BTreeMap;

use crate::support::{Project, root};

const KEY: &str = "bounce-test-key";
const READERS: [&str; 8] = ["ada", "bob", "cy", "dee", "eve", "fay", "gus", "hal"];

fn corpus() -> std::path::PathBuf {
    root().join("tests/fixtures/bounces")
}

/// A project whose eight readers were sent 2026-W47 with VERP senders.
fn sent() -> Project {
    let p = Project::generated(
        3,
        "[newsletter]\nfrom = \"AI Salary Trends <trends@example.com>\"\nbounce_address = \"bounces@example.com\"\n",
    );
    let mut list = String::from("email,name,roles,status\n");
    for r in READERS {
        list.push_str(&format!("{r}@example.org,{r},,active\n"));
    }
    p.write("subscribers.csv", &list);
    p.snapshots("2026-W46..2026-W47");
    p.run_keyed(KEY, &["-q", "send", "--week", "2026-W47"]);
    p
}

fn statuses(p: &Project) -> BTreeMap<String, String> {
    let out = p.cmd().args(["subscribers", "list"]).assert().success().get_output().stdout.clone();
    let mut rdr = csv::Reader::from_reader(out.as_slice());
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].split('@').next().unwrap().to_string(), r[3].to_string())
        })
        .collect()
}

fn ingest(p: &Project, paths: &[&std::path::Path]) -> (i32, String) {
    let mut cmd = p.cmd();
    cmd.env("SALARYTRENDS_UNSUBSCRIBE_KEY", KEY).args(["-v", "bounces", "ingest"]);
    for path in paths {
        cmd.arg(path);
    }
    let out = cmd.output().unwrap();
    (out.status.code().unwrap(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn the_corpus_is_classified_and_attributed_and_counts_once() {
    let p = sent();
    let (code, err) = ingest(&p, &[&corpus()]);
    assert_eq!(code, 0, "{err}");
    // Each message, classified and attributed (with -v, one line each).
    for (file, class, who) in [
        ("postfix-hard.eml", "hard", "ada@example.org (5.1.1)"),
        ("postfix-soft.eml", "soft", "bob@example.org (4.2.2)"),
        ("exim-hard.eml", "hard", "cy@example.org (5.0.0)"),
        ("gmail-hard.eml", "hard", "dee@example.org (5.1.1)"),
        ("microsoft365-hard.eml", "hard", "eve@example.org (5.1.10)"),
        ("yahoo-fbl.eml", "complaint", "fay@example.org (abuse)"),
        ("out-of-office.eml", "ignored", "gus@example.org"),
        ("verp-only.eml", "ignored", ""),
    ] {
        let line =
            err.lines().find(|l| l.contains(file)).unwrap_or_else(|| panic!("{file}: {err}"));
        if file == "verp-only.eml" {
            assert!(line.contains("hard for hal@example.org (5.1.1)"), "{line}");
        } else {
            assert!(line.contains(&format!("{class} for {who}")), "{line}");
        }
    }
    assert!(
        err.contains("bounces: 8 messages read: 5 hard, 1 soft, 1 complaint, 1 ignored; 0 already ingested; 6 addresses suppressed"),
        "{err}"
    );
    let want: BTreeMap<String, String> = [
        ("ada", "bounced"),
        ("bob", "active"),
        ("cy", "bounced"),
        ("dee", "bounced"),
        ("eve", "bounced"),
        ("fay", "complained"),
        ("gus", "active"),
        ("hal", "bounced"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(statuses(&p), want);

    // Twice: nothing changes.
    let (code, err) = ingest(&p, &[&corpus()]);
    assert_eq!(code, 0);
    assert!(err.contains("8 messages read: 0 hard, 0 soft, 0 complaints, 0 ignored; 8 already ingested; 0 addresses suppressed"), "{err}");
    assert_eq!(statuses(&p), want);

    // The next send skips the six and mails bob and gus only (the week is sent already).
    let out = p
        .cmd()
        .env("SALARYTRENDS_UNSUBSCRIBE_KEY", KEY)
        .args(["send", "--week", "2026-W47"])
        .assert()
        .success();
    let said = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        said.contains(
            "2 already sent, 0 pending or paused, 0 unsubscribed, 6 bounced or complained"
        ),
        "{said}"
    );

    // suppressions list names all six, with reasons.
    let out = p.cmd().args(["suppressions", "list"]).assert().success().get_output().stdout.clone();
    let text = String::from_utf8_lossy(&out).to_string();
    assert!(text.starts_with("email,reason,since\n"), "{text}");
    assert_eq!(text.lines().count(), 7, "{text}");
    assert!(text.contains("fay@example.org,complaint (abuse)"), "{text}");
    assert!(text.contains("ada@example.org,hard bounce 5.1.1"), "{text}");

    // A bounced address is lifted; a complaint only with --force.
    p.cmd().args(["suppressions", "lift", "ada@example.org"]).assert().success();
    let out = p.cmd().args(["suppressions", "lift", "fay@example.org"]).assert().code(1);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("--force"));
    p.cmd().args(["suppressions", "lift", "FAY@example.org", "--force"]).assert().success();
    p.cmd().args(["suppressions", "lift", "gus@example.org"]).assert().code(1);
    let s = statuses(&p);
    assert_eq!((s["ada"].as_str(), s["fay"].as_str()), ("active", "active"));
    // Ingesting the same mailbox again does not suppress them again.
    ingest(&p, &[&corpus()]);
    assert_eq!(statuses(&p)["ada"], "active");
}

/// The soft bounce with another Message-ID and Date.
fn soft_variant(n: u32, day: u32) -> String {
    let text = std::fs::read_to_string(corpus().join("postfix-soft.eml")).unwrap();
    text.replace("<5Xr3Yc2A4tz0wLl.delayed@mx.example.org>", &format!("<soft{n}@mx.example.org>"))
        .replace("Tue, 24 Nov 2026 08:00:09", &format!("{day} Dec 2026 08:00:09"))
}

#[test]
fn soft_bounces_suppress_on_the_third_within_30_days_and_copies_count_once() {
    let p = sent();
    // A Maildir holding the same soft bounce three times, and an mbox of two
    // copies: one soft bounce.
    let soft = std::fs::read(corpus().join("postfix-soft.eml")).unwrap();
    let md = p.path("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    for (i, sub) in ["new", "new", "cur"].iter().enumerate() {
        std::fs::write(md.join(sub).join(format!("17955{i}.M1P1.host:2,")), &soft).unwrap();
    }
    let mut mbox = Vec::new();
    for _ in 0..2 {
        mbox.extend_from_slice(b"From MAILER-DAEMON  Tue Nov 24 08:00:09 2026\r\n");
        mbox.extend_from_slice(&soft);
        mbox.extend_from_slice(b"\r\n");
    }
    std::fs::write(p.path("bounces.mbox"), &mbox).unwrap();
    let (code, err) = ingest(&p, &[&md, &p.path("bounces.mbox")]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "5 messages read: 0 hard, 1 soft, 0 complaints, 0 ignored; 4 already ingested"
        ),
        "{err}"
    );
    assert_eq!(statuses(&p)["bob"], "active");
    // Three distinct ones spanning 35 days (24 Nov, 4 Dec, 29 Dec): not
    // three within 30 days, still active.
    p.write("s2.eml", &soft_variant(2, 4));
    p.write("s3.eml", &soft_variant(3, 29));
    let (_, err) = ingest(&p, &[&p.path("s2.eml"), &p.path("s3.eml")]);
    assert!(err.contains("0 hard, 2 soft"), "{err}");
    assert_eq!(statuses(&p)["bob"], "active", "{err}");
    // A fourth on 30 Dec: 4 Dec, 29 Dec and 30 Dec are within 30 days.
    p.write("s4.eml", &soft_variant(4, 30));
    let (_, err) = ingest(&p, &[&p.path("s4.eml")]);
    assert!(err.contains("1 address suppressed"), "{err}");
    assert_eq!(statuses(&p)["bob"], "bounced");
    let out = p.cmd().args(["suppressions", "list"]).assert().success().get_output().stdout.clone();
    assert!(
        String::from_utf8_lossy(&out)
            .contains("bob@example.org,\"3 soft bounces within 30 days, the last 4.2.2")
    );
}

#[test]
fn unreadable_sources_are_named_and_the_rest_is_ingested() {
    let p = sent();
    p.write("junk.eml", "\u{0}\u{1}\u{2} not a message at all");
    let (code, err) = ingest(
        &p,
        &[&p.path("missing-dir"), &p.path("junk.eml"), &corpus().join("postfix-hard.eml")],
    );
    assert_eq!(code, 65, "{err}");
    assert!(err.contains("missing-dir: cannot be read"), "{err}");
    assert!(err.contains("junk.eml: cannot be read: not a MIME message"), "{err}");
    assert!(err.contains("1 hard"), "{err}");
    assert_eq!(statuses(&p)["ada"], "bounced");
}
