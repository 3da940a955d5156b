//! Maps `std::io::Error` to `BackendError`, naming the path as the user sees it (relative to the
//! backend's root). The one place where the local backend classifies errors.

use std::io;

use ferry_plugin_api::BackendError;

/// Converts an I/O error about `path` (relative to the root).
pub(crate) fn io_error(err: io::Error, path: &str) -> BackendError {
    let shown = if path.is_empty() {
        "root directory"
    } else {
        path
    };
    BackendError::from_io(err, shown)
}
