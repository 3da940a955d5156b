//! What a planner looks at, and the rules both modes share, written once over [`Pair`]s indexed
//! by [`Which`]: which paths a run examines (unknown ones and Unicode twins set aside), which
//! files must be hashed, whether a side changed since the baseline, whether both sides hold the
//! same content now, the records to store, and the common finish (the deletion guard, the XML
//! check). [`super::one_way`] and [`super::two_way`] add only their tables.

use super::{
    compare::{self, HashRequest, Hashes, Now},
    guard::Guard,
    rows::Rows,
    xml, Plan, Which,
};
use crate::{
    hash::Algorithm,
    options::SyncOptions,
    pair::{side_names, Pair},
    scan::{Node, Tree},
    side::{CompareBy, Side},
    state::{Baseline, Record, SideState},
};

/// Everything a planner looks at.
pub struct Inputs<'a> {
    /// The two sides (bisync: local as the source, remote as the destination).
    pub sides: Pair<&'a Side<'a>>,
    /// The two scans.
    pub trees: Pair<&'a Tree>,
    /// The baseline of the pair.
    pub baseline: &'a Baseline,
    /// The side stored as `a` in the baseline's records.
    pub a_side: Which,
    /// The run's options.
    pub options: &'a SyncOptions,
    /// A bisync (both sides are written), not a one-way run.
    pub two_way: bool,
    /// List every unchanged file as an action (for `--verbose`, JSON output, the debug log or
    /// `--fail-fast`, which must know where each one falls), rather than only count them.
    pub list_unchanged: bool,
}

impl<'a> Inputs<'a> {
    /// The side `which` of a record.
    pub fn base<'r>(&self, which: Which, record: &'r Record) -> &'r SideState {
        record.side(which == self.a_side)
    }

    /// The record of a file from the states of its two sides.
    pub fn record(&self, states: Pair<SideState>) -> Record {
        let Pair {
            source,
            destination,
        } = states;
        Record::file(self.a_side == Which::Source, source, destination)
    }

    /// The baseline record of `path` if it is a file's.
    pub fn file_record(&self, path: &str) -> Option<&'a Record> {
        self.baseline.records.get(path).filter(|r| !r.dir)
    }

    /// A walk giving the [`Row`] of each examined path, asked in path order.
    pub fn rows(&self) -> Rows<'a> {
        Rows::new(self.trees, &self.baseline.records)
    }

    /// The paths to plan, the hashes they need, and a plan holding the conflicts found on the
    /// way (Unicode twins) and the warnings about unknown paths.
    pub fn start(&self) -> (Vec<&'a str>, Hashes, Plan) {
        let trees = self.trees;
        let mut paths = super::examined_paths(trees, self.baseline, &self.options.filter);
        let mut plan = Plan::new(self.list_unchanged);
        super::set_aside_normalisation_clashes(&mut paths, trees, &mut plan);
        let hashes = compare::compute(self.hash_requests(&paths), self.sides, self.options.jobs);
        plan.hashed_files = hashes.files_read;
        super::report_unknown(&mut plan, trees, side_names(self.two_way));
        (paths, hashes, plan)
    }

    /// The content hashes planning needs: of a file on a side compared by content whose stat
    /// changed since its record, and of both sides of a file without a record whose sizes
    /// match (each side that can give one; with one side compared by version and no server
    /// checksum, the side compared by content alone). `--force` in a one-way run needs none.
    /// Hashes are taken with the algorithms their comparison needs: those of the record's
    /// hashes ([`compare::algorithms_since`]); SHA-256 where a server's checksum is the other
    /// side; else the current one.
    fn hash_requests(&self, paths: &[&'a str]) -> Vec<HashRequest> {
        let mut requests = Vec::new();
        if (self.options.force || self.options.size_only) && !self.two_way {
            return requests;
        }
        let both_hashable = Which::BOTH
            .iter()
            .all(|&which| compare::can_hash(self.sides[which]));
        let both_content = Which::BOTH
            .iter()
            .all(|&which| self.sides[which].compare == CompareBy::Content);
        let first_run_algorithms: &'static [Algorithm] = if both_hashable && !both_content {
            &[Algorithm::Sha256]
        } else {
            &[Algorithm::CURRENT]
        };
        let mut rows = self.rows();
        for &path in paths {
            let row = rows.at(path);
            let files = Pair::from_fn(|which| row.file(which));
            match row.file_record() {
                Some(record) => {
                    for (which, node) in files.iter() {
                        let side = self.sides[which];
                        if let Some(node) = node {
                            if side.compare == CompareBy::Content
                                && !compare::stat_unchanged(node, self.base(which, record))
                            {
                                requests.push(HashRequest {
                                    which,
                                    path: path.to_string(),
                                    size: node.size,
                                    algorithms: compare::algorithms_since(record),
                                });
                            }
                        }
                    }
                }
                None => {
                    let (Some(s), Some(d)) = (files.source, files.destination) else {
                        continue;
                    };
                    if s.size == d.size
                        || !compare::sizes_comparable(self.sides.source, self.sides.destination)
                    {
                        for which in Which::BOTH {
                            if both_hashable || self.sides[which].compare == CompareBy::Content {
                                requests.push(HashRequest {
                                    which,
                                    path: path.to_string(),
                                    size: files[which].map_or(0, |node| node.size),
                                    algorithms: first_run_algorithms,
                                });
                            }
                        }
                    }
                }
            }
        }
        requests
    }

    /// Did side `which` change since `record`?
    pub fn changed(
        &self,
        which: Which,
        node: &Node,
        record: &Record,
        hashes: &Hashes,
        path: &str,
    ) -> Result<bool, String> {
        if self.options.size_only {
            return Ok(self.stat_changed(which, node, record));
        }
        compare::side_changed(
            self.sides[which],
            which,
            node,
            self.base(which, record),
            hashes,
            path,
        )
    }

    /// Did side `which` change since `record`, told without reading it (`--size-only`): a
    /// content side by size and mtime, a version side by its version. A touched file counts as
    /// changed, which errs towards a conflict, never an overwrite.
    pub fn stat_changed(&self, which: Which, node: &Node, record: &Record) -> bool {
        let base = self.base(which, record);
        match self.sides[which].compare {
            CompareBy::Content => !compare::stat_unchanged(node, base),
            CompareBy::Version => !compare::version_unchanged(node, base),
        }
    }

    /// An unchanged file's record brought up to date (a touched side's new stat and hash, a
    /// pending version read back); `None` when nothing changed.
    pub fn refreshed(
        &self,
        path: &str,
        nodes: Pair<&Node>,
        record: &Record,
        hashes: &Hashes,
    ) -> Option<Record> {
        let refreshed = self.record(Pair::from_fn(|which| {
            let hashed = hashes.get(which, path).and_then(|h| h.as_ref().ok());
            compare::refreshed(
                self.sides[which],
                nodes[which],
                self.base(which, record),
                hashed.map(Vec::as_slice),
            )
        }));
        (refreshed != *record).then_some(refreshed)
    }

    /// Do both sides hold the same content now ([`compare::equal_now`])? Then the record to
    /// store.
    pub fn equal_now(
        &self,
        path: &str,
        nodes: Pair<&Node>,
        hashes: &Hashes,
    ) -> Result<Option<Record>, String> {
        let record = self.file_record(path);
        let now = |which: Which| Now {
            side: self.sides[which],
            which,
            node: nodes[which],
            base: record.map(|r| self.base(which, r)),
        };
        Ok(
            compare::equal_now(&now(Which::Source), &now(Which::Destination), hashes, path)?
                .map(|(source, destination)| self.record(Pair::new(source, destination))),
        )
    }

    /// The common finish: the deletion guard, then the XML check of uploads.
    pub fn finish(&self, plan: &mut Plan) {
        Guard {
            trees: self.trees,
            baseline: self.baseline,
            options: self.options,
            two_way: self.two_way,
        }
        .apply(plan);
        xml::check_uploads(
            plan,
            self.sides.source,
            self.sides.destination,
            self.options,
        );
    }
}
