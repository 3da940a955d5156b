//! `ferry_backend_local`: the local file system as a ferry backend.
//!
//! - [`config`]: the options table and its validation;
//! - [`backend`]: the `BackendImpl` over `std::fs` (list, stat, read, delete, mkdir…);
//! - [`writer`]: atomic writes (temporary file in the same directory, fsync, rename);
//! - [`durability`]: the batched fsync the host asks for (`durability.v1`);
//! - [`error`]: the one place where `io::Error`s become `BackendError`s.
#![warn(missing_docs)]

pub mod backend;
pub mod config;
mod durability;
mod error;
mod writer;

use ferry_plugin_api::{
    author::Plugin, options::OptionDoc, BackendError, Capabilities, HostBox, OptionKind, PluginInfo,
};

pub use backend::LocalBackend;
pub use config::LocalConfig;

/// The URL scheme this plugin serves besides plain paths.
pub const FILE_SCHEME: &str = "file";

/// Everything this backend can do, declared once.
pub const CAPABILITIES: Capabilities = Capabilities(
    Capabilities::LIST.0
        | Capabilities::STAT.0
        | Capabilities::READ.0
        | Capabilities::READ_OFFSET.0
        | Capabilities::WRITE.0
        | Capabilities::ATOMIC_WRITE.0
        | Capabilities::SET_MTIME.0
        | Capabilities::DELETE.0
        | Capabilities::MKDIR.0
        | Capabilities::RMDIR.0
        | Capabilities::RENAME.0
        | Capabilities::COMMIT_CHECK.0,
);

/// The plugin as the export macro sees it.
pub struct LocalPlugin;

impl Plugin for LocalPlugin {
    type Backend = LocalBackend;

    fn info() -> PluginInfo {
        PluginInfo {
            name: "local".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Local directories (paths and file:// URLs)".into(),
            url_schemes: vec![FILE_SCHEME.into()].into(),
            capabilities: CAPABILITIES,
            // Keys, required ones and defaults from `LocalConfig` itself.
            options: ferry_plugin_api::options::specs::<LocalConfig>(&[
                OptionDoc::new(
                    "location",
                    OptionKind::STRING,
                    "The root directory: an absolute path or a file:// URL (set by ferry from the target).",
                ),
                OptionDoc::new(
                    "fsync",
                    OptionKind::BOOL,
                    "Flush every written file to disk before it is renamed into place.",
                ),
            ])
            .into(),
            extra: Default::default(),
        }
    }

    fn open(options_toml: &str, _host: HostBox) -> Result<LocalBackend, BackendError> {
        LocalConfig::parse(options_toml).map(LocalBackend::new)
    }
}

ferry_plugin_api::export_plugin!(LocalPlugin);
