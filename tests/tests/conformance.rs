//! The plugin-api conformance suite against real plugin libraries loaded through ferry's loader
//! (`conformance::check_library`, what `ferry plugins check` runs), and proof that the suite can
//! fail: deliberately broken backends each fail the check written for them.

use std::io::Read;

use ferry_backend_local::LocalBackend;
use ferry_plugin_api::{
    author::{backend_box, BackendImpl},
    conformance, library_file_name, BackendError, Capabilities, Entry, Listing,
};
use ferry_tests::*;

/// The conformance hook that makes symlinks in a local directory tree.
fn symlinks_in(root: &std::path::Path) -> conformance::SymlinkMaker {
    let root = root.to_path_buf();
    conformance::SymlinkMaker(std::sync::Arc::new(move |link: &str, target: &str| {
        std::os::unix::fs::symlink(root.join(target), root.join(link)).map_err(|e| e.to_string())
    }))
}

/// The options table `open` gets: only `location`.
fn at(location: &str) -> String {
    let mut options = toml::Table::new();
    options.insert("location".into(), location.into());
    options.to_string()
}

#[test]
fn the_local_plugin_library_passes() {
    let dir = tempfile::tempdir().unwrap();
    let options = conformance::Options {
        make_symlink: Some(symlinks_in(dir.path())),
        ..Default::default()
    };
    let library = workspace_plugin_dir().join(library_file_name("local"));
    let report = conformance::check_library(&library, &at(dir.path().to_str().unwrap()), &options);
    report.assert_ok();
    assert!(report.passed("refuses-an-undeclared-option"), "{report}");
    assert!(
        report.passed("declared-capabilities-are-implemented"),
        "{report}"
    );
    assert!(report.passed("nothing-is-written-through-a-symlink"));
    let skipped: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.outcome.is_none())
        .map(|c| c.name)
        .collect();
    assert_eq!(
        skipped,
        ["checksum-sha256"],
        "local declares everything else"
    );
}

#[test]
fn the_testkit_fixture_plugin_passes() {
    let library =
        build_fixture_plugin("testkit", ApiVariant::Same).join(library_file_name("testkit"));
    conformance::check_library(&library, &at("mem://"), &conformance::Options::default())
        .assert_ok();
}

/// The local backend with one deliberate contract violation.
struct Broken {
    inner: LocalBackend,
    root: std::path::PathBuf,
    flaw: Flaw,
}

#[derive(Clone, Copy, PartialEq)]
enum Flaw {
    ListMissingIsEmpty,
    DeleteMissingFails,
    WriteIgnoresSize,
    MkdirNotIdempotent,
    WritesThroughSymlinks,
    /// Declares CHECKSUM_SHA256 but keeps the default `checksum` (UNSUPPORTED).
    HollowChecksum,
}

impl BackendImpl for Broken {
    fn capabilities(&self) -> Capabilities {
        match self.flaw {
            Flaw::HollowChecksum => self.inner.capabilities() | Capabilities::CHECKSUM_SHA256,
            _ => self.inner.capabilities(),
        }
    }
    fn list(&self, dir: &str) -> Result<Listing, BackendError> {
        match self.inner.list(dir) {
            Err(e)
                if self.flaw == Flaw::ListMissingIsEmpty
                    && e.kind == ferry_plugin_api::ErrorKind::NOT_FOUND =>
            {
                Ok(Listing::default())
            }
            other => other,
        }
    }
    fn stat(&self, path: &str) -> Result<Entry, BackendError> {
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
        mtime: Option<i64>,
    ) -> Result<Entry, BackendError> {
        if self.flaw == Flaw::WritesThroughSymlinks {
            // What a naive backend does: std::fs follows every link on the way.
            let full = self.root.join(path);
            let mut bytes = Vec::new();
            source
                .read_to_end(&mut bytes)
                .map_err(|e| BackendError::from_io(e, path))?;
            std::fs::write(&full, bytes).map_err(|e| BackendError::from_io(e, path))?;
            return self.inner.stat(path);
        }
        let size = if self.flaw == Flaw::WriteIgnoresSize {
            None
        } else {
            size
        };
        self.inner.write(path, source, size, mtime)
    }
    fn delete(&self, path: &str) -> Result<(), BackendError> {
        if self.flaw == Flaw::DeleteMissingFails && self.inner.stat(path).is_err() {
            return Err(BackendError::not_found(path));
        }
        self.inner.delete(path)
    }
    fn mkdir(&self, path: &str) -> Result<(), BackendError> {
        if self.flaw == Flaw::MkdirNotIdempotent && self.inner.stat(path).is_ok() {
            return Err(BackendError::new(
                ferry_plugin_api::ErrorKind::ALREADY_EXISTS,
                "exists",
            ));
        }
        self.inner.mkdir(path)
    }
    fn rmdir(&self, path: &str, recursive: bool) -> Result<(), BackendError> {
        self.inner.rmdir(path, recursive)
    }
    fn rename(&self, from: &str, to: &str) -> Result<(), BackendError> {
        self.inner.rename(from, to)
    }
    fn set_mtime(&self, path: &str, mtime_ns: i64) -> Result<(), BackendError> {
        self.inner.set_mtime(path, mtime_ns)
    }
}

#[test]
fn each_deliberately_broken_backend_fails_its_check() {
    let cases = [
        (
            Flaw::HollowChecksum,
            "declared-capabilities-are-implemented",
        ),
        (Flaw::ListMissingIsEmpty, "missing-paths-are-not-found"),
        (Flaw::DeleteMissingFails, "delete-and-delete-missing"),
        (Flaw::WriteIgnoresSize, "size-mismatch-commits-nothing"),
        (
            Flaw::MkdirNotIdempotent,
            "mkdir-is-idempotent-and-makes-parents",
        ),
        (
            Flaw::WritesThroughSymlinks,
            "nothing-is-written-through-a-symlink",
        ),
    ];
    for (flaw, check) in cases {
        let dir = tempfile::tempdir().unwrap();
        let backend = backend_box(Broken {
            inner: LocalBackend::at(dir.path()),
            root: dir.path().to_path_buf(),
            flaw,
        });
        let options = conformance::Options {
            large_file_size: 1024,
            make_symlink: Some(symlinks_in(dir.path())),
            ..Default::default()
        };
        let report = conformance::run(&backend, &options);
        let failed: Vec<&str> = report.failures().iter().map(|(name, _)| *name).collect();
        assert!(failed.contains(&check), "{check} did not fail:\n{report}");
        let panicked = std::panic::catch_unwind(|| report.assert_ok());
        assert!(panicked.is_err(), "assert_ok must panic on failures");
    }
}
