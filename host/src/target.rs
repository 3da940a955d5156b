//! Targets: what the user writes to name one side of a sync — a local path (`./reports`), or a
//! URL whose scheme picks the plugin (`ftp://user@host/www`, `exist://host:8080/db/x`,
//! `file:///srv/x`) — resolved to a plugin, a `location` and an options table for `open`.
//! `--backend NAME` forces the plugin for a URL.

use std::{path::PathBuf, sync::Arc};

use anyhow::{bail, Context, Result};

use crate::{
    backend::Backend,
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
    pub fn resolve(text: &str, forced_backend: Option<&str>, registry: &Registry) -> Result<Self> {
        let spec = TargetSpec::parse(text)?;
        let plugin = match (forced_backend, &spec) {
            (Some(name), _) => registry.get(name)?,
            (None, TargetSpec::Local(_)) => registry.get("local")?,
            (None, TargetSpec::Url { scheme, .. }) => registry.for_scheme(scheme)?,
        };
        let mut options = toml::Table::new();
        options.insert("location".into(), toml::Value::String(spec.location()));
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
}
