//! The sync baseline: what both sides of a pair looked like when ferry last saw them in step.
//!
//! - [`record`]: the per-path records and the in-memory [`Baseline`];
//! - [`store`]: where the baseline lives (`$XDG_STATE_HOME/ferry/`), its versioned on-disk format
//!   (a compacted snapshot plus an append-only journal), locking, checkpoints and compaction,
//!   with the JSON shapes of both files in `format`;
//! - [`catalog`]: the states kept, listed and forgotten (`ferry state`).
//!
//! One baseline serves a pair of endpoints whichever way it is synced (push, pull, bisync), so its
//! sides are named `a` and `b` by sorted endpoint label rather than by role.

pub mod catalog;
mod format;
pub mod record;
pub mod store;

pub use record::{Baseline, Record, SideState};
pub use store::{state_dir, StatePaths, StateStore, FORMAT_VERSION};
