//! Options of the `exist` plugin and its target URLs: `exist://host:port/db/path` (HTTP),
//! `exist+https://host/db/path`, or with `--backend exist` a plain `http(s)://host/exist/rest/db/path`.
//! Paths below the REST base are database paths; `/db` is put in front when missing.

use std::{fmt, path::PathBuf};

use ferry_plugin_api::{
    location::Location,
    options::{self, OptionDoc},
    BackendError, ErrorKind, OptionKind, OptionSpec,
};
use serde::{Deserialize, Serialize};

/// The options, as ferry hands them over (TOML); also the source of the option table
/// ([`option_specs`]).
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExistConfig {
    /// The target URL.
    pub location: String,
    /// User for Basic authentication; none = eXist's guest (read-only).
    #[serde(default)]
    pub user: Option<String>,
    /// Password (eXist's admin has an empty one on a fresh install).
    #[serde(default)]
    pub password: Option<String>,
    /// The REST base below the server root.
    #[serde(default = "default_rest_base")]
    pub rest_base: String,
    /// Seconds before connecting or waiting for an answer gives up.
    #[serde(default = "default_timeout")]
    pub timeout: u64,
    /// HTTP connections kept open (ferry sets it to --jobs).
    #[serde(default = "default_connections")]
    pub connections: usize,
    /// PEM certificate authorities to trust instead of the system's (HTTPS).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Trust exactly the certificate with this SHA-256 fingerprint (HTTPS).
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// Do not verify the server's certificate (HTTPS).
    #[serde(default)]
    pub insecure: bool,
}

fn default_rest_base() -> String {
    "/exist/rest".to_string()
}

fn default_timeout() -> u64 {
    60
}

fn default_connections() -> usize {
    4
}

impl fmt::Debug for ExistConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExistConfig")
            .field("location", &self.location)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("rest_base", &self.rest_base)
            .finish_non_exhaustive()
    }
}

/// The option schema: keys, required ones and defaults from [`ExistConfig`] itself.
pub fn option_specs() -> Vec<OptionSpec> {
    options::specs::<ExistConfig>(&[
        OptionDoc::new("location", OptionKind::STRING, "The target URL (set by ferry from the target)."),
        OptionDoc::new("user", OptionKind::STRING, "User for Basic authentication (sent with every request); default the URL's, else eXist's guest."),
        OptionDoc::new("password", OptionKind::STRING, "Password; default the URL's, $FERRY_PASSWORD, the remote's password_command or ~/.netrc.").secret(),
        OptionDoc::new("rest_base", OptionKind::STRING, "The REST interface below the server root."),
        OptionDoc::new("timeout", OptionKind::DURATION_SECS, "Seconds before connecting or waiting for an answer gives up."),
        OptionDoc::new("connections", OptionKind::INTEGER, "HTTP connections kept open (parallel transfers); ferry sets it to --jobs."),
        OptionDoc::new("ca_file", OptionKind::PATH, "PEM file of certificate authorities to trust instead of the system's (HTTPS)."),
        OptionDoc::new("fingerprint", OptionKind::STRING, "Trust exactly the server certificate with this SHA-256 fingerprint (sha256:AB:CD:…), e.g. a self-signed one (HTTPS)."),
        OptionDoc::new("insecure", OptionKind::BOOL, "Do not verify the server's certificate (HTTPS; warned about on every run)."),
    ])
}

fn config_error(message: String) -> BackendError {
    BackendError::new(ErrorKind::INVALID_CONFIG, message)
}

/// A parsed target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `http://host:port` or `https://…`.
    pub origin: String,
    /// `host:port`, for messages.
    pub server: String,
    /// The user from the URL.
    pub user: Option<String>,
    /// The password from the URL.
    pub password: Option<String>,
    /// Decoded segments of the database path, starting with `db`.
    pub root: Vec<String>,
}

impl Endpoint {
    /// Parses the target URL with the REST base `rest_base`.
    pub fn parse(url: &str, rest_base: &str) -> Result<Self, BackendError> {
        let location = Location::parse(url)?;
        let shown = ferry_plugin_api::location::redact(url);
        let (http_scheme, default_port, path_includes_base) = match location.scheme.as_str() {
            "exist" => ("http", 8080, false),
            "exist+https" => ("https", 8443, false),
            "http" => ("http", 80, true),
            "https" => ("https", 443, true),
            other => {
                return Err(config_error(format!(
                    "`{shown}`: unknown scheme `{other}` (exist://, exist+https://)"
                )))
            }
        };
        let server = location.server(default_port);
        let (user, password) = (location.user.clone(), location.password.clone());
        let mut path = location.path();
        if path_includes_base {
            let base = rest_base.trim_end_matches('/');
            path = match path.strip_prefix(base) {
                Some(below) if below.is_empty() || below.starts_with('/') => below.to_string(),
                _ => {
                    return Err(config_error(format!(
                        "`{shown}`: the path does not start with the REST base `{base}` (set the rest_base option)"
                    )))
                }
            };
        }
        let mut root: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        if root.first().map(String::as_str) != Some("db") {
            root.insert(0, "db".to_string());
        }
        Ok(Endpoint {
            origin: format!("{http_scheme}://{server}"),
            server,
            user,
            password,
            root,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declared_options_are_the_parsed_ones() {
        ferry_plugin_api::options::check_specs::<ExistConfig>(&option_specs()).unwrap();
    }

    #[test]
    fn url_forms() {
        let e = Endpoint::parse(
            "exist://admin@127.0.0.1:8080/db/my%20reports/",
            "/exist/rest",
        )
        .unwrap();
        assert_eq!(e.origin, "http://127.0.0.1:8080");
        assert_eq!(e.root, ["db", "my reports"]);
        assert_eq!(e.user.as_deref(), Some("admin"));
        let e = Endpoint::parse("exist+https://h/reports", "/exist/rest").unwrap();
        assert_eq!(
            (e.origin.as_str(), e.root.clone()),
            (
                "https://h:8443",
                vec!["db".to_string(), "reports".to_string()]
            )
        );
        let e = Endpoint::parse("https://h/exist/rest/db/r", "/exist/rest").unwrap();
        assert_eq!(
            (e.origin.as_str(), e.root.clone()),
            ("https://h:443", vec!["db".to_string(), "r".to_string()])
        );
        assert!(Endpoint::parse("https://h/other/db/r", "/exist/rest").is_err());
        assert!(Endpoint::parse("exist://h/db/../x", "/exist/rest").is_err());
        assert!(Endpoint::parse("ftp://h/db", "/exist/rest").is_err());
    }
}
