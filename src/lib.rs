//! salarytrends: weekly AI salary trends from job postings.
//!
//! The pipeline, one module per stage with plain data between them:
//! [`ingest`] (files → [`ingest::Dataset`]) → [`stats`] (→ [`stats::Snapshot`])
//! → [`deltas`] (→ [`deltas::WeekOverWeek`], [`deltas::PairComparison`]).
//! [`app`] connects the stages; [`store`] writes files atomically.

/// The build: a digest of the sources, templates, fonts and locked
/// dependencies (see `build.rs`). Outputs rendered by another build are stale.
pub const BUILD_ID: &str = env!("SALARYTRENDS_BUILD");

/// `--version`: the crate version and the build.
pub const VERSION: &str =
    concat!(env!("CARGO_PKG_VERSION"), " (build ", env!("SALARYTRENDS_BUILD"), ")");

pub mod app;
pub mod bounces;
pub mod charts;
pub mod cli;
pub mod config;
pub mod csvlines;
pub mod delivery;
pub mod deltas;
pub mod dkim;
pub mod exit;
pub mod fonts;
pub mod gendata;
pub mod ingest;
pub mod logging;
pub mod model;
pub mod newsletter;
pub mod output;
pub mod pages;
pub mod quantile;
pub mod report;
pub mod roles;
pub mod serve;
pub mod site;
pub mod stats;
pub mod store;
pub mod subscribers;
pub mod templates;
pub mod text;
pub mod tokens;
pub mod trends;
