//! ferry keeps a local directory tree and a remote one in step, over backend plugins loaded at
//! run time through a stable ABI. This crate is the host: the command line and the library the
//! command line is made of.
//!
//! - [`plugins`]: finding, loading and checking plugin libraries;
//! - [`backend`]: an open backend behind ordinary Rust methods;
//! - [`target`] and [`config`]: turning `./dir`, `ftp://host/dir` or `remote:dir` into a plugin,
//!   a location and options;
//! - [`sync`]: the engine — [`scan`] both sides, load the [`state`] baseline, [`plan`] every
//!   path, [`transfer`] what changed, [`report`] it — with [`filter`] and [`parallel`] helpers;
//!   the layers below it share [`pair`] (the two sides of a run), [`side`] (one side: a backend
//!   and how its changes are detected), [`options`] (what shapes a run), [`relpath`] (paths
//!   inside a tree), [`hash`] (content hashes, their [`digest`]s held as bytes) and [`token`]
//!   (a backend's change tokens);
//! - [`cli`]: the clap definitions and one module per subcommand; [`task`]: `ferry.toml` tasks;
//! - [`output`]: stdout writing that survives a closed pipe.
#![warn(missing_docs)]

pub mod backend;
pub mod cli;
pub mod config;
pub mod digest;
pub mod filter;
pub mod hash;
pub mod options;
pub mod output;
pub mod pair;
pub mod parallel;
pub mod plan;
pub mod plugins;
pub mod relpath;
pub mod report;
pub mod scan;
pub mod side;
pub mod state;
pub mod sync;
pub mod target;
pub mod task;
pub mod token;
pub mod transfer;
