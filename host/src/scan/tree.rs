//! The result of scanning one side: every file and directory by relative path, plus what could
//! not be seen.

use std::collections::BTreeMap;

use ferry_plugin_api::{BackendError, Entry, EntryKind};

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
    pub token: Option<String>,
}

impl Node {
    /// The node for a listed entry.
    pub fn from_entry(entry: &Entry) -> Self {
        Node {
            kind: entry.kind,
            size: if entry.is_file() { entry.size } else { 0 },
            mtime_ns: entry.mtime_ns.into_option(),
            precision_ns: entry.mtime_precision_ns.max(1),
            token: entry.token.as_ref().map(|t| t.to_string()).into_option(),
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
    /// Directories whose listing failed: their content is unknown.
    pub failed_dirs: Vec<(String, BackendError)>,
    /// Entries the backend could not report or ferry refused (bad names).
    pub problems: Vec<BackendError>,
    /// Symlinks and special files, skipped.
    pub skipped_special: Vec<(String, EntryKind)>,
    /// ferry's own temporary files left by an interrupted earlier run.
    pub partial_files: Vec<String>,
    /// Entries the filters left out (topmost only: nothing below an excluded directory is
    /// listed), with whether each is a directory; `--delete-unmatched` deletes them.
    pub unmatched: Vec<(String, bool)>,
}

impl Tree {
    /// Is `path` inside (or equal to) a directory whose listing failed?
    pub fn is_under_failed_dir(&self, path: &str) -> bool {
        self.failed_dirs.iter().any(|(dir, _)| {
            dir.is_empty()
                || path == dir
                || (path.starts_with(dir.as_str()) && path.as_bytes().get(dir.len()) == Some(&b'/'))
        })
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
