//! The subscriber list in the state database: the migration of a database
//! made by the previous version, imports, and the list's life end to end
//! through the real `serve` and a real SMTP server.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use mail_parser::{MessageParser, MimeHeaders};
use salarytrends::delivery::ledger::{Ledger, SCHEMA_VERSION, Status as Delivery};

use crate::support::{Project, Serve, SmtpServer, request, root};

const KEY: &str = "list-test-key";
const FORM: &str = "application/x-www-form-urlencoded";

/// Every row of a table, as text, in key order.
fn table(path: &std::path::Path, name: &str) -> Vec<Vec<String>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare(&format!("SELECT * FROM {name} ORDER BY 1, 2")).unwrap();
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |r| {
            (0..n)
                .map(|i| {
                    r.get::<_, rusqlite::types::Value>(i).map(|v| match v {
                        rusqlite::types::Value::Null => "NULL".to_string(),
                        rusqlite::types::Value::Integer(i) => i.to_string(),
                        rusqlite::types::Value::Text(t) => t,
                        other => format!("{other:?}"),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

fn list(p: &Project, status: Option<&str>) -> Vec<BTreeMap<String, String>> {
    let mut cmd = p.cmd();
    cmd.args(["subscribers", "list"]);
    if let Some(s) = status {
        cmd.args(["--status", s]);
    }
    let out = cmd.assert().success().get_output().stdout.clone();
    let mut rdr = csv::Reader::from_reader(out.as_slice());
    let headers = rdr.headers().unwrap().clone();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            headers.iter().zip(r.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()
        })
        .collect()
}

fn status_of(p: &Project, email: &str) -> Option<String> {
    list(p, None).into_iter().find(|r| r["email"] == email).map(|r| r["status"].clone())
}

#[test]
fn a_state_database_from_the_previous_version_opens_with_every_row_intact() {
    let fixture = root().join("tests/fixtures/state/v0-state.sqlite");
    let p = Project::empty();
    std::fs::create_dir_all(p.path("data")).unwrap();
    std::fs::copy(&fixture, p.path("data/state.sqlite")).unwrap();
    std::fs::copy(root().join("data/roles.toml"), p.path("roles.toml")).unwrap();
    std::fs::copy(root().join("data/subscribers.csv"), p.path("subscribers.csv")).unwrap();
    let before: Vec<_> =
        ["deliveries", "suppressions", "unsubscribes"].iter().map(|t| table(&fixture, t)).collect();
    assert_eq!(before[0].len(), 37);

    // Opening migrates; every row of the three tables is as it was.
    assert!(list(&p, None).is_empty());
    let db = p.path("data/state.sqlite");
    for (i, t) in ["deliveries", "suppressions", "unsubscribes"].iter().enumerate() {
        assert_eq!(table(&db, t), before[i], "{t}");
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    drop(conn);
    let l = Ledger::open(&db).unwrap();
    let c = l.counts("2026-W47").unwrap();
    assert_eq!((c.sent, c.failed), (36, 1));
    assert!(l.suppressed().unwrap().contains("shafi.lamarr4@example.com"));
    assert!(l.is_unsubscribed("alan.ritchie1@example.com").unwrap());
    drop(l);

    // The list imported into it keeps the old unsubscribe and suppression,
    // though the file says both are active.
    p.cmd().args(["subscribers", "import", "subscribers.csv"]).assert().success();
    assert_eq!(status_of(&p, "alan.ritchie1@example.com").as_deref(), Some("unsubscribed"));
    assert_eq!(status_of(&p, "shafi.lamarr4@example.com").as_deref(), Some("bounced"));
    assert_eq!(status_of(&p, "margaret.hopper2@example.com").as_deref(), Some("active"));
    // Opening again changes nothing.
    for (i, t) in ["deliveries", "suppressions", "unsubscribes"].iter().enumerate() {
        assert_eq!(table(&db, t), before[i], "{t}");
    }
}

#[test]
fn a_database_from_a_newer_version_is_refused_not_changed() {
    let p = Project::empty();
    std::fs::create_dir_all(p.path("data")).unwrap();
    let conn = rusqlite::Connection::open(p.path("data/state.sqlite")).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    drop(conn);
    let out = p.cmd().args(["subscribers", "list"]).assert().failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("newer than the"), "{err}");
}

#[test]
fn imports_skip_and_name_bad_rows_and_never_reactivate_an_address() {
    let p = Project::empty();
    p.write(
        "subs.csv",
        "email,name,roles,status\r\nada@example.com,Ada,mlops-engineer,active\r\nnot-an-address,X,,active\r\n\
         bob@example.com,Bob,astronaut,active\r\ncy@example.com,Cy,,sleeping\r\ndee@example.com,Dee,,unsubscribed\r\n",
    );
    let out = p.cmd().args(["subscribers", "import", "subs.csv"]).assert().success();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("subs.csv:3: email: 'not-an-address' is not a valid address"), "{err}");
    assert!(err.contains("subs.csv:4: roles: 'bob@example.com' follows 'astronaut'"), "{err}");
    assert!(
        err.contains("subs.csv:5: status: 'cy@example.com' has unknown status 'sleeping'"),
        "{err}"
    );
    assert!(
        err.contains("2 added, 0 updated, 0 unchanged since the last import; 3 rows skipped"),
        "{err}"
    );
    let rows = list(&p, None);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["roles"], "mlops-engineer");
    assert_eq!(rows[0]["consent_method"], "import");
    assert!(!rows[0]["consent_at"].is_empty());
    assert_eq!(list(&p, Some("unsubscribed")).len(), 1);

    // Ada unsubscribes through her link; Dee was unsubscribed by the file.
    Ledger::open(&p.path("data/state.sqlite"))
        .unwrap()
        .unsubscribe("ada@example.com", "one-click")
        .unwrap();
    // A later export says both are active (and renames Ada): the names
    // follow the file, the statuses stay.
    p.write(
        "subs.csv",
        "email,name,roles,status\nADA@example.com,Ada Lovelace,mlops-engineer,active\ndee@example.com,Dee,,active\n",
    );
    let out = p.cmd().args(["-v", "subscribers", "import", "subs.csv"]).assert().success();
    let said = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        said.contains(
            "0 added, 2 updated, 0 unchanged since the last import, 2 kept as unsubscribed"
        ),
        "{said}"
    );
    let rows = list(&p, None);
    assert_eq!(
        (rows[0]["name"].as_str(), rows[0]["status"].as_str()),
        ("Ada Lovelace", "unsubscribed")
    );
    assert_eq!(rows[1]["status"], "unsubscribed");

    // A file that cannot be read is exit 65; nothing changes.
    p.write("broken.csv", "name,roles\nx,y\n");
    p.cmd().args(["subscribers", "import", "broken.csv"]).assert().code(65);
    p.cmd().args(["subscribers", "import", "missing.csv"]).assert().code(65);
    assert_eq!(list(&p, None).len(), 2);
}

#[test]
fn a_row_unchanged_since_the_last_import_keeps_the_readers_own_choices() {
    let p = Project::empty();
    p.write("subs.csv", "email,name,roles,status\nada@example.com,Ada,mlops-engineer,active\n");
    p.cmd().args(["subscribers", "import", "subs.csv"]).assert().success();
    let l = Ledger::open(&p.path("data/state.sqlite")).unwrap();
    l.subscribers()
        .save_preferences("ada@example.com", &["ai-software-engineer".into()], true)
        .unwrap();
    drop(l);
    p.cmd().args(["subscribers", "import", "subs.csv"]).assert().success();
    let rows = list(&p, None);
    assert_eq!(
        (rows[0]["roles"].as_str(), rows[0]["paused"].as_str()),
        ("ai-software-engineer", "yes")
    );
}

/// Waits until the SMTP server holds `n` messages to `to`.
fn wait_for(smtp: &SmtpServer, to: &str, n: usize) -> Vec<Vec<u8>> {
    let t = Instant::now();
    loop {
        let got: Vec<Vec<u8>> =
            smtp.messages().into_iter().filter(|(rcpt, _)| rcpt == to).map(|(_, m)| m).collect();
        if got.len() >= n {
            return got;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "{n} message(s) to {to} did not arrive (got {})",
            got.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn confirm_link(message: &[u8]) -> String {
    let m = MessageParser::default().parse(message).expect("parses as MIME");
    assert_eq!(m.subject(), Some("Confirm your subscription to AI Salary Trends"));
    let text = m.body_text(0).unwrap();
    let html = m.body_html(0).unwrap();
    assert!(m.content_type().unwrap().subtype() == Some("alternative"));
    assert!(!html.contains("<img"), "no images, no tracking");
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with("https://example.com/salarytrends/confirm?token="))
        .expect("the text part carries the link")
        .to_string();
    assert!(html.contains(&link.replace('&', "&amp;")), "the HTML part links the same page");
    link
}

#[test]
#[ignore = "needs python3 with aiosmtpd (tests/smtp/server.py)"]
fn the_list_lives_end_to_end_through_serve_and_a_real_smtp_server() {
    let smtp = SmtpServer::start(&[]);
    let p = Project::generated(
        5,
        &format!(
            "[newsletter]\nbase_url = \"https://example.com/salarytrends\"\n\
             [delivery]\ntransport = \"smtp\"\nsmtp_url = \"smtp://{}\"\nmax_per_second = 0\n",
            smtp.addr
        ),
    );
    p.snapshots("2026-W46..2026-W47");
    p.run_keyed(KEY, &["-q", "newsletter", "--week", "2026-W47"]);
    let listed = std::fs::read_to_string(p.path("subscribers.csv")).unwrap();
    let active = listed.lines().skip(1).find(|l| l.ends_with(",active")).unwrap();
    let active = active.split(',').next().unwrap().to_ascii_lowercase();
    p.cmd().args(["-q", "subscribers", "import", "subscribers.csv"]).assert().success();
    let server = Serve::start(&p, KEY);
    let addr = server.addr.as_str();

    // The form, then a sign-up by form.
    let form = request(addr, "GET", "/subscribe", FORM, "");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("name=\"roles\" value=\"mlops-engineer\""));
    let new = "new.reader@example.org";
    let answer = request(
        addr,
        "POST",
        "/subscribe",
        FORM,
        "email=new.reader%40example.org&name=New+Reader&roles=mlops-engineer",
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let link = confirm_link(&wait_for(&smtp, new, 1)[0]);
    assert_eq!(status_of(&p, new).as_deref(), Some("pending"));

    // Following the link confirms nothing.
    let target = link.strip_prefix("https://example.com/salarytrends").unwrap();
    let page = request(addr, "GET", target, FORM, "");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Confirm my subscription"));
    assert_eq!(status_of(&p, new).as_deref(), Some("pending"));

    // The page's button does; the welcome issue arrives once.
    let token = target.split_once("token=").unwrap().1;
    let done = request(addr, "POST", "/confirm", FORM, &format!("token={token}"));
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("You are subscribed"));
    let rows = list(&p, Some("active"));
    let me = rows.iter().find(|r| r["email"] == new).expect("active");
    assert_eq!(
        (me["consent_method"].as_str(), me["consent_client"].as_str()),
        ("form", "127.0.0.1")
    );
    assert!(me["consent_wording"].starts_with("subscribe-form.html@"));
    let mail = wait_for(&smtp, new, 2);
    let welcome = mail
        .iter()
        .map(|m| MessageParser::default().parse(m).unwrap())
        .find(|m| m.subject().is_some_and(|s| s.starts_with("AI salary trends 2026-W47")))
        .expect("the welcome is the newest issue");
    assert!(
        welcome
            .body_text(0)
            .unwrap()
            .contains("/preferences?email=new.reader%40example.org&token=")
    );
    // A second press sends nothing more.
    assert_eq!(request(addr, "POST", "/confirm", FORM, &format!("token={token}")).status, 200);

    // By JSON, the same.
    let json = request(
        addr,
        "POST",
        "/subscribe",
        "application/json",
        r#"{"email":"json.reader@example.org","roles":["mlops-engineer"]}"#,
    );
    assert_eq!(json.status, 200, "{}", json.body);
    confirm_link(&wait_for(&smtp, "json.reader@example.org", 1)[0]);

    // An active address gets the answer a new one gets, and no mail.
    let again =
        request(addr, "POST", "/subscribe", FORM, &format!("email={}", active.replace('@', "%40")));
    assert_eq!(again.status, 200);
    assert_eq!(again.body.replace(&active, "X"), answer.body.replace(new, "X"));

    // Forged and expired tokens change nothing.
    let forged = format!("{}0", &token[..token.len() - 1]);
    let forged = if forged == token { format!("{}1", &token[..token.len() - 1]) } else { forged };
    assert_eq!(request(addr, "POST", "/confirm", FORM, &format!("token={forged}")).status, 403);
    let expired = salarytrends::tokens::confirmation(
        KEY.as_bytes(),
        &salarytrends::tokens::Confirmation {
            email: "late@example.org".into(),
            name: String::new(),
            roles: Vec::new(),
            wording: "subscribe-form.html@x".into(),
            expires: 1_000_000_000,
        },
    );
    assert_eq!(request(addr, "POST", "/confirm", FORM, &format!("token={expired}")).status, 410);
    assert_eq!(status_of(&p, "late@example.org"), None);

    // The week's send does not repeat the welcome; it mails the list.
    drop(server);
    let before = smtp.messages().len();
    p.run_keyed(KEY, &["send", "--week", "2026-W47"]);
    assert_eq!(wait_for(&smtp, new, 2).len(), 2, "confirmation and welcome only");
    wait_for(&smtp, &active, 1);
    assert_eq!(smtp.messages().iter().filter(|(to, _)| to == &active).count(), 1);
    assert!(smtp.messages().len() > before);
    let l = Ledger::open(&p.path("state/state.sqlite")).unwrap();
    let st = l.statuses("2026-W47").unwrap();
    assert!(st.iter().any(|(e, s, _)| e == new && *s == Delivery::Sent));
    assert!(!st.iter().any(|(e, _, _)| e == "json.reader@example.org"), "pending is not mailed");

    // A flood from one client gets 429 with Retry-After.
    let server = Serve::start(&p, KEY);
    let mut limited = None;
    for i in 0..30 {
        let r = request(
            &server.addr,
            "POST",
            "/subscribe",
            FORM,
            &format!("email=flood{i}%40example.org"),
        );
        if r.status == 429 {
            limited = Some((i, r));
            break;
        }
        assert_eq!(r.status, 200);
    }
    let (i, r) = limited.expect("a flood is limited");
    assert_eq!(i, salarytrends::serve::PER_CLIENT_PER_HOUR, "20 an hour per client, a new server");
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() > 0);
}
