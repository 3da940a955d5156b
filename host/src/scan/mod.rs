//! Scanning: listing one side breadth-first with `jobs` parallel workers into a [`Tree`]. Every
//! path whose state cannot be read — a directory that failed to list, an entry the backend could
//! not report, a name that could escape the tree, a symlink or special file — is kept as
//! *unknown*, never as absent, so that nothing at or below it is deleted or overwritten.

mod tree;

use std::sync::atomic::{AtomicUsize, Ordering};

use ferry_plugin_api::{BackendError, EntryKind, ErrorKind};

pub use tree::{Node, Tree};

use crate::{backend::Backend, filter::Filter};

/// Is `name` one of ferry's own temporary upload files? Only names ferry can prove it made
/// ([`ferry_plugin_api::temp_name::is_temp_name`]) are: they are never synced, and strays left by
/// a killed run are removed. A user's file that merely looks like one is data.
pub fn is_partial_file(name: &str) -> bool {
    ferry_plugin_api::temp_name::is_temp_name(name)
}

/// Lists everything below the backend's root. A missing root gives a tree with
/// `root_exists == false`; any other failure of the root listing is returned as an error.
pub fn scan(
    backend: &Backend,
    filter: &Filter,
    jobs: usize,
    listed: &(dyn Fn(u64) + Sync),
) -> Result<Tree, BackendError> {
    let mut tree = Tree::default();
    let root = match backend.list("") {
        Ok(listing) => {
            listed(listing.entries.len() as u64);
            listing
        }
        Err(e) if e.kind == ErrorKind::NOT_FOUND => {
            tree.root_exists = false;
            return Ok(tree);
        }
        Err(e) => return Err(e),
    };
    tree.root_exists = true;
    let mut level = absorb(&mut tree, filter, "", root);
    while !level.is_empty() {
        let mut next = Vec::new();
        // Workers list; this thread puts each listing into the tree as it arrives. A level of a
        // wide tree can hold most of its entries, and held whole as listings they cost several
        // times the tree; and the tree's memory then comes from this thread's allocator arena
        // instead of being spread over (and what is freed stranded in) the workers'.
        for_each_listing(backend, &level, jobs, |dir, result| {
            if let Ok(listing) = &result {
                listed(listing.entries.len() as u64);
            }
            match result {
                Ok(listing) => next.extend(absorb(&mut tree, filter, dir, listing)),
                Err(error) if error.kind == ErrorKind::NOT_FOUND => {
                    // Gone between its parent's listing and its own: absent, like any deletion
                    // seen one run later; its record decides what that means.
                    tree.nodes.remove(dir);
                }
                Err(error) => tree.mark_unknown(dir, format!("cannot list it: {error}")),
            }
        });
        // Listings finish in any order; the next level is listed in path order all the same.
        next.sort_unstable();
        level = next;
    }
    // Whatever order the listings came in, these lists read the same every run.
    tree.partial_files.sort_unstable();
    tree.unmatched.sort_unstable();
    if filter.has_includes() {
        tree.prune_dirs_without_files();
    }
    Ok(tree)
}

/// Lists every directory of `dirs` with `jobs` workers and hands each result to `take` on the
/// calling thread, in the order the listings finish.
fn for_each_listing(
    backend: &Backend,
    dirs: &[String],
    jobs: usize,
    mut take: impl FnMut(&str, Result<ferry_plugin_api::Listing, BackendError>),
) {
    let next = AtomicUsize::new(0);
    let (sender, results) = std::sync::mpsc::sync_channel(jobs.max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, dirs.len().max(1)) {
            let (sender, next) = (sender.clone(), &next);
            scope.spawn(move || loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(dir) = dirs.get(index) else { break };
                if sender.send((index, backend.list(dir))).is_err() {
                    break;
                }
            });
        }
        drop(sender);
        for (index, result) in results {
            take(&dirs[index], result);
        }
    });
}

/// The largest size a file can have (`off_t` is signed): anything above is a broken listing.
const MAX_FILE_SIZE: u64 = i64::MAX as u64;

/// Adds one directory's listing to the tree; returns its subdirectories to list next.
fn absorb(
    tree: &mut Tree,
    filter: &Filter,
    dir: &str,
    listing: ferry_plugin_api::Listing,
) -> Vec<String> {
    for problem in listing.problems {
        // A problem names its entry, or (when the entry's name itself is the problem) its
        // directory, which is then only known in part.
        let path = match problem.context_value("path") {
            Some(".") | None => dir.to_string(),
            Some(path) => path.trim_matches('/').to_string(),
        };
        if path == dir {
            tree.mark_incomplete(dir, problem.message.to_string());
        } else if !(filter.excludes(&path, true) && filter.excludes(&path, false)) {
            // What the entry is cannot be told: unless it is excluded as a file and as a
            // directory alike, it is unknown — never absent, so its record cannot read as a
            // deletion (a `cache/` pattern says nothing of a file called `cache`).
            tree.mark_unknown(&path, problem.message.to_string());
        }
    }
    let mut subdirs = Vec::new();
    for entry in listing.entries {
        let name = entry.name.as_str();
        let path = if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        };
        if let Err(why) = ferry_plugin_api::Entry::validate_name(name) {
            // The name itself cannot be a path: what it stands for is unknown.
            tree.mark_incomplete(
                dir,
                format!(
                    "refused an entry of `{}` named {name:?}: {why}",
                    if dir.is_empty() { "." } else { dir }
                ),
            );
            continue;
        }
        if is_partial_file(name) {
            tree.partial_files.push(path);
            continue;
        }
        if filter.excludes(&path, entry.kind == EntryKind::DIRECTORY) {
            // The backup directory is not "unmatched": --delete-unmatched never reaches it.
            if matches!(entry.kind, EntryKind::DIRECTORY | EntryKind::FILE) && !filter.hides(&path)
            {
                tree.unmatched
                    .push((path, entry.kind == EntryKind::DIRECTORY));
            }
            continue;
        }
        if entry.size > MAX_FILE_SIZE {
            // No file system holds more than i64::MAX bytes: the listing is broken here, and
            // what the entry is, is unknown (never copied, overwritten or deleted).
            tree.mark_unknown(
                &path,
                format!(
                    "listed with an impossible size of {} bytes; the server's listing is wrong here",
                    entry.size
                ),
            );
            continue;
        }
        match entry.kind {
            EntryKind::DIRECTORY => {
                subdirs.push(path.clone());
                tree.nodes.insert(path, Node::from_entry(&entry));
            }
            EntryKind::FILE => {
                if filter.keeps_file(&path) {
                    tree.nodes.insert(path, Node::from_entry(&entry));
                } else {
                    tree.unmatched.push((path, false));
                }
            }
            _ => tree.mark_unknown(
                &path,
                format!(
                    "a {}: only files and directories are synced",
                    entry.kind.name()
                ),
            ),
        }
    }
    subdirs
}
