//! Reading eXist's collection listing (exist-rest.md §4): `exist:result/exist:collection` with
//! child `exist:collection` (sub-collections) and `exist:resource` elements. Names are decoded;
//! a resource's `last-modified` time is its change token, spelled in UTC: eXist writes it in the
//! JVM's time zone (`+02:00`), and a server restarted in another zone spells the same instant
//! differently, which must not make every file look changed. The listing has no sizes, so files are listed with size 0 (the plugin declares
//! `APPROXIMATE_SIZES`).

use ferry_plugin_api::{BackendError, Entry, ErrorKind, Listing};

use crate::names::{decode, parse_timestamp};

/// The namespace of eXist's answers.
const NS: &str = "http://exist.sourceforge.net/NS/exist";

/// Precision of listing timestamps: milliseconds.
const PRECISION_NS: u64 = 1_000_000;

/// The change token of an instant: eXist's own spelling of it in UTC (`2025-03-04T09:15:03.5Z`,
/// the fraction without trailing zeros), so that a server in UTC keeps the tokens it always had.
fn utc_token(ns: i64) -> String {
    let (year, month, day, hour, minute, second) = ferry_plugin_api::time::civil_from_ns(ns);
    let millis = ns.rem_euclid(1_000_000_000) / 1_000_000;
    let fraction = if millis == 0 {
        String::new()
    } else {
        format!(".{millis:03}").trim_end_matches('0').to_string()
    };
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}Z")
}

/// What a GET answered: a collection's listing, or something else (a document).
pub enum Parsed {
    /// The collection's children.
    Collection(Listing),
    /// Not a listing: the path is a document.
    NotACollection,
}

/// Parses `body`, the answer to a GET on the collection `full_path` (decoded, `/db/...`).
pub fn parse(body: &str, full_path: &str, dir: &str) -> Parsed {
    let Ok(document) = roxmltree::Document::parse(body) else {
        return Parsed::NotACollection;
    };
    let root = document.root_element();
    let collection = root.children().find(|n| n.has_tag_name((NS, "collection")));
    let is_listing = root.has_tag_name((NS, "result"))
        && collection
            .and_then(|c| c.attribute("name"))
            .and_then(decode)
            .is_some_and(|name| name == full_path);
    let (true, Some(collection)) = (is_listing, collection) else {
        return Parsed::NotACollection;
    };
    let mut listing = Listing::default();
    for child in collection.children().filter(|n| n.is_element()) {
        let listed = child.attribute("name").unwrap_or("");
        let Some(name) = decode(listed) else {
            listing.problems.push(
                BackendError::new(
                    ErrorKind::INVALID_INPUT,
                    format!("`{listed}` in `{full_path}` does not decode to a UTF-8 name"),
                )
                .with_context("path", format!("{dir}/{listed}").trim_start_matches('/')),
            );
            continue;
        };
        if child.has_tag_name((NS, "collection")) {
            listing.entries.push(Entry::directory(name));
        } else if child.has_tag_name((NS, "resource")) {
            let mut entry = Entry::file(name, 0);
            if let Some(stamp) = child.attribute("last-modified") {
                let instant = parse_timestamp(stamp);
                entry.mtime_ns = instant.into();
                entry.mtime_precision_ns = PRECISION_NS;
                let token = instant.map_or_else(|| stamp.to_string(), utc_token);
                entry.token = Some(token.into()).into();
            }
            listing.entries.push(entry);
        }
    }
    Parsed::Collection(listing)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"<exist:result xmlns:exist="http://exist.sourceforge.net/NS/exist">
    <exist:collection name="/db/demo" created="2025-03-04T09:15:02.331Z" owner="admin" group="dba" permissions="rwxr-xr-x">
        <exist:collection name="sub%20dir" created="2025-03-04T09:15:02.876Z" owner="admin" group="dba" permissions="rwxr-xr-x"/>
        <exist:resource name="notes.xml" created="2025-03-04T09:15:03.04Z" last-modified="2025-03-04T09:20:11Z" owner="admin" group="dba" permissions="rw-r--r--"/>
        <exist:resource name="caf%C3%A9&amp;co.png" created="2025-03-04T09:15:03.5Z" last-modified="2025-03-04T11:15:03.5+02:00" owner="admin" group="dba" permissions="rw-r--r--"/>
    </exist:collection>
</exist:result>"#;

    #[test]
    fn the_listing_of_exist_rest_md() {
        let Parsed::Collection(listing) = parse(BODY, "/db/demo", "") else {
            panic!("not parsed as a listing");
        };
        let names: Vec<&str> = listing.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["sub dir", "notes.xml", "café&co.png"]);
        assert!(listing.entries[0].is_dir());
        let png = &listing.entries[2];
        assert_eq!(
            png.token.as_ref().map(|t| t.as_str()).into_option(),
            Some("2025-03-04T09:15:03.5Z"),
            "the instant, spelled in UTC"
        );
        let notes = &listing.entries[1];
        assert_eq!(
            notes.token.as_ref().map(|t| t.as_str()).into_option(),
            Some("2025-03-04T09:20:11Z"),
            "a UTC server's tokens keep their spelling"
        );
        assert_eq!(
            utc_token(1_714_558_830_005_000_000),
            "2024-05-01T10:20:30.005Z"
        );
        assert_eq!(
            utc_token(1_714_558_830_120_000_000),
            "2024-05-01T10:20:30.12Z"
        );
        assert_eq!(
            png.mtime_ns.into_option(),
            crate::names::parse_timestamp("2025-03-04T09:15:03.5Z")
        );
        assert!(matches!(
            parse(BODY, "/db/other", ""),
            Parsed::NotACollection
        ));
        assert!(matches!(
            parse("<doc/>", "/db/demo", ""),
            Parsed::NotACollection
        ));
    }
}
