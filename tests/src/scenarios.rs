//! Scenarios that every remote backend runs against its real servers (FTP's, SFTP's sshd):
//! the one-way engine's upload, download and killed-upload suites, written once against
//! [`ServedTree`] — the served directory as the test sees it on disk.

use std::{path::Path, time::Duration};

use crate::{servers::PASSWORD, *};

/// A server whose files the test can see and change on disk.
pub trait ServedTree {
    /// The served directory.
    fn root(&self) -> &Path;
    /// A `[remotes.NAME]` table naming the served directory.
    fn remote(&self, name: &str) -> String;
    /// Writes a file as a change made on the server by someone else.
    fn put(&self, rel: &str, bytes: &[u8]);
}

impl ServedTree for servers::FtpServer {
    fn root(&self) -> &Path {
        &self.root
    }
    fn remote(&self, name: &str) -> String {
        servers::FtpServer::remote(self, name)
    }
    fn put(&self, rel: &str, bytes: &[u8]) {
        servers::FtpServer::put(self, rel, bytes)
    }
}

impl ServedTree for sshd::SshServer {
    fn root(&self) -> &Path {
        &self.root
    }
    fn remote(&self, name: &str) -> String {
        sshd::SshServer::remote(self, name)
    }
    fn put(&self, rel: &str, bytes: &[u8]) {
        sshd::SshServer::put(self, rel, bytes)
    }
}

/// The summary line of a one-way run.
pub fn counts(up: u32, down: u32, unchanged: u32, conflicts: u32, deleted: u32) -> String {
    let word = if conflicts == 1 {
        "conflict"
    } else {
        "conflicts"
    };
    format!("{up} uploaded, {down} downloaded, {unchanged} unchanged, {conflicts} {word}, 0 invalid, {deleted} deleted, 0 failed")
}

/// A pair whose configuration names `server` as the remote `srv`.
pub fn pair_for(server: &dyn ServedTree) -> Pair {
    let pair = Pair::new();
    pair.configure(&server.remote("srv"));
    pair
}

/// Upload, no-op, modify, a conflict with an edit made on the server, `--force`, `--dry-run`
/// and `--delete`, against the remote `srv`.
pub fn upload(server: &dyn ServedTree) {
    let pair = pair_for(server);
    let site = "srv:site".to_string();
    let src = pair.src.to_str().unwrap().to_string();
    let sync = |extra: &[&str]| {
        pair.ferry_with_password(&[&["sync"], extra, &[src.as_str(), site.as_str()]].concat())
    };
    put(&pair.src, "a.txt", b"alpha");
    put(&pair.src, "sub/b.txt", b"beta");
    put(&pair.src, "sub/with space ü.txt", "unicode ✓".as_bytes());
    put(&pair.src, "empty", b"");
    sync(&[]).expect(
        0,
        &[
            "+ sub/ (new directory)",
            "↑ a.txt (new)",
            "↑ empty (new)",
            "↑ sub/b.txt (new)",
            "↑ sub/with space ü.txt (new)",
        ],
        &counts(4, 0, 0, 0, 0),
    );
    assert_eq!(
        tree(&server.root().join("site")),
        tree(&pair.src),
        "the server holds the same bytes"
    );
    // No false changes: the server's versions are compared with its own earlier listing.
    sync(&[]).expect(0, &[], &counts(0, 0, 4, 0, 0));
    put(&pair.src, "a.txt", b"alpha, edited");
    sync(&[]).expect(0, &["↑ a.txt (modified)"], &counts(1, 0, 3, 0, 0));
    // Someone edits a file on the server: never overwritten without --force.
    server.put("site/sub/b.txt", b"edited on the server");
    sync(&[]).expect(
        3,
        &["! sub/b.txt (conflict: destination changed since last sync)"],
        &counts(0, 0, 3, 1, 0),
    );
    assert_eq!(
        std::fs::read(server.root().join("site/sub/b.txt")).unwrap(),
        b"edited on the server"
    );
    put(&pair.src, "sub/b.txt", b"and edited here too");
    sync(&[]).expect(
        3,
        &["! sub/b.txt (conflict: changed on both sides)"],
        &counts(0, 0, 3, 1, 0),
    );
    sync(&["--force"]).expect(
        0,
        &[
            "↑ a.txt (modified)",
            "↑ empty (modified)",
            "↑ sub/b.txt (modified)",
            "↑ sub/with space ü.txt (modified)",
        ],
        &counts(4, 0, 0, 0, 0),
    );
    assert_eq!(
        std::fs::read(server.root().join("site/sub/b.txt")).unwrap(),
        b"and edited here too"
    );
    // --dry-run shows the deletion and changes nothing; --delete does it.
    std::fs::remove_file(pair.src.join("empty")).unwrap();
    let before = tree(server.root());
    let dry = sync(&["--delete", "--dry-run"]);
    dry.expect(
        0,
        &["(dry run) ✗ empty (deleted)"],
        &format!("(dry run) {}", counts(0, 0, 3, 0, 1)),
    );
    assert_eq!(tree(server.root()), before);
    sync(&["--delete"]).expect(0, &["✗ empty (deleted)"], &counts(0, 0, 3, 0, 1));
    assert_eq!(tree(&server.root().join("site")), tree(&pair.src));
}

/// Download, no-op, a change on the server, a local file fetched again, and a conflict.
pub fn download(server: &dyn ServedTree) {
    let pair = pair_for(server);
    server.put("pub/r.txt", b"report");
    server.put("pub/deep/d.bin", &[7u8; 3000]);
    server.put("pub/.hidden", b"dot files are listed too");
    let url = "srv:pub".to_string();
    let dst = pair.dst.to_str().unwrap().to_string();
    let sync = |extra: &[&str]| {
        pair.ferry_with_password(&[&["sync"], extra, &[url.as_str(), dst.as_str()]].concat())
    };
    sync(&[]).expect(
        0,
        &[
            "+ deep/ (new directory)",
            "↓ .hidden (new)",
            "↓ deep/d.bin (new)",
            "↓ r.txt (new)",
        ],
        &counts(0, 3, 0, 0, 0),
    );
    assert_eq!(tree(&pair.dst), tree(&server.root().join("pub")));
    sync(&[]).expect(0, &[], &counts(0, 0, 3, 0, 0));
    // A file changed on the server comes down; a local file that vanished is fetched again.
    server.put("pub/r.txt", b"report, second edition");
    std::fs::remove_file(pair.dst.join("deep/d.bin")).unwrap();
    sync(&[]).expect(
        0,
        &["↓ deep/d.bin (new)", "↓ r.txt (modified)"],
        &counts(0, 2, 1, 0, 0),
    );
    assert_eq!(tree(&pair.dst), tree(&server.root().join("pub")));
    // A local edit is a conflict when the server changed too.
    put(&pair.dst, "r.txt", b"local notes");
    server.put("pub/r.txt", b"third edition, longer");
    sync(&[]).expect(
        3,
        &["! r.txt (conflict: changed on both sides)"],
        &counts(0, 0, 2, 1, 0),
    );
    assert_eq!(
        std::fs::read(pair.dst.join("r.txt")).unwrap(),
        b"local notes"
    );
}

/// An upload of 400 files killed part way: nothing visible with wrong bytes, and the next run
/// completes it without repeating what was done.
pub fn killed_upload_resumes(server: &dyn ServedTree) {
    let pair = pair_for(server);
    for i in 0..400 {
        put(
            &pair.src,
            &format!("d{}/f{i:03}.txt", i / 50),
            format!("file {i}\n").repeat(200).as_bytes(),
        );
    }
    let site = "srv:site";
    let args = [
        "sync",
        "--json",
        "--jobs",
        "2",
        pair.src.to_str().unwrap(),
        site,
    ];
    let mut child = KillOnDrop(
        pair.command(&args)
            .env("FERRY_PASSWORD", PASSWORD)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let on_server = || {
        tree(&server.root().join("site"))
            .keys()
            .filter(|k| k.ends_with(".txt") && !k.contains(".ferry-part-"))
            .count()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while on_server() < 60 {
        assert!(
            std::time::Instant::now() < deadline,
            "the upload made no progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // The server may still carry out a rename that reached it before the kill: count once the
    // tree has stopped changing.
    let mut done = on_server();
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = on_server();
        if now == done {
            break;
        }
        done = now;
    }
    for (path, bytes) in tree(&server.root().join("site")) {
        if let Some(i) = path
            .strip_suffix(".txt")
            .and_then(|p| p.rsplit_once("/f"))
            .map(|(_, n)| n.parse::<usize>().unwrap())
        {
            if !path.contains(".ferry-part-") {
                assert_eq!(
                    bytes,
                    format!("file {i}\n").repeat(200).into_bytes(),
                    "{path} is visible with the wrong bytes"
                );
            }
        }
    }
    let run = pair.ferry_with_password(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary: serde_json::Value =
        serde_json::from_str(run.stdout.lines().last().unwrap()).unwrap();
    let uploaded = summary["uploaded"].as_u64().unwrap() as usize;
    assert!(
        uploaded + done >= 400 && uploaded + done < 400 + 100 + 2,
        "done {done}, uploaded again {uploaded}"
    );
    let after = tree(&server.root().join("site"));
    assert!(
        !after.keys().any(|k| k.contains(".ferry-part-")),
        "partial uploads are cleaned up"
    );
    assert_eq!(after, tree(&pair.src));
}
