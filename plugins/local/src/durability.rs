//! Batched durability (`durability.v1`, see [`ferry_plugin_api::durability`]): once the host asks
//! for it, a new file is renamed into place without its own fsync (the rename refuses to replace
//! anything, so no old version depends on it), and the host's `sync` flushes, with one
//! `syncfs(2)` per file system written to, everything written since the last one. A file that
//! replaces another is still fsynced before the rename: a power cut then leaves the old version
//! or the new one, never an empty file in the old one's place.
//!
//! Linux only (`renameat2` with `RENAME_NOREPLACE`, `syncfs`); elsewhere the extension is not
//! offered and every file is fsynced.

use std::{
    fs::File,
    sync::{
        atomic::{AtomicBool, Ordering},
        Mutex,
    },
};

use ferry_plugin_api::BackendError;

use crate::error::io_error;

/// How a write makes its bytes durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// No flush at all (`fsync = false`).
    None,
    /// fsync every file before it is renamed into place.
    EachFile,
    /// fsync only files that replace another; the rest wait for [`Deferred::sync`].
    Deferred,
}

/// The file systems written to since the last sync, and whether the host asked for deferral.
#[derive(Debug, Default)]
pub(crate) struct Deferred {
    asked: AtomicBool,
    /// One open file per file system (by device number) and whether it has unsynced writes.
    file_systems: Mutex<Vec<FileSystem>>,
}

#[derive(Debug)]
struct FileSystem {
    device: u64,
    handle: File,
    dirty: bool,
}

impl Deferred {
    /// Switches to deferred durability (the host asked for the extension).
    pub(crate) fn ask(&self) {
        self.asked.store(true, Ordering::SeqCst);
    }

    /// How the next write goes, given the `fsync` option.
    pub(crate) fn mode(&self, fsync: bool) -> Durability {
        match (fsync, self.asked.load(Ordering::SeqCst)) {
            (false, _) => Durability::None,
            (true, true) => Durability::Deferred,
            (true, false) => Durability::EachFile,
        }
    }

    /// Notes an unsynced write to the file system of `file` (device `device`).
    pub(crate) fn written(&self, device: u64, file: &File) {
        let mut file_systems = self.file_systems.lock().expect("file systems");
        if let Some(known) = file_systems.iter_mut().find(|fs| fs.device == device) {
            known.dirty = true;
            return;
        }
        // A handle of its own: the written file's is closed when the write returns.
        match file.try_clone() {
            Ok(handle) => file_systems.push(FileSystem {
                device,
                handle,
                dirty: true,
            }),
            // No handle to sync through later: flush this file now instead.
            Err(_) => {
                let _ = file.sync_all();
            }
        }
    }

    /// [`Self::written`] for a path rather than an open file. An error here is the caller's: it
    /// cannot vouch for the path's durability.
    pub(crate) fn note(&self, path: &std::path::Path) -> Result<(), BackendError> {
        use std::os::unix::fs::MetadataExt;
        let shown = path.to_string_lossy();
        let device = std::fs::symlink_metadata(path)
            .map_err(|e| io_error(e, &shown))?
            .dev();
        let mut file_systems = self.file_systems.lock().expect("file systems");
        if let Some(known) = file_systems.iter_mut().find(|fs| fs.device == device) {
            known.dirty = true;
            return Ok(());
        }
        drop(file_systems);
        let file = File::open(path).map_err(|e| io_error(e, &shown))?;
        self.written(device, &file);
        Ok(())
    }

    /// Flushes every file system written to since the last call (an error names the root).
    pub(crate) fn sync(&self) -> Result<(), BackendError> {
        let mut file_systems = self.file_systems.lock().expect("file systems");
        for fs in file_systems.iter_mut().filter(|fs| fs.dirty) {
            sync_file_system(&fs.handle).map_err(|e| io_error(e, ""))?;
            fs.dirty = false;
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
fn sync_file_system(handle: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: syncfs takes any open descriptor and touches no memory of ours.
    if unsafe { libc::syncfs(handle.as_raw_fd()) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn sync_file_system(handle: &File) -> std::io::Result<()> {
    handle.sync_all()
}

/// Renames `from` to `to` unless something exists at `to`: `Ok(true)` renamed, `Ok(false)`
/// something is there (or the file system cannot tell), nothing changed.
#[cfg(target_os = "linux")]
pub(crate) fn rename_if_absent(
    from: &std::path::Path,
    to: &std::path::Path,
) -> std::io::Result<bool> {
    use std::{ffi::CString, os::unix::ffi::OsStrExt};
    let c = |p: &std::path::Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
    };
    let (from, to) = (c(from)?, c(to)?);
    // The raw system call rather than glibc's wrapper, which older glibc versions lack.
    // SAFETY: both strings are NUL-terminated and outlive the call.
    let result = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if result == 0 {
        return Ok(true);
    }
    let error = std::io::Error::last_os_error();
    match error.raw_os_error() {
        // Taken, or a file system (or kernel) without RENAME_NOREPLACE: the caller replaces.
        Some(libc::EEXIST | libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => Ok(false),
        _ => Err(error),
    }
}

/// Without `renameat2` every file goes the replacing way.
#[cfg(not(target_os = "linux"))]
pub(crate) fn rename_if_absent(
    _from: &std::path::Path,
    _to: &std::path::Path,
) -> std::io::Result<bool> {
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rename_if_absent_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        std::fs::write(&a, "new").unwrap();
        std::fs::write(&b, "old").unwrap();
        assert!(!rename_if_absent(&a, &b).unwrap());
        assert_eq!(std::fs::read(&b).unwrap(), b"old");
        assert_eq!(std::fs::read(&a).unwrap(), b"new");
        if cfg!(target_os = "linux") {
            assert!(rename_if_absent(&a, &c).unwrap());
            assert_eq!(std::fs::read(&c).unwrap(), b"new");
            assert!(!a.exists());
        }
    }

    #[test]
    fn sync_flushes_only_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let deferred = Deferred::default();
        assert_eq!(deferred.mode(true), Durability::EachFile);
        assert_eq!(deferred.mode(false), Durability::None);
        deferred.ask();
        assert_eq!(deferred.mode(true), Durability::Deferred);
        deferred.sync().unwrap();
        let file = File::create(dir.path().join("f")).unwrap();
        deferred.written(7, &file);
        deferred.written(7, &file);
        assert_eq!(deferred.file_systems.lock().unwrap().len(), 1);
        deferred.sync().unwrap();
        assert!(!deferred.file_systems.lock().unwrap()[0].dirty);
    }
}
