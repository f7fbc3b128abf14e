use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use super::*;
use crate::subscribers::db::Consent;

const NOW: i64 = 1_795_000_000;

struct Harness {
    site: Site,
    jobs: Arc<Mutex<Vec<Job>>>,
    clock: Arc<AtomicI64>,
    _dir: tempfile::TempDir,
}

fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("out/2026-W47/reports")).unwrap();
    std::fs::create_dir_all(d.join("out/2026-W47/outbox")).unwrap();
    std::fs::write(d.join("out/2026-W47/reports/a-vs-b.pdf"), b"%PDF").unwrap();
    std::fs::write(d.join("out/2026-W47/outbox/x.eml"), b"To: someone").unwrap();
    std::fs::write(d.join("out/2026-W47/.inputs.sha256"), b"x").unwrap();
    std::fs::write(d.join("secret.txt"), b"secret").unwrap();
    let jobs = Arc::new(Mutex::new(Vec::new()));
    let clock = Arc::new(AtomicI64::new(NOW));
    let (j, c) = (Arc::clone(&jobs), Arc::clone(&clock));
    let site = Site::new(
        d.join("out").canonicalize().unwrap(),
        b"k".to_vec(),
        d.join("state.sqlite"),
        "https://example.com/st".into(),
        Pages::load(&d.join("no-templates")).unwrap(),
        vec![
            ("data-scientist".into(), "Data Scientist".into()),
            ("ml-engineer".into(), "Machine Learning Engineer".into()),
        ],
        Box::new(move || c.load(Ordering::SeqCst)),
        Box::new(move |job| j.lock().unwrap().push(job)),
    );
    Harness { site, jobs, clock, _dir: dir }
}

const FORM: &str = "application/x-www-form-urlencoded";

impl Harness {
    fn req(&self, method: Method, url: &str, ct: &str, body: &str, client: &str) -> Reply {
        let ct = (!ct.is_empty()).then_some(ct);
        let incoming =
            Incoming { method: &method, url, content_type: ct, body: body.as_bytes(), client };
        self.site.handle(&incoming).unwrap()
    }
    fn post(&self, url: &str, body: &str) -> Reply {
        self.req(Method::Post, url, FORM, body, "192.0.2.1")
    }
    fn get(&self, url: &str) -> Reply {
        self.req(Method::Get, url, "", "", "192.0.2.1")
    }
    fn jobs(&self) -> Vec<Job> {
        std::mem::take(&mut *self.jobs.lock().unwrap())
    }
    fn record(&self, email: &str) -> Option<crate::subscribers::db::Record> {
        Ledger::open(&self.site.state_db).unwrap().subscribers().get(email).unwrap()
    }
    fn confirmation_token(&self) -> String {
        let jobs = self.jobs();
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        let Job::Confirmation { url, .. } = &jobs[0] else { panic!("{jobs:?}") };
        assert!(url.starts_with("https://example.com/st/confirm?token="), "{url}");
        url.split_once("token=").unwrap().1.to_string()
    }
}

#[test]
fn files_are_served_only_from_output() {
    let h = harness();
    assert_eq!(h.get("/2026-W47/reports/a-vs-b.pdf").status, 200);
    // Folders answer with their index page.
    std::fs::write(h.site.root.join("index.html"), b"<h1>library</h1>").unwrap();
    std::fs::write(h.site.root.join("2026-W47/index.html"), b"<h1>week</h1>").unwrap();
    for (url, page) in [
        ("/", "index.html"),
        ("/2026-W47/", "2026-W47/index.html"),
        ("/2026-W47", "2026-W47/index.html"),
    ] {
        let r = h.get(url);
        assert_eq!((r.status, r.content_type), (200, "text/html; charset=utf-8"), "{url}");
        assert_eq!(r.body, Body::File(h.site.root.join(page)), "{url}");
    }
    for bad in [
        "/../secret.txt",
        "/2026-W47/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/2026-W47/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/2026-W47/outbox/x.eml",
        "/2026-W47/.inputs.sha256",
        "/2026-W47/reports/",
        "/2026-W47/reports/missing.pdf",
    ] {
        assert_eq!(h.get(bad).status, 404, "{bad}");
    }
    assert_eq!(h.req(Method::Delete, "/2026-W47/reports/a-vs-b.pdf", "", "", "x").status, 405);
}

#[test]
fn a_sign_up_is_pending_until_the_button_is_pressed_then_active_with_its_consent() {
    let h = harness();
    let form = h.get("/subscribe");
    assert_eq!(form.status, 200);
    assert!(form.text().contains("name=\"roles\" value=\"data-scientist\""), "{}", form.text());
    let r = h.post("/subscribe", "email=Ada%40Example.com&name=Ada+L&roles=ml-engineer");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("Check your inbox"));
    let token = h.confirmation_token();
    let rec = h.record("ada@example.com").unwrap();
    assert_eq!(
        (rec.status, rec.roles.clone(), rec.name.as_str()),
        (Status::Pending, vec!["ml-engineer".to_string()], "Ada L")
    );
    // Opening the link shows a button and changes nothing.
    let page = h.get(&format!("/confirm?token={token}"));
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<button type=\"submit\">Confirm my subscription</button>"));
    assert_eq!(h.record("ada@example.com").unwrap().status, Status::Pending);
    assert!(h.jobs().is_empty());
    // The button's POST confirms, records the consent and asks for the welcome.
    h.clock.fetch_add(600, Ordering::SeqCst);
    let done = h.req(Method::Post, "/confirm", FORM, &format!("token={token}"), "198.51.100.7");
    assert_eq!(done.status, 200, "{}", done.text());
    let rec = h.record("ada@example.com").unwrap();
    assert_eq!(rec.status, Status::Active);
    let Consent { at, method, wording, client } = rec.consent;
    assert!(at.is_some());
    assert_eq!(method.as_deref(), Some("form"));
    assert!(wording.unwrap().starts_with("subscribe-form.html@"));
    assert_eq!(client.as_deref(), Some("198.51.100.7"));
    assert_eq!(h.jobs(), vec![Job::Welcome { email: "Ada@Example.com".into() }]);
    // Pressing it again changes nothing and sends no second welcome.
    assert_eq!(h.post("/confirm", &format!("token={token}")).status, 200);
    assert!(h.jobs().is_empty());
}

#[test]
fn the_answer_is_the_same_for_new_pending_and_active_addresses() {
    let h = harness();
    let answer = |email: &str| {
        let r = h.post("/subscribe", &format!("email={email}"));
        (r.status, r.text().replace(email, "ADDRESS"))
    };
    let new = answer("ada@example.com");
    let token = h.confirmation_token();
    let pending = answer("ada@example.com");
    assert_eq!(h.jobs().len(), 1, "a pending address gets the email again");
    h.post("/confirm", &format!("token={token}"));
    h.jobs();
    let active = answer("ada@example.com");
    assert!(h.jobs().is_empty(), "an active address gets no mail");
    assert_eq!(new, pending);
    assert_eq!(new, active);
    // JSON, the same.
    let json = h.req(
        Method::Post,
        "/subscribe",
        "application/json",
        r#"{"email": "grace@example.com", "name": "Grace", "roles": ["data-scientist", "ml-engineer"]}"#,
        "192.0.2.9",
    );
    assert_eq!(json.status, 200);
    assert_eq!(json.content_type, "application/json");
    assert!(json.text().contains("\"status\":\"ok\""), "{}", json.text());
    assert_eq!(
        h.record("grace@example.com").unwrap().roles,
        vec!["data-scientist".to_string(), "ml-engineer".to_string()]
    );
    assert_eq!(h.jobs().len(), 1);
}

#[test]
fn floods_get_429_with_retry_after() {
    let h = harness();
    // Per address: 3 a day.
    for _ in 0..PER_ADDRESS_PER_DAY {
        assert_eq!(h.post("/subscribe", "email=ada%40example.com").status, 200);
    }
    let r = h.post("/subscribe", "email=ada%40example.com");
    assert_eq!(r.status, 429);
    let wait: i64 = r.headers.iter().find(|(n, _)| *n == "Retry-After").unwrap().1.parse().unwrap();
    assert_eq!(wait, 24 * 3600);
    assert_eq!(h.jobs().len(), PER_ADDRESS_PER_DAY);
    // A day later it works again.
    h.clock.fetch_add(24 * 3600 + 1, Ordering::SeqCst);
    assert_eq!(h.post("/subscribe", "email=ada%40example.com").status, 200);
    // Per client: 20 an hour, whatever the addresses.
    let h = harness();
    for i in 0..PER_CLIENT_PER_HOUR {
        let r = h.req(
            Method::Post,
            "/subscribe",
            FORM,
            &format!("email=r{i}%40example.com"),
            "203.0.113.5",
        );
        assert_eq!(r.status, 200);
    }
    let r = h.req(Method::Post, "/subscribe", FORM, "email=late%40example.com", "203.0.113.5");
    assert_eq!(r.status, 429);
    assert!(r.headers.iter().any(|(n, v)| *n == "Retry-After" && v == "3600"));
    assert!(h.record("late@example.com").is_none(), "a refused request changes nothing");
    // Another client is not held back.
    assert_eq!(
        h.req(Method::Post, "/subscribe", FORM, "email=late%40example.com", "203.0.113.6").status,
        200
    );
}

#[test]
fn forged_and_expired_tokens_are_refused_and_change_nothing() {
    let h = harness();
    h.post("/subscribe", "email=ada%40example.com");
    let token = h.confirmation_token();
    let (payload, sig) = token.split_once('.').unwrap();
    let mut forged_sig = sig.to_string();
    forged_sig.replace_range(0..1, if sig.starts_with('0') { "1" } else { "0" });
    for bad in
        [format!("{payload}.{forged_sig}"), "nonsense".to_string(), format!("{payload}x.{sig}")]
    {
        assert_eq!(h.get(&format!("/confirm?token={bad}")).status, 403, "{bad}");
        assert_eq!(h.post("/confirm", &format!("token={bad}")).status, 403, "{bad}");
    }
    h.clock.fetch_add(tokens::CONFIRMATION_SECONDS + 1, Ordering::SeqCst);
    assert_eq!(h.post("/confirm", &format!("token={token}")).status, 410);
    assert_eq!(h.record("ada@example.com").unwrap().status, Status::Pending);
    assert!(h.jobs().is_empty());
}

#[test]
fn malformed_input_is_a_400_with_a_plain_message() {
    let h = harness();
    for (ct, body, says) in [
        (FORM, "name=Ada", "email address is required"),
        (FORM, "email=ada%40example..com", "not a valid address"),
        (FORM, "email=ada%40example.com&roles=astronaut", "astronaut&#x27; is not a role"),
        ("application/json", "{\"email\": ", "not valid JSON"),
        ("application/json", "[1]", "must be a JSON object"),
        ("application/json", "{\"email\": 5}", "must be a string"),
    ] {
        let r = h.req(Method::Post, "/subscribe", ct, body, "192.0.2.1");
        assert_eq!(r.status, 400, "{body}");
        assert!(r.text().contains(says), "{body}: {}", r.text());
    }
    assert_eq!(h.post("/confirm", "").status, 400);
    assert_eq!(h.get("/preferences?email=a%40example.com").status, 400);
    assert!(h.jobs().is_empty());
}

#[test]
fn the_preferences_page_changes_roles_pauses_and_unsubscribes() {
    let h = harness();
    h.post("/subscribe", "email=ada%40example.com&roles=data-scientist");
    let token = h.confirmation_token();
    h.post("/confirm", &format!("token={token}"));
    let t = tokens::preferences(b"k", "ada@example.com", NOW + 1000);
    let url = format!("/preferences?email=ada%40example.com&token={t}");
    let page = h.get(&url);
    assert_eq!(page.status, 200);
    assert!(page.text().contains("value=\"data-scientist\" checked"), "{}", page.text());
    let saved = h.post(&url, "action=save&roles=ml-engineer&paused=yes");
    assert_eq!(saved.status, 200);
    assert!(saved.text().contains("Your preferences are saved."));
    let rec = h.record("ada@example.com").unwrap();
    assert_eq!(
        (rec.roles.clone(), rec.paused, rec.receives()),
        (vec!["ml-engineer".to_string()], true, false)
    );
    h.post(&url, "action=unsubscribe");
    assert_eq!(h.record("ada@example.com").unwrap().status, Status::Unsubscribed);
    assert!(h.get(&url).text().contains("Subscribe again"));
    h.post(&url, "action=resubscribe");
    assert_eq!(h.record("ada@example.com").unwrap().status, Status::Active);
    // Someone else's token, or an expired one, does nothing.
    let other = tokens::preferences(b"k", "bob@example.com", NOW + 1000);
    assert_eq!(
        h.post(
            &format!("/preferences?email=ada%40example.com&token={other}"),
            "action=unsubscribe"
        )
        .status,
        403
    );
    h.clock.store(NOW + 1001, Ordering::SeqCst);
    assert_eq!(h.post(&url, "action=unsubscribe").status, 410);
    assert_eq!(h.record("ada@example.com").unwrap().status, Status::Active);
}

#[test]
fn html_in_names_and_addresses_is_escaped() {
    let h = harness();
    let r = h.post("/subscribe", "email=%3Cb%3E%40example.com");
    assert_eq!(r.status, 400);
    assert!(!r.text().contains("<b>"), "{}", r.text());
    assert!(r.text().contains("&lt;b&gt;"), "{}", r.text());
}
