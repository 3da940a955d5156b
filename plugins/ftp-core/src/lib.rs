//! The FTP implementation shared by ferry's `ftp` and `ftps` backend plugins. The plugins differ
//! only in the [`session::Connector`] they pass: plain TCP, or TLS (explicit or implicit) — so a
//! distribution can ship the plain plugin built without any TLS code.
//!
//! - [`config`]: options and `ftp://`/`ftps://`/`ftps+implicit://` URLs;
//! - [`session`]: opening and logging in one control connection, data-connection modes, FEAT;
//! - [`pool`]: the bounded connection pool;
//! - [`listing`]: MLSD and LIST parsing; [`clock`]: the offset of a LIST-only server's clock;
//! - [`backend`]: the `BackendImpl` in FTP commands; [`transfer`]: downloads;
//! - [`error`]: the mapping of FTP failures to ferry's error kinds;
//! - [`traffic`]: the control connection's commands and replies, logged through the host.
#![warn(missing_docs)]

pub mod backend;
pub mod clock;
pub mod config;
pub mod error;
pub mod listing;
pub mod pool;
pub mod session;
pub mod traffic;
pub mod transfer;

pub use backend::FtpBackend;

use ferry_plugin_api::Capabilities;

/// What the FTP backends can do at most, declared once for both plugins; an open backend drops
/// `set-mtime` when the server does not advertise MFMT.
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
pub use config::{option_specs, FtpConfig, FtpUrl, Security};
pub use session::{Connector, Plain};
