//! The Content-Type ferry sends with a PUT, from eXist's own mime table (`ferry-xml`,
//! exist-rest.md §7): XML types are stored as XML (queryable, re-serialised on GET), everything
//! else as binary (bytes kept).

/// The Content-Type for a file called `name` and whether eXist stores it as XML
/// ([`ferry_xml::content_type_for`]: a type eXist 6 and 7 both store as XML).
pub fn for_name(name: &str) -> (&'static str, bool) {
    ferry_xml::content_type_for(name)
}

/// The Content-Type to PUT `name` with: [`for_name`], or eXist 7's own XML type when the
/// server (`major`, asked only for such names) is 7 or later.
pub fn for_upload(name: &str, major: impl FnOnce() -> Option<u32>) -> (&'static str, bool) {
    if ferry_xml::type_depends_on_version(name) {
        ferry_xml::content_type_for_version(name, major())
    } else {
        for_name(name)
    }
}

/// Is a document of this stored type one that eXist executes on GET instead of returning it
/// (`RESTServer.isExecutableType`: XQuery, XProc)?
pub fn is_executable_type(mime: &str) -> bool {
    matches!(mime, "application/xquery" | "application/xml+xproc")
}

/// Would a document called `name` be stored with an executable type?
pub fn is_executable(name: &str) -> bool {
    is_executable_type(for_name(name).0)
}
