//! The result of scanning one side: every file and directory by relative path, plus what could
//! not be seen.

use std::collections::BTreeMap;

use ferry_plugin_api::{Entry, EntryKind};

use crate::{relpath, token::Token};

/// What ferry knows about one scanned path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// File or directory (other kinds are not kept).
    pub kind: EntryKind,
    /// Size in bytes (0 for directories).
    pub size: u64,
    /// Modification time, ns since the epoch.
    pub mtime_ns: Option<i64>,
    /// Precision of `mtime_ns` in ns.
    pub precision_ns: u64,
    /// The backend's change token.
    pub token: Option<Token>,
}

impl Node {
    /// The node for a listed entry.
    pub fn from_entry(entry: &Entry) -> Self {
        Node {
            kind: entry.kind,
            size: if entry.is_file() { entry.size } else { 0 },
            mtime_ns: entry.mtime_ns.into_option(),
            precision_ns: entry.mtime_precision_ns.max(1),
            token: entry
                .token
                .as_ref()
                .map(|t| Token::from(t.as_str()))
                .into_option(),
        }
    }

    /// Is it a file?
    pub fn is_file(&self) -> bool {
        self.kind == EntryKind::FILE
    }

    /// Is it a directory?
    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::DIRECTORY
    }
}

/// One side, scanned.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    /// Did the root exist?
    pub root_exists: bool,
    /// Files and directories by relative path.
    pub nodes: BTreeMap<String, Node>,
    /// Paths whose state could not be read, with why: a directory that failed to list, an entry
    /// that could not be stat'ed or parsed, a name that cannot be synced, a symlink or special
    /// file. For a directory that includes everything below it. Unknown is never absent: such a
    /// path is not deleted, overwritten or forgotten (sync-semantics §6).
    pub unknown: BTreeMap<String, String>,
    /// Directories whose listing was incomplete (an entry could not be parsed, or its name is not
    /// a path), with why: what they list is known, but a name they do not list is unknown there,
    /// not absent, since it may be the entry that could not be read.
    pub incomplete: BTreeMap<String, Vec<String>>,
    /// ferry's own temporary files left by an interrupted earlier run.
    pub partial_files: Vec<String>,
    /// Entries the filters left out (topmost only: nothing below an excluded directory is
    /// listed), with whether each is a directory; `--delete-unmatched` deletes them.
    pub unmatched: Vec<(String, bool)>,
}

impl Tree {
    /// Marks `path` (and, for a directory, everything below it) unknown, keeping the first reason.
    pub fn mark_unknown(&mut self, path: &str, why: impl Into<String>) {
        self.nodes.remove(path);
        self.unknown
            .entry(path.to_string())
            .or_insert_with(|| why.into());
    }

    /// Marks the directory `dir` as listed incompletely, for `why`.
    pub fn mark_incomplete(&mut self, dir: &str, why: impl Into<String>) {
        self.incomplete
            .entry(dir.to_string())
            .or_default()
            .push(why.into());
    }

    /// Is the state of `path` unknown: it or a directory above it could not be read, or it (or
    /// a directory above it) is not listed in a directory whose listing was incomplete?
    pub fn is_unknown(&self, path: &str) -> bool {
        let unlisted = |at: &str, parent: &str| {
            self.incomplete.contains_key(parent) && !self.nodes.contains_key(at)
        };
        let mut at = path;
        for parent in relpath::parents(path) {
            if self.unknown.contains_key(at) || unlisted(at, parent) {
                return true;
            }
            at = parent;
        }
        self.unknown.contains_key(at)
    }

    /// Is anything at, above or below `path` unknown, or a listing at, above or below it
    /// incomplete? Then deleting `path` could destroy what ferry cannot see (a listing that
    /// failed in part is no ground for a deletion).
    pub fn has_unknown_within(&self, path: &str) -> bool {
        let incomplete_here_or_above = std::iter::once(path)
            .chain(relpath::parents(path))
            .any(|dir| self.incomplete.contains_key(dir));
        let below = |keys: &mut dyn Iterator<Item = &String>| {
            keys.next().is_some_and(|p| relpath::is_below(p, path))
        };
        let start = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        self.is_unknown(path)
            || incomplete_here_or_above
            || below(&mut self.unknown.range(start.clone()..).map(|(p, _)| p))
            || below(&mut self.incomplete.range(start..).map(|(p, _)| p))
    }

    /// Everything the scan saw strictly below the directory `dir`, in path order.
    pub fn below<'t>(&'t self, dir: &'t str) -> impl Iterator<Item = (&'t String, &'t Node)> {
        let start = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        self.nodes
            .range(start..)
            .take_while(move |(p, _)| relpath::is_below(p, dir))
    }

    /// Number of files.
    pub fn file_count(&self) -> usize {
        self.nodes.values().filter(|n| n.is_file()).count()
    }

    /// Drops directories with no file below them (used with include patterns).
    pub(crate) fn prune_dirs_without_files(&mut self) {
        let mut keep: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for (path, node) in &self.nodes {
            if node.is_file() {
                let mut at = path.as_str();
                while let Some((parent, _)) = at.rsplit_once('/') {
                    keep.insert(parent.to_string());
                    at = parent;
                }
            }
        }
        self.nodes
            .retain(|path, node| node.is_file() || keep.contains(path));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree holds a node per path: a 100k-file run holds 100k of them on each side.
    #[test]
    fn a_node_stays_small() {
        assert!(
            std::mem::size_of::<Node>() <= 48,
            "{}",
            std::mem::size_of::<Node>()
        );
    }
}
