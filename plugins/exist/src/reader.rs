//! Reading a document's stored content (exist-rest.md §5). A plain GET is only right for a
//! binary document that is not executable: eXist runs an XQuery (`application/xquery`) or XProc
//! (`application/xml+xproc`) resource on GET and returns its result, and serialises an XML
//! document with its XIncludes expanded (no GET parameter turns that off). So a document that
//! eXist's table types as XML or executable by its name, or whose stored type (HEAD) says so, is
//! read through [`READ_QUERY`]: the stored bytes of a binary document
//! (`response:stream-binary`), an XML document serialised without XInclude expansion or
//! indentation. Both need only read access and the modules every eXist has built in (`util`,
//! `request`, `response`); `_source=yes` is no way, as eXist's default `descriptor.xml` refuses it.

use std::io::Read;

use ferry_plugin_api::{BackendError, ErrorKind};
use reqwest::{blocking::Response, Method};

use crate::{backend::ExistBackend, mime, names};

/// The query that returns a document as stored. Its text never changes, so eXist compiles it
/// once and keeps it in its query pool; the document comes as the request parameter `path`
/// (the encoded database path, as listings spell it).
pub const READ_QUERY: &str = r#"xquery version "3.1";
declare option exist:serialize "expand-xincludes=no indent=no";
let $path := request:get-parameter("path", "")
return
    if (util:binary-doc-available($path))
    then response:stream-binary(util:binary-doc($path), "application/octet-stream", ())
    else if (doc-available($path))
    then doc($path)
    else error(QName("https://ferry.invalid/ns", "not-found"), "no document at " || $path)
"#;

/// Does a document of this stored type need [`READ_QUERY`]?
fn needs_query(stored_type: &str) -> bool {
    mime::is_executable_type(stored_type) || ferry_xml::is_xml_type(stored_type) == Some(true)
}

impl ExistBackend {
    /// The stored content of the document at `path`.
    pub(crate) fn read_document(&self, path: &str) -> Result<Box<dyn Read + Send>, BackendError> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let (_, xml_by_name) = mime::for_name(name);
        let by_query = xml_by_name || mime::is_executable(name) || {
            let response = self.send(Method::HEAD, path, "", |r| r)?;
            if !response.status().is_success() {
                return Err(self.fail("HEAD", path, &response));
            }
            let stored = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            needs_query(&stored)
        };
        let response = if by_query {
            self.read_by_query(path)?
        } else {
            let response = self.send(Method::GET, path, "?_xsl=no&_indent=no", |r| r)?;
            if !response.status().is_success() {
                return Err(self.fail("GET", path, &response));
            }
            response
        };
        Ok(Box::new(ResponseReader {
            response,
            path: self.db_path(path),
        }))
    }

    /// [`READ_QUERY`] for `path`, posted form-encoded to `/db` as exist-shell posts its queries.
    fn read_by_query(&self, path: &str) -> Result<Response, BackendError> {
        let body = format!(
            "_query={}&_wrap=no&_indent=no&path={}",
            names::form_value(READ_QUERY),
            names::form_value(&self.encoded_db_path(path))
        );
        let response = self.send_to_db(Method::POST, |r| {
            r.header("Content-Type", "application/x-www-form-urlencoded")
                .body(body)
        })?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        if status != 400 {
            return Err(self.fail("POST", path, &response));
        }
        // A query error: the document went away, is a collection, or could not be read.
        let message = query_error_message(&response.text().unwrap_or_default());
        match self.listed_kind(path)? {
            None => Err(self.not_found(path)),
            Some(true) => Err(self.a_collection(path)),
            Some(false) => {
                let kind = if message.to_ascii_lowercase().contains("permission denied") {
                    ErrorKind::PERMISSION_DENIED
                } else {
                    ErrorKind::OTHER
                };
                Err(BackendError::new(
                    kind,
                    format!(
                        "eXist at {}: reading {}: {message}",
                        self.endpoint.server,
                        self.db_path(path)
                    ),
                )
                .with_context("path", path))
            }
        }
    }
}

/// The message of eXist's query-error answer: the `<message>` of its XML form, or the
/// `errmsg` paragraph of its HTML page (`RESTServer.writeXPathException(Html)`).
fn query_error_message(body: &str) -> String {
    let between = |start: &str, end: &str| {
        let from = body.find(start)? + start.len();
        let to = body[from..].find(end)? + from;
        Some(body[from..to].to_string())
    };
    let raw = between("<message>", "</message>")
        .or_else(|| between("class=\"errmsg\">", "<"))
        .unwrap_or_else(|| "the query failed".to_string());
    raw.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_string()
}

/// A response body as `Read`, with errors that name the document.
struct ResponseReader {
    response: Response,
    path: String,
}

impl Read for ResponseReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.response.read(buf).map_err(|e| {
            let mut error =
                BackendError::new(ErrorKind::CONNECTION, format!("reading {}: {e}", self.path));
            error.retryable = true;
            error.into_io()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_errors_are_read_from_both_forms() {
        assert_eq!(
            query_error_message("<?xml version=\"1.0\" ?><exception><path>/db</path><message>err:X a &amp; b</message></exception>"),
            "err:X a & b"
        );
        assert_eq!(
            query_error_message(
                "<html><body><p class=\"errmsg\">/db/x: permission denied to read resource<span>"
            ),
            "/db/x: permission denied to read resource"
        );
    }

    #[test]
    fn executable_and_xml_stored_types_need_the_query() {
        assert!(needs_query("application/xquery"));
        assert!(needs_query("application/xml+xproc"));
        assert!(needs_query("application/xml"));
        assert!(needs_query("text/html"));
        assert!(!needs_query("image/png"));
        assert!(!needs_query("application/octet-stream"));
    }
}
