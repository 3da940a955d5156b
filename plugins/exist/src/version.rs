//! The server's eXist version, asked for only when it matters: the XML types eXist 7 added to
//! its table (`application/mods+xml`, …) are unknown to eXist 6, which would store a document
//! sent with one of them as binary. So a file whose type differs between the two goes with 7's
//! type only to a server that says it is 7 or later (`system:get-version()`, the
//! `product-version` property, `GetVersion.eval` in eXist's system module), else with the type
//! both store as XML.

use reqwest::Method;

use crate::{backend::ExistBackend, names};

impl ExistBackend {
    /// The server's major version, once per backend; `None` if it cannot be told.
    pub(crate) fn server_major(&self) -> Option<u32> {
        *self.major_version.get_or_init(|| {
            let body = format!(
                "_query={}&_wrap=no",
                names::form_value("system:get-version()")
            );
            let response = self
                .send_to_db(Method::POST, |r| {
                    r.header("Content-Type", "application/x-www-form-urlencoded")
                        .body(body)
                })
                .ok()?;
            if !response.status().is_success() {
                return None;
            }
            parse_major(&response.text().ok()?)
        })
    }
}

/// `6` of `6.4.0`, `7` of `7.0.0-SNAPSHOT`.
fn parse_major(version: &str) -> Option<u32> {
    let digits: String = version
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn major_versions() {
        assert_eq!(super::parse_major("6.4.0"), Some(6));
        assert_eq!(super::parse_major(" 7.0.0-SNAPSHOT\n"), Some(7));
        assert_eq!(super::parse_major("unknown version"), None);
    }
}
