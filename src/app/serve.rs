//! `serve`: the list's endpoints and `output/`, with a mail worker that
//! sends what the endpoints ask for: confirmation emails, and the newest
//! issue as a welcome (recorded in the ledger as that week's delivery, so
//! `send` never mails it again).

use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use hmac::{Hmac, Mac};
use lettre::Address;

use super::newsletter::{Issue, prepare};
use super::send::{envelope_sender, settings, transport_with_outbox};
use super::{Printer, Week, load_catalog, unix_now, unsubscribe_key};
use crate::cli::ServeArgs;
use crate::config::Config;
use crate::delivery::ledger::Ledger;
use crate::delivery::{self, Item, Run, Settings};
use crate::exit::{self, Fatal};
use crate::model::{IsoWeek, hex};
use crate::newsletter::confirm::{Confirm, ConfirmationMail};
use crate::output;
use crate::pages::Pages;
use crate::roles::Catalog;
use crate::serve::{self, Job, Site};
use crate::store::SnapshotStore;
use crate::tokens::{self, Confirmation};

/// Without the key that `send` signs links with, every real unsubscribe
/// would be refused: `serve` does not start (exit 2) unless
/// `--development-key` asks for the development key.
pub(super) fn run(cfg: &Config, args: &ServeArgs, out: &Printer) -> Result<()> {
    if cfg.secrets.unsubscribe_key.is_none() && !args.development_key {
        return Err(Fatal::new(
            exit::USAGE,
            "SALARYTRENDS_UNSUBSCRIBE_KEY is not set; serve checks unsubscribe links with the key that send signs them with, so it does not start without it (for local testing only: --development-key)",
        )
        .into());
    }
    let key = unsubscribe_key(cfg, out);
    let catalog = load_catalog(cfg)?;
    let mut mailer = Mailer {
        cfg,
        catalog: &catalog,
        key: key.clone(),
        confirm: ConfirmationMail::load(&cfg.templates_dir)?,
        issue: None,
    };
    let (tx, rx) = mpsc::channel::<Job>();
    let site = Site::new(
        serve::output_root(&cfg.output_dir)?,
        key,
        cfg.state_db.clone(),
        cfg.newsletter.base_url.clone(),
        Pages::load(&cfg.templates_dir)?,
        catalog.roles.iter().map(|r| (r.slug.clone(), r.name.clone())).collect(),
        Box::new(unix_now),
        Box::new(move |job| {
            // The worker only stops when the server does.
            let _ = tx.send(job);
        }),
    );
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for job in rx {
                match mailer.handle(&job) {
                    Ok(line) => out.say(line),
                    Err(e) => out.warn(format!("{e:#}")),
                }
            }
        });
        serve::serve(site, &args.listen, &|s| out.say(s))
    })
}

/// Sends the endpoints' mail through the configured transport.
struct Mailer<'a> {
    cfg: &'a Config,
    catalog: &'a Catalog,
    key: Vec<u8>,
    confirm: ConfirmationMail,
    /// The newest issue, prepared once: (week, its newsletter stamp, issue).
    issue: Option<(IsoWeek, String, Issue)>,
}

impl Mailer<'_> {
    fn handle(&mut self, job: &Job) -> Result<String> {
        match job {
            Job::Confirmation { confirmation, url } => self.confirmation(confirmation, url),
            Job::Welcome { email } => self.welcome(email),
        }
    }

    /// Sends one message; `Ok` once the server accepted it.
    fn deliver(
        &self,
        week: &str,
        transport: &delivery::transport::Transport,
        to: Address,
        message_id: String,
        ledger: Option<&Mutex<Ledger>>,
        build: &delivery::Builder<'_>,
    ) -> Result<()> {
        let (sender, verp) = envelope_sender(self.cfg, &self.key, to.as_ref());
        if let Some(token) = verp {
            // So that a bounce of this message is attributed.
            Ledger::open(&self.cfg.state_db)?.note_verp([(token.as_str(), to.as_ref())])?;
        }
        let run = Run {
            week: week.to_string(),
            transport,
            settings: Settings { connections: 1, ..settings(self.cfg, transport) },
            ledger,
            build,
            on_sent: &|_| {},
        };
        let outcome = delivery::deliver(&run, &[Item { subscriber: 0, sender, to, message_id }])?;
        if outcome.sent == 1 {
            return Ok(());
        }
        let why = outcome
            .failures
            .first()
            .map(|f| f.1.clone())
            .or(outcome.stopped)
            .unwrap_or_else(|| "the server did not accept it".into());
        anyhow::bail!("not sent through {}: {why}", transport.describe())
    }

    fn confirmation(&self, c: &Confirmation, url: &str) -> Result<String> {
        let cfg = self.cfg;
        let to: Address =
            c.email.parse().with_context(|| format!("invalid address {}", c.email))?;
        let mut mac =
            Hmac::<sha2::Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(
            format!("confirm-id\0{}\0{}", c.email.to_ascii_lowercase(), c.expires).as_bytes(),
        );
        let message_id =
            format!("<confirm.{}@{}>", hex(&mac.finalize().into_bytes()[..16]), to.domain());
        let sent_at = c.expires - tokens::CONFIRMATION_SECONDS;
        let roles: Vec<String> = c
            .roles
            .iter()
            .filter_map(|s| {
                self.catalog.roles.iter().find(|r| r.slug == *s).map(|r| r.name.clone())
            })
            .collect();
        let bytes = self.confirm.build(&Confirm {
            from: &cfg.senders.from,
            reply_to: &cfg.senders.reply_to,
            email: &c.email,
            name: &c.name,
            roles: &roles,
            confirm_url: url,
            valid_days: tokens::CONFIRMATION_SECONDS / 86_400,
            postal_address: &cfg.newsletter.postal_address,
            date: SystemTime::UNIX_EPOCH + Duration::from_secs(sent_at.max(0) as u64),
            message_id: message_id.clone(),
            list_id: &cfg.senders.list_id,
        })?;
        let bytes = match super::dkim_signer(cfg)? {
            Some(signer) => signer.sign(&bytes, sent_at)?,
            None => bytes,
        };
        let transport = transport_with_outbox(cfg, cfg.output_dir.join(output::OUTBOX))?;
        let build = |_: &Item| Ok(bytes.clone());
        self.deliver("confirmation", &transport, to, message_id, None, &build)
            .with_context(|| format!("confirmation email to {}", c.email))?;
        Ok(format!("confirmation email sent to {}", c.email))
    }

    /// The newest week whose newsletter was rendered, with its stamp.
    fn newest_issue(&self) -> Result<Option<(IsoWeek, String)>> {
        let weeks = SnapshotStore::new(&self.cfg.snapshots_dir).weeks()?;
        for w in weeks.into_iter().rev() {
            let dir = output::week_dir(&self.cfg.output_dir, w).join(output::NEWSLETTER);
            if dir.join("newsletter.html").is_file() {
                let stamp = std::fs::read_to_string(dir.join(".inputs.sha256")).unwrap_or_default();
                return Ok(Some((w, stamp)));
            }
        }
        Ok(None)
    }

    fn welcome(&mut self, email: &str) -> Result<String> {
        let Some((week, stamp)) = self.newest_issue()? else {
            return Ok(format!("{email} confirmed; no issue has been published yet"));
        };
        let cfg = self.cfg;
        let mut ledger = Ledger::open(&cfg.state_db)?;
        let Some(record) = ledger.subscribers().get(email)?.filter(|r| r.receives()) else {
            return Ok(format!("{email} confirmed but no longer receives the newsletter"));
        };
        if !matches!(&self.issue, Some((w, s, _)) if *w == week && *s == stamp) {
            let current = Week::load(cfg, week)?;
            self.issue =
                Some((week, stamp, prepare(cfg, self.catalog, &current, self.key.clone())?));
        }
        let (_, _, issue) = self.issue.as_ref().expect("prepared above");
        let sub = record.subscriber(self.catalog);
        let message_id = issue.envelope.message_id(&sub.email);
        let to: Address = sub.email.parse().with_context(|| format!("invalid address {email}"))?;
        let w = week.to_string();
        // The welcome is that week's delivery: once queued, `send` (or
        // another welcome) finds the row and does not mail it again.
        if ledger.enqueue(&w, [(sub.email.as_str(), message_id.clone())])? == 0 {
            return Ok(format!("{email} already has {week}'s issue"));
        }
        let transport = transport_with_outbox(
            cfg,
            output::week_dir(&cfg.output_dir, week).join(output::OUTBOX),
        )?;
        let ledger = Mutex::new(ledger);
        let build = |_: &Item| issue.message(&sub, &self.catalog.roles);
        self.deliver(&w, &transport, to, message_id, Some(&ledger), &build).with_context(|| {
            format!("welcome issue {week} to {email}; `salarytrends send --week {week}` retries it")
        })?;
        Ok(format!("welcome: {week}'s issue sent to {email}"))
    }
}
