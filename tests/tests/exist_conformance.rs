//! The plugin-api conformance suite through the `exist` plugin against the eXist REST test
//! server: odd names (spaces, `+`, `&`, non-ASCII, a literal `%20`), empty files, a binary over
//! 64 MiB streamed, atomic writes on short and long sources; plus how the plugin meets errors.

use ferry::backend::Backend;
use ferry_plugin_api::{conformance, Capabilities, ErrorKind};
use ferry_tests::{exist::ExistServer, open_plugin, workspace_plugin_dir};

fn open(options: &toml::Table) -> Result<Backend, ferry_plugin_api::BackendError> {
    open_plugin("exist", options, "exist test")
}

#[test]
fn the_exist_plugin_passes_conformance() {
    let server = ExistServer::start();
    // The root collection /db always exists; the suite works in a fresh collection below it.
    let backend = open(&server.options("")).unwrap();
    let capabilities = backend.capabilities();
    for needed in [
        Capabilities::CHANGE_TOKEN,
        Capabilities::REJECTS_MALFORMED_XML,
        Capabilities::APPROXIMATE_SIZES,
    ] {
        assert!(capabilities.contains(needed), "{capabilities:?}");
    }
    let options = conformance::Options {
        large_file_size: 64 * 1024 * 1024 + 4097,
        ..conformance::Options::default()
    };
    let library = workspace_plugin_dir().join(ferry_plugin_api::library_file_name("exist"));
    let report = conformance::check_library(&library, &server.options("").to_string(), &options);
    report.assert_ok();
    for check in [
        "large-file-streamed",
        "names-with-spaces-unicode-and-punctuation",
        "failed-source-commits-nothing",
    ] {
        assert!(report.passed(check), "{check}:\n{report}");
    }
    let listed = server.names("/db/ferry-conformance");
    assert!(listed.is_empty(), "the suite cleans up: {listed:?}");
}

#[test]
fn names_are_encoded_once_and_listed_decoded() {
    let server = ExistServer::start();
    let backend = open(&server.options("names")).unwrap();
    for name in [
        "with space.xml",
        "plus+and&amp.txt",
        "Grüße.txt",
        "percent%20literal.txt",
    ] {
        let content: &'static [u8] = if name.ends_with(".xml") {
            b"<a/>"
        } else {
            b"x"
        };
        backend
            .write(name, content, Some(content.len() as u64), None)
            .unwrap();
    }
    assert_eq!(
        server.names("/db/names"),
        [
            "Gr%C3%BC%C3%9Fe.txt",
            "percent%2520literal.txt",
            "plus+and&amp.txt",
            "with%20space.xml"
        ]
    );
    let mut listed: Vec<String> = backend
        .list("")
        .unwrap()
        .entries
        .iter()
        .map(|e| e.name.to_string())
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "Grüße.txt",
            "percent%20literal.txt",
            "plus+and&amp.txt",
            "with space.xml"
        ]
    );
}

#[test]
fn errors_are_classified() {
    let server = ExistServer::start();
    let mut options = server.options("e");
    options.insert("password".into(), "wrong".into());
    let error = open(&options).unwrap_err();
    assert_eq!(error.kind, ErrorKind::AUTH, "{error:?}");
    assert!(
        error.message.contains("wrong user or password"),
        "{}",
        error.message
    );

    let backend = open(&server.options("e")).unwrap();
    let bad: &'static [u8] = b"<a><b></a>";
    let error = backend
        .write("bad.xml", bad, Some(bad.len() as u64), None)
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::REJECTED, "{error:?}");
    assert!(
        error.message.contains("not well-formed XML"),
        "{}",
        error.message
    );

    let port = server.port;
    drop(server);
    let mut options = toml::Table::new();
    options.insert(
        "location".into(),
        format!("exist://admin@127.0.0.1:{port}/db/x").into(),
    );
    let error = open(&options).unwrap_err();
    assert_eq!(error.kind, ErrorKind::CONNECTION, "{error:?}");
    assert!(
        error.message.contains("cannot connect"),
        "{}",
        error.message
    );
}

/// eXist's answers to a PUT carry no reason (Jetty sends no body for PUT), so the plugin finds
/// it: a collection in the way is named as such, not reported as malformed XML.
#[test]
fn a_put_refused_because_a_collection_is_in_the_way_says_so() {
    let server = ExistServer::start();
    let backend = open(&server.options("")).unwrap();
    backend.mkdir("errors/taken.xml").unwrap();
    let error = backend
        .write("errors/taken.xml", &b"<a/>"[..], Some(4), None)
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::REJECTED, "{error:?}");
    assert!(
        error
            .message
            .ends_with("PUT /db/errors/taken.xml: a collection of that name is there; a document cannot take its place"),
        "{}",
        error.message
    );
    let error = backend
        .write("errors/bad.xml", &b"<a>"[..], Some(3), None)
        .unwrap_err();
    assert!(
        error
            .message
            .ends_with("not well-formed XML (the server refused it)"),
        "{}",
        error.message
    );
}

/// Without a user every request is eXist's guest: a refused write is the guest's missing right,
/// not a wrong password.
#[test]
fn a_guest_write_says_it_needs_a_user() {
    let server = ExistServer::start();
    let mut options = toml::Table::new();
    options.insert(
        "location".into(),
        format!("exist://127.0.0.1:{}/db/open", server.port).into(),
    );
    let backend = open(&options).unwrap();
    let error = backend
        .write("a.txt", &b"hello"[..], Some(5), None)
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::AUTH, "{error:?}");
    assert!(
        error
            .message
            .contains("the guest account may not write here; name a user with write permission"),
        "{}",
        error.message
    );
}

/// Whether a path is a collection comes from its collection's listing, never from a header: a
/// reverse proxy that drops the charset from a collection's HEAD made it look like a document,
/// and deleting that "document" deleted the collection with everything in it.
#[test]
fn a_collection_is_never_deleted_as_a_document() {
    let server = ExistServer::start_with(&["--proxy-strips-charset"]);
    let backend = open(&server.options("")).unwrap();
    backend
        .write("keep/inner/data.xml", &b"<data/>"[..], Some(7), None)
        .unwrap();
    let error = backend.delete("keep/inner").unwrap_err();
    assert_eq!(error.kind, ErrorKind::INVALID_INPUT, "{error:?}");
    assert!(
        error.message.contains("is a collection"),
        "{}",
        error.message
    );
    assert_eq!(server.names("/db/keep/inner"), ["data.xml"]);
    backend.delete("keep/inner/data.xml").unwrap();
    backend.delete("keep/inner/data.xml").unwrap();
    assert!(server.names("/db/keep/inner").is_empty());
}

/// `exist+https://` against the test server speaking TLS: trusted through `ca_file`, refused
/// without it (the refusal gives the fingerprint to pin), trusted by that fingerprint, and with
/// `insecure`; the bytes cross intact.
#[test]
fn https_is_verified_and_works() {
    let server = ExistServer::start_https();
    let ca = server.ca_file.clone().unwrap();
    let mut options = server.options("");
    options.insert("ca_file".into(), ca.to_string_lossy().into_owned().into());
    let backend = open(&options).unwrap();
    let body = b"over https".to_vec();
    backend
        .write(
            "tls/a.txt",
            std::io::Cursor::new(body.clone()),
            Some(10),
            None,
        )
        .unwrap();
    let mut read = Vec::new();
    std::io::Read::read_to_end(&mut backend.open_read("tls/a.txt", 0).unwrap(), &mut read).unwrap();
    assert_eq!(read, body);
    drop(backend);

    options.remove("ca_file");
    let error = open(&options).unwrap_err();
    assert_eq!(error.kind, ErrorKind::CONNECTION, "{error:?}");
    let fingerprint = format!(
        "sha256:{}",
        ferry_tests::servers::certificate_fingerprint(&ca.with_file_name("cert.pem"))
    );
    assert!(
        error.message.contains("certificate is not trusted")
            && error
                .message
                .contains(&format!("fingerprint = \"{fingerprint}\"")),
        "{}",
        error.message
    );
    options.insert("fingerprint".into(), fingerprint.into());
    assert_eq!(
        open(&options).unwrap().list("tls").unwrap().entries.len(),
        1
    );
    options.remove("fingerprint");
    options.insert("insecure".into(), true.into());
    assert!(open(&options).is_ok(), "insecure = true skips verification");
}
