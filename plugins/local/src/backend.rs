//! The local backend: every `BackendImpl` operation over `std::fs`, paths resolved below the
//! configured root. Symlinks are reported as symlinks and never followed: a change (write,
//! mkdir, delete, rename, set_mtime, rmdir) whose path crosses a symlink below the root is
//! refused, so nothing is ever written outside the root. Names that are not valid UTF-8 become
//! listing problems.

use std::{
    fs::{self, File, Metadata},
    io::{Read, Seek, SeekFrom},
    path::{Path, PathBuf},
    time::UNIX_EPOCH,
};

use ferry_plugin_api::{
    author::BackendImpl, BackendError, Capabilities, Entry, EntryKind, ErrorKind, Listing,
};
use walkdir::WalkDir;

use crate::{
    config::LocalConfig,
    durability::{rename_if_absent, Deferred, Durability},
    error::io_error,
    writer, CAPABILITIES,
};

/// One local root directory.
#[derive(Debug)]
pub struct LocalBackend {
    root: PathBuf,
    fsync: bool,
    deferred: Deferred,
}

impl LocalBackend {
    /// A backend rooted at the config's location (validated by [`LocalConfig::parse`]).
    pub fn new(config: LocalConfig) -> Self {
        LocalBackend {
            root: config.root().expect("validated by LocalConfig::parse"),
            fsync: config.fsync,
            deferred: Deferred::default(),
        }
    }

    /// A backend rooted at `root`, for in-process use and tests.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        LocalBackend {
            root: root.into(),
            fsync: true,
            deferred: Deferred::default(),
        }
    }

    /// The absolute path of `path`, refusing anything that could leave the root.
    fn resolve(&self, path: &str) -> Result<PathBuf, BackendError> {
        let mut full = self.root.clone();
        if path.is_empty() {
            return Ok(full);
        }
        for component in path.split('/') {
            Entry::validate_name(component).map_err(|why| {
                BackendError::new(
                    ErrorKind::INVALID_INPUT,
                    format!("bad path `{path}`: {why}"),
                )
                .with_context("path", path)
            })?;
            full.push(component);
        }
        Ok(full)
    }

    /// [`Self::resolve`] for a change: refused when a directory on the way below the root is a
    /// symlink, since the change would land wherever the link points.
    fn resolve_for_change(&self, path: &str) -> Result<PathBuf, BackendError> {
        self.resolve_for_write(path).map(|(full, _)| full)
    }

    /// [`Self::resolve_for_change`], and whether the walk proved the parent directory exists
    /// (so a write need not create it).
    fn resolve_for_write(&self, path: &str) -> Result<(PathBuf, bool), BackendError> {
        let full = self.resolve(path)?;
        let mut parent_exists = false;
        let mut at = self.root.clone();
        let mut walked = String::new();
        let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        for component in components.iter().take(components.len().saturating_sub(1)) {
            at.push(component);
            if !walked.is_empty() {
                walked.push('/');
            }
            walked.push_str(component);
            match fs::symlink_metadata(&at) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(BackendError::new(
                        ErrorKind::PERMISSION_DENIED,
                        format!(
                        "{path}: `{walked}` is a symlink; ferry does not write through symlinks"
                    ),
                    )
                    .with_context("path", path))
                }
                Ok(meta) => parent_exists = meta.is_dir(),
                // Missing from here on: nothing below can be a link yet.
                Err(_) => {
                    parent_exists = false;
                    break;
                }
            }
        }
        Ok((full, parent_exists))
    }

    fn metadata(&self, path: &str) -> Result<(PathBuf, Metadata), BackendError> {
        let full = self.resolve(path)?;
        let meta = fs::symlink_metadata(&full).map_err(|e| io_error(e, path))?;
        Ok((full, meta))
    }
}

/// Builds an entry from metadata (of the entry itself, not a symlink's target); `full` is read
/// only for a symlink, whose target it names.
fn entry_from(name: &str, full: &Path, meta: &Metadata) -> Entry {
    let file_type = meta.file_type();
    let kind = if file_type.is_symlink() {
        EntryKind::SYMLINK
    } else if file_type.is_dir() {
        EntryKind::DIRECTORY
    } else if file_type.is_file() {
        EntryKind::FILE
    } else {
        EntryKind::OTHER
    };
    let mut entry = Entry::new(name, kind);
    if kind == EntryKind::FILE {
        entry.size = meta.len();
    }
    if let Some(ns) = meta.modified().ok().and_then(system_time_ns) {
        entry = entry.with_mtime(ns, 1);
    }
    if kind == EntryKind::SYMLINK {
        if let Ok(target) = fs::read_link(full) {
            entry.link_target = Some(target.to_string_lossy().into_owned().into()).into();
        }
    }
    entry
}

fn system_time_ns(time: std::time::SystemTime) -> Option<i64> {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_nanos()).ok(),
        Err(before) => i64::try_from(before.duration().as_nanos())
            .ok()
            .map(|ns| -ns),
    }
}

/// The directory part of `path` (`""` at the root).
fn parent_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn last_component(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl BackendImpl for LocalBackend {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn list(&self, dir: &str) -> Result<Listing, BackendError> {
        let (full, meta) = self.metadata(dir)?;
        if !meta.is_dir() {
            // The root itself is named by the caller, who knows how the user wrote it.
            let message = if dir.is_empty() {
                "not a directory".to_string()
            } else {
                format!("{dir}: not a directory")
            };
            return Err(
                BackendError::new(ErrorKind::INVALID_INPUT, message).with_context("path", dir)
            );
        }
        let mut listing = Listing::default();
        for item in fs::read_dir(&full).map_err(|e| io_error(e, dir))? {
            let item = item.map_err(|e| io_error(e, dir))?;
            let name = match item.file_name().into_string() {
                Ok(name) => name,
                Err(raw) => {
                    let shown = raw.to_string_lossy();
                    let at = if dir.is_empty() {
                        shown.to_string()
                    } else {
                        format!("{dir}/{shown}")
                    };
                    listing.problems.push(
                        BackendError::new(
                            ErrorKind::INVALID_INPUT,
                            format!("{at}: name is not valid UTF-8; skipped"),
                        )
                        .with_context("path", &at),
                    );
                    continue;
                }
            };
            // Stat'ed relative to the open directory (fstatat on Linux, not following a
            // symlink): no walk of the whole path per entry, which was most of a large no-op's
            // kernel time.
            match item.metadata() {
                Ok(meta) => {
                    // The full path is only needed to read a symlink's target.
                    let path = if meta.is_symlink() {
                        item.path()
                    } else {
                        PathBuf::new()
                    };
                    listing.entries.push(entry_from(&name, &path, &meta))
                }
                // Vanished between readdir and stat: not an entry any more.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => listing.problems.push(io_error(e, &format!("{dir}/{name}"))),
            }
        }
        Ok(listing)
    }

    fn stat(&self, path: &str) -> Result<Entry, BackendError> {
        let (full, meta) = self.metadata(path)?;
        Ok(entry_from(last_component(path), &full, &meta))
    }

    fn open_read(&self, path: &str, offset: u64) -> Result<Box<dyn Read + Send>, BackendError> {
        let (full, meta) = self.metadata(path)?;
        if !meta.is_file() {
            return Err(BackendError::new(
                ErrorKind::INVALID_INPUT,
                format!("{path}: not a regular file"),
            )
            .with_context("path", path));
        }
        let mut file = File::open(&full).map_err(|e| io_error(e, path))?;
        if offset > 0 {
            file.seek(SeekFrom::Start(offset))
                .map_err(|e| io_error(e, path))?;
        }
        Ok(Box::new(file))
    }

    fn write(
        &self,
        path: &str,
        source: &mut dyn Read,
        size: Option<u64>,
        mtime_ns: Option<i64>,
    ) -> Result<Entry, BackendError> {
        let (full, parent_exists) = self.resolve_for_write(path)?;
        let written = writer::Write {
            target: &full,
            path,
            parent_exists,
            durability: self.deferred.mode(self.fsync),
            deferred: &self.deferred,
        };
        let meta = written.commit(source, size, mtime_ns)?;
        Ok(entry_from(last_component(path), &full, &meta))
    }

    fn delete(&self, path: &str) -> Result<(), BackendError> {
        let full = self.resolve_for_change(path)?;
        match fs::symlink_metadata(&full) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(e, path)),
            Ok(meta) if meta.is_dir() => Err(BackendError::new(
                ErrorKind::INVALID_INPUT,
                format!("{path}: is a directory; not deleted"),
            )
            .with_context("path", path)),
            Ok(_) => match fs::remove_file(&full) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                other => other.map_err(|e| io_error(e, path)),
            },
        }
    }

    fn mkdir(&self, path: &str) -> Result<(), BackendError> {
        let full = self.resolve_for_change(path)?;
        match fs::symlink_metadata(&full) {
            Ok(meta) if meta.is_dir() => return Ok(()),
            Ok(_) => {
                return Err(BackendError::new(
                    ErrorKind::ALREADY_EXISTS,
                    format!("{path}: exists and is not a directory"),
                )
                .with_context("path", path))
            }
            Err(_) => {}
        }
        fs::create_dir_all(&full).map_err(|e| io_error(e, path))?;
        if self.deferred.mode(self.fsync) == Durability::Deferred {
            // The host records the directory after its next sync, which must then include it.
            self.deferred.note(&full)?;
        }
        Ok(())
    }

    fn rmdir(&self, path: &str, recursive: bool) -> Result<(), BackendError> {
        let full = self.resolve_for_change(path)?;
        let meta = match fs::symlink_metadata(&full) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            other => other.map_err(|e| io_error(e, path))?,
        };
        if !meta.is_dir() {
            return Err(BackendError::new(
                ErrorKind::INVALID_INPUT,
                format!("{path}: not a directory"),
            )
            .with_context("path", path));
        }
        if !recursive {
            return fs::remove_dir(&full).map_err(|e| {
                if fs::read_dir(&full)
                    .map(|mut d| d.next().is_some())
                    .unwrap_or(false)
                {
                    BackendError::new(
                        ErrorKind::INVALID_INPUT,
                        format!("{path}: directory not empty"),
                    )
                    .with_context("path", path)
                } else {
                    io_error(e, path)
                }
            });
        }
        // Children first; symlinks are removed as links, never followed.
        for item in WalkDir::new(&full).contents_first(true).follow_links(false) {
            let item = item.map_err(|e| {
                BackendError::new(ErrorKind::OTHER, format!("{path}: {e}"))
                    .with_context("path", path)
            })?;
            let result = if item.file_type().is_dir() {
                fs::remove_dir(item.path())
            } else {
                fs::remove_file(item.path())
            };
            match result {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    let shown = item.path().strip_prefix(&self.root).unwrap_or(item.path());
                    return Err(io_error(e, &shown.to_string_lossy()));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn rename(&self, from: &str, to: &str) -> Result<(), BackendError> {
        let source = self.resolve_for_change(from)?;
        // A target beside the source is below directories the source's walk just proved.
        let target = if parent_of(from) == parent_of(to) {
            self.resolve(to)?
        } else {
            self.resolve_for_change(to)?
        };
        let deferred = self.deferred.mode(self.fsync) == Durability::Deferred;
        let rename = || -> std::io::Result<()> {
            if deferred {
                // As in a write: what takes an existing name is durable first, a new name
                // waits for the host's sync.
                if rename_if_absent(&source, &target)? {
                    return Ok(());
                }
                File::open(&source)?.sync_all()?;
            }
            fs::rename(&source, &target)
        };
        match rename() {
            // The target's directory is missing (the source is there): create it and go again.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && source.exists() => {
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent).map_err(|e| io_error(e, to))?;
                }
                rename().map_err(|e| io_error(e, from))?;
            }
            other => other.map_err(|e| io_error(e, from))?,
        }
        if deferred {
            self.deferred.note(&target)?;
        }
        Ok(())
    }

    fn set_mtime(&self, path: &str, mtime_ns: i64) -> Result<(), BackendError> {
        let full = self.resolve_for_change(path)?;
        filetime::set_symlink_file_times(
            &full,
            filetime::FileTime::now(),
            writer::file_time(mtime_ns),
        )
        .map_err(|e| io_error(e, path))
    }

    /// `durability.v1` where it makes a difference: on Linux, with `fsync` on.
    fn extension(&self, name: &str) -> Option<ferry_plugin_api::RawExtension> {
        let useful = cfg!(target_os = "linux") && self.fsync;
        (name == ferry_plugin_api::durability::NAME && useful)
            .then(|| ferry_plugin_api::durability::extension_for(self))
    }

    /// Syncs what deferred writes left, so stopping early loses no bytes either.
    fn close(&self) -> Result<(), BackendError> {
        self.deferred.sync()
    }
}

impl ferry_plugin_api::durability::Durable for LocalBackend {
    fn defer_durability(&self) {
        self.deferred.ask();
    }

    fn sync_written(&self) -> Result<(), BackendError> {
        self.deferred.sync()
    }
}
