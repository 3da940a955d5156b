//! Downloads: a reader over an FTP data connection that holds its control connection until the
//! transfer is complete. At the end of the data it reads the server's completion reply (so a
//! transfer the server aborted is an error, not a short file) and returns the connection to the
//! pool; a transfer abandoned half-way closes its connection instead.

use std::io::Read;

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
