//! A copy's source reader that picks up where a cut read stopped. When the source's connection
//! fails with a retryable error, or a file of known size ends early, the reader checks that the
//! source still lists the version being copied (same size, same mtime within its precision) and
//! opens it again at the byte it had reached (`READ_OFFSET`; FTP's `REST`), so the destination's
//! write never sees the cut and the bytes already copied are not fetched twice. Where it cannot
//! resume — no `READ_OFFSET`, nothing read yet, the version changed, no retries left — it fails
//! with the cut's error and the copy is retried from the start as before.

use std::io::Read;

use ferry_plugin_api::{BackendError, ErrorKind};

use crate::{backend::ReadHandle, options::Cancel, plan::compare::mtimes_match};

/// The source version a resumed read must still find.
#[derive(Clone, Copy, Debug)]
pub(super) struct Version {
    /// The size the scan listed.
    pub size: u64,
    /// The size is exact (not an estimate): a read that ends before it was cut.
    pub exact: bool,
    /// The mtime the scan listed.
    pub mtime_ns: Option<i64>,
}

/// See the module documentation.
pub(super) struct Resuming {
    handle: ReadHandle,
    path: String,
    version: Version,
    reader: Box<dyn Read + Send>,
    position: u64,
    /// `None`: the source cannot read from an offset.
    resumes_left: Option<u32>,
    resumed: u32,
    cancel: Cancel,
}

impl Resuming {
    /// Opens `path` on the source from its start. `resumes`: how many cuts may be resumed (`None`
    /// where the source cannot read from an offset).
    pub(super) fn open(
        handle: ReadHandle,
        path: &str,
        version: Version,
        resumes: Option<u32>,
        cancel: Cancel,
    ) -> Result<Self, BackendError> {
        let reader = Box::new(handle.open_read(path, 0)?);
        Ok(Resuming {
            handle,
            path: path.to_string(),
            version,
            reader,
            position: 0,
            resumes_left: resumes,
            resumed: 0,
            cancel,
        })
    }

    /// Opens the source again at `self.position` after `cut`, or answers why not (the cut
    /// itself where resuming was not tried).
    fn resume(&mut self, cut: BackendError) -> Result<(), BackendError> {
        let allowed = self.resumes_left.unwrap_or(0);
        if allowed == 0 || self.position == 0 || self.cancel.is_cancelled() {
            return Err(cut);
        }
        self.resumes_left = Some(allowed - 1);
        std::thread::sleep(super::copy::backoff(self.resumed));
        self.resumed += 1;
        let now = self.handle.stat(&self.path).map_err(|_| cut.clone())?;
        let same = now.size == self.version.size
            && mtimes_match(
                now.mtime_ns.into_option(),
                self.version.mtime_ns,
                now.mtime_precision_ns,
            );
        if !same {
            return Err(cut);
        }
        self.reader = Box::new(self.handle.open_read(&self.path, self.position)?);
        crate::plugins::host_services::info(&format!(
            "{}: resuming at byte {} after: {cut}",
            self.path, self.position
        ));
        Ok(())
    }
}

impl Read for Resuming {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let cut = match self.reader.read(buf) {
                Ok(0) if self.version.exact && self.position < self.version.size => {
                    BackendError::new(
                        ErrorKind::CONNECTION,
                        format!(
                            "{}: the source ended after {} of {} bytes",
                            self.path, self.position, self.version.size
                        ),
                    )
                    .retryable()
                }
                Ok(n) => {
                    self.position += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let error = BackendError::from_io(e, &self.path);
                    if !error.retryable {
                        return Err(error.into_io());
                    }
                    error
                }
            };
            self.resume(cut).map_err(BackendError::into_io)?;
        }
    }
}
