//! Where a baseline lives and how it is written, crash-safe at O(changes) per checkpoint.
//!
//! Files, for a pair whose key is the first 16 hex digits of SHA-256 over its two endpoint
//! labels (sorted), in `$XDG_STATE_HOME/ferry/` (default `~/.local/state/ferry/`), mode 0600:
//!
//! - `KEY.json`, the compacted snapshot: `{"format": "ferry-baseline", "version": 2,
//!   "endpoints": [A, B], "records": {PATH: {"dir"?: true, "a": SIDE, "b": SIDE}}}` where SIDE is
//!   `{"blake3"?, "sha256"?, "size", "mtime_ns"?, "token"?, "pending"?}`
//!   ([`SideState`](super::record::SideState));
//! - `KEY.journal`, changes since the snapshot, one JSON object a line: `{"set": PATH, "record":
//!   RECORD}` or `{"drop": PATH}`. Every completed action is appended at once (so a killed
//!   process loses nothing) and the journal is fsynced every `checkpoint_every` actions (so a
//!   power cut loses at most that many). Where a backend defers durability the lines are held
//!   in memory until the backend synced ([`StateStore::hold_lines`]);
//! - `KEY.lock`, held while a run writes.
//!
//! Loading replays the journal over the snapshot; a torn last line (a power cut in the middle of
//! an append) is ignored, and a writing session cuts it off before appending, so that a second
//! interruption cannot bury it mid-file. At the end of a run that changed anything the snapshot
//! is rewritten atomically (temporary file, fsync, rename) and the journal removed; a run that
//! changed nothing leaves the files alone. A snapshot of a newer
//! format version, or one that does not parse, is an error that names the file: never a silent
//! reset. Version 1 (hashes all SHA-256) is read as it is, and rewritten as version 2 when a run
//! first opens it for writing, before any BLAKE3 hash reaches its journal: an older ferry then
//! refuses the state by its version rather than by a journal line it cannot read.

use std::{
    fs::{self, File, OpenOptions},
    io::{BufRead, BufReader, Write},
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use super::{
    format::{Header, JournalLine, JournalLineRef, Snapshot, SnapshotRef},
    record::{Baseline, Record},
};

/// The on-disk format version this ferry writes.
pub const FORMAT_VERSION: u32 = 2;
/// The longest a held journal line waits for its checkpoint ([`StateStore::hold_lines`]): what
/// a killed run can lose of a slow transfer.
pub const HOLD_AT_MOST: Duration = Duration::from_secs(1);
/// The oldest format version this ferry reads.
const OLDEST_READABLE_VERSION: u32 = 1;
const FORMAT_NAME: &str = "ferry-baseline";

/// The directory holding baselines: `$XDG_STATE_HOME/ferry`, else `~/.local/state/ferry`.
pub fn state_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return Ok(dir.join("ferry"));
    }
    let home = std::env::var_os("HOME")
        .context("neither $XDG_STATE_HOME nor $HOME is set; cannot place the sync state")?;
    Ok(PathBuf::from(home).join(".local/state/ferry"))
}

/// The files of one pair's baseline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatePaths {
    /// The compacted snapshot.
    pub snapshot: PathBuf,
    /// The journal of changes since the snapshot.
    pub journal: PathBuf,
    /// The lock held by a writing run.
    pub lock: PathBuf,
    /// The two endpoint labels, sorted: index 0 is side `a`.
    pub endpoints: [String; 2],
}

impl StatePaths {
    /// The paths for the pair of endpoint labels (in any order) under `dir`.
    pub fn new(dir: &Path, one: &str, other: &str) -> Self {
        let mut endpoints = [one.to_string(), other.to_string()];
        endpoints.sort();
        let mut hasher = Sha256::new();
        hasher.update(FORMAT_NAME.as_bytes());
        for label in &endpoints {
            hasher.update([0u8]);
            hasher.update(label.as_bytes());
        }
        let key = crate::hash::hex(&hasher.finalize()[..8]);
        StatePaths {
            snapshot: dir.join(format!("{key}.json")),
            journal: dir.join(format!("{key}.journal")),
            lock: dir.join(format!("{key}.lock")),
            endpoints,
        }
    }

    /// Is `label` side `a` of this pair?
    pub fn is_side_a(&self, label: &str) -> bool {
        self.endpoints[0] == label
    }

    /// Does a snapshot or a journal exist?
    pub fn exists(&self) -> bool {
        self.snapshot.exists() || self.journal.exists()
    }

    pub(super) fn remove(&self) -> Result<()> {
        for file in [&self.snapshot, &self.journal, &self.lock] {
            match fs::remove_file(file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("cannot remove {}", file.display()))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The baseline an older ferry kept for this pair under another spelling of its labels
/// (`legacy`: pairs of labels in the run's order, first then second), re-keyed for `paths`,
/// whose first label is side `a` when `first_is_a`. `None` when there is none.
pub fn find_legacy(
    paths: &StatePaths,
    first_is_a: bool,
    legacy: &[(String, String)],
) -> Result<Option<Baseline>> {
    Ok(find_legacy_paths(paths, first_is_a, legacy)?.map(|(_, baseline)| baseline))
}

fn find_legacy_paths(
    paths: &StatePaths,
    first_is_a: bool,
    legacy: &[(String, String)],
) -> Result<Option<(StatePaths, Baseline)>> {
    let dir = paths
        .snapshot
        .parent()
        .expect("state files live in a directory");
    for (first, second) in legacy {
        let old = StatePaths::new(dir, first, second);
        if old == *paths || !old.exists() {
            continue;
        }
        let mut baseline = load(&old)?;
        if old.is_side_a(first) != first_is_a {
            for record in baseline.records.values_mut() {
                std::mem::swap(&mut record.a, &mut record.b);
            }
        }
        return Ok(Some((old, baseline)));
    }
    Ok(None)
}

/// Moves a state kept under an older spelling of the pair's labels to `paths`, unless `paths`
/// already has one: the same place keeps its history however it is written.
pub fn adopt_legacy(
    paths: &StatePaths,
    first_is_a: bool,
    legacy: &[(String, String)],
) -> Result<()> {
    if paths.exists() {
        return Ok(());
    }
    let Some((old, baseline)) = find_legacy_paths(paths, first_is_a, legacy)? else {
        return Ok(());
    };
    // Both locks: neither an old nor a new ferry may write either state meanwhile.
    let (old_store, _) = StateStore::open(old.clone(), 1)?;
    let (mut store, _) = StateStore::open(paths.clone(), 1)?;
    store.compact(&baseline)?;
    drop(old_store);
    old.remove()
}

/// Loads the baseline of `paths` (empty if none exists yet).
pub fn load(paths: &StatePaths) -> Result<Baseline> {
    Ok(load_versioned(paths)?.0)
}

fn readable(version: u64) -> bool {
    (u64::from(OLDEST_READABLE_VERSION)..=u64::from(FORMAT_VERSION)).contains(&version)
}

/// [`load`], and the format version of the snapshot if there is one.
fn load_versioned(paths: &StatePaths) -> Result<(Baseline, Option<u32>)> {
    let mut baseline = Baseline::default();
    let mut version = None;
    match fs::read(&paths.snapshot) {
        Ok(bytes) => {
            let shown = paths.snapshot.display();
            let snapshot = match serde_json::from_slice::<Snapshot>(&bytes) {
                Ok(snapshot)
                    if snapshot.format == FORMAT_NAME && readable(snapshot.version.into()) =>
                {
                    snapshot
                }
                parsed => {
                    // Say why from the header alone: another format, another version, damage.
                    let header: Header = serde_json::from_slice(&bytes)
                        .with_context(|| format!("the sync state {shown} is unreadable (not JSON); move it away to start over, and ferry will compare both sides afresh"))?;
                    let (format, version) = (header.format, header.version);
                    if format != FORMAT_NAME {
                        bail!("{shown} is not a ferry sync state (format `{format}`)");
                    }
                    if !readable(version) {
                        bail!("the sync state {shown} has format version {version}, but this ferry reads versions {OLDEST_READABLE_VERSION} to {FORMAT_VERSION}; use the ferry that wrote it, or move the file away to start over");
                    }
                    return Err(parsed.err().map_or_else(
                        || anyhow::anyhow!("the sync state {shown} is damaged"),
                        anyhow::Error::from,
                    ))
                    .with_context(|| {
                        format!("the sync state {shown} is damaged; move it away to start over")
                    });
                }
            };
            if snapshot.endpoints != paths.endpoints {
                bail!(
                    "the sync state {shown} belongs to {} ↔ {}, not to this pair",
                    snapshot.endpoints[0],
                    snapshot.endpoints[1]
                );
            }
            drop(bytes);
            version = Some(snapshot.version);
            baseline.records = snapshot.records.into_iter().collect();
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e).with_context(|| {
                format!("cannot read the sync state {}", paths.snapshot.display())
            })
        }
    }
    replay_journal(&paths.journal, &mut baseline)?;
    Ok((baseline, version))
}

fn replay_journal(path: &Path, baseline: &mut Baseline) -> Result<()> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the sync journal {}", path.display()))
        }
    };
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot read the sync journal {}", path.display()))?;
    let count = lines.len();
    for (index, line) in lines.into_iter().enumerate() {
        match serde_json::from_str::<JournalLine>(&line) {
            Ok(JournalLine::Set { set, record }) => {
                baseline.records.insert(set, *record);
            }
            Ok(JournalLine::Drop { drop }) => {
                baseline.records.remove(&drop);
            }
            // A line cut short by a crash can only be the last one.
            Err(_) if index + 1 == count => {}
            Err(e) => bail!(
                "the sync journal {} is damaged at line {}: {e}",
                path.display(),
                index + 1
            ),
        }
    }
    Ok(())
}

/// Cuts a journal back to its last complete line (one ending in a newline that parses). Appends
/// then start on a line of their own.
fn repair_torn_tail(path: &Path) -> Result<()> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the sync journal {}", path.display()))
        }
    };
    let mut keep = bytes.len();
    if !bytes.ends_with(b"\n") {
        keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    } else if let Some(last) = bytes[..bytes.len() - 1].split(|&b| b == b'\n').next_back() {
        // Complete in length but not in content (a crash can leave zeros): parse it.
        if serde_json::from_slice::<JournalLine>(last).is_err() {
            keep = bytes.len() - 1 - last.len();
        }
    }
    if keep == bytes.len() {
        return Ok(());
    }
    crate::plugins::host_services::warn(&format!(
        "the sync journal {} ended in a torn line (an interrupted write); it was dropped",
        path.display()
    ));
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .with_context(|| format!("cannot repair the sync journal {}", path.display()))?;
    file.set_len(keep as u64)
        .and_then(|()| file.sync_data())
        .with_context(|| format!("cannot repair the sync journal {}", path.display()))
}

/// A writing session on one baseline: holds the lock, appends to the journal, compacts at the end.
#[derive(Debug)]
pub struct StateStore {
    paths: StatePaths,
    _lock: File,
    journal: Option<File>,
    checkpoint_every: usize,
    since_checkpoint: usize,
    /// Journal lines not written yet, and since when (see [`StateStore::hold_lines`]).
    held: String,
    held_since: Option<Instant>,
    hold: bool,
    /// Changes not in the snapshot yet: a journal was found, or one was appended since.
    changed: bool,
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.mode(0o600);
    options
}

/// Takes the lock of `paths`'s baseline, as every writer does; held until the file is dropped.
pub(super) fn lock(paths: &StatePaths) -> Result<File> {
    let lock = private_options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&paths.lock)
        .with_context(|| format!("cannot create {}", paths.lock.display()))?;
    if lock.try_lock().is_err() {
        bail!(
            "another ferry run is syncing this pair right now (lock {}); wait for it to finish",
            paths.lock.display()
        );
    }
    Ok(lock)
}

impl StateStore {
    /// Locks the baseline of `paths` for writing and loads it.
    pub fn open(paths: StatePaths, checkpoint_every: usize) -> Result<(Self, Baseline)> {
        let dir = paths
            .snapshot
            .parent()
            .expect("state files live in a directory");
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the state directory {}", dir.display()))?;
        let lock = lock(&paths)?;
        let (baseline, version) = load_versioned(&paths)?;
        repair_torn_tail(&paths.journal)?;
        let changed = paths.journal.exists();
        let mut store = StateStore {
            paths,
            _lock: lock,
            journal: None,
            checkpoint_every: checkpoint_every.max(1),
            since_checkpoint: 0,
            held: String::new(),
            held_since: None,
            hold: false,
            changed,
        };
        if version.is_some_and(|v| v < FORMAT_VERSION) {
            store.changed = true;
            store.compact(&baseline)?;
        }
        Ok((store, baseline))
    }

    /// The files of this baseline.
    pub fn paths(&self) -> &StatePaths {
        &self.paths
    }

    /// Keeps journal lines in memory until the next [`Self::checkpoint`] instead of writing
    /// each at once: for runs whose writes are not durable when acknowledged (a backend with
    /// deferred durability). A line must not reach the disk before the bytes it vouches for,
    /// and the kernel may write a journal page back at any time; the caller syncs the backends
    /// and then checkpoints. A kill then loses the held lines (at most `checkpoint_every`
    /// actions or [`HOLD_AT_MOST`]), which the next run recovers from as from any lost line:
    /// equal files are recorded, nothing is lost.
    pub fn hold_lines(&mut self) {
        self.hold = true;
    }

    /// Adds one change: written to the journal at once, or held (see [`Self::hold_lines`]).
    /// Returns whether a checkpoint is due: `checkpoint_every` changes since the last one, or
    /// lines held for [`HOLD_AT_MOST`].
    pub fn append(&mut self, path: &str, record: Option<&Record>) -> Result<bool> {
        let line = match record {
            Some(record) => serde_json::to_string(&JournalLineRef::Set { set: path, record }),
            None => serde_json::to_string(&JournalLineRef::Drop { drop: path }),
        }
        .expect("records serialise");
        self.changed = true;
        self.held.push_str(&line);
        self.held.push('\n');
        let held_since = *self.held_since.get_or_insert_with(Instant::now);
        if !self.hold {
            self.write_held()?;
        }
        self.since_checkpoint += 1;
        Ok(self.since_checkpoint >= self.checkpoint_every
            || (self.hold && held_since.elapsed() >= HOLD_AT_MOST))
    }

    /// Writes the held lines to the journal (not yet durable).
    fn write_held(&mut self) -> Result<()> {
        let lines = std::mem::take(&mut self.held);
        self.held_since = None;
        self.write_lines(&lines)
    }

    /// Appends `lines` to the journal (not yet durable).
    fn write_lines(&mut self, lines: &str) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        if self.journal.is_none() {
            let file = private_options()
                .create(true)
                .append(true)
                .open(&self.paths.journal)
                .with_context(|| {
                    format!(
                        "cannot write the sync journal {}",
                        self.paths.journal.display()
                    )
                })?;
            self.journal = Some(file);
        }
        let journal = self.journal.as_mut().expect("opened above");
        journal.write_all(lines.as_bytes()).with_context(|| {
            format!(
                "cannot write the sync journal {}",
                self.paths.journal.display()
            )
        })
    }

    /// Makes every appended change durable. With lines held, the caller has made the writes
    /// they record durable first.
    pub fn checkpoint(&mut self) -> Result<()> {
        let lines = self.take_checkpoint();
        self.write_checkpoint(&lines)
    }

    /// The first half of a checkpoint done elsewhere (see [`Self::hold_lines`]): takes the held
    /// lines, which [`Self::write_checkpoint`] writes once the writes they record are durable,
    /// and starts counting towards the next checkpoint.
    pub fn take_checkpoint(&mut self) -> String {
        self.since_checkpoint = 0;
        self.held_since = None;
        std::mem::take(&mut self.held)
    }

    /// The second half: appends `lines` (from [`Self::take_checkpoint`], in the order taken)
    /// and makes the journal durable.
    pub fn write_checkpoint(&mut self, lines: &str) -> Result<()> {
        self.write_lines(lines)?;
        if let Some(journal) = &self.journal {
            journal
                .sync_data()
                .with_context(|| format!("cannot sync {}", self.paths.journal.display()))?;
        }
        Ok(())
    }

    /// Writes `baseline` as the new snapshot (atomically) and removes the journal — unless
    /// nothing changed since the snapshot was read, which is then already `baseline`.
    pub fn compact(&mut self, baseline: &Baseline) -> Result<()> {
        if !self.changed && self.paths.snapshot.exists() {
            return Ok(());
        }
        let snapshot = SnapshotRef {
            format: FORMAT_NAME,
            version: FORMAT_VERSION,
            endpoints: &self.paths.endpoints,
            records: &baseline.records,
        };
        let temp = self.paths.snapshot.with_extension("json.tmp");
        {
            let mut file = private_options()
                .create(true)
                .write(true)
                .truncate(true)
                .open(&temp)
                .with_context(|| format!("cannot write {}", temp.display()))?;
            serde_json::to_writer(std::io::BufWriter::new(&mut file), &snapshot)
                .with_context(|| format!("cannot write {}", temp.display()))?;
            file.sync_all()
                .with_context(|| format!("cannot sync {}", temp.display()))?;
        }
        fs::rename(&temp, &self.paths.snapshot)
            .with_context(|| format!("cannot replace {}", self.paths.snapshot.display()))?;
        if let Some(dir) = self.paths.snapshot.parent() {
            if let Ok(dir) = File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        self.journal = None;
        // The snapshot holds what the held lines said.
        self.held.clear();
        self.held_since = None;
        self.changed = false;
        match fs::remove_file(&self.paths.journal) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot remove {}", self.paths.journal.display()))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
