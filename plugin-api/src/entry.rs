//! What a backend says about one file or directory: [`Entry`], its [`EntryKind`], and the
//! [`Listing`] of one directory.
//!
//! These types are part of the frozen ABI of the epoch (see `docs/plugins.md`): fields are never
//! added within an epoch; new information travels in the `extra` key/value lists.

use abi_stable::{
    std_types::{ROption, RString, RVec, Tuple2},
    StableAbi,
};

use crate::BackendError;

/// Key/value pairs that let a type carry information the epoch did not foresee.
pub type KeyValues = RVec<Tuple2<RString, RString>>;

/// The kind of a directory entry: a transparent integer, so that kinds can be added inside an
/// epoch. Hosts map values they do not know to [`EntryKind::OTHER`].
#[repr(transparent)]
#[derive(StableAbi, Copy, Clone, PartialEq, Eq, Hash)]
pub struct EntryKind(pub u32);

impl EntryKind {
    /// Something that is neither a file, a directory nor a symlink (device, socket, fifo…).
    pub const OTHER: EntryKind = EntryKind(0);
    /// A regular file: has bytes that can be read.
    pub const FILE: EntryKind = EntryKind(1);
    /// A directory (a collection on eXist).
    pub const DIRECTORY: EntryKind = EntryKind(2);
    /// A symbolic link, reported as such and never followed silently.
    pub const SYMLINK: EntryKind = EntryKind(3);

    /// A short lower-case name for messages and listings.
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::FILE => "file",
            EntryKind::DIRECTORY => "dir",
            EntryKind::SYMLINK => "symlink",
            _ => "other",
        }
    }
}

impl std::fmt::Debug for EntryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One file or directory as a backend reports it.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct Entry {
    /// The last path component: in a listing never empty, never `.` or `..`, never containing
    /// `/` or NUL (hosts refuse entries that break this). `stat("")`, the root, answers an
    /// empty name.
    pub name: RString,
    /// File, directory, symlink or other.
    pub kind: EntryKind,
    /// Size in bytes; 0 for directories.
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch, UTC, where the backend knows it.
    pub mtime_ns: ROption<i64>,
    /// How precise `mtime_ns` is, in nanoseconds: 1 for nanosecond file systems, 1_000_000_000
    /// for servers that report whole seconds, 60_000_000_000 for minute-precision listings.
    pub mtime_precision_ns: u64,
    /// The server's own change marker, compared only with earlier values from the same server
    /// (eXist's `last-modified` string, an FTP `modify` fact or raw LIST date). None if the backend
    /// has none; the host then compares size and mtime.
    pub token: ROption<RString>,
    /// The MIME type as the backend stores it, where it has one.
    pub mime: ROption<RString>,
    /// The target of a symlink, where the backend can read it.
    pub link_target: ROption<RString>,
    /// Anything else, as key/value pairs (documented by each backend).
    pub extra: KeyValues,
}

impl Entry {
    /// An entry of the given name and kind with every optional field empty.
    pub fn new(name: impl Into<RString>, kind: EntryKind) -> Self {
        Entry {
            name: name.into(),
            kind,
            size: 0,
            mtime_ns: ROption::RNone,
            mtime_precision_ns: 1,
            token: ROption::RNone,
            mime: ROption::RNone,
            link_target: ROption::RNone,
            extra: RVec::new(),
        }
    }

    /// A regular file of `size` bytes.
    pub fn file(name: impl Into<RString>, size: u64) -> Self {
        Entry {
            size,
            ..Entry::new(name, EntryKind::FILE)
        }
    }

    /// A directory.
    pub fn directory(name: impl Into<RString>) -> Self {
        Entry::new(name, EntryKind::DIRECTORY)
    }

    /// Sets the modification time and its precision.
    pub fn with_mtime(mut self, mtime_ns: i64, precision_ns: u64) -> Self {
        self.mtime_ns = ROption::RSome(mtime_ns);
        self.mtime_precision_ns = precision_ns.max(1);
        self
    }

    /// Sets the change token.
    pub fn with_token(mut self, token: impl Into<RString>) -> Self {
        self.token = ROption::RSome(token.into());
        self
    }

    /// Adds one `extra` key/value pair.
    pub fn with_extra(mut self, key: &str, value: &str) -> Self {
        self.extra.push(Tuple2(key.into(), value.into()));
        self
    }

    /// Is this a regular file?
    pub fn is_file(&self) -> bool {
        self.kind == EntryKind::FILE
    }

    /// Is this a directory?
    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::DIRECTORY
    }

    /// Checks the naming rules every listed entry must obey, so that a hostile or broken server
    /// cannot make the host write outside its destination.
    pub fn validate_name(name: &str) -> Result<(), &'static str> {
        match name {
            "" => Err("empty name"),
            "." | ".." => Err("name is `.` or `..`"),
            _ if name.contains('/') => Err("name contains `/`"),
            _ if name.contains('\0') => Err("name contains a NUL byte"),
            _ => Ok(()),
        }
    }
}

/// The entries of one directory, plus the entries the backend could not report (a name that is
/// not valid UTF-8, a listing line it could not parse). Problems do not fail the listing: the
/// host reports each one and carries on with the rest.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default)]
pub struct Listing {
    /// The readable entries, in no particular order.
    pub entries: RVec<Entry>,
    /// One error per entry that could not be reported; `context` names it where possible.
    pub problems: RVec<BackendError>,
    /// Anything else, as key/value pairs.
    pub extra: KeyValues,
}

impl Listing {
    /// A listing holding `entries` and no problems.
    pub fn from_entries(entries: impl IntoIterator<Item = Entry>) -> Self {
        Listing {
            entries: entries.into_iter().collect(),
            ..Listing::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_escape_the_tree_are_refused() {
        for bad in ["", ".", "..", "a/b", "x\0y", "/"] {
            assert!(Entry::validate_name(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["a", "a b", "ü.xml", "...", ".hidden", "a+b&c"] {
            assert!(Entry::validate_name(good).is_ok(), "{good:?} refused");
        }
    }
}
