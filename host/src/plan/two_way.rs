//! The bisync matrix (sync-semantics §5). Each side of a path is classified against the baseline
//! as absent, new, unchanged, modified or deleted; the pair decides. Conflicts are handed to a
//! decision function (a fixed `--resolve` strategy, or the `ask` prompt) and turned into actions
//! by [`super::resolve`]. Every path seen equal is recorded, directories included; a first run
//! records equal files and calls differing ones conflicts, never "newer wins"; a directory
//! deleted on one side while something below it changed on the other is one conflict, and
//! nothing below it is deleted unless the decision says so.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    compare::Hashes,
    inputs::Inputs,
    is_below,
    resolve::{conflict_name, Change, Conflict, ConflictKind, Decision, Version},
    rows::Row,
    Action, Plan, Reason, Which,
};
use crate::{pair::Pair, scan::Node, state::Record};

/// The bisync planner. The local side is [`Which::Source`], the remote one
/// [`Which::Destination`].
pub struct TwoWay<'a> {
    /// Both sides, the baseline and the options.
    pub inputs: Inputs<'a>,
    /// `YYYYMMDDTHHMMSS` of the run, for kept-both names.
    pub stamp: String,
}

/// How one side of a path compares with the baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Absent,
    New,
    Unchanged,
    Modified,
    Deleted,
}

/// One path, classified.
#[derive(Clone)]
struct Cell<'t> {
    nodes: Pair<Option<&'t Node>>,
    record: Option<&'t Record>,
    states: Pair<State>,
}

impl Cell<'_> {
    /// The cell as if side `which` had nothing at this path.
    fn without(&self, which: Which) -> Self {
        let mut cell = self.clone();
        (cell.nodes[which], cell.states[which]) = (None, State::Absent);
        cell
    }
}

impl<'a> TwoWay<'a> {
    /// Builds the plan, asking `decide` about every conflict in path order.
    pub fn plan(&self, decide: &mut dyn FnMut(&Conflict) -> Decision) -> Plan {
        let inputs = &self.inputs;
        let (paths, hashes, mut plan) = inputs.start();
        let mut cells = BTreeMap::new();
        let mut rows = inputs.rows();
        for &path in &paths {
            match self.cell(path, rows.at(path), &hashes) {
                Ok(cell) => {
                    cells.insert(path, cell);
                }
                Err(why) => plan.actions.push(Action::Failed {
                    path: path.to_string(),
                    why,
                }),
            }
        }
        let mut names = Names::new(self);
        let mut suppressed: Vec<String> = Vec::new();
        let mut restored: Vec<(String, Which)> = Vec::new();
        for (&path, cell) in &cells {
            if suppressed.iter().any(|prefix| is_below(path, prefix)) {
                continue;
            }
            // Below a directory that won a file/directory conflict, the file's side has nothing
            // (it has a file there): what it lacks is to be restored, not a deletion.
            let restoring = restored
                .iter()
                .find(|(prefix, _)| is_below(path, prefix))
                .map(|(_, file_side)| *file_side);
            let cell = match restoring {
                Some(file_side) => cell.without(file_side),
                None => cell.clone(),
            };
            self.decide_path(
                path,
                &cell,
                &cells,
                &hashes,
                decide,
                &mut names,
                &mut plan,
                (&mut suppressed, &mut restored),
            );
        }
        inputs.finish(&mut plan);
        plan
    }

    fn state(
        &self,
        which: Which,
        path: &str,
        node: Option<&Node>,
        record: Option<&Record>,
        hashes: &Hashes,
    ) -> Result<State, String> {
        Ok(match (node, record) {
            (None, None) => State::Absent,
            (None, Some(_)) => State::Deleted,
            (Some(node), Some(record)) if node.is_dir() == record.dir => {
                if node.is_dir() || !self.inputs.changed(which, node, record, hashes, path)? {
                    State::Unchanged
                } else {
                    State::Modified
                }
            }
            (Some(_), _) => State::New,
        })
    }

    fn cell(&self, path: &str, row: Row<'a>, hashes: &Hashes) -> Result<Cell<'a>, String> {
        let Row { nodes, record } = row;
        let [source, destination] =
            Which::BOTH.map(|which| self.state(which, path, nodes[which], record, hashes));
        Ok(Cell {
            nodes,
            record,
            states: Pair::new(source?, destination?),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn decide_path(
        &self,
        path: &str,
        cell: &Cell<'a>,
        cells: &BTreeMap<&str, Cell<'a>>,
        hashes: &Hashes,
        decide: &mut dyn FnMut(&Conflict) -> Decision,
        names: &mut Names,
        plan: &mut Plan,
        (suppressed, restored): (&mut Vec<String>, &mut Vec<(String, Which)>),
    ) {
        let owned = path.to_string();
        let mut resolve = |conflict: Conflict, plan: &mut Plan| {
            let decision = decide(&conflict);
            let actions = conflict.actions(decision, &mut |loser| names.aside(path, loser));
            plan.actions.extend(actions);
            decision
        };
        match (cell.nodes.source, cell.nodes.destination) {
            (None, None) => {
                if cell.record.is_some() {
                    plan.actions.push(Action::Drop { path: owned });
                }
            }
            (Some(l), Some(r)) if l.is_dir() && r.is_dir() => {
                if !cell.record.is_some_and(|r| r.dir) {
                    plan.actions.push(Action::Keep {
                        path: owned,
                        record: Some(Box::new(Record::directory())),
                        unchanged_file: false,
                    });
                }
            }
            (Some(l), Some(r)) if l.is_dir() != r.is_dir() => {
                let dir_side = if l.is_dir() {
                    Which::Source
                } else {
                    Which::Destination
                };
                let conflict = Conflict {
                    path: owned.clone(),
                    why: format!(
                        "conflict: a file on {}, a directory on {}",
                        super::resolve::side_word(dir_side.other()),
                        super::resolve::side_word(dir_side)
                    ),
                    kind: ConflictKind::FileDir,
                    local: version(Some(l), cell.states.source),
                    remote: version(Some(r), cell.states.destination),
                };
                // Every decision but skip keeps both: the directory keeps the name.
                match resolve(conflict, plan) {
                    Decision::Skip => suppressed.push(owned),
                    _ => restored.push((owned, dir_side.other())),
                }
            }
            (Some(node), None) | (None, Some(node)) if node.is_dir() => {
                let kept_on = if cell.nodes.source.is_some() {
                    Which::Source
                } else {
                    Which::Destination
                };
                let other_state = cell.states[kept_on.other()];
                let deleted_dir =
                    other_state == State::Deleted && cell.record.is_some_and(|r| r.dir);
                if !deleted_dir {
                    plan.actions.push(Action::Mkdir {
                        path: owned,
                        on: kept_on.other(),
                    });
                } else if !changed_below(cells, path, kept_on) {
                    plan.actions.push(Action::RemoveDir {
                        path: owned,
                        on: kept_on,
                    });
                } else if !self.held_synced_files(path) {
                    // The deleting side removed no file's content, only a directory it saw
                    // empty: what the other side has below it now is new, and goes across.
                    plan.actions.push(Action::Mkdir {
                        path: owned,
                        on: kept_on.other(),
                    });
                } else {
                    let tree = self.inputs.trees[kept_on];
                    let files = tree
                        .below(path)
                        .filter(|(_, n)| n.is_file())
                        .map(|(p, n)| (p.clone(), n.size))
                        .collect();
                    let dirs = tree
                        .below(path)
                        .filter(|(_, n)| n.is_dir())
                        .map(|(p, _)| p.clone())
                        .collect();
                    let deleted_version = Version {
                        change: Change::Deleted,
                        dir: true,
                        size: None,
                        mtime_ns: None,
                        precision_ns: 1,
                    };
                    let kept_version = Version {
                        change: Change::Modified,
                        ..version(Some(node), State::Modified)
                    };
                    let (local, remote) = match kept_on {
                        Which::Source => (kept_version, deleted_version),
                        Which::Destination => (deleted_version, kept_version),
                    };
                    let conflict = Conflict {
                        path: format!("{path}/"),
                        why: format!(
                            "conflict: directory deleted on {}, changed below on {}",
                            super::resolve::side_word(kept_on.other()),
                            super::resolve::side_word(kept_on)
                        ),
                        kind: ConflictKind::DeletedDir {
                            kept_on,
                            files,
                            dirs,
                        },
                        local,
                        remote,
                    };
                    let decision = decide(&conflict);
                    let mut actions = conflict.actions(decision, &mut |_| String::new());
                    for action in &mut actions {
                        // The conflict is reported as `dir/`; its actions work on `dir`.
                        match action {
                            Action::Mkdir { path: p, .. } | Action::Clear { path: p, .. }
                                if p.ends_with('/') =>
                            {
                                p.pop();
                            }
                            _ => {}
                        }
                    }
                    plan.actions.extend(actions);
                    suppressed.push(owned);
                }
            }
            _ => self.decide_file(path, cell, hashes, plan, &mut resolve),
        }
    }

    /// Did the last sync record a file below directory `dir`?
    fn held_synced_files(&self, dir: &str) -> bool {
        let prefix = format!("{dir}/");
        self.inputs
            .baseline
            .records
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
            .any(|(_, record)| !record.dir)
    }

    fn decide_file(
        &self,
        path: &str,
        cell: &Cell<'a>,
        hashes: &Hashes,
        plan: &mut Plan,
        resolve: &mut dyn FnMut(Conflict, &mut Plan) -> Decision,
    ) {
        use State::*;
        let owned = path.to_string();
        let transfer = |to: Which, reason: Reason, node: &Node| Action::Transfer {
            path: owned.clone(),
            reason,
            size: node.size,
            to,
        };
        let conflict = |why: String| Conflict {
            path: owned.clone(),
            why,
            kind: if cell.nodes.source.is_some() && cell.nodes.destination.is_some() {
                ConflictKind::Content
            } else {
                ConflictKind::ModifyDelete
            },
            local: version(cell.nodes.source, cell.states.source),
            remote: version(cell.nodes.destination, cell.states.destination),
        };
        let action = match (
            cell.states.source,
            cell.states.destination,
            cell.nodes.source,
            cell.nodes.destination,
        ) {
            (_, Absent, Some(l), _) => transfer(Which::Destination, Reason::New, l),
            (Absent, _, _, Some(r)) => transfer(Which::Source, Reason::New, r),
            (Absent | Deleted, Absent | Deleted, _, _) => Action::Drop { path: owned },
            (Unchanged, Deleted, _, _) => Action::Delete {
                path: owned,
                on: Which::Source,
            },
            (Deleted, Unchanged, _, _) => Action::Delete {
                path: owned,
                on: Which::Destination,
            },
            (New, Deleted, Some(l), _) => transfer(Which::Destination, Reason::New, l),
            (Deleted, New, _, Some(r)) => transfer(Which::Source, Reason::New, r),
            (Modified, Deleted, _, _) => {
                resolve(
                    conflict("conflict: changed on local, deleted on remote".into()),
                    plan,
                );
                return;
            }
            (Deleted, Modified, _, _) => {
                resolve(
                    conflict("conflict: deleted on local, changed on remote".into()),
                    plan,
                );
                return;
            }
            (Unchanged, Unchanged, Some(l), Some(r)) => {
                let record = cell.record.expect("unchanged sides have a record");
                Action::Keep {
                    path: owned.clone(),
                    record: self
                        .inputs
                        .refreshed(&owned, Pair::new(l, r), record, hashes)
                        .map(Box::new),
                    unchanged_file: true,
                }
            }
            (Modified, Unchanged, Some(l), _) => transfer(Which::Destination, Reason::Modified, l),
            (Unchanged, Modified, _, Some(r)) => transfer(Which::Source, Reason::Modified, r),
            (_, _, Some(l), Some(r)) => {
                match self.inputs.equal_now(path, Pair::new(l, r), hashes) {
                    Ok(Some(record)) => Action::Keep {
                        path: owned.clone(),
                        record: Some(Box::new(record)),
                        unchanged_file: true,
                    },
                    Ok(None) => {
                        let why = if cell.record.is_some() {
                            "conflict: changed on both sides"
                        } else if self.inputs.baseline.records.is_empty() {
                            "conflict: different on both sides and never synced"
                        } else {
                            "conflict: new on both sides with different content"
                        };
                        resolve(conflict(why.into()), plan);
                        return;
                    }
                    Err(why) => Action::Failed { path: owned, why },
                }
            }
            _ => Action::Failed {
                path: owned,
                why: "internal error: unclassified bisync case".into(),
            },
        };
        plan.push(action);
    }
}

/// Names for kept-both losers, unique among both trees and each other.
struct Names {
    taken: BTreeSet<String>,
    stamp: String,
}

impl Names {
    fn new(planner: &TwoWay) -> Self {
        Names {
            taken: Which::BOTH
                .iter()
                .flat_map(|&which| planner.inputs.trees[which].nodes.keys())
                .cloned()
                .collect(),
            stamp: planner.stamp.clone(),
        }
    }

    fn aside(&mut self, path: &str, loser: Which) -> String {
        let mut stamp = self.stamp.clone();
        let mut n = 1;
        loop {
            let name = conflict_name(path, loser, &stamp);
            if self.taken.insert(name.clone()) {
                return name;
            }
            n += 1;
            stamp = format!("{}-{n}", self.stamp);
        }
    }
}

/// Did anything below `dir` change on `which` (new or modified) since the baseline?
fn changed_below(cells: &BTreeMap<&str, Cell>, dir: &str, which: Which) -> bool {
    cells.iter().any(|(path, cell)| {
        is_below(path, dir) && matches!(cell.states[which], State::New | State::Modified)
    })
}

fn version(node: Option<&Node>, state: State) -> Version {
    Version {
        change: match state {
            State::New | State::Absent => Change::New,
            State::Modified => Change::Modified,
            State::Deleted => Change::Deleted,
            State::Unchanged => Change::Unchanged,
        },
        dir: node.is_some_and(Node::is_dir),
        size: node.filter(|n| n.is_file()).map(|n| n.size),
        mtime_ns: node.and_then(|n| n.mtime_ns),
        precision_ns: node.map_or(1, |n| n.precision_ns),
    }
}
