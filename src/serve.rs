//! `serve`: the list's endpoints (spec section 11) and the published
//! `output/` folder, read-only.
//!
//! - `GET /subscribe` shows the form; `POST /subscribe` (form-encoded or
//!   JSON) answers "check your inbox" whatever the address's state, so the
//!   answer tells nobody who is on the list, and queues a confirmation email
//!   for a new, pending or unsubscribed address. At most 3 sign-ups per
//!   address per 24 hours and 20 per client per hour; beyond that 429 with
//!   `Retry-After`.
//! - `GET /confirm?token=…` shows a button and confirms nothing (mail
//!   scanners follow links); `POST /confirm` makes the address active,
//!   records the consent and queues the newest issue as a welcome.
//! - `GET/POST /preferences?email=…&token=…`: roles followed, pause,
//!   unsubscribe (and subscribe again).
//! - `POST /unsubscribe?email=…&token=…` with `List-Unsubscribe=One-Click`
//!   unsubscribes at once (RFC 8058); `GET` shows a page with that button.
//!
//! Tokens are signed ([`crate::tokens`]); one that does not verify is a 403,
//! an expired one a 410, and neither changes anything. Malformed input is a
//! 400 with a plain message, a body above [`MAX_BODY`] a 413. Mail leaves
//! through [`Job`]s that the caller's worker sends, so a request never waits
//! for (or reveals by its timing) an SMTP conversation.
//!
//! Every other `GET` is a file under `output/`: reports, charts, the public
//! newsletter page. Outbox messages (`.eml`, personal data), hidden files and
//! anything outside `output/` (through `..` or a symbolic link) are not served.

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::net::IpAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use minijinja::context;
use percent_encoding::percent_decode_str;
use serde::Serialize;
use tiny_http::{Header, Method, Request, Response, Server};

use crate::delivery::ledger::Ledger;
use crate::exit::{self, Fatal};
use crate::pages::{Pages, RoleChoice};
use crate::subscribers::db::Confirmed;
use crate::subscribers::{Status, check_email, clean_name};
use crate::tokens::{self, Confirmation, Refused};

/// Threads answering requests.
const WORKERS: usize = 4;
/// Largest request body accepted.
pub const MAX_BODY: usize = 8 * 1024;
/// Sign-ups per address per 24 hours.
pub const PER_ADDRESS_PER_DAY: usize = 3;
/// Sign-up requests per client per hour.
pub const PER_CLIENT_PER_HOUR: usize = 20;

/// A request as the handler sees it.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// Method.
    pub method: &'a Method,
    /// Path and query.
    pub url: &'a str,
    /// The Content-Type header, if any.
    pub content_type: Option<&'a str>,
    /// The body (POST only).
    pub body: &'a [u8],
    /// The client's address (as the proxy reported it).
    pub client: &'a str,
}

/// A response before it is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Content-Type.
    pub content_type: &'static str,
    /// Extra headers (`Retry-After`).
    pub headers: Vec<(&'static str, String)>,
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

impl Reply {
    /// The body as text (tests).
    pub fn text(&self) -> String {
        match &self.body {
            Body::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            Body::File(p) => p.display().to_string(),
        }
    }
}

/// Mail the endpoints ask for; sent by the caller's worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// A confirmation email with this link.
    Confirmation {
        /// What the link confirms.
        confirmation: Confirmation,
        /// The confirmation page, token included.
        url: String,
    },
    /// The newest issue to a newly confirmed reader.
    Welcome {
        /// The address.
        email: String,
    },
}

/// What the handler needs.
pub struct Site {
    /// `output/`, canonical.
    pub root: PathBuf,
    /// The key of every token.
    pub key: Vec<u8>,
    /// The state database.
    pub state_db: PathBuf,
    /// Where the endpoints are published (`newsletter.base_url`).
    pub base_url: String,
    /// The page templates.
    pub pages: Pages,
    /// The roles one can follow: (slug, name), catalogue order.
    pub roles: Vec<(String, String)>,
    /// The time, Unix seconds.
    pub clock: Box<dyn Fn() -> i64 + Send + Sync>,
    /// Hands a job to the mail worker.
    pub mail: Box<dyn Fn(Job) + Send + Sync>,
    /// Recent sign-up requests by client.
    pub clients: Mutex<HashMap<String, VecDeque<i64>>>,
}

/// The fields of a form or JSON body: (name, value), lists flattened.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn one(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
}

fn ser<T: Serialize>(v: T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(v))
}

fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| {
        c.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    })
}

fn form(text: &[u8]) -> Fields {
    Fields(form_urlencoded::parse(text).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
}

/// A body: JSON (an object of strings and lists of strings) or form-encoded.
fn parse_body(req: &Incoming<'_>) -> Result<Fields, String> {
    if is_json(req.content_type) {
        let value: serde_json::Value = serde_json::from_slice(req.body)
            .map_err(|e| format!("the body is not valid JSON: {e}"))?;
        let serde_json::Value::Object(map) = value else {
            return Err("the body must be a JSON object".into());
        };
        let mut out = Vec::new();
        for (k, v) in map {
            match v {
                serde_json::Value::String(s) => out.push((k, s)),
                serde_json::Value::Null => {}
                serde_json::Value::Array(items) => {
                    for item in items {
                        let serde_json::Value::String(s) = item else {
                            return Err(format!("'{k}' must be a list of strings"));
                        };
                        out.push((k.clone(), s));
                    }
                }
                _ => return Err(format!("'{k}' must be a string")),
            }
        }
        Ok(Fields(out))
    } else {
        std::str::from_utf8(req.body).map_err(|_| "the body is not UTF-8".to_string())?;
        Ok(form(req.body))
    }
}

#[derive(Serialize)]
struct Link {
    href: String,
    text: String,
}

impl Site {
    /// A site for `output/` at `root` with the default limits' state empty.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        root: PathBuf,
        key: Vec<u8>,
        state_db: PathBuf,
        base_url: String,
        pages: Pages,
        roles: Vec<(String, String)>,
        clock: Box<dyn Fn() -> i64 + Send + Sync>,
        mail: Box<dyn Fn(Job) + Send + Sync>,
    ) -> Site {
        Site {
            root,
            key,
            state_db,
            base_url,
            pages,
            roles,
            clock,
            mail,
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn page(&self, status: u16, name: &str, ctx: minijinja::Value) -> Result<Reply> {
        let html = self.pages.render(name, ctx)?;
        Ok(Reply {
            status,
            content_type: "text/html; charset=utf-8",
            headers: Vec::new(),
            body: Body::Bytes(html.into_bytes()),
        })
    }

    /// A short answer: a page, or JSON for a JSON request.
    fn notice(
        &self,
        req: &Incoming<'_>,
        status: u16,
        title: &str,
        paragraphs: &[&str],
        link: Option<Link>,
    ) -> Result<Reply> {
        if is_json(req.content_type) {
            let body = serde_json::json!({
                "status": if status < 400 { "ok" } else { "error" },
                "title": title,
                "message": paragraphs.join(" "),
            });
            return Ok(Reply {
                status,
                content_type: "application/json",
                headers: Vec::new(),
                body: Body::Bytes(serde_json::to_vec(&body)?),
            });
        }
        self.page(
            status,
            "notice.html",
            context! { title, paragraphs => ser(paragraphs), link => ser(&link) },
        )
    }

    fn bad_request(&self, req: &Incoming<'_>, why: &str) -> Result<Reply> {
        self.notice(req, 400, "Bad request", &[why], None)
    }

    fn too_many(&self, req: &Incoming<'_>, retry_after: i64) -> Result<Reply> {
        let mut r = self.notice(
            req,
            429,
            "Too many requests",
            &["Too many sign-up requests came in a short time. Please try again later."],
            None,
        )?;
        r.headers.push(("Retry-After", retry_after.max(1).to_string()));
        Ok(r)
    }

    fn refused_token(&self, req: &Incoming<'_>, why: Refused, what: &str) -> Result<Reply> {
        match why {
            Refused::Invalid => self.notice(
                req,
                403,
                "Link not valid",
                &[&format!(
                    "This {what} link is not valid. Use the link in the email you received."
                )],
                None,
            ),
            Refused::Expired => self.notice(
                req,
                410,
                "Link expired",
                &[&format!(
                    "This {what} link has expired. Sign up again, or use the link in a newer email."
                )],
                Some(Link { href: "subscribe".into(), text: "Sign up again".into() }),
            ),
        }
    }

    fn ledger(&self) -> Result<Ledger> {
        Ledger::open(&self.state_db)
    }

    /// Answers one request.
    pub fn handle(&self, req: &Incoming<'_>) -> Result<Reply> {
        let (path, query) = req.url.split_once('?').unwrap_or((req.url, ""));
        let (get, post) =
            (matches!(req.method, Method::Get | Method::Head), *req.method == Method::Post);
        match path {
            "/subscribe" if get => self.subscribe_form(),
            "/subscribe" if post => self.subscribe(req),
            "/confirm" if get => self.confirm_page(req, query),
            "/confirm" if post => self.confirm(req),
            "/preferences" if get || post => self.preferences(req, query),
            "/unsubscribe" if get || post => self.unsubscribe(req, query),
            "/subscribe" | "/confirm" | "/preferences" | "/unsubscribe" => self.notice(
                req,
                405,
                "Method not allowed",
                &["Use the form or the link in the email."],
                None,
            ),
            _ if !get => self.notice(
                req,
                405,
                "Method not allowed",
                &["Only GET and HEAD are served here."],
                None,
            ),
            _ => Ok(match self.file(path) {
                Some((file, content_type)) => {
                    Reply { status: 200, content_type, headers: Vec::new(), body: Body::File(file) }
                }
                None => self.notice(req, 404, "Not found", &["There is no such page."], None)?,
            }),
        }
    }

    fn role_choices(&self, checked: &[String]) -> Vec<RoleChoice> {
        self.roles
            .iter()
            .map(|(slug, name)| RoleChoice {
                slug: slug.clone(),
                name: name.clone(),
                checked: checked.contains(slug),
            })
            .collect()
    }

    fn role_names(&self, slugs: &[String]) -> String {
        let names: Vec<String> = slugs
            .iter()
            .filter_map(|s| self.roles.iter().find(|(slug, _)| slug == s).map(|(_, n)| n.clone()))
            .collect();
        crate::text::list(&names)
    }

    /// The roles of a form, each checked against the catalogue.
    fn chosen_roles(&self, f: &Fields) -> Result<Vec<String>, String> {
        let mut out: Vec<String> = Vec::new();
        for r in f.all("roles") {
            let r = r.trim().to_string();
            if !self.roles.iter().any(|(slug, _)| *slug == r) {
                return Err(format!("'{r}' is not a role one can follow"));
            }
            if !out.contains(&r) {
                out.push(r);
            }
        }
        Ok(out)
    }

    fn subscribe_form(&self) -> Result<Reply> {
        self.page(
            200,
            "subscribe.html",
            context! { title => "Subscribe to AI Salary Trends", roles => ser(self.role_choices(&[])) },
        )
    }

    /// Counts a request from `client`; the seconds to wait when over the limit.
    fn client_over_limit(&self, client: &str, now: i64) -> Option<i64> {
        let mut clients = self.clients.lock().expect("limiter lock");
        // Forget clients quiet for an hour, so the map stays small.
        if clients.len() > 10_000 {
            clients.retain(|_, times| times.back().is_some_and(|&t| t > now - 3600));
        }
        let times = clients.entry(client.to_string()).or_default();
        while times.front().is_some_and(|&t| t <= now - 3600) {
            times.pop_front();
        }
        if times.len() >= PER_CLIENT_PER_HOUR {
            return Some(times[times.len() - PER_CLIENT_PER_HOUR] + 3600 - now);
        }
        times.push_back(now);
        None
    }

    fn subscribe(&self, req: &Incoming<'_>) -> Result<Reply> {
        let now = (self.clock)();
        if let Some(wait) = self.client_over_limit(req.client, now) {
            return self.too_many(req, wait);
        }
        let f = match parse_body(req) {
            Ok(f) => f,
            Err(why) => return self.bad_request(req, &why),
        };
        let Some(raw) = f.one("email").map(str::trim).filter(|e| !e.is_empty()) else {
            return self.bad_request(req, "An email address is required.");
        };
        let email = match check_email(raw) {
            Ok(e) => e,
            Err(why) => return self.bad_request(req, &format!("{why}.")),
        };
        let name = clean_name(f.one("name").unwrap_or(""));
        let roles = match self.chosen_roles(&f) {
            Ok(r) => r,
            Err(why) => return self.bad_request(req, &format!("{why}.")),
        };
        let ledger = self.ledger()?;
        let db = ledger.subscribers();
        let recent = db.signup_requests(&email, now - 24 * 3600)?;
        if recent.len() >= PER_ADDRESS_PER_DAY {
            return self
                .too_many(req, recent[recent.len() - PER_ADDRESS_PER_DAY] + 24 * 3600 - now);
        }
        db.note_signup_request(&email, now)?;
        let before = db.sign_up(&email, &name, &roles)?;
        // An active address needs no confirmation; one that complained gets
        // no more mail. Either way the answer is the same as for a new one.
        if !matches!(before, Some(Status::Active | Status::Complained)) {
            let confirmation = Confirmation {
                email: email.clone(),
                name,
                roles,
                wording: self.pages.wording().to_string(),
                expires: now + tokens::CONFIRMATION_SECONDS,
            };
            let url = format!(
                "{}/confirm?token={}",
                self.base_url.trim_end_matches('/'),
                tokens::confirmation(&self.key, &confirmation)
            );
            (self.mail)(Job::Confirmation { confirmation, url });
        }
        self.notice(
            req,
            200,
            "Check your inbox",
            &[
                &format!("If {email} can be subscribed, a confirmation email is on its way to it. Open the link in that email to start the newsletter."),
                "Nothing is sent until you confirm. No email after a few minutes? Look in the spam folder.",
            ],
            None,
        )
    }

    fn confirm_page(&self, req: &Incoming<'_>, query: &str) -> Result<Reply> {
        let q = form(query.as_bytes());
        let Some(token) = q.one("token") else {
            return self.bad_request(req, "This confirmation link is incomplete.");
        };
        let c = match tokens::open_confirmation(&self.key, token, (self.clock)()) {
            Ok(c) => c,
            Err(why) => return self.refused_token(req, why, "confirmation"),
        };
        self.page(
            200,
            "confirm.html",
            context! {
                title => "Confirm your subscription",
                token,
                email => c.email,
                roles => self.role_names(&c.roles),
            },
        )
    }

    fn confirm(&self, req: &Incoming<'_>) -> Result<Reply> {
        let f = match parse_body(req) {
            Ok(f) => f,
            Err(why) => return self.bad_request(req, &why),
        };
        let Some(token) = f.one("token") else {
            return self.bad_request(req, "The confirmation token is missing.");
        };
        let now = (self.clock)();
        let c = match tokens::open_confirmation(&self.key, token, now) {
            Ok(c) => c,
            Err(why) => return self.refused_token(req, why, "confirmation"),
        };
        let ledger = self.ledger()?;
        let outcome = ledger.subscribers().confirm(&c, req.client)?;
        let prefs = self.preferences_link(&c.email, now);
        match outcome {
            Confirmed::Activated | Confirmed::AlreadyActive => {
                if outcome == Confirmed::Activated {
                    (self.mail)(Job::Welcome { email: c.email.clone() });
                }
                self.notice(
                    req,
                    200,
                    "You are subscribed",
                    &[
                        &format!("The weekly AI Salary Trends newsletter now goes to {}.", c.email),
                        "The newest issue is on its way; the next one comes on Monday.",
                    ],
                    Some(Link { href: prefs, text: "Choose your roles or pause".into() }),
                )
            }
            Confirmed::Refused(status) => self.notice(
                req,
                200,
                "Not subscribed",
                &[&format!(
                    "{} is marked {status}, so we do not send to it. Reply to any of our emails if that is a mistake.",
                    c.email
                )],
                None,
            ),
        }
    }

    fn preferences_link(&self, email: &str, now: i64) -> String {
        let token = tokens::preferences(&self.key, email, now + tokens::PREFERENCES_SECONDS);
        // Relative: the page is answered next to /confirm.
        let abs = crate::newsletter::mime::preferences_url("", email, &token);
        abs.trim_start_matches('/').to_string()
    }

    fn preferences(&self, req: &Incoming<'_>, query: &str) -> Result<Reply> {
        let q = form(query.as_bytes());
        let body = if *req.method == Method::Post {
            match parse_body(req) {
                Ok(f) => f,
                Err(why) => return self.bad_request(req, &why),
            }
        } else {
            Fields(Vec::new())
        };
        let field = |name: &str| body.one(name).or_else(|| q.one(name)).map(str::to_string);
        let (Some(email), Some(token)) = (field("email"), field("token")) else {
            return self.bad_request(req, "This preferences link is incomplete.");
        };
        let now = (self.clock)();
        if let Err(why) = tokens::verify_preferences(&self.key, &email, &token, now) {
            return self.refused_token(req, why, "preferences");
        }
        let ledger = self.ledger()?;
        let db = ledger.subscribers();
        let mut saved = "";
        if *req.method == Method::Post {
            match body.one("action").unwrap_or("save") {
                "save" => {
                    let roles = match self.chosen_roles(&body) {
                        Ok(r) => r,
                        Err(why) => return self.bad_request(req, &format!("{why}.")),
                    };
                    let paused = body.one("paused").is_some_and(|v| !v.is_empty());
                    db.save_preferences(&email, &roles, paused)?;
                    saved = "Your preferences are saved.";
                }
                "unsubscribe" => {
                    ledger.unsubscribe(&email, "preferences")?;
                    saved = "You are unsubscribed: no more issues will be sent.";
                }
                "resubscribe" => {
                    db.resubscribe(&email, self.pages.wording(), req.client)?;
                    saved = "You are subscribed again.";
                }
                other => {
                    return self
                        .bad_request(req, &format!("'{other}' is not something this page does."));
                }
            }
        }
        let Some(rec) = db.get(&email)? else {
            return self.notice(
                req,
                404,
                "Not on the list",
                &[&format!("{email} is not on the list.")],
                Some(Link { href: "subscribe".into(), text: "Subscribe".into() }),
            );
        };
        if is_json(req.content_type) {
            return self.notice(req, 200, "Preferences", &[saved], None);
        }
        self.page(
            200,
            "preferences.html",
            context! {
                title => "Your newsletter preferences",
                email => rec.email,
                token,
                status => rec.status.as_str(),
                paused => rec.paused,
                roles => ser(self.role_choices(&rec.roles)),
                saved,
            },
        )
    }

    fn unsubscribe(&self, req: &Incoming<'_>, query: &str) -> Result<Reply> {
        let q = form(query.as_bytes());
        let (Some(email), Some(token)) = (q.one("email"), q.one("token")) else {
            return self.bad_request(req, "This unsubscribe link is incomplete.");
        };
        if !tokens::verify_unsubscribe(&self.key, email, token) {
            return self.notice(
                req,
                403,
                "Link not valid",
                &["This unsubscribe link is not valid. Use the link in the newsletter you received, or reply to it and we will take you off the list."],
                None,
            );
        }
        if *req.method != Method::Post {
            return self.page(
                200,
                "unsubscribe-page.html",
                context! { title => "Unsubscribe", email },
            );
        }
        let one_click = form(req.body).one("List-Unsubscribe") == Some("One-Click");
        if !one_click {
            return self
                .bad_request(req, "An unsubscribe request must carry List-Unsubscribe=One-Click.");
        }
        self.ledger()?.unsubscribe(email, "one-click")?;
        self.notice(
            req,
            200,
            "Unsubscribed",
            &[&format!("{email} will receive no more issues of AI Salary Trends.")],
            None,
        )
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
        // A folder (`/`, `/2026-W47/`) is its index page.
        if rel.as_os_str().is_empty() || self.root.join(&rel).is_dir() {
            rel.push("index.html");
        }
        let content_type = match rel.extension()?.to_str()? {
            "pdf" => "application/pdf",
            "html" => "text/html; charset=utf-8",
            "txt" => "text/plain; charset=utf-8",
            "png" => "image/png",
            "svg" => "image/svg+xml",
            "json" => "application/json",
            "csv" => "text/csv; charset=utf-8",
            "xml" => "application/atom+xml",
            "js" => "text/javascript; charset=utf-8",
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

/// The client's address: the proxy's report (the last `X-Forwarded-For`
/// entry, else `X-Real-IP`) when the connection comes from this machine,
/// else the peer itself, so a client cannot pick its own address.
fn client_address(req: &Request) -> String {
    let peer = req.remote_addr().map(|a| a.ip());
    let from_proxy = peer.is_some_and(|ip| ip.is_loopback());
    let reported = |name: &str| {
        req.headers()
            .iter()
            .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str().to_string())
    };
    if from_proxy {
        let forwarded = reported("X-Forwarded-For")
            .and_then(|v| v.rsplit(',').next().map(|s| s.trim().to_string()))
            .or_else(|| reported("X-Real-IP").map(|v| v.trim().to_string()))
            .filter(|v| v.parse::<IpAddr>().is_ok());
        if let Some(f) = forwarded {
            return f;
        }
    }
    peer.map_or_else(|| "unknown".to_string(), |ip| ip.to_string())
}

fn answer(site: &Site, mut req: Request) {
    let method = req.method().clone();
    let url = req.url().to_string();
    let client = client_address(&req);
    let content_type = req
        .headers()
        .iter()
        .find(|h| h.field.equiv("Content-Type"))
        .map(|h| h.value.as_str().to_string());
    let mut body = Vec::new();
    let too_large = if method == Method::Post {
        let declared = req.body_length().unwrap_or(0);
        declared > MAX_BODY
            || match req.as_reader().take(MAX_BODY as u64 + 1).read_to_end(&mut body) {
                Ok(n) => n > MAX_BODY,
                Err(_) => true,
            }
    } else {
        false
    };
    let incoming = Incoming {
        method: &method,
        url: &url,
        content_type: content_type.as_deref(),
        body: &body,
        client: &client,
    };
    let reply = if too_large {
        site.notice(
            &incoming,
            413,
            "Request too large",
            &[&format!("A request body may be at most {MAX_BODY} bytes.")],
            None,
        )
    } else {
        site.handle(&incoming)
    };
    let reply = reply.unwrap_or_else(|e| {
        eprintln!("error: {method} {}: {e:#}", url.split('?').next().unwrap_or(""));
        Reply {
            status: 500,
            content_type: "text/plain; charset=utf-8",
            headers: Vec::new(),
            body: Body::Bytes(b"Something went wrong. Please try again in a minute.\n".to_vec()),
        }
    });
    let mut headers = vec![
        header("Content-Type", reply.content_type),
        header("X-Content-Type-Options", "nosniff"),
        header("Referrer-Policy", "no-referrer"),
        header(
            "Content-Security-Policy",
            "default-src 'none'; img-src 'self'; script-src 'self'; style-src 'unsafe-inline'; form-action 'self'",
        ),
    ];
    for (name, value) in &reply.headers {
        headers.push(header(name, value));
    }
    let result = match reply.body {
        Body::Bytes(b) => {
            let mut r = Response::from_data(b).with_status_code(reply.status);
            for h in headers {
                r.add_header(h);
            }
            r.add_header(header("Cache-Control", "no-store"));
            req.respond(r)
        }
        Body::File(path) => match std::fs::File::open(&path) {
            Ok(f) => {
                let mut r = Response::from_file(f).with_status_code(reply.status);
                for h in headers {
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

/// Listens on `listen` until the process is stopped. `say` prints the
/// address once listening.
pub fn serve(site: Site, listen: &str, say: &dyn Fn(&str)) -> Result<()> {
    // Create the state database now, so a bad path fails at start.
    Ledger::open(&site.state_db)?;
    let server = Server::http(listen)
        .map_err(|e| Fatal::new(exit::UNAVAILABLE, format!("cannot listen on {listen}: {e}")))?;
    let addr =
        server.server_addr().to_ip().map(|a| a.to_string()).unwrap_or_else(|| listen.to_string());
    say(&format!(
        "serving http://{addr}/ : /subscribe, /confirm, /preferences, /unsubscribe, files from {} (Ctrl-C to stop)",
        site.root.display()
    ));
    let site = Arc::new(site);
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

/// `output/` of a configuration, created and made canonical.
pub fn output_root(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    Ok(dir.canonicalize()?)
}

#[cfg(test)]
mod tests;
