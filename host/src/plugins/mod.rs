//! Finding and loading backend plugins.
//!
//! - [`discovery`]: the search path (`--plugin-dir`, `$FERRY_PLUGIN_PATH`, user, prefix, system
//!   and development directories) and the candidate libraries in it;
//! - [`loader`]: opening one library with libloading and checking it with abi_stable, condensing
//!   every failure into one line;
//! - [`registry`]: the set of plugins one command uses, loaded lazily by name or URL scheme;
//! - [`cache`]: what each library file serves, so a scheme is found without loading every
//!   plugin;
//! - [`host_services`]: the `Host` object plugins receive (logging, cancellation).

pub mod cache;
pub mod discovery;
pub mod host_services;
pub mod loader;
pub mod registry;

pub use discovery::{SearchDir, SearchOrigin, SearchPath};
pub use loader::{LoadError, LoadFailure, LoadedPlugin};
pub use registry::Registry;
