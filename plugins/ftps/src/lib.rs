//! `ferry_backend_ftps`: FTP over TLS — explicit (`ftps://`, AUTH TLS on port 21) and implicit
//! (`ftps+implicit://`, port 990). The FTP implementation is `ferry-ftp-core`'s; this crate adds
//! the TLS connector ([`tls`]).

mod tls;

use ferry_ftp_core::{option_specs, FtpBackend, FtpConfig, CAPABILITIES};
use ferry_plugin_api::{
    abi_stable::std_types::Tuple2, author::Plugin, BackendError, HostBox, PluginInfo,
};

pub use tls::TlsConnector;

/// The plugin as the export macro sees it.
pub struct FtpsPlugin;

impl Plugin for FtpsPlugin {
    type Backend = FtpBackend<TlsConnector>;

    fn info() -> PluginInfo {
        PluginInfo {
            name: "ftps".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "FTP over TLS (explicit ftps://, implicit ftps+implicit://)".into(),
            url_schemes: vec!["ftps".into(), "ftps+implicit".into()].into(),
            capabilities: CAPABILITIES,
            options: option_specs(true).into(),
            // The ports a URL without one means, so ferry knows `ftps://h/` is `h:21`.
            extra: vec![
                Tuple2("default_port:ftps".into(), "21".into()),
                Tuple2("default_port:ftps+implicit".into(), "990".into()),
            ]
            .into(),
        }
    }

    fn open(options_toml: &str, host: HostBox) -> Result<Self::Backend, BackendError> {
        let (config, url) = FtpConfig::parse(options_toml, true)?;
        let connector = TlsConnector::new(&config)?;
        FtpBackend::open(config, url, connector, host)
    }
}

ferry_plugin_api::export_plugin!(FtpsPlugin);
