//! Reading a file with many READ requests in flight, as OpenSSH's sftp client does: the
//! connection's latency is paid once per file, not once per 32 KiB. The reader holds its pooled
//! connection until it is dropped, and drains the replies still on their way before handing it
//! back, so the next user finds the channel in step.

use std::{collections::VecDeque, io::Read};

use ferry_plugin_api::{BackendError, ErrorKind};

use crate::{
    backend::SftpBackend,
    error,
    pool::Conn,
    protocol::{fields, kind, status},
};

/// Bytes asked for per READ: a DATA reply then fits one SSH packet of 32 KiB.
pub const READ_CHUNK: u32 = 32 * 1024 - 64;
/// READ requests in flight at most (4 MiB, half the channel's receive window).
const READS_IN_FLIGHT: usize = 128;

/// Opens `path` for reading from `offset`: LSTAT and OPEN go out together (one round trip).
pub fn open(
    backend: &SftpBackend,
    path: &str,
    offset: u64,
) -> Result<Box<dyn Read + Send>, BackendError> {
    let mut conn = backend.conn()?;
    let full = backend.settings().full(path);
    let sftp = conn.sftp();
    let stat_id = sftp.send(kind::LSTAT, fields::path(&full))?;
    let open_id = sftp.send(kind::OPEN, fields::open(&full, crate::protocol::open::READ))?;
    let stat = sftp.wait(stat_id)?;
    let opened = sftp.wait(open_id)?;
    let handle = opened.handle();
    let refusal = match stat.attrs() {
        Some(attrs) if attrs.is_dir() => Some(
            BackendError::new(
                ErrorKind::INVALID_INPUT,
                format!("{}: {path}: a directory, not a file", backend.server),
            )
            .with_context("path", path),
        ),
        Some(_) if handle.is_some() => None,
        Some(_) => Some(backend.status_error(&opened, "OPEN", path)),
        None => Some(backend.status_error(&stat, "LSTAT", path)),
    };
    if let Some(refusal) = refusal {
        if let Some(handle) = handle {
            sftp.call(kind::CLOSE, fields::handle(&handle))?;
        }
        return Err(refusal);
    }
    let size = stat.attrs().and_then(|a| a.size);
    Ok(Box::new(SftpReader {
        conn,
        server: backend.server.clone(),
        path: path.to_string(),
        handle: handle.expect("checked above"),
        next_request: offset,
        size,
        in_flight: VecDeque::new(),
        buffer: Vec::new(),
        position: 0,
        at_end: false,
    }))
}

struct SftpReader {
    conn: Conn,
    server: String,
    path: String,
    handle: Vec<u8>,
    /// The offset the next new READ asks for.
    next_request: u64,
    /// The size LSTAT reported: a short read that reaches it is the end of the file.
    size: Option<u64>,
    /// READs sent and not yet answered: id, offset, length; in offset order.
    in_flight: VecDeque<(u32, u64, u32)>,
    buffer: Vec<u8>,
    position: usize,
    at_end: bool,
}

impl SftpReader {
    fn request_more(&mut self) -> Result<(), BackendError> {
        while !self.at_end && self.in_flight.len() < READS_IN_FLIGHT {
            // Past the known size only one request is in flight: the one that finds the end.
            let beyond = self.size.is_some_and(|s| self.next_request >= s);
            if beyond && !self.in_flight.is_empty() {
                break;
            }
            let offset = self.next_request;
            let id = self
                .conn
                .sftp()
                .send(kind::READ, fields::read(&self.handle, offset, READ_CHUNK))?;
            self.in_flight.push_back((id, offset, READ_CHUNK));
            self.next_request += u64::from(READ_CHUNK);
        }
        Ok(())
    }

    /// Fills `buffer` with the next bytes; false at the end of the file.
    fn next_chunk(&mut self) -> Result<bool, BackendError> {
        loop {
            if self.at_end {
                return Ok(false);
            }
            self.request_more()?;
            let Some((id, offset, length)) = self.in_flight.pop_front() else {
                return Ok(false);
            };
            let reply = self.conn.sftp().wait(id)?;
            if let Some(data) = reply.data() {
                let got = data.len() as u32;
                self.buffer.clear();
                self.buffer.extend_from_slice(data);
                self.position = 0;
                if got < length {
                    let reached = offset + u64::from(got);
                    if self.size.is_some_and(|s| reached >= s) {
                        self.at_end = true;
                    } else {
                        // A short read inside the file: ask for the rest before anything else.
                        let id = self.conn.sftp().send(
                            kind::READ,
                            fields::read(&self.handle, reached, length - got),
                        )?;
                        self.in_flight.push_front((id, reached, length - got));
                    }
                }
                if got > 0 {
                    return Ok(true);
                }
                continue;
            }
            return match reply.status() {
                Some((status::EOF, _)) => {
                    self.at_end = true;
                    Ok(false)
                }
                Some((code, message)) => Err(error::status(
                    &self.server,
                    "READ",
                    &self.path,
                    code,
                    &message,
                )),
                None => Err(error::protocol(&self.server, "unexpected reply to READ")),
            };
        }
    }

    /// Reads the replies still in flight and closes the handle.
    fn finish(&mut self) -> Result<(), BackendError> {
        while let Some((id, _, _)) = self.in_flight.pop_front() {
            self.conn.sftp().wait(id)?;
        }
        self.conn
            .sftp()
            .call(kind::CLOSE, fields::handle(&self.handle))?;
        Ok(())
    }
}

impl Read for SftpReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.position == self.buffer.len() {
            match self.next_chunk() {
                Ok(true) => {}
                Ok(false) => return Ok(0),
                Err(e) => return Err(e.into_io()),
            }
        }
        let n = buf.len().min(self.buffer.len() - self.position);
        buf[..n].copy_from_slice(&self.buffer[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

impl Drop for SftpReader {
    fn drop(&mut self) {
        if self.finish().is_err() {
            self.conn.sftp().broken = true;
        }
    }
}
