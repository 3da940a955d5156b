//! Copying one file between two backends: the destination plugin pulls the bytes from the
//! source plugin's reader through the host, which hashes them (BLAKE3) and counts them on the
//! way. Nothing is held in memory beyond the plugins' fixed buffers. A cut source read is resumed
//! where it stopped ([`super::resume`]); other retryable failures are retried with backoff on a
//! fresh read.

use std::{
    io::Read,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use ferry_plugin_api::{BackendError, Entry};

use super::{
    bwlimit::RateLimit,
    resume::{Resuming, Version},
};
use crate::{
    hash::{ContentHash, Hasher},
    options::Cancel,
    side::Side,
};

/// How the copies of a run go: retries of a retryable failure, the run's byte counter (for
/// progress; bytes of failed attempts are taken back out) and the run's cancel token.
#[derive(Clone, Copy)]
pub struct Copying<'a> {
    /// Retries after a retryable error.
    pub retries: u32,
    /// Bytes copied in the run so far.
    pub run_bytes: &'a Arc<AtomicU64>,
    /// Stops copies at their next read.
    pub cancel: &'a Cancel,
    /// The run's bandwidth budget, if it has one.
    pub rate: Option<&'a RateLimit>,
}

/// A reader that hashes and counts what passes through it, and ends the copy when the run is
/// cancelled.
struct Tap<R> {
    inner: R,
    hasher: Arc<Mutex<Hasher>>,
    attempt_bytes: Arc<AtomicU64>,
    run_bytes: Arc<AtomicU64>,
    cancel: Cancel,
    rate: Option<RateLimit>,
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.cancel.is_cancelled() {
            return Err(
                BackendError::new(ferry_plugin_api::ErrorKind::CANCELLED, "interrupted").into_io(),
            );
        }
        let n = self.inner.read(buf)?;
        self.hasher.lock().expect("hasher").update(&buf[..n]);
        self.attempt_bytes.fetch_add(n as u64, Ordering::Relaxed);
        self.run_bytes.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(rate) = &self.rate {
            rate.take(n as u64, &self.cancel);
        }
        Ok(n)
    }
}

/// What a successful copy produced.
#[derive(Debug)]
pub struct Copied {
    /// The destination entry as its backend now reports it.
    pub entry: Entry,
    /// The hash of the bytes copied (current algorithm).
    pub hash: ContentHash,
    /// How many bytes were copied.
    pub bytes: u64,
}

/// Copies `path` from `source` to `destination`, expecting `size` bytes and giving the copy
/// `mtime_ns` where the destination can set it.
pub fn copy_file(
    source: &Side,
    destination: &Side,
    path: &str,
    size: u64,
    mtime_ns: Option<i64>,
    copying: Copying,
) -> Result<Copied, BackendError> {
    copy_file_as(source, destination, (path, path), size, mtime_ns, copying)
}

/// [`copy_file`] from `paths.0` to another name, `paths.1` (the two sides may be one: a copy
/// within a backend that cannot rename).
pub fn copy_file_as(
    source: &Side,
    destination: &Side,
    paths: (&str, &str),
    size: u64,
    mtime_ns: Option<i64>,
    copying: Copying,
) -> Result<Copied, BackendError> {
    let Copying {
        retries,
        run_bytes,
        cancel,
        ..
    } = copying;
    let mut attempt = 0;
    loop {
        let attempt_bytes = Arc::new(AtomicU64::new(0));
        let result = copy_once(
            source,
            destination,
            paths,
            size,
            mtime_ns,
            &attempt_bytes,
            copying,
        );
        match result {
            Ok(copied) => return Ok(copied),
            Err(error) => {
                run_bytes.fetch_sub(attempt_bytes.load(Ordering::Relaxed), Ordering::Relaxed);
                if !error.retryable || attempt >= retries || cancel.is_cancelled() {
                    return Err(error);
                }
                crate::plugins::host_services::info(&format!(
                    "{}: retrying ({} of {retries}) after: {error}",
                    paths.0,
                    attempt + 1
                ));
                std::thread::sleep(backoff(attempt));
                attempt += 1;
            }
        }
    }
}

/// 0.5 s, 1 s, 2 s, … capped at 8 s.
pub(super) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << attempt.min(4)))
}

fn copy_once(
    source: &Side,
    destination: &Side,
    (from_path, to_path): (&str, &str),
    size: u64,
    mtime_ns: Option<i64>,
    attempt_bytes: &Arc<AtomicU64>,
    copying: Copying,
) -> Result<Copied, BackendError> {
    let exact = !source.can(ferry_plugin_api::Capabilities::APPROXIMATE_SIZES);
    let version = Version {
        size,
        exact,
        mtime_ns,
    };
    let resumes = source
        .can(ferry_plugin_api::Capabilities::READ_OFFSET)
        .then_some(copying.retries);
    let reader = Resuming::open(
        source.backend.read_handle(),
        from_path,
        version,
        resumes,
        copying.cancel.clone(),
    )?;
    let hasher = Arc::new(Mutex::new(Hasher::current()));
    let tap = Tap {
        inner: reader,
        hasher: hasher.clone(),
        attempt_bytes: attempt_bytes.clone(),
        run_bytes: copying.run_bytes.clone(),
        cancel: copying.cancel.clone(),
        rate: copying.rate.cloned(),
    };
    let settable_mtime =
        mtime_ns.filter(|_| destination.can(ferry_plugin_api::Capabilities::SET_MTIME));
    // A listed size that is only an estimate must not make the destination refuse the copy.
    let expected = exact.then_some(size);
    let entry = destination
        .backend
        .write(to_path, tap, expected, settable_mtime)?;
    let hash = hasher.lock().expect("hasher").clone().finish_current();
    Ok(Copied {
        entry,
        hash,
        bytes: attempt_bytes.load(Ordering::Relaxed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_millis(500));
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(10), Duration::from_secs(8));
    }
}
