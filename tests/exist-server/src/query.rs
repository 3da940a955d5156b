//! The queries this server answers (exist-rest.md §8), sent as `_query` on a GET or in a
//! form-encoded POST (`RESTServer.doPost` hands those to `doGet`): it runs no XQuery, so it
//! recognises four query shapes by their calls and refuses everything else with eXist's
//! query-error page (`RESTServer.writeXPathExceptionHtml`, 400):
//!
//! - `system:get-version()` (`GetVersion.eval`: the `product-version` property), the
//!   `--exist-version`;
//! - exist-shell's `xmldb:create-collection` (its `fold-left` over `tokenize("/db/…", "/")`, or
//!   the two-argument call) and `xmldb:collection-available("…")`;
//! - ferry's read query: `util:binary-doc-available($path)` → `response:stream-binary(…)` (the
//!   stored bytes, `response.isCommitted()` so `writeResults` adds nothing), else `doc($path)`
//!   serialised with the query's `exist:serialize` option (`XQueryContext.checkLegacyOptions`),
//!   XIncludes expanded unless it says `expand-xincludes=no` (`Serializer.applyXSLHandler`),
//!   else the query's `error(…)`. `$path` is the request parameter `path`
//!   (`request:get-parameter`, the form decoded as UTF-8).

use std::{fs::File, io::Read, sync::Mutex};

use tiny_http::{Response, StatusCode};

use crate::{
    handlers::{challenge, decode, header, reply, Reply},
    paths,
    store::{Found, Store},
    xinclude, xml, Settings,
};

/// The decoded pairs of a form or a URL query string (`+` is a space).
pub fn form_params(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (decode(key, true), decode(value, true)))
        .collect()
}

fn param<'p>(params: &'p [(String, String)], key: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// eXist's answer to a query that fails (an `XPathException`) when no XML media type was
/// asked for: 400 with its HTML error page.
fn query_error(path: &str, message: &str, query: &str) -> Reply {
    let body = format!(
        "<html><head><title>Query Error</title></head><body><h1>XQuery Error</h1><p class=\"path\"><span class=\"high\">Path</span>: <a href=\"{path}\">{path}</a><p class=\"errmsg\">{}<span class=\"high\">Query</span>:<pre>{}</pre></body></html>",
        xml::escape_text(message),
        xml::escape_text(query)
    );
    reply(
        400,
        vec![header("Content-Type", "text/html; charset=UTF-8")],
        body.into_bytes(),
    )
}

/// Runs the query in `params` (`_query`) against the context collection `path`.
pub fn run(
    params: &[(String, String)],
    store: &Mutex<Store>,
    settings: &Settings,
    path: &str,
    known_user: bool,
) -> Reply {
    let query = param(params, "_query").unwrap_or_default().to_string();
    if query.contains("xmldb:create-collection") {
        if !known_user {
            return challenge();
        }
        return create_collection(&query, store, path);
    }
    if let Some(target) = literal_after(&query, "xmldb:collection-available(\"") {
        return collection_available(&target, store);
    }
    if query.trim() == "system:get-version()" {
        return reply(200, Vec::new(), settings.exist_version.clone().into_bytes());
    }
    if query.contains("util:binary-doc-available(")
        && query.contains("response:stream-binary(")
        && query.contains("request:get-parameter(\"path\"")
    {
        return read_document(&query, params, store, settings, path);
    }
    xml_refusal(path, "err:XPST0017 the ferry test server runs no XQuery except collection creation, collection-available and ferry's read query", &query)
}

/// eXist's `<exception>` body (`writeXPathException`), which exist-shell's queries get.
fn xml_refusal(path: &str, message: &str, query: &str) -> Reply {
    reply(
        400,
        vec![header("Content-Type", "application/xml; charset=UTF-8")],
        xml::exception(path, message, query).into_bytes(),
    )
}

fn create_collection(query: &str, store: &Mutex<Store>, path: &str) -> Reply {
    let owner = ("admin".to_string(), "dba".to_string());
    let refuse = |message: &str| xml_refusal(path, message, query);
    // exist-shell's mkdir -p: tokenize("/db/a/b", "/") folded with create-collection.
    let target = match literal_after(query, "tokenize(\"") {
        Some(full) => full,
        None => {
            let Some(parent) = literal_after(query, "xmldb:create-collection(\"") else {
                return refuse("err:XPST0003 unsupported create-collection call");
            };
            let after_parent = &query[query.find("xmldb:create-collection(\"").unwrap_or(0)..];
            let Some(name) =
                literal_after(after_parent, ", \"").or_else(|| literal_after(after_parent, ",\""))
            else {
                return refuse("err:XPST0003 unsupported create-collection call");
            };
            format!("{parent}/{name}")
        }
    };
    let decoded_segments: Vec<String> = target
        .split('/')
        .filter(|s| !s.is_empty())
        .map(paths::encode_segment)
        .collect();
    let Some(normal) = paths::normalise(&format!("/{}", decoded_segments.join("/"))) else {
        return refuse("err:FODC0002 bad collection path");
    };
    let mut store = store.lock().expect("store");
    match store.make_collections(&normal, &owner) {
        Ok(_) => reply(
            200,
            vec![header("Content-Type", "application/xml; charset=UTF-8")],
            format!("/{}", normal.join("/")).into_bytes(),
        ),
        Err(()) => refuse("err:FODC0002 a document is in the way"),
    }
}

fn collection_available(target: &str, store: &Mutex<Store>) -> Reply {
    let encoded: Vec<String> = target
        .split('/')
        .filter(|s| !s.is_empty())
        .map(paths::encode_segment)
        .collect();
    let available = paths::normalise(&format!("/{}", encoded.join("/"))).is_some_and(|s| {
        matches!(
            store.lock().expect("store").find(&s),
            Some(Found::Collection(_))
        )
    });
    reply(
        200,
        vec![header("Content-Type", "application/xml; charset=UTF-8")],
        available.to_string().into_bytes(),
    )
}

/// ferry's read query: a binary document's stored bytes, an XML document serialised as the
/// query's options say, or the query's own error.
fn read_document(
    query: &str,
    params: &[(String, String)],
    store: &Mutex<Store>,
    settings: &Settings,
    context: &str,
) -> Reply {
    let wanted = param(params, "path").unwrap_or_default();
    let segments = paths::normalise(wanted).unwrap_or_default();
    let found = {
        let store = store.lock().expect("store");
        match store.find(&segments) {
            Some(Found::Resource(resource)) => Some((resource.xml, resource.blob.clone())),
            _ => None,
        }
    };
    let Some((is_xml, blob)) = found else {
        let message = literal_after(query, "\"not-found\"), \"").unwrap_or_default();
        return query_error(context, &format!("{message}{wanted}"), query);
    };
    let Ok(mut file) = File::open(&blob) else {
        return query_error(context, "I/O error while reading resource", query);
    };
    if !is_xml {
        let content_type = literal_after(query, "util:binary-doc($path), \"")
            .unwrap_or_else(|| "application/octet-stream".into());
        return Response::new(
            StatusCode(200),
            vec![header("Content-Type", &content_type)],
            Box::new(file),
            None,
            None,
        );
    }
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).is_err() {
        return query_error(context, "I/O error while reading resource", query);
    }
    if !query.contains("expand-xincludes=no") {
        let load = |target: &[String]| crate::handlers::stored_xml(store, target);
        match xinclude::expand(&bytes, &segments[..segments.len() - 1], &load) {
            Ok(expanded) => bytes = expanded,
            Err(message) => return query_error(context, &message, query),
        }
    }
    let indent = !query.contains("indent=no") && param(params, "_indent") != Some("no");
    if settings.reindent_xml {
        bytes = if indent {
            xml::reindent(&bytes)
        } else {
            xml::reserialise_compact(&bytes)
        };
    }
    reply(200, Vec::new(), bytes)
}

/// The string literal following `marker` in `query` (XQuery doubles `"` inside literals).
fn literal_after(query: &str, marker: &str) -> Option<String> {
    let start = query.find(marker)? + marker.len();
    let mut out = String::new();
    let mut chars = query[start..].chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                out.push('"');
            } else {
                return Some(out);
            }
        } else {
            out.push(c);
        }
    }
    None
}
