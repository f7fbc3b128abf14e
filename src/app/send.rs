//! `send`: the guard rails, the recipients, the lock and the ledger around a
//! delivery run, and what the exit code says about it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Result;
use lettre::Address;

use super::lock::lock_state;
use super::newsletter::{load_subscribers, prepare, sample_subscriber};
use super::{Printer, Week, load_catalog, unsubscribe_key, week_or_stored};
use crate::cli::SendArgs;
use crate::config::{Config, TransportKind};
use crate::delivery::ledger::{self, Ledger, Status};
use crate::delivery::transport::{SmtpSettings, Transport};
use crate::delivery::{self, Item, Outcome, Run, Settings};
use crate::exit::{self, Fatal};
use crate::model::IsoWeek;
use crate::output;
use crate::roles::Catalog;
use crate::subscribers::{Status as SubscriberStatus, Subscriber};

/// The envelope sender of a message to `email`: the bounce address with
/// the recipient's VERP token (and the token, for the state database), or
/// the From address when no bounce address is set.
pub(super) fn envelope_sender(cfg: &Config, key: &[u8], email: &str) -> (Address, Option<String>) {
    match &cfg.senders.bounce {
        Some(b) => {
            let t = crate::tokens::verp(key, email);
            (crate::tokens::verp_address(b, &t), Some(t))
        }
        None => (cfg.senders.from.email.clone(), None),
    }
}

/// What a send did, for the weekly summary.
pub(crate) struct SendReport {
    pub(crate) line: String,
    /// Messages handed over in this run.
    pub(crate) sent: u64,
}

/// The unsubscribe key, required when messages really leave the machine.
fn signing_key(cfg: &Config, transport: &Transport, out: &Printer) -> Result<Vec<u8>> {
    match &cfg.secrets.unsubscribe_key {
        Some(k) => Ok(k.clone()),
        None if matches!(transport, Transport::File(_)) => Ok(unsubscribe_key(cfg, out)),
        None => Err(Fatal::new(
            exit::USAGE,
            format!(
                "SALARYTRENDS_UNSUBSCRIBE_KEY is not set; sending through {} needs the key that signs unsubscribe links",
                transport.describe()
            ),
        )
        .into()),
    }
}

fn transport(cfg: &Config, week: IsoWeek) -> Result<Transport> {
    transport_with_outbox(cfg, output::week_dir(&cfg.output_dir, week).join(output::OUTBOX))
}

/// The configured transport; for `file`, messages go to `outbox`.
pub(super) fn transport_with_outbox(cfg: &Config, outbox: std::path::PathBuf) -> Result<Transport> {
    let d = &cfg.delivery;
    Ok(match d.transport {
        TransportKind::Smtp => {
            let mut smtp = SmtpSettings::parse(
                &d.smtp_url,
                cfg.senders.from.email.domain(),
                Duration::from_secs_f64(d.timeout_seconds),
            )
            .map_err(|e| Fatal::new(exit::USAGE, e))?;
            smtp.credentials = cfg.secrets.smtp_login.clone();
            Transport::Smtp(smtp)
        }
        TransportKind::Sendmail => Transport::Sendmail(d.sendmail_command.clone()),
        TransportKind::File => Transport::File(outbox),
    })
}

/// Why a week should not be mailed, if it looks broken.
fn week_problems(cfg: &Config, week: &Week) -> Vec<String> {
    let (snap, d) = (&week.snapshot, &week.deltas);
    let mut problems = Vec::new();
    let m = &d.market.open_positions;
    if let (Some(prev), Some(pct)) = (m.prev, m.pct)
        && pct.abs() > 0.5
    {
        problems.push(format!(
            "the market total moved {:+.0}% against last week ({prev:.0} → {:.0} open positions)",
            pct * 100.0,
            m.cur.unwrap_or(0.0)
        ));
    }
    if snap.source.rows_read > 0 {
        let share = snap.source.rows_rejected as f64 / snap.source.rows_read as f64;
        if share > cfg.max_reject_ratio {
            problems.push(format!(
                "{:.1}% of the rows were rejected, above max_reject_ratio {}",
                share * 100.0,
                cfg.max_reject_ratio
            ));
        }
    }
    if snap.market.open_positions == 0 {
        problems.push("the week has no open positions".into());
    }
    problems
}

/// What a send may do besides the ordinary.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SendOptions {
    /// Send a week that looks broken anyway.
    pub(super) force: bool,
    /// Say what would be sent; send and record nothing.
    pub(super) dry_run: bool,
}

/// `send`.
pub(super) fn run(cfg: &Config, args: &SendArgs, out: &Printer) -> Result<SendReport> {
    let catalog = load_catalog(cfg)?;
    let week = Week::load(cfg, week_or_stored(cfg, args.week)?)?;
    if let Some(addr) = &args.test_to {
        return test_send(cfg, &catalog, &week, addr, out);
    }
    let opts = SendOptions { force: args.force, dry_run: args.dry_run };
    let _lock = if opts.dry_run { None } else { Some(lock_state(cfg)?) };
    send_week(cfg, &catalog, &week, opts, out)
}

pub(super) fn settings(cfg: &Config, transport: &Transport) -> Settings {
    let d = &cfg.delivery;
    // Rate limits are for servers; an outbox on disk takes messages as fast as they come.
    let paced = !matches!(transport, Transport::File(_));
    Settings {
        connections: d.connections as usize,
        max_per_second: if paced { d.max_per_second } else { 0.0 },
        max_per_hour: if paced { d.max_per_hour } else { 0.0 },
        max_attempts: d.max_attempts,
        retry_base: Duration::from_secs_f64(d.retry_base_seconds),
    }
}

/// One copy to `addr` through the configured transport; the ledger is not touched.
fn test_send(
    cfg: &Config,
    catalog: &Catalog,
    current: &Week,
    addr: &str,
    out: &Printer,
) -> Result<SendReport> {
    let week = current.week();
    let to: Address =
        addr.parse().map_err(|e| Fatal::new(exit::USAGE, format!("--test-to '{addr}': {e}")))?;
    let from = cfg.senders.from.email.clone();
    let transport = transport(cfg, week)?;
    let key = signing_key(cfg, &transport, out)?;
    let issue = prepare(cfg, catalog, current, key)?;
    let mut sample = sample_subscriber(&load_subscribers(cfg, catalog)?);
    sample.email = to.to_string();
    let recipients = [sample];
    // A test copy is not in the ledger, so its bounces are not attributed:
    // the plain bounce address, no VERP token.
    let items = [Item {
        subscriber: 0,
        sender: cfg.senders.bounce.clone().unwrap_or(from),
        to: to.clone(),
        message_id: issue.envelope.message_id(to.as_ref()),
    }];
    let build = |item: &Item| issue.message(&recipients[item.subscriber], &catalog.roles);
    let run = Run {
        week: week.to_string(),
        transport: &transport,
        settings: Settings { connections: 1, ..settings(cfg, &transport) },
        ledger: None,
        build: &build,
        on_sent: &|_| {},
    };
    let outcome = delivery::deliver(&run, &items)?;
    let line = if outcome.sent == 1 {
        format!("{week}: test message sent to {to} through {}", transport.describe())
    } else {
        let why = outcome
            .failures
            .first()
            .map(|f| f.1.clone())
            .or(outcome.stopped.clone())
            .unwrap_or_else(|| "the server did not accept it".into());
        return Err(Fatal::new(
            if outcome.failed > 0 { exit::FAILURE } else { exit::UNAVAILABLE },
            format!("{week}: test message to {to} not sent: {why}"),
        )
        .into());
    };
    out.say(&line);
    Ok(SendReport { line, sent: 1 })
}

/// Sends `week` to every active subscriber not yet sent to. The caller holds the lock (unless `dry_run`).
pub(super) fn send_week(
    cfg: &Config,
    catalog: &Catalog,
    current: &Week,
    opts: SendOptions,
    out: &Printer,
) -> Result<SendReport> {
    let SendOptions { force, dry_run } = opts;
    let week = current.week();
    let problems = week_problems(cfg, current);
    if !problems.is_empty() {
        let list = problems.join("; ");
        if !force {
            return Err(Fatal::new(
                exit::FAILURE,
                format!("{week} looks broken, so nothing was sent: {list}. Check the data, or send anyway with `salarytrends send --week {week} --force`"),
            )
            .into());
        }
        out.warn(format!("{week} looks broken ({list}); sending because of --force"));
    }
    let from = cfg.senders.from.email.clone();
    let transport = transport(cfg, week)?;
    let key = signing_key(cfg, &transport, out)?;
    // A dry run works on a copy of the state database, so that the import
    // and everything after it are exactly what a real run would do.
    let scratch = tempfile::tempdir()?;
    let mut ledger = if dry_run {
        Ledger::open_copy(&cfg.state_db, &scratch.path().join("state.sqlite"))?
    } else {
        Ledger::open(&cfg.state_db)?
    };
    let list_file = cfg.display_path(&cfg.subscribers);
    // Rows of the configured CSV skipped (named as they were read).
    let mut skipped_bad =
        super::subscribers::import_configured(cfg, catalog, &ledger, out)?.map_or(0, |(_, n)| n);
    // Sign-ups never confirmed, a day past their 7-day link: forgotten.
    let forgotten = ledger.subscribers().forget_unconfirmed(&ledger::days_ago(8))?;
    if forgotten > 0 {
        out.detail(format!(
            "{forgotten} unconfirmed sign-up{} forgotten (link expired)",
            if forgotten == 1 { "" } else { "s" }
        ));
    }
    let mut skipped_list = 0;
    let mut skipped_unsub = 0;
    let mut skipped_suppressed = 0;
    let mut recipients: Vec<Subscriber> = Vec::new();
    for r in ledger.subscribers().list(None)? {
        match r.status {
            _ if r.receives() => recipients.push(r.subscriber(catalog)),
            SubscriberStatus::Pending | SubscriberStatus::Active => skipped_list += 1,
            SubscriberStatus::Unsubscribed => skipped_unsub += 1,
            SubscriberStatus::Bounced | SubscriberStatus::Complained => skipped_suppressed += 1,
        }
    }
    let w = week.to_string();
    let ids: Vec<String> = recipients
        .iter()
        .map(|s| crate::newsletter::mime::message_id(&key, week, from.domain(), &s.email))
        .collect();
    if !dry_run {
        ledger.enqueue(
            &w,
            recipients.iter().zip(&ids).map(|(s, id)| (s.email.as_str(), id.clone())),
        )?;
    }
    let status: std::collections::HashMap<String, Status> =
        ledger.statuses(&w)?.into_iter().map(|(e, s, _)| (e, s)).collect();
    let mut already = 0;
    let mut failed_before = 0;
    let mut items = Vec::new();
    for (i, s) in recipients.iter().enumerate() {
        match status.get(&ledger::key(&s.email)) {
            Some(Status::Sent) => already += 1,
            Some(Status::Failed) => failed_before += 1,
            _ => match s.email.parse::<Address>() {
                Ok(to) => items.push(Item {
                    subscriber: i,
                    sender: envelope_sender(cfg, &key, &s.email).0,
                    to,
                    message_id: ids[i].clone(),
                }),
                // The list was checked with this parser; should a row still
                // fail, it is skipped and named like any other bad row.
                Err(e) => {
                    out.warn(format!("subscriber '{}': email: {e}; not mailed", s.email));
                    skipped_bad += 1;
                }
            },
        }
    }
    let mut skipped = format!(
        "{} on the list: {already} already sent, {skipped_list} pending or paused, {skipped_unsub} unsubscribed, {skipped_suppressed} bounced or complained",
        recipients.len() + skipped_list + skipped_unsub + skipped_suppressed,
    );
    if failed_before > 0 {
        skipped.push_str(&format!(", {failed_before} refused for good this week"));
    }
    if skipped_bad > 0 {
        skipped.push_str(&format!(
            ", {skipped_bad} row{} of {list_file} skipped (a malformed or repeated address, an unknown role or status)",
            if skipped_bad == 1 { "" } else { "s" }
        ));
    }
    if dry_run {
        out.say(format!("{week}: dry run through {}; {skipped}", transport.describe()));
        out.say(format!(
            "would send {} message{}:",
            items.len(),
            if items.len() == 1 { "" } else { "s" }
        ));
        for it in items.iter().take(10) {
            out.say(format!("  {}", it.to));
        }
        if items.len() > 10 {
            out.say(format!("  … and {} more", items.len() - 10));
        }
        return Ok(SendReport { line: format!("dry run: would send {}", items.len()), sent: 0 });
    }
    if items.is_empty() {
        let line = format!("nothing to send ({skipped})");
        out.say(format!("{week}: {line}"));
        return Ok(SendReport { line, sent: 0 });
    }
    out.say(format!(
        "{week}: sending {} message{} through {} ({skipped})",
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        transport.describe()
    ));
    let issue = prepare(cfg, catalog, current, key.clone())?;
    let mut ledger = ledger;
    let verp: Vec<(String, &str)> = items
        .iter()
        .filter_map(|it| {
            let email = recipients[it.subscriber].email.as_str();
            envelope_sender(cfg, &key, email).1.map(|t| (t, email))
        })
        .collect();
    ledger.note_verp(verp.iter().map(|(t, e)| (t.as_str(), *e)))?;
    let ledger = Mutex::new(ledger);
    let build = |item: &Item| issue.message(&recipients[item.subscriber], &catalog.roles);
    let bar = out.progress(items.len() as u64, "sending");
    let on_sent = |n: u64| bar.set_position(n);
    let run = Run {
        week: w.clone(),
        transport: &transport,
        settings: settings(cfg, &transport),
        ledger: Some(&ledger),
        build: &build,
        on_sent: &on_sent,
    };
    let t = Instant::now();
    let outcome = delivery::deliver(&run, &items);
    bar.finish_and_clear();
    let outcome = outcome?;
    let secs = t.elapsed().as_secs_f64();
    let counts = ledger.into_inner().expect("ledger lock").counts(&w)?;
    if matches!(transport, Transport::File(_)) && outcome.sent > 0 {
        // The outbox is part of the week's outputs.
        output::write_manifest(&output::week_dir(&cfg.output_dir, week), week)?;
    }
    let list_note = if skipped_bad > 0 {
        format!(
            "; {skipped_bad} row{} of {list_file} skipped (named above)",
            if skipped_bad == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    finish(week, &outcome, counts, items.len(), secs, &list_note, out)
}

/// The summary line and the exit code of a run.
fn finish(
    week: IsoWeek,
    o: &Outcome,
    counts: ledger::Counts,
    tried: usize,
    secs: f64,
    note: &str,
    out: &Printer,
) -> Result<SendReport> {
    let rate = if secs > 0.0 { o.sent as f64 / secs } else { 0.0 };
    let line = format!(
        "sent {}, failed {}, left {} of {tried}; {} retries; {secs:.1} s ({rate:.0} messages/s). Week {week} in the ledger: {} sent, {} failed, {} to go{note}",
        o.sent,
        o.failed,
        o.left,
        o.retries,
        counts.sent,
        counts.failed,
        counts.left()
    );
    out.say(&line);
    for (addr, reply) in o.failures.iter().take(10) {
        out.say(format!("  failed for good (address suppressed): {addr}: {reply}"));
    }
    if let Some(why) = &o.stopped {
        let code = if o.refused || o.sent == 0 { exit::UNAVAILABLE } else { exit::TEMPFAIL };
        let what = if o.sent == 0 { "nothing was sent" } else { "the week is partly sent" };
        return Err(Fatal::new(
            code,
            format!("{week}: delivery stopped, {what}: {why}. {} left; rerun `salarytrends send --week {week}` to resume", counts.left()),
        )
        .into());
    }
    if o.left > 0 {
        return Err(Fatal::new(
            exit::TEMPFAIL,
            format!("{week}: {} message{} still refused after retries; rerun `salarytrends send --week {week}` to resume", o.left, if o.left == 1 { " was" } else { "s were" }),
        )
        .into());
    }
    Ok(SendReport { line, sent: o.sent })
}
