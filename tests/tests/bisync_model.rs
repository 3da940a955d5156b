//! A model-based property test of bisync (local↔local through the plugins): random sequences of
//! edits, additions and deletions (files and whole directories) on both sides, interleaved with
//! bisync runs under random strategies. After every run:
//! - content that was new or changed since the last sync still exists somewhere on either side,
//!   unless a strategy that picks a side (local, remote, new, old) settled a conflict on that
//!   path; `skip` and `keep-both` never lose anything;
//! - content that was already in sync on both sides is only gone where the other side deleted or
//!   replaced it;
//! - a second run with no edits transfers and deletes nothing, and nothing fails.

use std::{collections::BTreeMap, path::Path};

use ferry_tests::*;
use proptest::prelude::*;

const FILES: [&str; 5] = ["a", "b", "d/c", "d/e", "f/g"];
const DIRS: [&str; 2] = ["d", "f"];
const STRATEGIES: [&str; 6] = ["skip", "keep-both", "local", "remote", "new", "old"];

#[derive(Clone, Debug)]
enum Op {
    Write { remote: bool, file: usize },
    DeleteFile { remote: bool, file: usize },
    DeleteDir { remote: bool, dir: usize },
    Bisync { strategy: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), 0..FILES.len()).prop_map(|(remote, file)| Op::Write { remote, file }),
        2 => (any::<bool>(), 0..FILES.len()).prop_map(|(remote, file)| Op::DeleteFile { remote, file }),
        1 => (any::<bool>(), 0..DIRS.len()).prop_map(|(remote, dir)| Op::DeleteDir { remote, dir }),
        2 => (0..STRATEGIES.len()).prop_map(|strategy| Op::Bisync { strategy }),
    ]
}

/// Files below `dir` with their contents (partial files excluded).
fn files(dir: &Path) -> BTreeMap<String, String> {
    tree(dir)
        .into_iter()
        .filter(|(k, _)| !k.ends_with('/') && !k.contains(".ferry-part-"))
        .map(|(k, v)| (k, String::from_utf8(v).unwrap()))
        .collect()
}

struct Model {
    pair: Pair,
    /// What both sides agreed on after the last run, by path.
    synced: BTreeMap<String, String>,
    writes: u32,
}

impl Model {
    fn side(&self, remote: bool) -> &Path {
        if remote {
            &self.pair.dst
        } else {
            &self.pair.src
        }
    }

    fn bisync(&self, strategy: &str) -> Run {
        let (l, r) = (
            self.pair.src.to_str().unwrap(),
            self.pair.dst.to_str().unwrap(),
        );
        self.pair.ferry(&[
            "bisync",
            "--no-progress",
            "--force",
            "--resolve",
            strategy,
            l,
            r,
        ])
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match *op {
            Op::Write { remote, file } => {
                self.writes += 1;
                let content = format!("v{} {}", self.writes, "x".repeat(self.writes as usize % 3));
                put(self.side(remote), FILES[file], content.as_bytes());
            }
            Op::DeleteFile { remote, file } => {
                let _ = std::fs::remove_file(self.side(remote).join(FILES[file]));
            }
            Op::DeleteDir { remote, dir } => {
                let _ = std::fs::remove_dir_all(self.side(remote).join(DIRS[dir]));
            }
            Op::Bisync { strategy } => self.check_run(STRATEGIES[strategy])?,
        }
        Ok(())
    }

    fn check_run(&mut self, strategy: &str) -> Result<(), TestCaseError> {
        let (local, remote) = (files(&self.pair.src), files(&self.pair.dst));
        let run = self.bisync(strategy);
        prop_assert!(
            run.code == 0 || run.code == 3,
            "{strategy}: exit {} {} {}",
            run.code,
            run.stdout,
            run.stderr
        );
        let (local_after, remote_after) = (files(&self.pair.src), files(&self.pair.dst));
        let survivors: Vec<&String> = local_after.values().chain(remote_after.values()).collect();
        let picks_a_side = !matches!(strategy, "skip" | "keep-both");
        for (this, other) in [(&local, &remote), (&remote, &local)] {
            for (path, content) in this {
                let in_sync_before = self.synced.get(path) == Some(content);
                let other_changed = other.get(path) != Some(content);
                let other_touched = other.get(path) != self.synced.get(path);
                // A directory the other side deleted while this side added or changed something
                // below it is one conflict; a strategy picking the deleting side discards it all.
                let below_a_dir_deleted_there = ancestors(path).any(|dir| {
                    let inside = |k: &String| k.starts_with(&format!("{dir}/"));
                    self.synced.keys().any(inside) && !other.keys().any(inside)
                });
                let may_go = if in_sync_before {
                    other_changed
                } else {
                    picks_a_side && (other_touched || below_a_dir_deleted_there)
                };
                prop_assert!(
                    may_go || survivors.contains(&content),
                    "{strategy}: `{content}` of {path} was lost\nbefore: local {local:?} remote {remote:?}\nafter: local {local_after:?} remote {remote_after:?}\nsynced {:?}\n{}",
                    self.synced,
                    run.stdout
                );
            }
        }
        // The baseline as ferry should now hold it.
        let mut synced = BTreeMap::new();
        for path in local_after.keys().chain(remote_after.keys()) {
            match (local_after.get(path), remote_after.get(path)) {
                (Some(l), Some(r)) if l == r => {
                    synced.insert(path.clone(), l.clone());
                }
                (Some(_), Some(_)) | (Some(_), None) | (None, Some(_)) => {
                    if let Some(old) = self.synced.get(path) {
                        synced.insert(path.clone(), old.clone());
                    }
                }
                (None, None) => {}
            }
        }
        self.synced = synced;
        let again = self.bisync(strategy);
        prop_assert!(
            again.summary.starts_with("0 uploaded, 0 downloaded, ")
                && again.summary.contains(" 0 deleted, 0 failed"),
            "{strategy}: a second run changed something: {}\n{}",
            again.stdout,
            again.stderr
        );
        prop_assert_eq!(files(&self.pair.src), local_after);
        prop_assert_eq!(files(&self.pair.dst), remote_after);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn bisync_never_loses_what_it_was_not_told_to_discard(
        ops in proptest::collection::vec(op(), 1..14),
        last in 0..STRATEGIES.len(),
    ) {
        let mut model = Model { pair: Pair::new(), synced: BTreeMap::new(), writes: 0 };
        for op in &ops {
            model.apply(op)?;
        }
        model.apply(&Op::Bisync { strategy: last })?;
    }
}
