//! Target identity: one canonical spelling per place, so that the state key, the lock, the
//! same-place and overlap checks and every message agree on which place a target is
//! (sync-semantics §6 "Targets").
//!
//! - a local path is made absolute, the symlinks of its existing part resolved, `.`, `..`, `//`
//!   and a trailing `/` removed; `file:///abs/dir` is the same place as `/abs/dir`;
//! - a URL's scheme and host are lower-cased, the plugin's default port made explicit, empty
//!   path segments and a trailing `/` dropped (a leading `//` is kept where the plugin reads
//!   paths from a login directory, as sftp does: there it means an absolute path), the path's
//!   percent-encoding made canonical, and the password removed (it is never part of an
//!   identity, a label or a message).
//!
//! Spellings ferry used before this module existed are kept as [`Identity::legacy_label`] so
//! that a state written under them is still found.

use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Result};
use ferry_plugin_api::location::Location;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// Characters escaped in a canonical URL path segment: what RFC 3986 does not allow in a segment
/// unescaped, plus `%` itself.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Where a target is, canonically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The plugin serving it.
    pub plugin: String,
    /// `scheme://user@host:port` of a URL target (no password); `None` for a local path.
    pub authority: Option<String>,
    /// The decoded path segments below the server's (or file system's) root.
    pub segments: Vec<String>,
    /// The label ferry keyed the state by before targets were normalised.
    pub legacy_label: String,
}

impl Identity {
    /// A local directory. `path` must be absolute.
    pub fn local(plugin: &str, path: &Path) -> Result<Self> {
        let canonical = canonical_local_path(path)?;
        let segments = canonical
            .components()
            .filter_map(|c| match c {
                Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        Ok(Identity {
            plugin: plugin.to_string(),
            authority: None,
            segments,
            legacy_label: format!("{plugin}:{}", path.display()),
        })
    }

    /// A URL target. `default_port` is the port the plugin uses for this scheme when none is
    /// written (none known: the port is kept as written).
    pub fn url(
        plugin: &str,
        text: &str,
        default_port: Option<u16>,
        login_relative: bool,
    ) -> Result<Self> {
        let location = Location::parse(text).map_err(|e| anyhow::anyhow!("{}", e.message))?;
        let mut authority = format!("{}://", location.scheme);
        if let Some(user) = &location.user {
            authority.push_str(&utf8_percent_encode(user, SEGMENT).to_string());
            authority.push('@');
        }
        if location.host.contains(':') {
            authority.push_str(&format!("[{}]", location.host));
        } else {
            authority.push_str(&location.host);
        }
        if let Some(port) = location.port.or(default_port) {
            authority.push_str(&format!(":{port}"));
        }
        // Where paths start at a login directory, `sftp://h//srv` (absolute) and `sftp://h/srv`
        // (below the login directory) may be different places: never one identity, never one
        // baseline. Elsewhere (FTP) `//srv` is `/srv`, one place.
        if location.rooted && login_relative {
            authority.push('/');
        }
        Ok(Identity {
            plugin: plugin.to_string(),
            authority: Some(authority),
            segments: location.segments,
            legacy_label: format!("{plugin}:{}", redact(text)),
        })
    }

    /// The canonical path (`/a/b`, `/` for the root), percent-encoded for a URL.
    pub fn path(&self) -> String {
        let encode = self.authority.is_some();
        let mut path = String::new();
        for segment in &self.segments {
            path.push('/');
            if encode {
                path.push_str(&utf8_percent_encode(segment, SEGMENT).to_string());
            } else {
                path.push_str(segment);
            }
        }
        if path.is_empty() {
            path.push('/');
        }
        path
    }

    /// The place as shown to the user: the canonical path, or the canonical URL without a
    /// password.
    pub fn display(&self) -> String {
        match &self.authority {
            Some(authority) => format!("{authority}{}", self.path()),
            None => self.path(),
        }
    }

    /// The label the baseline is keyed by: `plugin:place`.
    pub fn label(&self) -> String {
        format!("{}:{}", self.plugin, self.display())
    }

    /// Do the two targets name the same place, or is one inside the other? Then a sync between
    /// them would read what it writes (or delete its own source).
    pub fn overlap(&self, other: &Identity) -> Option<Overlap> {
        if self.plugin != other.plugin || self.authority != other.authority {
            return None;
        }
        let shorter = self.segments.len().min(other.segments.len());
        if self.segments[..shorter] != other.segments[..shorter] {
            return None;
        }
        Some(match self.segments.len().cmp(&other.segments.len()) {
            std::cmp::Ordering::Equal => Overlap::Same,
            std::cmp::Ordering::Less => Overlap::FirstContainsSecond,
            std::cmp::Ordering::Greater => Overlap::SecondContainsFirst,
        })
    }
}

/// How two targets overlap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlap {
    /// They are one place.
    Same,
    /// The second is inside the first.
    FirstContainsSecond,
    /// The first is inside the second.
    SecondContainsFirst,
}

/// Refuses a pair of targets that overlap, naming both as written (`shown`) and where they are.
pub fn refuse_overlap(
    (first, first_shown): (&Identity, &str),
    (second, second_shown): (&Identity, &str),
) -> Result<()> {
    let Some(overlap) = first.overlap(second) else {
        return Ok(());
    };
    let (first_shown, second_shown) = (redact(first_shown), redact(second_shown));
    match overlap {
        Overlap::Same => bail!(
            "`{first_shown}` and `{second_shown}` are the same place ({}); nothing was changed",
            first.display()
        ),
        Overlap::FirstContainsSecond => bail!(
            "`{second_shown}` ({}) is inside `{first_shown}` ({}); a sync between them would copy or delete its own files, so nothing was changed",
            second.display(),
            first.display()
        ),
        Overlap::SecondContainsFirst => bail!(
            "`{first_shown}` ({}) is inside `{second_shown}` ({}); a sync between them would copy or delete its own files, so nothing was changed",
            first.display(),
            second.display()
        ),
    }
}

/// `path` made canonical: the longest existing ancestor resolved by the file system (symlinks,
/// `..`), the rest normalised lexically.
fn canonical_local_path(path: &Path) -> Result<PathBuf> {
    for ancestor in path.ancestors() {
        let Ok(base) = std::fs::canonicalize(ancestor) else {
            continue;
        };
        let rest = path
            .strip_prefix(ancestor)
            .expect("an ancestor is a prefix");
        let mut canonical = base;
        for component in rest.components() {
            match component {
                Component::Normal(name) => canonical.push(name),
                Component::ParentDir => {
                    canonical.pop();
                }
                _ => {}
            }
        }
        return Ok(canonical);
    }
    bail!("`{}`: no part of this path exists", path.display())
}

pub use ferry_plugin_api::location::redact;

/// The password written in a URL's user info, percent-decoded, if there is one.
pub fn url_password(location: &str) -> Option<String> {
    Location::parse(location).ok()?.password
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Identity {
        Identity::url("ftp", text, Some(21), false).unwrap()
    }

    #[test]
    fn url_spellings_of_one_place_are_one_identity() {
        let canonical = url("ftp://u@h.example:21/www/site");
        for spelling in [
            "FTP://u@H.Example/www/site/",
            "ftp://u:secret@h.example/www//site",
            "ftp://u@h.example:21/www/site/",
        ] {
            assert_eq!(
                url(spelling),
                Identity {
                    legacy_label: url(spelling).legacy_label,
                    ..canonical.clone()
                },
                "{spelling}"
            );
        }
        assert_eq!(canonical.label(), "ftp:ftp://u@h.example:21/www/site");
        assert_ne!(url("ftp://v@h.example/www/site"), canonical);
        assert_ne!(url("ftp://u@h.example:2121/www/site"), canonical);
        // Dot segments are refused, as every plugin refuses them.
        assert!(Identity::url("ftp", "ftp://u@h/www/../site", Some(21), false).is_err());
    }

    #[test]
    fn a_leading_double_slash_names_another_place() {
        let sftp = |text: &str| Identity::url("sftp", text, Some(22), true).unwrap();
        let below_login = sftp("sftp://u@h/srv/www");
        let absolute = sftp("sftp://u@h//srv/www");
        assert_ne!(below_login, absolute);
        assert_eq!(absolute.display(), "sftp://u@h:22//srv/www");
        assert_eq!(sftp("sftp://u@h//").display(), "sftp://u@h:22//");
        assert!(below_login.overlap(&absolute).is_none());
        assert!(absolute.overlap(&sftp("sftp://u@h//srv/www/x")).is_some());
        // On FTP a path is from the server's root either way: one place.
        assert_eq!(
            url("ftp://u@h//www"),
            Identity {
                legacy_label: url("ftp://u@h//www").legacy_label,
                ..url("ftp://u@h/www")
            }
        );
    }

    #[test]
    fn percent_encoding_is_canonical_and_passwords_never_show() {
        let a = url("ftp://u:p%40ss@h/a%20b/%63");
        let b = url("ftp://u@h/a b/c");
        assert_eq!(a.segments, b.segments);
        assert_eq!(a.display(), "ftp://u@h:21/a%20b/c");
        assert!(!a.label().contains("p%40ss") && !a.legacy_label.contains("p%40ss"));
        assert_eq!(url_password("ftp://u:p%40ss@h/").as_deref(), Some("p@ss"));
        assert_eq!(redact("ftp://u:secret@h:21/x"), "ftp://u@h:21/x");
        assert_eq!(redact("ftp://h/x@y"), "ftp://h/x@y");
        assert_eq!(redact("/local/a:b@c"), "/local/a:b@c");
    }

    #[test]
    fn local_spellings_resolve_symlinks_and_dots() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir_all(real.join("sub")).unwrap();
        std::os::unix::fs::symlink(&real, dir.path().join("link")).unwrap();
        let canonical = Identity::local("local", &real).unwrap();
        for spelling in [
            real.join("sub/.."),
            dir.path().join("link"),
            dir.path().join("link/sub/.."),
            real.join("."),
        ] {
            assert_eq!(
                Identity::local("local", &spelling).unwrap().segments,
                canonical.segments,
                "{}",
                spelling.display()
            );
        }
        // A path that does not exist yet is normalised too.
        let missing = Identity::local("local", &dir.path().join("link/new/../new2")).unwrap();
        assert_eq!(missing.display(), format!("{}/new2", canonical.display()));
    }

    #[test]
    fn overlaps_are_found_by_whole_segments() {
        let top = url("ftp://u@h/www");
        assert_eq!(top.overlap(&url("ftp://u@h/www/")), Some(Overlap::Same));
        assert_eq!(
            top.overlap(&url("ftp://u@h/www/sub")),
            Some(Overlap::FirstContainsSecond)
        );
        assert_eq!(
            url("ftp://u@h/www/sub").overlap(&top),
            Some(Overlap::SecondContainsFirst)
        );
        assert_eq!(top.overlap(&url("ftp://u@h/www2")), None);
        assert_eq!(top.overlap(&url("ftp://other@h/www/sub")), None);
        let error = refuse_overlap(
            (&url("ftp://u@h/www/sub"), "ftp://u:pw@h/www/sub"),
            (&top, "ftp://u@h/www"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("is inside") && !error.contains("pw"),
            "{error}"
        );
    }
}
