//! `ferry_backend_exist`: eXist-db over its REST interface (`exist://host:port/db/path`,
//! `exist+https://…`), written to ../shared/specs/exist-rest.md.
//!
//! - [`config`]: options and URL forms;
//! - [`names`]: eXist's percent-encoded names and listing timestamps;
//! - [`listing`]: the collection listing;
//! - [`mime`]: the Content-Type of an upload (XML vs binary) and XQuery resources;
//! - [`backend`]: the operations;
//! - [`reader`]: reading a document as stored (GET, or a query for XML and XQuery);
//! - [`version`]: the server's version, for the XML types only eXist 7 knows;
//! - [`error`]: HTTP answers and failures as `BackendError`s.

pub mod backend;
pub mod config;
pub mod error;
pub mod listing;
pub mod mime;
pub mod names;
pub mod reader;
pub mod version;

use ferry_plugin_api::{
    abi_stable::std_types::Tuple2, author::Plugin, BackendError, Capabilities, HostBox, PluginInfo,
};

pub use backend::ExistBackend;

/// What the backend can do. No `SET_MTIME` (eXist stamps every PUT), no `RENAME` (no REST verb),
/// no `READ_OFFSET` (eXist ignores `Range`); versions are eXist's `last-modified` strings; the
/// listing has no sizes; XML is checked by the server, so the host checks it first.
pub const CAPABILITIES: Capabilities = Capabilities(
    Capabilities::LIST.0
        | Capabilities::STAT.0
        | Capabilities::READ.0
        | Capabilities::WRITE.0
        | Capabilities::ATOMIC_WRITE.0
        | Capabilities::DELETE.0
        | Capabilities::MKDIR.0
        | Capabilities::RMDIR.0
        | Capabilities::REJECTS_MALFORMED_XML.0
        | Capabilities::CHANGE_TOKEN.0
        | Capabilities::APPROXIMATE_SIZES.0,
);

/// The plugin as the export macro sees it.
pub struct ExistPlugin;

impl Plugin for ExistPlugin {
    type Backend = ExistBackend;

    fn info() -> PluginInfo {
        PluginInfo {
            name: "exist".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description:
                "eXist-db over its REST interface (exist://host:port/db/path, exist+https://…)"
                    .into(),
            url_schemes: vec!["exist".into(), "exist+https".into()].into(),
            capabilities: CAPABILITIES,
            options: config::option_specs().into(),
            extra: vec![
                Tuple2("directory_noun".into(), "collection".into()),
                // The ports a URL without one means, so ferry knows `exist://h/` is `h:8080`.
                Tuple2("default_port:exist".into(), "8080".into()),
                Tuple2("default_port:exist+https".into(), "8443".into()),
            ]
            .into(),
        }
    }

    fn open(options_toml: &str, host: HostBox) -> Result<Self::Backend, BackendError> {
        let config: config::ExistConfig = ferry_plugin_api::options::parse("exist", options_toml)?;
        ExistBackend::open(config, host)
    }
}

ferry_plugin_api::export_plugin!(ExistPlugin);
