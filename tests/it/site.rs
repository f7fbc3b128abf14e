//! The public report library: every link of every generated page resolves,
//! the feed is Atom, names are escaped, and in headless Chromium the pages
//! fit a phone and a desktop and the picker leads to the right PDF.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use crate::support::{Project, chromium_dom, chromium_probe, collect};

const BASE: &str = "https://example.com/salarytrends";
/// What `serve` answers besides files.
const ENDPOINTS: [&str; 4] = ["subscribe", "confirm", "preferences", "unsubscribe"];

/// Two weeks with reports and newsletters, then the library.
fn built() -> Project {
    let p = Project::generated(8, &format!("[newsletter]\nbase_url = \"{BASE}\"\n"));
    p.cmd().args(["-q", "snapshot", "--weeks", "2026-W44..2026-W47"]).assert().success();
    for w in ["2026-W46", "2026-W47"] {
        p.cmd().args(["-q", "report", "--all", "--week", w]).assert().success();
        p.cmd().args(["-q", "newsletter", "--week", w]).assert().success();
    }
    p.cmd()
        .args(["-q", "report", "--pair", "mlops-engineer", "data-scientist", "--week", "2026-W45"])
        .assert()
        .success();
    p.cmd().args(["site"]).assert().success();
    p
}

/// `href`, `src` and `action` values of a page, entities decoded.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\"", "action=\""] {
        for piece in html.split(attr).skip(1) {
            let v = piece.split('"').next().unwrap();
            let v = v
                .replace("&amp;", "&")
                .replace("&#x2f;", "/")
                .replace("&#x27;", "'")
                .replace("&quot;", "\"");
            out.push(v);
        }
    }
    out
}

/// `path` with `.` and `..` folded, or `None` when it leaves the root.
fn normal(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            Component::Normal(s) => out.push(s),
            _ => return None,
        }
    }
    Some(out)
}

/// Checks that a link of the page `page` (relative to `output/`) lands on a
/// file under `output/` or on an endpoint of `serve`.
fn check(out: &Path, page: &Path, link: &str) -> Result<(), String> {
    if link.starts_with("mailto:") || link.starts_with('#') || link.starts_with("cid:") {
        return Ok(());
    }
    let path = link.split(['?', '#']).next().unwrap();
    let rel = if let Some(abs) = link.strip_prefix(BASE) {
        PathBuf::from(abs.split(['?', '#']).next().unwrap().trim_start_matches('/'))
    } else if link.contains("://") || link.starts_with("//") {
        return Err(format!("{}: a remote resource: {link}", page.display()));
    } else {
        normal(&page.parent().unwrap().join(path))
            .ok_or_else(|| format!("{}: {link} leaves output/", page.display()))?
    };
    let target = out.join(&rel);
    let ok = target.is_file()
        || (target.is_dir() && target.join("index.html").is_file())
        || rel.as_os_str().is_empty() && out.join("index.html").is_file()
        || ENDPOINTS.iter().any(|e| rel == Path::new(e));
    if ok {
        Ok(())
    } else {
        Err(format!("{}: {link} → {} does not exist", page.display(), rel.display()))
    }
}

#[test]
fn every_link_of_every_page_resolves_and_the_index_lists_every_pdf() {
    let p = built();
    let out = p.path("output");
    let mut files = Vec::new();
    collect(&out, &mut files);
    let pages: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "html"))
        .map(|f| f.strip_prefix(&out).unwrap().to_path_buf())
        .filter(|f| !f.starts_with("outbox"))
        .collect();
    for want in ["index.html", "2026-W47/index.html", "2026-W46/index.html", "2026-W45/index.html"]
    {
        assert!(pages.contains(&PathBuf::from(want)), "{want} in {pages:?}");
    }
    let mut problems = Vec::new();
    let mut checked = 0;
    for page in &pages {
        let html = std::fs::read_to_string(out.join(page)).unwrap();
        for l in links(&html) {
            checked += 1;
            if let Err(e) = check(&out, page, &l) {
                problems.push(e);
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {checked} links broken:\n{}",
        problems.len(),
        problems.join("\n")
    );

    // The index links every PDF of the newest week, and each pair's stable address.
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    let linked: BTreeSet<String> = links(&index).into_iter().collect();
    let pdfs: Vec<String> = std::fs::read_dir(out.join("2026-W47/reports"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".pdf"))
        .collect();
    assert_eq!(pdfs.len(), 91);
    for f in &pdfs {
        assert!(linked.contains(&format!("2026-W47/reports/{f}")), "{f} not linked from the index");
        assert_eq!(
            std::fs::read(out.join("reports").join(f)).unwrap(),
            std::fs::read(out.join("2026-W47/reports").join(f)).unwrap(),
            "reports/{f} is the newest report"
        );
    }
    // Accessible: a language, one h1, every control labelled.
    for page in ["index.html", "2026-W46/index.html"] {
        let html = std::fs::read_to_string(out.join(page)).unwrap();
        assert!(html.contains("<html lang=\"en\">"), "{page}");
        assert_eq!(html.matches("<h1").count(), 1, "{page}");
        for id in html.split(" id=\"").skip(1).map(|s| s.split('"').next().unwrap()) {
            let control = html.contains(&format!("<select id=\"{id}\""))
                || html.contains(&format!("<input id=\"{id}\""));
            if control {
                assert!(
                    html.contains(&format!("<label for=\"{id}\"")),
                    "{page}: #{id} has no label"
                );
            }
        }
    }
    // Running it again writes nothing.
    let again = p.cmd().args(["site"]).assert().success().get_output().stderr.clone();
    assert!(
        String::from_utf8_lossy(&again).contains("(0 changed)"),
        "{}",
        String::from_utf8_lossy(&again)
    );
}

#[test]
fn the_feed_is_atom_with_one_entry_per_issue_newest_first_and_links_that_resolve() {
    let p = built();
    let out = p.path("output");
    let text = std::fs::read_to_string(out.join("feed.xml")).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("the feed is XML");
    let atom = "http://www.w3.org/2005/Atom";
    let feed = doc.root_element();
    assert_eq!((feed.tag_name().namespace(), feed.tag_name().name()), (Some(atom), "feed"));
    fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
        n.children().find(|c| {
            c.tag_name().name() == name
                && c.tag_name().namespace() == Some("http://www.w3.org/2005/Atom")
        })
    }
    for required in ["id", "title", "updated"] {
        assert!(child(feed, required).and_then(|n| n.text()).is_some(), "feed/{required}");
    }
    let entries: Vec<_> = feed.children().filter(|c| c.tag_name().name() == "entry").collect();
    assert_eq!(entries.len(), 2, "one entry per issue (W45 has reports, no newsletter)");
    let mut updated = Vec::new();
    for e in &entries {
        for required in ["id", "title", "updated"] {
            assert!(
                child(*e, required).and_then(|n| n.text()).is_some_and(|t| !t.is_empty()),
                "entry/{required}"
            );
        }
        let u = child(*e, "updated").unwrap().text().unwrap();
        chrono::DateTime::parse_from_rfc3339(u).expect("RFC 3339 dates");
        updated.push(u.to_string());
        let link = child(*e, "link").unwrap();
        assert_eq!(link.attribute("rel"), Some("alternate"));
        let href = link.attribute("href").unwrap();
        check(&out, Path::new("feed.xml"), href).unwrap();
        assert!(href.ends_with("/newsletter/newsletter.html"), "{href}");
    }
    assert!(updated[0] > updated[1], "newest first: {updated:?}");
    assert!(child(entries[0], "link").unwrap().attribute("href").unwrap().contains("2026-W47"));
}

#[test]
fn names_with_html_special_characters_are_escaped() {
    let p = Project::generated(8, &format!("[newsletter]\nbase_url = \"{BASE}\"\n"));
    // The first role of the generated catalogue, renamed.
    let roles = std::fs::read_to_string(p.path("roles.toml")).unwrap();
    let first = roles.lines().find(|l| l.starts_with("name = ")).unwrap().to_string();
    p.write("roles.toml", &roles.replacen(&first, r#"name = "R&D <Lab> \"AI\" Engineer""#, 1));
    p.cmd()
        .args(["-q", "snapshot", "--weeks", "2026-W46..2026-W47", "--recompute"])
        .assert()
        .success();
    p.cmd().args(["-q", "report", "--all", "--week", "2026-W47"]).assert().success();
    p.cmd().args(["-q", "newsletter", "--week", "2026-W47"]).assert().success();
    p.cmd().args(["site"]).assert().success();
    for page in ["output/index.html", "output/2026-W47/index.html"] {
        let html = std::fs::read_to_string(p.path(page)).unwrap();
        assert!(!html.contains("<Lab>"), "{page}");
        assert!(html.contains("R&amp;D &lt;Lab&gt; &quot;AI&quot; Engineer"), "{page}");
    }
    let feed = std::fs::read_to_string(p.path("output/feed.xml")).unwrap();
    roxmltree::Document::parse(&feed).expect("still XML");
}

/// Serves `dir` over HTTP with Python's http.server, which logs each request.
struct Logged {
    child: std::process::Child,
    addr: String,
    log: PathBuf,
}

impl Logged {
    fn start(dir: &Path) -> Logged {
        let port = crate::support::free_port();
        let log = dir.parent().unwrap().join("http.log");
        let child = std::process::Command::new("python3")
            .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory"])
            .arg(dir)
            .stderr(std::fs::File::create(&log).unwrap())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let addr = format!("127.0.0.1:{port}");
        let t = std::time::Instant::now();
        while std::net::TcpStream::connect(&addr).is_err() {
            assert!(t.elapsed() < std::time::Duration::from_secs(10));
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Logged { child, addr, log }
    }
    fn requests(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[ignore = "needs chromium and python3"]
fn chromium_fits_phone_and_desktop_and_the_picker_leads_to_the_right_pdf() {
    let p = built();
    let out = p.path("output");
    let probe = "return { viewport: window.innerWidth, scroll: document.documentElement.scrollWidth, \
                 picker: !document.getElementById('picker').hidden };";
    for page in ["index.html", "2026-W46/index.html"] {
        for width in [375u32, 1024] {
            let r = chromium_probe(&out.join(page), width, probe);
            assert_eq!(r["viewport"].as_f64().unwrap(), f64::from(width), "{page}: {r}");
            assert!(
                r["scroll"].as_f64().unwrap() <= f64::from(width),
                "{page} scrolls sideways at {width} px: {r}"
            );
            assert_eq!(
                r["picker"],
                serde_json::json!(true),
                "with JavaScript the picker shows: {r}"
            );
        }
    }
    // JavaScript on: pick Data Scientist and MLOps Engineer (in the other
    // order than the catalogue's) and submit; the browser asks for that PDF.
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    let auto = "<script>window.addEventListener('load', () => { \
                document.getElementById('role-a').value = 'data-scientist'; \
                document.getElementById('role-b').value = 'mlops-engineer'; \
                document.getElementById('picker').requestSubmit(); });</script></body>";
    std::fs::write(out.join("pick.html"), index.replacen("</body>", auto, 1)).unwrap();
    let server = Logged::start(&out);
    chromium_dom(&format!("http://{}/pick.html", server.addr), &[]);
    let log = server.requests();
    assert!(log.contains("GET /2026-W47/reports/mlops-engineer-vs-data-scientist.pdf"), "{log}");
    // JavaScript off, as a browser without it shows the page: site.js does
    // not run, the picker stays hidden and every report is a visible link.
    drop(server);
    let nojs = index.replacen("<script src=\"site.js\"></script>", "", 1);
    assert_ne!(nojs, index);
    std::fs::write(out.join("nojs.html"), nojs).unwrap();
    let probe = "const f = document.getElementById('picker'); \
                 const links = [...document.querySelectorAll('ul.pairs a')]; \
                 return { picker: getComputedStyle(f).display, links: links.length, \
                   visible: links.filter(a => a.getClientRects().length > 0).length, \
                   ds: links.some(a => a.getAttribute('href') === '2026-W47/reports/mlops-engineer-vs-data-scientist.pdf') };";
    let r = chromium_probe(&out.join("nojs.html"), 375, probe);
    assert_eq!(r["picker"], serde_json::json!("none"), "{r}");
    assert_eq!((r["links"].as_u64(), r["visible"].as_u64()), (Some(91), Some(91)), "{r}");
    assert_eq!(r["ds"], serde_json::json!(true), "{r}");
    std::fs::remove_file(out.join("pick.html")).unwrap();
    std::fs::remove_file(out.join("nojs.html")).unwrap();
}

#[test]
#[ignore = "needs pdfinfo (poppler-utils)"]
fn the_reports_related_links_land_on_reports_that_exist() {
    let p = built();
    let out = p.path("output");
    let pdf = out.join("2026-W47/reports/mlops-engineer-vs-ai-software-engineer.pdf");
    let listing = std::process::Command::new("pdfinfo").arg("-url").arg(&pdf).output().unwrap();
    let text = String::from_utf8_lossy(&listing.stdout).to_string();
    let urls: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .filter(|u| u.starts_with("http"))
        .collect();
    assert!(urls.len() >= 4, "{text}");
    for u in urls {
        check(&out, Path::new("2026-W47/reports/x.pdf"), u).unwrap();
    }
}
