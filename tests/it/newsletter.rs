//! The newsletter: files written, the preview parsed back as MIME, hostile
//! names escaped or rejected.

use mail_parser::{MessageParser, MimeHeaders, PartType};
use salarytrends::tokens::verify_unsubscribe as verify_token;

use crate::support::Project;

const KEY: &str = "test-unsubscribe-key";

fn generated() -> Project {
    let p = Project::generated(11, "");
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
    // The row following an unknown role is skipped and named, like a bad address.
    assert_eq!(list.rows.len(), 1);
    assert_eq!(list.rows[0].subscriber.name, "Eve Bcc: all@example.com");
    assert!(list.issues.iter().any(|i| i.reason.contains("control characters") && !i.skipped));
    assert!(list.issues.iter().any(|i| i.reason.contains("not a valid address") && i.skipped));
    assert!(list.issues.iter().any(|i| i.line == 6
        && i.field == "roles"
        && i.reason.contains("'nope', not in the role catalogue; row skipped")));
}

/// Loads `newsletter.html` in headless Chromium at `width` px and returns
/// what a script measured after load: page and viewport widths, images
/// loaded, their widths, and the smallest font size of any text.
fn chromium_layout(dir: &std::path::Path, width: u32) -> serde_json::Value {
    let probe = r#"
  const d = document.documentElement, imgs = [...document.images];
  const texts = [...document.querySelectorAll('body *')].filter(e =>
    [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) && e.getClientRects().length);
  return { viewport: window.innerWidth, scroll: d.scrollWidth,
    images: imgs.length, loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
    widths: imgs.map(i => i.getBoundingClientRect().width),
    min_font: Math.min(...texts.map(e => parseFloat(getComputedStyle(e).fontSize))) };"#;
    crate::support::chromium_probe(&dir.join("newsletter.html"), width, probe)
}

#[test]
#[ignore = "needs chromium"]
fn chromium_shows_the_newsletter_without_sideways_scroll_at_phone_and_desktop_widths() {
    let p = generated();
    p.cmd().args(["-q", "newsletter", "--week", "2026-W47"]).assert().success();
    let dir = p.path("output/2026-W47/newsletter");
    for width in [375u32, 600] {
        let r = chromium_layout(&dir, width);
        let f = |k: &str| r[k].as_f64().unwrap();
        assert_eq!(f("viewport"), f64::from(width), "{r}");
        assert!(f("scroll") <= f("viewport"), "horizontal scroll at {width} px: {r}");
        assert_eq!(f("images"), 2.0, "{r}");
        assert_eq!(f("loaded"), 2.0, "an image did not load at {width} px: {r}");
        // The charts are drawn 1104 px wide with 40 px text: shown at least
        // 300 px wide, their labels are 11 px or more.
        for w in r["widths"].as_array().unwrap() {
            let w = w.as_f64().unwrap();
            assert!(w >= 300.0 && w <= f64::from(width), "chart {w} px wide at {width} px: {r}");
        }
        assert!(f("min_font") >= 11.0, "text below 11 px at {width} px: {r}");
    }
}
