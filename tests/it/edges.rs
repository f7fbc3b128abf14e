//! The edges real operators hit: CRLF exports, stray quotes, catalogue
//! edits, a mistyped address, a catalogue of one role, a server without its
//! key, upgrades, a broken catalogue behind `deltas`, stable bytes. Each test
//! failed on the code before its fix.

use std::time::Duration;

use predicates::str::contains;
use salarytrends::text::count;

use crate::support::{HEADER, Project, free_port};

const KEY: &str = "edges-test-key";

fn stderr(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&out.get_output().stderr).into_owned()
}

/// Runs a command with the signing key set; it must succeed. Its stderr.
fn keyed(p: &Project, args: &[&str]) -> String {
    stderr(&p.cmd().env("SALARYTRENDS_UNSUBSCRIBE_KEY", KEY).args(args).assert().success())
}

fn snapshot_json(p: &Project, week: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p.path(&format!("snapshots/{week}.json"))).unwrap())
        .unwrap()
}

#[test]
fn crlf_files_name_the_physical_line() {
    // Data row 7 is on line 9: the header is line 1 and row 2 spans two lines.
    let rows = [
        "c1,MLOps Engineer,,Acme,Remote,remote,,150000,170000,,,aws,2026-11-16,",
        "c2,MLOps Engineer,,Acme,\"New York,\r\nNY\",onsite,,150000,170000,,,aws,2026-11-16,",
        "c3,MLOps Engineer,,Acme,Remote,remote,,150000,170000,,,aws,2026-11-16,",
        "c4,MLOps Engineer,,Acme,Remote,remote,,150000,170000,,,aws,2026-11-16,",
        "c5,MLOps Engineer,,Acme,Remote,remote,,150000,170000,,,aws,2026-11-16,",
        "c6,MLOps Engineer,,Acme,Remote,remote,,150000,170000,,,aws,2026-11-16,",
        "c7,,,Acme,Remote,remote,,150000,170000,,,aws,2026-11-16,",
        "c8,MLOps Engineer,,Acme,Remote,remote,,150000,170000,,,aws,2026-11-16,",
    ];
    // Enough good rows that one rejection stays under max_reject_ratio.
    let more: Vec<String> = (9..40)
        .map(|i| {
            format!("c{i},MLOps Engineer,,Acme,Remote,remote,,150000,170000,,,aws,2026-11-16,")
        })
        .collect();
    let rows: Vec<&str> = rows.into_iter().chain(more.iter().map(String::as_str)).collect();
    for end in ["\n", "\r\n"] {
        let p = Project::empty();
        let text = format!("{HEADER}{end}{}{end}", rows.join(end));
        p.write("postings.csv", &text);
        // The reader must agree with the file: find the bad row's line by hand.
        let line = 1 + text[..text.find("c7,").unwrap()].matches('\n').count();
        assert_eq!(line, 9);
        let out = p.cmd().args(["validate"]).assert().success();
        let err = stderr(&out);
        assert!(err.contains("postings.csv:9: rejected: title:"), "{end:?}: {err}");
        p.cmd().args(["-q", "snapshot", "--week", "2026-W47"]).assert().success();
        let rejected = std::fs::read_to_string(p.path("output/2026-W47/rejected.csv")).unwrap();
        assert!(rejected.contains("postings.csv,9,c7,rejected,title,"), "{end:?}: {rejected}");
    }
}

#[test]
fn crlf_subscriber_lists_name_the_physical_line() {
    let p = Project::generated(3, "");
    p.cmd().args(["-q", "snapshot", "--weeks", "2026-W46..2026-W47"]).assert().success();
    // The bad address is on line 4 (line 2 holds a name with a line break).
    p.write(
        "subscribers.csv",
        "email,name,roles,status\r\nada@example.com,\"Ada\r\nLovelace\",mlops-engineer,active\r\n\
         not-an-address,Bob,,active\r\ncy@example.com,Cy,,active\r\n",
    );
    let err = keyed(&p, &["send", "--week", "2026-W47"]);
    assert!(err.contains("subscribers.csv:4: email: 'not-an-address'"), "{err}");
}

#[test]
fn a_stray_quote_does_not_change_what_the_parallel_reader_reads() {
    // Far more than one parallel piece (2 MiB) of rows, one title with a
    // literal quote near the start and multi-line quoted locations everywhere.
    let n = 80_000;
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let title = if i == 3 { "Machine Learning Engineer 27in\"" } else { "MLOps Engineer" };
        let location = if i % 3 == 0 { "\"New York,\nNY\"" } else { "Remote" };
        rows.push(format!(
            "q{i},{title},,Acme {},{location},,,150000,170000,,,aws;Python,2026-11-16,",
            i % 50
        ));
    }
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let p = Project::with_rows(&refs);
    assert!(std::fs::metadata(p.path("postings.csv")).unwrap().len() > 2 * (2 << 20));
    let out = p.cmd().args(["validate"]).assert().success();
    let err = stderr(&out);
    assert!(err.contains(&format!("data quality: {n} rows read")), "{err}");
    assert!(err.contains("rejected:            0 "), "{err}");
}

/// The count in the featured comparison's "…; A has N open positions, B has
/// M." for `name`, if it names that role.
fn count_after(text: &str, name: &str) -> Option<String> {
    let at = ["; ", ", "].iter().find_map(|sep| text.find(&format!("{sep}{name} has ")))?;
    let rest = &text[at + 2 + name.len() + 5..];
    Some(rest.chars().take_while(|c| c.is_ascii_digit() || *c == ',').collect())
}

#[test]
fn a_role_added_to_the_catalogue_never_gets_another_roles_figures() {
    let p = Project::generated(9, "");
    p.cmd().args(["-q", "snapshot", "--weeks", "2026-W46..2026-W47"]).assert().success();
    let snap = snapshot_json(&p, "2026-W47");
    // A new role at the top of roles.toml, after the snapshots are stored.
    let roles = std::fs::read_to_string(p.path("roles.toml")).unwrap();
    p.write(
        "roles.toml",
        &format!(
            "[[role]]\nname = \"AI Ethicist\"\nslug = \"ai-ethicist\"\nmatch = [\"ai ethicist\"]\n\
             description = \"Reviews AI systems.\"\n\n{roles}"
        ),
    );
    p.write(
        "subscribers.csv",
        "email,name,roles,status\nada@example.com,Ada,ai-ethicist;mlops-engineer,active\n",
    );
    keyed(&p, &["newsletter", "--week", "2026-W47"]);
    let text =
        std::fs::read_to_string(p.path("output/2026-W47/newsletter/newsletter.txt")).unwrap();
    let mut checked = 0;
    for r in snap["roles"].as_array().unwrap() {
        let name = r["name"].as_str().unwrap();
        if let Some(n) = count_after(&text, name) {
            assert_eq!(n, count(r["open_positions"].as_u64().unwrap()), "{name} in:\n{text}");
            checked += 1;
        }
    }
    assert_eq!(checked, 2, "the featured comparison names two roles:\n{text}");
    assert!(count_after(&text, "AI Ethicist").is_none(), "{text}");

    // The reader following the new role is told it has no data; their other role is right.
    let eml = std::fs::read_to_string(p.path("output/2026-W47/newsletter/preview.eml")).unwrap();
    let msg = mail_parser::MessageParser::default().parse(eml.as_bytes()).unwrap();
    let body = msg.body_text(0).unwrap().to_string();
    assert!(body.contains("AI Ethicist: no data this week."), "{body}");
    let mlops = snap["roles"].as_array().unwrap().iter().find(|r| r["slug"] == "mlops-engineer");
    let open = count(mlops.unwrap()["open_positions"].as_u64().unwrap());
    assert!(body.contains(&format!("MLOps Engineer: {open} open positions")), "{body}");

    // Reports: the pairs of the roles with figures, and a warning for the new one.
    let out = p.cmd().args(["report", "--all", "--week", "2026-W47"]).assert().success();
    assert!(stderr(&out).contains("AI Ethicist is not in the stored snapshot of 2026-W47"));
    let pdfs = std::fs::read_dir(p.path("output/2026-W47/reports")).unwrap().count();
    assert_eq!(pdfs, 14 * 13 / 2);
    p.cmd()
        .args(["report", "--pair", "ai-ethicist", "mlops-engineer", "--week", "2026-W47"])
        .assert()
        .code(1)
        .stderr(contains("role 'AI Ethicist' has no figures in the stored snapshot of 2026-W47"));
}

#[test]
fn one_malformed_address_is_skipped_and_named_and_everyone_else_is_mailed() {
    let p = Project::generated(4, "");
    p.cmd().args(["-q", "snapshot", "--weeks", "2026-W46..2026-W47"]).assert().success();
    let list = std::fs::read_to_string(p.path("subscribers.csv")).unwrap();
    let (header, rest) = list.split_once('\n').unwrap();
    // The bad row first, so the preview's sample reader would be it.
    p.write("subscribers.csv", &format!("{header}\ntypo@example..com,Typo,,active\n{rest}"));
    let active = rest.lines().filter(|l| l.ends_with(",active")).count();
    assert!(active > 0);
    keyed(&p, &["newsletter", "--week", "2026-W47"]);
    let err = keyed(&p, &["send", "--week", "2026-W47"]);
    assert!(err.contains("subscribers.csv:2: email: 'typo@example..com'"), "{err}");
    assert!(err.contains("1 row of subscribers.csv skipped"), "{err}");
    let outbox = std::fs::read_dir(p.path("output/2026-W47/outbox")).unwrap().count();
    assert_eq!(outbox, active);
}

#[test]
fn a_catalogue_of_one_role_runs_the_weekly_job() {
    let mut rows = Vec::new();
    for i in 0..40 {
        rows.push(format!(
            "o{i},MLOps Engineer,,Acme {},Remote,remote,,{},170000,,,aws,2026-11-02,",
            i,
            140_000 + i * 500
        ));
    }
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let p = Project::with_rows(&refs);
    let roles = salarytrends_roles_first_only();
    p.write("roles.toml", &roles);
    let config = std::fs::read_to_string(p.path("salarytrends.toml")).unwrap();
    p.write(
        "salarytrends.toml",
        &format!("{config}subscribers = \"subscribers.csv\"\nstate_db = \"state.sqlite\"\n"),
    );
    p.write("subscribers.csv", "email,name,roles,status\nada@example.com,Ada,,active\n");
    let err = keyed(&p, &["weekly", "--week", "2026-W47"]);
    let text =
        std::fs::read_to_string(p.path("output/2026-W47/newsletter/newsletter.txt")).unwrap();
    assert!(!text.contains("FEATURED COMPARISON"), "{text}");
    assert!(err.contains("sent 1, failed 0"), "{err}");
    assert!(text.contains("40 open AI positions"), "{text}");
    assert_eq!(std::fs::read_dir(p.path("output/2026-W47/outbox")).unwrap().count(), 1);
}

/// The test catalogue with its first role only.
fn salarytrends_roles_first_only() -> String {
    let roles = crate::support::ROLES;
    let second = roles.find("[[role]]\nname = \"AI Software Engineer\"").unwrap();
    let skills = roles.find("[skills]").unwrap();
    format!("{}{}", &roles[..second], &roles[skills..])
}

#[test]
fn serve_does_not_start_without_the_signing_key() {
    let p = Project::generated(2, "");
    let addr = format!("127.0.0.1:{}", free_port());
    p.cmd()
        .env_remove("SALARYTRENDS_UNSUBSCRIBE_KEY")
        .args(["serve", "--listen", &addr])
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(contains("SALARYTRENDS_UNSUBSCRIBE_KEY is not set"));
    // With the development flag it starts (and says which key it uses).
    let server = crate::support::Serve::spawn(&p, None, &["--development-key"]);
    assert!(std::net::TcpStream::connect(&server.addr).is_ok());
}

/// The "rendered N PDFs" count of a weekly run, 0 when the reports were current.
fn rendered(p: &Project) -> usize {
    let err = keyed(p, &["weekly"]);
    let line = err.lines().find(|l| l.trim_start().starts_with("reports")).unwrap();
    match line.split("rendered ").nth(1) {
        Some(rest) => rest.split(' ').next().unwrap().parse().unwrap(),
        None => {
            assert!(line.contains("up to date"), "{line}");
            0
        }
    }
}

#[test]
fn another_build_renders_again_and_a_role_edit_renders_only_its_pairs() {
    let p = Project::generated(8, "");
    assert_eq!(rendered(&p), 91);
    assert_eq!(rendered(&p), 0);
    // Outputs of another build of the program are stale.
    let stamp = p.path("output/2026-W47/reports/.inputs.json");
    let mut s: serde_json::Value = serde_json::from_slice(&std::fs::read(&stamp).unwrap()).unwrap();
    assert_eq!(s["program"], salarytrends::BUILD_ID);
    s["program"] = "an-older-build".into();
    std::fs::write(&stamp, serde_json::to_vec(&s).unwrap()).unwrap();
    assert_eq!(rendered(&p), 91);
    // One role's text: only the 13 pairs with that role.
    let roles = std::fs::read_to_string(p.path("roles.toml")).unwrap();
    let at = roles.find("description = \"").unwrap() + "description = \"".len();
    p.write("roles.toml", &format!("{}Edited. {}", &roles[..at], &roles[at..]));
    assert_eq!(rendered(&p), 13);
    assert_eq!(rendered(&p), 0);
}

#[test]
fn the_preview_is_signed_again_when_the_key_is_set() {
    let p = Project::generated(12, "");
    let preview = p.path("output/2026-W47/newsletter/preview.eml");
    // (email, token) of the preview's List-Unsubscribe link.
    let link = || {
        let eml = std::fs::read(&preview).unwrap();
        let msg = mail_parser::MessageParser::default().parse(&eml).unwrap();
        let unsub = msg.header_raw("List-Unsubscribe").unwrap().trim().to_string();
        let query = unsub.trim_matches(['<', '>']).split_once('?').unwrap().1.to_string();
        let (mut email, mut token) = (String::new(), String::new());
        for (k, v) in query.split('&').filter_map(|kv| kv.split_once('=')) {
            match k {
                "email" => email = v.replace("%40", "@"),
                "token" => token = v.to_string(),
                _ => {}
            }
        }
        (email, token)
    };
    let verify = salarytrends::tokens::verify_unsubscribe;
    p.cmd().env_remove("SALARYTRENDS_UNSUBSCRIBE_KEY").arg("weekly").assert().success();
    let (email, token) = link();
    assert!(verify(b"salarytrends-development-key", &email, &token), "development key first");
    keyed(&p, &["weekly"]);
    let (email, token) = link();
    assert!(verify(KEY.as_bytes(), &email, &token), "the real key once it is set");
}

#[test]
fn deltas_without_a_week_reports_a_broken_catalogue() {
    let p = Project::generated(5, "");
    p.cmd().args(["-q", "snapshot", "--weeks", "2026-W46..2026-W47"]).assert().success();
    p.write("roles.toml", "[[role]]\nname = \"Broken\"\n");
    let out = p.cmd().arg("deltas").assert().code(65);
    assert!(stderr(&out).contains("roles.toml"), "{}", stderr(&out));
    assert!(out.get_output().stdout.is_empty());
}

#[test]
fn bench_messages_emits_the_same_bytes_every_run() {
    let p = Project::generated(10, "");
    p.cmd().args(["-q", "snapshot", "--weeks", "2026-W46..2026-W47"]).assert().success();
    let emit = |dir: &str| {
        p.cmd()
            .args([
                "-q",
                "bench-messages",
                "--subscribers",
                "3",
                "--week",
                "2026-W47",
                "--emit",
                dir,
            ])
            .assert()
            .success();
        std::fs::read(p.path(dir).join("model.json")).unwrap()
    };
    let (a, b, c) = (emit("e1"), emit("e2"), emit("e3"));
    assert!(a == b && b == c, "model.json differs between runs");
}
