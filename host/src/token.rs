//! [`Token`]: a backend's change token (an ETag, a revision) as ferry holds it for every path.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A backend's change token behind one thin pointer. A scanned tree and a baseline hold an
/// optional token for every path and most sides (a local directory) never have one: `None` then
/// takes 8 bytes a path where an `Option<String>` took 24.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Token(Box<Box<str>>);

impl Token {
    /// The token's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Token {
    fn from(text: &str) -> Self {
        Token(Box::new(text.into()))
    }
}

impl From<String> for Token {
    fn from(text: String) -> Self {
        Token(Box::new(text.into_boxed_str()))
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for Token {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Token {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Token::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_costs_one_pointer_and_the_text_round_trips() {
        assert_eq!(std::mem::size_of::<Option<Token>>(), 8);
        let token = Token::from("\"etag-1\"");
        assert_eq!(token.as_str(), "\"etag-1\"");
        let json = serde_json::to_string(&token).unwrap();
        assert_eq!(serde_json::from_str::<Token>(&json).unwrap(), token);
    }
}
