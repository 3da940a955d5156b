//! Names and paths on the wire (exist-rest.md §3): eXist stores and lists names percent-encoded.
//! ferry works with the decoded names; URLs are built by encoding each decoded segment to eXist's
//! canonical form, which gives back exactly the listed name — never a listed name encoded twice.

/// Is `c` kept literal in eXist's canonical encoding?
fn literal(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.!~*'();:@&=+$,".contains(c)
}

/// The canonical encoded form of one decoded name.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if literal(c) {
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

/// The decoded form of a listed name; `None` if it is not valid UTF-8 once decoded.
pub fn decode(listed: &str) -> Option<String> {
    let bytes = listed.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| listed.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Nanoseconds since the epoch of a listing timestamp: RFC 3339 with 0–3 (or more) fractional
/// digits and `Z` or `±hh:mm`; an all-digits value is epoch milliseconds (eXist's fallback).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<i64>().ok().map(|ms| ms * 1_000_000);
    }
    let (date, time) = text.split_once('T')?;
    let mut date_parts = date.splitn(3, '-');
    let (year, month, day) = (
        date_parts.next()?.parse().ok()?,
        date_parts.next()?.parse().ok()?,
        date_parts.next()?.parse().ok()?,
    );
    let (clock, offset_secs) = if let Some(clock) = time.strip_suffix('Z') {
        (clock, 0)
    } else {
        let at = time.rfind(['+', '-'])?;
        let (clock, offset) = time.split_at(at);
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let (h, m) = offset[1..].split_once(':')?;
        (
            clock,
            sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60),
        )
    };
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, fraction)) => (hms, fraction),
        None => (clock, ""),
    };
    let mut hms_parts = hms.splitn(3, ':');
    let (hour, minute, second) = (
        hms_parts.next()?.parse().ok()?,
        hms_parts.next()?.parse().ok()?,
        hms_parts.next()?.parse().ok()?,
    );
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fraction_ns: i64 = format!("{fraction:0<9}").get(..9)?.parse().ok()?;
    let base = ferry_plugin_api::time::ns_from_civil(year, month, day, hour, minute, second)?;
    Some(base + fraction_ns - offset_secs * 1_000_000_000)
}

/// `text` as a value of an `application/x-www-form-urlencoded` body: every byte but ASCII
/// letters, digits and `-_.~` as `%XX`, so `+`, `&` and `=` in a query or a path arrive intact.
pub fn form_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_never_double_encode() {
        for (decoded, listed) in [
            ("my file.xml", "my%20file.xml"),
            ("AéB.xml", "A%C3%A9B.xml"),
            ("a+b.xml", "a+b.xml"),
            ("a&b=c.xml", "a&b=c.xml"),
            ("x#y?z.xml", "x%23y%3Fz.xml"),
            ("a%b.xml", "a%25b.xml"),
            ("€😀.bin", "%E2%82%AC%F0%9F%98%80.bin"),
        ] {
            assert_eq!(encode(decoded), listed);
            assert_eq!(decode(listed).as_deref(), Some(decoded));
            assert_eq!(encode(&decode(listed).unwrap()), listed, "idempotent");
        }
    }

    #[test]
    fn timestamps_with_any_fraction_and_offset() {
        let z = parse_timestamp("2024-05-01T10:20:30Z").unwrap();
        assert_eq!(z, 1_714_558_830_000_000_000);
        assert_eq!(
            parse_timestamp("2024-05-01T10:20:30.12Z"),
            Some(z + 120_000_000)
        );
        assert_eq!(
            parse_timestamp("2024-05-01T10:20:30.005Z"),
            Some(z + 5_000_000)
        );
        assert_eq!(
            parse_timestamp("2024-05-01T12:20:30.123+02:00"),
            Some(z + 123_000_000)
        );
        assert_eq!(
            parse_timestamp("2024-05-01T06:20:30.12-04:00"),
            Some(z + 120_000_000)
        );
        assert_eq!(parse_timestamp("1714558830000"), Some(z));
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}
