//! The plan's actions sorted into the phases a run executes them in: bookkeeping (reports and
//! records) at once, then clears, kept-both conflicts, directories, transfers, deletions and
//! directory removals; and the order transfers are handed to workers in.

use super::Run;
use crate::{
    pair::Which,
    plan::{Action, Reason},
    report::Event,
};

/// Orders transfers so that workers taking them in turn write to different directories: the
/// first file of every directory, then the second of every directory, and so on. Creating and
/// renaming files in one directory takes that directory's lock, so workers in the same
/// directory mostly wait for each other (a tenth of a local first sync went to spinning on it).
pub(super) fn spread_over_directories<T>(transfers: &mut Vec<(String, T, u64, Which)>) {
    let ranks: Vec<usize> = {
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        transfers
            .iter()
            .map(|transfer| {
                let dir = transfer.0.rsplit_once('/').map_or("", |(dir, _)| dir);
                let rank = seen.entry(dir).or_insert(0);
                *rank += 1;
                *rank
            })
            .collect()
    };
    let mut ranked: Vec<(usize, (String, T, u64, Which))> =
        ranks.into_iter().zip(transfers.drain(..)).collect();
    // Stable: within one rank, directories stay in plan order.
    ranked.sort_by_key(|(rank, _)| *rank);
    transfers.extend(ranked.into_iter().map(|(_, transfer)| transfer));
}

/// The work of a plan sorted into the phases it runs in.
#[derive(Default)]
pub(super) struct Phases {
    pub(super) clears: Vec<(String, Which, bool)>,
    pub(super) keep_both: Vec<(String, Which, String, String)>,
    pub(super) mkdirs: Vec<(String, Which)>,
    pub(super) transfers: Vec<(String, Reason, u64, Which)>,
    pub(super) deletions: Vec<(String, Which)>,
    pub(super) removals: Vec<(String, Which)>,
}

impl Run<'_, '_> {
    /// Reports and records the bookkeeping actions; returns the rest sorted into phases.
    pub(super) fn sort(&self, actions: Vec<Action>) -> Phases {
        let mut phases = Phases::default();
        for action in actions {
            match action {
                Action::Keep {
                    path,
                    record,
                    unchanged_file,
                } => {
                    if unchanged_file {
                        self.report(Event::Unchanged { path: &path });
                    }
                    if let Some(record) = record {
                        self.remember(&path, Some(*record));
                    }
                }
                Action::Drop { path } => self.remember(&path, None),
                Action::Conflict { path, why } => self.report(Event::Conflict {
                    path: &path,
                    why: &why,
                }),
                Action::Resolved { path, why, how } => self.report(Event::Resolved {
                    path: &path,
                    why: &why,
                    how: &how,
                }),
                Action::Invalid { path, why } => self.report(Event::Invalid {
                    path: &path,
                    why: &why,
                }),
                Action::Failed { path, why } => self.report(Event::Failed {
                    path: &path,
                    why: &why,
                }),
                Action::Clear { path, on, dir } => phases.clears.push((path, on, dir)),
                Action::KeepBoth {
                    path,
                    winner,
                    aside,
                    why,
                } => phases.keep_both.push((path, winner, aside, why)),
                Action::Mkdir { path, on } => phases.mkdirs.push((path, on)),
                Action::Transfer {
                    path,
                    reason,
                    size,
                    to,
                } => phases.transfers.push((path, reason, size, to)),
                Action::Delete { path, on } => phases.deletions.push((path, on)),
                Action::RemoveDir { path, on } => phases.removals.push((path, on)),
            }
        }
        phases
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfers_are_spread_over_directories_in_plan_order() {
        let mut transfers: Vec<(String, (), u64, Which)> =
            ["a/1", "a/2", "a/3", "b/1", "c/1", "c/2", "top"]
                .iter()
                .map(|p| (p.to_string(), (), 0, Which::Destination))
                .collect();
        spread_over_directories(&mut transfers);
        let order: Vec<&str> = transfers.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(order, ["a/1", "b/1", "c/1", "top", "a/2", "c/2", "a/3"]);
    }
}
