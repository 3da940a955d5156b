//! The one deletion guard (sync-semantics §6 "Deletions are always guarded"). Every planned
//! deletion — a file gone from the other side, an empty directory, or whatever a conflict's
//! resolution clears away — passes here, in both modes:
//!
//! - nothing is deleted at, above or below a path the side could not read (unknown);
//! - a directory cleared by a resolution keeps the files the filters leave out (unless
//!   `--delete-unmatched`): it is emptied of what ferry synced and then removed only if empty;
//! - no deletion on a side when the other side lists no files but the baseline had some
//!   (unless `--force`); nothing else is changed then either — no copy to the empty side, no
//!   baseline record dropped — since either would make the next run take the emptiness for
//!   deletions;
//! - `--max-delete` counts files, including those below a cleared directory, per side.

use super::{Action, Plan, Which};
use crate::{
    options::SyncOptions,
    pair::{side_names, Pair},
    scan::Tree,
    state::Baseline,
};

/// What the guard needs to know about the run.
pub(crate) struct Guard<'a> {
    /// The trees.
    pub trees: Pair<&'a Tree>,
    /// The baseline.
    pub baseline: &'a Baseline,
    /// The run's options.
    pub options: &'a SyncOptions,
    /// A bisync (messages name the side).
    pub two_way: bool,
}

/// The side a deletion happens on and its path, if the action deletes anything.
fn deletion(action: &Action) -> Option<(Which, &str)> {
    match action {
        Action::Delete { path, on }
        | Action::RemoveDir { path, on }
        | Action::Clear { path, on, .. } => Some((*on, path)),
        _ => None,
    }
}

impl Guard<'_> {
    fn tree(&self, which: Which) -> &Tree {
        self.trees[which]
    }

    fn side_word(&self, which: Which) -> &'static str {
        side_names(self.two_way)[which]
    }

    /// Applies every rule to `plan`.
    pub fn apply(&self, plan: &mut Plan) {
        self.keep_unknown(plan);
        self.keep_excluded(plan);
        for on in Which::BOTH {
            self.limit(plan, on);
        }
    }

    /// Drops deletions at, above or below an unknown path.
    fn keep_unknown(&self, plan: &mut Plan) {
        let mut warnings = Vec::new();
        plan.actions.retain(|action| match deletion(action) {
            Some((on, path)) if self.tree(on).has_unknown_within(path) => {
                warnings.push(format!(
                    "not deleting `{path}` on the {} side: it holds entries ferry cannot read",
                    self.side_word(on)
                ));
                false
            }
            _ => true,
        });
        plan.warnings.extend(warnings);
    }

    /// A directory cleared by a resolution that holds excluded entries is emptied of what ferry
    /// synced, file by file, and left to be removed only if that empties it.
    fn keep_excluded(&self, plan: &mut Plan) {
        let clears_a_directory =
            |action: &Action| matches!(action, Action::Clear { dir: true, .. });
        if self.options.delete_unmatched || !plan.actions.iter().any(clears_a_directory) {
            // Nothing to split: the plan (one action per path) is not copied.
            return;
        }
        let mut actions = Vec::with_capacity(plan.actions.len());
        for action in plan.actions.drain(..) {
            match action {
                Action::Clear {
                    path,
                    on,
                    dir: true,
                } if holds_unmatched(self.tree(on), &path) => {
                    for (file, node) in self.tree(on).below(&path) {
                        actions.push(if node.is_file() {
                            Action::Clear {
                                path: file.clone(),
                                on,
                                dir: false,
                            }
                        } else {
                            Action::RemoveDir {
                                path: file.clone(),
                                on,
                            }
                        });
                    }
                    actions.push(Action::RemoveDir { path, on });
                }
                other => actions.push(other),
            }
        }
        plan.actions = actions;
    }

    /// The mass-deletion rules for the deletions on side `on`.
    fn limit(&self, plan: &mut Plan, on: Which) {
        let here = self.tree(on);
        let files: usize = plan
            .actions
            .iter()
            .filter_map(|action| match action {
                Action::Delete { on: o, .. }
                | Action::Clear {
                    on: o, dir: false, ..
                } if *o == on => Some(1),
                Action::Clear {
                    on: o,
                    path,
                    dir: true,
                } if *o == on => Some(here.below(path).filter(|(_, n)| n.is_file()).count().max(1)),
                _ => None,
            })
            .sum();
        if files == 0 {
            return;
        }
        let (here_word, there_word) = (self.side_word(on), self.side_word(on.other()));
        let recorded = self.baseline.file_count();
        let other_side_empty =
            self.tree(on.other()).file_count() == 0 && recorded > 0 && !self.options.force;
        let refusal = if other_side_empty {
            Some(if self.two_way {
                format!("refusing to delete on {here_word}: {there_word} lists no files but the last sync recorded {recorded}; nothing was copied or deleted (check {there_word}, or use --force)")
            } else {
                format!("refusing to delete: the {there_word} lists no files but the last sync recorded {recorded}; nothing was deleted (check the {there_word}, or use --force)")
            })
        } else {
            let total = here.file_count();
            self.options.max_delete.exceeded(files, total).then(|| {
                let limit = self.options.max_delete;
                if self.two_way {
                    format!("refusing to delete {files} of {total} files on {here_word} (more than {limit}); nothing was deleted there")
                } else {
                    format!("refusing to delete {files} of {total} {here_word} files (more than {limit}); nothing was deleted")
                }
            })
        };
        if let Some(why) = refusal {
            if other_side_empty {
                // Only what changes nothing stays: reports and records of what is in step.
                plan.actions.retain(|action| {
                    matches!(
                        action,
                        Action::Keep { .. }
                            | Action::Conflict { .. }
                            | Action::Invalid { .. }
                            | Action::Failed { .. }
                    )
                });
            }
            plan.actions
                .retain(|action| deletion(action).is_none_or(|(o, _)| o != on));
            plan.actions.push(Action::Failed {
                path: String::new(),
                why,
            });
        }
    }
}

/// Does the scan know of entries below `dir` that the filters left out?
fn holds_unmatched(tree: &Tree, dir: &str) -> bool {
    tree.unmatched.iter().any(|(p, _)| super::is_below(p, dir))
}
