//! Shared helpers: a temporary project folder with a config, and the binary.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary project: `salarytrends.toml`, `roles.toml`, `fx.toml` and postings.
pub struct Project {
    pub dir: tempfile::TempDir,
}

pub const ROLES: &str = r#"
[[role]]
name = "MLOps Engineer"
slug = "mlops-engineer"
match = ["mlops", "ml ops"]
description = "Deploys ML systems."
career_path = ["ML Platform Lead"]
entry_points = ["DevOps Engineer"]

[[role]]
name = "AI Software Engineer"
slug = "ai-software-engineer"
match = ["ai software engineer", "ai engineer"]
description = "Builds software with AI."
career_path = ["Staff Engineer"]
entry_points = ["Software Engineer"]

[skills]
k8s = "Kubernetes"
aws = "AWS"
rag = "RAG"
"#;

pub const HEADER: &str = "id,title,role,company,location,remote,seniority,salary_min,salary_max,salary_currency,salary_period,skills,posted_at,closed_at";

impl Project {
    /// A project whose postings file is `postings.csv` with `rows` under the standard header.
    pub fn with_rows(rows: &[&str]) -> Self {
        let p = Self::empty();
        let mut text = String::from(HEADER);
        for r in rows {
            text.push('\n');
            text.push_str(r);
        }
        text.push('\n');
        p.write("postings.csv", &text);
        p
    }

    /// A project on a small generated market (14 roles, four weeks to
    /// 2026-W47, ten subscribers; `gendata::generate_small`), its state
    /// database in `state/`, and `extra` appended to the config.
    pub fn generated(seed: u64, extra: &str) -> Self {
        let p = Self::empty();
        salarytrends::gendata::generate_small(p.dir.path(), seed).unwrap();
        p.write(
            "salarytrends.toml",
            &format!(
                "postings = \"postings.csv\"\nroles = \"roles.toml\"\nfx = \"fx.toml\"\n\
                 subscribers = \"subscribers.csv\"\nsnapshots_dir = \"snapshots\"\n\
                 output_dir = \"output\"\nstate_db = \"state/state.sqlite\"\n{extra}"
            ),
        );
        p
    }

    /// A project with config, roles and rates but no postings.
    pub fn empty() -> Self {
        let p = Project { dir: tempfile::tempdir().unwrap() };
        p.write(
            "salarytrends.toml",
            "postings = \"postings.csv\"\nroles = \"roles.toml\"\nfx = \"fx.toml\"\n\
             snapshots_dir = \"snapshots\"\noutput_dir = \"output\"\nmin_salary_sample = 3\n",
        );
        p.write("roles.toml", ROLES);
        p.write("fx.toml", "[usd_per_unit]\nUSD = 1.0\nEUR = 1.1\n");
        p
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Stores the snapshots of `weeks` (`2026-W46..2026-W47`).
    pub fn snapshots(&self, weeks: &str) {
        self.cmd().args(["-q", "snapshot", "--weeks", weeks]).assert().success();
    }

    /// Runs a command with `SALARYTRENDS_UNSUBSCRIBE_KEY` set to `key`; it must succeed.
    pub fn run_keyed(&self, key: &str, args: &[&str]) -> assert_cmd::assert::Assert {
        self.cmd().env("SALARYTRENDS_UNSUBSCRIBE_KEY", key).args(args).assert().success()
    }

    /// The binary, run in the project folder with its config and a fixed today.
    pub fn cmd(&self) -> Command {
        self.cmd_as_of("2026-11-28")
    }

    /// The binary with another today.
    pub fn cmd_as_of(&self, today: &str) -> Command {
        let mut c = Command::cargo_bin("salarytrends").unwrap();
        c.current_dir(self.dir.path())
            .env_remove("SALARYTRENDS_CONFIG")
            .env_remove("SOURCE_DATE_EPOCH")
            .args(["--config", "salarytrends.toml", "--as-of", today]);
        c
    }

    /// Every file under the project's output and snapshot folders.
    pub fn written(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for top in ["output", "snapshots"] {
            collect(&self.path(top), &mut out);
        }
        out
    }
}

/// Every file under `dir`, recursively (none when it does not exist).
pub fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// A test SMTP server (`tests/smtp/server.py`, aiosmtpd) with its own Maildir,
/// stopped when dropped.
pub struct SmtpServer {
    child: Option<std::process::Child>,
    /// `host:port`.
    pub addr: String,
    /// Where accepted messages are stored.
    pub maildir: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl SmtpServer {
    /// Starts a server with extra arguments (`--tempfail`, `--reject`, `--delay-ms`).
    pub fn start(args: &[&str]) -> SmtpServer {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        let mut child = std::process::Command::new("python3")
            .arg(root().join("tests/smtp/server.py"))
            .args(["--listen", "127.0.0.1:0", "--maildir"])
            .arg(&maildir)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs tests/smtp/server.py (needs aiosmtpd: pip install aiosmtpd)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .unwrap_or_else(|| {
                panic!("the test SMTP server did not start (is aiosmtpd installed?): {line:?}")
            })
            .to_string();
        SmtpServer { child: Some(child), addr, maildir, _dir: Some(dir) }
    }

    /// The server `.ci/run` started (SALARYTRENDS_TEST_SMTP, SALARYTRENDS_TEST_MAILDIR),
    /// or a new one.
    pub fn shared_or_start() -> SmtpServer {
        match (std::env::var("SALARYTRENDS_TEST_SMTP"), std::env::var("SALARYTRENDS_TEST_MAILDIR"))
        {
            (Ok(addr), Ok(maildir)) if !addr.is_empty() => {
                SmtpServer { child: None, addr, maildir: PathBuf::from(maildir), _dir: None }
            }
            _ => SmtpServer::start(&[]),
        }
    }

    /// Every stored message: (Delivered-To, the message as received).
    pub fn messages(&self) -> Vec<(String, Vec<u8>)> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else { return Vec::new() };
        let mut out: Vec<(String, Vec<u8>)> = entries
            .flatten()
            .map(|e| {
                let bytes = std::fs::read(e.path()).unwrap();
                let end = bytes.windows(2).position(|w| w == b"\r\n" || w[0] == b'\n').unwrap();
                let first = String::from_utf8_lossy(&bytes[..end]).to_string();
                let to = first.strip_prefix("Delivered-To: ").unwrap().trim().to_ascii_lowercase();
                let skip = if bytes[end] == b'\r' { end + 2 } else { end + 1 };
                (to, bytes[skip..].to_vec())
            })
            .collect();
        out.sort();
        out
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A free local port (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An HTTP answer.
#[derive(Debug)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: String,
}

impl HttpReply {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request over a plain socket.
pub fn request(
    addr: &str,
    method: &str,
    target: &str,
    content_type: &str,
    body: &str,
) -> HttpReply {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    HttpReply { status, headers, body: body.to_string() }
}

/// One form-encoded HTTP/1.1 request; (status, body).
pub fn http(addr: &str, method: &str, target: &str, body: &str) -> (u16, String) {
    let r = request(addr, method, target, "application/x-www-form-urlencoded", body);
    (r.status, r.body)
}

/// `salarytrends serve` on a free local port, stopped when dropped.
pub struct Serve {
    child: std::process::Child,
    /// `127.0.0.1:port`.
    pub addr: String,
}

impl Serve {
    /// Starts `serve` in the project with the signing key `key`.
    pub fn start(p: &Project, key: &str) -> Serve {
        Serve::spawn(p, Some(key), &[])
    }

    /// Starts `serve` with `SALARYTRENDS_UNSUBSCRIBE_KEY` set to `key` (or
    /// removed) and `extra` arguments; waits until it accepts connections.
    pub fn spawn(p: &Project, key: Option<&str>, extra: &[&str]) -> Serve {
        let addr = format!("127.0.0.1:{}", free_port());
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("salarytrends"));
        cmd.current_dir(p.dir.path()).stderr(std::process::Stdio::null());
        match key {
            Some(k) => cmd.env("SALARYTRENDS_UNSUBSCRIBE_KEY", k),
            None => cmd.env_remove("SALARYTRENDS_UNSUBSCRIBE_KEY"),
        };
        let child = cmd
            .args(["--config", "salarytrends.toml", "-q", "serve", "--listen", &addr])
            .args(extra)
            .spawn()
            .unwrap();
        let t = std::time::Instant::now();
        while std::net::TcpStream::connect(&addr).is_err() {
            assert!(t.elapsed() < std::time::Duration::from_secs(20), "serve did not start");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Serve { child, addr }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Loads `page` in headless Chromium in a frame `width` px wide and returns
/// what `probe` (the body of a JavaScript function run after load,
/// returning a JSON-serialisable value) measured. Headless windows are at
/// least 500 px wide, so the page is measured in an iframe of the wanted
/// width; the result comes back by postMessage.
pub fn chromium_probe(page: &Path, width: u32, probe: &str) -> serde_json::Value {
    let dir = page.parent().unwrap();
    let html = std::fs::read_to_string(page).unwrap();
    let script = format!(
        "<script>window.addEventListener('load', () => {{ const r = (() => {{ {probe} }})(); \
         parent.postMessage(JSON.stringify(r), '*'); }});</script></body>"
    );
    let probed = dir.join(format!("probe-{width}.html"));
    std::fs::write(&probed, html.replacen("</body>", &script, 1)).unwrap();
    let frame = dir.join(format!("frame-{width}.html"));
    std::fs::write(
        &frame,
        format!(
            "<!doctype html><body style=\"margin:0\"><iframe src=\"probe-{width}.html\" \
             style=\"width:{width}px;height:1400px;border:0\"></iframe><script>\
             window.addEventListener('message', e => {{ const pre = document.createElement('pre'); \
             pre.id = 'layout-probe'; pre.textContent = e.data; document.body.appendChild(pre); }});\
             </script></body>"
        ),
    )
    .unwrap();
    let dom = chromium_dom(&format!("file://{}", frame.display()), &[]);
    std::fs::remove_file(&probed).unwrap();
    std::fs::remove_file(&frame).unwrap();
    let json = dom
        .split("<pre id=\"layout-probe\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_else(|| panic!("no probe result: {dom}"));
    serde_json::from_str(&json.replace("&quot;", "\"")).unwrap()
}

/// The DOM of `url` after headless Chromium ran it for up to 5 s of virtual time.
pub fn chromium_dom(url: &str, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
            "--dump-dom",
            "--window-size=800,1400",
        ])
        .args(extra)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .output()
        .expect("chromium runs (apt-get install chromium)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
