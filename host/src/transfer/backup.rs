//! `--backup-dir DIR`: a file a run replaces or deletes on a side is kept below `DIR` on that
//! side first, at its own relative path (rsync's and rclone's meaning). `DIR` is outside the run
//! (the filter hides it), so nothing there is ever compared, copied or deleted.
//!
//! - A deletion becomes a move: one rename where the side can rename (atomic: the file is in
//!   one place or the other at every instant), else a copy and then the deletion.
//! - A replacement copies the old version first and leaves it under its name until the commit
//!   replaces it. A move would open a moment with nothing under the name, and a bisync that
//!   died there would read the gap as a deletion.
//! - An earlier backup is never overwritten: a name already taken gets `.~N~` (GNU `cp
//!   --backup=numbered`), the first free `N`. So does a directory on the way whose name an
//!   earlier backup of a file holds (`b` was a file, backed up as `DIR/b`, and is now a
//!   directory whose `b/x` is replaced: kept as `DIR/b.~1~/x`).

use ferry_plugin_api::{BackendError, Capabilities, Entry, ErrorKind};

use super::{copy_file_as, Run};
use crate::{pair::Which, plugins::host_services};

/// How many numbered names are tried before giving up on a backup.
const MAX_NUMBERED: u32 = 1000;

impl Run<'_, '_> {
    /// Keeps a copy of the file at `path` on side `on` before a transfer replaces it; nothing
    /// without `--backup-dir` or where nothing is there to replace.
    pub(super) fn back_up_before_replacing(
        &self,
        on: Which,
        path: &str,
    ) -> Result<(), BackendError> {
        let Some(dir) = self.executor.options.backup_dir.as_deref() else {
            return Ok(());
        };
        let Some(node) = self.expected(on, path).filter(|n| n.is_file()) else {
            return Ok(());
        };
        let side = self.executor.side(on);
        let kept = self.backup_name(on, dir, path)?;
        copy_file_as(
            side,
            side,
            (path, &kept),
            node.size,
            node.mtime_ns,
            self.copying(),
        )
        .map_err(|e| not_kept(e, &kept, "replaced"))?;
        host_services::info(&format!("kept the replaced version of {path} as {kept}"));
        Ok(())
    }

    /// Removes the file at `path` on side `on`: into the backup directory with `--backup-dir`
    /// (a rename, or a copy and a deletion where the side cannot rename), else deleted.
    pub(super) fn remove_file(&self, on: Which, path: &str) -> Result<(), BackendError> {
        let side = self.executor.side(on);
        let Some(dir) = self.executor.options.backup_dir.as_deref() else {
            return side.backend.delete(path);
        };
        let kept = self.backup_name(on, dir, path)?;
        if side.can(Capabilities::RENAME) {
            side.backend
                .rename(path, &kept)
                .map_err(|e| not_kept(e, &kept, "deleted"))?;
        } else {
            let node = self.executor.tree(on).nodes.get(path);
            copy_file_as(
                side,
                side,
                (path, &kept),
                node.map_or(0, |n| n.size),
                node.and_then(|n| n.mtime_ns),
                self.copying(),
            )
            .map_err(|e| not_kept(e, &kept, "deleted"))?;
            side.backend.delete(path)?;
        }
        host_services::info(&format!("moved {path} to {kept}"));
        Ok(())
    }

    /// Removes the directory `dir` on side `on` with everything in it (`files`, its files):
    /// with `--backup-dir` moved there whole where the side can rename, else file by file before
    /// the empty tree goes.
    pub(super) fn remove_tree(
        &self,
        on: Which,
        dir: &str,
        files: &[String],
    ) -> Result<(), BackendError> {
        let side = self.executor.side(on);
        match self.executor.options.backup_dir.as_deref() {
            Some(backup) if side.can(Capabilities::RENAME) => {
                let kept = self.backup_name(on, backup, dir)?;
                side.backend
                    .rename(dir, &kept)
                    .map_err(|e| not_kept(e, &kept, "deleted"))?;
                host_services::info(&format!("moved {dir}/ to {kept}/"));
                Ok(())
            }
            Some(_) => {
                for file in files {
                    self.remove_file(on, file)?;
                }
                side.backend.rmdir(dir, true)
            }
            None => side.backend.rmdir(dir, true),
        }
    }

    /// A free name for the backup of `path` below `dir` on side `on`, its directory created.
    fn backup_name(&self, on: Which, dir: &str, path: &str) -> Result<String, BackendError> {
        let first = format!("{dir}/{path}");
        let parent = match path.rsplit_once('/') {
            Some((parent, _)) => self.backup_parent(on, dir, parent, &first)?,
            None => {
                self.executor
                    .side(on)
                    .backend
                    .mkdir(dir)
                    .map_err(|e| not_kept(e, &first, "replaced or deleted"))?;
                dir.to_owned()
            }
        };
        let leaf = path.rsplit_once('/').map_or(path, |(_, leaf)| leaf);
        self.free_name(on, &format!("{parent}/{leaf}"), |_| false)?
            .ok_or_else(|| too_many(&first))
    }

    /// The directory below `dir` that holds the backups of the files in `parent`, created:
    /// `dir/parent` where that is or can be a directory. Where an earlier backup of a file
    /// takes one of its components' names (a path that was a file and is now a directory),
    /// that component gets the first numbered name that is a directory or free, so the backup
    /// goes beside the earlier one instead of failing on every run.
    fn backup_parent(
        &self,
        on: Which,
        dir: &str,
        parent: &str,
        first: &str,
    ) -> Result<String, BackendError> {
        let backend = self.executor.side(on).backend;
        let wanted = format!("{dir}/{parent}");
        if backend.mkdir(&wanted).is_ok() {
            return Ok(wanted);
        }
        backend
            .mkdir(dir)
            .map_err(|e| not_kept(e, first, "replaced or deleted"))?;
        let mut current = dir.to_owned();
        for component in parent.split('/') {
            let wanted = format!("{current}/{component}");
            let name = self
                .free_name(on, &wanted, |entry| entry.is_dir())?
                .ok_or_else(|| too_many(&wanted))?;
            backend
                .mkdir(&name)
                .map_err(|e| not_kept(e, first, "replaced or deleted"))?;
            current = name;
        }
        Ok(current)
    }

    /// `name`, else `name.~N~` with the first `N` that is free on side `on` or that `usable`
    /// accepts as it is; `None` when all of them are taken.
    fn free_name(
        &self,
        on: Which,
        name: &str,
        usable: impl Fn(&Entry) -> bool,
    ) -> Result<Option<String>, BackendError> {
        let backend = self.executor.side(on).backend;
        for n in 0..=MAX_NUMBERED {
            let candidate = if n == 0 {
                name.to_owned()
            } else {
                format!("{name}.~{n}~")
            };
            match backend.stat(&candidate) {
                Err(e) if e.kind == ErrorKind::NOT_FOUND => return Ok(Some(candidate)),
                Err(e) => return Err(e),
                Ok(entry) if usable(&entry) => return Ok(Some(candidate)),
                Ok(_) => {}
            }
        }
        Ok(None)
    }
}

/// No free numbered name was left for a backup.
fn too_many(first: &str) -> BackendError {
    BackendError::new(
        ErrorKind::ALREADY_EXISTS,
        format!("{first} and {MAX_NUMBERED} numbered backups of it exist already; not replaced without a backup"),
    )
}

/// A backup that failed: the file stays as it was, and the message says why.
fn not_kept(error: BackendError, kept: &str, what: &str) -> BackendError {
    BackendError {
        message: format!(
            "not {what}: cannot keep the old version as {kept}: {}",
            error.message
        )
        .into(),
        ..error
    }
}
