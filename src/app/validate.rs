//! `validate`: read the postings, print the data-quality summary and the
//! first problems; exit 65 on file errors or too many rejected rows.

use anyhow::Result;

use super::{Printer, check_rejects, load_inputs, quality_summary};
use crate::config::Config;
use crate::ingest::{IssueKind, Keep};

/// How many rejected rows and warnings are printed (all are in `rejected.csv`).
const SHOWN: usize = 20;

pub(super) fn run(cfg: &Config, out: &Printer) -> Result<()> {
    let inputs = load_inputs(cfg, Keep::Nothing)?;
    let data = &inputs.data;
    out.say(quality_summary(data));
    for i in data.issues.iter().take(SHOWN) {
        let kind = match i.kind {
            IssueKind::Rejected => "rejected",
            IssueKind::Warning => "warning",
        };
        out.say(format!(
            "{}:{}: {kind}: {}: {} (id '{}')",
            i.file, i.line, i.field, i.reason, i.id
        ));
    }
    if data.issues.len() > SHOWN {
        out.say(format!("… and {} more", data.issues.len() - SHOWN));
    }
    check_rejects(cfg, data)
}
