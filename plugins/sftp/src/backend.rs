//! The `BackendImpl` over SFTP: listing, stat, delete, mkdir, rmdir, rename and set_mtime, each
//! a request or two on a pooled connection. Reads are in [`crate::reader`], writes in
//! [`crate::writer`].
//!
//! Entries are described as `lstat` sees them (OpenSSH's READDIR and LSTAT): a symbolic link is
//! reported as one, with its target, and never followed. Modification times have one-second
//! precision (SFTP version 3 carries whole seconds).

use std::{
    collections::HashSet,
    io::Read,
    sync::{Arc, Mutex},
};

use ferry_plugin_api::{
    author::BackendImpl, BackendError, Capabilities, Entry, EntryKind, ErrorKind, HostBox, Listing,
};

use crate::{
    config::Settings,
    connect::server_label,
    error,
    pool::{Conn, Pool},
    protocol::{fields, kind, status, Attrs, Reply, Sftp},
    CAPABILITIES,
};

/// One SFTP target: a pool of connections to one server and a root directory on it.
pub struct SftpBackend {
    pub(crate) pool: Arc<Pool>,
    pub(crate) server: String,
    /// Directories below the root known to be real directories (listed as such, made by
    /// ferry, or checked): a change below them needs no check for symlinks on the way.
    real_dirs: Mutex<HashSet<String>>,
}

/// A second of precision, in nanoseconds.
pub(crate) const SECOND_NS: u64 = 1_000_000_000;

/// The last component of a `/`-separated path.
pub(crate) fn last_component(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// An entry named `name` from its attributes.
pub(crate) fn entry_from(name: &str, attrs: &Attrs) -> Entry {
    let kind = if attrs.is_dir() {
        EntryKind::DIRECTORY
    } else if attrs.is_symlink() {
        EntryKind::SYMLINK
    } else if attrs.is_file() {
        EntryKind::FILE
    } else {
        EntryKind::OTHER
    };
    let mut entry = Entry::new(name, kind);
    if kind == EntryKind::FILE {
        entry.size = attrs.size.unwrap_or(0);
    }
    if let Some(mtime) = attrs.mtime {
        entry = entry.with_mtime(i64::from(mtime) * SECOND_NS as i64, SECOND_NS);
    }
    entry
}

impl SftpBackend {
    /// Connects (one connection at once, so that a refused login fails here).
    pub fn open(settings: Settings, host: HostBox) -> Result<Self, BackendError> {
        let server = server_label(&settings);
        let pool = Pool::open(settings, host)?;
        Ok(SftpBackend {
            pool,
            server,
            real_dirs: Mutex::new(HashSet::new()),
        })
    }

    fn note_real_dir(&self, path: &str) {
        self.real_dirs
            .lock()
            .expect("real_dirs")
            .insert(path.to_string());
    }

    /// Forgets what was known below `path` (removed or renamed away).
    fn forget_dirs(&self, path: &str) {
        let prefix = format!("{path}/");
        self.real_dirs
            .lock()
            .expect("real_dirs")
            .retain(|known| known != path && !known.starts_with(&prefix));
    }

    /// Refuses a change at `path` whose way from the root crosses a symbolic link: the change
    /// would land wherever the link points. Ancestors not known to be directories are checked
    /// with LSTAT; missing ones are fine (they will be made as real directories).
    pub(crate) fn refuse_symlinks_on_the_way(
        &self,
        sftp: &mut Sftp,
        path: &str,
    ) -> Result<(), BackendError> {
        let mut walked = String::new();
        let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        for component in &components[..components.len().saturating_sub(1)] {
            if !walked.is_empty() {
                walked.push('/');
            }
            walked.push_str(component);
            if self.real_dirs.lock().expect("real_dirs").contains(&walked) {
                continue;
            }
            let full = self.settings().full(&walked);
            match self.lstat(sftp, &full, &walked)? {
                Some(attrs) if attrs.is_symlink() => {
                    return Err(BackendError::new(
                        ErrorKind::INVALID_INPUT,
                        format!(
                            "{}: {path}: `{walked}` is a symlink; ferry does not write through symlinks",
                            self.server
                        ),
                    )
                    .with_context("path", path))
                }
                Some(attrs) if attrs.is_dir() => self.note_real_dir(&walked),
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.pool.settings
    }

    pub(crate) fn conn(&self) -> Result<Conn, BackendError> {
        self.pool.get()
    }

    /// The error for a non-OK status `reply` to `op` on `path`.
    pub(crate) fn status_error(&self, reply: &Reply, op: &str, path: &str) -> BackendError {
        match reply.status() {
            Some((code, message)) => error::status(&self.server, op, path, code, &message),
            None => error::protocol(&self.server, &format!("unexpected reply to {op} {path}")),
        }
    }

    /// The status code of `reply`, or a protocol error if it is not a STATUS.
    pub(crate) fn status_of(
        &self,
        reply: &Reply,
        op: &str,
        path: &str,
    ) -> Result<u32, BackendError> {
        reply.status().map(|(code, _)| code).ok_or_else(|| {
            error::protocol(&self.server, &format!("unexpected reply to {op} {path}"))
        })
    }

    /// `Ok` for a STATUS OK `reply`, else the error it reports.
    pub(crate) fn expect_ok(
        &self,
        reply: &Reply,
        op: &str,
        path: &str,
    ) -> Result<(), BackendError> {
        match reply.status() {
            Some((status::OK, _)) => Ok(()),
            _ => Err(self.status_error(reply, op, path)),
        }
    }

    /// LSTAT of a server path: `None` when it does not exist.
    pub(crate) fn lstat(
        &self,
        sftp: &mut Sftp,
        full: &str,
        shown: &str,
    ) -> Result<Option<Attrs>, BackendError> {
        let reply = sftp.call(kind::LSTAT, fields::path(full))?;
        if let Some(attrs) = reply.attrs() {
            return Ok(Some(attrs));
        }
        match reply.status() {
            Some((status::NO_SUCH_FILE, _)) => Ok(None),
            _ => Err(self.status_error(&reply, "LSTAT", shown)),
        }
    }

    fn link_target(&self, sftp: &mut Sftp, full: &str) -> Option<String> {
        let reply = sftp.call(kind::READLINK, fields::path(full)).ok()?;
        let names = reply.names()?;
        let first = names.into_iter().next()?;
        String::from_utf8(first.name).ok()
    }

    fn describe(&self, sftp: &mut Sftp, name: &str, full: &str, attrs: &Attrs) -> Entry {
        let mut entry = entry_from(name, attrs);
        if entry.kind == EntryKind::SYMLINK {
            entry.link_target = self.link_target(sftp, full).map(Into::into).into();
        }
        entry
    }

    /// Creates `path` (`""`: the root) and its missing parents on `sftp`.
    pub(crate) fn mkdir_on(&self, sftp: &mut Sftp, path: &str) -> Result<(), BackendError> {
        let full = self.settings().full(path);
        self.mkdir_full(sftp, &full, path)?;
        self.note_real_dir(path);
        Ok(())
    }

    fn mkdir_full(&self, sftp: &mut Sftp, full: &str, shown: &str) -> Result<(), BackendError> {
        let reply = sftp.call(kind::MKDIR, fields::path_attrs(full, &Attrs::default()))?;
        match self.status_of(&reply, "MKDIR", shown)? {
            status::OK => Ok(()),
            status::NO_SUCH_FILE => match full.trim_end_matches('/').rsplit_once('/') {
                Some((parent, _)) if !parent.is_empty() => {
                    self.mkdir_full(sftp, parent, shown)?;
                    let again =
                        sftp.call(kind::MKDIR, fields::path_attrs(full, &Attrs::default()))?;
                    match self.status_of(&again, "MKDIR", shown)? {
                        status::OK => Ok(()),
                        _ => self.existing_dir(sftp, full, shown, &again),
                    }
                }
                _ => Err(self.status_error(&reply, "MKDIR", shown)),
            },
            _ => self.existing_dir(sftp, full, shown, &reply),
        }
    }

    /// After a refused MKDIR: fine if a directory is there (made by someone else meanwhile).
    fn existing_dir(
        &self,
        sftp: &mut Sftp,
        full: &str,
        shown: &str,
        refusal: &Reply,
    ) -> Result<(), BackendError> {
        match self.lstat(sftp, full, shown)? {
            Some(attrs) if attrs.is_dir() => Ok(()),
            Some(_) => Err(BackendError::new(
                ErrorKind::ALREADY_EXISTS,
                format!("{}: MKDIR {shown}: a file is in the way", self.server),
            )
            .with_context("path", shown)),
            None => Err(self.status_error(refusal, "MKDIR", shown)),
        }
    }

    /// Renames on `sftp`, replacing a file at `to`: posix-rename where the server offers it,
    /// else RENAME, and where that refuses an existing target, the target's removal first.
    pub(crate) fn rename_on(
        &self,
        sftp: &mut Sftp,
        from: &str,
        to: &str,
    ) -> Result<(), BackendError> {
        let (full_from, full_to) = (self.settings().full(from), self.settings().full(to));
        if sftp.posix_rename {
            let reply = sftp.call(
                kind::EXTENDED,
                fields::extended_two_paths("posix-rename@openssh.com", &full_from, &full_to),
            )?;
            match self.status_of(&reply, "RENAME", from)? {
                status::OK => return Ok(()),
                // Announced but refused (OpenSSH's `sftp-server -P posix-rename` answers
                // PERMISSION_DENIED): use RENAME from now on, which says what is wrong if
                // anything is.
                status::OP_UNSUPPORTED | status::PERMISSION_DENIED => sftp.posix_rename = false,
                _ => return Err(self.status_error(&reply, "RENAME", &format!("{from} → {to}"))),
            }
        }
        let reply = sftp.call(kind::RENAME, fields::two_paths(&full_from, &full_to))?;
        if self.status_of(&reply, "RENAME", from)? == status::OK {
            return Ok(());
        }
        match self.lstat(sftp, &full_to, to)? {
            Some(attrs) if !attrs.is_dir() => {
                // The fallback FTP uses too: a short moment with no file at `to`, never a
                // partial one.
                let removed = sftp.call(kind::REMOVE, fields::path(&full_to))?;
                self.expect_ok(&removed, "REMOVE", to)?;
                let again = sftp.call(kind::RENAME, fields::two_paths(&full_from, &full_to))?;
                self.expect_ok(&again, "RENAME", &format!("{from} → {to}"))
            }
            _ => Err(self.status_error(&reply, "RENAME", &format!("{from} → {to}"))),
        }
    }

    fn rmdir_on(&self, sftp: &mut Sftp, path: &str, recursive: bool) -> Result<(), BackendError> {
        let full = self.settings().full(path);
        let reply = sftp.call(kind::RMDIR, fields::path(&full))?;
        match self.status_of(&reply, "RMDIR", path)? {
            status::OK | status::NO_SUCH_FILE => return Ok(()),
            _ => {}
        }
        match self.lstat(sftp, &full, path)? {
            None => return Ok(()),
            Some(attrs) if !attrs.is_dir() => {
                return Err(BackendError::new(
                    ErrorKind::INVALID_INPUT,
                    format!("{}: RMDIR {path}: not a directory", self.server),
                )
                .with_context("path", path))
            }
            Some(_) => {}
        }
        let listing = self.list_on(sftp, path)?;
        if listing.entries.is_empty() {
            return Err(self.status_error(&reply, "RMDIR", path));
        }
        if !recursive {
            return Err(BackendError::new(
                ErrorKind::INVALID_INPUT,
                format!("{}: RMDIR {path}: the directory is not empty", self.server),
            )
            .with_context("path", path));
        }
        for entry in listing.entries.iter() {
            let child = format!("{path}/{}", entry.name);
            if entry.kind == EntryKind::DIRECTORY {
                self.rmdir_on(sftp, &child, true)?;
            } else {
                self.delete_on(sftp, &child)?;
            }
        }
        let again = sftp.call(kind::RMDIR, fields::path(&full))?;
        match self.status_of(&again, "RMDIR", path)? {
            status::OK | status::NO_SUCH_FILE => Ok(()),
            _ => Err(self.status_error(&again, "RMDIR", path)),
        }
    }

    fn delete_on(&self, sftp: &mut Sftp, path: &str) -> Result<(), BackendError> {
        let full = self.settings().full(path);
        let reply = sftp.call(kind::REMOVE, fields::path(&full))?;
        match self.status_of(&reply, "REMOVE", path)? {
            status::OK | status::NO_SUCH_FILE => Ok(()),
            _ => match self.lstat(sftp, &full, path)? {
                None => Ok(()),
                Some(attrs) if attrs.is_dir() => Err(BackendError::new(
                    ErrorKind::INVALID_INPUT,
                    format!("{}: REMOVE {path}: a directory (use rmdir)", self.server),
                )
                .with_context("path", path)),
                Some(_) => Err(self.status_error(&reply, "REMOVE", path)),
            },
        }
    }

    fn list_on(&self, sftp: &mut Sftp, dir: &str) -> Result<Listing, BackendError> {
        let full = self.settings().full(dir);
        let opened = sftp.call(kind::OPENDIR, fields::path(&full))?;
        let Some(handle) = opened.handle() else {
            return Err(match self.lstat(sftp, &full, dir)? {
                Some(attrs) if !attrs.is_dir() => BackendError::new(
                    ErrorKind::INVALID_INPUT,
                    if dir.is_empty() {
                        format!("{}: not a directory", self.server)
                    } else {
                        format!("{}: {dir}: not a directory", self.server)
                    },
                )
                .with_context("path", dir),
                _ => self.status_error(&opened, "OPENDIR", dir),
            });
        };
        let mut listing = Listing::default();
        let mut links = Vec::new();
        let result = loop {
            let reply = match sftp.call(kind::READDIR, fields::handle(&handle)) {
                Ok(reply) => reply,
                Err(e) => break Err(e),
            };
            let Some(names) = reply.names() else {
                match reply.status() {
                    Some((status::EOF, _)) => break Ok(()),
                    _ => break Err(self.status_error(&reply, "READDIR", dir)),
                }
            };
            for item in names {
                let name = match String::from_utf8(item.name) {
                    Ok(name) => name,
                    Err(raw) => {
                        let shown = String::from_utf8_lossy(raw.as_bytes()).into_owned();
                        let at = join(dir, &shown);
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
                if name == "." || name == ".." {
                    continue;
                }
                if let Err(why) = Entry::validate_name(&name) {
                    listing.problems.push(
                        BackendError::new(
                            ErrorKind::INVALID_INPUT,
                            format!(
                                "{}: refused an entry of {dir:?}: {name:?}: {why}",
                                self.server
                            ),
                        )
                        .with_context("path", dir),
                    );
                    continue;
                }
                if item.attrs.is_symlink() {
                    links.push(listing.entries.len());
                } else if item.attrs.is_dir() {
                    self.note_real_dir(&join(dir, &name));
                }
                listing.entries.push(entry_from(&name, &item.attrs));
            }
        };
        let closed = sftp.call(kind::CLOSE, fields::handle(&handle));
        result?;
        closed?;
        for index in links {
            let full_link = self
                .settings()
                .full(&join(dir, &listing.entries[index].name));
            listing.entries[index].link_target =
                self.link_target(sftp, &full_link).map(Into::into).into();
        }
        Ok(listing)
    }
}

/// `dir/name`, or `name` at the root.
pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

impl BackendImpl for SftpBackend {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn list(&self, dir: &str) -> Result<Listing, BackendError> {
        let mut conn = self.conn()?;
        self.list_on(conn.sftp(), dir)
    }

    fn stat(&self, path: &str) -> Result<Entry, BackendError> {
        let mut conn = self.conn()?;
        let full = self.settings().full(path);
        match self.lstat(conn.sftp(), &full, path)? {
            Some(attrs) => Ok(self.describe(conn.sftp(), last_component(path), &full, &attrs)),
            None => Err(BackendError::not_found(path)),
        }
    }

    fn open_read(&self, path: &str, offset: u64) -> Result<Box<dyn Read + Send>, BackendError> {
        crate::reader::open(self, path, offset)
    }

    fn write(
        &self,
        path: &str,
        source: &mut dyn Read,
        size: Option<u64>,
        mtime_ns: Option<i64>,
    ) -> Result<Entry, BackendError> {
        crate::writer::write(self, path, source, size, mtime_ns)
    }

    fn delete(&self, path: &str) -> Result<(), BackendError> {
        let mut conn = self.conn()?;
        self.refuse_symlinks_on_the_way(conn.sftp(), path)?;
        self.delete_on(conn.sftp(), path)
    }

    fn mkdir(&self, path: &str) -> Result<(), BackendError> {
        let mut conn = self.conn()?;
        self.refuse_symlinks_on_the_way(conn.sftp(), &format!("{path}/_"))?;
        self.mkdir_on(conn.sftp(), path)
    }

    fn rmdir(&self, path: &str, recursive: bool) -> Result<(), BackendError> {
        let mut conn = self.conn()?;
        self.refuse_symlinks_on_the_way(conn.sftp(), path)?;
        self.forget_dirs(path);
        self.rmdir_on(conn.sftp(), path, recursive)
    }

    fn rename(&self, from: &str, to: &str) -> Result<(), BackendError> {
        let mut conn = self.conn()?;
        self.refuse_symlinks_on_the_way(conn.sftp(), from)?;
        self.refuse_symlinks_on_the_way(conn.sftp(), to)?;
        self.forget_dirs(from);
        self.forget_dirs(to);
        self.rename_on(conn.sftp(), from, to)
    }

    fn set_mtime(&self, path: &str, mtime_ns: i64) -> Result<(), BackendError> {
        let Some(seconds) = crate::writer::mtime_seconds(mtime_ns) else {
            return Err(BackendError::new(
                ErrorKind::INVALID_INPUT,
                format!(
                    "{}: {path}: SFTP cannot carry the modification time {mtime_ns} ns",
                    self.server
                ),
            ));
        };
        let mut conn = self.conn()?;
        // SETSTAT follows links: the path itself must not be one either.
        self.refuse_symlinks_on_the_way(conn.sftp(), &format!("{path}/_"))?;
        let full = self.settings().full(path);
        let reply = conn.sftp().call(
            kind::SETSTAT,
            fields::path_attrs(&full, &Attrs::times(seconds)),
        )?;
        self.expect_ok(&reply, "SETSTAT", path)
    }

    fn close(&self) -> Result<(), BackendError> {
        self.pool.close();
        Ok(())
    }
}
