//! Commits and crashes (sync-semantics §6 "Commits", "Crashes"): a copy whose journal line a
//! crash cut off converges instead of becoming a permanent conflict; a source edited while it
//! is read is never recorded as synced; names that differ only in Unicode normalisation never
//! become two look-alike files; only temporary files ferry provably made are treated as its
//! own — against local trees and a real FTP server.

use std::{
    io::{Seek, SeekFrom, Write},
    time::{Duration, SystemTime},
};

use ferry_tests::{servers::*, *};

fn summary(up: u32, unchanged: u32, conflicts: u32) -> String {
    let word = if conflicts == 1 {
        "conflict"
    } else {
        "conflicts"
    };
    format!("{up} uploaded, 0 downloaded, {unchanged} unchanged, {conflicts} {word}, 0 invalid, 0 deleted, 0 failed")
}

/// Gives `to` the modification time of `from`, as ferry does to what it copies.
fn same_mtime(from: &std::path::Path, to: &std::path::Path) {
    let mtime = std::fs::metadata(from).unwrap().modified().unwrap();
    std::fs::File::options()
        .write(true)
        .open(to)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

/// The state after a kill between a commit and its journal line: the destination holds the new
/// copy (with ferry's mtime), the baseline still the old version.
#[test]
fn a_copy_whose_journal_line_was_lost_converges() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"version one");
    put(&pair.src, "b.txt", b"b");
    pair.sync(&[]);
    put(&pair.src, "a.txt", b"version two, longer");
    put(&pair.dst, "a.txt", b"version two, longer");
    same_mtime(&pair.src.join("a.txt"), &pair.dst.join("a.txt"));
    pair.sync(&[]).expect(0, &[], &summary(0, 2, 0));
    // Recorded: the next edit goes through as an ordinary modification.
    put(&pair.src, "a.txt", b"version three");
    pair.sync(&[])
        .expect(0, &["↑ a.txt (modified)"], &summary(1, 1, 0));
    // The same in a bisync, either way round.
    let (l, r) = (pair.src.to_str().unwrap(), pair.dst.to_str().unwrap());
    let bisync = |pair: &Pair| pair.ferry(&["bisync", "--resolve", "skip", l, r]);
    assert_eq!(bisync(&pair).code, 0);
    put(&pair.dst, "b.txt", b"b, edited on the remote");
    put(&pair.src, "b.txt", b"b, edited on the remote");
    same_mtime(&pair.dst.join("b.txt"), &pair.src.join("b.txt"));
    let run = bisync(&pair);
    assert_eq!((run.code, run.lines.len()), (0, 0), "{}", run.stdout);
    assert_eq!(
        text_tree(&pair.src),
        entries(&[
            ("a.txt", "version three"),
            ("b.txt", "b, edited on the remote")
        ])
    );
}

#[test]
fn an_upload_whose_journal_line_was_lost_converges_on_ftp() {
    let server = FtpServer::start(Kind::Pyftpdlib);
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"version one");
    let (src, site) = (pair.src.to_str().unwrap(), server.url("site"));
    pair.ferry_with_password(&["sync", src, &site]).expect(
        0,
        &["↑ a.txt (new)"],
        &summary(1, 0, 0),
    );
    put(&pair.src, "a.txt", b"version two, longer");
    server.put("site/a.txt", b"version two, longer");
    same_mtime(&pair.src.join("a.txt"), &server.root.join("site/a.txt"));
    pair.ferry_with_password(&["sync", src, &site])
        .expect(0, &[], &summary(0, 1, 0));
    // A real edit on the server is still a conflict.
    server.put("site/a.txt", b"edited on the server");
    pair.ferry_with_password(&["sync", src, &site]).expect(
        3,
        &["! a.txt (conflict: destination changed since last sync)"],
        &summary(0, 0, 1),
    );
}

#[test]
fn a_source_edited_while_it_is_read_is_not_recorded_as_synced() {
    // 64 KiB/s: the 320 KiB upload takes five seconds; the source is rewritten in the middle.
    let server = FtpServer::start_throttled(64 * 1024);
    let pair = Pair::new();
    let before: Vec<u8> = (0..320 * 1024u32).map(|i| (i % 251) as u8).collect();
    let after: Vec<u8> = before.iter().map(|b| b ^ 0xff).collect();
    put(&pair.src, "big.bin", &before);
    let (src, site) = (pair.src.to_str().unwrap(), server.url("site"));
    let path = pair.src.join("big.bin");
    let editor = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        // In place, same size: only the mtime and the bytes change.
        let mut file = std::fs::File::options().write(true).open(&path).unwrap();
        file.seek(SeekFrom::Start(0)).unwrap();
        file.write_all(&after).unwrap();
        file.set_modified(SystemTime::now() + Duration::from_secs(5))
            .unwrap();
    });
    let run = pair.ferry_with_password(&["sync", src, &site]);
    editor.join().unwrap();
    assert_eq!(
        run.lines,
        ["! big.bin (changed during transfer; sent again next run)"],
        "{}",
        run.stderr
    );
    assert_eq!(run.code, 3);
    let run = pair.ferry_with_password(&["sync", src, &site]);
    assert_eq!(run.lines, ["↑ big.bin (modified)"], "{}", run.stderr);
    assert_eq!(
        std::fs::read(server.root.join("site/big.bin")).unwrap(),
        std::fs::read(pair.src.join("big.bin")).unwrap()
    );
}

#[test]
fn names_in_two_unicode_forms_are_a_conflict_never_two_files() {
    let (nfc, nfd) = ("caf\u{e9}", "cafe\u{301}");
    let pair = Pair::new();
    put(&pair.src, &format!("{nfc}.txt"), b"written as NFC");
    put(&pair.dst, &format!("{nfd}.txt"), b"written as NFD");
    put(&pair.src, &format!("{nfc}/inner.txt"), b"inner NFC");
    put(&pair.dst, &format!("{nfd}/other.txt"), b"other NFD");
    let (src_before, dst_before) = (tree(&pair.src), tree(&pair.dst));
    let why = "conflict: the same name in another Unicode normalisation exists; rename one of them";
    let expected = [
        format!("! {nfc}.txt ({why})"),
        format!("! {nfd}.txt ({why})"),
        format!("! {nfc} ({why})"),
        format!("! {nfd} ({why})"),
    ];
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    pair.sync(&["--delete"])
        .expect(3, &expected, &summary(0, 0, 4));
    let (l, r) = (pair.src.to_str().unwrap(), pair.dst.to_str().unwrap());
    let run = pair.ferry(&["bisync", "--resolve", "keep-both", l, r]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(tree(&pair.src), src_before);
    assert_eq!(tree(&pair.dst), dst_before);
}

#[test]
fn only_temporary_files_ferry_made_are_its_own() {
    let pair = Pair::new();
    put(&pair.src, ".notes.ferry-part-draft", b"a user's file");
    put(
        &pair.dst,
        ".mine.ferry-part-1234abcd",
        b"a user's file at the destination",
    );
    let stray = ferry_plugin_api::temp_name::temp_name("a.txt");
    put(&pair.dst, &stray, b"left by a killed run");
    pair.sync(&[])
        .expect(0, &["↑ .notes.ferry-part-draft (new)"], &summary(1, 0, 0));
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[
            (
                ".mine.ferry-part-1234abcd",
                "a user's file at the destination"
            ),
            (".notes.ferry-part-draft", "a user's file"),
        ]),
        "the look-alikes are data; ferry's own leftover is gone"
    );
}

#[test]
fn a_destination_edited_while_the_copy_runs_is_not_overwritten() {
    // 64 KiB/s: the 320 KiB download takes five seconds; the local copy is edited in the middle.
    let server = FtpServer::start_throttled(64 * 1024);
    let v1: Vec<u8> = (0..320 * 1024u32).map(|i| (i % 251) as u8).collect();
    server.put("site/big.bin", &v1);
    let pair = Pair::new();
    let (site, dst) = (server.url("site"), pair.dst.to_str().unwrap().to_string());
    let run = pair.ferry_with_password(&["sync", &site, &dst]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v2: Vec<u8> = v1.iter().map(|b| b ^ 0x55).collect();
    server.put("site/big.bin", &v2);
    let path = pair.dst.join("big.bin");
    let editor = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        std::fs::write(&path, b"edited while ferry was downloading").unwrap();
    });
    let run = pair.ferry_with_password(&["sync", &site, &dst]);
    editor.join().unwrap();
    assert_eq!(
        std::fs::read(pair.dst.join("big.bin")).unwrap(),
        b"edited while ferry was downloading",
        "{}",
        run.stdout
    );
    assert_eq!(
        run.lines,
        ["! big.bin (conflict: destination changed during the transfer; not overwritten)"],
        "{}",
        run.stderr
    );
    assert_eq!(run.code, 3);
    assert_eq!(
        tree(&pair.dst).len(),
        1,
        "no temporary file left: {:?}",
        tree(&pair.dst).keys()
    );
    // Both changed now: a conflict every run until the user decides.
    let run = pair.ferry_with_password(&["sync", &site, &dst]);
    assert_eq!(run.lines, ["! big.bin (conflict: changed on both sides)"]);
}
