//! `--resolve ask` (the default on a terminal) driven through a pseudo-terminal: the prompt shows
//! both sides and takes one key (no Enter), says why a key is not an answer, `d` shows a unified
//! diff, and choosing remote, local, keep-both and an upper-case "for all remaining" answer gives
//! the expected trees.

use std::time::Duration;

use expectrl::{Eof, Expect, Session};
use ferry_tests::*;

const PROMPT: &str = "(upper case: all remaining)? ";

#[test]
fn ask_settles_conflicts_one_by_one_and_for_all() {
    let pair = Pair::new();
    let (local, remote) = (pair.src.clone(), pair.dst.clone());
    for name in ["a", "b", "c", "d", "e"] {
        put(&local, &format!("{name}.txt"), b"base\n");
    }
    let (l, r) = (local.to_str().unwrap(), remote.to_str().unwrap());
    let first = pair.ferry(&["bisync", "--resolve", "skip", l, r]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    for name in ["a", "b", "c", "d", "e"] {
        let rel = format!("{name}.txt");
        put(&local, &rel, format!("base\nlocal {name}\n").as_bytes());
        // The local edits are older, so the remote ones are "newer" for keep-both.
        set_mtime(&local, &rel, 1_600_000_000);
        put(
            &remote,
            &rel,
            format!("base\nremote {name}, longer\n").as_bytes(),
        );
    }

    let mut command = pair.command(&["bisync", "--no-progress", l, r]);
    command.env("TERM", "dumb");
    let mut session = Session::spawn(command).expect("spawn ferry on a pty");
    session.set_expect_timeout(Some(Duration::from_secs(30)));

    session
        .expect("! a.txt (conflict: changed on both sides)")
        .unwrap();
    session
        .expect("local:  modified, 13 B, 2020-09-13 12:26:40 UTC")
        .unwrap();
    session.expect("remote: modified").unwrap();
    session.expect(PROMPT).unwrap();
    session.send("x").unwrap();
    session
        .expect("`x` is not an answer: l, r, n, o, s, b or d")
        .unwrap();
    session.expect(PROMPT).unwrap();
    session.send("d").unwrap();
    session.expect("--- local/a.txt").unwrap();
    session.expect("+++ remote/a.txt").unwrap();
    session.expect("-local a").unwrap();
    session.expect("+remote a, longer").unwrap();
    session.expect(PROMPT).unwrap();
    session.send("r").unwrap();
    session
        .expect("! b.txt (conflict: changed on both sides)")
        .unwrap();
    session.expect(PROMPT).unwrap();
    session.send("l").unwrap();
    session
        .expect("! c.txt (conflict: changed on both sides)")
        .unwrap();
    session.expect(PROMPT).unwrap();
    session.send("b").unwrap();
    session
        .expect("! d.txt (conflict: changed on both sides)")
        .unwrap();
    session.expect(PROMPT).unwrap();
    // Upper case: local for d and every conflict after it (e), without asking again.
    session.send("L").unwrap();
    let (rest, _) = {
        let found = session.expect(Eof).unwrap();
        (String::from_utf8_lossy(found.as_bytes()).into_owned(), ())
    };
    assert!(
        !rest.contains("! e.txt (conflict: changed on both sides)\r\n    local"),
        "e was asked about: {rest}"
    );
    assert!(
        rest.contains("e.txt (conflict: changed on both sides; kept local)"),
        "{rest}"
    );
    let status = session.get_process().wait().unwrap();
    assert_eq!(
        format!("{status:?}").split(", ").last().unwrap(),
        "0)",
        "exit status {status:?}; output: {rest}"
    );

    let text = |dir: &std::path::Path, rel: &str| std::fs::read_to_string(dir.join(rel)).unwrap();
    for dir in [&local, &remote] {
        assert_eq!(text(dir, "a.txt"), "base\nremote a, longer\n");
        assert_eq!(text(dir, "b.txt"), "base\nlocal b\n");
        assert_eq!(text(dir, "c.txt"), "base\nremote c, longer\n");
        assert_eq!(text(dir, "d.txt"), "base\nlocal d\n");
        assert_eq!(text(dir, "e.txt"), "base\nlocal e\n");
        let aside: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("c.conflict-local-"))
            .collect();
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert_eq!(text(dir, &aside[0]), "base\nlocal c\n");
    }
    assert_eq!(tree(&local), tree(&remote));
    // Everything settled and recorded.
    pair.ferry(&["bisync", "--resolve", "skip", l, r]).expect(
        0,
        &[],
        "0 uploaded, 0 downloaded, 6 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
}

/// Ctrl-C at the prompt (a key in raw mode, not a signal) interrupts the run as it would
/// anywhere else: nothing more is asked, both sides keep their versions, exit 130.
#[test]
fn ctrl_c_at_the_prompt_interrupts_the_run() {
    let pair = Pair::new();
    let (local, remote) = (pair.src.clone(), pair.dst.clone());
    for name in ["a", "b"] {
        put(&local, &format!("{name}.txt"), b"base\n");
    }
    let (l, r) = (local.to_str().unwrap(), remote.to_str().unwrap());
    assert_eq!(pair.ferry(&["bisync", "--resolve", "skip", l, r]).code, 0);
    for name in ["a", "b"] {
        put(&local, &format!("{name}.txt"), b"local edit\n");
        put(&remote, &format!("{name}.txt"), b"remote edit, longer\n");
    }
    let mut command = pair.command(&["bisync", "--no-progress", l, r]);
    command.env("TERM", "dumb");
    let mut session = Session::spawn(command).expect("spawn ferry on a pty");
    session.set_expect_timeout(Some(Duration::from_secs(30)));
    session.expect(PROMPT).unwrap();
    session.send("\u{3}").unwrap();
    let rest = session.expect(Eof).unwrap();
    let rest = String::from_utf8_lossy(rest.as_bytes()).into_owned();
    assert!(!rest.contains(PROMPT), "asked again: {rest}");
    let status = session.get_process().wait().unwrap();
    assert_eq!(
        format!("{status:?}").split(", ").last().unwrap(),
        "130)",
        "exit status {status:?}; output: {rest}"
    );
    for name in ["a", "b"] {
        let rel = format!("{name}.txt");
        assert_eq!(std::fs::read(local.join(&rel)).unwrap(), b"local edit\n");
        assert_eq!(
            std::fs::read(remote.join(&rel)).unwrap(),
            b"remote edit, longer\n"
        );
    }
}
