//! Ingest: postings files (CSV or JSON Lines) → [`Dataset`].
//!
//! Validates every row against spec section 2: file errors stop everything
//! ([`IngestError`]); row errors reject the row; salary problems keep the
//! posting with an undisclosed salary. Every rejection and warning is kept as
//! an [`Issue`] with file, line, id and reason, so no row is silently lost.
//! Large files are parsed in parallel chunks; the result does not depend on
//! the chunking.

pub mod jobs;
mod row;
pub mod salary;
mod source;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;

use crate::model::Posting;
use crate::roles::Catalog;
pub use row::COLUMNS;
pub use salary::{Exclusion, FxRates};

/// A file-level problem: nothing can be trusted, nothing is written (exit 65).
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct IngestError {
    /// The file, as the user named it.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Whether an issue rejected the row or only excluded its salary (or another field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueKind {
    /// The row was rejected and counts nowhere.
    Rejected,
    /// The row was kept; one field was set aside.
    Warning,
}

/// One rejected row or warning, as written to `rejected.csv`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Issue {
    /// Source file, as the user named it.
    pub file: String,
    /// Line number in that file (1 is the CSV header).
    pub line: u64,
    /// The row's `id` (may be empty).
    pub id: String,
    /// Rejected or warning.
    pub kind: IssueKind,
    /// The column at fault.
    pub field: String,
    /// Why.
    pub reason: String,
}

/// One input file as recorded in a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SourceFile {
    /// Path as shown to users (relative to the config folder when inside it).
    pub path: String,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
}

/// Everything ingest produced: accepted postings with interned strings, and
/// the issues met on the way.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// The files read, in order.
    pub files: Vec<SourceFile>,
    /// The dedup window reposts were chained with (`None`: not chained,
    /// every posting its own job).
    pub dedup_window_days: Option<u32>,
    /// Accepted postings.
    pub postings: Vec<Posting>,
    /// Interned company names.
    pub companies: Vec<String>,
    /// Interned locations.
    pub locations: Vec<String>,
    /// Interned skills (canonical display names).
    pub skills: Vec<String>,
    /// Skill ids referenced by [`Posting::skills`] ranges.
    pub skill_refs: Vec<u32>,
    /// Rejected rows and warnings, in file and line order.
    pub issues: Vec<Issue>,
    /// Data rows read (accepted + rejected).
    pub rows_read: u64,
    /// Rows rejected.
    pub rows_rejected: u64,
    /// Salaries excluded, by reason.
    pub salaries_excluded: BTreeMap<Exclusion, u64>,
    /// Accepted postings whose title matched no role.
    pub unclassified: u64,
}

impl Dataset {
    /// The skill ids of a posting.
    pub fn skills_of(&self, p: &Posting) -> &[u32] {
        &self.skill_refs[p.skills.0 as usize..p.skills.1 as usize]
    }

    /// Total salaries excluded.
    pub fn salaries_excluded_total(&self) -> u64 {
        self.salaries_excluded.values().sum()
    }

    /// Share of rows rejected (0 when nothing was read).
    pub fn reject_ratio(&self) -> f64 {
        if self.rows_read == 0 { 0.0 } else { self.rows_rejected as f64 / self.rows_read as f64 }
    }

    /// The newest `posted_at`, if any posting was accepted.
    pub fn newest_posted(&self) -> Option<chrono::NaiveDate> {
        self.postings.iter().map(|p| p.posted).max()
    }
}

/// Expands a path-or-glob into files, sorted. A plain path that does not
/// exist is kept so that reading it reports the error by name.
pub fn expand(pattern: &Path) -> Result<Vec<PathBuf>, IngestError> {
    let text = pattern.to_string_lossy();
    if !text.contains(['*', '?', '[']) {
        return Ok(vec![pattern.to_path_buf()]);
    }
    let err = |reason: String| IngestError { path: text.to_string(), reason };
    let mut files: Vec<PathBuf> = glob::glob(&text)
        .map_err(|e| err(format!("not a valid glob: {e}")))?
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(err("no file matches this pattern".into()));
    }
    Ok(files)
}

/// Reads every file and validates every row.
///
/// `display` turns a path into the name used in messages and snapshots.
pub fn load(
    files: &[PathBuf],
    display: impl Fn(&Path) -> String,
    catalog: &Catalog,
    fx: &FxRates,
) -> Result<Dataset, IngestError> {
    // Read and check every file before parsing any, so a bad file writes nothing.
    let sources: Vec<source::Source> =
        files.iter().map(|p| source::Source::read(p, display(p))).collect::<Result<_, _>>()?;
    let chunks: Vec<row::Chunk> = sources
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, s)| s.split().into_iter().map(move |piece| (i, s, piece)))
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(i, s, piece)| s.parse_piece(i, piece, catalog, fx))
        .collect::<Result<_, _>>()?;
    for (i, s) in sources.iter().enumerate() {
        if !chunks.iter().any(|c| c.file == i && c.rows_read > 0) {
            return Err(IngestError { path: s.name.clone(), reason: "no data rows".into() });
        }
    }
    let hashes: Vec<String> = sources.par_iter().map(|s| s.sha256()).collect();
    let files: Vec<SourceFile> = sources
        .iter()
        .zip(hashes)
        .map(|(s, sha256)| SourceFile { path: s.name.clone(), sha256 })
        .collect();
    // The files' bytes are no longer needed: freed before the merge
    // allocates the dataset, so the two are never held at once.
    drop(sources);
    let names: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    Ok(merge(files, chunks, &names))
}

/// Joins parsed chunks in file order: interned strings get global ids, and
/// repeated ids after the first accepted one are rejected.
fn merge(files: Vec<SourceFile>, mut chunks: Vec<row::Chunk>, names: &[String]) -> Dataset {
    let mut ds = Dataset { files, ..Dataset::default() };
    // Global ids for the strings of every chunk (work per distinct string, not per row).
    let mut companies = Interner::default();
    let mut locations = Interner::default();
    let mut skills: HashMap<String, u32> = HashMap::default();
    let mut skill_names: Vec<String> = Vec::new();
    let maps: Vec<[Vec<u32>; 3]> = chunks
        .iter()
        .map(|c| {
            let company = c.companies.names.iter().map(|n| companies.get(n)).collect();
            let location = c.locations.names.iter().map(|n| locations.get(n)).collect();
            let skill = c
                .skills
                .iter()
                .map(|(key, display)| {
                    let next = skill_names.len() as u32;
                    let id = *skills.entry(key.clone()).or_insert(next);
                    if id == next {
                        skill_names.push(display.clone());
                    } else if *display < skill_names[id as usize] {
                        // The smallest spelling wins, so the name does not depend on row order.
                        skill_names[id as usize] = display.clone();
                    }
                    id
                })
                .collect();
            [company, location, skill]
        })
        .collect();
    // Rewrite each chunk's postings to the global ids, in parallel.
    chunks.par_iter_mut().zip(&maps).for_each(|(c, [company, location, skill])| {
        for p in &mut c.postings {
            p.company = p.company.map(|x| company[x as usize]);
            p.location = p.location.map(|x| location[x as usize]);
        }
        for s in &mut c.skill_refs {
            *s = skill[*s as usize];
        }
    });

    let first_of = first_occurrences(&chunks);
    let total: usize = chunks.iter().map(|c| c.postings.len()).sum();
    ds.postings.reserve(total);
    ds.skill_refs.reserve(chunks.iter().map(|c| c.skill_refs.len()).sum());
    for (ci, c) in chunks.iter().enumerate() {
        ds.rows_read += c.rows_read;
        ds.rows_rejected += c.rejected;
        for (k, v) in &c.excluded {
            *ds.salaries_excluded.entry(*k).or_default() += v;
        }
        ds.issues.extend(c.issues.iter().cloned());
        for (i, p) in c.postings.iter().enumerate() {
            if let Some(&(fc, fi)) = first_of.get(&(ci as u32, i as u32)) {
                let first = &chunks[fc as usize];
                ds.rows_rejected += 1;
                ds.issues.push(Issue {
                    file: names[c.file].clone(),
                    line: c.lines[i],
                    id: c.ids[i].to_string(),
                    kind: IssueKind::Rejected,
                    field: "id".into(),
                    reason: format!(
                        "repeats the id first seen at {}:{}",
                        names[first.file], first.lines[fi as usize]
                    ),
                });
                continue;
            }
            let start = ds.skill_refs.len() as u32;
            ds.skill_refs
                .extend_from_slice(&c.skill_refs[p.skills.0 as usize..p.skills.1 as usize]);
            let mut q = p.clone();
            q.skills = (start, ds.skill_refs.len() as u32);
            q.job = ds.postings.len() as u32;
            if q.role.is_none() {
                ds.unclassified += 1;
            }
            ds.postings.push(q);
        }
    }
    // Sorted by file (in the order given), then line.
    let order: HashMap<&str, usize> =
        names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
    ds.issues.sort_by(|a, b| {
        (order[a.file.as_str()], a.line, a.kind).cmp(&(order[b.file.as_str()], b.line, b.kind))
    });
    ds.companies = companies.names;
    ds.locations = locations.names;
    ds.skills = skill_names;
    ds
}

/// Finds repeated ids: for every (chunk, row) whose id already appeared
/// earlier (in file order), the (chunk, row) of its first appearance.
///
/// Sorting 64-bit hashes in parallel is far kinder to the cache than a
/// million inserts into one hash table; equal hashes are then confirmed by
/// comparing the ids themselves.
fn first_occurrences(chunks: &[row::Chunk]) -> HashMap<(u32, u32), (u32, u32)> {
    use std::hash::BuildHasher;
    let hasher = rustc_hash::FxBuildHasher;
    let mut keys: Vec<(u64, u32, u32)> = chunks
        .par_iter()
        .enumerate()
        .flat_map_iter(|(ci, c)| {
            c.ids.iter().enumerate().map(move |(i, id)| (hasher.hash_one(id), ci as u32, i as u32))
        })
        .collect();
    keys.par_sort_unstable();
    let id = |&(_, c, i): &(u64, u32, u32)| chunks[c as usize].ids[i as usize].as_ref();
    let mut repeats = HashMap::default();
    for group in keys.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
        // Within a group, in file order: a row repeats the first earlier row with the same id.
        for (k, later) in group.iter().enumerate().skip(1) {
            // The earliest row with the same id is the first occurrence.
            if let Some(first) = group[..k].iter().find(|e| id(e) == id(later)) {
                repeats.insert((later.1, later.2), (first.1, first.2));
            }
        }
    }
    repeats
}

/// A string table: each distinct string gets the next id.
#[derive(Debug, Default, Clone)]
pub(crate) struct Interner {
    pub(crate) names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Interner {
    pub(crate) fn get(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), id);
        id
    }
}
