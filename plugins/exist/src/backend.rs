//! The eXist backend over REST (exist-rest.md §16): list = GET on the collection; stat = the
//! parent's listing (plus HEAD for a document's type and size); read = [`crate::reader`] (GET for
//! binary documents, a query for XML and XQuery ones, which GET would expand or run); write = PUT with eXist's own
//! Content-Type for the name, streamed; delete = DELETE (recursive on collections); mkdir = a
//! placeholder PUT (which creates every missing ancestor) and its DELETE, as REST has no verb for
//! an empty collection. Credentials go with every request (pre-emptive Basic), so a large upload
//! is never cut off by a 401.

use std::{
    io::{Read, Write},
    sync::{
        atomic::{AtomicU64, Ordering},
        mpsc::{sync_channel, Receiver, SyncSender},
        OnceLock,
    },
    time::Duration,
};

use ferry_plugin_api::{
    author::BackendImpl,
    io::{copy_exact, CopyError},
    BackendError, Capabilities, Entry, ErrorKind, HostBox, Listing, LogLevel,
};
use reqwest::{
    blocking::{Body, Client, RequestBuilder, Response},
    Method,
};

use crate::{
    config::{Endpoint, ExistConfig},
    error::{status_error, transport_error},
    listing::{self, Parsed},
    mime, names, CAPABILITIES,
};

/// An open eXist target.
pub struct ExistBackend {
    client: Client,
    pub(crate) endpoint: Endpoint,
    /// `http://host:port/exist/rest`.
    base: String,
    user: Option<String>,
    password: String,
    placeholders: AtomicU64,
    /// The server's major version, asked for on first need ([`crate::version`]).
    pub(crate) major_version: OnceLock<Option<u32>>,
    /// Where the requests are logged (`-vvv`).
    host: HostBox,
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

impl ExistBackend {
    /// Opens the target and checks the server and the credentials with one request.
    pub fn open(config: ExistConfig, host: HostBox) -> Result<Self, BackendError> {
        let endpoint = Endpoint::parse(&config.location, &config.rest_base)?;
        let mut builder = Client::builder()
            .connect_timeout(Duration::from_secs(config.timeout))
            // Uploads of any size: no deadline for a whole request; TCP keepalive notices a
            // dead peer.
            .timeout(None)
            .tcp_keepalive(Duration::from_secs(30))
            .pool_max_idle_per_host(config.connections.max(1));
        // Always our own rustls configuration (ring), also for plain HTTP: reqwest would
        // otherwise look for a process-wide crypto provider.
        let trust = ferry_tls_config::Trust {
            ca_file: config.ca_file.as_deref(),
            fingerprint: config.fingerprint.as_deref(),
            insecure: config.insecure,
        };
        let tls = ferry_tls_config::client_config(&trust, ferry_tls_config::TLS13_AND_12)?;
        builder = builder.tls_backend_preconfigured(tls);
        if config.insecure && endpoint.origin.starts_with("https://") {
            host.log(
                LogLevel::WARN,
                format!(
                    "insecure = true: the certificate of {} is not verified",
                    endpoint.server
                )
                .as_str()
                .into(),
            );
        }
        let client = builder.build().map_err(|e| {
            BackendError::new(ErrorKind::INVALID_CONFIG, format!("HTTP client setup: {e}"))
        })?;
        let base = format!("{}/{}", endpoint.origin, config.rest_base.trim_matches('/'));
        let backend = ExistBackend {
            client,
            user: config.user.or_else(|| endpoint.user.clone()),
            password: config
                .password
                .or_else(|| endpoint.password.clone())
                .unwrap_or_default(),
            endpoint,
            base,
            placeholders: AtomicU64::new(0),
            major_version: OnceLock::new(),
            host,
        };
        backend.check_access()?;
        Ok(backend)
    }

    /// One HEAD on the root: a wrong password or an unreachable server fails here, before any
    /// transfer.
    fn check_access(&self) -> Result<(), BackendError> {
        let response = self.send(Method::HEAD, "", "", |r| r)?;
        match response.status().as_u16() {
            200..=299 | 404 => Ok(()),
            status => Err(status_error(
                &self.endpoint.server,
                "HEAD",
                &self.db_path(""),
                status,
            )),
        }
    }

    /// `/db/reports/a b.xml`, for messages.
    pub(crate) fn db_path(&self, rel: &str) -> String {
        let mut path = format!("/{}", self.endpoint.root.join("/"));
        if !rel.is_empty() {
            path.push('/');
            path.push_str(rel);
        }
        path
    }

    fn url(&self, rel: &str) -> String {
        self.base.clone() + &self.encoded_db_path(rel)
    }

    /// `/db/reports/a%20b.xml`: the database path as eXist spells it in listings and queries.
    pub(crate) fn encoded_db_path(&self, rel: &str) -> String {
        let mut path = String::new();
        for segment in self
            .endpoint
            .root
            .iter()
            .map(String::as_str)
            .chain(rel.split('/').filter(|s| !s.is_empty()))
        {
            path.push('/');
            path.push_str(&names::encode(segment));
        }
        path
    }

    /// Sends `method` on `/db` itself, where queries go whatever the target's root.
    pub(crate) fn send_to_db(
        &self,
        method: Method,
        shape: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response, BackendError> {
        self.send_to(method, format!("{}/db", self.base), "/db", shape)
    }

    /// Sends `method` on `rel` (with `query`, `?…` or empty), shaped by `shape`; any HTTP status is returned, transport
    /// failures are errors.
    pub(crate) fn send(
        &self,
        method: Method,
        rel: &str,
        query: &str,
        shape: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response, BackendError> {
        self.send_to(method, self.url(rel) + query, &self.db_path(rel), shape)
    }

    /// Sends one request to `url` with the credentials (pre-emptive Basic) and logs it; `shown`
    /// names the path in a transport error.
    fn send_to(
        &self,
        method: Method,
        url: String,
        shown: &str,
        shape: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response, BackendError> {
        let mut request = self.client.request(method.clone(), &url);
        if let Some(user) = &self.user {
            request = request.basic_auth(user, Some(&self.password));
        }
        let response = shape(request)
            .send()
            .map_err(|e| transport_error(&self.endpoint.server, method.as_str(), shown, &e));
        self.log_request(&method, &url, &response);
        response
    }

    /// `-vvv`: the request line and the answer's status (credentials go in a header, never in
    /// the URL, so nothing here is secret).
    pub(crate) fn log_request(
        &self,
        method: &Method,
        url: &str,
        response: &Result<Response, BackendError>,
    ) {
        let answer = match response {
            Ok(response) => response.status().to_string(),
            Err(error) => error.message.to_string(),
        };
        self.host.log(
            LogLevel::DEBUG,
            format!("{method} {url} → {answer}").as_str().into(),
        );
    }

    pub(crate) fn fail(&self, method: &str, rel: &str, response: &Response) -> BackendError {
        let status = response.status().as_u16();
        if status == 401 && self.user.is_none() {
            // Without a user every request runs as eXist's guest: a 401 is guest lacking a
            // right, not a wrong password (exist-rest.md §10).
            let right = if matches!(method, "GET" | "HEAD") {
                "read"
            } else {
                "write"
            };
            return BackendError::new(
                ErrorKind::AUTH,
                format!(
                    "eXist at {}: {method} {}: the guest account may not {right} here; name a user with {right} permission (exist://USER@{}/…)",
                    self.endpoint.server,
                    self.db_path(rel),
                    self.endpoint.server
                ),
            )
            .with_context("path", rel);
        }
        status_error(&self.endpoint.server, method, &self.db_path(rel), status)
    }

    /// What the listing of `path`'s collection says is there: `Some(true)` a collection,
    /// `Some(false)` a document, `None` nothing (or no such collection).
    pub(crate) fn listed_kind(&self, path: &str) -> Result<Option<bool>, BackendError> {
        let (parent, name) = split(path);
        let listing = match self.fetch_listing(parent) {
            Ok(Parsed::Collection(listing)) => listing,
            Ok(Parsed::NotACollection) => return Ok(None),
            Err(e) if e.kind == ErrorKind::NOT_FOUND => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(listing
            .entries
            .iter()
            .find(|entry| entry.name.as_str() == name)
            .map(|entry| entry.is_dir()))
    }

    fn fetch_listing(&self, dir: &str) -> Result<Parsed, BackendError> {
        let response = self.send(Method::GET, dir, "", |r| r)?;
        if !response.status().is_success() {
            return Err(self.fail("GET", dir, &response));
        }
        let body = response
            .text()
            .map_err(|e| transport_error(&self.endpoint.server, "GET", &self.db_path(dir), &e))?;
        Ok(listing::parse(&body, &self.db_path(dir), dir))
    }

    pub(crate) fn not_found(&self, path: &str) -> BackendError {
        BackendError::new(
            ErrorKind::NOT_FOUND,
            format!(
                "eXist at {}: {} not found",
                self.endpoint.server,
                self.db_path(path)
            ),
        )
        .with_context("path", path)
    }

    /// A document operation on a collection.
    pub(crate) fn a_collection(&self, path: &str) -> BackendError {
        BackendError::new(
            ErrorKind::INVALID_INPUT,
            format!(
                "eXist at {}: {} is a collection, not a document",
                self.endpoint.server,
                self.db_path(path)
            ),
        )
        .with_context("path", path)
    }

    fn not_a_collection(&self, dir: &str) -> BackendError {
        BackendError::new(
            ErrorKind::INVALID_INPUT,
            format!(
                "eXist at {}: {} is a document, not a collection",
                self.endpoint.server,
                self.db_path(dir)
            ),
        )
        .with_context("path", dir)
    }
}

impl BackendImpl for ExistBackend {
    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    /// A missing collection is NOT_FOUND; a document is INVALID_INPUT.
    fn list(&self, dir: &str) -> Result<Listing, BackendError> {
        match self.fetch_listing(dir)? {
            Parsed::Collection(listing) => Ok(listing),
            Parsed::NotACollection => Err(self.not_a_collection(dir)),
        }
    }

    /// From the parent's listing; a document's type and size (exact for binary documents, a
    /// page estimate for XML ones) from a HEAD.
    fn stat(&self, path: &str) -> Result<Entry, BackendError> {
        if path.is_empty() {
            return match self.fetch_listing("")? {
                Parsed::Collection(_) => Ok(Entry::directory("")),
                Parsed::NotACollection => Err(self.not_a_collection("")),
            };
        }
        let (parent, name) = split(path);
        let listing = match self.fetch_listing(parent)? {
            Parsed::Collection(listing) => listing,
            Parsed::NotACollection => return Err(self.not_found(path)),
        };
        let mut entry = listing
            .entries
            .into_iter()
            .find(|e| e.name.as_str() == name)
            .ok_or_else(|| self.not_found(path))?;
        if entry.is_file() {
            let response = self.send(Method::HEAD, path, "", |r| r)?;
            if !response.status().is_success() {
                return Err(self.fail("HEAD", path, &response));
            }
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            entry.size = header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            entry.mime = header("content-type")
                .map(ferry_plugin_api::abi_stable::std_types::RString::from)
                .into();
        }
        Ok(entry)
    }

    /// A document's stored content ([`crate::reader`]): binary documents by GET, XML and
    /// executable ones through a query, as eXist would run an XQuery and expand XIncludes on
    /// GET. XML comes back re-serialised by eXist, so its bytes may differ from what was stored.
    fn open_read(&self, path: &str, offset: u64) -> Result<Box<dyn Read + Send>, BackendError> {
        if offset > 0 {
            return Err(BackendError::unsupported(
                "reading from an offset (eXist ignores Range)",
            ));
        }
        self.read_document(path)
    }

    /// PUT with eXist's Content-Type for the name (XML types are stored as XML and must be
    /// well-formed: a 400 is REJECTED), the body streamed; the last chunk is only released once
    /// the source has given exactly `size` bytes, so a short or long source stores nothing.
    /// Returns no version: eXist assigns it, and ferry reads it from the next listing.
    fn write(
        &self,
        path: &str,
        source: &mut dyn Read,
        size: Option<u64>,
        _mtime_ns: Option<i64>,
    ) -> Result<Entry, BackendError> {
        let name = split(path).1;
        let (content_type, is_xml) = mime::for_upload(name, || self.server_major());
        let (sender, receiver) = sync_channel(4);
        let body_reader = ChannelReader {
            receiver,
            current: Vec::new(),
            at: 0,
        };
        let body = match size {
            Some(size) => Body::sized(body_reader, size),
            None => Body::new(body_reader),
        };
        let (copied, answer) = std::thread::scope(|scope| {
            let request = scope.spawn(|| {
                self.send(Method::PUT, path, "", |r| {
                    r.header("Content-Type", content_type).body(body)
                })
            });
            let mut writer = HoldLast { sender, held: None };
            let copied = copy_exact(source, &mut writer, size, path);
            match &copied {
                Ok(_) => writer.finish(),
                Err(_) => writer.abort(),
            }
            drop(writer);
            (copied, request.join().expect("the request thread"))
        });
        let copied = match copied {
            Ok(copied) => copied,
            // The source failed or gave the wrong size: the body was cut off, nothing stored.
            Err(CopyError::Source(e) | CopyError::Size(e)) => return Err(e),
            // The request ended before taking the whole body: its answer says why.
            Err(CopyError::Sink(_)) => {
                let response = answer?;
                return Err(self.fail("PUT", path, &response));
            }
        };
        let response = answer?;
        match response.status().as_u16() {
            200..=299 => {}
            // A PUT's 400 comes without eXist's reason (Jetty sends no body for PUT,
            // exist-rest.md §11): tell a collection in the way from a parse failure.
            400 => {
                let why = if self.listed_kind(path)? == Some(true) {
                    "a collection of that name is there; a document cannot take its place"
                } else if is_xml {
                    "not well-formed XML (the server refused it)"
                } else {
                    "the server refused the document (400)"
                };
                return Err(BackendError::new(
                    ErrorKind::REJECTED,
                    format!(
                        "eXist at {}: PUT {}: {why}",
                        self.endpoint.server,
                        self.db_path(path)
                    ),
                )
                .with_context("path", path));
            }
            _ => return Err(self.fail("PUT", path, &response)),
        }
        Ok(Entry::file(name, copied))
    }

    /// DELETE of a document; missing is fine. A collection is refused (eXist would delete it
    /// with everything in it): the listing of its collection tells them apart, not a header a
    /// proxy may rewrite.
    fn delete(&self, path: &str) -> Result<(), BackendError> {
        match self.listed_kind(path)? {
            None => Ok(()),
            Some(true) => Err(self.a_collection(path)),
            Some(false) => self.delete_any(path),
        }
    }

    /// Creates the collection with its ancestors; an existing collection succeeds, a document in
    /// the way fails.
    fn mkdir(&self, path: &str) -> Result<(), BackendError> {
        match self.fetch_listing(path) {
            Ok(Parsed::Collection(_)) => return Ok(()),
            Ok(Parsed::NotACollection) => {
                return Err(BackendError::new(
                    ErrorKind::ALREADY_EXISTS,
                    format!(
                        "eXist at {}: {} is a document",
                        self.endpoint.server,
                        self.db_path(path)
                    ),
                )
                .with_context("path", path))
            }
            Err(e) if e.kind == ErrorKind::NOT_FOUND => {}
            Err(e) => return Err(e),
        }
        let n = self.placeholders.fetch_add(1, Ordering::Relaxed);
        let placeholder = join(path, &format!(".ferry-mkdir-{}-{n}", std::process::id()));
        self.write(&placeholder, &mut std::io::empty(), Some(0), None)?;
        self.delete_any(&placeholder)
    }

    /// DELETE, which eXist applies recursively; without `recursive` a non-empty collection is
    /// refused first. A missing collection succeeds.
    fn rmdir(&self, path: &str, recursive: bool) -> Result<(), BackendError> {
        match self.list(path) {
            Err(e) if e.kind == ErrorKind::NOT_FOUND => return Ok(()),
            Err(e) => return Err(e),
            Ok(listing) if !recursive && !listing.entries.is_empty() => {
                return Err(BackendError::new(
                    ErrorKind::REJECTED,
                    format!(
                        "eXist at {}: {} is not empty",
                        self.endpoint.server,
                        self.db_path(path)
                    ),
                )
                .with_context("path", path))
            }
            Ok(_) => {}
        }
        self.delete_any(path)
    }
}

impl ExistBackend {
    /// DELETE whatever is at `path` (recursively for a collection); missing is fine.
    fn delete_any(&self, path: &str) -> Result<(), BackendError> {
        let response = self.send(Method::DELETE, path, "", |r| r)?;
        match response.status().as_u16() {
            200..=299 | 404 => Ok(()),
            _ => Err(self.fail("DELETE", path, &response)),
        }
    }
}

/// The PUT body: chunks from the writer thread; an `Err` chunk cuts the request off.
struct ChannelReader {
    receiver: Receiver<Result<Vec<u8>, ()>>,
    current: Vec<u8>,
    at: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.current.len() {
            match self.receiver.recv() {
                Ok(Ok(chunk)) => {
                    self.current = chunk;
                    self.at = 0;
                }
                Ok(Err(())) => {
                    return Err(std::io::Error::other("the source failed; upload abandoned"))
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Feeds the PUT body, always holding the latest chunk back until the source is known to be
/// complete: a request can never finish on bytes that turn out to be wrong.
struct HoldLast {
    sender: SyncSender<Result<Vec<u8>, ()>>,
    held: Option<Vec<u8>>,
}

impl HoldLast {
    fn finish(&mut self) {
        if let Some(last) = self.held.take() {
            let _ = self.sender.send(Ok(last));
        }
    }

    fn abort(&mut self) {
        self.held = None;
        let _ = self.sender.send(Err(()));
    }
}

impl Write for HoldLast {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(previous) = self.held.replace(buf.to_vec()) {
            self.sender
                .send(Ok(previous))
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
