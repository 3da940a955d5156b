//! The password chain for a target whose plugin takes a password, after the URL's own (first
//! match wins). Sources that name this server come before the global one, so that a run
//! between two servers never sends one server's password to the other: the remote's
//! `password_command`, the `machine HOST` entry of `~/.netrc` (with its login, if the URL names
//! none), the system keyring's `USER@HOST` (with the `keyring` feature); then
//! `$FERRY_PASSWORD`, the netrc `default` entry, and a prompt on a terminal. Passwords found
//! here never reach a label or a message.

use std::io::IsTerminal;

use anyhow::{bail, Context, Result};

use crate::config::Remote;

/// Where to look, and for whom.
pub struct Lookup<'a> {
    /// The target as shown in messages (no password).
    pub shown: &'a str,
    /// The named remote the target came from.
    pub remote: Option<&'a Remote>,
    /// The server's host name.
    pub host: &'a str,
    /// The login, from the remote's options or the URL.
    pub user: Option<String>,
    /// Ask on a terminal as the last step. Off for plugins that log in with keys first
    /// (`password_prompt = on-refusal`): they are asked only after a refused login.
    pub prompt: bool,
}

/// A password found, with the login that goes with it when the source supplied one (netrc).
pub type Found = (Option<String>, String);

impl Lookup<'_> {
    /// Runs the chain; `None` when nothing had a password.
    pub fn find(&self) -> Result<Option<Found>> {
        if let Some(password) = self.command()? {
            return Ok(Some((None, password)));
        }
        let user = self.user.as_deref();
        let netrc = netrc_lookup(self.host, user);
        let with_login =
            |(login, password): Found| (if user.is_none() { login } else { None }, password);
        if let Some(found) = netrc.as_ref().and_then(|n| n.machine.clone()) {
            return Ok(Some(with_login(found)));
        }
        if let Some(password) = user.and_then(|user| keyring_lookup(self.host, user)) {
            return Ok(Some((None, password)));
        }
        if let Ok(password) = std::env::var("FERRY_PASSWORD") {
            return Ok(Some((None, password)));
        }
        if let Some(found) = netrc.and_then(|n| n.default) {
            return Ok(Some(with_login(found)));
        }
        if let (Some(user), true) = (user, self.prompt) {
            return ask(self.shown, user, self.host);
        }
        Ok(None)
    }

    /// The remote's `password_command`, if it has one.
    fn command(&self) -> Result<Option<String>> {
        let Some(command) = self.remote.and_then(|r| r.password_command.as_deref()) else {
            return Ok(None);
        };
        let output = std::process::Command::new("sh")
            .args(["-c", command])
            .stderr(std::process::Stdio::inherit())
            .output()
            .with_context(|| super::about(self.shown, "cannot run the password_command"))?;
        if !output.status.success() {
            bail!(super::about(
                self.shown,
                format!("the password_command failed ({})", output.status)
            ));
        }
        let text = String::from_utf8(output.stdout)
            .with_context(|| super::about(self.shown, "the password_command printed non-UTF-8"))?;
        Ok(Some(text.trim_end_matches(['\r', '\n']).to_string()))
    }
}

/// Asks for `user@host`'s password on the terminal; `None` without one.
pub fn ask(shown: &str, user: &str, host: &str) -> Result<Option<Found>> {
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let prompt = format!("password for {user}@{host}: ");
    let password = rpassword::prompt_password(prompt)
        .with_context(|| super::about(shown, "cannot read the password"))?;
    Ok(Some((None, password)))
}

/// What a netrc file holds for a host: its `machine` entry, and the `default` one.
#[derive(Debug, Default, PartialEq)]
struct Netrc {
    machine: Option<Found>,
    default: Option<Found>,
}

/// The entries of `$NETRC` or `~/.netrc` for `host`: the first `machine HOST` entry whose
/// login matches `user` (any login when `user` is None), and the `default` entry. A file that
/// others may read is still used, with a warning (curl's behaviour; ftp(1) and Python refuse).
fn netrc_lookup(host: &str, user: Option<&str>) -> Option<Netrc> {
    let path = std::env::var_os("NETRC")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".netrc")))?;
    let text = std::fs::read_to_string(&path).ok()?;
    let found = parse_netrc(&text, host, user);
    if found.machine.is_some() || found.default.is_some() {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).map_or(0, |m| m.permissions().mode());
        if mode & 0o077 != 0 {
            crate::plugins::host_services::warn(&format!(
                "{} holds passwords and others may read it (mode {:o}); chmod 600 it",
                path.display(),
                mode & 0o777
            ));
        }
    }
    Some(found)
}

/// The words of a netrc file as curl and Python's netrc read them: separated by white space,
/// a word in double quotes may hold spaces and `\"`, `\\`, `\n`, `\r`, `\t` escapes, and a
/// `macdef` body (up to the next empty line) is skipped.
fn netrc_tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let mut word = String::new();
        if first == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('n') => word.push('\n'),
                        Some('r') => word.push('\r'),
                        Some('t') => word.push('\t'),
                        Some(other) => word.push(other),
                        None => break,
                    },
                    other => word.push(other),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        let macro_definition = word == "macdef";
        tokens.push(word);
        if macro_definition {
            // The macro's name, then its body up to an empty line: not netrc words.
            let rest: String = chars.by_ref().collect();
            let mut lines = rest.split_inclusive('\n');
            if let Some(name_line) = lines.next() {
                if let Some(name) = name_line.split_whitespace().next() {
                    tokens.push(name.to_string());
                }
            }
            let mut after = String::new();
            let mut in_body = true;
            for line in lines {
                if in_body {
                    in_body = !line.trim().is_empty();
                } else {
                    after.push_str(line);
                }
            }
            tokens.extend(netrc_tokens(&after));
            break;
        }
    }
    tokens
}

fn parse_netrc(text: &str, host: &str, user: Option<&str>) -> Netrc {
    let tokens = netrc_tokens(text);
    let mut tokens = tokens.iter().map(String::as_str).peekable();
    let mut found = Netrc::default();
    while let Some(token) = tokens.next() {
        let machine = match token {
            "machine" => tokens.next().map(String::from),
            "default" => None,
            "macdef" => {
                tokens.next();
                continue;
            }
            _ => continue,
        };
        let (mut login, mut password) = (None, None);
        while let Some(&next) = tokens.peek() {
            if matches!(next, "machine" | "default" | "macdef") {
                break;
            }
            tokens.next();
            match next {
                "login" => login = tokens.next().map(String::from),
                "password" => password = tokens.next().map(String::from),
                "account" => {
                    tokens.next();
                }
                _ => {}
            }
        }
        let Some(password) = password else { continue };
        let login_fits = user.is_none() || login.as_deref() == user || login.is_none();
        match machine {
            Some(name) if name == host && login_fits && found.machine.is_none() => {
                found.machine = Some((login, password));
            }
            None if found.default.is_none() && login_fits => {
                found.default = Some((login, password));
            }
            _ => {}
        }
    }
    found
}

/// The password stored in the system keyring (service `ferry`, account `USER@HOST`), with the
/// `keyring` feature. No keyring service, no entry, or a locked keyring is not an error: the
/// chain goes on to the prompt.
#[cfg(feature = "keyring")]
fn keyring_lookup(host: &str, user: &str) -> Option<String> {
    let account = format!("{user}@{host}");
    if !keyring_reachable() {
        crate::plugins::host_services::debug(&format!(
            "keyring: not asked for {account}: no D-Bus session bus, so no Secret Service"
        ));
        return None;
    }
    match keyring::Entry::new("ferry", &account).and_then(|entry| entry.get_password()) {
        Ok(password) => Some(password),
        Err(error) => {
            crate::plugins::host_services::debug(&format!(
                "keyring: no password for {account}: {error}"
            ));
            None
        }
    }
}

/// Could a keyring service answer? On Linux and the BSDs the Secret Service is reached over
/// the D-Bus session bus, which the client finds through `$DBUS_SESSION_BUS_ADDRESS`, else at
/// the socket `$XDG_RUNTIME_DIR/bus` (`/run/user/EUID/bus`) — zbus's `Address::session`. With
/// neither there is nobody to ask, and asking anyway loads and starts the whole D-Bus client:
/// about 2 MiB of a transfer's memory, for an answer known in advance. Elsewhere (Keychain,
/// Windows Credential Manager) the keyring is always there to ask.
#[cfg(feature = "keyring")]
fn keyring_reachable() -> bool {
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        session_bus_reachable(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").as_deref(),
            std::env::var_os("XDG_RUNTIME_DIR").as_deref(),
            // SAFETY: geteuid has no preconditions and cannot fail.
            unsafe { libc::geteuid() },
        )
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    true
}

/// [`keyring_reachable`] from the environment it reads: a bus address names a bus (which may
/// still refuse: the lookup then fails quietly); without one, the bus socket must exist.
#[cfg(all(feature = "keyring", unix, not(target_os = "macos")))]
fn session_bus_reachable(
    address: Option<&std::ffi::OsStr>,
    runtime_dir: Option<&std::ffi::OsStr>,
    euid: u32,
) -> bool {
    if address.is_some() {
        return true;
    }
    let runtime_dir = runtime_dir.map_or_else(
        || std::path::PathBuf::from(format!("/run/user/{euid}")),
        std::path::PathBuf::from,
    );
    // A socket, or anything else there: only a missing path is proof of no bus.
    std::fs::symlink_metadata(runtime_dir.join("bus")).is_ok()
}

/// Stores `password` in the system keyring where [`keyring_lookup`] finds it.
#[cfg(feature = "keyring")]
pub fn store_in_keyring(host: &str, user: &str, password: &str) -> Result<()> {
    let account = format!("{user}@{host}");
    keyring::Entry::new("ferry", &account)
        .and_then(|entry| entry.set_password(password))
        .with_context(|| {
            format!("cannot store the password for {account} in the system keyring (is a keyring service such as GNOME Keyring or KWallet running?); use a password_command or ~/.netrc instead")
        })
}

/// Built without the `keyring` feature: there is no keyring to store in.
#[cfg(not(feature = "keyring"))]
pub fn store_in_keyring(_host: &str, _user: &str, _password: &str) -> Result<()> {
    bail!("this ferry was built without the keyring feature (see ferry --version); use a password_command or ~/.netrc instead")
}

/// Built without the `keyring` feature: there is no keyring to ask.
#[cfg(not(feature = "keyring"))]
fn keyring_lookup(_host: &str, _user: &str) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "keyring")]
    #[test]
    fn a_missing_keyring_service_is_a_quiet_fallback() {
        // CI machines run no Secret Service: the lookup finds nothing and does not fail.
        assert_eq!(keyring_lookup("127.0.0.1", "ferry-no-such-account"), None);
    }

    #[cfg(all(feature = "keyring", unix, not(target_os = "macos")))]
    #[test]
    fn the_session_bus_is_looked_for_where_the_d_bus_client_looks() {
        use std::ffi::OsStr;
        let dir = tempfile::tempdir().unwrap();
        let runtime = Some(dir.path().as_os_str());
        assert!(
            !session_bus_reachable(None, runtime, 0),
            "no address, no socket"
        );
        assert!(session_bus_reachable(
            Some(OsStr::new("unix:path=/nowhere")),
            runtime,
            0
        ));
        std::fs::write(dir.path().join("bus"), "").unwrap();
        assert!(
            session_bus_reachable(None, runtime, 0),
            "the socket is there"
        );
        assert!(
            !session_bus_reachable(None, None, u32::MAX),
            "/run/user/EUID/bus without $XDG_RUNTIME_DIR"
        );
    }

    #[test]
    fn netrc_quoting_and_macros_as_curl_reads_them() {
        let text = "macdef init\ncd /pub\nbinary\n\nmachine a.example login \"bob smith\" password \"p w\\\"q\\\\\"\n\
                    machine b.example login x password \"\" account acct\n";
        assert_eq!(
            parse_netrc(text, "a.example", None).machine,
            Some((Some("bob smith".into()), "p w\"q\\".into())),
            "the entry after a macro is read, quotes and escapes undone"
        );
        assert_eq!(
            parse_netrc(text, "b.example", None).machine,
            Some((Some("x".into()), String::new()))
        );
        // A macro whose body mentions machine words does not define entries.
        let text = "macdef m\nmachine evil.example login x password stolen\n\nmachine ok.example password good\n";
        assert_eq!(parse_netrc(text, "evil.example", None).machine, None);
        assert_eq!(
            parse_netrc(text, "ok.example", None).machine,
            Some((None, "good".into()))
        );
    }

    #[test]
    fn netrc_entries() {
        let text = "machine a.example login bob password pw1\nmachine b.example\n  login carol\n  password pw2\ndefault login anon password pw3\n";
        let default = Some((Some("anon".into()), "pw3".into()));
        assert_eq!(
            parse_netrc(text, "b.example", None),
            Netrc {
                machine: Some((Some("carol".into()), "pw2".into())),
                default: default.clone()
            }
        );
        assert_eq!(
            parse_netrc(text, "a.example", Some("bob")).machine,
            Some((Some("bob".into()), "pw1".into()))
        );
        assert_eq!(parse_netrc(text, "a.example", Some("eve")).machine, None);
        assert_eq!(
            parse_netrc(text, "c.example", None),
            Netrc {
                machine: None,
                default
            }
        );
    }
}
