//! `ferry_backend_ftp`: plain FTP (`ftp://user@host:port/path`). The implementation is shared
//! with the ftps plugin in `ferry-ftp-core`; this crate only plugs in a plain TCP connector.

use ferry_ftp_core::{option_specs, FtpBackend, FtpConfig, Plain, CAPABILITIES};
use ferry_plugin_api::{author::Plugin, BackendError, HostBox, PluginInfo};

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
            // The port a URL without one means, so ferry knows `ftp://h/` is `h:21`.
            extra: vec![ferry_plugin_api::abi_stable::std_types::Tuple2(
                "default_port:ftp".into(),
                "21".into(),
            )]
            .into(),
        }
    }

    fn open(options_toml: &str, host: HostBox) -> Result<Self::Backend, BackendError> {
        let (config, url) = FtpConfig::parse(options_toml, false)?;
        FtpBackend::open(config, url, Plain, host)
    }
}

ferry_plugin_api::export_plugin!(FtpPlugin);
