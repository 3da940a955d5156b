//! `ferry run` with docs/examples/ferry.toml: the file is found from subdirectories, a task's
//! options apply and the command line overrides them, `--here`/`--root` as pyftpsync's run,
//! unknown keys are refused with their line, and the FTP task works against a real server.

use std::path::Path;

use ferry_tests::{servers::*, *};

/// A project holding the sample file and a small site.
fn project(sample: &str) -> (Pair, std::path::PathBuf) {
    let pair = Pair::new();
    let project = pair.root.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("ferry.toml"), sample).unwrap();
    put(&project, "site/index.html", b"<h1>hi</h1>");
    put(&project, "site/notes.tmp", b"scratch");
    put(&project, "site/blog/post.html", b"<p>post</p>");
    (pair, project)
}

fn sample() -> String {
    std::fs::read_to_string(workspace_root().join("docs/examples/ferry.toml")).unwrap()
}

fn run_in(pair: &Pair, dir: &Path, args: &[&str]) -> Run {
    Run::from(
        pair.command(&[&["run"], args].concat())
            .current_dir(dir)
            .env("FERRY_PASSWORD", PASSWORD)
            .output()
            .unwrap(),
    )
}

#[test]
fn the_default_task_mirrors_both_ways() {
    let (pair, project) = project(&sample());
    let backup = pair.root.path().join("backup/site");
    run_in(&pair, &project, &[]).expect(
        0,
        &[
            "+ blog/ (new directory on remote)",
            "↑ blog/post.html (new)",
            "↑ index.html (new)",
        ],
        "2 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
    assert!(!backup.join("notes.tmp").exists(), "excluded by the task");
    // An edit on the backup side comes back; a conflict keeps both (the task's resolve).
    put(&backup, "blog/post.html", b"<p>edited in the backup</p>");
    let run = run_in(&pair, &project, &["mirror"]);
    run.expect(
        0,
        &["↓ blog/post.html (modified)"],
        "0 uploaded, 1 downloaded, 1 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
    assert!(
        run.stderr.contains("ferry: task `mirror`: bisync"),
        "{}",
        run.stderr
    );
    put(&backup, "index.html", b"<h1>backup</h1>");
    put(&project, "site/index.html", b"<h1>project!</h1>");
    let run = run_in(&pair, &project, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.lines
            .iter()
            .any(|l| l.starts_with("! index.html (conflict: changed on both sides; kept both")),
        "{:?}",
        run.lines
    );
    assert_eq!(tree(&backup), {
        let mut site = tree(&project.join("site"));
        site.remove("notes.tmp");
        site
    });
}

#[test]
fn the_command_line_overrides_the_file_and_subdirectories_need_here_or_root() {
    let (pair, project) = project(&sample());
    let backup = pair.root.path().join("backup/site");
    // --dry-run typed after `run` applies on top of the task.
    run_in(&pair, &project, &["--dry-run"]).expect(
        0,
        &[
            "(dry run) + blog/ (new directory on remote)",
            "(dry run) ↑ blog/post.html (new)",
            "(dry run) ↑ index.html (new)",
        ],
        "(dry run) 2 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
    assert!(!backup.exists());
    // More excludes from the command line add to the task's.
    run_in(&pair, &project, &["--exclude", "blog"]).expect(
        0,
        &["↑ index.html (new)"],
        "1 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
    let blog = project.join("site/blog");
    let run = run_in(&pair, &blog, &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("add --here to sync only this part, or --root"),
        "{}",
        run.stderr
    );
    // --here syncs only site/blog, with the remote narrowed the same way.
    run_in(&pair, &blog, &["--here"]).expect(
        0,
        &["↑ post.html (new)"],
        "1 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
    assert_eq!(
        std::fs::read(backup.join("blog/post.html")).unwrap(),
        b"<p>post</p>"
    );
    put(&project, "site/new.html", b"new");
    run_in(&pair, &blog, &["--root"]).expect(
        0,
        &["↑ new.html (new)"],
        // blog/post.html was synced by the narrowed task: equal on both sides, recorded.
        "1 uploaded, 0 downloaded, 2 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
}

#[test]
fn bad_files_are_explained() {
    let (pair, project) = project(&sample().replace(
        "resolve = \"keep-both\"",
        "resolve = \"keep-both\"\nfrobnicate = true",
    ));
    let run = run_in(&pair, &project, &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("ferry.toml:13: unknown key `frobnicate` in [tasks.mirror]"),
        "{}",
        run.stderr
    );
    let run = run_in(&pair, &project, &["nope"]);
    assert!(
        run.stderr
            .contains("no task `nope`; tasks: mirror, publish"),
        "{}",
        run.stderr
    );
    let run = run_in(&pair, pair.root.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no ferry.toml in"), "{}", run.stderr);
}

#[test]
fn the_ftp_task_publishes_to_a_real_server() {
    let server = FtpServer::start(Kind::Pyftpdlib);
    let sample = sample().replace("ftp://deploy@ftp.example.org/www", &server.url("www"));
    let (pair, project) = project(&sample);
    server.put("www/stale.html", b"old");
    run_in(&pair, &project, &["publish"]).expect(
        0,
        &[
            "+ blog/ (new directory)",
            "↑ blog/post.html (new)",
            "↑ index.html (new)",
            "✗ stale.html (deleted)",
        ],
        "2 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 1 deleted, 0 failed",
    );
    let mut expected = tree(&project.join("site"));
    expected.remove("notes.tmp");
    assert_eq!(tree(&server.root.join("www")), expected);
}
