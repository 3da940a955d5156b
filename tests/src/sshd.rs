//! A real OpenSSH `sshd` (Debian's openssh-server, installed by
//! `scripts/install-test-servers.sh`) on 127.0.0.1 at a free port, with a generated host key
//! and client key, serving SFTP through `internal-sftp` to the Unix account `ferrytest`
//! (password [`PASSWORD`](crate::servers::PASSWORD)), whose files live in a fresh temporary
//! directory. Stopped on drop.

use std::{
    net::TcpStream,
    os::unix::{fs::PermissionsExt, process::CommandExt},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::servers::{ferrytest_ids, free_port, put_as_ferrytest, run};

/// The account the tests log in as.
pub const SSH_USER: &str = "ferrytest";

/// A running sshd.
pub struct SshServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The directory the tests' files live in (an absolute path on the server).
    pub root: PathBuf,
    /// A private key (Ed25519, no passphrase) the server accepts.
    pub client_key: PathBuf,
    /// A known_hosts file that holds the server's host key.
    pub known_hosts: PathBuf,
    /// The server's host public key, as `type base64`.
    pub host_key: String,
    /// The directory of keys and configuration.
    pub dir: PathBuf,
    child: Child,
    _temp: tempfile::TempDir,
}

/// Makes an Ed25519 key pair at `path` (and `path.pub`), protected by `passphrase`.
pub fn make_key(path: &Path, passphrase: &str) {
    run(Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-C",
            "ferry-test",
            "-N",
            passphrase,
            "-f",
        ])
        .arg(path));
}

impl SshServer {
    /// Starts sshd; panics with its log if it does not come up.
    pub fn start() -> Self {
        Self::start_with_sftp("internal-sftp")
    }

    /// Starts sshd whose SFTP server refuses `posix-rename@openssh.com` (still announcing it,
    /// as `sftp-server -P` does), so that a replacing rename must take the fallback.
    pub fn start_without_posix_rename() -> Self {
        Self::start_with_sftp("internal-sftp -P posix-rename")
    }

    /// Starts sshd offering only `cipher` and `mac`, so that a client must speak exactly these.
    pub fn start_with_cipher(cipher: &str, mac: &str) -> Self {
        Self::start_with("internal-sftp", &format!("Ciphers {cipher}\nMACs {mac}\n"))
    }

    fn start_with_sftp(subsystem: &str) -> Self {
        Self::start_with(subsystem, "")
    }

    fn start_with(subsystem: &str, extra_config: &str) -> Self {
        let sshd = Path::new("/usr/sbin/sshd");
        assert!(
            sshd.is_file(),
            "sshd missing: run scripts/install-test-servers.sh"
        );
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().to_path_buf();
        // sshd reads authorized_keys as the user, who must reach it.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let root = dir.join("root");
        std::fs::create_dir(&root).unwrap();
        let (uid, gid) = ferrytest_ids();
        std::os::unix::fs::chown(&root, Some(uid), Some(gid)).unwrap();
        let host_key_file = dir.join("host_ed25519");
        make_key(&host_key_file, "");
        let client_key = dir.join("client_ed25519");
        make_key(&client_key, "");
        let authorized = dir.join("authorized_keys");
        std::fs::copy(client_key.with_extension("pub"), &authorized).unwrap();
        std::fs::set_permissions(&authorized, std::fs::Permissions::from_mode(0o644)).unwrap();
        // Privilege separation needs its empty directory (the packaged service makes it).
        std::fs::create_dir_all("/run/sshd").unwrap();
        let port = free_port();
        let d = dir.display();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_ed25519\nPidFile {d}/sshd.pid\n\
             AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nUsePAM no\n\
             PasswordAuthentication yes\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
             PermitRootLogin no\nAllowUsers {SSH_USER}\nSubsystem sftp {subsystem}\n\
             UseDNS no\nMaxStartups 200\nMaxSessions 64\nLogLevel VERBOSE\n{extra_config}"
        );
        let config_file = dir.join("sshd_config");
        std::fs::write(&config_file, config).unwrap();
        let log = dir.join("sshd.log");
        let mut command = Command::new(sshd);
        command
            .args(["-D", "-f"])
            .arg(&config_file)
            .arg("-E")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let child = command.spawn().expect("start sshd");
        let public = std::fs::read_to_string(host_key_file.with_extension("pub")).unwrap();
        let host_key = public
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        let known_hosts = dir.join("known_hosts");
        std::fs::write(&known_hosts, format!("[127.0.0.1]:{port} {host_key}\n")).unwrap();
        let server = SshServer {
            port,
            root,
            client_key,
            known_hosts,
            host_key,
            dir,
            child,
            _temp: temp,
        };
        server.wait_until_up(&log);
        server
    }

    fn wait_until_up(&self, log: &Path) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::Read;
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let mut banner = [0u8; 7];
                if stream.read_exact(&mut banner).is_ok() && &banner == b"SSH-2.0" {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "sshd did not start: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The URL of `path` below [`SshServer::root`].
    pub fn url(&self, path: &str) -> String {
        self.url_on(self.port, path)
    }

    /// The URL of `path` below the root, through `port` (a proxy's).
    pub fn url_on(&self, port: u16, path: &str) -> String {
        let below = path.trim_start_matches('/');
        let root = self.root.display().to_string();
        let full = if below.is_empty() {
            root
        } else {
            format!("{root}/{below}")
        };
        format!("sftp://{SSH_USER}@127.0.0.1:{port}/{full}")
    }

    /// A `[remotes.NAME]` table for ferry's configuration: this server's root, logging in with
    /// the client key and checking the host key against the server's own known_hosts.
    pub fn remote(&self, name: &str) -> String {
        format!(
            "[remotes.{name}]\nurl = \"{}\"\nkey_file = \"{}\"\nknown_hosts = \"{}\"\nagent = false\nssh_config = \"none\"\n",
            self.url(""),
            self.client_key.display(),
            self.known_hosts.display()
        )
    }

    /// The options table for opening a backend on `path` in-process.
    pub fn options(&self, path: &str) -> toml::Table {
        let mut options = toml::Table::new();
        options.insert("location".into(), self.url(path).into());
        options.insert(
            "key_file".into(),
            self.client_key.to_string_lossy().into_owned().into(),
        );
        options.insert(
            "known_hosts".into(),
            self.known_hosts.to_string_lossy().into_owned().into(),
        );
        options.insert("agent".into(), false.into());
        options.insert("ssh_config".into(), "none".into());
        options
    }

    /// Writes a file straight into the served tree, as a change made on the server by someone
    /// else (owned by `ferrytest` so that SFTP can still replace it).
    pub fn put(&self, rel: &str, bytes: &[u8]) {
        put_as_ferrytest(&self.root, rel, bytes);
    }

    /// Does the server carry out OpenSSH's own `sftp` client's `rename` over an existing file?
    /// That client renames with posix-rename where the server offers it, and its plain RENAME
    /// refuses an existing target: false means ferry must take its fallback.
    pub fn replacing_rename_works(&self) -> bool {
        let batch = self.dir.join("rename.batch");
        let (a, b) = (self.root.join(".probe-a"), self.root.join(".probe-b"));
        put_as_ferrytest(&self.root, ".probe-a", b"a");
        put_as_ferrytest(&self.root, ".probe-b", b"b");
        std::fs::write(&batch, format!("rename {} {}\n", a.display(), b.display())).unwrap();
        let status = Command::new("sftp")
            .args(["-q", "-b"])
            .arg(&batch)
            .arg("-i")
            .arg(&self.client_key)
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", self.known_hosts.display()))
            .args(["-o", "BatchMode=yes", "-P", &self.port.to_string()])
            .arg(format!("{SSH_USER}@127.0.0.1"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run OpenSSH's sftp");
        let _ = std::fs::remove_file(&a);
        let _ = std::fs::remove_file(&b);
        status.success()
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        // sshd forks a process per connection: end the whole group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}
