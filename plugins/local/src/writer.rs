//! Atomic writes: the bytes go to a temporary name ([`ferry_plugin_api::temp_name`]) in the
//! destination directory, are checked against the announced size, fsynced (or, for a new file
//! under deferred durability, left for the host's next sync: [`crate::durability`]), given their
//! mtime, and only then renamed over the final name. Any failure removes the temporary file, so a
//! partial file never shows under the final name.

use std::{
    fs::{self, File, Metadata, OpenOptions},
    io::Read,
    os::unix::fs::MetadataExt,
    path::{Path, PathBuf},
};

use ferry_plugin_api::{
    io::{copy_exact, CopyError},
    BackendError, ErrorKind,
};

use crate::{
    durability::{rename_if_absent, Deferred, Durability},
    error::io_error,
};

/// Converts nanoseconds since the epoch to a `FileTime`.
pub(crate) fn file_time(mtime_ns: i64) -> filetime::FileTime {
    filetime::FileTime::from_unix_time(
        mtime_ns.div_euclid(1_000_000_000),
        mtime_ns.rem_euclid(1_000_000_000) as u32,
    )
}

/// One atomic write: `target` on disk, `path` as the user knows it.
pub(crate) struct Write<'a> {
    pub target: &'a Path,
    pub path: &'a str,
    /// The caller's walk found the parent directory: it is not created again.
    pub parent_exists: bool,
    /// How the bytes are made durable.
    pub durability: Durability,
    /// Where deferred writes are noted for the next sync.
    pub deferred: &'a Deferred,
}

impl Write<'_> {
    /// Writes `source` to the target atomically and returns the metadata of what is now there
    /// (read from the open file after its time was set: renaming changes neither).
    ///
    /// A directory at the target is refused by `rename(2)` itself (`EISDIR`: a file is never
    /// renamed over a directory), so no stat comes before the write.
    pub(crate) fn commit(
        &self,
        source: &mut dyn Read,
        size: Option<u64>,
        mtime_ns: Option<i64>,
    ) -> Result<Metadata, BackendError> {
        let path = self.path;
        let parent = self
            .target
            .parent()
            .expect("a resolved path below the root has a parent");
        if !self.parent_exists {
            fs::create_dir_all(parent).map_err(|e| io_error(e, path))?;
        }
        if self.target_is_temporary() {
            return self.write_in_place(source, size, mtime_ns);
        }
        let (temp_path, mut file) = create_temp(parent, self.target, path)?;
        let temp = TempFile {
            path: temp_path,
            keep: false,
        };
        let fsync_now = self.durability == Durability::EachFile;
        let meta = fill(&mut file, source, path, size, mtime_ns, fsync_now)?;
        if self.durability == Durability::Deferred {
            // A new name replaces nothing, so its bytes can wait for the host's sync. Where
            // something exists the new bytes are made durable before they take its name.
            if rename_if_absent(&temp.path, self.target).map_err(|e| io_error(e, path))? {
                temp.committed();
                self.deferred.written(meta.dev(), &file);
                return Ok(meta);
            }
            file.sync_all().map_err(|e| io_error(e, path))?;
        }
        match fs::rename(&temp.path, self.target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => {
                return Err(BackendError::new(
                    ErrorKind::INVALID_INPUT,
                    format!("{path}: is a directory; not overwritten"),
                )
                .with_context("path", path))
            }
            Err(e) => return Err(io_error(e, path)),
        }
        temp.committed();
        if self.durability == Durability::Deferred {
            // The host's sync then makes the rename durable too.
            self.deferred.written(meta.dev(), &file);
        }
        // Otherwise the directory is not fsynced after each rename: a rename lost to a power cut
        // leaves the complete old file, which the next run sees as a destination change
        // (reported, never lost), while a per-file directory fsync would double the cost of every
        // small file.
        Ok(meta)
    }

    /// Is the target itself a ferry temporary name (the host commits through one of its own)?
    fn target_is_temporary(&self) -> bool {
        self.target
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(ferry_plugin_api::temp_name::is_temp_name)
    }

    /// Writes straight to a temporary name the host chose: it is a fresh name no one else uses,
    /// and a partial file under it is already what the host cleans up, so a second temporary
    /// name and rename would protect nothing.
    fn write_in_place(
        &self,
        source: &mut dyn Read,
        size: Option<u64>,
        mtime_ns: Option<i64>,
    ) -> Result<Metadata, BackendError> {
        let path = self.path;
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.target)
            .map_err(|e| io_error(e, path))?;
        let written = TempFile {
            path: self.target.to_path_buf(),
            keep: false,
        };
        let fsync_now = self.durability == Durability::EachFile;
        let meta = fill(&mut file, source, path, size, mtime_ns, fsync_now)?;
        written.committed();
        if self.durability == Durability::Deferred {
            self.deferred.written(meta.dev(), &file);
        }
        Ok(meta)
    }
}

fn fill(
    file: &mut File,
    source: &mut dyn Read,
    path: &str,
    size: Option<u64>,
    mtime_ns: Option<i64>,
    fsync: bool,
) -> Result<Metadata, BackendError> {
    copy_exact(source, file, size, path).map_err(|error| match error {
        CopyError::Source(error) | CopyError::Size(error) => error,
        CopyError::Sink(error) => io_error(error, path),
    })?;
    if fsync {
        file.sync_all().map_err(|e| io_error(e, path))?;
    }
    if let Some(ns) = mtime_ns {
        filetime::set_file_handle_times(file, None, Some(file_time(ns)))
            .map_err(|e| io_error(e, path))?;
    }
    file.metadata().map_err(|e| io_error(e, path))
}

fn create_temp(parent: &Path, target: &Path, path: &str) -> Result<(PathBuf, File), BackendError> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    loop {
        let temp = parent.join(ferry_plugin_api::temp_name::temp_name(&name));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_error(e, path)),
        }
    }
}

/// Removes the temporary file unless the write was committed.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl TempFile {
    fn committed(mut self) {
        self.keep = true;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}
