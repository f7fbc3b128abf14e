//! The delivery ledger: one SQLite row per (week, address) with its status,
//! attempts, the server's last reply, the Message-ID and times; plus the
//! addresses that must never be mailed again (unsubscribed through the
//! endpoint, or refused permanently by a server).
//!
//! The same database holds the subscribers ([`crate::subscribers::db`]).
//! Its schema version is SQLite's `user_version`; [`Ledger::open`] brings a
//! database made by an earlier version up to date, keeping every row.
//!
//! A row becomes `sent` only after the server accepted the message. A row
//! left `sending` by a crash is retried by the next run, so at most the
//! messages in flight at the crash can arrive twice.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, params};

use crate::subscribers::db::SubscriberDb;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Queued, not tried yet.
    Pending,
    /// Handed to the server; the outcome is not recorded yet.
    Sending,
    /// The server accepted it.
    Sent,
    /// Refused for now (4xx or a lost connection); a rerun tries again.
    Deferred,
    /// Refused for good (5xx); the address is suppressed.
    Failed,
}

impl Status {
    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Deferred => "deferred",
            Status::Failed => "failed",
        }
    }
}

/// Row counts of one week by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Not tried yet.
    pub pending: u64,
    /// In flight when a run stopped.
    pub sending: u64,
    /// Accepted.
    pub sent: u64,
    /// Refused for now.
    pub deferred: u64,
    /// Refused for good.
    pub failed: u64,
}

impl Counts {
    /// Rows a run still has to deliver.
    pub fn left(&self) -> u64 {
        self.pending + self.sending + self.deferred
    }
}

/// Version 0: the ledger as the first versions wrote it (applied to new
/// databases; a no-op on existing ones).
const SCHEMA_V0: &str = "
CREATE TABLE IF NOT EXISTS deliveries (
    week        TEXT NOT NULL,
    email       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending','sending','sent','deferred','failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_reply  TEXT,
    message_id  TEXT NOT NULL,
    queued_at   TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    sent_at     TEXT,
    PRIMARY KEY (week, email)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS suppressions (
    email   TEXT PRIMARY KEY,
    reason  TEXT NOT NULL,
    at      TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS unsubscribes (
    email   TEXT PRIMARY KEY,
    source  TEXT NOT NULL,
    at      TEXT NOT NULL
) WITHOUT ROWID;
";

/// The steps from each schema version to the next: `MIGRATIONS[i]` turns
/// version `i + 1` into `i + 2` (version 1 is [`SCHEMA_V0`] and what it made).
const MIGRATIONS: &[&str] = &[crate::subscribers::db::SCHEMA, SCHEMA_BOUNCES];

/// Version 3: VERP tokens and the bounce and complaint messages ingested.
const SCHEMA_BOUNCES: &str = "
CREATE TABLE verp (
    token  TEXT PRIMARY KEY,
    email  TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE bounce_messages (
    key          TEXT PRIMARY KEY,
    email        TEXT,
    class        TEXT NOT NULL CHECK (class IN ('hard','soft','complaint','ignored')),
    status       TEXT,
    detail       TEXT,
    received_at  INTEGER NOT NULL,
    counts       INTEGER NOT NULL DEFAULT 1,
    source       TEXT NOT NULL,
    ingested_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX bounce_messages_by_email ON bounce_messages (email, class, received_at);
CREATE INDEX deliveries_by_message_id ON deliveries (message_id);
";

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64 + 1;

/// The state database.
pub struct Ledger {
    conn: Connection,
}

/// The time recorded in the state database (operational records, never in reports).
pub(crate) fn now() -> String {
    #[allow(clippy::disallowed_methods, reason = "delivery times are operational records")]
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The time `days` days ago, as [`now`] writes times.
pub(crate) fn days_ago(days: i64) -> String {
    #[allow(clippy::disallowed_methods, reason = "operational records, never in reports")]
    let now = chrono::Utc::now();
    (now - chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The key an address is stored under.
pub fn key(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

impl Ledger {
    /// Opens (creating if needed) the state database at `path`.
    pub fn open(path: &Path) -> Result<Ledger> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("failed to create {}", dir.display()))?;
        }
        let conn = Connection::open(path)
            .with_context(|| format!("failed to open the state database {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // WAL keeps readers (the unsubscribe server) and the sender out of
        // each other's way; NORMAL sync survives a killed process.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        migrate(&conn)
            .with_context(|| format!("failed to prepare the state database {}", path.display()))?;
        Ok(Ledger { conn })
    }

    /// A consistent copy of the database at `path` in `into` (SQLite's
    /// `VACUUM INTO`, safe while another process writes), opened and
    /// migrated: what a dry run works on, so that it changes nothing.
    pub fn open_copy(path: &Path, into: &Path) -> Result<Ledger> {
        if path.exists() {
            let src = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .with_context(|| format!("failed to open the state database {}", path.display()))?;
            src.busy_timeout(std::time::Duration::from_secs(10))?;
            src.execute("VACUUM INTO ?1", [into.to_string_lossy()])
                .with_context(|| format!("failed to copy the state database {}", path.display()))?;
        }
        Ledger::open(into)
    }

    /// The subscriber table.
    pub fn subscribers(&self) -> SubscriberDb<'_> {
        SubscriberDb::new(&self.conn, now())
    }

    /// Queues (week, address) rows that do not exist yet; returns how many were added.
    pub fn enqueue<'a>(
        &mut self,
        week: &str,
        rows: impl IntoIterator<Item = (&'a str, String)>,
    ) -> Result<usize> {
        let at = now();
        let tx = self.conn.transaction()?;
        let mut added = 0;
        {
            let mut stmt = tx.prepare(
                "INSERT OR IGNORE INTO deliveries (week, email, status, message_id, queued_at, updated_at)
                 VALUES (?1, ?2, 'pending', ?3, ?4, ?4)",
            )?;
            for (email, message_id) in rows {
                added += stmt.execute(params![week, key(email), message_id, at])?;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// Status of every row of a week, by address.
    pub fn statuses(&self, week: &str) -> Result<Vec<(String, Status, u32)>> {
        let mut stmt =
            self.conn.prepare("SELECT email, status, attempts FROM deliveries WHERE week = ?1")?;
        let rows = stmt.query_map([week], |r| {
            let s: String = r.get(1)?;
            Ok((r.get(0)?, parse_status(&s), r.get(2)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Counts of a week's rows by status.
    pub fn counts(&self, week: &str) -> Result<Counts> {
        let mut c = Counts::default();
        let mut stmt = self
            .conn
            .prepare("SELECT status, COUNT(*) FROM deliveries WHERE week = ?1 GROUP BY status")?;
        let mut rows = stmt.query([week])?;
        while let Some(r) = rows.next()? {
            let n: i64 = r.get(1)?;
            let n = n as u64;
            match parse_status(&r.get::<_, String>(0)?) {
                Status::Pending => c.pending = n,
                Status::Sending => c.sending = n,
                Status::Sent => c.sent = n,
                Status::Deferred => c.deferred = n,
                Status::Failed => c.failed = n,
            }
        }
        Ok(c)
    }

    /// Marks a row as handed to the server and counts the attempt.
    pub fn start_attempt(&self, week: &str, email: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = ?3
             WHERE week = ?1 AND email = ?2",
            params![week, key(email), now()],
        )?;
        Ok(())
    }

    /// Records the outcome of an attempt.
    pub fn finish(&self, week: &str, email: &str, status: Status, reply: &str) -> Result<()> {
        let at = now();
        self.conn.execute(
            "UPDATE deliveries SET status = ?3, last_reply = ?4, updated_at = ?5,
                 sent_at = CASE WHEN ?3 = 'sent' THEN ?5 ELSE sent_at END
             WHERE week = ?1 AND email = ?2",
            params![week, key(email), status.as_str(), reply, at],
        )?;
        if status == Status::Failed {
            self.conn.execute(
                "INSERT OR IGNORE INTO suppressions (email, reason, at) VALUES (?1, ?2, ?3)",
                params![key(email), reply, at],
            )?;
            self.conn.execute(
                "UPDATE subscribers SET status = 'bounced', updated_at = ?2
                 WHERE email = ?1 AND status IN ('pending', 'active')",
                params![key(email), at],
            )?;
        }
        Ok(())
    }

    /// Suppresses an address for `reason`: a bounce makes a pending or
    /// active subscriber `bounced`; a complaint makes any subscriber
    /// `complained`. `true` when the address was not suppressed before.
    pub fn suppress(&self, email: &str, reason: &str, complaint: bool) -> Result<bool> {
        let at = now();
        let tx = self.conn.unchecked_transaction()?;
        let new = tx.execute(
            "INSERT OR IGNORE INTO suppressions (email, reason, at) VALUES (?1, ?2, ?3)",
            params![key(email), reason, at],
        )? == 1;
        if complaint {
            // A complaint outweighs an earlier bounce in the reason too.
            tx.execute(
                "UPDATE suppressions SET reason = ?2 WHERE email = ?1 AND reason NOT LIKE 'complaint%'",
                params![key(email), reason],
            )?;
            tx.execute(
                "UPDATE subscribers SET status = 'complained', updated_at = ?2
                 WHERE email = ?1 AND status <> 'complained'",
                params![key(email), at],
            )?;
        } else {
            tx.execute(
                "UPDATE subscribers SET status = 'bounced', updated_at = ?2
                 WHERE email = ?1 AND status IN ('pending', 'active')",
                params![key(email), at],
            )?;
        }
        tx.commit()?;
        Ok(new)
    }

    /// Every suppression: (address, reason, since), by address.
    pub fn suppressions(&self) -> Result<Vec<(String, String, String)>> {
        let mut stmt =
            self.conn.prepare("SELECT email, reason, at FROM suppressions ORDER BY email")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A suppression's reason, and whether the address complained.
    pub fn suppression(&self, email: &str) -> Result<Option<(String, bool)>> {
        let reason: Option<String> = self
            .conn
            .query_row("SELECT reason FROM suppressions WHERE email = ?1", [key(email)], |r| {
                r.get(0)
            })
            .optional()?;
        let complained: bool = self
            .conn
            .query_row(
                "SELECT status = 'complained' FROM subscribers WHERE email = ?1",
                [key(email)],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false);
        Ok(reason.map(|r| {
            let c = complained || r.starts_with("complaint");
            (r, c)
        }))
    }

    /// Lifts a suppression: the row goes, a bounced or complained subscriber
    /// becomes `active`, and the soft bounces before now stop counting.
    pub fn lift(&self, email: &str) -> Result<bool> {
        let at = now();
        let tx = self.conn.unchecked_transaction()?;
        let gone = tx.execute("DELETE FROM suppressions WHERE email = ?1", [key(email)])? == 1;
        tx.execute(
            "UPDATE subscribers SET status = 'active', updated_at = ?2
             WHERE email = ?1 AND status IN ('bounced', 'complained')",
            params![key(email), at],
        )?;
        tx.execute(
            "UPDATE bounce_messages SET counts = 0 WHERE email = ?1 AND class = 'soft'",
            [key(email)],
        )?;
        tx.commit()?;
        Ok(gone)
    }

    /// Whether a bounce or complaint message was ingested before.
    pub fn bounce_seen(&self, message_key: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM bounce_messages WHERE key = ?1", [message_key], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Records an ingested message; `false` when its key was there already.
    #[allow(clippy::too_many_arguments)]
    pub fn record_bounce(
        &self,
        message_key: &str,
        email: Option<&str>,
        class: &str,
        status: Option<&str>,
        detail: &str,
        received_at: i64,
        source: &str,
    ) -> Result<bool> {
        Ok(self.conn.execute(
            "INSERT OR IGNORE INTO bounce_messages
                 (key, email, class, status, detail, received_at, source, ingested_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![message_key, email.map(key), class, status, detail, received_at, source, now()],
        )? == 1)
    }

    /// The times (Unix seconds) of an address's soft bounces that count.
    pub fn soft_bounce_times(&self, email: &str) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare(
            "SELECT received_at FROM bounce_messages
             WHERE email = ?1 AND class = 'soft' AND counts = 1 ORDER BY received_at",
        )?;
        let rows = stmt.query_map([key(email)], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Remembers which address each VERP token stands for.
    pub fn note_verp<'a>(
        &mut self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt =
                tx.prepare("INSERT OR IGNORE INTO verp (token, email) VALUES (?1, ?2)")?;
            for (token, email) in pairs {
                stmt.execute(params![token, key(email)])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The address a VERP token stands for.
    pub fn verp_email(&self, token: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT email FROM verp WHERE token = ?1", [token], |r| r.get(0))
            .optional()?)
    }

    /// The address a Message-ID was sent to, from the deliveries.
    pub fn email_of_message(&self, message_id: &str) -> Result<Option<String>> {
        let id = message_id.trim();
        let bracketed = if id.starts_with('<') { id.to_string() } else { format!("<{id}>") };
        Ok(self
            .conn
            .query_row(
                "SELECT email FROM deliveries WHERE message_id = ?1 LIMIT 1",
                [bracketed],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Records an unsubscribe (`source`: how it came) and makes the
    /// subscriber `unsubscribed`; `true` when the address was receiving
    /// (or unknown and not unsubscribed before).
    pub fn unsubscribe(&self, email: &str, source: &str) -> Result<bool> {
        let at = now();
        let tx = self.conn.unchecked_transaction()?;
        let known: Option<String> = tx
            .query_row("SELECT status FROM subscribers WHERE email = ?1", [key(email)], |r| {
                r.get(0)
            })
            .optional()?;
        let changed = tx.execute(
            "UPDATE subscribers SET status = 'unsubscribed', updated_at = ?2
             WHERE email = ?1 AND status IN ('pending', 'active')",
            params![key(email), at],
        )? == 1;
        let new_record = tx.execute(
            "INSERT INTO unsubscribes (email, source, at) VALUES (?1, ?2, ?3)
             ON CONFLICT (email) DO UPDATE SET source = excluded.source, at = excluded.at
             WHERE ?4",
            params![key(email), source, at, changed],
        )? == 1;
        tx.commit()?;
        Ok(changed || (known.is_none() && new_record))
    }

    /// Whether an address unsubscribed through the endpoint.
    pub fn is_unsubscribed(&self, email: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM unsubscribes WHERE email = ?1", [key(email)], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Addresses that unsubscribed through the endpoint.
    pub fn unsubscribed(&self) -> Result<HashSet<String>> {
        self.emails("SELECT email FROM unsubscribes")
    }

    /// Addresses suppressed after a permanent failure.
    pub fn suppressed(&self) -> Result<HashSet<String>> {
        self.emails("SELECT email FROM suppressions")
    }

    fn emails(&self, sql: &str) -> Result<HashSet<String>> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Brings the schema to [`SCHEMA_VERSION`], one transaction per step.
fn migrate(conn: &Connection) -> Result<()> {
    let mut version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        anyhow::bail!(
            "its schema version is {version}, newer than the {SCHEMA_VERSION} this salarytrends knows; use the newer salarytrends that wrote it"
        );
    }
    if version == 0 {
        conn.execute_batch(SCHEMA_V0)?;
        conn.pragma_update(None, "user_version", 1)?;
        version = 1;
    }
    while version < SCHEMA_VERSION {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(MIGRATIONS[(version - 1) as usize])?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
        version += 1;
    }
    Ok(())
}

fn parse_status(s: &str) -> Status {
    match s {
        "pending" => Status::Pending,
        "sending" => Status::Sending,
        "sent" => Status::Sent,
        "deferred" => Status::Deferred,
        _ => Status::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_move_through_their_states_and_failures_suppress() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = Ledger::open(&dir.path().join("s/state.sqlite")).unwrap();
        let w = "2026-W47";
        let added = l
            .enqueue(w, [("Ada@Example.com", "<1@x>".into()), ("bob@example.com", "<2@x>".into())])
            .unwrap();
        assert_eq!(added, 2);
        // Queuing again adds nothing and keeps the state.
        l.start_attempt(w, "ada@example.com").unwrap();
        assert_eq!(l.enqueue(w, [("ada@example.com", "<1@x>".into())]).unwrap(), 0);
        assert_eq!(l.counts(w).unwrap(), Counts { pending: 1, sending: 1, ..Counts::default() });
        l.finish(w, "ada@example.com", Status::Sent, "250 OK").unwrap();
        l.start_attempt(w, "bob@example.com").unwrap();
        l.finish(w, "bob@example.com", Status::Failed, "550 no such user").unwrap();
        let c = l.counts(w).unwrap();
        assert_eq!((c.sent, c.failed, c.left()), (1, 1, 0));
        assert!(l.suppressed().unwrap().contains("bob@example.com"));
        assert!(l.unsubscribe("ADA@example.com", "test").unwrap());
        assert!(!l.unsubscribe("ada@example.com", "test").unwrap());
        assert!(l.is_unsubscribed("ada@example.com").unwrap());
        let s = l.statuses(w).unwrap();
        assert!(s.contains(&("ada@example.com".into(), Status::Sent, 1)));
    }
}
