//! Targets: what the user writes to name one side of a sync — a local path (`./reports`), a
//! URL whose scheme picks the plugin (`ftp://user@host/www`, `exist://host:8080/db/x`,
//! `file:///srv/x`), or a named remote from the configuration (`mydata:reports`) — resolved to a
//! plugin, a `location` and an options table for `open`. `--backend NAME` forces the plugin for a
//! URL. A plugin that declares a `password` option gets one from `$FERRY_PASSWORD` or the
//! remote's `password_command` when the options do not already hold it.

use std::{path::PathBuf, sync::Arc};

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
        let wants_password = plugin
            .info
            .options
            .iter()
            .any(|o| o.name.as_str() == "password");
        if wants_password && !options.contains_key("password") {
            if let Some(password) = password_for(text, remote)? {
                options.insert("password".into(), toml::Value::String(password));
            }
        }
        Ok(Target {
            label: text.to_string(),
            spec,
            plugin,
            options,
        })
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
