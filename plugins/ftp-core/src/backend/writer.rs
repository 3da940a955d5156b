//! Uploads and the other changes that put something in place: `STOR` to a temporary name, its
//! time set with `MFMT` and its size and version read back with one `MLST` (or `SIZE`, then a
//! stat after the rename, on servers without MLST), `RNFR`/`RNTO` over the old file; directories
//! created with `MKD` where no listing proved them; renames; modification times.

use std::io::Read;

use ferry_plugin_api::{
    io::{copy_exact_through, CopyError, SOCKET_COPY_BUFFER},
    BackendError, Entry, ErrorKind,
};
use suppaftp::{FtpError, Status};

use super::{is_connection_failure, join, parent_and_name, FtpBackend};

use crate::{listing::format_fact_time, pool::Conn, session::Connector, transfer::StallGuard};

impl<C: Connector> FtpBackend<C> {
    /// No stat before the upload: a directory at `path` is found by the rename, which servers
    /// refuse onto a directory as `rename(2)` does (pure-ftpd: `451 Rename/move failure: Is a
    /// directory`; the conformance check `write-over-a-directory-fails` covers pure-ftpd,
    /// ProFTPD, pyftpdlib and vsftpd), and by [`Self::rename_over`], which removes nothing but
    /// a file.
    pub(super) fn write_file(
        &self,
        path: &str,
        source: &mut dyn Read,
        size: Option<u64>,
        mtime_ns: Option<i64>,
    ) -> Result<Entry, BackendError> {
        let conn = self.pool.get()?;
        self.upload(conn, path, source, size, mtime_ns)
    }

    pub(super) fn mkdir_on(&self, conn: &mut Conn<C>, path: &str) -> Result<(), BackendError> {
        let absolute = self.absolute(path);
        let mut prefix = String::new();
        for component in absolute.split('/').filter(|c| !c.is_empty()) {
            prefix.push('/');
            prefix.push_str(component);
            if self.known_dirs.lock().expect("dirs").contains(&prefix) {
                continue;
            }
            if let Err(error) = conn.ftp().mkdir(&prefix) {
                if is_connection_failure(&error) {
                    conn.broken();
                    return Err(self.error(&format!("MKD {prefix}"), error));
                }
                // Usually "exists": fine if it is a directory.
                if conn.ftp().cwd(&prefix).is_err() {
                    let relative = prefix
                        .strip_prefix(&self.absolute(""))
                        .unwrap_or(&prefix)
                        .trim_start_matches('/');
                    return Err(match self.stat_on(conn, relative) {
                        Ok(entry) if !entry.is_dir() => BackendError::new(
                            ErrorKind::ALREADY_EXISTS,
                            format!("{path}: `{prefix}` exists and is not a directory"),
                        )
                        .with_context("path", path),
                        _ => self.error(&format!("MKD {prefix}"), error),
                    });
                }
            }
            self.known_dirs.lock().expect("dirs").insert(prefix.clone());
        }
        Ok(())
    }

    pub(super) fn upload(
        &self,
        mut conn: Conn<C>,
        path: &str,
        source: &mut dyn Read,
        size: Option<u64>,
        mtime_ns: Option<i64>,
    ) -> Result<Entry, BackendError> {
        let (parent, name) = parent_and_name(path);
        self.mkdir_on(&mut conn, parent)?;
        let temp_path = join(parent, &ferry_plugin_api::temp_name::temp_name(name));
        let temp = self.absolute(&temp_path);
        let target = self.absolute(path);
        let committed = self
            .store(&mut conn, &temp, path, source, size)
            .and_then(|sent| self.settle(&mut conn, &temp_path, path, sent, mtime_ns));
        let entry = match committed {
            Ok(entry) => entry,
            Err(error) => {
                self.discard(conn, &temp);
                return Err(error);
            }
        };
        if let Err(error) = self.rename_over(&mut conn, &temp, &target, path) {
            self.discard(conn, &temp);
            return Err(error);
        }
        match entry {
            Some(mut entry) => {
                entry.name = name.into();
                Ok(entry)
            }
            None => {
                self.set_mtime_on(&mut conn, &target, mtime_ns)?;
                self.stat_on(&mut conn, path)
            }
        }
    }

    /// Before the rename: the temporary file (`temp_path`, relative like `path`) gets its
    /// time, and with MLST its entry is read back (renaming keeps size, time and the `unique`
    /// fact), its size checked against `sent`. `None` where the server has no MLST: then only
    /// the size is checked here, and the time is set and the entry read after the rename.
    fn settle(
        &self,
        conn: &mut Conn<C>,
        temp_path: &str,
        path: &str,
        sent: u64,
        mtime_ns: Option<i64>,
    ) -> Result<Option<Entry>, BackendError> {
        let temp = self.absolute(temp_path);
        if !self.features.mlst {
            let stored = self.stored_size(conn, &temp)?;
            self.check_stored_size(path, sent, stored)?;
            return Ok(None);
        }
        let entry = match (mtime_ns, self.features.mfmt) {
            (Some(ns), true) => self.set_mtime_and_mlst(conn, temp_path, ns),
            _ => self.stat_on(conn, temp_path),
        };
        let entry = match entry {
            Err(error) if error.kind == ErrorKind::NOT_FOUND => {
                return Err(BackendError::new(
                    ErrorKind::OTHER,
                    format!(
                        "{}: {path}: MLST {temp}: the server does not have the file just stored; not committed",
                        self.server()
                    ),
                )
                .with_context("path", path))
            }
            other => other?,
        };
        if !entry.is_file() {
            return Err(BackendError::new(
                ErrorKind::OTHER,
                format!(
                    "{}: {path}: the uploaded temporary file `{temp}` is listed as a {}; not committed",
                    self.server(),
                    entry.kind.name()
                ),
            )
            .with_context("path", path));
        }
        self.check_stored_size(path, sent, Some(entry.size))?;
        Ok(Some(entry))
    }

    /// `MFMT` and `MLST` of `path` sent at once (`vendor/suppaftp/FERRY-PATCH.md` says why
    /// that changes no outcome): one round trip where two were.
    fn set_mtime_and_mlst(
        &self,
        conn: &mut Conn<C>,
        path: &str,
        mtime_ns: i64,
    ) -> Result<Entry, BackendError> {
        let absolute = self.absolute(path);
        let mfmt = format!("MFMT {} {absolute}", format_fact_time(mtime_ns));
        let mlst = format!("MLST {absolute}");
        let replies = conn.ftp().custom_commands_pipelined(&[
            (&mfmt, &[Status::File]),
            (&mlst, &[Status::RequestedFileActionOk]),
        ]);
        let (mfmt_reply, mlst_reply) = match replies {
            Ok(replies) => {
                let mut replies = replies.into_iter();
                match (replies.next(), replies.next()) {
                    (Some(mfmt_reply), Some(mlst_reply)) => (mfmt_reply, mlst_reply),
                    _ => unreachable!("one reply per command"),
                }
            }
            Err(error) => return Err(self.failed_on(conn, &mfmt, error)),
        };
        if let Err(error) = mfmt_reply {
            return Err(self.failed_on(conn, &mfmt, error));
        }
        let fact_line = mlst_reply.and_then(|reply| {
            let text = conn.ftp().reply_text(&reply);
            match text.lines().nth(1).map(str::trim) {
                Some(line) if !line.is_empty() => Ok(line.to_owned()),
                _ => Err(FtpError::BadResponse),
            }
        });
        self.mlst_entry(conn, path, fact_line)
    }

    /// `RNFR` and `RNTO` sent at once (`vendor/suppaftp/FERRY-PATCH.md`: an `RNTO` after a
    /// refused `RNFR` is refused too); the first refusal is the answer, as with one at a time.
    fn rename_pipelined(&self, conn: &mut Conn<C>, from: &str, to: &str) -> Result<(), FtpError> {
        let rnfr = format!("RNFR {from}");
        let rnto = format!("RNTO {to}");
        // Some non-compliant servers (bftpd) answer RNTO with 200, as suppaftp's `rename` allows.
        conn.ftp()
            .custom_commands_pipelined(&[
                (&rnfr, &[Status::RequestFilePending]),
                (&rnto, &[Status::RequestedFileActionOk, Status::CommandOk]),
            ])?
            .into_iter()
            .try_for_each(|reply| reply.map(|_| ()))
    }

    /// `MFMT` of `absolute`, where a time is given and the server has the command.
    fn set_mtime_on(
        &self,
        conn: &mut Conn<C>,
        absolute: &str,
        mtime_ns: Option<i64>,
    ) -> Result<(), BackendError> {
        let (Some(ns), true) = (mtime_ns, self.features.mfmt) else {
            return Ok(());
        };
        let command = format!("MFMT {} {absolute}", format_fact_time(ns));
        match conn.ftp().custom_command(&command, &[Status::File]) {
            Ok(_) => Ok(()),
            Err(error) => Err(self.failed_on(conn, &command, error)),
        }
    }

    pub(super) fn store(
        &self,
        conn: &mut Conn<C>,
        temp: &str,
        path: &str,
        source: &mut dyn Read,
        size: Option<u64>,
    ) -> Result<u64, BackendError> {
        let command = format!("STOR {temp}");
        let mut stream = match conn.ftp().put_with_stream(temp) {
            Ok(stream) => stream,
            Err(error) => {
                if is_connection_failure(&error) {
                    conn.broken();
                }
                return Err(self.error(&command, error));
            }
        };
        let mut guarded = StallGuard::new(&mut stream, self.pool.settings().timeout);
        let copied = copy_exact_through(source, &mut guarded, size, path, SOCKET_COPY_BUFFER);
        let (sent, size_error) = match copied {
            Ok(sent) => (sent, None),
            Err(CopyError::Size(error)) => (0, Some(error)),
            Err(CopyError::Source(error)) => {
                // The host's source failed: abandon the upload, keep the source's error.
                conn.broken();
                drop(stream);
                return Err(error);
            }
            Err(CopyError::Sink(error)) => {
                // The data connection failed (a stall timed out, a reset): the server will send
                // no completion reply that could be waited for. Closing the control connection
                // first lets the dropped stream give up at once instead of after `timeout`.
                conn.broken();
                let _ = conn.ftp().get_ref().shutdown(std::net::Shutdown::Both);
                drop(stream);
                return Err(self.error(&command, FtpError::ConnectionError(error)));
            }
        };
        // Complete the transfer even when the size was wrong, so the connection stays usable
        // and the caller can remove the temporary file.
        if let Err(error) = stream.finish() {
            if is_connection_failure(&error) {
                conn.broken();
            }
            return Err(self.error(&command, error));
        }
        match size_error {
            Some(error) => Err(error),
            None => Ok(sent),
        }
    }

    /// The server holds all `sent` bytes of the temporary file: a data connection that a
    /// middlebox ended early still gets a 226, and the short file must never be renamed into
    /// place. A retryable error, so the copy is sent again. A size the server does not tell
    /// (`None`) is trusted.
    pub(super) fn check_stored_size(
        &self,
        path: &str,
        sent: u64,
        stored: Option<u64>,
    ) -> Result<(), BackendError> {
        match stored {
            Some(stored) if stored != sent => Err(BackendError::new(
                ErrorKind::CONNECTION,
                format!(
                    "{}: {path}: the server stored {stored} of the {sent} bytes sent (the data connection ended early); not committed",
                    self.server()
                ),
            )
            .with_context("path", path)
            .retryable()),
            _ => Ok(()),
        }
    }

    /// `SIZE` of `absolute`; `None` where the server will not tell.
    fn stored_size(&self, conn: &mut Conn<C>, absolute: &str) -> Result<Option<u64>, BackendError> {
        match conn.ftp().size(absolute) {
            Ok(stored) => Ok(Some(stored as u64)),
            Err(error) if is_connection_failure(&error) => {
                Err(self.failed_on(conn, &format!("SIZE {absolute}"), error))
            }
            Err(_) => Ok(None),
        }
    }

    /// RNFR/RNTO; where the server refuses to rename over an existing file, delete it first —
    /// a file only: a directory at `to` (`path` relative to the root) is refused, never
    /// removed.
    pub(super) fn rename_over(
        &self,
        conn: &mut Conn<C>,
        from: &str,
        to: &str,
        path: &str,
    ) -> Result<(), BackendError> {
        let command = || format!("RNFR {from} / RNTO {to}");
        let first = match self.rename_pipelined(conn, from, to) {
            Ok(()) => return Ok(()),
            Err(error) if is_connection_failure(&error) => {
                return Err(self.failed_on(conn, &command(), error))
            }
            Err(first) => first,
        };
        match self.stat_on(conn, path) {
            Ok(entry) if entry.is_dir() => {
                return Err(BackendError::new(
                    ErrorKind::INVALID_INPUT,
                    format!("{path}: is a directory; not overwritten"),
                )
                .with_context("path", path))
            }
            Ok(_) => {}
            // Nothing there, or no telling: the refusal stands.
            Err(_) => return Err(self.error(&command(), first)),
        }
        if conn.ftp().rm(to).is_err() {
            return Err(self.error(&command(), first));
        }
        conn.ftp()
            .rename(from, to)
            .map_err(|e| self.error(&command(), e))
    }

    /// Best-effort removal of a temporary upload, on this connection if it still works, else on
    /// a fresh one (taken only after this one is released: the pool may hold just one).
    pub(super) fn discard(&self, mut conn: Conn<C>, temp: &str) {
        if conn.is_healthy() && conn.ftp().rm(temp).is_ok() {
            return;
        }
        conn.broken();
        drop(conn);
        if let Ok(mut fresh) = self.pool.get() {
            let _ = fresh.ftp().rm(temp);
        }
    }

    pub(super) fn rename_path(&self, from: &str, to: &str) -> Result<(), BackendError> {
        let mut conn = self.pool.get()?;
        self.mkdir_on(&mut conn, parent_and_name(to).0)?;
        let to_path = to;
        let (from, to) = (self.absolute(from), self.absolute(to));
        // A directory renamed away is no longer where it was known to be.
        self.forget_dirs(&from);
        self.rename_over(&mut conn, &from, &to, to_path)
    }

    pub(super) fn set_mtime_of(&self, path: &str, mtime_ns: i64) -> Result<(), BackendError> {
        if !self.features.mfmt {
            return Err(BackendError::unsupported(
                "setting modification times (the server has no MFMT)",
            ));
        }
        let command = format!(
            "MFMT {} {}",
            format_fact_time(mtime_ns),
            self.absolute(path)
        );
        self.run(&command, |ftp| {
            ftp.custom_command(&command, &[Status::File]).map(|_| ())
        })
    }
}
