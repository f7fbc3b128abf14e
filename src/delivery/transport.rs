//! Transports: `file` (an outbox of `.eml` files), `smtp` (lettre's SMTP
//! client, one connection per worker) and `sendmail` (lettre's sendmail
//! transport).
//!
//! The SMTP message body is written to the socket in one write. lettre's own
//! `send` writes the body and then the five-byte end-of-data marker as a
//! second small write; with Nagle's algorithm on (lettre does not set
//! `TCP_NODELAY`) that marker waits for the server's delayed ACK, about 40 ms,
//! which caps a connection near 22 messages per second. Sending MAIL, RCPT,
//! DATA and the dot-stuffed body as single commands avoids the stall without
//! touching the socket.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};

use crate::store;

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Try again later: a 4xx reply, or the connection was lost (`lost`).
    Transient {
        /// The server's reply or the error.
        reply: String,
        /// The connection can no longer be used.
        lost: bool,
    },
    /// Refused for good: a 5xx reply.
    Permanent(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Transient { reply, .. } | Failure::Permanent(reply) => f.write_str(reply),
        }
    }
}

/// Why a connection could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectError {
    /// The server did not answer or answered 4xx: try again later.
    Unavailable(String),
    /// The server cannot be used as configured (no STARTTLS, credentials refused).
    Refused(String),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::Unavailable(s) | ConnectError::Refused(s) => f.write_str(s),
        }
    }
}

/// One message to hand over.
pub struct Outgoing<'a> {
    /// Envelope sender.
    pub from: &'a Address,
    /// Envelope recipient.
    pub to: &'a Address,
    /// The Message-ID, `<…>`.
    pub message_id: &'a str,
    /// The formatted message.
    pub bytes: &'a [u8],
}

/// An open way to hand over messages.
pub trait Channel {
    /// Hands one message over; the server's reply when accepted.
    fn send(&mut self, msg: &Outgoing<'_>) -> Result<String, Failure>;
    /// Closes politely.
    fn close(&mut self) {}
}

/// SMTP settings from the config and the environment.
#[derive(Clone)]
pub struct SmtpSettings {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// `smtps://`: TLS from the first byte.
    pub implicit_tls: bool,
    /// Whether the host is this machine (plain text allowed).
    pub loopback: bool,
    /// User and password, from the environment.
    pub credentials: Option<(String, String)>,
    /// Name sent in EHLO.
    pub hello: String,
    /// Network timeout.
    pub timeout: Duration,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the password.
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("implicit_tls", &self.implicit_tls)
            .field("user", &self.credentials.as_ref().map(|c| &c.0))
            .finish()
    }
}

impl SmtpSettings {
    /// Parses `smtp://host[:port]` (STARTTLS, port 587) or `smtps://host[:port]`
    /// (implicit TLS, port 465). The login, a secret, is set apart
    /// ([`SmtpSettings::credentials`]).
    pub fn parse(url: &str, hello: &str, timeout: Duration) -> Result<Self, String> {
        let bad = |why: &str| format!("delivery.smtp_url '{url}': {why}");
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("not a URL"))?;
        let implicit_tls = match scheme {
            "smtp" => false,
            "smtps" => true,
            _ => return Err(bad("the scheme must be smtp:// or smtps://")),
        };
        if rest.contains('@') {
            return Err(bad(
                "credentials do not belong in the URL; set SALARYTRENDS_SMTP_USER and SALARYTRENDS_SMTP_PASSWORD",
            ));
        }
        let hostport = rest.trim_end_matches('/');
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(':') && !p.contains(']') => {
                (h, p.parse::<u16>().map_err(|_| bad("the port is not a number"))?)
            }
            _ => (hostport, if implicit_tls { 465 } else { 587 }),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        if host.is_empty() || host.contains('/') {
            return Err(bad("no host"));
        }
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        Ok(SmtpSettings {
            host,
            port,
            implicit_tls,
            loopback,
            credentials: None,
            hello: hello.to_string(),
            timeout,
        })
    }
}

/// Where messages go.
#[derive(Debug, Clone)]
pub enum Transport {
    /// `.eml` files in a folder.
    File(PathBuf),
    /// An SMTP server.
    Smtp(SmtpSettings),
    /// The local `sendmail` program.
    Sendmail(String),
}

impl Transport {
    /// A short description for summaries.
    pub fn describe(&self) -> String {
        match self {
            Transport::File(dir) => {
                format!("file outbox {}", dir.strip_prefix(".").unwrap_or(dir).display())
            }
            Transport::Smtp(s) => {
                format!("{}://{}:{}", if s.implicit_tls { "smtps" } else { "smtp" }, s.host, s.port)
            }
            Transport::Sendmail(cmd) => format!("sendmail ({cmd})"),
        }
    }

    /// Opens a channel (for SMTP, a connection).
    pub fn open(&self) -> Result<Box<dyn Channel>, ConnectError> {
        match self {
            Transport::File(dir) => Ok(Box::new(FileChannel { dir: dir.clone() })),
            Transport::Sendmail(cmd) => Ok(Box::new(SendmailChannel {
                inner: lettre::SendmailTransport::new_with_command(cmd),
            })),
            Transport::Smtp(s) => Ok(Box::new(SmtpChannel::connect(s)?)),
        }
    }
}

struct FileChannel {
    dir: PathBuf,
}

impl Channel for FileChannel {
    fn send(&mut self, msg: &Outgoing<'_>) -> Result<String, Failure> {
        // Named after the Message-ID: deterministic, and it does not reveal the address.
        let name: String = msg
            .message_id
            .trim_matches(|c| c == '<' || c == '>')
            .split('@')
            .next()
            .unwrap_or("message")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' })
            .collect();
        let path = self.dir.join(format!("{name}.eml"));
        store::write_atomic(&path, msg.bytes).map_err(|e| Failure::Transient {
            reply: format!("could not write {}: {e:#}", path.display()),
            lost: false,
        })?;
        Ok(format!("written to {}", path.display()))
    }
}

struct SendmailChannel {
    inner: lettre::SendmailTransport,
}

impl Channel for SendmailChannel {
    fn send(&mut self, msg: &Outgoing<'_>) -> Result<String, Failure> {
        use lettre::Transport as _;
        let envelope = lettre::address::Envelope::new(Some(msg.from.clone()), vec![msg.to.clone()])
            .map_err(|e| Failure::Permanent(e.to_string()))?;
        self.inner
            .send_raw(&envelope, msg.bytes)
            .map(|()| "handed to sendmail".to_string())
            .map_err(|e| Failure::Transient { reply: format!("sendmail: {e}"), lost: false })
    }
}

struct SmtpChannel {
    conn: SmtpConnection,
    eight_bit: bool,
}

/// The message body as one DATA write: lines starting with a dot get
/// another dot, and the end marker follows.
struct DataBody<'a>(&'a str);

impl fmt::Display for DataBody<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in self.0.split_inclusive('\n') {
            if line.starts_with('.') {
                f.write_str(".")?;
            }
            f.write_str(line)?;
        }
        if !self.0.ends_with("\r\n") {
            f.write_str("\r\n")?;
        }
        f.write_str(".\r\n")
    }
}

fn reply_text(r: &lettre::transport::smtp::response::Response) -> String {
    let lines: Vec<&str> = r.message().collect();
    format!("{} {}", r.code(), lines.join(" "))
}

fn describe(e: &lettre::transport::smtp::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(cause) = src {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        src = cause.source();
    }
    s
}

impl SmtpChannel {
    fn connect(s: &SmtpSettings) -> Result<SmtpChannel, ConnectError> {
        let hello = ClientId::Domain(s.hello.clone());
        let tls = || {
            TlsParameters::new(s.host.clone())
                .map_err(|e| ConnectError::Refused(format!("TLS set-up failed: {}", describe(&e))))
        };
        let classify = |e: lettre::transport::smtp::Error| {
            if e.is_permanent() {
                ConnectError::Refused(format!("{}:{}: {}", s.host, s.port, describe(&e)))
            } else {
                ConnectError::Unavailable(format!("{}:{}: {}", s.host, s.port, describe(&e)))
            }
        };
        let implicit = if s.implicit_tls { Some(tls()?) } else { None };
        let mut conn = SmtpConnection::connect(
            (s.host.as_str(), s.port),
            Some(s.timeout),
            &hello,
            implicit.as_ref(),
            None,
        )
        .map_err(classify)?;
        if !conn.is_encrypted() {
            if conn.can_starttls() {
                conn.starttls(&tls()?, &hello).map_err(classify)?;
            } else if !s.loopback {
                conn.abort();
                return Err(ConnectError::Refused(format!(
                    "{}:{} does not offer STARTTLS; plain-text SMTP is only used on this machine (use smtps:// for implicit TLS)",
                    s.host, s.port
                )));
            }
        }
        if let Some((user, password)) = &s.credentials {
            let creds = Credentials::new(user.clone(), password.clone());
            conn.auth(&[Mechanism::Plain, Mechanism::Login], &creds).map_err(|e| {
                if e.is_transient() {
                    ConnectError::Unavailable(format!("authentication: {}", describe(&e)))
                } else {
                    ConnectError::Refused(format!("authentication refused: {}", describe(&e)))
                }
            })?;
        }
        let eight_bit = conn.server_info().supports_feature(Extension::EightBitMime);
        Ok(SmtpChannel { conn, eight_bit })
    }

    fn transaction(
        &mut self,
        msg: &Outgoing<'_>,
    ) -> Result<String, lettre::transport::smtp::Error> {
        let mut params = Vec::new();
        if !msg.bytes.is_ascii() && self.eight_bit {
            params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        self.conn.command(Mail::new(Some(msg.from.clone()), params))?;
        self.conn.command(Rcpt::new(msg.to.clone(), vec![]))?;
        self.conn.command(Data)?;
        let reply = match std::str::from_utf8(msg.bytes) {
            Ok(text) => self.conn.command(DataBody(text))?,
            // Not UTF-8 (never the case for messages built here): lettre's encoder.
            Err(_) => self.conn.message(msg.bytes)?,
        };
        Ok(reply_text(&reply))
    }
}

impl Channel for SmtpChannel {
    fn send(&mut self, msg: &Outgoing<'_>) -> Result<String, Failure> {
        match self.transaction(msg) {
            Ok(reply) => Ok(reply),
            Err(e) if e.is_transient() || e.is_permanent() => {
                // The server refused this message; the connection stays usable
                // once the transaction is reset.
                let lost = self.conn.command(Rset).is_err();
                let reply = describe(&e);
                if e.is_permanent() {
                    Err(Failure::Permanent(reply))
                } else {
                    Err(Failure::Transient { reply, lost })
                }
            }
            Err(e) => {
                self.conn.abort();
                Err(Failure::Transient { reply: describe(&e), lost: true })
            }
        }
    }

    fn close(&mut self) {
        let _ = self.conn.quit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_dot_stuffed_and_terminated() {
        assert_eq!(DataBody("a\r\n.b\r\n..\r\n").to_string(), "a\r\n..b\r\n...\r\n.\r\n");
        assert_eq!(DataBody("no newline").to_string(), "no newline\r\n.\r\n");
        assert_eq!(DataBody(".first").to_string(), "..first\r\n.\r\n");
    }

    #[test]
    fn smtp_urls_parse_with_their_defaults() {
        let t = Duration::from_secs(5);
        let s = SmtpSettings::parse("smtp://127.0.0.1:2525", "x", t).unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.implicit_tls, s.loopback),
            ("127.0.0.1", 2525, false, true)
        );
        let s = SmtpSettings::parse("smtps://smtp.example.com", "x", t).unwrap();
        assert_eq!((s.port, s.implicit_tls, s.loopback), (465, true, false));
        let s = SmtpSettings::parse("smtp://[::1]:25", "x", t).unwrap();
        assert_eq!((s.host.as_str(), s.port, s.loopback), ("::1", 25, true));
        assert!(SmtpSettings::parse("http://x", "x", t).is_err());
        assert!(
            SmtpSettings::parse("smtp://u:p@x", "x", t)
                .unwrap_err()
                .contains("SALARYTRENDS_SMTP_USER")
        );
        assert!(SmtpSettings::parse("smtp://x:port", "x", t).is_err());
    }
}
