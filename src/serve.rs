//! placeholder
use crate::app::Printer;
use crate::config::Config;
use anyhow::Result;
/// Serves.
pub fn serve(_cfg: &Config, _listen: &str, _out: &Printer) -> Result<()> {
    anyhow::bail!("not yet")
}
