//! Targets: what the user writes to name one side of a sync — a local path (`./reports`), a
//! URL whose scheme picks the plugin (`ftp://user@host/www`, `exist://host:8080/db/x`,
//! `file:///srv/x`), or a named remote from the configuration (`mydata:reports`) — resolved to a
//! plugin, a `location`, an options table for `open`, and the canonical [`Identity`] that keys
//! the state and the overlap checks. `--backend NAME` forces the plugin for a URL.
//!
//! - [`identity`]: one canonical spelling per place; overlaps; passwords kept out of labels;
//! - [`credentials`]: the password chain for plugins that take a password.

pub mod credentials;
pub mod identity;

use std::{path::PathBuf, sync::Arc};

use anyhow::{bail, Context, Result};
use ferry_plugin_api::location::Location;

pub use identity::{redact as redact_password, Identity};

/// `message` about the target the user wrote as `label`: `web:www: message`, and for a named
/// remote's root (`web:`) `web: message`, never `web:: message`.
pub fn about(label: &str, message: impl std::fmt::Display) -> String {
    if label.ends_with(':') {
        format!("{label} {message}")
    } else {
        format!("{label}: {message}")
    }
}

use crate::{
    backend::Backend,
    config::{valid_remote_name, Config, Remote},
    plugins::{LoadedPlugin, Registry},
};

/// A target as parsed from the command line, before any plugin is loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetSpec {
    /// A local directory, made absolute (symlinks not resolved yet): a path, or a `file://` URL.
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
        if let Some((scheme, rest)) = text.split_once("://") {
            let valid = scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
            if !valid {
                bail!(
                    "`{}`: `{scheme}` is not a valid URL scheme",
                    redact_password(text)
                );
            }
            if scheme.eq_ignore_ascii_case("file") {
                if !rest.starts_with('/') && !rest.starts_with("localhost/") {
                    bail!("`{text}`: a file URL needs an absolute path (file:///dir)");
                }
                let location =
                    Location::parse(text).map_err(|e| anyhow::anyhow!("{}", e.message))?;
                return Ok(TargetSpec::Local(PathBuf::from(location.path())));
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

    /// Is it a local path (or `file://` URL)?
    pub fn is_local(&self) -> bool {
        matches!(self, TargetSpec::Local(_))
    }
}

/// A target resolved to its plugin and options, ready to open.
#[derive(Debug)]
pub struct Target {
    /// What the user wrote, without a password: how messages name it.
    pub label: String,
    /// The parsed form.
    pub spec: TargetSpec,
    /// Where it is, canonically.
    pub identity: Identity,
    /// The plugin serving it.
    pub plugin: Arc<LoadedPlugin>,
    /// The options table for `open` (always holds `location`).
    pub options: toml::Table,
    /// The plugin takes a password and the chain found none: a login refusal then says so.
    pub no_password: bool,
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

        let (identity, location) = match &spec {
            TargetSpec::Local(path) => {
                let identity = Identity::local(plugin.name(), path)?;
                let location = identity.display();
                (identity, location)
            }
            TargetSpec::Url { scheme, url } => (
                Identity::url(
                    plugin.name(),
                    url,
                    default_port(&plugin, scheme),
                    login_relative_paths(&plugin),
                )?,
                url.clone(),
            ),
        };
        let mut options = remote.map(|r| r.options.clone()).unwrap_or_default();
        options.insert("location".into(), toml::Value::String(location));
        crate::plugins::host_services::info(&format!(
            "{}: the {} plugin ({})",
            redact_password(text),
            plugin.name(),
            plugin.path.display()
        ));
        let mut target = Target {
            label: redact_password(text),
            spec,
            identity,
            plugin,
            options,
            no_password: false,
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
            let url_has_one = match &target.spec {
                TargetSpec::Url { url, .. } => {
                    Location::parse(url).is_ok_and(|l| l.password.is_some())
                }
                _ => false,
            };
            target.no_password = !url_has_one && !target.options.contains_key("password");
        }
        Ok(target)
    }

    /// Does the plugin accept option `key`?
    pub fn declares(&self, key: &str) -> bool {
        self.plugin.info.declares(key)
    }

    /// Sets option `key` if the plugin declares it and nobody set it yet (how `--jobs` becomes a
    /// connection limit and `--ftp-active` a mode, without the host naming any backend).
    pub fn offer_option(&mut self, key: &str, value: toml::Value) {
        if self.declares(key) && !self.options.contains_key(key) {
            self.options.insert(key.to_string(), value);
        }
    }

    /// The password chain after the URL's own password ([`credentials`]).
    fn find_credentials(&self, remote: Option<&Remote>) -> Result<Option<credentials::Found>> {
        let Some((location, user)) = self.login() else {
            return Ok(None);
        };
        if location.password.is_some() {
            return Ok(None);
        }
        credentials::Lookup {
            shown: &self.label,
            remote,
            host: &location.host,
            user,
            prompt: !self.prompts_on_refusal(),
        }
        .find()
    }

    /// Opens the backend; errors name the target and never show a password. A plugin that logs
    /// in with keys first (`password_prompt = on-refusal`) and was refused without a password
    /// gets one asked on a terminal, and one more try.
    pub fn open(&self) -> Result<Backend> {
        let refused = match Backend::open(self.plugin.clone(), &self.options, &self.label) {
            Ok(backend) => return Ok(backend),
            Err(e) => e,
        };
        if refused.kind == ferry_plugin_api::ErrorKind::AUTH
            && self.no_password
            && self.prompts_on_refusal()
        {
            if let Some((_, password)) = self.ask_password()? {
                let mut options = self.options.clone();
                options.insert("password".into(), toml::Value::String(password));
                return Backend::open(self.plugin.clone(), &options, &self.label)
                    .map_err(|e| anyhow::anyhow!(about(&self.label, self.scrub(&e.to_string()))));
            }
        }
        let mut message = self.scrub(&refused.to_string());
        if refused.kind == ferry_plugin_api::ErrorKind::AUTH && self.no_password {
            message.push_str(&format!(
                "; no password was found (ferry looks at the URL, the password option, the remote's password_command, ~/.netrc{}, $FERRY_PASSWORD, and asks on a terminal)",
                if cfg!(feature = "keyring") {
                    ", the system keyring"
                } else {
                    ""
                }
            ));
        }
        Err(anyhow::anyhow!(about(&self.label, message)))
    }

    /// Does the plugin want the terminal prompt only after a refused login?
    fn prompts_on_refusal(&self) -> bool {
        self.plugin.info.extra_value("password_prompt") == Some("on-refusal")
    }

    /// The terminal prompt for this target's login (the URL's or the options' user).
    fn ask_password(&self) -> Result<Option<credentials::Found>> {
        match self.login() {
            Some((location, Some(user))) => credentials::ask(&self.label, &user, &location.host),
            _ => Ok(None),
        }
    }

    /// A URL target's parsed location and its login: the `user` option, else the URL's.
    fn login(&self) -> Option<(Location, Option<String>)> {
        let TargetSpec::Url { url, .. } = &self.spec else {
            return None;
        };
        let location = Location::parse(url).ok()?;
        let user = self
            .options
            .get("user")
            .and_then(|v| v.as_str())
            .map(String::from)
            .or_else(|| location.user.clone());
        Some((location, user))
    }

    /// `text` with a password typed in the target's URL replaced by `***` (a plugin that echoes
    /// its location must not show it). Passwords from the credential chain never reach a
    /// plugin's location, so plugins have no way to echo them.
    pub fn scrub(&self, text: &str) -> String {
        let mut secrets = Vec::new();
        let mut text = text.to_string();
        if let TargetSpec::Url { url, .. } = &self.spec {
            // The URL as typed (a plugin echoing its location), then the decoded password.
            text = text.replace(url.as_str(), &redact_password(url));
            secrets.extend(identity::url_password(url));
        }
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            text = text.replace(secret.as_str(), "***");
        }
        text
    }

    /// The label the baseline is keyed by: plugin and canonical place, without any password.
    pub fn endpoint_label(&self) -> String {
        self.identity.label()
    }
}

/// The port the plugin uses for `scheme` when a URL names none, from its info
/// (`default_port:SCHEME`).
fn default_port(plugin: &LoadedPlugin, scheme: &str) -> Option<u16> {
    plugin
        .info
        .extra_value(&format!("default_port:{scheme}"))
        .and_then(|port| port.parse().ok())
}

/// Does the plugin read URL paths from the login directory (`paths = login-directory` in its
/// info), so that a leading `//` names an absolute path?
fn login_relative_paths(plugin: &LoadedPlugin) -> bool {
    plugin.info.extra_value("paths") == Some("login-directory")
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
                // A remote at `sftp://h//` (the server's absolute root) keeps its `//`.
                let rooted_root =
                    Location::parse(&remote.url).is_ok_and(|l| l.rooted && l.segments.is_empty());
                let base = remote.url.trim_end_matches('/');
                format!("{base}{}/{below}", if rooted_root { "/" } else { "" })
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
        config.remotes.get_mut("mydata").unwrap().url = "sftp://h//".into();
        let (_, url) = named_remote("mydata:srv/www", &config).unwrap().unwrap();
        assert_eq!(url, "sftp://h//srv/www");
        let error = named_remote("other:x", &config).unwrap_err().to_string();
        assert!(error.contains("no remote named `other`"), "{error}");
        assert!(named_remote("./other:x", &config).unwrap().is_none());
    }
}
