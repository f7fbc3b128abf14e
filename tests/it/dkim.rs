//! DKIM: every message signed, checked by an independent verifier (Python's
//! dkimpy, given the TXT record `dkim-record` prints instead of DNS), on
//! outbox files, the preview and messages a real SMTP server received; a
//! key that cannot sign stops a run before anything is sent.

use std::path::{Path, PathBuf};

use crate::support::{Project, SmtpServer, root};

const KEY: &str = "dkim-test-key";

fn project(key_file: &str, delivery: &str) -> Project {
    let key = root().join("tests/fixtures/dkim").join(key_file);
    Project::generated(
        21,
        &format!(
            "[newsletter]\nlist_id = \"AI Salary Trends <salary-trends.example.com>\"\nbounce_address = \"bounces@example.com\"\n\
             [delivery]\n{delivery}\n[delivery.dkim]\ndomain = \"example.com\"\nselector = \"st2026\"\nprivate_key_file = \"{}\"\n",
            key.display()
        ),
    )
}

/// The TXT record's value, from `dkim-record`.
fn record(p: &Project) -> String {
    let out = p.cmd().arg("dkim-record").assert().success().get_output().stdout.clone();
    let line = String::from_utf8(out).unwrap();
    assert!(
        line.starts_with("st2026._domainkey.example.com. 3600 IN TXT \"v=DKIM1; k=rsa; p="),
        "{line}"
    );
    let (_, strings) = line.trim().split_once("TXT ").unwrap();
    strings.split('"').enumerate().filter(|(i, _)| i % 2 == 1).map(|(_, s)| s).collect()
}

/// dkimpy's verdict per file: "pass <h=>" or "fail …".
fn verify(record: &str, files: &[PathBuf]) -> Vec<String> {
    let out = std::process::Command::new("python3")
        .arg(root().join("tests/dkim/verify.py"))
        .args(["--record", record])
        .args(files)
        .output()
        .expect("python3 runs tests/dkim/verify.py (needs dkimpy: pip install dkimpy)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(!text.is_empty(), "verify.py: {}", String::from_utf8_lossy(&out.stderr));
    text.lines().map(String::from).collect()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
    v.sort();
    v
}

const H: &str = "from:to:subject:date:message-id:mime-version:content-type:list-id:list-unsubscribe:list-unsubscribe-post";

#[test]
#[ignore = "needs python3 with dkimpy (pip install dkimpy)"]
fn outbox_files_and_the_preview_verify_and_a_tampered_body_does_not() {
    let p = project("test-rsa2048-pkcs8.pem", "transport = \"file\"");
    p.snapshots("2026-W46..2026-W47");
    p.run_keyed(KEY, &["-q", "newsletter", "--week", "2026-W47"]);
    p.run_keyed(KEY, &["-q", "send", "--week", "2026-W47"]);
    let rec = record(&p);
    let mut files = files_in(&p.path("output/2026-W47/outbox"));
    assert!(files.len() >= 5, "{files:?}");
    files.push(p.path("output/2026-W47/newsletter/preview.eml"));
    for (f, verdict) in files.iter().zip(verify(&rec, &files)) {
        assert_eq!(verdict, format!("pass {H}"), "{}", f.display());
    }
    // One changed character in the body: the body hash no longer matches.
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    let tampered = eml.replacen("TOP MOVERS BY OPEN POSITIONS", "TOP MOVERS BY OPEN POSITIONZ", 1);
    assert_ne!(eml, tampered);
    let bad = p.path("tampered.eml");
    std::fs::write(&bad, tampered).unwrap();
    // So does a changed List-Unsubscribe (it is signed, as RFC 8058 asks).
    let relinked = eml.replacen("/unsubscribe?email=", "/unsubscribe?x=1&email=", 1);
    let bad2 = p.path("relinked.eml");
    std::fs::write(&bad2, relinked).unwrap();
    let v = verify(&rec, &[bad, bad2]);
    assert!(v.iter().all(|l| l.starts_with("fail")), "{v:?}");
    // The confirmation email of a sign-up is signed too.
    let server = crate::support::Serve::start(&p, KEY);
    let r = crate::support::request(
        &server.addr,
        "POST",
        "/subscribe",
        "application/x-www-form-urlencoded",
        "email=new%40example.org",
    );
    assert_eq!(r.status, 200);
    let t = std::time::Instant::now();
    let confirmation = loop {
        let found = std::fs::read_dir(p.path("output/outbox"))
            .ok()
            .and_then(|d| d.flatten().map(|e| e.path()).next());
        if let Some(f) = found {
            break f;
        }
        assert!(t.elapsed() < std::time::Duration::from_secs(20), "no confirmation email");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    drop(server);
    assert_eq!(verify(&rec, &[confirmation]), vec![format!("pass {H}")]);
    // The same inputs sign to the same bytes (t= is the Date).
    let before = std::fs::read(p.path("output/2026-W47/newsletter/preview.eml")).unwrap();
    std::fs::remove_file(p.path("output/2026-W47/newsletter/preview.eml")).unwrap();
    p.run_keyed(KEY, &["-q", "newsletter", "--week", "2026-W47"]);
    assert_eq!(std::fs::read(p.path("output/2026-W47/newsletter/preview.eml")).unwrap(), before);
}

#[test]
#[ignore = "needs python3 with aiosmtpd and dkimpy"]
fn messages_received_over_smtp_verify() {
    let smtp = SmtpServer::start(&[]);
    let p = project(
        "test-rsa2048-pkcs1.pem",
        &format!("transport = \"smtp\"\nsmtp_url = \"smtp://{}\"\nmax_per_second = 0", smtp.addr),
    );
    p.snapshots("2026-W46..2026-W47");
    p.run_keyed(KEY, &["-q", "send", "--week", "2026-W47"]);
    let got = smtp.messages();
    assert!(!got.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = got
        .iter()
        .enumerate()
        .map(|(i, (_, m))| {
            let f = dir.path().join(format!("{i}.eml"));
            std::fs::write(&f, m).unwrap();
            f
        })
        .collect();
    let rec = record(&p);
    for v in verify(&rec, &files) {
        assert_eq!(v, format!("pass {H}"));
    }
    // The envelope sender was VERP: bounces+<token>@example.com, the
    // recipient not in clear text, a different token for each.
    let mut tokens = std::collections::BTreeSet::new();
    for (to, m) in &got {
        let text = String::from_utf8_lossy(m).to_string();
        let rp = text.lines().find_map(|l| l.strip_prefix("Return-Path: <")).unwrap();
        let token =
            rp.strip_prefix("bounces+").and_then(|r| r.strip_suffix("@example.com>")).unwrap();
        assert!(token.len() == 20 && token.bytes().all(|b| b.is_ascii_hexdigit()), "{rp}");
        assert!(!rp.contains(to.split('@').next().unwrap()), "{rp}");
        assert!(tokens.insert(token.to_string()));
        assert!(text.contains("List-Id: AI Salary Trends <salary-trends.example.com>"));
    }
}

#[test]
fn a_key_that_cannot_sign_stops_the_run_before_anything_is_sent() {
    for (what, text) in [
        ("missing", None),
        ("not a key", Some("hello")),
        ("a public key", Some("-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----\n")),
        (
            "a broken key",
            Some("-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----\n"),
        ),
    ] {
        let p = Project::generated(
            21,
            "[delivery]\ntransport = \"file\"\n[delivery.dkim]\ndomain = \"example.com\"\nselector = \"st2026\"\nprivate_key_file = \"dkim.pem\"\n",
        );
        if let Some(t) = text {
            p.write("dkim.pem", t);
        }
        p.snapshots("2026-W46..2026-W47");
        let out = p
            .cmd()
            .env("SALARYTRENDS_UNSUBSCRIBE_KEY", KEY)
            .args(["send", "--week", "2026-W47"])
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(err.contains("[delivery.dkim]") && err.contains("dkim.pem"), "{what}: {err}");
        assert!(!p.path("output/2026-W47/outbox").exists(), "{what}: nothing sent");
        assert!(!p.path("state/state.sqlite").exists(), "{what}: nothing recorded");
        p.cmd().env("SALARYTRENDS_UNSUBSCRIBE_KEY", KEY).args(["weekly"]).assert().code(2);
    }
}
