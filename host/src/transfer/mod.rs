//! Executing a plan: bookkeeping actions first, then directories (parents first), transfers and
//! deletions on a pool of `jobs` workers, then empty directories (deepest first). Every completed
//! action is appended to the baseline journal at once; `--fail-fast` and Ctrl-C stop the pool
//! from taking new work, and the state is compacted whatever happened.

mod copy;

pub use copy::{copy_file, Copied};

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use anyhow::Result;

use crate::{
    plan::{compare, Action, Plan, Reason},
    plugins::host_services,
    report::{Direction, Event, Reporter, Summary},
    scan::Tree,
    state::{Baseline, Record, SideState, StateStore},
    sync::{
        options::SyncOptions,
        side::{CompareBy, Side},
    },
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
    /// Copied from.
    pub source: &'a Side<'a>,
    /// Copied to.
    pub destination: &'a Side<'a>,
    /// The scanned source (mtimes and versions of what is copied).
    pub source_tree: &'a Tree,
    /// Temporary files of interrupted earlier runs in the destination, removed after this one.
    pub stale_partials: &'a [String],
    /// Is the source side `a` of the baseline?
    pub source_is_a: bool,
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
    pending: Mutex<Vec<String>>,
    state_error: Mutex<Option<anyhow::Error>>,
}

impl<'a> Executor<'a> {
    fn direction(&self) -> Direction {
        if self.destination.compare == CompareBy::Content
            && self.source.compare == CompareBy::Version
        {
            Direction::Down
        } else {
            Direction::Up
        }
    }

    /// Runs `plan`, writing the state through `state` (None in a dry run). Returns the counts;
    /// an error only if the state could not be written.
    pub fn execute(
        &self,
        mut plan: Plan,
        state: Option<StateSession>,
        mut summary: Summary,
    ) -> Result<Summary> {
        if self.options.fail_fast {
            if let Some(stop_at) = plan.actions.iter().position(Action::stops_fail_fast) {
                plan.actions.truncate(stop_at + 1);
                summary.stopped_early = true;
            }
        }
        let run = Run {
            executor: self,
            state: state.map(Mutex::new),
            summary: Mutex::new(summary),
            stop: AtomicBool::new(false),
            run_bytes: Arc::new(AtomicU64::new(0)),
            pending: Mutex::new(Vec::new()),
            state_error: Mutex::new(None),
        };
        run.execute(plan.actions);
        let mut summary = run.summary.into_inner().expect("summary");
        summary.interrupted = host_services::is_cancelled();
        if let Some(error) = run.state_error.into_inner().expect("state error") {
            return Err(error);
        }
        if let Some(state) = run.state {
            for partial in self.stale_partials {
                // Left by a killed run; never under a final name, so only clutter now.
                let _ = self.destination.backend.delete(partial);
            }
            let mut session = state.into_inner().expect("state");
            fill_pending(
                self,
                &mut session,
                &run.pending.into_inner().expect("pending"),
            );
            let baseline = session.baseline.clone();
            session.store.compact(&baseline)?;
        }
        Ok(summary)
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
                Event::Deleted { .. } => summary.deleted += 1,
                Event::Unchanged { .. } => summary.unchanged += 1,
                Event::Conflict { .. } => summary.conflicts += 1,
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

    /// Stores (or with `None` drops) the record of `path` and appends it to the journal.
    fn remember(&self, path: &str, record: Option<Record>) {
        let Some(state) = &self.state else { return };
        let mut session = state.lock().expect("state");
        let result = session.store.append(path, record.as_ref());
        match record {
            Some(record) => session.baseline.records.insert(path.to_string(), record),
            None => session.baseline.records.remove(path),
        };
        if let Err(error) = result {
            self.stop.store(true, Ordering::SeqCst);
            self.state_error
                .lock()
                .expect("state error")
                .get_or_insert(error);
        }
    }

    fn keep_going(&self) -> bool {
        !self.stop.load(Ordering::SeqCst) && !host_services::is_cancelled()
    }

    fn execute(&self, actions: Vec<Action>) {
        let mut mkdirs = Vec::new();
        let mut transfers = Vec::new();
        let mut deletions = Vec::new();
        let mut removals = Vec::new();
        for action in actions {
            match action {
                Action::Keep {
                    path,
                    record,
                    unchanged_file,
                } => {
                    if unchanged_file {
                        self.report(Event::Unchanged { path: &path });
                    }
                    if record.is_some() {
                        self.remember(&path, record);
                    }
                }
                Action::Drop { path } => self.remember(&path, None),
                Action::Conflict { path, why } => self.report(Event::Conflict {
                    path: &path,
                    why: &why,
                }),
                Action::Invalid { path, why } => self.report(Event::Invalid {
                    path: &path,
                    why: &why,
                }),
                Action::Failed { path, why } => self.report(Event::Failed {
                    path: &path,
                    why: &why,
                }),
                Action::Mkdir { path } => mkdirs.push(path),
                Action::Transfer { path, reason, size } => transfers.push((path, reason, size)),
                Action::Delete { path } => deletions.push(path),
                Action::RemoveDir { path } => removals.push(path),
            }
        }
        let bytes: u64 = transfers.iter().map(|t| t.2).sum();
        self.executor.reporter.planned(transfers.len(), bytes);
        let destination = self.executor.destination;
        let has_writes = !(mkdirs.is_empty() && transfers.is_empty());
        if has_writes && !self.dry_run() {
            // The destination root may not exist yet; creating it is idempotent.
            let _ = destination.backend.mkdir("");
        }
        let noun = destination.directory_noun();
        for path in mkdirs {
            if !self.keep_going() {
                return;
            }
            match if self.dry_run() {
                Ok(())
            } else {
                destination.backend.mkdir(&path)
            } {
                Ok(()) => {
                    self.report(Event::DirCreated {
                        path: &path,
                        noun: &noun,
                    });
                    self.remember(
                        &path,
                        Some(Record {
                            dir: true,
                            a: SideState::default(),
                            b: SideState::default(),
                        }),
                    );
                }
                Err(error) => self.report(Event::Failed {
                    path: &format!("{path}/"),
                    why: &error.to_string(),
                }),
            }
        }
        let done = AtomicBool::new(false);
        std::thread::scope(|scope| {
            if !self.dry_run() {
                scope.spawn(|| {
                    while !done.load(Ordering::Relaxed) {
                        self.executor
                            .reporter
                            .progress(self.run_bytes.load(Ordering::Relaxed));
                        std::thread::sleep(Duration::from_millis(100));
                    }
                });
            }
            crate::parallel::map_while(
                &transfers,
                self.executor.options.jobs,
                || self.keep_going(),
                |(path, reason, size)| self.transfer(path, *reason, *size),
            );
            done.store(true, Ordering::Relaxed);
        });
        crate::parallel::map_while(
            &deletions,
            self.executor.options.jobs,
            || self.keep_going(),
            |path| match if self.dry_run() {
                Ok(())
            } else {
                destination.backend.delete(path)
            } {
                Ok(()) => {
                    self.report(Event::Deleted { path, dir: false });
                    self.remember(path, None);
                }
                Err(error) => self.report(Event::Failed {
                    path,
                    why: &error.to_string(),
                }),
            },
        );
        removals.sort_by(|a, b| b.cmp(a));
        for path in removals {
            if !self.keep_going() {
                return;
            }
            self.remove_dir_if_empty(&path);
        }
    }

    fn transfer(&self, path: &str, reason: Reason, size: u64) {
        let executor = self.executor;
        let direction = executor.direction();
        if self.dry_run() {
            self.report(Event::Transferred {
                path,
                reason,
                direction,
                bytes: size,
            });
            return;
        }
        let node = executor
            .source_tree
            .nodes
            .get(path)
            .expect("transfers come from the source tree");
        match copy_file(
            executor.source,
            executor.destination,
            path,
            size,
            node.mtime_ns,
            executor.options.retries,
            &self.run_bytes,
        ) {
            Ok(copied) => {
                let source_state = match executor.source.compare {
                    CompareBy::Content => SideState {
                        sha256: Some(copied.sha256.clone()),
                        size: node.size,
                        mtime_ns: node.mtime_ns,
                        token: None,
                        pending: false,
                    },
                    CompareBy::Version => compare::side_state(executor.source, node, None),
                };
                let entry = &copied.entry;
                let destination_state = match executor.destination.compare {
                    CompareBy::Content => SideState {
                        sha256: Some(copied.sha256),
                        size: entry.size,
                        mtime_ns: entry.mtime_ns.into_option(),
                        token: None,
                        pending: false,
                    },
                    CompareBy::Version => {
                        let token = entry.token.as_ref().map(|t| t.to_string()).into_option();
                        let mtime_ns = entry.mtime_ns.into_option();
                        // Neither a token nor an mtime: the backend assigns the version later.
                        let pending = token.is_none() && mtime_ns.is_none();
                        if pending {
                            self.pending.lock().expect("pending").push(path.to_string());
                        }
                        SideState {
                            sha256: None,
                            size: entry.size,
                            mtime_ns,
                            pending,
                            token,
                        }
                    }
                };
                let record = if executor.source_is_a {
                    Record {
                        dir: false,
                        a: source_state,
                        b: destination_state,
                    }
                } else {
                    Record {
                        dir: false,
                        a: destination_state,
                        b: source_state,
                    }
                };
                self.report(Event::Transferred {
                    path,
                    reason,
                    direction,
                    bytes: size,
                });
                self.remember(path, Some(record));
            }
            Err(error) if error.kind == ferry_plugin_api::ErrorKind::CANCELLED => {}
            Err(error) => self.report(Event::Failed {
                path,
                why: &error.to_string(),
            }),
        }
    }

    fn remove_dir_if_empty(&self, path: &str) {
        let backend = self.executor.destination.backend;
        if !self.dry_run() {
            match backend.list(path) {
                Ok(listing) if listing.entries.is_empty() => {}
                // Not empty (excluded or kept files), or already gone: leave it.
                _ => return,
            }
            if let Err(error) = backend.rmdir(path, false) {
                self.report(Event::Failed {
                    path: &format!("{path}/"),
                    why: &error.to_string(),
                });
                return;
            }
        }
        self.report(Event::Deleted { path, dir: true });
        self.remember(path, None);
    }
}

/// Fills in versions the destination assigns after a write but did not return: one listing per
/// touched directory, at the end of the run.
fn fill_pending(executor: &Executor, session: &mut StateSession, pending: &[String]) {
    let mut dirs: Vec<&str> = pending
        .iter()
        .map(|p| p.rsplit_once('/').map(|(d, _)| d).unwrap_or(""))
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    for dir in dirs {
        let Ok(listing) = executor.destination.backend.list(dir) else {
            continue;
        };
        for entry in listing.entries.iter().filter(|e| e.is_file()) {
            let path = if dir.is_empty() {
                entry.name.to_string()
            } else {
                format!("{dir}/{}", entry.name)
            };
            let Some(record) = session.baseline.records.get_mut(&path) else {
                continue;
            };
            let side = if executor.source_is_a {
                &mut record.b
            } else {
                &mut record.a
            };
            if side.pending {
                let node = crate::scan::Node::from_entry(entry);
                *side = compare::side_state(executor.destination, &node, None);
            }
        }
    }
}
