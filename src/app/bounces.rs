//! `bounces ingest`: mail that came back, classified ([`crate::bounces`])
//! and applied to the list: hard bounces and complaints suppress at once,
//! soft bounces on the third within 30 days.

use std::collections::BTreeMap;

use anyhow::Result;

use super::{Printer, unix_now};
use crate::bounces::{self, Class, Verdict};
use crate::cli::BouncesCommand;
use crate::config::Config;
use crate::delivery::ledger::Ledger;
use crate::exit::{self, Fatal};
use crate::tokens;

/// Soft bounces within this many seconds that suppress an address.
const SOFT_WINDOW: i64 = 30 * 24 * 3600;
/// How many soft bounces within the window suppress.
const SOFT_LIMIT: usize = 3;

pub(super) fn run(cfg: &Config, cmd: &BouncesCommand, out: &Printer) -> Result<()> {
    let BouncesCommand::Ingest(args) = cmd;
    let ledger = Ledger::open(&cfg.state_db)?;
    let mut items = Vec::new();
    let mut unreadable = Vec::new();
    for p in &args.paths {
        bounces::read(p, &mut items, &mut unreadable);
    }
    let mut counts: BTreeMap<Class, u64> = BTreeMap::new();
    let (mut seen, mut unattributed, mut suppressed) = (0u64, 0u64, 0u64);
    let now = unix_now();
    for item in &items {
        let v = match bounces::classify(&item.bytes) {
            Ok(v) => v,
            Err(why) => {
                unreadable
                    .push(bounces::Unreadable { origin: item.origin.clone(), reason: why.into() });
                continue;
            }
        };
        if ledger.bounce_seen(&v.key)? {
            seen += 1;
            out.detail(format!("{}: already ingested ({})", item.origin, v.key));
            continue;
        }
        let email = attribute(cfg, &ledger, &v)?;
        let received = v.date.unwrap_or(now);
        ledger.record_bounce(
            &v.key,
            email.as_deref(),
            v.class.as_str(),
            v.status.as_deref(),
            &v.detail,
            received,
            &item.origin,
        )?;
        *counts.entry(v.class).or_default() += 1;
        let who = email.clone().unwrap_or_else(|| "no known address".into());
        out.detail(format!(
            "{}: {} for {who}{}: {}",
            item.origin,
            v.class.as_str(),
            v.status.as_deref().map(|s| format!(" ({s})")).unwrap_or_default(),
            v.detail
        ));
        let Some(email) = email else {
            if v.class != Class::Ignored {
                unattributed += 1;
                out.warn(format!(
                    "{}: a {} bounce that names no address on the list",
                    item.origin,
                    v.class.as_str()
                ));
            }
            continue;
        };
        let status = v.status.as_deref().unwrap_or("no status");
        let newly = match v.class {
            Class::Hard => {
                ledger.suppress(&email, &format!("hard bounce {status}: {}", v.detail), false)?
            }
            Class::Complaint => {
                ledger.suppress(&email, &format!("complaint ({status}): {}", v.detail), true)?
            }
            Class::Soft => {
                let times = ledger.soft_bounce_times(&email)?;
                let third =
                    times.windows(SOFT_LIMIT).any(|w| w[SOFT_LIMIT - 1] - w[0] <= SOFT_WINDOW);
                third
                    && ledger.suppress(
                        &email,
                        &format!(
                            "{SOFT_LIMIT} soft bounces within 30 days, the last {status}: {}",
                            v.detail
                        ),
                        false,
                    )?
            }
            Class::Ignored => false,
        };
        if newly {
            suppressed += 1;
            out.detail(format!("{email}: suppressed"));
        }
    }
    for u in &unreadable {
        out.warn(format!("{}: cannot be read: {}", u.origin, u.reason));
    }
    let n = |c: Class| counts.get(&c).copied().unwrap_or(0);
    let line = format!(
        "bounces: {} message{} read: {} hard, {} soft, {} complaint{}, {} ignored; {seen} already ingested; {suppressed} address{} suppressed; {unattributed} naming no address on the list; {} unreadable",
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        n(Class::Hard),
        n(Class::Soft),
        n(Class::Complaint),
        if n(Class::Complaint) == 1 { "" } else { "s" },
        n(Class::Ignored),
        if suppressed == 1 { "" } else { "es" },
        unreadable.len()
    );
    out.say(&line);
    if !unreadable.is_empty() {
        return Err(Fatal::new(
            exit::DATA,
            format!(
                "{} source{} could not be read (named above); everything else was ingested",
                unreadable.len(),
                if unreadable.len() == 1 { "" } else { "s" }
            ),
        )
        .into());
    }
    Ok(())
}

/// Who a message is about: the VERP address it reached, else the original
/// message it quotes, else the recipient it names.
fn attribute(cfg: &Config, ledger: &Ledger, v: &Verdict) -> Result<Option<String>> {
    if let Some(bounce) = &cfg.senders.bounce {
        for a in &v.reached {
            if let Some(t) = tokens::verp_token_of(bounce, a)
                && let Some(e) = ledger.verp_email(&t)?
            {
                return Ok(Some(e));
            }
        }
    }
    if let Some(id) = &v.original_id
        && let Some(e) = ledger.email_of_message(id)?
    {
        return Ok(Some(e));
    }
    Ok(v.recipient.as_ref().filter(|r| r.contains('@')).map(|r| r.trim().to_ascii_lowercase()))
}
