//! The one integration test binary: CLI behaviour, the pipeline against real
//! and hand-computed data, and property tests.

mod bounces;
mod cli;
mod delivery;
mod deploy;
mod dkim;
mod edges;
mod golden;
mod newsletter;
mod pipeline;
mod properties;
mod reports;
mod site;
mod snapshots;
mod subscribers;
mod support;
mod trends;
mod weekly;
