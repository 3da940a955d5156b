//! The part of OpenSSH's client configuration (`~/.ssh/config`, ssh_config(5)) that names a
//! server: `Host` blocks with HostName, User, Port and IdentityFile, so that `sftp://alias/x`
//! reaches what `ssh alias` reaches. As in OpenSSH, the first value found for a keyword wins
//! (IdentityFile accumulates), keywords are case-insensitive, `Keyword value` and
//! `Keyword=value` are both accepted, and `Host` patterns take `*`, `?` and `!negation`. `Match`
//! blocks are skipped (their conditions need a running ssh); `Include` is not followed.

use std::path::{Path, PathBuf};

use ferry_plugin_api::{BackendError, ErrorKind};

/// What the configuration says about one host.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HostConfig {
    /// `HostName`.
    pub host_name: Option<String>,
    /// `User`.
    pub user: Option<String>,
    /// `Port`.
    pub port: Option<u16>,
    /// `IdentityFile`s, `~` expanded.
    pub identity_files: Vec<PathBuf>,
}

/// Reads `path` for `host`. A missing file is an empty configuration unless `required`.
pub fn read(path: &Path, host: &str, required: bool) -> Result<HostConfig, BackendError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, host).map_err(|message| {
            BackendError::new(
                ErrorKind::INVALID_CONFIG,
                format!("{}: {message}", path.display()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            Ok(HostConfig::default())
        }
        Err(e) => Err(BackendError::new(
            ErrorKind::INVALID_CONFIG,
            format!("cannot read {}: {e}", path.display()),
        )),
    }
}

/// Parses configuration `text` for `host`.
pub fn parse(text: &str, host: &str) -> Result<HostConfig, String> {
    let mut config = HostConfig::default();
    let mut applies = true;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (keyword, value) = split_keyword(line);
        let keyword = keyword.to_ascii_lowercase();
        let value = unquote(value);
        match keyword.as_str() {
            "host" => applies = host_matches(value, host),
            "match" => applies = false,
            _ if !applies => {}
            "hostname" if config.host_name.is_none() => {
                config.host_name = Some(value.replace("%h", host));
            }
            "user" if config.user.is_none() => config.user = Some(value.to_string()),
            "port" if config.port.is_none() => {
                config.port = Some(value.parse().map_err(|_| {
                    format!("line {}: Port `{value}` is not a port number", number + 1)
                })?);
            }
            "identityfile" => config.identity_files.push(identity_path(value, host)),
            _ => {}
        }
    }
    Ok(config)
}

fn split_keyword(line: &str) -> (&str, &str) {
    let end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let (keyword, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
    (keyword, rest)
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

/// An IdentityFile value as a path: `%h` is the host, `%%` a `%`, a leading `~` the home.
fn identity_path(value: &str, host: &str) -> PathBuf {
    let value = value.replace("%h", host).replace("%%", "%");
    crate::config::expand_tilde(Path::new(&value))
}

/// Does a `Host` line's pattern list match `host`? Any positive pattern must match and no
/// negated one may.
fn host_matches(patterns: &str, host: &str) -> bool {
    let mut matched = false;
    for pattern in patterns.split_whitespace() {
        if let Some(negated) = pattern.strip_prefix('!') {
            if wildcard_match(negated, host) {
                return false;
            }
        } else if wildcard_match(pattern, host) {
            matched = true;
        }
    }
    matched
}

/// `*` and `?` glob matching, case-insensitive (host names are).
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let text: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut p, mut t) = (0, 0);
    let (mut star, mut star_t) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            star_t = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            star_t += 1;
            t = star_t;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
# a comment
Host web  prod-*  !prod-old
    HostName %h.example.org
    User deploy
    Port=2222
    IdentityFile ~/.ssh/deploy_key
Match host other
    User nobody
Host *
    User fallback
    IdentityFile \"/etc/keys/all\"
    Port 22
";

    #[test]
    fn aliases_take_the_first_value_and_accumulate_identity_files() {
        let web = parse(CONFIG, "web").unwrap();
        assert_eq!(web.host_name.as_deref(), Some("web.example.org"));
        assert_eq!(web.user.as_deref(), Some("deploy"));
        assert_eq!(web.port, Some(2222));
        assert_eq!(
            web.identity_files,
            [
                crate::config::home().join(".ssh/deploy_key"),
                PathBuf::from("/etc/keys/all")
            ]
        );
        let other = parse(CONFIG, "prod-old").unwrap();
        assert_eq!(other.host_name, None);
        assert_eq!(
            other.user.as_deref(),
            Some("fallback"),
            "Match blocks are skipped"
        );
        assert_eq!(other.port, Some(22));
        assert_eq!(parse(CONFIG, "PROD-1").unwrap().port, Some(2222));
    }

    #[test]
    fn a_bad_port_names_its_line() {
        let e = parse("Host *\n  Port twenty\n", "h").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*.example.org", "a.example.org"));
        assert!(wildcard_match("h?st", "host"));
        assert!(!wildcard_match("h?st", "hoost"));
        assert!(wildcard_match("*", ""));
        assert!(!wildcard_match("a*b", "acbd"));
    }
}
