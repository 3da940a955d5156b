//! The engine with a non-local backend on one or both sides: retries of transient errors, and a
//! remote → remote copy streamed through the host.

use std::path::PathBuf;

use ferry_tests::*;

fn testkit() -> PathBuf {
    build_fixture_plugin("testkit", ApiVariant::Same)
}

#[test]
fn retries_that_succeed_are_reported_with_verbose() {
    let plugin_dir = testkit();
    for verbose in [false, true] {
        let pair = Pair::new();
        let dst = pair.dst.to_str().unwrap();
        let mut args = vec!["--plugin-dir", plugin_dir.to_str().unwrap()];
        if verbose {
            args.push("-v");
        }
        args.extend(["sync", "--jobs", "1", "testkitmem://h/gen=1", dst]);
        let run = Run::from(
            pair.command(&args)
                .env("FERRY_TESTKIT_FLAKY_OPENS", "2")
                .output()
                .unwrap(),
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let retries: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("ferry: info: d00/f0000.txt: retrying ("))
            .collect();
        assert_eq!(retries.len(), if verbose { 2 } else { 0 }, "{}", run.stderr);
        if verbose {
            assert!(
                retries[0].contains("(1 of 3) after:")
                    && retries[0].contains("connection reset on purpose"),
                "{}",
                retries[0]
            );
        }
    }
}

#[test]
fn transient_errors_are_retried_and_permanent_ones_fail_the_file_only() {
    let plugin_dir = testkit();
    let pair = Pair::new();
    let dst = pair.dst.to_str().unwrap();
    let args = [
        "--plugin-dir",
        plugin_dir.to_str().unwrap(),
        "sync",
        "--jobs",
        "1",
        "testkitmem://h/gen=3",
        dst,
    ];
    // Two failed opens, three retries allowed: everything arrives.
    let run = Run::from(
        pair.command(&args)
            .env("FERRY_TESTKIT_FLAKY_OPENS", "2")
            .output()
            .unwrap(),
    );
    run.expect(
        0,
        &[
            "+ d00/ (new directory)",
            "↑ d00/f0000.txt (new)",
            "↑ d00/f0001.txt (new)",
            "↑ d00/f0002.txt (new)",
        ],
        "3 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
    let one = "generated file 0\n";
    let two = "generated file 1\n".repeat(2);
    let three = "generated file 2\n".repeat(3);
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[
            ("d00/", ""),
            ("d00/f0000.txt", one),
            ("d00/f0001.txt", &two),
            ("d00/f0002.txt", &three)
        ])
    );

    // No retries: the first file fails, the run goes on with the next, exit 1.
    let other = Pair::new();
    let args = [
        "--plugin-dir",
        plugin_dir.to_str().unwrap(),
        "sync",
        "--jobs",
        "1",
        "--retries",
        "0",
        "testkitmem://h/gen=3",
        other.dst.to_str().unwrap(),
    ];
    let run = Run::from(
        other
            .command(&args)
            .env("FERRY_TESTKIT_FLAKY_OPENS", "1")
            .output()
            .unwrap(),
    );
    run.expect(
        1,
        &[
            "! d00/f0000.txt (failed: d00/f0000.txt: connection reset on purpose)",
            "+ d00/ (new directory)",
            "↑ d00/f0001.txt (new)",
            "↑ d00/f0002.txt (new)",
        ],
        "2 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 1 failed",
    );
}

#[test]
fn remote_to_remote_streams_through_the_host() {
    let plugin_dir = testkit();
    let pair = Pair::new();
    let run = pair.ferry(&[
        "--plugin-dir",
        plugin_dir.to_str().unwrap(),
        "sync",
        "testkitmem://one/gen=3",
        "testkitmem://two/",
    ]);
    run.expect(
        0,
        &[
            "+ d00/ (new directory)",
            "↑ d00/f0000.txt (new)",
            "↑ d00/f0001.txt (new)",
            "↑ d00/f0002.txt (new)",
        ],
        "3 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
}

#[test]
fn quiet_prints_only_problems() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"a");
    put(&pair.src, "b.txt", b"b");
    pair.sync(&[]);
    put(&pair.src, "a.txt", b"new a");
    put(&pair.src, "b.txt", b"new b");
    put(&pair.dst, "b.txt", b"dst b");
    let run = pair.sync(&["--quiet"]);
    assert_eq!(run.code, 3);
    assert_eq!(run.stdout, "! b.txt (conflict: changed on both sides)\n");
}

#[test]
fn color_is_off_without_a_terminal_and_with_no_color_and_on_when_asked() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"a");
    let run = Run::from(
        pair.command(&[
            "sync",
            "--color",
            "always",
            pair.src.to_str().unwrap(),
            pair.dst.to_str().unwrap(),
        ])
        .output()
        .unwrap(),
    );
    assert!(
        run.stdout.starts_with("\x1b[32m↑\x1b[0m a.txt (new)\n"),
        "{:?}",
        run.stdout
    );
    put(&pair.src, "b.txt", b"b");
    let run = pair.sync(&[]);
    assert_eq!(
        run.lines,
        ["↑ b.txt (new)"],
        "auto is off when stdout is not a terminal"
    );
    put(&pair.src, "c.txt", b"c");
    let run = Run::from(
        pair.command(&[
            "sync",
            "--color",
            "never",
            pair.src.to_str().unwrap(),
            pair.dst.to_str().unwrap(),
        ])
        .output()
        .unwrap(),
    );
    assert_eq!(run.lines, ["↑ c.txt (new)"]);
}
