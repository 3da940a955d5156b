//! `ferry-xml`: which files are XML and whether they are well-formed, judged as the strictest
//! XML store ferry writes to (eXist-db) judges them. One place read by the host's XML pre-check
//! (any destination that rejects malformed XML, or `--check-xml`), the exist plugin (what to
//! send) and the eXist test server (how a PUT is stored, and which it refuses), so that the
//! three cannot disagree:
//!
//! - which files eXist stores as XML and which Content-Type a PUT sends, from eXist's own MIME
//!   table ([`table`], generated from `mime-types.xml`; the functions below);
//! - [`well_formed`]: whether a document is well-formed as eXist's parser sees it.
//!
//! eXist picks the storage by the exact Content-Type, else by the lowercased extension after the
//! last dot (`MimeTable.getContentType`, `getContentTypeFor`, `getExtension`); an unknown type is
//! stored as binary `application/octet-stream` (exist-rest.md §7, step 4).

pub mod table;
pub mod well_formed;

/// The lowercased extension of `name` as eXist takes it: after the last dot.
fn extension(name: &str) -> Option<String> {
    let name = name.rsplit('/').next().unwrap_or(name);
    name.rfind('.')
        .map(|dot| name[dot + 1..].to_ascii_lowercase())
}

/// The type and XML-ness the current table gives `name` by its extension; `None` where eXist
/// does not know the extension (it then stores binary `application/octet-stream`).
pub fn by_extension(name: &str) -> Option<(&'static str, bool)> {
    let extension = extension(name)?;
    table::TABLE
        .iter()
        .find(|(_, _, extensions)| extensions.contains(&extension.as_str()))
        .map(|(mime, xml, _)| (*mime, *xml))
}

/// Does the current table store `mime` (matched exactly, as eXist does) as XML? `None`: eXist
/// does not know the type.
pub fn is_xml_type(mime: &str) -> Option<bool> {
    table::TABLE
        .iter()
        .find(|(known, _, _)| *known == mime)
        .map(|(_, xml, _)| *xml)
}

/// Does eXist store a file called `name` as XML?
pub fn is_xml_name(name: &str) -> bool {
    by_extension(name).is_some_and(|(_, xml)| xml)
}

/// The Content-Type to PUT a file called `name` with, and whether eXist stores it as XML — on
/// eXist 6 and 7 alike. An XML file goes with a type both store as XML: the current table's
/// where eXist 6.4 knows that type as XML, else `application/xml` (so `.tei` goes as
/// `application/xml`, which 6.4 stores as XML, not as `application/tei+xml`, which 6.4 does not
/// know and would store as binary). Anything else goes with the current table's type, or
/// `application/octet-stream`.
pub fn content_type_for(name: &str) -> (&'static str, bool) {
    match by_extension(name) {
        Some((mime, true)) if table::XML_IN_6_4.contains(&mime) => (mime, true),
        Some((_, true)) => ("application/xml", true),
        Some((mime, false)) => (mime, false),
        None => ("application/octet-stream", false),
    }
}

/// The Content-Type for a file called `name` on an eXist of major version `major` (`None`:
/// unknown): eXist 7 and later get their own table's XML type (`.mods` as
/// `application/mods+xml`), older or unknown versions the type both store as XML
/// ([`content_type_for`]).
pub fn content_type_for_version(name: &str, major: Option<u32>) -> (&'static str, bool) {
    match (by_extension(name), major) {
        (Some((mime, true)), Some(major)) if major >= 7 => (mime, true),
        _ => content_type_for(name),
    }
}

/// Does the type for `name` depend on the server's version (an XML type eXist 6.4 does not
/// know)? Only then is the version worth asking for.
pub fn type_depends_on_version(name: &str) -> bool {
    content_type_for_version(name, Some(7)) != content_type_for(name)
}

/// Does an eXist of major version `major` store `mime` as XML? `None`: it does not know the
/// type (eXist 6.4 knows none of 7's added XML types, such as `application/mods+xml`).
pub fn is_xml_type_in(mime: &str, major: u32) -> Option<bool> {
    match is_xml_type(mime) {
        Some(true) if major < 7 && !table::XML_IN_6_4.contains(&mime) => None,
        known => known,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_that_exist_7_added_go_to_7_only() {
        assert_eq!(
            content_type_for_version("r.mods", Some(7)),
            ("application/mods+xml", true)
        );
        assert_eq!(
            content_type_for_version("r.mods", Some(6)),
            ("application/xml", true)
        );
        assert_eq!(
            content_type_for_version("r.mods", None),
            ("application/xml", true)
        );
        assert!(type_depends_on_version("r.mods"));
        assert!(!type_depends_on_version("a.xml"));
        assert!(!type_depends_on_version("a.png"));
        assert_eq!(is_xml_type_in("application/mods+xml", 6), None);
        assert_eq!(is_xml_type_in("application/mods+xml", 7), Some(true));
        assert_eq!(is_xml_type_in("application/xml", 6), Some(true));
    }

    #[test]
    fn the_types_of_exists_table() {
        for name in [
            "a.xml", "r.ead", "m.mods", "c.cmdi", "x.xmp", "m.xmi", "s.wsdl", "o.owl", "f.fo",
            "g.gml", "x.x3d", "f.xform", "p.opf", "n.ncx", "s.stx", "r.rdfs", "p.xproc", "i.html",
            "i.HTM", "v.nvdl", "t.tei", "k.kml", ".xml",
        ] {
            assert!(is_xml_name(name), "{name}");
            let (mime, xml) = content_type_for(name);
            assert!(xml, "{name}");
            assert!(
                table::XML_IN_6_4.contains(&mime) && is_xml_type(mime) == Some(true),
                "{name}: {mime} must be XML to eXist 6.4 and 7"
            );
        }
        assert_eq!(content_type_for("t.tei"), ("application/xml", true));
        assert_eq!(content_type_for("i.html"), ("text/html", true));
        assert_eq!(content_type_for("s.svg"), ("image/svg+xml", true));
        for name in [
            "a.json",
            "a.txt",
            "q.xq",
            "m.xqm",
            "noext",
            "a.png",
            "a.unknownext",
        ] {
            assert!(!is_xml_name(name), "{name}");
        }
        assert_eq!(content_type_for("q.xql"), ("application/xquery", false));
        assert_eq!(
            content_type_for("noext"),
            ("application/octet-stream", false)
        );
        assert_eq!(is_xml_type("application/tei+xml"), Some(true));
        assert_eq!(is_xml_type("Application/XML"), None, "types match exactly");
    }
}
