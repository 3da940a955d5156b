//! The Content-Type ferry sends with a PUT, from eXist's own mime table (`ferry-xml`,
//! exist-rest.md §7): XML types are stored as XML (queryable, re-serialised on GET), everything
//! else as binary (bytes kept).

fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// The Content-Type for a file called `name` and whether eXist stores it as XML
/// ([`ferry_xml::content_type_for`]: a type eXist 6 and 7 both store as XML).
pub fn for_name(name: &str) -> (&'static str, bool) {
    ferry_xml::content_type_for(name)
}

/// Is this an XQuery resource, which eXist executes on GET instead of returning it?
pub fn is_executable(name: &str) -> bool {
    for_name(name).0 == "application/xquery" || extension(name) == "xpl"
}
