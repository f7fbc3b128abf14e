//! `serve`: the one-click unsubscribe endpoint and `output/`, read-only.

use anyhow::Result;

use super::{Printer, unsubscribe_key};
use crate::cli::ServeArgs;
use crate::config::Config;
use crate::exit::{self, Fatal};

/// Without the key that `send` signs links with, every real unsubscribe
/// would be refused: `serve` does not start (exit 2) unless
/// `--development-key` asks for the development key.
pub(super) fn run(cfg: &Config, args: &ServeArgs, out: &Printer) -> Result<()> {
    if cfg.secrets.unsubscribe_key.is_none() && !args.development_key {
        return Err(Fatal::new(
            exit::USAGE,
            "SALARYTRENDS_UNSUBSCRIBE_KEY is not set; serve checks unsubscribe links with the key that send signs them with, so it does not start without it (for local testing only: --development-key)",
        )
        .into());
    }
    crate::serve::serve(cfg, &args.listen, unsubscribe_key(cfg, out), &|s| out.say(s))
}
