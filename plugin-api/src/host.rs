//! The `Host` object handed to every plugin at `open`: logging into the host's output and
//! cancellation (Ctrl-C), plus its own extension lookup so that host services can grow inside an
//! epoch.

use abi_stable::{
    sabi_trait,
    std_types::{RBox, ROption, RStr},
    StableAbi,
};

use crate::RawExtension;

/// Severity of a log message, as a transparent integer.
#[repr(transparent)]
#[derive(StableAbi, Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct LogLevel(pub u32);

impl LogLevel {
    /// Something failed.
    pub const ERROR: LogLevel = LogLevel(1);
    /// Something the user should know (e.g. TLS verification is off).
    pub const WARN: LogLevel = LogLevel(2);
    /// Progress worth telling with `-v`.
    pub const INFO: LogLevel = LogLevel(3);
    /// Details for debugging (protocol commands, without secrets).
    pub const DEBUG: LogLevel = LogLevel(4);
}

/// Services the host offers to plugins.
#[sabi_trait]
pub trait Host: Send + Sync {
    /// Writes a message to the host's log (stderr, filtered by `-v`).
    fn log(&self, level: LogLevel, message: RStr<'_>);

    /// True once the user asked the run to stop; long operations should check it and return a
    /// CANCELLED error.
    fn is_cancelled(&self) -> bool;

    /// Looks up a named host extension module.
    #[sabi(last_prefix_field)]
    fn extension(&self, name: RStr<'_>) -> ROption<RawExtension>;
}

/// A [`Host`] trait object.
pub type HostBox = Host_TO<'static, RBox<()>>;
