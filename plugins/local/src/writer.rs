//! Atomic writes: the bytes go to a temporary name ([`ferry_plugin_api::temp_name`]) in the
//! destination directory, are
//! checked against the announced size, fsynced, given their mtime, and only then renamed over the
//! final name. Any failure removes the temporary file, so a partial file never shows under the
//! final name.

use std::{
    fs::{self, File, OpenOptions},
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

/// Writes `source` to `target` (shown to the user as `path`) atomically.
pub(crate) fn write_atomic(
    target: &Path,
    path: &str,
    source: &mut dyn Read,
    size: Option<u64>,
    mtime_ns: Option<i64>,
    fsync: bool,
) -> Result<(), BackendError> {
    if fs::symlink_metadata(target).is_ok_and(|m| m.is_dir()) {
        return Err(BackendError::new(
            ErrorKind::INVALID_INPUT,
            format!("{path}: is a directory; not overwritten"),
        )
        .with_context("path", path));
    }
    let parent = target
        .parent()
        .expect("a resolved path below the root has a parent");
    fs::create_dir_all(parent).map_err(|e| io_error(e, path))?;
    let (temp_path, file) = create_temp(parent, target, path)?;
    let temp = TempFile {
        path: temp_path,
        keep: false,
    };
    fill(file, source, path, size, mtime_ns, fsync)?;
    fs::rename(&temp.path, target).map_err(|e| io_error(e, path))?;
    temp.committed();
    // The directory is not fsynced after each rename: a rename lost to a power cut leaves the
    // complete old file, which the next run sees as a destination change (reported, never lost),
    // while a per-file directory fsync would double the cost of every small file.
    Ok(())
}

fn fill(
    mut file: File,
    source: &mut dyn Read,
    path: &str,
    size: Option<u64>,
    mtime_ns: Option<i64>,
    fsync: bool,
) -> Result<(), BackendError> {
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
    Ok(())
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
