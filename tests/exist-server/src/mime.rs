//! eXist's mime table (exist-rest.md §7 step 4, from `mime-types.xml`): which types are stored as
//! XML, and the type of an extension. Content-Type lookups are exact (case-sensitive); extension
//! lookups are case-insensitive; anything unknown is stored as binary `application/octet-stream`.

/// `(mime, stored as XML, extensions)`; the first entry for an extension wins.
const TABLE: &[(&str, bool, &[&str])] = &[
    (
        "application/xml",
        true,
        &[
            "xml", "xsd", "rng", "sch", "xconf", "xmap", "xq.xml", "tei", "odd", "xlf", "xliff",
            "mods", "gpx", "ncx", "opf", "xspec", "nvdl", "mml",
        ],
    ),
    ("text/xml", true, &[]),
    ("application/xslt+xml", true, &["xsl", "xslt"]),
    ("application/rdf+xml", true, &["rdf", "rdfs", "owl"]),
    ("application/xhtml+xml", true, &["xhtml", "xht"]),
    ("text/html", true, &["html", "htm"]),
    ("application/atom+xml", true, &["atom"]),
    ("image/svg+xml", true, &["svg", "svgz"]),
    ("application/xml+xproc", true, &["xpl", "xproc"]),
    ("application/stx+xml", true, &["stx"]),
    ("application/oebps-package+xml", true, &[]),
    ("application/x-dtbncx+xml", true, &[]),
    ("application/scm+xml", true, &[]),
    ("application/dita+xml", true, &["dita", "ditamap"]),
    ("application/xslfo+xml", true, &["fo"]),
    ("application/wsdl+xml", true, &["wsdl"]),
    ("application/rss+xml", true, &["rss"]),
    (
        "application/xquery",
        false,
        &["xq", "xql", "xqm", "xquery", "xqy", "xqws"],
    ),
    ("application/json", false, &["json"]),
    ("text/plain", false, &["txt", "text", "log", "md", "csv"]),
    ("text/css", false, &["css"]),
    ("application/javascript", false, &["js", "mjs"]),
    ("application/pdf", false, &["pdf"]),
    ("image/png", false, &["png"]),
    ("image/jpeg", false, &["jpg", "jpeg"]),
    ("image/gif", false, &["gif"]),
    ("image/x-icon", false, &["ico"]),
    ("application/zip", false, &["zip", "xar"]),
    (
        "application/octet-stream",
        false,
        &["bin", "exe", "dll", "class"],
    ),
    ("font/woff", false, &["woff"]),
    ("font/woff2", false, &["woff2"]),
];

/// The mime type and XML-ness a PUT stores: the Content-Type (before any `;`) when the table
/// has it exactly, else the extension's, else binary octet-stream.
pub fn resolve(content_type: Option<&str>, name: &str) -> (String, bool) {
    if let Some(header) = content_type {
        let mime = header.split(';').next().unwrap_or("").trim();
        if let Some((mime, xml, _)) = TABLE.iter().find(|(m, _, _)| *m == mime) {
            return (mime.to_string(), *xml);
        }
        return ("application/octet-stream".to_string(), false);
    }
    let lower = name.to_ascii_lowercase();
    let extension = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    TABLE
        .iter()
        .find(|(_, _, extensions)| extensions.contains(&extension))
        .map(|(mime, xml, _)| (mime.to_string(), *xml))
        .unwrap_or_else(|| ("application/octet-stream".to_string(), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_first_then_extension() {
        assert_eq!(
            resolve(Some("application/xml; charset=UTF-8"), "a.bin"),
            ("application/xml".into(), true)
        );
        assert_eq!(
            resolve(Some("Application/XML"), "a.xml"),
            ("application/octet-stream".into(), false)
        );
        assert_eq!(resolve(None, "A.XML"), ("application/xml".into(), true));
        assert_eq!(resolve(None, "pic.svg"), ("image/svg+xml".into(), true));
        assert_eq!(resolve(None, "notes.txt"), ("text/plain".into(), false));
        assert_eq!(
            resolve(None, "README"),
            ("application/octet-stream".into(), false)
        );
    }
}
