//! The orchestrator: resolves the configuration, runs the stages of each
//! command in order, prints summaries and timings. Holds no statistics logic.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::NaiveDate;

use crate::cli::LogFormat;
use crate::cli::{Cli, Command, GenDataArgs, ReportArgs, SnapshotArgs};
use crate::config::Config;
use crate::deltas::{self, WeekOverWeek};
use crate::ingest::{self, Dataset, FxRates, IngestError, IssueKind};
use crate::logging::Logging;
use crate::model::IsoWeek;
use crate::report::{self, ReportJob};
use crate::roles::Catalog;
use crate::stats::{self, Snapshot};
use crate::store::{self, SnapshotStore};
use crate::subscribers::{Status as SubscriberStatus, Subscriber};

mod send;

/// Weeks of history the weekly job keeps stored (for the trend charts).
pub const HISTORY_WEEKS: usize = 12;

/// Exit codes of spec section 9.
pub mod exit {
    /// Done.
    pub const OK: u8 = 0;
    /// Anything else.
    pub const FAILURE: u8 = 1;
    /// Bad arguments or config.
    pub const USAGE: u8 = 2;
    /// Bad input data.
    pub const DATA: u8 = 65;
    /// A service is unavailable.
    pub const UNAVAILABLE: u8 = 69;
    /// Partly done; rerun to resume.
    pub const TEMPFAIL: u8 = 75;
}

/// An error that carries its exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Fatal {
    /// The exit code.
    pub code: u8,
    /// What went wrong.
    pub message: String,
}

impl Fatal {
    /// An error with its exit code.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Fatal { code, message: message.into() }
    }
}

/// The exit code for an error: the first [`Fatal`] or [`IngestError`] in its chain.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(f) = cause.downcast_ref::<Fatal>() {
            return f.code;
        }
        if cause.downcast_ref::<IngestError>().is_some() {
            return exit::DATA;
        }
    }
    exit::FAILURE
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    if let Command::GenData(args) = &cli.command {
        return gen_data(args, cli.quiet);
    }
    let as_of = resolve_today(cli.as_of)?;
    let mut cfg = Config::load(cli.config.as_deref(), as_of)
        .map_err(|e| Fatal::new(exit::USAGE, format!("{e:#}")))?;
    if let Some(p) = &cli.postings {
        cfg.postings = p.clone();
    }
    let out = Printer {
        logging: Logging { format: cli.log_format, quiet: cli.quiet, verbose: cli.verbose },
    };
    match &cli.command {
        Command::Validate => validate(&cfg, &out),
        Command::Snapshot(args) => snapshot(&cfg, args, &out),
        Command::Deltas(arg) => {
            let d = deltas_for(&cfg, arg.week)?;
            let mut stdout = std::io::stdout().lock();
            std::io::Write::write_all(&mut stdout, &store::to_json(&d)?)?;
            Ok(())
        }
        Command::Report(args) => report_cmd(&cfg, args, &out),
        Command::Newsletter(arg) => newsletter_cmd(&cfg, arg.week, &out),
        Command::Send(args) => send::send_cmd(&cfg, args, &out).map(|_| ()),
        Command::Serve(args) => {
            let key = match configured_key() {
                Some(k) => k,
                None if args.development_key => unsubscribe_key(&out),
                None => {
                    return Err(Fatal::new(
                        exit::USAGE,
                        "SALARYTRENDS_UNSUBSCRIBE_KEY is not set; serve checks unsubscribe links with the key that send signs them with, so it does not start without it (for local testing only: --development-key)",
                    )
                    .into());
                }
            };
            crate::serve::serve(&cfg, &args.listen, key, &|s| out.say(s))
        }
        Command::Weekly(arg) => weekly(&cfg, arg.week, &out),
        Command::BenchMessages(args) => bench_messages(&cfg, args, &out),
        Command::GenData(_) => unreachable!("handled above"),
    }
}

/// "Today": `--as-of`, else `SOURCE_DATE_EPOCH`, else the clock (read here only).
fn resolve_today(flag: Option<NaiveDate>) -> Result<NaiveDate> {
    if let Some(d) = flag {
        return Ok(d);
    }
    if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
        let secs: i64 = epoch.trim().parse().map_err(|_| {
            Fatal::new(
                exit::USAGE,
                format!("SOURCE_DATE_EPOCH '{epoch}' is not a number of seconds"),
            )
        })?;
        return chrono::DateTime::from_timestamp(secs, 0)
            .map(|d| d.date_naive())
            .ok_or_else(|| Fatal::new(exit::USAGE, "SOURCE_DATE_EPOCH is out of range").into());
    }
    #[allow(clippy::disallowed_methods, reason = "the one place the clock is read")]
    Ok(chrono::Utc::now().date_naive())
}

/// Reports summaries and warnings through the log (text or JSON lines).
pub(crate) struct Printer {
    logging: Logging,
}

impl Printer {
    /// A summary line (info level: hidden by -q).
    pub(crate) fn say(&self, text: impl AsRef<str>) {
        tracing::info!("{}", text.as_ref());
    }

    /// A warning.
    pub(crate) fn warn(&self, text: impl AsRef<str>) {
        match self.logging.format {
            LogFormat::Json => tracing::warn!("{}", text.as_ref()),
            LogFormat::Text => tracing::warn!("warning: {}", text.as_ref()),
        }
    }

    /// A detail shown with -v.
    pub(crate) fn detail(&self, text: impl AsRef<str>) {
        tracing::debug!("{}", text.as_ref());
    }

    /// A progress bar (hidden unless a person watches a terminal).
    pub(crate) fn progress(&self, len: u64, what: &str) -> indicatif::ProgressBar {
        self.logging.progress(len, what)
    }
}

/// The inputs every data command reads.
struct Inputs {
    catalog: Catalog,
    data: Dataset,
}

fn load_inputs(cfg: &Config) -> Result<Inputs> {
    let catalog =
        Catalog::load(&cfg.roles).map_err(|e| Fatal::new(exit::DATA, format!("{e:#}")))?;
    let fx = FxRates::load(&cfg.fx).map_err(|e| Fatal::new(exit::DATA, format!("{e:#}")))?;
    let files = ingest::expand(&cfg.postings)?;
    let data = ingest::load(&files, |p| cfg.display_path(p), &catalog, &fx)?;
    Ok(Inputs { catalog, data })
}

/// Fails with exit 65 when too many rows were rejected.
fn check_rejects(cfg: &Config, data: &Dataset) -> Result<()> {
    if data.reject_ratio() <= cfg.max_reject_ratio {
        return Ok(());
    }
    let files: Vec<&str> = data.files.iter().map(|f| f.path.as_str()).collect();
    let mut msg = format!(
        "{}: {} of {} rows rejected ({:.1}%), above max_reject_ratio {}; nothing written",
        files.join(", "),
        data.rows_rejected,
        data.rows_read,
        data.reject_ratio() * 100.0,
        cfg.max_reject_ratio
    );
    for i in data.issues.iter().filter(|i| i.kind == IssueKind::Rejected).take(10) {
        let _ = write!(msg, "\n  {}:{}: {}: {} (id '{}')", i.file, i.line, i.field, i.reason, i.id);
    }
    Err(Fatal::new(exit::DATA, msg).into())
}

/// The data-quality summary printed by every run.
pub fn quality_summary(data: &Dataset) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "data quality: {} rows read from {} file{}",
        data.rows_read,
        data.files.len(),
        if data.files.len() == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        s,
        "  rejected:            {} ({:.2}%)",
        data.rows_rejected,
        data.reject_ratio() * 100.0
    );
    let excluded: Vec<String> =
        data.salaries_excluded.iter().map(|(k, v)| format!("{}: {v}", k.label())).collect();
    let _ = writeln!(
        s,
        "  salaries excluded:   {}{}",
        data.salaries_excluded_total(),
        if excluded.is_empty() { String::new() } else { format!(" ({})", excluded.join(", ")) }
    );
    let _ = write!(s, "  unclassified titles: {}", data.unclassified);
    s
}

/// The default week: the earlier of the last complete ISO week by the clock
/// and the week of the newest `posted_at`.
pub fn default_week(as_of: NaiveDate, data: &Dataset) -> Option<IsoWeek> {
    let last_complete = IsoWeek::containing(as_of).prev();
    data.newest_posted().map(|d| IsoWeek::containing(d).min(last_complete))
}

fn week_or_default(cfg: &Config, week: Option<IsoWeek>, data: &Dataset) -> Result<IsoWeek> {
    match week {
        Some(w) => Ok(w),
        None => default_week(cfg.as_of, data)
            .ok_or_else(|| Fatal::new(exit::DATA, "no postings, so no default week").into()),
    }
}

fn validate(cfg: &Config, out: &Printer) -> Result<()> {
    let inputs = load_inputs(cfg)?;
    let data = &inputs.data;
    out.say(quality_summary(data));
    let shown = 20;
    for i in data.issues.iter().take(shown) {
        let kind = match i.kind {
            IssueKind::Rejected => "rejected",
            IssueKind::Warning => "warning",
        };
        out.say(format!(
            "{}:{}: {kind}: {}: {} (id '{}')",
            i.file, i.line, i.field, i.reason, i.id
        ));
    }
    if data.issues.len() > shown {
        out.say(format!("… and {} more", data.issues.len() - shown));
    }
    check_rejects(cfg, data)
}

/// `rejected.csv`: rejected rows and warnings with file, line, id and reason.
fn write_rejected(path: &Path, data: &Dataset) -> Result<()> {
    store::write_atomic_with(path, |w| {
        let mut c = csv::WriterBuilder::new().has_headers(false).from_writer(w);
        c.write_record(["file", "line", "id", "kind", "field", "reason"])?;
        for i in &data.issues {
            c.serialize(i)?;
        }
        c.flush()?;
        Ok(())
    })
}

fn week_dir(cfg: &Config, week: IsoWeek) -> PathBuf {
    cfg.output_dir.join(week.to_string())
}

fn parse_range(text: &str) -> Result<Vec<IsoWeek>> {
    let bad = || {
        Fatal::new(exit::USAGE, format!("--weeks '{text}' is not a range like 2026-W30..2026-W47"))
    };
    let (a, b) = text.split_once("..").ok_or_else(bad)?;
    let (a, b): (IsoWeek, IsoWeek) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if b < a {
        return Err(bad().into());
    }
    Ok(a.through(b))
}

/// Computes and stores the given weeks; stored ones are kept unless `recompute`.
/// Returns (week, computed?) per week.
fn store_weeks(
    cfg: &Config,
    inputs: &Inputs,
    weeks: &[IsoWeek],
    recompute: bool,
) -> Result<Vec<(IsoWeek, bool)>> {
    let store = SnapshotStore::new(&cfg.snapshots_dir);
    let mut done = Vec::new();
    for &w in weeks {
        if store.contains(w) && !recompute {
            done.push((w, false));
            continue;
        }
        let snap = stats::snapshot(&inputs.data, &inputs.catalog, w, cfg.min_salary_sample);
        store.save(&snap)?;
        write_rejected(&week_dir(cfg, w).join("rejected.csv"), &inputs.data)?;
        done.push((w, true));
    }
    Ok(done)
}

fn snapshot(cfg: &Config, args: &SnapshotArgs, out: &Printer) -> Result<()> {
    let inputs = load_inputs(cfg)?;
    out.say(quality_summary(&inputs.data));
    check_rejects(cfg, &inputs.data)?;
    let weeks = match &args.weeks {
        Some(r) => parse_range(r)?,
        None => vec![week_or_default(cfg, args.week, &inputs.data)?],
    };
    for (w, computed) in store_weeks(cfg, &inputs, &weeks, args.recompute)? {
        let path = SnapshotStore::new(&cfg.snapshots_dir).path(w);
        if computed {
            out.say(format!("{w}: snapshot written to {}", cfg.display_path(&path)));
        } else {
            out.say(format!("{w}: stored snapshot kept (use --recompute to rebuild it)"));
        }
    }
    Ok(())
}

/// Deltas of `week` against the stored week before. The default week is
/// the one of spec section 4, from the postings: a problem reading them (or
/// the catalogue) is an error, never a quiet switch to another week.
fn deltas_for(cfg: &Config, week: Option<IsoWeek>) -> Result<WeekOverWeek> {
    let store = SnapshotStore::new(&cfg.snapshots_dir);
    let week = match week {
        Some(w) => w,
        None => week_or_default(cfg, None, &load_inputs(cfg)?.data)?,
    };
    Ok(stored_week(&store, week)?.1)
}

fn weekly(cfg: &Config, week: Option<IsoWeek>, out: &Printer) -> Result<()> {
    let started = Instant::now();
    // One weekly run per state database at a time.
    let _lock = send::lock_state(cfg)?;
    let t = Instant::now();
    let inputs = load_inputs(cfg)?;
    out.say(quality_summary(&inputs.data));
    check_rejects(cfg, &inputs.data)?;
    let ingest_ms = t.elapsed().as_millis();
    let week = week_or_default(cfg, week, &inputs.data)?;

    // The week and the history the trend charts need, from the first week with data.
    let t = Instant::now();
    let oldest = inputs.data.postings.iter().map(|p| p.posted).min().map(IsoWeek::containing);
    let weeks: Vec<IsoWeek> = week
        .trailing(HISTORY_WEEKS)
        .into_iter()
        .filter(|w| oldest.is_some_and(|o| *w >= o))
        .collect();
    let done = store_weeks(cfg, &inputs, &weeks, false)?;
    let computed: Vec<String> =
        done.iter().filter(|(_, c)| *c).map(|(w, _)| w.to_string()).collect();
    let snapshot_ms = t.elapsed().as_millis();

    let t = Instant::now();
    let store = SnapshotStore::new(&cfg.snapshots_dir);
    let cur: Snapshot = store.load(week)?.context("the week's snapshot was just stored")?;
    let prev = store.load(week.prev())?;
    let d = deltas::week_over_week(prev.as_ref(), &cur);
    let dir = week_dir(cfg, week);
    write_rejected(&dir.join("rejected.csv"), &inputs.data)?;
    let deltas_path = dir.join("deltas.json");
    let bytes = store::to_json(&d)?;
    let deltas_new = std::fs::read(&deltas_path).ok().as_deref() != Some(&bytes[..]);
    if deltas_new {
        store::write_atomic(&deltas_path, &bytes)?;
    }
    let deltas_ms = t.elapsed().as_millis();

    let t = Instant::now();
    let catalog = &inputs.catalog;
    let reports = reports_if_stale(cfg, catalog, week, out)?;
    let reports_ms = t.elapsed().as_millis();

    let t = Instant::now();
    let newsletter = newsletter_if_stale(cfg, catalog, week, out)?;
    let newsletter_ms = t.elapsed().as_millis();

    let t = Instant::now();
    let sent = send::send_week(cfg, catalog, week, false, false, out);
    let send_ms = t.elapsed().as_millis();

    out.say(format!("\nweek {week} ({} to {})", week.monday(), week.sunday()));
    out.say(market_line(&d));
    out.say(movers(&d));
    out.say("\nstages:");
    out.say(format!(
        "  ingest     {ingest_ms:>6} ms  {} postings accepted",
        inputs.data.postings.len()
    ));
    out.say(format!(
        "  snapshots  {snapshot_ms:>6} ms  {}",
        if computed.is_empty() {
            format!("{} weeks already stored, nothing recomputed", done.len())
        } else {
            format!(
                "computed {} ({} already stored)",
                computed.join(", "),
                done.len() - computed.len()
            )
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
            Some(n) => format!("rendered {n} PDFs into {}", cfg.display_path(&dir.join("reports"))),
            None => "up to date (snapshot and templates unchanged)".into(),
        }
    ));
    out.say(format!(
        "  newsletter {newsletter_ms:>6} ms  {}",
        if newsletter {
            format!("written to {}", cfg.display_path(&dir.join("newsletter")))
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
        && sent.as_ref().is_ok_and(|r| r.sent == 0);
    if nothing_new {
        out.say(format!(
            "nothing new: {week} was already complete (snapshots, reports, newsletter, every message sent)"
        ));
    }
    out.say(format!("done in {} ms", started.elapsed().as_millis()));
    sent.map(|_| ())
}

/// The newest stored week that is complete by the clock.
fn stored_default_week(cfg: &Config) -> Result<IsoWeek> {
    let last_complete = IsoWeek::containing(cfg.as_of).prev();
    SnapshotStore::new(&cfg.snapshots_dir)
        .weeks()?
        .into_iter()
        .rfind(|w| *w <= last_complete)
        .ok_or_else(|| {
            Fatal::new(exit::FAILURE, "no stored snapshot; run `salarytrends snapshot` first")
                .into()
        })
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

/// A stored week and its deltas against the stored week before.
fn stored_week(store: &SnapshotStore, week: IsoWeek) -> Result<(Snapshot, WeekOverWeek)> {
    let snapshot = store.load(week)?.ok_or_else(|| {
        Fatal::new(
            exit::FAILURE,
            format!(
                "no stored snapshot for {week}; run `salarytrends snapshot --week {week}` first"
            ),
        )
    })?;
    let prev = store.load(week.prev())?;
    let d = deltas::week_over_week(prev.as_ref(), &snapshot);
    Ok((snapshot, d))
}

/// Renders `pairs` of `week` from the stored snapshots and rewrites the manifest.
fn render_reports(
    cfg: &Config,
    catalog: &Catalog,
    week: IsoWeek,
    pairs: &[(usize, usize)],
    emit_source: Option<PathBuf>,
    out: &Printer,
) -> Result<Vec<report::Rendered>> {
    let store = SnapshotStore::new(&cfg.snapshots_dir);
    let (snapshot, d) = stored_week(&store, week)?;
    let mut history = Vec::new();
    for w in week.trailing(HISTORY_WEEKS) {
        if w == week {
            history.push(snapshot.clone());
        } else if let Some(s) = store.load(w)? {
            history.push(s);
        }
    }
    let template = report::template(&cfg.templates_dir)?;
    let week_dir = week_dir(cfg, week);
    let job = ReportJob {
        snapshot: &snapshot,
        deltas: &d,
        history: &history,
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
    report::write_manifest(&week_dir, week)?;
    Ok(rendered)
}

/// What every report of a week depends on (besides the program, which
/// [`ReportStamp`] holds apart): the stored snapshots it reads, the template, the settings, and the catalogue's names
/// and slugs in order (the related-comparison links of every report).
fn reports_digest_base(cfg: &Config, catalog: &Catalog, week: IsoWeek) -> Result<sha2::Sha256> {
    use sha2::Digest;
    let store = SnapshotStore::new(&cfg.snapshots_dir);
    let mut h = sha2::Sha256::new();
    let field = |h: &mut sha2::Sha256, bytes: &[u8]| {
        // Length-prefixed, so that fields cannot run into each other.
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    for w in week.trailing(HISTORY_WEEKS) {
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
fn pair_digest(
    base: &sha2::Sha256,
    a: &crate::roles::RoleDef,
    b: &crate::roles::RoleDef,
) -> String {
    use sha2::Digest;
    let mut h = base.clone();
    for def in [a, b] {
        let text = serde_json::to_vec(def).expect("a role definition serialises");
        h.update((text.len() as u64).to_le_bytes());
        h.update(&text);
    }
    crate::model::hex(&h.finalize())
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
        out.warn(format!(
            "{} {} not in the stored snapshot of {week} (added to roles.toml after it was stored), so {} reports are not rendered; `salarytrends snapshot --week {week} --recompute` adds {}",
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" },
            if missing.len() == 1 { "its" } else { "their" },
            if missing.len() == 1 { "it" } else { "them" },
        ));
    }
    pairs.iter().copied().filter(|&(a, b)| has(a) && has(b)).collect()
}

/// `reports/.inputs.json`: the build that rendered a week's reports and the
/// inputs digest of each report.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct ReportStamp {
    program: String,
    reports: std::collections::BTreeMap<String, String>,
}

/// Renders every pair whose report on disk was not made by this build from
/// today's inputs. Returns how many were rendered, `None` when every one was
/// current.
fn reports_if_stale(
    cfg: &Config,
    catalog: &Catalog,
    week: IsoWeek,
    out: &Printer,
) -> Result<Option<usize>> {
    let dir = week_dir(cfg, week).join("reports");
    let stamp_path = dir.join(".inputs.json");
    let store = SnapshotStore::new(&cfg.snapshots_dir);
    let (snapshot, _) = stored_week(&store, week)?;
    let pairs =
        pairs_with_figures(&snapshot, catalog, &report::all_pairs(catalog.roles.len()), out);
    let base = reports_digest_base(cfg, catalog, week)?;
    let stamp = ReportStamp {
        program: crate::BUILD_ID.to_string(),
        reports: pairs
            .iter()
            .map(|&(a, b)| {
                let (da, db) = (&catalog.roles[a], &catalog.roles[b]);
                (crate::render::report_file(da, db), pair_digest(&base, da, db))
            })
            .collect(),
    };
    let before: ReportStamp = std::fs::read(&stamp_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let stale: Vec<(usize, usize)> = pairs
        .iter()
        .copied()
        .filter(|&(a, b)| {
            let file = crate::render::report_file(&catalog.roles[a], &catalog.roles[b]);
            before.program != stamp.program
                || before.reports.get(&file) != stamp.reports.get(&file)
                || !dir.join(&file).is_file()
        })
        .collect();
    if stale.is_empty() {
        return Ok(None);
    }
    let rendered = render_reports(cfg, catalog, week, &stale, None, out)?;
    store::write_atomic(&stamp_path, &store::to_json(&stamp)?)?;
    Ok(Some(rendered.len()))
}

fn report_cmd(cfg: &Config, args: &ReportArgs, out: &Printer) -> Result<()> {
    let catalog =
        Catalog::load(&cfg.roles).map_err(|e| Fatal::new(exit::DATA, format!("{e:#}")))?;
    let week = match args.week {
        Some(w) => w,
        None => stored_default_week(cfg)?,
    };
    let pairs = match &args.pair {
        Some(names) => vec![resolve_pair(&catalog, names)?],
        None => {
            let store = SnapshotStore::new(&cfg.snapshots_dir);
            let (snapshot, _) = stored_week(&store, week)?;
            pairs_with_figures(&snapshot, &catalog, &report::all_pairs(catalog.roles.len()), out)
        }
    };
    let t = Instant::now();
    let rendered = render_reports(cfg, &catalog, week, &pairs, args.emit_source.clone(), out)?;
    for r in rendered.iter().take(if rendered.len() > 3 { 0 } else { 3 }) {
        out.say(format!("wrote {} ({} KB)", cfg.display_path(&r.pdf), r.bytes.div_ceil(1024)));
    }
    out.say(format!(
        "{week}: {} report{} in {} ms",
        rendered.len(),
        if rendered.len() == 1 { "" } else { "s" },
        t.elapsed().as_millis()
    ));
    if let Some(dir) = &args.emit_source {
        out.say(format!("sources written to {}", dir.display()));
    }
    Ok(())
}

/// The unsubscribe signing key from the environment, if set.
pub(crate) fn configured_key() -> Option<Vec<u8>> {
    std::env::var("SALARYTRENDS_UNSUBSCRIBE_KEY")
        .ok()
        .filter(|k| !k.is_empty())
        .map(String::into_bytes)
}

/// The unsubscribe signing key from the environment, or a development key
/// (with a warning) for files and previews. Sending over SMTP requires the real one.
fn unsubscribe_key(out: &Printer) -> Vec<u8> {
    static WARNED: std::sync::Once = std::sync::Once::new();
    match configured_key() {
        Some(k) => k,
        None => {
            WARNED.call_once(|| {
                out.warn(
                    "SALARYTRENDS_UNSUBSCRIBE_KEY is not set; preview links use a development key",
                )
            });
            b"salarytrends-development-key".to_vec()
        }
    }
}

/// An issue ready to be personalised: the rendered templates and the envelope.
pub(crate) struct Issue {
    renderer: crate::newsletter::Renderer,
    envelope: crate::newsletter::mime::Envelope,
    images: Vec<crate::newsletter::mime::InlineImage>,
}

impl Issue {
    /// One subscriber's formatted message.
    pub(crate) fn message(
        &self,
        sub: &Subscriber,
        roles: &[crate::roles::RoleDef],
    ) -> Result<Vec<u8>> {
        let personal =
            self.renderer.personal(sub, roles, &self.envelope.unsubscribe_url(&sub.email))?;
        self.envelope.build(sub, &personal, &self.images)
    }
}

/// Renders the newsletter of `week` from the stored snapshots.
pub(crate) fn prepare_issue(
    cfg: &Config,
    catalog: &Catalog,
    week: IsoWeek,
    key: Vec<u8>,
) -> Result<Issue> {
    use crate::newsletter::{self, EmailChart, Renderer};
    let store = SnapshotStore::new(&cfg.snapshots_dir);
    let (snapshot, d) = stored_week(&store, week)?;
    let charts: Vec<EmailChart> = crate::charts::newsletter_charts(&snapshot)
        .into_iter()
        .map(|(file, alt, png)| EmailChart {
            cid: format!("{}.{week}@salarytrends", file.trim_end_matches(".png")),
            file,
            alt,
            png,
        })
        .collect();
    let model = newsletter::issue_model(
        &snapshot,
        &d,
        &catalog.roles,
        &cfg.newsletter.base_url,
        &cfg.newsletter.postal_address,
        charts,
    );
    let renderer = Renderer::new(model, &cfg.templates_dir)?;
    let envelope = newsletter::mime::Envelope {
        from: cfg
            .newsletter
            .from
            .parse()
            .map_err(|e| Fatal::new(exit::USAGE, format!("newsletter.from: {e}")))?,
        reply_to: cfg
            .newsletter
            .reply_to
            .parse()
            .map_err(|e| Fatal::new(exit::USAGE, format!("newsletter.reply_to: {e}")))?,
        subject: renderer.model().subject.clone(),
        base_url: cfg.newsletter.base_url.clone(),
        week,
        key,
    };
    let images =
        renderer.model().charts.iter().map(crate::newsletter::mime::InlineImage::new).collect();
    Ok(Issue { renderer, envelope, images })
}

/// The subscriber list, or an empty one when the file does not exist.
fn load_subscribers(cfg: &Config, catalog: &Catalog) -> Result<crate::subscribers::SubscriberList> {
    if cfg.subscribers.is_file() {
        crate::subscribers::load(&cfg.subscribers, catalog)
            .map_err(|e| Fatal::new(exit::DATA, format!("{e:#}")).into())
    } else {
        Ok(Default::default())
    }
}

/// The subscriber a preview or test message is written for: the first active
/// one on the list, or a made-up reader.
fn sample_subscriber(list: &crate::subscribers::SubscriberList) -> Subscriber {
    list.subscribers.iter().find(|s| s.status == SubscriberStatus::Active).cloned().unwrap_or_else(
        || Subscriber {
            line: 0,
            email: "reader@example.com".into(),
            name: "Sample Reader".into(),
            roles: vec![0],
            status: SubscriberStatus::Active,
        },
    )
}

/// Renders the newsletter files of `week` from the stored snapshots.
fn render_newsletter(cfg: &Config, catalog: &Catalog, week: IsoWeek, key: Vec<u8>) -> Result<()> {
    let issue = prepare_issue(cfg, catalog, week, key)?;
    let dir = week_dir(cfg, week);
    for c in &issue.renderer.model().charts {
        store::write_atomic(&dir.join("charts/newsletter").join(&c.file), &c.png)?;
    }
    store::write_atomic(
        &dir.join("newsletter/newsletter.html"),
        issue.renderer.public_html().as_bytes(),
    )?;
    store::write_atomic(
        &dir.join("newsletter/newsletter.txt"),
        issue.renderer.public_text()?.as_bytes(),
    )?;
    let sample = sample_subscriber(&load_subscribers(cfg, catalog)?);
    store::write_atomic(
        &dir.join("newsletter/preview.eml"),
        &issue.message(&sample, &catalog.roles)?,
    )?;
    report::write_manifest(&dir, week)?;
    Ok(())
}

/// What the newsletter files of a week depend on: the build, the reports' inputs, the
/// whole catalogue, the templates, the subscribers (the preview's reader),
/// the newsletter settings and the signing key (the preview's links). The key
/// enters as a keyed fingerprint, never as itself.
fn newsletter_inputs_digest(
    cfg: &Config,
    catalog: &Catalog,
    week: IsoWeek,
    key: &[u8],
) -> Result<String> {
    use hmac::{Hmac, Mac};
    use sha2::Digest;
    let mut h = reports_digest_base(cfg, catalog, week)?;
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(crate::BUILD_ID.as_bytes());
    field(&std::fs::read(&cfg.roles).unwrap_or_default());
    for name in ["newsletter.mjml", "newsletter.txt", "your-roles.html", "unsubscribe.html"] {
        field(&std::fs::read(cfg.templates_dir.join(name)).unwrap_or_default());
    }
    field(&std::fs::read(&cfg.subscribers).unwrap_or_default());
    field(format!("{:?}", cfg.newsletter).as_bytes());
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(b"salarytrends newsletter stamp");
    field(&mac.finalize().into_bytes());
    Ok(crate::model::hex(&h.finalize()))
}

fn newsletter_if_stale(
    cfg: &Config,
    catalog: &Catalog,
    week: IsoWeek,
    out: &Printer,
) -> Result<bool> {
    let key = unsubscribe_key(out);
    let digest = newsletter_inputs_digest(cfg, catalog, week, &key)?;
    let dir = week_dir(cfg, week).join("newsletter");
    let stamp = dir.join(".inputs.sha256");
    let complete =
        ["newsletter.html", "newsletter.txt", "preview.eml"].iter().all(|f| dir.join(f).is_file());
    if complete && std::fs::read_to_string(&stamp).ok().as_deref() == Some(digest.as_str()) {
        return Ok(false);
    }
    render_newsletter(cfg, catalog, week, key)?;
    store::write_atomic(&stamp, digest.as_bytes())?;
    Ok(true)
}

fn newsletter_cmd(cfg: &Config, week: Option<IsoWeek>, out: &Printer) -> Result<()> {
    let catalog =
        Catalog::load(&cfg.roles).map_err(|e| Fatal::new(exit::DATA, format!("{e:#}")))?;
    let week = match week {
        Some(w) => w,
        None => stored_default_week(cfg)?,
    };
    let t = Instant::now();
    render_newsletter(cfg, &catalog, week, unsubscribe_key(out))?;
    let dir = week_dir(cfg, week).join("newsletter");
    out.say(format!(
        "{week}: newsletter written to {} in {} ms",
        cfg.display_path(&dir),
        t.elapsed().as_millis()
    ));
    Ok(())
}

fn market_line(d: &WeekOverWeek) -> String {
    let m = &d.market.open_positions;
    let cur = m.cur.unwrap_or(0.0);
    match (m.abs, m.pct) {
        (Some(a), Some(p)) => {
            format!(
                "market: {cur:.0} open AI positions ({a:+.0}, {:+.1}% on {})",
                p * 100.0,
                d.previous_week.map(|w| w.to_string()).unwrap_or_default()
            )
        }
        _ => format!("market: {cur:.0} open AI positions (first week on record)"),
    }
}

fn movers(d: &WeekOverWeek) -> String {
    let mut v: Vec<_> = d.roles.iter().filter_map(|r| Some((r, r.open_positions.pct?))).collect();
    v.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then_with(|| a.0.slug.cmp(&b.0.slug)));
    let mut s = String::from("top movers by open positions:");
    if v.is_empty() {
        s.push_str(" none (no previous week stored)");
    }
    for (r, p) in v.iter().take(3) {
        let arrow = if *p > 0.0 {
            '▲'
        } else if *p < 0.0 {
            '▼'
        } else {
            '='
        };
        let _ = write!(
            s,
            "\n  {arrow} {:<28} {:>6.0} ({:+.1}%)",
            r.name,
            r.open_positions.cur.unwrap_or(0.0),
            p * 100.0
        );
    }
    s
}

/// The i-th generated subscriber of `bench-messages`: following one or two roles.
fn bench_subscriber(i: u64, roles: usize) -> Subscriber {
    let a = (i % roles as u64) as u16;
    let b = ((i * 7 + 3) % roles as u64) as u16;
    Subscriber {
        line: i + 2,
        email: format!("reader{i:07}@example.com"),
        name: format!("Reader {i}"),
        roles: if a == b { vec![a] } else { vec![a, b] },
        status: SubscriberStatus::Active,
    }
}

fn bench_messages(cfg: &Config, args: &crate::cli::BenchMessagesArgs, out: &Printer) -> Result<()> {
    use rayon::prelude::*;
    let catalog =
        Catalog::load(&cfg.roles).map_err(|e| Fatal::new(exit::DATA, format!("{e:#}")))?;
    let week = match args.week {
        Some(w) => w,
        None => stored_default_week(cfg)?,
    };
    let key = b"bench-key".to_vec();
    let t = Instant::now();
    let issue = prepare_issue(cfg, &catalog, week, key.clone())?;
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
            "week": week.to_string(), "key": "bench-key", "roles": roles,
            "charts": r.model().charts.iter().map(|c| serde_json::json!({"file": c.file, "cid": c.cid})).collect::<Vec<_>>(),
        });
        store::write_atomic(&dir.join("meta.json"), &store::to_json(&meta)?)?;
    }
    let n = args.subscribers;
    let roles = catalog.roles.len();
    let t = Instant::now();
    let bytes: u64 = (0..n)
        .into_par_iter()
        .map(|i| issue.message(&bench_subscriber(i, roles), &catalog.roles).map(|m| m.len() as u64))
        .sum::<Result<u64>>()?;
    let secs = t.elapsed().as_secs_f64();
    out.say(format!(
        "{week}: issue prepared in {prepare_ms:.0} ms; {n} messages built in memory in {secs:.2} s: {:.0} messages/s, {:.0} MiB formatted ({:.1} KiB each), {} threads",
        n as f64 / secs,
        bytes as f64 / 1048576.0,
        bytes as f64 / n.max(1) as f64 / 1024.0,
        rayon::current_num_threads()
    ));
    println!("{n} {secs:.4} {bytes}");
    Ok(())
}

fn gen_data(args: &GenDataArgs, quiet: bool) -> Result<()> {
    let summary = crate::gendata::generate(args)?;
    if !quiet {
        eprintln!(
            "wrote {} postings over {} weeks for {} roles to {}",
            summary.rows, summary.weeks, summary.roles, summary.postings_path
        );
    }
    Ok(())
}
