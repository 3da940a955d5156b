//! [`Capabilities`]: the bitset by which a backend says which of the wide `Backend` trait's
//! methods are real. The host checks it before planning, never by calling and failing.
//!
//! New bits can be added inside an epoch: older hosts ignore bits they do not know.

use std::{fmt, ops::BitOr};

use abi_stable::StableAbi;

/// A set of capability bits.
#[repr(transparent)]
#[derive(StableAbi, Copy, Clone, PartialEq, Eq, Hash, Default)]
pub struct Capabilities(pub u64);

macro_rules! capabilities {
    ($($(#[$doc:meta])* $name:ident = $bit:expr, $label:literal;)*) => {
        impl Capabilities {
            $($(#[$doc])* pub const $name: Capabilities = Capabilities(1 << $bit);)*

            /// Every known bit with its display name, in bit order.
            pub const ALL: &'static [(Capabilities, &'static str)] = &[$((Capabilities::$name, $label)),*];
        }
    };
}

capabilities! {
    /// `list` works.
    LIST = 0, "list";
    /// `stat` works.
    STAT = 1, "stat";
    /// `open_read` works.
    READ = 2, "read";
    /// `open_read` honours a non-zero offset (resume).
    READ_OFFSET = 3, "read-offset";
    /// `write` works.
    WRITE = 4, "write";
    /// `write` never shows a partial file under the final name.
    ATOMIC_WRITE = 5, "atomic-write";
    /// `write` and `set_mtime` set the modification time.
    SET_MTIME = 6, "set-mtime";
    /// `delete` works.
    DELETE = 7, "delete";
    /// `mkdir` works.
    MKDIR = 8, "mkdir";
    /// `rmdir` works (recursive too).
    RMDIR = 9, "rmdir";
    /// `rename` works.
    RENAME = 10, "rename";
    /// `checksum` answers SHA-256.
    CHECKSUM_SHA256 = 11, "sha256";
    /// `checksum` answers MD5.
    CHECKSUM_MD5 = 12, "md5";
    /// The destination refuses malformed XML, so the host checks XML before uploading.
    REJECTS_MALFORMED_XML = 13, "rejects-malformed-xml";
    /// Names differing only in case are the same entry.
    CASE_INSENSITIVE = 14, "case-insensitive";
    /// Compare this backend's entries by version — the entry's change token where it has one,
    /// else size and mtime within its precision — never by reading them to hash (a download).
    CHANGE_TOKEN = 15, "change-token";
    /// Listed and stat sizes are unknown (0) or estimates (eXist lists no sizes, and its HEAD
    /// length of an XML resource is a page count). The host does not expect a copy from this
    /// backend to have the listed size, nor compares its sizes with another side's; `write`
    /// still returns the exact number of bytes written.
    APPROXIMATE_SIZES = 16, "approximate-sizes";
    /// `stat` is cheap enough to ask once more per copy: the host then writes a copy to a
    /// temporary name, checks that the destination still holds the version it planned against,
    /// and only then renames the copy over it (needs `RENAME`, which must keep the entry's size,
    /// mtime and token, as a file system's rename does). An edit made at the destination while
    /// the copy ran is a conflict, not an overwrite.
    COMMIT_CHECK = 17, "commit-check";
}

impl Capabilities {
    /// No capability at all.
    pub const NONE: Capabilities = Capabilities(0);

    /// Are all bits of `other` set in `self`?
    pub const fn contains(self, other: Capabilities) -> bool {
        self.0 & other.0 == other.0
    }

    /// The names of the known bits that are set, in bit order.
    pub fn names(self) -> Vec<&'static str> {
        Capabilities::ALL
            .iter()
            .filter(|(bit, _)| self.contains(*bit))
            .map(|(_, name)| *name)
            .collect()
    }
}

impl BitOr for Capabilities {
    type Output = Capabilities;
    fn bitor(self, rhs: Capabilities) -> Capabilities {
        Capabilities(self.0 | rhs.0)
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(","))
    }
}

impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_distinct_and_named() {
        let mut seen = 0u64;
        for (bit, _) in Capabilities::ALL {
            assert_eq!(bit.0.count_ones(), 1);
            assert_eq!(seen & bit.0, 0, "bit used twice");
            seen |= bit.0;
        }
        let caps = Capabilities::LIST | Capabilities::WRITE;
        assert_eq!(caps.names(), ["list", "write"]);
        assert!(caps.contains(Capabilities::LIST));
        assert!(!caps.contains(Capabilities::DELETE));
    }
}
