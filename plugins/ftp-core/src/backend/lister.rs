//! Listing and stat: MLSD or `LIST -a` after a `CWD`, LIST dates moved to UTC with the offsets
//! [`crate::clock`] learns, MLST or a listing of the parent for one entry, and the directories a
//! listing proved to exist (so uploads below them create none).

use std::sync::atomic::Ordering;

use ferry_plugin_api::{BackendError, Entry, EntryKind, ErrorKind, Listing};
use suppaftp::{FtpError, FtpResult, Mode, Status};

use super::{
    is_connection_failure, is_epsv_refusal, join, parent_and_name, unix_now, FtpBackend, NS,
};

use crate::{
    clock::{self, Offsets},
    error::reply_code,
    listing::{parse_fact_time, parse_list_line, parse_mlsd_line},
    pool::Conn,
    session::Connector,
};

impl<C: Connector> FtpBackend<C> {
    /// Parses a listing of `dir`; LIST dates are moved back by `list_offset` seconds to UTC.
    pub(super) fn parse_listing(
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

    /// A directory a listing proved is listed with `MLSD path`; any other (the root, a path
    /// the host named) first with `CWD`, whose refusal tells a file or nothing from a
    /// directory — servers differ in what MLSD of a file answers.
    pub(super) fn list_on(&self, conn: &mut Conn<C>, dir: &str) -> Result<Listing, FtpError> {
        let absolute = self.absolute(dir);
        if self.features.mlsd {
            let lines = if self.is_known_dir(&absolute) {
                conn.ftp().mlsd(Some(&absolute))?
            } else {
                conn.ftp().cwd(&absolute)?;
                conn.ftp().mlsd(None)?
            };
            return Ok(self.parse_listing(dir, lines, true, 0));
        }
        conn.ftp().cwd(&absolute)?;
        let offsets = self.offsets(conn, dir)?;
        let lines = conn.ftp().list(Some("-a"))?;
        Ok(self.parse_listing(dir, lines, false, offsets.list))
    }

    /// The offsets learned so far (none yet: UTC).
    pub(super) fn learned(&self) -> Offsets {
        self.clock.lock().expect("clock").unwrap_or_default()
    }

    /// The server's offsets from UTC, learned on first need from a probe in `dir` (where `conn`
    /// is). A broken connection is an error (the caller retries, the offsets are learned
    /// later); any other failure is logged once and the times are read as UTC.
    pub(super) fn offsets(&self, conn: &mut Conn<C>, dir: &str) -> FtpResult<Offsets> {
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
    pub(super) fn probe_clock(
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
    pub(super) fn read_probe(
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
    pub(super) fn mdtm(
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

    /// `path`'s entry from `MLST` (the server must offer it): a refusal is NOT_FOUND. The root's
    /// `cdir`/`pdir` facts read as a directory.
    pub(super) fn mlst_on(&self, conn: &mut Conn<C>, path: &str) -> Result<Entry, BackendError> {
        let reply = conn.ftp().mlst(Some(&self.absolute(path)));
        self.mlst_entry(conn, path, reply)
    }

    /// The entry of `path` from the fact line of its `MLST` reply.
    pub(super) fn mlst_entry(
        &self,
        conn: &mut Conn<C>,
        path: &str,
        reply: Result<String, FtpError>,
    ) -> Result<Entry, BackendError> {
        let absolute = self.absolute(path);
        let (_, name) = parent_and_name(path);
        match reply {
            Ok(line) => match parse_mlsd_line(&line) {
                Ok(Some(mut entry)) => {
                    entry.name = name.into();
                    Ok(entry)
                }
                Ok(None) if path.is_empty() => Ok(Entry::directory("")),
                _ => Err(BackendError::new(
                    ErrorKind::OTHER,
                    format!(
                        "{}: MLST {absolute}: unreadable reply {line:?}",
                        self.server()
                    ),
                )),
            },
            Err(e) if reply_code(&e) == Some(550) => Err(BackendError::not_found(path)),
            Err(e) => Err(self.failed_on(conn, &format!("MLST {absolute}"), e)),
        }
    }

    pub(super) fn stat_on(&self, conn: &mut Conn<C>, path: &str) -> Result<Entry, BackendError> {
        let absolute = self.absolute(path);
        if path.is_empty() {
            return match conn.ftp().cwd(&absolute) {
                Ok(()) => Ok(Entry::directory("")),
                Err(e) => Err(self.failed_on(conn, &format!("CWD {absolute}"), e)),
            };
        }
        let (parent, name) = parent_and_name(path);
        if self.features.mlst {
            return self.mlst_on(conn, path);
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
            Err(e) => Err(self.failed_on(conn, &format!("LIST {}", self.absolute(parent)), e)),
        }
    }

    /// Notes the directories a listing proves to exist (the listed one and its
    /// subdirectories), so that an upload below them sends no MKD for them.
    pub(super) fn remember_dirs(&self, dir: &str, listing: &Listing) {
        let mut known = self.known_dirs.lock().expect("dirs");
        known.insert(self.absolute(dir));
        for entry in listing.entries.iter() {
            if entry.kind == EntryKind::DIRECTORY {
                known.insert(self.absolute(&join(dir, &entry.name)));
            }
        }
    }

    /// Did a listing prove `absolute` a directory (and nothing removed it since)?
    pub(super) fn is_known_dir(&self, absolute: &str) -> bool {
        self.known_dirs.lock().expect("dirs").contains(absolute)
    }

    /// Forgets `absolute` and everything below it (removed or renamed away).
    pub(super) fn forget_dirs(&self, absolute: &str) {
        let below = format!("{absolute}/");
        self.known_dirs
            .lock()
            .expect("dirs")
            .retain(|d| d != absolute && !d.starts_with(&below));
    }

    pub(super) fn list_dir(&self, dir: &str) -> Result<Listing, BackendError> {
        let absolute = self.absolute(dir);
        let mut conn = self.pool.get()?;
        match self.list_on(&mut conn, dir) {
            Ok(listing) => {
                self.remember_dirs(dir, &listing);
                Ok(listing)
            }
            Err(error) if reply_code(&error) == Some(550) => {
                // CWD or MLSD refused: a file, or nothing at all.
                self.forget_dirs(&absolute);
                let stat = if dir.is_empty() && self.features.mlst {
                    // The root is stat'ed with CWD, which just failed: pure-ftpd pauses each
                    // further failed CWD in a row 100 ms longer (src/ftpd.c, docwd:
                    // `usleep2(cwd_failures * DIRSCAN_FAILURE_DELAY)`), which a sync to a new
                    // remote directory paid on every run. MLST answers without the pause.
                    self.mlst_on(&mut conn, dir)
                } else {
                    self.stat_on(&mut conn, dir)
                };
                match stat {
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
}

/// (year, month, day) of a Unix time in seconds.
fn civil_date(secs: i64) -> (i64, i64, i64) {
    let (year, month, day, ..) =
        ferry_plugin_api::time::civil_from_ns(secs.saturating_mul(1_000_000_000));
    (year, month, day)
}
