//! `subscribers import` and `subscribers list`, and the import of the
//! configured CSV that `send` and `weekly` run first.

use std::path::Path;

use anyhow::Result;

use super::{Printer, load_catalog};
use crate::cli::SubscribersCommand;
use crate::config::Config;
use crate::delivery::ledger::Ledger;
use crate::exit::{self, WithExit};
use crate::roles::Catalog;
use crate::subscribers::db::ImportSummary;
use crate::subscribers::{self, Status};

pub(super) fn run(cfg: &Config, cmd: &SubscribersCommand, out: &Printer) -> Result<()> {
    match cmd {
        SubscribersCommand::Import(args) => {
            let catalog = load_catalog(cfg)?;
            let _lock = super::lock::lock_state(cfg)?;
            let ledger = Ledger::open(&cfg.state_db)?;
            let (line, _) = import(cfg, &catalog, &ledger, &args.file, out)?;
            out.say(line);
            Ok(())
        }
        SubscribersCommand::List(args) => {
            let ledger = Ledger::open(&cfg.state_db)?;
            let records = ledger.subscribers().list(args.status.map(Status::from))?;
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            w.write_record([
                "email",
                "name",
                "roles",
                "status",
                "consent_at",
                "consent_method",
                "consent_wording",
                "consent_client",
                "paused",
                "created_at",
                "updated_at",
            ])?;
            for r in records {
                let c = &r.consent;
                let opt = |s: &Option<String>| s.clone().unwrap_or_default();
                w.write_record([
                    r.email.clone(),
                    r.name.clone(),
                    r.roles.join(";"),
                    r.status.as_str().to_string(),
                    opt(&c.at),
                    opt(&c.method),
                    opt(&c.wording),
                    opt(&c.client),
                    if r.paused { "yes" } else { "no" }.to_string(),
                    r.created_at,
                    r.updated_at,
                ])?;
            }
            w.flush()?;
            Ok(())
        }
    }
}

/// Imports `file` into the subscriber table, naming each skipped or
/// corrected row as `file:line: field: reason`; returns the summary line and
/// the rows skipped. The caller holds the state lock.
fn import(
    cfg: &Config,
    catalog: &Catalog,
    ledger: &Ledger,
    file: &Path,
    out: &Printer,
) -> Result<(String, usize)> {
    let list = subscribers::load(file, catalog).exit_code(exit::DATA)?;
    let name = cfg.display_path(file);
    for i in &list.issues {
        out.warn(format!("{name}:{}: {}: {}", i.line, i.field, i.reason));
    }
    let s = ledger.subscribers().import(&list.rows, catalog)?;
    for (email, status) in s.kept.iter().take(10) {
        out.detail(format!("{name}: {email} stays {status}: an import never re-activates it"));
    }
    Ok((summary(&name, &s, list.skipped()), list.skipped()))
}

fn summary(name: &str, s: &ImportSummary, skipped: usize) -> String {
    let mut line = format!(
        "{name}: {} added, {} updated, {} unchanged since the last import",
        s.added, s.updated, s.unchanged
    );
    if !s.kept.is_empty() {
        line.push_str(&format!(", {} kept as unsubscribed, bounced or complained", s.kept.len()));
    }
    if skipped > 0 {
        line.push_str(&format!(
            "; {skipped} row{} skipped (named above)",
            if skipped == 1 { "" } else { "s" }
        ));
    }
    line
}

/// The configured list (`subscribers` in the configuration), imported
/// first by `send` and `weekly` so that a CSV-managed list keeps working.
/// Nothing when the setting is empty or the file does not exist.
pub(super) fn import_configured(
    cfg: &Config,
    catalog: &Catalog,
    ledger: &Ledger,
    out: &Printer,
) -> Result<Option<(String, usize)>> {
    if cfg.subscribers.as_os_str().is_empty() || !cfg.subscribers.is_file() {
        return Ok(None);
    }
    let (line, skipped) = import(cfg, catalog, ledger, &cfg.subscribers, out)?;
    out.detail(&line);
    Ok(Some((line, skipped)))
}
