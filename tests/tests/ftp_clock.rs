//! A LIST-only server (vsftpd, no MLSD) whose listings show local time in another time zone
//! (`use_localtime=YES`, as many hosting servers run), and edits hidden inside the minute a
//! listing shows: times meet local ones right, and nothing is overwritten unseen.

use std::{
    path::Path,
    process::Command,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use ferry_tests::{servers::*, *};

const ZONE: &str = "Pacific/Auckland";

fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

fn set_file_mtime(path: &Path, time: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

fn seconds_apart(a: SystemTime, b: SystemTime) -> u64 {
    match a.duration_since(b) {
        Ok(d) => d.as_secs(),
        Err(e) => e.duration().as_secs(),
    }
}

/// `+13:00` or `+12:00`: Auckland's offset now, as the server's clock shows it.
fn zone_offset_now() -> String {
    let out = Command::new("date")
        .env("TZ", ZONE)
        .arg("+%:z")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Downloaded files get the server's real modification time, not one 13 hours ahead, and `-v`
/// says what offset was learned.
#[test]
fn times_from_a_server_in_another_time_zone_are_converted_to_utc() {
    let server = FtpServer::start_vsftpd_in_time_zone(ZONE);
    server.put("pub/a.txt", b"written on the server");
    let written = mtime(&server.root.join("pub/a.txt"));
    let pair = Pair::new();
    let run =
        pair.ferry_with_password(&["-v", "sync", &server.url("pub"), pair.dst.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains(&format!("LIST shows UTC{}", zone_offset_now())),
        "{}",
        run.stderr
    );
    // The listing shows the minute: the copy is dated within it.
    let apart = seconds_apart(mtime(&pair.dst.join("a.txt")), written);
    assert!(
        apart <= 120,
        "the downloaded file is dated {apart} s away from the server's"
    );
    // The probe left nothing behind.
    assert_eq!(
        tree(&server.root.join("pub")).keys().collect::<Vec<_>>(),
        ["a.txt"]
    );
}

/// `--resolve new` keeps the file edited last: a server edit an hour ago loses to a local edit
/// made now. (Read as UTC, the server's date was 12 hours in the future, and the newer local
/// edit was overwritten.)
#[test]
fn resolve_new_keeps_the_newer_edit_across_time_zones() {
    let server = FtpServer::start_vsftpd_in_time_zone(ZONE);
    let pair = Pair::new();
    let (local, remote) = (pair.src.to_str().unwrap(), server.url("site"));
    put(&pair.src, "n.txt", b"first version");
    let first = pair.ferry_with_password(&["bisync", "--resolve", "skip", local, &remote]);
    assert_eq!(first.code, 0, "{} {}", first.stdout, first.stderr);
    server.put("site/n.txt", b"edited on the server, an hour ago");
    set_file_mtime(
        &server.root.join("site/n.txt"),
        SystemTime::now() - Duration::from_secs(3600),
    );
    put(&pair.src, "n.txt", b"edited here, just now");
    let run = pair.ferry_with_password(&["bisync", "--resolve", "new", local, &remote]);
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    assert_eq!(
        std::fs::read(pair.src.join("n.txt")).unwrap(),
        b"edited here, just now",
        "the newer local edit was overwritten: {}",
        run.stdout
    );
    assert_eq!(
        std::fs::read(server.root.join("site/n.txt")).unwrap(),
        b"edited here, just now"
    );
}

/// An edit of the same size made on the server in the same minute as ferry's upload lists
/// exactly like the uploaded version; a later local edit must not overwrite it unseen (nor a
/// deletion remove it). ferry looks closer first (MDTM to the second), and reports a conflict.
#[test]
fn an_edit_hidden_in_the_listing_minute_is_not_overwritten() {
    let server = FtpServer::start_vsftpd_in_time_zone(ZONE);
    let pair = Pair::new();
    let (src, site) = (pair.src.to_str().unwrap(), server.url("site"));
    put(&pair.src, "a.txt", b"version 1");
    put(&pair.src, "gone.txt", b"to be deleted");
    let first = pair.ferry_with_password(&["sync", src, &site]);
    assert_eq!(first.code, 0, "{} {}", first.stdout, first.stderr);
    // Someone replaces both files on the server with the same sizes, dated within the minute
    // of ferry's upload (set explicitly, so the test does not depend on when it runs).
    for (name, bytes) in [("a.txt", &b"version X"[..]), ("gone.txt", b"to be DELETED")] {
        let path = server.root.join("site").join(name);
        let uploaded = mtime(&path);
        let second = uploaded.duration_since(UNIX_EPOCH).unwrap().as_secs();
        let edited = if second % 60 < 59 {
            uploaded + Duration::from_secs(1)
        } else {
            uploaded - Duration::from_secs(1)
        };
        server.put(&format!("site/{name}"), bytes);
        set_file_mtime(&path, edited);
    }
    put(&pair.src, "a.txt", b"version 2, longer");
    std::fs::remove_file(pair.src.join("gone.txt")).unwrap();
    let run = pair.ferry_with_password(&["sync", "--delete", src, &site]);
    assert_eq!(
        std::fs::read(server.root.join("site/a.txt")).unwrap(),
        b"version X",
        "the hidden server edit was overwritten: {}",
        run.stdout
    );
    assert_eq!(
        std::fs::read(server.root.join("site/gone.txt")).unwrap(),
        b"to be DELETED",
        "the hidden server edit was deleted: {}",
        run.stdout
    );
    assert_eq!(run.code, 3, "{} {}", run.stdout, run.stderr);
    let mut lines = run.lines.clone();
    lines.sort();
    assert_eq!(
        lines,
        [
            "! a.txt (conflict: destination changed since last sync (within the minute its listing shows); not overwritten)",
            "! gone.txt (conflict: destination changed since last sync (within the minute its listing shows); not deleted)",
        ],
        "{}",
        run.stderr
    );
    // Without a hidden edit the closer look lets the change through.
    let quiet = FtpServer::start_vsftpd_in_time_zone(ZONE);
    let other = Pair::new();
    let site = quiet.url("site");
    put(&other.src, "a.txt", b"version 1");
    assert_eq!(
        other
            .ferry_with_password(&["sync", other.src.to_str().unwrap(), &site])
            .code,
        0
    );
    put(&other.src, "a.txt", b"version 2");
    let run = other.ferry_with_password(&["sync", other.src.to_str().unwrap(), &site]);
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    assert_eq!(run.lines, ["↑ a.txt (modified)"]);
    assert_eq!(
        std::fs::read(quiet.root.join("site/a.txt")).unwrap(),
        b"version 2"
    );
}
