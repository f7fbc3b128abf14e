//! `report`: role-pair PDF reports from the stored snapshots, for one pair
//! or every pair; and the reports stage of `weekly`, which renders only the
//! pairs whose stamp says they are not current.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use sha2::{Digest, Sha256};

use super::{Printer, Week, load_catalog, week_or_stored};
use crate::cli::ReportArgs;
use crate::config::Config;
use crate::exit::{self, Fatal};
use crate::model::IsoWeek;
use crate::output::{self, report_file};
use crate::report::{self, ReportJob};
use crate::roles::{Catalog, RoleDef};
use crate::stats::Snapshot;
use crate::store::{self, SnapshotStore};

pub(super) fn run(cfg: &Config, args: &ReportArgs, out: &Printer) -> Result<()> {
    let catalog = load_catalog(cfg)?;
    let week = Week::load(cfg, week_or_stored(cfg, args.week)?)?;
    let pairs = match &args.pair {
        Some(names) => vec![resolve_pair(&catalog, names)?],
        None => pairs_with_figures(
            &week.snapshot,
            &catalog,
            &report::all_pairs(catalog.roles.len()),
            out,
        ),
    };
    let t = Instant::now();
    let rendered = render(cfg, &catalog, &week, &pairs, args.emit_source.clone(), out)?;
    for r in rendered.iter().take(if rendered.len() > 3 { 0 } else { 3 }) {
        out.say(format!("wrote {} ({} KB)", cfg.display_path(&r.pdf), r.bytes.div_ceil(1024)));
    }
    out.say(format!(
        "{}: {} report{} in {} ms",
        week.week(),
        rendered.len(),
        if rendered.len() == 1 { "" } else { "s" },
        t.elapsed().as_millis()
    ));
    if let Some(dir) = &args.emit_source {
        out.say(format!("sources written to {}", dir.display()));
    }
    Ok(())
}

fn resolve_pair(catalog: &Catalog, names: &[String]) -> Result<(usize, usize)> {
    let find = |n: &String| {
        catalog.role_by_name(n).map(usize::from).ok_or_else(|| {
            let known: Vec<&str> = catalog.roles.iter().map(|r| r.slug.as_str()).collect();
            Fatal::new(exit::USAGE, format!("unknown role '{n}' (roles: {})", known.join(", ")))
        })
    };
    let (a, b) = (find(&names[0])?, find(&names[1])?);
    if a == b {
        return Err(Fatal::new(
            exit::USAGE,
            format!("--pair names '{}' twice", catalog.roles[a].name),
        )
        .into());
    }
    Ok((a.min(b), a.max(b)))
}

/// The pairs whose two roles both have figures in the stored snapshot of
/// the week; the roles without are named in a warning (a role added to
/// `roles.toml` after the week was stored has no figures that week).
fn pairs_with_figures(
    snapshot: &Snapshot,
    catalog: &Catalog,
    pairs: &[(usize, usize)],
    out: &Printer,
) -> Vec<(usize, usize)> {
    let has = |i: usize| snapshot.roles.iter().any(|r| r.slug == catalog.roles[i].slug);
    let missing: Vec<&str> = (0..catalog.roles.len())
        .filter(|&i| !has(i) && pairs.iter().any(|&(a, b)| a == i || b == i))
        .map(|i| catalog.roles[i].name.as_str())
        .collect();
    if !missing.is_empty() {
        let week = snapshot.week;
        let one = missing.len() == 1;
        out.warn(format!(
            "{} {} not in the stored snapshot of {week} (added to roles.toml after it was stored), so {} reports are not rendered; `salarytrends snapshot --week {week} --recompute` adds {}",
            missing.join(", "),
            if one { "is" } else { "are" },
            if one { "its" } else { "their" },
            if one { "it" } else { "them" },
        ));
    }
    pairs.iter().copied().filter(|&(a, b)| has(a) && has(b)).collect()
}

/// Renders `pairs` of the week and rewrites the week's manifest.
fn render(
    cfg: &Config,
    catalog: &Catalog,
    week: &Week,
    pairs: &[(usize, usize)],
    emit_source: Option<PathBuf>,
    out: &Printer,
) -> Result<Vec<report::Rendered>> {
    let template = report::template(&cfg.templates_dir)?;
    let week_dir = output::week_dir(&cfg.output_dir, week.week());
    let job = ReportJob {
        snapshot: &week.snapshot,
        deltas: &week.deltas,
        history: &week.history,
        roles: &catalog.roles,
        base_url: &cfg.newsletter.base_url,
        min_salary_sample: cfg.min_salary_sample,
        week_dir: week_dir.clone(),
        emit_source,
    };
    let bar = out.progress(pairs.len() as u64, "reports");
    let rendered = report::render_pairs(&job, &template, pairs, &|r| {
        bar.inc(1);
        out.detail(format!("wrote {} ({} bytes)", cfg.display_path(&r.pdf), r.bytes));
    })?;
    bar.finish_and_clear();
    output::write_manifest(&week_dir, week.week())?;
    Ok(rendered)
}

/// What every report of a week depends on (besides the program, which
/// [`ReportStamp`] holds apart): the stored snapshots it reads, the
/// template, the settings, and the catalogue's names and slugs in order (the
/// related-comparison links of every report).
pub(super) fn digest_base(cfg: &Config, catalog: &Catalog, week: IsoWeek) -> Result<Sha256> {
    let store = SnapshotStore::new(&cfg.snapshots_dir);
    let mut h = Sha256::new();
    let field = |h: &mut Sha256, bytes: &[u8]| {
        // Length-prefixed, so that fields cannot run into each other.
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    for w in week.trailing(super::HISTORY_WEEKS) {
        field(&mut h, w.to_string().as_bytes());
        field(&mut h, &std::fs::read(store.path(w)).unwrap_or_default());
    }
    field(&mut h, report::template(&cfg.templates_dir)?.as_bytes());
    field(&mut h, cfg.newsletter.base_url.as_bytes());
    field(&mut h, &cfg.min_salary_sample.to_le_bytes());
    for r in &catalog.roles {
        field(&mut h, r.name.as_bytes());
        field(&mut h, r.slug.as_bytes());
    }
    Ok(h)
}

/// What one pair's report depends on: the week's common inputs and the two
/// roles' definitions, so that an edit to one role re-renders only its pairs.
fn pair_digest(base: &Sha256, a: &RoleDef, b: &RoleDef) -> String {
    let mut h = base.clone();
    for def in [a, b] {
        let text = serde_json::to_vec(def).expect("a role definition serialises");
        h.update((text.len() as u64).to_le_bytes());
        h.update(&text);
    }
    crate::model::hex(&h.finalize())
}

/// `reports/.inputs.json`: the build that rendered a week's reports and the
/// inputs digest of each report.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct ReportStamp {
    program: String,
    reports: BTreeMap<String, String>,
}

/// The reports stage of `weekly`: renders every pair whose report on disk
/// was not made by this build from today's inputs. Returns how many were
/// rendered, `None` when every one was current.
pub(super) fn render_stale(
    cfg: &Config,
    catalog: &Catalog,
    week: &Week,
    out: &Printer,
) -> Result<Option<usize>> {
    let dir = output::week_dir(&cfg.output_dir, week.week()).join(output::REPORTS);
    let stamp_path = dir.join(".inputs.json");
    let all = report::all_pairs(catalog.roles.len());
    let pairs = pairs_with_figures(&week.snapshot, catalog, &all, out);
    let base = digest_base(cfg, catalog, week.week())?;
    let file = |&(a, b): &(usize, usize)| report_file(&catalog.roles[a], &catalog.roles[b]);
    let stamp = ReportStamp {
        program: crate::BUILD_ID.to_string(),
        reports: pairs
            .iter()
            .map(|&(a, b)| {
                let (da, db) = (&catalog.roles[a], &catalog.roles[b]);
                (report_file(da, db), pair_digest(&base, da, db))
            })
            .collect(),
    };
    let before: ReportStamp = std::fs::read(&stamp_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let stale: Vec<(usize, usize)> = pairs
        .iter()
        .filter(|p| {
            let f = file(p);
            before.program != stamp.program
                || before.reports.get(&f) != stamp.reports.get(&f)
                || !dir.join(&f).is_file()
        })
        .copied()
        .collect();
    if stale.is_empty() {
        return Ok(None);
    }
    let rendered = render(cfg, catalog, week, &stale, None, out)?;
    store::write_atomic(&stamp_path, &store::to_json(&stamp)?)?;
    Ok(Some(rendered.len()))
}
