//! The eXist REST test server itself, over raw HTTP, against the MUST list of exist-rest.md §15:
//! the exact listing (names, attribute order, sub-collections first, self-closing empties, no
//! declaration), timestamps with an offset, headers of GET and HEAD (page-rounded XML length,
//! no charset on HEAD, dates rounded up), 304, authentication (401 challenge, guest read-only),
//! PUT (201 both times, ancestors created, mime by Content-Type or extension, malformed XML
//! refused with the old document kept, 400 on a collection), DELETE (recursive, 404 empty), and
//! the error bodies.

use ferry_tests::exist::ExistServer;

fn guest(server: &ExistServer, method: &str, path: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        stream,
        "{method} /exist/rest{path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    raw.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn listing_put_get_head_delete_as_exist_answers() {
    let server = ExistServer::start_with(&["--utc-offset", "+02:00"]);
    let created = server.put("/db/demo/notes.xml", "application/xml", b"<notes/>");
    assert!(created.body.is_empty());
    server.put("/db/demo/caf%C3%A9.png", "image/png", b"\x89PNG");
    server.put("/db/demo/sub%20dir/x.txt", "text/plain", b"x");
    server.put("/db/demo/a+b%26c.bin", "application/octet-stream", b"");
    let answer = server.get("/db/demo/");
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("content-type"),
        Some("application/xml; charset=UTF-8")
    );
    assert!(answer
        .header("created")
        .is_some_and(|c| c.ends_with(" GMT")));
    let text = answer.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "<exist:result xmlns:exist=\"http://exist.sourceforge.net/NS/exist\">"
    );
    assert!(lines[1].starts_with("    <exist:collection name=\"/db/demo\" created=\"20"));
    assert!(
        lines[1].ends_with("+02:00\" owner=\"admin\" group=\"dba\" permissions=\"rwxr-xr-x\">"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("        <exist:collection name=\"sub%20dir\" created="),
        "sub-collections first: {text}"
    );
    assert!(lines[3].starts_with("        <exist:resource name=\"notes.xml\" created="));
    assert!(
        lines[3].contains("\" last-modified=\"")
            && lines[3].ends_with("owner=\"admin\" group=\"dba\" permissions=\"rw-r--r--\"/>")
    );
    assert!(lines[4].contains("name=\"caf%C3%A9.png\""));
    assert!(lines[5].contains("name=\"a+b&amp;c.bin\""), "{text}");
    assert_eq!(lines[6], "    </exist:collection>");
    assert_eq!(lines[7], "</exist:result>");
    assert!(
        !text.contains("size=") && !text.contains("mime"),
        "no sizes or types"
    );
    // An empty collection is self-closing.
    server.request("DELETE", "/db/demo/sub%20dir/x.txt", None, b"");
    let empty = server.get("/db/demo/sub%20dir").text();
    assert!(
        empty
            .lines()
            .nth(1)
            .unwrap()
            .ends_with("permissions=\"rwxr-xr-x\"/>"),
        "{empty}"
    );

    // GET and HEAD of documents.
    let png = server.get("/db/demo/caf%c3%a9.png");
    assert_eq!((png.status, png.body.as_slice()), (200, &b"\x89PNG"[..]));
    assert_eq!(png.header("content-type"), Some("image/png"));
    assert_eq!(png.header("content-length"), Some("4"));
    let xml = server.get("/db/demo/notes.xml");
    assert_eq!(
        xml.header("content-type"),
        Some("application/xml; charset=UTF-8")
    );
    let head = server.request("HEAD", "/db/demo/notes.xml", None, b"");
    assert_eq!(
        head.header("content-type"),
        Some("application/xml"),
        "no charset on HEAD"
    );
    assert_eq!(
        head.header("content-length"),
        Some("4096"),
        "XML: page-rounded"
    );
    let head = server.request("HEAD", "/db/demo", None, b"");
    assert_eq!(
        head.header("content-type"),
        Some("application/xml; charset=UTF-8")
    );
    assert_eq!(head.header("content-length"), None);
    let modified = xml.header("last-modified").unwrap().to_string();
    let not_modified = server.request("GET", "/db/demo/notes.xml", None, b"");
    assert_eq!(not_modified.status, 200);
    // The header date is rounded up to the next second; eXist ignores one from the future.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mut with_date = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    {
        use std::io::{Read, Write};
        write!(with_date, "GET /exist/rest/db/demo/notes.xml HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: {modified}\r\nConnection: close\r\n\r\n").unwrap();
        let mut raw = String::new();
        with_date.read_to_string(&mut raw).unwrap();
        assert!(raw.starts_with("HTTP/1.1 304"), "{raw}");
    }

    // PUT: 201 on overwrite too; malformed XML refused (400, empty body), old document kept;
    // a collection path refused; no Content-Type → by extension; unknown type → binary.
    let again = server.request(
        "PUT",
        "/db/demo/notes.xml",
        Some("application/xml"),
        b"<notes><n/></notes>",
    );
    assert_eq!((again.status, again.body.len()), (201, 0));
    let bad = server.request(
        "PUT",
        "/db/demo/notes.xml",
        Some("application/xml"),
        b"<notes>",
    );
    assert_eq!((bad.status, bad.body.len()), (400, 0));
    assert_eq!(
        server.get("/db/demo/notes.xml").body,
        b"<notes><n/></notes>"
    );
    assert_eq!(
        server
            .request("PUT", "/db/demo", Some("application/xml"), b"<a/>")
            .status,
        400
    );
    assert_eq!(
        server
            .request("PUT", "/db/demo/page.html", None, b"<html/>")
            .status,
        201
    );
    assert_eq!(
        server
            .request("HEAD", "/db/demo/page.html", None, b"")
            .header("content-type"),
        Some("text/html")
    );
    assert_eq!(
        server
            .request(
                "PUT",
                "/db/demo/odd.xml",
                Some("Application/XML"),
                b"<<not xml"
            )
            .status,
        201,
        "an unknown type is stored as binary"
    );

    // Authentication: guest reads, guest writes get the challenge; bad credentials too.
    assert_eq!(guest(&server, "GET", "/db/demo"), 200);
    assert_eq!(guest(&server, "PUT", "/db/demo/g.txt"), 401);
    assert_eq!(guest(&server, "DELETE", "/db/demo/notes.xml"), 401);

    // DELETE: recursive, 404 with an empty body when missing; GET 404 is an HTML page.
    assert_eq!(server.request("DELETE", "/db/demo", None, b"").status, 200);
    let missing = server.request("DELETE", "/db/demo", None, b"");
    assert_eq!((missing.status, missing.body.len()), (404, 0));
    let page = server.get("/db/demo/notes.xml");
    assert_eq!(page.status, 404);
    assert!(page
        .text()
        .contains("HTTP ERROR 404 Document /db/demo/notes.xml not found"));
    assert_eq!(server.request("MKCOL", "/db/x", None, b"").status, 501);
}

#[test]
fn bad_credentials_get_the_basic_challenge() {
    use std::io::{Read, Write};
    let server = ExistServer::start();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    // admin:wrong
    write!(stream, "GET /exist/rest/db HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWRtaW46d3Jvbmc=\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    assert!(raw.starts_with("HTTP/1.1 401"), "{raw}");
    assert!(
        raw.contains("WWW-Authenticate: Basic realm=\"exist\""),
        "{raw}"
    );
    assert!(raw.ends_with("\r\n\r\n"), "an empty body: {raw}");
}
