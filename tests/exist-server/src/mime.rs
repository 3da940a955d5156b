//! eXist's mime table (exist-rest.md §7 step 4; the data is `ferry-xml`, generated from
//! eXist's `mime-types.xml`): which types are stored as XML, and the type of an extension.
//! Content-Type lookups are exact (case-sensitive); extension lookups are case-insensitive;
//! anything unknown is stored as binary `application/octet-stream`.

/// The mime type and XML-ness a PUT stores on an eXist of major version `major`: the
/// Content-Type (before any `;`) when the table has it exactly, else the extension's, else
/// binary octet-stream.
pub fn resolve(content_type: Option<&str>, name: &str, major: u32) -> (String, bool) {
    if let Some(header) = content_type {
        let mime = header.split(';').next().unwrap_or("").trim();
        return match ferry_xml::is_xml_type_in(mime, major) {
            Some(xml) => (mime.to_string(), xml),
            None => ("application/octet-stream".to_string(), false),
        };
    }
    match ferry_xml::by_extension(name) {
        Some((mime, xml)) => (mime.to_string(), xml),
        None => ("application/octet-stream".to_string(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_first_then_extension() {
        assert_eq!(
            resolve(Some("application/xml; charset=UTF-8"), "a.bin", 7),
            ("application/xml".into(), true)
        );
        assert_eq!(
            resolve(Some("Application/XML"), "a.xml", 7),
            ("application/octet-stream".into(), false)
        );
        assert_eq!(resolve(None, "A.XML", 7), ("application/xml".into(), true));
        assert_eq!(
            resolve(Some("application/mods+xml"), "r.mods", 7),
            ("application/mods+xml".into(), true)
        );
        assert_eq!(
            resolve(Some("application/mods+xml"), "r.mods", 6),
            ("application/octet-stream".into(), false)
        );
        assert_eq!(resolve(None, "pic.svg", 7), ("image/svg+xml".into(), true));
        assert_eq!(resolve(None, "notes.txt", 7), ("text/plain".into(), false));
        assert_eq!(
            resolve(None, "README", 7),
            ("application/octet-stream".into(), false)
        );
    }
}
