//! The one-way rules (sync-semantics §4), with the safety rules of §6: nothing happens below a
//! directory whose listing failed, no deletion when the source lists empty against a non-empty
//! baseline, and `--max-delete` stops a mass delete before anything is deleted.

use std::collections::BTreeSet;

use super::{
    compare::{self, Hashes, Which},
    is_below, xml, Action, Plan, Reason,
};
use crate::{
    scan::{Node, Tree},
    state::{Baseline, Record, SideState},
    sync::{
        options::SyncOptions,
        side::{CompareBy, Side},
    },
};

/// Everything the one-way planner looks at.
pub struct OneWay<'a> {
    /// The side copied from.
    pub source: &'a Side<'a>,
    /// The side copied to.
    pub destination: &'a Side<'a>,
    /// The scanned source.
    pub source_tree: &'a Tree,
    /// The scanned destination.
    pub destination_tree: &'a Tree,
    /// The baseline of the pair.
    pub baseline: &'a Baseline,
    /// Is the source side `a` of the baseline?
    pub source_is_a: bool,
    /// The run's options.
    pub options: &'a SyncOptions,
}

enum FileState<'a> {
    Absent,
    File(&'a Node),
    Dir,
}

fn state_of<'t>(tree: &'t Tree, path: &str) -> FileState<'t> {
    match tree.nodes.get(path) {
        None => FileState::Absent,
        Some(node) if node.is_dir() => FileState::Dir,
        Some(node) => FileState::File(node),
    }
}

impl<'a> OneWay<'a> {
    fn source_base<'r>(&self, record: &'r Record) -> &'r SideState {
        record.side(self.source_is_a)
    }

    fn destination_base<'r>(&self, record: &'r Record) -> &'r SideState {
        record.side(!self.source_is_a)
    }

    fn record(&self, source: SideState, destination: SideState) -> Record {
        Record::file(self.source_is_a, source, destination)
    }

    /// Builds the plan: hashes what must be hashed, classifies every path, applies the safety
    /// rules and checks XML.
    pub fn plan(&self) -> Plan {
        let mut paths = super::examined_paths(
            [self.source_tree, self.destination_tree],
            self.baseline,
            &self.options.filter,
        );
        let mut clashes = Plan::default();
        super::set_aside_normalisation_clashes(
            &mut paths,
            [self.source_tree, self.destination_tree],
            &mut clashes,
        );
        let hashes = compare::compute(
            self.hash_requests(&paths),
            self.source,
            self.destination,
            self.options.jobs,
        );
        let mut plan = Plan {
            hashed_files: hashes.files_read,
            ..clashes
        };
        super::report_unknown(
            &mut plan,
            [
                (self.source_tree, "source"),
                (self.destination_tree, "destination"),
            ],
        );
        let mut type_conflicts: Vec<&str> = Vec::new();
        for path in paths {
            // Nothing below an unsettled file/directory conflict is copied or deleted.
            if type_conflicts.iter().any(|dir| is_below(path, dir)) {
                continue;
            }
            if let Some(action) = self.classify(path, &hashes) {
                if matches!(&action, Action::Conflict { why, .. } if why.contains("a directory on the other"))
                {
                    type_conflicts.push(path);
                }
                plan.actions.push(action);
            }
        }
        if self.options.delete_unmatched {
            for (path, dir) in &self.destination_tree.unmatched {
                plan.actions.push(if *dir {
                    Action::Clear {
                        path: path.clone(),
                        on: Which::Destination,
                        dir: true,
                    }
                } else {
                    Action::Delete {
                        path: path.clone(),
                        on: Which::Destination,
                    }
                });
            }
        }
        super::guard::Guard {
            trees: [self.source_tree, self.destination_tree],
            baseline: self.baseline,
            options: self.options,
            two_way: false,
        }
        .apply(&mut plan);
        xml::check_uploads(&mut plan, self.source, self.destination, self.options);
        plan
    }

    /// The content hashes classification will need: changed stats on content sides, and both
    /// sides of a first-run pair of equal size.
    fn hash_requests(&self, paths: &BTreeSet<&str>) -> Vec<(Which, String)> {
        let mut requests = Vec::new();
        if self.options.force {
            return requests;
        }
        let first_run_hashable =
            compare::can_hash(self.source) && compare::can_hash(self.destination);
        for &path in paths {
            let (FileState::File(s), d) = (
                state_of(self.source_tree, path),
                state_of(self.destination_tree, path),
            ) else {
                if let (FileState::Absent, FileState::File(d), Some(b)) = (
                    state_of(self.source_tree, path),
                    state_of(self.destination_tree, path),
                    self.file_record(path),
                ) {
                    if self.options.delete
                        && self.destination.compare == CompareBy::Content
                        && !compare::stat_unchanged(d, self.destination_base(b))
                    {
                        requests.push((Which::Destination, path.to_string()));
                    }
                }
                continue;
            };
            match (d, self.file_record(path)) {
                (FileState::File(d), Some(b)) => {
                    if self.source.compare == CompareBy::Content
                        && !compare::stat_unchanged(s, self.source_base(b))
                    {
                        requests.push((Which::Source, path.to_string()));
                    }
                    if self.destination.compare == CompareBy::Content
                        && !compare::stat_unchanged(d, self.destination_base(b))
                    {
                        requests.push((Which::Destination, path.to_string()));
                    }
                }
                (FileState::File(d), None)
                    if s.size == d.size
                        || !compare::sizes_comparable(self.source, self.destination) =>
                {
                    if first_run_hashable {
                        requests.push((Which::Source, path.to_string()));
                        requests.push((Which::Destination, path.to_string()));
                    } else if self.source.compare == CompareBy::Content {
                        requests.push((Which::Source, path.to_string()));
                    } else if self.destination.compare == CompareBy::Content {
                        requests.push((Which::Destination, path.to_string()));
                    }
                }
                _ => {}
            }
        }
        requests
    }

    fn file_record(&self, path: &str) -> Option<&'a Record> {
        self.baseline.records.get(path).filter(|r| !r.dir)
    }

    fn changed(
        &self,
        which: Which,
        node: &Node,
        base: &SideState,
        hashes: &Hashes,
        path: &str,
    ) -> Result<bool, String> {
        let side = match which {
            Which::Source => self.source,
            Which::Destination => self.destination,
        };
        compare::side_changed(side, which, node, base, hashes, path)
    }

    fn classify(&self, path: &str, hashes: &Hashes) -> Option<Action> {
        let path_owned = path.to_string();
        let base = self.baseline.records.get(path);
        match (
            state_of(self.source_tree, path),
            state_of(self.destination_tree, path),
        ) {
            (FileState::Dir, FileState::Absent) => Some(Action::Mkdir {
                path: path_owned,
                on: Which::Destination,
            }),
            (FileState::Dir, FileState::Dir) => match base {
                Some(record) if record.dir => None,
                _ => Some(Action::Keep {
                    path: path_owned,
                    record: Some(Record::directory()),
                    unchanged_file: false,
                }),
            },
            (FileState::Absent, FileState::Dir) => {
                if self.options.delete {
                    Some(Action::RemoveDir {
                        path: path_owned,
                        on: Which::Destination,
                    })
                } else {
                    base.map(|_| Action::Drop { path: path_owned })
                }
            }
            (FileState::Dir, FileState::File(_)) | (FileState::File(_), FileState::Dir) => {
                Some(Action::Conflict {
                    path: path_owned,
                    why: "conflict: a file on one side, a directory on the other".to_string(),
                })
            }
            (FileState::Absent, FileState::Absent) => {
                base.map(|_| Action::Drop { path: path_owned })
            }
            (FileState::File(s), FileState::Absent) => Some(Action::Transfer {
                path: path_owned,
                reason: Reason::New,
                size: s.size,
                to: Which::Destination,
            }),
            (FileState::File(s), FileState::File(d)) => {
                Some(self.classify_both(path, s, d, hashes))
            }
            (FileState::Absent, FileState::File(d)) => {
                self.classify_deleted_source(path, d, hashes)
            }
        }
    }

    fn classify_both(&self, path: &str, s: &Node, d: &Node, hashes: &Hashes) -> Action {
        let transfer = |reason| Action::Transfer {
            path: path.to_string(),
            reason,
            size: s.size,
            to: Which::Destination,
        };
        if self.options.force {
            return transfer(Reason::Modified);
        }
        let failed = |why: String| Action::Failed {
            path: path.to_string(),
            why,
        };
        let Some(base) = self.file_record(path) else {
            return match self.equal_now(path, s, d, hashes) {
                Ok(Some(record)) => Action::Keep {
                    path: path.to_string(),
                    record: Some(record),
                    unchanged_file: true,
                },
                Ok(None) => transfer(Reason::Modified),
                Err(why) => failed(why),
            };
        };
        let source_changed =
            match self.changed(Which::Source, s, self.source_base(base), hashes, path) {
                Ok(changed) => changed,
                Err(why) => return failed(why),
            };
        let destination_changed = match self.changed(
            Which::Destination,
            d,
            self.destination_base(base),
            hashes,
            path,
        ) {
            Ok(changed) => changed,
            Err(why) => return failed(why),
        };
        let conflict = |why: &str| Action::Conflict {
            path: path.to_string(),
            why: why.to_string(),
        };
        if destination_changed {
            // Changed to what the source holds (a copy whose journal line a crash cut off, or
            // the same edit made on both sides): in step, recorded, nothing to report.
            match self.equal_now(path, s, d, hashes) {
                Ok(Some(record)) => {
                    return Action::Keep {
                        path: path.to_string(),
                        record: Some(record),
                        unchanged_file: true,
                    }
                }
                Ok(None) => {}
                Err(why) => return failed(why),
            }
        }
        match (source_changed, destination_changed) {
            (false, false) => {
                let refreshed = self.record(
                    compare::refreshed(self.source, s, self.source_base(base)),
                    compare::refreshed(self.destination, d, self.destination_base(base)),
                );
                let record = (refreshed != *base).then_some(refreshed);
                Action::Keep {
                    path: path.to_string(),
                    record,
                    unchanged_file: true,
                }
            }
            (true, false) => transfer(Reason::Modified),
            (true, true) => conflict("conflict: changed on both sides"),
            (false, true) => conflict("conflict: destination changed since last sync"),
        }
    }

    /// Do both sides hold the same content now ([`compare::equal_now`])? Then the record to
    /// store.
    fn equal_now(
        &self,
        path: &str,
        s: &Node,
        d: &Node,
        hashes: &Hashes,
    ) -> Result<Option<Record>, String> {
        let base = self.file_record(path);
        let source = compare::Now {
            side: self.source,
            which: Which::Source,
            node: s,
            base: base.map(|b| self.source_base(b)),
        };
        let destination = compare::Now {
            side: self.destination,
            which: Which::Destination,
            node: d,
            base: base.map(|b| self.destination_base(b)),
        };
        Ok(
            compare::equal_now(&source, &destination, hashes, path)?
                .map(|(s, d)| self.record(s, d)),
        )
    }

    fn classify_deleted_source(&self, path: &str, d: &Node, hashes: &Hashes) -> Option<Action> {
        if !self.options.delete {
            return None;
        }
        let delete = Action::Delete {
            path: path.to_string(),
            on: Which::Destination,
        };
        let Some(base) = self.file_record(path) else {
            return Some(delete);
        };
        if self.options.force {
            return Some(delete);
        }
        match self.changed(
            Which::Destination,
            d,
            self.destination_base(base),
            hashes,
            path,
        ) {
            Ok(false) => Some(delete),
            Ok(true) => Some(Action::Conflict {
                path: path.to_string(),
                why: "conflict: destination changed, source deleted".to_string(),
            }),
            Err(why) => Some(Action::Failed {
                path: path.to_string(),
                why,
            }),
        }
    }
}
