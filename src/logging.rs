//! Logs and progress: human text on a terminal, JSON lines for schedulers
//! (`--log-format json`), `-v` for detail, `-q` for errors only. Progress
//! bars appear only on a terminal, in text format, and not with `-q`.

use std::io::IsTerminal;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use tracing::Level;

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Plain lines.
    Text,
    /// One JSON object per line, with a timestamp and a level.
    Json,
}

/// How the run reports.
#[derive(Debug, Clone, Copy)]
pub struct Logging {
    /// Text or JSON lines.
    pub format: LogFormat,
    /// Errors only.
    pub quiet: bool,
    /// 0: info, 1: debug, 2 or more: trace.
    pub verbose: u8,
}

impl Logging {
    /// Installs the subscriber that writes events to stderr.
    pub fn init(self) {
        let level = if self.quiet {
            Level::ERROR
        } else {
            match self.verbose {
                0 => Level::INFO,
                1 => Level::DEBUG,
                _ => Level::TRACE,
            }
        };
        let builder = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(level)
            .with_target(self.verbose > 0);
        let _ = match self.format {
            LogFormat::Json => {
                builder.json().flatten_event(true).with_current_span(false).try_init()
            }
            // Plain lines for people: no timestamps or levels (warnings say so themselves).
            LogFormat::Text => builder
                .without_time()
                .with_level(self.verbose > 0)
                .with_ansi(std::io::stderr().is_terminal())
                .try_init(),
        };
    }

    /// A progress bar for `len` steps, hidden unless a person is watching.
    pub fn progress(self, len: u64, what: &str) -> ProgressBar {
        if self.quiet || matches!(self.format, LogFormat::Json) || !std::io::stderr().is_terminal()
        {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        bar
    }
}
