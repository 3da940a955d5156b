//! Deletions: `DELE` of a file (a missing one is already deleted) and `RMD` of a directory,
//! emptied first with a hidden-aware listing when recursive.

use ferry_plugin_api::{author::BackendImpl, BackendError, EntryKind, ErrorKind};

use super::{is_connection_failure, join, FtpBackend};

use crate::{error::reply_code, session::Connector};

impl<C: Connector> FtpBackend<C> {
    pub(super) fn delete_file(&self, path: &str) -> Result<(), BackendError> {
        let absolute = self.absolute(path);
        let mut conn = self.pool.get()?;
        match conn.ftp().rm(&absolute) {
            Ok(()) => Ok(()),
            Err(error) if reply_code(&error) == Some(550) => match self.stat_on(&mut conn, path) {
                Err(e) if e.kind == ErrorKind::NOT_FOUND => Ok(()),
                Ok(entry) if entry.is_dir() => Err(BackendError::new(
                    ErrorKind::INVALID_INPUT,
                    format!("{path}: is a directory; not deleted"),
                )
                .with_context("path", path)),
                _ => Err(self.error(&format!("DELE {absolute}"), error)),
            },
            Err(error) => {
                if is_connection_failure(&error) {
                    conn.broken();
                }
                Err(self.error(&format!("DELE {absolute}"), error))
            }
        }
    }

    pub(super) fn remove_dir(&self, path: &str, recursive: bool) -> Result<(), BackendError> {
        let entry = match self.stat(path) {
            Err(e) if e.kind == ErrorKind::NOT_FOUND => return Ok(()),
            other => other?,
        };
        if !entry.is_dir() {
            return Err(BackendError::new(
                ErrorKind::INVALID_INPUT,
                format!("{path}: not a directory"),
            )
            .with_context("path", path));
        }
        if recursive {
            // The listing is hidden-aware (MLSD or LIST -a), so RMD does not fail on dot files.
            for child in self.list_dir(path)?.entries {
                let child_path = join(path, &child.name);
                if child.kind == EntryKind::DIRECTORY {
                    self.remove_dir(&child_path, true)?;
                } else {
                    self.delete_file(&child_path)?;
                }
            }
        }
        let absolute = self.absolute(path);
        let result = self.run(&format!("RMD {absolute}"), |ftp| ftp.rmdir(&absolute));
        self.forget_dirs(&absolute);
        match result {
            Err(error)
                if !recursive && self.list_dir(path).is_ok_and(|l| !l.entries.is_empty()) =>
            {
                Err(BackendError::new(
                    ErrorKind::INVALID_INPUT,
                    format!("{path}: directory not empty ({})", error.message),
                )
                .with_context("path", path))
            }
            other => other,
        }
    }
}
