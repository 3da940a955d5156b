//! Atomic writes: the bytes go to a temporary name ([`ferry_plugin_api::temp_name`]) in the
//! destination directory, are
//! checked against the announced size, fsynced, given their mtime, and only then renamed over the
//! final name. Any failure removes the temporary file, so a partial file never shows under the
//! final name.

use std::{
    fs::{self, File, Metadata, OpenOptions},
    io::Read,
    path::{Path, PathBuf},
};

use ferry_plugin_api::{
    io::{copy_exact, CopyError},
    BackendError, ErrorKind,
};

use crate::error::io_error;

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
    /// fsync the file before it is renamed into place.
    pub fsync: bool,
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
        let (temp_path, file) = create_temp(parent, self.target, path)?;
        let temp = TempFile {
            path: temp_path,
            keep: false,
        };
        let meta = fill(file, source, path, size, mtime_ns, self.fsync)?;
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
        // The directory is not fsynced after each rename: a rename lost to a power cut leaves the
        // complete old file, which the next run sees as a destination change (reported, never
        // lost), while a per-file directory fsync would double the cost of every small file.
        Ok(meta)
    }
}

fn fill(
    mut file: File,
    source: &mut dyn Read,
    path: &str,
    size: Option<u64>,
    mtime_ns: Option<i64>,
    fsync: bool,
) -> Result<Metadata, BackendError> {
    copy_exact(source, &mut file, size, path).map_err(|error| match error {
        CopyError::Source(error) | CopyError::Size(error) => error,
        CopyError::Sink(error) => io_error(error, path),
    })?;
    if fsync {
        file.sync_all().map_err(|e| io_error(e, path))?;
    }
    if let Some(ns) = mtime_ns {
        filetime::set_file_handle_times(&file, None, Some(file_time(ns)))
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
