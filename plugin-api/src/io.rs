//! Adapters between the ABI's pull-style [`Reader`](crate::Reader) and `std::io::Read`, in both
//! directions. Errors keep their [`BackendError`] through the round trip: a `BackendError` travels
//! inside `io::Error` and [`BackendError::from_io`] unwraps it again.

use std::io::Read;

use abi_stable::{
    sabi_trait::TD_Opaque,
    std_types::{RResult, RSliceMut},
};

use crate::{author::guard, BackendError, Reader, ReaderBox, Reader_TO};

/// An `io::Read` exposed as a [`ReaderBox`], every read guarded against panics. `path` names the
/// stream in error messages.
pub fn reader_box(reader: impl Read + Send + 'static, path: &str) -> ReaderBox {
    Reader_TO::from_value(
        GuardedRead {
            inner: reader,
            path: path.to_string(),
        },
        TD_Opaque,
    )
}

struct GuardedRead<R> {
    inner: R,
    path: String,
}

impl<R: Read + Send> Reader for GuardedRead<R> {
    fn read(&mut self, mut buf: RSliceMut<'_, u8>) -> RResult<usize, BackendError> {
        let path = &self.path;
        let inner = &mut self.inner;
        guard("read", path, || loop {
            match inner.read(buf.as_mut_slice()) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                other => return other.map_err(|e| BackendError::from_io(e, path)),
            }
        })
    }
}

/// A [`ReaderBox`] seen as an `io::Read`; read errors arrive as `io::Error` wrapping the
/// original [`BackendError`].
pub struct ReaderBoxRead {
    reader: ReaderBox,
}

impl ReaderBoxRead {
    /// Wraps a reader box.
    pub fn new(reader: ReaderBox) -> Self {
        ReaderBoxRead { reader }
    }
}

impl Read for ReaderBoxRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reader
            .read(RSliceMut::from_mut_slice(buf))
            .into_result()
            .map_err(BackendError::into_io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn bytes_and_errors_cross_both_ways() {
        let mut back = ReaderBoxRead::new(reader_box(&b"hello"[..], "h"));
        let mut out = String::new();
        back.read_to_string(&mut out).unwrap();
        assert_eq!(out, "hello");

        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(BackendError::new(ErrorKind::TIMEOUT, "slow")
                    .retryable()
                    .into_io())
            }
        }
        let err = ReaderBoxRead::new(reader_box(Failing, "f"))
            .read(&mut [0; 4])
            .unwrap_err();
        let err = BackendError::from_io(err, "");
        assert_eq!(err.kind, ErrorKind::TIMEOUT);
        assert!(err.retryable);
    }

    #[test]
    fn a_panicking_reader_becomes_an_error() {
        struct Panicking;
        impl Read for Panicking {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                panic!("boom in read")
            }
        }
        let err = ReaderBoxRead::new(reader_box(Panicking, "p"))
            .read(&mut [0; 4])
            .unwrap_err();
        let err = BackendError::from_io(err, "");
        assert_eq!(err.kind, ErrorKind::PANICKED);
        assert!(err.message.contains("boom in read"), "{}", err.message);
    }
}
