//! The run lock of the state database: one `weekly`, `send` or import at a
//! time per database.

use std::fs::File;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::exit::{self, Fatal};

/// Holds the state database for one run; released when dropped or when the
/// process ends, however it ends.
pub(crate) struct StateLock {
    _file: File,
}

/// Takes the run lock of the state database, or says who has it.
pub(crate) fn lock_state(cfg: &Config) -> Result<StateLock> {
    let mut path = cfg.state_db.clone().into_os_string();
    path.push(".lock");
    let path = std::path::PathBuf::from(path);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("failed to create {}", dir.display()))?;
    }
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("failed to open the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(StateLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(Fatal::new(
            exit::TEMPFAIL,
            format!(
                "another salarytrends run is using {} (lock {} is held); nothing done. Try again when it has finished",
                cfg.display_path(&cfg.state_db),
                cfg.display_path(&path)
            ),
        )
        .into()),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("failed to lock {}", path.display()))
        }
    }
}
