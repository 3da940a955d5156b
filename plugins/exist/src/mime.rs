//! The Content-Type ferry sends with a PUT, from eXist's own mime table (exist-rest.md §7): XML
//! types are stored as XML (queryable, re-serialised on GET), everything else as binary (bytes
//! kept). eXist matches the type exactly, so the spelling here is eXist's.

/// `(extension, mime, stored as XML)`.
const TABLE: &[(&str, &str, bool)] = &[
    ("xml", "application/xml", true),
    ("xsd", "application/xml", true),
    ("rng", "application/xml", true),
    ("sch", "application/xml", true),
    ("xconf", "application/xml", true),
    ("xmap", "application/xml", true),
    ("tei", "application/xml", true),
    ("odd", "application/xml", true),
    ("xsl", "application/xslt+xml", true),
    ("xslt", "application/xslt+xml", true),
    ("rdf", "application/rdf+xml", true),
    ("xhtml", "application/xhtml+xml", true),
    ("xht", "application/xhtml+xml", true),
    ("html", "text/html", true),
    ("htm", "text/html", true),
    ("atom", "application/atom+xml", true),
    ("svg", "image/svg+xml", true),
    ("xpl", "application/xml+xproc", true),
    ("dita", "application/dita+xml", true),
    ("ditamap", "application/dita+xml", true),
    ("xq", "application/xquery", false),
    ("xql", "application/xquery", false),
    ("xqm", "application/xquery", false),
    ("xquery", "application/xquery", false),
    ("xqy", "application/xquery", false),
    ("xqws", "application/xquery", false),
    ("json", "application/json", false),
    ("txt", "text/plain", false),
    ("css", "text/css", false),
    ("js", "application/javascript", false),
    ("pdf", "application/pdf", false),
    ("png", "image/png", false),
    ("jpg", "image/jpeg", false),
    ("jpeg", "image/jpeg", false),
    ("gif", "image/gif", false),
];

fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// The Content-Type for a file called `name` and whether eXist stores it as XML.
pub fn for_name(name: &str) -> (&'static str, bool) {
    let extension = extension(name);
    TABLE
        .iter()
        .find(|(e, _, _)| *e == extension)
        .map(|(_, mime, xml)| (*mime, *xml))
        .unwrap_or(("application/octet-stream", false))
}

/// Is this an XQuery resource, which eXist executes on GET instead of returning it?
pub fn is_executable(name: &str) -> bool {
    for_name(name).0 == "application/xquery" || extension(name) == "xpl"
}
