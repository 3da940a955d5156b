//! The one place where HTTP answers and transport failures become `BackendError`s: 401 is AUTH
//! (never retried), 403 PERMISSION_DENIED, 404 NOT_FOUND, 400 on a PUT REJECTED, 5xx and 408/429
//! transient (retried), connection failures and timeouts transient. Messages name the server,
//! the method and the path; error bodies are not parsed (eXist sends none on PUT and DELETE).
//! What only the backend knows — a guest's 401, a collection in the way of a PUT — it words
//! itself before falling back to these.

use ferry_plugin_api::{BackendError, ErrorKind};

/// The error for `status` answering `method path` on `server`.
pub fn status_error(server: &str, method: &str, path: &str, status: u16) -> BackendError {
    let (kind, retryable, what) = match status {
        401 => (ErrorKind::AUTH, false, "wrong user or password".to_string()),
        403 => (
            ErrorKind::PERMISSION_DENIED,
            false,
            "permission denied".to_string(),
        ),
        404 => (ErrorKind::NOT_FOUND, false, "not found".to_string()),
        400 if method == "PUT" => (
            ErrorKind::REJECTED,
            false,
            "the server refused the document (400)".to_string(),
        ),
        408 | 429 => (
            ErrorKind::CONNECTION,
            true,
            format!("the server answered {status}"),
        ),
        500..=599 => (
            ErrorKind::CONNECTION,
            true,
            format!("server error {status}"),
        ),
        _ => (
            ErrorKind::OTHER,
            false,
            format!("the server answered {status}"),
        ),
    };
    let mut error = BackendError::new(kind, format!("eXist at {server}: {method} {path}: {what}"))
        .with_context("path", path);
    error.retryable = retryable;
    error
}

/// The error for a request that got no answer.
pub fn transport_error(
    server: &str,
    method: &str,
    path: &str,
    error: &reqwest::Error,
) -> BackendError {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    let mut detail = String::new();
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    let certificate = detail.to_ascii_lowercase().contains("certificate");
    let (kind, retryable, what) = if let Some(refusal) =
        ferry_tls_config::untrusted_message(&detail)
    {
        (ErrorKind::CONNECTION, false, refusal)
    } else if certificate {
        (
            ErrorKind::CONNECTION,
            false,
            format!("the server's certificate is not trusted ({detail}); give the CA with ca_file, or insecure = true on a network you trust"),
        )
    } else if error.is_timeout() {
        (ErrorKind::TIMEOUT, true, format!("timed out ({detail})"))
    } else if error.is_connect() {
        (
            ErrorKind::CONNECTION,
            true,
            format!("cannot connect ({detail})"),
        )
    } else {
        (ErrorKind::CONNECTION, true, detail)
    };
    let mut error = BackendError::new(kind, format!("eXist at {server}: {method} {path}: {what}"))
        .with_context("path", path);
    error.retryable = retryable;
    error
}
