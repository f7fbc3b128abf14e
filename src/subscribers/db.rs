//! The subscriber table of the state database: one row per address (the
//! key is the address lower-cased), its name, followed roles (slugs), status,
//! a pause flag and the consent record (when, how, which wording of the form,
//! the client address the proxy reported).
//!
//! The status is what `send` goes by. The ledger's `unsubscribes` and
//! `suppressions` tables keep their history; they decide the status of an
//! address the table does not know yet (a list imported into a database made
//! before subscribers moved in).

use rusqlite::{Connection, OptionalExtension, Row as SqlRow, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Row, Status, Subscriber};
use crate::model::hex;
use crate::roles::Catalog;
use crate::tokens::Confirmation;

/// Creates the table (schema version 1 of the state database).
pub const SCHEMA: &str = "
CREATE TABLE subscribers (
    id               INTEGER PRIMARY KEY,
    email            TEXT NOT NULL UNIQUE,
    address          TEXT NOT NULL,
    name             TEXT NOT NULL DEFAULT '',
    roles            TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL
                     CHECK (status IN ('pending','active','unsubscribed','bounced','complained')),
    paused           INTEGER NOT NULL DEFAULT 0,
    consent_at       TEXT,
    consent_method   TEXT CHECK (consent_method IN ('import','form')),
    consent_wording  TEXT,
    consent_client   TEXT,
    imported_row     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE TABLE signup_requests (
    email  TEXT NOT NULL,
    at     INTEGER NOT NULL
);
CREATE INDEX signup_requests_by_email ON signup_requests (email, at);
";

/// How and when an address agreed to be mailed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Consent {
    /// When (RFC 3339, UTC).
    pub at: Option<String>,
    /// `import` or `form`.
    pub method: Option<String>,
    /// The wording version of the form (`subscribe.html@<digest>`).
    pub wording: Option<String>,
    /// The client address the proxy reported for the confirming request.
    pub client: Option<String>,
}

/// A subscriber as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// The address as given.
    pub email: String,
    /// Display name, may be empty.
    pub name: String,
    /// Slugs of the followed roles.
    pub roles: Vec<String>,
    /// Status.
    pub status: Status,
    /// Whether the reader paused the newsletter.
    pub paused: bool,
    /// The consent record.
    pub consent: Consent,
    /// When the row was created.
    pub created_at: String,
    /// When the row last changed.
    pub updated_at: String,
}

impl Record {
    /// The subscriber a message is written for; roles no longer in the
    /// catalogue are left out.
    pub fn subscriber(&self, catalog: &Catalog) -> Subscriber {
        let mut roles = Vec::new();
        for slug in &self.roles {
            if let Some(i) = catalog.role_by_name(slug).filter(|i| !roles.contains(i)) {
                roles.push(i);
            }
        }
        Subscriber {
            email: self.email.clone(),
            name: self.name.clone(),
            roles,
            status: self.status,
        }
    }

    /// Whether `send` mails this address.
    pub fn receives(&self) -> bool {
        self.status == Status::Active && !self.paused
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// New addresses.
    pub added: usize,
    /// Addresses whose row changed since the last import.
    pub updated: usize,
    /// Rows as they were last imported: left alone, so that changes made
    /// on the preferences page stand.
    pub unchanged: usize,
    /// Addresses the file says are active that unsubscribed, bounced or
    /// complained: their status was kept.
    pub kept: Vec<(String, Status)>,
}

/// What confirming did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// The address is now active.
    Activated,
    /// It was active already; nothing changed.
    AlreadyActive,
    /// It complained: it stays as it is until an operator lifts that.
    Refused(Status),
}

/// The subscriber table, on the state database's connection.
pub struct SubscriberDb<'a> {
    conn: &'a Connection,
    now: String,
}

const COLUMNS: &str = "address, name, roles, status, paused, consent_at, consent_method, consent_wording, consent_client, created_at, updated_at";

fn record(r: &SqlRow<'_>) -> rusqlite::Result<Record> {
    let roles: String = r.get(2)?;
    let status: String = r.get(3)?;
    Ok(Record {
        email: r.get(0)?,
        name: r.get(1)?,
        roles: split_roles(&roles),
        status: Status::parse(&status).unwrap_or(Status::Unsubscribed),
        paused: r.get::<_, i64>(4)? != 0,
        consent: Consent {
            at: r.get(5)?,
            method: r.get(6)?,
            wording: r.get(7)?,
            client: r.get(8)?,
        },
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
    })
}

fn split_roles(s: &str) -> Vec<String> {
    s.split(';').map(str::trim).filter(|r| !r.is_empty()).map(String::from).collect()
}

/// Role slugs as stored: in the order given, once each.
fn join_roles<S: AsRef<str>>(slugs: &[S]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for s in slugs {
        if !out.contains(&s.as_ref()) {
            out.push(s.as_ref());
        }
    }
    out.join(";")
}

fn key(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

impl<'a> SubscriberDb<'a> {
    /// The table on `conn`; `now` is the time written into changed rows.
    pub fn new(conn: &'a Connection, now: String) -> Self {
        SubscriberDb { conn, now }
    }

    /// One address's row.
    pub fn get(&self, email: &str) -> rusqlite::Result<Option<Record>> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM subscribers WHERE email = ?1"),
                [key(email)],
                record,
            )
            .optional()
    }

    /// Every row (or those with one status), in the order they were added.
    pub fn list(&self, status: Option<Status>) -> rusqlite::Result<Vec<Record>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM subscribers WHERE ?1 IS NULL OR status = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([status.map(Status::as_str)], record)?;
        rows.collect()
    }

    /// The status the ledger's history gives an address the table does not know.
    fn history_status(&self, email: &str) -> rusqlite::Result<Option<Status>> {
        let in_table = |sql: &str| -> rusqlite::Result<bool> {
            Ok(self.conn.query_row(sql, [key(email)], |_| Ok(())).optional()?.is_some())
        };
        Ok(if in_table("SELECT 1 FROM suppressions WHERE email = ?1")? {
            Some(Status::Bounced)
        } else if in_table("SELECT 1 FROM unsubscribes WHERE email = ?1")? {
            Some(Status::Unsubscribed)
        } else {
            None
        })
    }

    /// Upserts the rows of a subscriber CSV, in one transaction. A row as
    /// it was last imported changes nothing (the reader's own changes stand);
    /// a changed row updates the name, roles and status, except that an
    /// address that unsubscribed, bounced or complained is never made active
    /// or pending again by an import.
    pub fn import(&self, rows: &[Row], catalog: &Catalog) -> rusqlite::Result<ImportSummary> {
        let tx = self.conn.unchecked_transaction()?;
        let mut summary = ImportSummary::default();
        for row in rows {
            let s = &row.subscriber;
            let slugs: Vec<&str> = s
                .roles
                .iter()
                .filter_map(|&i| catalog.roles.get(usize::from(i)).map(|r| r.slug.as_str()))
                .collect();
            let roles = join_roles(&slugs);
            let digest = {
                let mut h = Sha256::new();
                for f in [key(&s.email).as_str(), &s.name, &roles, s.status.as_str()] {
                    h.update((f.len() as u64).to_le_bytes());
                    h.update(f);
                }
                hex(&h.finalize()[..16])
            };
            let current: Option<(Status, Option<String>)> = tx
                .query_row(
                    "SELECT status, imported_row FROM subscribers WHERE email = ?1",
                    [key(&s.email)],
                    |r| {
                        let st: String = r.get(0)?;
                        Ok((Status::parse(&st).unwrap_or(Status::Unsubscribed), r.get(1)?))
                    },
                )
                .optional()?;
            if current.as_ref().is_some_and(|(_, last)| last.as_deref() == Some(digest.as_str())) {
                summary.unchanged += 1;
                continue;
            }
            // Who said no: the row's status, or for a new address the
            // ledger's history. An import never makes them active again.
            let withdrawn = match &current {
                None => self.history_status(&s.email)?,
                Some((st, _)) => Some(*st).filter(|st| st.is_withdrawn()),
            };
            let status = match withdrawn {
                Some(w) if matches!(s.status, Status::Active | Status::Pending) => {
                    summary.kept.push((s.email.clone(), w));
                    w
                }
                _ => s.status,
            };
            // A new row's consent is the import; an existing row keeps its own.
            tx.execute(
                "INSERT INTO subscribers (email, address, name, roles, status, consent_at,
                     consent_method, imported_row, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'import', ?7, ?6, ?6)
                 ON CONFLICT (email) DO UPDATE SET address = excluded.address,
                     name = excluded.name, roles = excluded.roles, status = excluded.status,
                     imported_row = excluded.imported_row, updated_at = excluded.updated_at",
                params![key(&s.email), s.email, s.name, roles, status.as_str(), self.now, digest],
            )?;
            if current.is_none() {
                summary.added += 1;
            } else {
                summary.updated += 1;
            }
        }
        tx.commit()?;
        Ok(summary)
    }

    /// A sign-up on the form: a new address becomes `pending` with the
    /// choices made; a pending one takes the new choices; any other row is
    /// left as it is (its owner confirms the choices through the link).
    /// Returns the status before.
    pub fn sign_up(
        &self,
        email: &str,
        name: &str,
        roles: &[String],
    ) -> rusqlite::Result<Option<Status>> {
        let before = self.get(email)?.map(|r| r.status);
        match before {
            None => {
                self.conn.execute(
                    "INSERT INTO subscribers (email, address, name, roles, status, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5)",
                    params![key(email), email.trim(), name, join_roles(roles), self.now],
                )?;
            }
            Some(Status::Pending) => {
                self.conn.execute(
                    "UPDATE subscribers SET address = ?2, name = ?3, roles = ?4, updated_at = ?5
                     WHERE email = ?1",
                    params![key(email), email.trim(), name, join_roles(roles), self.now],
                )?;
            }
            Some(_) => {}
        }
        Ok(before)
    }

    /// The times (Unix seconds) of an address's sign-up requests since `since`, oldest first.
    pub fn signup_requests(&self, email: &str, since: i64) -> rusqlite::Result<Vec<i64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT at FROM signup_requests WHERE email = ?1 AND at >= ?2 ORDER BY at")?;
        let times = stmt.query_map(params![key(email), since], |r| r.get(0))?;
        times.collect()
    }

    /// Records a sign-up request at `at`, forgetting those older than a day.
    pub fn note_signup_request(&self, email: &str, at: i64) -> rusqlite::Result<()> {
        self.conn.execute("DELETE FROM signup_requests WHERE at < ?1", [at - 24 * 3600])?;
        self.conn.execute(
            "INSERT INTO signup_requests (email, at) VALUES (?1, ?2)",
            params![key(email), at],
        )?;
        Ok(())
    }

    /// Confirms a sign-up: the address becomes active with the choices the
    /// link carries, and the consent is recorded. A bounced address that
    /// confirms has shown that it receives mail: its suppression is lifted.
    pub fn confirm(&self, c: &Confirmation, client: &str) -> rusqlite::Result<Confirmed> {
        let tx = self.conn.unchecked_transaction()?;
        let before = self.get(&c.email)?;
        let outcome = match before.as_ref().map(|r| r.status) {
            Some(Status::Active) => Confirmed::AlreadyActive,
            Some(Status::Complained) => Confirmed::Refused(Status::Complained),
            _ => {
                if before.is_none() {
                    tx.execute(
                        "INSERT INTO subscribers (email, address, status, created_at, updated_at)
                         VALUES (?1, ?2, 'pending', ?3, ?3)",
                        params![key(&c.email), c.email.trim(), self.now],
                    )?;
                }
                tx.execute(
                    "UPDATE subscribers SET status = 'active', paused = 0, name = ?2, roles = ?3,
                         consent_at = ?4, consent_method = 'form', consent_wording = ?5,
                         consent_client = ?6, updated_at = ?4
                     WHERE email = ?1",
                    params![
                        key(&c.email),
                        c.name,
                        join_roles(&c.roles),
                        self.now,
                        c.wording,
                        client
                    ],
                )?;
                tx.execute("DELETE FROM suppressions WHERE email = ?1", [key(&c.email)])?;
                Confirmed::Activated
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    /// Forgets sign-ups from the form that were never confirmed and were
    /// made before `before` (RFC 3339, as the table's times): their link has
    /// expired and no consent was given, so nothing of them is kept.
    /// Pending rows from an import are the operator's and stay.
    pub fn forget_unconfirmed(&self, before: &str) -> rusqlite::Result<usize> {
        self.conn.execute(
            "DELETE FROM subscribers
             WHERE status = 'pending' AND consent_method IS NULL AND created_at < ?1",
            [before],
        )
    }

    /// Saves the preferences page: the roles followed and the pause.
    /// `false` when the address is not on the list.
    pub fn save_preferences(
        &self,
        email: &str,
        roles: &[String],
        paused: bool,
    ) -> rusqlite::Result<bool> {
        Ok(self.conn.execute(
            "UPDATE subscribers SET roles = ?2, paused = ?3, updated_at = ?4 WHERE email = ?1",
            params![key(email), join_roles(roles), paused, self.now],
        )? == 1)
    }

    /// An unsubscribed reader subscribes again from their preferences page
    /// (the link proves the mailbox is theirs): active, consent recorded.
    pub fn resubscribe(&self, email: &str, wording: &str, client: &str) -> rusqlite::Result<bool> {
        Ok(self.conn.execute(
            "UPDATE subscribers SET status = 'active', paused = 0, consent_at = ?2,
                 consent_method = 'form', consent_wording = ?3, consent_client = ?4, updated_at = ?2
             WHERE email = ?1 AND status = 'unsubscribed'",
            params![key(email), self.now, wording, client],
        )? == 1)
    }
}

#[cfg(test)]
mod tests {
    use crate::delivery::ledger::Ledger;
    use crate::subscribers::Status;

    #[test]
    fn unconfirmed_sign_ups_are_forgotten_once_their_link_expired() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::open(&dir.path().join("state.sqlite")).unwrap();
        let db = l.subscribers();
        db.sign_up("old@example.org", "", &[]).unwrap();
        db.sign_up("new@example.org", "", &[]).unwrap();
        db.conn
            .execute(
                "UPDATE subscribers SET created_at = '2026-01-01T00:00:00.000Z' WHERE email = 'old@example.org'",
                [],
            )
            .unwrap();
        // An imported pending row of the same age stays.
        db.conn
            .execute(
                "INSERT INTO subscribers (email, address, status, consent_method, consent_at, created_at, updated_at)
                 VALUES ('csv@example.org', 'csv@example.org', 'pending', 'import', '2026-01-01T00:00:00.000Z',
                         '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
                [],
            )
            .unwrap();
        assert_eq!(db.forget_unconfirmed("2026-06-01T00:00:00.000Z").unwrap(), 1);
        assert!(db.get("old@example.org").unwrap().is_none());
        assert_eq!(db.get("new@example.org").unwrap().unwrap().status, Status::Pending);
        assert!(db.get("csv@example.org").unwrap().is_some());
    }
}
