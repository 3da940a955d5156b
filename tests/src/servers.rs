//! Real FTP servers for the suites, started on 127.0.0.1 at free ports and stopped on drop:
//! pyftpdlib (MLSD, MFMT; explicit TLS; a hostile-listing mode), pure-ftpd (Debian; MLSD; explicit
//! TLS), vsftpd (Debian's binary, unpacked by `scripts/install-test-servers.sh`; no MLSD, so LIST
//! is used; explicit and implicit TLS; optionally local time in a time zone) and ProFTPD (Debian's
//! binary and mod_tls, unpacked the same way; MLSD, MFMT; explicit and implicit TLS with its
//! default demand that data connections reuse the control connection's TLS session). Every server
//! serves a fresh temporary directory.

use std::{
    net::{TcpListener, TcpStream},
    os::unix::{fs::PermissionsExt, process::CommandExt},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::workspace_root;

/// The FTP user pyftpdlib and pure-ftpd accept (vsftpd logs in the Unix account `ferrytest`);
/// the password is [`PASSWORD`] for both.
pub const USER: &str = "ferry";
/// The test user's password, handed to ferry through `$FERRY_PASSWORD`.
pub const PASSWORD: &str = "ferrytest-pw";

/// Which server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// pyftpdlib: MLSD, MFMT.
    Pyftpdlib,
    /// pure-ftpd: MLSD.
    PureFtpd,
    /// vsftpd: LIST only.
    Vsftpd,
    /// ProFTPD: MLSD, MFMT.
    ProFtpd,
}

/// TLS for a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tls {
    /// Plain FTP.
    None,
    /// AUTH TLS on the normal port.
    Explicit,
    /// TLS from the first byte.
    Implicit,
}

/// A running server.
pub struct FtpServer {
    /// Which server.
    pub kind: Kind,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The directory it serves.
    pub root: PathBuf,
    /// The CA that signed its certificate (TLS only).
    pub ca_file: Option<PathBuf>,
    tls: Tls,
    child: Child,
    _dir: tempfile::TempDir,
}

/// A free TCP port on 127.0.0.1 for a server to listen on. Taken from 20000–29999, below the
/// kernel's ephemeral range, where client sockets and the servers' passive data ports (40000 and
/// up) live: a port from there could be taken by a data connection between this check and the
/// server's bind, and the server would fail to start while another process answered on its port.
/// Each call in a test process gives another port.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = std::process::id().wrapping_mul(7919) % 10_000;
    for _ in 0..10_000 {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let port = 20_000 + ((start + n) % 10_000) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 20000-29999 on 127.0.0.1")
}

pub(crate) fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Writes `root/rel` as a change made on a server by someone else: the file and the
/// directories made for it are owned by `ferrytest`, the account the servers run as, so that
/// they can still replace it.
pub fn put_as_ferrytest(root: &Path, rel: &str, bytes: &[u8]) {
    let (uid, gid) = ferrytest_ids();
    let path = root.join(rel);
    let mut created = Vec::new();
    let mut at = path.parent().unwrap().to_path_buf();
    while !at.exists() {
        created.push(at.clone());
        at = at.parent().unwrap().to_path_buf();
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    for item in created.iter().chain(std::iter::once(&path)) {
        std::os::unix::fs::chown(item, Some(uid), Some(gid)).unwrap();
    }
}

/// The uid and gid of the Unix account `ferrytest`.
pub fn ferrytest_ids() -> (u32, u32) {
    let id = |flag: &str| -> u32 {
        let out = Command::new("id")
            .args([flag, "ferrytest"])
            .output()
            .expect("id");
        assert!(
            out.status.success(),
            "user ferrytest missing: run scripts/install-test-servers.sh"
        );
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    (id("-u"), id("-g"))
}

/// How a TLS server's certificate is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Issuer {
    /// Signed by a private CA of the test's.
    PrivateCa,
    /// Self-signed, as `openssl req -x509` makes it (a CA certificate of its own).
    Itself,
}

/// A self-signed certificate for 127.0.0.1: (cert.pem, cert.pem, key.pem).
fn make_self_signed(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert));
    (cert.clone(), cert, key)
}

/// The SHA-256 fingerprint of the PEM certificate `cert` as `openssl x509 -fingerprint` prints
/// it (`AB:CD:…`), for a test to pin.
pub fn certificate_fingerprint(cert: &Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(cert)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .rsplit_once('=')
        .expect("openssl fingerprint")
        .1
        .to_string()
}

/// A CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem).
pub fn make_certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let (ca, ca_key, cert, key, csr, ext) = (
        dir.join("ca.pem"),
        dir.join("ca.key"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
        dir.join("cert.csr"),
        dir.join("ext.cnf"),
    );
    std::fs::write(&ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n").unwrap();
    run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=ferry test CA",
            "-keyout",
        ])
        .arg(&ca_key)
        .arg("-out")
        .arg(&ca));
    run(Command::new("openssl")
        .args([
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&csr));
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-CAcreateserial", "-in"])
        .arg(&csr)
        .arg("-CA")
        .arg(&ca)
        .arg("-CAkey")
        .arg(&ca_key)
        .arg("-out")
        .arg(&cert)
        .arg("-extfile")
        .arg(&ext));
    (ca, cert, key)
}

impl FtpServer {
    /// Starts a plain server.
    pub fn start(kind: Kind) -> Self {
        Self::launch(kind, Tls::None, &[])
    }

    /// Starts a TLS server.
    pub fn start_tls(kind: Kind, tls: Tls) -> Self {
        Self::launch(kind, tls, &[])
    }

    /// Starts a TLS server whose certificate is self-signed; `ca_file` is that certificate.
    pub fn start_self_signed(kind: Kind, tls: Tls) -> Self {
        Self::launch_with(kind, tls, &[], Issuer::Itself)
    }

    /// The SHA-256 fingerprint of the server's certificate as `openssl x509 -fingerprint`
    /// prints it (`AB:CD:…`).
    pub fn certificate_fingerprint(&self) -> String {
        certificate_fingerprint(&self._dir.path().join("cert.pem"))
    }

    /// Starts vsftpd listing times in the local time of `time_zone` (an IANA name), as a
    /// hosting server set to `use_localtime=YES` does.
    pub fn start_vsftpd_in_time_zone(time_zone: &str) -> Self {
        Self::launch(Kind::Vsftpd, Tls::None, &[format!("TZ={time_zone}")])
    }

    /// Starts pyftpdlib in hostile-listing mode.
    pub fn start_hostile() -> Self {
        Self::launch(Kind::Pyftpdlib, Tls::None, &["--hostile".into()])
    }

    /// Starts pyftpdlib with data transfers limited to `bytes_per_second`.
    pub fn start_throttled(bytes_per_second: u32) -> Self {
        Self::launch(
            Kind::Pyftpdlib,
            Tls::None,
            &["--throttle".into(), bytes_per_second.to_string()],
        )
    }

    /// Starts pyftpdlib refusing (421) a client's connections beyond `connections`.
    pub fn start_limited(connections: u32) -> Self {
        Self::launch(
            Kind::Pyftpdlib,
            Tls::None,
            &["--max-per-ip".into(), connections.to_string()],
        )
    }

    /// `extra`: arguments for pyftpdlib; for vsftpd, `TZ=zone` to list in local time.
    fn launch(kind: Kind, tls: Tls, extra: &[String]) -> Self {
        Self::launch_with(kind, tls, extra, Issuer::PrivateCa)
    }

    fn launch_with(kind: Kind, tls: Tls, extra: &[String], issuer: Issuer) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir(&root).unwrap();
        let (uid, gid) = ferrytest_ids();
        std::os::unix::fs::chown(&root, Some(uid), Some(gid)).unwrap();
        let port = free_port();
        let certificates = (tls != Tls::None).then(|| match issuer {
            Issuer::PrivateCa => make_certificates(dir.path()),
            Issuer::Itself => make_self_signed(dir.path()),
        });
        let mut command = match kind {
            Kind::Pyftpdlib => {
                let mut command = Command::new("python3");
                command
                    .arg(workspace_root().join("tests/servers/pyftpd.py"))
                    .args([
                        "--port",
                        &port.to_string(),
                        "--user",
                        USER,
                        "--password",
                        PASSWORD,
                        "--root",
                    ])
                    .arg(&root);
                if let Some((_, cert, key)) = &certificates {
                    let pem = dir.path().join("server.pem");
                    let joined =
                        [std::fs::read(cert).unwrap(), std::fs::read(key).unwrap()].concat();
                    std::fs::write(&pem, joined).unwrap();
                    command.arg("--cert").arg(pem);
                }
                command.args(extra);
                command
            }
            Kind::PureFtpd => {
                assert_ne!(tls, Tls::Implicit, "pure-ftpd offers explicit TLS only");
                let hash = Command::new("openssl")
                    .args(["passwd", "-6", PASSWORD])
                    .output()
                    .unwrap();
                let hash = String::from_utf8_lossy(&hash.stdout).trim().to_string();
                let passwd = dir.path().join("pure.passwd");
                let pdb = dir.path().join("pure.pdb");
                std::fs::write(
                    &passwd,
                    format!(
                        "{USER}:{hash}:{uid}:{gid}::{}/./::::::::::::\n",
                        root.display()
                    ),
                )
                .unwrap();
                run(Command::new("pure-pw")
                    .arg("mkdb")
                    .arg(&pdb)
                    .arg("-f")
                    .arg(&passwd));
                let mut command = Command::new("pure-ftpd");
                command
                    .args([
                        "-S",
                        &format!("127.0.0.1,{port}"),
                        "-4",
                        "-E",
                        "-H",
                        "-D",
                        "-p",
                        "40000:44999",
                        "-P",
                        "127.0.0.1",
                        "-c",
                        "64",
                        "-C",
                        "64",
                        "-I",
                        "60",
                        "-l",
                    ])
                    .arg(format!("puredb:{}", pdb.display()));
                if let Some((_, cert, key)) = &certificates {
                    // TLS required on the control connection (-Y 2), with our certificate.
                    command.args(["-Y", "2", "-2"]).arg(format!(
                        "{},{}",
                        cert.display(),
                        key.display()
                    ));
                }
                command
            }
            Kind::Vsftpd => {
                let binary = workspace_root().join("target/test-servers/vsftpd/usr/sbin/vsftpd");
                assert!(
                    binary.is_file(),
                    "vsftpd missing: run scripts/install-test-servers.sh"
                );
                let empty = dir.path().join("empty");
                std::fs::create_dir(&empty).unwrap();
                let mut config = format!(
                    "listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port={port}\nbackground=NO\n\
                     anonymous_enable=NO\nlocal_enable=YES\nwrite_enable=YES\nlocal_umask=022\nlocal_root={}\n\
                     chroot_local_user=YES\nallow_writeable_chroot=YES\npasv_enable=YES\npasv_address=127.0.0.1\n\
                     pasv_min_port=45000\npasv_max_port=49999\nseccomp_sandbox=NO\nsecure_chroot_dir={}\n\
                     pam_service_name=vsftpd-ferry\nutf8_filesystem=YES\nxferlog_enable=NO\nmax_clients=64\nmax_per_ip=64\n",
                    root.display(),
                    empty.display()
                );
                if let Some((_, cert, key)) = &certificates {
                    config.push_str(&format!(
                        "ssl_enable=YES\nrsa_cert_file={}\nrsa_private_key_file={}\nforce_local_logins_ssl=YES\n\
                         force_local_data_ssl=YES\nrequire_ssl_reuse=YES\nssl_ciphers=HIGH\nimplicit_ssl={}\n",
                        cert.display(),
                        key.display(),
                        if tls == Tls::Implicit { "YES" } else { "NO" }
                    ));
                }
                let time_zone = extra.iter().find_map(|arg| arg.strip_prefix("TZ="));
                if time_zone.is_some() {
                    config.push_str("use_localtime=YES\n");
                }
                let path = dir.path().join("vsftpd.conf");
                std::fs::write(&path, config).unwrap();
                let mut command = Command::new(binary);
                command.arg(path);
                if let Some(zone) = time_zone {
                    command.env("TZ", zone);
                }
                command
            }
            Kind::ProFtpd => proftpd_command(dir.path(), &root, port, tls, &certificates),
        };
        let child = command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {kind:?}: {e}"));
        let ca_file = certificates.map(|(ca, _, _)| ca);
        let server = FtpServer {
            kind,
            port,
            root,
            ca_file,
            tls,
            child,
            _dir: dir,
        };
        server.wait_until_listening();
        server
    }

    fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{:?} did not listen on port {}",
                self.kind,
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The URL of `path` on this server (the password comes from `$FERRY_PASSWORD`).
    pub fn url(&self, path: &str) -> String {
        let scheme = match self.tls {
            Tls::None => "ftp",
            Tls::Explicit => "ftps",
            Tls::Implicit => "ftps+implicit",
        };
        format!(
            "{scheme}://{}@127.0.0.1:{}/{}",
            self.user(),
            self.port,
            path.trim_start_matches('/')
        )
    }

    /// A `[remotes.NAME]` table for ferry's configuration file: this server's root, with the
    /// CA that signed its certificate. `NAME:path` then names `path` on this server.
    pub fn remote(&self, name: &str) -> String {
        let mut table = format!("[remotes.{name}]\nurl = \"{}\"\n", self.url(""));
        if let Some(ca) = &self.ca_file {
            table.push_str(&format!("ca_file = \"{}\"\n", ca.display()));
        }
        table
    }

    /// The user to log in as.
    pub fn user(&self) -> &'static str {
        // pyftpdlib, pure-ftpd and ProFTPD have virtual users; vsftpd logs in Unix accounts.
        if self.kind == Kind::Vsftpd {
            "ferrytest"
        } else {
            USER
        }
    }

    /// Writes a file straight into the served tree, as a change made on the server by someone
    /// else (owned by the server's account so the server can still replace it).
    pub fn put(&self, rel: &str, bytes: &[u8]) {
        put_as_ferrytest(&self.root, rel, bytes);
    }

    /// The options table for opening a backend on `path` in-process.
    pub fn options(&self, path: &str) -> toml::Table {
        let mut options = toml::Table::new();
        options.insert("location".into(), self.url(path).into());
        options.insert("password".into(), PASSWORD.into());
        if let Some(ca) = &self.ca_file {
            options.insert("ca_file".into(), ca.to_string_lossy().into_owned().into());
        }
        options
    }
}

/// ProFTPD as a hosting customer meets it: its own virtual-user file, MLSD and MFMT, and for
/// TLS mod_tls with its default options, which refuse a data connection that does not resume
/// the control connection's TLS session.
fn proftpd_command(
    dir: &Path,
    root: &Path,
    port: u16,
    tls: Tls,
    certificates: &Option<(PathBuf, PathBuf, PathBuf)>,
) -> Command {
    let installed = workspace_root().join("target/test-servers/proftpd");
    let binary = installed.join("usr/sbin/proftpd");
    assert!(
        binary.is_file(),
        "proftpd missing: run scripts/install-test-servers.sh"
    );
    let (uid, gid) = ferrytest_ids();
    let hash = Command::new("openssl")
        .args(["passwd", "-6", PASSWORD])
        .output()
        .unwrap();
    let hash = String::from_utf8_lossy(&hash.stdout).trim().to_string();
    let users = dir.join("proftpd.passwd");
    std::fs::write(
        &users,
        format!("{USER}:{hash}:{uid}:{gid}::{}:/bin/sh\n", root.display()),
    )
    .unwrap();
    std::fs::set_permissions(&users, std::fs::Permissions::from_mode(0o600)).unwrap();
    let d = dir.display();
    let mut config = format!(
        "ServerType standalone\nPort {port}\nDefaultAddress 127.0.0.1\nUseIPv6 off\n\
         User ferrytest\nGroup nogroup\nSocketBindTight on\nUmask 022\nMaxInstances 64\nPidFile {d}/proftpd.pid\n\
         ScoreboardFile {d}/proftpd.scoreboard\nDelayTable none\nWtmpLog off\nUseReverseDNS off\n\
         RequireValidShell off\nAuthOrder mod_auth_file.c\nAuthUserFile {}\nAuthPAM off\n\
         DefaultRoot ~\nPassivePorts 50000 54999\nAllowOverwrite on\nAllowStoreRestart on\n\
         TransferLog none\nSystemLog {d}/proftpd.log\nModulePath {}\n\
         <Limit LOGIN>\n  AllowAll\n</Limit>\n",
        users.display(),
        installed.join("usr/lib/proftpd").display(),
    );
    if let Some((_, cert, key)) = certificates {
        config.push_str(&format!(
            "LoadModule mod_tls.c\nTLSEngine on\nTLSLog {d}/tls.log\nTLSProtocol TLSv1.2 TLSv1.3\n\
             TLSRSACertificateFile {}\nTLSRSACertificateKeyFile {}\nTLSRequired on\n{}",
            cert.display(),
            key.display(),
            if tls == Tls::Implicit {
                "TLSOptions UseImplicitSSL\n"
            } else {
                ""
            }
        ));
    }
    let path = dir.join("proftpd.conf");
    std::fs::write(&path, config).unwrap();
    let mut command = Command::new(binary);
    command.args(["-n", "-q", "-c"]).arg(path);
    command
}

impl Drop for FtpServer {
    fn drop(&mut self) {
        // The servers fork per session: end the whole process group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}
