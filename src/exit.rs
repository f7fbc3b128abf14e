//! Exit codes (spec section 9) and how an error carries one.
//!
//! An error is born with a code as a [`Fatal`] (a message of its own), or
//! gets one on the way up with [`WithExit::exit_code`], which keeps the whole
//! chain of causes ([`Coded`] reads as the error it wraps); [`code_of`]
//! finds the code again.

use crate::ingest::IngestError;

/// Done.
pub const OK: u8 = 0;
/// Anything else.
pub const FAILURE: u8 = 1;
/// Bad arguments or config.
pub const USAGE: u8 = 2;
/// Bad input data.
pub const DATA: u8 = 65;
/// A service is unavailable.
pub const UNAVAILABLE: u8 = 69;
/// Partly done; rerun to resume.
pub const TEMPFAIL: u8 = 75;

/// An error that carries its exit code and its own message.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Fatal {
    /// The exit code.
    pub code: u8,
    /// What went wrong.
    pub message: String,
}

impl Fatal {
    /// An error with its exit code.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Fatal { code, message: message.into() }
    }
}

/// An error with the exit code attached by [`WithExit::exit_code`]. It reads
/// as the error it wraps, and its causes are that error's causes, so the
/// chain prints as before.
#[derive(Debug)]
pub struct Coded {
    /// The exit code.
    pub code: u8,
    inner: anyhow::Error,
}

impl std::fmt::Display for Coded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.inner, f)
    }
}

impl std::error::Error for Coded {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source()
    }
}

/// Attaches an exit code to an error, keeping its chain.
pub trait WithExit<T> {
    /// The error, unchanged but for the code it now carries.
    fn exit_code(self, code: u8) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> WithExit<T> for Result<T, E> {
    fn exit_code(self, code: u8) -> anyhow::Result<T> {
        self.map_err(|e| anyhow::Error::new(Coded { code, inner: e.into() }))
    }
}

/// The exit code for an error: the outermost [`Coded`], [`Fatal`] or
/// [`IngestError`] (bad input data) in its chain, else [`FAILURE`].
pub fn code_of(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(c) = cause.downcast_ref::<Coded>() {
            return c.code;
        }
        if let Some(f) = cause.downcast_ref::<Fatal>() {
            return f.code;
        }
        if cause.downcast_ref::<IngestError>().is_some() {
            return DATA;
        }
    }
    FAILURE
}

/// The messages of an error chain, outermost first.
pub fn messages(err: &anyhow::Error) -> Vec<String> {
    err.chain().map(|c| c.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn a_code_rides_along_and_the_chain_is_kept() {
        let inner: anyhow::Result<()> =
            Err(std::io::Error::other("disk on fire")).context("failed to read 'roles.toml'");
        let err = inner.exit_code(DATA).context("while loading the inputs").unwrap_err();
        assert_eq!(code_of(&err), DATA);
        assert_eq!(
            messages(&err),
            ["while loading the inputs", "failed to read 'roles.toml'", "disk on fire"]
        );
        let plain = anyhow::anyhow!("something else");
        assert_eq!(code_of(&plain), FAILURE);
        assert_eq!(code_of(&anyhow::Error::new(Fatal::new(TEMPFAIL, "later"))), TEMPFAIL);
    }
}
