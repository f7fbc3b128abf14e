//! `snapshot`: compute and store the snapshot of a week, or of a range of
//! weeks (a backfill); stored weeks are kept unless `--recompute`.

use std::path::Path;

use anyhow::Result;
use rayon::prelude::*;

use super::{
    Inputs, Printer, check_rejects, keep_weeks, load_jobs, quality_summary, week_or_default,
};
use crate::cli::SnapshotArgs;
use crate::config::Config;
use crate::ingest::Dataset;
use crate::model::IsoWeek;
use crate::output;
use crate::stats::{self, Snapshot};
use crate::store::{self, SnapshotStore};

pub(super) fn run(cfg: &Config, args: &SnapshotArgs, out: &Printer) -> Result<()> {
    let keep = match args.weeks {
        Some(r) => keep_weeks(cfg, Some(r.last), r.weeks().len()),
        None => keep_weeks(cfg, args.week, 1),
    };
    let inputs = load_jobs(cfg, keep)?;
    out.say(quality_summary(&inputs.data));
    check_rejects(cfg, &inputs.data)?;
    let weeks = match args.weeks {
        Some(r) => r.weeks(),
        None => vec![week_or_default(cfg, args.week, &inputs.data)?],
    };
    let store = SnapshotStore::new(&cfg.snapshots_dir);
    for stored in store_weeks(cfg, &inputs, &weeks, args.recompute)? {
        let w = stored.snapshot.week;
        if stored.computed {
            out.say(format!("{w}: snapshot written to {}", cfg.display_path(&store.path(w))));
        } else {
            out.say(format!("{w}: stored snapshot kept (use --recompute to rebuild it)"));
        }
    }
    Ok(())
}

/// A week's snapshot as [`store_weeks`] left it.
pub(super) struct Stored {
    pub(super) snapshot: Snapshot,
    /// Computed in this run (else kept from the store).
    pub(super) computed: bool,
}

/// Computes and stores the given weeks (with their `rejected.csv`); stored
/// ones are kept, and read, unless `recompute`.
pub(super) fn store_weeks(
    cfg: &Config,
    inputs: &Inputs,
    weeks: &[IsoWeek],
    recompute: bool,
) -> Result<Vec<Stored>> {
    let store = SnapshotStore::new(&cfg.snapshots_dir);
    let mut kept = Vec::new();
    for &w in weeks {
        kept.push(if recompute { None } else { store.load(w)? });
    }
    // The weeks to compute, in parallel (each week's resampling is the work).
    let todo: Vec<IsoWeek> =
        weeks.iter().zip(&kept).filter(|(_, k)| k.is_none()).map(|(w, _)| *w).collect();
    let mut computed: Vec<Snapshot> = todo
        .par_iter()
        .map(|&w| stats::snapshot(&inputs.data, &inputs.catalog, w, cfg.min_salary_sample))
        .collect();
    computed.reverse();
    let mut done = Vec::new();
    for k in kept {
        match k {
            Some(snapshot) => done.push(Stored { snapshot, computed: false }),
            None => {
                let fresh = computed.pop().expect("one computed snapshot per missing week");
                let w = fresh.week;
                let snapshot = store.save(&fresh)?;
                let rejected = output::week_dir(&cfg.output_dir, w).join("rejected.csv");
                write_rejected(&rejected, &inputs.data)?;
                done.push(Stored { snapshot, computed: true });
            }
        }
    }
    Ok(done)
}

/// `rejected.csv`: rejected rows and warnings with file, line, id and reason.
pub(super) fn write_rejected(path: &Path, data: &Dataset) -> Result<()> {
    store::write_atomic_with(path, |w| {
        let mut c = csv::WriterBuilder::new().has_headers(false).from_writer(w);
        c.write_record(["file", "line", "id", "kind", "field", "reason"])?;
        for i in &data.issues {
            c.serialize(i)?;
        }
        c.flush()?;
        Ok(())
    })
}
