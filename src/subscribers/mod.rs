//! Subscribers (spec sections 7 and 11): who gets the newsletter, with the
//! roles they follow and their status. The list lives in the state database
//! ([`db`]); a CSV file (`email,name,roles,status`) can be imported into it,
//! and its rows that cannot be used are named with their physical line,
//! never dropped silently.

pub mod db;

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::csvlines::LineCounter;
use crate::roles::Catalog;

/// Where a subscriber stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Signed up on the form; not confirmed yet, not mailed.
    Pending,
    /// Receives the newsletter.
    Active,
    /// Asked not to receive it.
    Unsubscribed,
    /// The address bounced for good.
    Bounced,
    /// The reader reported a message as spam.
    Complained,
}

impl Status {
    /// Every status, in the order the spec lists them.
    pub const ALL: [Status; 5] = [
        Status::Pending,
        Status::Active,
        Status::Unsubscribed,
        Status::Bounced,
        Status::Complained,
    ];

    /// The word stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Active => "active",
            Status::Unsubscribed => "unsubscribed",
            Status::Bounced => "bounced",
            Status::Complained => "complained",
        }
    }

    /// The status a word names (case-insensitive).
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Whether the reader (or their mailbox) said no: an import never
    /// makes such an address active again.
    pub fn is_withdrawn(self) -> bool {
        matches!(self, Status::Unsubscribed | Status::Bounced | Status::Complained)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One subscriber, as a message is written for them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subscriber {
    /// Address.
    pub email: String,
    /// Display name (control characters removed), may be empty.
    pub name: String,
    /// Indexes of the followed roles in `roles.toml`.
    pub roles: Vec<u16>,
    /// Status.
    pub status: Status,
}

/// A usable row of a subscriber CSV.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Physical line in the file.
    pub line: u64,
    /// The subscriber the row describes.
    pub subscriber: Subscriber,
}

/// A row that could not be used as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubscriberIssue {
    /// Physical line in the file.
    pub line: u64,
    /// The column at fault.
    pub field: &'static str,
    /// What was wrong and what was done.
    pub reason: String,
    /// Whether the row was skipped (otherwise it was used, corrected).
    pub skipped: bool,
}

/// The rows of a subscriber CSV and its issues.
#[derive(Debug, Clone, Default)]
pub struct SubscriberList {
    /// Usable rows, in file order.
    pub rows: Vec<Row>,
    /// Rows rejected or corrected.
    pub issues: Vec<SubscriberIssue>,
}

impl SubscriberList {
    /// Rows skipped.
    pub fn skipped(&self) -> usize {
        self.issues.iter().filter(|i| i.skipped).count()
    }
}

/// A display name as stored: control characters become spaces, runs of
/// white space one space, at most 100 characters.
pub fn clean_name(raw: &str) -> String {
    let spaced: String = raw.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(100).collect()
}

/// Checks an address with the parser that sends it (lettre's), plus what
/// a list of real readers needs: a dotted domain, and nothing that could
/// break a header. Returns the address as it will be used, or why not.
pub fn check_email(e: &str) -> Result<String, String> {
    let addr: lettre::Address = e
        .parse()
        .map_err(|err| format!("'{}' is not a valid address ({err})", e.escape_debug()))?;
    let header_safe = e.chars().all(|c| {
        c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | ',' | ';' | '(' | ')' | '\\')
    });
    if !header_safe {
        return Err(format!(
            "'{}' has characters an address header cannot carry",
            e.escape_debug()
        ));
    }
    if !addr.domain().contains('.') || addr.domain().starts_with('.') {
        return Err(format!("'{e}' has no dotted domain"));
    }
    Ok(addr.to_string())
}

/// Whether [`check_email`] accepts an address.
pub fn valid_email(e: &str) -> bool {
    check_email(e).is_ok()
}

/// Reads a subscriber CSV (`email,name,roles,status`; roles are slugs or
/// names separated by `;`). A row with a malformed or repeated address, an
/// unknown role or an unknown status is named in
/// [`SubscriberList::issues`] with its physical line and skipped; the others
/// are kept. Errors only for a file that cannot be read as CSV.
pub fn load(path: &Path, catalog: &Catalog) -> Result<SubscriberList> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("failed to read subscribers '{}'", path.display()))?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let lines = LineCounter::new(body, 1);
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(body);
    let headers = rdr
        .headers()
        .with_context(|| format!("failed to read subscribers '{}'", path.display()))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let email_col = col("email")
        .with_context(|| format!("{}: missing required column email", path.display()))?;
    let (name_col, roles_col, status_col) = (col("name"), col("roles"), col("status"));
    let mut list = SubscriberList::default();
    let mut seen = std::collections::HashSet::new();
    for rec in rdr.records() {
        let rec =
            rec.with_context(|| format!("failed to read subscribers '{}'", path.display()))?;
        let line = rec.position().map_or(0, |p| lines.record_line(p));
        let get = |c: Option<usize>| c.and_then(|i| rec.get(i)).unwrap_or("").trim();
        let mut issue = |field: &'static str, reason: String, skipped: bool| {
            list.issues.push(SubscriberIssue { line, field, reason, skipped })
        };
        let email = match check_email(get(Some(email_col))) {
            Ok(e) => e,
            Err(why) => {
                issue("email", format!("{why}; row skipped"), true);
                continue;
            }
        };
        if !seen.insert(email.to_ascii_lowercase()) {
            issue("email", format!("'{email}' is listed twice; later row skipped"), true);
            continue;
        }
        let mut roles = Vec::new();
        let mut unknown = Vec::new();
        for r in get(roles_col).split(';').map(str::trim).filter(|r| !r.is_empty()) {
            match catalog.role_by_name(r) {
                Some(i) if !roles.contains(&i) => roles.push(i),
                Some(_) => {}
                None => unknown.push(r),
            }
        }
        if !unknown.is_empty() {
            let which = unknown.iter().map(|r| format!("'{r}'")).collect::<Vec<_>>().join(", ");
            issue(
                "roles",
                format!("'{email}' follows {which}, not in the role catalogue; row skipped"),
                true,
            );
            continue;
        }
        let raw_status = get(status_col);
        let status =
            if raw_status.is_empty() { Some(Status::Active) } else { Status::parse(raw_status) };
        let Some(status) = status else {
            issue(
                "status",
                format!(
                    "'{email}' has unknown status '{raw_status}' (use one of pending, active, unsubscribed, bounced, complained); row skipped"
                ),
                true,
            );
            continue;
        };
        let raw_name = get(name_col);
        if raw_name.chars().any(char::is_control) {
            issue(
                "name",
                format!("name of '{email}' had control characters; they were replaced by spaces"),
                false,
            );
        }
        let subscriber = Subscriber { email, name: clean_name(raw_name), roles, status };
        list.rows.push(Row { line, subscriber });
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_that_could_break_headers_are_invalid() {
        assert!(valid_email("ada.lovelace1@example.com"));
        assert!(!valid_email("ada@example.com\r\nBcc: x@evil.test"));
        assert!(!valid_email("<ada@example.com>"));
        assert!(!valid_email("ada example.com"));
        assert!(!valid_email("ada@localhost"));
        // What the sending parser refuses is refused here, not at send time.
        assert!(!valid_email("typo@example..com"));
    }
}
