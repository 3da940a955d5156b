//! The one-way engine's promises beyond the table: content changes are found by hash and a
//! touch is not a change, deletions never happen blind, malformed XML is skipped, `--dry-run`
//! predicts the real run exactly, a no-op re-run hashes nothing, and a killed run resumes.

use std::{path::PathBuf, sync::OnceLock, time::Duration};

use ferry_tests::*;

fn json_summary(run: &Run) -> serde_json::Value {
    let last = run.stdout.lines().last().expect("a summary line");
    let value: serde_json::Value = serde_json::from_str(last).expect("JSON summary");
    assert_eq!(value["event"], "summary", "{last}");
    value
}

fn testkit_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| build_fixture_plugin("testkit", ApiVariant::Same))
        .clone()
}

/// The content of the testkit's generated file `i` (tests/fixtures/testkit-plugin).
fn generated(i: usize) -> Vec<u8> {
    format!("generated file {i}\n")
        .repeat(1 + i % 7)
        .into_bytes()
}

#[test]
fn same_size_edits_are_found_and_touches_are_not_transfers() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"aaaa");
    put(&pair.src, "b.txt", b"bbbb");
    set_mtime(&pair.src, "a.txt", 1_000_000);
    pair.sync(&[]);
    // Same size, new content, new mtime: found by hashing.
    put(&pair.src, "a.txt", b"AAAA");
    set_mtime(&pair.src, "a.txt", 2_000_000);
    // Same content, new mtime: hashed once, not transferred.
    set_mtime(&pair.src, "b.txt", 3_000_000);
    let run = pair.sync(&["--json"]);
    let summary = json_summary(&run);
    assert_eq!(summary["uploaded"], 1, "{}", run.stdout);
    assert_eq!(summary["hashed_files"], 2);
    assert!(
        run.stdout.contains(r#""path":"a.txt","reason":"modified""#),
        "{}",
        run.stdout
    );
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[("a.txt", "AAAA"), ("b.txt", "bbbb")])
    );
    // The touched file's new stat was recorded: nothing is hashed again.
    let summary = json_summary(&pair.sync(&["--json"]));
    assert_eq!(
        (
            summary["uploaded"].as_u64(),
            summary["hashed_files"].as_u64()
        ),
        (Some(0), Some(0))
    );
}

/// A run that finds all `files` unchanged, hashes none and sends none.
fn assert_a_no_op_hashing_nothing(pair: &Pair, files: u64) {
    let summary = json_summary(&pair.sync(&["--json"]));
    assert_eq!(
        (
            summary["unchanged"].as_u64(),
            summary["uploaded"].as_u64(),
            summary["hashed_files"].as_u64()
        ),
        (Some(files), Some(0), Some(0)),
        "{summary}"
    );
}

#[test]
fn a_state_with_sha256_hashes_from_an_older_ferry_is_still_read() {
    let pair = Pair::new();
    for (name, content) in [("a.txt", "aaaa"), ("b.txt", "bbbb"), ("c.txt", "cccc")] {
        put(&pair.src, name, content.as_bytes());
        set_mtime(&pair.src, name, 1_000_000);
    }
    pair.sync(&[]);
    assert_eq!(pair.snapshot().1["version"], 2);
    assert_eq!(pair.hash_keys("a.txt"), ["blake3", "blake3"]);
    pair.downgrade_snapshot_to_sha256(&pair.src, &["a", "b"]);

    // Read as it is: nothing hashed, nothing sent; rewritten as format 2, hashes kept.
    assert_a_no_op_hashing_nothing(&pair, 3);
    assert_eq!(pair.snapshot().1["version"], 2);
    assert_eq!(pair.hash_keys("b.txt"), ["sha256", "sha256"]);

    // A touch is told from an edit by the recorded SHA-256.
    put(&pair.src, "a.txt", b"AAAA");
    set_mtime(&pair.src, "a.txt", 2_000_000);
    set_mtime(&pair.src, "b.txt", 3_000_000);
    let run = pair.sync(&["--json"]);
    let summary = json_summary(&run);
    assert_eq!(
        (
            summary["uploaded"].as_u64(),
            summary["hashed_files"].as_u64()
        ),
        (Some(1), Some(2)),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(r#""path":"a.txt","reason":"modified""#));
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[("a.txt", "AAAA"), ("b.txt", "bbbb"), ("c.txt", "cccc")])
    );
    // What was hashed again is recorded in BLAKE3; the rest keeps its SHA-256.
    let source = if pair.src < pair.dst { 0 } else { 1 };
    assert_eq!(pair.hash_keys("a.txt"), ["blake3", "blake3"]);
    assert_eq!(pair.hash_keys("b.txt")[source], "blake3");
    assert_eq!(pair.hash_keys("b.txt")[1 - source], "sha256");
    assert_eq!(pair.hash_keys("c.txt"), ["sha256", "sha256"]);
    assert_a_no_op_hashing_nothing(&pair, 3);
}

#[test]
fn a_no_op_rerun_hashes_nothing() {
    let pair = Pair::new();
    for i in 0..2000 {
        put(
            &pair.src,
            &format!("d{:02}/f{i:04}", i / 100),
            format!("content {i}").as_bytes(),
        );
    }
    let first = json_summary(&pair.sync(&["--json"]));
    assert_eq!(first["uploaded"], 2000);
    let again = json_summary(&pair.sync(&["--json"]));
    assert_eq!(again["unchanged"], 2000);
    assert_eq!(again["uploaded"], 0);
    assert_eq!(
        again["hashed_files"], 0,
        "a no-op run must trust the stored hashes"
    );
}

#[test]
fn nothing_is_deleted_below_a_directory_whose_listing_failed() {
    let pair = Pair::new();
    let plugin_dir = testkit_dir();
    let source = "testkitmem://h/gen=150";
    let dst = pair.dst.to_str().unwrap();
    let args = [
        "--plugin-dir",
        plugin_dir.to_str().unwrap(),
        "sync",
        "--delete",
        source,
        dst,
    ];
    let first = pair.ferry(&args);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    assert_eq!(
        tree(&pair.dst).keys().filter(|k| !k.ends_with('/')).count(),
        150
    );
    put(&pair.dst, "stray.txt", b"not in the source");
    let run = Run::from(
        pair.command(&args)
            .env("FERRY_TESTKIT_FAIL_LIST", "d01")
            .output()
            .unwrap(),
    );
    // An unreadable directory is a warning, once (sync-semantics §6), and nothing in it moves.
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.lines, ["✗ stray.txt (deleted)"]);
    assert_eq!(
        run.stderr
            .matches("cannot read `d01` on the source side (cannot list it: d01: listing failed on purpose)")
            .count(),
        1,
        "{}",
        run.stderr
    );
    assert_eq!(
        run.summary,
        "0 uploaded, 0 downloaded, 100 unchanged, 0 conflicts, 0 invalid, 1 deleted, 0 failed"
    );
    assert_eq!(
        tree(&pair.dst)
            .keys()
            .filter(|k| k.starts_with("d01/f"))
            .count(),
        50,
        "d01 kept whole"
    );
}

#[test]
fn an_empty_source_against_a_non_empty_baseline_deletes_nothing() {
    let pair = Pair::new();
    for name in ["a", "b", "c"] {
        put(&pair.src, name, name.as_bytes());
    }
    pair.sync(&[]);
    for name in ["a", "b", "c"] {
        std::fs::remove_file(pair.src.join(name)).unwrap();
    }
    let run = pair.sync(&["--delete"]);
    run.expect(
        1,
        &[],
        "0 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 1 failed",
    );
    assert!(
        run.stderr
            .contains("refusing to delete: the source lists no files but the last sync recorded 3"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(&pair.dst).len(), 3);
}

#[test]
fn max_delete_stops_a_mass_delete_before_anything_is_deleted() {
    let pair = Pair::new();
    for i in 0..20 {
        put(&pair.src, &format!("f{i:02}"), b"x");
    }
    pair.sync(&[]);
    for i in 0..15 {
        std::fs::remove_file(pair.src.join(format!("f{i:02}"))).unwrap();
    }
    let run = pair.sync(&["--delete"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("refusing to delete 15 of 20 destination files (more than the default limit of 50% once more than 10 files); nothing was deleted"), "{}", run.stderr);
    assert_eq!(tree(&pair.dst).len(), 20);
    let run = pair.sync(&["--delete", "--max-delete", "10"]);
    assert!(
        run.stderr.contains("(more than --max-delete 10)"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(&pair.dst).len(), 20);
    let run = pair.sync(&["--delete", "--max-delete", "80%"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(tree(&pair.dst).len(), 5);
}

#[test]
fn malformed_xml_is_skipped_and_fail_fast_stops_there_and_resumes() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"a");
    put(&pair.src, "b.xml", b"<a><b></a>");
    put(&pair.src, "c.txt", b"c");
    put(&pair.src, "d.xml", b"<d/>");
    let bad = "! b.xml (not well-formed XML: line 1, column 7: expected 'b' tag, not 'a')";
    let other = Pair::new();
    ferry_tests::copy_dir(&pair.src, &other.src);
    other.sync(&["--check-xml"]).expect(
        3,
        &[bad, "↑ a.txt (new)", "↑ c.txt (new)", "↑ d.xml (new)"],
        "3 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 1 invalid, 0 deleted, 0 failed",
    );
    assert!(!other.dst.join("b.xml").exists());
    // --allow-malformed uploads it.
    other.sync(&["--allow-malformed"]).expect(
        0,
        &["↑ b.xml (new)"],
        "1 uploaded, 0 downloaded, 3 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );

    let run = pair.sync(&["--check-xml", "--fail-fast"]);
    run.expect(
        1,
        &[bad, "↑ a.txt (new)"],
        "1 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 1 invalid, 0 deleted, 0 failed",
    );
    assert!(
        run.stdout
            .contains("(stopped by --fail-fast; run again to resume)"),
        "{}",
        run.stdout
    );
    assert_eq!(text_tree(&pair.dst), entries(&[("a.txt", "a")]));
    put(&pair.src, "b.xml", b"<a><b/></a>");
    pair.sync(&["--check-xml", "--fail-fast"]).expect(
        0,
        &["↑ b.xml (new)", "↑ c.txt (new)", "↑ d.xml (new)"],
        "3 uploaded, 0 downloaded, 1 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
}

#[test]
fn dry_run_predicts_the_real_run_and_changes_nothing() {
    let pair = Pair::new();
    for name in ["same", "edit", "conflict", "gone", "dgone"] {
        put(&pair.src, name, name.as_bytes());
    }
    pair.sync(&[]);
    put(&pair.src, "edit", b"edited");
    put(&pair.src, "conflict", b"src side");
    put(&pair.dst, "conflict", b"dst side");
    put(&pair.src, "newdir/new", b"new");
    std::fs::remove_file(pair.src.join("gone")).unwrap();
    put(&pair.dst, "stray", b"stray");
    let (src_before, dst_before) = (tree(&pair.src), tree(&pair.dst));
    let state_before = tree(&pair.state_dir());
    let dry = pair.sync(&["--dry-run", "--delete", "-v"]);
    assert_eq!(
        (tree(&pair.src), tree(&pair.dst), tree(&pair.state_dir())),
        (src_before, dst_before, state_before)
    );
    assert!(
        dry.lines.iter().all(|l| l.starts_with("(dry run) ")),
        "{:?}",
        dry.lines
    );
    let real = pair.sync(&["--delete", "-v"]);
    let predicted: Vec<String> = dry
        .lines
        .iter()
        .map(|l| l.trim_start_matches("(dry run) ").to_string())
        .collect();
    assert_eq!(predicted, real.lines);
    assert_eq!(dry.summary.trim_start_matches("(dry run) "), real.summary);
    assert_eq!(dry.code, real.code);
    assert_eq!(real.code, 3);
    assert!(
        real.lines.contains(&"✗ stray (deleted)".to_string())
            && real
                .lines
                .contains(&"+ newdir/ (new directory)".to_string())
    );
}

#[test]
fn a_killed_sync_resumes_without_redoing_finished_files() {
    let pair = Pair::new();
    let plugin_dir = testkit_dir();
    let dst = pair.dst.to_str().unwrap();
    let args = [
        "--plugin-dir",
        plugin_dir.to_str().unwrap(),
        "sync",
        "--json",
        "testkitmem://h/gen=2000",
        dst,
    ];
    let mut child = pair.spawn_with(&args, ("FERRY_TESTKIT_STALL_AFTER", "700"));
    let finals = || pair.complete_files();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut last = usize::MAX;
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = finals();
        if now >= 690 && now == last {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the first run never stalled ({now} files)"
        );
        last = now;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let done_before = finals();
    assert!((690..=700).contains(&done_before), "{done_before}");
    let partials = tree(&pair.dst)
        .keys()
        .filter(|k| k.contains(".ferry-part-"))
        .count();
    assert!(
        partials > 0,
        "the stalled readers should have left partial uploads"
    );
    for (path, bytes) in tree(&pair.dst) {
        if let Some(number) = path
            .strip_suffix(".txt")
            .and_then(|p| p.rsplit_once("/f"))
            .map(|(_, n)| n)
        {
            if !path.contains(".ferry-part-") {
                assert_eq!(
                    bytes,
                    generated(number.parse().unwrap()),
                    "{path} is visible with the wrong bytes"
                );
            }
        }
    }
    let run = Run::from(pair.command(&args).output().unwrap());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let uploaded = json_summary(&run)["uploaded"].as_u64().unwrap() as usize;
    let twice = uploaded - (2000 - done_before);
    assert!(twice < 100 + 4, "{twice} files were transferred twice");
    let after = tree(&pair.dst);
    assert!(
        !after.keys().any(|k| k.contains(".ferry-part-")),
        "partial uploads are cleaned up"
    );
    let files: Vec<_> = after.iter().filter(|(k, _)| !k.ends_with('/')).collect();
    assert_eq!(files.len(), 2000);
    for (i, (_, bytes)) in files.into_iter().enumerate() {
        assert_eq!(bytes, &generated(i));
    }
}

#[test]
fn user_mistakes_are_clear_errors_with_exit_2() {
    let pair = Pair::new();
    let missing = pair.root.path().join("missing");
    let run = pair.ferry(&[
        "sync",
        missing.to_str().unwrap(),
        pair.dst.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        format!(
            "ferry: error: the source {} does not exist\n",
            missing.display()
        )
    );
    let run = pair.sync(&["--exclude", ""]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("empty filter pattern"),
        "{}",
        run.stderr
    );
    let run = pair.sync(&["--max-delete", "lots"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("neither a count nor a percentage"),
        "{}",
        run.stderr
    );
    let run = pair.ferry(&["sync", "nosuchremote:x", pair.dst.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no remote named `nosuchremote`"),
        "{}",
        run.stderr
    );
}

#[test]
fn named_remotes_and_upload_download_argument_order() {
    let pair = Pair::new();
    let config = pair.root.path().join("config/ferry/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        format!(
            "[remotes.backup]\nurl = \"file://{}\"\n",
            pair.dst.display()
        ),
    )
    .unwrap();
    put(&pair.src, "a.txt", b"a");
    let src = pair.src.to_str().unwrap();
    pair.ferry(&["upload", src, "backup:sub"]).expect(
        0,
        &["↑ a.txt (new)"],
        "1 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[("sub/", ""), ("sub/a.txt", "a")])
    );
    let back = pair.root.path().join("back");
    pair.ferry(&["download", back.to_str().unwrap(), "backup:sub"])
        .expect(
            0,
            &["↑ a.txt (new)"],
            "1 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
        );
    assert_eq!(text_tree(&back), entries(&[("a.txt", "a")]));
}

#[test]
fn filters_apply_at_every_depth() {
    let pair = Pair::new();
    put(&pair.src, "keep.txt", b"k");
    put(&pair.src, "skip.tmp", b"s");
    put(&pair.src, "deep/er/skip.tmp", b"s");
    put(&pair.src, "cache/x", b"x");
    put(&pair.src, "deep/cache/y", b"y");
    put(
        &pair.dst,
        "cache/old",
        b"excluded at the destination too: never deleted",
    );
    pair.sync(&["--exclude", "*.tmp", "--exclude", "cache", "--delete"])
        .expect(
            0,
            &[
                "+ deep/ (new directory)",
                "+ deep/er/ (new directory)",
                "↑ keep.txt (new)",
            ],
            "1 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
        );
    assert!(pair.dst.join("cache/old").exists());
}

fn interrupt(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn ctrl_c_saves_the_state_and_exits_130_and_a_second_one_stops_at_once() {
    let pair = Pair::new();
    let plugin_dir = testkit_dir();
    let dst = pair.dst.to_str().unwrap();
    let args = [
        "--plugin-dir",
        plugin_dir.to_str().unwrap(),
        "sync",
        "--json",
        "testkitmem://h/gen=300",
        dst,
    ];
    let files = || pair.complete_files();

    // Graceful: the transfers under way finish, the state is compacted.
    let child = pair
        .command(&args)
        .env("FERRY_TESTKIT_SLOW_MS", "20")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while files() < 20 {
        std::thread::sleep(Duration::from_millis(20));
    }
    interrupt(&child);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    let run = Run::from(output);
    assert_eq!(json_summary(&run)["interrupted"], true);
    let done = files();
    assert!(done < 300, "interrupted too late to prove anything");
    assert!(
        !std::fs::read_dir(pair.state_dir()).unwrap().any(|e| e
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "journal")),
        "compacted"
    );
    let again = Run::from(pair.command(&args).output().unwrap());
    assert_eq!(
        json_summary(&again)["uploaded"].as_u64().unwrap() as usize,
        300 - done,
        "nothing redone after a graceful stop"
    );

    // A stuck transfer: the second Ctrl-C ends the process; every finished file is in the journal
    // or, where its line was still held for the next checkpoint, found equal: none is sent again.
    let other = Pair::new();
    let args = [
        "--plugin-dir",
        plugin_dir.to_str().unwrap(),
        "sync",
        "--json",
        "testkitmem://h/gen=300",
        other.dst.to_str().unwrap(),
    ];
    let child = other.spawn_with(&args, ("FERRY_TESTKIT_STALL_AFTER", "50"));
    let count = || other.complete_files();
    while count() < 46 {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    interrupt(&child);
    std::thread::sleep(Duration::from_millis(300));
    interrupt(&child);
    let mut child = child;
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let done = count();
    let again = Run::from(other.command(&args).output().unwrap());
    assert_eq!(
        json_summary(&again)["uploaded"].as_u64().unwrap() as usize,
        300 - done
    );
}

/// A destination that exists but refuses writes (a read-only disk) is one early error (exit 2)
/// before anything is written, not one failure per file.
#[test]
fn an_unwritable_destination_is_one_early_error() {
    let pair = Pair::new();
    for name in ["a.txt", "b.txt", "sub/c.txt"] {
        put(&pair.src, name, b"content");
    }
    let plugin_dir = testkit_dir();
    let run = pair.ferry_env(
        &[
            "--plugin-dir",
            plugin_dir.to_str().unwrap(),
            "sync",
            pair.src.to_str().unwrap(),
            "testkitmem://h/read-only",
        ],
        &[("FERRY_TESTKIT_READ_ONLY", "1")],
    );
    assert_eq!(run.code, 2, "{} {}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("ferry: error: cannot write to the destination ")
            && run
                .stderr
                .contains("Read-only file system (os error 30)); nothing was changed"),
        "{}",
        run.stderr
    );
}

/// The early check decides only when every write depends on the root: below a root that
/// refuses files, writes into an existing writable subdirectory still go ahead.
#[test]
fn writes_into_a_writable_subdirectory_of_a_read_only_root_go_ahead() {
    let pair = Pair::new();
    put(&pair.src, "z/new-1.txt", b"one");
    put(&pair.src, "z/new-2.txt", b"two");
    let plugin_dir = testkit_dir();
    let run = pair.ferry_env(
        &[
            "--plugin-dir",
            plugin_dir.to_str().unwrap(),
            "sync",
            pair.src.to_str().unwrap(),
            "testkitmem://h/seeded",
        ],
        &[("FERRY_TESTKIT_READ_ONLY_ROOT", "1")],
    );
    assert_ne!(run.code, 2, "{} {}", run.stdout, run.stderr);
    assert!(
        !run.stderr.contains("cannot write to the destination"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.lines,
        ["↑ z/new-1.txt (new)", "↑ z/new-2.txt (new)"],
        "{}",
        run.stderr
    );
}
