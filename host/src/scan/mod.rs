//! Scanning: listing one side breadth-first with `jobs` parallel workers into a [`Tree`], keeping
//! every directory that failed to list (so nothing below it is ever deleted), every entry the
//! backend could not report, and refusing names that could escape the tree.

mod tree;

use ferry_plugin_api::{BackendError, EntryKind, ErrorKind};

pub use tree::{Node, Tree};

use crate::{backend::Backend, filter::Filter};

/// Is `name` one of ferry's own temporary upload files (`.NAME.ferry-part-XXXX`)? They are never
/// synced, deleted as strays, or shown.
pub fn is_partial_file(name: &str) -> bool {
    name.starts_with('.') && name.contains(".ferry-part-")
}

/// Lists everything below the backend's root. A missing root gives a tree with
/// `root_exists == false`; any other failure of the root listing is returned as an error.
pub fn scan(backend: &Backend, filter: &Filter, jobs: usize) -> Result<Tree, BackendError> {
    let mut tree = Tree::default();
    let root = match backend.list("") {
        Ok(listing) => listing,
        Err(e) if e.kind == ErrorKind::NOT_FOUND => {
            tree.root_exists = false;
            return Ok(tree);
        }
        Err(e) => return Err(e),
    };
    tree.root_exists = true;
    let mut level = absorb(&mut tree, filter, "", root);
    while !level.is_empty() {
        let listings = crate::parallel::map(&level, jobs, |dir| backend.list(dir));
        let mut next = Vec::new();
        for (dir, result) in level.iter().zip(listings) {
            match result {
                Ok(listing) => next.extend(absorb(&mut tree, filter, dir, listing)),
                Err(error) => tree.failed_dirs.push((dir.clone(), error)),
            }
        }
        level = next;
    }
    if filter.has_includes() {
        tree.prune_dirs_without_files();
    }
    Ok(tree)
}

/// Adds one directory's listing to the tree; returns its subdirectories to list next.
fn absorb(
    tree: &mut Tree,
    filter: &Filter,
    dir: &str,
    listing: ferry_plugin_api::Listing,
) -> Vec<String> {
    tree.problems.extend(listing.problems);
    let mut subdirs = Vec::new();
    for entry in listing.entries {
        let name = entry.name.as_str();
        let path = if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        };
        if let Err(why) = ferry_plugin_api::Entry::validate_name(name) {
            tree.problems.push(
                BackendError::new(
                    ErrorKind::INVALID_INPUT,
                    format!(
                        "refused an entry of `{}` named {name:?}: {why}",
                        if dir.is_empty() { "." } else { dir }
                    ),
                )
                .with_context("path", &path),
            );
            continue;
        }
        if is_partial_file(name) {
            tree.partial_files.push(path);
            continue;
        }
        if filter.excludes(&path) {
            if matches!(entry.kind, EntryKind::DIRECTORY | EntryKind::FILE) {
                tree.unmatched
                    .push((path, entry.kind == EntryKind::DIRECTORY));
            }
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
            _ => tree.skipped_special.push((path, entry.kind)),
        }
    }
    subdirs
}
