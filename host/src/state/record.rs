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
