//! "Unknown is not absent" and "deletions are always guarded" (sync-semantics §6): symlinks,
//! unreadable entries and refused names are left alone on both sides and reported once as a
//! warning; a vanished root stops the run; a deletion that a conflict's resolution asks for
//! keeps excluded files and respects `--max-delete`; a run with narrower filters forgets
//! nothing; a file/directory conflict loses no content whichever strategy settles it.

use std::{path::PathBuf, sync::OnceLock};

use ferry_tests::{servers::*, *};

fn summary(
    up: u32,
    down: u32,
    unchanged: u32,
    conflicts: u32,
    deleted: u32,
    failed: u32,
) -> String {
    let word = if conflicts == 1 {
        "conflict"
    } else {
        "conflicts"
    };
    format!("{up} uploaded, {down} downloaded, {unchanged} unchanged, {conflicts} {word}, 0 invalid, {deleted} deleted, {failed} failed")
}

fn testkit_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| build_fixture_plugin("testkit", ApiVariant::Same))
        .clone()
}

/// `ferry bisync EXTRA… src dst`, with `--resolve skip` unless EXTRA names a strategy.
fn bisync(pair: &Pair, extra: &[&str]) -> Run {
    let (l, r) = (pair.src.to_str().unwrap(), pair.dst.to_str().unwrap());
    let strategy: &[&str] = if extra.contains(&"--resolve") {
        &[]
    } else {
        &["--resolve", "skip"]
    };
    pair.ferry(&[&["bisync"], strategy, extra, &[l, r]].concat())
}

#[test]
fn nothing_is_written_through_or_deleted_behind_a_symlink() {
    let pair = Pair::new();
    let outside = pair.root.path().join("outside");
    put(&outside, "notes.txt", b"outside both roots");
    std::os::unix::fs::symlink(&outside, pair.src.join("sub")).unwrap();
    put(&pair.dst, "sub/notes.txt", b"remote notes");
    put(&pair.dst, "top.txt", b"top");
    for _ in 0..2 {
        let run = bisync(&pair, &[]);
        assert_eq!(
            std::fs::read(outside.join("notes.txt")).unwrap(),
            b"outside both roots",
            "written through the link: {}",
            run.stdout
        );
        assert_eq!(
            text_tree(&pair.dst),
            entries(&[
                ("sub/", ""),
                ("sub/notes.txt", "remote notes"),
                ("top.txt", "top")
            ]),
            "{}",
            run.stdout
        );
        assert!(!run.stdout.contains("sub/"), "{}", run.stdout);
        assert!(
            run.stderr
                .contains("cannot read `sub` on the local side (a symlink"),
            "{}",
            run.stderr
        );
        assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    }
    // One-way with --delete: the destination's symlinked directory is left alone too.
    let mirror = pair.root.path().join("mirror");
    put(&mirror, "keep.txt", b"x");
    std::os::unix::fs::symlink(&outside, mirror.join("linked")).unwrap();
    let run = pair.ferry(&[
        "sync",
        "--delete",
        pair.dst.to_str().unwrap(),
        mirror.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::fs::symlink_metadata(mirror.join("linked"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read(outside.join("notes.txt")).unwrap(),
        b"outside both roots"
    );
}

#[test]
fn a_vanished_root_stops_the_run_and_is_never_recreated() {
    let pair = Pair::new();
    for i in 0..8 {
        put(&pair.src, &format!("f{i}.txt"), b"data");
    }
    assert_eq!(bisync(&pair, &[]).summary, summary(8, 0, 0, 0, 0, 0));
    let away = pair.root.path().join("unmounted");
    std::fs::rename(&pair.dst, &away).unwrap();
    for _ in 0..2 {
        let run = bisync(&pair, &[]);
        assert_eq!(run.code, 2, "{}", run.stdout);
        assert!(
            run.stderr
                .contains("does not exist, but the last sync recorded"),
            "{}",
            run.stderr
        );
        assert!(!pair.dst.exists(), "the vanished root is not re-created");
        assert_eq!(tree(&pair.src).len(), 8, "nothing deleted locally");
    }
    // One-way too, in both directions.
    let run = pair.sync(&["--delete"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!pair.dst.exists());
    std::fs::rename(&away, &pair.dst).unwrap();
    bisync(&pair, &[]).expect(0, &[], &summary(0, 0, 8, 0, 0, 0));
}

#[test]
fn a_vanished_ftp_root_stops_the_run() {
    let server = FtpServer::start(Kind::Pyftpdlib);
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"a");
    put(&pair.src, "b.txt", b"b");
    let (l, site) = (pair.src.to_str().unwrap(), server.url("site"));
    let run = pair.ferry_with_password(&["bisync", "--resolve", "skip", l, &site]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::rename(server.root.join("site"), server.root.join("moved")).unwrap();
    for _ in 0..2 {
        let run = pair.ferry_with_password(&["bisync", "--resolve", "skip", l, &site]);
        assert_eq!(run.code, 2, "{} {}", run.stdout, run.stderr);
        assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
        assert!(!server.root.join("site").exists());
    }
    assert_eq!(tree(&pair.src).len(), 2);
}

#[test]
fn an_entry_whose_stat_fails_is_never_deleted() {
    let pair = Pair::new();
    let plugin_dir = testkit_dir();
    let remote = "testkitmem://h/seeded";
    let local = pair.src.to_str().unwrap();
    let args = [
        "--plugin-dir",
        plugin_dir.to_str().unwrap(),
        "bisync",
        "--resolve",
        "skip",
        local,
        remote,
    ];
    let first = pair.ferry(&args);
    assert!(pair.src.join("z/b.txt").exists(), "{}", first.stdout);
    for _ in 0..2 {
        let run = Run::from(
            pair.command(&args)
                .env("FERRY_TESTKIT_UNREADABLE", "z/b.txt")
                .output()
                .unwrap(),
        );
        assert!(pair.src.join("z/b.txt").exists(), "deleted: {}", run.stdout);
        assert!(run.lines.is_empty(), "{}", run.stdout);
        assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
        assert_eq!(
            run.stderr
                .matches("cannot read `z/b.txt` on the remote side")
                .count(),
            1,
            "reported once: {}",
            run.stderr
        );
        assert!(pair.src.join("z/b.txt").exists(), "never deleted");
    }
    // The seeded store's `panic-dir/` cannot be listed: a warning, not a failure.
    assert_eq!(first.code, 0, "{} {}", first.stdout, first.stderr);
}

/// An entry whose stat fails is unknown even when a directories-only pattern names it: the
/// pattern cannot tell a file from a directory it cannot see, so excluding it would make the
/// recorded file look deleted and the deletion cross to the other side.
#[test]
fn an_unreadable_entry_named_by_a_directories_only_pattern_is_not_deleted() {
    let pair = Pair::new();
    let plugin_dir = testkit_dir();
    let remote = "testkitmem://h/seeded";
    let local = pair.src.to_str().unwrap();
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut args: Vec<String> = vec![
            "--plugin-dir".into(),
            plugin_dir.to_str().unwrap().into(),
            "bisync".into(),
            "--resolve".into(),
            "skip".into(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        args.extend([local.to_string(), remote.to_string()]);
        args
    };
    let first = pair.ferry(&args(&[]).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(pair.src.join("a.txt").exists(), "{}", first.stdout);
    let run = pair.ferry_env(
        &args(&["--exclude", "a.txt/"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[("FERRY_TESTKIT_UNREADABLE", "a.txt")],
    );
    assert!(pair.src.join("a.txt").exists(), "deleted: {}", run.stdout);
    assert!(run.lines.is_empty(), "{}", run.stdout);
}

#[test]
fn refused_ftp_names_leave_their_directory_alone() {
    let server = FtpServer::start_hostile();
    let pair = Pair::new();
    server.put("hostile/good.txt", b"good");
    put(&pair.src, "mine.txt", b"mine");
    let (src, root) = (pair.src.to_str().unwrap(), server.url(""));
    for _ in 0..2 {
        let run = pair.ferry_with_password(&["sync", "--delete", src, &root]);
        assert!(
            run.stderr
                .contains("cannot read an entry of `hostile` on the destination side"),
            "{}",
            run.stderr
        );
        assert!(!run.stdout.contains("hostile"), "{}", run.stdout);
        assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    }
    assert_eq!(
        std::fs::read(server.root.join("hostile/good.txt")).unwrap(),
        b"good"
    );
}

#[test]
fn names_that_are_not_utf8_warn_and_can_be_excluded() {
    use std::os::unix::ffi::OsStrExt;
    let pair = Pair::new();
    put(&pair.src, "ok.txt", b"ok");
    let bad = pair.src.join(std::ffi::OsStr::from_bytes(b"bad-\xff.bin"));
    std::fs::write(&bad, b"latin-1 name").unwrap();
    let run = pair.sync(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("not valid UTF-8"), "{}", run.stderr);
    assert_eq!(run.lines, ["↑ ok.txt (new)"]);
    let run = pair.sync(&["--exclude", "*.bin"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("UTF-8"), "{}", run.stderr);
}

#[test]
fn a_directory_deleted_by_a_resolution_keeps_excluded_files_and_respects_max_delete() {
    let pair = Pair::new();
    for i in 0..41 {
        put(&pair.src, &format!("d/f{i:02}.txt"), b"synced");
    }
    put(&pair.src, "d/notes.log", b"never synced: excluded");
    put(&pair.src, "other.txt", b"other");
    let run = bisync(&pair, &["--exclude", "*.log"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The remote deletes d/, the local side edits a file in it: a directory conflict.
    std::fs::remove_dir_all(pair.dst.join("d")).unwrap();
    put(&pair.src, "d/f00.txt", b"edited locally");
    let conflict = "conflict: directory deleted on remote, changed below on local";
    let remote_wins = |max_delete: &str| {
        let args = [
            "--exclude",
            "*.log",
            "--resolve",
            "remote",
            "--max-delete",
            max_delete,
        ];
        bisync(&pair, &args)
    };
    let run = remote_wins("2");
    assert_eq!(run.code, 1, "{} {}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("refusing to delete 41 of 42 files on local"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(&pair.src).len(), 44, "nothing deleted");
    // The default limit (50% once more than 10) counts them too: name a higher one.
    let run = remote_wins("50");
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains(&format!("! d/ ({conflict}; applied the remote deletion)")),
        "{}",
        run.stdout
    );
    assert_eq!(run.summary, summary(0, 0, 1, 0, 41, 0));
    assert_eq!(
        text_tree(&pair.src),
        entries(&[
            ("d/", ""),
            ("d/notes.log", "never synced: excluded"),
            ("other.txt", "other")
        ])
    );
}

#[test]
fn narrower_filters_forget_nothing() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"a");
    put(&pair.src, "x.log", b"log v1");
    pair.sync(&[]).expect(
        0,
        &["↑ a.txt (new)", "↑ x.log (new)"],
        &summary(2, 0, 0, 0, 0, 0),
    );
    put(&pair.dst, "x.log", b"edited at the destination");
    pair.sync(&["--exclude", "*.log"])
        .expect(0, &[], &summary(0, 0, 1, 0, 0, 0));
    pair.sync(&[]).expect(
        3,
        &["! x.log (conflict: destination changed since last sync)"],
        &summary(0, 0, 1, 1, 0, 0),
    );
    assert_eq!(
        std::fs::read(pair.dst.join("x.log")).unwrap(),
        b"edited at the destination"
    );
    // bisync: a deletion made while the file was filtered out is carried over afterwards.
    let both = Pair::new();
    put(&both.src, "a.txt", b"a");
    put(&both.src, "x.log", b"log");
    bisync(&both, &[]).expect(
        0,
        &["↑ a.txt (new)", "↑ x.log (new)"],
        &summary(2, 0, 0, 0, 0, 0),
    );
    std::fs::remove_file(both.src.join("x.log")).unwrap();
    bisync(&both, &["--exclude", "*.log"]).expect(0, &[], &summary(0, 0, 1, 0, 0, 0));
    bisync(&both, &[]).expect(
        0,
        &["✗ x.log (deleted on remote)"],
        &summary(0, 0, 1, 0, 1, 0),
    );
    assert_eq!(text_tree(&both.dst), entries(&[("a.txt", "a")]));
}

/// A directory on one side, a file of the same name on the other, after both had the directory:
/// whatever the strategy, both the directory's files and the file survive.
#[test]
fn file_directory_conflicts_lose_nothing_under_any_strategy() {
    for strategy in ["local", "remote", "new", "old", "keep-both"] {
        let pair = Pair::new();
        put(&pair.src, "y/a", b"in the directory");
        put(&pair.src, "y/b", b"also");
        bisync(&pair, &[]);
        std::fs::remove_dir_all(pair.dst.join("y")).unwrap();
        put(&pair.dst, "y", b"now a file on the remote");
        let run = bisync(&pair, &["--resolve", strategy]);
        assert_eq!(run.code, 0, "{strategy}: {} {}", run.stdout, run.stderr);
        for side in [&pair.src, &pair.dst] {
            let files = tree(side);
            let contents: Vec<&[u8]> = files.values().map(Vec::as_slice).collect();
            for wanted in [
                &b"in the directory"[..],
                b"also",
                b"now a file on the remote",
            ] {
                assert!(
                    contents.contains(&wanted),
                    "{strategy}: {:?} lost on {}: {}",
                    String::from_utf8_lossy(wanted),
                    side.display(),
                    run.stdout
                );
            }
        }
        // Settled: the next run has nothing left to do.
        let again = bisync(&pair, &[]);
        assert_eq!(again.code, 0, "{strategy}: {}", again.stdout);
        assert!(again.lines.is_empty(), "{strategy}: {}", again.stdout);
    }
}

/// Found by the model (tests/tests/safety_model.rs): a name ferry cannot read (here a symlink in
/// NFC) still occupies its place; the same name in NFD from the other side is a conflict, not a
/// second look-alike file beside it.
#[test]
fn an_unreadable_name_still_clashes_with_its_other_unicode_spelling() {
    let pair = Pair::new();
    let (nfc, nfd) = ("caf\u{e9}", "cafe\u{301}");
    let outside = pair.root.path().join("outside");
    put(&outside, "x", b"outside");
    std::os::unix::fs::symlink(&outside, pair.dst.join(nfc)).unwrap();
    put(&pair.src, nfd, b"written as NFD");
    let run = bisync(&pair, &[]);
    assert!(!pair.dst.join(nfd).exists(), "{}", run.stdout);
    assert_eq!(run.code, 3, "{} {}", run.stdout, run.stderr);
}

/// Found by the model: when one side lists no files against a baseline that had some, the run
/// refuses its deletions — and must not copy to the empty side either, or the next run takes
/// the emptiness for deletions and carries them out.
#[test]
fn a_refusal_over_an_empty_side_changes_nothing_until_forced() {
    let pair = Pair::new();
    put(&pair.src, "d/c", b"synced");
    assert_eq!(bisync(&pair, &[]).code, 0);
    std::fs::remove_dir_all(pair.dst.join("d")).unwrap();
    put(&pair.src, "a", b"new on local");
    for _ in 0..2 {
        let run = bisync(&pair, &[]);
        assert_eq!(
            text_tree(&pair.src),
            entries(&[("a", "new on local"), ("d/", ""), ("d/c", "synced")])
        );
        assert!(
            tree(&pair.dst).is_empty(),
            "copied to the empty side: {}",
            run.stdout
        );
        assert_eq!(run.code, 1, "{} {}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains(
                "refusing to delete on local: remote lists no files but the last sync recorded 1; nothing was copied or deleted"
            ),
            "{}",
            run.stderr
        );
    }
    // One-way: the refused run forgets nothing either, so the refusal stands.
    let push = Pair::new();
    put(&push.src, "f/g", b"synced");
    assert_eq!(push.sync(&[]).code, 0);
    std::fs::remove_dir_all(push.dst.join("f")).unwrap();
    put(&push.dst, "f", b"a file on the destination now");
    std::fs::remove_dir_all(push.src.join("f")).unwrap();
    for _ in 0..2 {
        let run = push.sync(&["--delete"]);
        assert_eq!(run.code, 1, "{} {}", run.stdout, run.stderr);
        assert_eq!(
            text_tree(&push.dst),
            entries(&[("f", "a file on the destination now")])
        );
    }
}

/// A listing with an impossible size (more than any file system holds, as a broken server may
/// send) makes the entry unknown: not downloaded with a message that reads backwards, never
/// overwritten or deleted on the other side, reported once.
#[test]
fn an_entry_listed_with_an_impossible_size_is_unknown() {
    let pair = Pair::new();
    let plugin_dir = testkit_dir();
    let remote = "testkitmem://h/seeded";
    let local = pair.src.to_str().unwrap();
    let with_huge = |args: &[&str]| {
        pair.ferry_env(
            &[&["--plugin-dir", plugin_dir.to_str().unwrap()], args].concat(),
            &[("FERRY_TESTKIT_HUGE", "a.txt")],
        )
    };
    let run = with_huge(&["sync", remote, local]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(!pair.src.join("a.txt").exists(), "{}", run.stdout);
    assert!(pair.src.join("z/b.txt").exists(), "{}", run.stdout);
    assert_eq!(
        run.stderr
            .matches("listed with an impossible size of 18446744073709551601 bytes")
            .count(),
        1,
        "{}",
        run.stderr
    );
    // Pushing over it, or deleting it, is refused in the same way: the local file stays local.
    put(&pair.src, "a.txt", b"mine");
    let run = with_huge(&["bisync", "--resolve", "local", local, remote]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        !run.lines.iter().any(|l| l.contains("a.txt")),
        "{}",
        run.stdout
    );
    assert_eq!(std::fs::read(pair.src.join("a.txt")).unwrap(), b"mine");
}
