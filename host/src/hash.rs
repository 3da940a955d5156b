//! Content hashes: which algorithm a recorded hash was taken with, and hashing bytes with one or
//! several algorithms in one pass.
//!
//! ferry hashes with BLAKE3: on the 1 GiB upload of issue 13 SHA-256 was 64 % of ferry's CPU,
//! and BLAKE3 on one thread hashes the same bytes about three times faster
//! (`cargo bench -p ferry --bench host_parts` measures both). Baselines written before kept
//! SHA-256; their hashes stay valid and are compared with SHA-256 until the file's stat changes
//! and it is hashed again (then with both, so that either side of an old record can still be
//! compared), and a server that offers checksums offers SHA-256.

use std::io::Read;

use ferry_plugin_api::BackendError;
use sha2::{Digest, Sha256};

use crate::{backend::Backend, digest::Hex};

/// Streaming buffer for hashing a whole file: large enough for BLAKE3's SIMD paths.
const BUFFER_SIZE: usize = 256 * 1024;

/// A content hash algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// SHA-256: baselines written before BLAKE3, and servers' checksums.
    Sha256,
    /// BLAKE3 (256-bit output): what ferry records now.
    Blake3,
}

impl Algorithm {
    /// The algorithm new hashes are taken with.
    pub const CURRENT: Algorithm = Algorithm::Blake3;

    /// The key of a hash of this algorithm in the state file.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Blake3 => "blake3",
        }
    }
}

/// A hash of a file's content: the algorithm and the digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentHash {
    /// How it was taken.
    pub algorithm: Algorithm,
    /// The digest (lower-case hex in the state file).
    pub hex: Hex,
}

impl ContentHash {
    /// The hash of `algorithm` among `hashes`, if there is one.
    pub fn find(hashes: &[ContentHash], algorithm: Algorithm) -> Option<&ContentHash> {
        hashes.iter().find(|h| h.algorithm == algorithm)
    }

    /// The one to record among hashes of the same content: the current algorithm's if present.
    pub fn preferred(hashes: &[ContentHash]) -> Option<&ContentHash> {
        Self::find(hashes, Algorithm::CURRENT).or_else(|| hashes.first())
    }
}

/// Do two sets of hashes (each of one content) show the same content? `None` when they share
/// no algorithm and so cannot tell.
pub fn same_content(x: &[ContentHash], y: &[ContentHash]) -> Option<bool> {
    x.iter()
        .find_map(|a| ContentHash::find(y, a.algorithm).map(|b| a.hex == b.hex))
}

/// A running hash of one or more algorithms over the same bytes.
#[derive(Clone, Debug)]
pub struct Hasher {
    sha256: Option<Sha256>,
    blake3: Option<Box<blake3::Hasher>>,
}

impl Hasher {
    /// A hasher for each of `algorithms`.
    pub fn new(algorithms: &[Algorithm]) -> Self {
        Hasher {
            sha256: algorithms.contains(&Algorithm::Sha256).then(Sha256::new),
            blake3: algorithms
                .contains(&Algorithm::Blake3)
                .then(|| Box::new(blake3::Hasher::new())),
        }
    }

    /// A hasher of the current algorithm alone.
    pub fn current() -> Self {
        Self::new(&[Algorithm::CURRENT])
    }

    /// Hashes `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        if let Some(sha256) = &mut self.sha256 {
            sha256.update(bytes);
        }
        if let Some(blake3) = &mut self.blake3 {
            blake3.update(bytes);
        }
    }

    /// The hash of everything hashed, in the current algorithm (which it must have been given).
    pub fn finish_current(self) -> ContentHash {
        self.finish()
            .into_iter()
            .find(|h| h.algorithm == Algorithm::CURRENT)
            .expect("a hasher of the current algorithm")
    }

    /// The hashes of everything hashed, one per algorithm, the current one first.
    pub fn finish(self) -> Vec<ContentHash> {
        let mut hashes = Vec::with_capacity(2);
        if let Some(blake3) = self.blake3 {
            hashes.push(ContentHash {
                algorithm: Algorithm::Blake3,
                hex: Hex::from_bytes(*blake3.finalize().as_bytes()),
            });
        }
        if let Some(sha256) = self.sha256 {
            hashes.push(ContentHash {
                algorithm: Algorithm::Sha256,
                hex: Hex::from_bytes(sha256.finalize().into()),
            });
        }
        hashes
    }
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Hashes everything `reader` gives with each of `algorithms`, through a fixed buffer sized for
/// `size` where that is known.
pub fn hash_reader(
    mut reader: impl Read,
    size: Option<u64>,
    algorithms: &[Algorithm],
) -> std::io::Result<Vec<ContentHash>> {
    let mut hasher = Hasher::new(algorithms);
    let mut buffer = ferry_plugin_api::io::buffer_for(size, BUFFER_SIZE);
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..n]);
    }
    Ok(hasher.finish())
}

/// Hashes the file at `path` of `backend` (listed with `size` bytes, if known) with each of
/// `algorithms`.
pub fn hash_file(
    backend: &Backend,
    path: &str,
    size: Option<u64>,
    algorithms: &[Algorithm],
) -> Result<Vec<ContentHash>, BackendError> {
    let reader = backend.open_read(path, 0)?;
    hash_reader(reader, size, algorithms).map_err(|e| BackendError::from_io(e, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests_of_abc() {
        let hashes =
            hash_reader(&b"abc"[..], None, &[Algorithm::Sha256, Algorithm::Blake3]).unwrap();
        assert_eq!(
            ContentHash::find(&hashes, Algorithm::Sha256).unwrap().hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            ContentHash::find(&hashes, Algorithm::Blake3).unwrap().hex,
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        );
        assert_eq!(
            ContentHash::preferred(&hashes).unwrap().algorithm,
            Algorithm::Blake3
        );
    }

    #[test]
    fn contents_compare_only_on_a_shared_algorithm() {
        let of = |algorithm, hex: &str| ContentHash {
            algorithm,
            hex: hex.into(),
        };
        let old = [of(Algorithm::Sha256, "aa")];
        let both = [of(Algorithm::Blake3, "bb"), of(Algorithm::Sha256, "aa")];
        let new = [of(Algorithm::Blake3, "bb")];
        assert_eq!(same_content(&old, &both), Some(true));
        assert_eq!(same_content(&new, &both), Some(true));
        assert_eq!(same_content(&old, &new), None);
        assert_eq!(
            same_content(&[of(Algorithm::Blake3, "cc")], &new),
            Some(false)
        );
    }
}
