//! The FTP commands a sync sends, counted from the `-vvv` traffic log against pure-ftpd, so a
//! change that adds round trips fails here rather than only in a benchmark (issue 13). The
//! counts are upper bounds of what ferry sends today.

use ferry_tests::{servers::*, *};

/// The FTP commands of a run's `-vvv` log, by verb.
fn commands(run: &Run) -> Vec<String> {
    run.stderr
        .lines()
        .filter_map(|l| l.split("[ftp] > ").nth(1))
        .map(|c| c.split(' ').next().unwrap_or("").to_string())
        .collect()
}

fn count(commands: &[String], verb: &str) -> usize {
    commands.iter().filter(|c| *c == verb).count()
}

#[test]
fn a_modify_run_sends_no_mkd_for_directories_the_scan_listed() {
    let server = FtpServer::start(Kind::PureFtpd);
    let pair = Pair::new();
    for i in 0..10 {
        put(
            &pair.src,
            &format!("a/b/f{i}.txt"),
            format!("one {i}").as_bytes(),
        );
        put(
            &pair.src,
            &format!("c/g{i}.txt"),
            format!("one {i}").as_bytes(),
        );
    }
    let (src, url) = (pair.src.to_str().unwrap(), server.url("site"));
    let first = pair.ferry_with_password(&["sync", src, &url]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    for i in 0..5 {
        put(
            &pair.src,
            &format!("a/b/f{i}.txt"),
            format!("two, longer {i}").as_bytes(),
        );
    }
    put(&pair.src, "c/gone.txt", b"x");
    let run = pair.ferry_with_password(&["sync", "-vvv", "--jobs", "1", src, &url]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.summary.starts_with("6 uploaded"), "{}", run.stdout);
    let sent = commands(&run);
    // Every directory on the way was listed by the scan: none is created again (before: one
    // MKD and one CWD for each directory above each uploaded file).
    assert_eq!(count(&sent, "MKD"), 0, "{sent:?}");
    assert_eq!(count(&sent, "STOR"), 6, "{sent:?}");
    // Per uploaded file: STOR, SIZE, RNFR, RNTO, MFMT and the MLSTs before and after, plus its
    // data connection's EPSV/PASV.
    let per_file = [
        "STOR", "SIZE", "RNFR", "RNTO", "MFMT", "MLST", "EPSV", "PASV", "CWD",
    ]
    .iter()
    .map(|verb| count(&sent, verb))
    .sum::<usize>();
    assert!(per_file <= 6 * 8 + 4 * 3, "{per_file} commands: {sent:?}");
}
