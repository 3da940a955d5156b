//! The steps that carry out settled bisync conflicts: clearing what stands in the way of a
//! file/directory conflict, and keeping both versions of a file (the loser set aside by a
//! rename, or a copy where the backend cannot rename).

use ferry_plugin_api::{BackendError, Capabilities};

use super::{copy_file_as, Run};
use crate::{
    plan::{Reason, Which},
    report::Event,
    scan::Node,
};

impl Run<'_, '_> {
    /// Removes a file or a whole directory tree in the way of a resolved conflict (or left out by
    /// the filters, with `--delete-unmatched`). Every file that goes is reported and counted.
    pub(super) fn clear(&self, path: &str, on: Which, dir: bool) {
        let files = if dir {
            self.files_in(on, path)
        } else {
            Vec::new()
        };
        let result = self.unless_dry(|| {
            if dir {
                self.remove_tree(on, path, &files)
            } else {
                self.remove_file(on, path)
            }
        });
        match result {
            Ok(()) => {
                self.vacate(on, path);
                // Each file that went with it is a deletion of its own, counted and shown.
                for file in &files {
                    self.report(Event::Deleted {
                        path: file,
                        dir: false,
                        side: self.executor.side_name(on),
                    });
                }
                self.report(Event::Deleted {
                    path,
                    dir,
                    side: self.executor.side_name(on),
                });
                self.remember(path, None);
                if dir {
                    self.forget_below(path);
                }
            }
            Err(error) => self.fail(path, &error),
        }
    }

    /// The files below `dir` on side `on`: from the scan, or (for a directory the filters kept
    /// the scan out of) listed now.
    fn files_in(&self, on: Which, dir: &str) -> Vec<String> {
        let scanned: Vec<String> = self
            .executor
            .tree(on)
            .below(dir)
            .filter(|(_, n)| n.is_file())
            .map(|(p, _)| p.clone())
            .collect();
        if !scanned.is_empty() || self.executor.tree(on).nodes.contains_key(dir) {
            return scanned;
        }
        let backend = self.executor.side(on).backend;
        let (mut files, mut pending) = (Vec::new(), vec![dir.to_string()]);
        while let Some(at) = pending.pop() {
            let Ok(listing) = backend.list(&at) else {
                continue;
            };
            for entry in listing.entries.iter() {
                let path = format!("{at}/{}", entry.name);
                match entry.kind {
                    ferry_plugin_api::EntryKind::DIRECTORY => pending.push(path),
                    _ => files.push(path),
                }
            }
        }
        files.sort();
        files
    }

    /// Drops the records of everything below the directory `dir`.
    fn forget_below(&self, dir: &str) {
        let below: Vec<String> = match &self.state {
            Some(state) => {
                let prefix = format!("{dir}/");
                state
                    .lock()
                    .expect("state")
                    .baseline
                    .records
                    .range(prefix.clone()..)
                    .take_while(|(path, _)| path.starts_with(&prefix))
                    .map(|(path, _)| path.clone())
                    .collect()
            }
            None => return,
        };
        for path in below {
            self.remember(&path, None);
        }
    }

    /// Keeps both versions of a conflicting file: the loser moves aside on its own side and is
    /// copied across under that name, then the winner is copied over the original name. Each
    /// step only starts when the one before it worked, so nothing is overwritten unkept.
    pub(super) fn keep_both(&self, path: &str, winner: Which, aside: &str, why: &str) {
        let loser = winner.other();
        let how = format!(
            "kept both: the {} version is now {aside}",
            self.executor.side_name(loser).unwrap_or("other")
        );
        self.report(Event::Resolved {
            path,
            why,
            how: &how,
        });
        if let Err(error) = self.unless_dry(|| self.set_aside(loser, path, aside)) {
            self.fail(
                path,
                &format!("cannot keep both: keeping it as {aside}: {error}"),
            );
            return;
        }
        let size_of = |which: Which| {
            self.executor
                .tree(which)
                .nodes
                .get(path)
                .map_or(0, |n| n.size)
        };
        let winner_is_dir = self
            .executor
            .tree(winner)
            .nodes
            .get(path)
            .is_some_and(Node::is_dir);
        // A directory that wins the name is created and filled by the plan's own steps.
        if self.transfer(aside, Reason::New, size_of(loser), winner) && !winner_is_dir {
            self.transfer(path, Reason::Modified, size_of(winner), loser);
        }
    }

    /// Moves the loser of a kept-both conflict to `aside` on its own side: a rename, or a copy
    /// where the backend cannot rename; the original name is overwritten next anyway.
    fn set_aside(&self, loser: Which, path: &str, aside: &str) -> Result<(), BackendError> {
        let side = self.executor.side(loser);
        if side.can(Capabilities::RENAME) {
            side.backend.rename(path, aside)?;
            self.vacate(loser, path);
            return Ok(());
        }
        let node = self.executor.tree(loser).nodes.get(path);
        copy_file_as(
            side,
            side,
            (path, aside),
            node.map_or(0, |n| n.size),
            node.and_then(|n| n.mtime_ns),
            self.copying(),
        )
        .map(|_| ())
    }
}
