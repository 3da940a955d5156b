//! Logging: `-vv` says each path's decision, `-vvv` shows the backend traffic (FTP commands and
//! replies with the password masked, eXist's HTTP requests), and `--log-file` keeps the log at
//! `--log-level`, timestamped, whatever `-v` says.

use ferry_tests::{
    exist::ExistServer,
    servers::{FtpServer, Kind, PASSWORD},
    *,
};

#[test]
fn decisions_at_vv_and_a_log_file_at_its_own_level() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"a");
    let run = pair.sync(&["-v"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("plan:"), "{}", run.stderr);

    put(&pair.src, "a.txt", b"aa");
    put(&pair.src, "b.txt", b"b");
    let run = pair.sync(&["-vv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for line in [
        "ferry: debug: plan: a.txt: copy to the destination (modified, 2 bytes)",
        "ferry: debug: plan: b.txt: copy to the destination (new, 1 bytes)",
    ] {
        assert!(run.stderr.contains(line), "{line}\n{}", run.stderr);
    }

    put(&pair.dst, "b.txt", b"edited at the destination");
    put(&pair.src, "b.txt", b"and at the source");
    let log = pair.root.path().join("ferry.log");
    let run = pair.sync(&[
        "-q",
        "--log-file",
        log.to_str().unwrap(),
        "--log-level",
        "debug",
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(!run.stderr.contains("plan:"), "{}", run.stderr);
    let text = std::fs::read_to_string(&log).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("plan: b.txt"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.ends_with(" debug: plan: b.txt: conflict: changed on both sides"),
        "{line}"
    );
    // 2026-12-02T17:00:47.188Z
    let stamp = line.split(' ').next().unwrap();
    assert!(
        stamp.len() == 24 && stamp.ends_with('Z') && &stamp[10..11] == "T",
        "{stamp}"
    );
}

#[test]
fn vvv_shows_ftp_commands_and_replies_with_the_password_masked() {
    let server = FtpServer::start(Kind::Pyftpdlib);
    let pair = Pair::new();
    let url = server.url("");
    let run = pair.ferry_with_password(&["ls", "-vvv", &url]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for line in ["[ftp] > USER ", "[ftp] > PASS ***", "[ftp] < 230"] {
        assert!(run.stderr.contains(line), "{line}\n{}", run.stderr);
    }
    assert!(!run.stderr.contains(PASSWORD), "{}", run.stderr);
    let quiet = pair.ferry_with_password(&["ls", "-vv", &url]);
    assert!(!quiet.stderr.contains("[ftp] >"), "{}", quiet.stderr);
}

#[test]
fn vvv_shows_exists_http_requests() {
    let server = ExistServer::start();
    server.put("/db/logs/a.xml", "application/xml", b"<a/>");
    let pair = Pair::new();
    let run = pair.ferry_with_password(&["ls", "-vvv", &server.url("logs")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = format!(
        "[exist] GET http://127.0.0.1:{}/exist/rest/db/logs → 200 OK",
        server.port
    );
    assert!(run.stderr.contains(&expected), "{expected}\n{}", run.stderr);
}
