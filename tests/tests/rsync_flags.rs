//! Flags rsync users reach for: `--ignore-existing` copies only what the destination lacks
//! (bisync refuses it with the reason); `--bwlimit` holds the whole run to a rate.

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

#[test]
fn bwlimit_holds_the_run_to_its_rate() {
    let pair = Pair::new();
    // 2 MiB in two files at 1 MiB/s: the budget is the run's, not each file's.
    put(&pair.src, "a.bin", &vec![7u8; 1 << 20]);
    put(&pair.src, "b.bin", &vec![9u8; 1 << 20]);
    let started = std::time::Instant::now();
    let run = pair.sync(&["--bwlimit", "1M", "--jobs", "2"]);
    let took = started.elapsed();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(tree(&pair.dst).len(), 2);
    // Only a lower bound: a slow machine takes longer anyway, never less than the rate allows.
    assert!(took >= std::time::Duration::from_millis(1800), "{took:?}");

    let run = pair.sync(&["--bwlimit", "fast"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`fast` is not a rate"),
        "{}",
        run.stderr
    );
}
