//! `site`: the public report library over `output/` ([`crate::site`]), also
//! the stage of `weekly` after the newsletter.

use anyhow::Result;

use std::collections::HashMap;

use super::{Printer, load_catalog};
use crate::config::Config;
use crate::deltas;
use crate::model::IsoWeek;
use crate::newsletter;
use crate::output;
use crate::pages::Pages;
use crate::roles::Catalog;
use crate::site::{IssueSummary, Library, Pair, WeekOutputs, Written};
use crate::stats::Snapshot;
use crate::store::SnapshotStore;

pub(super) fn run(cfg: &Config, week: Option<IsoWeek>, out: &Printer) -> Result<()> {
    let catalog = load_catalog(cfg)?;
    let w = write(cfg, &catalog, week)?;
    out.say(format!(
        "site: {} files in {} ({} changed): index.html, {} week pages, feed.xml, {} stable report addresses",
        w.files.len(),
        cfg.display_path(&cfg.output_dir),
        w.changed,
        w.files.iter().filter(|f| f.ends_with("index.html") && f.components().count() == 2).count(),
        w.files.iter().filter(|f| f.starts_with(crate::site::LATEST)).count(),
    ));
    Ok(())
}

/// The weeks under `output/` with reports or a newsletter, up to `until`, newest first.
fn weeks_with_outputs(
    cfg: &Config,
    catalog: &Catalog,
    until: Option<IsoWeek>,
) -> Result<Vec<WeekOutputs>> {
    let mut weeks: Vec<IsoWeek> = match std::fs::read_dir(&cfg.output_dir) {
        Ok(entries) => entries
            .flatten()
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<IsoWeek>().ok()))
            .filter(|w| until.is_none_or(|u| *w <= u))
            .collect(),
        Err(_) => Vec::new(),
    };
    weeks.sort_unstable_by(|a, b| b.cmp(a));
    let store = SnapshotStore::new(&cfg.snapshots_dir);
    let stored = store.weeks()?;
    // Each snapshot read once: a week's issue needs it and the week before.
    let mut snapshots: HashMap<IsoWeek, Option<Snapshot>> = HashMap::new();
    let mut snapshot = |w: IsoWeek| -> Result<Option<Snapshot>> {
        if let Some(s) = snapshots.get(&w) {
            return Ok(s.clone());
        }
        let s = if stored.contains(&w) { store.load(w)? } else { None };
        snapshots.insert(w, s.clone());
        Ok(s)
    };
    let mut out = Vec::new();
    for week in weeks {
        let dir = output::week_dir(&cfg.output_dir, week);
        let mut pairs = Vec::new();
        for (i, a) in catalog.roles.iter().enumerate() {
            for b in &catalog.roles[i + 1..] {
                let file = output::report_file(a, b);
                if dir.join(output::REPORTS).join(&file).is_file() {
                    pairs.push(Pair {
                        a: a.slug.clone(),
                        b: b.slug.clone(),
                        title: format!("{} vs {}", a.name, b.name),
                        file,
                    });
                }
            }
        }
        let has_newsletter = dir.join(output::NEWSLETTER).join("newsletter.html").is_file();
        let issue = match (has_newsletter, snapshot(week)?) {
            (true, Some(cur)) => Some(summary(cfg, catalog, &cur, snapshot(week.prev())?.as_ref())),
            _ => None,
        };
        if !pairs.is_empty() || has_newsletter {
            out.push(WeekOutputs { week, pairs, issue, newsletter: has_newsletter });
        }
    }
    Ok(out)
}

/// The issue of a stored week, as the feed and the pages name it.
fn summary(
    cfg: &Config,
    catalog: &Catalog,
    cur: &Snapshot,
    prev: Option<&Snapshot>,
) -> IssueSummary {
    let week = cur.week;
    let d = deltas::week_over_week(prev, cur);
    let m = newsletter::issue_model(
        cur,
        &d,
        &catalog.roles,
        &cfg.newsletter.base_url,
        &cfg.newsletter.postal_address,
        Vec::new(),
    );
    // The issue's Date: the Monday after the week, 08:00 UTC (as the email's).
    let date = format!("{}T08:00:00Z", week.next().monday());
    IssueSummary { subject: m.subject, headline: m.headline, market_line: m.market_line, date }
}

/// Writes the library (weeks up to `until`); rewrites the manifests of the
/// weeks whose page changed.
pub(super) fn write(cfg: &Config, catalog: &Catalog, until: Option<IsoWeek>) -> Result<Written> {
    let library = Library {
        roles: catalog.roles.iter().map(|r| (r.slug.clone(), r.name.clone())).collect(),
        weeks: weeks_with_outputs(cfg, catalog, until)?,
        base_url: cfg.newsletter.base_url.clone(),
    };
    let pages = Pages::load(&cfg.templates_dir)?;
    let written = library.write(&cfg.output_dir, &pages)?;
    for w in &written.weeks_changed {
        output::write_manifest(&output::week_dir(&cfg.output_dir, *w), *w)?;
    }
    Ok(written)
}
