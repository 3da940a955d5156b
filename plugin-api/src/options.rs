//! A plugin's options with one source of truth: the serde struct `open` parses.
//!
//! - [`specs`] produces the [`OptionSpec`] table that `ferry plugins info` shows and the host
//!   checks keys against from that struct: its fields, which are required, their defaults; only
//!   the kind, help and secrecy are written beside it ([`OptionDoc`]).
//! - [`parse`] is the typed parse every `open` needs, its errors mapped to INVALID_CONFIG.
//! - [`check_specs`] compares a table written by hand with the struct, for a unit test.

use serde::{
    de::{self, DeserializeOwned, Visitor},
    Serialize,
};

use crate::{BackendError, ErrorKind, OptionKind, OptionSpec};

/// Parses the options table `open` received into the plugin's struct. Any error — an unknown
/// key (use `#[serde(deny_unknown_fields)]`), a missing one, a wrong type — is INVALID_CONFIG,
/// naming the backend and the key.
pub fn parse<T: DeserializeOwned>(backend: &str, options_toml: &str) -> Result<T, BackendError> {
    toml::from_str(options_toml).map_err(|e| {
        BackendError::new(
            ErrorKind::INVALID_CONFIG,
            format!("{backend} backend options: {}", e.message()),
        )
    })
}

/// The keys of the struct `T` (its serde field names, renames applied), read from its
/// `Deserialize` implementation without any input.
pub fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

/// What the struct cannot say about an option: how to show its type, a sentence of help, and
/// whether it is a secret. [`specs`] takes the rest from the struct.
#[derive(Clone, Copy, Debug)]
pub struct OptionDoc {
    /// The key, as the struct's serde field is named.
    pub name: &'static str,
    /// The value's type, for `ferry plugins info`.
    pub kind: OptionKind,
    /// One or two sentences for the user.
    pub help: &'static str,
    /// A password or token: never shown, logged or stored.
    pub secret: bool,
}

impl OptionDoc {
    /// A documented option.
    pub const fn new(name: &'static str, kind: OptionKind, help: &'static str) -> Self {
        OptionDoc {
            name,
            kind,
            help,
            secret: false,
        }
    }

    /// Marks it as a secret.
    pub const fn secret(mut self) -> Self {
        self.secret = true;
        self
    }
}

/// The option table of the struct `T`, produced from it: every field in the struct's order,
/// `required` where the struct has no default, and the default the struct gives, rendered as
/// TOML; kind, help and secrecy come from `docs`. A field without a doc, or a doc naming no
/// field, panics with the name: a plugin's first unit test (or `ferry plugins check`) calls
/// `info()` and finds it before any user does.
pub fn specs<T: DeserializeOwned + Serialize>(docs: &[OptionDoc]) -> Vec<OptionSpec> {
    let fields = field_names::<T>();
    if let Some(stray) = docs.iter().find(|d| !fields.contains(&d.name)) {
        panic!(
            "option `{}` is documented but the options struct has no such field",
            stray.name
        );
    }
    let doc_of = |field: &str| {
        *docs
            .iter()
            .find(|d| d.name == field)
            .unwrap_or_else(|| panic!("option `{field}` of the options struct has no OptionDoc"))
    };
    let keys: Vec<(&str, OptionKind)> = fields.iter().map(|f| (*f, doc_of(f).kind)).collect();
    let required: Vec<bool> = fields
        .iter()
        .map(|field| requires::<T>(field, &keys).unwrap_or(false))
        .collect();
    // The struct as parsed from its required keys alone holds every default.
    let mut minimal = String::new();
    for (field, required) in fields.iter().zip(&required) {
        if *required {
            minimal.push_str(&format!("{field} = {}\n", sample(doc_of(field).kind)));
        }
    }
    let defaults: toml::Table = toml::from_str::<T>(&minimal)
        .ok()
        .and_then(|parsed| toml::Table::try_from(parsed).ok())
        .unwrap_or_default();
    fields
        .iter()
        .zip(&required)
        .map(|(field, required)| {
            let doc = doc_of(field);
            let mut spec = OptionSpec::new(field, doc.kind, doc.help);
            if *required {
                spec = spec.required();
            } else if let Some(value) = defaults.get(*field) {
                spec = spec.default_value(&value.to_string());
            }
            if doc.secret {
                spec = spec.secret();
            }
            spec
        })
        .collect()
}

/// Compares the declared table with the struct: the same keys, and `required` exactly where
/// the struct has no default. `Err` lists every difference.
pub fn check_specs<T: DeserializeOwned>(specs: &[OptionSpec]) -> Result<(), String> {
    let fields = field_names::<T>();
    let declared: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    let mut problems = Vec::new();
    for field in fields {
        if !declared.contains(field) {
            problems.push(format!("`{field}` is parsed but not declared"));
        }
    }
    for spec in specs {
        let name = spec.name.as_str();
        if !fields.contains(&name) {
            problems.push(format!("`{name}` is declared but not parsed"));
            continue;
        }
        let keys: Vec<(&str, OptionKind)> =
            specs.iter().map(|s| (s.name.as_str(), s.kind)).collect();
        if let Some(required) = requires::<T>(name, &keys) {
            if spec.required != required {
                problems.push(format!(
                    "`{name}` is declared {} but the struct {}",
                    if spec.required {
                        "required"
                    } else {
                        "optional"
                    },
                    if required {
                        "requires it"
                    } else {
                        "has a default for it"
                    }
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Does the struct require `name`? Told by parsing a table with every other declared key (a
/// value of its declared kind) and not this one; `None` when that table does not parse for
/// another reason (a value the sample cannot stand for).
fn requires<T: DeserializeOwned>(name: &str, keys: &[(&str, OptionKind)]) -> Option<bool> {
    let mut table = String::new();
    for (key, kind) in keys.iter().filter(|(key, _)| *key != name) {
        table.push_str(&format!("{key} = {}\n", sample(*kind)));
    }
    match toml::from_str::<T>(&table) {
        Ok(_) => Some(false),
        Err(e) if e.message().contains(&format!("missing field `{name}`")) => Some(true),
        Err(_) => None,
    }
}

/// A value of `kind`, for probing.
fn sample(kind: OptionKind) -> &'static str {
    match kind {
        OptionKind::BOOL => "true",
        OptionKind::INTEGER | OptionKind::DURATION_SECS => "1",
        _ => "\"x\"",
    }
}

/// A deserializer that answers nothing but records the field names a struct asks for.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> de::Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("only the field names were wanted"))
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, Serialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Config {
        location: String,
        #[serde(default)]
        verbose: bool,
        #[serde(rename = "max-files", default)]
        max_files: u32,
    }

    fn hand_written() -> Vec<OptionSpec> {
        vec![
            OptionSpec::new("location", OptionKind::STRING, "where").required(),
            OptionSpec::new("verbose", OptionKind::BOOL, "talk"),
            OptionSpec::new("max-files", OptionKind::INTEGER, "limit"),
        ]
    }

    const DOCS: [OptionDoc; 3] = [
        OptionDoc::new("location", OptionKind::STRING, "where"),
        OptionDoc::new("verbose", OptionKind::BOOL, "talk").secret(),
        OptionDoc::new("max-files", OptionKind::INTEGER, "limit"),
    ];

    #[test]
    fn the_table_is_produced_from_the_struct() {
        let produced = specs::<Config>(&DOCS);
        let shown: Vec<(String, bool, Option<String>, bool)> = produced
            .iter()
            .map(|s| {
                (
                    s.name.to_string(),
                    s.required,
                    s.default.clone().into_option().map(|d| d.to_string()),
                    s.secret,
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("location".into(), true, None, false),
                ("verbose".into(), false, Some("false".into()), true),
                ("max-files".into(), false, Some("0".into()), false),
            ]
        );
        check_specs::<Config>(&produced).unwrap();
    }

    #[test]
    #[should_panic(expected = "option `max-files` of the options struct has no OptionDoc")]
    fn a_field_without_a_doc_is_found() {
        specs::<Config>(&DOCS[..2]);
    }

    #[test]
    #[should_panic(
        expected = "option `colour` is documented but the options struct has no such field"
    )]
    fn a_doc_without_a_field_is_found() {
        let mut docs = DOCS.to_vec();
        docs.push(OptionDoc::new("colour", OptionKind::BOOL, "paint"));
        specs::<Config>(&docs);
    }

    #[test]
    fn field_names_come_from_the_struct() {
        assert_eq!(
            field_names::<Config>(),
            ["location", "verbose", "max-files"]
        );
    }

    #[test]
    fn drift_between_the_struct_and_the_table_is_found() {
        check_specs::<Config>(&hand_written()).unwrap();
        let mut missing = hand_written();
        missing.pop();
        assert_eq!(
            check_specs::<Config>(&missing).unwrap_err(),
            "`max-files` is parsed but not declared"
        );
        let mut extra = hand_written();
        extra.push(OptionSpec::new("colour", OptionKind::BOOL, "paint"));
        assert_eq!(
            check_specs::<Config>(&extra).unwrap_err(),
            "`colour` is declared but not parsed"
        );
        let mut wrong = hand_written();
        wrong[0].required = false;
        wrong[1].required = true;
        assert_eq!(
            check_specs::<Config>(&wrong).unwrap_err(),
            "`location` is declared optional but the struct requires it; \
             `verbose` is declared required but the struct has a default for it"
        );
    }

    #[test]
    fn parse_errors_are_invalid_config_naming_the_key() {
        let e = parse::<Config>("mine", "location = \"/x\"\nrot = 1").unwrap_err();
        assert_eq!(e.kind, ErrorKind::INVALID_CONFIG);
        assert!(
            e.message
                .starts_with("mine backend options: unknown field `rot`"),
            "{}",
            e.message
        );
    }
}
