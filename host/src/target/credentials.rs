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
        if let (Some(user), true) = (user, std::io::stdin().is_terminal()) {
            let prompt = format!("password for {user}@{}: ", self.host);
            let password = rpassword::prompt_password(prompt)
                .with_context(|| super::about(self.shown, "cannot read the password"))?;
            return Ok(Some((None, password)));
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

/// What a netrc file holds for a host: its `machine` entry, and the `default` one.
#[derive(Debug, Default, PartialEq)]
struct Netrc {
    machine: Option<Found>,
    default: Option<Found>,
}

/// The entries of `$NETRC` or `~/.netrc` for `host`: the first `machine HOST` entry whose
/// login matches `user` (any login when `user` is None), and the `default` entry.
fn netrc_lookup(host: &str, user: Option<&str>) -> Option<Netrc> {
    let path = std::env::var_os("NETRC")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".netrc")))?;
    Some(parse_netrc(
        &std::fs::read_to_string(path).ok()?,
        host,
        user,
    ))
}

fn parse_netrc(text: &str, host: &str, user: Option<&str>) -> Netrc {
    let mut tokens = text.split_whitespace().peekable();
    let mut found = Netrc::default();
    while let Some(token) = tokens.next() {
        let machine = match token {
            "machine" => tokens.next().map(String::from),
            "default" => None,
            "macdef" => {
                // A macro runs to the next blank line; ferry has no use for it.
                for t in tokens.by_ref() {
                    if t.is_empty() {
                        break;
                    }
                }
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
