//! The newsletter: files written, the preview parsed back as MIME, hostile
//! names escaped or rejected.

use mail_parser::{MessageParser, MimeHeaders, PartType};
use salarytrends::newsletter::mime::verify_token;

use crate::support::Project;

const KEY: &str = "test-unsubscribe-key";

fn generated() -> Project {
    let p = Project::empty();
    salarytrends::gendata::generate_small(p.dir.path(), 11).unwrap();
    p.write(
        "salarytrends.toml",
        "postings = \"postings.csv\"\nroles = \"roles.toml\"\nfx = \"fx.toml\"\nsubscribers = \"subscribers.csv\"\n\
         snapshots_dir = \"snapshots\"\noutput_dir = \"output\"\n",
    );
    p.cmd().args(["-q", "snapshot", "--weeks", "2026-W46..2026-W47"]).assert().success();
    p
}

#[test]
fn the_preview_parses_back_as_the_mime_of_the_issue() {
    let p = generated();
    p.write(
        "subscribers.csv",
        "email,name,roles,status\nada@example.com,\"Ada \"\"><img src=x onerror=alert(1)>\",mlops-engineer;AI Software Engineer,active\n",
    );
    p.cmd()
        .env("SALARYTRENDS_UNSUBSCRIBE_KEY", KEY)
        .args(["newsletter", "--week", "2026-W47"])
        .assert()
        .success();
    let dir = p.path("output/2026-W47/newsletter");
    let html = std::fs::read_to_string(dir.join("newsletter.html")).unwrap();
    let text = std::fs::read_to_string(dir.join("newsletter.txt")).unwrap();
    assert!(html.len() < 90 * 1024, "{} bytes", html.len());
    assert!(!html.contains("fonts.googleapis"), "web fonts");
    assert!(
        !html.contains("ada@example.com") && !text.contains("ada@example.com"),
        "personal data in public files"
    );
    assert!(text.contains("TOP MOVERS BY OPEN POSITIONS"));
    assert!(html.contains("Top movers by open positions"));

    let eml = std::fs::read(dir.join("preview.eml")).unwrap();
    let msg = MessageParser::default().parse(&eml).expect("the preview parses");
    assert!(msg.subject().unwrap().starts_with("AI salary trends 2026-W47: "));
    let id = msg.message_id().unwrap();
    assert!(!id.contains("ada"), "{id}");
    assert!(msg.date().is_some());
    let unsub = msg.header_raw("List-Unsubscribe").unwrap().trim().to_string();
    assert!(
        unsub.starts_with(
            "<https://example.com/salarytrends/unsubscribe?email=ada%40example.com&token="
        ),
        "{unsub}"
    );
    let token = unsub.trim_end_matches('>').rsplit("token=").next().unwrap();
    assert!(verify_token(KEY.as_bytes(), "ada@example.com", token));
    assert_eq!(
        msg.header_raw("List-Unsubscribe-Post").unwrap().trim(),
        "List-Unsubscribe=One-Click"
    );

    // multipart/alternative: text first, then multipart/related with the HTML and the PNGs.
    let root = &msg.parts[0];
    assert_eq!(root.content_type().unwrap().subtype(), Some("alternative"));
    let PartType::Multipart(children) = &root.body else { panic!("root is not multipart") };
    let first = &msg.parts[children[0] as usize];
    assert_eq!(first.content_type().unwrap().ctype(), "text");
    assert_eq!(first.content_type().unwrap().subtype(), Some("plain"));
    let related = &msg.parts[children[1] as usize];
    assert_eq!(related.content_type().unwrap().subtype(), Some("related"));
    let PartType::Multipart(inner) = &related.body else { panic!("related is not multipart") };
    let html_part = &msg.parts[inner[0] as usize];
    assert_eq!(html_part.content_type().unwrap().subtype(), Some("html"));
    let body = msg.body_html(0).unwrap().to_string();
    let cids: Vec<String> = inner[1..]
        .iter()
        .map(|&i| {
            msg.parts[i as usize].content_id().expect("inline parts have a Content-ID").to_string()
        })
        .collect();
    let mut referenced = 0;
    for piece in body.split("cid:").skip(1) {
        let cid: String = piece.chars().take_while(|c| *c != '"' && *c != '\'').collect();
        assert!(cids.contains(&cid), "cid:{cid} has no part ({cids:?})");
        referenced += 1;
    }
    assert_eq!(referenced, 2);
    // The hostile name is escaped, never live.
    assert!(!body.contains("<img src=x"), "unescaped name in the HTML");
    assert!(body.contains("Your roles, Ada"));
    let text = msg.body_text(0).unwrap();
    assert!(text.contains("YOUR ROLES"));
    assert!(text.contains("Unsubscribe: https://example.com/salarytrends/unsubscribe?email="));
}

#[test]
fn control_characters_in_names_are_removed_and_reported() {
    let catalog = salarytrends::roles::Catalog::parse(crate::support::ROLES).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("subs.csv");
    std::fs::write(
        &path,
        "email,name,roles,status\n\"x@example.com\",\"Eve\r\nBcc: all@example.com\",mlops-engineer,\n\"bad\r\naddress@example.com\",Mallory,,\nok@example.com,<script>alert(1)</script>,nope,\n",
    )
    .unwrap();
    let list = salarytrends::subscribers::load(&path, &catalog).unwrap();
    assert_eq!(list.subscribers.len(), 2);
    assert_eq!(list.subscribers[0].name, "Eve Bcc: all@example.com");
    assert!(list.issues.iter().any(|i| i.reason.contains("control characters")));
    assert!(list.issues.iter().any(|i| i.reason.contains("not a valid address")));
    assert!(list.issues.iter().any(|i| i.reason.contains("unknown role 'nope'")));
}
