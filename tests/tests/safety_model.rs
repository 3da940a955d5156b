//! The safety promise as a model-based property test (sync-semantics §6): random edits on two
//! local trees — files written, deleted, turned into directories and back, directories replaced
//! by symlinks, the same name written in NFC and NFD — interleaved with runs of every mode
//! (bisync under every strategy, push and pull with and without `--delete`, push with
//! `--size-only`) under faults: a file whose stat fails, filters that change between runs, a
//! root that vanishes and comes back, a source edited while it is read, and a crash after a random number of changes (the
//! last change done but never journaled, as a kill between a commit and its journal line).
//!
//! The runs are in-process (the library, the real local plugin wrapped in a fault-injecting
//! backend), so that `PROPTEST_CASES=10000` stays within minutes. After every run:
//! - every version that existed on either side when the run started still exists on some side,
//!   unless a rule removed it on the user's instruction (a deletion or edit carried over, a
//!   mirror with `--delete`, a first run's overwrite, a strategy that picks a side), and then the
//!   output named the path; with `--backup-dir`, no version goes at all;
//! - nothing behind a symlink changed; an unreadable file is exactly where it was; a vanished
//!   root stops the run and is not re-created; no side gains a second spelling of a name;
//! - after any faulted run, one clean run converges, and the run after that changes nothing.

use std::{
    collections::{BTreeMap, BTreeSet},
    io::Read,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, OnceLock,
    },
};

use ferry::{
    backend::Backend,
    plan::{
        resolve::{Conflict, Decision},
        Which,
    },
    plugins::{LoadedPlugin, Registry, SearchPath},
    report::{Event, Reporter, Summary},
    sync::{run_bisync, run_one_way, Side, SyncOptions},
};
use ferry_backend_local::LocalBackend;
use ferry_plugin_api::{
    author::{backend_box, BackendImpl},
    BackendError, Capabilities, Entry, ErrorKind, Listing,
};
use ferry_tests::*;
use proptest::prelude::*;

const NFC: &str = "caf\u{e9}";
const NFD: &str = "cafe\u{301}";
const FILES: [&str; 6] = ["a", "b", "d/c", "d/e", "f/g", NFC];
const DIRS: [&str; 2] = ["d", "f"];
/// Top-level files that may become directories.
const TURNABLE: [&str; 2] = ["a", "b"];
const STRATEGIES: [&str; 6] = ["skip", "keep-both", "local", "remote", "new", "old"];
const EXCLUDES: [Option<&str>; 4] = [None, Some("b"), Some("d"), Some("g")];
/// Where runs with `--backup-dir` keep what they replace or delete.
const BACKUP_DIR: &str = "kept";

/// Faults one side's backend injects into the next run.
#[derive(Default)]
struct Faults {
    /// Paths listed as problems (their stat fails).
    unreadable: Mutex<BTreeSet<String>>,
    /// A path rewritten in place (same size, new bytes, new mtime) as soon as it is opened for
    /// reading.
    edit_on_read: Mutex<Option<(String, Vec<u8>)>>,
}

/// The crash shared by both sides: changes left before it, and whether it happened.
#[derive(Default)]
struct Crash {
    left: Mutex<Option<usize>>,
    happened: AtomicBool,
}

/// The real local backend with faults.
struct Faulty {
    inner: LocalBackend,
    root: PathBuf,
    faults: Arc<Faults>,
    crash: Arc<Crash>,
}

impl Faulty {
    /// Runs a change unless the process has "crashed"; the change that crashes it is done but
    /// reported as failed, so that the host journals nothing for it.
    fn change<T>(&self, op: impl FnOnce() -> Result<T, BackendError>) -> Result<T, BackendError> {
        let crashed = || BackendError::new(ErrorKind::OTHER, "crashed (test fault)");
        if self.crash.happened.load(Ordering::SeqCst) {
            return Err(crashed());
        }
        let mut left = self.crash.left.lock().unwrap();
        match *left {
            Some(0) => {
                *left = None;
                drop(left);
                let _ = op();
                self.crash.happened.store(true, Ordering::SeqCst);
                Err(crashed())
            }
            Some(n) => {
                *left = Some(n - 1);
                drop(left);
                op()
            }
            None => {
                drop(left);
                op()
            }
        }
    }
}

impl BackendImpl for Faulty {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    fn list(&self, dir: &str) -> Result<Listing, BackendError> {
        let mut listing = self.inner.list(dir)?;
        let unreadable = self.faults.unreadable.lock().unwrap();
        let path_of = |name: &str| {
            if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            }
        };
        let (hidden, shown): (Vec<Entry>, Vec<Entry>) = listing
            .entries
            .into_iter()
            .partition(|e| unreadable.contains(&path_of(e.name.as_str())));
        listing.entries = shown.into();
        for entry in hidden {
            let path = path_of(entry.name.as_str());
            listing.problems.push(
                BackendError::new(ErrorKind::PERMISSION_DENIED, format!("{path}: denied"))
                    .with_context("path", &path),
            );
        }
        Ok(listing)
    }
    fn stat(&self, path: &str) -> Result<Entry, BackendError> {
        if self.faults.unreadable.lock().unwrap().contains(path) {
            return Err(BackendError::new(ErrorKind::PERMISSION_DENIED, "denied"));
        }
        self.inner.stat(path)
    }
    fn open_read(&self, path: &str, offset: u64) -> Result<Box<dyn Read + Send>, BackendError> {
        let reader = self.inner.open_read(path, offset)?;
        let mut edit = self.faults.edit_on_read.lock().unwrap();
        if edit.as_ref().is_some_and(|(p, _)| p == path) {
            let (_, bytes) = edit.take().unwrap();
            let full = self.root.join(path);
            std::fs::write(&full, bytes).unwrap();
            let later = std::time::SystemTime::now() + std::time::Duration::from_secs(7);
            std::fs::File::options()
                .write(true)
                .open(&full)
                .unwrap()
                .set_modified(later)
                .unwrap();
        }
        Ok(reader)
    }
    fn write(
        &self,
        path: &str,
        source: &mut dyn Read,
        size: Option<u64>,
        mtime: Option<i64>,
    ) -> Result<Entry, BackendError> {
        self.change(|| self.inner.write(path, source, size, mtime))
    }
    fn delete(&self, path: &str) -> Result<(), BackendError> {
        self.change(|| self.inner.delete(path))
    }
    fn mkdir(&self, path: &str) -> Result<(), BackendError> {
        self.change(|| self.inner.mkdir(path))
    }
    fn rmdir(&self, path: &str, recursive: bool) -> Result<(), BackendError> {
        self.change(|| self.inner.rmdir(path, recursive))
    }
    fn rename(&self, from: &str, to: &str) -> Result<(), BackendError> {
        self.change(|| self.inner.rename(from, to))
    }
    fn set_mtime(&self, path: &str, mtime_ns: i64) -> Result<(), BackendError> {
        self.change(|| self.inner.set_mtime(path, mtime_ns))
    }
}

/// Every path an event names.
#[derive(Default)]
struct Said(Mutex<Vec<String>>);

impl Reporter for Said {
    fn event(&self, event: &Event<'_>, _dry_run: bool) {
        let path = match event {
            Event::Transferred { path, .. }
            | Event::DirCreated { path, .. }
            | Event::Deleted { path, .. }
            | Event::Unchanged { path }
            | Event::Conflict { path, .. }
            | Event::Resolved { path, .. }
            | Event::Invalid { path, .. }
            | Event::Failed { path, .. } => path.trim_end_matches('/').to_string(),
            Event::Warning { .. } => return,
        };
        self.0.lock().unwrap().push(path);
    }
}

fn local_plugin() -> Arc<LoadedPlugin> {
    static PLUGIN: OnceLock<Arc<LoadedPlugin>> = OnceLock::new();
    PLUGIN
        .get_or_init(|| {
            Registry::new(SearchPath::only([workspace_plugin_dir()]))
                .get("local")
                .unwrap()
        })
        .clone()
}

#[derive(Clone, Copy, Debug)]
enum Mode {
    Bisync(usize),
    /// `size_only`: `--size-only`, which reads no file and must still see a changed
    /// destination.
    Push {
        delete: bool,
        size_only: bool,
    },
    Pull {
        delete: bool,
    },
}

#[derive(Clone, Debug)]
enum Op {
    Write {
        remote: bool,
        file: usize,
    },
    DeleteFile {
        remote: bool,
        file: usize,
    },
    DeleteDir {
        remote: bool,
        dir: usize,
    },
    FileToDir {
        remote: bool,
        file: usize,
    },
    DirToFile {
        remote: bool,
        dir: usize,
    },
    Symlink {
        remote: bool,
        dir: usize,
    },
    NfdTwin {
        remote: bool,
    },
    Unreadable {
        remote: bool,
        file: usize,
    },
    EditDuringRead {
        remote: bool,
        file: usize,
    },
    Crash {
        after: usize,
    },
    Vanish {
        remote: bool,
    },
    Filter {
        exclude: usize,
    },
    /// Runs from now on keep what they replace or delete in `BACKUP_DIR` (`--backup-dir`).
    Backup {
        on: bool,
    },
    Run(Mode),
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![
        3 => (0..STRATEGIES.len()).prop_map(Mode::Bisync),
        1 => (any::<bool>(), any::<bool>())
            .prop_map(|(delete, size_only)| Mode::Push { delete, size_only }),
        1 => any::<bool>().prop_map(|delete| Mode::Pull { delete }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let side = any::<bool>;
    prop_oneof![
        6 => (side(), 0..FILES.len()).prop_map(|(remote, file)| Op::Write { remote, file }),
        2 => (side(), 0..FILES.len()).prop_map(|(remote, file)| Op::DeleteFile { remote, file }),
        1 => (side(), 0..DIRS.len()).prop_map(|(remote, dir)| Op::DeleteDir { remote, dir }),
        1 => (side(), 0..TURNABLE.len()).prop_map(|(remote, file)| Op::FileToDir { remote, file }),
        1 => (side(), 0..DIRS.len()).prop_map(|(remote, dir)| Op::DirToFile { remote, dir }),
        1 => (side(), 0..DIRS.len()).prop_map(|(remote, dir)| Op::Symlink { remote, dir }),
        1 => side().prop_map(|remote| Op::NfdTwin { remote }),
        1 => (side(), 0..FILES.len()).prop_map(|(remote, file)| Op::Unreadable { remote, file }),
        1 => (side(), 0..FILES.len()).prop_map(|(remote, file)| Op::EditDuringRead { remote, file }),
        1 => (0..5usize).prop_map(|after| Op::Crash { after }),
        1 => side().prop_map(|remote| Op::Vanish { remote }),
        1 => (0..EXCLUDES.len()).prop_map(|exclude| Op::Filter { exclude }),
        1 => any::<bool>().prop_map(|on| Op::Backup { on }),
        4 => mode().prop_map(Op::Run),
    ]
}

/// Files below `dir` with their contents (ferry's partial files aside; symlinks not followed).
fn files(dir: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(items) = std::fs::read_dir(dir) else {
            return;
        };
        for item in items.flatten() {
            let path = item.path();
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let kind = item.file_type().unwrap();
            if kind.is_dir() {
                walk(base, &path, out);
            } else if kind.is_file()
                && !ferry_plugin_api::temp_name::is_temp_name(&item.file_name().to_string_lossy())
            {
                out.insert(
                    rel,
                    String::from_utf8(std::fs::read(&path).unwrap()).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Real directories below `dir` (symlinks not followed).
fn dirs(dir: &Path) -> BTreeSet<String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        let Ok(items) = std::fs::read_dir(dir) else {
            return;
        };
        for item in items.flatten() {
            if item.file_type().unwrap().is_dir() {
                let path = item.path();
                out.insert(
                    path.strip_prefix(base)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
                walk(base, &path, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// Writes `rel` below `root` the way a user's editor would, unless a directory on the way is a
/// file or a symlink (the model never writes outside its trees either).
fn write_file(root: &Path, rel: &str, content: &str) {
    let mut at = root.to_path_buf();
    for component in ancestors(rel).collect::<Vec<_>>().into_iter().rev() {
        at = root.join(component);
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if !meta.is_dir() => return,
            Ok(_) => {}
            Err(_) => std::fs::create_dir(&at).unwrap(),
        }
    }
    let _ = at;
    let target = root.join(rel);
    if std::fs::symlink_metadata(&target).is_ok_and(|m| !m.is_file()) {
        return;
    }
    std::fs::write(target, content).unwrap();
}

struct Model {
    pair: Pair,
    outside: PathBuf,
    outside_before: BTreeMap<String, Vec<u8>>,
    state: tempfile::TempDir,
    /// What both sides agreed on after the last run, by path.
    synced: BTreeMap<String, String>,
    /// Directories both sides had after the last run that looked at them: ferry's baseline
    /// records directories too, so deleting one is a deletion even when no file below it was
    /// ever synced.
    synced_dirs: BTreeSet<String>,
    /// The files ferry's baseline surely records: `synced`, less what `--size-only` found
    /// equal without recording it (it leaves equal sizes unrecorded, so a later run without the
    /// flag still compares them). Without a record, a missing root is only a new destination,
    /// and a file that differs on the two sides is a conflict never synced.
    recorded: BTreeSet<String>,
    writes: u32,
    exclude: Option<&'static str>,
    /// Runs keep what they replace or delete (`--backup-dir BACKUP_DIR`).
    backup: bool,
    faults: [Arc<Faults>; 2],
    crash: Arc<Crash>,
    vanish: Option<bool>,
}

/// One run's outcome.
struct Outcome {
    result: Result<Summary, String>,
    said: Vec<String>,
}

impl Model {
    fn new() -> Self {
        let pair = Pair::new();
        let outside = pair.root.path().join("outside");
        for dir in DIRS {
            put(
                &outside,
                &format!("{dir}/behind-the-link"),
                b"outside both roots",
            );
        }
        Model {
            outside_before: tree(&outside),
            outside,
            pair,
            state: tempfile::tempdir().unwrap(),
            synced: BTreeMap::new(),
            synced_dirs: BTreeSet::new(),
            recorded: BTreeSet::new(),
            writes: 0,
            exclude: None,
            backup: false,
            faults: Default::default(),
            crash: Default::default(),
            vanish: None,
        }
    }

    fn side(&self, remote: bool) -> &Path {
        if remote {
            &self.pair.dst
        } else {
            &self.pair.src
        }
    }

    fn version(&mut self) -> String {
        self.writes += 1;
        format!("v{} {}", self.writes, "x".repeat(self.writes as usize % 3))
    }

    fn backend(&self, remote: bool) -> Backend {
        let root = self.side(remote).to_path_buf();
        // Durability is not what this test is about: no fsync per file.
        let config = ferry_backend_local::config::LocalConfig::parse(&format!(
            "location = {:?}\nfsync = false",
            root.to_str().unwrap()
        ))
        .unwrap();
        let faulty = Faulty {
            inner: LocalBackend::new(config),
            root: root.clone(),
            faults: self.faults[remote as usize].clone(),
            crash: self.crash.clone(),
        };
        Backend::from_box(local_plugin(), backend_box(faulty), &root.to_string_lossy())
    }

    fn options(&self, delete: bool) -> SyncOptions {
        let excludes: Vec<String> = self.exclude.iter().map(|e| e.to_string()).collect();
        let backup_dir = self.backup.then(|| BACKUP_DIR.to_string());
        SyncOptions {
            delete,
            jobs: 2,
            filter: ferry::filter::Filter::new(&excludes, &[])
                .unwrap()
                .hiding(backup_dir.as_deref()),
            backup_dir,
            ..SyncOptions::default()
        }
    }

    fn run(&self, mode: Mode) -> Outcome {
        let (local, remote) = (self.backend(false), self.backend(true));
        let label = |remote: bool| format!("local:{}", self.side(remote).display());
        let (l, r) = (
            Side::new(&local, label(false)),
            Side::new(&remote, label(true)),
        );
        let said = Said::default();
        let result = match mode {
            Mode::Bisync(strategy) => {
                let decision = match STRATEGIES[strategy] {
                    "skip" => Decision::Skip,
                    "keep-both" => Decision::KeepBoth,
                    "local" => Decision::Take(Which::Source),
                    "remote" => Decision::Take(Which::Destination),
                    "new" => Decision::Newer,
                    _ => Decision::Older,
                };
                let mut decide = |_: &Conflict| decision;
                run_bisync(
                    &l,
                    &r,
                    &self.options(false),
                    &mut decide,
                    self.state.path(),
                    &said,
                )
            }
            Mode::Push { delete, size_only } => {
                let options = SyncOptions {
                    size_only,
                    ..self.options(delete)
                };
                run_one_way(&l, &r, &options, self.state.path(), &said)
            }
            Mode::Pull { delete } => {
                run_one_way(&r, &l, &self.options(delete), self.state.path(), &said)
            }
        };
        Outcome {
            result: result.map_err(|e| format!("{e:#}")),
            said: said.0.into_inner().unwrap(),
        }
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match *op {
            Op::Write { remote, file } => {
                let content = self.version();
                write_file(self.side(remote), FILES[file], &content);
            }
            Op::DeleteFile { remote, file } => {
                let _ = std::fs::remove_file(self.side(remote).join(FILES[file]));
            }
            Op::DeleteDir { remote, dir } => {
                let path = self.side(remote).join(DIRS[dir]);
                let _ = std::fs::remove_file(&path).or_else(|_| std::fs::remove_dir_all(&path));
            }
            Op::FileToDir { remote, file } => {
                let content = self.version();
                let side = self.side(remote).to_path_buf();
                let _ = std::fs::remove_file(side.join(TURNABLE[file]));
                write_file(&side, &format!("{}/x", TURNABLE[file]), &content);
            }
            Op::DirToFile { remote, dir } => {
                let content = self.version();
                let path = self.side(remote).join(DIRS[dir]);
                let _ = std::fs::remove_file(&path).or_else(|_| std::fs::remove_dir_all(&path));
                std::fs::write(&path, content).unwrap();
            }
            Op::Symlink { remote, dir } => {
                let path = self.side(remote).join(DIRS[dir]);
                let _ = std::fs::remove_file(&path).or_else(|_| std::fs::remove_dir_all(&path));
                std::os::unix::fs::symlink(self.outside.join(DIRS[dir]), &path).unwrap();
            }
            Op::NfdTwin { remote } => {
                let content = self.version();
                write_file(self.side(remote), NFD, &content);
            }
            Op::Unreadable { remote, file } => {
                if self.side(remote).join(FILES[file]).is_file() {
                    let faults = &self.faults[remote as usize];
                    faults
                        .unreadable
                        .lock()
                        .unwrap()
                        .insert(FILES[file].to_string());
                }
            }
            Op::EditDuringRead { remote, file } => {
                let path = self.side(remote).join(FILES[file]);
                if let Ok(old) = std::fs::read(&path) {
                    let mut new = self.version().into_bytes();
                    new.resize(old.len().max(new.len()), b'.');
                    *self.faults[remote as usize].edit_on_read.lock().unwrap() =
                        Some((FILES[file].to_string(), new));
                }
            }
            Op::Crash { after } => *self.crash.left.lock().unwrap() = Some(after),
            // Without a baseline a missing root is only a new destination.
            Op::Vanish { remote } if !self.recorded.is_empty() => self.vanish = Some(remote),
            Op::Vanish { .. } => {}
            Op::Filter { exclude } => self.exclude = EXCLUDES[exclude],
            Op::Backup { on } => self.backup = on,
            Op::Run(mode) => self.check_run(mode)?,
        }
        Ok(())
    }

    fn faulted(&self) -> bool {
        self.crash.left.lock().unwrap().is_some()
            || self.vanish.is_some()
            || self.faults.iter().any(|f| {
                !f.unreadable.lock().unwrap().is_empty() || f.edit_on_read.lock().unwrap().is_some()
            })
    }

    fn clear_faults(&mut self) {
        for faults in &self.faults {
            faults.unreadable.lock().unwrap().clear();
            *faults.edit_on_read.lock().unwrap() = None;
        }
        *self.crash.left.lock().unwrap() = None;
        self.crash.happened.store(false, Ordering::SeqCst);
        self.vanish = None;
    }

    fn check_run(&mut self, mode: Mode) -> Result<(), TestCaseError> {
        let faulted = self.faulted();
        self.check_one(mode)?;
        self.clear_faults();
        if faulted {
            // One clean run converges after a fault…
            self.check_one(mode)?;
        }
        // …and the next one changes nothing.
        let before = (files(&self.pair.src), files(&self.pair.dst));
        let again = self.run(mode);
        let summary = again.result.map_err(TestCaseError::fail)?;
        // A refusal (a side lists nothing while the baseline had files) stands until --force.
        let refusals = again.said.iter().filter(|p| p.is_empty()).count() as u64;
        prop_assert!(
            summary.uploaded + summary.downloaded + summary.deleted + summary.failed - refusals
                == 0,
            "{mode:?}: a second run changed something: {summary:?} {:?}",
            again.said
        );
        prop_assert_eq!((files(&self.pair.src), files(&self.pair.dst)), before);
        Ok(())
    }

    fn check_one(&mut self, mode: Mode) -> Result<(), TestCaseError> {
        let (local, remote) = (files(&self.pair.src), files(&self.pair.dst));
        let (local_dirs, remote_dirs) = (dirs(&self.pair.src), dirs(&self.pair.dst));
        let unreadable: Vec<(bool, String, Option<String>)> = [false, true]
            .into_iter()
            .flat_map(|r| {
                let on = if r { &remote } else { &local };
                self.faults[r as usize]
                    .unreadable
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|p| (r, p.clone(), on.get(p).cloned()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let edited =
            [false, true].map(|r| self.faults[r as usize].edit_on_read.lock().unwrap().clone());
        let vanished = self.vanish.map(|remote| {
            let away = self.pair.root.path().join("away");
            std::fs::rename(self.side(remote), &away).unwrap();
            (remote, away)
        });
        let outcome = self.run(mode);
        if let Some((remote, away)) = &vanished {
            let recreated = self.side(*remote).exists();
            prop_assert!(
                outcome.result.is_err(),
                "{mode:?}: a vanished root did not stop the run"
            );
            prop_assert!(!recreated, "{mode:?}: the vanished root was re-created");
            std::fs::rename(away, self.side(*remote)).unwrap();
        }
        let (local_after, remote_after) = (files(&self.pair.src), files(&self.pair.dst));
        if let Err(error) = &outcome.result {
            prop_assert!(vanished.is_some(), "{mode:?}: the run failed: {error}");
        }
        prop_assert_eq!(
            tree(&self.outside),
            self.outside_before.clone(),
            "written through a symlink"
        );
        // An unreadable file stays exactly as it was (one the user removed since is not one).
        for (remote, path, content) in unreadable.iter().filter(|u| u.2.is_some()) {
            let after = if *remote { &remote_after } else { &local_after };
            prop_assert_eq!(
                after.get(path),
                content.as_ref(),
                "the unreadable {} changed",
                path
            );
        }
        for (before, after) in [(&local, &local_after), (&remote, &remote_after)] {
            let twins = |files: &BTreeMap<String, String>| {
                files.contains_key(NFC) && files.contains_key(NFD)
            };
            prop_assert!(
                !twins(after) || twins(before),
                "{mode:?}: a second spelling of `{NFC}` appeared"
            );
        }
        let mut survivors: BTreeSet<&String> =
            local_after.values().chain(remote_after.values()).collect();
        let edits: Vec<String> = edited
            .iter()
            .flatten()
            .map(|(_, bytes)| String::from_utf8(bytes.clone()).unwrap())
            .collect();
        survivors.extend(edits.iter());
        let (picks_a_side, one_way_to) = match mode {
            Mode::Bisync(s) => (!matches!(STRATEGIES[s], "skip" | "keep-both"), None),
            Mode::Push { delete, .. } => (false, Some((true, delete))),
            Mode::Pull { delete } => (false, Some((false, delete))),
        };
        for (is_remote, this, other, other_dirs) in [
            (false, &local, &remote, &remote_dirs),
            (true, &remote, &local, &local_dirs),
        ] {
            for (path, content) in this {
                // The version an edit during the read replaced was replaced by its user.
                let edited_away = edited[is_remote as usize]
                    .as_ref()
                    .is_some_and(|(p, _)| p == path);
                if survivors.contains(content) || edited_away {
                    continue;
                }
                // Only what ferry's baseline records counts as synced from its side: a file a
                // `--size-only` run found equal, or whose journal line a crash cut off, is one
                // it has never seen in step, whatever the two sides held then.
                let known = self.recorded.contains(path);
                let in_sync_before = known && self.synced.get(path) == Some(content);
                let other_has = other.get(path);
                let may_go = match one_way_to {
                    // One-way: only the destination loses versions, where the source replaced
                    // a version it had seen (or one never synced), or, with --delete, where the
                    // source no longer has it.
                    Some((to_remote, delete)) => {
                        is_remote == to_remote
                            && (in_sync_before || !known)
                            && match other_has {
                                Some(theirs) => theirs != content,
                                None => delete,
                            }
                    }
                    None => {
                        let other_changed = other_has != Some(content);
                        let other_touched = !known || other_has != self.synced.get(path);
                        let below_a_dir_deleted_there = ancestors(path).any(|dir| {
                            let inside = |k: &String| k.starts_with(&format!("{dir}/"));
                            let was_synced =
                                self.synced.keys().any(inside) || self.synced_dirs.contains(dir);
                            was_synced && !other.keys().any(inside) && !other_dirs.contains(dir)
                        });
                        if in_sync_before {
                            other_changed
                        } else {
                            picks_a_side && (other_touched || below_a_dir_deleted_there)
                        }
                    }
                };
                // With --backup-dir every version a run replaces or deletes is kept.
                let may_go = may_go && !self.backup;
                let named = outcome
                    .said
                    .iter()
                    .any(|p| p == path || ancestors(path).any(|a| a == p));
                prop_assert!(
                    may_go && named,
                    "{mode:?}: `{content}` of {path} was lost (allowed: {may_go}, named: {named})\nbefore: local {local:?} remote {remote:?}\nafter: local {local_after:?} remote {remote_after:?}\nsynced {:?}\nsaid {:?}",
                    self.synced,
                    outcome.said
                );
            }
        }
        // A run stopped by a vanished root changed nothing, its baseline included.
        if outcome.result.is_err() {
            return Ok(());
        }
        // What ferry's baseline should now hold: equal content on both sides, except where the
        // filters kept ferry from looking.
        let examines = |path: &str| self.options(false).filter.examines(path, false);
        let mut synced = BTreeMap::new();
        for path in local_after
            .keys()
            .chain(remote_after.keys())
            .chain(self.synced.keys())
        {
            let old = self.synced.get(path);
            let now = match (local_after.get(path), remote_after.get(path)) {
                _ if !examines(path) => old,
                (Some(l), Some(r)) if l == r => Some(l),
                (None, None) => None,
                _ => old,
            };
            if let Some(content) = now {
                synced.insert(path.clone(), content.clone());
            }
        }
        // A `--size-only` run records what it sent, not what it found equal (and a crashed
        // run may have sent without recording: its clean rerun finds the file equal).
        let size_only = matches!(
            mode,
            Mode::Push {
                size_only: true,
                ..
            }
        );
        // Any other run records a file it found or left in step, and keeps the records it had;
        // a file it left different on the two sides without a record (a conflict) has none.
        let in_step_now = |path: &str| {
            examines(path)
                && local_after
                    .get(path)
                    .is_some_and(|l| remote_after.get(path) == Some(l))
        };
        self.recorded = synced
            .keys()
            .filter(|path| {
                self.recorded.contains(*path)
                    || if size_only {
                        local.get(*path) != remote.get(*path)
                            && !self.crash.happened.load(Ordering::SeqCst)
                    } else {
                        in_step_now(path)
                    }
            })
            .cloned()
            .collect();
        self.synced = synced;
        let (local_dirs_after, remote_dirs_after) = (dirs(&self.pair.src), dirs(&self.pair.dst));
        let mut synced_dirs = BTreeSet::new();
        for dir in local_dirs_after
            .iter()
            .chain(remote_dirs_after.iter())
            .chain(self.synced_dirs.iter())
        {
            let now = match (
                local_dirs_after.contains(dir),
                remote_dirs_after.contains(dir),
            ) {
                _ if !self.options(false).filter.examines(dir, true) => {
                    self.synced_dirs.contains(dir)
                }
                (true, true) => true,
                (false, false) => false,
                _ => self.synced_dirs.contains(dir),
            };
            if now {
                synced_dirs.insert(dir.clone());
            }
        }
        self.synced_dirs = synced_dirs;
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn no_run_loses_what_it_was_not_told_to_discard(
        ops in proptest::collection::vec(op(), 1..16),
        last in mode(),
    ) {
        let mut model = Model::new();
        for op in &ops {
            model.apply(op)?;
        }
        model.apply(&Op::Run(last))?;
    }
}
