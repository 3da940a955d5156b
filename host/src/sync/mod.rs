//! The engine as a library: `scan → baseline → plan → transfer → report`, the same for every pair
//! of backends. It knows capabilities, never protocols.
//!
//! ```no_run
//! # fn demo(source: &ferry::backend::Backend, destination: &ferry::backend::Backend) -> anyhow::Result<()> {
//! use ferry::sync::{run_one_way, Side, SyncOptions};
//! let summary = run_one_way(
//!     &Side::new(source, "local:/srv/site"),
//!     &Side::new(destination, "local:/backup/site"),
//!     &SyncOptions::default(),
//!     &ferry::state::state_dir()?,
//!     &ferry::report::Silent,
//! )?;
//! println!("{}", summary.line());
//! # Ok(()) }
//! ```

pub mod options;
pub mod side;

use std::{path::Path, time::Instant};

use anyhow::{anyhow, bail, Result};

pub use options::{MaxDelete, SyncOptions};
pub use side::{CompareBy, Side};

use crate::{
    plan::{
        one_way::OneWay,
        resolve::{Conflict, Decision},
        two_way::TwoWay,
    },
    report::{Event, Reporter, Summary},
    scan::{scan, Tree},
    state::{store, Baseline, StatePaths, StateStore},
    transfer::{Executor, StateSession},
};

/// Scans both sides at once; a missing destination root is an empty tree, a missing or
/// unlistable source is an error.
pub fn scan_pair(source: &Side, destination: &Side, options: &SyncOptions) -> Result<(Tree, Tree)> {
    let (source_tree, destination_tree) = std::thread::scope(|scope| {
        let source_scan = scope.spawn(|| scan(source.backend, &options.filter, options.jobs));
        let destination_tree = scan(destination.backend, &options.filter, options.jobs);
        (source_scan.join().expect("source scan"), destination_tree)
    });
    let source_tree = source_tree
        .map_err(|e| anyhow!("cannot list the source {}: {e}", source.backend.label()))?;
    if !source_tree.root_exists {
        bail!("the source {} does not exist", source.backend.label());
    }
    let destination_tree = destination_tree.map_err(|e| {
        anyhow!(
            "cannot list the destination {}: {e}",
            destination.backend.label()
        )
    })?;
    Ok((source_tree, destination_tree))
}

/// Runs one one-way sync from `source` to `destination` with the baseline kept in `state_dir`.
/// Errors are problems before any transfer (exit code 2); everything after is in the summary.
pub fn run_one_way(
    source: &Side,
    destination: &Side,
    options: &SyncOptions,
    state_dir: &Path,
    reporter: &dyn Reporter,
) -> Result<Summary> {
    let started = Instant::now();
    if source.label == destination.label {
        bail!(
            "the source and the destination are the same ({})",
            source.label
        );
    }
    let paths = StatePaths::new(state_dir, &source.label, &destination.label);
    let source_is_a = paths.is_side_a(&source.label);
    let (state, baseline): (Option<StateSession>, Baseline) = if options.dry_run {
        (None, store::load(&paths)?)
    } else {
        let (store, baseline) = StateStore::open(paths, options.checkpoint_every)?;
        (
            Some(StateSession {
                store,
                baseline: baseline.clone(),
            }),
            baseline,
        )
    };
    let (source_tree, destination_tree) = scan_pair(source, destination, options)?;
    let plan = OneWay {
        source,
        destination,
        source_tree: &source_tree,
        destination_tree: &destination_tree,
        baseline: &baseline,
        source_is_a,
        options,
    }
    .plan();
    for warning in &plan.warnings {
        reporter.event(&Event::Warning { message: warning }, options.dry_run);
    }
    let summary = Summary {
        hashed_files: plan.hashed_files,
        dry_run: options.dry_run,
        ..Summary::default()
    };
    let executor = Executor {
        source,
        destination,
        source_tree: &source_tree,
        destination_tree: &destination_tree,
        source_is_a,
        two_way: false,
        options,
        reporter,
    };
    let mut summary = executor.execute(plan, state, summary)?;
    summary.elapsed = started.elapsed();
    reporter.finished(&summary);
    Ok(summary)
}

/// Runs one bisync between `local` and `remote` (sync-semantics §5), asking `decide` about every
/// conflict. Errors are problems before any transfer (exit code 2); everything after is in the
/// summary.
pub fn run_bisync(
    local: &Side,
    remote: &Side,
    options: &SyncOptions,
    decide: &mut dyn FnMut(&Conflict) -> Decision,
    state_dir: &Path,
    reporter: &dyn Reporter,
) -> Result<Summary> {
    let started = Instant::now();
    if local.label == remote.label {
        bail!(
            "the local and the remote side are the same ({})",
            local.label
        );
    }
    let paths = StatePaths::new(state_dir, &local.label, &remote.label);
    let local_is_a = paths.is_side_a(&local.label);
    let (state, baseline): (Option<StateSession>, Baseline) = if options.dry_run {
        (None, store::load(&paths)?)
    } else {
        let (store, baseline) = StateStore::open(paths, options.checkpoint_every)?;
        (
            Some(StateSession {
                store,
                baseline: baseline.clone(),
            }),
            baseline,
        )
    };
    let (local_tree, remote_tree) = scan_pair(local, remote, options)?;
    let plan = TwoWay {
        local,
        remote,
        local_tree: &local_tree,
        remote_tree: &remote_tree,
        baseline: &baseline,
        local_is_a,
        options,
        stamp: conflict_stamp(std::time::SystemTime::now()),
    }
    .plan(decide);
    for warning in &plan.warnings {
        reporter.event(&Event::Warning { message: warning }, options.dry_run);
    }
    let summary = Summary {
        hashed_files: plan.hashed_files,
        dry_run: options.dry_run,
        ..Summary::default()
    };
    let executor = Executor {
        source: local,
        destination: remote,
        source_tree: &local_tree,
        destination_tree: &remote_tree,
        source_is_a: local_is_a,
        two_way: true,
        options,
        reporter,
    };
    let mut summary = executor.execute(plan, state, summary)?;
    summary.elapsed = started.elapsed();
    reporter.finished(&summary);
    Ok(summary)
}

/// `YYYYMMDDTHHMMSS` (UTC) for the names of kept-both copies.
pub fn conflict_stamp(at: std::time::SystemTime) -> String {
    let ns = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64);
    let (year, month, day, hour, minute, second) = ferry_plugin_api::time::civil_from_ns(ns);
    format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}")
}
