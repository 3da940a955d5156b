//! A plugin's options with one source of truth: the serde struct `open` parses. The
//! [`OptionSpec`] table that `ferry plugins info` shows and the host checks keys against is
//! written beside it, and [`check_specs`] (run in the plugin's own unit tests, and in
//! `ferry plugins check` through the declared table) fails when the two name different keys or
//! disagree on which are required. [`parse`] is the typed parse every `open` needs, its errors
//! mapped to INVALID_CONFIG.

use serde::de::{self, DeserializeOwned, Visitor};

use crate::{BackendError, ErrorKind, OptionSpec};

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
        if let Some(required) = requires::<T>(name, specs) {
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
fn requires<T: DeserializeOwned>(name: &str, specs: &[OptionSpec]) -> Option<bool> {
    let mut table = String::new();
    for spec in specs.iter().filter(|s| s.name.as_str() != name) {
        table.push_str(&format!("{} = {}\n", spec.name, sample(spec)));
    }
    match toml::from_str::<T>(&table) {
        Ok(_) => Some(false),
        Err(e) if e.message().contains(&format!("missing field `{name}`")) => Some(true),
        Err(_) => None,
    }
}

/// A value of the spec's kind, for probing.
fn sample(spec: &OptionSpec) -> &'static str {
    match spec.kind {
        crate::OptionKind::BOOL => "true",
        crate::OptionKind::INTEGER | crate::OptionKind::DURATION_SECS => "1",
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
    use crate::OptionKind;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Config {
        location: String,
        #[serde(default)]
        verbose: bool,
        #[serde(rename = "max-files", default)]
        max_files: u32,
    }

    fn specs() -> Vec<OptionSpec> {
        vec![
            OptionSpec::new("location", OptionKind::STRING, "where").required(),
            OptionSpec::new("verbose", OptionKind::BOOL, "talk"),
            OptionSpec::new("max-files", OptionKind::INTEGER, "limit"),
        ]
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
        check_specs::<Config>(&specs()).unwrap();
        let mut missing = specs();
        missing.pop();
        assert_eq!(
            check_specs::<Config>(&missing).unwrap_err(),
            "`max-files` is parsed but not declared"
        );
        let mut extra = specs();
        extra.push(OptionSpec::new("colour", OptionKind::BOOL, "paint"));
        assert_eq!(
            check_specs::<Config>(&extra).unwrap_err(),
            "`colour` is declared but not parsed"
        );
        let mut wrong = specs();
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
