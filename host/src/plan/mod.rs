//! Planning: classifying every path of the two scanned trees against the baseline and deciding
//! what to do. Plans are plain data, so `--dry-run` prints exactly what a real run executes.
//!
//! - [`compare`]: change detection (content hashes, versions) and parallel hashing;
//! - [`one_way`]: the one-way table of sync-semantics §4 with its safety rules;
//! - [`two_way`]: the bisync matrix of sync-semantics §5, producing conflicts as data;
//! - [`resolve`]: conflict strategies (`--resolve`) turning those conflicts into actions;
//! - [`inputs`]: what a planner looks at, and the rules both modes share;
//! - [`rows`]: each examined path's entries on both sides and in the baseline, without searches;
//! - `guard`: the one deletion guard every planned deletion passes;
//! - [`xml`]: well-formedness checks before upload.
//!
//! Actions name the side they write to with [`Which`]: in a one-way run everything is written to
//! the destination; in a bisync the local side is the "source" and the remote the "destination".

pub mod compare;
mod guard;
pub mod inputs;
pub mod one_way;
pub mod resolve;
pub mod rows;
pub mod two_way;
pub mod xml;

pub use compare::Which;

use std::collections::BTreeSet;

use crate::{
    pair::Pair,
    scan::Tree,
    state::{Baseline, Record},
};

/// Why a file is transferred.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The destination does not have it.
    New,
    /// The destination has an older version.
    Modified,
}

impl Reason {
    /// `new` or `modified`, as printed.
    pub fn word(self) -> &'static str {
        match self {
            Reason::New => "new",
            Reason::Modified => "modified",
        }
    }
}

/// One planned step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Create a directory.
    Mkdir {
        /// The directory.
        path: String,
        /// The side it is created on.
        on: Which,
    },
    /// Copy a file to `to` from the other side.
    Transfer {
        /// The file.
        path: String,
        /// Why.
        reason: Reason,
        /// Its size as scanned.
        size: u64,
        /// The side written to.
        to: Which,
    },
    /// Delete a file.
    Delete {
        /// The file.
        path: String,
        /// The side it is deleted on.
        on: Which,
    },
    /// Remove a directory if it is empty after the run.
    RemoveDir {
        /// The directory.
        path: String,
        /// The side it is removed on.
        on: Which,
    },
    /// Remove what stands in the way of a resolved file/directory conflict (a file, or a whole
    /// directory tree), before any directory is created or file copied.
    Clear {
        /// The path.
        path: String,
        /// The side it is removed on.
        on: Which,
        /// It is a directory (removed with everything below it).
        dir: bool,
    },
    /// A conflict resolved by keeping both versions: the loser is renamed to `aside` on its own
    /// side and copied across under that name; then the winner is copied over `path`.
    KeepBoth {
        /// The path.
        path: String,
        /// The side whose version keeps the name.
        winner: Which,
        /// The name the other version is kept under.
        aside: String,
        /// What the conflict was (`conflict: …`), for the report.
        why: String,
    },
    /// A conflict that a strategy resolved; reported, then the actions that follow it apply.
    Resolved {
        /// The path.
        path: String,
        /// What the conflict was (`conflict: …`).
        why: String,
        /// How it was resolved (`kept local`, …).
        how: String,
    },
    /// Nothing to transfer; store `record` if given (first-run match, refreshed stat).
    Keep {
        /// The path.
        path: String,
        /// The record to store, if it changed (boxed: most plans are mostly unchanged files
        /// with none, and the enum is as large as its largest variant).
        record: Option<Box<Record>>,
        /// Report it as `= path (unchanged)` with `--verbose` (files only).
        unchanged_file: bool,
    },
    /// Forget the baseline record.
    Drop {
        /// The path.
        path: String,
    },
    /// Skipped: changed where it must not be.
    Conflict {
        /// The path.
        path: String,
        /// `conflict: …`.
        why: String,
    },
    /// Skipped: the content is not acceptable (malformed XML).
    Invalid {
        /// The path.
        path: String,
        /// `not well-formed XML: …`.
        why: String,
    },
    /// Could not be planned (unreadable, unlistable) or refused for safety.
    Failed {
        /// The path (`""` for the whole run).
        path: String,
        /// What went wrong.
        why: String,
    },
}

impl Action {
    /// What the planner decided for this path and why, for `-vv` and the log: `copy to the
    /// destination (modified)`, `conflict: changed on both sides`, `unchanged`.
    pub fn decision(&self, two_way: bool) -> String {
        let names = crate::pair::side_names(two_way);
        match self {
            Action::Mkdir { on, .. } => format!("create the directory on the {}", names[*on]),
            Action::Transfer {
                reason, to, size, ..
            } => format!(
                "copy to the {} ({}, {size} bytes)",
                names[*to],
                reason.word()
            ),
            Action::Delete { on, .. } => {
                format!(
                    "delete on the {} (gone from the other side since the last sync)",
                    names[*on]
                )
            }
            Action::RemoveDir { on, .. } => {
                format!("remove the directory on the {} if empty", names[*on])
            }
            Action::Clear { on, .. } => format!("clear the way on the {}", names[*on]),
            Action::KeepBoth {
                winner, aside, why, ..
            } => {
                format!(
                    "{why}: keep both; the {} version keeps the name, the other becomes {aside}",
                    names[*winner]
                )
            }
            Action::Resolved { why, how, .. } => format!("{why}: {how}"),
            Action::Keep {
                unchanged_file: true,
                record,
                ..
            } => {
                if record.is_some() {
                    "unchanged (recorded)".to_string()
                } else {
                    "unchanged".to_string()
                }
            }
            Action::Keep { .. } => "in step (recorded)".to_string(),
            Action::Drop { .. } => "gone from both sides (forgotten)".to_string(),
            Action::Conflict { why, .. } => why.clone(),
            Action::Invalid { why, .. } => format!("invalid: {why}"),
            Action::Failed { why, .. } => format!("cannot decide: {why}"),
        }
    }

    /// The path the action is about.
    pub fn path(&self) -> &str {
        match self {
            Action::Mkdir { path, .. }
            | Action::Transfer { path, .. }
            | Action::Delete { path, .. }
            | Action::RemoveDir { path, .. }
            | Action::Clear { path, .. }
            | Action::KeepBoth { path, .. }
            | Action::Resolved { path, .. }
            | Action::Keep { path, .. }
            | Action::Drop { path }
            | Action::Conflict { path, .. }
            | Action::Invalid { path, .. }
            | Action::Failed { path, .. } => path,
        }
    }

    /// Does `--fail-fast` stop here?
    pub fn stops_fail_fast(&self) -> bool {
        matches!(
            self,
            Action::Conflict { .. } | Action::Invalid { .. } | Action::Failed { .. }
        )
    }
}

/// The outcome of planning.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// The steps, in path order.
    pub actions: Vec<Action>,
    /// Warnings that are not failures (skipped symlinks…).
    pub warnings: Vec<String>,
    /// Files hashed during planning (a no-op re-run hashes none).
    pub hashed_files: u64,
    /// Unchanged files with nothing to record, counted here instead of listed in `actions`
    /// when nobody looks at them one by one (see [`inputs::Inputs::list_unchanged`]): a
    /// 100k-file no-op then holds no action, and no copy of a path, per file.
    pub unchanged_unlisted: u64,
    /// Are unchanged files listed as actions?
    list_unchanged: bool,
}

impl Plan {
    /// An empty plan; `list_unchanged` says whether unchanged files are listed or counted.
    pub fn new(list_unchanged: bool) -> Self {
        Plan {
            list_unchanged,
            ..Plan::default()
        }
    }

    /// Adds a classified path's action: an unchanged file with nothing to record is only
    /// counted unless unchanged files are listed.
    pub fn push(&mut self, action: Action) {
        if !self.list_unchanged
            && matches!(
                action,
                Action::Keep {
                    record: None,
                    unchanged_file: true,
                    ..
                }
            )
        {
            self.unchanged_unlisted += 1;
        } else {
            self.actions.push(action);
        }
    }
}

/// The paths a run examines, in path order: everything scanned on either side, and the baseline
/// records its filters look at (a narrower filter does not forget what it does not look at),
/// less every path unknown on either side (unknown is never absent: its record stays as it was).
/// The three maps are merged as they are, already sorted: a sorted `Vec` of borrowed paths is
/// the smallest thing a 100k-file run can hold them in.
pub(crate) fn examined_paths<'t>(
    trees: Pair<&'t Tree>,
    baseline: &'t Baseline,
    filter: &crate::filter::Filter,
) -> Vec<&'t str> {
    let recorded = baseline
        .records
        .iter()
        .filter(|(path, record)| filter.examines(path, record.dir))
        .map(|(path, _)| path.as_str());
    let scanned = merge_sorted(
        trees.source.nodes.keys().map(String::as_str),
        trees.destination.nodes.keys().map(String::as_str),
    );
    let any_unknown = trees
        .iter()
        .any(|(_, tree)| !tree.unknown.is_empty() || !tree.incomplete.is_empty());
    merge_sorted(scanned, recorded)
        .filter(|path| !any_unknown || !trees.iter().any(|(_, tree)| tree.is_unknown(path)))
        .collect()
}

/// The union of two sorted, duplicate-free sequences, sorted and duplicate-free.
fn merge_sorted<'t>(
    a: impl Iterator<Item = &'t str>,
    b: impl Iterator<Item = &'t str>,
) -> impl Iterator<Item = &'t str> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(x), Some(y)) => match x.cmp(y) {
            std::cmp::Ordering::Less => a.next(),
            std::cmp::Ordering::Greater => b.next(),
            std::cmp::Ordering::Equal => {
                b.next();
                a.next()
            }
        },
        (Some(_), None) => a.next(),
        (None, _) => b.next(),
    })
}

/// Every unknown path becomes one warning: it is left as it is on both sides. `names` says what
/// the sides are called.
pub(crate) fn report_unknown(plan: &mut Plan, trees: Pair<&Tree>, names: Pair<&str>) {
    for (which, tree) in trees.iter() {
        let side = names[which];
        for (path, why) in &tree.unknown {
            let shown = if path.is_empty() { "." } else { path.as_str() };
            plan.warnings.push(format!(
                "cannot read `{shown}` on the {side} side ({why}); it is left as it is on both sides"
            ));
        }
        for (dir, whys) in &tree.incomplete {
            let shown = if dir.is_empty() { "." } else { dir.as_str() };
            for why in whys {
                plan.warnings.push(format!(
                    "cannot read an entry of `{shown}` on the {side} side ({why}); what it lists is synced, nothing else there is deleted or replaced"
                ));
            }
        }
    }
}

pub(crate) use crate::relpath::is_below;

/// Paths that differ only in Unicode normalisation (`café` in NFC and in NFD) look like one name
/// to a person, and some file systems store them as one. Every spelling of such a name is a
/// conflict, left alone on both sides with everything below it; it is never copied or deleted
/// as a second file. Takes the clashing paths out of `paths` and reports them. The unknown paths
/// of `trees` count as spellings too: a name ferry cannot read still occupies its place.
pub(crate) fn set_aside_normalisation_clashes(
    paths: &mut Vec<&str>,
    trees: Pair<&Tree>,
    plan: &mut Plan,
) {
    use unicode_normalization::UnicodeNormalization;
    let mut spellings: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    let unknown = [trees.source, trees.destination]
        .into_iter()
        .flat_map(|t| t.unknown.keys())
        .map(String::as_str);
    for path in paths
        .iter()
        .copied()
        .chain(unknown)
        .filter(|p| !p.is_ascii())
    {
        for (end, _) in path
            .match_indices('/')
            .chain(std::iter::once((path.len(), "")))
        {
            let prefix = &path[..end];
            let group = spellings.entry(prefix.nfc().collect()).or_default();
            if !group.contains(&prefix) {
                group.push(prefix);
            }
        }
    }
    let clashing: BTreeSet<&str> = spellings
        .values()
        .filter(|group| group.len() > 1)
        .flatten()
        .copied()
        .collect();
    if clashing.is_empty() {
        return;
    }
    for &path in &clashing {
        if paths.binary_search(&path).is_ok() {
            plan.actions.push(Action::Conflict {
                path: path.to_string(),
                why: "conflict: the same name in another Unicode normalisation exists; rename one of them".to_string(),
            });
        }
    }
    paths.retain(|path| {
        !clashing
            .iter()
            .any(|clash| *path == *clash || is_below(path, clash))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unchanged(path: &str, record: Option<Record>) -> Action {
        Action::Keep {
            path: path.to_string(),
            record: record.map(Box::new),
            unchanged_file: true,
        }
    }

    #[test]
    fn unchanged_files_are_counted_unless_listed_and_records_always_kept() {
        let mut counted = Plan::new(false);
        counted.push(unchanged("a", None));
        counted.push(unchanged("b", Some(Record::directory())));
        counted.push(Action::Drop { path: "c".into() });
        assert_eq!(counted.unchanged_unlisted, 1);
        assert_eq!(
            counted.actions.iter().map(Action::path).collect::<Vec<_>>(),
            ["b", "c"]
        );
        let mut listed = Plan::new(true);
        listed.push(unchanged("a", None));
        assert_eq!((listed.unchanged_unlisted, listed.actions.len()), (0, 1));
    }

    #[test]
    fn examined_paths_merge_both_trees_and_the_baseline_once_each() {
        let mut trees = Pair::new(Tree::default(), Tree::default());
        let node = crate::scan::Node {
            kind: ferry_plugin_api::EntryKind::FILE,
            size: 1,
            mtime_ns: None,
            precision_ns: 1,
            token: None,
        };
        for (which, paths) in [
            (Which::Source, ["a", "c", "d"]),
            (Which::Destination, ["b", "c", "e"]),
        ] {
            for path in paths {
                trees[which].nodes.insert(path.to_string(), node.clone());
            }
        }
        trees.destination.mark_unknown("e", "cannot read it");
        let mut baseline = Baseline::default();
        for path in ["a", "f", "e"] {
            baseline
                .records
                .insert(path.to_string(), Record::directory());
        }
        let paths = examined_paths(
            Pair::new(&trees.source, &trees.destination),
            &baseline,
            &crate::filter::Filter::default(),
        );
        assert_eq!(paths, ["a", "b", "c", "d", "f"]);
    }
}
