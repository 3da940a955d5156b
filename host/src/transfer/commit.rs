//! Committing a copy where the destination can be re-checked cheaply (`COMMIT_CHECK`): the bytes
//! go to a temporary name only ferry makes, the destination's current version is compared with
//! the one the plan was made against, and only an unchanged destination is replaced (one rename).
//! Elsewhere the backend's own atomic write commits at once, after a version listed too coarsely
//! to be proven unchanged has been settled (`settle`).

use ferry_plugin_api::{temp_name::temp_name, BackendError, Capabilities, ErrorKind};

use super::{copy_file_as, Copied, Run};
use crate::{pair::Which, scan::Node};

/// What became of a copy.
pub(super) enum Committed {
    /// It is under its final name.
    Done(Box<Copied>),
    /// The destination changed while the copy ran; the copy was discarded.
    DestinationChanged,
    /// A closer look found the destination changed since the last sync although its listing
    /// did not show it; nothing was copied.
    ChangedSinceSync,
}

impl Run<'_, '_> {
    /// Copies `path` (scanned on the source as `node`) to side `to`, committing it only over the
    /// version the plan expected there.
    pub(super) fn copy_committed(
        &self,
        to: Which,
        path: &str,
        node: &Node,
    ) -> Result<Committed, BackendError> {
        let executor = self.executor;
        let (from_side, to_side) = (executor.side(to.other()), executor.side(to));
        let checked = to_side.can(Capabilities::COMMIT_CHECK) && to_side.can(Capabilities::RENAME);
        if !checked {
            if !self.settled(to, path)? {
                return Ok(Committed::ChangedSinceSync);
            }
            return copy_file_as(
                from_side,
                to_side,
                (path, path),
                node.size,
                node.mtime_ns,
                self.copying(),
            )
            .map(|copied| Committed::Done(Box::new(copied)));
        }
        let temp = match path.rsplit_once('/') {
            Some((dir, name)) => format!("{dir}/{}", temp_name(name)),
            None => temp_name(path),
        };
        let copied = copy_file_as(
            from_side,
            to_side,
            (path, &temp),
            node.size,
            node.mtime_ns,
            self.copying(),
        )?;
        let discard = || {
            let _ = to_side.backend.delete(&temp);
        };
        let now = match to_side.backend.stat(path) {
            Ok(entry) => Some(Node::from_entry(&entry)),
            Err(e) if e.kind == ErrorKind::NOT_FOUND => None,
            Err(e) => {
                discard();
                return Err(e);
            }
        };
        if !same_version(now.as_ref(), self.expected(to, path)) {
            discard();
            return Ok(Committed::DestinationChanged);
        }
        if let Err(e) = to_side.backend.rename(&temp, path) {
            discard();
            return Err(e);
        }
        // The entry the write returned is the committed file's: a rename keeps size, mtime and
        // token (COMMIT_CHECK's contract), so no second stat.
        Ok(Committed::Done(Box::new(copied)))
    }

    /// What the plan expects at `path` on side `to` right before a copy replaces it: nothing
    /// where this run moved or cleared it away, else what the scan saw.
    pub(super) fn expected(&self, to: Which, path: &str) -> Option<&Node> {
        let vacated = self
            .vacated
            .lock()
            .expect("vacated")
            .contains(&(to, path.to_string()));
        if vacated {
            None
        } else {
            self.executor.tree(to).nodes.get(path)
        }
    }

    /// Notes that this run moved or removed what was at `path` on side `on`.
    pub(super) fn vacate(&self, on: Which, path: &str) {
        self.vacated
            .lock()
            .expect("vacated")
            .insert((on, path.to_string()));
    }
}

/// Is the destination as the plan saw it? Both absent, or the same kind, size and version (the
/// change token where both have one, else the mtime within precision).
fn same_version(now: Option<&Node>, planned: Option<&Node>) -> bool {
    match (now, planned) {
        (None, None) => true,
        (Some(now), Some(planned)) => {
            now.kind == planned.kind
                && now.size == planned.size
                && match (&now.token, &planned.token) {
                    (Some(a), Some(b)) => a == b,
                    _ => crate::plan::compare::mtimes_match(
                        now.mtime_ns,
                        planned.mtime_ns,
                        now.precision_ns.max(planned.precision_ns),
                    ),
                }
        }
        _ => false,
    }
}
