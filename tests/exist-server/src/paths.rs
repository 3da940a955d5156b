//! Path normalisation as eXist's REST servlet does it (exist-rest.md §3): decode every escape
//! except `%2F`, drop `.`/`..`/empty segments (so trailing slashes go), put `/db` in front, then
//! re-encode each segment to eXist's canonical form — ASCII letters, digits and
//! ``-_.!~*'();:@&=+$,`` stay literal, everything else is `%XX` of its UTF-8 bytes in upper-case
//! hex. Names are stored and listed in that encoded form.

/// Stands for a decoded `%2F` inside a segment until it is encoded back.
const ENCODED_SLASH: char = '\u{E000}';

/// The canonical, encoded segments below the root of `raw` (a request path without the REST
/// prefix and without the query string), starting with `db`. `None` for a malformed escape or
/// bytes that are not UTF-8.
pub fn normalise(raw: &str) -> Option<Vec<String>> {
    let mut segments: Vec<String> = Vec::new();
    for raw_segment in raw.split('/') {
        let decoded = decode_segment(raw_segment)?;
        match decoded.as_str() {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(encode_segment(&decoded)),
        }
    }
    if segments.first().map(String::as_str) != Some("db") {
        segments.insert(0, "db".to_string());
    }
    Some(segments)
}

fn hex_value(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|v| v as u8)
}

fn decode_segment(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let high = hex_value(*bytes.get(i + 1)?)?;
            let low = hex_value(*bytes.get(i + 2)?)?;
            let byte = high * 16 + low;
            if byte == b'/' {
                out.extend_from_slice(ENCODED_SLASH.to_string().as_bytes());
            } else {
                out.push(byte);
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Is `c` kept literal in a canonical name?
fn literal(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.!~*'();:@&=+$,".contains(c)
}

/// The canonical encoded form of a decoded segment.
pub fn encode_segment(decoded: &str) -> String {
    let mut out = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        if c == ENCODED_SLASH {
            out.push_str("%2F");
        } else if literal(c) {
            out.push(c);
        } else {
            let mut buffer = [0u8; 4];
            for byte in c.encode_utf8(&mut buffer).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last(raw: &str) -> String {
        normalise(raw).unwrap().last().unwrap().clone()
    }

    #[test]
    fn the_table_of_exist_rest_md_section_3() {
        assert_eq!(last("/db/my%20file.xml"), "my%20file.xml");
        assert_eq!(last("/db/A%C3%A9B.xml"), "A%C3%A9B.xml");
        assert_eq!(last("/db/a%c3%a9b.xml"), "a%C3%A9b.xml");
        assert_eq!(last("/db/AéB.xml"), "A%C3%A9B.xml");
        assert_eq!(last("/db/a+b.xml"), "a+b.xml");
        assert_eq!(last("/db/a%2Bb.xml"), "a+b.xml");
        assert_eq!(last("/db/a%26b%3Dc.xml"), "a&b=c.xml");
        assert_eq!(last("/db/x%23y%3Fz.xml"), "x%23y%3Fz.xml");
        assert_eq!(last("/db/%5Bq%5D.xml"), "%5Bq%5D.xml");
        assert_eq!(last("/db/q%22%3C%3E.xml"), "q%22%3C%3E.xml");
        assert_eq!(last("/db/%7B%7D%7C%5E%60"), "%7B%7D%7C%5E%60");
        assert_eq!(last("/db/a%25b.xml"), "a%25b.xml");
        assert_eq!(last("/db/a%2Fb.xml"), "a%2Fb.xml");
        assert_eq!(
            last("/db/%E2%82%AC%F0%9F%98%80.bin"),
            "%E2%82%AC%F0%9F%98%80.bin"
        );
        assert_eq!(
            normalise("/db/t//../t/x.xml").unwrap(),
            ["db", "t", "x.xml"]
        );
        assert_eq!(normalise("/db/t/").unwrap(), ["db", "t"]);
        assert_eq!(normalise("/foo").unwrap(), ["db", "foo"]);
        assert_eq!(normalise("").unwrap(), ["db"]);
        assert_eq!(normalise("/db/%zz"), None);
    }
}
