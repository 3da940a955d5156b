//! Flags rsync users reach for: `--ignore-existing` copies only what the destination lacks
//! (bisync refuses it with the reason); `--size-only` compares by size and reads no file, yet
//! never overwrites a destination changed since the last sync; `--backup-dir` keeps every
//! version a run replaces or deletes, never overwriting an older backup; `--bwlimit` holds the
//! whole run to a rate.

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

fn json_summary(run: &Run) -> serde_json::Value {
    let last = run.stdout.lines().last().expect("a summary line");
    serde_json::from_str(last).expect("JSON summary")
}

#[test]
fn size_only_compares_sizes_and_reads_no_file() {
    let pair = Pair::new();
    put(&pair.src, "same.txt", b"aaaa");
    put(&pair.dst, "same.txt", b"bbbb");
    put(&pair.src, "grown.txt", b"longer now");
    put(&pair.dst, "grown.txt", b"short");
    let run = pair.sync(&["--size-only", "--json"]);
    let summary = json_summary(&run);
    assert_eq!(
        (
            summary["uploaded"].as_u64(),
            summary["unchanged"].as_u64(),
            summary["hashed_files"].as_u64()
        ),
        (Some(1), Some(1), Some(0)),
        "{}",
        run.stdout
    );
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[("grown.txt", "longer now"), ("same.txt", "bbbb")])
    );
    // Left alone is not "in step": a run without the flag compares the content.
    pair.sync(&["--dry-run"]).expect(
        0,
        &["(dry run) ↑ same.txt (modified)"],
        "(dry run) 1 uploaded, 0 downloaded, 1 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
}

#[test]
fn size_only_never_overwrites_a_destination_changed_since_the_last_sync() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"one");
    put(&pair.src, "b.txt", b"one");
    pair.sync(&[]).expect(
        0,
        &["↑ a.txt (new)", "↑ b.txt (new)"],
        "2 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
    // Someone edits the destination's copy; the source changes size too.
    put(&pair.dst, "a.txt", b"edited there");
    put(&pair.src, "a.txt", b"source edit");
    // And the source's other file is gone: with --delete a changed destination stays too.
    put(&pair.dst, "b.txt", b"also edited there");
    std::fs::remove_file(pair.src.join("b.txt")).unwrap();
    let run = pair.sync(&["--size-only", "--delete"]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(
        run.summary,
        "0 uploaded, 0 downloaded, 0 unchanged, 2 conflicts, 0 invalid, 0 deleted, 0 failed"
    );
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[("a.txt", "edited there"), ("b.txt", "also edited there")])
    );

    let (l, r) = (pair.src.to_str().unwrap(), pair.dst.to_str().unwrap());
    let run = pair.ferry(&["bisync", "--size-only", l, r]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--size-only is for upload, download and sync"),
        "{}",
        run.stderr
    );
}

#[test]
fn backup_dir_keeps_what_a_run_replaces_or_deletes() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"a1");
    put(&pair.src, "sub/b.txt", b"b1");
    put(&pair.src, "gone.txt", b"g1");
    pair.sync(&[]);
    put(&pair.src, "a.txt", b"a2 longer");
    std::fs::remove_file(pair.src.join("gone.txt")).unwrap();
    let backup = ["--backup-dir", ".old", "--delete"];
    pair.sync(&backup).expect(
        0,
        &["↑ a.txt (modified)", "✗ gone.txt (deleted)"],
        "1 uploaded, 0 downloaded, 1 unchanged, 0 conflicts, 0 invalid, 1 deleted, 0 failed",
    );
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[
            (".old/", ""),
            (".old/a.txt", "a1"),
            (".old/gone.txt", "g1"),
            ("a.txt", "a2 longer"),
            ("sub/", ""),
            ("sub/b.txt", "b1"),
        ])
    );
    // A second replacement never overwrites the first backup; the backup directory is outside
    // the run: not deleted by --delete or --delete-unmatched, not listed as a change.
    put(&pair.src, "a.txt", b"a3");
    pair.sync(&["--backup-dir", ".old", "--delete-unmatched"])
        .expect(
            0,
            &["↑ a.txt (modified)"],
            "1 uploaded, 0 downloaded, 1 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
        );
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[
            (".old/", ""),
            (".old/a.txt", "a1"),
            (".old/a.txt.~1~", "a2 longer"),
            (".old/gone.txt", "g1"),
            ("a.txt", "a3"),
            ("sub/", ""),
            ("sub/b.txt", "b1"),
        ])
    );
    // A directory that goes is moved whole.
    std::fs::remove_dir_all(pair.src.join("sub")).unwrap();
    let run = pair.sync(&["--backup-dir", ".old", "--delete"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[
            (".old/", ""),
            (".old/a.txt", "a1"),
            (".old/a.txt.~1~", "a2 longer"),
            (".old/gone.txt", "g1"),
            (".old/sub/", ""),
            (".old/sub/b.txt", "b1"),
            ("a.txt", "a3"),
        ])
    );
    // A dry run keeps nothing because it changes nothing.
    put(&pair.src, "a.txt", b"a4 much longer");
    let before = tree(&pair.dst);
    pair.sync(&["--backup-dir", ".old", "--dry-run"]);
    assert_eq!(tree(&pair.dst), before);
}

#[test]
fn backup_dir_keeps_a_file_below_a_name_an_earlier_backup_holds() {
    // `b` was a file, kept as `.old/b` when it went; it is now a directory whose `b/x` is
    // replaced. `.old/b` cannot hold `x`, so the directory on the way gets the first numbered
    // name that is free or a directory, and every later run uses the same one.
    let pair = Pair::new();
    put(&pair.dst, ".old/b", b"file b");
    put(&pair.src, "b/x", b"x1");
    let backup = ["--backup-dir", ".old", "--delete"];
    pair.sync(&backup);
    put(&pair.src, "b/x", b"x1 v2");
    let run = pair.sync(&backup);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    put(&pair.src, "b/x", b"x2 longer");
    put(&pair.src, "b/y", b"y1");
    pair.sync(&backup);
    put(&pair.src, "b/x", b"x3");
    put(&pair.src, "b/y", b"y2 longer");
    pair.sync(&backup).expect(
        0,
        &["↑ b/x (modified)", "↑ b/y (modified)"],
        "2 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[
            (".old/", ""),
            (".old/b", "file b"),
            (".old/b.~1~/", ""),
            (".old/b.~1~/x", "x1"),
            (".old/b.~1~/x.~1~", "x1 v2"),
            (".old/b.~1~/x.~2~", "x2 longer"),
            (".old/b.~1~/y", "y1"),
            ("b/", ""),
            ("b/x", "x3"),
            ("b/y", "y2 longer"),
        ])
    );
    // Converged: nothing left to do.
    pair.sync(&backup).expect(
        0,
        &[],
        "0 uploaded, 0 downloaded, 2 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
}

#[test]
fn backup_dir_in_a_bisync_keeps_each_sides_losers_on_that_side() {
    let pair = Pair::new();
    put(&pair.src, "edited.txt", b"v1");
    put(&pair.src, "deleted.txt", b"d1");
    put(&pair.src, "conflict.txt", b"c1");
    let (l, r) = (pair.src.to_str().unwrap(), pair.dst.to_str().unwrap());
    assert_eq!(pair.ferry(&["bisync", l, r]).code, 0);
    put(&pair.dst, "edited.txt", b"v2 remote");
    std::fs::remove_file(pair.dst.join("deleted.txt")).unwrap();
    put(&pair.src, "conflict.txt", b"c2 local");
    put(&pair.dst, "conflict.txt", b"c2 remote edit");
    let run = pair.ferry(&[
        "bisync",
        "--backup-dir",
        "backups/ferry",
        "--resolve",
        "remote",
        l,
        r,
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        text_tree(&pair.src),
        entries(&[
            ("backups/", ""),
            ("backups/ferry/", ""),
            ("backups/ferry/conflict.txt", "c2 local"),
            ("backups/ferry/deleted.txt", "d1"),
            ("backups/ferry/edited.txt", "v1"),
            ("conflict.txt", "c2 remote edit"),
            ("edited.txt", "v2 remote"),
        ])
    );
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[
            ("conflict.txt", "c2 remote edit"),
            ("edited.txt", "v2 remote"),
        ])
    );
}

#[test]
fn backup_dir_must_stay_inside_the_root() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"a");
    for (dir, says) in [
        ("/tmp/elsewhere", "relative to the root"),
        ("../up", "would leave the root"),
        (".", "names the root itself"),
    ] {
        let run = pair.sync(&["--backup-dir", dir]);
        assert_eq!(run.code, 2, "{dir}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{dir}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    assert!(tree(&pair.dst).is_empty());
}
