//! Opening one SFTP connection as OpenSSH's `sftp` would: TCP, the SSH handshake asking first
//! for the host-key types known_hosts has for this host, the host key checked against
//! known_hosts ([`crate::known_hosts`]), then authentication in OpenSSH's order — the ssh-agent,
//! the key files (with the passphrase), the password — and the `sftp` subsystem.

use std::{
    net::{TcpStream, ToSocketAddrs},
    path::{Path, PathBuf},
};

use ferry_plugin_api::BackendError;
use ssh2::{MethodType, Session};

use crate::{
    config::Settings,
    error,
    known_hosts::{self, KnownHosts, Verdict},
    protocol::Sftp,
};

/// Host-key algorithms in OpenSSH's default order, after those known_hosts knows for the host.
const HOST_KEY_ORDER: &[&str] = &[
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
    "ssh-rsa",
];

/// The channel's receive window: large enough for the pipelined reads in flight.
const WINDOW: u32 = 8 * 1024 * 1024;

/// The system-wide known_hosts, read after the user's (never written).
const GLOBAL_KNOWN_HOSTS: &str = "/etc/ssh/ssh_known_hosts";

/// An open connection: the SSH session and its SFTP channel.
pub struct Connection {
    /// The SFTP client.
    pub sftp: Sftp,
    /// Kept for the channel's lifetime.
    _session: Session,
}

/// `host:port`, how messages name the server.
pub fn server_label(settings: &Settings) -> String {
    if settings.host.contains(':') {
        format!("[{}]:{}", settings.host, settings.port)
    } else {
        format!("{}:{}", settings.host, settings.port)
    }
}

/// Connects, verifies the host and logs in; `log` receives notices (a host key recorded).
pub fn connect(settings: &Settings, log: &dyn Fn(&str)) -> Result<Connection, BackendError> {
    let server = server_label(settings);
    let tcp = tcp_connect(settings, &server)?;
    let mut session =
        Session::new().map_err(|e| error::ssh(e, &server, "cannot start an SSH session"))?;
    session.set_tcp_stream(tcp);
    session.set_timeout(settings.timeout.as_millis().min(u32::MAX as u128) as u32);
    let known = KnownHosts::read(&[
        settings.known_hosts.clone(),
        PathBuf::from(GLOBAL_KNOWN_HOSTS),
    ]);
    let name = known_hosts::host_name(&settings.host, settings.port);
    let preferred = host_key_preference(&known.known_types(&name));
    session
        .method_pref(MethodType::HostKey, &preferred)
        .and_then(|()| session.method_pref(MethodType::CryptCs, &settings.ciphers))
        .and_then(|()| session.method_pref(MethodType::CryptSc, &settings.ciphers))
        .map_err(|e| error::ssh(e, &server, "cannot set the SSH algorithms"))?;
    session
        .handshake()
        .map_err(|e| error::ssh(e, &server, "SSH handshake failed"))?;
    verify_host_key(&session, settings, &known, &name, &server, log)?;
    authenticate(&session, settings, &server)?;
    let channel = session
        .channel_open("session", WINDOW, 32 * 1024, None)
        .map_err(|e| error::ssh(e, &server, "cannot open an SSH channel"))?;
    let sftp = Sftp::start(channel, &server)?;
    Ok(Connection {
        sftp,
        _session: session,
    })
}

fn tcp_connect(settings: &Settings, server: &str) -> Result<TcpStream, BackendError> {
    let addresses = (settings.host.as_str(), settings.port)
        .to_socket_addrs()
        .map_err(|e| error::io(e, server))?;
    let mut last = None;
    for address in addresses {
        match TcpStream::connect_timeout(&address, settings.timeout) {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(error::io(
        last.unwrap_or_else(|| std::io::Error::other("the host name has no address")),
        server,
    ))
}

/// The host-key algorithm list: the types known for the host first, then OpenSSH's order.
fn host_key_preference(known: &[String]) -> String {
    let mut order: Vec<&str> = Vec::new();
    for key_type in known {
        let algorithms: &[&str] = match key_type.as_str() {
            "ssh-rsa" => &["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
            other => &[other][..],
        };
        for algorithm in algorithms {
            if HOST_KEY_ORDER.contains(algorithm) && !order.contains(algorithm) {
                order.push(algorithm);
            }
        }
    }
    for algorithm in HOST_KEY_ORDER {
        if !order.contains(algorithm) {
            order.push(algorithm);
        }
    }
    order.join(",")
}

fn verify_host_key(
    session: &Session,
    settings: &Settings,
    known: &KnownHosts,
    name: &str,
    server: &str,
    log: &dyn Fn(&str),
) -> Result<(), BackendError> {
    let Some((key, _)) = session.host_key() else {
        return Err(error::host_key(
            server,
            "the server sent no host key".into(),
        ));
    };
    let fingerprint = known_hosts::fingerprint(key);
    let key_type = known_hosts::blob_type(key).unwrap_or("unknown");
    let file = settings.known_hosts.display();
    match known.check(name, key) {
        Verdict::Known => Ok(()),
        Verdict::Revoked => Err(error::host_key(
            server,
            format!("the host key of {name} ({key_type} {fingerprint}) is marked @revoked; ferry will not connect"),
        )),
        Verdict::Changed { line } => Err(error::host_key(
            server,
            format!(
                "THE HOST KEY OF {name} HAS CHANGED: the server now shows {key_type} {fingerprint}, \
                 known_hosts holds another key ({line}). Someone may be intercepting the \
                 connection, or the server was reinstalled; ferry will not connect. If the change \
                 is expected, remove the old key with `ssh-keygen -R '{name}'` and connect again"
            ),
        )),
        Verdict::Unknown if settings.accept_new => {
            known_hosts::record(&settings.known_hosts, name, key).map_err(|e| {
                error::host_key(server, format!("cannot record the host key in {file}: {e}"))
            })?;
            log(&format!(
                "{server}: recorded the new host key {key_type} {fingerprint} of {name} in {file}"
            ));
            Ok(())
        }
        Verdict::Unknown => Err(error::host_key(
            server,
            format!(
                "the host {name} is not in {file}: its {key_type} key has the fingerprint \
                 {fingerprint}. If that is the server's key, connect once with \
                 strict_host_key_checking = \"accept-new\" to record it"
            ),
        )),
    }
}

/// Is the private key in `path` protected by a passphrase? (OpenSSH's own format names its
/// cipher; PEM keys say `ENCRYPTED` in their headers.)
fn key_is_encrypted(path: &Path) -> bool {
    use base64::{engine::general_purpose::STANDARD, Engine};
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    if text.contains("ENCRYPTED") {
        return true;
    }
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    let Ok(bytes) = STANDARD.decode(body.trim()) else {
        return false;
    };
    // "openssh-key-v1\0", then the cipher name as an SSH string.
    let Some(rest) = bytes.strip_prefix(b"openssh-key-v1\0") else {
        return false;
    };
    rest.get(4..8) != Some(b"none")
}

fn authenticate(session: &Session, settings: &Settings, server: &str) -> Result<(), BackendError> {
    let user = settings.user.as_str();
    let methods = session
        .auth_methods(user)
        .map(str::to_string)
        .unwrap_or_default();
    if session.authenticated() {
        return Ok(());
    }
    let offers = |method: &str| methods.is_empty() || methods.split(',').any(|m| m == method);
    let mut tried: Vec<String> = Vec::new();
    if offers("publickey") {
        if settings.agent && std::env::var_os("SSH_AUTH_SOCK").is_some() {
            if let Some(note) = try_agent(session, user) {
                tried.push(note);
            }
            if session.authenticated() {
                return Ok(());
            }
        }
        if let Some(missing) = settings.key_file.as_ref().filter(|k| !k.is_file()) {
            tried.push(format!("key {}: no such file", missing.display()));
        }
        let passphrase = settings
            .passphrase
            .as_deref()
            .or(settings.password.as_deref());
        for file in settings.identity_files.iter().filter(|f| f.is_file()) {
            let shown = file.display();
            match session.userauth_pubkey_file(user, None, file, passphrase) {
                Ok(()) if session.authenticated() => return Ok(()),
                Ok(()) => tried.push(format!("key {shown}: refused")),
                Err(e) if matches!(e.code(), ssh2::ErrorCode::Session(-16)) => {
                    let why = match (key_is_encrypted(file), passphrase) {
                        (true, None) => "encrypted, and no passphrase was given",
                        (true, Some(_)) => "wrong passphrase",
                        (false, _) => "unreadable or of an unsupported format",
                    };
                    tried.push(format!("key {shown}: {why}"));
                }
                Err(e) if matches!(e.code(), ssh2::ErrorCode::Session(-18 | -19)) => {
                    tried.push(format!("key {shown}: refused"));
                }
                Err(e) => return Err(error::ssh(e, server, "public-key authentication failed")),
            }
        }
    }
    if let Some(password) = settings.password.as_deref() {
        if offers("password") {
            match session.userauth_password(user, password) {
                Ok(()) if session.authenticated() => return Ok(()),
                Ok(()) | Err(_) => tried.push("password: refused".into()),
            }
        } else if offers("keyboard-interactive") {
            let mut answer = Answer(password.to_string());
            match session.userauth_keyboard_interactive(user, &mut answer) {
                Ok(()) if session.authenticated() => return Ok(()),
                Ok(()) | Err(_) => tried.push("password (keyboard-interactive): refused".into()),
            }
        }
    }
    if tried.is_empty() {
        tried.push(format!(
            "nothing to offer: no ssh-agent, no key file, no password; the server accepts {}",
            if methods.is_empty() {
                "nothing known"
            } else {
                methods.as_str()
            }
        ));
    }
    Err(error::auth(server, user, &tried.join("; ")))
}

/// Tries every key of the ssh-agent; says what was tried, or None when the agent is unusable.
fn try_agent(session: &Session, user: &str) -> Option<String> {
    let mut agent = session.agent().ok()?;
    agent.connect().ok()?;
    agent.list_identities().ok()?;
    let identities = agent.identities().ok()?;
    for identity in &identities {
        if agent.userauth(user, identity).is_ok() && session.authenticated() {
            break;
        }
    }
    let _ = agent.disconnect();
    Some(format!("ssh-agent: {} key(s) refused", identities.len()))
}

/// Answers every keyboard-interactive prompt with the password.
struct Answer(String);

impl ssh2::KeyboardInteractivePrompt for Answer {
    fn prompt<'a>(
        &mut self,
        _username: &str,
        _instructions: &str,
        prompts: &[ssh2::Prompt<'a>],
    ) -> Vec<String> {
        prompts.iter().map(|_| self.0.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_key_types_are_asked_for_first() {
        assert!(host_key_preference(&[]).starts_with("ssh-ed25519,ecdsa"));
        let rsa_first = host_key_preference(&["ssh-rsa".into()]);
        assert!(
            rsa_first.starts_with("rsa-sha2-512,rsa-sha2-256,ssh-rsa,ssh-ed25519"),
            "{rsa_first}"
        );
        assert_eq!(rsa_first.matches("ssh-rsa").count(), 1);
    }
}
