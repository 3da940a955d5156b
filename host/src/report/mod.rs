//! Reporting a run: the events the engine emits, the [`Summary`] with its exit code, and the two
//! printers — [`text`] (exsh's status lines, a progress bar on a terminal) and [`json`] (one
//! object per event).

pub mod json;
pub mod text;

use std::time::Duration;

use crate::plan::Reason;

/// Which way a file moved, for the arrow: `↓` into a side compared by content (a download to a
/// local tree) from one compared by version, `↑` otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `↑`
    Up,
    /// `↓`
    Down,
}

/// Something that happened (or, in a dry run, would happen).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A file was copied.
    Transferred {
        /// The path.
        path: &'a str,
        /// New or modified.
        reason: Reason,
        /// The arrow.
        direction: Direction,
        /// Bytes copied.
        bytes: u64,
    },
    /// A directory was created.
    DirCreated {
        /// The path.
        path: &'a str,
        /// `directory` or the backend's own word (`collection`).
        noun: &'a str,
        /// In a bisync, the side (`local`/`remote`).
        side: Option<&'a str>,
    },
    /// A file or directory was deleted.
    Deleted {
        /// The path.
        path: &'a str,
        /// A directory?
        dir: bool,
        /// In a bisync, the side (`local`/`remote`).
        side: Option<&'a str>,
    },
    /// A file was left alone because nothing changed (shown with `-v`).
    Unchanged {
        /// The path.
        path: &'a str,
    },
    /// A file was skipped because of a conflict.
    Conflict {
        /// The path.
        path: &'a str,
        /// `conflict: …`.
        why: &'a str,
    },
    /// A conflict that `--resolve` settled; the copies and deletions it causes follow.
    Resolved {
        /// The path.
        path: &'a str,
        /// `conflict: …`.
        why: &'a str,
        /// How it was settled (`kept local`, …).
        how: &'a str,
    },
    /// A file was skipped because its content is invalid.
    Invalid {
        /// The path.
        path: &'a str,
        /// `not well-formed XML: …`.
        why: &'a str,
    },
    /// An action failed (the run went on), or the run refused something (`path` empty).
    Failed {
        /// The path, or `""`.
        path: &'a str,
        /// What went wrong.
        why: &'a str,
    },
    /// Something the user should know that is not a failure.
    Warning {
        /// The message.
        message: &'a str,
    },
}

/// Receives the events of a run. Called from worker threads.
pub trait Reporter: Sync {
    /// One event; `dry_run` marks events of a run that changes nothing.
    fn event(&self, event: &Event<'_>, dry_run: bool);
    /// Does it look at each unchanged file ([`Event::Unchanged`])? When not, a run counts them
    /// without holding one planned action per file.
    fn wants_unchanged(&self) -> bool {
        true
    }
    /// Entries listed while scanning (both sides together), as they come.
    fn listed(&self, _entries: u64) {}
    /// Work about to start: this many transfers of this many bytes in total.
    fn planned(&self, _transfers: usize, _bytes: u64) {}
    /// Bytes copied so far in the run (for a progress bar).
    fn progress(&self, _bytes: u64) {}
    /// The run is over.
    fn finished(&self, _summary: &Summary) {}
}

/// A reporter that ignores everything (library use, tests).
pub struct Silent;

impl Reporter for Silent {
    fn event(&self, _event: &Event<'_>, _dry_run: bool) {}

    fn wants_unchanged(&self) -> bool {
        false
    }
}

/// The counts of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files copied with `↑`.
    pub uploaded: u64,
    /// Files copied with `↓`.
    pub downloaded: u64,
    /// Files left alone.
    pub unchanged: u64,
    /// Conflicts skipped.
    pub conflicts: u64,
    /// Conflicts settled by `--resolve` (not counted in `conflicts`).
    pub resolved: u64,
    /// Invalid files skipped.
    pub invalid: u64,
    /// Files and directories deleted.
    pub deleted: u64,
    /// Actions that failed, and refusals.
    pub failed: u64,
    /// Directories created.
    pub dirs_created: u64,
    /// Bytes copied.
    pub bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Files read to hash them while planning (0 on a no-op re-run).
    pub hashed_files: u64,
    /// `--fail-fast` stopped the run.
    pub stopped_early: bool,
    /// Ctrl-C stopped the run (the state was saved).
    pub interrupted: bool,
    /// Nothing was changed.
    pub dry_run: bool,
}

impl Summary {
    /// The exit code: 130 interrupted, 1 failures or a fail-fast stop, 3 conflicts or invalid
    /// files skipped, 0 in sync.
    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            130
        } else if self.failed > 0 || self.stopped_early {
            1
        } else if self.conflicts + self.invalid > 0 {
            3
        } else {
            0
        }
    }

    /// Files copied either way.
    pub fn transferred(&self) -> u64 {
        self.uploaded + self.downloaded
    }

    /// The summary line, e.g. `2 uploaded, 0 downloaded, 5 unchanged, 1 conflict, 0 invalid,
    /// 0 deleted, 0 failed — 4.2 MiB in 1.3 s`.
    pub fn line(&self) -> String {
        let conflicts = if self.conflicts == 1 {
            "conflict"
        } else {
            "conflicts"
        };
        let mut line = format!(
            "{} uploaded, {} downloaded, {} unchanged, {} {conflicts}, {} invalid, {} deleted, {} failed — {} in {:.1} s",
            self.uploaded,
            self.downloaded,
            self.unchanged,
            self.conflicts,
            self.invalid,
            self.deleted,
            self.failed,
            human_bytes(self.bytes),
            self.elapsed.as_secs_f64()
        );
        if self.stopped_early {
            line.push_str(" (stopped by --fail-fast; run again to resume)");
        }
        if self.interrupted {
            line.push_str(" (interrupted; state saved, run again to resume)");
        }
        line
    }
}

/// Bytes for people: `512 B`, `4.2 MiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_spec() {
        let mut s = Summary::default();
        assert_eq!(s.exit_code(), 0);
        s.conflicts = 1;
        assert_eq!(s.exit_code(), 3);
        s.failed = 1;
        assert_eq!(s.exit_code(), 1);
        s.interrupted = true;
        assert_eq!(s.exit_code(), 130);
    }

    #[test]
    fn the_summary_line() {
        let s = Summary {
            uploaded: 12,
            downloaded: 3,
            unchanged: 1840,
            conflicts: 1,
            invalid: 1,
            deleted: 2,
            bytes: 4_404_019,
            elapsed: Duration::from_millis(1300),
            ..Default::default()
        };
        assert_eq!(s.line(), "12 uploaded, 3 downloaded, 1840 unchanged, 1 conflict, 1 invalid, 2 deleted, 0 failed — 4.2 MiB in 1.3 s");
        assert_eq!(human_bytes(0), "0 B");
    }
}
