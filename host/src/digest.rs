//! [`Hex`]: a content digest as the state file spells it (lower-case hex), held in memory as its
//! 32 bytes. A baseline holds one or two per file, and as strings they were the largest part of
//! a 100,000-file baseline in memory (80 bytes of heap each, beside the 32 they encode).

use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// A digest in lower-case hex. Any text that is not 64 lower-case hex digits (a test's `"ab"`, a
/// server's odd checksum) is kept as it is, so two digests are equal exactly when their texts are.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Hex(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    Bytes([u8; 32]),
    Text(Box<str>),
}

impl Hex {
    /// The digest of these 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Hex(Repr::Bytes(bytes))
    }

    /// The digest spelled `text`.
    pub fn new(text: &str) -> Self {
        match parse(text) {
            Some(bytes) => Hex(Repr::Bytes(bytes)),
            None => Hex(Repr::Text(text.into())),
        }
    }

    /// Writes the hex text into `buffer` and returns it (no allocation).
    fn as_text<'b>(&'b self, buffer: &'b mut [u8; 64]) -> &'b str {
        match &self.0 {
            Repr::Bytes(bytes) => {
                const DIGITS: &[u8; 16] = b"0123456789abcdef";
                for (i, b) in bytes.iter().enumerate() {
                    buffer[2 * i] = DIGITS[usize::from(b >> 4)];
                    buffer[2 * i + 1] = DIGITS[usize::from(b & 0xf)];
                }
                std::str::from_utf8(buffer).expect("hex digits are ASCII")
            }
            Repr::Text(text) => text,
        }
    }
}

/// The value of each byte as a lower-case hex digit, or `INVALID`.
const DIGIT_VALUES: [u8; 256] = {
    let mut values = [INVALID; 256];
    let mut d = 0;
    while d < 10 {
        values[b'0' as usize + d] = d as u8;
        d += 1;
    }
    let mut d = 0;
    while d < 6 {
        values[b'a' as usize + d] = 10 + d as u8;
        d += 1;
    }
    values
};
const INVALID: u8 = 0xff;

/// The 32 bytes of 64 lower-case hex digits (a table lookup per digit: a large baseline parses
/// hundreds of thousands of them).
fn parse(text: &str) -> Option<[u8; 32]> {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let (high, low) = (
            DIGIT_VALUES[usize::from(pair[0])],
            DIGIT_VALUES[usize::from(pair[1])],
        );
        if high == INVALID || low == INVALID {
            return None;
        }
        *byte = high << 4 | low;
    }
    Some(bytes)
}

impl From<&str> for Hex {
    fn from(text: &str) -> Self {
        Hex::new(text)
    }
}

impl From<String> for Hex {
    fn from(text: String) -> Self {
        Hex::new(&text)
    }
}

impl PartialEq<&str> for Hex {
    fn eq(&self, other: &&str) -> bool {
        self.as_text(&mut [0; 64]) == *other
    }
}

impl fmt::Display for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_text(&mut [0; 64]))
    }
}

impl fmt::Debug for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_text(&mut [0; 64]))
    }
}

impl Serialize for Hex {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_text(&mut [0; 64]))
    }
}

impl<'de> Deserialize<'de> for Hex {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Hex;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a hex digest")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Hex, E> {
                Ok(Hex::new(text))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_keep_their_text() {
        let text = "00ff10a9".repeat(8);
        let hex = Hex::new(&text);
        assert!(matches!(hex.0, Repr::Bytes(_)));
        assert_eq!(hex.to_string(), text);
        assert_eq!(hex, text.as_str());
        assert_eq!(serde_json::to_string(&hex).unwrap(), format!("\"{text}\""));
        let back: Hex = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        assert_eq!(back, hex);
        // Not a 64-digit lower-case digest: kept as text, equal only to the same text.
        for odd in ["ab", &text.to_uppercase(), &format!("{text}0")] {
            let kept = Hex::new(odd);
            assert!(matches!(kept.0, Repr::Text(_)));
            assert_eq!(kept.to_string(), odd);
            assert_ne!(kept, hex);
        }
        assert_eq!(Hex::from_bytes([0xab; 32]).to_string(), "ab".repeat(32));
    }
}
