//! A closer look at a version whose listing is too coarse to prove it unchanged, before a copy
//! replaces it or a deletion removes it. A LIST-only FTP server dates files to the minute: an
//! edit of the same size made in the minute of the version ferry recorded lists exactly the same
//! (git's "racily clean" case), and replacing it would destroy that edit unseen. So where the
//! listing's precision is coarser than a proof and there is no change token, the version is
//! settled first: a stat to the second (MDTM) that matches the recorded time and size proves it;
//! otherwise its content, hashed, must match the hash recorded when ferry wrote or read it.
//! A record from before hashes were kept is trusted as the listing shows it, as it was then;
//! `--force` and a listing that already shows a change need no closer look.

use ferry_plugin_api::{BackendError, ErrorKind};

use super::Run;
use crate::{
    hash::hash_file,
    pair::Which,
    plan::compare::{mtimes_match, version_unchanged, PROOF_PRECISION_NS},
    side::CompareBy,
    state::SideState,
};

/// Why a copy did not replace a version that a closer look found changed.
pub(super) const CHANGED_NOT_OVERWRITTEN: &str =
    "conflict: destination changed since last sync (within the minute its listing shows); not overwritten";
/// Why a deletion did not remove it.
pub(super) const CHANGED_NOT_DELETED: &str =
    "conflict: destination changed since last sync (within the minute its listing shows); not deleted";

impl Run<'_, '_> {
    /// Is the version the plan expects at `path` on side `on` still the one last synced, as far
    /// as a closer look can tell? `true` wherever no closer look is needed.
    pub(super) fn settled(&self, on: Which, path: &str) -> Result<bool, BackendError> {
        let side = self.executor.side(on);
        let Some(node) = self.expected(on, path) else {
            return Ok(true);
        };
        if side.compare != CompareBy::Version
            || node.token.is_some()
            || node.precision_ns <= PROOF_PRECISION_NS
        {
            return Ok(true);
        }
        // No record, or a listing that already shows a change: the plan knew, and chose to
        // replace it (`--force`, a resolved conflict).
        let Some(base) = self.base(on, path) else {
            return Ok(true);
        };
        if self.executor.options.force || !version_unchanged(node, &base) {
            return Ok(true);
        }
        let now = match side.backend.stat(path) {
            Ok(entry) => entry,
            // Gone: there is nothing left to lose.
            Err(e) if e.kind == ErrorKind::NOT_FOUND => return Ok(true),
            Err(e) => return Err(e),
        };
        if now.size != base.size {
            return Ok(false);
        }
        let precise = now.mtime_precision_ns <= PROOF_PRECISION_NS;
        if precise
            && mtimes_match(
                now.mtime_ns.into_option(),
                base.mtime_ns,
                now.mtime_precision_ns,
            )
        {
            return Ok(true);
        }
        match &base.hash {
            Some(recorded) => {
                Ok(
                    hash_file(side.backend, path, Some(now.size), &[recorded.algorithm])?.first()
                        == Some(recorded),
                )
            }
            None => Ok(true),
        }
    }

    /// Deletes `path` on `on` once its version is settled; `Ok(false)` where it changed. A dry
    /// run deletes nothing and looks at nothing.
    pub(super) fn delete_settled(&self, path: &str, on: Which) -> Result<bool, BackendError> {
        if self.dry_run() {
            return Ok(true);
        }
        if !self.settled(on, path)? {
            return Ok(false);
        }
        self.remove_file(on, path)?;
        Ok(true)
    }

    /// The baseline's record of side `on` at `path` (none in a dry run).
    fn base(&self, on: Which, path: &str) -> Option<SideState> {
        let state = self.state.as_ref()?.lock().expect("state");
        let record = state.baseline.records.get(path)?;
        (!record.dir).then(|| record.side(self.executor.is_a(on)).clone())
    }
}
