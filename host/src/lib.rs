//! ferry keeps a local directory tree and a remote one in step, over backend plugins loaded at
//! run time through a stable ABI. This crate is the host: the command line and the library the
//! command line is made of.
//!
//! - [`plugins`]: finding, loading and checking plugin libraries;
//! - [`backend`]: an open backend behind ordinary Rust methods;
//! - [`target`]: turning `./dir` or `ftp://host/dir` into a plugin, a location and options;
//! - [`cli`]: the clap definitions and one module per subcommand;
//! - [`output`]: stdout writing that survives a closed pipe.
#![warn(missing_docs)]

pub mod backend;
pub mod cli;
pub mod output;
pub mod plugins;
pub mod target;
