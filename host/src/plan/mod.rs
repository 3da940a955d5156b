//! Planning: classifying every path of the two scanned trees against the baseline and deciding
//! what to do. Plans are plain data, so `--dry-run` prints exactly what a real run executes.
//!
//! - [`compare`]: change detection (content hashes, versions) and parallel hashing;
//! - [`one_way`]: the one-way table of sync-semantics §4 with its safety rules;
//! - [`xml`]: well-formedness checks before upload.

pub mod compare;
pub mod one_way;
pub mod xml;

use crate::state::Record;

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
    /// Create a destination directory.
    Mkdir {
        /// The directory.
        path: String,
    },
    /// Copy a file from the source to the destination.
    Transfer {
        /// The file.
        path: String,
        /// Why.
        reason: Reason,
        /// Its size as scanned.
        size: u64,
    },
    /// Delete a destination file.
    Delete {
        /// The file.
        path: String,
    },
    /// Remove a destination directory if it is empty after the run.
    RemoveDir {
        /// The directory.
        path: String,
    },
    /// Nothing to transfer; store `record` if given (first-run match, refreshed stat).
    Keep {
        /// The path.
        path: String,
        /// The record to store, if it changed.
        record: Option<Record>,
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
    /// The path the action is about.
    pub fn path(&self) -> &str {
        match self {
            Action::Mkdir { path }
            | Action::Transfer { path, .. }
            | Action::Delete { path }
            | Action::RemoveDir { path }
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
}
