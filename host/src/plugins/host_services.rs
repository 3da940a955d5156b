//! The `Host` object every plugin receives at `open`: plugin log messages go to stderr through
//! the host's verbosity filter, and the process-wide cancellation flag (set on Ctrl-C) is visible
//! to long-running plugin operations.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use abi_stable::{
    sabi_trait::TD_Opaque,
    std_types::{ROption, RStr},
};
use ferry_plugin_api::{Host, HostBox, Host_TO, LogLevel, RawExtension};

static CANCELLED: AtomicBool = AtomicBool::new(false);
static VERBOSITY: AtomicU8 = AtomicU8::new(0);

/// Asks every running operation to stop (Ctrl-C).
pub fn cancel() {
    CANCELLED.store(true, Ordering::SeqCst);
}

/// Has the run been cancelled?
pub fn is_cancelled() -> bool {
    CANCELLED.load(Ordering::SeqCst)
}

/// Sets how much plugin logging reaches stderr: 0 shows errors and warnings, 1 adds info, 2 debug.
pub fn set_verbosity(level: u8) {
    VERBOSITY.store(level, Ordering::SeqCst);
}

/// A host message shown with `-v` (a retry, a detail of the run's progress).
pub fn info(message: &str) {
    if VERBOSITY.load(Ordering::Relaxed) >= 1 {
        eprintln!("ferry: info: {message}");
    }
}

/// A host debug message, shown with `-vv`.
pub fn debug(message: &str) {
    if VERBOSITY.load(Ordering::Relaxed) >= 2 {
        eprintln!("ferry: debug: {message}");
    }
}

/// A host warning, always shown (stderr), for things the user should know that are not errors.
pub fn warn(message: &str) {
    eprintln!("ferry: warning: {message}");
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
        let shown = match level {
            LogLevel::ERROR | LogLevel::WARN => true,
            LogLevel::INFO => VERBOSITY.load(Ordering::Relaxed) >= 1,
            _ => VERBOSITY.load(Ordering::Relaxed) >= 2,
        };
        if shown {
            let label = match level {
                LogLevel::ERROR => "error",
                LogLevel::WARN => "warning",
                LogLevel::INFO => "info",
                _ => "debug",
            };
            eprintln!("ferry: {label}: [{}] {}", self.plugin, message);
        }
    }

    fn is_cancelled(&self) -> bool {
        is_cancelled()
    }

    fn extension(&self, _name: RStr<'_>) -> ROption<RawExtension> {
        ROption::RNone
    }
}
