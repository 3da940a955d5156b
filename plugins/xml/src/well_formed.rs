//! Whether a document is well-formed XML as eXist's parser judges it before it stores a PUT
//! (exist-rest.md §7, step 5: the charset parameter is ignored; the encoding comes from the BOM
//! or the XML declaration). UTF-8, UTF-16 (by BOM, or by the `<?` of its declaration),
//! ISO-8859-1, US-ASCII and windows-1252 are decoded and checked; a document declaring another
//! encoding is not judged here (eXist decides). An entity reference that no internal DTD
//! declares is no error when the document has an external DTD subset (XML 1.0 §4.1, "Entity
//! Declared": such a document may declare it there), as XHTML's `&nbsp;` is.

/// Why a document is not well-formed: line and column (1-based, in characters) and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// The line.
    pub line: usize,
    /// The column.
    pub column: usize,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "not well-formed XML: line {}, column {}: {}",
            self.line, self.column, self.reason
        )
    }
}

/// Checks `bytes`. `Ok(())` also for a document in an encoding not judged here.
pub fn check(bytes: &[u8]) -> Result<(), Malformed> {
    let Some(text) = decode(bytes)? else {
        return Ok(());
    };
    let external_subset = has_external_subset(&text);
    let mut text = text;
    // Each undeclared entity an external subset may declare is blanked, and the text parsed
    // again; a handful of names covers any real document.
    for _ in 0..64 {
        // Owned answers only, so that `text` can change for the next round.
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        let verdict = match roxmltree::Document::parse_with_options(&text, options) {
            Ok(_) => return Ok(()),
            Err(roxmltree::Error::UnknownEntityReference(name, _)) if external_subset => {
                Ok(name.clone())
            }
            Err(error) => Err(malformed(&error)),
        };
        match verdict {
            Ok(entity) => text = text.replace(&format!("&{entity};"), ""),
            Err(malformed) => return Err(malformed),
        }
    }
    Ok(())
}

fn malformed(error: &roxmltree::Error) -> Malformed {
    let position = error.pos();
    let reason = error.to_string();
    let reason = reason
        .strip_suffix(&format!(" at {}:{}", position.row, position.col))
        .unwrap_or(&reason)
        .to_string();
    Malformed {
        line: position.row as usize,
        column: position.col as usize,
        reason,
    }
}

/// The document as text; `Ok(None)` for an encoding not judged here.
fn decode(bytes: &[u8]) -> Result<Option<String>, Malformed> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(rest).map(Some);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, u16::from_le_bytes).map(Some);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, u16::from_be_bytes).map(Some);
    }
    if bytes.starts_with(b"<\0?\0") {
        return utf16(bytes, u16::from_le_bytes).map(Some);
    }
    if bytes.starts_with(b"\0<\0?") {
        return utf16(bytes, u16::from_be_bytes).map(Some);
    }
    match declared_encoding(bytes).as_deref() {
        None | Some("utf-8" | "utf8") => utf8(bytes).map(Some),
        Some("iso-8859-1" | "latin1" | "iso_8859-1" | "l1" | "us-ascii" | "ascii") => {
            Ok(Some(bytes.iter().map(|&b| char::from(b)).collect()))
        }
        Some("windows-1252" | "cp1252") => Ok(Some(bytes.iter().map(|&b| cp1252(b)).collect())),
        Some(_) => Ok(None),
    }
}

fn utf8(bytes: &[u8]) -> Result<String, Malformed> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => {
            let (line, column) = position_of(bytes, e.valid_up_to());
            Err(Malformed {
                line,
                column,
                reason: "not valid UTF-8".into(),
            })
        }
    }
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, Malformed> {
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|pair| unit([pair[0], *pair.get(1).unwrap_or(&0)]))
        .collect();
    String::from_utf16(&units).map_err(|_| Malformed {
        line: 1,
        column: 1,
        reason: "not valid UTF-16".into(),
    })
}

/// The `encoding` of an XML declaration, lowercased.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(256)];
    let head = String::from_utf8_lossy(head);
    let declaration = head.strip_prefix("<?xml")?;
    let declaration = &declaration[..declaration.find("?>")?];
    let at = declaration.find("encoding")?;
    let rest = declaration[at + "encoding".len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_ascii_lowercase())
}

/// Does a DOCTYPE before the root element name an external subset (`SYSTEM` or `PUBLIC`)?
fn has_external_subset(text: &str) -> bool {
    let Some(at) = text.find("<!DOCTYPE") else {
        return false;
    };
    let doctype = &text[at..];
    let end = doctype.find(['[', '>']).unwrap_or(doctype.len());
    let head = &doctype[..end];
    head.contains(" SYSTEM") || head.contains(" PUBLIC")
}

/// windows-1252: Latin-1 with printable characters in 0x80–0x9F.
fn cp1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9F => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

fn position_of(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map(|p| p + 1)
            .unwrap_or(0)
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_exist_reads_are_decoded() {
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<p>caf\xE9</p>";
        assert_eq!(check(latin1), Ok(()));
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "<?xml version=\"1.0\" encoding=\"UTF-16\"?><p>é</p>".encode_utf16() {
            utf16.extend(unit.to_le_bytes());
        }
        assert_eq!(check(&utf16), Ok(()));
        let cp1252 = b"<?xml version='1.0' encoding='windows-1252'?><p>\x80 5</p>";
        assert_eq!(check(cp1252), Ok(()));
        let broken = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<p>caf\xE9</q>";
        assert_eq!(check(broken).unwrap_err().line, 2);
        let not_utf8 = b"<p>caf\xE9</p>";
        assert_eq!(check(not_utf8).unwrap_err().reason, "not valid UTF-8");
        assert_eq!(
            check(b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><p/>"),
            Ok(())
        );
    }

    #[test]
    fn entities_an_external_subset_may_declare_are_no_error() {
        let xhtml = b"<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\n<html><p>a&nbsp;b&copy;</p></html>";
        assert_eq!(check(xhtml), Ok(()));
        let undeclared = b"<html><p>a&nbsp;b</p></html>";
        let error = check(undeclared).unwrap_err();
        assert!(error.reason.contains("nbsp"), "{error}");
        let internal_only = b"<!DOCTYPE html [<!ENTITY x \"y\">]><html>&nbsp;</html>";
        assert!(check(internal_only).is_err());
        assert!(check(b"<a><b></a>").is_err());
    }
}
