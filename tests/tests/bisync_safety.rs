//! Bisync safety beyond the scenario table: a download killed half-way never lets the truncated
//! copy replace the good remote file (pyftpsync's interrupted-download bug); a side that lists
//! empty against a recorded baseline deletes nothing on the other; `check --bisync` reports and
//! touches nothing; `--delete-unmatched` removes what the filters leave out on the destination.

use std::time::{Duration, Instant};

use ferry_tests::{servers::*, *};

#[test]
fn a_killed_download_never_replaces_the_good_remote_file() {
    // 64 KiB/s: the 384 KiB file takes six seconds, long enough to kill the run half-way.
    let server = FtpServer::start_throttled(64 * 1024);
    let good: Vec<u8> = (0..384 * 1024u32).map(|i| (i % 251) as u8).collect();
    server.put("site/big.bin", &good);
    server.put("site/small.txt", b"small");
    let pair = Pair::new();
    let (local, url) = (pair.src.to_str().unwrap().to_string(), server.url("site"));
    let args = ["bisync", "--resolve", "new", local.as_str(), url.as_str()];

    let mut child = KillOnDrop(
        pair.command(&args)
            .env("FERRY_PASSWORD", PASSWORD)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let partial_started = || {
        std::fs::read_dir(&pair.src).unwrap().any(|entry| {
            let entry = entry.unwrap();
            // A part file can be renamed into place between the listing and this look.
            entry.file_name().to_string_lossy().contains(".ferry-part-")
                && entry.metadata().is_ok_and(|meta| meta.len() > 0)
        })
    };
    while !partial_started() {
        assert!(Instant::now() < deadline, "the download never started");
        assert!(
            child.try_wait().unwrap().is_none(),
            "ferry ended before the kill"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !pair.src.join("big.bin").exists(),
        "a partial download is never visible under the final name"
    );

    // The rerun downloads again; nothing is uploaded, the server's file is untouched.
    let rerun = pair.ferry_with_password(&args);
    assert_eq!(rerun.code, 0, "{} {}", rerun.stdout, rerun.stderr);
    assert!(
        rerun.lines.contains(&"↓ big.bin (new)".to_string()),
        "{:?}",
        rerun.lines
    );
    assert!(
        !rerun.lines.iter().any(|l| l.starts_with('↑')),
        "nothing may be uploaded: {:?}",
        rerun.lines
    );
    assert_eq!(
        std::fs::read(server.root.join("site/big.bin")).unwrap(),
        good
    );
    assert_eq!(std::fs::read(pair.src.join("big.bin")).unwrap(), good);
    assert_eq!(
        tree(&pair.src).keys().collect::<Vec<_>>(),
        ["big.bin", "small.txt"],
        "the stale partial file was cleaned up"
    );
}

#[test]
fn a_record_half_in_sha256_still_tells_alike_changes_from_conflicts() {
    let pair = Pair::new();
    let (l, r) = (pair.src.to_str().unwrap(), pair.dst.to_str().unwrap());
    put(&pair.src, "same.txt", b"one");
    put(&pair.src, "edit.txt", b"one");
    assert_eq!(pair.ferry(&["bisync", l, r]).code, 0);
    // One side's hashes from a ferry before BLAKE3, the other's from this one.
    pair.downgrade_snapshot_to_sha256(&pair.src, &["a"]);
    // Both sides changed alike: no conflict, though the record mixes the two algorithms.
    for dir in [&pair.src, &pair.dst] {
        put(dir, "same.txt", b"two");
    }
    put(&pair.dst, "edit.txt", b"changed");
    let run = pair.ferry(&["bisync", l, r]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(" 0 conflicts,"), "{}", run.stdout);
    assert_eq!(
        text_tree(&pair.src),
        entries(&[("edit.txt", "changed"), ("same.txt", "two")])
    );
    assert_eq!(text_tree(&pair.src), text_tree(&pair.dst));
    assert_eq!(pair.hash_keys("same.txt"), ["blake3", "blake3"]);
}

/// Found by bisync_model with PROPTEST_CASES=10000: remote deleted a directory the last sync
/// had seen empty while local wrote a first file into it; `--resolve remote` took that for a
/// conflict and deleted the never-synced file. Deleting an empty directory deletes no content.
#[test]
fn a_new_file_in_a_directory_deleted_empty_on_the_other_side_is_kept() {
    let pair = Pair::new();
    let (l, r) = (pair.src.to_str().unwrap(), pair.dst.to_str().unwrap());
    std::fs::create_dir_all(pair.src.join("d")).unwrap();
    assert_eq!(pair.ferry(&["bisync", l, r]).code, 0);
    assert!(pair.dst.join("d").is_dir());
    put(&pair.src, "d/c", b"first version");
    std::fs::remove_dir(pair.dst.join("d")).unwrap();
    for strategy in ["remote", "skip"] {
        let run = pair.ferry(&["bisync", "--resolve", strategy, l, r]);
        assert_eq!(run.code, 0, "{strategy}: {}{}", run.stdout, run.stderr);
        assert_eq!(
            text_tree(&pair.src),
            entries(&[("d/", ""), ("d/c", "first version")])
        );
        assert_eq!(text_tree(&pair.dst), text_tree(&pair.src), "{}", run.stdout);
    }
    // Deleting the directory again, now that it holds a synced file, is a deletion to apply.
    std::fs::remove_dir_all(pair.dst.join("d")).unwrap();
    let run = pair.ferry(&["bisync", "--force", l, r]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(!pair.src.join("d").exists(), "{}", run.stdout);
}

#[test]
fn an_emptied_side_deletes_nothing_on_the_other() {
    let pair = Pair::new();
    let (l, r) = (pair.src.to_str().unwrap(), pair.dst.to_str().unwrap());
    for i in 0..5 {
        put(&pair.src, &format!("f{i}.txt"), b"data");
    }
    assert_eq!(pair.ferry(&["bisync", l, r]).code, 0);
    for i in 0..5 {
        std::fs::remove_file(pair.src.join(format!("f{i}.txt"))).unwrap();
    }
    let run = pair.ferry(&["bisync", l, r]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains(
            "refusing to delete on remote: local lists no files but the last sync recorded 5"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(
        pair.complete_files(),
        5,
        "nothing deleted on the remote side"
    );
    // --force says the emptying is meant.
    let forced = pair.ferry(&["bisync", "--force", l, r]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(pair.complete_files(), 0);
}

#[test]
fn check_bisync_reports_and_touches_nothing() {
    let pair = Pair::new();
    let (l, r) = (pair.src.to_str().unwrap(), pair.dst.to_str().unwrap());
    put(&pair.src, "a.txt", b"a");
    put(&pair.dst, "b.txt", b"b");
    let before = (tree(&pair.src), tree(&pair.dst));
    for _ in 0..2 {
        pair.ferry(&["check", "--bisync", l, r]).expect(
            3,
            &["(dry run) ↑ a.txt (new)", "(dry run) ↓ b.txt (new)"],
            "(dry run) 1 uploaded, 1 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
        );
    }
    assert_eq!((tree(&pair.src), tree(&pair.dst)), before);
    assert!(
        !pair.state_dir().exists() || std::fs::read_dir(pair.state_dir()).unwrap().count() == 0
    );
    assert_eq!(pair.ferry(&["bisync", l, r]).code, 0);
    pair.ferry(&["check", "--bisync", l, r]).expect(
        0,
        &[],
        "(dry run) 0 uploaded, 0 downloaded, 2 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
    // A conflict makes check say "not in sync"; --resolve shows what a strategy would do.
    put(&pair.src, "a.txt", b"local edit");
    put(&pair.dst, "a.txt", b"remote edit!");
    pair.ferry(&["check", "--bisync", l, r])
        .expect(3, &["(dry run) ! a.txt (conflict: changed on both sides)"], "(dry run) 0 uploaded, 0 downloaded, 1 unchanged, 1 conflict, 0 invalid, 0 deleted, 0 failed");
    pair.ferry(&["check", "--bisync", "--resolve", "remote", l, r]).expect(
        3,
        &[
            "(dry run) ! a.txt (conflict: changed on both sides; kept remote)",
            "(dry run) ↓ a.txt (modified)",
        ],
        "(dry run) 0 uploaded, 1 downloaded, 1 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
    assert_eq!(
        std::fs::read(pair.src.join("a.txt")).unwrap(),
        b"local edit"
    );
}

#[test]
fn delete_unmatched_removes_what_the_filters_leave_out() {
    let pair = Pair::new();
    put(&pair.src, "keep.txt", b"k");
    put(&pair.src, "debug.log", b"log");
    put(&pair.dst, "old.log", b"old log");
    put(&pair.dst, "cache/x.bin", b"x");
    put(
        &pair.dst,
        "sub/keep-too.txt",
        b"stays: not unmatched, just not in the source",
    );
    let (l, r) = (pair.src.to_str().unwrap(), pair.dst.to_str().unwrap());
    pair.ferry(&[
        "upload",
        "--exclude",
        "*.log",
        "--exclude",
        "cache",
        "--delete-unmatched",
        l,
        r,
    ])
    .expect(
        0,
        &[
            "↑ keep.txt (new)",
            "✗ old.log (deleted)",
            "✗ cache/x.bin (deleted)",
            "✗ cache/ (deleted)",
            "✗ sub/keep-too.txt (deleted)",
            "✗ sub/ (deleted)",
        ],
        // Files are counted, directories are not.
        "1 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 3 deleted, 0 failed",
    );
    assert_eq!(text_tree(&pair.dst), entries(&[("keep.txt", "k")]));
    // Without --delete-unmatched, excluded destination files stay.
    put(&pair.dst, "again.log", b"log");
    pair.ferry(&["upload", "--exclude", "*.log", "--delete", l, r])
        .expect(
            0,
            &[],
            "0 uploaded, 0 downloaded, 1 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
        );
    assert!(pair.dst.join("again.log").exists());
    let run = pair.ferry(&["bisync", "--delete", l, r]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("bisync always carries deletions across"),
        "{}",
        run.stderr
    );
}

#[test]
fn max_delete_and_fail_fast_apply_to_bisync() {
    let pair = Pair::new();
    let (l, r) = (pair.src.to_str().unwrap(), pair.dst.to_str().unwrap());
    for i in 0..4 {
        put(&pair.src, &format!("f{i}.txt"), b"data");
    }
    assert_eq!(pair.ferry(&["bisync", l, r]).code, 0);
    for i in 0..3 {
        std::fs::remove_file(pair.dst.join(format!("f{i}.txt"))).unwrap();
    }
    let run = pair.ferry(&["bisync", "--max-delete", "2", l, r]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("refusing to delete 3 of 4 files on local (more than --max-delete 2)"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(&pair.src).len(), 4, "nothing deleted locally");
    // --fail-fast stops at the first conflict; the state keeps what was done before it.
    put(&pair.src, "f3.txt", b"local edit");
    put(&pair.dst, "f3.txt", b"remote edit!");
    let run = pair.ferry(&["bisync", "--fail-fast", "--resolve", "skip", l, r]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.summary.ends_with("0 failed"), "{}", run.summary);
    assert!(
        run.stdout.contains("stopped by --fail-fast"),
        "{}",
        run.stdout
    );
}
