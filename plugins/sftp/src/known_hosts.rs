//! Host-key verification against OpenSSH's `known_hosts` (sshd(8), "SSH_KNOWN_HOSTS FILE
//! FORMAT"): plain host patterns (`*`, `?`, `!negation`, comma-separated), hashed entries
//! (`|1|salt|HMAC-SHA1(salt, host)`), the `[host]:port` form for ports other than 22, and the
//! `@revoked` marker (`@cert-authority` lines are skipped: ferry does not take host
//! certificates). Keys are compared as their wire blobs, so `ssh-rsa` matches whichever RSA
//! signature algorithm was negotiated.
//!
//! An unknown host is recorded only when the user asked for it (`accept-new`), as a new line
//! appended to the file — never by rewriting it; a changed key is never accepted here.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use base64::{engine::general_purpose::STANDARD, engine::general_purpose::STANDARD_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::ssh_config::wildcard_match;

/// What the file says about a host and key.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// A line lists this key for this host.
    Known,
    /// Lines list this host, but with other keys (of the same type: the key changed).
    Changed {
        /// `file:line` of the first such line.
        line: String,
    },
    /// The key is marked `@revoked`.
    Revoked,
    /// No line names this host with a key of this type.
    Unknown,
}

/// One parsed line.
struct Line<'a> {
    number: usize,
    revoked: bool,
    hosts: &'a str,
    key_type: &'a str,
    key: Vec<u8>,
}

fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    text.lines().enumerate().filter_map(|(index, raw)| {
        let raw = raw.trim();
        if raw.is_empty() || raw.starts_with('#') {
            return None;
        }
        let mut fields = raw.split_whitespace();
        let mut first = fields.next()?;
        let mut revoked = false;
        if let Some(marker) = first.strip_prefix('@') {
            match marker {
                "revoked" => revoked = true,
                _ => return None,
            }
            first = fields.next()?;
        }
        let key_type = fields.next()?;
        let key = STANDARD.decode(fields.next()?).ok()?;
        Some(Line {
            number: index + 1,
            revoked,
            hosts: first,
            key_type,
            key,
        })
    })
}

/// How known_hosts names a host: `host`, or `[host]:port` for a port other than 22.
pub fn host_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

fn hosts_match(hosts: &str, name: &str) -> bool {
    if let Some(hashed) = hosts.strip_prefix("|1|") {
        let Some((salt, hash)) = hashed.split_once('|') else {
            return false;
        };
        let (Ok(salt), Ok(hash)) = (STANDARD.decode(salt), STANDARD.decode(hash)) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(&salt) else {
            return false;
        };
        mac.update(name.as_bytes());
        return mac.verify_slice(&hash).is_ok();
    }
    let mut matched = false;
    for pattern in hosts.split(',') {
        if let Some(negated) = pattern.strip_prefix('!') {
            if wildcard_match(negated, name) {
                return false;
            }
        } else if wildcard_match(pattern, name) {
            matched = true;
        }
    }
    matched
}

/// The key type named inside a wire blob (`ssh-ed25519`, `ssh-rsa`, …).
pub fn blob_type(blob: &[u8]) -> Option<&str> {
    let length = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    std::str::from_utf8(blob.get(4..4 + length)?).ok()
}

/// Checks `key` (a wire blob) for `name` (from [`host_name`]) against the text of a file.
pub fn check_text(text: &str, file: &Path, name: &str, key: &[u8]) -> Verdict {
    let key_type = blob_type(key).unwrap_or("");
    let mut verdict = Verdict::Unknown;
    for line in lines(text) {
        if line.revoked {
            if line.key == key {
                return Verdict::Revoked;
            }
            continue;
        }
        if !hosts_match(line.hosts, name) {
            continue;
        }
        if line.key == key {
            if verdict == Verdict::Unknown {
                verdict = Verdict::Known;
            }
        } else if line.key_type == key_type && !matches!(verdict, Verdict::Changed { .. }) {
            verdict = Verdict::Changed {
                line: format!("{}:{}", file.display(), line.number),
            };
        }
    }
    verdict
}

/// The known_hosts files of one connection, read once: the user's, then the system's.
pub struct KnownHosts {
    files: Vec<(PathBuf, String)>,
}

impl KnownHosts {
    /// Reads `paths`; a missing or unreadable file holds no keys.
    pub fn read(paths: &[PathBuf]) -> Self {
        KnownHosts {
            files: paths
                .iter()
                .filter_map(|path| Some((path.clone(), std::fs::read_to_string(path).ok()?)))
                .collect(),
        }
    }

    /// Checks `key` for `name`: a changed or revoked key in any file wins over a match
    /// elsewhere, as the safer answer.
    pub fn check(&self, name: &str, key: &[u8]) -> Verdict {
        let mut verdict = Verdict::Unknown;
        for (file, text) in &self.files {
            match check_text(text, file, name, key) {
                Verdict::Unknown => {}
                Verdict::Known if verdict == Verdict::Unknown => verdict = Verdict::Known,
                Verdict::Known => {}
                bad => return bad,
            }
        }
        verdict
    }

    /// The key types known for `name`, to ask the server for those first (as OpenSSH does), so
    /// that a host known by its RSA key is not called unknown for offering Ed25519.
    pub fn known_types(&self, name: &str) -> Vec<String> {
        let mut types: Vec<String> = Vec::new();
        for (_, text) in &self.files {
            for line in lines(text) {
                if line.revoked || !hosts_match(line.hosts, name) {
                    continue;
                }
                if let Some(t) = blob_type(&line.key) {
                    if !types.iter().any(|known| known == t) {
                        types.push(t.to_string());
                    }
                }
            }
        }
        types
    }
}

/// OpenSSH's fingerprint of a key: `SHA256:` and the unpadded base64 of its blob's SHA-256.
pub fn fingerprint(key: &[u8]) -> String {
    format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(key)))
}

/// Appends `name key` to `file` (created with mode 600, its directory 700, when missing).
pub fn record(file: &Path, name: &str, key: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = file.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let needs_newline = std::fs::read(file)
        .map(|bytes| !bytes.is_empty() && !bytes.ends_with(b"\n"))
        .unwrap_or(false);
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(file)?;
    let line = format!(
        "{}{name} {} {}\n",
        if needs_newline { "\n" } else { "" },
        blob_type(key).unwrap_or("ssh-unknown"),
        STANDARD.encode(key)
    );
    out.write_all(line.as_bytes())?;
    out.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(key_type: &str, body: &[u8]) -> Vec<u8> {
        let mut blob = (key_type.len() as u32).to_be_bytes().to_vec();
        blob.extend_from_slice(key_type.as_bytes());
        blob.extend_from_slice(body);
        blob
    }

    fn hashed(name: &str, salt: &[u8]) -> String {
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(salt).unwrap();
        mac.update(name.as_bytes());
        format!(
            "|1|{}|{}",
            STANDARD.encode(salt),
            STANDARD.encode(mac.finalize().into_bytes())
        )
    }

    #[test]
    fn plain_hashed_and_bracketed_entries() {
        let ed = blob("ssh-ed25519", b"one");
        let other_ed = blob("ssh-ed25519", b"two");
        let rsa = blob("ssh-rsa", b"three");
        let text = format!(
            "# comment\n\
             web.example.org,10.0.0.1 ssh-ed25519 {}\n\
             {} ssh-ed25519 {} hashed\n\
             [127.0.0.1]:2222 ssh-rsa {}\n\
             *.lan,!bad.lan ssh-ed25519 {}\n\
             @cert-authority * ssh-ed25519 {}\n",
            STANDARD.encode(&ed),
            hashed("[127.0.0.1]:2200", b"0123456789abcdefghij"),
            STANDARD.encode(&ed),
            STANDARD.encode(&rsa),
            STANDARD.encode(&other_ed),
            STANDARD.encode(&other_ed),
        );
        let file = Path::new("kh");
        assert_eq!(
            check_text(&text, file, "web.example.org", &ed),
            Verdict::Known
        );
        assert_eq!(check_text(&text, file, "10.0.0.1", &ed), Verdict::Known);
        assert_eq!(
            check_text(&text, file, "[127.0.0.1]:2200", &ed),
            Verdict::Known
        );
        assert_eq!(
            check_text(&text, file, "[127.0.0.1]:2201", &ed),
            Verdict::Unknown
        );
        assert_eq!(
            check_text(&text, file, "web.example.org", &other_ed),
            Verdict::Changed {
                line: "kh:2".into()
            }
        );
        // Another key type than the one known is not a change: the server may have several.
        assert_eq!(
            check_text(&text, file, "[127.0.0.1]:2222", &ed),
            Verdict::Unknown
        );
        assert_eq!(
            check_text(&text, file, "[127.0.0.1]:2222", &rsa),
            Verdict::Known
        );
        assert_eq!(check_text(&text, file, "a.lan", &other_ed), Verdict::Known);
        assert_eq!(
            check_text(&text, file, "bad.lan", &other_ed),
            Verdict::Unknown
        );
        let revoked = format!("@revoked * ssh-ed25519 {}\n{text}", STANDARD.encode(&ed));
        assert_eq!(
            check_text(&revoked, file, "web.example.org", &ed),
            Verdict::Revoked
        );
    }

    #[test]
    fn recorded_keys_are_known_afterwards_and_the_file_is_appended_to() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ssh/known_hosts");
        let key = blob("ssh-ed25519", b"new");
        let known = || KnownHosts::read(std::slice::from_ref(&file));
        assert_eq!(known().check("[h]:2", &key), Verdict::Unknown);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, "other ssh-rsa AAAA").unwrap();
        record(&file, "[h]:2", &key).unwrap();
        assert_eq!(known().check("[h]:2", &key), Verdict::Known);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("other ssh-rsa AAAA\n[h]:2 ssh-ed25519 "),
            "{text}"
        );
        assert_eq!(known().known_types("[h]:2"), ["ssh-ed25519"]);
    }

    #[test]
    fn fingerprints_are_openssh_s() {
        // ssh-keygen -lf prints SHA256 of the blob in unpadded base64.
        assert_eq!(
            fingerprint(b""),
            "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
        );
    }
}
