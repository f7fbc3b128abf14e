//! Command-line arguments (clap derive). Raw values only; `app` resolves them.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::gendata::GenDataArgs;
use crate::logging::LogFormat;
use crate::model::{IsoWeek, WeekRange};

const EXIT_CODES: &str = "\
Exit codes:
  0   done
  1   anything else (a bug, a file that cannot be written, a refused send)
  2   usage: bad arguments, a bad config file or a DKIM key that cannot sign
  65  bad input data: a file error or too many rejected rows (nothing written),
      or a bounce source that cannot be read (the rest is ingested)
  69  a service (SMTP) unavailable
  75  partly done: rerun to resume";

/// Weekly AI salary trends from job postings: snapshots, week-over-week
/// deltas, role-pair reports and the newsletter.
#[derive(Debug, Parser)]
#[command(name = "salarytrends", version = crate::VERSION, after_help = EXIT_CODES)]
pub struct Cli {
    /// Config file (default: ./salarytrends.toml when present)
    #[arg(long, global = true, env = "SALARYTRENDS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Postings file or glob, instead of the config's `postings`
    #[arg(long, global = true, value_name = "PATH")]
    pub postings: Option<PathBuf>,
    /// Take this date as today (default: SOURCE_DATE_EPOCH, else the clock)
    #[arg(long, global = true, value_name = "YYYY-MM-DD")]
    pub as_of: Option<NaiveDate>,
    /// Print less: only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: -v for details (each message sent, each report), -vv for everything
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log format: text for people, json (one object per line) for schedulers
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, value_name = "FORMAT")]
    pub log_format: LogFormat,
    /// The command to run
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read and check the postings; print the data-quality summary.
    ///
    /// Example: salarytrends validate --postings 'incoming/*.csv'
    #[command(after_help = EXIT_CODES)]
    Validate,
    /// Compute and store the snapshot of a week (or backfill a range).
    ///
    /// A stored week is kept unless --recompute is given.
    ///
    /// Example: salarytrends snapshot --weeks 2026-W30..2026-W47
    #[command(after_help = EXIT_CODES)]
    Snapshot(SnapshotArgs),
    /// Print the week-over-week deltas of a stored week as JSON.
    ///
    /// Without --week the week is the default one of the postings (the
    /// earlier of the last complete week and the week of the newest
    /// posted_at), so the postings and roles.toml must read.
    ///
    /// Example: salarytrends deltas --week 2026-W47 | jq '.market'
    #[command(after_help = EXIT_CODES)]
    Deltas(WeekArg),
    /// Render role-pair PDF reports from the stored snapshots.
    ///
    /// Names or slugs, in either order; the file is always
    /// output/<week>/reports/<slug-a>-vs-<slug-b>.pdf with slugs in roles.toml order.
    ///
    /// Example: salarytrends report --pair "MLOps Engineer" ai-software-engineer --week 2026-W47
    #[command(after_help = EXIT_CODES)]
    Report(ReportArgs),
    /// Render the week's newsletter: HTML, plain text and a preview message.
    ///
    /// Writes output/<week>/newsletter/newsletter.html and .txt (no personal
    /// data) and preview.eml for one sample subscriber. Reads only the stored snapshots.
    ///
    /// Example: salarytrends newsletter --week 2026-W47
    #[command(after_help = EXIT_CODES)]
    Newsletter(WeekArg),
    /// Deliver the week's newsletter to every active subscriber, once.
    ///
    /// Each delivery is recorded in the state database (`state_db`) as soon as
    /// the server accepts it; a rerun sends only what was not accepted.
    /// Refuses a week that looks broken (no snapshot, the market total moved
    /// by more than half, too many rejected rows) unless --force.
    ///
    /// Example: salarytrends send --week 2026-W47 --dry-run
    #[command(after_help = EXIT_CODES)]
    Send(SendArgs),
    /// Manage the subscriber list in the state database.
    ///
    /// Example: salarytrends subscribers import data/subscribers.csv
    #[command(subcommand, after_help = EXIT_CODES)]
    Subscribers(SubscribersCommand),
    /// Read bounces and complaints that came back by mail.
    ///
    /// Example: salarytrends bounces ingest /var/mail/bounces/Maildir
    #[command(subcommand, after_help = EXIT_CODES)]
    Bounces(BouncesCommand),
    /// List or lift the addresses that are never mailed.
    ///
    /// Example: salarytrends suppressions lift ada@example.com
    #[command(subcommand, after_help = EXIT_CODES)]
    Suppressions(SuppressionsCommand),
    /// Print the DNS TXT record that publishes the configured DKIM key.
    ///
    /// Example: salarytrends dkim-record
    #[command(after_help = EXIT_CODES)]
    DkimRecord,
    /// Serve sign-up, confirmation, preferences and one-click unsubscribe,
    /// and the published output/ folder.
    ///
    /// GET/POST /subscribe, GET/POST /confirm (a GET confirms nothing),
    /// GET/POST /preferences, POST /unsubscribe?email=…&token=… with
    /// `List-Unsubscribe=One-Click` (RFC 8058). Every other GET path is a
    /// file under output/ (reports, charts, newsletter pages; never outbox
    /// messages or hidden files).
    ///
    /// SALARYTRENDS_UNSUBSCRIBE_KEY must hold the key that `send` signs the
    /// links with; without it `serve` does not start (exit 2), unless
    /// --development-key asks for the built-in key.
    ///
    /// Example: salarytrends serve --listen 127.0.0.1:8080
    #[command(after_help = EXIT_CODES)]
    Serve(ServeArgs),
    /// Write the public report library: output/index.html (the newest
    /// week: pick two roles, every pair's PDF, the newsletter, past weeks,
    /// the subscribe form), output/<week>/index.html for every week with
    /// outputs, output/feed.xml (Atom) and output/reports/<a>-vs-<b>.pdf,
    /// each pair's newest report at an address that does not change.
    ///
    /// With --week, the library as it stood that week (later weeks left out).
    ///
    /// Example: salarytrends site
    #[command(after_help = EXIT_CODES)]
    Site(WeekArg),
    /// Run the weekly job: snapshots (with 12 weeks of history), deltas,
    /// every report, the newsletter and the send, skipping what is current.
    ///
    /// Safe to rerun: each stage is skipped when its outputs exist and are
    /// current, and nobody is mailed twice.
    ///
    /// Example: salarytrends weekly
    #[command(after_help = EXIT_CODES)]
    Weekly(WeekArg),
    /// Benchmark: render and format the newsletter for N generated
    /// subscribers in memory (nothing is written or sent) and print the rate.
    ///
    /// --emit DIR writes the inputs the Python baseline (bench/newsletter.py) needs.
    ///
    /// Example: salarytrends bench-messages --subscribers 100000
    #[command(after_help = EXIT_CODES)]
    BenchMessages(BenchMessagesArgs),
    /// Write a deterministic synthetic data set.
    ///
    /// Example: salarytrends gen-data --out /tmp/big --postings 1000000
    #[command(after_help = EXIT_CODES)]
    GenData(GenDataArgs),
}

/// `subscribers …`.
#[derive(Debug, Subcommand)]
pub enum SubscribersCommand {
    /// Upsert the rows of an `email,name,roles,status` CSV by address.
    ///
    /// A row with a malformed address, an unknown role or an unknown status
    /// is named (file:line: field: reason) and skipped; the rest is imported.
    /// An address that unsubscribed, bounced or complained is never made
    /// active again. A row unchanged since the last import changes nothing,
    /// so choices made on the preferences page stand. Exit 65 only when the
    /// file cannot be read.
    ///
    /// Example: salarytrends subscribers import crm-export.csv
    Import(ImportArgs),
    /// Print the list as CSV: email,name,roles,status, then the consent
    /// record (consent_at, consent_method, consent_wording, consent_client),
    /// paused, created_at and updated_at.
    ///
    /// Example: salarytrends subscribers list --status pending
    List(ListArgs),
}

/// `bounces …`.
#[derive(Debug, Subcommand)]
pub enum BouncesCommand {
    /// Classify and apply the messages in Maildirs, mbox files or `.eml`
    /// files (folders of them too).
    ///
    /// RFC 3464 delivery status notifications: hard (5.x.x) suppress the
    /// address, soft (4.x.x) are recorded and the third within 30 days
    /// suppresses; RFC 5965 feedback reports are complaints and suppress;
    /// mail that reached a VERP address is attributed by it; auto-replies
    /// and anything else are ignored. Each message counts once however often
    /// it is ingested (by Message-ID, else by content). A file that cannot
    /// be read is named and the rest goes on; the exit code is then 65.
    ///
    /// Example: salarytrends bounces ingest ~/Maildir/.bounces fbl.mbox
    Ingest(IngestArgs),
}

/// `bounces ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Maildirs, mbox files, `.eml` files or folders of them
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}

/// `suppressions …`.
#[derive(Debug, Subcommand)]
pub enum SuppressionsCommand {
    /// Print every suppressed address as CSV: email,reason,since.
    List,
    /// Mail an address again: a bounced address becomes active; one that
    /// complained stays suppressed unless --force (do that only when its
    /// owner asked).
    Lift(LiftArgs),
}

/// `suppressions lift`.
#[derive(Debug, Args)]
pub struct LiftArgs {
    /// The address
    #[arg(value_name = "ADDR")]
    pub address: String,
    /// Lift a complaint too
    #[arg(long)]
    pub force: bool,
}

/// `subscribers import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `subscribers list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only subscribers with this status
    #[arg(long, value_enum, value_name = "STATUS")]
    pub status: Option<StatusArg>,
}

/// A subscriber status on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    /// Signed up, not confirmed
    Pending,
    /// Receives the newsletter
    Active,
    /// Asked not to receive it
    Unsubscribed,
    /// Bounced for good
    Bounced,
    /// Reported a message as spam
    Complained,
}

impl From<StatusArg> for crate::subscribers::Status {
    fn from(s: StatusArg) -> Self {
        use crate::subscribers::Status;
        match s {
            StatusArg::Pending => Status::Pending,
            StatusArg::Active => Status::Active,
            StatusArg::Unsubscribed => Status::Unsubscribed,
            StatusArg::Bounced => Status::Bounced,
            StatusArg::Complained => Status::Complained,
        }
    }
}

/// `--week`.
#[derive(Debug, Args)]
pub struct WeekArg {
    /// ISO week such as 2026-W47 (default: the last complete week with data)
    #[arg(long)]
    pub week: Option<IsoWeek>,
}

/// Arguments of `snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// ISO week such as 2026-W47 (default: the last complete week with data)
    #[arg(long, conflicts_with = "weeks")]
    pub week: Option<IsoWeek>,
    /// A range of weeks, both ends included: 2026-W30..2026-W47
    #[arg(long, value_name = "W1..W2")]
    pub weeks: Option<WeekRange>,
    /// Rebuild weeks that are already stored
    #[arg(long)]
    pub recompute: bool,
}

/// Arguments of `report`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["pair", "all"]))]
pub struct ReportArgs {
    /// The two roles (names or slugs)
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub pair: Option<Vec<String>>,
    /// Every pair of roles, using all cores
    #[arg(long)]
    pub all: bool,
    /// ISO week such as 2026-W47 (default: the newest stored complete week)
    #[arg(long)]
    pub week: Option<IsoWeek>,
    /// Also write the template, data JSON, charts and fonts of each pair to
    /// this folder, for the typst command line (`typst compile --font-path fonts report.typ`)
    #[arg(long, value_name = "DIR")]
    pub emit_source: Option<PathBuf>,
}

/// Arguments of `send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// ISO week such as 2026-W47 (default: the newest stored complete week)
    #[arg(long)]
    pub week: Option<IsoWeek>,
    /// Show what would be sent; send nothing, change nothing
    #[arg(long, conflicts_with = "test_to")]
    pub dry_run: bool,
    /// Send one copy to this address through the same transport, without
    /// touching the ledger
    #[arg(long, value_name = "ADDR")]
    pub test_to: Option<String>,
    /// Send even when the week looks broken
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `bench-messages`.
#[derive(Debug, Args)]
pub struct BenchMessagesArgs {
    /// ISO week such as 2026-W47 (default: the newest stored complete week)
    #[arg(long)]
    pub week: Option<IsoWeek>,
    /// Generated subscribers
    #[arg(long, default_value_t = 100_000)]
    pub subscribers: u64,
    /// Write the split email HTML, the templates, the model and the charts here
    #[arg(long, value_name = "DIR")]
    pub emit: Option<PathBuf>,
}

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: String,
    /// Check unsubscribe links with the built-in development key when
    /// SALARYTRENDS_UNSUBSCRIBE_KEY is not set (local testing only: links
    /// that `send` signed with the real key are then refused)
    #[arg(long)]
    pub development_key: bool,
}
