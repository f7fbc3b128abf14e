//! The `salarytrends` command: parse arguments, run, print the error chain,
//! exit with the documented code.

use std::process::ExitCode;

use clap::Parser;
use salarytrends::{app, cli::Cli};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { app::exit::USAGE } else { app::exit::OK });
        }
    };
    match app::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("caused by: {cause}");
            }
            ExitCode::from(app::exit_code(&err))
        }
    }
}
