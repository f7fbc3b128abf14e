//! Ingest: postings files (CSV or JSON Lines) → [`Dataset`].
//!
//! Validates every row against spec section 2: file errors stop everything
//! ([`IngestError`]); row errors reject the row; salary problems keep the
//! posting with an undisclosed salary. Every rejection and warning is kept as
//! an [`Issue`] with file, line, id and reason, so no row is silently lost.
//! Files are read as streams of bounded blocks parsed in parallel; the
//! result does not depend on the blocks. Only the postings that can count in
//! the weeks to be computed are kept ([`Keep`]), so memory follows the jobs
//! open in those weeks, not the size of the file.

pub mod jobs;
mod row;
pub mod salary;
mod source;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, mpsc};

use chrono::NaiveDate;
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;

use crate::model::{IsoWeek, Posting};
use crate::roles::Catalog;
pub use row::COLUMNS;
pub use salary::{Exclusion, FxRates};
use source::Stream;

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
    /// The accepted postings kept ([`Plan::keep`]), in file order.
    pub postings: Vec<Posting>,
    /// Job key and `posted_at` of the accepted postings not kept that can
    /// still link kept ones into one job (those posted by the last week kept).
    /// (In the form [`jobs::chain`] sorts, so that it sorts them in place.)
    bridges: Vec<(u64, NaiveDate, u32)>,
    /// Postings accepted (kept or not).
    pub accepted: u64,
    /// The newest `posted_at` of an accepted posting.
    newest_posted: Option<NaiveDate>,
    /// The oldest `posted_at` of an accepted posting.
    oldest_posted: Option<NaiveDate>,
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
    /// Accepted postings whose title matched no role (kept or not).
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

    /// The newest `posted_at`, if any posting was accepted (kept or not).
    pub fn newest_posted(&self) -> Option<NaiveDate> {
        self.newest_posted
    }

    /// The oldest `posted_at`, if any posting was accepted (kept or not).
    pub fn oldest_posted(&self) -> Option<NaiveDate> {
        self.oldest_posted
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

/// Which postings ingest keeps in full. Every row is validated and counted
/// whatever this says; only postings that can count in the weeks to be
/// computed are kept, so memory follows them rather than the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Keep {
    /// Every accepted posting.
    #[default]
    All,
    /// None: counts, issues and dates only (`validate`).
    Nothing,
    /// The postings open in some week of the `weeks` weeks that end with
    /// `last`, or in the week before them (which the week-over-week change
    /// compares with).
    Weeks {
        /// The last week.
        last: LastWeek,
        /// How many weeks end with it (at least 1).
        weeks: usize,
    },
}

/// The last week of a [`Keep::Weeks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastWeek {
    /// This week.
    Given(IsoWeek),
    /// The week of the newest `posted_at`, but not after `at_most` (the
    /// default week of spec section 4, known only once every row is read).
    Newest {
        /// The last complete week by the clock.
        at_most: IsoWeek,
    },
}

impl LastWeek {
    /// The week, once the newest `posted_at` is known (`None` without postings).
    pub fn resolve(self, newest: Option<NaiveDate>) -> Option<IsoWeek> {
        match self {
            LastWeek::Given(w) => Some(w),
            LastWeek::Newest { at_most } => newest.map(|d| IsoWeek::containing(d).min(at_most)),
        }
    }
}

/// What [`load_with`] keeps and how it links reposts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Plan {
    /// The postings kept in full.
    pub keep: Keep,
    /// Chain reposts into jobs with this window (spec section 10.1); `None`
    /// leaves every posting its own job.
    pub window_days: Option<u32>,
}

impl Plan {
    /// Whether reposts are linked, so that postings not kept still count as links.
    fn chains(&self) -> bool {
        self.window_days.is_some_and(|w| w > 0)
    }
}

/// The test that keeps a posting: open on some day from `from` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retain {
    nothing: bool,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl Retain {
    pub(crate) fn keeps(self, posted: NaiveDate, closed: Option<NaiveDate>) -> bool {
        !self.nothing
            && self.to.is_none_or(|t| posted <= t)
            && self.from.is_none_or(|f| closed.is_none_or(|c| c >= f))
    }

    /// What `keep` keeps while the newest `posted_at` read so far is `newest`:
    /// never less than what it keeps once every row is read.
    fn of(keep: Keep, newest: Option<NaiveDate>) -> Retain {
        let all = Retain { nothing: false, from: None, to: None };
        match keep {
            Keep::All => all,
            Keep::Nothing => Retain { nothing: true, ..all },
            Keep::Weeks { last, weeks } => {
                let to = match last {
                    LastWeek::Given(w) | LastWeek::Newest { at_most: w } => w,
                };
                // Until a posting is read, the last week may be any up to `to`.
                let from =
                    last.resolve(newest).map(|w| w.trailing(weeks.max(1))[0].prev().monday());
                Retain { nothing: false, from, to: Some(to.sunday()) }
            }
        }
    }
}

/// Blocks waiting to be parsed, and parsed blocks waiting to be merged, per thread.
const BLOCKS_PER_THREAD: usize = 8;

/// Reads every file and validates every row, keeping every accepted posting.
///
/// `display` turns a path into the name used in messages and snapshots.
pub fn load(
    files: &[PathBuf],
    display: impl Fn(&Path) -> String,
    catalog: &Catalog,
    fx: &FxRates,
) -> Result<Dataset, IngestError> {
    load_with(files, display, catalog, fx, &Plan::default())
}

/// Reads every file as a stream of blocks and validates every row, keeping
/// the postings `plan` asks for and linking reposts as it says.
///
/// One thread reads (and hashes) the files a block at a time; one thread
/// per core parses blocks as they come, and this thread merges them in file
/// order (string ids, repeated ids, what to keep). The result does not
/// depend on the blocks: the records and lines are those of one serial
/// reader.
pub fn load_with(
    files: &[PathBuf],
    display: impl Fn(&Path) -> String,
    catalog: &Catalog,
    fx: &FxRates,
    plan: &Plan,
) -> Result<Dataset, IngestError> {
    load_blocks(files, display, catalog, fx, plan, source::BLOCK_BYTES)
}

/// [`load_with`] with blocks of about `block_bytes` bytes.
fn load_blocks(
    files: &[PathBuf],
    display: impl Fn(&Path) -> String,
    catalog: &Catalog,
    fx: &FxRates,
    plan: &Plan,
    block_bytes: usize,
) -> Result<Dataset, IngestError> {
    // Every file is opened and its header read before a row is parsed, so a
    // missing file or a bad header is named before any work.
    let streams: Vec<Stream<File>> =
        files.iter().map(|p| Stream::open(p, display(p), block_bytes)).collect::<Result<_, _>>()?;
    let names: Vec<String> = streams.iter().map(|s| s.name.clone()).collect();
    let mut merge = Merge::new(*plan, names);
    merge.bytes_total = streams.iter().map(|s| s.size).sum();
    let workers = rayon::current_num_threads().max(1);
    // Job keys are computed unless no posting is kept or reposts are known
    // not to be chained.
    let job_keys = plan.window_days != Some(0) && plan.keep != Keep::Nothing;
    let retain = Mutex::new(merge.retain());
    std::thread::scope(|scope| {
        // Blocks to parse (bounded: memory follows the blocks in flight) …
        let (to_parse, blocks) = mpsc::sync_channel::<Job>(workers * BLOCKS_PER_THREAD);
        let blocks = Arc::new(Mutex::new(blocks));
        // … their chunks, in any order, …
        let (to_merge, parsed) = mpsc::sync_channel::<(u64, Parsed)>(workers * BLOCKS_PER_THREAD);
        // … and their buffers, back to the reading thread to be read into again.
        let (give_back, returned) = mpsc::channel::<Vec<u8>>();
        let reader = scope.spawn(move || read_all(streams, &to_parse, &returned));
        for _ in 0..workers {
            let (blocks, to_merge, give_back) =
                (Arc::clone(&blocks), to_merge.clone(), give_back.clone());
            let retain = &retain;
            scope.spawn(move || {
                let mut titles = row::Titles::default();
                loop {
                    let next = blocks.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok(Job { seq, file, header, block }) = next else { return };
                    let retain = *retain.lock().unwrap_or_else(PoisonError::into_inner);
                    let name = header.name.clone();
                    let titles_so_far = std::mem::take(&mut titles);
                    let mut chunk =
                        row::Chunk::new(file, name, catalog, fx, titles_so_far, retain, job_keys);
                    let result = header.header.parse(&block, &mut chunk);
                    titles = std::mem::take(&mut chunk.titles);
                    let _ = give_back.send(block.bytes);
                    let parsed = result
                        .map(|()| chunk)
                        .map_err(|reason| IngestError { path: header.name.clone(), reason });
                    if to_merge.send((seq, parsed)).is_err() {
                        return;
                    }
                }
            });
        }
        drop((blocks, to_merge, give_back));
        // Merged in file order as they come.
        let mut waiting: BTreeMap<u64, Parsed> = BTreeMap::new();
        let mut next = 0u64;
        for (seq, chunk) in parsed.iter() {
            waiting.insert(seq, chunk);
            while let Some(chunk) = waiting.remove(&next) {
                merge.chunk(chunk?);
                *retain.lock().unwrap_or_else(PoisonError::into_inner) = merge.retain();
                next += 1;
            }
        }
        // Every block read was merged; a reading error comes after them.
        reader.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
    .and_then(|hashes| merge.finish(hashes))
}

/// A block to parse, numbered in file order.
struct Job {
    seq: u64,
    file: usize,
    header: Arc<FileHeader>,
    block: source::Block,
}

type Parsed<'a> = Result<row::Chunk<'a>, IngestError>;

/// A file's name and header, shared by its blocks.
struct FileHeader {
    name: String,
    header: source::Header,
}

/// Reads every file to its end, block by block, numbering the blocks;
/// returns the files' SHA-256, or the first reading error. Stops early when
/// the blocks are no longer wanted.
fn read_all(
    streams: Vec<Stream<File>>,
    to_parse: &mpsc::SyncSender<Job>,
    returned: &mpsc::Receiver<Vec<u8>>,
) -> Result<Vec<String>, IngestError> {
    let mut spare = Vec::new();
    let mut hashes = Vec::with_capacity(streams.len());
    let mut seq = 0;
    for (file, mut s) in streams.into_iter().enumerate() {
        let header = Arc::new(FileHeader { name: s.name.clone(), header: s.header.clone() });
        s.spare = std::mem::take(&mut spare);
        loop {
            s.spare.extend(returned.try_iter());
            let block = match s.next_block() {
                Ok(Some(block)) => block,
                Ok(None) => break,
                Err(reason) => return Err(IngestError { path: s.name.clone(), reason }),
            };
            let job = Job { seq, file, header: Arc::clone(&header), block };
            if to_parse.send(job).is_err() {
                // The merge stopped at an error of its own.
                return Ok(hashes);
            }
            seq += 1;
        }
        spare = std::mem::take(&mut s.spare);
        hashes.push(s.sha256());
    }
    Ok(hashes)
}

/// The merge of parsed blocks, in file order: global string ids, repeated
/// ids, counts, and the postings kept.
struct Merge {
    plan: Plan,
    names: Vec<String>,
    ds: Dataset,
    /// Data rows read per file.
    rows_per_file: Vec<u64>,
    companies: Interner,
    locations: Interner,
    skills: HashMap<String, u32>,
    /// The first row of each id.
    first_seen: FirstSeen,
    retain: Retain,
    /// Bytes of the files, and of the blocks merged so far: the table of
    /// ids is sized once from them, not grown (and copied) step by step.
    bytes_total: u64,
    bytes_merged: u64,
}

impl Merge {
    fn new(plan: Plan, names: Vec<String>) -> Self {
        Merge {
            plan,
            rows_per_file: vec![0; names.len()],
            names,
            ds: Dataset { dedup_window_days: None, ..Dataset::default() },
            companies: Interner::default(),
            locations: Interner::default(),
            skills: HashMap::default(),
            first_seen: FirstSeen::default(),
            retain: Retain::of(plan.keep, None),
            bytes_total: 0,
            bytes_merged: 0,
        }
    }

    /// What blocks parsed now should keep (at least what the merge keeps).
    fn retain(&self) -> Retain {
        self.retain
    }

    fn chunk(&mut self, c: row::Chunk) {
        if self.bytes_merged == 0 && c.bytes > 0 {
            // The rows of the whole input, estimated from the first block.
            let rows = c.accepted.len() as f64 * self.bytes_total as f64 / c.bytes as f64;
            self.first_seen.table.reserve((rows * 1.05) as usize, FirstSeen::hash);
        }
        self.bytes_merged += c.bytes as u64;
        let ds = &mut self.ds;
        ds.rows_read += c.rows_read;
        ds.rows_rejected += c.rejected;
        self.rows_per_file[c.file] += c.rows_read;
        for (k, v) in &c.excluded {
            *ds.salaries_excluded.entry(*k).or_default() += v;
        }
        // Global ids: every skill (a skill's name is the smallest spelling
        // in any row), companies and locations of kept postings only.
        let skill: Vec<u32> = c
            .skills
            .iter()
            .map(|(key, display)| {
                let next = ds.skills.len() as u32;
                let id = *self.skills.entry(key.clone()).or_insert(next);
                if id == next {
                    ds.skills.push(display.clone());
                } else if *display < ds.skills[id as usize] {
                    ds.skills[id as usize] = display.clone();
                }
                id
            })
            .collect();
        let mut company = vec![u32::MAX; c.companies.names.len()];
        let mut location = vec![u32::MAX; c.locations.names.len()];
        let chain = self.plan.chains();
        for (i, a) in c.accepted.iter().enumerate() {
            if let Some(first) = self.first_seen.first_or_insert(a.digest, c.file, a.line) {
                ds.rows_rejected += 1;
                let reason = match first {
                    Some((f, line)) => {
                        format!("repeats the id first seen at {}:{line}", self.names[f])
                    }
                    None => "repeats an id seen before".to_string(),
                };
                ds.issues.push(Issue {
                    file: self.names[c.file].clone(),
                    line: a.line,
                    id: c.id(i).to_string(),
                    kind: IssueKind::Rejected,
                    field: "id".into(),
                    reason,
                });
                continue;
            }
            ds.accepted += 1;
            ds.unclassified += u64::from(a.unclassified);
            ds.newest_posted = ds.newest_posted.max(Some(a.posted));
            ds.oldest_posted = Some(ds.oldest_posted.map_or(a.posted, |o| o.min(a.posted)));
            let kept = a.kept.map(|k| &c.postings[k as usize]);
            match kept {
                Some(p) if self.retain.keeps(p.posted, p.closed) => {
                    let mut q = p.clone();
                    q.company = p
                        .company
                        .map(|x| global_id(&mut company, &mut self.companies, &c.companies, x));
                    q.location = p
                        .location
                        .map(|x| global_id(&mut location, &mut self.locations, &c.locations, x));
                    let start = ds.skill_refs.len() as u32;
                    ds.skill_refs.extend(
                        c.skill_refs[p.skills.0 as usize..p.skills.1 as usize]
                            .iter()
                            .map(|&s| skill[s as usize]),
                    );
                    q.skills = (start, ds.skill_refs.len() as u32);
                    ds.postings.push(q);
                }
                _ if chain && self.retain.to.is_none_or(|t| a.posted <= t) => {
                    ds.bridges.push((a.key, a.posted, jobs::BRIDGE));
                }
                _ => {}
            }
        }
        ds.issues.extend(c.issues);
        // The newest date read may move the first week kept on.
        let now = Retain::of(self.plan.keep, ds.newest_posted);
        if now != self.retain {
            self.retain = now;
            self.prune();
        }
    }

    /// Drops the postings no longer kept (linking reposts through them still).
    fn prune(&mut self) {
        let ds = &mut self.ds;
        let chain = self.plan.chains();
        let mut refs = Vec::with_capacity(ds.skill_refs.len());
        let retain = self.retain;
        let bridges = &mut ds.bridges;
        let skill_refs = &ds.skill_refs;
        ds.postings.retain_mut(|p| {
            if !retain.keeps(p.posted, p.closed) {
                if chain && retain.to.is_none_or(|t| p.posted <= t) {
                    bridges.push((p.key, p.posted, jobs::BRIDGE));
                }
                return false;
            }
            let start = refs.len() as u32;
            refs.extend_from_slice(&skill_refs[p.skills.0 as usize..p.skills.1 as usize]);
            p.skills = (start, refs.len() as u32);
            true
        });
        ds.skill_refs = refs;
    }

    fn finish(self, hashes: Vec<String>) -> Result<Dataset, IngestError> {
        let Merge { plan, names, mut ds, rows_per_file, companies, locations, .. } = self;
        if let Some(i) = rows_per_file.iter().position(|&n| n == 0) {
            return Err(IngestError { path: names[i].clone(), reason: "no data rows".into() });
        }
        ds.files = names
            .iter()
            .zip(hashes)
            .map(|(path, sha256)| SourceFile { path: path.clone(), sha256 })
            .collect();
        ds.companies = companies.names;
        ds.locations = locations.names;
        // Sorted by file (in the order given), then line.
        let order: HashMap<&str, usize> =
            names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        ds.issues.sort_by(|a, b| {
            (order[a.file.as_str()], a.line, a.kind).cmp(&(order[b.file.as_str()], b.line, b.kind))
        });
        for (i, p) in ds.postings.iter_mut().enumerate() {
            p.job = i as u32;
        }
        if let Some(w) = plan.window_days {
            jobs::chain(&mut ds, w);
        }
        Ok(ds)
    }
}

#[cfg(test)]
mod tests;

/// The global id of block-local string `x`: interned on first use, then
/// remembered in `ids` (block-local id → global id, `u32::MAX` until used).
fn global_id(ids: &mut [u32], global: &mut Interner, local: &Interner, x: u32) -> u32 {
    let slot = &mut ids[x as usize];
    if *slot == u32::MAX {
        *slot = global.get(&local.names[x as usize]);
    }
    *slot
}

/// The first row of every id read so far, for the one thing that must
/// follow the size of the input: finding repeated ids anywhere in it. An
/// entry is 12 bytes, the id's 64-bit digest ([`row::id_digest`]) and its
/// row's place as one 32-bit number across the files (a map of two 64-bit
/// words would take 16).
#[derive(Default)]
struct FirstSeen {
    table: hashbrown::HashTable<[u32; 3]>,
    /// Where each file's lines start in the places, and its last line so far.
    files: Vec<(u64, u64)>,
}

impl FirstSeen {
    /// No place: a row beyond four billion lines, named without its line.
    const UNKNOWN: u32 = u32::MAX;

    fn hash(e: &[u32; 3]) -> u64 {
        (u64::from(e[1]) << 32) | u64::from(e[0])
    }

    /// Records that `digest` was first seen at `file`:`line`, or says where
    /// it was first seen (`None` inside when that place is unknown).
    fn first_or_insert(
        &mut self,
        digest: u64,
        file: usize,
        line: u64,
    ) -> Option<Option<(usize, u64)>> {
        let (lo, hi) = (digest as u32, (digest >> 32) as u32);
        if let Some(e) = self.table.find(digest, |e| e[0] == lo && e[1] == hi) {
            let place = u64::from(e[2]);
            return Some((e[2] != Self::UNKNOWN).then(|| {
                let f = self.files.partition_point(|&(start, _)| start <= place) - 1;
                (f, place - self.files[f].0)
            }));
        }
        while self.files.len() <= file {
            let start = self.files.last().map_or(0, |&(start, last)| start + last + 1);
            self.files.push((start, 0));
        }
        let (start, last) = &mut self.files[file];
        *last = (*last).max(line);
        let place = u32::try_from(*start + line).unwrap_or(Self::UNKNOWN);
        self.table.insert_unique(digest, [lo, hi, place], Self::hash);
        None
    }
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
