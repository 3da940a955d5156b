//! The one place where FTP failures become `BackendError`s: 530 is AUTH (never retried),
//! 421/425/426 and other 4xx are transient (retryable), as is a 1xx where a transfer's end was
//! awaited; 550 is NOT_FOUND or PERMISSION_DENIED by
//! its text, 552/553 are REJECTED, 500-504 UNSUPPORTED; dropped connections and timeouts are
//! retryable; TLS failures name the certificate problem. Messages name the server, the command
//! and the reply.

use ferry_plugin_api::{BackendError, ErrorKind};
use suppaftp::FtpError;

/// Converts `error` from `command` (e.g. `RETR /www/a.txt`) on `server`.
pub fn ftp_error(server: &str, command: &str, error: FtpError) -> BackendError {
    let (kind, retryable, detail) = match &error {
        // rustls reports a failed handshake as an I/O error on the first read or write.
        FtpError::ConnectionError(io) if io.to_string().contains("certificate") => {
            (ErrorKind::CONNECTION, false, tls_detail(&io.to_string()))
        }
        FtpError::ConnectionError(io) => match io.kind() {
            // A socket read or write timeout surfaces as EAGAIN ("Resource temporarily
            // unavailable"): say what it means.
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => (
                ErrorKind::TIMEOUT,
                true,
                "timed out: the server did not answer in time".to_string(),
            ),
            _ => (ErrorKind::CONNECTION, true, io.to_string()),
        },
        #[cfg(feature = "tls")]
        FtpError::SecureError(text) => (ErrorKind::CONNECTION, false, tls_detail(text)),
        FtpError::UnexpectedResponse(response) => {
            let code = response.status.code();
            let text = String::from_utf8_lossy(&response.body).trim().to_string();
            let lower = text.to_ascii_lowercase();
            let (kind, retryable) = match code {
                530 | 331 | 332 => (ErrorKind::AUTH, false),
                421 | 425 | 426 | 450 | 451 | 452 => (ErrorKind::CONNECTION, true),
                400..=499 => (ErrorKind::CONNECTION, true),
                550 if lower.contains("denied")
                    || lower.contains("permission")
                    || lower.contains("not allowed") =>
                {
                    (ErrorKind::PERMISSION_DENIED, false)
                }
                550 => (ErrorKind::NOT_FOUND, false),
                552 | 553 => (ErrorKind::REJECTED, false),
                // vsftpd reports a failed bind of its data socket (a passing shortage of
                // ports) as `500 OOPS: vsf_sysutil_bind`: transient, worth a fresh try.
                500 if text.contains("OOPS") && text.contains("bind") => {
                    (ErrorKind::CONNECTION, true)
                }
                500..=504 => (ErrorKind::UNSUPPORTED, false),
                // A preliminary reply where the end of a transfer is awaited: the transfer did
                // not complete. pure-ftpd answers a download whose data connection broke this
                // way: `doretr` (src/ftpd.c) adds its 226 only when the send succeeded, and the
                // rate line after it repeats the last code, the opening 150.
                100..=199 => (ErrorKind::CONNECTION, true),
                _ => (ErrorKind::OTHER, false),
            };
            let shown = if text.starts_with(&code.to_string()) {
                text
            } else {
                format!("{code} {text}")
            };
            let incomplete = if code < 200 {
                "the transfer did not complete: "
            } else {
                ""
            };
            (
                kind,
                retryable,
                format!("{incomplete}the server replied {shown}"),
            )
        }
        FtpError::BadResponse => (
            ErrorKind::CONNECTION,
            true,
            "the server sent an unreadable reply".to_string(),
        ),
        FtpError::InvalidAddress(e) => (
            ErrorKind::CONNECTION,
            true,
            format!("the server gave a bad data address: {e}"),
        ),
        FtpError::DataConnectionAlreadyOpen => (
            ErrorKind::OTHER,
            true,
            "a data connection is still open".to_string(),
        ),
    };
    let mut result = BackendError::new(kind, format!("{server}: {command}: {detail}"))
        .with_context("server", server)
        .with_context("command", command);
    result.retryable = retryable;
    result
}

/// The reply code of an FTP error, if it is a reply.
pub fn reply_code(error: &FtpError) -> Option<u32> {
    match error {
        FtpError::UnexpectedResponse(response) => Some(response.status.code()),
        _ => None,
    }
}

fn tls_detail(text: &str) -> String {
    #[cfg(feature = "tls")]
    if let Some(refusal) = ferry_tls_config::untrusted_message(text) {
        return format!("TLS: {refusal}");
    }
    if text.contains("UnknownIssuer") || text.contains("invalid peer certificate") {
        format!("TLS: the server's certificate is not trusted ({text}); give its CA with the ca_file option, or set insecure = true to skip verification")
    } else {
        format!("TLS: {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use suppaftp::{types::Response, Status};

    fn reply(status: Status, text: &str) -> FtpError {
        FtpError::UnexpectedResponse(Response::new(
            status,
            format!("{} {text}", status.code()).into_bytes(),
        ))
    }

    #[test]
    fn a_transient_vsftpd_bind_failure_is_retried() {
        let e = ftp_error(
            "h:21",
            "STOR /a",
            reply(Status::BadCommand, "OOPS: vsf_sysutil_bind"),
        );
        assert!(e.retryable && e.kind == ErrorKind::CONNECTION, "{e:?}");
        let e = ftp_error("h:21", "SITE X", reply(Status::BadCommand, "no"));
        assert!(!e.retryable, "{e:?}");
    }

    #[test]
    fn a_preliminary_reply_at_the_end_of_a_transfer_is_an_incomplete_transfer() {
        let e = ftp_error(
            "h:21",
            "RETR /big",
            reply(
                Status::AboutToSend,
                "0.002 seconds (measured here), 2043.74 Mbytes per second",
            ),
        );
        assert!(e.retryable && e.kind == ErrorKind::CONNECTION, "{e:?}");
        assert_eq!(
            e.message.as_str(),
            "h:21: RETR /big: the transfer did not complete: the server replied 150 0.002 seconds (measured here), 2043.74 Mbytes per second"
        );
    }

    #[test]
    fn codes_are_classified() {
        let e = ftp_error(
            "h:21",
            "USER bob",
            reply(Status::NotLoggedIn, "Login incorrect."),
        );
        assert_eq!((e.kind, e.retryable), (ErrorKind::AUTH, false));
        assert_eq!(
            e.message.as_str(),
            "h:21: USER bob: the server replied 530 Login incorrect."
        );
        assert!(ftp_error("h", "STOR x", reply(Status::TransferAborted, "aborted")).retryable);
        assert_eq!(
            ftp_error(
                "h",
                "RETR x",
                reply(Status::FileUnavailable, "No such file")
            )
            .kind,
            ErrorKind::NOT_FOUND
        );
        assert_eq!(
            ftp_error(
                "h",
                "RETR x",
                reply(Status::FileUnavailable, "Permission denied")
            )
            .kind,
            ErrorKind::PERMISSION_DENIED
        );
        assert_eq!(
            ftp_error("h", "STOR x", reply(Status::BadFilename, "bad name")).kind,
            ErrorKind::REJECTED
        );
        let e = ftp_error(
            "h",
            "LIST",
            FtpError::ConnectionError(std::io::ErrorKind::ConnectionReset.into()),
        );
        assert_eq!((e.kind, e.retryable), (ErrorKind::CONNECTION, true));
    }
}
