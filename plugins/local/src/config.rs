//! The local backend's options: where its root is, and whether writes are fsynced.

use std::path::PathBuf;

use ferry_plugin_api::{BackendError, ErrorKind};
use serde::{Deserialize, Serialize};

/// Options of the local backend, deserialised from the TOML table the host passes to `open`;
/// also the source of its option table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LocalConfig {
    /// The root directory: an absolute path or a `file://` URL.
    pub location: String,
    /// fsync each file before renaming it into place.
    #[serde(default = "default_true")]
    pub fsync: bool,
}

fn default_true() -> bool {
    true
}

impl LocalConfig {
    /// Parses and validates the options table.
    pub fn parse(options_toml: &str) -> Result<Self, BackendError> {
        let config: LocalConfig = ferry_plugin_api::options::parse("local", options_toml)?;
        config.root()?;
        Ok(config)
    }

    /// The root directory as an absolute path.
    pub fn root(&self) -> Result<PathBuf, BackendError> {
        let raw = if self.location.to_ascii_lowercase().starts_with("file://") {
            ferry_plugin_api::location::Location::parse(&self.location)?.path()
        } else {
            self.location.clone()
        };
        let path = PathBuf::from(&raw);
        if !path.is_absolute() {
            return Err(BackendError::new(
                ErrorKind::INVALID_CONFIG,
                format!(
                    "local backend: location `{}` is not an absolute path",
                    self.location
                ),
            ));
        }
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declared_options_are_the_parsed_ones() {
        use ferry_plugin_api::author::Plugin;
        let specs = crate::LocalPlugin::info().options;
        ferry_plugin_api::options::check_specs::<LocalConfig>(&specs).unwrap();
    }

    #[test]
    fn paths_and_file_urls() {
        let c = LocalConfig::parse("location = \"/srv/a b\"").unwrap();
        assert_eq!(c.root().unwrap(), PathBuf::from("/srv/a b"));
        assert!(c.fsync);
        let c = LocalConfig::parse("location = \"file:///srv/a%20b\"\nfsync = false").unwrap();
        assert_eq!(c.root().unwrap(), PathBuf::from("/srv/a b"));
        assert!(!c.fsync);
    }

    #[test]
    fn bad_options_are_invalid_config() {
        let e = LocalConfig::parse("location = \"/x\"\nrot = 1").unwrap_err();
        assert_eq!(e.kind, ErrorKind::INVALID_CONFIG);
        assert!(e.message.contains("unknown field `rot`"), "{}", e.message);
        let e = LocalConfig::parse("location = \"relative\"").unwrap_err();
        assert!(e.message.contains("not an absolute path"), "{}", e.message);
        assert!(LocalConfig::parse("").is_err());
    }
}
