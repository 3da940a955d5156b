//! Executing a plan: bookkeeping actions first, then what resolved conflicts clear away or keep
//! aside, then directories (parents first), transfers and deletions on a pool of `jobs` workers,
//! then empty directories (deepest first). Actions name the side they write to, so one executor
//! serves one-way runs and bisyncs. Every completed action is appended to the baseline journal
//! at once (or, where a written side defers durability, held for the next checkpoint);
//! `--fail-fast` and Ctrl-C stop the pool from taking new work, and the state is compacted
//! whatever happened.
//!
//! - `backup`: `--backup-dir`, the old version kept before a replacement or deletion;
//! - `checkpoint`: journal checkpoints, on a thread of their own where a side defers durability;
//! - `copy`: one file between two backends, hashed and counted, with retries;
//! - `commit`: committing a copy only over the destination version the plan expected;
//! - `conflicts`: the steps of settled bisync conflicts (clear, keep both);
//! - `pending`: versions read back at the end of the run;
//! - `phases`: the plan's actions sorted into the phases they run in, transfers spread over
//!   directories;
//! - `resume`: a source read that picks up where a cut connection stopped;
//! - `settle`: a closer look at a version listed too coarsely, before it is replaced or deleted.

mod backup;
pub mod bwlimit;
mod checkpoint;
mod commit;
mod conflicts;
mod copy;
mod pending;
mod phases;
mod resume;
mod settle;

pub use copy::{copy_file, copy_file_as, Copied, Copying};

use phases::spread_over_directories;

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use anyhow::Result;

use crate::{
    options::SyncOptions,
    pair::{Pair, Which},
    plan::{compare, Action, Plan, Reason},
    report::{Direction, Event, Reporter, Summary},
    scan::{Node, Tree},
    side::{CompareBy, Side},
    state::{Baseline, Record, SideState, StateStore},
};

/// The state a real run writes: the store (journal, lock) and the baseline it mirrors.
pub struct StateSession {
    /// The open store.
    pub store: StateStore,
    /// The baseline in memory.
    pub baseline: Baseline,
}

/// Everything one execution needs.
pub struct Executor<'a> {
    /// The source (bisync: local) and destination (bisync: remote) sides.
    pub sides: Pair<&'a Side<'a>>,
    /// The two scans (mtimes and versions of what is copied).
    pub trees: Pair<&'a Tree>,
    /// The side stored as `a` in the baseline's records.
    pub a_side: Which,
    /// A bisync: both sides are written, and lines say on which side a deletion or new
    /// directory happened.
    pub two_way: bool,
    /// The run's options.
    pub options: &'a SyncOptions,
    /// Where events go.
    pub reporter: &'a dyn Reporter,
}

struct Run<'a, 'e> {
    executor: &'e Executor<'a>,
    state: Option<Mutex<StateSession>>,
    summary: Mutex<Summary>,
    stop: AtomicBool,
    run_bytes: Arc<AtomicU64>,
    pending: Mutex<Vec<(Which, String)>>,
    state_error: Mutex<Option<anyhow::Error>>,
    /// Paths this run moved or cleared away, by side: a copy there expects nothing.
    vacated: Mutex<std::collections::BTreeSet<(Which, String)>>,
    /// The written sides whose backends acknowledge writes before they are durable
    /// (`durability.v1`): synced before each checkpoint, whose journal lines wait for it.
    deferred: Vec<Which>,
    /// Where due checkpoints go while a checkpointer thread runs (`checkpoint`).
    checkpoints: Mutex<Option<std::sync::mpsc::Sender<String>>>,
}

impl<'a> Executor<'a> {
    fn side(&self, which: Which) -> &Side<'a> {
        self.sides[which]
    }

    fn tree(&self, which: Which) -> &Tree {
        self.trees[which]
    }

    /// `local`/`remote` in a bisync, nothing in a one-way run.
    fn side_name(&self, which: Which) -> Option<&'static str> {
        self.two_way.then_some(which.bisync_name())
    }

    /// The arrow of a copy written to `to`: toward the destination `↓` when that is a pull into
    /// a side compared by content from one compared by version, else `↑`; the other way round
    /// toward the source.
    fn direction(&self, to: Which) -> Direction {
        let toward_destination = if self.sides.destination.compare == CompareBy::Content
            && self.sides.source.compare == CompareBy::Version
        {
            Direction::Down
        } else {
            Direction::Up
        };
        match (to, toward_destination) {
            (Which::Destination, direction) => direction,
            (Which::Source, Direction::Up) => Direction::Down,
            (Which::Source, Direction::Down) => Direction::Up,
        }
    }

    /// The record of a path from the states of its two sides.
    fn record(&self, which: Which, this: SideState, other: SideState) -> Record {
        Record::file(self.is_a(which), this, other)
    }

    /// Is `which` side `a` of the baseline?
    fn is_a(&self, which: Which) -> bool {
        which == self.a_side
    }

    /// Runs `plan`, writing the state through `state` (None in a dry run). Returns the counts;
    /// an error only if the state could not be written.
    pub fn execute(
        &self,
        mut plan: Plan,
        state: Option<StateSession>,
        mut summary: Summary,
    ) -> Result<Summary> {
        summary.unchanged += plan.unchanged_unlisted;
        if self.options.fail_fast {
            if let Some(stop_at) = plan.actions.iter().position(Action::stops_fail_fast) {
                plan.actions.truncate(stop_at + 1);
                summary.stopped_early = true;
            }
        }
        let mut run = Run {
            executor: self,
            state: state.map(Mutex::new),
            summary: Mutex::new(summary),
            stop: AtomicBool::new(false),
            run_bytes: Arc::new(AtomicU64::new(0)),
            pending: Mutex::new(Vec::new()),
            state_error: Mutex::new(None),
            vacated: Mutex::default(),
            deferred: Vec::new(),
            checkpoints: Mutex::new(None),
        };
        let mut batches = None;
        if let Some(state) = &mut run.state {
            run.deferred = self
                .written_sides()
                .iter()
                .copied()
                .filter(|&which| self.side(which).backend.defer_durability())
                .collect();
            if !run.deferred.is_empty() {
                state.get_mut().expect("state").store.hold_lines();
                let (checkpoints, receiver) = std::sync::mpsc::channel();
                *run.checkpoints.get_mut().expect("checkpoints") = Some(checkpoints);
                batches = Some(receiver);
            }
        }
        std::thread::scope(|scope| {
            let run = &run;
            if let Some(batches) = batches {
                scope.spawn(move || run.write_checkpoints(batches));
            }
            run.execute(plan.actions);
            // Hanging up ends the checkpointer once it has written every batch taken.
            *run.checkpoints.lock().expect("checkpoints") = None;
        });
        // Whatever stopped the run, the records about to be compacted vouch for these bytes.
        let synced = run.sync_deferred();
        let mut summary = run.summary.into_inner().expect("summary");
        summary.interrupted = self.options.cancel.is_cancelled();
        if let Some(error) = run.state_error.into_inner().expect("state error") {
            return Err(error);
        }
        if let Some(state) = run.state {
            for &which in self.written_sides() {
                for partial in &self.tree(which).partial_files {
                    // Left by a killed run; never under a final name, so only clutter now.
                    let _ = self.side(which).backend.delete(partial);
                }
            }
            synced?;
            let mut session = state.into_inner().expect("state");
            pending::fill_pending(
                self,
                &mut session,
                &run.pending.into_inner().expect("pending"),
            );
            let StateSession { store, baseline } = &mut session;
            store.compact(baseline)?;
        }
        Ok(summary)
    }

    /// The sides a run writes to: both in a bisync, else the destination.
    fn written_sides(&self) -> &'static [Which] {
        if self.two_way {
            &[Which::Source, Which::Destination]
        } else {
            &[Which::Destination]
        }
    }
}

impl Run<'_, '_> {
    fn dry_run(&self) -> bool {
        self.state.is_none()
    }

    fn report(&self, event: Event<'_>) {
        {
            let mut summary = self.summary.lock().expect("summary");
            match &event {
                Event::Transferred {
                    direction: Direction::Up,
                    bytes,
                    ..
                } => {
                    summary.uploaded += 1;
                    summary.bytes += bytes;
                }
                Event::Transferred {
                    direction: Direction::Down,
                    bytes,
                    ..
                } => {
                    summary.downloaded += 1;
                    summary.bytes += bytes;
                }
                Event::DirCreated { .. } => summary.dirs_created += 1,
                // The summary counts files; a directory's own line is not one.
                Event::Deleted { dir: false, .. } => summary.deleted += 1,
                Event::Deleted { dir: true, .. } => {}
                Event::Unchanged { .. } => summary.unchanged += 1,
                Event::Conflict { .. } => summary.conflicts += 1,
                Event::Resolved { .. } => summary.resolved += 1,
                Event::Invalid { .. } => summary.invalid += 1,
                Event::Failed { .. } => summary.failed += 1,
                Event::Warning { .. } => {}
            }
        }
        if matches!(event, Event::Failed { .. }) && self.executor.options.fail_fast {
            self.stop.store(true, Ordering::SeqCst);
            self.summary.lock().expect("summary").stopped_early = true;
        }
        self.executor.reporter.event(&event, self.dry_run());
    }

    fn fail(&self, path: &str, error: &dyn std::fmt::Display) {
        self.report(Event::Failed {
            path,
            why: &error.to_string(),
        });
    }

    /// Stores (or with `None` drops) the record of `path` and appends it to the journal;
    /// checkpoints when that is due, syncing the written sides first.
    fn remember(&self, path: &str, record: Option<Record>) {
        let Some(state) = &self.state else { return };
        let mut session = state.lock().expect("state");
        let result = match session.store.append(path, record.as_ref()) {
            Ok(true) => self.checkpoint_due(&mut session.store),
            Ok(false) => Ok(()),
            Err(error) => Err(error),
        };
        match record {
            Some(record) => session.baseline.records.insert(path.to_string(), record),
            None => session.baseline.records.remove(path),
        };
        if let Err(error) = result {
            self.state_failed(error);
        }
    }

    /// How this run's copies go.
    fn copying(&self) -> Copying<'_> {
        Copying {
            retries: self.executor.options.retries,
            run_bytes: &self.run_bytes,
            cancel: &self.executor.options.cancel,
            rate: self.executor.options.bwlimit.as_ref(),
        }
    }

    fn keep_going(&self) -> bool {
        !self.stop.load(Ordering::SeqCst) && !self.executor.options.cancel.is_cancelled()
    }

    /// How many transfers or deletions run at once: one in a dry run, whose lines then come
    /// in the plan's order, the same every time.
    fn workers(&self) -> usize {
        if self.dry_run() {
            1
        } else {
            self.executor.options.jobs
        }
    }

    /// Does `operation` unless this is a dry run.
    fn unless_dry<E>(&self, operation: impl FnOnce() -> Result<(), E>) -> Result<(), E> {
        if self.dry_run() {
            Ok(())
        } else {
            operation()
        }
    }

    fn execute(&self, actions: Vec<Action>) {
        let mut phases = self.sort(actions);
        if self.workers() > 1 {
            spread_over_directories(&mut phases.transfers);
        }
        let bytes: u64 = phases.transfers.iter().map(|t| t.2).sum();
        self.executor
            .reporter
            .planned(phases.transfers.len() + 2 * phases.keep_both.len(), bytes);
        for which in [Which::Source, Which::Destination] {
            let writes = phases.mkdirs.iter().any(|m| m.1 == which)
                || phases.transfers.iter().any(|t| t.3 == which)
                || !phases.keep_both.is_empty();
            if writes && !self.dry_run() {
                // The root may not exist yet; creating it is idempotent.
                let _ = self.executor.side(which).backend.mkdir("");
            }
        }
        for (path, on, dir) in &phases.clears {
            if !self.keep_going() {
                return;
            }
            self.clear(path, *on, *dir);
        }
        for (path, winner, aside, why) in &phases.keep_both {
            if !self.keep_going() {
                return;
            }
            self.keep_both(path, *winner, aside, why);
        }
        for (path, on) in &phases.mkdirs {
            if !self.keep_going() {
                return;
            }
            let side = self.executor.side(*on);
            match self.unless_dry(|| side.backend.mkdir(path)) {
                Ok(()) => {
                    self.report(Event::DirCreated {
                        path,
                        noun: &side.directory_noun(),
                        side: self.executor.side_name(*on),
                    });
                    self.remember(path, Some(Record::directory()));
                }
                Err(error) => self.fail(&format!("{path}/"), &error),
            }
        }
        // The progress thread ticks every 100 ms and wakes at once when the transfers end (the
        // sender is dropped), so no phase ever waits for its sleep.
        let (done, ticks) = std::sync::mpsc::channel::<()>();
        std::thread::scope(|scope| {
            if !self.dry_run() {
                scope.spawn(move || {
                    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                        ticks.recv_timeout(Duration::from_millis(100))
                    {
                        self.executor
                            .reporter
                            .progress(self.run_bytes.load(Ordering::Relaxed));
                    }
                });
            }
            crate::parallel::map_while(
                &phases.transfers,
                self.workers(),
                || self.keep_going(),
                |(path, reason, size, to)| self.transfer(path, *reason, *size, *to),
            );
            drop(done);
        });
        crate::parallel::map_while(
            &phases.deletions,
            self.workers(),
            || self.keep_going(),
            |(path, on)| match self.delete_settled(path, *on) {
                Ok(false) => self.report(Event::Conflict {
                    path,
                    why: settle::CHANGED_NOT_DELETED,
                }),
                Ok(true) => {
                    self.report(Event::Deleted {
                        path,
                        dir: false,
                        side: self.executor.side_name(*on),
                    });
                    self.remember(path, None);
                }
                Err(error) => self.fail(path, &error),
            },
        );
        phases.removals.sort_by(|a, b| b.0.cmp(&a.0));
        for (path, on) in phases.removals {
            if !self.keep_going() {
                return;
            }
            self.remove_dir_if_empty(&path, on);
        }
    }

    /// Copies `path` to `to` from the other side and records both sides. Returns whether it
    /// worked.
    fn transfer(&self, path: &str, reason: Reason, size: u64, to: Which) -> bool {
        let executor = self.executor;
        let direction = executor.direction(to);
        let from = to.other();
        if self.dry_run() {
            self.report(Event::Transferred {
                path,
                reason,
                direction,
                bytes: size,
            });
            return true;
        }
        let scanned = executor.tree(from).nodes.get(path).cloned();
        let node = match scanned {
            Some(node) => node,
            // Not in the scan: a file this run created (kept-both copies).
            None => match executor.side(from).backend.stat(path) {
                Ok(entry) => Node::from_entry(&entry),
                Err(error) => {
                    self.fail(path, &error);
                    return false;
                }
            },
        };
        if let Err(error) = self.back_up_before_replacing(to, path) {
            self.fail(path, &error);
            return false;
        }
        match self.copy_committed(to, path, &node) {
            Ok(commit::Committed::DestinationChanged) => {
                self.report(Event::Conflict {
                    path,
                    why: "conflict: destination changed during the transfer; not overwritten",
                });
                false
            }
            Ok(commit::Committed::ChangedSinceSync) => {
                self.report(Event::Conflict {
                    path,
                    why: settle::CHANGED_NOT_OVERWRITTEN,
                });
                false
            }
            Ok(commit::Committed::Done(copied)) => {
                let to_state = self.written_state(to, path, &copied);
                if self.changed_while_read(from, path, &node) {
                    // What was written may mix two versions: keep the destination's record (so
                    // it is not taken for someone else's edit) but no source hash, so the next
                    // run sends the source again.
                    let from_state = SideState {
                        hash: None,
                        size: node.size,
                        mtime_ns: node.mtime_ns,
                        token: None,
                        pending: false,
                    };
                    self.report(Event::Conflict {
                        path,
                        why: "changed during transfer; sent again next run",
                    });
                    self.remember(path, Some(executor.record(from, from_state, to_state)));
                    return false;
                }
                let from_state = match executor.side(from).compare {
                    CompareBy::Content => SideState {
                        hash: Some(copied.hash.clone()),
                        size: copied.bytes,
                        mtime_ns: node.mtime_ns,
                        token: None,
                        pending: false,
                    },
                    CompareBy::Version => compare::side_state(
                        executor.side(from),
                        &node,
                        node.token.is_none().then(|| copied.hash.clone()),
                    ),
                };
                self.report(Event::Transferred {
                    path,
                    reason,
                    direction,
                    bytes: copied.bytes,
                });
                self.remember(path, Some(executor.record(from, from_state, to_state)));
                true
            }
            Err(error) if error.kind == ferry_plugin_api::ErrorKind::CANCELLED => false,
            Err(error) => {
                self.fail(path, &error);
                false
            }
        }
    }

    /// Did the file change on side `from` while it was read (its size or mtime now differ from
    /// what the scan saw)? Asked where a stat is cheap: sides compared by content.
    fn changed_while_read(&self, from: Which, path: &str, scanned: &Node) -> bool {
        let side = self.executor.side(from);
        if side.compare != CompareBy::Content {
            return false;
        }
        match side.backend.stat(path) {
            Ok(entry) => {
                entry.size != scanned.size || entry.mtime_ns.into_option() != scanned.mtime_ns
            }
            // Gone or unreadable now: what was read cannot be vouched for either.
            Err(_) => true,
        }
    }

    /// The state of a side just written, from what its backend returned.
    fn written_state(&self, to: Which, path: &str, copied: &Copied) -> SideState {
        let entry = &copied.entry;
        match self.executor.side(to).compare {
            CompareBy::Content => SideState {
                hash: Some(copied.hash.clone()),
                size: entry.size,
                mtime_ns: entry.mtime_ns.into_option(),
                token: None,
                pending: false,
            },
            CompareBy::Version => {
                let token = entry
                    .token
                    .as_ref()
                    .map(|t| crate::token::Token::from(t.as_str()))
                    .into_option();
                let mtime_ns = entry.mtime_ns.into_option();
                // Neither a token nor an mtime: the backend assigns the version later.
                let pending = token.is_none() && mtime_ns.is_none();
                if pending {
                    self.pending
                        .lock()
                        .expect("pending")
                        .push((to, path.to_string()));
                }
                SideState {
                    // What was sent, where no token proves the version: settles a version
                    // listed too coarsely (`settle`).
                    hash: token.is_none().then(|| copied.hash.clone()),
                    size: entry.size,
                    mtime_ns,
                    pending,
                    token,
                }
            }
        }
    }

    fn remove_dir_if_empty(&self, path: &str, on: Which) {
        let backend = self.executor.side(on).backend;
        if !self.dry_run() {
            match backend.list(path) {
                Ok(listing) if listing.entries.is_empty() => {}
                // Not empty (excluded or kept files), or already gone: leave it.
                _ => return,
            }
            if let Err(error) = backend.rmdir(path, false) {
                self.fail(&format!("{path}/"), &error);
                return;
            }
        }
        self.report(Event::Deleted {
            path,
            dir: true,
            side: self.executor.side_name(on),
        });
        self.remember(path, None);
    }
}
