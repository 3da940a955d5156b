//! The REST methods (exist-rest.md §2–§12): GET lists collections and returns resources (304 on
//! `If-Modified-Since`), HEAD gives their headers (XML lengths page-rounded), PUT stores with
//! auto-created ancestors, mime resolution and an XML check, DELETE removes recursively; a GET
//! of XML expands XIncludes, of XQuery or XProc "runs" it; queries (`_query`, form POSTs) go to
//! [`crate::query`]. Errors of PUT and DELETE have empty bodies, a GET 404 a Jetty-style page;
//! 401s carry the Basic challenge.

use std::{
    fs::File,
    io::{Cursor, Read},
    sync::Mutex,
};

use base64::Engine;
use tiny_http::{Header, Method, Request, Response, StatusCode};

use crate::{
    mime, paths, query,
    store::{self, now_ms, Child, Found, Resource, Store},
    times::{http_date, parse_http_date},
    xinclude, xml, Settings,
};

pub(crate) type Reply = Response<Box<dyn Read + Send>>;

pub(crate) fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

pub(crate) fn reply(status: u16, headers: Vec<Header>, body: Vec<u8>) -> Reply {
    let length = body.len();
    Response::new(
        StatusCode(status),
        headers,
        Box::new(Cursor::new(body)),
        Some(length),
        None,
    )
}

pub(crate) fn empty(status: u16) -> Reply {
    reply(status, Vec::new(), Vec::new())
}

pub(crate) fn challenge() -> Reply {
    reply(
        401,
        vec![header("WWW-Authenticate", "Basic realm=\"exist\"")],
        Vec::new(),
    )
}

/// Jetty's error page (exist-rest.md §11), for GET and POST.
pub(crate) fn error_page(status: u16, message: &str, uri: &str) -> Reply {
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
        Method::Get => {
            let params = query::form_params(query);
            if params
                .iter()
                .any(|(key, _)| key == "_query" || key == "_xpath")
            {
                return query::run(&params, store, settings, &path, known_user);
            }
            get(request, store, settings, segments, &path, &params, uri)
        }
        Method::Head => head(store, segments),
        Method::Put if !known_user => challenge(),
        Method::Put if failing => empty(500),
        Method::Put => {
            std::thread::sleep(std::time::Duration::from_millis(settings.put_delay_ms));
            put(request, store, segments, settings.exist_major())
        }
        Method::Delete if !known_user => challenge(),
        Method::Delete => delete(store, segments),
        Method::Post => post(request, store, settings, &path, known_user),
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
    params: &[(String, String)],
    uri: &str,
) -> Reply {
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
    if resource.mime == "application/xquery" || resource.mime == "application/xml+xproc" {
        return executable(params, path, uri);
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
    if resource.xml {
        let mut bytes = Vec::new();
        if file.take(u64::MAX).read_to_end(&mut bytes).is_err() {
            return error_page(500, "Server Error", uri);
        }
        return serialise(
            store,
            settings,
            segments,
            &resource.mime,
            bytes,
            headers,
            uri,
        );
    }
    Response::new(
        StatusCode(200),
        headers,
        Box::new(file),
        Some(resource.size as usize),
        None,
    )
}

/// A GET of an XQuery or XProc resource runs it (`RESTServer.doGet` → `executeXQuery` /
/// `executeXProc`, `isExecutableType`): the answer is its result, never its source. This server
/// runs no XQuery, so an empty result stands in for whatever the query would return. `_source=yes`
/// is refused as with eXist's default `descriptor.xml`, which allows no source view under `/db`.
fn executable(params: &[(String, String)], path: &str, uri: &str) -> Reply {
    if params.iter().any(|(k, v)| k == "_source" && v == "yes") {
        return error_page(
            403,
            &format!("Permission to view XQuery source for: {path} denied. Must be explicitly defined in descriptor.xml"),
            uri,
        );
    }
    reply(
        200,
        vec![header("Content-Type", "application/xml; charset=UTF-8")],
        b"<exist:result xmlns:exist=\"http://exist.sourceforge.net/NS/exist\" exist:hits=\"0\" exist:start=\"1\" exist:count=\"0\" exist:compilation-time=\"0\" exist:execution-time=\"0\"/>".to_vec(),
    )
}

/// An XML document as `RESTServer.writeResourceAs` serialises it: XIncludes expanded (the
/// serializer's default; a failed include is a 400), `text/html` as XHTML, indented and with an
/// XML declaration whatever `_indent` says (L1827-1832), and with `--reindent-xml` every other
/// document re-indented too.
fn serialise(
    store: &Mutex<Store>,
    settings: &Settings,
    segments: &[String],
    mime: &str,
    bytes: Vec<u8>,
    headers: Vec<Header>,
    uri: &str,
) -> Reply {
    let load = |target: &[String]| stored_xml(store, target);
    let mut bytes = match xinclude::expand(&bytes, &segments[..segments.len() - 1], &load) {
        Ok(expanded) => expanded,
        Err(message) => {
            return error_page(400, &format!("Error while serializing XML: {message}"), uri)
        }
    };
    if mime == "text/html" {
        let mut html = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".to_vec();
        html.extend(xml::reindent(&bytes));
        bytes = html;
    } else if settings.reindent_xml {
        bytes = xml::reindent(&bytes);
    }
    reply(200, headers, bytes)
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

fn put(request: &mut Request, store: &Mutex<Store>, segments: &[String], major: u32) -> Reply {
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
        major,
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
pub(crate) fn decode(text: &str, plus_is_space: bool) -> String {
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

/// A form-encoded POST is a GET with those parameters (`RESTServer.doPost`); only queries are
/// answered ([`crate::query`]).
fn post(
    request: &mut Request,
    store: &Mutex<Store>,
    settings: &Settings,
    path: &str,
    known_user: bool,
) -> Reply {
    let mut body = String::new();
    if request.as_reader().read_to_string(&mut body).is_err() {
        return empty(400);
    }
    query::run(
        &query::form_params(&body),
        store,
        settings,
        path,
        known_user,
    )
}

/// The stored bytes of the XML document at `segments`, for XInclude.
pub(crate) fn stored_xml(store: &Mutex<Store>, segments: &[String]) -> Option<Vec<u8>> {
    let blob = match store.lock().expect("store").find(segments) {
        Some(Found::Resource(resource)) if resource.xml => resource.blob.clone(),
        _ => return None,
    };
    std::fs::read(blob).ok()
}
