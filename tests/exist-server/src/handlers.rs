//! The REST methods (exist-rest.md §2–§12): GET lists collections and returns resources (304 on
//! `If-Modified-Since`), HEAD gives their headers (XML lengths page-rounded), PUT stores with
//! auto-created ancestors, mime resolution and an XML check, DELETE removes recursively, POST
//! recognises only the collection queries exist-shell sends. Errors of PUT and DELETE have empty
//! bodies, a GET 404 a Jetty-style page; 401s carry the Basic challenge.

use std::{
    fs::File,
    io::{Cursor, Read},
    sync::Mutex,
};

use base64::Engine;
use tiny_http::{Header, Method, Request, Response, StatusCode};

use crate::{
    mime, paths,
    store::{self, now_ms, Child, Found, Resource, Store},
    times::{http_date, parse_http_date},
    xml, Settings,
};

type Reply = Response<Box<dyn Read + Send>>;

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

fn reply(status: u16, headers: Vec<Header>, body: Vec<u8>) -> Reply {
    let length = body.len();
    Response::new(
        StatusCode(status),
        headers,
        Box::new(Cursor::new(body)),
        Some(length),
        None,
    )
}

fn empty(status: u16) -> Reply {
    reply(status, Vec::new(), Vec::new())
}

fn challenge() -> Reply {
    reply(
        401,
        vec![header("WWW-Authenticate", "Basic realm=\"exist\"")],
        Vec::new(),
    )
}

/// Jetty's error page (exist-rest.md §11), for GET and POST.
fn error_page(status: u16, message: &str, uri: &str) -> Reply {
    let body = format!(
        "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=utf-8\"/>\n<title>Error {status} {message}</title>\n</head>\n<body><h2>HTTP ERROR {status} {message}</h2>\n<table>\n<tr><th>URI:</th><td>{uri}</td></tr>\n<tr><th>STATUS:</th><td>{status}</td></tr>\n<tr><th>MESSAGE:</th><td>{message}</td></tr>\n<tr><th>SERVLET:</th><td>EXistServlet</td></tr>\n</table>\n<hr><a href=\"https://eclipse.org/jetty\">Powered by Jetty:// 11.0.25</a><hr/>\n\n</body>\n</html>\n"
    );
    reply(
        status,
        vec![
            header("Content-Type", "text/html;charset=iso-8859-1"),
            header("Cache-Control", "must-revalidate,no-cache,no-store"),
        ],
        body.into_bytes(),
    )
}

/// Who is asking: `Ok(true)` a known user (all of them have the dba role here), `Ok(false)`
/// guest, `Err` bad credentials.
fn authenticate(request: &Request, settings: &Settings) -> Result<bool, ()> {
    let Some(value) = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .map(|h| h.value.as_str().to_string())
    else {
        return Ok(false);
    };
    if value.len() < 6 || !value[..6].eq_ignore_ascii_case("basic ") {
        return Ok(false);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value[6..].trim())
        .map_err(|_| ())?;
    let text = String::from_utf8(decoded).map_err(|_| ())?;
    let (user, password) = text.split_once(':').ok_or(())?;
    match settings.users.get(user) {
        Some(expected) if expected == password => Ok(true),
        _ => Err(()),
    }
}

fn request_header(request: &Request, name: &'static str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str().to_string())
}

/// Answers one request.
pub fn handle(mut request: Request, store: &Mutex<Store>, settings: &Settings) {
    let url = request.url().to_string();
    let (raw_path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    let response = match raw_path.strip_prefix(&settings.prefix) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => match paths::normalise(rest) {
            None => empty(400),
            Some(segments) => dispatch(&mut request, store, settings, &segments, query, &url),
        },
        _ => error_page(404, "Not Found", raw_path),
    };
    let response = if settings.proxy_strips_charset {
        strip_charset(response)
    } else {
        response
    };
    let _ = request.respond(response);
}

/// The Content-Type without its parameters, as some reverse proxies pass it on.
fn strip_charset(mut response: Reply) -> Reply {
    let content_type = response
        .headers()
        .iter()
        .find(|h| h.field.equiv("Content-Type"))
        .map(|h| h.value.as_str().to_string());
    if let Some(value) = content_type {
        let bare = value.split(';').next().unwrap_or("").trim().to_string();
        response.add_header(header("Content-Type", &bare));
    }
    response
}

fn dispatch(
    request: &mut Request,
    store: &Mutex<Store>,
    settings: &Settings,
    segments: &[String],
    query: &str,
    uri: &str,
) -> Reply {
    let Ok(known_user) = authenticate(request, settings) else {
        return challenge();
    };
    let path = format!("/{}", segments.join("/"));
    let failing = settings
        .fail_path
        .as_deref()
        .is_some_and(|text| path.contains(text));
    match request.method() {
        Method::Get if failing => error_page(500, "Server Error", uri),
        Method::Get => get(request, store, settings, segments, &path, query, uri),
        Method::Head => head(store, segments),
        Method::Put if !known_user => challenge(),
        Method::Put if failing => empty(500),
        Method::Put => {
            std::thread::sleep(std::time::Duration::from_millis(settings.put_delay_ms));
            put(request, store, segments)
        }
        Method::Delete if !known_user => challenge(),
        Method::Delete => delete(store, segments),
        Method::Post => post(request, store, &path, known_user),
        Method::Patch => empty(405),
        _ => empty(501),
    }
}

fn get(
    request: &Request,
    store: &Mutex<Store>,
    settings: &Settings,
    segments: &[String],
    path: &str,
    query: &str,
    uri: &str,
) -> Reply {
    if query
        .split('&')
        .any(|p| p.starts_with("_query=") || p.starts_with("_xpath="))
    {
        let body = xml::exception(
            path,
            "queries are not supported by the ferry test server",
            "",
        );
        return reply(
            400,
            vec![header("Content-Type", "application/xml; charset=UTF-8")],
            body.into_bytes(),
        );
    }
    let found = {
        let store = store.lock().expect("store");
        match store.find(segments) {
            None => None,
            Some(Found::Collection(collection)) => {
                let body = xml::listing(collection, path, settings.offset_minutes());
                let created = http_date(collection.created_ms);
                return reply(
                    200,
                    vec![
                        header("Content-Type", "application/xml; charset=UTF-8"),
                        header("Last-Modified", &created),
                        header("Created", &created),
                    ],
                    body.into_bytes(),
                );
            }
            Some(Found::Resource(resource)) => Some(snapshot(resource)),
        }
    };
    let Some(resource) = found else {
        return error_page(404, &format!("Document {path} not found"), uri);
    };
    if resource.mime == "application/xquery" {
        // Real eXist executes stored queries on GET; the emulator runs no XQuery.
        return error_page(501, "XQuery execution is not supported", uri);
    }
    if let Some(since) =
        request_header(request, "If-Modified-Since").and_then(|h| parse_http_date(&h))
    {
        if since <= now_ms() && resource.modified_ms <= since {
            return empty(304);
        }
    }
    let content_type = if resource.xml || resource.mime.starts_with("text/") {
        format!("{}; charset=UTF-8", resource.mime)
    } else {
        resource.mime.clone()
    };
    let headers = vec![
        header("Content-Type", &content_type),
        header("Last-Modified", &http_date(resource.modified_ms)),
        header("Created", &http_date(resource.created_ms)),
    ];
    let Ok(file) = File::open(&resource.blob) else {
        return error_page(500, "Server Error", uri);
    };
    if resource.xml && settings.reindent_xml {
        let mut bytes = Vec::new();
        if file.take(u64::MAX).read_to_end(&mut bytes).is_err() {
            return error_page(500, "Server Error", uri);
        }
        return reply(200, headers, xml::reindent(&bytes));
    }
    Response::new(
        StatusCode(200),
        headers,
        Box::new(file),
        Some(resource.size as usize),
        None,
    )
}

/// What a GET or HEAD needs of a resource, copied out of the lock.
struct Snapshot {
    mime: String,
    xml: bool,
    blob: std::path::PathBuf,
    size: u64,
    created_ms: i64,
    modified_ms: i64,
}

fn snapshot(resource: &Resource) -> Snapshot {
    Snapshot {
        mime: resource.mime.clone(),
        xml: resource.xml,
        blob: resource.blob.clone(),
        size: resource.size,
        created_ms: resource.created_ms,
        modified_ms: resource.modified_ms,
    }
}

fn head(store: &Mutex<Store>, segments: &[String]) -> Reply {
    let store = store.lock().expect("store");
    let empty_body = || -> Box<dyn Read + Send> { Box::new(std::io::empty()) };
    match store.find(segments) {
        None => empty(404),
        Some(Found::Collection(collection)) => {
            let created = http_date(collection.created_ms);
            Response::new(
                StatusCode(200),
                vec![
                    header("Content-Type", "application/xml; charset=UTF-8"),
                    header("Last-Modified", &created),
                    header("Created", &created),
                ],
                empty_body(),
                None,
                None,
            )
        }
        Some(Found::Resource(resource)) => {
            // XML: eXist reports its DOM pages, a multiple of 4096; binary: the exact size.
            let length = if resource.xml {
                resource.size.div_ceil(4096).max(1) * 4096
            } else {
                resource.size
            };
            Response::new(
                StatusCode(200),
                vec![
                    header("Content-Type", &resource.mime),
                    header("Last-Modified", &http_date(resource.modified_ms)),
                    header("Created", &http_date(resource.created_ms)),
                ],
                empty_body(),
                Some(length as usize),
                None,
            )
        }
    }
}

fn put(request: &mut Request, store: &Mutex<Store>, segments: &[String]) -> Reply {
    let owner = ("admin".to_string(), "dba".to_string());
    let (parent, name) = segments.split_at(segments.len() - 1);
    let name = &name[0];
    let blob = {
        let mut store = store.lock().expect("store");
        if segments.len() == 1 || matches!(store.find(segments), Some(Found::Collection(_))) {
            return empty(400);
        }
        if store.make_collections(parent, &owner).is_err() {
            return empty(400);
        }
        store.new_blob_path()
    };
    let announced = request.body_length();
    let received =
        File::create(&blob).and_then(|mut file| std::io::copy(request.as_reader(), &mut file));
    let size = match received {
        // A body that ends before its Content-Length is a broken upload (Jetty's EofException,
        // a 500 in eXist); nothing is stored.
        Ok(size) if announced.is_none_or(|length| length as u64 == size) => size,
        _ => {
            let _ = std::fs::remove_file(&blob);
            return empty(500);
        }
    };
    let decoded_name = percent_decode(name);
    let (mime, is_xml) = mime::resolve(
        request_header(request, "Content-Type").as_deref(),
        &decoded_name,
    );
    if is_xml {
        let verdict = std::fs::read(&blob)
            .map_err(|e| e.to_string())
            .and_then(|b| xml::check(&b));
        if verdict.is_err() {
            // "Parsing exception: …" in eXist; a PUT error has no body. The old document stays.
            let _ = std::fs::remove_file(&blob);
            return empty(400);
        }
    }
    let mut store = store.lock().expect("store");
    let Some(collection) = store.collection_mut(parent) else {
        let _ = std::fs::remove_file(&blob);
        return empty(400);
    };
    let now = now_ms();
    match collection.child_mut(name) {
        Some(Child::Collection(_)) => {
            let _ = std::fs::remove_file(&blob);
            return empty(400);
        }
        Some(Child::Resource(existing)) => {
            let _ = std::fs::remove_file(&existing.blob);
            existing.blob = blob;
            existing.size = size;
            existing.mime = mime;
            existing.xml = is_xml;
            existing.modified_ms = now;
        }
        None => collection.children.push(Child::Resource(Resource {
            name: name.clone(),
            created_ms: now,
            modified_ms: now,
            owner,
            mime,
            xml: is_xml,
            blob,
            size,
        })),
    }
    empty(201)
}

fn delete(store: &Mutex<Store>, segments: &[String]) -> Reply {
    let mut store = store.lock().expect("store");
    if segments.len() == 1 {
        // Deleting /db removes its children and keeps the root.
        for child in std::mem::take(&mut store.root.children) {
            store::drop_blobs(&child);
        }
        return empty(200);
    }
    let (parent, name) = segments.split_at(segments.len() - 1);
    match store.collection_mut(parent).and_then(|c| c.take(&name[0])) {
        Some(child) => {
            store::drop_blobs(&child);
            empty(200)
        }
        None => empty(404),
    }
}

/// `application/x-www-form-urlencoded` and path decoding: `%XX`, and `+` as space in forms.
fn decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match text
                    .get(i + 1..i + 3)
                    .map(|hex| u8::from_str_radix(hex, 16))
                {
                    Some(Ok(byte)) => {
                        out.push(byte);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_decode(text: &str) -> String {
    decode(text, false)
}

/// The string literal following `marker` in `query` (XQuery doubles `"` inside literals).
fn literal_after<'q>(query: &'q str, marker: &str) -> Option<String> {
    let start = query.find(marker)? + marker.len();
    let rest: &'q str = &query[start..];
    let mut out = String::new();
    let mut chars = rest.chars().peekable();
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

fn post(request: &mut Request, store: &Mutex<Store>, path: &str, known_user: bool) -> Reply {
    let mut body = String::new();
    if request.as_reader().read_to_string(&mut body).is_err() {
        return empty(400);
    }
    let query = body
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "_query")
        .map(|(_, value)| decode(value, true))
        .unwrap_or_default();
    let refuse = |message: &str| {
        reply(
            400,
            vec![header("Content-Type", "application/xml; charset=UTF-8")],
            xml::exception(path, message, &query).into_bytes(),
        )
    };
    let owner = ("admin".to_string(), "dba".to_string());
    if query.contains("xmldb:create-collection") {
        if !known_user {
            return challenge();
        }
        // exist-shell's mkdir -p: tokenize("/db/a/b", "/") folded with create-collection.
        let target = match literal_after(&query, "tokenize(\"") {
            Some(full) => full,
            None => {
                let Some(parent) = literal_after(&query, "xmldb:create-collection(\"") else {
                    return refuse("err:XPST0003 unsupported create-collection call");
                };
                let after_parent = &query[query.find("xmldb:create-collection(\"").unwrap_or(0)..];
                let Some(name) = literal_after(after_parent, ", \"")
                    .or_else(|| literal_after(after_parent, ",\""))
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
        return match store.make_collections(&normal, &owner) {
            Ok(_) => reply(
                200,
                vec![header("Content-Type", "application/xml; charset=UTF-8")],
                format!("/{}", normal.join("/")).into_bytes(),
            ),
            Err(()) => refuse("err:FODC0002 a document is in the way"),
        };
    }
    if let Some(target) = literal_after(&query, "xmldb:collection-available(\"") {
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
        return reply(
            200,
            vec![header("Content-Type", "application/xml; charset=UTF-8")],
            available.to_string().into_bytes(),
        );
    }
    refuse("err:XPST0017 the ferry test server runs no XQuery except collection creation and collection-available")
}
