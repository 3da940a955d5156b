//! Target identity (sync-semantics §6 "Targets"): every spelling of one place shares one state
//! and one lock, overlapping targets are refused before anything changes, `upload`/`download`
//! refuse a remote in the LOCAL position, a state written under an older spelling is still
//! found, and a password typed in a URL never shows — against local trees and a real FTP server.

use std::path::Path;

use ferry_tests::{servers::*, *};

fn counts(up: u32, conflicts: u32) -> String {
    let word = if conflicts == 1 {
        "conflict"
    } else {
        "conflicts"
    };
    format!("{up} uploaded, 0 downloaded, 0 unchanged, {conflicts} {word}, 0 invalid, 0 deleted, 0 failed")
}

/// The state files (snapshots) of every pair in the state directory.
fn snapshots(pair: &Pair) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(pair.state_dir())
        .map(|items| {
            items
                .filter_map(|i| i.ok())
                .map(|i| i.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".json"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn run_in(pair: &Pair, dir: &Path, args: &[&str]) -> Run {
    Run::from(
        pair.command(args)
            .current_dir(dir)
            .output()
            .expect("run ferry"),
    )
}

#[test]
fn every_local_spelling_of_a_target_is_one_pair() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"one");
    let root = pair.root.path();
    std::os::unix::fs::symlink(&pair.dst, root.join("dst-link")).unwrap();
    run_in(&pair, root, &["sync", "src", "dst"]).expect(0, &["↑ a.txt (new)"], &counts(1, 0));
    // The destination is edited; then the pair is written in other ways. Each is the same pair,
    // so the edit is a conflict every time, never overwritten as on a "first run".
    put(&pair.dst, "a.txt", b"edited at the destination");
    let dst_url = format!("file://{}", pair.dst.display());
    for (src, dst) in [
        ("src", "dst"),
        ("src/", "dst/"),
        ("./src//", "dst-link"),
        ("src/../src", dst_url.as_str()),
    ] {
        run_in(&pair, root, &["sync", src, dst]).expect(
            3,
            &["! a.txt (conflict: destination changed since last sync)"],
            &counts(0, 1),
        );
    }
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[("a.txt", "edited at the destination")])
    );
    assert_eq!(snapshots(&pair).len(), 1, "one state for every spelling");
}

#[test]
fn a_state_kept_under_an_older_spelling_is_still_found() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"one");
    let root = pair.root.path();
    run_in(&pair, root, &["sync", "src", "dst"]).expect(0, &["↑ a.txt (new)"], &counts(1, 0));
    // Move the state to the key an older ferry used for `src/ dst/`: the absolute paths as
    // written, trailing slashes and all.
    let [snapshot] = snapshots(&pair).try_into().unwrap();
    let current = ferry::state::StatePaths::new(
        &pair.state_dir(),
        &format!("local:{}", pair.src.display()),
        &format!("local:{}", pair.dst.display()),
    );
    assert!(current.snapshot.ends_with(&snapshot));
    let older = ferry::state::StatePaths::new(
        &pair.state_dir(),
        &format!("local:{}/", pair.dst.display()),
        &format!("local:{}/", pair.src.display()),
    );
    let mut baseline = ferry::state::store::load(&current).unwrap();
    if older.is_side_a(&format!("local:{}/", pair.src.display()))
        != current.is_side_a(&format!("local:{}", pair.src.display()))
    {
        for record in baseline.records.values_mut() {
            std::mem::swap(&mut record.a, &mut record.b);
        }
    }
    let (mut store, _) = ferry::state::StateStore::open(older.clone(), 1).unwrap();
    store.compact(&baseline).unwrap();
    drop(store);
    std::fs::remove_file(&current.snapshot).unwrap();
    put(&pair.dst, "a.txt", b"edited at the destination");
    // The dry run reads it where it is; the real run takes it over.
    run_in(&pair, root, &["sync", "--dry-run", "src/", "dst/"]).expect(
        3,
        &["(dry run) ! a.txt (conflict: destination changed since last sync)"],
        &format!("(dry run) {}", counts(0, 1)),
    );
    run_in(&pair, root, &["sync", "src/", "dst/"]).expect(
        3,
        &["! a.txt (conflict: destination changed since last sync)"],
        &counts(0, 1),
    );
    assert!(current.snapshot.exists() && !older.snapshot.exists());
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[("a.txt", "edited at the destination")])
    );
}

#[test]
fn overlapping_targets_are_refused_before_anything_changes() {
    let pair = Pair::new();
    put(&pair.src, "sub/a.txt", b"a");
    put(&pair.src, "b.txt", b"b");
    let before = tree(&pair.src);
    let root = pair.root.path();
    for (args, inside) in [
        (&["sync", "--delete", "src/sub", "src"][..], "`src/sub`"),
        (&["sync", "src", "src/backup"][..], "`src/backup`"),
        (&["bisync", "src/sub/..", "src"][..], "same place"),
        (&["sync", "src", "./src/"][..], "same place"),
    ] {
        let run = run_in(&pair, root, args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        assert!(run.stderr.contains(inside), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("nothing was changed"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(tree(&pair.src), before);
}

#[test]
fn ftp_spellings_share_one_state_and_overlaps_are_refused() {
    let server = FtpServer::start(Kind::Pyftpdlib);
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"one");
    let src = pair.src.to_str().unwrap();
    let site = server.url("site");
    pair.ferry_with_password(&["sync", src, &site])
        .expect(0, &["↑ a.txt (new)"], &counts(1, 0));
    server.put("site/a.txt", b"edited on the server");
    let shouting = site.replace("ftp://", "FTP://").replace("/site", "//site/");
    for spelling in [format!("{site}/"), shouting] {
        pair.ferry_with_password(&["sync", src, &spelling]).expect(
            3,
            &["! a.txt (conflict: destination changed since last sync)"],
            &counts(0, 1),
        );
    }
    assert_eq!(
        std::fs::read(server.root.join("site/a.txt")).unwrap(),
        b"edited on the server"
    );
    assert_eq!(snapshots(&pair).len(), 1);
    let run = pair.ferry_with_password(&["sync", "--delete", &server.url("site/sub"), &site]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("is inside"), "{}", run.stderr);
}

#[test]
fn upload_and_download_refuse_a_remote_in_the_local_position() {
    let server = FtpServer::start(Kind::Pyftpdlib);
    let pair = Pair::new();
    put(&pair.src, "mine.txt", b"local data");
    server.put("site/theirs.txt", b"server data");
    let src = pair.src.to_str().unwrap();
    let site = server.url("site");
    for command in ["upload", "download"] {
        let run = pair.ferry_with_password(&[command, "--delete", &site, src]);
        assert_eq!(run.code, 2, "{command}: {}", run.stderr);
        let message = run.stderr.to_lowercase();
        assert!(
            message.contains("takes the local directory first")
                && message.contains("did you mean: ferry"),
            "{command}: {}",
            run.stderr
        );
    }
    // A named remote in the LOCAL position too.
    let config = pair.root.path().join("config/ferry");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        format!("[remotes.site]\nurl = \"{site}\"\n"),
    )
    .unwrap();
    let run = pair.ferry_with_password(&["upload", "--delete", "site:", src]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(text_tree(&pair.src), entries(&[("mine.txt", "local data")]));
    assert_eq!(
        std::fs::read(server.root.join("site/theirs.txt")).unwrap(),
        b"server data"
    );
}

#[test]
fn a_password_in_a_url_never_shows() {
    let server = FtpServer::start(Kind::Pyftpdlib);
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"a");
    let src = pair.src.to_str().unwrap();
    let secret = "Sup3rSecretPw";
    let wrong = server
        .url("site")
        .replace("@127.0.0.1", &format!(":{secret}@127.0.0.1"));
    let dead_port = free_port();
    let dead = format!(
        "ftp://{}:{secret}@127.0.0.1:{dead_port}/site",
        server.user()
    );
    for target in [wrong, dead] {
        for args in [
            vec!["sync", src, target.as_str()],
            vec!["sync", "--json", src, target.as_str()],
            vec!["ls", target.as_str()],
            vec!["-vv", "sync", target.as_str(), src],
        ] {
            let run = pair.ferry(&args);
            assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
            assert!(!run.stderr.is_empty(), "{args:?}: an error is printed");
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "{args:?} shows the password: {} {}",
                run.stdout,
                run.stderr
            );
        }
    }
    // Nor in the state files of a run that worked.
    let good = server.url("site").replace(
        "@127.0.0.1",
        &format!(":{}@127.0.0.1", ferry_tests::servers::PASSWORD),
    );
    pair.ferry(&["sync", src, &good])
        .expect(0, &["↑ a.txt (new)"], &counts(1, 0));
    for item in std::fs::read_dir(pair.state_dir()).unwrap() {
        let text = std::fs::read_to_string(item.unwrap().path()).unwrap_or_default();
        assert!(!text.contains(ferry_tests::servers::PASSWORD), "{text}");
    }
}
