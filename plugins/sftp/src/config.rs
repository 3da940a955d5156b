//! The sftp backend's options and target URL, resolved into the [`Settings`] a connection uses.
//!
//! `sftp://[user[:password]@]host[:port]/path`: port 22 by default; the path is relative to the
//! login directory (`sftp://h/site` is `~/site`), unless it starts with `//`
//! (`sftp://h//srv/www` is `/srv/www`) — how rclone, curl and OpenSSH's `sftp host:path` read
//! it. A host that is a `Host` alias of `~/.ssh/config` takes its HostName, User, Port and
//! IdentityFile from there, as `ssh alias` would; what the URL or the options say wins.

use std::{fmt, path::PathBuf, time::Duration};

use ferry_plugin_api::{location::Location, BackendError, ErrorKind};
use serde::{Deserialize, Serialize};

use crate::ssh_config::{self, HostConfig};

/// The default SSH port.
pub const DEFAULT_PORT: u16 = 22;

/// Options of the sftp backend, from the TOML table the host passes to `open`; also the source
/// of its option table.
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SftpConfig {
    /// The target URL.
    pub location: String,
    /// Login name (overrides the URL's and ~/.ssh/config's).
    #[serde(default)]
    pub user: Option<String>,
    /// Password for password authentication; also tried as the passphrase of an encrypted key
    /// file when `passphrase` is not set.
    #[serde(default)]
    pub password: Option<String>,
    /// Passphrase of the key files.
    #[serde(default)]
    pub passphrase: Option<String>,
    /// A private key file to log in with, before ~/.ssh/config's IdentityFile and the defaults.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Ask the ssh-agent at `$SSH_AUTH_SOCK` for keys.
    #[serde(default = "default_true")]
    pub agent: bool,
    /// The known_hosts file host keys are checked against (and new ones recorded in).
    #[serde(default)]
    pub known_hosts: Option<PathBuf>,
    /// `yes`: refuse a host whose key is not in known_hosts; `accept-new`: record it and go on.
    /// A changed key is refused either way.
    #[serde(default = "default_strict")]
    pub strict_host_key_checking: String,
    /// The OpenSSH client configuration read for Host aliases; `none` reads none.
    #[serde(default)]
    pub ssh_config: Option<PathBuf>,
    /// SSH connections kept open at most (ferry sets it from --jobs).
    #[serde(default = "default_connections")]
    pub connections: usize,
    /// The ciphers to offer, in order of preference (OpenSSH's `Ciphers`, comma-separated).
    #[serde(default = "default_ciphers")]
    pub ciphers: String,
    /// Seconds before connecting or waiting for the server gives up.
    #[serde(default = "default_timeout")]
    pub timeout: u64,
}

fn default_true() -> bool {
    true
}

fn default_strict() -> String {
    "yes".to_string()
}

fn default_connections() -> usize {
    4
}

/// The AEAD ciphers first: with AES-NI they leave the CPU to the data.
fn default_ciphers() -> String {
    "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr".to_string()
}

fn default_timeout() -> u64 {
    30
}

impl fmt::Debug for SftpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |s: &Option<String>| s.as_ref().map(|_| "***");
        f.debug_struct("SftpConfig")
            .field(
                "location",
                &ferry_plugin_api::location::redact(&self.location),
            )
            .field("user", &self.user)
            .field("password", &hidden(&self.password))
            .field("passphrase", &hidden(&self.passphrase))
            .field("key_file", &self.key_file)
            .field("agent", &self.agent)
            .field("known_hosts", &self.known_hosts)
            .field("strict_host_key_checking", &self.strict_host_key_checking)
            .field("ssh_config", &self.ssh_config)
            .field("connections", &self.connections)
            .field("ciphers", &self.ciphers)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Everything a connection needs, resolved once at `open`.
#[derive(Clone)]
pub struct Settings {
    /// The target as messages show it (`sftp://user@host:port/path`, no password).
    pub shown: String,
    /// The host to connect to (after ~/.ssh/config's HostName).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The login name.
    pub user: String,
    /// The root directory on the server: relative to the login directory, or absolute.
    pub root: String,
    /// Key files to try, in order (only those that exist are tried).
    pub identity_files: Vec<PathBuf>,
    /// The key file the options name (a missing one is reported, not skipped in silence).
    pub key_file: Option<PathBuf>,
    /// Use the ssh-agent.
    pub agent: bool,
    /// Password authentication's password.
    pub password: Option<String>,
    /// Key files' passphrase.
    pub passphrase: Option<String>,
    /// The known_hosts file.
    pub known_hosts: PathBuf,
    /// Record an unknown host's key instead of refusing it.
    pub accept_new: bool,
    /// Connections at most.
    pub connections: usize,
    /// Ciphers offered, in order.
    pub ciphers: String,
    /// Connect and reply timeout.
    pub timeout: Duration,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("shown", &self.shown)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

fn invalid(message: String) -> BackendError {
    BackendError::new(ErrorKind::INVALID_CONFIG, message)
}

/// The user's home directory.
pub fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// `path` with a leading `~/` made the home directory, as OpenSSH reads its paths.
pub fn expand_tilde(path: &std::path::Path) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => home().join(rest),
        Err(_) => path.to_path_buf(),
    }
}

/// The name of the local user, OpenSSH's default login.
fn local_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "root".to_string())
}

impl SftpConfig {
    /// Parses the options table; [`SftpConfig::settings`] then checks and resolves it.
    pub fn parse(options_toml: &str) -> Result<Self, BackendError> {
        ferry_plugin_api::options::parse("sftp", options_toml)
    }

    /// Resolves URL, options and ~/.ssh/config into connection settings.
    pub fn settings(&self) -> Result<Settings, BackendError> {
        let location = Location::parse(&self.location)?;
        if location.scheme != "sftp" {
            return Err(invalid(format!(
                "`{}`: the sftp plugin serves sftp:// URLs",
                ferry_plugin_api::location::redact(&self.location)
            )));
        }
        let accept_new = match self.strict_host_key_checking.as_str() {
            "yes" => false,
            "accept-new" => true,
            other => {
                return Err(invalid(format!(
                    "strict_host_key_checking = \"{other}\": expected \"yes\" or \"accept-new\" \
                     (a changed host key is never accepted)"
                )))
            }
        };
        let host_config = match &self.ssh_config {
            Some(path) if path.as_os_str() == "none" => HostConfig::default(),
            Some(path) => ssh_config::read(&expand_tilde(path), &location.host, true)?,
            None => ssh_config::read(&home().join(".ssh/config"), &location.host, false)?,
        };
        let user = self
            .user
            .clone()
            .or(location.user.clone())
            .or(host_config.user.clone())
            .unwrap_or_else(local_user);
        let host = host_config
            .host_name
            .clone()
            .unwrap_or_else(|| location.host.clone());
        let port = location.port.or(host_config.port).unwrap_or(DEFAULT_PORT);
        let joined = location.segments.join("/");
        let root = if location.rooted {
            format!("/{joined}")
        } else {
            joined
        };
        let key_file = self.key_file.as_deref().map(expand_tilde);
        let mut identity_files: Vec<PathBuf> = key_file.iter().cloned().collect();
        identity_files.extend(host_config.identity_files.iter().cloned());
        if identity_files.is_empty() {
            let ssh = home().join(".ssh");
            identity_files.extend(
                ["id_ed25519", "id_ecdsa", "id_rsa"]
                    .iter()
                    .map(|name| ssh.join(name)),
            );
        }
        if self.connections == 0 {
            return Err(invalid("connections must be at least 1".into()));
        }
        let port_part = if port == DEFAULT_PORT {
            String::new()
        } else {
            format!(":{port}")
        };
        Ok(Settings {
            shown: format!("sftp://{user}@{}{port_part}/{root}", location.host),
            host,
            port,
            user,
            root,
            identity_files,
            key_file,
            agent: self.agent,
            password: self.password.clone().or(location.password.clone()),
            passphrase: self.passphrase.clone(),
            known_hosts: self
                .known_hosts
                .as_deref()
                .map(expand_tilde)
                .unwrap_or_else(|| home().join(".ssh/known_hosts")),
            accept_new,
            connections: self.connections,
            ciphers: self.ciphers.clone(),
            timeout: Duration::from_secs(self.timeout.max(1)),
        })
    }
}

impl Settings {
    /// The server-side path of `path` (relative to the root; `""` is the root).
    pub fn full(&self, path: &str) -> String {
        match (self.root.as_str(), path) {
            ("", "") => ".".to_string(),
            ("", path) => path.to_string(),
            ("/", path) => format!("/{path}"),
            (root, "") => root.to_string(),
            (root, path) => format!("{root}/{path}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(toml: &str) -> Settings {
        SftpConfig::parse(toml).unwrap().settings().unwrap()
    }

    #[test]
    fn the_declared_options_are_the_parsed_ones() {
        use ferry_plugin_api::author::Plugin;
        let specs = crate::SftpPlugin::info().options;
        ferry_plugin_api::options::check_specs::<SftpConfig>(&specs).unwrap();
    }

    #[test]
    fn paths_are_relative_to_the_login_directory_unless_they_start_with_two_slashes() {
        let s = settings("location = \"sftp://u@h.example/site/www\"\nssh_config = \"none\"");
        assert_eq!(
            (s.host.as_str(), s.port, s.user.as_str()),
            ("h.example", 22, "u")
        );
        assert_eq!(s.root, "site/www");
        assert_eq!(s.full(""), "site/www");
        assert_eq!(s.full("a/b.txt"), "site/www/a/b.txt");
        assert_eq!(s.shown, "sftp://u@h.example/site/www");
        let s = settings("location = \"sftp://u@h:2222//srv/www\"\nssh_config = \"none\"");
        assert_eq!((s.port, s.root.as_str()), (2222, "/srv/www"));
        assert_eq!(s.full("x"), "/srv/www/x");
        assert_eq!(s.shown, "sftp://u@h:2222//srv/www");
        let s = settings("location = \"sftp://u@h\"\nssh_config = \"none\"");
        assert_eq!(
            (s.full(""), s.full("x")),
            (".".to_string(), "x".to_string())
        );
        let s = settings("location = \"sftp://u@h//\"\nssh_config = \"none\"");
        assert_eq!(
            (s.full(""), s.full("x")),
            ("/".to_string(), "/x".to_string())
        );
    }

    #[test]
    fn bad_options_are_refused_with_the_reason() {
        let e = SftpConfig::parse("location = \"sftp://h/x\"\nstrict_host_key_checking = \"no\"")
            .and_then(|c| c.settings())
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::INVALID_CONFIG);
        assert!(e.message.contains("never accepted"), "{}", e.message);
        let e = SftpConfig::parse("location = \"sftp://h/x\"\nport = 1").unwrap_err();
        assert!(e.message.contains("unknown field `port`"), "{}", e.message);
        let e = SftpConfig::parse("location = \"ftp://h/x\"")
            .and_then(|c| c.settings())
            .unwrap_err();
        assert!(e.message.contains("sftp://"), "{}", e.message);
    }

    #[test]
    fn paths_starting_with_a_tilde_are_below_home() {
        let s = settings(
            "location = \"sftp://h/x\"\nssh_config = \"none\"\nkey_file = \"~/.ssh/deploy\"\nknown_hosts = \"~/kh\"",
        );
        assert_eq!(s.identity_files[0], home().join(".ssh/deploy"));
        assert_eq!(s.known_hosts, home().join("kh"));
        assert_eq!(
            expand_tilde(std::path::Path::new("/abs")),
            PathBuf::from("/abs")
        );
    }

    #[test]
    fn debug_hides_secrets() {
        let c = SftpConfig::parse(
            "location = \"sftp://u:urlpw@h/x\"\npassword = \"pw1\"\npassphrase = \"pp2\"",
        )
        .unwrap();
        let shown = format!("{c:?}");
        for secret in ["urlpw", "pw1", "pp2"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
