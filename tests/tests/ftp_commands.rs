//! The FTP commands a sync sends, counted from the `-vvv` traffic log against pure-ftpd, so a
//! change that adds round trips fails here rather than only in a benchmark (issue 13). The
//! counts are exact: per uploaded file EPSV, STOR, MFMT, MLST, RNFR and RNTO (no stat before,
//! no SIZE, no MKD or CWD where the scan listed the directory); per deleted file DELE; per
//! listed directory EPSV and MLSD (with a CWD for the root only); and per connection USER,
//! PASS and TYPE, with OPTS UTF8 asked once per run. An upload's MFMT and MLST go in one
//! write, and so do its RNFR and RNTO.

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
fn a_modify_run_sends_six_commands_per_upload_and_one_per_delete() {
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
    std::fs::remove_file(pair.src.join("a/b/f9.txt")).unwrap();
    let run = pair.ferry_with_password(&["sync", "-vvv", "--delete", "--jobs", "1", src, &url]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.summary.starts_with("6 uploaded") && run.summary.contains("1 deleted"),
        "{}",
        run.stdout
    );
    let sent = commands(&run);
    let listed_dirs = 4; // the root, a, a/b, c
    for (verb, expected) in [
        ("STOR", 6),
        ("MFMT", 6),
        ("MLST", 6),
        ("RNFR", 6),
        ("RNTO", 6),
        ("EPSV", 6 + listed_dirs),
        ("MLSD", listed_dirs),
        ("DELE", 1),
        // Every directory on the way was listed by the scan: none is created or entered
        // again (before: one MKD and one CWD for each directory above each uploaded file).
        ("MKD", 0),
        ("CWD", 1),
        ("SIZE", 0),
        ("PASV", 0),
        ("USER", 1),
        ("OPTS", 1),
    ] {
        assert_eq!(count(&sent, verb), expected, "{verb} in {sent:?}");
    }
    // MFMT with MLST, and RNFR with RNTO, each go as one write: no reply comes between the
    // two, so an upload's four closing commands cost two round trips, not four.
    let traffic: Vec<&str> = run
        .stderr
        .lines()
        .filter_map(|l| l.split("[ftp] ").nth(1))
        .collect();
    for (first, second) in [("> MFMT ", "> MLST "), ("> RNFR ", "> RNTO ")] {
        let pipelined = traffic
            .windows(2)
            .filter(|w| w[0].starts_with(first) && w[1].starts_with(second))
            .count();
        assert_eq!(pipelined, 6, "{first}then {second}in {traffic:#?}");
    }
}

#[test]
fn a_no_op_lists_each_directory_with_two_commands_and_asks_opts_once() {
    let server = FtpServer::start(Kind::PureFtpd);
    let pair = Pair::new();
    for dir in ["a", "a/b", "c", "d"] {
        put(&pair.src, &format!("{dir}/f.txt"), dir.as_bytes());
    }
    let (src, url) = (pair.src.to_str().unwrap(), server.url("site"));
    let first = pair.ferry_with_password(&["sync", src, &url]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let run = pair.ferry_with_password(&["sync", "-vvv", "--jobs", "4", src, &url]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.summary.starts_with("0 uploaded"), "{}", run.stdout);
    let sent = commands(&run);
    let listed_dirs = 5;
    assert_eq!(count(&sent, "MLSD"), listed_dirs, "{sent:?}");
    assert_eq!(count(&sent, "EPSV"), listed_dirs, "{sent:?}");
    assert_eq!(count(&sent, "CWD"), 1, "{sent:?}");
    // pure-ftpd refuses OPTS UTF8 (and speaks UTF-8 anyway): asked on the first connection
    // only, however many the run opens.
    let connections = count(&sent, "USER");
    assert!((1..=4).contains(&connections), "{sent:?}");
    assert_eq!(count(&sent, "OPTS"), 1, "{sent:?}");
    // Connections still logging in when the run ends are dropped, not waited for.
    assert!(
        (1..=connections).contains(&count(&sent, "QUIT")),
        "{sent:?}"
    );
    for verb in ["STOR", "MLST", "SIZE", "MKD", "DELE"] {
        assert_eq!(count(&sent, verb), 0, "{verb} in {sent:?}");
    }
}

/// A sync to a remote directory that does not exist yet learns so from one failed CWD and an
/// MLST, never a second CWD: pure-ftpd pauses each further failed CWD in a row 100 ms longer
/// (src/ftpd.c, docwd), which every first sync to a new directory used to wait out.
#[test]
fn a_missing_root_costs_one_failed_cwd() {
    let server = FtpServer::start(Kind::PureFtpd);
    let pair = Pair::new();
    put(&pair.src, "f.txt", b"one");
    let (src, url) = (pair.src.to_str().unwrap(), server.url("new/site"));
    let run = pair.ferry_with_password(&["sync", "-vvv", src, &url]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.summary.starts_with("1 uploaded"), "{}", run.stdout);
    let sent = commands(&run);
    assert_eq!(count(&sent, "CWD"), 1, "{sent:?}");
    // The root's MLST, then the upload's read-back of the temporary file.
    assert_eq!(count(&sent, "MLST"), 2, "{sent:?}");
    assert_eq!(
        std::fs::read(server.root.join("new/site/f.txt")).unwrap(),
        b"one"
    );
}
