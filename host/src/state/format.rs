//! The state files as JSON: the snapshot as read (parsed straight into records, bulk-loaded)
//! and as written (borrowing the baseline), and journal lines both ways.

use serde::{Deserialize, Serialize};

use super::record::Record;

/// The snapshot as read: parsed straight into records, with no intermediate JSON tree.
#[derive(Deserialize)]
pub(super) struct Snapshot {
    pub(super) format: String,
    pub(super) version: u32,
    pub(super) endpoints: [String; 2],
    #[serde(deserialize_with = "entries")]
    pub(super) records: Vec<(String, Record)>,
}

/// Reads a JSON object as its entries, for a map whose nodes are full: built in one go from
/// them (`BTreeMap::from_iter` sorts and bulk-loads) once the file's bytes are dropped. Inserted
/// one at a time in sorted order, as serde does, every node splits half empty, and the baseline
/// of a large tree took nearly twice the memory. A key given twice keeps its last value, as
/// with inserts.
pub(super) fn entries<'de, D>(
    deserializer: D,
) -> std::result::Result<Vec<(String, Record)>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Entries;
    impl<'de> serde::de::Visitor<'de> for Entries {
        type Value = Vec<(String, Record)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of records by path")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
            while let Some(entry) = map.next_entry()? {
                entries.push(entry);
            }
            Ok(entries)
        }
    }
    deserializer.deserialize_map(Entries)
}

/// The snapshot as written, borrowing the baseline rather than copying it.
#[derive(Serialize)]
pub(super) struct SnapshotRef<'a> {
    pub(super) format: &'a str,
    pub(super) version: u32,
    pub(super) endpoints: &'a [String; 2],
    pub(super) records: &'a std::collections::BTreeMap<String, Record>,
}

/// Just what says which format a snapshot is, for the message when the whole does not parse.
#[derive(Deserialize)]
pub(super) struct Header {
    #[serde(default)]
    pub(super) format: String,
    #[serde(default)]
    pub(super) version: u64,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum JournalLine {
    Set { set: String, record: Box<Record> },
    Drop { drop: String },
}

/// A journal line as written, borrowing the record.
#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum JournalLineRef<'a> {
    Set { set: &'a str, record: &'a Record },
    Drop { drop: &'a str },
}
