//! salarytrends: weekly AI salary trends from job postings.
//!
//! The pipeline, one module per stage with plain data between them:
//! [`ingest`] (files → [`ingest::Dataset`]) → [`stats`] (→ [`stats::Snapshot`])
//! → [`deltas`] (→ [`deltas::WeekOverWeek`], [`deltas::PairComparison`]).
//! [`app`] connects the stages; [`store`] writes files atomically.

pub mod app;
pub mod charts;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod deltas;
pub mod gendata;
pub mod ingest;
pub mod logging;
pub mod model;
pub mod newsletter;
pub mod render;
pub mod report;
pub mod roles;
pub mod serve;
pub mod stats;
pub mod store;
pub mod subscribers;
