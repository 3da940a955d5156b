//! `ferry check` (what a one-way sync would do; nothing changes; exit 0 in sync, 3 not) and
//! `ferry remote list` (names and URLs, never secrets).

use ferry_tests::*;

#[test]
fn check_reports_without_touching_anything() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"a");
    let (src, dst) = (pair.src.to_str().unwrap(), pair.dst.to_str().unwrap());
    let run = pair.ferry(&["check", src, dst]);
    run.expect(3, &["(dry run) ↑ a.txt (new)"], "(dry run) 1 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed");
    assert!(tree(&pair.dst).is_empty());
    assert!(
        !pair.state_dir().exists() || tree(&pair.state_dir()).keys().all(|k| k.ends_with(".lock")),
        "no state written"
    );
    pair.sync(&[]);
    pair.ferry(&["check", src, dst]).expect(0, &[], "(dry run) 0 uploaded, 0 downloaded, 1 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed");
    put(&pair.dst, "a.txt", b"changed downstream");
    pair.ferry(&["check", src, dst]).expect(
        3,
        &["(dry run) ! a.txt (conflict: destination changed since last sync)"],
        "(dry run) 0 uploaded, 0 downloaded, 0 unchanged, 1 conflict, 0 invalid, 0 deleted, 0 failed",
    );
    assert_eq!(
        std::fs::read(pair.dst.join("a.txt")).unwrap(),
        b"changed downstream"
    );
}

#[test]
fn remote_list_shows_names_and_urls_but_no_secrets() {
    let pair = Pair::new();
    let run = pair.ferry(&["remote", "list"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.starts_with("no configuration file"),
        "{}",
        run.stdout
    );
    let config = pair.root.path().join("config/ferry/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        "[remotes.web]\nurl = \"ftp://bob:hunter2@ftp.example.org/www\"\npassword = \"s3cret\"\nconnections = 2\n\n\
         [remotes.backup]\nurl = \"file:///srv/backup\"\nbackend = \"local\"\npassword_command = \"echo nope\"\n",
    )
    .unwrap();
    let run = pair.ferry(&["remote", "list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "backup  file:///srv/backup             (backend local; password_command)\n\
         web     ftp://bob@ftp.example.org/www  (options: connections, password)\n"
    );
    assert!(!run.stdout.contains("hunter2") && !run.stdout.contains("s3cret"));
}

/// A password that names this server — the remote's `password_command`, a `machine` entry of
/// the netrc — beats the global `$FERRY_PASSWORD`, so a run between two servers never sends one
/// server's password to the other. (`$FERRY_PASSWORD` came first and was sent everywhere.)
#[test]
fn a_password_for_this_server_beats_the_global_one() {
    use ferry_tests::servers::{FtpServer, Kind, PASSWORD, USER};
    let server = FtpServer::start(Kind::Pyftpdlib);
    let pair = Pair::new();
    pair.configure(&format!(
        "[remotes.site]\nurl = \"ftp://{USER}@127.0.0.1:{}/\"\npassword_command = \"echo {PASSWORD}\"\n",
        server.port
    ));
    let run = |args: &[&str], netrc: Option<&std::path::Path>| {
        let mut command = pair.command(args);
        command.env("FERRY_PASSWORD", "the other server's password");
        match netrc {
            Some(file) => command.env("NETRC", file),
            None => command.env("NETRC", "/nonexistent"),
        };
        Run::from(command.output().unwrap())
    };
    let listed = run(&["ls", "site:"], None);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let netrc = pair.root.path().join("netrc");
    std::fs::write(
        &netrc,
        format!("machine 127.0.0.1 login {USER} password {PASSWORD}\n"),
    )
    .unwrap();
    let url = format!("ftp://{USER}@127.0.0.1:{}/", server.port);
    let listed = run(&["ls", &url], Some(&netrc));
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    // A netrc others may read is used, with a warning (as curl does).
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&netrc, std::fs::Permissions::from_mode(0o644)).unwrap();
    let listed = run(&["ls", &url], Some(&netrc));
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(
        listed
            .stderr
            .contains("holds passwords and others may read it (mode 644); chmod 600 it"),
        "{}",
        listed.stderr
    );
    std::fs::set_permissions(&netrc, std::fs::Permissions::from_mode(0o600)).unwrap();
    let listed = run(&["ls", &url], Some(&netrc));
    assert!(
        !listed.stderr.contains("others may read"),
        "{}",
        listed.stderr
    );
    // Nothing names the server: the global password is used (and is wrong here).
    let listed = run(&["ls", &url], None);
    assert_eq!(listed.code, 2, "{}", listed.stderr);
    assert!(listed.stderr.contains("530"), "{}", listed.stderr);
}

/// With no password anywhere, the server's refusal comes with what ferry looked at.
#[test]
fn a_login_refused_with_no_password_found_says_where_ferry_looked() {
    use ferry_tests::servers::{FtpServer, Kind, USER};
    let server = FtpServer::start(Kind::Pyftpdlib);
    let pair = Pair::new();
    let url = format!("ftp://{USER}@127.0.0.1:{}/", server.port);
    let output = pair
        .command(&["ls", &url])
        .env("NETRC", "/nonexistent")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let run = Run::from(output);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("530")
            && run
                .stderr
                .contains("no password was found (ferry looks at the URL"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

/// `remote add`, `show` and `remove` edit the configuration in place: its comments and order
/// stay, no password goes into it, and the new remote works as a target at once.
#[test]
fn remotes_are_added_shown_and_removed_keeping_the_file_as_written() {
    let pair = Pair::new();
    let config = pair.root.path().join("config/ferry/config.toml");
    let written = "# my servers\n[remotes.web]  # the public site\nurl = \"ftp://bob@ftp.example.org/www\"\nconnections = 2\npassword = \"s3cret\"\n";
    pair.configure(written);
    let dir = pair.dst.to_str().unwrap();

    let run = pair.ferry(&[
        "remote",
        "add",
        "backup",
        &format!("file://{dir}"),
        "--password-command",
        "pass show backup",
        "-o",
        "fsync=false",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.starts_with(written),
        "the file as written comes first:\n{text}"
    );
    assert!(
        text.ends_with(&format!(
            "\n[remotes.backup]\nurl = \"file://{dir}\"\npassword_command = \"pass show backup\"\nfsync = false\n"
        )),
        "{text}"
    );

    let run = pair.ferry(&["remote", "show", "backup"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!("backup\n  url               file://{dir}\n  password_command  pass show backup\n  fsync             false\n")
    );
    let run = pair.ferry(&["remote", "show", "web"]);
    assert_eq!(
        run.stdout,
        "web\n  url               ftp://bob@ftp.example.org/www\n  connections       2\n  password          ***\n"
    );

    // The new remote is a target at once.
    put(&pair.src, "a.txt", b"a");
    let run = pair.ferry(&["sync", pair.src.to_str().unwrap(), "backup:sub"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(pair.dst.join("sub/a.txt").exists());

    for (args, message) in [
        (
            vec!["remote", "add", "web", "ftp://x@h/"],
            "already has a remote named `web`",
        ),
        (
            vec!["remote", "add", "site", "ftp://bob:hunter2@h/"],
            "the URL holds a password",
        ),
        (
            vec!["remote", "add", "x", "ftp://h/"],
            "`x` cannot name a remote",
        ),
        (
            vec!["remote", "add", "more", "ftp://h/", "-o", "retries=5"],
            "the ftp plugin has no option `retries` (it has: ",
        ),
        (
            vec!["remote", "show", "nope"],
            "no remote named `nope` (there are: backup, web)",
        ),
        (
            vec!["remote", "remove", "nope"],
            "has no remote named `nope`",
        ),
    ] {
        let run = pair.ferry(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
    assert!(!std::fs::read_to_string(&config)
        .unwrap()
        .contains("hunter2"));

    let run = pair.ferry(&["remote", "remove", "backup"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), written);
}

/// `remote set-password` refuses a remote without a user and an empty password, and either
/// stores the password in the system keyring or says in one line why it cannot (CI machines
/// run no keyring service, so there it is the refusal that is seen).
#[test]
fn set_password_needs_a_user_and_a_password_and_says_where_it_went() {
    let pair = Pair::new();
    pair.configure("[remotes.anon]\nurl = \"ftp://h.example/\"\n[remotes.web]\nurl = \"ftp://bob@h.example/\"\n");
    let run = pair.ferry(&["remote", "set-password", "anon"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("names no user"), "{}", run.stderr);
    let output = pair
        .command(&["remote", "set-password", "web"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no password given"),
        "{}",
        stderr(&output)
    );
    // Kept away from a developer's real keyring: no session bus, so no Secret Service.
    let mut child = pair
        .command(&["remote", "set-password", "web"])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"s3cret\n").unwrap();
    let output = child.wait_with_output().unwrap();
    let (out, err) = (stdout(&output), stderr(&output));
    match output.status.code() {
        Some(0) => assert_eq!(
            out,
            "stored the password for bob@h.example in the system keyring\n"
        ),
        Some(2) => {
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(
                err.contains("cannot store the password for bob@h.example in the system keyring"),
                "{err}"
            );
        }
        other => panic!("exit {other:?}: {out} {err}"),
    }
    assert!(!out.contains("s3cret") && !err.contains("s3cret"));
}
