//! The local backend in-process: the conformance suite, and the local-only rules (symlinks,
//! non-UTF-8 names, paths that try to leave the root).

use std::{ffi::OsStr, os::unix::ffi::OsStrExt};

use ferry_backend_local::LocalBackend;
use ferry_plugin_api::{
    author::{backend_box, BackendImpl},
    conformance, EntryKind, ErrorKind,
};

#[test]
fn passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let backend = backend_box(LocalBackend::at(dir.path()));
    let report = conformance::run(&backend, &conformance::Options::default());
    report.assert_ok();
    assert!(report.passed("large-file-streamed"));
    assert!(report.passed("failed-source-commits-nothing"));
    assert!(report.passed("set-mtime"));
}

#[test]
fn symlinks_are_reported_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    std::fs::write(dir.path().join("real/f"), b"x").unwrap();
    std::os::unix::fs::symlink("real", dir.path().join("link")).unwrap();
    let backend = LocalBackend::at(dir.path());
    let listing = backend.list("").unwrap();
    let link = listing
        .entries
        .iter()
        .find(|e| e.name.as_str() == "link")
        .unwrap();
    assert_eq!(link.kind, EntryKind::SYMLINK);
    assert_eq!(
        link.link_target.as_ref().map(|t| t.as_str()),
        Some("real").into()
    );
    assert_eq!(backend.stat("link").unwrap().kind, EntryKind::SYMLINK);
    // Deleting the link removes the link, never the directory it points to.
    backend.delete("link").unwrap();
    assert!(dir.path().join("real/f").exists());
}

#[test]
fn non_utf8_names_are_problems_not_failures() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(OsStr::from_bytes(b"bad\xffname")), b"x").unwrap();
    std::fs::write(dir.path().join("good"), b"y").unwrap();
    let listing = LocalBackend::at(dir.path()).list("").unwrap();
    let names: Vec<_> = listing.entries.iter().map(|e| e.name.to_string()).collect();
    assert_eq!(names, ["good"]);
    assert_eq!(listing.problems.len(), 1);
    assert_eq!(listing.problems[0].kind, ErrorKind::INVALID_INPUT);
    assert!(
        listing.problems[0].message.contains("not valid UTF-8"),
        "{}",
        listing.problems[0].message
    );
}

#[test]
fn paths_cannot_leave_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::at(dir.path().join("root"));
    for bad in ["../escape", "a/../../b", "a//b", "./a", "a/\0"] {
        let err = backend.stat(bad).unwrap_err();
        assert_eq!(err.kind, ErrorKind::INVALID_INPUT, "{bad}: {err:?}");
        let err = backend.mkdir(bad).unwrap_err();
        assert_eq!(err.kind, ErrorKind::INVALID_INPUT, "{bad}: {err:?}");
    }
    assert!(!dir.path().join("escape").exists());
}

#[test]
fn a_missing_root_lists_as_not_found_and_mkdir_creates_it() {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::at(dir.path().join("later"));
    assert_eq!(backend.list("").unwrap_err().kind, ErrorKind::NOT_FOUND);
    backend.mkdir("").unwrap();
    assert!(backend.list("").unwrap().entries.is_empty());
}

/// The whole suite again with durability deferred (`durability.v1` asked for first), as the
/// host runs the local backend it writes to.
#[test]
fn passes_the_conformance_suite_with_deferred_durability() {
    let dir = tempfile::tempdir().unwrap();
    let backend = backend_box(LocalBackend::at(dir.path()));
    assert!(backend
        .extension(ferry_plugin_api::durability::NAME.into())
        .is_some());
    // With symlinks too: deferred writes and renames take paths of their own.
    let root = dir.path().to_path_buf();
    let options = conformance::Options {
        make_symlink: Some(conformance::SymlinkMaker(std::sync::Arc::new(
            move |link: &str, target: &str| {
                std::os::unix::fs::symlink(root.join(target), root.join(link))
                    .map_err(|e| e.to_string())
            },
        ))),
        ..Default::default()
    };
    let report = conformance::run(&backend, &options);
    report.assert_ok();
    assert!(report.passed("nothing-is-written-through-a-symlink"));
    assert!(report.passed("deferred-durability"));
    assert!(report.passed("overwrite"));
    assert!(report.passed("write-over-a-directory-fails"));
}
