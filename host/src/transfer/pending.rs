//! Versions a side assigns after a write but does not return (a server-assigned change token): read
//! with one listing per touched directory at the end of the run (sync-semantics §3).

use super::{Executor, StateSession};
use crate::{
    plan::{compare, Which},
    scan::Node,
};

/// Fills in versions a side assigns after a write but did not return: one listing per touched
/// directory, at the end of the run.
pub(super) fn fill_pending(
    executor: &Executor,
    session: &mut StateSession,
    pending: &[(Which, String)],
) {
    let mut dirs: Vec<(Which, &str)> = pending
        .iter()
        .map(|(which, p)| (*which, p.rsplit_once('/').map(|(d, _)| d).unwrap_or("")))
        .collect();
    dirs.sort_unstable_by(|a, b| (a.0 as u8, a.1).cmp(&(b.0 as u8, b.1)));
    dirs.dedup();
    for (which, dir) in dirs {
        let side = executor.side(which);
        let Ok(listing) = side.backend.list(dir) else {
            continue;
        };
        let is_a = executor.is_a(which);
        for entry in listing.entries.iter().filter(|e| e.is_file()) {
            let path = if dir.is_empty() {
                entry.name.to_string()
            } else {
                format!("{dir}/{}", entry.name)
            };
            let Some(record) = session.baseline.records.get_mut(&path) else {
                continue;
            };
            let state = record.side_mut(is_a);
            if state.pending {
                *state = compare::side_state(side, &Node::from_entry(entry), None);
            }
        }
    }
}
