//! Reading from eXist what it stores, not what a GET would make of it (exist-rest.md §5.3):
//! XQuery and XProc resources, which eXist runs on GET (whatever their name), and XML with
//! XIncludes, which a GET expands. Each test first shows the test server doing what eXist does
//! on a plain GET, then that the plugin reads the stored content anyway.

use std::io::Read;

use ferry::{
    backend::Backend,
    plugins::{Registry, SearchPath},
};
use ferry_plugin_api::ErrorKind;
use ferry_tests::exist::ExistServer;

fn open(server: &ExistServer) -> Backend {
    let registry = Registry::new(SearchPath::only([ferry_tests::workspace_plugin_dir()]));
    Backend::open(
        registry.get("exist").unwrap(),
        &server.options(""),
        "exist test",
    )
    .unwrap()
}

fn read(backend: &Backend, path: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    backend
        .open_read(path, 0)
        .unwrap_or_else(|e| panic!("{path}: {e:?}"))
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

const CONTROLLER: &[u8] = b"xquery version \"3.1\";\n\
declare variable $exist:path external;\n\
if ($exist:path eq '/') then <dispatch xmlns=\"http://exist.sourceforge.net/NS/exist\"/> else ()\n";

#[test]
fn an_xquery_resource_is_read_as_its_source_not_run() {
    let server = ExistServer::start();
    server.put("/db/app/controller.xql", "application/xquery", CONTROLLER);
    // The same query stored under a name eXist's table does not call XQuery: eXist decides by
    // the stored type, so a GET runs this one too.
    server.put("/db/app/query.txt", "application/xquery", CONTROLLER);
    for path in ["/db/app/controller.xql", "/db/app/query.txt"] {
        let ran = server.get(path);
        assert_eq!(ran.status, 200);
        assert!(
            ran.text().starts_with("<exist:result"),
            "a GET runs the query: {}",
            ran.text()
        );
        assert_eq!(server.get(&format!("{path}?_source=yes")).status, 403);
    }

    let backend = open(&server);
    assert_eq!(read(&backend, "app/controller.xql"), CONTROLLER);
    assert_eq!(read(&backend, "app/query.txt"), CONTROLLER);
}

#[test]
fn an_xproc_pipeline_is_read_as_stored() {
    let server = ExistServer::start();
    let pipeline = br#"<p:declare-step xmlns:p="http://www.w3.org/ns/xproc" version="1.0"><p:input port="source"/><p:identity/></p:declare-step>"#;
    server.put("/db/app/pipeline.xpl", "application/xml+xproc", pipeline);
    assert!(server
        .get("/db/app/pipeline.xpl")
        .text()
        .starts_with("<exist:result"));
    assert_eq!(read(&open(&server), "app/pipeline.xpl"), pipeline);
}

#[test]
fn xincludes_are_read_as_stored_not_expanded() {
    let server = ExistServer::start();
    let main = br#"<book xmlns:xi="http://www.w3.org/2001/XInclude"><title>T</title><xi:include href="chapters/one.xml"/></book>"#;
    server.put("/db/app/data/book.xml", "application/xml", main);
    server.put(
        "/db/app/data/chapters/one.xml",
        "application/xml",
        b"<chapter>One</chapter>",
    );
    let shown = server.get("/db/app/data/book.xml");
    assert_eq!(
        shown.text(),
        r#"<book xmlns:xi="http://www.w3.org/2001/XInclude"><title>T</title><chapter>One</chapter></book>"#,
        "a GET expands the include"
    );
    assert_eq!(read(&open(&server), "app/data/book.xml"), main);

    // A broken include fails the GET; the document still reads as stored.
    let broken =
        br#"<book xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="gone.xml"/></book>"#;
    server.put("/db/app/data/broken.xml", "application/xml", broken);
    assert_eq!(server.get("/db/app/data/broken.xml").status, 400);
    assert_eq!(read(&open(&server), "app/data/broken.xml"), broken);
}

#[test]
fn html_is_read_without_the_get_serialisation() {
    let server = ExistServer::start();
    let page = br#"<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Home</title></head><body><p>Hi</p></body></html>"#;
    server.put("/db/app/templates/page.html", "text/html", page);
    let shown = server.get("/db/app/templates/page.html").text();
    assert!(
        shown.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<html")
            && shown.contains("\n    <head>"),
        "a GET of text/html is indented and declared: {shown}"
    );
    assert_eq!(read(&open(&server), "app/templates/page.html"), page);
}

#[test]
fn binary_documents_keep_their_bytes_and_missing_ones_are_not_found() {
    let server = ExistServer::start();
    let png: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    server.put("/db/app/logo.png", "image/png", &png);
    // Stored as binary under an XML name: the query returns its bytes.
    server.put(
        "/db/app/raw.xml",
        "application/octet-stream",
        b"<not parsed",
    );
    let backend = open(&server);
    assert_eq!(read(&backend, "app/logo.png"), png);
    assert_eq!(read(&backend, "app/raw.xml"), b"<not parsed");
    for missing in ["app/gone.xml", "app/gone.png", "app/gone.xq"] {
        let error = backend.open_read(missing, 0).map(|_| ()).unwrap_err();
        assert_eq!(error.kind, ErrorKind::NOT_FOUND, "{missing}: {error:?}");
        assert!(error.message.contains("not found"), "{}", error.message);
    }
    backend.mkdir("app/coll.xml").unwrap();
    let error = backend
        .open_read("app/coll.xml", 0)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::INVALID_INPUT, "{error:?}");
}
