//! The `Host` object every plugin receives at `open`, and the host's own log. Messages go to
//! stderr through the verbosity filter — `-v` info, `-vv` the host's debug lines (each path's
//! decision), `-vvv` the plugins' debug lines (backend traffic: FTP commands and replies, HTTP
//! requests) — and, with `--log-file`, to that file at `--log-level`, with a timestamp. The
//! process-wide cancellation flag (set on Ctrl-C) is visible to long-running plugin operations.

use std::{
    io::Write,
    sync::{
        atomic::{AtomicBool, AtomicU8, Ordering},
        Mutex,
    },
};

use abi_stable::{
    sabi_trait::TD_Opaque,
    std_types::{ROption, RStr},
};
use ferry_plugin_api::{Host, HostBox, Host_TO, LogLevel, RawExtension};

static CANCELLED: AtomicBool = AtomicBool::new(false);
static VERBOSITY: AtomicU8 = AtomicU8::new(0);
static LOG_FILE: Mutex<Option<(std::fs::File, u8)>> = Mutex::new(None);

/// How detailed a message is: 0 error, 1 warning, 2 info, 3 the host's debug (decisions), 4
/// plugins' debug (backend traffic). `-v` shows up to 2, `-vv` 3, `-vvv` 4.
const ERROR: u8 = 0;
const WARNING: u8 = 1;
const INFO: u8 = 2;
const DEBUG: u8 = 3;
const TRACE: u8 = 4;

/// `--log-level`'s names of the levels above.
pub const LOG_LEVELS: &[&str] = &["error", "warn", "info", "debug", "trace"];

/// Sends every message up to `level` (an index of [`LOG_LEVELS`]) to `file` as well, whatever
/// the verbosity.
pub fn set_log_file(file: std::fs::File, level: u8) {
    *LOG_FILE.lock().expect("log file") = Some((file, level));
}

/// Shows `message` (at `level`, from `source`) where the settings say.
fn emit(level: u8, source: Option<&str>, message: &str) {
    let label = ["error", "warning", "info", "debug", "debug"][level as usize];
    let line = match source {
        Some(source) => format!("ferry: {label}: [{source}] {message}"),
        None => format!("ferry: {label}: {message}"),
    };
    let verbosity = VERBOSITY.load(Ordering::Relaxed);
    if level <= WARNING || verbosity + 1 >= level {
        eprintln!("{line}");
    }
    if let Some((file, limit)) = LOG_FILE.lock().expect("log file").as_mut() {
        if level <= *limit {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as i64);
            let (y, mo, d, h, mi, sec) = ferry_plugin_api::time::civil_from_ns(now);
            let millis = (now / 1_000_000).rem_euclid(1000);
            let _ = writeln!(
                file,
                "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{sec:02}.{millis:03}Z {}",
                line.trim_start_matches("ferry: ")
            );
        }
    }
}

/// Asks every running operation to stop (Ctrl-C).
pub fn cancel() {
    CANCELLED.store(true, Ordering::SeqCst);
}

/// Has the run been cancelled?
pub fn is_cancelled() -> bool {
    CANCELLED.load(Ordering::SeqCst)
}

/// Sets how much logging reaches stderr (the count of `-v`): 0 errors and warnings, 1 adds
/// info, 2 the host's debug lines, 3 the plugins' too.
pub fn set_verbosity(level: u8) {
    VERBOSITY.store(level, Ordering::SeqCst);
}

/// A host message shown with `-v` (a retry, a detail of the run's progress).
pub fn info(message: &str) {
    emit(INFO, None, message);
}

/// A host debug message (why a path is copied, kept, deleted or a conflict), shown with `-vv`.
pub fn debug(message: &str) {
    emit(DEBUG, None, message);
}

/// Does a debug message reach anyone? (Spares building many of them for nobody.)
pub fn debug_enabled() -> bool {
    VERBOSITY.load(Ordering::Relaxed) >= 2
        || LOG_FILE
            .lock()
            .expect("log file")
            .as_ref()
            .is_some_and(|(_, limit)| *limit >= DEBUG)
}

/// A host warning, always shown (stderr), for things the user should know that are not errors.
pub fn warn(message: &str) {
    emit(WARNING, None, message);
}

/// The host services handed to one plugin instance.
#[derive(Clone, Debug)]
pub struct HostServices {
    plugin: String,
}

impl HostServices {
    /// Services for the named plugin, as the trait object plugins receive.
    pub fn for_plugin(plugin: &str) -> HostBox {
        Host_TO::from_value(
            HostServices {
                plugin: plugin.to_string(),
            },
            TD_Opaque,
        )
    }
}

impl Host for HostServices {
    fn log(&self, level: LogLevel, message: RStr<'_>) {
        let level = match level {
            LogLevel::ERROR => ERROR,
            LogLevel::WARN => WARNING,
            LogLevel::INFO => INFO,
            _ => TRACE,
        };
        emit(level, Some(&self.plugin), message.as_str());
    }

    fn is_cancelled(&self) -> bool {
        is_cancelled()
    }

    fn extension(&self, _name: RStr<'_>) -> ROption<RawExtension> {
        ROption::RNone
    }
}
