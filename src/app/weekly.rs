//! `weekly`: the weekly job as a checklist. Each stage gets what the stage
//! before computed (as zola's `Site::build`) and skips its work when its
//! outputs are current, so a rerun does nothing new and mails nobody twice:
//!
//! 1. ingest the postings (stop on file errors or too many rejects);
//! 2. snapshots of the week and its history ([`HISTORY_WEEKS`]);
//! 3. the week's deltas (`deltas.json`) and `rejected.csv`;
//! 4. the reports of every pair;
//! 5. the newsletter files;
//! 6. the report library (index pages, feed, stable report addresses);
//! 7. the send, under the run lock of the state database (importing the
//!    configured subscriber CSV first).

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::Result;

use super::snapshot::{store_weeks, write_rejected};
use super::{
    HISTORY_WEEKS, Printer, Week, check_rejects, keep_weeks, load_jobs, quality_summary,
    week_or_default,
};
use super::{newsletter, report, send, site};
use crate::config::Config;
use crate::deltas::WeekOverWeek;
use crate::model::IsoWeek;
use crate::output;
use crate::store;
use crate::text;

pub(super) fn run(cfg: &Config, week: Option<IsoWeek>, out: &Printer) -> Result<()> {
    let started = Instant::now();
    // One weekly run per state database at a time.
    let _lock = super::lock::lock_state(cfg)?;

    // 1. Ingest.
    let t = Instant::now();
    let inputs = load_jobs(cfg, keep_weeks(cfg, week, HISTORY_WEEKS))?;
    out.say(quality_summary(&inputs.data));
    check_rejects(cfg, &inputs.data)?;
    let ingest_ms = t.elapsed().as_millis();
    let week = week_or_default(cfg, week, &inputs.data)?;

    // 2. The week and the history the trend charts need, from the first week with data.
    let t = Instant::now();
    let oldest = inputs.data.oldest_posted().map(IsoWeek::containing);
    let weeks: Vec<IsoWeek> = week
        .trailing(HISTORY_WEEKS)
        .into_iter()
        .filter(|w| oldest.is_some_and(|o| *w >= o))
        .collect();
    let stored = store_weeks(cfg, &inputs, &weeks, false)?;
    let computed: Vec<String> =
        stored.iter().filter(|s| s.computed).map(|s| s.snapshot.week.to_string()).collect();
    let kept = stored.len() - computed.len();
    let current = Week::assemble(cfg, week, stored.into_iter().map(|s| s.snapshot).collect())?;
    let snapshot_ms = t.elapsed().as_millis();

    // 3. Deltas.
    let t = Instant::now();
    let dir = output::week_dir(&cfg.output_dir, week);
    write_rejected(&dir.join("rejected.csv"), &inputs.data)?;
    let deltas_path = dir.join("deltas.json");
    let bytes = store::to_json(&current.deltas)?;
    let deltas_new = std::fs::read(&deltas_path).ok().as_deref() != Some(&bytes[..]);
    if deltas_new {
        store::write_atomic(&deltas_path, &bytes)?;
    }
    let deltas_ms = t.elapsed().as_millis();

    // 4. Reports.
    let t = Instant::now();
    let catalog = &inputs.catalog;
    let reports = report::render_stale(cfg, catalog, &current, out)?;
    let reports_ms = t.elapsed().as_millis();

    // 5. Newsletter.
    let t = Instant::now();
    let newsletter = newsletter::render_stale(cfg, catalog, &current, out)?;
    let newsletter_ms = t.elapsed().as_millis();

    // 6. The report library (written where bytes changed).
    let t = Instant::now();
    let library = site::write(cfg, catalog, None)?;
    let site_ms = t.elapsed().as_millis();

    // 7. Send (errors are reported after the summary).
    let t = Instant::now();
    let sent = send::send_week(cfg, catalog, &current, send::SendOptions::default(), out);
    let send_ms = t.elapsed().as_millis();

    let d = &current.deltas;
    out.say(format!("\nweek {week} ({} to {})", week.monday(), week.sunday()));
    out.say(market_line(d));
    out.say(movers(d));
    out.say("\nstages:");
    out.say(format!("  ingest     {ingest_ms:>6} ms  {} postings accepted", inputs.data.accepted));
    out.say(format!(
        "  snapshots  {snapshot_ms:>6} ms  {}",
        if computed.is_empty() {
            format!("{kept} weeks already stored, nothing recomputed")
        } else {
            format!("computed {} ({kept} already stored)", computed.join(", "))
        }
    ));
    out.say(format!(
        "  deltas     {deltas_ms:>6} ms  {}",
        if deltas_new {
            format!("written to {}", cfg.display_path(&deltas_path))
        } else {
            "unchanged".into()
        }
    ));
    out.say(format!(
        "  reports    {reports_ms:>6} ms  {}",
        match reports {
            Some(n) =>
                format!("rendered {n} PDFs into {}", cfg.display_path(&dir.join(output::REPORTS))),
            None => "up to date (snapshot and templates unchanged)".into(),
        }
    ));
    out.say(format!(
        "  newsletter {newsletter_ms:>6} ms  {}",
        if newsletter {
            format!("written to {}", cfg.display_path(&dir.join(output::NEWSLETTER)))
        } else {
            "up to date".into()
        }
    ));
    out.say(format!(
        "  site       {site_ms:>6} ms  {}",
        if library.changed > 0 {
            format!("{} of {} library files written", library.changed, library.files.len())
        } else {
            "up to date".into()
        }
    ));
    match &sent {
        Ok(report) => out.say(format!("  send       {send_ms:>6} ms  {}", report.line)),
        Err(_) => {
            out.say(format!("  send       {send_ms:>6} ms  not finished (the error follows)"))
        }
    }
    let nothing_new = computed.is_empty()
        && !deltas_new
        && reports.is_none()
        && !newsletter
        && library.changed == 0
        && sent.as_ref().is_ok_and(|r| r.sent == 0);
    if nothing_new {
        out.say(format!(
            "nothing new: {week} was already complete (snapshots, reports, newsletter, library, every message sent)"
        ));
    }
    out.say(format!("done in {} ms", started.elapsed().as_millis()));
    sent.map(|_| ())
}

fn market_line(d: &WeekOverWeek) -> String {
    let m = &d.market.open_positions;
    let cur = text::count(m.cur.unwrap_or(0.0) as u64);
    match (m.abs, m.pct) {
        (Some(a), Some(p)) => format!(
            "market: {cur} open AI positions ({}, {}{:.1}% on {})",
            text::signed_change(a, None, |v| text::count(v as u64)),
            text::sign(a),
            p.abs() * 100.0,
            d.previous_week.map(|w| w.to_string()).unwrap_or_default()
        ),
        _ => format!("market: {cur} open AI positions (first week on record)"),
    }
}

/// The newsletter's movers by open positions, the first three.
fn movers(d: &WeekOverWeek) -> String {
    let v = d.movers_by_open();
    let mut s = String::from("top movers by open positions:");
    if d.previous_week.is_none() {
        s.push_str(" none (no previous week stored)");
    } else if v.is_empty() {
        s.push_str(" none");
    }
    for r in v.iter().take(3) {
        let c = &r.open_positions;
        let _ = write!(
            s,
            "\n  {} {:<28} {:>6} {}",
            text::arrow(c.abs.unwrap_or(0.0)).0,
            r.name,
            text::count(c.cur.unwrap_or(0.0) as u64),
            text::signed_change(c.abs.unwrap_or(0.0), c.pct, |v| text::count(v as u64))
        );
    }
    s
}
