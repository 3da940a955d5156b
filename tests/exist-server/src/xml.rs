//! XML for the emulator: the collection listing (byte-compatible with exist-rest.md §4), the
//! well-formedness check PUT applies to XML types, a re-indenting serialiser for
//! `--reindent-xml` (real eXist re-serialises stored XML, so clients must not expect their bytes
//! back), and the `<exception>` body of a refused query.

use crate::{
    store::{Child, Collection},
    times::xs_date_time,
};

/// The namespace of eXist's REST answers.
pub const NS: &str = "http://exist.sourceforge.net/NS/exist";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The listing of `collection`, whose full encoded path is `path` (`/db/...`).
pub fn listing(collection: &Collection, path: &str, offset_minutes: i32) -> String {
    let time = |ms| xs_date_time(ms, offset_minutes);
    let head = format!(
        "name=\"{}\" created=\"{}\" owner=\"{}\" group=\"{}\" permissions=\"rwxr-xr-x\"",
        escape(path),
        time(collection.created_ms),
        escape(&collection.owner.0),
        escape(&collection.owner.1)
    );
    let mut out = format!("<exist:result xmlns:exist=\"{NS}\">\n");
    if collection.children.is_empty() {
        out.push_str(&format!("    <exist:collection {head}/>\n"));
    } else {
        out.push_str(&format!("    <exist:collection {head}>\n"));
        for child in &collection.children {
            if let Child::Collection(c) = child {
                out.push_str(&format!(
                    "        <exist:collection name=\"{}\" created=\"{}\" owner=\"{}\" group=\"{}\" permissions=\"rwxr-xr-x\"/>\n",
                    escape(&c.name),
                    time(c.created_ms),
                    escape(&c.owner.0),
                    escape(&c.owner.1)
                ));
            }
        }
        for child in &collection.children {
            if let Child::Resource(r) = child {
                out.push_str(&format!(
                    "        <exist:resource name=\"{}\" created=\"{}\" last-modified=\"{}\" owner=\"{}\" group=\"{}\" permissions=\"rw-r--r--\"/>\n",
                    escape(&r.name),
                    time(r.created_ms),
                    time(r.modified_ms),
                    escape(&r.owner.0),
                    escape(&r.owner.1)
                ));
            }
        }
        out.push_str("    </exist:collection>\n");
    }
    out.push_str("</exist:result>");
    out
}

/// `Err(reason)` unless `bytes` are one well-formed XML document as eXist's parser judges it
/// (the encoding from the BOM or the declaration; exist-rest.md §7, step 5).
pub fn check(bytes: &[u8]) -> Result<(), String> {
    ferry_xml::well_formed::check(bytes).map_err(|malformed| malformed.to_string())
}

/// The document re-serialised with 4-space indentation and without its XML declaration, as a
/// stand-in for eXist's own serialiser. Falls back to the stored bytes if they do not parse.
pub fn reindent(bytes: &[u8]) -> Vec<u8> {
    reserialise(bytes, |node, out| write_node(node, 0, out))
}

/// The document re-serialised without indentation (`indent=no`): the same tree, no XML
/// declaration, attributes in double quotes, empty elements self-closed, text as it was. Falls
/// back to the stored bytes if they do not parse.
pub fn reserialise_compact(bytes: &[u8]) -> Vec<u8> {
    reserialise(bytes, write_compact)
}

/// The document's top-level nodes written by `write`, or the bytes as they are when they are
/// not UTF-8 XML.
fn reserialise(bytes: &[u8], write: impl Fn(&roxmltree::Node, &mut String)) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)) else {
        return bytes.to_vec();
    };
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let Ok(document) = roxmltree::Document::parse_with_options(text, options) else {
        return bytes.to_vec();
    };
    let mut out = String::new();
    for node in document.root().children() {
        write(&node, &mut out);
    }
    out.into_bytes()
}

fn write_compact(node: &roxmltree::Node, out: &mut String) {
    match node.node_type() {
        roxmltree::NodeType::Element => {
            let name = start_tag(node, out);
            if node.has_children() {
                out.push('>');
                for child in node.children() {
                    write_compact(&child, out);
                }
                out.push_str(&format!("</{name}>"));
            } else {
                out.push_str("/>");
            }
        }
        roxmltree::NodeType::Text => out.push_str(&escape_text(node.text().unwrap_or(""))),
        roxmltree::NodeType::Comment => {
            out.push_str(&format!("<!--{}-->", node.text().unwrap_or("")));
        }
        roxmltree::NodeType::PI => {
            if let Some(pi) = node.pi() {
                match pi.value {
                    Some(value) => out.push_str(&format!("<?{} {value}?>", pi.target)),
                    None => out.push_str(&format!("<?{}?>", pi.target)),
                }
            }
        }
        roxmltree::NodeType::Root => {}
    }
}

/// Writes `<name` with the namespaces declared on this element and its attributes; returns
/// the qualified name.
fn start_tag(node: &roxmltree::Node, out: &mut String) -> String {
    let name = qualified(node, node.tag_name().namespace(), node.tag_name().name());
    out.push_str(&format!("<{name}"));
    for ns in node.namespaces() {
        let declared_here = node
            .parent_element()
            .is_none_or(|p| p.lookup_namespace_uri(ns.name()) != Some(ns.uri()));
        if declared_here {
            match ns.name() {
                Some(prefix) => out.push_str(&format!(" xmlns:{prefix}=\"{}\"", escape(ns.uri()))),
                None => out.push_str(&format!(" xmlns=\"{}\"", escape(ns.uri()))),
            }
        }
    }
    for attribute in node.attributes() {
        let attribute_name = qualified(node, attribute.namespace(), attribute.name());
        out.push_str(&format!(
            " {attribute_name}=\"{}\"",
            escape(attribute.value())
        ));
    }
    name
}

fn write_node(node: &roxmltree::Node, depth: usize, out: &mut String) {
    let indent = "    ".repeat(depth);
    match node.node_type() {
        roxmltree::NodeType::Element => {
            out.push_str(&indent);
            let name = start_tag(node, out);
            let children: Vec<_> = node
                .children()
                .filter(|c| !(c.is_text() && c.text().is_some_and(|t| t.trim().is_empty())))
                .collect();
            if children.is_empty() {
                out.push_str("/>\n");
            } else if children.iter().all(|c| c.is_text()) {
                let text: String = children.iter().filter_map(|c| c.text()).collect();
                out.push_str(&format!(">{}</{name}>\n", escape_text(&text)));
            } else {
                out.push_str(">\n");
                for child in children {
                    write_node(&child, depth + 1, out);
                }
                out.push_str(&format!("{indent}</{name}>\n"));
            }
        }
        roxmltree::NodeType::Text => {
            let text = node.text().unwrap_or("").trim();
            if !text.is_empty() {
                out.push_str(&format!("{indent}{}\n", escape_text(text)));
            }
        }
        roxmltree::NodeType::Comment => {
            out.push_str(&format!("{indent}<!--{}-->\n", node.text().unwrap_or("")));
        }
        roxmltree::NodeType::PI => {
            if let Some(pi) = node.pi() {
                match pi.value {
                    Some(value) => out.push_str(&format!("{indent}<?{} {value}?>\n", pi.target)),
                    None => out.push_str(&format!("{indent}<?{}?>\n", pi.target)),
                }
            }
        }
        roxmltree::NodeType::Root => {}
    }
}

pub(crate) fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn qualified(node: &roxmltree::Node, namespace: Option<&str>, name: &str) -> String {
    match namespace.and_then(|uri| node.lookup_prefix(uri)) {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}:{name}"),
        _ => name.to_string(),
    }
}

/// The body of a refused query (exist-rest.md §8).
pub fn exception(path: &str, message: &str, query: &str) -> String {
    format!(
        "<?xml version=\"1.0\" ?><exception><path>{}</path><message>{}</message><query>{}</query></exception>",
        escape_text(path),
        escape_text(message),
        escape_text(query)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reindenting_changes_bytes_not_meaning() {
        let stored = b"<?xml version=\"1.0\"?>\n<a xmlns=\"urn:x\" k=\"v\"><b>text &amp; more</b><c/><!--n--></a>";
        let shown = String::from_utf8(reindent(stored)).unwrap();
        assert_eq!(
            shown,
            "<a xmlns=\"urn:x\" k=\"v\">\n    <b>text &amp; more</b>\n    <c/>\n    <!--n-->\n</a>\n"
        );
        assert!(check(shown.as_bytes()).is_ok());
        assert!(check(b"<a><b></a>").is_err());
        assert!(check(b"").is_err());
    }
}
