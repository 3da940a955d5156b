//! The FTP implementation shared by ferry's `ftp` and `ftps` backend plugins. The plugins differ
//! only in the [`session::Connector`] they pass: plain TCP, or TLS (explicit or implicit) — so a
//! distribution can ship the plain plugin built without any TLS code.
//!
//! - [`config`]: options and `ftp://`/`ftps://`/`ftps+implicit://` URLs;
//! - [`session`]: opening and logging in one control connection, data-connection modes, FEAT;
//! - [`pool`]: the bounded connection pool;
//! - [`listing`]: MLSD and LIST parsing;
//! - [`backend`]: the `BackendImpl` in FTP commands; [`transfer`]: downloads;
//! - [`error`]: the mapping of FTP failures to ferry's error kinds.
#![warn(missing_docs)]

pub mod backend;
pub mod config;
pub mod error;
pub mod listing;
pub mod pool;
pub mod session;
pub mod transfer;

pub use backend::FtpBackend;
pub use config::{option_specs, FtpConfig, FtpUrl, Security};
pub use session::{Connector, Plain};
