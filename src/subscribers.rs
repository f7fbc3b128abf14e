//! The subscriber list (`subscribers.csv`, spec section 7): addresses, names,
//! followed roles and status. Unusable rows are reported, never dropped
//! silently.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

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
    /// Line in the file.
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
    /// Line in the file.
    pub line: u64,
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

/// Whether an address is plausible: one `@`, no white space or control
/// characters, no characters that would break a header.
pub fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.contains('@')
        && e.chars().all(|c| {
            c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | ',' | ';' | '(' | ')' | '\\')
        })
}

/// Reads `subscribers.csv`.
pub fn load(path: &Path, catalog: &Catalog) -> Result<SubscriberList> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("failed to read subscribers '{}'", path.display()))?;
    let headers = rdr.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let email_col = col("email")
        .with_context(|| format!("{}: missing required column email", path.display()))?;
    let (name_col, roles_col, status_col) = (col("name"), col("roles"), col("status"));
    let mut list = SubscriberList::default();
    let mut seen = std::collections::HashSet::new();
    for rec in rdr.records() {
        let rec =
            rec.with_context(|| format!("failed to read subscribers '{}'", path.display()))?;
        let line = rec.position().map_or(0, |p| p.line());
        let get = |c: Option<usize>| c.and_then(|i| rec.get(i)).unwrap_or("").trim();
        let email = get(Some(email_col)).to_string();
        let mut issue = |reason: String| list.issues.push(SubscriberIssue { line, reason });
        if !valid_email(&email) {
            issue(format!("email '{}' is not a valid address; row skipped", email.escape_debug()));
            continue;
        }
        if !seen.insert(email.to_ascii_lowercase()) {
            issue(format!("email '{email}' is listed twice; later row skipped"));
            continue;
        }
        let raw_name = get(name_col);
        let name: String = raw_name.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if raw_name.chars().any(char::is_control) {
            issue(format!(
                "name of '{email}' had control characters; they were replaced by spaces"
            ));
        }
        let mut roles = Vec::new();
        for r in get(roles_col).split(';').map(str::trim).filter(|r| !r.is_empty()) {
            match catalog.role_by_name(r) {
                Some(i) if !roles.contains(&i) => roles.push(i),
                Some(_) => {}
                None => issue(format!("'{email}' follows unknown role '{r}'; ignored")),
            }
        }
        let status = match get(status_col).to_ascii_lowercase().as_str() {
            "" | "active" => Status::Active,
            "unsubscribed" => Status::Unsubscribed,
            "bounced" => Status::Bounced,
            other => {
                issue(format!("'{email}' has unknown status '{other}'; not mailed"));
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
    }
}
