//! Every example of the exsh sync documentation (../shared/seeds/exsh-sync.md) with ferry
//! against the eXist REST test server, through a named remote `mydata:`: push, pull, --dry-run,
//! a push into a subcollection that does not exist yet, --delete, --force, --allow-malformed,
//! --fail-fast, --checkpoint-every; conflicts both ways; push-pull-push on a server that
//! re-serialises XML; a killed push that resumes; and the errors (wrong password, server down,
//! a 500 on one file).

use std::time::{Duration, Instant};

use ferry_tests::{exist::ExistServer, servers::PASSWORD, *};

fn counts(
    up: u32,
    down: u32,
    unchanged: u32,
    conflicts: u32,
    invalid: u32,
    deleted: u32,
) -> String {
    let word = if conflicts == 1 {
        "conflict"
    } else {
        "conflicts"
    };
    format!("{up} uploaded, {down} downloaded, {unchanged} unchanged, {conflicts} {word}, {invalid} invalid, {deleted} deleted, 0 failed")
}

/// A pair whose config names the server `mydata` (the whole database, as exsh's nick).
fn setup(server: &ExistServer) -> Pair {
    let pair = Pair::new();
    let config = pair.root.path().join("config/ferry");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        format!("[remotes.mydata]\nurl = \"{}\"\n", server.url("")),
    )
    .unwrap();
    put(&pair.src, "a.xml", b"<report><title>A</title></report>");
    put(&pair.src, "b.txt", b"plain text");
    put(&pair.src, "sub/c.json", b"{\"c\": 1}");
    pair
}

fn ferry_in(pair: &Pair, args: &[&str]) -> Run {
    pair.ferry_with_password(args)
}

#[test]
fn push_pull_and_the_documented_options() {
    let server = ExistServer::start();
    let pair = setup(&server);
    let reports = pair.src.to_str().unwrap().to_string();
    put(&pair.src, "bad.xml", b"<report><unclosed></report>");
    let bad =
        "! bad.xml (not well-formed XML: line 1, column 19: expected 'unclosed' tag, not 'report')";

    // Preview what a push would do: nothing is written, on the server or in the state.
    ferry_in(&pair, &["sync", "--dry-run", &reports, "mydata:reports"]).expect(
        3,
        &[
            &format!("(dry run) {bad}"),
            "(dry run) + sub/ (new collection)",
            "(dry run) ↑ a.xml (new)",
            "(dry run) ↑ b.txt (new)",
            "(dry run) ↑ sub/c.json (new)",
        ],
        &format!("(dry run) {}", counts(3, 0, 0, 0, 1, 0)),
    );
    assert_eq!(server.get("/db/reports").status, 404);

    // Push local reports/ to the server; the malformed file is skipped and counted.
    ferry_in(
        &pair,
        &[
            "sync",
            "--checkpoint-every",
            "1",
            &reports,
            "mydata:reports",
        ],
    )
    .expect(
        3,
        &[
            bad,
            "+ sub/ (new collection)",
            "↑ a.xml (new)",
            "↑ b.txt (new)",
            "↑ sub/c.json (new)",
        ],
        &counts(3, 0, 0, 0, 1, 0),
    );
    assert_eq!(server.names("/db/reports"), ["a.xml", "b.txt", "sub/"]);
    assert_eq!(server.get("/db/reports/b.txt").body, b"plain text");
    assert_eq!(
        server.get("/db/reports/a.xml").header("content-type"),
        Some("application/xml; charset=UTF-8"),
        "stored as XML"
    );
    assert_eq!(
        server.get("/db/reports/sub/c.json").header("content-type"),
        Some("application/json"),
        "stored as binary"
    );
    // Nothing changed: nothing to do (the server's versions were read back at the end).
    ferry_in(&pair, &["sync", "-v", &reports, "mydata:reports"]).expect(
        3,
        &[
            bad,
            "= a.xml (unchanged)",
            "= b.txt (unchanged)",
            "= sub/c.json (unchanged)",
        ],
        &counts(0, 0, 3, 0, 1, 0),
    );
    // --allow-malformed uploads without checking; eXist itself refuses the document.
    let run = ferry_in(
        &pair,
        &["sync", "--allow-malformed", &reports, "mydata:reports"],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("! bad.xml (failed: eXist at 127.0.0.1:")
            && run
                .stdout
                .contains("PUT /db/reports/bad.xml: not well-formed XML (the server refused it))"),
        "{}",
        run.stdout
    );
    std::fs::remove_file(pair.src.join("bad.xml")).unwrap();

    // Pull the server's reports collection into another directory.
    let pulled = pair.root.path().join("pulled");
    let pulled_str = pulled.to_str().unwrap().to_string();
    ferry_in(&pair, &["sync", "mydata:reports", &pulled_str]).expect(
        0,
        &[
            "+ sub/ (new directory)",
            "↓ a.xml (new)",
            "↓ b.txt (new)",
            "↓ sub/c.json (new)",
        ],
        &counts(0, 3, 0, 0, 0, 0),
    );
    assert_eq!(tree(&pulled), tree(&pair.src));

    // Push into a subcollection path that does not exist yet.
    ferry_in(&pair, &["sync", &reports, "mydata:data/reports"]).expect(
        0,
        &[
            "+ sub/ (new collection)",
            "↑ a.xml (new)",
            "↑ b.txt (new)",
            "↑ sub/c.json (new)",
        ],
        &counts(3, 0, 0, 0, 0, 0),
    );
    assert_eq!(server.names("/db/data"), ["reports/"]);
    assert_eq!(server.names("/db/data/reports/sub"), ["c.json"]);

    // Push and remove remote files deleted locally.
    std::fs::remove_file(pair.src.join("b.txt")).unwrap();
    ferry_in(&pair, &["sync", "--delete", &reports, "mydata:reports"]).expect(
        0,
        &["✗ b.txt (deleted)"],
        &counts(0, 0, 2, 0, 0, 1),
    );
    assert_eq!(server.names("/db/reports"), ["a.xml", "sub/"]);

    // Force a full push.
    ferry_in(&pair, &["sync", "--force", &reports, "mydata:reports"]).expect(
        0,
        &["↑ a.xml (modified)", "↑ sub/c.json (modified)"],
        &counts(2, 0, 0, 0, 0, 0),
    );
}

#[test]
fn conflicts_push_and_pull() {
    let server = ExistServer::start();
    let pair = setup(&server);
    let reports = pair.src.to_str().unwrap().to_string();
    assert_eq!(
        ferry_in(&pair, &["sync", &reports, "mydata:reports"]).code,
        0
    );

    // Push: both sides changed → skipped, reported, exit 3; the server keeps its edit.
    server.put(
        "/db/reports/a.xml",
        "application/xml",
        b"<report>server edit</report>",
    );
    put(&pair.src, "a.xml", b"<report>local edit</report>");
    // Only the server changed b.txt: a push never overwrites it.
    server.put("/db/reports/b.txt", "text/plain", b"server edit of b");
    ferry_in(&pair, &["sync", &reports, "mydata:reports"]).expect(
        3,
        &[
            "! a.xml (conflict: changed on both sides)",
            "! b.txt (conflict: destination changed since last sync)",
        ],
        &counts(0, 0, 1, 2, 0, 0),
    );
    assert_eq!(
        server.get("/db/reports/a.xml").body,
        b"<report>server edit</report>"
    );
    assert_eq!(server.get("/db/reports/b.txt").body, b"server edit of b");

    // Pull (the same pair, the other way): a.xml changed on both sides → conflict; b.txt only
    // on the server → downloaded.
    ferry_in(&pair, &["sync", "mydata:reports", &reports]).expect(
        3,
        &[
            "! a.xml (conflict: changed on both sides)",
            "↓ b.txt (modified)",
        ],
        &counts(0, 1, 1, 1, 0, 0),
    );
    assert_eq!(
        std::fs::read(pair.src.join("a.xml")).unwrap(),
        b"<report>local edit</report>"
    );
    assert_eq!(
        std::fs::read(pair.src.join("b.txt")).unwrap(),
        b"server edit of b"
    );
    // --force on pull takes the server's version.
    let run = ferry_in(&pair, &["sync", "--force", "mydata:reports", &reports]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        std::fs::read(pair.src.join("a.xml")).unwrap(),
        b"<report>server edit</report>"
    );
}

#[test]
fn fail_fast_stops_and_the_next_run_resumes() {
    let server = ExistServer::start();
    let pair = setup(&server);
    let reports = pair.src.to_str().unwrap().to_string();
    put(&pair.src, "m1.xml", b"<a>");
    let run = ferry_in(
        &pair,
        &["sync", "--fail-fast", "-j", "1", &reports, "mydata:reports"],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("stopped by --fail-fast"),
        "{}",
        run.stdout
    );
    std::fs::write(pair.src.join("m1.xml"), b"<a/>").unwrap();
    let run = ferry_in(&pair, &["sync", "--fail-fast", &reports, "mydata:reports"]);
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    assert_eq!(
        server.names("/db/reports"),
        ["a.xml", "b.txt", "m1.xml", "sub/"]
    );
}

#[test]
fn push_pull_push_transfers_nothing_although_exist_reserialises_xml() {
    let server = ExistServer::start_with(&["--reindent-xml"]);
    let pair = setup(&server);
    put(
        &pair.src,
        "a.xml",
        b"<?xml version=\"1.0\"?>\n<report id='r1'><title>A</title></report>\n",
    );
    let reports = pair.src.to_str().unwrap().to_string();
    assert_eq!(
        ferry_in(&pair, &["sync", &reports, "mydata:reports"]).code,
        0
    );
    // The local copy goes; the pull brings back eXist's serialisation, not the bytes pushed.
    std::fs::remove_file(pair.src.join("a.xml")).unwrap();
    ferry_in(&pair, &["sync", "mydata:reports", &reports]).expect(
        0,
        &["↓ a.xml (new)"],
        &counts(0, 1, 2, 0, 0, 0),
    );
    let pulled = std::fs::read_to_string(pair.src.join("a.xml")).unwrap();
    assert_eq!(pulled, "<report id=\"r1\"><title>A</title></report>");
    // Each side is compared with its own past: nothing moves either way.
    for direction in [
        [reports.as_str(), "mydata:reports"],
        ["mydata:reports", reports.as_str()],
    ] {
        ferry_in(&pair, &["sync", direction[0], direction[1]]).expect(
            0,
            &[],
            &counts(0, 0, 3, 0, 0, 0),
        );
    }
}

#[test]
fn a_killed_push_resumes_without_re_uploading_finished_files() {
    let server = ExistServer::start_with(&["--put-delay-ms", "25"]);
    let pair = setup(&server);
    for i in 0..150 {
        put(
            &pair.src,
            &format!("many/f{i:03}.txt"),
            format!("file {i}").as_bytes(),
        );
    }
    let reports = pair.src.to_str().unwrap().to_string();
    let mut child = KillOnDrop(
        pair.command(&["sync", "-j", "2", &reports, "mydata:reports"])
            .env("FERRY_PASSWORD", PASSWORD)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let stored = || {
        let answer = server.get("/db/reports/many");
        if answer.status == 200 {
            server.names("/db/reports/many").len()
        } else {
            0
        }
    };
    while stored() < 40 {
        assert!(Instant::now() < deadline, "the push did not get going");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the push ended too early"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = stored();
    assert!(before < 150, "killed part-way ({before} stored)");
    let run = ferry_in(&pair, &["sync", &reports, "mydata:reports"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let uploaded = run.lines.iter().filter(|l| l.starts_with('↑')).count();
    // Finished files are skipped; at most the two uploads under way at the kill are redone.
    assert!(
        uploaded <= 153 - before && uploaded >= 150 - before,
        "{uploaded} uploaded after {before} were stored"
    );
    assert_eq!(stored(), 150);
    ferry_in(&pair, &["sync", &reports, "mydata:reports"]).expect(
        0,
        &[],
        &counts(0, 0, 153, 0, 0, 0),
    );
}

#[test]
fn errors_before_and_during_a_run() {
    let server = ExistServer::start_with(&["--fail-path", "broken"]);
    let pair = setup(&server);
    let reports = pair.src.to_str().unwrap().to_string();
    // A wrong password: one line, exit 2, nothing transferred.
    let output = pair
        .command(&["sync", &reports, "mydata:reports"])
        .env("FERRY_PASSWORD", "wrong")
        .output()
        .unwrap();
    let run = Run::from(output);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("ferry: error: mydata:reports"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("wrong user or password"),
        "{}",
        run.stderr
    );
    assert_eq!(server.get("/db/reports").status, 404);
    // A 500 on one file: that file fails, the others go, exit 1.
    put(&pair.src, "broken.txt", b"the server fails on this one");
    let run = ferry_in(
        &pair,
        &["sync", "--retries", "1", &reports, "mydata:reports"],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.lines.iter().any(
            |l| l.starts_with("! broken.txt (failed: eXist at 127.0.0.1:")
                && l.ends_with("PUT /db/reports/broken.txt: server error 500)")
        ),
        "{:?}",
        run.lines
    );
    assert_eq!(server.names("/db/reports"), ["a.xml", "b.txt", "sub/"]);
    // The server is down: a clear error, exit 2.
    drop(server);
    let run = ferry_in(&pair, &["sync", &reports, "mydata:reports"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot connect"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn a_server_clock_with_an_offset_causes_no_false_changes() {
    let server = ExistServer::start_with(&["--utc-offset", "-04:00"]);
    let pair = setup(&server);
    let reports = pair.src.to_str().unwrap().to_string();
    assert_eq!(
        ferry_in(&pair, &["sync", &reports, "mydata:reports"]).code,
        0
    );
    assert!(server.get("/db/reports").text().contains("-04:00\" owner="));
    ferry_in(&pair, &["sync", &reports, "mydata:reports"]).expect(
        0,
        &[],
        &counts(0, 0, 3, 0, 0, 0),
    );
    let listing = pair.ferry_with_password(&["ls", "--long", &server.url("reports")]);
    assert_eq!(listing.code, 0, "{}", listing.stderr);
    assert!(
        listing
            .stdout
            .lines()
            .any(|l| l.starts_with("file") && l.contains("?  20") && l.ends_with("a.xml")),
        "sizes unknown, times converted to UTC:\n{}",
        listing.stdout
    );
}

#[test]
fn bisync_with_exist_keeps_both_by_copying() {
    let server = ExistServer::start();
    let pair = setup(&server);
    let local = pair.src.to_str().unwrap().to_string();
    let bisync = |extra: &[&str]| {
        ferry_in(
            &pair,
            &[&["bisync"], extra, &[local.as_str(), "mydata:shared"]].concat(),
        )
    };
    bisync(&[]).expect(
        0,
        &[
            "+ sub/ (new collection on remote)",
            "↑ a.xml (new)",
            "↑ b.txt (new)",
            "↑ sub/c.json (new)",
        ],
        &counts(3, 0, 0, 0, 0, 0),
    );
    // Edits on both sides. The local one is dated newer, so it keeps the name and eXist's
    // version is kept aside — by a copy, as eXist cannot rename.
    put(&pair.src, "b.txt", b"local edit");
    set_mtime(&pair.src, "b.txt", 4_000_000_000);
    server.put("/db/shared/b.txt", "text/plain", b"server edit, longer");
    server.put("/db/shared/new-on-server.txt", "text/plain", b"hello");
    let run = bisync(&["--resolve", "keep-both"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.lines.contains(&"↓ new-on-server.txt (new)".to_string()),
        "{:?}",
        run.lines
    );
    assert_eq!(server.get("/db/shared/b.txt").body, b"local edit");
    assert_eq!(
        std::fs::read(pair.src.join("b.txt")).unwrap(),
        b"local edit"
    );
    let aside: Vec<String> = server
        .names("/db/shared")
        .into_iter()
        .filter(|n| n.starts_with("b.conflict-remote-"))
        .collect();
    assert_eq!(aside.len(), 1, "{:?}", server.names("/db/shared"));
    assert_eq!(
        server.get(&format!("/db/shared/{}", aside[0])).body,
        b"server edit, longer"
    );
    assert_eq!(
        std::fs::read(pair.src.join(&aside[0])).unwrap(),
        b"server edit, longer"
    );
    // Everything is recorded: the next bisync has nothing to do.
    let again = bisync(&[]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    assert!(
        again.summary.starts_with("0 uploaded, 0 downloaded"),
        "{}",
        again.stdout
    );
    // A deletion on eXist is carried over.
    assert_eq!(
        server.request("DELETE", "/db/shared/sub", None, b"").status,
        200
    );
    let run = bisync(&[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(!pair.src.join("sub").exists());
}

/// eXist writes `last-modified` in the JVM's time zone. A server restarted in another zone (a
/// container's TZ changed) spells every instant differently; nothing changed, and nothing may
/// look changed. (The spelling was the change token, and every file looked changed.)
#[test]
fn a_server_restarted_in_another_time_zone_changes_nothing() {
    let zone = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(zone.path(), "+02:00").unwrap();
    let server = ExistServer::start_with(&["--utc-offset-file", zone.path().to_str().unwrap()]);
    let pair = setup(&server);
    let (local, remote) = (pair.src.to_str().unwrap(), "mydata:reports");
    ferry_in(&pair, &["sync", local, remote]).expect(
        0,
        &[
            "+ sub/ (new collection)",
            "↑ a.xml (new)",
            "↑ b.txt (new)",
            "↑ sub/c.json (new)",
        ],
        &counts(3, 0, 0, 0, 0, 0),
    );
    std::fs::write(zone.path(), "-05:00").unwrap();
    assert!(
        server.get("/db/reports").text().contains("-05:00\""),
        "the listing is now spelled in the other zone"
    );
    ferry_in(&pair, &["sync", local, remote]).expect(0, &[], &counts(0, 0, 3, 0, 0, 0));
    put(&pair.src, "b.txt", b"plain text, edited");
    ferry_in(&pair, &["sync", local, remote]).expect(
        0,
        &["↑ b.txt (modified)"],
        &counts(1, 0, 2, 0, 0, 0),
    );
}

/// eXist stores a PUT as XML or binary by its Content-Type, looked up in its MIME table, which
/// knows far more XML formats than a short list: an EAD finding aid, a MODS or CMDI record, a
/// WSDL or an EPUB package must be stored as XML (queryable, indexed), and an XML document
/// already there must not be replaced by a binary one. (They went as
/// `application/octet-stream`.)
#[test]
fn xml_formats_of_exists_own_table_are_stored_as_xml() {
    let server = ExistServer::start();
    let pair = setup(&server);
    let names = [
        "finding.ead",
        "record.mods",
        "meta.cmdi",
        "service.wsdl",
        "book.opf",
    ];
    for name in names {
        put(&pair.src, name, b"<r><x>1</x></r>");
    }
    // A record already on the server, as XML.
    server.put(
        "/db/reports/record.mods",
        "application/xml",
        b"<r><x>0</x></r>",
    );
    let (local, remote) = (pair.src.to_str().unwrap(), "mydata:reports");
    let run = ferry_in(&pair, &["sync", "--force", local, remote]);
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    for name in names {
        let head = server.request("HEAD", &format!("/db/reports/{name}"), None, b"");
        assert_eq!(head.status, 200, "{name}");
        let stored = head.header("content-type").unwrap_or("");
        assert!(
            ferry_xml::is_xml_type(stored) == Some(true),
            "{name} is stored as {stored}, not as XML"
        );
    }
}

/// Well-formed XML that eXist accepts passes the pre-check: a document in ISO-8859-1 or UTF-16
/// (as declared), and XHTML whose `&nbsp;` its external DTD declares. (All three were reported
/// as not well-formed and never uploaded.) Broken XML in ISO-8859-1 is still caught, with its
/// line.
#[test]
fn the_xml_pre_check_accepts_what_exist_accepts() {
    let server = ExistServer::start();
    let pair = setup(&server);
    std::fs::remove_dir_all(&pair.src).unwrap();
    put(
        &pair.src,
        "latin1.xml",
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<p>caf\xE9</p>\n",
    );
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<p>café</p>\n".encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    put(&pair.src, "utf16.xml", &utf16);
    put(
        &pair.src,
        "page.xhtml",
        b"<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><p>a&nbsp;b</p></body></html>\n",
    );
    put(
        &pair.src,
        "broken.xml",
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<p>\n caf\xE9</q>\n",
    );
    let (local, remote) = (pair.src.to_str().unwrap(), "mydata:texts");
    let run = ferry_in(&pair, &["sync", local, remote]);
    let mut lines = run.lines.clone();
    lines.sort();
    assert_eq!(
        lines,
        [
            "! broken.xml (not well-formed XML: line 3, column 6: expected 'p' tag, not 'q')",
            "↑ latin1.xml (new)",
            "↑ page.xhtml (new)",
            "↑ utf16.xml (new)",
        ],
        "{}",
        run.stderr
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
}

/// eXist stores `.html` as XML (`text/html` in its table) and refuses HTML that is not XML with
/// a 400 on every run. ferry checks it first, like any XML: an ordinary HTML5 page is reported
/// once as invalid, with its line and column, and the XHTML page beside it goes up.
#[test]
fn html_that_is_not_xml_is_reported_before_upload() {
    let server = ExistServer::start();
    let pair = setup(&server);
    std::fs::remove_dir_all(&pair.src).unwrap();
    put(
        &pair.src,
        "index.html",
        b"<!DOCTYPE html>\n<html><body><p>one<br>two</p></body></html>\n",
    );
    put(
        &pair.src,
        "ok.html",
        b"<html><body><p>one<br/>two</p></body></html>\n",
    );
    let (local, remote) = (pair.src.to_str().unwrap(), "mydata:site");
    let run = ferry_in(&pair, &["sync", local, remote]);
    let mut lines = run.lines.clone();
    lines.sort();
    assert_eq!(
        lines,
        [
            "! index.html (not well-formed XML: line 2, column 26: expected 'br' tag, not 'p')",
            "↑ ok.html (new)",
        ],
        "{}",
        run.stderr
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
}

/// eXist cannot rename: `--backup-dir` keeps what a push replaces or deletes by a copy on the
/// server, then the deletion. `--size-only` is refused, as eXist's sizes are not the bytes sent.
#[test]
fn backup_dir_on_exist_copies_and_size_only_is_refused() {
    let server = ExistServer::start();
    let pair = setup(&server);
    let local = pair.src.to_str().unwrap().to_string();
    let push = |extra: &[&str]| {
        ferry_in(
            &pair,
            &[&["sync"], extra, &[local.as_str(), "mydata:site"]].concat(),
        )
    };
    assert_eq!(push(&[]).code, 0);
    put(&pair.src, "b.txt", b"plain text, edited");
    std::fs::remove_file(pair.src.join("sub/c.json")).unwrap();
    push(&["--delete", "--backup-dir", "old"]).expect(
        0,
        &["↑ b.txt (modified)", "✗ sub/c.json (deleted)"],
        &counts(1, 0, 1, 0, 0, 1),
    );
    assert_eq!(server.get("/db/site/b.txt").body, b"plain text, edited");
    assert_eq!(server.get("/db/site/old/b.txt").body, b"plain text");
    assert_eq!(server.get("/db/site/old/sub/c.json").body, b"{\"c\": 1}");
    assert_eq!(server.get("/db/site/sub/c.json").status, 404);
    // The backup collection is outside the run: the next push neither pulls nor deletes it.
    let again = push(&["--delete", "--backup-dir", "old"]);
    assert_eq!(again.summary, counts(0, 0, 2, 0, 0, 0), "{}", again.stdout);
    assert_eq!(server.get("/db/site/old/b.txt").status, 200);

    let run = push(&["--size-only"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("--size-only cannot compare files here"),
        "{}",
        run.stderr
    );
}
