//! The `Backend` and `Reader` trait objects that cross the ABI, with the contract of every
//! method. Plugin authors do not implement these directly: they implement
//! [`crate::author::BackendImpl`] and the export macro wraps it (adding the panic guard).
//!
//! Paths are `/`-separated and relative to the backend's root: `""` is the root itself,
//! `"a/b.txt"` a file below it. They never start or end with `/` and never contain `.` or `..`
//! components; the host guarantees this.

use abi_stable::{
    sabi_trait,
    std_types::{RBox, ROption, RResult, RSliceMut, RStr, RString},
    StableAbi,
};

use crate::{BackendError, Capabilities, Entry, Listing, RawExtension};

/// A hash algorithm for [`Backend::checksum`], as a transparent integer.
#[repr(transparent)]
#[derive(StableAbi, Copy, Clone, PartialEq, Eq, Debug)]
pub struct HashAlgo(pub u32);

impl HashAlgo {
    /// SHA-256, lower-case hex.
    pub const SHA256: HashAlgo = HashAlgo(1);
    /// MD5, lower-case hex.
    pub const MD5: HashAlgo = HashAlgo(2);
}

/// A pull-style byte stream: the caller lends a buffer, the reader fills part of it.
#[sabi_trait]
pub trait Reader: Send {
    /// Reads up to `buf.len()` bytes into `buf` and returns how many; `0` means end of stream.
    /// An error ends the stream; a retryable error may be retried by reopening at an offset.
    #[sabi(last_prefix_field)]
    fn read(&mut self, buf: RSliceMut<'_, u8>) -> RResult<usize, BackendError>;
}

/// A [`Reader`] trait object owned by whoever holds it.
pub type ReaderBox = Reader_TO<'static, RBox<()>>;

/// One open backend instance (one server, one root). Called from many host threads at once.
///
/// Every method a backend does not implement answers `UNSUPPORTED`, and its capability bit is
/// clear; the host checks [`Backend::capabilities`] first.
#[sabi_trait]
pub trait Backend: Send + Sync {
    /// What this instance can do (may be fewer than the plugin's info says, e.g. an FTP server
    /// without MFMT has no `SET_MTIME`).
    fn capabilities(&self) -> Capabilities;

    /// Lists one directory (not recursive). Listing a missing directory returns NOT_FOUND;
    /// listing a file returns INVALID_INPUT. Entries that cannot be reported (non-UTF-8 names)
    /// go to `problems` without failing the listing. `.` and `..` are never listed.
    fn list(&self, dir: RStr<'_>) -> RResult<Listing, BackendError>;

    /// Describes one path. A missing path returns NOT_FOUND. `stat("")` describes the root.
    /// Symlinks are described, not followed.
    fn stat(&self, path: RStr<'_>) -> RResult<Entry, BackendError>;

    /// Opens a file for reading from byte `offset`. A missing file returns NOT_FOUND, a directory
    /// INVALID_INPUT. A non-zero offset needs `READ_OFFSET`.
    fn open_read(&self, path: RStr<'_>, offset: u64) -> RResult<ReaderBox, BackendError>;

    /// Creates or replaces the file at `path` with the bytes pulled from `source` until it ends,
    /// creating missing parent directories. If `size` is given and the source yields a different
    /// number of bytes, nothing is committed and the answer is an error. With `ATOMIC_WRITE` a
    /// partial file never appears under `path`. With `SET_MTIME` the file gets `mtime_ns`.
    /// Returns the entry as the backend now reports it (server-assigned mtime, token, size).
    fn write(
        &self,
        path: RStr<'_>,
        source: ReaderBox,
        size: ROption<u64>,
        mtime_ns: ROption<i64>,
    ) -> RResult<Entry, BackendError>;

    /// Deletes a file or symlink. Deleting a missing path succeeds. Deleting a directory returns
    /// INVALID_INPUT (use `rmdir`).
    fn delete(&self, path: RStr<'_>) -> RResult<(), BackendError>;

    /// Creates a directory and any missing parents. An existing directory succeeds; an existing
    /// file at `path` returns ALREADY_EXISTS.
    fn mkdir(&self, path: RStr<'_>) -> RResult<(), BackendError>;

    /// Removes a directory: an empty one, or with `recursive` everything below it. A missing
    /// directory succeeds. A non-empty one without `recursive` returns INVALID_INPUT.
    fn rmdir(&self, path: RStr<'_>, recursive: bool) -> RResult<(), BackendError>;

    /// Renames a file or directory, replacing an existing file at `to`.
    fn rename(&self, from: RStr<'_>, to: RStr<'_>) -> RResult<(), BackendError>;

    /// Sets a file's modification time.
    fn set_mtime(&self, path: RStr<'_>, mtime_ns: i64) -> RResult<(), BackendError>;

    /// Hashes a file on the backend's side; lower-case hex.
    fn checksum(&self, path: RStr<'_>, algo: HashAlgo) -> RResult<RString, BackendError>;

    /// Looks up a named extension module of this instance (growth inside an epoch). The host
    /// layout-checks what it gets before using it.
    fn extension(&self, name: RStr<'_>) -> ROption<RawExtension>;

    /// Ends the session (FTP QUIT, logout). Idempotent; the backend is not used afterwards.
    #[sabi(last_prefix_field)]
    fn close(&self) -> RResult<(), BackendError>;
}

/// A [`Backend`] trait object owned by the host.
pub type BackendBox = Backend_TO<'static, RBox<()>>;
