//! Baseline records: per path, the state of each side at the last successful transfer or
//! comparison.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What one side looked like. A side compared by content keeps `sha256`; a side compared by
/// version keeps `token` (else size and mtime). `pending` marks a version the server assigns
/// after a write that ferry has not read back yet: such a side counts as unchanged on the next
/// run and takes the version it then lists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SideState {
    /// Content hash, lower-case hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, ns since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtime_ns: Option<i64>,
    /// The backend's change token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The version is not known yet (written, not read back).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
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
