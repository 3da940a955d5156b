//! XML well-formedness before upload (sync-semantics §7): which files are XML (by extension, as
//! eXist's MIME table says; an unknown extension is not XML) and the check itself, reporting
//! line and column.

use ferry_plugin_api::{BackendError, Capabilities};

use super::{Action, Plan, Which};
use crate::{options::SyncOptions, side::Side};

/// Is the file at `path` XML by its extension? eXist's MIME table decides (the most complete
/// list of XML types there is, and exactly what the eXist plugin stores as XML).
pub fn is_xml_path(path: &str) -> bool {
    ferry_xml::is_xml_name(path)
}

/// Checks that `bytes` are a well-formed XML document, as eXist's parser would judge it (its
/// encodings, and entities an external DTD subset may declare; `ferry_xml::well_formed`).
/// The error reads `not well-formed XML: line L, column C: reason`.
pub fn check_well_formed(bytes: &[u8]) -> Result<(), String> {
    ferry_xml::well_formed::check(bytes).map_err(|malformed| malformed.to_string())
}

/// Reads and checks every XML file about to be copied from `source` to a `destination` that
/// rejects malformed XML (or to any destination with `--check-xml`); malformed ones become
/// `Invalid`, unreadable ones `Failed`.
pub fn check_uploads(plan: &mut Plan, source: &Side, destination: &Side, options: &SyncOptions) {
    let destination_rejects = destination.can(Capabilities::REJECTS_MALFORMED_XML);
    if options.allow_malformed || !(destination_rejects || options.check_xml) {
        return;
    }
    let candidates: Vec<usize> = plan
        .actions
        .iter()
        .enumerate()
        .filter(|(_, a)| {
            matches!(a, Action::Transfer { path, to: Which::Destination, .. } if is_xml_path(path))
        })
        .map(|(i, _)| i)
        .collect();
    let verdicts = crate::parallel::map(&candidates, options.jobs, |&index| {
        let path = plan.actions[index].path();
        read_all(source, path).map(|bytes| check_well_formed(&bytes))
    });
    for (index, verdict) in candidates.into_iter().zip(verdicts) {
        let path = plan.actions[index].path().to_string();
        match verdict {
            Ok(Ok(())) => {}
            Ok(Err(why)) => plan.actions[index] = Action::Invalid { path, why },
            Err(e) => {
                plan.actions[index] = Action::Failed {
                    path,
                    why: format!("cannot read to check XML: {e}"),
                }
            }
        }
    }
}

fn read_all(side: &Side, path: &str) -> Result<Vec<u8>, BackendError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    side.backend
        .open_read(path, 0)?
        .read_to_end(&mut bytes)
        .map_err(|e| BackendError::from_io(e, path))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_by_extension() {
        assert!(is_xml_path("a/b.xml") && is_xml_path("X.SVG") && is_xml_path("c.xconf"));
        // What the eXist plugin stores as XML, the pre-check checks: the two read one table.
        for name in [
            "r.ead", "m.mods", "s.wsdl", "p.opf", "n.ncx", "v.nvdl", ".xml",
        ] {
            assert!(is_xml_path(name), "{name}");
        }
        assert!(!is_xml_path("a.json") && !is_xml_path("noext") && !is_xml_path("a.xq"));
    }

    #[test]
    fn reports_line_and_column() {
        assert!(check_well_formed(b"<?xml version=\"1.0\"?>\n<a><b/></a>\n").is_ok());
        assert!(check_well_formed(b"<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>").is_ok());
        let error = check_well_formed(b"<a>\n  <b>\n</a>").unwrap_err();
        assert!(
            error.starts_with("not well-formed XML: line 3, column "),
            "{error}"
        );
        let error = check_well_formed(b"<a></a><b/>").unwrap_err();
        assert!(
            error.starts_with("not well-formed XML: line 1, column 8"),
            "{error}"
        );
        let error = check_well_formed(b"<a>\xff</a>").unwrap_err();
        assert_eq!(
            error,
            "not well-formed XML: line 1, column 4: not valid UTF-8"
        );
    }
}
