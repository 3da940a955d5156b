//! The FTP backend over a connection pool: every `BackendImpl` operation in FTP commands, one
//! file per concern:
//!
//! - this file: the backend itself, opening it (connect, log in, FEAT) and the command runner
//!   that retries on a fresh connection;
//! - [`lister`] lists and stats (MLSD, `LIST -a`, MLST, the LIST clock offsets);
//! - [`reader`] downloads;
//! - [`writer`] uploads to a temporary name committed by rename, and creates directories,
//!   renames and sets modification times;
//! - [`deleter`] deletes files and (recursively) directories.
//!
//! Paths are absolute on the server (`root` + relative path). Uploads go to a temporary name
//! (`ferry_plugin_api::temp_name`), get their time, are read back with MLST (size checked,
//! the entry kept: a rename changes neither) and are renamed into place (deleting the old file
//! first where the server refuses to rename over it, never a directory). Without MLST the size
//! comes from SIZE and the entry from a listing of the parent after the rename. Either way the
//! baseline stores the server's own version in the same form the next listing will show.

mod deleter;
mod lister;
mod reader;
mod writer;

use std::{
    collections::HashSet,
    io::Read,
    sync::{atomic::Ordering, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

use ferry_plugin_api::{
    author::BackendImpl, BackendError, Capabilities, Entry, HostBox, Listing, LogLevel,
};
use suppaftp::{FtpError, FtpResult, ImplFtpStream, Mode};

use crate::{
    clock::Offsets,
    config::{FtpConfig, FtpUrl},
    error::{ftp_error, reply_code},
    pool::{Conn, Pool},
    session::{self, Connector, Features, Settings},
};

/// One FTP server and root directory.
pub struct FtpBackend<C: Connector> {
    pool: Pool<C>,
    features: Features,
    known_dirs: Mutex<HashSet<String>>,
    /// The server's offsets from UTC, once learned (servers without MLSD only).
    clock: Mutex<Option<Offsets>>,
    host: std::sync::Arc<HostBox>,
}

const NS: i64 = 1_000_000_000;

/// Seconds since the epoch by ferry's clock.
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn parent_and_name(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

/// Is this failure a dead or desynchronised connection (so a fresh one may succeed)?
fn is_connection_failure(error: &FtpError) -> bool {
    #[cfg(feature = "tls")]
    if matches!(error, FtpError::SecureError(_)) {
        return true;
    }
    matches!(error, FtpError::ConnectionError(_) | FtpError::BadResponse)
        || matches!(reply_code(error), Some(421))
}

fn is_epsv_refusal(error: &FtpError) -> bool {
    match error {
        FtpError::UnexpectedResponse(response) => {
            matches!(response.status.code(), 500 | 501 | 502 | 504)
                && String::from_utf8_lossy(&response.body)
                    .to_ascii_uppercase()
                    .contains("EPSV")
        }
        _ => false,
    }
}

impl<C: Connector> FtpBackend<C> {
    /// Connects once (so a wrong password or an unreachable server fails here, before any
    /// transfer), reads FEAT, and keeps the connection in the pool.
    pub fn open(
        config: FtpConfig,
        url: FtpUrl,
        connector: C,
        host: HostBox,
    ) -> Result<Self, BackendError> {
        let host = std::sync::Arc::new(host);
        crate::traffic::forward_to(&host);
        if config.insecure {
            host.log(
                LogLevel::WARN,
                format!(
                    "{}: TLS certificate verification is OFF (insecure = true)",
                    url.server()
                )
                .as_str()
                .into(),
            );
        }
        if url.password.is_some() {
            host.log(LogLevel::WARN, "a password in the URL can be seen by other users of this machine; prefer $FERRY_PASSWORD, password_command or ~/.netrc".into());
        }
        let settings = Settings {
            server: url.server(),
            user: config.user(&url),
            password: config.password(&url),
            timeout: config.timeout(),
            active: config.active,
            latin1: config.encoding.to_ascii_lowercase().starts_with("latin")
                || config.encoding.eq_ignore_ascii_case("iso-8859-1"),
            epsv: true.into(),
            utf8_refused: false.into(),
            url,
        };
        let pool = Pool::new(connector, settings, config.connections);
        let features = Self::read_features(&pool)?;
        Ok(FtpBackend {
            pool,
            features,
            known_dirs: Mutex::new(HashSet::new()),
            clock: Mutex::new(None),
            host,
        })
    }

    /// FEAT on a pooled connection; a connection that breaks during it is dropped and FEAT
    /// asked once more on a fresh one.
    fn read_features(pool: &Pool<C>) -> Result<session::Features, BackendError> {
        let mut attempt = 0;
        loop {
            let mut conn = pool.get()?;
            match session::features(conn.ftp()) {
                Ok(features) => return Ok(features),
                Err(error) => {
                    conn.broken();
                    attempt += 1;
                    if attempt >= 2 {
                        return Err(ftp_error(&pool.settings().server, "FEAT", error));
                    }
                }
            }
        }
    }

    fn server(&self) -> &str {
        &self.pool.settings().server
    }

    fn absolute(&self, path: &str) -> String {
        let root = &self.pool.settings().url.root;
        match (root.as_str(), path) {
            (root, "") => root.to_string(),
            ("/", path) => format!("/{path}"),
            (root, path) => format!("{root}/{path}"),
        }
    }

    fn error(&self, command: &str, error: FtpError) -> BackendError {
        ftp_error(self.server(), command, error)
    }

    /// [`Self::error`] for a command that failed on `conn`, which is marked broken first when
    /// the failure was the connection's (so the pool does not lend it again).
    fn failed_on(&self, conn: &mut Conn<C>, command: &str, error: FtpError) -> BackendError {
        if is_connection_failure(&error) {
            conn.broken();
        }
        self.error(command, error)
    }

    /// Runs `op` on a pooled connection; a dead connection is replaced and the operation tried
    /// once more, and a refused EPSV switches the pool to PASV.
    fn run<T>(
        &self,
        command: &str,
        op: impl Fn(&mut ImplFtpStream<C::Stream>) -> FtpResult<T>,
    ) -> Result<T, BackendError> {
        let mut attempt = 0;
        loop {
            let mut conn = self.pool.get()?;
            match op(conn.ftp()) {
                Ok(value) => return Ok(value),
                Err(error) if is_epsv_refusal(&error) && attempt == 0 => {
                    self.pool.settings().epsv.store(false, Ordering::Relaxed);
                    conn.ftp().set_mode(Mode::Passive);
                }
                Err(error) if is_connection_failure(&error) && attempt == 0 => conn.broken(),
                Err(error) => {
                    if is_connection_failure(&error) {
                        conn.broken();
                    }
                    return Err(self.error(command, error));
                }
            }
            attempt += 1;
        }
    }

    fn log_info(&self, message: &str) {
        self.host.log(LogLevel::INFO, message.into());
    }
}

impl<C: Connector> BackendImpl for FtpBackend<C> {
    fn capabilities(&self) -> Capabilities {
        if self.features.mfmt {
            crate::CAPABILITIES
        } else {
            Capabilities(crate::CAPABILITIES.0 & !Capabilities::SET_MTIME.0)
        }
    }

    fn list(&self, dir: &str) -> Result<Listing, BackendError> {
        self.list_dir(dir)
    }

    fn stat(&self, path: &str) -> Result<Entry, BackendError> {
        let mut conn = self.pool.get()?;
        self.stat_on(&mut conn, path)
    }

    fn open_read(&self, path: &str, offset: u64) -> Result<Box<dyn Read + Send>, BackendError> {
        self.open_download(path, offset)
    }

    fn write(
        &self,
        path: &str,
        source: &mut dyn Read,
        size: Option<u64>,
        mtime_ns: Option<i64>,
    ) -> Result<Entry, BackendError> {
        self.write_file(path, source, size, mtime_ns)
    }

    fn delete(&self, path: &str) -> Result<(), BackendError> {
        self.delete_file(path)
    }

    fn mkdir(&self, path: &str) -> Result<(), BackendError> {
        let mut conn = self.pool.get()?;
        self.mkdir_on(&mut conn, path)
    }

    fn rmdir(&self, path: &str, recursive: bool) -> Result<(), BackendError> {
        self.remove_dir(path, recursive)
    }

    fn rename(&self, from: &str, to: &str) -> Result<(), BackendError> {
        self.rename_path(from, to)
    }

    fn set_mtime(&self, path: &str, mtime_ns: i64) -> Result<(), BackendError> {
        self.set_mtime_of(path, mtime_ns)
    }

    fn close(&self) -> Result<(), BackendError> {
        self.pool.close();
        Ok(())
    }
}

impl<C: Connector> Drop for FtpBackend<C> {
    fn drop(&mut self) {
        self.pool.close();
    }
}
