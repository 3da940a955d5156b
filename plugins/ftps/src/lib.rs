//! `ferry_backend_ftps`: FTP over TLS — explicit (`ftps://`, AUTH TLS on port 21) and implicit
//! (`ftps+implicit://`, port 990). The FTP implementation is `ferry-ftp-core`'s; this crate adds
//! the TLS connector ([`tls`]).

mod tls;

use ferry_ftp_core::{option_specs, FtpBackend, FtpConfig};
use ferry_plugin_api::{author::Plugin, BackendError, HostBox, PluginInfo};

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
            capabilities: ferry_backend_ftp_capabilities(),
            options: option_specs(true).into(),
            extra: Default::default(),
        }
    }

    fn open(options_toml: &str, host: HostBox) -> Result<Self::Backend, BackendError> {
        let (config, url) = FtpConfig::parse(options_toml, true)?;
        let connector = TlsConnector::new(&config)?;
        FtpBackend::open(config, url, connector, host)
    }
}

fn ferry_backend_ftp_capabilities() -> ferry_plugin_api::Capabilities {
    use ferry_plugin_api::Capabilities as C;
    C::LIST
        | C::STAT
        | C::READ
        | C::READ_OFFSET
        | C::WRITE
        | C::ATOMIC_WRITE
        | C::SET_MTIME
        | C::DELETE
        | C::MKDIR
        | C::RMDIR
        | C::RENAME
        | C::CHANGE_TOKEN
}

ferry_plugin_api::export_plugin!(FtpsPlugin);
