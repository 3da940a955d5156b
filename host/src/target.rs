//! Targets: what the user writes to name one side of a sync — a local path (`./reports`), a
//! URL whose scheme picks the plugin (`ftp://user@host/www`, `exist://host:8080/db/x`,
//! `file:///srv/x`), or a named remote from the configuration (`mydata:reports`) — resolved to a
//! plugin, a `location` and an options table for `open`. `--backend NAME` forces the plugin for a
//! URL. A plugin that declares a `password` option gets one from `$FERRY_PASSWORD` or the
//! remote's `password_command` when the options do not already hold it.

use std::{io::IsTerminal, path::PathBuf, sync::Arc};

use anyhow::{bail, Context, Result};

use crate::{
    backend::Backend,
    config::{valid_remote_name, Config, Remote},
    plugins::{LoadedPlugin, Registry},
};

/// A target as parsed from the command line, before any plugin is loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetSpec {
    /// A local directory, made absolute (symlinks not resolved).
    Local(PathBuf),
    /// A URL with its lower-cased scheme.
    Url {
        /// The scheme, e.g. `ftp` or `exist+https`.
        scheme: String,
        /// The URL as written.
        url: String,
    },
}

impl TargetSpec {
    /// Parses a target argument.
    pub fn parse(text: &str) -> Result<Self> {
        if text.is_empty() {
            bail!("empty target: give a local path or a URL such as ftp://host/dir");
        }
        if let Some((scheme, _)) = text.split_once("://") {
            let valid = scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
            if !valid {
                bail!("`{text}`: `{scheme}` is not a valid URL scheme");
            }
            return Ok(TargetSpec::Url {
                scheme: scheme.to_ascii_lowercase(),
                url: text.to_string(),
            });
        }
        let path = std::path::absolute(text)
            .with_context(|| format!("`{text}`: cannot make the path absolute"))?;
        if path.to_str().is_none() {
            bail!("`{text}`: local paths must be valid UTF-8");
        }
        Ok(TargetSpec::Local(path))
    }

    /// The `location` option passed to the plugin.
    pub fn location(&self) -> String {
        match self {
            TargetSpec::Local(path) => path.to_str().expect("checked in parse").to_string(),
            TargetSpec::Url { url, .. } => url.clone(),
        }
    }
}

/// A target resolved to its plugin and options, ready to open.
#[derive(Debug)]
pub struct Target {
    /// What the user wrote (shown in messages; never contains a password we add).
    pub label: String,
    /// The parsed form.
    pub spec: TargetSpec,
    /// The plugin serving it.
    pub plugin: Arc<LoadedPlugin>,
    /// The options table for `open` (always holds `location`).
    pub options: toml::Table,
}

impl Target {
    /// Resolves `text`, loading only the plugin it needs. `forced_backend` is `--backend`.
    pub fn resolve(
        text: &str,
        forced_backend: Option<&str>,
        registry: &Registry,
        config: &Config,
    ) -> Result<Self> {
        let (spec, remote) = match named_remote(text, config)? {
            Some((remote, url)) => (TargetSpec::parse(&url)?, Some(remote)),
            None => (TargetSpec::parse(text)?, None),
        };
        let forced = forced_backend.or(remote.and_then(|r| r.backend.as_deref()));
        let plugin = match (forced, &spec) {
            (Some(name), _) => registry.get(name)?,
            (None, TargetSpec::Local(_)) => registry.get("local")?,
            (None, TargetSpec::Url { scheme, .. }) => registry.for_scheme(scheme)?,
        };
        let mut options = remote.map(|r| r.options.clone()).unwrap_or_default();
        options.insert("location".into(), toml::Value::String(spec.location()));
        let mut target = Target {
            label: text.to_string(),
            spec,
            plugin,
            options,
        };
        if target.declares("password") && !target.options.contains_key("password") {
            if let Some((login, password)) = target.find_credentials(remote)? {
                if let Some(login) = login {
                    target.offer_option("user", toml::Value::String(login));
                }
                target
                    .options
                    .insert("password".into(), toml::Value::String(password));
            }
        }
        Ok(target)
    }

    /// Does the plugin accept option `key`?
    pub fn declares(&self, key: &str) -> bool {
        self.plugin
            .info
            .options
            .iter()
            .any(|o| o.name.as_str() == key)
    }

    /// Sets option `key` if the plugin declares it and nobody set it yet (how `--jobs` becomes a
    /// connection limit and `--ftp-active` a mode, without the host naming any backend).
    pub fn offer_option(&mut self, key: &str, value: toml::Value) {
        if self.declares(key) && !self.options.contains_key(key) {
            self.options.insert(key.to_string(), value);
        }
    }

    /// The password chain after the URL: `$FERRY_PASSWORD`, the remote's `password_command`,
    /// `~/.netrc` (with its login, if the URL names none), the system keyring (with the `keyring`
    /// feature), then a prompt on a terminal.
    fn find_credentials(
        &self,
        remote: Option<&Remote>,
    ) -> Result<Option<(Option<String>, String)>> {
        let TargetSpec::Url { url, .. } = &self.spec else {
            return Ok(None);
        };
        let authority = UrlAuthority::parse(url);
        if authority.has_password {
            return Ok(None);
        }
        if let Some(password) = password_for(&self.label, remote)? {
            return Ok(Some((None, password)));
        }
        let user = self
            .options
            .get("user")
            .and_then(|v| v.as_str())
            .map(String::from)
            .or(authority.user.clone());
        if let Some((login, password)) = netrc_lookup(&authority.host, user.as_deref()) {
            return Ok(Some((if user.is_none() { login } else { None }, password)));
        }
        if let Some(password) = user
            .as_deref()
            .and_then(|user| keyring_lookup(&authority.host, user))
        {
            return Ok(Some((None, password)));
        }
        if let (Some(user), true) = (&user, std::io::stdin().is_terminal()) {
            let prompt = format!("password for {user}@{}: ", authority.host);
            let password = rpassword::prompt_password(prompt)
                .with_context(|| format!("{}: cannot read the password", self.label))?;
            return Ok(Some((None, password)));
        }
        Ok(None)
    }

    /// Opens the backend; errors name the target.
    pub fn open(&self) -> Result<Backend> {
        Backend::open(self.plugin.clone(), &self.options, &self.label)
            .map_err(|e| anyhow::anyhow!("{}: {}", self.label, e))
    }

    /// The label the baseline is keyed by: plugin and location, without any password.
    pub fn endpoint_label(&self) -> String {
        format!(
            "{}:{}",
            self.plugin.name(),
            redact_password(&self.spec.location())
        )
    }
}

/// `mydata:reports` → the remote `mydata` and the URL of `reports` below its root. A name that is
/// not configured is an error unless a local path of that name exists (write `./a:b` to be sure).
fn named_remote<'c>(text: &str, config: &'c Config) -> Result<Option<(&'c Remote, String)>> {
    if text.contains("://") {
        return Ok(None);
    }
    let Some((name, below)) = text.split_once(':') else {
        return Ok(None);
    };
    if !valid_remote_name(name) {
        return Ok(None);
    }
    match config.remotes.get(name) {
        Some(remote) => {
            let below = below.trim_matches('/');
            let url = if below.is_empty() {
                remote.url.clone()
            } else {
                format!("{}/{below}", remote.url.trim_end_matches('/'))
            };
            Ok(Some((remote, url)))
        }
        None if std::path::Path::new(text).exists() => Ok(None),
        None => {
            let known: Vec<&str> = config.remotes.keys().map(String::as_str).collect();
            let file = config
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "no configuration file".to_string());
            bail!(
                "`{text}`: no remote named `{name}` ({file}; known: {}); for a local path containing `:` write ./{text}",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            )
        }
    }
}

/// The parts of a URL's authority the credential chain needs.
#[derive(Debug, Default, PartialEq, Eq)]
struct UrlAuthority {
    user: Option<String>,
    has_password: bool,
    host: String,
}

impl UrlAuthority {
    fn parse(url: &str) -> Self {
        let Some((_, rest)) = url.split_once("://") else {
            return UrlAuthority::default();
        };
        let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((info, hostport)) => (Some(info), hostport),
            None => (None, authority),
        };
        let host = match hostport.strip_prefix('[') {
            Some(bracketed) => bracketed.split(']').next().unwrap_or("").to_string(),
            None => hostport
                .rsplit_once(':')
                .map(|(h, _)| h)
                .unwrap_or(hostport)
                .to_string(),
        };
        let (user, has_password) = match userinfo {
            Some(info) => match info.split_once(':') {
                Some((user, _)) => (Some(user.to_string()), true),
                None => (Some(info.to_string()), false),
            },
            None => (None, false),
        };
        UrlAuthority {
            user: user.filter(|u| !u.is_empty()),
            has_password,
            host,
        }
    }
}

/// `(login, password)` for `host` from `$NETRC` or `~/.netrc`: the first `machine HOST` entry
/// whose login matches `user` (any login when `user` is None), else the `default` entry.
fn netrc_lookup(host: &str, user: Option<&str>) -> Option<(Option<String>, String)> {
    let path = std::env::var_os("NETRC")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".netrc")))?;
    parse_netrc(&std::fs::read_to_string(path).ok()?, host, user)
}

fn parse_netrc(text: &str, host: &str, user: Option<&str>) -> Option<(Option<String>, String)> {
    let mut tokens = text.split_whitespace().peekable();
    let mut default = None;
    while let Some(token) = tokens.next() {
        let machine = match token {
            "machine" => tokens.next().map(String::from),
            "default" => None,
            "macdef" => {
                // A macro runs to the next blank line; ferry has no use for it.
                for t in tokens.by_ref() {
                    if t.is_empty() {
                        break;
                    }
                }
                continue;
            }
            _ => continue,
        };
        let (mut login, mut password) = (None, None);
        while let Some(&next) = tokens.peek() {
            if matches!(next, "machine" | "default" | "macdef") {
                break;
            }
            tokens.next();
            match next {
                "login" => login = tokens.next().map(String::from),
                "password" => password = tokens.next().map(String::from),
                _ => {}
            }
        }
        let Some(password) = password else { continue };
        let login_fits = user.is_none() || login.as_deref() == user || login.is_none();
        match machine {
            Some(name) if name == host && login_fits => return Some((login, password)),
            None if default.is_none() && login_fits => default = Some((login, password)),
            _ => {}
        }
    }
    default
}

/// The password stored in the system keyring (service `ferry`, account `USER@HOST`), with the
/// `keyring` feature. No keyring service, no entry, or a locked keyring is not an error: the
/// chain goes on to the prompt.
#[cfg(feature = "keyring")]
fn keyring_lookup(host: &str, user: &str) -> Option<String> {
    let account = format!("{user}@{host}");
    match keyring::Entry::new("ferry", &account).and_then(|entry| entry.get_password()) {
        Ok(password) => Some(password),
        Err(error) => {
            crate::plugins::host_services::debug(&format!(
                "keyring: no password for {account}: {error}"
            ));
            None
        }
    }
}

/// Built without the `keyring` feature: there is no keyring to ask.
#[cfg(not(feature = "keyring"))]
fn keyring_lookup(_host: &str, _user: &str) -> Option<String> {
    None
}

/// `$FERRY_PASSWORD`, else the remote's `password_command`.
fn password_for(label: &str, remote: Option<&Remote>) -> Result<Option<String>> {
    if let Ok(password) = std::env::var("FERRY_PASSWORD") {
        return Ok(Some(password));
    }
    let Some(command) = remote.and_then(|r| r.password_command.as_deref()) else {
        return Ok(None);
    };
    let output = std::process::Command::new("sh")
        .args(["-c", command])
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("{label}: cannot run the password_command"))?;
    if !output.status.success() {
        bail!("{label}: the password_command failed ({})", output.status);
    }
    let text = String::from_utf8(output.stdout)
        .with_context(|| format!("{label}: the password_command printed non-UTF-8"))?;
    Ok(Some(text.trim_end_matches(['\r', '\n']).to_string()))
}

/// Removes the password from a URL's user info (`ftp://u:secret@h/` → `ftp://u@h/`).
pub fn redact_password(location: &str) -> String {
    let Some((scheme, rest)) = location.split_once("://") else {
        return location.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map(|(u, _)| u).unwrap_or(userinfo);
            format!("{scheme}://{user}@{host}{path}")
        }
        None => location.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths() {
        assert_eq!(
            TargetSpec::parse("FTP://u@h/x").unwrap(),
            TargetSpec::Url {
                scheme: "ftp".into(),
                url: "FTP://u@h/x".into()
            }
        );
        assert!(
            matches!(TargetSpec::parse("exist+https://h/db").unwrap(), TargetSpec::Url { scheme, .. } if scheme == "exist+https")
        );
        let TargetSpec::Local(path) = TargetSpec::parse("some/dir").unwrap() else {
            panic!()
        };
        assert!(path.is_absolute() && path.ends_with("some/dir"));
        assert!(TargetSpec::parse("").is_err());
        assert!(TargetSpec::parse("1x://h").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact_password("ftp://u:secret@h:21/x"), "ftp://u@h:21/x");
        assert_eq!(redact_password("ftp://h/x@y"), "ftp://h/x@y");
        assert_eq!(redact_password("/local/a:b@c"), "/local/a:b@c");
    }

    #[cfg(feature = "keyring")]
    #[test]
    fn a_missing_keyring_service_is_a_quiet_fallback() {
        // CI machines run no Secret Service: the lookup finds nothing and does not fail.
        assert_eq!(keyring_lookup("127.0.0.1", "ferry-no-such-account"), None);
    }

    #[test]
    fn netrc_entries() {
        let text = "machine a.example login bob password pw1\nmachine b.example\n  login carol\n  password pw2\ndefault login anon password pw3\n";
        assert_eq!(
            parse_netrc(text, "b.example", None),
            Some((Some("carol".into()), "pw2".into()))
        );
        assert_eq!(
            parse_netrc(text, "a.example", Some("bob")),
            Some((Some("bob".into()), "pw1".into()))
        );
        assert_eq!(parse_netrc(text, "a.example", Some("eve")), None);
        assert_eq!(
            parse_netrc(text, "c.example", None),
            Some((Some("anon".into()), "pw3".into()))
        );
        assert_eq!(
            UrlAuthority::parse("ftp://u@[::1]:21/x"),
            UrlAuthority {
                user: Some("u".into()),
                has_password: false,
                host: "::1".into()
            }
        );
        assert!(UrlAuthority::parse("ftp://u:p@h/").has_password);
    }

    #[test]
    fn named_remotes() {
        let mut config = Config::default();
        config.remotes.insert(
            "mydata".into(),
            Remote {
                url: "exist://h/db/data/".into(),
                backend: None,
                password_command: None,
                options: toml::Table::new(),
            },
        );
        let (_, url) = named_remote("mydata:reports/2024", &config)
            .unwrap()
            .unwrap();
        assert_eq!(url, "exist://h/db/data/reports/2024");
        let (_, url) = named_remote("mydata:", &config).unwrap().unwrap();
        assert_eq!(url, "exist://h/db/data/");
        let error = named_remote("other:x", &config).unwrap_err().to_string();
        assert!(error.contains("no remote named `other`"), "{error}");
        assert!(named_remote("./other:x", &config).unwrap().is_none());
    }
}
