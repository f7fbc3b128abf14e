//! The commands. Each file of `app/` is one command (`validate.rs`,
//! `snapshot.rs`, … `weekly.rs`, as mdBook's `cmd/`); this file holds what
//! they share: resolving the configuration, reading the inputs, the stored
//! [`Week`] every output is made from, and the [`Printer`]. `weekly` is the
//! checklist that runs the stages in order, handing each what the one before
//! computed. No statistics logic lives here.

use std::fmt::Write as _;

use anyhow::Result;
use chrono::NaiveDate;

use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::deltas::{self, WeekOverWeek};
use crate::exit::{self, Fatal, WithExit};
use crate::ingest::{self, Dataset, FxRates, IssueKind, Keep, LastWeek, Plan};
use crate::logging::{LogFormat, Logging};
use crate::model::IsoWeek;
use crate::roles::Catalog;
use crate::stats::Snapshot;
use crate::store::SnapshotStore;

mod bench_messages;
mod bounces;
mod deltas_cmd;
mod gen_data;
mod lock;
mod newsletter;
mod report;
mod send;
mod serve;
mod site;
mod snapshot;
mod subscribers;
mod suppressions;
mod validate;
mod weekly;

/// Weeks of history the weekly job keeps stored (for the trend charts).
pub const HISTORY_WEEKS: usize = 12;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    if let Command::GenData(args) = &cli.command {
        return gen_data::run(args, cli.quiet);
    }
    let as_of = resolve_today(cli.as_of)?;
    let mut cfg = Config::load(cli.config.as_deref(), as_of).exit_code(exit::USAGE)?;
    if let Some(p) = &cli.postings {
        cfg.postings = p.clone();
    }
    let out = Printer {
        logging: Logging { format: cli.log_format, quiet: cli.quiet, verbose: cli.verbose },
    };
    if matches!(
        cli.command,
        Command::Newsletter(_)
            | Command::Send(_)
            | Command::Weekly(_)
            | Command::Serve(_)
            | Command::BenchMessages(_)
    ) {
        // A DKIM key that cannot sign stops a mailing command before it starts.
        dkim_signer(&cfg)?;
    }
    match &cli.command {
        Command::Validate => validate::run(&cfg, &out),
        Command::Snapshot(args) => snapshot::run(&cfg, args, &out),
        Command::Deltas(arg) => deltas_cmd::run(&cfg, arg.week),
        Command::Report(args) => report::run(&cfg, args, &out),
        Command::Newsletter(arg) => newsletter::run(&cfg, arg.week, &out),
        Command::Send(args) => send::run(&cfg, args, &out).map(|_| ()),
        Command::Subscribers(cmd) => subscribers::run(&cfg, cmd, &out),
        Command::Bounces(cmd) => bounces::run(&cfg, cmd, &out),
        Command::Suppressions(cmd) => suppressions::run(&cfg, cmd, &out),
        Command::DkimRecord => suppressions::dkim_record(&cfg, &out),
        Command::Serve(args) => serve::run(&cfg, args, &out),
        Command::Site(arg) => site::run(&cfg, arg.week, &out),
        Command::Weekly(arg) => weekly::run(&cfg, arg.week, &out),
        Command::BenchMessages(args) => bench_messages::run(&cfg, args, &out),
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

/// The role catalogue; a broken one is bad input data (exit 65).
fn load_catalog(cfg: &Config) -> Result<Catalog> {
    Catalog::load(&cfg.roles).exit_code(exit::DATA)
}

/// The inputs every data command reads.
struct Inputs {
    catalog: Catalog,
    data: Dataset,
}

/// Every row read and checked, keeping the postings `keep` asks for.
fn load_inputs(cfg: &Config, keep: Keep) -> Result<Inputs> {
    read_inputs(cfg, Plan { keep, window_days: None })
}

/// The inputs with reposts chained into jobs (`[dedup]`), for the commands
/// that compute statistics: the postings open in the weeks of `keep`.
fn load_jobs(cfg: &Config, keep: Keep) -> Result<Inputs> {
    read_inputs(cfg, Plan { keep, window_days: Some(cfg.dedup.window_days) })
}

fn read_inputs(cfg: &Config, plan: Plan) -> Result<Inputs> {
    let catalog = load_catalog(cfg)?;
    let fx = FxRates::load(&cfg.fx).exit_code(exit::DATA)?;
    let files = ingest::expand(&cfg.postings)?;
    let data = ingest::load_with(&files, |p| cfg.display_path(p), &catalog, &fx, &plan)?;
    Ok(Inputs { catalog, data })
}

/// The postings `weeks` weeks ending with `week` need (the default week
/// when `None`), for [`load_jobs`].
fn keep_weeks(cfg: &Config, week: Option<IsoWeek>, weeks: usize) -> Keep {
    let last = match week {
        Some(w) => LastWeek::Given(w),
        None => LastWeek::Newest { at_most: IsoWeek::containing(cfg.as_of).prev() },
    };
    Keep::Weeks { last, weeks }
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
    let at_most = IsoWeek::containing(as_of).prev();
    LastWeek::Newest { at_most }.resolve(data.newest_posted())
}

fn week_or_default(cfg: &Config, week: Option<IsoWeek>, data: &Dataset) -> Result<IsoWeek> {
    match week {
        Some(w) => Ok(w),
        None => default_week(cfg.as_of, data)
            .ok_or_else(|| Fatal::new(exit::DATA, "no postings, so no default week").into()),
    }
}

/// `--week`, else the newest stored week that is complete by the clock.
fn week_or_stored(cfg: &Config, week: Option<IsoWeek>) -> Result<IsoWeek> {
    if let Some(w) = week {
        return Ok(w);
    }
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

/// The unsubscribe signing key, or a development key (with a warning) for
/// files and previews. Sending over SMTP requires the real one.
fn unsubscribe_key(cfg: &Config, out: &Printer) -> Vec<u8> {
    static WARNED: std::sync::Once = std::sync::Once::new();
    match &cfg.secrets.unsubscribe_key {
        Some(k) => k.clone(),
        None => {
            WARNED.call_once(|| {
                out.warn(
                    "SALARYTRENDS_UNSUBSCRIBE_KEY is not set; preview links use a development key",
                )
            });
            DEVELOPMENT_KEY.to_vec()
        }
    }
}

/// The DKIM signer of `[delivery.dkim]`, if set. A key that is missing,
/// unreadable or invalid stops the command with exit 2, before anything
/// is written or sent.
pub(crate) fn dkim_signer(cfg: &Config) -> Result<Option<std::sync::Arc<crate::dkim::Signer>>> {
    type Loaded = ((String, String, std::path::PathBuf), std::sync::Arc<crate::dkim::Signer>);
    // Read and checked once per process: every stage that signs asks again.
    static LOADED: std::sync::Mutex<Option<Loaded>> = std::sync::Mutex::new(None);
    let Some((d, file)) = &cfg.dkim else { return Ok(None) };
    let id = (d.domain.clone(), d.selector.clone(), file.clone());
    let mut loaded = LOADED.lock().expect("signer lock");
    if let Some((_, signer)) = loaded.as_ref().filter(|(at, _)| *at == id) {
        return Ok(Some(std::sync::Arc::clone(signer)));
    }
    let signer = crate::dkim::Signer::from_file(&d.domain, &d.selector, file)
        .map_err(|e| Fatal::new(exit::USAGE, format!("[delivery.dkim]: {e:#}")))?;
    let signer = std::sync::Arc::new(signer);
    *loaded = Some((id, std::sync::Arc::clone(&signer)));
    Ok(Some(signer))
}

/// The time, Unix seconds, for operational records (token expiry, rate
/// limits, bounces without a Date); never in reports.
pub(crate) fn unix_now() -> i64 {
    #[allow(clippy::disallowed_methods, reason = "operational times, not report contents")]
    let now = std::time::SystemTime::now();
    now.duration_since(std::time::SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// The key files and previews are signed with when no key is set.
const DEVELOPMENT_KEY: &[u8] = b"salarytrends-development-key";

/// A stored week and everything its outputs read, loaded once and handed to
/// each stage: the snapshot, its deltas against the week before, and the
/// trailing stored snapshots the trend charts draw (oldest first, the week
/// included).
pub(crate) struct Week {
    /// The week's snapshot.
    pub(crate) snapshot: Snapshot,
    /// Its deltas against the stored week before.
    pub(crate) deltas: WeekOverWeek,
    /// The stored snapshots of the last [`HISTORY_WEEKS`] weeks.
    pub(crate) history: Vec<Snapshot>,
}

impl Week {
    /// The week from the snapshot store.
    pub(crate) fn load(cfg: &Config, week: IsoWeek) -> Result<Week> {
        Week::assemble(cfg, week, Vec::new())
    }

    /// The week from snapshots already in memory (`known`), reading from
    /// the store only the weeks they do not hold.
    fn assemble(cfg: &Config, week: IsoWeek, mut known: Vec<Snapshot>) -> Result<Week> {
        let store = SnapshotStore::new(&cfg.snapshots_dir);
        let mut history = Vec::new();
        for w in week.trailing(HISTORY_WEEKS) {
            match known.iter().position(|s| s.week == w) {
                Some(i) => history.push(known.swap_remove(i)),
                None => history.extend(store.load(w)?),
            }
        }
        let Some(at) = history.iter().position(|s| s.week == week) else {
            return Err(Fatal::new(
                exit::FAILURE,
                format!(
                    "no stored snapshot for {week}; run `salarytrends snapshot --week {week}` first"
                ),
            )
            .into());
        };
        let prev = history.iter().find(|s| s.week == week.prev());
        let deltas = deltas::week_over_week(prev, &history[at]);
        Ok(Week { snapshot: history[at].clone(), deltas, history })
    }

    fn week(&self) -> IsoWeek {
        self.snapshot.week
    }
}
