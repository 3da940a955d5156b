//! Change detection. Each side is compared with its own past only, never one side's clock with
//! the other's: a content side by its content hash (re-hashed only when its size or mtime
//! changed; [`crate::hash`]), a version side by its change token, else size and mtime within its
//! precision.

use std::{
    collections::HashMap,
    sync::atomic::{AtomicU64, Ordering},
};

use ferry_plugin_api::{BackendError, Capabilities, HashAlgo};

use crate::{
    hash::{hash_file, same_content, Algorithm, ContentHash},
    pair::Pair,
    scan::Node,
    side::{CompareBy, Side},
    state::SideState,
};

/// The coarsest mtime precision at which equal dates count as equal content for a path that has
/// a baseline (2 s: FAT; MLSD and MDTM give 1 s).
pub const PROOF_PRECISION_NS: u64 = 2_000_000_000;

/// Did `side` (`which` of the run) change since `base`? A content side is compared by hash
/// (taken from `hashes` when its stat changed), a version side by version. `Err` says why it
/// could not be told.
pub fn side_changed(
    side: &Side,
    which: Which,
    node: &Node,
    base: &SideState,
    hashes: &Hashes,
    path: &str,
) -> Result<bool, String> {
    match side.compare {
        CompareBy::Version => Ok(!version_unchanged(node, base)),
        CompareBy::Content if stat_unchanged(node, base) => Ok(false),
        CompareBy::Content => match hashes.get(which, path) {
            // Compared in the algorithm the baseline used (the request asked for it).
            Some(Ok(now)) => Ok(base
                .hash
                .as_ref()
                .is_none_or(|then| ContentHash::find(now, then.algorithm) != Some(then))),
            Some(Err(e)) => Err(format!("cannot read to compare: {e}")),
            None => Err("internal error: no hash was computed".to_string()),
        },
    }
}

/// An unchanged side's record brought up to date: a touched content side gets its new stat
/// (and, when it was hashed again to tell, the hash in the current algorithm: an old record's
/// SHA-256 moves to BLAKE3 as files are touched), a pending version side the version it now
/// lists.
pub fn refreshed(
    side: &Side,
    node: &Node,
    base: &SideState,
    hashed: Option<&[ContentHash]>,
) -> SideState {
    match side.compare {
        CompareBy::Content => SideState {
            size: node.size,
            mtime_ns: node.mtime_ns,
            hash: hashed
                .and_then(ContentHash::preferred)
                .cloned()
                .or_else(|| base.hash.clone()),
            ..base.clone()
        },
        CompareBy::Version if base.pending => side_state(side, node, None),
        CompareBy::Version => base.clone(),
    }
}

/// Same size and the exact same mtime: a content side's stored hash can be trusted.
pub fn stat_unchanged(node: &Node, base: &SideState) -> bool {
    node.size == base.size && node.mtime_ns == base.mtime_ns
}

/// Is a version side unchanged since `base`? A pending base (written by ferry, version not yet
/// read back) counts as unchanged.
pub fn version_unchanged(node: &Node, base: &SideState) -> bool {
    if base.pending {
        return true;
    }
    match (&node.token, &base.token) {
        (Some(now), Some(then)) => now == then,
        _ => {
            node.size == base.size && mtimes_match(node.mtime_ns, base.mtime_ns, node.precision_ns)
        }
    }
}

/// Both mtimes known and within `precision_ns` of each other.
pub fn mtimes_match(a: Option<i64>, b: Option<i64>, precision_ns: u64) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.abs_diff(b) < precision_ns.max(1),
        _ => false,
    }
}

/// What a side looks like now, for storing in the baseline. A side compared by version keeps
/// the content hash too where one is known: a version listed too coarsely to be proven is
/// settled by it before anything replaces it (`transfer::settle`).
pub fn side_state(side: &Side, node: &Node, hash: Option<ContentHash>) -> SideState {
    match side.compare {
        CompareBy::Content => SideState {
            hash,
            size: node.size,
            mtime_ns: node.mtime_ns,
            token: None,
            pending: false,
        },
        CompareBy::Version => SideState {
            hash,
            size: node.size,
            mtime_ns: node.mtime_ns,
            token: node.token.clone(),
            pending: false,
        },
    }
}

pub use crate::pair::Which;

/// A file to hash for planning: on which side, and with which algorithms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashRequest {
    /// The side.
    pub which: Which,
    /// The file.
    pub path: String,
    /// Its size as listed (sizes the read buffer).
    pub size: u64,
    /// The algorithms to hash it with (in one read).
    pub algorithms: &'static [Algorithm],
}

/// The algorithms to hash a content side with when its stat changed since `record`: those the
/// record's hashes used, so that it can be compared with its past and with the other side's
/// recorded hash, and the current one, to record.
pub fn algorithms_since(record: &crate::state::Record) -> &'static [Algorithm] {
    let old = [&record.a, &record.b].iter().any(|side| {
        side.hash
            .as_ref()
            .is_some_and(|h| h.algorithm == Algorithm::Sha256)
    });
    if old {
        &[Algorithm::CURRENT, Algorithm::Sha256]
    } else {
        &[Algorithm::CURRENT]
    }
}

/// Hashes computed for planning, by side and path: one per algorithm requested.
#[derive(Debug, Default)]
pub struct Hashes {
    /// By side, then path: looked up with a borrowed path (a no-op run asks for every file).
    results: Pair<HashMap<String, Result<Vec<ContentHash>, BackendError>>>,
    /// How many files were read to hash them.
    pub files_read: u64,
}

impl Hashes {
    /// The hash of `path` on `which`, if it was requested.
    pub fn get(&self, which: Which, path: &str) -> Option<&Result<Vec<ContentHash>, BackendError>> {
        self.results[which].get(path)
    }
}

/// Computes the requested hashes with `jobs` workers: a content side is read and hashed; a
/// version side is asked for a server-side SHA-256 (only requested where it has one).
pub fn compute(requests: Vec<HashRequest>, sides: Pair<&Side>, jobs: usize) -> Hashes {
    let files_read = AtomicU64::new(0);
    let hashed = crate::parallel::map(&requests, jobs, |request| {
        let side = sides[request.which];
        match side.compare {
            CompareBy::Content => {
                files_read.fetch_add(1, Ordering::Relaxed);
                hash_file(
                    side.backend,
                    &request.path,
                    Some(request.size),
                    request.algorithms,
                )
            }
            CompareBy::Version => {
                side.backend
                    .checksum(&request.path, HashAlgo::SHA256)
                    .map(|hex| {
                        vec![ContentHash {
                            algorithm: Algorithm::Sha256,
                            hex: hex.into(),
                        }]
                    })
            }
        }
    });
    let mut results = Pair::from_fn(|_| HashMap::new());
    for (request, hashed) in requests.into_iter().zip(hashed) {
        results[request.which].insert(request.path, hashed);
    }
    Hashes {
        results,
        files_read: files_read.into_inner(),
    }
}

/// One side of a path for [`equal_now`]: the side, which it is, what it lists now, and its
/// baseline state if there is one.
pub struct Now<'a> {
    /// The side.
    pub side: &'a Side<'a>,
    /// Which side of the run it is.
    pub which: Which,
    /// What it lists now.
    pub node: &'a Node,
    /// Its baseline state.
    pub base: Option<&'a SideState>,
}

impl Now<'_> {
    /// Its content hashes, if any is known: computed for this run, or the baseline's when the
    /// stat of a side compared by content has not changed since.
    fn hashes(&self, hashes: &Hashes, path: &str) -> Result<Option<Vec<ContentHash>>, String> {
        match hashes.get(self.which, path) {
            Some(Ok(computed)) => Ok(Some(computed.clone())),
            Some(Err(e)) if e.kind == ferry_plugin_api::ErrorKind::UNSUPPORTED => Ok(None),
            Some(Err(e)) => Err(format!("cannot read to compare: {e}")),
            None => Ok(self
                .base
                .filter(|base| {
                    self.side.compare == CompareBy::Content && stat_unchanged(self.node, base)
                })
                .and_then(|base| base.hash.clone())
                .map(|hash| vec![hash])),
        }
    }
}

/// Do the two sides of `path` hold the same content now? Equal sizes (where both are exact),
/// and equal content hashes where both sides give one, else equal mtimes within precision (what
/// ferry's own copies carry). `Some` holds the two sides' states to record: a first run's
/// matching files, both sides changed alike, or a copy whose journal line a crash cut off.
pub fn equal_now(
    a: &Now,
    b: &Now,
    hashes: &Hashes,
    path: &str,
) -> Result<Option<(SideState, SideState)>, String> {
    let sizes_comparable = sizes_comparable(a.side, b.side);
    if sizes_comparable && a.node.size != b.node.size {
        return Ok(None);
    }
    let (a_hashes, b_hashes) = (a.hashes(hashes, path)?, b.hashes(hashes, path)?);
    let by_hash = match (&a_hashes, &b_hashes) {
        (Some(x), Some(y)) => same_content(x, y),
        _ => None,
    };
    let equal = match by_hash {
        Some(equal) => equal,
        // Without exact sizes only equal hashes prove two files equal; two sides that are both
        // hashed by content are never compared by date.
        _ if !sizes_comparable => false,
        _ if a.side.compare == CompareBy::Content && b.side.compare == CompareBy::Content => false,
        // Once a baseline exists, a date proves nothing at minute precision (LIST-only FTP).
        _ if a.base.is_some()
            && a.node.precision_ns.max(b.node.precision_ns) > PROOF_PRECISION_NS =>
        {
            false
        }
        _ => mtimes_match(
            a.node.mtime_ns,
            b.node.mtime_ns,
            a.node.precision_ns.max(b.node.precision_ns),
        ),
    };
    let recorded =
        |hashes: Option<Vec<ContentHash>>| hashes.and_then(|h| ContentHash::preferred(&h).cloned());
    Ok(equal.then(|| {
        (
            side_state(a.side, a.node, recorded(a_hashes)),
            side_state(b.side, b.node, recorded(b_hashes)),
        )
    }))
}

/// Can the sizes of these two sides be compared (neither lists mere estimates)?
pub fn sizes_comparable(a: &Side, b: &Side) -> bool {
    !a.can(Capabilities::APPROXIMATE_SIZES) && !b.can(Capabilities::APPROXIMATE_SIZES)
}

/// Can this side give a content hash for a first-run comparison?
pub fn can_hash(side: &Side) -> bool {
    side.compare == CompareBy::Content || side.can(Capabilities::CHECKSUM_SHA256)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_plugin_api::EntryKind;

    fn node(size: u64, mtime: i64, token: Option<&str>) -> Node {
        Node {
            kind: EntryKind::FILE,
            size,
            mtime_ns: Some(mtime),
            precision_ns: 1_000_000_000,
            token: token.map(crate::token::Token::from),
        }
    }

    #[test]
    fn versions_compare_tokens_first_then_size_and_mtime() {
        let base = SideState {
            size: 5,
            mtime_ns: Some(10_000_000_000),
            token: Some("t1".into()),
            ..Default::default()
        };
        assert!(version_unchanged(
            &node(5, 10_000_000_000, Some("t1")),
            &base
        ));
        assert!(!version_unchanged(
            &node(5, 10_000_000_000, Some("t2")),
            &base
        ));
        let no_token = SideState {
            token: None,
            ..base.clone()
        };
        assert!(
            version_unchanged(&node(5, 10_500_000_000, None), &no_token),
            "within precision"
        );
        assert!(!version_unchanged(
            &node(5, 12_000_000_000, None),
            &no_token
        ));
        assert!(!version_unchanged(
            &node(6, 10_000_000_000, None),
            &no_token
        ));
        let pending = SideState {
            pending: true,
            ..Default::default()
        };
        assert!(version_unchanged(&node(1, 1, Some("x")), &pending));
    }
}
