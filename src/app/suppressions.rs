//! `suppressions list` and `suppressions lift`, and `dkim-record`.

use anyhow::Result;

use super::{Printer, dkim_signer};
use crate::cli::SuppressionsCommand;
use crate::config::Config;
use crate::delivery::ledger::Ledger;
use crate::exit::{self, Fatal};

pub(super) fn run(cfg: &Config, cmd: &SuppressionsCommand, out: &Printer) -> Result<()> {
    let ledger = Ledger::open(&cfg.state_db)?;
    match cmd {
        SuppressionsCommand::List => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            w.write_record(["email", "reason", "since"])?;
            for (email, reason, since) in ledger.suppressions()? {
                w.write_record([email, reason, since])?;
            }
            w.flush()?;
            Ok(())
        }
        SuppressionsCommand::Lift(args) => {
            let addr = args.address.trim();
            let Some((reason, complained)) = ledger.suppression(addr)? else {
                return Err(Fatal::new(exit::FAILURE, format!("{addr} is not suppressed")).into());
            };
            if complained && !args.force {
                return Err(Fatal::new(
                    exit::FAILURE,
                    format!("{addr} complained ({reason}); it stays suppressed. Lift it with --force only if its owner asked to be mailed again"),
                )
                .into());
            }
            ledger.lift(addr)?;
            out.say(format!("{addr}: suppression lifted ({reason}); the address is mailed again"));
            Ok(())
        }
    }
}

/// `dkim-record`: the TXT record to publish for the configured key.
pub(super) fn dkim_record(cfg: &Config, out: &Printer) -> Result<()> {
    let Some(signer) = dkim_signer(cfg)? else {
        return Err(Fatal::new(exit::USAGE, "no [delivery.dkim] in the configuration").into());
    };
    let value = signer.record_value();
    // A TXT record's strings hold at most 255 characters each.
    let strings: Vec<String> = value
        .as_bytes()
        .chunks(255)
        .map(|c| format!("\"{}\"", String::from_utf8_lossy(c)))
        .collect();
    println!("{}. 3600 IN TXT {}", signer.record_name(), strings.join(" "));
    out.detail(format!(
        "{}-bit RSA key; publish the record, then check it with `dig TXT {}`",
        signer.bits(),
        signer.record_name()
    ));
    Ok(())
}
