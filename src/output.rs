//! Where every output lives (spec section 6) and the manifest that lists a
//! week's files. The report, newsletter and send stages and the commands all
//! name paths through this module.
//!
//! ```text
//! output/<week>/reports/<slug-a>-vs-<slug-b>.pdf
//! output/<week>/charts/<pair>/*.svg, charts/newsletter/*.png
//! output/<week>/newsletter/{newsletter.html, newsletter.txt, preview.eml}
//! output/<week>/outbox/*.eml
//! output/<week>/{deltas.json, rejected.csv, manifest.json}
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::IsoWeek;
use crate::roles::RoleDef;
use crate::store;

/// `output/<week>`.
pub fn week_dir(output_dir: &Path, week: IsoWeek) -> PathBuf {
    output_dir.join(week.to_string())
}

/// File name of a pair's report: slugs in `roles.toml` order.
pub fn report_file(a: &RoleDef, b: &RoleDef) -> String {
    format!("{}-vs-{}.pdf", a.slug, b.slug)
}

/// A pair's report relative to `output/`: `2026-W47/reports/a-vs-b.pdf`.
pub fn report_path(week: IsoWeek, a: &RoleDef, b: &RoleDef) -> String {
    format!("{week}/{REPORTS}/{}", report_file(a, b))
}

/// The reports folder of a week.
pub const REPORTS: &str = "reports";
/// The newsletter folder of a week.
pub const NEWSLETTER: &str = "newsletter";
/// The charts of the email, under a week's folder.
pub const NEWSLETTER_CHARTS: &str = "charts/newsletter";
/// The file transport's folder of a week.
pub const OUTBOX: &str = "outbox";

/// The public newsletter page relative to `output/`.
pub fn newsletter_page(week: IsoWeek) -> String {
    format!("{week}/{NEWSLETTER}/newsletter.html")
}

/// One file of `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestEntry {
    /// Path relative to `output/<week>`.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// Rewrites `manifest.json` of a week folder: every file with size and sha256.
pub fn write_manifest(week_dir: &Path, week: IsoWeek) -> Result<()> {
    let mut files = Vec::new();
    collect(week_dir, week_dir, &mut files)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    #[derive(Serialize)]
    struct Manifest<'a> {
        week: IsoWeek,
        files: &'a [ManifestEntry],
    }
    store::write_atomic(
        &week_dir.join("manifest.json"),
        &store::to_json(&Manifest { week, files: &files })?,
    )
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<ManifestEntry>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("failed to list '{}'", dir.display())),
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            collect(root, &path, out)?;
            continue;
        }
        let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
        // The manifest does not list itself, nor hidden files (input stamps,
        // temporary files of an interrupted write).
        if rel == "manifest.json"
            || path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        let data =
            std::fs::read(&path).with_context(|| format!("failed to read '{}'", path.display()))?;
        let digest = Sha256::digest(&data);
        out.push(ManifestEntry {
            path: rel,
            size: data.len() as u64,
            sha256: crate::model::hex(&digest),
        });
    }
    Ok(())
}
