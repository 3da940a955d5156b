//! XInclude expansion on serialisation, as eXist's `XIncludeFilter`
//! (exist-core/src/main/java/org/exist/storage/serializers/XIncludeFilter.java, eXist develop
//! 4f10647): every `xi:include` is replaced by the root element of the document its `href`
//! names (an absolute database path, or one relative to the including document's collection,
//! `processXInclude`'s "Patch 1520454"), expanded in turn; a missing document is replaced by the
//! include's `xi:fallback` content, and without a fallback the serialisation fails with
//! "document … not found" (`endElement` throws the saved `ResourceError`). `Serializer` runs the
//! filter unless the output property `expand-xincludes` is `no`, and no REST GET parameter sets
//! it (exist-rest.md §5.3). Not modelled: `xpointer`, query parameters in `href`, external
//! (non-database) URIs, included stored XQueries.

use crate::paths;

const XINCLUDE_NS: &str = "http://www.w3.org/2001/XInclude";

/// Includes nest at most this deep; deeper is taken for a cycle.
const MAX_DEPTH: usize = 16;

/// The stored XML of the document at these canonical segments, if there is one.
pub type Load<'a> = &'a dyn Fn(&[String]) -> Option<Vec<u8>>;

/// `bytes` (a document in the collection `collection`) with every XInclude expanded, or eXist's
/// serialisation error. Documents that are not UTF-8 or hold no XInclude come back unchanged.
pub fn expand(bytes: &[u8], collection: &[String], load: Load) -> Result<Vec<u8>, String> {
    expand_at(bytes, collection, load, 0)
}

fn expand_at(
    bytes: &[u8],
    collection: &[String],
    load: Load,
    depth: usize,
) -> Result<Vec<u8>, String> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(bytes.to_vec());
    };
    if !text.contains(XINCLUDE_NS) {
        return Ok(bytes.to_vec());
    }
    if depth > MAX_DEPTH {
        return Err("XInclude: includes nest too deep (a cycle?)".into());
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let Ok(document) = roxmltree::Document::parse_with_options(text, options) else {
        return Ok(bytes.to_vec());
    };
    let mut out = String::with_capacity(text.len());
    let mut copied_to = 0;
    for include in outermost_includes(document.root_element()) {
        let range = include.range();
        out.push_str(&text[copied_to..range.start]);
        out.push_str(&replacement(&include, text, collection, load, depth)?);
        copied_to = range.end;
    }
    out.push_str(&text[copied_to..]);
    Ok(out.into_bytes())
}

fn is_xinclude(node: &roxmltree::Node, name: &str) -> bool {
    node.is_element()
        && node.tag_name().namespace() == Some(XINCLUDE_NS)
        && node.tag_name().name() == name
}

/// The `xi:include` elements not inside another one, in document order.
fn outermost_includes<'a, 'input>(
    root: roxmltree::Node<'a, 'input>,
) -> Vec<roxmltree::Node<'a, 'input>> {
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if is_xinclude(&node, "include") {
            found.push(node);
            continue;
        }
        stack.extend(node.children().filter(|c| c.is_element()).rev());
    }
    found
}

fn replacement(
    include: &roxmltree::Node,
    text: &str,
    collection: &[String],
    load: Load,
    depth: usize,
) -> Result<String, String> {
    let Some(href) = include.attribute("href") else {
        return Err("No href attribute found in XInclude include element".into());
    };
    if include.attribute("xpointer").is_some() {
        return Err("XInclude: xpointer is not modelled by the ferry test server".into());
    }
    let joined = if href.starts_with('/') {
        href.to_string()
    } else {
        format!("/{}/{href}", collection.join("/"))
    };
    let target = paths::normalise(&joined).unwrap_or_default();
    let included = (!target.is_empty()).then(|| load(&target)).flatten();
    let Some(included) = included else {
        return match include.children().find(|c| is_xinclude(c, "fallback")) {
            Some(fallback) => Ok(inner_text(&fallback, text).to_string()),
            None => Err(format!("document /{} not found", target.join("/"))),
        };
    };
    let expanded = expand_at(&included, &target[..target.len() - 1], load, depth + 1)?;
    let expanded = String::from_utf8(expanded)
        .map_err(|_| format!("XInclude: /{} is not UTF-8", target.join("/")))?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let document = roxmltree::Document::parse_with_options(&expanded, options)
        .map_err(|e| format!("XInclude: /{}: {e}", target.join("/")))?;
    Ok(expanded[document.root_element().range()].to_string())
}

/// The text between an element's start and end tags.
fn inner_text<'t>(element: &roxmltree::Node, text: &'t str) -> &'t str {
    match (element.first_child(), element.last_child()) {
        (Some(first), Some(last)) => &text[first.range().start..last.range().end],
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(path: &str) -> Option<Vec<u8>> {
        match path {
            "/db/app/data/part.xml" => Some(b"<?xml version=\"1.0\"?>\n<part n=\"1\">one</part>".to_vec()),
            "/db/app/nested.xml" => Some(
                b"<n xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"data/part.xml\"/></n>"
                    .to_vec(),
            ),
            _ => None,
        }
    }

    fn run(doc: &str) -> Result<String, String> {
        let load = |segments: &[String]| store(&format!("/{}", segments.join("/")));
        let collection = vec!["db".to_string(), "app".to_string()];
        expand(doc.as_bytes(), &collection, &load).map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn an_include_is_replaced_by_the_included_root_element() {
        let doc = "<a xmlns:xi=\"http://www.w3.org/2001/XInclude\"><b/><xi:include href=\"data/part.xml\"/></a>";
        assert_eq!(
            run(doc).unwrap(),
            "<a xmlns:xi=\"http://www.w3.org/2001/XInclude\"><b/><part n=\"1\">one</part></a>"
        );
    }

    #[test]
    fn includes_nest_and_absolute_paths_work() {
        let doc = "<a xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"/db/app/nested.xml\"/></a>";
        assert!(run(doc).unwrap().contains(
            "<n xmlns:xi=\"http://www.w3.org/2001/XInclude\"><part n=\"1\">one</part></n>"
        ));
    }

    #[test]
    fn a_missing_document_takes_the_fallback_or_fails() {
        let doc = "<a xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"gone.xml\"><xi:fallback><none/></xi:fallback></xi:include></a>";
        assert_eq!(
            run(doc).unwrap(),
            "<a xmlns:xi=\"http://www.w3.org/2001/XInclude\"><none/></a>"
        );
        let doc =
            "<a xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"gone.xml\"/></a>";
        assert_eq!(run(doc).unwrap_err(), "document /db/app/gone.xml not found");
    }
}
