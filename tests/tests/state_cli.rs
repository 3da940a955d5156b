//! `ferry state list` and `ferry state forget`: the states ferry keeps, and forgetting one so
//! that the pair's next run is a first run — confirmed on standard input (a pipe here), or with
//! `--yes`.

use std::{io::Write, process::Stdio};

use ferry_tests::*;

fn with_input(pair: &Pair, args: &[&str], input: &str) -> Run {
    let mut child = pair
        .command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    Run::from(child.wait_with_output().unwrap())
}

#[test]
fn states_are_listed_and_forgotten_after_confirmation() {
    let pair = Pair::new();
    let (src, dst) = (pair.src.to_str().unwrap(), pair.dst.to_str().unwrap());
    let run = pair.ferry(&["state", "list"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.starts_with("no sync states in "),
        "{}",
        run.stdout
    );

    put(&pair.src, "a.txt", b"a");
    put(&pair.src, "d/b.txt", b"b");
    assert_eq!(pair.sync(&[]).code, 0);
    let run = pair.ferry(&["state", "list"]);
    assert_eq!(run.code, 0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    let line = lines[0];
    let (src_label, dst_label) = (
        format!("local:{}", pair.src.canonicalize().unwrap().display()),
        format!("local:{}", pair.dst.canonicalize().unwrap().display()),
    );
    let (first, second) = if src_label < dst_label {
        (&src_label, &dst_label)
    } else {
        (&dst_label, &src_label)
    };
    assert!(line.contains(" UTC "), "{line}");
    assert!(line.contains("    2 files  "), "{line}");
    assert!(line.ends_with(&format!("{first}  ⇄  {second}")), "{line}");

    // No: kept. No answer through a pipe: an error that says how to skip the question.
    let run = with_input(&pair, &["state", "forget", src, dst], "n\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("? The next run compares both sides afresh [y/N]"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.starts_with("kept the state of "),
        "{}",
        run.stdout
    );
    let run = with_input(&pair, &["state", "forget", src, dst], "");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("add --yes"), "{}", run.stderr);
    assert_eq!(pair.ferry(&["state", "list"]).stdout.lines().count(), 1);

    // Yes, in either order of the pair.
    let run = with_input(&pair, &["state", "forget", dst, src], "y\n");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!("forgot the state of {first} ⇄ {second} (2 files)\n")
    );
    assert!(pair
        .ferry(&["state", "list"])
        .stdout
        .starts_with("no sync states"));

    // Nothing left to forget.
    let run = pair.ferry(&["state", "forget", "--yes", src, dst]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("ferry keeps no state for "),
        "{}",
        run.stderr
    );

    // The next run is a first run: equal files are found equal, nothing is copied.
    pair.sync(&[]).expect(
        0,
        &[],
        "0 uploaded, 0 downloaded, 2 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
    let run = pair.ferry(&["state", "forget", "-y", src, dst]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}
