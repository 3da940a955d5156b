//! The one place where SSH and SFTP failures become `BackendError`s. SFTP status codes map by
//! meaning (NO_SUCH_FILE → NOT_FOUND, PERMISSION_DENIED, OP_UNSUPPORTED → UNSUPPORTED,
//! CONNECTION_LOST → CONNECTION); a failed channel, socket or timeout is retryable on a new
//! connection; authentication and host-key refusals never are. Messages name the server, the
//! operation and the path, and the server's own words.

use ferry_plugin_api::{BackendError, ErrorKind};

use crate::protocol::status;

fn error(kind: ErrorKind, retryable: bool, server: &str, detail: String) -> BackendError {
    let mut result =
        BackendError::new(kind, format!("{server}: {detail}")).with_context("server", server);
    result.retryable = retryable;
    result
}

/// An SFTP status reply `code` with the server's `message` to operation `op` on `path`.
pub fn status(server: &str, op: &str, path: &str, code: u32, message: &str) -> BackendError {
    let (kind, retryable, meaning) = match code {
        status::EOF => (ErrorKind::OTHER, false, "unexpected end of file"),
        status::NO_SUCH_FILE => (ErrorKind::NOT_FOUND, false, "no such file or directory"),
        status::PERMISSION_DENIED => (ErrorKind::PERMISSION_DENIED, false, "permission denied"),
        status::BAD_MESSAGE => (ErrorKind::OTHER, false, "the server did not understand"),
        status::NO_CONNECTION | status::CONNECTION_LOST => {
            (ErrorKind::CONNECTION, true, "the connection was lost")
        }
        status::OP_UNSUPPORTED => (ErrorKind::UNSUPPORTED, false, "not supported by the server"),
        _ => (ErrorKind::OTHER, false, "failed"),
    };
    let said = message.trim();
    let detail = if said.is_empty() || said.eq_ignore_ascii_case(meaning) {
        format!("{op} {path}: {meaning}")
    } else {
        format!("{op} {path}: {meaning} (the server said: {said})")
    };
    error(kind, retryable, server, detail).with_context("path", path)
}

/// The channel or socket failed while talking to the server.
pub fn io(e: std::io::Error, server: &str) -> BackendError {
    match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => error(
            ErrorKind::TIMEOUT,
            true,
            server,
            "timed out: the server did not answer in time".into(),
        ),
        std::io::ErrorKind::UnexpectedEof => error(
            ErrorKind::CONNECTION,
            true,
            server,
            "the server closed the connection".into(),
        ),
        _ => error(
            ErrorKind::CONNECTION,
            true,
            server,
            format!("connection failed: {e}"),
        ),
    }
}

/// libssh2 failed at `what` (connecting, the handshake, opening a channel).
pub fn ssh(e: ssh2::Error, server: &str, what: &str) -> BackendError {
    // libssh2's codes (include/libssh2.h): -9 timeout, -18/-19 authentication.
    let (kind, retryable) = match e.code() {
        ssh2::ErrorCode::Session(-9) => (ErrorKind::TIMEOUT, true),
        ssh2::ErrorCode::Session(-18 | -19) => (ErrorKind::AUTH, false),
        _ => (ErrorKind::CONNECTION, true),
    };
    error(kind, retryable, server, format!("{what}: {}", e.message()))
}

/// The server broke the SFTP protocol.
pub fn protocol(server: &str, what: &str) -> BackendError {
    error(
        ErrorKind::CONNECTION,
        true,
        server,
        format!("SFTP protocol error: {what}"),
    )
}

/// The login was refused; `tried` says with what.
pub fn auth(server: &str, user: &str, tried: &str) -> BackendError {
    error(
        ErrorKind::AUTH,
        false,
        server,
        format!("the server refused the login of `{user}` ({tried})"),
    )
}

/// The host key could not be accepted.
pub fn host_key(server: &str, detail: String) -> BackendError {
    error(ErrorKind::CONNECTION, false, server, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_by_meaning_and_keep_the_server_s_words() {
        let e = status(
            "h:22",
            "OPEN",
            "a/b.txt",
            status::NO_SUCH_FILE,
            "No such file",
        );
        assert_eq!(e.kind, ErrorKind::NOT_FOUND);
        assert_eq!(
            e.message,
            "h:22: OPEN a/b.txt: no such file or directory (the server said: No such file)"
        );
        let e = status(
            "h:22",
            "REMOVE",
            "x",
            status::PERMISSION_DENIED,
            "Permission denied",
        );
        assert_eq!(e.kind, ErrorKind::PERMISSION_DENIED);
        assert_eq!(e.message, "h:22: REMOVE x: permission denied");
        let e = status("h:22", "WRITE", "x", status::CONNECTION_LOST, "");
        assert!(e.retryable && e.kind == ErrorKind::CONNECTION);
        assert!(!status("h", "MKDIR", "x", status::FAILURE, "").retryable);
        let e = io(std::io::ErrorKind::TimedOut.into(), "h:22");
        assert!(e.retryable && e.kind == ErrorKind::TIMEOUT, "{e:?}");
    }
}
