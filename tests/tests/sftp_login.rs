//! Host keys and logins against a real OpenSSH sshd: an unknown host refused with its SHA256
//! fingerprint (as `ssh-keygen -l` prints it), recorded with `accept-new` and known afterwards,
//! hashed known_hosts entries, a changed key refused even with `accept-new`; logins through the
//! ssh-agent, an encrypted key file and a password; a wrong passphrase and a wrong password
//! each end the run with exit 2 and one line saying why.

use std::{path::Path, process::Command};

use ferry_tests::{
    servers::PASSWORD,
    sshd::{make_key, SshServer, SSH_USER},
    *,
};

/// A remote `srv` on `server` with these extra option lines (no agent, no ~/.ssh/config).
fn remote(server: &SshServer, lines: &str) -> String {
    format!(
        "[remotes.srv]\nurl = \"{}\"\nssh_config = \"none\"\n{lines}",
        server.url("")
    )
}

/// `ferry sync src srv:site` with `HOME` in the pair (no ~/.ssh of the machine's) and `env`.
fn sync(pair: &Pair, env: &[(&str, &str)]) -> Run {
    let home = pair.root.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut all = vec![("HOME", home.to_str().unwrap())];
    all.extend_from_slice(env);
    put(&pair.src, "a.txt", b"alpha");
    pair.ferry_env(&["sync", pair.src.to_str().unwrap(), "srv:site"], &all)
}

/// The fingerprint `ssh-keygen -l` shows for a public key file.
fn fingerprint(public_key: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(public_key)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string()
}

fn one_error_line(run: &Run) -> &str {
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected: {}", run.stderr);
    assert!(lines[0].starts_with("ferry: error: "), "{}", run.stderr);
    lines[0]
}

#[test]
fn an_unknown_host_is_refused_with_its_fingerprint_then_accepted_once_asked_and_remembered() {
    let server = SshServer::start();
    let pair = Pair::new();
    let known = pair.root.path().join("known_hosts");
    let key = format!(
        "key_file = \"{}\"\nagent = false\n",
        server.client_key.display()
    );
    let with = |extra: &str| {
        pair.configure(&remote(
            &server,
            &format!("{key}known_hosts = \"{}\"\n{extra}", known.display()),
        ))
    };
    with("");
    let refused = sync(&pair, &[]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    let line = one_error_line(&refused);
    let expected = fingerprint(&server.dir.join("host_ed25519.pub"));
    assert!(line.contains(&expected), "{line}\nexpected {expected}");
    assert!(line.contains("accept-new"), "{line}");
    assert!(!known.exists(), "nothing recorded without being asked");
    assert!(!server.root.join("site").exists());

    with("strict_host_key_checking = \"accept-new\"\n");
    let accepted = sync(&pair, &[]);
    assert_eq!(accepted.code, 0, "{}", accepted.stderr);
    assert!(
        accepted.stderr.contains("recorded the new host key"),
        "{}",
        accepted.stderr
    );
    let recorded = std::fs::read_to_string(&known).unwrap();
    assert_eq!(
        recorded,
        format!("[127.0.0.1]:{} {}\n", server.port, server.host_key)
    );
    // Remembered: the strict default now connects, and a hashed copy of the file works too.
    with("");
    let again = sync(&pair, &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let status = Command::new("ssh-keygen")
        .arg("-Hf")
        .arg(&known)
        .output()
        .unwrap();
    assert!(status.status.success());
    let hashed = std::fs::read_to_string(&known).unwrap();
    assert!(hashed.starts_with("|1|"), "{hashed}");
    put(&pair.src, "b.txt", b"beta");
    let hashed_run = sync(&pair, &[]);
    assert_eq!(hashed_run.code, 0, "{}", hashed_run.stderr);
    assert_eq!(hashed_run.lines, ["↑ b.txt (new)"]);
}

#[test]
fn a_changed_host_key_is_refused_even_with_accept_new() {
    let server = SshServer::start();
    let pair = Pair::new();
    let other = pair.root.path().join("other_host_key");
    make_key(&other, "");
    let public = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let public: Vec<&str> = public.split_whitespace().take(2).collect();
    let known = pair.root.path().join("known_hosts");
    let line = format!("[127.0.0.1]:{} {}\n", server.port, public.join(" "));
    std::fs::write(&known, &line).unwrap();
    for extra in ["", "strict_host_key_checking = \"accept-new\"\n"] {
        pair.configure(&remote(
            &server,
            &format!(
                "key_file = \"{}\"\nagent = false\nknown_hosts = \"{}\"\n{extra}",
                server.client_key.display(),
                known.display()
            ),
        ));
        let run = sync(&pair, &[]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        let message = one_error_line(&run);
        assert!(message.contains("HAS CHANGED"), "{message}");
        assert!(
            message.contains(&format!("{}:1", known.display())),
            "{message}"
        );
        assert_eq!(
            std::fs::read_to_string(&known).unwrap(),
            line,
            "known_hosts untouched"
        );
        assert!(!server.root.join("site").exists());
    }
}

#[test]
fn the_ssh_agent_logs_in_without_a_key_file() {
    let server = SshServer::start();
    let pair = Pair::new();
    let socket = pair.root.path().join("agent.sock");
    let mut agent = KillOnDrop(
        Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !socket.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "ssh-agent did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let added = Command::new("ssh-add")
        .arg(&server.client_key)
        .env("SSH_AUTH_SOCK", &socket)
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let known = format!("known_hosts = \"{}\"\n", server.known_hosts.display());
    let socket = socket.to_str().unwrap();
    pair.configure(&remote(&server, &known));
    let run = sync(&pair, &[("SSH_AUTH_SOCK", socket)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read(server.root.join("site/a.txt")).unwrap(),
        b"alpha"
    );
    // Without the agent there is nothing to log in with.
    pair.configure(&remote(&server, &format!("{known}agent = false\n")));
    put(&pair.src, "b.txt", b"beta");
    let refused = sync(&pair, &[("SSH_AUTH_SOCK", socket)]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(one_error_line(&refused).contains(&format!("refused the login of `{SSH_USER}`")));
    agent.kill().unwrap();
}

#[test]
fn an_encrypted_key_file_logs_in_with_its_passphrase_and_a_wrong_one_is_named() {
    let server = SshServer::start();
    let pair = Pair::new();
    let key = pair.root.path().join("id_ed25519");
    make_key(&key, "right horse battery");
    let mut authorized = std::fs::read_to_string(server.dir.join("authorized_keys")).unwrap();
    authorized.push_str(&std::fs::read_to_string(key.with_extension("pub")).unwrap());
    std::fs::write(server.dir.join("authorized_keys"), authorized).unwrap();
    let lines = |passphrase: &str| {
        format!(
            "key_file = \"{}\"\nagent = false\nknown_hosts = \"{}\"\npassphrase = \"{passphrase}\"\n",
            key.display(),
            server.known_hosts.display()
        )
    };
    pair.configure(&remote(&server, &lines("right horse battery")));
    let run = sync(&pair, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    pair.configure(&remote(&server, &lines("wrong staple")));
    put(&pair.src, "b.txt", b"beta");
    let refused = sync(&pair, &[]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    let message = one_error_line(&refused);
    assert!(
        message.contains(&format!("key {}: wrong passphrase", key.display())),
        "{message}"
    );
    assert!(!message.contains("wrong staple"), "{message}");
}

#[test]
fn a_password_logs_in_and_a_wrong_one_is_refused_in_one_line() {
    let server = SshServer::start();
    let pair = Pair::new();
    pair.configure(&remote(
        &server,
        &format!(
            "agent = false\nknown_hosts = \"{}\"\n",
            server.known_hosts.display()
        ),
    ));
    let run = sync(&pair, &[("FERRY_PASSWORD", PASSWORD)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read(server.root.join("site/a.txt")).unwrap(),
        b"alpha"
    );
    put(&pair.src, "b.txt", b"beta");
    let refused = sync(&pair, &[("FERRY_PASSWORD", "not-the-password")]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    let message = one_error_line(&refused);
    assert!(message.contains("password: refused"), "{message}");
    assert!(!message.contains("not-the-password"), "{message}");
}

#[test]
fn an_ssh_config_alias_reaches_what_ssh_alias_reaches() {
    let server = SshServer::start();
    let pair = Pair::new();
    let ssh = pair.root.path().join("home/.ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(
        ssh.join("config"),
        format!(
            "Host other\n  User nobody\nHost bench-box\n  HostName 127.0.0.1\n  Port {}\n  User {SSH_USER}\n  IdentityFile {}\n",
            server.port,
            server.client_key.display()
        ),
    )
    .unwrap();
    std::fs::copy(&server.known_hosts, ssh.join("known_hosts")).unwrap();
    pair.configure(&format!(
        "[remotes.srv]\nurl = \"sftp://bench-box/{}\"\nagent = false\n",
        server.root.display()
    ));
    let run = sync(&pair, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read(server.root.join("site/a.txt")).unwrap(),
        b"alpha"
    );
}

/// On a terminal, ferry asks for the SFTP password only after the keys were refused: with a key
/// that works nothing is asked; without one the prompt comes, and the answer logs in.
#[test]
fn the_terminal_is_asked_for_a_password_only_after_the_keys_were_refused() {
    use expectrl::{Eof, Expect, Session};
    let server = SshServer::start();
    let pair = Pair::new();
    let home = pair.root.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    put(&pair.src, "a.txt", b"alpha");
    let spawn = |pair: &Pair| {
        let mut command = pair.command(&[
            "sync",
            "--no-progress",
            pair.src.to_str().unwrap(),
            "srv:site",
        ]);
        command.env("TERM", "dumb").env("HOME", &home);
        let mut session = Session::spawn(command).expect("spawn ferry on a pty");
        session.set_expect_timeout(Some(std::time::Duration::from_secs(30)));
        session
    };
    let known = format!(
        "agent = false\nknown_hosts = \"{}\"\n",
        server.known_hosts.display()
    );
    pair.configure(&remote(
        &server,
        &format!("{known}key_file = \"{}\"\n", server.client_key.display()),
    ));
    let mut with_key = spawn(&pair);
    let output = with_key.expect(Eof).unwrap();
    let output = String::from_utf8_lossy(output.as_bytes()).into_owned();
    assert!(!output.contains("password for"), "{output}");
    assert!(output.contains("↑ a.txt (new)"), "{output}");

    pair.configure(&remote(&server, &known));
    put(&pair.src, "b.txt", b"beta");
    let mut asked = spawn(&pair);
    asked
        .expect(format!("password for {SSH_USER}@127.0.0.1: ").as_str())
        .unwrap();
    asked.send_line(PASSWORD).unwrap();
    let output = asked.expect(Eof).unwrap();
    let output = String::from_utf8_lossy(output.as_bytes()).into_owned();
    assert!(output.contains("↑ b.txt (new)"), "{output}");
    assert_eq!(
        std::fs::read(server.root.join("site/b.txt")).unwrap(),
        b"beta"
    );
}
