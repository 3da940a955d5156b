//! The bisync scenario table (sync-semantics §5; pyftpsync's fixture table): unmodified files,
//! one-side edits, deletions on either side, both-sides edits, modify-vs-delete both ways, new
//! files on one side, new on both sides equal and different, a folder deleted on one side while a
//! file below it was edited on the other, and a folder deleted on one side only — run for
//! local↔local and local↔FTP (pyftpdlib), once per resolve strategy. Each run asserts the status
//! lines, the summary, the exit code, both trees byte for byte, and the state (a second run
//! changes nothing and reports only what is still unresolved).

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use ferry_tests::{servers::*, sshd::SshServer, *};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strategy {
    Skip,
    Local,
    Remote,
    New,
    Old,
    KeepBoth,
}

impl Strategy {
    fn name(self) -> &'static str {
        match self {
            Strategy::Skip => "skip",
            Strategy::Local => "local",
            Strategy::Remote => "remote",
            Strategy::New => "new",
            Strategy::Old => "old",
            Strategy::KeepBoth => "keep-both",
        }
    }
}

/// Where the remote side lives: a second local directory, or a directory served over FTP or
/// SFTP.
enum Remote {
    Dir(PathBuf),
    Ftp(FtpServer),
    Sftp(SshServer),
}

impl Remote {
    /// Names the remote in `pair`'s configuration where its URL alone does not say enough
    /// (SFTP's key and known_hosts).
    fn configure(&self, pair: &Pair) {
        if let Remote::Sftp(server) = self {
            pair.configure(&server.remote("srv"));
        }
    }

    fn target(&self) -> String {
        match self {
            Remote::Dir(dir) => dir.to_str().unwrap().to_string(),
            Remote::Ftp(server) => server.url("site"),
            Remote::Sftp(_) => "srv:site".to_string(),
        }
    }

    fn dir(&self) -> PathBuf {
        match self {
            Remote::Dir(dir) => dir.clone(),
            Remote::Ftp(server) => server.root.join("site"),
            Remote::Sftp(server) => server.root.join("site"),
        }
    }

    fn put(&self, rel: &str, bytes: &[u8]) {
        match self {
            Remote::Dir(dir) => put(dir, rel, bytes),
            Remote::Ftp(server) => server.put(&format!("site/{rel}"), bytes),
            Remote::Sftp(server) => server.put(&format!("site/{rel}"), bytes),
        }
    }

    fn remove(&self, rel: &str) {
        let path = self.dir().join(rel);
        if path.is_dir() {
            std::fs::remove_dir_all(path).unwrap();
        } else {
            std::fs::remove_file(path).unwrap();
        }
    }
}

fn remove(dir: &Path, rel: &str) {
    let path = dir.join(rel);
    if path.is_dir() {
        std::fs::remove_dir_all(path).unwrap();
    } else {
        std::fs::remove_file(path).unwrap();
    }
}

/// Local edits get an mtime in 2020, so the remote's edits (made now) are always the newer ones.
const OLD: i64 = 1_600_000_000;

fn local_edit(dir: &Path, rel: &str, bytes: &[u8]) {
    put(dir, rel, bytes);
    set_mtime(dir, rel, OLD);
}

/// Replaces every `YYYYMMDDTHHMMSS` stamp of a kept-both name with `STAMP`.
fn unstamp(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let stamp = bytes.len() >= i + 15
            && bytes[i..i + 8].iter().all(u8::is_ascii_digit)
            && bytes[i + 8] == b'T'
            && bytes[i + 9..i + 15].iter().all(u8::is_ascii_digit);
        if stamp {
            out.push_str("STAMP");
            i += 15;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn text_tree_unstamped(dir: &Path) -> BTreeMap<String, String> {
    tree(dir)
        .into_iter()
        .map(|(k, v)| (unstamp(&k), String::from_utf8_lossy(&v).into_owned()))
        .collect()
}

fn summary(lines: &[String], unchanged: usize) -> String {
    let count = |prefix: &str| lines.iter().filter(|l| l.starts_with(prefix)).count();
    let conflicts = lines
        .iter()
        .filter(|l| l.starts_with("! ") && !l.contains("; "))
        .count();
    let word = if conflicts == 1 {
        "conflict"
    } else {
        "conflicts"
    };
    format!(
        "{} uploaded, {} downloaded, {unchanged} unchanged, {conflicts} {word}, 0 invalid, {} deleted, 0 failed",
        count("↑ "),
        count("↓ "),
        // Deletions count files; a directory's own line is not one.
        lines
            .iter()
            .filter(|l| l.starts_with("✗ ") && !l.contains("/ ("))
            .count()
    )
}

fn run_table(remote: Remote, strategy: Strategy) {
    let pair = Pair::new();
    remote.configure(&pair);
    let local = pair.src.clone();
    let remote_target = remote.target();
    let bisync = |extra: &[&str]| {
        pair.ferry_with_password(
            &[
                &["bisync", "--no-progress"],
                extra,
                &[local.to_str().unwrap(), remote_target.as_str()],
            ]
            .concat(),
        )
    };

    // The synced starting point.
    for (rel, content) in [
        ("unmodified.txt", "u"),
        ("local_edit.txt", "le"),
        ("remote_edit.txt", "re"),
        ("local_del.txt", "ld"),
        ("remote_del.txt", "rd"),
        ("both_del.txt", "bd"),
        ("both_edit.txt", "be"),
        ("ledit_rdel.txt", "lerd"),
        ("ldel_redit.txt", "ldre"),
        ("folder_del/f.txt", "fd"),
        ("folder_gone/f.txt", "fg"),
    ] {
        put(&local, rel, content.as_bytes());
    }
    let first = bisync(&[]);
    assert_eq!(
        first.code, 0,
        "first run: {} {}",
        first.stdout, first.stderr
    );
    assert_eq!(
        tree(&remote.dir()),
        tree(&local),
        "the first run copies everything"
    );

    // Edits on both sides (every edit changes the size, so even a server whose times have
    // one-second precision shows it).
    local_edit(&local, "local_edit.txt", b"le local edit");
    remove(&local, "local_del.txt");
    remove(&local, "both_del.txt");
    local_edit(&local, "both_edit.txt", b"be local edit");
    local_edit(&local, "ledit_rdel.txt", b"lerd local edit");
    remove(&local, "ldel_redit.txt");
    remove(&local, "folder_del");
    local_edit(&local, "new_local.txt", b"nl");
    local_edit(&local, "new_diff.txt", b"nd local");
    remote.put("remote_edit.txt", b"re remote edit");
    remote.remove("remote_del.txt");
    remote.remove("both_del.txt");
    remote.put("both_edit.txt", b"be remote edit!");
    remote.remove("ledit_rdel.txt");
    remote.put("ldel_redit.txt", b"ldre remote edit");
    remote.put("folder_del/f.txt", b"fd remote edit");
    remote.remove("folder_gone");
    remote.put("new_remote.txt", b"nr");
    remote.put("new_diff.txt", b"nd remote!");
    remote.put("new_equal.txt", b"ne");
    put(&local, "new_equal.txt", b"ne");
    // Equal new files on a side without hashes are told equal by size and mtime.
    let remote_mtime = std::fs::metadata(remote.dir().join("new_equal.txt"))
        .unwrap()
        .modified()
        .unwrap();
    std::fs::File::options()
        .write(true)
        .open(local.join("new_equal.txt"))
        .unwrap()
        .set_modified(remote_mtime)
        .unwrap();

    // What every strategy does alike.
    let mut lines: Vec<String> = [
        "↑ local_edit.txt (modified)",
        "↓ remote_edit.txt (modified)",
        "✗ local_del.txt (deleted on remote)",
        "✗ remote_del.txt (deleted on local)",
        "↑ new_local.txt (new)",
        "↓ new_remote.txt (new)",
        "✗ folder_gone/f.txt (deleted on local)",
        "✗ folder_gone/ (deleted on local)",
    ]
    .map(String::from)
    .to_vec();
    let mut both: BTreeMap<String, String> = [
        ("unmodified.txt", "u"),
        ("local_edit.txt", "le local edit"),
        ("remote_edit.txt", "re remote edit"),
        ("new_local.txt", "nl"),
        ("new_remote.txt", "nr"),
        ("new_equal.txt", "ne"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .into_iter()
    .collect();
    let (mut only_local, mut only_remote) = (BTreeMap::new(), BTreeMap::new());
    let set = |map: &mut BTreeMap<String, String>, k: &str, v: &str| {
        map.insert(k.to_string(), v.to_string());
    };

    // Content conflicts: the remote version is the newer one.
    for (path, why, local_version, remote_version) in [
        (
            "both_edit.txt",
            "conflict: changed on both sides",
            "be local edit",
            "be remote edit!",
        ),
        (
            "new_diff.txt",
            "conflict: new on both sides with different content",
            "nd local",
            "nd remote!",
        ),
    ] {
        match strategy {
            Strategy::Skip => {
                lines.push(format!("! {path} ({why})"));
                set(&mut only_local, path, local_version);
                set(&mut only_remote, path, remote_version);
            }
            Strategy::Local | Strategy::Old => {
                lines.push(format!("! {path} ({why}; kept local)"));
                lines.push(format!("↑ {path} (modified)"));
                set(&mut both, path, local_version);
            }
            Strategy::Remote | Strategy::New => {
                lines.push(format!("! {path} ({why}; kept remote)"));
                lines.push(format!("↓ {path} (modified)"));
                set(&mut both, path, remote_version);
            }
            Strategy::KeepBoth => {
                let (stem, ext) = path.rsplit_once('.').unwrap();
                let aside = format!("{stem}.conflict-local-STAMP.{ext}");
                lines.push(format!(
                    "! {path} ({why}; kept both: the local version is now {aside})"
                ));
                lines.push(format!("↑ {aside} (new)"));
                lines.push(format!("↓ {path} (modified)"));
                set(&mut both, path, remote_version);
                set(&mut both, &aside, local_version);
            }
        }
    }

    // Modify vs delete, both ways: only the strategy naming the deleting side deletes.
    let why = "conflict: changed on local, deleted on remote";
    match strategy {
        Strategy::Skip => {
            lines.push(format!("! ledit_rdel.txt ({why})"));
            set(&mut only_local, "ledit_rdel.txt", "lerd local edit");
        }
        Strategy::Remote => {
            lines.push(format!(
                "! ledit_rdel.txt ({why}; applied the remote deletion)"
            ));
            lines.push("✗ ledit_rdel.txt (deleted on local)".into());
        }
        _ => {
            lines.push(format!("! ledit_rdel.txt ({why}; kept local)"));
            lines.push("↑ ledit_rdel.txt (new)".into());
            set(&mut both, "ledit_rdel.txt", "lerd local edit");
        }
    }
    let why = "conflict: deleted on local, changed on remote";
    match strategy {
        Strategy::Skip => {
            lines.push(format!("! ldel_redit.txt ({why})"));
            set(&mut only_remote, "ldel_redit.txt", "ldre remote edit");
        }
        Strategy::Local => {
            lines.push(format!(
                "! ldel_redit.txt ({why}; applied the local deletion)"
            ));
            lines.push("✗ ldel_redit.txt (deleted on remote)".into());
        }
        _ => {
            lines.push(format!("! ldel_redit.txt ({why}; kept remote)"));
            lines.push("↓ ldel_redit.txt (new)".into());
            set(&mut both, "ldel_redit.txt", "ldre remote edit");
        }
    }

    // A folder deleted locally while a file below it was edited remotely: nothing below it is
    // deleted unless the strategy picks the deleting side.
    let why = "conflict: directory deleted on local, changed below on remote";
    match strategy {
        Strategy::Skip => {
            lines.push(format!("! folder_del/ ({why})"));
            set(&mut only_remote, "folder_del/", "");
            set(&mut only_remote, "folder_del/f.txt", "fd remote edit");
        }
        Strategy::Local => {
            lines.push(format!("! folder_del/ ({why}; applied the local deletion)"));
            lines.push("✗ folder_del/ (deleted on remote)".into());
            lines.push("✗ folder_del/f.txt (deleted on remote)".into());
        }
        _ => {
            lines.push(format!("! folder_del/ ({why}; kept remote)"));
            lines.push("+ folder_del/ (new directory on local)".into());
            lines.push("↓ folder_del/f.txt (new)".into());
            set(&mut both, "folder_del/", "");
            set(&mut both, "folder_del/f.txt", "fd remote edit");
        }
    }

    let run = bisync(&["--resolve", strategy.name()]);
    let printed: Vec<String> = run.lines.iter().map(|l| unstamp(l)).collect();
    let mut expected = lines.clone();
    expected.sort();
    let mut printed_sorted = printed.clone();
    printed_sorted.sort();
    assert_eq!(
        printed_sorted, expected,
        "{strategy:?}: status lines; stderr: {}",
        run.stderr
    );
    assert_eq!(run.summary, summary(&lines, 2), "{strategy:?}: summary");
    let code = if strategy == Strategy::Skip { 3 } else { 0 };
    assert_eq!(run.code, code, "{strategy:?}: exit code; {}", run.stderr);

    let mut expected_local = both.clone();
    expected_local.extend(only_local);
    let mut expected_remote = both;
    expected_remote.extend(only_remote);
    assert_eq!(
        text_tree_unstamped(&local),
        expected_local,
        "{strategy:?}: local tree"
    );
    assert_eq!(
        text_tree_unstamped(&remote.dir()),
        expected_remote,
        "{strategy:?}: remote tree"
    );

    // The state: a second run transfers nothing; only what was skipped is reported again.
    let again = bisync(&["--resolve", "skip"]);
    let conflicts: Vec<String> = lines
        .iter()
        .filter(|l| l.starts_with("! ") && !l.contains("; "))
        .cloned()
        .collect();
    let mut again_lines = again.lines.clone();
    again_lines.sort();
    let mut conflicts_sorted = conflicts.clone();
    conflicts_sorted.sort();
    assert_eq!(again_lines, conflicts_sorted, "{strategy:?}: second run");
    assert!(
        again.summary.starts_with("0 uploaded, 0 downloaded, "),
        "{strategy:?}: second run: {}",
        again.summary
    );
    assert_eq!(again.code, if conflicts.is_empty() { 0 } else { 3 });
    assert_eq!(text_tree_unstamped(&local), expected_local);
}

fn local_remote() -> (Remote, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let remote = dir.path().join("remote");
    std::fs::create_dir(&remote).unwrap();
    (Remote::Dir(remote), dir)
}

macro_rules! table_tests {
    ($($name:ident: $strategy:expr,)*) => {
        mod local_to_local {
            use super::*;
            $(#[test]
            fn $name() {
                let (remote, _keep) = local_remote();
                run_table(remote, $strategy);
            })*
        }
        mod local_to_ftp {
            use super::*;
            $(#[test]
            fn $name() {
                run_table(Remote::Ftp(FtpServer::start(Kind::Pyftpdlib)), $strategy);
            })*
        }
        mod local_to_sftp {
            use super::*;
            $(#[test]
            fn $name() {
                run_table(Remote::Sftp(SshServer::start()), $strategy);
            })*
        }
    };
}

table_tests! {
    skip: Strategy::Skip,
    local: Strategy::Local,
    remote: Strategy::Remote,
    new: Strategy::New,
    old: Strategy::Old,
    keep_both: Strategy::KeepBoth,
}

/// A first run (no baseline) records equal files and calls differing ones conflicts — never
/// "newer wins silently" (pyftpsync #87) — and a recorded file's later deletion is carried over
/// instead of undone (pyftpsync #71).
fn first_run(remote: Remote) {
    let pair = Pair::new();
    remote.configure(&pair);
    let local = pair.src.clone();
    let remote_target = remote.target();
    let bisync = |extra: &[&str]| {
        pair.ferry_with_password(
            &[
                &["bisync"],
                extra,
                &[local.to_str().unwrap(), remote_target.as_str()],
            ]
            .concat(),
        )
    };
    remote.put("same.txt", b"identical");
    remote.put("diff.txt", b"remote version, newer");
    put(&local, "same.txt", b"identical");
    local_edit(&local, "diff.txt", b"local version");
    let remote_mtime = std::fs::metadata(remote.dir().join("same.txt"))
        .unwrap()
        .modified()
        .unwrap();
    std::fs::File::options()
        .write(true)
        .open(local.join("same.txt"))
        .unwrap()
        .set_modified(remote_mtime)
        .unwrap();
    bisync(&["-v"]).expect(
        3,
        &[
            "= same.txt (unchanged)",
            "! diff.txt (conflict: different on both sides and never synced)",
        ],
        "0 uploaded, 0 downloaded, 1 unchanged, 1 conflict, 0 invalid, 0 deleted, 0 failed",
    );
    assert_eq!(
        std::fs::read(local.join("diff.txt")).unwrap(),
        b"local version"
    );
    assert_eq!(
        std::fs::read(remote.dir().join("diff.txt")).unwrap(),
        b"remote version, newer"
    );
    // The equal file was recorded: deleting it locally deletes it remotely.
    std::fs::remove_file(local.join("same.txt")).unwrap();
    bisync(&["--resolve", "old"]).expect(
        0,
        &[
            "✗ same.txt (deleted on remote)",
            "! diff.txt (conflict: new on both sides with different content; kept local)",
            "↑ diff.txt (modified)",
        ],
        "1 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 1 deleted, 0 failed",
    );
    assert_eq!(tree(&remote.dir()), tree(&local));
    assert_eq!(text_tree(&local), entries(&[("diff.txt", "local version")]));
}

#[test]
fn first_run_local_to_local() {
    let (remote, _keep) = local_remote();
    first_run(remote);
}

#[test]
fn first_run_local_to_ftp() {
    first_run(Remote::Ftp(FtpServer::start(Kind::Pyftpdlib)));
}

#[test]
fn first_run_local_to_sftp() {
    first_run(Remote::Sftp(SshServer::start()));
}
