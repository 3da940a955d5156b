//! The user's configuration, `~/.config/ferry/config.toml` (or `--config FILE`): named remotes.
//!
//! ```toml
//! [remotes.mydata]
//! url = "exist://db.example.org:8080/db/data"
//! user = "admin"                    # any other key is passed to the plugin as an option
//! password_command = "pass show exist/admin"
//! # backend = "exist"               # forces the plugin, as --backend does
//! ```
//!
//! A target `mydata:reports` then means `exist://db.example.org:8080/db/data/reports`.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// One named remote.
#[derive(Clone, Debug, Deserialize)]
pub struct Remote {
    /// The remote's root URL.
    pub url: String,
    /// Forces the plugin.
    #[serde(default)]
    pub backend: Option<String>,
    /// A command whose stdout is the password.
    #[serde(default)]
    pub password_command: Option<String>,
    /// Every other key: options for the plugin.
    #[serde(flatten)]
    pub options: toml::Table,
}

/// The parsed configuration file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Named remotes.
    #[serde(default)]
    pub remotes: BTreeMap<String, Remote>,
    /// Where the file was read from (None: no file).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// The default location: `$XDG_CONFIG_HOME/ferry/config.toml`, else `~/.config/ferry/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|dir| dir.join("ferry/config.toml"))
}

impl Config {
    /// Reads `explicit` (which must exist) or the default file (which may be missing).
    pub fn load(explicit: Option<&Path>) -> Result<Self> {
        let (path, required) = match explicit {
            Some(path) => (path.to_path_buf(), true),
            None => match default_path() {
                Some(path) => (path, false),
                None => return Ok(Config::default()),
            },
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Config::default())
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot read the configuration {}", path.display()))
            }
        };
        let mut config: Config = toml::from_str(&text)
            .with_context(|| format!("bad configuration {}", path.display()))?;
        for (name, remote) in &config.remotes {
            if !valid_remote_name(name) {
                bail!(
                    "{}: remote name `{name}` must be two or more letters, digits, `_`, `-` or `.` (one letter would read as a drive, `c:`)",
                    path.display()
                );
            }
            if !remote.url.contains("://") {
                bail!(
                    "{}: remote `{name}` needs a url with a scheme, e.g. ftp://host/dir",
                    path.display()
                );
            }
        }
        config.path = Some(path);
        Ok(config)
    }
}

/// Remote names look like `mydata`, `site-1`, `a.b`.
pub fn valid_remote_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() > 1
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_with_options() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "[remotes.mydata]\nurl = \"exist://h:8080/db/data\"\nuser = \"admin\"\ntimeout = 5\n",
        )
        .unwrap();
        let config = Config::load(Some(&path)).unwrap();
        let remote = &config.remotes["mydata"];
        assert_eq!(remote.url, "exist://h:8080/db/data");
        assert_eq!(remote.options["user"].as_str(), Some("admin"));
        assert_eq!(remote.options["timeout"].as_integer(), Some(5));
        std::fs::write(&path, "[remotes.x]\nurl = \"nourl\"\n").unwrap();
        let error = format!("{:#}", Config::load(Some(&path)).unwrap_err());
        assert!(error.contains("two or more letters"), "{error}");
        std::fs::write(&path, "[other]\n").unwrap();
        assert!(Config::load(Some(&path)).is_err());
        assert!(Config::load(Some(&dir.path().join("missing.toml"))).is_err());
    }
}
