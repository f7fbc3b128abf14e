//! The `salarytrends` command: parse arguments, run, print the error chain,
//! exit with the documented code.

use std::process::ExitCode;

use clap::Parser;
use salarytrends::cli::{Cli, LogFormat};
use salarytrends::{app, logging::Logging};

/// typst allocates and frees many small objects while laying out a report;
/// with glibc's allocator about a sixth of a batch's time was spent in
/// malloc and free (perf), much of it on two threads contending for arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { app::exit::USAGE } else { app::exit::OK });
        }
    };
    let logging = Logging { format: cli.log_format, quiet: cli.quiet, verbose: cli.verbose };
    logging.init();
    match app::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = app::exit_code(&err);
            match logging.format {
                LogFormat::Json => tracing::error!(exit_code = code, "{err:#}"),
                LogFormat::Text => {
                    eprintln!("error: {err}");
                    for cause in err.chain().skip(1) {
                        eprintln!("caused by: {cause}");
                    }
                }
            }
            ExitCode::from(code)
        }
    }
}
