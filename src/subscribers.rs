//! The subscriber list (`subscribers.csv`, spec section 7): addresses, names,
//! followed roles and status. Unusable rows are reported, never dropped
//! silently.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::csvlines::LineCounter;
use crate::roles::Catalog;

/// Delivery status of a subscriber as the list says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Receives the newsletter.
    Active,
    /// Asked not to receive it.
    Unsubscribed,
    /// The address bounced.
    Bounced,
}

/// One subscriber.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subscriber {
    /// Physical line in the file.
    pub line: u64,
    /// Address.
    pub email: String,
    /// Display name (control characters removed), may be empty.
    pub name: String,
    /// Indexes of the followed roles in `roles.toml`.
    pub roles: Vec<u16>,
    /// Status.
    pub status: Status,
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
}

/// The list and its issues.
#[derive(Debug, Clone, Default)]
pub struct SubscriberList {
    /// Usable subscribers, in file order.
    pub subscribers: Vec<Subscriber>,
    /// Rows rejected or corrected.
    pub issues: Vec<SubscriberIssue>,
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

/// Reads `subscribers.csv`. Every row that cannot be used is named in
/// [`SubscriberList::issues`] with its physical line; the others are kept.
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
        let mut issue = |field: &'static str, reason: String| {
            list.issues.push(SubscriberIssue { line, field, reason })
        };
        let email = match check_email(get(Some(email_col))) {
            Ok(e) => e,
            Err(why) => {
                issue("email", format!("{why}; row skipped"));
                continue;
            }
        };
        if !seen.insert(email.to_ascii_lowercase()) {
            issue("email", format!("'{email}' is listed twice; later row skipped"));
            continue;
        }
        let raw_name = get(name_col);
        let name: String = raw_name.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if raw_name.chars().any(char::is_control) {
            issue(
                "name",
                format!("name of '{email}' had control characters; they were replaced by spaces"),
            );
        }
        let mut roles = Vec::new();
        for r in get(roles_col).split(';').map(str::trim).filter(|r| !r.is_empty()) {
            match catalog.role_by_name(r) {
                Some(i) if !roles.contains(&i) => roles.push(i),
                Some(_) => {}
                None => issue("roles", format!("'{email}' follows unknown role '{r}'; ignored")),
            }
        }
        let status = match get(status_col).to_ascii_lowercase().as_str() {
            "" | "active" => Status::Active,
            "unsubscribed" => Status::Unsubscribed,
            "bounced" => Status::Bounced,
            other => {
                issue("status", format!("'{email}' has unknown status '{other}'; not mailed"));
                Status::Unsubscribed
            }
        };
        list.subscribers.push(Subscriber { line, email, name, roles, status });
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
