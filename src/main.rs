//! The `salarytrends` command: parse arguments, run, print the error chain,
//! exit with the documented code.

use std::process::ExitCode;

use clap::Parser;
use salarytrends::cli::Cli;
use salarytrends::logging::{LogFormat, Logging};
use salarytrends::{app, exit};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::USAGE } else { exit::OK });
        }
    };
    let logging = Logging { format: cli.log_format, quiet: cli.quiet, verbose: cli.verbose };
    logging.init();
    match app::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = exit::code_of(&err);
            let messages = exit::messages(&err);
            match logging.format {
                LogFormat::Json => tracing::error!(exit_code = code, "{}", messages.join(": ")),
                LogFormat::Text => {
                    let mut lines = messages.iter();
                    if let Some(first) = lines.next() {
                        eprintln!("error: {first}");
                    }
                    for cause in lines {
                        eprintln!("caused by: {cause}");
                    }
                }
            }
            ExitCode::from(code)
        }
    }
}
