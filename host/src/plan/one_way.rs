//! The one-way table (sync-semantics §4): what the source (`Which::Source`) and the destination
//! hold against the baseline decides each path. What both modes share — the paths examined,
//! hashing, change detection, equality, the deletion guard — is in [`super::inputs`].

use super::{compare::Hashes, inputs::Inputs, is_below, rows::Row, Action, Plan, Reason, Which};
use crate::{pair::Pair, scan::Node, state::Record};

/// Why a destination edited since the last sync is not overwritten.
const DESTINATION_CHANGED: &str = "conflict: destination changed since last sync";

/// The one-way planner: the source (`Which::Source`) copied to the destination.
pub struct OneWay<'a> {
    /// Both sides, the baseline and the options.
    pub inputs: Inputs<'a>,
}

enum FileState<'a> {
    Absent,
    File(&'a Node),
    Dir,
}

fn state_of(node: Option<&Node>) -> FileState<'_> {
    match node {
        None => FileState::Absent,
        Some(node) if node.is_dir() => FileState::Dir,
        Some(node) => FileState::File(node),
    }
}

impl<'a> OneWay<'a> {
    /// Builds the plan: hashes what must be hashed, classifies every path, applies the safety
    /// rules and checks XML.
    pub fn plan(&self) -> Plan {
        let inputs = &self.inputs;
        let (paths, hashes, mut plan) = inputs.start();
        let mut type_conflicts: Vec<&str> = Vec::new();
        let mut rows = inputs.rows();
        for path in paths {
            // Nothing below an unsettled file/directory conflict is copied or deleted.
            if type_conflicts.iter().any(|dir| is_below(path, dir)) {
                continue;
            }
            let row = rows.at(path);
            let kinds = row.nodes.map(|_, node| node.map(|n| n.is_dir()));
            if let Pair {
                source: Some(a),
                destination: Some(b),
            } = kinds
            {
                if a != b {
                    type_conflicts.push(path);
                }
            }
            if let Some(action) = self.classify(path, row, &hashes) {
                plan.push(action);
            }
        }
        if inputs.options.delete_unmatched {
            for (path, dir) in &inputs.trees.destination.unmatched {
                let (path, on) = (path.clone(), Which::Destination);
                plan.actions.push(if *dir {
                    Action::Clear {
                        path,
                        on,
                        dir: true,
                    }
                } else {
                    Action::Delete { path, on }
                });
            }
        }
        inputs.finish(&mut plan);
        plan
    }

    fn classify(&self, path: &str, row: Row, hashes: &Hashes) -> Option<Action> {
        let path_owned = path.to_string();
        let base = row.record;
        match (state_of(row.nodes.source), state_of(row.nodes.destination)) {
            (FileState::Dir, FileState::Absent) => Some(Action::Mkdir {
                path: path_owned,
                on: Which::Destination,
            }),
            (FileState::Dir, FileState::Dir) => match base {
                Some(record) if record.dir => None,
                _ => Some(Action::Keep {
                    path: path_owned,
                    record: Some(Box::new(Record::directory())),
                    unchanged_file: false,
                }),
            },
            (FileState::Absent, FileState::Dir) => {
                if self.inputs.options.delete {
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
                Some(self.classify_both(path, s, d, row.file_record(), hashes))
            }
            (FileState::Absent, FileState::File(d)) => {
                self.classify_deleted_source(path, d, row.file_record(), hashes)
            }
        }
    }

    /// A file on both sides; `record` is the baseline's record of it as a file.
    fn classify_both(
        &self,
        path: &str,
        s: &Node,
        d: &Node,
        record: Option<&Record>,
        hashes: &Hashes,
    ) -> Action {
        let inputs = &self.inputs;
        let nodes = Pair::new(s, d);
        let transfer = |reason| Action::Transfer {
            path: path.to_string(),
            reason,
            size: s.size,
            to: Which::Destination,
        };
        if inputs.options.ignore_existing {
            // Left as it is, and its record too: the two sides are not known to be in step.
            return Action::Keep {
                path: path.to_string(),
                record: None,
                unchanged_file: true,
            };
        }
        if inputs.options.force {
            return transfer(Reason::Modified);
        }
        if inputs.options.size_only {
            return self.classify_by_size(path, s, d, record);
        }
        let failed = |why: String| Action::Failed {
            path: path.to_string(),
            why,
        };
        let kept = |record: Option<Record>| Action::Keep {
            path: path.to_string(),
            record: record.map(Box::new),
            unchanged_file: true,
        };
        let Some(base) = record else {
            return match inputs.equal_now(path, nodes, hashes) {
                Ok(Some(record)) => kept(Some(record)),
                Ok(None) => transfer(Reason::Modified),
                Err(why) => failed(why),
            };
        };
        let changed =
            Which::BOTH.map(|which| inputs.changed(which, nodes[which], base, hashes, path));
        let (source_changed, destination_changed) = match changed {
            [Ok(source), Ok(destination)] => (source, destination),
            [Err(why), _] | [_, Err(why)] => return failed(why),
        };
        if destination_changed {
            // Changed to what the source holds (a copy whose journal line a crash cut off, or
            // the same edit made on both sides): in step, recorded, nothing to report.
            match inputs.equal_now(path, nodes, hashes) {
                Ok(Some(record)) => return kept(Some(record)),
                Ok(None) => {}
                Err(why) => return failed(why),
            }
        }
        let conflict = |why: &str| Action::Conflict {
            path: path.to_string(),
            why: why.to_string(),
        };
        match (source_changed, destination_changed) {
            (false, false) => kept(inputs.refreshed(path, nodes, base, hashes)),
            (true, false) => transfer(Reason::Modified),
            (true, true) => conflict("conflict: changed on both sides"),
            (false, true) => conflict(DESTINATION_CHANGED),
        }
    }

    /// `--size-only`: equal sizes are left alone (and not recorded as in step, so a later run
    /// without the flag still compares them); different sizes are sent, unless the destination
    /// changed since the last sync — told by its stat alone, so a touched file counts as changed:
    /// a conflict, never an overwrite.
    fn classify_by_size(&self, path: &str, s: &Node, d: &Node, record: Option<&Record>) -> Action {
        if s.size == d.size {
            return Action::Keep {
                path: path.to_string(),
                record: None,
                unchanged_file: true,
            };
        }
        let destination_changed =
            record.is_some_and(|base| self.inputs.stat_changed(Which::Destination, d, base));
        if destination_changed {
            return Action::Conflict {
                path: path.to_string(),
                why: DESTINATION_CHANGED.to_string(),
            };
        }
        Action::Transfer {
            path: path.to_string(),
            reason: Reason::Modified,
            size: s.size,
            to: Which::Destination,
        }
    }

    fn classify_deleted_source(
        &self,
        path: &str,
        d: &Node,
        record: Option<&Record>,
        hashes: &Hashes,
    ) -> Option<Action> {
        let inputs = &self.inputs;
        if !inputs.options.delete {
            return None;
        }
        let delete = Action::Delete {
            path: path.to_string(),
            on: Which::Destination,
        };
        let Some(base) = record else {
            return Some(delete);
        };
        if inputs.options.force {
            return Some(delete);
        }
        match inputs.changed(Which::Destination, d, base, hashes, path) {
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
