//! Target URLs as plugins receive them in their `location` option (`ftp://user:pw@host:21/www`,
//! `exist+https://host/db/x`, `file:///srv/x`), parsed in one place for every plugin with the
//! `url` crate: scheme and host lower-cased, user, password and path percent-decoded once,
//! IPv6 hosts without brackets. A path with `.` or `..` segments, or a segment that decodes to
//! `/` or NUL, is refused rather than resolved: a target names one place as written.

use crate::{BackendError, ErrorKind};

/// A parsed target URL.
#[derive(Clone, PartialEq, Eq)]
pub struct Location {
    /// The scheme, lower-cased (`ftp`, `ftps+implicit`, `exist`, `file`).
    pub scheme: String,
    /// The user, decoded.
    pub user: Option<String>,
    /// The password, decoded.
    pub password: Option<String>,
    /// The host, lower-cased, without IPv6 brackets (empty for `file://`).
    pub host: String,
    /// The port, if the URL names one.
    pub port: Option<u16>,
    /// The path's segments, decoded; empty segments (`//`, a trailing `/`) dropped.
    pub segments: Vec<String>,
    /// The path starts with `//`. Where a plugin reads paths relative to a login directory
    /// (sftp), this marks an absolute one; elsewhere it means nothing.
    pub rooted: bool,
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Location")
            .field("scheme", &self.scheme)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("host", &self.host)
            .field("port", &self.port)
            .field("segments", &self.segments)
            .field("rooted", &self.rooted)
            .finish()
    }
}

fn invalid(shown: &str, why: &str) -> BackendError {
    BackendError::new(ErrorKind::INVALID_CONFIG, format!("`{shown}`: {why}"))
}

fn decode(text: &str, shown: &str) -> Result<String, BackendError> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| invalid(shown, "not UTF-8 after percent-decoding"))
}

impl Location {
    /// Parses `text`. A URL needs a host unless its scheme is `file`. Errors are
    /// `INVALID_CONFIG` and show the URL without its password.
    pub fn parse(text: &str) -> Result<Self, BackendError> {
        let shown = redact(text);
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(invalid(&shown, "not a URL (scheme://host/path)"));
        };
        let scheme = scheme.to_ascii_lowercase();
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let (authority, raw_path) = rest.split_at(authority_end);
        if authority.is_empty() && scheme != "file" {
            return Err(invalid(&shown, "no host"));
        }
        let mut segments = Vec::new();
        for raw in raw_path.split('/').filter(|s| !s.is_empty()) {
            let segment = decode(raw, &shown)?;
            if segment == "." || segment == ".." {
                return Err(invalid(&shown, "the path may not contain `.` or `..`"));
            }
            if segment.contains(['/', '\0']) {
                return Err(invalid(&shown, "a path segment decodes to `/` or NUL"));
            }
            segments.push(segment);
        }
        let parsed = url::Url::parse(text).map_err(|e| invalid(&shown, &e.to_string()))?;
        let host = parsed
            .host_str()
            .unwrap_or("")
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let user = Some(decode(parsed.username(), &shown)?).filter(|u| !u.is_empty());
        let password = parsed.password().map(|p| decode(p, &shown)).transpose()?;
        // The crate drops a port equal to its scheme's default; the text still names it.
        let port = parsed.port().or_else(|| {
            let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let after_host = hostport.rsplit_once(']').map_or(hostport, |(_, p)| p);
            after_host
                .rsplit_once(':')
                .and_then(|(_, p)| p.parse().ok())
        });
        Ok(Location {
            scheme,
            user,
            password,
            host,
            port,
            segments,
            rooted: raw_path.starts_with("//"),
        })
    }

    /// The decoded path: `/a/b`, or `/` for the root.
    pub fn path(&self) -> String {
        if self.segments.is_empty() {
            return "/".to_string();
        }
        self.segments.iter().map(|s| format!("/{s}")).collect()
    }

    /// `host:port` (`[v6]:port`) with `default_port` where the URL names none.
    pub fn server(&self, default_port: u16) -> String {
        let port = self.port.unwrap_or(default_port);
        if self.host.contains(':') {
            format!("[{}]:{port}", self.host)
        } else {
            format!("{}:{port}", self.host)
        }
    }
}

/// `text` without the password of its user info (`ftp://u:secret@h/` → `ftp://u@h/`); anything
/// that is not a URL with user info is returned as it is.
pub fn redact(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}@{host}{path}")
        }
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_once_for_every_plugin() {
        let l = Location::parse("FTP://bob:s%40cret@Example.ORG:2121/www/my%20site/").unwrap();
        assert_eq!(l.scheme, "ftp");
        assert_eq!((l.host.as_str(), l.port), ("example.org", Some(2121)));
        assert_eq!(
            (l.user.as_deref(), l.password.as_deref()),
            (Some("bob"), Some("s@cret"))
        );
        assert_eq!(l.path(), "/www/my site");
        assert!(!format!("{l:?}").contains("cret"));
        let l = Location::parse("ftps+implicit://[::1]").unwrap();
        assert_eq!(
            (l.host.as_str(), l.port, l.path().as_str()),
            ("::1", None, "/")
        );
        assert_eq!(l.server(990), "[::1]:990");
        assert_eq!(Location::parse("ftp://h:21/").unwrap().port, Some(21));
        assert_eq!(
            Location::parse("file:///srv/a%20b").unwrap().path(),
            "/srv/a b"
        );
        for bad in [
            "ftp://h:x/",
            "ftp:///x",
            "ftp://h/a/../b",
            "ftp://h/a/%2e%2E/b",
            "ftp://h/a%2Fb",
            "nope",
        ] {
            assert!(Location::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(redact("ftp://u:secret@h:21/x"), "ftp://u@h:21/x");
        assert_eq!(redact("ftp://h/x@y"), "ftp://h/x@y");
        assert_eq!(redact("/local/a:b@c"), "/local/a:b@c");
    }
}
