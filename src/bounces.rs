//! Bounces and complaints (spec section 12): mail that came back, read from
//! Maildirs, mbox files and `.eml` files, and classified.
//!
//! - RFC 3464 delivery status notifications (`multipart/report;
//!   report-type=delivery-status`, as Postfix, Exim, Gmail and Microsoft
//!   365 write them): `Action: failed` with a `5.x.x` status is a hard
//!   bounce, a `4.x.x` one (or `Action: delayed`) a soft bounce, anything
//!   delivered or relayed is ignored;
//! - RFC 5965 (ARF) feedback reports (`report-type=feedback-report`) are
//!   complaints;
//! - a message without either that reached a VERP address and states an
//!   SMTP status (`550 5.1.1 …`) is a bounce of that class;
//! - auto-replies (out of office, RFC 3834) and anything else are ignored.
//!
//! Who a message is about comes from, in order: the VERP token of the
//! address it reached, the Message-ID of the original message it quotes,
//! the recipient the report names. The caller resolves the first two
//! through the state database.
//!
//! MIME and mailbox formats are mail-parser's; the DSN and ARF fields (a
//! header-like block per message and per recipient) are read here, since
//! mail-parser leaves those parts as text.

use std::path::{Path, PathBuf};

use mail_parser::{Address, Message, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use crate::model::hex;

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// A permanent failure (5.x.x): the address is suppressed.
    Hard,
    /// A temporary failure (4.x.x): the third within 30 days suppresses.
    Soft,
    /// A spam complaint (feedback report): the address is suppressed.
    Complaint,
    /// An auto-reply, a delivery report that is no failure, or anything else.
    Ignored,
}

impl Class {
    /// The word stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Hard => "hard",
            Class::Soft => "soft",
            Class::Complaint => "complaint",
            Class::Ignored => "ignored",
        }
    }
}

/// One message read from a mailbox.
#[derive(Debug, Clone)]
pub struct Item {
    /// Where it came from: a file, or `mbox:n`.
    pub origin: String,
    /// The message as stored.
    pub bytes: Vec<u8>,
}

/// A source that could not be read, and why.
#[derive(Debug, Clone)]
pub struct Unreadable {
    /// The path (and position for mbox).
    pub origin: String,
    /// Why.
    pub reason: String,
}

/// Reads every message under `path`: a Maildir (`cur/` and `new/`), a
/// folder of `.eml` files, an mbox file, or one message file.
pub fn read(path: &Path, items: &mut Vec<Item>, unreadable: &mut Vec<Unreadable>) {
    let shown = path.display().to_string();
    let mut fail = |origin: String, reason: String| unreadable.push(Unreadable { origin, reason });
    if path.is_dir() {
        if path.join("cur").is_dir() || path.join("new").is_dir() {
            for sub in ["new", "cur"] {
                let dir = path.join(sub);
                if dir.is_dir() {
                    read_folder(&dir, items, &mut fail);
                }
            }
        } else {
            read_folder(path, items, &mut fail);
        }
        return;
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return fail(shown, e.to_string()),
    };
    if bytes.starts_with(b"From ") {
        let mut n = 0;
        for m in mail_parser::mailbox::mbox::MessageIterator::new(bytes.as_slice()) {
            n += 1;
            match m {
                Ok(m) => items.push(Item {
                    origin: format!("{shown} (message {n})"),
                    bytes: m.unwrap_contents(),
                }),
                Err(e) => fail(format!("{shown} (message {n})"), e.to_string()),
            }
        }
    } else {
        items.push(Item { origin: shown, bytes });
    }
}

fn read_folder(dir: &Path, items: &mut Vec<Item>, fail: &mut dyn FnMut(String, String)) {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.flatten().map(|e| e.path()).collect(),
        Err(e) => return fail(dir.display().to_string(), e.to_string()),
    };
    files.sort();
    for f in files {
        let hidden = f.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if hidden || f.is_dir() {
            continue;
        }
        match std::fs::read(&f) {
            Ok(bytes) => items.push(Item { origin: f.display().to_string(), bytes }),
            Err(e) => fail(f.display().to_string(), e.to_string()),
        }
    }
}

/// What a message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// What identifies the message however often it is read: its
    /// Message-ID, else a digest of its bytes.
    pub key: String,
    /// Its class.
    pub class: Class,
    /// The status it reports (`5.1.1`, or the feedback type).
    pub status: Option<String>,
    /// A line for people: the diagnostic, or why it was ignored.
    pub detail: String,
    /// VERP addresses it reached (its To, Delivered-To, X-Original-To, …).
    pub reached: Vec<String>,
    /// The Message-ID of the original message it quotes.
    pub original_id: Option<String>,
    /// The recipient the report names.
    pub recipient: Option<String>,
    /// Its Date, Unix seconds.
    pub date: Option<i64>,
}

/// Why a message could not be read at all.
pub const NOT_MIME: &str = "not a MIME message";

/// Classifies one message.
pub fn classify(bytes: &[u8]) -> Result<Verdict, &'static str> {
    let msg = MessageParser::default().parse(bytes).ok_or(NOT_MIME)?;
    const KNOWN: [&str; 6] = ["from", "to", "date", "subject", "message-id", "content-type"];
    if !msg.headers_raw().any(|(n, _)| KNOWN.iter().any(|k| n.eq_ignore_ascii_case(k))) {
        return Err(NOT_MIME);
    }
    let key = match msg.message_id() {
        Some(id) if !id.trim().is_empty() => format!("<{}>", id.trim()),
        _ => format!("sha256:{}", hex(&Sha256::digest(bytes))),
    };
    let mut v = Verdict {
        key,
        class: Class::Ignored,
        status: None,
        detail: String::new(),
        reached: reached(&msg),
        original_id: None,
        recipient: None,
        date: msg.date().map(|d| d.to_timestamp()),
    };
    let report = msg.content_type().filter(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let report_type =
        report.and_then(|ct| ct.attribute("report-type")).map(|t| t.to_ascii_lowercase());
    let part_of = |sub: &str| {
        msg.parts.iter().find(|p| {
            p.content_type().is_some_and(|ct| {
                ct.ctype().eq_ignore_ascii_case("message")
                    && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case(sub))
            })
        })
    };
    v.original_id = original_message_id(&msg);
    if let Some(fb) = part_of("feedback-report")
        .filter(|_| report_type.as_deref().is_none_or(|t| t == "feedback-report"))
    {
        let blocks = fields(fb.contents());
        reached_in_fields(&blocks, &mut v.reached);
        if let Some(orig) = original(&msg)
            && let Some(rp) = orig.return_address()
            && rp.contains('+')
        {
            v.reached.push(rp.to_string());
        }
        let get =
            |name: &str| blocks.iter().flatten().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        v.class = Class::Complaint;
        v.status = Some(get("feedback-type").unwrap_or_else(|| "abuse".into()));
        v.recipient = get("original-rcpt-to").map(|r| strip_type(&r)).or_else(|| original_to(&msg));
        v.detail = format!(
            "feedback report ({}) from {}",
            v.status.as_deref().unwrap_or("abuse"),
            get("reporting-mta")
                .or_else(|| get("user-agent"))
                .unwrap_or_else(|| "a mailbox provider".into())
        );
        return Ok(v);
    }
    if let Some(ds) = part_of("delivery-status") {
        let blocks = fields(ds.contents());
        // The first per-recipient block that failed or is delayed, else the first.
        let recipients: Vec<_> = blocks
            .iter()
            .filter(|b| b.iter().any(|(n, _)| n == "final-recipient" || n == "original-recipient"))
            .collect();
        let get = |b: &[(String, String)], name: &str| {
            b.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
        };
        let chosen = recipients
            .iter()
            .find(|b| get(b, "action").is_some_and(|a| a.eq_ignore_ascii_case("failed")))
            .or_else(|| {
                recipients
                    .iter()
                    .find(|b| get(b, "action").is_some_and(|a| a.eq_ignore_ascii_case("delayed")))
            })
            .or_else(|| recipients.first());
        if let Some(b) = chosen {
            let action = get(b, "action").unwrap_or_default().to_ascii_lowercase();
            let status =
                get(b, "status").map(|s| s.split_whitespace().next().unwrap_or("").to_string());
            v.recipient = get(b, "final-recipient")
                .or_else(|| get(b, "original-recipient"))
                .map(|r| strip_type(&r));
            v.detail = get(b, "diagnostic-code")
                .map(|d| strip_type(&d))
                .unwrap_or_else(|| format!("action {action}"));
            v.class = match (action.as_str(), status.as_deref().and_then(|s| s.chars().next())) {
                ("failed", Some('5')) => Class::Hard,
                ("failed", Some('4')) | ("delayed", _) => Class::Soft,
                // "failed" without a usable status: a permanent failure as
                // RFC 3464 defines the action.
                ("failed", _) => Class::Hard,
                _ => Class::Ignored,
            };
            if v.class == Class::Ignored {
                v.detail = format!("delivery report, action {action}: not a failure");
            }
            v.status = status;
            return Ok(v);
        }
    }
    if is_auto_reply(&msg) {
        v.detail = "an automatic reply".into();
        return Ok(v);
    }
    // A bare bounce: a status in the text, reaching a VERP address or sent
    // by a mail system.
    let from_system =
        msg.from().and_then(Address::first).and_then(|a| a.address()).is_some_and(|a| {
            let local = a.split('@').next().unwrap_or("").to_ascii_lowercase();
            local == "mailer-daemon" || local == "postmaster"
        });
    if !v.reached.is_empty() || from_system {
        let text: String = msg
            .text_bodies()
            .map(|p| String::from_utf8_lossy(p.contents()).into_owned())
            .collect::<Vec<_>>()
            .join("\n");
        if let Some((status, line)) = smtp_status(&text) {
            v.class = if status.starts_with('5') { Class::Hard } else { Class::Soft };
            v.status = Some(status);
            v.detail = line;
            return Ok(v);
        }
        v.detail = "no delivery status in it".into();
        return Ok(v);
    }
    v.detail = "not a bounce, a complaint or an auto-reply".into();
    Ok(v)
}

/// The addresses the message reached, from the headers a receiving system
/// writes and its To.
fn reached(msg: &Message<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (name, value) in msg.headers_raw() {
        let n = name.to_ascii_lowercase();
        if matches!(
            n.as_str(),
            "delivered-to"
                | "x-original-to"
                | "envelope-to"
                | "to"
                | "x-envelope-to"
                | "return-path"
        ) {
            for part in value.split(',') {
                let addr = part
                    .rsplit_once('<')
                    .map_or(part, |(_, a)| a)
                    .trim()
                    .trim_end_matches('>')
                    .trim();
                if addr.contains('@') && addr.contains('+') {
                    out.push(addr.to_string());
                }
            }
        }
    }
    out
}

/// VERP addresses in a report's own fields (`Original-Mail-From` of a
/// feedback report: the envelope sender of the message complained about).
fn reached_in_fields(blocks: &[Vec<(String, String)>], out: &mut Vec<String>) {
    for (n, v) in blocks.iter().flatten() {
        if n == "original-mail-from" || n == "x-original-mail-from" {
            let a = strip_type(v);
            if a.contains('+') {
                out.push(a);
            }
        }
    }
}

/// The original message a report quotes: its `message/rfc822` part or its
/// `text/rfc822-headers` part.
fn original<'a>(msg: &'a Message<'a>) -> Option<Message<'a>> {
    for p in &msg.parts {
        if let PartType::Message(m) = &p.body {
            return Some(m.clone());
        }
        let is_headers = p.content_type().is_some_and(|ct| {
            ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("rfc822-headers"))
        });
        if is_headers {
            let mut raw = p.contents().to_vec();
            raw.extend_from_slice(b"\r\n\r\n");
            return MessageParser::default().parse(&raw).map(Message::into_owned);
        }
    }
    None
}

fn original_message_id(msg: &Message<'_>) -> Option<String> {
    original(msg).and_then(|m| m.message_id().map(|id| format!("<{}>", id.trim())))
}

fn original_to(msg: &Message<'_>) -> Option<String> {
    original(msg)
        .and_then(|m| m.to().and_then(Address::first).and_then(|a| a.address()).map(str::to_string))
}

/// `rfc822; ada@example.com` → `ada@example.com`.
fn strip_type(v: &str) -> String {
    v.split_once(';').map_or(v, |(_, a)| a).trim().trim_matches(['<', '>']).to_string()
}

/// The blocks of a DSN or feedback report: lower-cased field names, values
/// unfolded.
fn fields(contents: &[u8]) -> Vec<Vec<(String, String)>> {
    let text = String::from_utf8_lossy(contents);
    let mut blocks: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !blocks.last().is_some_and(Vec::is_empty) {
                blocks.push(Vec::new());
            }
            continue;
        }
        let block = blocks.last_mut().expect("one block at least");
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = block.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((n, v)) = line.split_once(':') {
            block.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    blocks.retain(|b| !b.is_empty());
    blocks
}

/// Whether a message is an automatic reply (RFC 3834 and the headers
/// Microsoft, Google and others write), by its headers or subject.
fn is_auto_reply(msg: &Message<'_>) -> bool {
    let raw = |name: &str| {
        msg.headers_raw()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_ascii_lowercase())
    };
    if raw("auto-submitted").is_some_and(|v| v.starts_with("auto-replied")) {
        return true;
    }
    if raw("x-autoreply").is_some()
        || raw("x-autorespond").is_some()
        || raw("x-auto-response-suppress").is_some_and(|v| v.contains("oof"))
    {
        return true;
    }
    if raw("precedence").is_some_and(|v| v == "auto_reply") {
        return true;
    }
    let subject = msg.subject().unwrap_or("").to_ascii_lowercase();
    ["out of office", "automatic reply", "auto-reply", "autoreply", "auto:"]
        .iter()
        .any(|s| subject.starts_with(s))
}

/// The first SMTP status in a text: an enhanced code (`5.1.1`) on a line,
/// or a reply code (`550`) starting one. (status, the line).
fn smtp_status(text: &str) -> Option<(String, String)> {
    for line in text.lines() {
        for word in line.split(|c: char| c.is_whitespace() || "():,#;<>-".contains(c)) {
            let word = word.trim_end_matches('.');
            let parts: Vec<&str> = word.split('.').collect();
            let enhanced = parts.len() == 3
                && matches!(parts[0], "4" | "5")
                && parts[1..].iter().all(|p| {
                    !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit())
                });
            if enhanced {
                return Some((word.to_string(), line.trim().to_string()));
            }
        }
    }
    for line in text.lines() {
        let t = line.trim_start();
        let code = t.get(..3).filter(|c| c.bytes().all(|b| b.is_ascii_digit()));
        let follows = t.as_bytes().get(3).is_none_or(|&b| b == b' ' || b == b'-');
        if let Some(c) = code.filter(|c| follows && (c.starts_with('5') || c.starts_with('4'))) {
            let status = format!("{}.0.0", &c[..1]);
            return Some((status, t.trim().to_string()));
        }
    }
    None
}
