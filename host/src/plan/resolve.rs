//! Conflict strategies (`--resolve`): turning a bisync conflict into the actions that settle it.
//! Every strategy handles every kind of conflict; `skip` and an undecidable `new`/`old` (equal
//! mtimes) leave it reported and untouched.

use std::str::FromStr;

use anyhow::bail;

use super::{Action, Reason, Which};

/// `--resolve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Report the conflict, change nothing.
    Skip,
    /// Ask on the terminal, conflict by conflict.
    Ask,
    /// The local side wins.
    Local,
    /// The remote side wins.
    Remote,
    /// The newer modification time wins.
    New,
    /// The older modification time wins.
    Old,
    /// Keep both versions: the loser under a `.conflict-<side>-<time>` name.
    KeepBoth,
}

impl Strategy {
    /// Every strategy, as typed.
    pub const NAMES: [&'static str; 7] =
        ["skip", "ask", "local", "remote", "new", "old", "keep-both"];
}

impl FromStr for Strategy {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> anyhow::Result<Self> {
        Ok(match text {
            "skip" => Strategy::Skip,
            "ask" => Strategy::Ask,
            "local" => Strategy::Local,
            "remote" => Strategy::Remote,
            "new" | "newer" => Strategy::New,
            "old" | "older" => Strategy::Old,
            "keep-both" => Strategy::KeepBoth,
            other => bail!(
                "unknown conflict strategy `{other}` (expected one of {})",
                Strategy::NAMES.join(", ")
            ),
        })
    }
}

/// What a side of a conflict did since the last sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// New (no baseline entry).
    New,
    /// Changed content.
    Modified,
    /// Deleted.
    Deleted,
    /// Unchanged (the other side did something incompatible).
    Unchanged,
}

impl Change {
    /// As shown by `ask`.
    pub fn word(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Modified => "modified",
            Change::Deleted => "deleted",
            Change::Unchanged => "unchanged",
        }
    }
}

/// One side of a conflicting path as scanned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// What happened to it.
    pub change: Change,
    /// A directory (absent: `None`).
    pub dir: bool,
    /// Size, when it exists.
    pub size: Option<u64>,
    /// Modification time, ns since the epoch.
    pub mtime_ns: Option<i64>,
    /// Precision of `mtime_ns`.
    pub precision_ns: u64,
}

impl Version {
    /// Does it exist now?
    pub fn exists(&self) -> bool {
        self.change != Change::Deleted
    }
}

/// The kind of a conflict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConflictKind {
    /// Both sides have a file with different content (both modified, new on both sides, or a
    /// first run with differing files).
    Content,
    /// One side changed the file, the other deleted it.
    ModifyDelete,
    /// A file on one side, a directory on the other.
    FileDir,
    /// A directory deleted on one side while something below it changed on the other; what is
    /// below it on the side that kept it is listed, to restore or to remove as one.
    DeletedDir {
        /// The side that still has the directory.
        kept_on: Which,
        /// Files below it on that side with their sizes.
        files: Vec<(String, u64)>,
        /// Directories below it on that side.
        dirs: Vec<String>,
    },
}

/// A conflict found by the bisync planner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The path.
    pub path: String,
    /// `conflict: …`, as printed.
    pub why: String,
    /// What kind.
    pub kind: ConflictKind,
    /// The local side.
    pub local: Version,
    /// The remote side.
    pub remote: Version,
}

/// A decision for one conflict (what `ask` returns; fixed strategies map onto it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Leave it.
    Skip,
    /// This side's version wins (for a deletion: the deletion is applied on the other side).
    Take(Which),
    /// The newer version wins.
    Newer,
    /// The older version wins.
    Older,
    /// Keep both.
    KeepBoth,
}

impl Conflict {
    fn version(&self, which: Which) -> &Version {
        match which {
            Which::Source => &self.local,
            Which::Destination => &self.remote,
        }
    }

    /// The side whose version is newer (`None`: equal within precision, or a side without a
    /// time, or a deletion, which has no time).
    pub fn newer(&self) -> Option<Which> {
        let (Some(local), Some(remote)) = (self.local.mtime_ns, self.remote.mtime_ns) else {
            return None;
        };
        if !self.local.exists() || !self.remote.exists() {
            return None;
        }
        let precision = self.local.precision_ns.max(self.remote.precision_ns).max(1) as i64;
        if (local - remote).abs() < precision {
            None
        } else if local > remote {
            Some(Which::Source)
        } else {
            Some(Which::Destination)
        }
    }

    /// The side that still has the data when the other deleted it.
    fn surviving(&self) -> Option<Which> {
        match (self.local.exists(), self.remote.exists()) {
            (true, false) => Some(Which::Source),
            (false, true) => Some(Which::Destination),
            _ => None,
        }
    }

    /// The actions that carry out `decision`. `aside` gives the name a kept-both loser gets.
    pub fn actions(
        &self,
        decision: Decision,
        aside: &mut dyn FnMut(Which) -> String,
    ) -> Vec<Action> {
        let skip = || {
            vec![Action::Conflict {
                path: self.path.clone(),
                why: self.why.clone(),
            }]
        };
        let winner = match decision {
            Decision::Skip => return skip(),
            // A directory's content cannot become a file nor the file's content a directory:
            // whichever side a strategy names, both are kept (the directory keeps the name).
            _ if matches!(self.kind, ConflictKind::FileDir) => {
                return self.keep_both_file_dir(aside)
            }
            Decision::Take(which) => which,
            Decision::Newer | Decision::Older | Decision::KeepBoth => {
                // A deletion has no date: the content that still exists is kept, so nothing is
                // lost; a directory has no single date: both are kept.
                if let Some(surviving) = self.surviving() {
                    surviving
                } else if decision == Decision::KeepBoth {
                    let winner = self.newer().unwrap_or(Which::Source);
                    return vec![Action::KeepBoth {
                        path: self.path.clone(),
                        winner,
                        aside: aside(winner.other()),
                        why: self.why.clone(),
                    }];
                } else {
                    match (self.newer(), decision) {
                        (Some(newer), Decision::Newer) => newer,
                        (Some(newer), _) => newer.other(),
                        (None, _) => {
                            return vec![Action::Conflict {
                                path: self.path.clone(),
                                why: format!(
                                    "{}; not resolved: both have the same modification time",
                                    self.why
                                ),
                            }]
                        }
                    }
                }
            }
        };
        let mut actions = vec![Action::Resolved {
            path: self.path.clone(),
            why: self.why.clone(),
            how: if self.version(winner).exists() {
                format!("kept {}", side_word(winner))
            } else {
                format!("applied the {} deletion", side_word(winner))
            },
        }];
        actions.extend(self.take(winner));
        actions
    }

    /// Makes the loser's side look like the winner's.
    fn take(&self, winner: Which) -> Vec<Action> {
        let loser = winner.other();
        let path = self.path.clone();
        let won = self.version(winner);
        let lost = self.version(loser);
        match &self.kind {
            ConflictKind::DeletedDir {
                kept_on,
                files,
                dirs,
            } => {
                if winner == *kept_on {
                    // Restore the whole directory on the side that deleted it.
                    let mut actions = vec![Action::Mkdir {
                        path: path.clone(),
                        on: loser,
                    }];
                    actions.extend(dirs.iter().map(|dir| Action::Mkdir {
                        path: dir.clone(),
                        on: loser,
                    }));
                    actions.extend(files.iter().map(|(file, size)| Action::Transfer {
                        path: file.clone(),
                        reason: Reason::New,
                        size: *size,
                        to: loser,
                    }));
                    actions
                } else {
                    // The deletion wins: remove it all on the side that kept it.
                    vec![Action::Clear {
                        path,
                        on: *kept_on,
                        dir: true,
                    }]
                }
            }
            _ if !won.exists() => vec![Action::Delete { path, on: loser }],
            _ => vec![Action::Transfer {
                path,
                reason: if lost.exists() {
                    Reason::Modified
                } else {
                    Reason::New
                },
                size: won.size.unwrap_or(0),
                to: loser,
            }],
        }
    }

    /// A file against a directory, both kept: the file moves aside (on its side, then copied
    /// across) and the directory keeps the name.
    fn keep_both_file_dir(&self, aside: &mut dyn FnMut(Which) -> String) -> Vec<Action> {
        let file_side = if self.local.dir {
            Which::Destination
        } else {
            Which::Source
        };
        vec![
            Action::KeepBoth {
                path: self.path.clone(),
                winner: file_side.other(),
                aside: aside(file_side),
                why: self.why.clone(),
            },
            Action::Mkdir {
                path: self.path.clone(),
                on: file_side,
            },
        ]
    }
}

/// `local` or `remote`.
pub fn side_word(which: Which) -> &'static str {
    which.bisync_name()
}

/// The name a kept-both loser gets: `name.conflict-<side>-<YYYYMMDDTHHMMSS>.ext`, the extension
/// kept last so the file still opens with the right program.
pub fn conflict_name(path: &str, side: Which, stamp: &str) -> String {
    let (dir, name) = match path.rsplit_once('/') {
        Some((dir, name)) => (Some(dir), name),
        None => (None, path),
    };
    let tag = format!("conflict-{}-{stamp}", side_word(side));
    let renamed = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}.{tag}.{ext}"),
        _ => format!("{name}.{tag}"),
    };
    match dir {
        Some(dir) => format!("{dir}/{renamed}"),
        None => renamed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_names_keep_the_extension() {
        assert_eq!(
            conflict_name("a/report.xml", Which::Destination, "20261121T093000"),
            "a/report.conflict-remote-20261121T093000.xml"
        );
        assert_eq!(
            conflict_name("Makefile", Which::Source, "20261121T093000"),
            "Makefile.conflict-local-20261121T093000"
        );
        assert_eq!(
            conflict_name(".bashrc", Which::Source, "T"),
            ".bashrc.conflict-local-T"
        );
    }

    #[test]
    fn strategies_parse() {
        for name in Strategy::NAMES {
            assert!(name.parse::<Strategy>().is_ok(), "{name}");
        }
        assert!("newest".parse::<Strategy>().is_err());
    }
}
