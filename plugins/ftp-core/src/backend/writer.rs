//! Uploads and the other changes that put something in place: `STOR` to a temporary name, the
//! size checked with `SIZE`, `RNFR`/`RNTO` over the old file, `MFMT`, then the entry read back;
//! directories created with `MKD` where no listing proved them; renames; modification times.

use std::io::Read;

use ferry_plugin_api::{
    io::{copy_exact, CopyError},
    BackendError, Entry, ErrorKind,
};
use suppaftp::{FtpError, Status};

use super::{is_connection_failure, join, parent_and_name, FtpBackend};

use crate::{listing::format_fact_time, pool::Conn, session::Connector, transfer::StallGuard};

impl<C: Connector> FtpBackend<C> {
    pub(super) fn write_file(
        &self,
        path: &str,
        source: &mut dyn Read,
        size: Option<u64>,
        mtime_ns: Option<i64>,
    ) -> Result<Entry, BackendError> {
        let mut conn = self.pool.get()?;
        if self.features.mlst || self.features.mlsd {
            if let Ok(entry) = self.stat_on(&mut conn, path) {
                if entry.is_dir() {
                    return Err(BackendError::new(
                        ErrorKind::INVALID_INPUT,
                        format!("{path}: is a directory; not overwritten"),
                    )
                    .with_context("path", path));
                }
            }
        }
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
        let temp = self.absolute(&join(parent, &ferry_plugin_api::temp_name::temp_name(name)));
        let target = self.absolute(path);
        let stored = self.store(&mut conn, &temp, path, source, size);
        if let Err(error) = stored {
            self.discard(conn, &temp);
            return Err(error);
        }
        if let Err(error) = self.rename_over(&mut conn, &temp, &target) {
            self.discard(conn, &temp);
            return Err(error);
        }
        if let (Some(ns), true) = (mtime_ns, self.features.mfmt) {
            let command = format!("MFMT {} {target}", format_fact_time(ns));
            if let Err(error) = conn.ftp().custom_command(&command, &[Status::File]) {
                return Err(self.error(&command, error));
            }
        }
        self.stat_on(&mut conn, path)
    }

    pub(super) fn store(
        &self,
        conn: &mut Conn<C>,
        temp: &str,
        path: &str,
        source: &mut dyn Read,
        size: Option<u64>,
    ) -> Result<(), BackendError> {
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
        let copied = copy_exact(source, &mut guarded, size, path);
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
        if let Some(error) = size_error {
            return Err(error);
        }
        self.check_stored_size(conn, temp, path, sent)
    }

    /// The server holds all `sent` bytes of the temporary file: a data connection that a
    /// middlebox ended early still gets a 226, and the short file must never be renamed into
    /// place. A retryable error, so the copy is sent again. Servers without SIZE are trusted.
    pub(super) fn check_stored_size(
        &self,
        conn: &mut Conn<C>,
        temp: &str,
        path: &str,
        sent: u64,
    ) -> Result<(), BackendError> {
        match conn.ftp().size(temp) {
            Ok(stored) if stored as u64 != sent => Err(BackendError::new(
                ErrorKind::CONNECTION,
                format!(
                    "{}: {path}: the server stored {stored} of the {sent} bytes sent (the data connection ended early); not committed",
                    self.server()
                ),
            )
            .with_context("path", path)
            .retryable()),
            Ok(_) => Ok(()),
            Err(error) if is_connection_failure(&error) => {
                conn.broken();
                Err(self.error(&format!("SIZE {temp}"), error))
            }
            Err(_) => Ok(()),
        }
    }

    /// RNFR/RNTO; where the server refuses to rename over an existing file, delete it first.
    pub(super) fn rename_over(
        &self,
        conn: &mut Conn<C>,
        from: &str,
        to: &str,
    ) -> Result<(), BackendError> {
        match conn.ftp().rename(from, to) {
            Ok(()) => Ok(()),
            Err(error) if is_connection_failure(&error) => {
                conn.broken();
                Err(self.error(&format!("RNFR {from} / RNTO {to}"), error))
            }
            Err(first) => {
                if conn.ftp().rm(to).is_err() {
                    return Err(self.error(&format!("RNFR {from} / RNTO {to}"), first));
                }
                conn.ftp()
                    .rename(from, to)
                    .map_err(|e| self.error(&format!("RNFR {from} / RNTO {to}"), e))
            }
        }
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
        let (from, to) = (self.absolute(from), self.absolute(to));
        // A directory renamed away is no longer where it was known to be.
        self.forget_dirs(&from);
        self.rename_over(&mut conn, &from, &to)
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
