//! The FTP backend over a connection pool: every `BackendImpl` operation in FTP commands.
//!
//! Paths are absolute on the server (`root` + relative path). Listings `CWD` into the directory
//! first, then use MLSD where advertised, else `LIST -a` (so hidden files are not missed).
//! Uploads go to a temporary name (`ferry_plugin_api::temp_name`), are checked against the
//! server's SIZE, and are renamed into place (deleting the old file first where the server
//! refuses to rename over it); the entry is then read back with MLST or by listing the parent,
//! so the baseline stores the server's own version in the same form the next listing will show.
//! On a server without MLSD, LIST and MDTM times are converted to UTC with the offsets
//! [`crate::clock`] learns, and a file's stat takes its time from MDTM, to the second.

use std::{
    collections::HashSet,
    io::Read,
    sync::{atomic::Ordering, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

use ferry_plugin_api::{
    author::BackendImpl,
    io::{copy_exact, CopyError},
    BackendError, Capabilities, Entry, EntryKind, ErrorKind, HostBox, Listing, LogLevel,
};
use suppaftp::{FtpError, FtpResult, ImplFtpStream, Mode, Status};

use crate::{
    clock::{self, Offsets},
    config::{FtpConfig, FtpUrl},
    error::{ftp_error, reply_code},
    listing::{format_fact_time, parse_fact_time, parse_list_line, parse_mlsd_line},
    pool::{Conn, Pool},
    session::{self, Connector, Features, Settings},
    transfer::{Download, StallGuard},
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

    /// Parses a listing of `dir`; LIST dates are moved back by `list_offset` seconds to UTC.
    fn parse_listing(
        &self,
        dir: &str,
        lines: Vec<String>,
        mlsd: bool,
        list_offset: i64,
    ) -> Listing {
        let mut listing = Listing::default();
        let (year, month, day) = civil_date(unix_now() + list_offset);
        for line in lines {
            let parsed = if mlsd {
                parse_mlsd_line(&line)
            } else {
                parse_list_line(&line, year, (month, day)).map(|entry| {
                    entry.map(|mut entry| {
                        if let Some(ns) = entry.mtime_ns.into_option() {
                            entry.mtime_ns = Some(ns - list_offset * NS).into();
                        }
                        entry
                    })
                })
            };
            let shown_dir = if dir.is_empty() { "." } else { dir };
            match parsed {
                Ok(None) => {}
                Ok(Some(entry)) => match Entry::validate_name(&entry.name) {
                    Ok(()) => listing.entries.push(entry),
                    Err(why) => listing.problems.push(
                        BackendError::new(
                            ErrorKind::INVALID_INPUT,
                            format!(
                                "{}: refused an entry of `{shown_dir}` named {:?}: {why}",
                                self.server(),
                                entry.name.as_str()
                            ),
                        )
                        .with_context("path", shown_dir),
                    ),
                },
                Err(why) => listing.problems.push(
                    BackendError::new(
                        ErrorKind::INVALID_INPUT,
                        format!("{}: listing of `{shown_dir}`: {why}", self.server()),
                    )
                    .with_context("path", shown_dir),
                ),
            }
        }
        listing
    }

    fn list_on(&self, conn: &mut Conn<C>, dir: &str) -> Result<Listing, FtpError> {
        conn.ftp().cwd(self.absolute(dir))?;
        if self.features.mlsd {
            let lines = conn.ftp().mlsd(None)?;
            return Ok(self.parse_listing(dir, lines, true, 0));
        }
        let offsets = self.offsets(conn, dir)?;
        let lines = conn.ftp().list(Some("-a"))?;
        Ok(self.parse_listing(dir, lines, false, offsets.list))
    }

    /// The offsets learned so far (none yet: UTC).
    fn learned(&self) -> Offsets {
        self.clock.lock().expect("clock").unwrap_or_default()
    }

    /// The server's offsets from UTC, learned on first need from a probe in `dir` (where `conn`
    /// is). A broken connection is an error (the caller retries, the offsets are learned
    /// later); any other failure is logged once and the times are read as UTC.
    fn offsets(&self, conn: &mut Conn<C>, dir: &str) -> FtpResult<Offsets> {
        let mut clock = self.clock.lock().expect("clock");
        if let Some(offsets) = *clock {
            return Ok(offsets);
        }
        let offsets = match self.probe_clock(conn, dir) {
            Ok(offsets) => {
                let mdtm = if self.features.mdtm {
                    format!(", MDTM {}", Offsets::describe(offsets.mdtm))
                } else {
                    String::new()
                };
                self.log_info(&format!(
                    "{}: no MLSD; LIST shows {}{mdtm} (learned from a probe file); times are converted to UTC",
                    self.server(),
                    Offsets::describe(offsets.list)
                ));
                offsets
            }
            Err(Ok(why)) => {
                self.log_info(&format!(
                    "{}: no MLSD, and the server's time zone could not be learned ({why}); its times are read as UTC",
                    self.server()
                ));
                Offsets::default()
            }
            Err(Err(broken)) => return Err(broken),
        };
        *clock = Some(offsets);
        Ok(offsets)
    }

    /// Writes, reads back and removes a probe file in `dir`. `Err(Ok(why))`: no offsets to be
    /// had; `Err(Err(e))`: the connection broke.
    fn probe_clock(
        &self,
        conn: &mut Conn<C>,
        dir: &str,
    ) -> Result<Offsets, Result<String, FtpError>> {
        let name = ferry_plugin_api::temp_name::temp_name("ferry-clock-probe");
        let path = self.absolute(&join(dir, &name));
        let failed = |command: String, error: FtpError| {
            if is_connection_failure(&error) {
                Err(error)
            } else {
                Ok(format!(
                    "{command}: {}",
                    self.error(&command, error).message
                ))
            }
        };
        let before = unix_now();
        if let Err(error) = conn.ftp().put_file(&path, &mut &b"ferry clock probe\n"[..]) {
            return Err(failed(format!("STOR {path}"), error));
        }
        let after = unix_now();
        let result = self.read_probe(conn, &path, &name, (before, after));
        // A probe left behind (a broken connection) has a temporary name a later run removes.
        let _ = conn.ftp().rm(&path);
        result.map_err(|(command, error)| match error {
            Some(error) => failed(command, error),
            None => Ok(command),
        })
    }

    /// The offsets the probe at `path` shows. `Err((why, error))`.
    fn read_probe(
        &self,
        conn: &mut Conn<C>,
        path: &str,
        name: &str,
        (before, after): (i64, i64),
    ) -> Result<Offsets, (String, Option<FtpError>)> {
        let lines = conn
            .ftp()
            .list(Some("-a"))
            .map_err(|e| ("LIST -a".to_string(), Some(e)))?;
        let (year, month, day) = civil_date(unix_now());
        let listed = lines
            .iter()
            .filter_map(|line| parse_list_line(line, year, (month, day)).ok().flatten())
            .find(|entry| entry.name.as_str() == name)
            .ok_or_else(|| ("the probe file is not in the listing".to_string(), None))?;
        let shown = listed
            .mtime_ns
            .into_option()
            .ok_or_else(|| ("the probe file's listing has no date".to_string(), None))?;
        let list = clock::learn(before, after, shown, listed.mtime_precision_ns)
            .map_err(|why| (format!("LIST: {why}"), None))?;
        let mdtm = if self.features.mdtm {
            let (ns, precision) = self.mdtm(conn, path)?;
            clock::learn(before, after, ns, precision)
                .map_err(|why| (format!("MDTM: {why}"), None))?
        } else {
            list
        };
        Ok(Offsets { list, mdtm })
    }

    /// MDTM of `absolute`, as the server shows it: (ns, precision).
    fn mdtm(
        &self,
        conn: &mut Conn<C>,
        absolute: &str,
    ) -> Result<(i64, u64), (String, Option<FtpError>)> {
        let command = format!("MDTM {absolute}");
        let reply = conn
            .ftp()
            .custom_command(&command, &[Status::File])
            .map_err(|e| (command.clone(), Some(e)))?;
        let text = String::from_utf8_lossy(&reply.body);
        let value = text.trim().trim_start_matches("213").trim();
        parse_fact_time(value)
            .ok_or_else(|| (format!("{command}: unreadable reply {text:?}"), None))
    }

    fn log_info(&self, message: &str) {
        self.host.log(LogLevel::INFO, message.into());
    }

    fn stat_on(&self, conn: &mut Conn<C>, path: &str) -> Result<Entry, BackendError> {
        let absolute = self.absolute(path);
        if path.is_empty() {
            return match conn.ftp().cwd(&absolute) {
                Ok(()) => Ok(Entry::directory("")),
                Err(e) => Err(self.error(&format!("CWD {absolute}"), e)),
            };
        }
        let (parent, name) = parent_and_name(path);
        if self.features.mlst {
            return match conn.ftp().mlst(Some(&absolute)) {
                Ok(line) => match parse_mlsd_line(&line) {
                    Ok(Some(mut entry)) => {
                        entry.name = name.into();
                        Ok(entry)
                    }
                    _ => Err(BackendError::new(
                        ErrorKind::OTHER,
                        format!(
                            "{}: MLST {absolute}: unreadable reply {line:?}",
                            self.server()
                        ),
                    )),
                },
                Err(e) if reply_code(&e) == Some(550) => Err(BackendError::not_found(path)),
                Err(e) => Err(self.error(&format!("MLST {absolute}"), e)),
            };
        }
        match self.list_on(conn, parent) {
            Ok(listing) => {
                let mut entry = listing
                    .entries
                    .into_iter()
                    .find(|e| e.name.as_str() == name)
                    .ok_or_else(|| BackendError::not_found(path))?;
                // The listing's date is a minute at best: MDTM gives the second, so a version
                // ferry records can later be told from an edit made in the same minute.
                if entry.kind == EntryKind::FILE && self.features.mdtm {
                    if let Ok((ns, _)) = self.mdtm(conn, &absolute) {
                        entry = entry.with_mtime(ns - self.learned().mdtm * NS, NS as u64);
                    }
                }
                Ok(entry)
            }
            Err(e) if reply_code(&e) == Some(550) => Err(BackendError::not_found(path)),
            Err(e) => Err(self.error(&format!("LIST {}", self.absolute(parent)), e)),
        }
    }

    /// Notes the directories a listing proves to exist (the listed one and its
    /// subdirectories), so that an upload below them sends no MKD for them.
    fn remember_dirs(&self, dir: &str, listing: &Listing) {
        let mut known = self.known_dirs.lock().expect("dirs");
        known.insert(self.absolute(dir));
        for entry in listing.entries.iter() {
            if entry.kind == EntryKind::DIRECTORY {
                known.insert(self.absolute(&join(dir, &entry.name)));
            }
        }
    }

    /// Forgets `absolute` and everything below it (removed or renamed away).
    fn forget_dirs(&self, absolute: &str) {
        let below = format!("{absolute}/");
        self.known_dirs
            .lock()
            .expect("dirs")
            .retain(|d| d != absolute && !d.starts_with(&below));
    }

    fn mkdir_on(&self, conn: &mut Conn<C>, path: &str) -> Result<(), BackendError> {
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

    fn upload(
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

    fn store(
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
    fn check_stored_size(
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
    fn rename_over(&self, conn: &mut Conn<C>, from: &str, to: &str) -> Result<(), BackendError> {
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
    fn discard(&self, mut conn: Conn<C>, temp: &str) {
        if conn.is_healthy() && conn.ftp().rm(temp).is_ok() {
            return;
        }
        conn.broken();
        drop(conn);
        if let Ok(mut fresh) = self.pool.get() {
            let _ = fresh.ftp().rm(temp);
        }
    }
}

/// (year, month, day) of a Unix time in seconds.
fn civil_date(secs: i64) -> (i64, i64, i64) {
    let (year, month, day, ..) =
        ferry_plugin_api::time::civil_from_ns(secs.saturating_mul(1_000_000_000));
    (year, month, day)
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
        let absolute = self.absolute(dir);
        let mut conn = self.pool.get()?;
        match self.list_on(&mut conn, dir) {
            Ok(listing) => {
                self.remember_dirs(dir, &listing);
                Ok(listing)
            }
            Err(error) if reply_code(&error) == Some(550) => {
                // CWD refused: a file, or nothing at all.
                match self.stat_on(&mut conn, dir) {
                    Ok(entry) if !entry.is_dir() => Err(BackendError::new(
                        ErrorKind::INVALID_INPUT,
                        format!("{dir}: not a directory"),
                    )
                    .with_context("path", dir)),
                    Err(e) if e.kind == ErrorKind::NOT_FOUND => {
                        Err(BackendError::not_found(if dir.is_empty() {
                            &absolute
                        } else {
                            dir
                        }))
                    }
                    _ => Err(self.error(&format!("CWD {absolute}"), error)),
                }
            }
            Err(error) => {
                let retry = is_connection_failure(&error) || is_epsv_refusal(&error);
                if is_epsv_refusal(&error) {
                    self.pool.settings().epsv.store(false, Ordering::Relaxed);
                    conn.ftp().set_mode(Mode::Passive);
                } else {
                    conn.broken();
                }
                drop(conn);
                if !retry {
                    return Err(self.error(&format!("list {absolute}"), error));
                }
                let mut conn = self.pool.get()?;
                self.list_on(&mut conn, dir).map_err(|e| {
                    conn.broken();
                    self.error(&format!("list {absolute}"), e)
                })
            }
        }
    }

    fn stat(&self, path: &str) -> Result<Entry, BackendError> {
        let mut conn = self.pool.get()?;
        self.stat_on(&mut conn, path)
    }

    fn open_read(&self, path: &str, offset: u64) -> Result<Box<dyn Read + Send>, BackendError> {
        let absolute = self.absolute(path);
        let command = format!("RETR {absolute}");
        let mut attempt = 0;
        loop {
            let mut conn = self.pool.get()?;
            let ftp = conn.ftp();
            let opened = if offset > 0 {
                ftp.resume_transfer(offset as usize)
                    .and_then(|_| ftp.retr_as_stream(&absolute))
            } else {
                ftp.retr_as_stream(&absolute)
            };
            match opened {
                Ok(stream) => {
                    return Ok(Box::new(Download::new(
                        stream,
                        conn,
                        self.server().to_string(),
                        command,
                    )))
                }
                Err(error) if attempt == 0 && is_epsv_refusal(&error) => {
                    self.pool.settings().epsv.store(false, Ordering::Relaxed);
                    conn.ftp().set_mode(Mode::Passive);
                }
                Err(error) if attempt == 0 && is_connection_failure(&error) => conn.broken(),
                Err(error) => {
                    let error = self.error(&command, error);
                    return Err(if error.kind == ErrorKind::NOT_FOUND {
                        BackendError::not_found(path)
                    } else {
                        error
                    });
                }
            }
            attempt += 1;
        }
    }

    fn write(
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

    fn delete(&self, path: &str) -> Result<(), BackendError> {
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

    fn mkdir(&self, path: &str) -> Result<(), BackendError> {
        let mut conn = self.pool.get()?;
        self.mkdir_on(&mut conn, path)
    }

    fn rmdir(&self, path: &str, recursive: bool) -> Result<(), BackendError> {
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
            for child in self.list(path)?.entries {
                let child_path = join(path, &child.name);
                if child.kind == EntryKind::DIRECTORY {
                    self.rmdir(&child_path, true)?;
                } else {
                    self.delete(&child_path)?;
                }
            }
        }
        let absolute = self.absolute(path);
        let result = self.run(&format!("RMD {absolute}"), |ftp| ftp.rmdir(&absolute));
        self.forget_dirs(&absolute);
        match result {
            Err(error) if !recursive && self.list(path).is_ok_and(|l| !l.entries.is_empty()) => {
                Err(BackendError::new(
                    ErrorKind::INVALID_INPUT,
                    format!("{path}: directory not empty ({})", error.message),
                )
                .with_context("path", path))
            }
            other => other,
        }
    }

    fn rename(&self, from: &str, to: &str) -> Result<(), BackendError> {
        let mut conn = self.pool.get()?;
        self.mkdir_on(&mut conn, parent_and_name(to).0)?;
        let (from, to) = (self.absolute(from), self.absolute(to));
        // A directory renamed away is no longer where it was known to be.
        self.forget_dirs(&from);
        self.rename_over(&mut conn, &from, &to)
    }

    fn set_mtime(&self, path: &str, mtime_ns: i64) -> Result<(), BackendError> {
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
