//! `ferry_backend_ftp`: plain FTP (`ftp://user@host:port/path`). The implementation is shared
//! with the ftps plugin in `ferry-ftp-core`; this crate only plugs in a plain TCP connector.

use ferry_ftp_core::{option_specs, FtpBackend, FtpConfig, Plain};
use ferry_plugin_api::{author::Plugin, BackendError, Capabilities, HostBox, PluginInfo};

/// Capabilities any FTP server gives; `set-mtime` only where it advertises MFMT.
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
        | Capabilities::CHANGE_TOKEN.0,
);

/// The plugin as the export macro sees it.
pub struct FtpPlugin;

impl Plugin for FtpPlugin {
    type Backend = FtpBackend<Plain>;

    fn info() -> PluginInfo {
        PluginInfo {
            name: "ftp".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "FTP servers (MLSD or LIST, passive or active mode)".into(),
            url_schemes: vec!["ftp".into()].into(),
            capabilities: CAPABILITIES,
            options: option_specs(false).into(),
            extra: Default::default(),
        }
    }

    fn open(options_toml: &str, host: HostBox) -> Result<Self::Backend, BackendError> {
        let (config, url) = FtpConfig::parse(options_toml, false)?;
        FtpBackend::open(config, url, Plain, host)
    }
}

ferry_plugin_api::export_plugin!(FtpPlugin);
