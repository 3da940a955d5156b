//! The error that crosses the plugin boundary: a [`BackendError`] with an open-ended
//! [`ErrorKind`], a human message, a retryable flag and structured context.
//!
//! Plugins only classify; the host decides whether and how to retry. Error sources cannot cross
//! the ABI, so a plugin renders its error chain into `message`.

use std::fmt;

use abi_stable::{
    std_types::{RString, RVec, Tuple2},
    StableAbi,
};

/// What went wrong, as a transparent integer so kinds can be added inside an epoch. Hosts treat
/// a value they do not know as [`ErrorKind::OTHER`].
#[repr(transparent)]
#[derive(StableAbi, Copy, Clone, PartialEq, Eq, Hash)]
pub struct ErrorKind(pub u32);

impl ErrorKind {
    /// Anything not covered below.
    pub const OTHER: ErrorKind = ErrorKind(0);
    /// The path does not exist.
    pub const NOT_FOUND: ErrorKind = ErrorKind(1);
    /// The server or file system refused access to this path.
    pub const PERMISSION_DENIED: ErrorKind = ErrorKind(2);
    /// Credentials were refused (wrong user or password). Never retryable.
    pub const AUTH: ErrorKind = ErrorKind(3);
    /// The connection failed or dropped.
    pub const CONNECTION: ErrorKind = ErrorKind(4);
    /// An operation took too long.
    pub const TIMEOUT: ErrorKind = ErrorKind(5);
    /// The request itself was wrong (bad path, directory where a file was expected…).
    pub const INVALID_INPUT: ErrorKind = ErrorKind(6);
    /// The server refused the content (malformed XML, quota, 552/553 on FTP).
    pub const REJECTED: ErrorKind = ErrorKind(7);
    /// The backend does not implement this operation; see its capabilities.
    pub const UNSUPPORTED: ErrorKind = ErrorKind(8);
    /// The options given to `open` are wrong (unknown key, bad value, missing location).
    pub const INVALID_CONFIG: ErrorKind = ErrorKind(9);
    /// The plugin panicked; the panic was caught at the boundary.
    pub const PANICKED: ErrorKind = ErrorKind(10);
    /// The host asked the operation to stop (Ctrl-C).
    pub const CANCELLED: ErrorKind = ErrorKind(11);
    /// The target exists where it must not (e.g. a file where a directory is to be made).
    pub const ALREADY_EXISTS: ErrorKind = ErrorKind(12);

    /// The upper-case name used in messages, e.g. `NOT_FOUND`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::NOT_FOUND => "NOT_FOUND",
            ErrorKind::PERMISSION_DENIED => "PERMISSION_DENIED",
            ErrorKind::AUTH => "AUTH",
            ErrorKind::CONNECTION => "CONNECTION",
            ErrorKind::TIMEOUT => "TIMEOUT",
            ErrorKind::INVALID_INPUT => "INVALID_INPUT",
            ErrorKind::REJECTED => "REJECTED",
            ErrorKind::UNSUPPORTED => "UNSUPPORTED",
            ErrorKind::INVALID_CONFIG => "INVALID_CONFIG",
            ErrorKind::PANICKED => "PANICKED",
            ErrorKind::CANCELLED => "CANCELLED",
            ErrorKind::ALREADY_EXISTS => "ALREADY_EXISTS",
            _ => "OTHER",
        }
    }
}

impl fmt::Debug for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error from a backend operation.
#[repr(C)]
#[derive(StableAbi, Clone, PartialEq)]
pub struct BackendError {
    /// The classification the host acts on.
    pub kind: ErrorKind,
    /// A complete sentence for the user: names the server or path, the operation and the cause.
    /// Never contains a password.
    pub message: RString,
    /// Whether trying again (on a fresh connection) may succeed.
    pub retryable: bool,
    /// Structured details (`path`, `command`, `reply`…), shown with `-v`.
    pub context: RVec<Tuple2<RString, RString>>,
}

impl BackendError {
    /// A new, non-retryable error.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        BackendError {
            kind,
            message: RString::from(message.into()),
            retryable: false,
            context: RVec::new(),
        }
    }

    /// The answer of every operation a backend does not implement.
    pub fn unsupported(operation: &str) -> Self {
        BackendError::new(
            ErrorKind::UNSUPPORTED,
            format!("this backend does not support {operation}"),
        )
    }

    /// NOT_FOUND for `path`.
    pub fn not_found(path: &str) -> Self {
        BackendError::new(ErrorKind::NOT_FOUND, format!("{path}: not found"))
            .with_context("path", path)
    }

    /// Marks the error as retryable.
    pub fn retryable(mut self) -> Self {
        self.retryable = true;
        self
    }

    /// Adds one context pair.
    pub fn with_context(mut self, key: &str, value: impl fmt::Display) -> Self {
        self.context
            .push(Tuple2(key.into(), value.to_string().into()));
        self
    }

    /// The value of a context key, if present.
    pub fn context_value(&self, key: &str) -> Option<&str> {
        self.context
            .iter()
            .find(|Tuple2(k, _)| k.as_str() == key)
            .map(|Tuple2(_, v)| v.as_str())
    }

    /// Converts an I/O error about `path`. An `io::Error` that wraps a `BackendError` (as the
    /// [`crate::io`] adapters produce) is unwrapped unchanged, so kinds survive a round trip
    /// through `std::io::Read`.
    pub fn from_io(err: std::io::Error, path: &str) -> Self {
        use std::io::ErrorKind as Io;
        if err
            .get_ref()
            .is_some_and(|inner| inner.is::<BackendError>())
        {
            let inner = err.into_inner().expect("checked above");
            return *inner.downcast::<BackendError>().expect("checked above");
        }
        let (kind, retryable) = match err.kind() {
            Io::NotFound => (ErrorKind::NOT_FOUND, false),
            Io::PermissionDenied => (ErrorKind::PERMISSION_DENIED, false),
            Io::AlreadyExists => (ErrorKind::ALREADY_EXISTS, false),
            Io::InvalidInput | Io::InvalidData => (ErrorKind::INVALID_INPUT, false),
            Io::TimedOut | Io::WouldBlock => (ErrorKind::TIMEOUT, true),
            Io::ConnectionRefused => (ErrorKind::CONNECTION, false),
            Io::ConnectionReset
            | Io::ConnectionAborted
            | Io::NotConnected
            | Io::BrokenPipe
            | Io::UnexpectedEof
            | Io::Interrupted => (ErrorKind::CONNECTION, true),
            Io::Unsupported => (ErrorKind::UNSUPPORTED, false),
            _ => (ErrorKind::OTHER, false),
        };
        let message = if path.is_empty() {
            err.to_string()
        } else {
            format!("{path}: {err}")
        };
        let mut error = BackendError::new(kind, message);
        error.retryable = retryable;
        if !path.is_empty() {
            error = error.with_context("path", path);
        }
        error
    }

    /// Wraps this error in an `io::Error` that [`BackendError::from_io`] unwraps again.
    pub fn into_io(self) -> std::io::Error {
        std::io::Error::other(self)
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)?;
        if self.retryable {
            f.write_str(" (retryable)")?;
        }
        for Tuple2(k, v) in &self.context {
            write!(f, " [{k}={v}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for BackendError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_round_trip_keeps_the_backend_error() {
        let original = BackendError::new(ErrorKind::REJECTED, "no").retryable();
        let back = BackendError::from_io(original.clone().into_io(), "ignored");
        assert_eq!(back, original);
    }

    #[test]
    fn io_kinds_are_classified() {
        let e = BackendError::from_io(std::io::Error::from(std::io::ErrorKind::NotFound), "a/b");
        assert_eq!(e.kind, ErrorKind::NOT_FOUND);
        assert_eq!(e.context_value("path"), Some("a/b"));
        let e = BackendError::from_io(
            std::io::Error::from(std::io::ErrorKind::ConnectionReset),
            "",
        );
        assert!(e.retryable);
    }
}
