//! Flags rsync users reach for in a one-way sync: `--ignore-existing` copies only what the
//! destination lacks; bisync refuses it with the reason.

use ferry_tests::*;

#[test]
fn ignore_existing_copies_only_new_files() {
    let pair = Pair::new();
    put(&pair.src, "new.txt", b"new");
    put(&pair.src, "both.txt", b"source version");
    put(&pair.dst, "both.txt", b"destination version");
    pair.sync(&["--ignore-existing"]).expect(
        0,
        &["↑ new.txt (new)"],
        "1 uploaded, 0 downloaded, 1 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
    assert_eq!(
        std::fs::read(pair.dst.join("both.txt")).unwrap(),
        b"destination version"
    );
    assert_eq!(std::fs::read(pair.dst.join("new.txt")).unwrap(), b"new");
    // Left alone is not "in step": a run without the flag still sees the difference.
    pair.sync(&["--dry-run"]).expect(
        0,
        &["(dry run) ↑ both.txt (modified)"],
        "(dry run) 1 uploaded, 0 downloaded, 1 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );

    let (l, r) = (pair.src.to_str().unwrap(), pair.dst.to_str().unwrap());
    let run = pair.ferry(&["bisync", "--ignore-existing", l, r]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--ignore-existing is for upload, download and sync"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read(pair.dst.join("both.txt")).unwrap(),
        b"destination version"
    );
}
