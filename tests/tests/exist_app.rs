//! A realistic eXist application collection round trip (issue 14's acceptance): an app as
//! eXist holds it after installation — controller.xql, XQuery modules, XHTML templates, data
//! with an `xi:include`, an EAD and a MODS record, images and CSS — pulled into an empty
//! directory, pushed back unchanged (nothing moves), one file of each kind edited and pushed,
//! then pulled into a second directory. Bytes must match where eXist keeps bytes (binary and
//! XQuery resources), the XML infoset where it re-serialises (the test server runs in its
//! re-serialising mode), and the types on the server must be the ones eXist's own table gives.

use std::path::Path;

use ferry_tests::{exist::ExistServer, *};

/// `(path in the app, stored type, XML?, content)` — the types eXist's mime-types.xml gives;
/// `mods` is the MODS record's (eXist 6 has no `application/mods+xml`).
fn app(mods: &'static str) -> Vec<(&'static str, &'static str, bool, Vec<u8>)> {
    let png: Vec<u8> = b"\x89PNG\r\n\x1a\n"
        .iter()
        .copied()
        .chain((0..5000u32).map(|i| (i * 7 % 251) as u8))
        .collect();
    vec![
        ("controller.xql", "application/xquery", false, b"xquery version \"3.1\";\ndeclare variable $exist:path external;\nif ($exist:path eq \"/\") then\n    <dispatch xmlns=\"http://exist.sourceforge.net/NS/exist\"><redirect url=\"index.html\"/></dispatch>\nelse ()\n".to_vec()),
        ("modules/app.xqm", "application/xquery", false, b"xquery version \"3.1\";\nmodule namespace app = \"http://example.org/app\";\ndeclare function app:title($node, $model) { <h1>Demo</h1> };\n".to_vec()),
        ("modules/config.xqm", "application/xquery", false, b"xquery version \"3.1\";\nmodule namespace config = \"http://example.org/config\";\ndeclare variable $config:root := \"/db/apps/demo\";\n".to_vec()),
        ("templates/page.html", "text/html", true, b"<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>Demo</title><link rel=\"stylesheet\" href=\"resources/css/style.css\"/></head><body><div data-template=\"app:title\"/></body></html>".to_vec()),
        ("data/doc1.xml", "application/xml", true, b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<doc xmlns:xi=\"http://www.w3.org/2001/XInclude\"><head>One</head><xi:include href=\"part.xml\"/></doc>\n".to_vec()),
        ("data/part.xml", "application/xml", true, b"<part><p>Included text</p></part>".to_vec()),
        ("data/finding-aid.ead", "application/xml", true, b"<ead xmlns=\"urn:isbn:1-931666-22-9\"><eadheader><eadid>demo-1</eadid></eadheader><archdesc level=\"collection\"><did><unittitle>Papers</unittitle></did></archdesc></ead>".to_vec()),
        ("data/record.mods", mods, true, b"<mods xmlns=\"http://www.loc.gov/mods/v3\"><titleInfo><title>A record</title></titleInfo></mods>".to_vec()),
        ("resources/images/logo.png", "image/png", false, png),
        ("resources/css/style.css", "text/css", false, b"body { margin: 0 }\n".to_vec()),
        ("repo.xml", "application/xml", true, b"<meta xmlns=\"http://exist-db.org/xquery/repo\"><type>application</type><target>demo</target></meta>".to_vec()),
    ]
}

/// The document's tree without ignorable whitespace: element and attribute names with their
/// namespaces, attributes in order of name, text trimmed, comments and PIs.
fn infoset(bytes: &[u8]) -> String {
    fn walk(node: roxmltree::Node, out: &mut String) {
        match node.node_type() {
            roxmltree::NodeType::Element => {
                let tag = node.tag_name();
                out.push_str(&format!(
                    "<{{{}}}{}",
                    tag.namespace().unwrap_or(""),
                    tag.name()
                ));
                let mut attributes: Vec<String> = node
                    .attributes()
                    .map(|a| {
                        format!(
                            " {{{}}}{}={:?}",
                            a.namespace().unwrap_or(""),
                            a.name(),
                            a.value()
                        )
                    })
                    .collect();
                attributes.sort();
                out.push_str(&attributes.concat());
                out.push('>');
                for child in node.children() {
                    walk(child, out);
                }
                out.push_str("</>");
            }
            roxmltree::NodeType::Text => out.push_str(node.text().unwrap_or("").trim()),
            roxmltree::NodeType::Comment => out.push_str(&format!("<!--{:?}-->", node.text())),
            roxmltree::NodeType::PI => out.push_str(&format!("<?{:?}?>", node.pi())),
            roxmltree::NodeType::Root => node.children().for_each(|c| walk(c, out)),
        }
    }
    let text = std::str::from_utf8(bytes).expect("UTF-8 XML");
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let document = roxmltree::Document::parse_with_options(text, options)
        .unwrap_or_else(|e| panic!("not XML ({e}): {text}"));
    let mut out = String::new();
    walk(document.root(), &mut out);
    out
}

/// Every file of `dir` matches `expected`: bytes, or the infoset for XML.
fn assert_matches(dir: &Path, expected: &[(&str, &str, bool, Vec<u8>)]) {
    let files: Vec<String> = tree(dir)
        .into_keys()
        .filter(|k| !k.ends_with('/'))
        .collect();
    let mut wanted: Vec<String> = expected.iter().map(|(p, ..)| p.to_string()).collect();
    wanted.sort();
    assert_eq!(files, wanted, "the files of {}", dir.display());
    for (path, _, xml, content) in expected {
        let got = std::fs::read(dir.join(path)).unwrap();
        if *xml {
            assert_eq!(infoset(&got), infoset(content), "{path}");
        } else {
            assert_eq!(got, *content, "{path}: bytes");
        }
    }
}

#[test]
fn an_application_collection_round_trips() {
    round_trip("7.0.0-SNAPSHOT", "application/mods+xml");
}

/// eXist 6 does not know `application/mods+xml` and would store a MODS record sent with it as
/// binary: there it goes as `application/xml`.
#[test]
fn an_application_collection_round_trips_on_exist_6() {
    round_trip("6.4.0", "application/xml");
}

fn round_trip(version: &str, mods: &'static str) {
    let server = ExistServer::start_with(&["--reindent-xml", "--exist-version", version]);
    let mut files = app(mods);
    for (path, mime, _, content) in &files {
        server.put(&format!("/db/apps/demo/{path}"), mime, content);
    }
    let pair = Pair::new();
    let config = pair.root.path().join("config/ferry");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        format!("[remotes.apps]\nurl = \"{}\"\n", server.url("apps")),
    )
    .unwrap();
    let first = pair.src.to_str().unwrap().to_string();
    let second = pair.dst.to_str().unwrap().to_string();
    let n = files.len() as u32;
    let counts = |up: u32, down: u32, unchanged: u32| {
        format!("{up} uploaded, {down} downloaded, {unchanged} unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed")
    };

    // Pull into an empty directory: every file, XQuery as source, XML as stored.
    let run = pair.ferry_with_password(&["sync", "apps:demo", &first]);
    assert_eq!(run.summary, counts(0, n, 0), "{}{}", run.stdout, run.stderr);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_matches(&pair.src, &files);
    let doc = std::fs::read_to_string(pair.src.join("data/doc1.xml")).unwrap();
    assert!(doc.contains("<xi:include href=\"part.xml\"/>"), "{doc}");

    // Pushed back unchanged: nothing moves.
    pair.ferry_with_password(&["sync", &first, "apps:demo"])
        .expect(0, &[], &counts(0, 0, n));

    // One file of each kind edited and pushed.
    let edits: &[(&str, &[u8])] = &[
        ("controller.xql", b"xquery version \"3.1\";\n(: edited :)\n()\n"),
        ("modules/app.xqm", b"xquery version \"3.1\";\nmodule namespace app = \"http://example.org/app\";\ndeclare function app:title($node, $model) { <h1>Edited</h1> };\n"),
        ("templates/page.html", b"<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>Edited</title></head><body><p>New page</p></body></html>"),
        ("data/doc1.xml", b"<doc xmlns:xi=\"http://www.w3.org/2001/XInclude\"><head>One, edited</head><xi:include href=\"part.xml\"/></doc>"),
        ("data/finding-aid.ead", b"<ead xmlns=\"urn:isbn:1-931666-22-9\"><eadheader><eadid>demo-2</eadid></eadheader></ead>"),
        ("data/record.mods", b"<mods xmlns=\"http://www.loc.gov/mods/v3\"><titleInfo><title>Edited record</title></titleInfo></mods>"),
        ("resources/images/logo.png", b"\x89PNG\r\n\x1a\nedited image bytes\x00\xff"),
        ("resources/css/style.css", b"body { margin: 1em }\n"),
    ];
    for (path, content) in edits {
        put(&pair.src, path, content);
        let entry = files.iter_mut().find(|f| f.0 == *path).unwrap();
        entry.3 = content.to_vec();
    }
    let lines: Vec<String> = edits
        .iter()
        .map(|(p, _)| format!("↑ {p} (modified)"))
        .collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    pair.ferry_with_password(&["sync", &first, "apps:demo"])
        .expect(
            0,
            &lines,
            &counts(edits.len() as u32, 0, n - edits.len() as u32),
        );

    // The server holds each with the type eXist's table gives it.
    for (path, mime, _, _) in &files {
        let head = server.request("HEAD", &format!("/db/apps/demo/{path}"), None, b"");
        assert_eq!(head.header("content-type"), Some(*mime), "{path}");
    }

    // Pulled into a second directory: the edited app, bytes and infosets.
    let run = pair.ferry_with_password(&["sync", "apps:demo", &second]);
    assert_eq!(run.summary, counts(0, n, 0), "{}{}", run.stdout, run.stderr);
    assert_matches(&pair.dst, &files);
    let doc = std::fs::read_to_string(pair.dst.join("data/doc1.xml")).unwrap();
    assert!(doc.contains("<xi:include href=\"part.xml\"/>"), "{doc}");
}
