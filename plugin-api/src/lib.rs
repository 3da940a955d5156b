//! The stable plugin ABI of ferry and the helpers to write and test ferry backend plugins.
//!
//! A backend plugin is a `cdylib` named `libferry_backend_NAME.so` that exports one root module
//! ([`PluginModule`]). The host loads it at run time, checks that it was built against the same ABI
//! epoch with the same type layouts, and talks to it through the [`Backend`] and [`Reader`] trait
//! objects. The **epoch** is this crate's minor version ([`EPOCH`]); within an epoch nothing
//! reachable from the root module changes layout, and growth goes through extension modules
//! ([`RawExtension`]). `docs/plugins.md` tells the whole story.
//!
//! Writing a plugin: implement [`author::Plugin`] and [`author::BackendImpl`] in ordinary Rust and
//! call [`export_plugin!`]; every call is then guarded so that a panic becomes a `PANICKED` error
//! instead of killing the host. Test it with [`conformance::run`].
#![allow(non_local_definitions)] // abi_stable_derive 0.11 emits these for every #[sabi_trait]
#![warn(missing_docs)]

mod backend;
mod capabilities;
mod entry;
mod error;
mod extension;
mod fingerprint;
mod host;
mod info;
mod layout_report;
mod root;

pub mod author;
pub mod conformance;
pub mod durability;
pub mod io;
pub mod loader;
pub mod location;
pub mod options;
pub mod temp_name;
pub mod time;

pub use backend::{Backend, BackendBox, Backend_TO, HashAlgo, Reader, ReaderBox, Reader_TO};
pub use capabilities::Capabilities;
pub use entry::{Entry, EntryKind, KeyValues, Listing};
pub use error::{BackendError, ErrorKind};
pub use extension::RawExtension;
pub use fingerprint::abi_fingerprint;
pub use host::{Host, HostBox, Host_TO, LogLevel};
pub use info::{OptionKind, OptionSpec, PluginInfo};
pub use layout_report::condense_layout_error;
pub use root::{PluginModule, PluginModuleRef};

/// abi_stable, re-exported so that plugins and the export macro use exactly the host's version.
pub use abi_stable;

/// The plugin ABI epoch: this crate's `MAJOR.MINOR` while the major version is 0. Plugins are
/// installed in `plugins-<EPOCH>` directories and only load into a host of the same epoch.
pub const EPOCH: &str = "0.1";

/// The file name of the plugin library for backend `name` on this platform, e.g.
/// `libferry_backend_local.so`.
pub fn library_file_name(name: &str) -> String {
    format!(
        "{}ferry_backend_{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// The backend name encoded in a plugin library's file name, if it is one.
pub fn backend_name_from_file_name(file_name: &str) -> Option<&str> {
    let name = file_name
        .strip_prefix(std::env::consts::DLL_PREFIX)?
        .strip_suffix(std::env::consts::DLL_SUFFIX)?
        .strip_prefix("ferry_backend_")?;
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    valid.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_is_the_crate_minor_version() {
        let major = env!("CARGO_PKG_VERSION_MAJOR");
        let minor = env!("CARGO_PKG_VERSION_MINOR");
        let expected = if major == "0" {
            format!("0.{minor}")
        } else {
            major.to_string()
        };
        assert_eq!(
            EPOCH, expected,
            "update EPOCH together with the crate version"
        );
    }

    #[test]
    fn export_macro_uses_abi_stables_symbol_name() {
        assert_eq!(
            author::ROOT_MODULE_SYMBOL,
            abi_stable::library::ROOT_MODULE_LOADER_NAME,
            "abi_stable changed its root-module symbol; update author::ROOT_MODULE_SYMBOL and export_plugin!"
        );
    }

    #[test]
    fn file_names_round_trip() {
        let file = library_file_name("ftp_x");
        assert_eq!(backend_name_from_file_name(&file), Some("ftp_x"));
        assert_eq!(backend_name_from_file_name("libother.so"), None);
        assert_eq!(backend_name_from_file_name(&library_file_name("")), None);
    }
}
