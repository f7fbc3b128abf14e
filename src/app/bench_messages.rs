//! `bench-messages`: build N generated subscribers' messages in memory
//! (nothing is written or sent) and print the rate.

use std::time::Instant;

use anyhow::Result;
use rayon::prelude::*;

use super::newsletter::prepare;
use super::{Printer, Week, load_catalog, week_or_stored};
use crate::cli::BenchMessagesArgs;
use crate::config::Config;
use crate::store;
use crate::subscribers::{Status, Subscriber};

/// The i-th generated subscriber: following one or two roles.
fn subscriber(i: u64, roles: usize) -> Subscriber {
    let a = (i % roles as u64) as u16;
    let b = ((i * 7 + 3) % roles as u64) as u16;
    Subscriber {
        email: format!("reader{i:07}@example.com"),
        name: format!("Reader {i}"),
        roles: if a == b { vec![a] } else { vec![a, b] },
        status: Status::Active,
    }
}

pub(super) fn run(cfg: &Config, args: &BenchMessagesArgs, out: &Printer) -> Result<()> {
    let catalog = load_catalog(cfg)?;
    let week = Week::load(cfg, week_or_stored(cfg, args.week)?)?;
    let w = week.week();
    let t = Instant::now();
    let issue = prepare(cfg, &catalog, &week, b"bench-key".to_vec())?;
    let prepare_ms = t.elapsed().as_secs_f64() * 1000.0;
    if let Some(dir) = &args.emit {
        let r = &issue.renderer;
        for (name, part) in
            ["email-head.html", "email-middle.html", "email-tail.html"].iter().zip(r.email_parts())
        {
            store::write_atomic(&dir.join(name), part.as_bytes())?;
        }
        for name in ["newsletter.txt", "your-roles.html", "unsubscribe.html"] {
            store::write_atomic(&dir.join(name), r.template_source(name)?.as_bytes())?;
        }
        store::write_atomic(&dir.join("model.json"), &store::to_json(r.model())?)?;
        for c in &r.model().charts {
            store::write_atomic(&dir.join(&c.file), &c.png)?;
        }
        let roles: Vec<&str> = catalog.roles.iter().map(|r| r.slug.as_str()).collect();
        let meta = serde_json::json!({
            "from": cfg.newsletter.from, "reply_to": cfg.newsletter.reply_to,
            "subject": r.model().subject, "base_url": cfg.newsletter.base_url,
            "week": w.to_string(), "key": "bench-key", "roles": roles,
            "charts": r.model().charts.iter().map(|c| serde_json::json!({"file": c.file, "cid": c.cid})).collect::<Vec<_>>(),
        });
        store::write_atomic(&dir.join("meta.json"), &store::to_json(&meta)?)?;
    }
    let n = args.subscribers;
    let roles = catalog.roles.len();
    let t = Instant::now();
    let bytes: u64 = (0..n)
        .into_par_iter()
        .map(|i| issue.message(&subscriber(i, roles), &catalog.roles).map(|m| m.len() as u64))
        .sum::<Result<u64>>()?;
    let secs = t.elapsed().as_secs_f64();
    out.say(format!(
        "{w}: issue prepared in {prepare_ms:.0} ms; {n} messages built in memory in {secs:.2} s: {:.0} messages/s, {:.0} MiB formatted ({:.1} KiB each), {} threads",
        n as f64 / secs,
        bytes as f64 / 1048576.0,
        bytes as f64 / n.max(1) as f64 / 1024.0,
        rayon::current_num_threads()
    ));
    println!("{n} {secs:.4} {bytes}");
    Ok(())
}
