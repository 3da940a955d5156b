//! Baseline records: per path, the state of each side at the last successful transfer or
//! comparison.

use std::collections::BTreeMap;

use serde::{ser::SerializeStruct, Deserialize, Serialize, Serializer};

use crate::{
    digest::Hex,
    hash::{Algorithm, ContentHash},
    token::Token,
};

/// What one side looked like. A side compared by content keeps its content `hash`; a side
/// compared by version keeps `token` (else size and mtime). `pending` marks a version the server
/// assigns after a write that ferry has not read back yet: such a side counts as unchanged on
/// the next run and takes the version it then lists.
///
/// In the state file the hash is written under its algorithm's name:
/// `{"blake3"?: hex, "sha256"?: hex, "size", "mtime_ns"?, "token"?, "pending"?}` (`sha256` in
/// states written before ferry hashed with BLAKE3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "SideStateRepr")]
pub struct SideState {
    /// Content hash.
    pub hash: Option<ContentHash>,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, ns since the epoch.
    pub mtime_ns: Option<i64>,
    /// The backend's change token.
    pub token: Option<Token>,
    /// The version is not known yet (written, not read back).
    pub pending: bool,
}

/// [`SideState`] as the state file spells it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SideStateRepr {
    #[serde(default)]
    blake3: Option<Hex>,
    #[serde(default)]
    sha256: Option<Hex>,
    size: u64,
    #[serde(default)]
    mtime_ns: Option<i64>,
    #[serde(default)]
    token: Option<Token>,
    #[serde(default)]
    pending: bool,
}

impl From<SideStateRepr> for SideState {
    fn from(repr: SideStateRepr) -> Self {
        let of = |algorithm| move |hex| ContentHash { algorithm, hex };
        SideState {
            hash: (repr.blake3.map(of(Algorithm::Blake3)))
                .or_else(|| repr.sha256.map(of(Algorithm::Sha256))),
            size: repr.size,
            mtime_ns: repr.mtime_ns,
            token: repr.token,
            pending: repr.pending,
        }
    }
}

impl Serialize for SideState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = serializer.serialize_struct("SideState", 5)?;
        if let Some(hash) = &self.hash {
            fields.serialize_field(hash.algorithm.name(), &hash.hex)?;
        }
        fields.serialize_field("size", &self.size)?;
        if let Some(mtime_ns) = &self.mtime_ns {
            fields.serialize_field("mtime_ns", mtime_ns)?;
        }
        if let Some(token) = &self.token {
            fields.serialize_field("token", token)?;
        }
        if self.pending {
            fields.serialize_field("pending", &true)?;
        }
        fields.end()
    }
}

/// One path of the baseline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// `true` for a directory (its sides carry no content).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dir: bool,
    /// Side `a` (the endpoint whose label sorts first).
    pub a: SideState,
    /// Side `b`.
    pub b: SideState,
}

impl Record {
    /// The record of a file from the states of a run's two sides; `first_is_a` says whether
    /// `first` is side `a` (the endpoint whose label sorts first).
    pub fn file(first_is_a: bool, first: SideState, second: SideState) -> Record {
        let (a, b) = if first_is_a {
            (first, second)
        } else {
            (second, first)
        };
        Record { dir: false, a, b }
    }

    /// The record of a directory seen on both sides.
    pub fn directory() -> Record {
        Record {
            dir: true,
            a: SideState::default(),
            b: SideState::default(),
        }
    }

    /// Side `a` if `is_a`, else side `b`.
    pub fn side(&self, is_a: bool) -> &SideState {
        if is_a {
            &self.a
        } else {
            &self.b
        }
    }

    /// [`Record::side`], mutable.
    pub fn side_mut(&mut self, is_a: bool) -> &mut SideState {
        if is_a {
            &mut self.a
        } else {
            &mut self.b
        }
    }
}

/// The whole baseline in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    /// Records by relative path.
    pub records: BTreeMap<String, Record>,
}

impl Baseline {
    /// Number of file records.
    pub fn file_count(&self) -> usize {
        self.records.values().filter(|r| !r.dir).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A baseline holds a record per path: a 100k-file baseline holds 100k of them.
    #[test]
    fn a_record_stays_small() {
        assert!(
            std::mem::size_of::<Record>() <= 184,
            "{}",
            std::mem::size_of::<Record>()
        );
    }

    #[test]
    fn a_side_is_written_with_its_algorithm_and_read_back_in_either() {
        let side = SideState {
            hash: Some(ContentHash {
                algorithm: Algorithm::Blake3,
                hex: "ab".into(),
            }),
            size: 3,
            mtime_ns: Some(7),
            ..Default::default()
        };
        let json = serde_json::to_string(&side).unwrap();
        assert_eq!(json, r#"{"blake3":"ab","size":3,"mtime_ns":7}"#);
        assert_eq!(serde_json::from_str::<SideState>(&json).unwrap(), side);
        let old: SideState =
            serde_json::from_str(r#"{"sha256":"cd","size":3,"token":"t","pending":true}"#).unwrap();
        assert_eq!(
            old.hash,
            Some(ContentHash {
                algorithm: Algorithm::Sha256,
                hex: "cd".into()
            })
        );
        assert!(old.pending);
        assert!(serde_json::from_str::<SideState>(r#"{"md5":"x","size":1}"#).is_err());
    }
}
