//! `gen-data`: write a deterministic synthetic data set.

use anyhow::Result;

use crate::gendata::{self, GenDataArgs};

pub(super) fn run(args: &GenDataArgs, quiet: bool) -> Result<()> {
    let summary = gendata::generate(args)?;
    if !quiet {
        eprintln!(
            "wrote {} postings over {} weeks for {} roles to {}",
            summary.rows, summary.weeks, summary.roles, summary.postings_path
        );
    }
    Ok(())
}
