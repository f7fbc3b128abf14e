//! The report stage: stored snapshots → charts → report model → PDF, for one
//! pair or every pair, plus the `--emit-source` folders.
//!
//! [`view`] is what the template shows, [`model`] builds it, [`prose`] writes its sentences,
//! [`world`] and [`pdf`] typeset it with typst used as a library.

pub mod model;
pub mod pdf;
mod prose;
pub mod view;
pub mod world;

use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};

use crate::charts;
use crate::deltas::WeekOverWeek;
use crate::output::report_file;
use crate::roles::RoleDef;
use crate::stats::Snapshot;
use crate::store;
use view::PairInput;

/// How many evictions a memoised typst result survives unused. Each worker
/// evicts after each of its reports, so with two workers this keeps what the
/// reports in flight and the ones just before them used: a report that shares
/// a role (and the whole template) with its predecessor reuses that layout,
/// and memory stays flat however long the batch. Emptying the cache after
/// every report instead (age 0) makes a report about 1.6× as expensive.
const KEEP_MEMOS_FOR: usize = 2;

/// What a report run needs, all read before any rendering.
pub struct ReportJob<'a> {
    /// The week's snapshot.
    pub snapshot: &'a Snapshot,
    /// Its deltas.
    pub deltas: &'a WeekOverWeek,
    /// Stored snapshots of the trailing weeks, oldest first (the week included).
    pub history: &'a [Snapshot],
    /// Roles of `roles.toml`.
    pub roles: &'a [RoleDef],
    /// Where `output/` is published.
    pub base_url: &'a str,
    /// Suppression threshold.
    pub min_salary_sample: u64,
    /// `output/<week>`.
    pub week_dir: PathBuf,
    /// `--emit-source` folder.
    pub emit_source: Option<PathBuf>,
}

/// The files of one rendered pair.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Report path.
    pub pdf: PathBuf,
    /// PDF size in bytes.
    pub bytes: usize,
}

/// Every pair (i < j) of `n` roles.
pub fn all_pairs(n: usize) -> Vec<(usize, usize)> {
    (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).collect()
}

/// The report template shipped with the binary (used when `templates/report.typ` is absent).
pub const DEFAULT_TEMPLATE: &str = include_str!("../../templates/report.typ");

/// The typst source of the report template: `templates_dir/report.typ` or the built-in one.
pub fn template(templates_dir: &Path) -> Result<String> {
    let path = templates_dir.join("report.typ");
    match std::fs::read_to_string(&path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(DEFAULT_TEMPLATE.to_string()),
        Err(e) => Err(e).with_context(|| format!("failed to read template '{}'", path.display())),
    }
}

/// The files one compilation sees: `data.json` and `charts/*.svg`.
pub fn pair_files(job: &ReportJob<'_>, a: usize, b: usize) -> Result<Vec<(String, Vec<u8>)>> {
    let (da, db) = (&job.roles[a], &job.roles[b]);
    let week = job.snapshot.week;
    let stats = |d: &RoleDef| {
        job.snapshot.roles.iter().find(|r| r.slug == d.slug).with_context(|| {
            format!(
                "role '{}' has no figures in the stored snapshot of {week} (added to roles.toml after it was stored); `salarytrends snapshot --week {week} --recompute` adds it",
                d.name
            )
        })
    };
    let (sa, sb) = (stats(da)?, stats(db)?);
    let charts = charts::pair_charts(
        sa,
        sb,
        &charts::trend(job.history, &da.slug),
        &charts::trend(job.history, &db.slug),
    );
    let model = model::pair_model(&PairInput {
        snapshot: job.snapshot,
        deltas: job.deltas,
        a,
        b,
        roles: job.roles,
        charts: charts.iter().map(|c| (c.name.clone(), c.alt.clone())).collect(),
        base_url: job.base_url,
        min_salary_sample: job.min_salary_sample,
    });
    let mut files = vec![("data.json".to_string(), store::to_json(&model)?)];
    files.extend(charts.into_iter().map(|c| (format!("charts/{}", c.name), c.svg.into_bytes())));
    Ok(files)
}

/// Renders the given pairs (in parallel), writing PDFs, charts and, if asked,
/// sources; `done` is called after each report.
pub fn render_pairs(
    job: &ReportJob<'_>,
    template: &str,
    pairs: &[(usize, usize)],
    done: &(dyn Fn(&Rendered) + Sync),
) -> Result<Vec<Rendered>> {
    let base = world::Base::new(template.to_string());
    // One loop per thread of rayon's pool, each taking the next pair in
    // order, rather than a parallel iterator: typst runs its own rayon work
    // while laying out pages and exporting, and a worker waiting on that
    // would otherwise pick up further reports on the same stack (memory then
    // grows with the batch). Running on the pool's own threads also lets that
    // inner work share the same two threads instead of handing off between
    // pools. In `all_pairs` order consecutive reports share their first role,
    // so each worker reuses what was just laid out.
    let next = AtomicUsize::new(0);
    let results: Vec<Vec<(usize, Result<Rendered>)>> = rayon::broadcast(|_| {
        let mut mine = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(&(a, b)) = pairs.get(i) else { break };
            let r = render_one(job, &base, template, a, b);
            typst::comemo::evict(KEEP_MEMOS_FOR);
            if let Ok(r) = &r {
                done(r);
            } else {
                // Stop handing out pairs; the first error is reported.
                next.store(pairs.len(), Ordering::Relaxed);
            }
            mine.push((i, r));
        }
        mine
    });
    let mut all: Vec<(usize, Result<Rendered>)> = results.into_iter().flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    let rendered = all.into_iter().map(|(_, r)| r).collect::<Result<Vec<_>>>()?;
    // Durable before anything (the manifest, the stage's stamp) says they exist.
    store::sync_batch(&job.week_dir)?;
    if let Some(dir) = &job.emit_source {
        store::sync_batch(dir)?;
    }
    Ok(rendered)
}

fn render_one(
    job: &ReportJob<'_>,
    base: &world::Base,
    template: &str,
    a: usize,
    b: usize,
) -> Result<Rendered> {
    let (da, db) = (&job.roles[a], &job.roles[b]);
    let file = report_file(da, db);
    let stem = file.trim_end_matches(".pdf");
    let files = pair_files(job, a, b)?;
    let week = job.snapshot.week;
    let bytes =
        pdf::render_pdf(base, &files, week.sunday(), &format!("salarytrends/{week}/{stem}"))
            .with_context(|| format!("failed to render the report {file}"))?;
    for (name, data) in files.iter().filter(|(n, _)| n.starts_with("charts/")) {
        let chart = name.trim_start_matches("charts/");
        store::write_atomic_deferred(&job.week_dir.join("charts").join(stem).join(chart), data)?;
    }
    if let Some(dir) = &job.emit_source {
        emit_source(&dir.join(stem), template, &files)?;
    }
    let pdf = job.week_dir.join("reports").join(&file);
    store::write_atomic_deferred(&pdf, &bytes)?;
    Ok(Rendered { pdf, bytes: bytes.len() })
}

/// Writes a folder that the typst command line compiles to the same document:
/// `typst compile --font-path fonts --ignore-system-fonts report.typ`.
fn emit_source(dir: &Path, template: &str, files: &[(String, Vec<u8>)]) -> Result<()> {
    store::write_atomic_deferred(&dir.join(world::MAIN), template.as_bytes())?;
    for (name, data) in files {
        store::write_atomic_deferred(&dir.join(name), data)?;
    }
    for (name, data) in crate::fonts::FILES {
        store::write_atomic_deferred(&dir.join("fonts").join(name), data)?;
    }
    Ok(())
}
