//! The database: collections in insertion order, each resource's metadata in memory and its
//! bytes in a file under the data directory. Names are the canonical encoded segments of
//! [`crate::paths`].

use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A collection.
#[derive(Debug)]
pub struct Collection {
    /// Encoded name (`db` for the root).
    pub name: String,
    /// Creation time, ms.
    pub created_ms: i64,
    /// Owner and group.
    pub owner: (String, String),
    /// Sub-collections and resources in creation order.
    pub children: Vec<Child>,
}

/// A document.
#[derive(Debug)]
pub struct Resource {
    /// Encoded name.
    pub name: String,
    /// Creation time, ms (kept on overwrite).
    pub created_ms: i64,
    /// Last PUT, ms.
    pub modified_ms: i64,
    /// Owner and group (kept on overwrite).
    pub owner: (String, String),
    /// Stored mime type.
    pub mime: String,
    /// Stored as XML (re-serialised on GET, page-rounded on HEAD).
    pub xml: bool,
    /// Where the bytes are.
    pub blob: PathBuf,
    /// Byte size.
    pub size: u64,
}

/// A child of a collection.
#[derive(Debug)]
pub enum Child {
    /// A sub-collection.
    Collection(Collection),
    /// A document.
    Resource(Resource),
}

impl Child {
    fn name(&self) -> &str {
        match self {
            Child::Collection(c) => &c.name,
            Child::Resource(r) => &r.name,
        }
    }
}

impl Collection {
    /// A new, empty collection.
    pub fn new(name: &str, owner: (String, String)) -> Self {
        Collection {
            name: name.to_string(),
            created_ms: now_ms(),
            owner,
            children: Vec::new(),
        }
    }

    /// The child called `name`.
    pub fn child(&self, name: &str) -> Option<&Child> {
        self.children.iter().find(|c| c.name() == name)
    }

    /// The child called `name`, to change.
    pub fn child_mut(&mut self, name: &str) -> Option<&mut Child> {
        self.children.iter_mut().find(|c| c.name() == name)
    }

    /// Removes and returns the child called `name`.
    pub fn take(&mut self, name: &str) -> Option<Child> {
        let index = self.children.iter().position(|c| c.name() == name)?;
        Some(self.children.remove(index))
    }
}

/// What a path names.
pub enum Found<'a> {
    /// A collection.
    Collection(&'a Collection),
    /// A document.
    Resource(&'a Resource),
}

/// The whole database.
pub struct Store {
    /// `/db`.
    pub root: Collection,
    blobs: PathBuf,
    next_blob: AtomicU64,
}

impl Store {
    /// An empty database keeping its bytes under `data`.
    pub fn new(data: &Path) -> std::io::Result<Self> {
        let blobs = data.join("blobs");
        std::fs::create_dir_all(&blobs)?;
        Ok(Store {
            root: Collection::new("db", ("SYSTEM".into(), "dba".into())),
            blobs,
            next_blob: AtomicU64::new(0),
        })
    }

    /// A fresh file name for bytes being received.
    pub fn new_blob_path(&self) -> PathBuf {
        let n = self.next_blob.fetch_add(1, Ordering::Relaxed);
        self.blobs.join(format!("{n}-{}.blob", std::process::id()))
    }

    /// What `segments` (starting with `db`) name.
    pub fn find(&self, segments: &[String]) -> Option<Found<'_>> {
        let mut at = &self.root;
        for (index, name) in segments.iter().enumerate().skip(1) {
            match at.child(name)? {
                Child::Collection(c) => at = c,
                Child::Resource(r) if index + 1 == segments.len() => {
                    return Some(Found::Resource(r))
                }
                Child::Resource(_) => return None,
            }
        }
        Some(Found::Collection(at))
    }

    /// The collection at `segments`, created with its missing ancestors. `Err` when a document
    /// stands where a collection is needed (real eXist would create a same-named collection
    /// beside it; the emulator refuses, see its README).
    pub fn make_collections(
        &mut self,
        segments: &[String],
        owner: &(String, String),
    ) -> Result<&mut Collection, ()> {
        let mut at = &mut self.root;
        for name in segments.iter().skip(1) {
            if at.child(name).is_none() {
                at.children
                    .push(Child::Collection(Collection::new(name, owner.clone())));
            }
            match at.child_mut(name) {
                Some(Child::Collection(c)) => at = c,
                _ => return Err(()),
            }
        }
        Ok(at)
    }

    /// The collection at `segments`, if it exists.
    pub fn collection_mut(&mut self, segments: &[String]) -> Option<&mut Collection> {
        let mut at = &mut self.root;
        for name in segments.iter().skip(1) {
            match at.child_mut(name)? {
                Child::Collection(c) => at = c,
                Child::Resource(_) => return None,
            }
        }
        Some(at)
    }
}

/// Deletes the bytes of everything in `child`.
pub fn drop_blobs(child: &Child) {
    match child {
        Child::Resource(r) => {
            let _ = std::fs::remove_file(&r.blob);
        }
        Child::Collection(c) => c.children.iter().for_each(drop_blobs),
    }
}
