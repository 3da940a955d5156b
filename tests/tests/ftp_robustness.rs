//! FTP against hostile and failing conditions: a listing full of dangerous names, a control
//! connection cut in the middle of an upload, and names and sizes at the edges (unicode, spaces,
//! empty files, a file over 1 GiB).

use std::{
    io::Read,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use ferry_tests::{
    proxy::{CuttingProxy, TruncatingProxy},
    servers::*,
    *,
};

#[test]
fn hostile_listings_are_refused_and_nothing_is_written_outside_the_destination() {
    let server = FtpServer::start_hostile();
    server.put("hostile/good.txt", b"good\n");
    let pair = Pair::new();
    let run =
        pair.ferry_with_password(&["sync", &server.url("hostile"), pair.dst.to_str().unwrap()]);
    // Refused names are warnings (sync-semantics §6: unknown, reported once, never a failure
    // on every run); what the directory does list is synced.
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.lines, ["↓ good.txt (new)"], "{}", run.stderr);
    let refusals: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("ferry: warning:") && l.contains("refused an entry"))
        .collect();
    assert_eq!(refusals.len(), 4, "{:?}", run.lines);
    for needle in [
        "\"../escape.txt\": name contains `/`",
        "\"sub/inner.txt\": name contains `/`",
        "\"\": empty name",
        "\"nul\\0name\": name contains a NUL byte",
    ] {
        assert!(
            refusals.iter().any(|l| l.contains(needle)),
            "no refusal of {needle}: {refusals:?}"
        );
    }
    assert_eq!(text_tree(&pair.dst), entries(&[("good.txt", "good\n")]));
    let mut around: Vec<String> = std::fs::read_dir(pair.root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    around.sort();
    assert_eq!(
        around,
        // Beside the two trees only ferry's own XDG directories: the state and the plugin cache.
        ["cache", "dst", "src", "state"],
        "nothing written beside the destination"
    );
}

#[test]
fn a_connection_cut_mid_upload_is_retried_and_never_leaves_a_partial_file() {
    // Throttled, so the 48 MiB upload is still under way when the cut comes 150 ms after its
    // STOR, however fast or busy the machine: pyftpdlib lets a second's quota through in one
    // burst and then sleeps, so the quota must be well below the file (16 of 48 MiB: the
    // upload takes at least two seconds).
    let server = FtpServer::start_throttled(16 * 1024 * 1024);
    // Cut during big.bin's first upload, whichever order the files go in.
    let proxy = CuttingProxy::start_on(
        server.port,
        "STOR /site/.big.bin.",
        1,
        Duration::from_millis(150),
    );
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"first");
    let big: Vec<u8> = (0..48 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    put(&pair.src, "big.bin", &big);
    put(&pair.src, "c.txt", b"last");
    // Watch the server: big.bin must never exist under its final name with the wrong size.
    let watching = Arc::new(AtomicBool::new(true));
    let (flag, final_path, expected) = (
        watching.clone(),
        server.root.join("site/big.bin"),
        big.len() as u64,
    );
    let watcher = std::thread::spawn(move || {
        while flag.load(Ordering::SeqCst) {
            if let Ok(meta) = std::fs::metadata(&final_path) {
                assert_eq!(
                    meta.len(),
                    expected,
                    "a partial big.bin appeared under its final name"
                );
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    let url = format!("ftp://{USER}@127.0.0.1:{}/site", proxy.port);
    let run = pair.ferry_with_password(&["sync", "--jobs", "1", pair.src.to_str().unwrap(), &url]);
    watching.store(false, Ordering::SeqCst);
    watcher.join().expect("the watcher saw no partial file");
    assert_eq!(
        proxy.cuts.load(Ordering::SeqCst),
        1,
        "the proxy cut the connection"
    );
    run.expect(
        0,
        &["↑ a.txt (new)", "↑ big.bin (new)", "↑ c.txt (new)"],
        "3 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
    assert_eq!(
        std::fs::read(server.root.join("site/big.bin")).unwrap(),
        big
    );
    let names: Vec<String> = std::fs::read_dir(server.root.join("site"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "no temporary upload left behind: {names:?}");
}

fn sha256_of_file(path: &std::path::Path) -> String {
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path).unwrap();
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer).unwrap();
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn unicode_spaces_empty_files_and_a_file_over_1_gib_round_trip() {
    let server = FtpServer::start(Kind::Pyftpdlib);
    let pair = Pair::new();
    put(
        &pair.src,
        "Grüße aus Köln – 日本語.txt",
        "unicode ✓".as_bytes(),
    );
    put(&pair.src, "dir with spaces/file with spaces.txt", b"spaces");
    put(&pair.src, "empty", b"");
    let huge = pair.src.join("huge.bin");
    {
        // Sparse: 1 GiB + 1 byte, ending in a marker, created in no time.
        let file = std::fs::File::create(&huge).unwrap();
        file.set_len((1 << 30) + 1).unwrap();
        use std::os::unix::fs::FileExt;
        file.write_at(b"!", 1 << 30).unwrap();
    }
    let url = server.url("big");
    let up = pair.ferry_with_password(&["sync", pair.src.to_str().unwrap(), &url]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert_eq!(
        up.summary,
        "4 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed"
    );
    let down = pair.ferry_with_password(&["sync", &url, pair.dst.to_str().unwrap()]);
    assert_eq!(down.code, 0, "{}", down.stderr);
    assert_eq!(
        down.summary,
        "0 uploaded, 4 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed"
    );
    assert_eq!(
        sha256_of_file(&pair.dst.join("huge.bin")),
        sha256_of_file(&huge)
    );
    std::fs::remove_file(&huge).unwrap();
    std::fs::remove_file(pair.dst.join("huge.bin")).unwrap();
    std::fs::remove_file(server.root.join("big/huge.bin")).unwrap();
    assert_eq!(tree(&pair.dst), tree(&pair.src));
}

/// A data connection that a middlebox ends cleanly early gets a 226 from the server for a short
/// file: ferry compares the stored size with what it sent, never renames the short file into
/// place, and sends it again.
#[test]
fn an_upload_cut_short_with_a_clean_close_is_never_committed() {
    let server = FtpServer::start(Kind::Pyftpdlib);
    let proxy = TruncatingProxy::start(server.port, 1024 * 1024);
    let pair = Pair::new();
    let big: Vec<u8> = (0..4 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    put(&pair.src, "big.bin", &big);
    let url = format!("ftp://{USER}@127.0.0.1:{}/site", proxy.port);
    let run = pair.ferry_with_password(&["sync", pair.src.to_str().unwrap(), &url]);
    assert_eq!(
        proxy.truncated.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the proxy cut nothing"
    );
    assert_eq!(
        std::fs::read(server.root.join("site/big.bin"))
            .unwrap()
            .len(),
        big.len(),
        "a short file was committed: {} {}",
        run.stdout,
        run.stderr
    );
    assert_eq!(
        std::fs::read(server.root.join("site/big.bin")).unwrap(),
        big
    );
    assert_eq!(run.lines, ["↑ big.bin (new)"], "{}", run.stderr);
    assert_eq!(run.code, 0);
    // Recorded with its real size: the next run has nothing to do.
    let again = pair.ferry_with_password(&["sync", pair.src.to_str().unwrap(), &url]);
    assert!(
        again.lines.is_empty() && again.code == 0,
        "{}",
        again.stdout
    );
}

/// A download whose data connection a middlebox ends early is resumed where it stopped (`REST`)
/// once ferry has checked that the server still lists the same version: the bytes already on
/// their way are not fetched again, and the file that lands is whole. (Every retry used to fetch
/// the whole file again.)
#[test]
fn a_cut_download_resumes_where_it_stopped() {
    let server = FtpServer::start(Kind::PureFtpd);
    let size = 8 * 1024 * 1024;
    let big: Vec<u8> = (0..size as u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    server.put("pub/big.bin", &big);
    let keep = 3 * 1024 * 1024;
    let proxy = TruncatingProxy::start_download(server.port, keep);
    let pair = Pair::new();
    let url = format!("ftp://{USER}@127.0.0.1:{}/pub", proxy.port);
    let run = pair.ferry_with_password(&["-v", "sync", &url, pair.dst.to_str().unwrap()]);
    assert_eq!(
        proxy.truncated.load(Ordering::SeqCst),
        1,
        "the proxy cut nothing"
    );
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    assert_eq!(run.lines, ["↓ big.bin (new)"], "{}", run.stderr);
    assert!(
        std::fs::read(pair.dst.join("big.bin")).unwrap() == big,
        "the downloaded bytes differ"
    );
    assert!(
        run.stderr
            .contains(&format!("big.bin: resuming at byte {keep} after:")),
        "{}",
        run.stderr
    );
    // The listing's few bytes aside, every byte crossed once.
    let carried = proxy.downloaded.load(Ordering::SeqCst);
    assert!(
        carried < size as u64 + 64 * 1024,
        "{carried} bytes were carried for a file of {size}: the download started over"
    );
}

/// An upload whose network path stalls is given up after about `timeout` without progress and
/// sent again on a fresh connection. (It took four times `timeout`: sends that moved a few bytes
/// restarted the clock, and dropping the dead transfer waited on the control connection for a
/// reply that could not come.)
#[test]
fn a_stalled_upload_is_given_up_after_the_timeout_and_sent_again() {
    let server = FtpServer::start(Kind::Pyftpdlib);
    let proxy = TruncatingProxy::start_stall(server.port, 256 * 1024);
    let pair = Pair::new();
    let big: Vec<u8> = (0..16 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    put(&pair.src, "big.bin", &big);
    pair.configure(&format!(
        "[remotes.stalling]\nurl = \"ftp://{USER}@127.0.0.1:{}/site\"\ntimeout = 3\n",
        proxy.port
    ));
    let started = std::time::Instant::now();
    let run = pair.ferry_with_password(&["-v", "sync", pair.src.to_str().unwrap(), "stalling:"]);
    let took = started.elapsed();
    assert_eq!(
        proxy.truncated.load(Ordering::SeqCst),
        1,
        "the proxy stalled nothing"
    );
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    assert_eq!(run.lines, ["↑ big.bin (new)"], "{}", run.stderr);
    assert!(run.stderr.contains("retrying (1 of 3)"), "{}", run.stderr);
    assert!(std::fs::read(server.root.join("site/big.bin")).unwrap() == big);
    assert!(
        took < Duration::from_secs(2 * 3 + 4),
        "the stalled upload took {took:?} to recover with timeout = 3 s"
    );
}

/// A connection that breaks during FEAT is not a server without extensions: ferry asks again on
/// a fresh connection, so the run lists with MLSD and sets mtimes with MFMT like any other, and
/// the next run finds nothing changed (read as "no extensions", the run used LIST and no MFMT,
/// and the next normal run saw every file as changed on the server).
#[test]
fn a_connection_cut_during_feat_does_not_downgrade_the_run() {
    let server = FtpServer::start(Kind::Pyftpdlib);
    let proxy = CuttingProxy::start_on(server.port, "FEAT", 1, Duration::ZERO);
    let pair = Pair::new();
    for i in 0..5 {
        put(
            &pair.src,
            &format!("f{i}.txt"),
            format!("file {i}").as_bytes(),
        );
        set_mtime(&pair.src, &format!("f{i}.txt"), 1_600_000_000 + i);
    }
    let (src, url) = (
        pair.src.to_str().unwrap().to_string(),
        format!("ftp://{USER}@127.0.0.1:{}/site", proxy.port),
    );
    let run = pair.ferry_with_password(&["sync", &src, &url]);
    assert_eq!(
        proxy.cuts.load(Ordering::SeqCst),
        1,
        "the proxy cut nothing"
    );
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    for i in 0..5 {
        let mtime = std::fs::metadata(server.root.join(format!("site/f{i}.txt")))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(
            mtime,
            std::time::UNIX_EPOCH + Duration::from_secs(1_600_000_000 + i as u64),
            "f{i}.txt: no MFMT, the run was downgraded"
        );
    }
    let again = pair.ferry_with_password(&["sync", &src, &url]);
    assert!(again.lines.is_empty(), "{}", again.stdout);
    assert_eq!(again.code, 0);
}

/// A server that accepts the connection and never speaks: ferry gives up after its `timeout`
/// and says it timed out, in plain FTP and with implicit TLS alike (it used to wait for good:
/// the greeting was read before any socket timeout was set, and the implicit-TLS handshake had
/// none at all).
#[test]
fn a_server_that_never_greets_times_out() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for connection in silent.incoming().flatten() {
            held.push(connection);
        }
    });
    let pair = Pair::new();
    let config = pair.root.path().join("config/ferry");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        format!(
            "[remotes.plain]\nurl = \"ftp://{USER}@127.0.0.1:{port}/\"\ntimeout = 2\n\
             [remotes.implicit]\nurl = \"ftps+implicit://{USER}@127.0.0.1:{port}/\"\ntimeout = 2\n"
        ),
    )
    .unwrap();
    for remote in ["plain:", "implicit:"] {
        let started = std::time::Instant::now();
        let mut child = pair
            .command(&["ls", remote])
            .env("FERRY_PASSWORD", PASSWORD)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("{remote}: ferry still waits for the greeting after 60 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{remote}: {stderr}");
        assert!(stderr.contains("timed out"), "{remote}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{remote}: {stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{remote}: gave up only after {:?}",
            started.elapsed()
        );
    }
}

/// A server that allows fewer connections than `--jobs` (pyftpdlib's `max_cons_per_ip`, a 421
/// for the rest) is worked with the connections it allows: every file arrives and the run
/// succeeds, without a warning. The pool opens extra connections in the background and lowers
/// its limit at the first refusal.
#[test]
fn a_server_allowing_fewer_connections_than_jobs_gets_every_file() {
    let server = FtpServer::start_limited(2);
    let pair = Pair::new();
    for i in 0..30 {
        put(
            &pair.src,
            &format!("d{}/f{i}.txt", i % 3),
            format!("file {i}").as_bytes(),
        );
    }
    let url = server.url("site");
    let run = pair.ferry_with_password(&["sync", "--jobs", "8", pair.src.to_str().unwrap(), &url]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.summary.starts_with("30 uploaded"), "{}", run.stdout);
    assert_eq!(run.stderr, "", "{}", run.stderr);
    for i in 0..30 {
        assert_eq!(
            std::fs::read(server.root.join(format!("site/d{}/f{i}.txt", i % 3))).unwrap(),
            format!("file {i}").as_bytes()
        );
    }
}
