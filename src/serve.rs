//! `serve`: the one-click unsubscribe endpoint (RFC 8058) and the published
//! `output/` folder, read-only.
//!
//! `POST /unsubscribe?email=…&token=…` with the form body
//! `List-Unsubscribe=One-Click` unsubscribes at once: no login, no redirect.
//! `GET` on the same URL shows a page with a button that makes that POST, so
//! link scanners that follow URLs unsubscribe nobody. A missing parameter is
//! a 400, a token that does not verify a 403, and neither changes anything.
//!
//! Every other `GET` is a file under `output/`: reports, charts, the public
//! newsletter page. Outbox messages (`.eml`, personal data), hidden files and
//! anything outside `output/` (through `..` or a symbolic link) are not served.

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use percent_encoding::percent_decode_str;
use tiny_http::{Header, Method, Request, Response, Server};

use crate::config::Config;
use crate::delivery::ledger::Ledger;
use crate::exit::{self, Fatal};
use crate::newsletter::mime::verify_token;

/// Threads answering requests.
const WORKERS: usize = 4;
/// Largest request body read.
const MAX_BODY: u64 = 8 * 1024;

/// A response before it is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Content-Type.
    pub content_type: &'static str,
    /// Body (for files: read from disk).
    pub body: Body,
}

/// A response body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// A file under `output/`.
    File(PathBuf),
}

/// What the handler needs.
pub struct Site {
    /// `output/`, canonical.
    pub root: PathBuf,
    /// The HMAC key of the unsubscribe tokens.
    pub key: Vec<u8>,
    /// The state database.
    pub state_db: PathBuf,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(status: u16, title: &str, body_html: &str) -> Reply {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · AI Salary Trends</title>\
         <style>body{{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1f2933;line-height:1.5}}\
         button{{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:4px;background:#0b5cad;color:#fff;cursor:pointer}}</style>\
         </head><body><h1>{t}</h1>{body_html}</body></html>\n",
        t = escape(title)
    );
    Reply { status, content_type: "text/html; charset=utf-8", body: Body::Bytes(html.into_bytes()) }
}

/// The query parameters of a URL, decoded.
fn query_params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let dec =
                |s: &str| percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
            (dec(k), dec(v))
        })
        .collect()
}

impl Site {
    /// Answers one request. `body` is read only for POST.
    pub fn handle(&self, method: &Method, url: &str, body: &[u8]) -> Result<Reply> {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        if path == "/unsubscribe" {
            return self.unsubscribe(method, query, body);
        }
        if !matches!(method, Method::Get | Method::Head) {
            return Ok(page(
                405,
                "Method not allowed",
                "<p>Only GET and HEAD are served here.</p>",
            ));
        }
        Ok(match self.file(path) {
            Some((file, content_type)) => {
                Reply { status: 200, content_type, body: Body::File(file) }
            }
            None => page(404, "Not found", "<p>There is no such file.</p>"),
        })
    }

    fn unsubscribe(&self, method: &Method, query: &str, body: &[u8]) -> Result<Reply> {
        let params = query_params(query);
        let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let (Some(email), Some(token)) = (get("email"), get("token")) else {
            return Ok(page(400, "Bad request", "<p>This unsubscribe link is incomplete.</p>"));
        };
        if !verify_token(&self.key, email, token) {
            return Ok(page(
                403,
                "Link not valid",
                "<p>This unsubscribe link is not valid. Use the link in the newsletter you received, or reply to it and we will take you off the list.</p>",
            ));
        }
        match method {
            Method::Get | Method::Head => Ok(page(
                200,
                "Unsubscribe",
                &format!(
                    "<p>Stop sending the weekly AI Salary Trends newsletter to <strong>{}</strong>?</p>\
                     <form method=\"post\" action=\"\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
                     <button type=\"submit\">Unsubscribe</button></form>",
                    escape(email)
                ),
            )),
            Method::Post => {
                let form = query_params(&String::from_utf8_lossy(body));
                let one_click =
                    form.iter().any(|(k, v)| k == "List-Unsubscribe" && v == "One-Click");
                if !one_click {
                    return Ok(page(
                        400,
                        "Bad request",
                        "<p>An unsubscribe request must carry <code>List-Unsubscribe=One-Click</code>.</p>",
                    ));
                }
                let ledger = Ledger::open(&self.state_db)?;
                ledger.unsubscribe(email, "one-click")?;
                Ok(page(
                    200,
                    "Unsubscribed",
                    &format!(
                        "<p><strong>{}</strong> will receive no more issues of AI Salary Trends.</p>",
                        escape(email)
                    ),
                ))
            }
            _ => Ok(page(405, "Method not allowed", "<p>Use the link in the newsletter.</p>")),
        }
    }

    /// The file a URL path names, if it may be served.
    fn file(&self, path: &str) -> Option<(PathBuf, &'static str)> {
        let decoded = percent_decode_str(path).decode_utf8().ok()?;
        let mut rel = PathBuf::new();
        for seg in decoded.split('/').filter(|s| !s.is_empty()) {
            let safe = !seg.starts_with('.')
                && seg != "outbox"
                && !seg.contains(['\\', '\0'])
                && Path::new(seg).components().all(|c| matches!(c, Component::Normal(_)));
            if !safe {
                return None;
            }
            rel.push(seg);
        }
        let content_type = match rel.extension()?.to_str()? {
            "pdf" => "application/pdf",
            "html" => "text/html; charset=utf-8",
            "txt" => "text/plain; charset=utf-8",
            "png" => "image/png",
            "svg" => "image/svg+xml",
            "json" => "application/json",
            "csv" => "text/csv; charset=utf-8",
            _ => return None,
        };
        // Symbolic links must not lead out of output/.
        let full = self.root.join(&rel).canonicalize().ok()?;
        (full.starts_with(&self.root) && full.is_file()).then_some((full, content_type))
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

fn answer(site: &Site, mut req: Request) {
    let method = req.method().clone();
    let url = req.url().to_string();
    let mut body = Vec::new();
    let read = if method == Method::Post {
        req.as_reader().take(MAX_BODY).read_to_end(&mut body).map(|_| ())
    } else {
        Ok(())
    };
    let reply =
        match read.map_err(anyhow::Error::from).and_then(|()| site.handle(&method, &url, &body)) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {method} {}: {e:#}", url.split('?').next().unwrap_or(""));
                page(500, "Something went wrong", "<p>Please try again in a minute.</p>")
            }
        };
    let common = [
        header("Content-Type", reply.content_type),
        header("X-Content-Type-Options", "nosniff"),
        header("Referrer-Policy", "no-referrer"),
        header(
            "Content-Security-Policy",
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'",
        ),
    ];
    let result = match reply.body {
        Body::Bytes(b) => {
            let mut r = Response::from_data(b).with_status_code(reply.status);
            for h in common {
                r.add_header(h);
            }
            r.add_header(header("Cache-Control", "no-store"));
            req.respond(r)
        }
        Body::File(path) => match std::fs::File::open(&path) {
            Ok(f) => {
                let mut r = Response::from_file(f).with_status_code(reply.status);
                for h in common {
                    r.add_header(h);
                }
                req.respond(r)
            }
            Err(_) => req.respond(Response::empty(404)),
        },
    };
    if let Err(e) = result {
        eprintln!("warning: could not answer {method}: {e}");
    }
}

/// Listens on `listen` until the process is stopped.
pub fn serve(cfg: &Config, listen: &str, key: Vec<u8>, say: &dyn Fn(&str)) -> Result<()> {
    std::fs::create_dir_all(&cfg.output_dir)
        .with_context(|| format!("failed to create {}", cfg.output_dir.display()))?;
    let root = cfg.output_dir.canonicalize()?;
    // Create the state database now, so a bad path fails at start.
    Ledger::open(&cfg.state_db)?;
    let server = Server::http(listen)
        .map_err(|e| Fatal::new(exit::UNAVAILABLE, format!("cannot listen on {listen}: {e}")))?;
    let addr =
        server.server_addr().to_ip().map(|a| a.to_string()).unwrap_or_else(|| listen.to_string());
    say(&format!(
        "serving http://{addr}/ : POST/GET /unsubscribe, files from {} (Ctrl-C to stop)",
        cfg.display_path(&cfg.output_dir)
    ));
    let site = Arc::new(Site { root, key, state_db: cfg.state_db.clone() });
    let server = Arc::new(server);
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            let (server, site) = (Arc::clone(&server), Arc::clone(&site));
            scope.spawn(move || {
                while let Ok(req) = server.recv() {
                    answer(&site, req);
                }
            });
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(dir: &Path) -> Site {
        std::fs::create_dir_all(dir.join("out/2026-W47/reports")).unwrap();
        std::fs::create_dir_all(dir.join("out/2026-W47/outbox")).unwrap();
        std::fs::write(dir.join("out/2026-W47/reports/a-vs-b.pdf"), b"%PDF").unwrap();
        std::fs::write(dir.join("out/2026-W47/outbox/x.eml"), b"To: someone").unwrap();
        std::fs::write(dir.join("out/2026-W47/.inputs.sha256"), b"x").unwrap();
        std::fs::write(dir.join("secret.txt"), b"secret").unwrap();
        Site {
            root: dir.join("out").canonicalize().unwrap(),
            key: b"k".to_vec(),
            state_db: dir.join("state.sqlite"),
        }
    }

    #[test]
    fn files_are_served_only_from_output() {
        let dir = tempfile::tempdir().unwrap();
        let s = site(dir.path());
        let get = |p: &str| s.handle(&Method::Get, p, b"").unwrap().status;
        assert_eq!(get("/2026-W47/reports/a-vs-b.pdf"), 200);
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
            assert_eq!(get(bad), 404, "{bad}");
        }
        assert_eq!(
            s.handle(&Method::Delete, "/2026-W47/reports/a-vs-b.pdf", b"").unwrap().status,
            405
        );
    }
}
