//! Batched durability (`durability.v1`) from the host's side: a record of a write never reaches
//! the journal before the backend synced that write, the backend is synced before each
//! checkpoint and before the final compaction, and a backend that does not offer the extension
//! keeps one line per action written at once.
//!
//! The destination is the real local backend behind a wrapper that reads the journal on every
//! call and remembers which writes were acknowledged before each sync.

use std::{
    collections::BTreeSet,
    io::Read,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use ferry::{
    backend::Backend,
    plugins::{Registry, SearchPath},
    report::Silent,
    sync::{run_one_way, Side, SyncOptions},
};
use ferry_backend_local::LocalBackend;
use ferry_plugin_api::{
    author::{backend_box, BackendImpl},
    durability::{self, Durable},
    BackendError, Capabilities, Entry, Listing, RawExtension,
};
use ferry_tests::*;

#[derive(Default)]
struct Log {
    /// Paths whose write or rename returned.
    acknowledged: BTreeSet<String>,
    /// Paths acknowledged before a sync that returned.
    synced: BTreeSet<String>,
    syncs: usize,
    /// Journal lines seen before the write they record was synced.
    early: Vec<String>,
    /// The most journal lines seen at once.
    most_lines: usize,
}

struct Watched {
    inner: LocalBackend,
    state_dir: PathBuf,
    offer: bool,
    log: Arc<Mutex<Log>>,
}

impl Watched {
    /// Reads every journal in the state directory and notes lines about unsynced writes.
    fn check_journal(&self) {
        let mut log = self.log.lock().unwrap();
        let mut lines = 0;
        for entry in std::fs::read_dir(&self.state_dir).into_iter().flatten() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "journal") {
                continue;
            }
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                lines += 1;
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                if let Some(set) = value["set"].as_str() {
                    let is_dir = value["record"]["dir"].as_bool() == Some(true);
                    if !is_dir && !log.synced.contains(set) {
                        log.early.push(set.to_string());
                    }
                }
            }
        }
        log.most_lines = log.most_lines.max(lines);
    }

    fn acknowledge(&self, path: &str) {
        self.log
            .lock()
            .unwrap()
            .acknowledged
            .insert(path.to_string());
    }
}

impl BackendImpl for Watched {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    fn list(&self, dir: &str) -> Result<Listing, BackendError> {
        self.inner.list(dir)
    }
    fn stat(&self, path: &str) -> Result<Entry, BackendError> {
        self.check_journal();
        self.inner.stat(path)
    }
    fn open_read(&self, path: &str, offset: u64) -> Result<Box<dyn Read + Send>, BackendError> {
        self.inner.open_read(path, offset)
    }
    fn write(
        &self,
        path: &str,
        source: &mut dyn Read,
        size: Option<u64>,
        mtime_ns: Option<i64>,
    ) -> Result<Entry, BackendError> {
        self.check_journal();
        let entry = self.inner.write(path, source, size, mtime_ns)?;
        self.acknowledge(path);
        Ok(entry)
    }
    fn delete(&self, path: &str) -> Result<(), BackendError> {
        self.inner.delete(path)
    }
    fn mkdir(&self, path: &str) -> Result<(), BackendError> {
        self.inner.mkdir(path)
    }
    fn rmdir(&self, path: &str, recursive: bool) -> Result<(), BackendError> {
        self.inner.rmdir(path, recursive)
    }
    fn rename(&self, from: &str, to: &str) -> Result<(), BackendError> {
        self.check_journal();
        self.inner.rename(from, to)?;
        self.acknowledge(to);
        Ok(())
    }
    fn set_mtime(&self, path: &str, mtime_ns: i64) -> Result<(), BackendError> {
        self.inner.set_mtime(path, mtime_ns)
    }
    fn extension(&self, name: &str) -> Option<RawExtension> {
        if !self.offer || name != durability::NAME {
            return None;
        }
        // Switches the real backend to deferred durability; the wrapper's module syncs it.
        self.inner.extension(name)?;
        Some(durability::extension_for(self))
    }
}

impl Durable for Watched {
    fn defer_durability(&self) {}

    fn sync_written(&self) -> Result<(), BackendError> {
        self.check_journal();
        let acknowledged = self.log.lock().unwrap().acknowledged.clone();
        self.inner.sync_written()?;
        let mut log = self.log.lock().unwrap();
        log.synced.extend(acknowledged);
        log.syncs += 1;
        Ok(())
    }
}

/// Syncs `files` files into a watched destination with checkpoints every 25 actions.
fn sync_watched(files: usize, offer: bool) -> (Log, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst, state) = (
        dir.path().join("src"),
        dir.path().join("dst"),
        dir.path().join("state"),
    );
    for i in 0..files {
        let path = src.join(format!("d{}/f{i}", i % 4));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!("file {i}").repeat(i % 7 + 1)).unwrap();
    }
    std::fs::create_dir_all(&state).unwrap();
    let plugin = Registry::new(SearchPath::only([workspace_plugin_dir()]))
        .get("local")
        .unwrap();
    let log = Arc::new(Mutex::new(Log::default()));
    let watched = Watched {
        inner: LocalBackend::at(&dst),
        state_dir: state.clone(),
        offer,
        log: log.clone(),
    };
    let source = Backend::from_box(
        plugin.clone(),
        backend_box(LocalBackend::at(&src)),
        &src.to_string_lossy(),
    );
    let destination = Backend::from_box(plugin, backend_box(watched), &dst.to_string_lossy());
    let options = SyncOptions {
        checkpoint_every: 25,
        ..SyncOptions::default()
    };
    let summary = run_one_way(
        &Side::new(&source, format!("local:{}", src.display())),
        &Side::new(&destination, format!("local:{}", dst.display())),
        &options,
        &state,
        &Silent,
    )
    .unwrap();
    assert_eq!(summary.uploaded, files as u64);
    assert_eq!(summary.failed, 0);
    drop(destination);
    let log = std::mem::take(&mut *log.lock().unwrap());
    (log, dst, dir)
}

fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, files: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.push((relative, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(root, root, &mut files);
    files.sort();
    files
}

#[test]
fn no_record_reaches_the_journal_before_its_bytes_are_synced() {
    let (log, dst, dir) = sync_watched(120, true);
    assert!(
        log.early.is_empty(),
        "journaled before synced: {:?}",
        log.early
    );
    // Lines were written at checkpoints (so the journal was used, not bypassed)…
    assert!(
        log.most_lines >= 25,
        "the journal had at most {} lines",
        log.most_lines
    );
    // …one sync before each of the 4 or 5 checkpoints (120 files and 4 directories, one line
    // each, every 25), and one before the compaction.
    assert!((5..=7).contains(&log.syncs), "{} syncs", log.syncs);
    assert_eq!(tree(&dst), tree(&dir.path().join("src")));
}

#[test]
fn without_the_extension_lines_are_written_as_actions_complete() {
    let (log, dst, dir) = sync_watched(60, false);
    assert_eq!(log.syncs, 0);
    // Every acknowledged copy had its line in the journal before the next write began; the
    // watcher saw them "early" because nothing is ever synced through the extension.
    assert!(log.early.len() >= 50, "{} lines seen", log.early.len());
    assert_eq!(tree(&dst), tree(&dir.path().join("src")));
}
