//! Downloads: a reader over an FTP data connection that holds its control connection until the
//! transfer is complete. At the end of the data it reads the server's completion reply (so a
//! transfer the server aborted is an error, not a short file) and returns the connection to the
//! pool; a transfer abandoned half-way closes its connection instead. Uploads: a writer that
//! gives up when a send makes no headway for the timeout.

use std::{
    io::{Read, Write},
    time::{Duration, Instant},
};

use suppaftp::TransferStream;

use crate::{error::ftp_error, pool::Conn, session::Connector};

/// A download in progress.
pub struct Download<C: Connector> {
    stream: Option<TransferStream<C::Stream>>,
    conn: Option<Conn<C>>,
    server: String,
    command: String,
}

impl<C: Connector> Download<C> {
    /// Wraps an opened RETR.
    pub fn new(
        stream: TransferStream<C::Stream>,
        conn: Conn<C>,
        server: String,
        command: String,
    ) -> Self {
        Download {
            stream: Some(stream),
            conn: Some(conn),
            server,
            command,
        }
    }

    fn fail(&mut self, error: suppaftp::FtpError) -> std::io::Error {
        if let Some(conn) = self.conn.as_mut() {
            conn.broken();
        }
        self.stream = None;
        ftp_error(&self.server, &self.command, error).into_io()
    }
}

impl<C: Connector> Read for Download<C> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Some(stream) = self.stream.as_mut() else {
            return Ok(0);
        };
        match stream.read(buf) {
            Ok(0) => {
                let stream = self.stream.take().expect("checked above");
                match stream.finish() {
                    Ok(()) => {
                        self.conn = None; // back to the pool
                        Ok(0)
                    }
                    Err(error) => Err(self.fail(error)),
                }
            }
            Ok(n) => Ok(n),
            Err(error) => Err(self.fail(suppaftp::FtpError::ConnectionError(error))),
        }
    }
}

impl<C: Connector> Drop for Download<C> {
    fn drop(&mut self) {
        if self.stream.is_some() {
            // Abandoned before the end: the control connection is mid-transfer; do not reuse it.
            if let Some(conn) = self.conn.as_mut() {
                conn.broken();
            }
        }
    }
}

/// Writes to an upload's data connection, failing with `TimedOut` when one send blocked for the
/// whole timeout. The socket's own send timeout restarts whenever a send moves a few bytes, so a
/// stalled path could hold an upload for several timeouts; one send that waited it out is a
/// stall however many bytes it squeezed through.
pub struct StallGuard<W> {
    inner: W,
    timeout: Duration,
}

impl<W: Write> StallGuard<W> {
    /// Guards `inner` with `timeout`.
    pub fn new(inner: W, timeout: Duration) -> Self {
        StallGuard { inner, timeout }
    }
}

impl<W: Write> Write for StallGuard<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let started = Instant::now();
        let written = self.inner.write(buf)?;
        if started.elapsed() >= self.timeout && written < buf.len() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "the data connection made no headway for {} s",
                    self.timeout.as_secs()
                ),
            ));
        }
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
