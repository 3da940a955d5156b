//! The FTP backends' options and target URLs: `ftp://[user[:password]@]host[:port]/path`,
//! `ftps://…` (explicit TLS, AUTH TLS) and `ftps+implicit://…` (TLS from the first byte,
//! port 990 by default). User, password and path are percent-decoded. The path is the root
//! directory of the sync, taken from the server's root (`ftp://h/www` → `/www`).

use std::{fmt, path::PathBuf, time::Duration};

use ferry_plugin_api::{
    location::Location,
    options::{self, OptionDoc},
    BackendError, ErrorKind, OptionKind, OptionSpec,
};
use serde::{Deserialize, Serialize};

/// How the control connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// Plain FTP.
    Plain,
    /// `AUTH TLS` after connecting.
    ExplicitTls,
    /// TLS from the first byte.
    ImplicitTls,
}

/// Options of the ftp and ftps backends, from the TOML table the host passes to `open`; also
/// the source of their option table ([`option_specs`]).
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FtpConfig {
    /// The target URL.
    pub location: String,
    /// User name (overrides the URL's).
    #[serde(default)]
    pub user: Option<String>,
    /// Password (overrides the URL's).
    #[serde(default)]
    pub password: Option<String>,
    /// Control connections kept open at most.
    #[serde(default = "default_connections")]
    pub connections: usize,
    /// Active mode (the server connects back) instead of passive.
    #[serde(default)]
    pub active: bool,
    /// Encoding of file names: `utf-8` or `latin-1`.
    #[serde(default = "default_encoding")]
    pub encoding: String,
    /// Seconds before connecting or waiting for a reply gives up.
    #[serde(default = "default_timeout")]
    pub timeout: u64,
    /// PEM file of certificate authorities to trust instead of the system's (FTPS).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Trust exactly the certificate with this SHA-256 fingerprint (FTPS).
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// Skip certificate verification (FTPS; insecure, warned about).
    #[serde(default)]
    pub insecure: bool,
    /// Allow TLS 1.3 (FTPS; see the ftps plugin for why TLS 1.2 is the default).
    #[serde(default)]
    pub tls13: bool,
}

fn default_connections() -> usize {
    4
}

fn default_encoding() -> String {
    "utf-8".to_string()
}

fn default_timeout() -> u64 {
    30
}

impl fmt::Debug for FtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FtpConfig")
            .field("location", &redacted(&self.location))
            .field("user", &self.user)
            .field("connections", &self.connections)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// The option schema shared by both plugins; `tls` adds the FTPS options.
pub fn option_specs(tls: bool) -> Vec<OptionSpec> {
    // Which keys exist, which are required and their defaults come from `FtpConfig` itself.
    let mut specs = options::specs::<FtpConfig>(&[
        OptionDoc::new("location", OptionKind::STRING, "The target URL (set by ferry from the target)."),
        OptionDoc::new("user", OptionKind::STRING, "User name; default the URL's, else `anonymous`."),
        OptionDoc::new("password", OptionKind::STRING, "Password; default the URL's, $FERRY_PASSWORD, the remote's password_command or ~/.netrc.").secret(),
        OptionDoc::new("connections", OptionKind::INTEGER, "Control connections kept open at most (parallel transfers); ferry sets it to --jobs."),
        OptionDoc::new("active", OptionKind::BOOL, "Active mode: the server connects back to ferry (--ftp-active)."),
        OptionDoc::new("encoding", OptionKind::STRING, "Encoding of file names on the server: utf-8 or latin-1."),
        OptionDoc::new("timeout", OptionKind::DURATION_SECS, "Seconds before connecting or waiting for a reply gives up."),
        OptionDoc::new("ca_file", OptionKind::PATH, "PEM file of certificate authorities to trust instead of the system's."),
        OptionDoc::new("fingerprint", OptionKind::STRING, "Trust exactly the server certificate with this SHA-256 fingerprint (sha256:AB:CD:…), e.g. a self-signed one."),
        OptionDoc::new("insecure", OptionKind::BOOL, "Do not verify the server's certificate (warned about on every run)."),
        OptionDoc::new("tls13", OptionKind::BOOL, "Allow TLS 1.3. Off by default: data connections must resume the control connection's session, which TLS 1.3's single-use tickets break on servers such as vsftpd."),
    ]);
    if !tls {
        // Plain FTP parses these only to refuse them with a reason.
        specs.retain(|s| !TLS_ONLY.contains(&s.name.as_str()));
    }
    specs
}

/// The options only FTPS takes.
const TLS_ONLY: [&str; 4] = ["ca_file", "fingerprint", "insecure", "tls13"];

/// A parsed target URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FtpUrl {
    /// Plain, explicit or implicit TLS.
    pub security: Security,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// User from the URL.
    pub user: Option<String>,
    /// Password from the URL.
    pub password: Option<String>,
    /// The root directory: absolute, no trailing slash except for `/` itself.
    pub root: String,
}

fn config_error(message: String) -> BackendError {
    BackendError::new(ErrorKind::INVALID_CONFIG, message)
}

impl FtpUrl {
    /// Parses `ftp://…`, `ftps://…` or `ftps+implicit://…`.
    pub fn parse(url: &str) -> Result<Self, BackendError> {
        let location = Location::parse(url)?;
        let shown = redacted(url);
        let security = match location.scheme.as_str() {
            "ftp" => Security::Plain,
            "ftps" => Security::ExplicitTls,
            "ftps+implicit" => Security::ImplicitTls,
            other => return Err(config_error(format!("`{shown}`: unknown scheme `{other}`"))),
        };
        let default_port = if security == Security::ImplicitTls {
            990
        } else {
            21
        };
        Ok(FtpUrl {
            security,
            port: location.port.unwrap_or(default_port),
            root: location.path(),
            host: location.host,
            user: location.user,
            password: location.password,
        })
    }

    /// `host:port` for messages.
    pub fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl FtpConfig {
    /// Parses and validates the options; `tls` says whether this plugin speaks FTPS.
    pub fn parse(options_toml: &str, tls: bool) -> Result<(Self, FtpUrl), BackendError> {
        let config: FtpConfig = ferry_plugin_api::options::parse("ftp", options_toml)?;
        let url = FtpUrl::parse(&config.location)?;
        match (tls, url.security) {
            (false, Security::Plain) | (true, Security::ExplicitTls | Security::ImplicitTls) => {}
            (false, _) => return Err(config_error("this is the plain ftp plugin; ftps:// URLs need the ftps plugin".into())),
            (true, Security::Plain) => return Err(config_error("this is the ftps plugin; use ftps:// or ftps+implicit://, or the ftp plugin for ftp://".into())),
        }
        if !tls
            && (config.ca_file.is_some()
                || config.fingerprint.is_some()
                || config.insecure
                || config.tls13)
        {
            return Err(config_error(
                "ca_file, fingerprint, insecure and tls13 are FTPS options; plain FTP has no TLS"
                    .into(),
            ));
        }
        if !matches!(
            config.encoding.to_ascii_lowercase().as_str(),
            "utf-8" | "utf8" | "latin-1" | "latin1" | "iso-8859-1"
        ) {
            return Err(config_error(format!(
                "unknown encoding `{}` (utf-8 or latin-1)",
                config.encoding
            )));
        }
        if config.connections == 0 {
            return Err(config_error("connections must be at least 1".into()));
        }
        Ok((config, url))
    }

    /// The user to log in as.
    pub fn user(&self, url: &FtpUrl) -> String {
        self.user
            .clone()
            .or_else(|| url.user.clone())
            .unwrap_or_else(|| "anonymous".to_string())
    }

    /// The password to log in with.
    pub fn password(&self, url: &FtpUrl) -> String {
        self.password
            .clone()
            .or_else(|| url.password.clone())
            .unwrap_or_else(|| "ferry@".to_string())
    }

    /// The connect and reply timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout.max(1))
    }
}

/// The URL without its password.
pub fn redacted(url: &str) -> String {
    ferry_plugin_api::location::redact(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declared_options_are_the_parsed_ones() {
        use ferry_plugin_api::options::{check_specs, field_names};
        check_specs::<FtpConfig>(&option_specs(true)).unwrap();
        // Plain FTP parses the TLS options only to refuse them with a reason.
        let plain: Vec<String> = option_specs(false)
            .iter()
            .map(|s| s.name.to_string())
            .collect();
        let refused: Vec<&str> = field_names::<FtpConfig>()
            .iter()
            .copied()
            .filter(|f| !plain.iter().any(|p| p == f))
            .collect();
        assert_eq!(refused, TLS_ONLY);
    }

    #[test]
    fn urls() {
        let url = FtpUrl::parse("ftp://bob:s%40cret@example.org:2121/www/my%20site/").unwrap();
        assert_eq!(url.security, Security::Plain);
        assert_eq!((url.host.as_str(), url.port), ("example.org", 2121));
        assert_eq!(
            (url.user.as_deref(), url.password.as_deref()),
            (Some("bob"), Some("s@cret"))
        );
        assert_eq!(url.root, "/www/my site");
        let url = FtpUrl::parse("ftps+implicit://[::1]").unwrap();
        assert_eq!(
            (url.security, url.host.as_str(), url.port, url.root.as_str()),
            (Security::ImplicitTls, "::1", 990, "/")
        );
        assert_eq!(FtpUrl::parse("ftps://h/").unwrap().port, 21);
        assert!(FtpUrl::parse("ftp://h:x/").is_err());
        assert!(FtpUrl::parse("ftp:///x").is_err());
        assert!(FtpUrl::parse("ftp://h/a/../b").is_err());
    }

    #[test]
    fn config_rules_and_secrets() {
        let (config, url) = FtpConfig::parse("location = \"ftp://u:pw@h/x\"", false).unwrap();
        assert_eq!(
            (config.user(&url), config.password(&url)),
            ("u".to_string(), "pw".to_string())
        );
        assert!(!format!("{config:?}").contains("pw"), "{config:?}");
        assert!(FtpConfig::parse("location = \"ftps://h/\"", false).is_err());
        assert!(FtpConfig::parse("location = \"ftp://h/\"", true).is_err());
        assert!(FtpConfig::parse("location = \"ftp://h/\"\nca_file = \"/x\"", false).is_err());
        let error = FtpConfig::parse("location = \"ftp://h/\"\nbogus = 1", false).unwrap_err();
        assert!(
            error.message.contains("unknown field `bogus`"),
            "{}",
            error.message
        );
        assert_eq!(redacted("ftp://u:pw@h/x"), "ftp://u@h/x");
    }
}
