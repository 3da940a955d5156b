//! The options of a sync run, validated before any work starts.

use std::str::FromStr;

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use anyhow::{bail, Context};

use crate::filter::Filter;

/// Limit on deletions in one run (`--max-delete N|P%`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MaxDelete {
    /// 50% of the destination's files, once more than 10 would go.
    #[default]
    Default,
    /// At most this many files.
    Count(usize),
    /// At most this percentage of the destination's files.
    Percent(u32),
}

impl MaxDelete {
    /// Would deleting `deletions` of `total` destination files exceed the limit?
    pub fn exceeded(self, deletions: usize, total: usize) -> bool {
        match self {
            MaxDelete::Default => deletions > 10 && deletions * 2 > total,
            MaxDelete::Count(limit) => deletions > limit,
            MaxDelete::Percent(percent) => deletions * 100 > total * percent as usize,
        }
    }
}

impl std::fmt::Display for MaxDelete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MaxDelete::Default => f.write_str("the default limit of 50% once more than 10 files"),
            MaxDelete::Count(n) => write!(f, "--max-delete {n}"),
            MaxDelete::Percent(p) => write!(f, "--max-delete {p}%"),
        }
    }
}

impl FromStr for MaxDelete {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> anyhow::Result<Self> {
        if let Some(percent) = text.strip_suffix('%') {
            let value: u32 = percent
                .trim()
                .parse()
                .with_context(|| format!("`{text}` is not a percentage"))?;
            if value > 100 {
                bail!("`{text}`: a percentage is at most 100%");
            }
            return Ok(MaxDelete::Percent(value));
        }
        text.trim()
            .parse()
            .map(MaxDelete::Count)
            .with_context(|| format!("`{text}` is neither a count nor a percentage such as 25%"))
    }
}

/// Asks a run to stop: workers take no new work, copies under way end at their next read, the
/// state is saved and the summary says `interrupted`. The caller owns it: a clone handed to
/// another thread (or a signal handler) cancels the run it was given to.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A token nobody has cancelled yet.
    pub fn new() -> Self {
        Cancel::default()
    }

    /// Asks the run to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Has it been asked to stop?
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Everything that shapes a run (one-way or bisync).
#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// Transfer every source file and ignore conflicts.
    pub force: bool,
    /// Delete destination files (and empty directories) that are gone from the source.
    pub delete: bool,
    /// Also delete destination entries the filters leave out (directories with everything in
    /// them), as pyftpsync's `--delete-unmatched`; implies `delete`.
    pub delete_unmatched: bool,
    /// One-way: never replace a file the destination already has, whatever it holds (rsync's
    /// `--ignore-existing`); only new files are copied.
    pub ignore_existing: bool,
    /// One-way: a file whose size is the same on both sides is left alone, whatever its
    /// content or date (rsync's `--size-only`); no file is read to compare it. A destination
    /// whose size or date changed since the last sync still counts as changed (a conflict,
    /// never an overwrite), and a file left alone is not recorded as in step.
    pub size_only: bool,
    /// Files a run would replace or delete on a side are first moved (or, for a replacement,
    /// copied) below this directory of that side, at the same relative path (`--backup-dir`).
    /// The directory itself is outside the run.
    pub backup_dir: Option<String>,
    /// Change nothing (the state included); report what would happen.
    pub dry_run: bool,
    /// Stop at the first conflict, invalid file or failure.
    pub fail_fast: bool,
    /// Check XML well-formedness before upload even if the destination does not require it.
    pub check_xml: bool,
    /// Never check XML.
    pub allow_malformed: bool,
    /// Parallel workers for listing, hashing and transfers.
    pub jobs: usize,
    /// Retries of a transfer after a retryable error.
    pub retries: u32,
    /// Make the state durable every this many completed actions.
    pub checkpoint_every: usize,
    /// Limit on deletions.
    pub max_delete: MaxDelete,
    /// Include/exclude patterns.
    pub filter: Filter,
    /// Cancels the run from elsewhere.
    pub cancel: Cancel,
    /// The run's bandwidth budget (`--bwlimit`), shared by every transfer.
    pub bwlimit: Option<crate::transfer::bwlimit::RateLimit>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            force: false,
            delete: false,
            delete_unmatched: false,
            ignore_existing: false,
            size_only: false,
            backup_dir: None,
            dry_run: false,
            fail_fast: false,
            check_xml: false,
            allow_malformed: false,
            jobs: 4,
            retries: 3,
            checkpoint_every: 100,
            max_delete: MaxDelete::Default,
            filter: Filter::default(),
            cancel: Cancel::new(),
            bwlimit: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_delete_parses_and_limits() {
        assert_eq!("5".parse::<MaxDelete>().unwrap(), MaxDelete::Count(5));
        assert_eq!("25%".parse::<MaxDelete>().unwrap(), MaxDelete::Percent(25));
        assert!("x".parse::<MaxDelete>().is_err());
        assert!("101%".parse::<MaxDelete>().is_err());
        assert!(!MaxDelete::Default.exceeded(10, 10));
        assert!(MaxDelete::Default.exceeded(11, 20));
        assert!(!MaxDelete::Default.exceeded(11, 30));
        assert!(MaxDelete::Count(2).exceeded(3, 100));
        assert!(MaxDelete::Percent(10).exceeded(11, 100));
    }
}
