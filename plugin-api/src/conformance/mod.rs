//! The conformance suite every backend runs against a live instance — local directories, FTP
//! servers, the eXist test server, and third-party plugins alike (rclone's `fstests` idea).
//!
//! ```no_run
//! # fn backend() -> ferry_plugin_api::BackendBox { unimplemented!() }
//! let report = ferry_plugin_api::conformance::run(&backend(), &Default::default());
//! report.assert_ok();
//! ```
//!
//! Every check works in its own directory below [`Options::base`] and cleans up after itself.
//! Checks of optional operations run only when the backend declares the capability, and one
//! check makes sure each declared capability is really there.
//!
//! [`check_library`] runs it all on a built plugin library through ferry's own loader, as
//! `ferry plugins check PATH` does: the file name, the export, the ABI, the panic strategy,
//! the handling of options, then every check below through the ABI.

mod capabilities;
mod durability;
mod library;

pub use library::{check_library, library_check_names};

use std::{
    fmt,
    io::Read,
    panic::{catch_unwind, AssertUnwindSafe},
    time::{SystemTime, UNIX_EPOCH},
};

use abi_stable::std_types::{ROption, RResult};
use sha2::{Digest, Sha256};

use crate::{
    io::{reader_box, ReaderBoxRead},
    BackendBox, BackendError, Capabilities, Entry, ErrorKind, HashAlgo,
};

/// How to run the suite.
#[derive(Clone, Debug)]
pub struct Options {
    /// A directory inside the backend that the suite may create and fill; a unique directory is
    /// made below it and removed at the end.
    pub base: String,
    /// The size of the large-file check (streamed, never held in memory). Default 64 MiB + 1.
    pub large_file_size: u64,
    /// Names of checks to leave out (documented per backend, e.g. a server that cannot store a
    /// character).
    pub skip: Vec<String>,
    /// Makes a symlink in the backend's storage, for the checks that nothing is written through
    /// one: the harness knows where the storage is (a directory, a server's files). Without it
    /// those checks do not apply.
    pub make_symlink: Option<SymlinkMaker>,
    /// Run only the checks of these names (all when empty); the others are reported as not
    /// applied.
    pub only: Vec<String>,
}

/// `make_symlink(link, target)`: creates `link`, a path inside the backend, as a symlink to the
/// directory `target`, another path inside the backend.
#[derive(Clone)]
pub struct SymlinkMaker(pub std::sync::Arc<MakeSymlink>);

/// The function behind a [`SymlinkMaker`].
pub type MakeSymlink = dyn Fn(&str, &str) -> Result<(), String> + Send + Sync;

impl fmt::Debug for SymlinkMaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SymlinkMaker(..)")
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            base: "ferry-conformance".to_string(),
            large_file_size: 64 * 1024 * 1024 + 1,
            skip: Vec::new(),
            make_symlink: None,
            only: Vec::new(),
        }
    }
}

/// The outcome of one check.
#[derive(Clone, Debug)]
pub struct CheckResult {
    /// The check's name.
    pub name: &'static str,
    /// `Ok` or what went wrong; `None` when the check did not apply (capability missing).
    pub outcome: Option<Result<(), String>>,
}

/// The outcome of a whole run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// One result per check, in order.
    pub checks: Vec<CheckResult>,
}

impl Report {
    /// The failed checks with their messages.
    pub fn failures(&self) -> Vec<(&'static str, &str)> {
        self.checks
            .iter()
            .filter_map(|c| match &c.outcome {
                Some(Err(message)) => Some((c.name, message.as_str())),
                _ => None,
            })
            .collect()
    }

    /// Did the check of this name pass?
    pub fn passed(&self, name: &str) -> bool {
        self.checks
            .iter()
            .any(|c| c.name == name && matches!(c.outcome, Some(Ok(()))))
    }

    /// Panics with every failure listed, unless all checks passed or did not apply.
    pub fn assert_ok(&self) {
        let failures = self.failures();
        assert!(failures.is_empty(), "conformance failures:\n{self}");
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for check in &self.checks {
            match &check.outcome {
                Some(Ok(())) => writeln!(f, "ok    {}", check.name)?,
                Some(Err(message)) => writeln!(f, "FAIL  {}: {message}", check.name)?,
                None => writeln!(f, "skip  {}", check.name)?,
            }
        }
        Ok(())
    }
}

type CheckFn = fn(&Ctx) -> Result<(), String>;

/// Every check: name, the capabilities it needs, the check.
const CHECKS: &[(&str, Capabilities, CheckFn)] = &[
    (
        "required-capabilities",
        Capabilities::NONE,
        required_capabilities,
    ),
    (
        "declared-capabilities-are-implemented",
        Capabilities::NONE,
        capabilities::declared_capabilities_answer,
    ),
    ("stat-root-is-directory", Capabilities::STAT, stat_root),
    (
        "missing-paths-are-not-found",
        Capabilities::NONE,
        missing_paths,
    ),
    (
        "write-to-the-root-fails",
        Capabilities::WRITE,
        write_to_root,
    ),
    (
        "mkdir-is-idempotent-and-makes-parents",
        Capabilities::MKDIR,
        mkdir_idempotent,
    ),
    (
        "mkdir-over-a-file-fails",
        Capabilities::MKDIR,
        mkdir_over_file,
    ),
    ("write-read-round-trip", Capabilities::NONE, round_trip),
    (
        "write-returns-the-entry",
        Capabilities::NONE,
        write_returns_entry,
    ),
    (
        "write-creates-parents",
        Capabilities::NONE,
        write_creates_parents,
    ),
    ("empty-file", Capabilities::NONE, empty_file),
    ("overwrite", Capabilities::NONE, overwrite),
    (
        "write-over-a-directory-fails",
        Capabilities::NONE,
        write_over_directory,
    ),
    (
        "names-with-spaces-unicode-and-punctuation",
        Capabilities::NONE,
        odd_names,
    ),
    (
        "listing-is-one-level-and-clean",
        Capabilities::NONE,
        listing_shape,
    ),
    ("list-of-a-file-fails", Capabilities::NONE, list_file),
    (
        "size-mismatch-commits-nothing",
        Capabilities::NONE,
        size_mismatch,
    ),
    (
        "failed-source-commits-nothing",
        Capabilities::ATOMIC_WRITE,
        failed_source,
    ),
    ("delete-and-delete-missing", Capabilities::DELETE, delete),
    (
        "delete-of-a-directory-fails",
        Capabilities::DELETE,
        delete_directory,
    ),
    ("rmdir", Capabilities::RMDIR, rmdir),
    ("rename", Capabilities::RENAME, rename),
    ("set-mtime", Capabilities::SET_MTIME, set_mtime),
    ("read-from-offset", Capabilities::READ_OFFSET, read_offset),
    ("checksum-sha256", Capabilities::CHECKSUM_SHA256, checksum),
    ("large-file-streamed", Capabilities::NONE, large_file),
    (
        "nothing-is-written-through-a-symlink",
        Capabilities::NONE,
        symlinks_are_not_crossed,
    ),
    // Last: asking for the extension switches the instance to deferred durability.
    (
        "deferred-durability",
        Capabilities::NONE,
        durability::deferred_writes_read_back,
    ),
];

/// The names of all checks, in the order they run.
pub fn check_names() -> Vec<&'static str> {
    CHECKS.iter().map(|(name, _, _)| *name).collect()
}

/// Runs every check against `backend`.
pub fn run(backend: &BackendBox, options: &Options) -> Report {
    let unique = format!(
        "run-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let root = join(options.base.trim_matches('/'), &unique);
    let caps = backend.capabilities();
    let mut report = Report::default();
    for (name, needs, check) in CHECKS {
        let needs_symlinks = *name == "nothing-is-written-through-a-symlink";
        // Asking for the extension switches it on, which is why this check runs last.
        let needs_durability = *name == "deferred-durability";
        let left_out = !options.only.is_empty() && !options.only.iter().any(|o| o == name);
        let outcome = if options.skip.iter().any(|s| s == name)
            || left_out
            || !caps.contains(*needs)
            || (needs_symlinks && options.make_symlink.is_none())
            || (needs_durability && !durability::offered(backend))
        {
            None
        } else {
            let ctx = Ctx {
                backend,
                caps,
                dir: join(&root, name),
                options,
            };
            let result = catch_unwind(AssertUnwindSafe(|| check(&ctx)))
                .unwrap_or_else(|_| Err("the check panicked".to_string()));
            Some(result)
        };
        report.checks.push(CheckResult { name, outcome });
    }
    if caps.contains(Capabilities::RMDIR) {
        let _ = backend.rmdir(root.as_str().into(), true);
    }
    report
}

struct Ctx<'a> {
    backend: &'a BackendBox,
    caps: Capabilities,
    dir: String,
    options: &'a Options,
}

impl Ctx<'_> {
    fn path(&self, name: &str) -> String {
        join(&self.dir, name)
    }

    fn write(&self, path: &str, bytes: &[u8]) -> Result<Entry, String> {
        self.write_from(
            path,
            std::io::Cursor::new(bytes.to_vec()),
            Some(bytes.len() as u64),
            None,
        )
        .map_err(|e| format!("write `{path}` failed: {e:?}"))
    }

    fn write_from(
        &self,
        path: &str,
        source: impl Read + Send + 'static,
        size: Option<u64>,
        mtime_ns: Option<i64>,
    ) -> Result<Entry, BackendError> {
        let reader = reader_box(source, "conformance source");
        self.backend
            .write(path.into(), reader, size.into(), mtime_ns.into())
            .into_result()
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        let reader = self
            .backend
            .open_read(path.into(), 0)
            .into_result()
            .map_err(|e| format!("open_read `{path}` failed: {e:?}"))?;
        let mut bytes = Vec::new();
        ReaderBoxRead::new(reader)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("reading `{path}` failed: {e}"))?;
        Ok(bytes)
    }

    /// Does the backend report exact sizes (no `APPROXIMATE_SIZES`)?
    fn exact_sizes(&self) -> bool {
        !self.caps.contains(Capabilities::APPROXIMATE_SIZES)
    }

    fn stat(&self, path: &str) -> Result<Entry, BackendError> {
        self.backend.stat(path.into()).into_result()
    }

    fn names(&self, dir: &str) -> Result<Vec<String>, String> {
        let listing = self
            .backend
            .list(dir.into())
            .into_result()
            .map_err(|e| format!("list `{dir}` failed: {e:?}"))?;
        let mut names: Vec<String> = listing.entries.iter().map(|e| e.name.to_string()).collect();
        names.sort();
        Ok(names)
    }

    fn listed(&self, dir: &str, name: &str) -> Result<Entry, String> {
        let listing = self
            .backend
            .list(dir.into())
            .into_result()
            .map_err(|e| format!("list `{dir}` failed: {e:?}"))?;
        listing
            .entries
            .into_iter()
            .find(|e| e.name.as_str() == name)
            .ok_or_else(|| format!("`{name}` missing from the listing of `{dir}`"))
    }

    fn expect_kind<T: fmt::Debug>(
        &self,
        what: &str,
        result: RResult<T, BackendError>,
        kind: ErrorKind,
    ) -> Result<(), String> {
        match result.into_result() {
            Err(e) if e.kind == kind => Ok(()),
            Err(e) => Err(format!("{what}: expected {kind}, got {e:?}")),
            Ok(v) => Err(format!("{what}: expected {kind}, got success ({v:?})")),
        }
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(message())
    }
}

fn required_capabilities(ctx: &Ctx) -> Result<(), String> {
    let required =
        Capabilities::LIST | Capabilities::STAT | Capabilities::READ | Capabilities::WRITE;
    ensure(ctx.caps.contains(required), || {
        format!(
            "a backend must list, stat, read and write; it declares {}",
            ctx.caps
        )
    })
}

fn stat_root(ctx: &Ctx) -> Result<(), String> {
    let root = ctx
        .stat("")
        .map_err(|e| format!("stat of the root failed: {e:?}"))?;
    ensure(root.is_dir(), || {
        format!("the root is a {:?}, not a directory", root.kind)
    })
}

fn missing_paths(ctx: &Ctx) -> Result<(), String> {
    let missing = ctx.path("no-such-entry");
    let backend = ctx.backend;
    ctx.expect_kind(
        "list of a missing directory",
        backend.list(missing.as_str().into()),
        ErrorKind::NOT_FOUND,
    )?;
    ctx.expect_kind(
        "stat of a missing path",
        backend.stat(missing.as_str().into()),
        ErrorKind::NOT_FOUND,
    )?;
    match backend.open_read(missing.as_str().into(), 0).into_result() {
        Err(e) if e.kind == ErrorKind::NOT_FOUND => Ok(()),
        Err(e) => Err(format!(
            "open_read of a missing file: expected NOT_FOUND, got {e:?}"
        )),
        Ok(_) => Err("open_read of a missing file succeeded".to_string()),
    }
}

fn write_to_root(ctx: &Ctx) -> Result<(), String> {
    ctx.expect_kind(
        "write to the root",
        ctx.write_from("", &b"x"[..], Some(1), None).into(),
        ErrorKind::INVALID_INPUT,
    )
}

fn mkdir_idempotent(ctx: &Ctx) -> Result<(), String> {
    let nested = ctx.path("a/b/c");
    for attempt in ["first", "second"] {
        ctx.backend
            .mkdir(nested.as_str().into())
            .into_result()
            .map_err(|e| format!("{attempt} mkdir -p `{nested}` failed: {e:?}"))?;
    }
    for dir in [ctx.path("a"), ctx.path("a/b"), nested] {
        let entry = ctx
            .stat(&dir)
            .map_err(|e| format!("stat `{dir}` after mkdir: {e:?}"))?;
        ensure(entry.is_dir(), || {
            format!("`{dir}` is a {:?} after mkdir", entry.kind)
        })?;
    }
    ensure(ctx.listed(&ctx.path("a"), "b")?.is_dir(), || {
        "`b` is not listed as a directory".into()
    })
}

fn mkdir_over_file(ctx: &Ctx) -> Result<(), String> {
    let file = ctx.path("file");
    ctx.write(&file, b"x")?;
    match ctx.backend.mkdir(file.as_str().into()).into_result() {
        Ok(()) => Err("mkdir where a file exists succeeded".to_string()),
        Err(_) => {
            let entry = ctx
                .stat(&file)
                .map_err(|e| format!("the file is gone: {e:?}"))?;
            ensure(entry.is_file(), || "the file was replaced".into())
        }
    }
}

fn round_trip(ctx: &Ctx) -> Result<(), String> {
    let path = ctx.path("hello.txt");
    let content = b"Hello, ferry!\nline two\n";
    ctx.write(&path, content)?;
    ensure(ctx.read(&path)? == content, || {
        "read back different bytes".into()
    })?;
    let entry = ctx
        .stat(&path)
        .map_err(|e| format!("stat after write: {e:?}"))?;
    ensure(entry.is_file(), || format!("stat says {:?}", entry.kind))?;
    ensure(
        !ctx.exact_sizes() || entry.size == content.len() as u64,
        || format!("stat size {} != {}", entry.size, content.len()),
    )?;
    let listed = ctx.listed(&ctx.dir, "hello.txt")?;
    ensure(
        listed.is_file() && (!ctx.exact_sizes() || listed.size == content.len() as u64),
        || format!("listed as {:?} of {} bytes", listed.kind, listed.size),
    )
}

fn write_returns_entry(ctx: &Ctx) -> Result<(), String> {
    let path = ctx.path("returned.bin");
    let entry = ctx.write(&path, &[7u8; 1000])?;
    ensure(entry.name.as_str() == "returned.bin", || {
        format!("returned name `{}`", entry.name)
    })?;
    ensure(entry.is_file() && entry.size == 1000, || {
        format!("returned {:?} of {} bytes", entry.kind, entry.size)
    })?;
    let stat = ctx.stat(&path).map_err(|e| format!("stat: {e:?}"))?;
    // A write may leave the version for the host to read later (it then returns no token).
    ensure(entry.token.is_none() || stat.token == entry.token, || {
        format!(
            "write returned token {:?} but stat says {:?}",
            entry.token, stat.token
        )
    })
}

fn write_creates_parents(ctx: &Ctx) -> Result<(), String> {
    let path = ctx.path("new/deeper/file.txt");
    ctx.write(&path, b"deep")?;
    ensure(ctx.read(&path)? == b"deep", || {
        "read back different bytes".into()
    })?;
    ensure(ctx.listed(&ctx.path("new"), "deeper")?.is_dir(), || {
        "parent not a directory".into()
    })
}

fn empty_file(ctx: &Ctx) -> Result<(), String> {
    let path = ctx.path("empty");
    let entry = ctx.write(&path, b"")?;
    ensure(entry.size == 0, || format!("returned size {}", entry.size))?;
    ensure(ctx.read(&path)?.is_empty(), || {
        "read back bytes from an empty file".into()
    })?;
    let listed = ctx.listed(&ctx.dir, "empty")?;
    ensure(
        listed.is_file() && (!ctx.exact_sizes() || listed.size == 0),
        || format!("listed as {:?} of {} bytes", listed.kind, listed.size),
    )
}

fn overwrite(ctx: &Ctx) -> Result<(), String> {
    let path = ctx.path("over.txt");
    ctx.write(&path, b"a much longer first version")?;
    ctx.write(&path, b"short")?;
    ensure(ctx.read(&path)? == b"short", || {
        "overwrite left old bytes".into()
    })?;
    let size = ctx.stat(&path).map_err(|e| format!("stat: {e:?}"))?.size;
    ensure(!ctx.exact_sizes() || size == 5, || {
        format!("size after overwrite is {size}")
    })?;
    ensure(ctx.names(&ctx.dir)? == ["over.txt"], || {
        "overwrite left other entries behind".into()
    })
}

/// A write where a directory is fails and leaves the directory, its contents and no temporary
/// file behind (backends that skip a stat before writing rely on their commit refusing it).
fn write_over_directory(ctx: &Ctx) -> Result<(), String> {
    let dir = ctx.path("d");
    let inner = ctx.path("d/inner.txt");
    ctx.write(&inner, b"kept")?;
    if ctx.write(&dir, b"a file").is_ok() {
        return Err("a write where a directory is succeeded".into());
    }
    let entry = ctx
        .stat(&dir)
        .map_err(|e| format!("the directory is gone: {e:?}"))?;
    ensure(entry.is_dir(), || {
        format!("the directory is now a {:?}", entry.kind)
    })?;
    ensure(ctx.read(&inner)? == b"kept", || {
        "the directory's file changed".into()
    })?;
    ensure(ctx.names(&ctx.dir)? == ["d"], || {
        "the failed write left entries behind".into()
    })
}

const ODD_NAMES: &[&str] = &[
    "with space.txt",
    "plus+and&amp.txt",
    "percent%20literal.txt",
    "Grüße – 日本語.txt",
    "quote'semi;comma,eq=.txt",
    ".hidden",
];

fn odd_names(ctx: &Ctx) -> Result<(), String> {
    let subdir = ctx.path("dir with space & ü");
    for (index, name) in ODD_NAMES.iter().enumerate() {
        let path = join(&subdir, name);
        let content = format!("content {index}");
        ctx.write(&path, content.as_bytes())?;
        ensure(ctx.read(&path)? == content.as_bytes(), || {
            format!("`{name}` read back different bytes")
        })?;
        let entry = ctx
            .stat(&path)
            .map_err(|e| format!("stat `{name}`: {e:?}"))?;
        ensure(entry.name.as_str() == *name, || {
            format!("stat of `{name}` says `{}`", entry.name)
        })?;
    }
    let mut expected: Vec<String> = ODD_NAMES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    let names = ctx.names(&subdir)?;
    ensure(names == expected, || {
        format!("listed {names:?}, expected {expected:?}")
    })?;
    ensure(ctx.names(&ctx.dir)? == ["dir with space & ü"], || {
        "the directory name changed".into()
    })
}

fn listing_shape(ctx: &Ctx) -> Result<(), String> {
    ctx.write(&ctx.path("f1"), b"1")?;
    ctx.write(&ctx.path("sub/f2"), b"22")?;
    let listing = ctx
        .backend
        .list(ctx.dir.as_str().into())
        .into_result()
        .map_err(|e| format!("list: {e:?}"))?;
    for entry in &listing.entries {
        Entry::validate_name(&entry.name)
            .map_err(|why| format!("listed a bad name {:?}: {why}", entry.name))?;
    }
    ensure(listing.problems.is_empty(), || {
        format!("problems: {:?}", listing.problems)
    })?;
    let names = ctx.names(&ctx.dir)?;
    ensure(names == ["f1", "sub"], || {
        format!("listed {names:?}, expected [f1, sub]")
    })?;
    let sub = ctx.listed(&ctx.dir, "sub")?;
    ensure(sub.is_dir(), || format!("`sub` listed as {:?}", sub.kind))
}

fn list_file(ctx: &Ctx) -> Result<(), String> {
    let path = ctx.path("plain");
    ctx.write(&path, b"x")?;
    match ctx.backend.list(path.as_str().into()).into_result() {
        Err(e) if e.kind == ErrorKind::INVALID_INPUT || e.kind == ErrorKind::NOT_FOUND => Ok(()),
        Err(e) => Err(format!("expected INVALID_INPUT, got {e:?}")),
        Ok(listing) => Err(format!(
            "listing a file succeeded with {} entries",
            listing.entries.len()
        )),
    }
}

fn size_mismatch(ctx: &Ctx) -> Result<(), String> {
    let fresh = ctx.path("fresh");
    let result = ctx.write_from(&fresh, &b"12345"[..], Some(10), None);
    ensure(result.is_err(), || {
        "a source shorter than the announced size was committed".into()
    })?;
    match ctx.stat(&fresh) {
        Err(e) if e.kind == ErrorKind::NOT_FOUND => {}
        Err(e) => return Err(format!("stat: {e:?}")),
        Ok(entry) => {
            return Err(format!(
                "a short write left `fresh` of {} bytes",
                entry.size
            ))
        }
    }
    let kept = ctx.path("kept");
    ctx.write(&kept, b"original")?;
    let result = ctx.write_from(&kept, &b"longer than announced"[..], Some(3), None);
    ensure(result.is_err(), || {
        "a source longer than the announced size was committed".into()
    })?;
    ensure(ctx.read(&kept)? == b"original", || {
        "a failed write changed the existing file".into()
    })
}

struct FailAfter {
    remaining: usize,
}

impl Read for FailAfter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.remaining == 0 {
            return Err(
                BackendError::new(ErrorKind::CONNECTION, "source broke on purpose").into_io(),
            );
        }
        let n = buf.len().min(self.remaining);
        buf[..n].fill(b'z');
        self.remaining -= n;
        Ok(n)
    }
}

fn failed_source(ctx: &Ctx) -> Result<(), String> {
    let path = ctx.path("target");
    ctx.write(&path, b"good content")?;
    let result = ctx.write_from(
        &path,
        FailAfter { remaining: 300_000 },
        Some(1_000_000),
        None,
    );
    match result {
        Ok(_) => return Err("a write whose source failed succeeded".to_string()),
        Err(e) if e.kind != ErrorKind::CONNECTION => {
            return Err(format!("the source's error kind was lost: {e:?}"))
        }
        Err(_) => {}
    }
    ensure(ctx.read(&path)? == b"good content", || {
        "a failed write replaced the file".into()
    })?;
    let names = ctx.names(&ctx.dir)?;
    ensure(names == ["target"], || {
        format!("a failed write left {names:?} behind")
    })
}

fn delete(ctx: &Ctx) -> Result<(), String> {
    let path = ctx.path("doomed");
    ctx.write(&path, b"bye")?;
    ctx.backend
        .delete(path.as_str().into())
        .into_result()
        .map_err(|e| format!("delete: {e:?}"))?;
    ctx.expect_kind(
        "stat after delete",
        ctx.backend.stat(path.as_str().into()),
        ErrorKind::NOT_FOUND,
    )?;
    ctx.backend
        .delete(path.as_str().into())
        .into_result()
        .map_err(|e| format!("delete of a missing path must succeed, got {e:?}"))
}

fn delete_directory(ctx: &Ctx) -> Result<(), String> {
    let file = ctx.path("keepdir/inside");
    ctx.write(&file, b"x")?;
    let dir = ctx.path("keepdir");
    ensure(ctx.backend.delete(dir.as_str().into()).is_err(), || {
        "delete removed a directory".into()
    })?;
    ensure(ctx.read(&file)? == b"x", || {
        "delete of a directory harmed its content".into()
    })
}

fn rmdir(ctx: &Ctx) -> Result<(), String> {
    let backend = ctx.backend;
    let empty = ctx.path("empty");
    backend
        .mkdir(empty.as_str().into())
        .into_result()
        .map_err(|e| format!("mkdir: {e:?}"))?;
    backend
        .rmdir(empty.as_str().into(), false)
        .into_result()
        .map_err(|e| format!("rmdir of an empty dir: {e:?}"))?;
    ctx.expect_kind(
        "stat after rmdir",
        backend.stat(empty.as_str().into()),
        ErrorKind::NOT_FOUND,
    )?;
    backend
        .rmdir(empty.as_str().into(), false)
        .into_result()
        .map_err(|e| format!("rmdir of a missing dir must succeed, got {e:?}"))?;
    let full = ctx.path("full");
    ctx.write(&join(&full, "deep/file"), b"x")?;
    ensure(backend.rmdir(full.as_str().into(), false).is_err(), || {
        "rmdir removed a non-empty dir".into()
    })?;
    ensure(ctx.read(&join(&full, "deep/file"))? == b"x", || {
        "a refused rmdir harmed content".into()
    })?;
    backend
        .rmdir(full.as_str().into(), true)
        .into_result()
        .map_err(|e| format!("recursive rmdir: {e:?}"))?;
    ctx.expect_kind(
        "stat after recursive rmdir",
        backend.stat(full.as_str().into()),
        ErrorKind::NOT_FOUND,
    )
}

fn rename(ctx: &Ctx) -> Result<(), String> {
    let (from, to) = (ctx.path("from"), ctx.path("to"));
    ctx.write(&from, b"moved")?;
    ctx.write(&to, b"replaced")?;
    ctx.backend
        .rename(from.as_str().into(), to.as_str().into())
        .into_result()
        .map_err(|e| format!("rename: {e:?}"))?;
    ensure(ctx.read(&to)? == b"moved", || {
        "rename did not replace the target".into()
    })?;
    ctx.expect_kind(
        "stat of the old name",
        ctx.backend.stat(from.as_str().into()),
        ErrorKind::NOT_FOUND,
    )
}

fn assert_mtime(ctx: &Ctx, path: &str, expected_ns: i64) -> Result<(), String> {
    let entry = ctx.stat(path).map_err(|e| format!("stat: {e:?}"))?;
    let ROption::RSome(actual) = entry.mtime_ns else {
        return Err("a backend with SET_MTIME reports no mtime".to_string());
    };
    let tolerance = entry.mtime_precision_ns.max(1) as i64;
    ensure((actual - expected_ns).abs() < tolerance, || {
        format!("mtime is {actual} ns, expected {expected_ns} ns (precision {tolerance} ns)")
    })
}

fn set_mtime(ctx: &Ctx) -> Result<(), String> {
    let path = ctx.path("dated");
    let first = 1_500_000_000_123_456_789_i64;
    ctx.write_from(&path, &b"dated"[..], Some(5), Some(first))
        .map_err(|e| format!("write with mtime: {e:?}"))?;
    assert_mtime(ctx, &path, first)?;
    let second = 1_600_000_000_000_000_000_i64;
    ctx.backend
        .set_mtime(path.as_str().into(), second)
        .into_result()
        .map_err(|e| format!("set_mtime: {e:?}"))?;
    assert_mtime(ctx, &path, second)
}

fn read_offset(ctx: &Ctx) -> Result<(), String> {
    let path = ctx.path("offset");
    ctx.write(&path, b"0123456789")?;
    let reader = ctx
        .backend
        .open_read(path.as_str().into(), 4)
        .into_result()
        .map_err(|e| format!("open_read: {e:?}"))?;
    let mut rest = Vec::new();
    ReaderBoxRead::new(reader)
        .read_to_end(&mut rest)
        .map_err(|e| format!("read: {e}"))?;
    ensure(rest == b"456789", || {
        format!(
            "read from offset 4 gave {:?}",
            String::from_utf8_lossy(&rest)
        )
    })
}

fn checksum(ctx: &Ctx) -> Result<(), String> {
    let path = ctx.path("hashed");
    ctx.write(&path, b"abc")?;
    let hash = ctx
        .backend
        .checksum(path.as_str().into(), HashAlgo::SHA256)
        .into_result()
        .map_err(|e| format!("checksum: {e:?}"))?;
    let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    ensure(hash.as_str() == expected, || {
        format!("sha256 of `abc` is {hash}")
    })
}

/// Deterministic pseudo-random bytes, generated on the fly (no large buffer anywhere).
struct Pattern {
    remaining: u64,
    state: u64,
}

impl Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.remaining) as usize;
        for byte in &mut buf[..n] {
            self.state = self
                .state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *byte = (self.state >> 56) as u8;
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

fn sha256_of(mut reader: impl Read) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((hex, total))
}

fn large_file(ctx: &Ctx) -> Result<(), String> {
    let size = ctx.options.large_file_size;
    let path = ctx.path("large.bin");
    let pattern = || Pattern {
        remaining: size,
        state: 42,
    };
    let (expected, _) = sha256_of(pattern()).map_err(|e| e.to_string())?;
    let entry = ctx
        .write_from(&path, pattern(), Some(size), None)
        .map_err(|e| format!("writing {size} bytes failed: {e:?}"))?;
    ensure(entry.size == size, || {
        format!("write returned size {}", entry.size)
    })?;
    let reader = ctx
        .backend
        .open_read(path.as_str().into(), 0)
        .into_result()
        .map_err(|e| format!("open_read: {e:?}"))?;
    let (actual, total) =
        sha256_of(ReaderBoxRead::new(reader)).map_err(|e| format!("read: {e}"))?;
    ensure(total == size, || {
        format!("read back {total} of {size} bytes")
    })?;
    ensure(actual == expected, || "read back different bytes".into())?;
    let _ = ctx.backend.delete(path.as_str().into());
    Ok(())
}

/// A path that crosses a symlink is refused for every change (write, mkdir, delete, rename,
/// set_mtime, rmdir), and what the link points at is left exactly as it was.
fn symlinks_are_not_crossed(ctx: &Ctx) -> Result<(), String> {
    let make = &ctx.options.make_symlink.as_ref().expect("checked by run").0;
    let (outside, link) = (ctx.path("outside"), ctx.path("link"));
    let victim = join(&outside, "victim.txt");
    ctx.write(&victim, b"keep me")?;
    make(&link, &outside)?;
    let through = |name: &str| join(&link, name);
    let backend = ctx.backend;
    let refused = |what: &str, result: RResult<(), BackendError>| match result {
        RResult::ROk(()) => Err(format!("{what} through a symlink was allowed")),
        RResult::RErr(_) => Ok(()),
    };
    let written = backend.write(
        through("new.txt").as_str().into(),
        reader_box(std::io::Cursor::new(b"new".to_vec()), "new.txt"),
        ROption::RSome(3),
        ROption::RNone,
    );
    refused("write", written.map(|_| ()))?;
    let replaced = backend.write(
        through("victim.txt").as_str().into(),
        reader_box(std::io::Cursor::new(b"lost".to_vec()), "victim.txt"),
        ROption::RSome(4),
        ROption::RNone,
    );
    refused("overwrite", replaced.map(|_| ()))?;
    refused("mkdir", backend.mkdir(through("sub").as_str().into()))?;
    if ctx.caps.contains(Capabilities::DELETE) {
        refused(
            "delete",
            backend.delete(through("victim.txt").as_str().into()),
        )?;
    }
    if ctx.caps.contains(Capabilities::RENAME) {
        refused(
            "rename out",
            backend.rename(
                through("victim.txt").as_str().into(),
                ctx.path("moved").as_str().into(),
            ),
        )?;
    }
    if ctx.caps.contains(Capabilities::SET_MTIME) {
        refused(
            "set_mtime",
            backend.set_mtime(through("victim.txt").as_str().into(), 1_000_000_000),
        )?;
    }
    if ctx.caps.contains(Capabilities::RMDIR) {
        // Removing the link itself may work or be refused; what it points at must survive.
        let _ = backend.rmdir(link.as_str().into(), true);
    }
    ensure(ctx.read(&victim)? == b"keep me", || {
        "the file behind the symlink was changed".into()
    })?;
    let names = ctx.names(&outside)?;
    ensure(names == ["victim.txt"], || {
        format!("the directory behind the symlink now holds {names:?}")
    })
}
