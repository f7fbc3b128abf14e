//! `deltas`: print the week-over-week deltas of a stored week as JSON.

use anyhow::Result;

use super::{Week, load_inputs, week_or_default};
use crate::config::Config;
use crate::ingest::Keep;
use crate::model::IsoWeek;
use crate::store;

/// The default week is the one of spec section 4, from the postings: a
/// problem reading them (or the catalogue) is an error, never a quiet switch
/// to another week.
pub(super) fn run(cfg: &Config, week: Option<IsoWeek>) -> Result<()> {
    let week = match week {
        Some(w) => w,
        None => week_or_default(cfg, None, &load_inputs(cfg, Keep::Nothing)?.data)?,
    };
    let d = Week::load(cfg, week)?.deltas;
    let mut stdout = std::io::stdout().lock();
    std::io::Write::write_all(&mut stdout, &store::to_json(&d)?)?;
    Ok(())
}
