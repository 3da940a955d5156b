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

use std::{path::Path, time::Instant};

use anyhow::{anyhow, bail, Result};

pub use crate::{
    options::{MaxDelete, SyncOptions},
    side::{CompareBy, Side},
};

use crate::{
    pair::{side_names, Pair, Which},
    plan::{
        inputs::Inputs,
        one_way::OneWay,
        resolve::{Conflict, Decision},
        two_way::TwoWay,
        Action,
    },
    report::{Event, Reporter, Summary},
    scan::{scan, Tree},
    state::{store, Baseline, StatePaths, StateStore},
    transfer::{Executor, StateSession},
};

/// Scans both sides at once; a missing destination root is an empty tree, a missing or
/// unlistable source is an error.
pub fn scan_pair(
    source: &Side,
    destination: &Side,
    options: &SyncOptions,
    reporter: &dyn Reporter,
) -> Result<(Tree, Tree)> {
    let listed = |entries: u64| reporter.listed(entries);
    let (source_tree, destination_tree) = std::thread::scope(|scope| {
        let source_scan =
            scope.spawn(|| scan(source.backend, &options.filter, options.jobs, &listed));
        let destination_tree = scan(destination.backend, &options.filter, options.jobs, &listed);
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
    if options.size_only && !crate::plan::compare::sizes_comparable(source, destination) {
        let approximate = if source.can(ferry_plugin_api::Capabilities::APPROXIMATE_SIZES) {
            source
        } else {
            destination
        };
        bail!(
            "--size-only cannot compare files here: {} lists sizes that differ from the bytes a copy sends (a server that re-serialises what it stores)",
            approximate.backend.label()
        );
    }
    let pair = RunPair {
        sides: Pair::new(source, destination),
        two_way: false,
    };
    pair.run(options, state_dir, reporter, |inputs| {
        OneWay { inputs }.plan()
    })
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
    let pair = RunPair {
        sides: Pair::new(local, remote),
        two_way: true,
    };
    pair.run(options, state_dir, reporter, |inputs| {
        TwoWay {
            inputs,
            stamp: conflict_stamp(std::time::SystemTime::now()),
        }
        .plan(decide)
    })
}

/// What a one-way run and a bisync share: the baseline (opened and locked, or only read in a
/// dry run), both scans, the planner's warnings, execution and the summary.
struct RunPair<'s, 'b> {
    /// The source (bisync: local) and destination (bisync: remote) sides.
    sides: Pair<&'s Side<'b>>,
    two_way: bool,
}

impl RunPair<'_, '_> {
    fn run(
        &self,
        options: &SyncOptions,
        state_dir: &Path,
        reporter: &dyn Reporter,
        plan: impl FnOnce(Inputs) -> crate::plan::Plan,
    ) -> Result<Summary> {
        let started = Instant::now();
        let (first, second) = (self.sides.source, self.sides.destination);
        let names = side_names(self.two_way);
        if first.label == second.label {
            bail!(
                "the {} and the {} are the same ({})",
                names.source,
                names.destination,
                first.label
            );
        }
        let paths = StatePaths::new(state_dir, &first.label, &second.label);
        let first_is_a = paths.is_side_a(&first.label);
        let legacy = legacy_pairs(first, second);
        // Loaded before the scans, not alongside them: the load's transient memory (the file's
        // text, the parser's buffers) would then sit on top of both trees, 25 MiB more at the
        // peak of a 100k-file no-op, to save a few milliseconds.
        let (store, baseline): (Option<StateStore>, Baseline) = if options.dry_run {
            let baseline = match store::find_legacy(&paths, first_is_a, &legacy)? {
                Some(found) if !paths.exists() => found,
                _ => store::load(&paths)?,
            };
            (None, baseline)
        } else {
            store::adopt_legacy(&paths, first_is_a, &legacy)?;
            let (store, baseline) = StateStore::open(paths, options.checkpoint_every)?;
            (Some(store), baseline)
        };
        let (first_tree, second_tree) = scan_pair(first, second, options, reporter)?;
        let trees = Pair::new(&first_tree, &second_tree);
        for (which, tree) in trees.iter() {
            refuse_vanished_root(tree, self.sides[which], names[which], &baseline)?;
        }
        let a_side = if first_is_a {
            Which::Source
        } else {
            Which::Destination
        };
        let plan = plan(Inputs {
            sides: self.sides,
            trees,
            baseline: &baseline,
            a_side,
            options,
            two_way: self.two_way,
            list_unchanged: reporter.wants_unchanged()
                || options.fail_fast
                || crate::plugins::host_services::debug_enabled(),
        });
        // The plan is made: the baseline becomes the session's working copy (one copy in
        // memory, not two — a 100k-file baseline is tens of MiB).
        let state = store.map(|store| StateSession { store, baseline });
        for warning in &plan.warnings {
            reporter.event(&Event::Warning { message: warning }, options.dry_run);
        }
        if crate::plugins::host_services::debug_enabled() {
            for action in &plan.actions {
                crate::plugins::host_services::debug(&format!(
                    "plan: {}: {}",
                    action.path(),
                    action.decision(self.two_way)
                ));
            }
        }
        if !options.dry_run {
            self.prepare_roots(&plan, trees)?;
        }
        let summary = Summary {
            hashed_files: plan.hashed_files,
            dry_run: options.dry_run,
            ..Summary::default()
        };
        let executor = Executor {
            sides: self.sides,
            trees,
            a_side,
            two_way: self.two_way,
            options,
            reporter,
        };
        let mut summary = executor.execute(plan, state, summary)?;
        summary.elapsed = started.elapsed();
        reporter.finished(&summary);
        Ok(summary)
    }
}

impl RunPair<'_, '_> {
    /// Makes sure every side this plan writes can take it before anything is written: a
    /// missing root is created (with its ancestors), and an existing root that refuses a file
    /// (a read-only disk, a directory the user may not write) is one early error instead of one
    /// failure per file. The check writes an empty file under a temporary name and deletes it at
    /// once (a killed run's leftover is cleared like any partial file). It decides only when
    /// every planned write lands in the root or in directories this run creates there: a write
    /// into an existing subdirectory may succeed below a root that refuses files (an FTP login
    /// directory holding a writable `htdocs`), and one write alone would fail just once anyway.
    fn prepare_roots(&self, plan: &crate::plan::Plan, trees: Pair<&Tree>) -> Result<()> {
        let names = side_names(self.two_way);
        for (which, tree) in trees.iter() {
            let writes: Vec<&str> = plan
                .actions
                .iter()
                .filter_map(|action| match action {
                    Action::Mkdir { path, on } | Action::Transfer { path, to: on, .. }
                        if *on == which =>
                    {
                        Some(path.as_str())
                    }
                    _ => None,
                })
                .collect();
            if writes.is_empty() {
                continue;
            }
            let side = self.sides[which];
            if !tree.root_exists {
                side.backend.mkdir("").map_err(|e| {
                    anyhow!(
                        "cannot create the {} {}: {e}",
                        names[which],
                        side.backend.label()
                    )
                })?;
                continue;
            }
            let only_the_root_decides = writes.iter().all(|path| {
                crate::relpath::parents(path)
                    .find(|dir| dir.is_empty() || tree.nodes.contains_key(*dir))
                    .is_none_or(str::is_empty)
            });
            if writes.len() < 2 || !only_the_root_decides {
                continue;
            }
            let probe = ferry_plugin_api::temp_name::temp_name("write-check");
            match side.backend.write(&probe, std::io::empty(), Some(0), None) {
                Ok(_) => {
                    let _ = side.backend.delete(&probe);
                }
                Err(e) if e.kind == ferry_plugin_api::ErrorKind::PERMISSION_DENIED => bail!(
                    "cannot write to the {} {} (a test file there was refused: {e}); nothing was changed",
                    names[which],
                    side.backend.label()
                ),
                // Any other refusal is left to each file to report.
                Err(_) => {}
            }
        }
        Ok(())
    }
}

/// A side whose root is gone while the baseline remembers files there (an unmounted disk, a moved
/// collection) stops the run: re-creating it would upload into the wrong place, and a later run
/// would read every file as deleted.
fn refuse_vanished_root(tree: &Tree, side: &Side, name: &str, baseline: &Baseline) -> Result<()> {
    if tree.root_exists || baseline.records.is_empty() {
        return Ok(());
    }
    bail!(
        "the {name} {} does not exist, but the last sync recorded {} entries there; it may be unmounted or moved, so nothing was changed (if it is meant to start over empty, create it and run again)",
        side.backend.label(),
        baseline.records.len()
    )
}

/// The pairs of labels an older ferry may have keyed this pair's state by.
fn legacy_pairs(first: &Side, second: &Side) -> Vec<(String, String)> {
    let spellings = |side: &Side| {
        let mut labels = vec![side.label.clone()];
        labels.extend(side.legacy_label.clone());
        labels
    };
    let mut pairs = Vec::new();
    for a in spellings(first) {
        for b in spellings(second) {
            if a != first.label || b != second.label {
                pairs.push((a.clone(), b));
            }
        }
    }
    pairs
}

/// `YYYYMMDDTHHMMSS` (UTC) for the names of kept-both copies.
pub fn conflict_stamp(at: std::time::SystemTime) -> String {
    let ns = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64);
    let (year, month, day, hour, minute, second) = ferry_plugin_api::time::civil_from_ns(ns);
    format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}")
}
