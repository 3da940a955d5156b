//! The SFTP protocol, version 3 (draft-ietf-secsh-filexfer-02, the version OpenSSH and nearly
//! every server speak), as a client over one SSH channel. Requests carry ids and may be sent
//! many at a time before their replies are read ([`Sftp::send`] / [`Sftp::wait`]): that is how
//! reads and writes are pipelined. Extensions are taken from the server's VERSION packet
//! (`posix-rename@openssh.com`).
//!
//! ferry speaks the protocol itself over libssh2's channel rather than through libssh2's SFTP
//! layer, which hides the VERSION extensions (no posix-rename: OpenSSH's plain RENAME refuses
//! to replace a file) and sends one request per call.

use std::{
    collections::HashMap,
    io::{Read, Write},
};

use ferry_plugin_api::BackendError;

use crate::error;

/// Packet types.
pub mod kind {
    #![allow(missing_docs)]
    pub const INIT: u8 = 1;
    pub const VERSION: u8 = 2;
    pub const OPEN: u8 = 3;
    pub const CLOSE: u8 = 4;
    pub const READ: u8 = 5;
    pub const WRITE: u8 = 6;
    pub const LSTAT: u8 = 7;
    pub const FSETSTAT: u8 = 10;
    pub const SETSTAT: u8 = 9;
    pub const OPENDIR: u8 = 11;
    pub const READDIR: u8 = 12;
    pub const REMOVE: u8 = 13;
    pub const MKDIR: u8 = 14;
    pub const RMDIR: u8 = 15;
    pub const RENAME: u8 = 18;
    pub const READLINK: u8 = 19;
    pub const STATUS: u8 = 101;
    pub const HANDLE: u8 = 102;
    pub const DATA: u8 = 103;
    pub const NAME: u8 = 104;
    pub const ATTRS: u8 = 105;
    pub const EXTENDED: u8 = 200;
}

/// Status codes.
pub mod status {
    #![allow(missing_docs)]
    pub const OK: u32 = 0;
    pub const EOF: u32 = 1;
    pub const NO_SUCH_FILE: u32 = 2;
    pub const PERMISSION_DENIED: u32 = 3;
    pub const FAILURE: u32 = 4;
    pub const BAD_MESSAGE: u32 = 5;
    pub const NO_CONNECTION: u32 = 6;
    pub const CONNECTION_LOST: u32 = 7;
    pub const OP_UNSUPPORTED: u32 = 8;
}

/// OPEN flags.
pub mod open {
    #![allow(missing_docs)]
    pub const READ: u32 = 0x01;
    pub const WRITE: u32 = 0x02;
    pub const CREAT: u32 = 0x08;
    pub const TRUNC: u32 = 0x10;
}

const ATTR_SIZE: u32 = 0x1;
const ATTR_UIDGID: u32 = 0x2;
const ATTR_PERMISSIONS: u32 = 0x4;
const ATTR_ACMODTIME: u32 = 0x8;
const ATTR_EXTENDED: u32 = 0x8000_0000;

/// The largest packet accepted from a server (OpenSSH's own limit is 256 KiB).
const MAX_PACKET: usize = 1024 * 1024;

/// Bytes read from the channel at once.
const READ_BUFFER: usize = 256 * 1024;

/// File attributes, as far as ferry uses them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attrs {
    /// Size in bytes.
    pub size: Option<u64>,
    /// POSIX mode bits, file type included.
    pub permissions: Option<u32>,
    /// Access time, seconds.
    pub atime: Option<u32>,
    /// Modification time, seconds.
    pub mtime: Option<u32>,
}

const S_IFMT: u32 = 0o170000;

impl Attrs {
    /// Is it a directory?
    pub fn is_dir(&self) -> bool {
        self.permissions.is_some_and(|p| p & S_IFMT == 0o040000)
    }

    /// Is it a symbolic link?
    pub fn is_symlink(&self) -> bool {
        self.permissions.is_some_and(|p| p & S_IFMT == 0o120000)
    }

    /// Is it a regular file (or of unknown type, as servers without permissions report)?
    pub fn is_file(&self) -> bool {
        self.permissions
            .is_none_or(|p| p & S_IFMT == 0o100000 || p & S_IFMT == 0)
    }

    /// Times only: what SETSTAT sends to set a modification time.
    pub fn times(mtime: u32) -> Self {
        Attrs {
            atime: Some(mtime),
            mtime: Some(mtime),
            ..Attrs::default()
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut flags = 0;
        if self.size.is_some() {
            flags |= ATTR_SIZE;
        }
        if self.permissions.is_some() {
            flags |= ATTR_PERMISSIONS;
        }
        if self.atime.is_some() && self.mtime.is_some() {
            flags |= ATTR_ACMODTIME;
        }
        put_u32(out, flags);
        if let Some(size) = self.size {
            out.extend_from_slice(&size.to_be_bytes());
        }
        if let Some(p) = self.permissions {
            put_u32(out, p);
        }
        if let (Some(a), Some(m)) = (self.atime, self.mtime) {
            put_u32(out, a);
            put_u32(out, m);
        }
    }

    fn decode(input: &mut Cursor<'_>) -> Option<Self> {
        let flags = input.u32()?;
        let mut attrs = Attrs::default();
        if flags & ATTR_SIZE != 0 {
            attrs.size = Some(input.u64()?);
        }
        if flags & ATTR_UIDGID != 0 {
            input.u32()?;
            input.u32()?;
        }
        if flags & ATTR_PERMISSIONS != 0 {
            attrs.permissions = Some(input.u32()?);
        }
        if flags & ATTR_ACMODTIME != 0 {
            attrs.atime = Some(input.u32()?);
            attrs.mtime = Some(input.u32()?);
        }
        if flags & ATTR_EXTENDED != 0 {
            for _ in 0..input.u32()? {
                input.bytes()?;
                input.bytes()?;
            }
        }
        Some(attrs)
    }
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, bytes.len() as u32);
    out.extend_from_slice(bytes);
}

/// A reader over a packet's body.
pub struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.bytes.len() < n {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }

    /// A big-endian u32.
    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    /// A big-endian u64.
    pub fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }

    /// A length-prefixed string.
    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

/// A reply: its type and its body after the request id.
pub struct Reply {
    /// Packet type.
    pub kind: u8,
    body: Vec<u8>,
}

impl Reply {
    /// The body after the id.
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor { bytes: &self.body }
    }

    /// The status code and message of a STATUS reply.
    pub fn status(&self) -> Option<(u32, String)> {
        if self.kind != kind::STATUS {
            return None;
        }
        let mut c = self.cursor();
        let code = c.u32()?;
        let message = c
            .bytes()
            .map(|m| String::from_utf8_lossy(m).into_owned())
            .unwrap_or_default();
        Some((code, message))
    }
}

/// One directory entry from READDIR.
pub struct NameEntry {
    /// The name, raw bytes (not always UTF-8).
    pub name: Vec<u8>,
    /// Its attributes (lstat's: links are not followed by OpenSSH).
    pub attrs: Attrs,
}

/// An SFTP session on one channel.
pub struct Sftp {
    channel: ssh2::Channel,
    /// Bytes read from the channel: `read_start..read_end` are not yet consumed.
    read_buffer: Vec<u8>,
    read_start: usize,
    read_end: usize,
    /// The last request's bytes, kept for its allocation.
    write_buffer: Vec<u8>,
    next_id: u32,
    early: HashMap<u32, Reply>,
    /// The server offers `posix-rename@openssh.com` (rename replacing the target atomically).
    pub posix_rename: bool,
    /// The channel failed: the session must not be reused.
    pub broken: bool,
    shown: String,
}

impl Sftp {
    /// Starts the `sftp` subsystem on `channel` and reads the server's version and extensions.
    pub fn start(mut channel: ssh2::Channel, shown: &str) -> Result<Self, BackendError> {
        channel
            .subsystem("sftp")
            .map_err(|e| error::ssh(e, shown, "cannot start the sftp subsystem"))?;
        let mut sftp = Sftp {
            channel,
            read_buffer: vec![0; READ_BUFFER],
            read_start: 0,
            read_end: 0,
            write_buffer: Vec::new(),
            next_id: 0,
            early: HashMap::new(),
            posix_rename: false,
            broken: false,
            shown: shown.to_string(),
        };
        let mut init = Vec::new();
        put_u32(&mut init, 0);
        init.push(kind::INIT);
        put_u32(&mut init, 3);
        sftp.write_packet(&mut init)?;
        let (packet_kind, body) = sftp.read_packet()?;
        let body = body.to_vec();
        if packet_kind != kind::VERSION {
            return Err(sftp.protocol_error("the server did not answer INIT with VERSION"));
        }
        let mut c = Cursor { bytes: &body };
        let _version = c.u32();
        while let (Some(name), Some(_data)) = (c.bytes(), c.bytes()) {
            if name == b"posix-rename@openssh.com" {
                sftp.posix_rename = true;
            }
        }
        Ok(sftp)
    }

    fn protocol_error(&mut self, what: &str) -> BackendError {
        self.broken = true;
        error::protocol(&self.shown, what)
    }

    fn write_packet(&mut self, packet: &mut [u8]) -> Result<(), BackendError> {
        let length = (packet.len() - 4) as u32;
        packet[..4].copy_from_slice(&length.to_be_bytes());
        if let Err(e) = self.channel.write_all(packet) {
            self.broken = true;
            return Err(error::io(e, &self.shown));
        }
        Ok(())
    }

    /// Reads from the channel until `need` unconsumed bytes are buffered.
    fn fill(&mut self, need: usize) -> Result<(), BackendError> {
        while self.read_end - self.read_start < need {
            if self.read_start > 0 {
                self.read_buffer
                    .copy_within(self.read_start..self.read_end, 0);
                self.read_end -= self.read_start;
                self.read_start = 0;
            }
            if self.read_buffer.len() < need {
                self.read_buffer.resize(need, 0);
            }
            match self.channel.read(&mut self.read_buffer[self.read_end..]) {
                Ok(0) => {
                    self.broken = true;
                    return Err(error::io(
                        std::io::ErrorKind::UnexpectedEof.into(),
                        &self.shown,
                    ));
                }
                Ok(n) => self.read_end += n,
                Err(e) => {
                    self.broken = true;
                    return Err(error::io(e, &self.shown));
                }
            }
        }
        Ok(())
    }

    /// The next packet: its type and body, borrowed from the read buffer.
    fn read_packet(&mut self) -> Result<(u8, &[u8]), BackendError> {
        self.fill(4)?;
        let start = self.read_start;
        let length = u32::from_be_bytes(
            self.read_buffer[start..start + 4]
                .try_into()
                .expect("4 bytes"),
        ) as usize;
        if length == 0 || length > MAX_PACKET {
            return Err(self.protocol_error("a reply of an impossible length"));
        }
        self.fill(4 + length)?;
        let start = self.read_start + 4;
        self.read_start = start + length;
        Ok((
            self.read_buffer[start],
            &self.read_buffer[start + 1..start + length],
        ))
    }

    /// Sends a request of type `request_kind` whose fields `fill` appends; returns its id.
    pub fn send(
        &mut self,
        request_kind: u8,
        fill: impl FnOnce(&mut Vec<u8>),
    ) -> Result<u32, BackendError> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let mut packet = std::mem::take(&mut self.write_buffer);
        packet.clear();
        put_u32(&mut packet, 0);
        packet.push(request_kind);
        put_u32(&mut packet, id);
        fill(&mut packet);
        let written = self.write_packet(&mut packet);
        self.write_buffer = packet;
        written.map(|()| id)
    }

    /// Waits for the reply to request `id` (replies to other requests are kept for later).
    pub fn wait(&mut self, id: u32) -> Result<Reply, BackendError> {
        if let Some(reply) = self.early.remove(&id) {
            return Ok(reply);
        }
        loop {
            let (reply_kind, body) = self.read_packet()?;
            if body.len() < 4 {
                return Err(self.protocol_error("a reply without a request id"));
            }
            let reply_id = u32::from_be_bytes(body[..4].try_into().expect("4 bytes"));
            let reply = Reply {
                kind: reply_kind,
                body: body[4..].to_vec(),
            };
            if reply_id == id {
                return Ok(reply);
            }
            self.early.insert(reply_id, reply);
        }
    }

    /// Sends a request and waits for its reply.
    pub fn call(
        &mut self,
        request_kind: u8,
        fill: impl FnOnce(&mut Vec<u8>),
    ) -> Result<Reply, BackendError> {
        let id = self.send(request_kind, fill)?;
        self.wait(id)
    }

    /// Ends the channel.
    pub fn close(&mut self) {
        let _ = self.channel.send_eof();
        let _ = self.channel.close();
    }
}

/// Request builders: each appends one request's fields.
pub mod fields {
    use super::*;

    /// A path.
    pub fn path(path: &str) -> impl FnOnce(&mut Vec<u8>) + '_ {
        move |out| put_bytes(out, path.as_bytes())
    }

    /// Two paths (RENAME, posix-rename's body after its name).
    pub fn two_paths<'a>(from: &'a str, to: &'a str) -> impl FnOnce(&mut Vec<u8>) + 'a {
        move |out| {
            put_bytes(out, from.as_bytes());
            put_bytes(out, to.as_bytes());
        }
    }

    /// An extended request: its name, then two paths.
    pub fn extended_two_paths<'a>(
        name: &'a str,
        from: &'a str,
        to: &'a str,
    ) -> impl FnOnce(&mut Vec<u8>) + 'a {
        move |out| {
            put_bytes(out, name.as_bytes());
            put_bytes(out, from.as_bytes());
            put_bytes(out, to.as_bytes());
        }
    }

    /// OPEN: path, flags and no attributes (a new file gets the server's default mode).
    pub fn open(path: &str, flags: u32) -> impl FnOnce(&mut Vec<u8>) + '_ {
        move |out| {
            put_bytes(out, path.as_bytes());
            put_u32(out, flags);
            Attrs::default().encode(out);
        }
    }

    /// A path and attributes (SETSTAT, MKDIR).
    pub fn path_attrs<'a>(path: &'a str, attrs: &'a Attrs) -> impl FnOnce(&mut Vec<u8>) + 'a {
        move |out| {
            put_bytes(out, path.as_bytes());
            attrs.encode(out);
        }
    }

    /// A handle (CLOSE, READDIR).
    pub fn handle(handle: &[u8]) -> impl FnOnce(&mut Vec<u8>) + '_ {
        move |out| put_bytes(out, handle)
    }

    /// A handle and attributes (FSETSTAT).
    pub fn handle_attrs<'a>(handle: &'a [u8], attrs: &'a Attrs) -> impl FnOnce(&mut Vec<u8>) + 'a {
        move |out| {
            put_bytes(out, handle);
            attrs.encode(out);
        }
    }

    /// READ: handle, offset, length.
    pub fn read(handle: &[u8], offset: u64, length: u32) -> impl FnOnce(&mut Vec<u8>) + '_ {
        move |out| {
            put_bytes(out, handle);
            out.extend_from_slice(&offset.to_be_bytes());
            put_u32(out, length);
        }
    }

    /// WRITE: handle, offset, data.
    pub fn write<'a>(
        handle: &'a [u8],
        offset: u64,
        data: &'a [u8],
    ) -> impl FnOnce(&mut Vec<u8>) + 'a {
        move |out| {
            out.reserve(data.len() + handle.len() + 16);
            put_bytes(out, handle);
            out.extend_from_slice(&offset.to_be_bytes());
            put_bytes(out, data);
        }
    }
}

/// Reply decoders.
impl Reply {
    /// The handle of a HANDLE reply.
    pub fn handle(&self) -> Option<Vec<u8>> {
        (self.kind == kind::HANDLE).then(|| self.cursor().bytes().map(<[u8]>::to_vec))?
    }

    /// The attributes of an ATTRS reply.
    pub fn attrs(&self) -> Option<Attrs> {
        (self.kind == kind::ATTRS).then(|| Attrs::decode(&mut self.cursor()))?
    }

    /// The entries of a NAME reply.
    pub fn names(&self) -> Option<Vec<NameEntry>> {
        if self.kind != kind::NAME {
            return None;
        }
        let mut c = self.cursor();
        let count = c.u32()?;
        let mut entries = Vec::with_capacity(count.min(4096) as usize);
        for _ in 0..count {
            let name = c.bytes()?.to_vec();
            let _long_name = c.bytes()?;
            let attrs = Attrs::decode(&mut c)?;
            entries.push(NameEntry { name, attrs });
        }
        Some(entries)
    }

    /// The bytes of a DATA reply.
    pub fn data(&self) -> Option<&[u8]> {
        if self.kind != kind::DATA {
            return None;
        }
        let mut c = Cursor { bytes: &self.body };
        c.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_round_trip_and_skip_what_ferry_does_not_use() {
        let attrs = Attrs {
            size: Some(1 << 40),
            permissions: Some(0o100644),
            atime: Some(5),
            mtime: Some(1_700_000_000),
        };
        let mut out = Vec::new();
        attrs.encode(&mut out);
        assert_eq!(
            Attrs::decode(&mut Cursor { bytes: &out }),
            Some(attrs.clone())
        );
        assert!(attrs.is_file() && !attrs.is_dir() && !attrs.is_symlink());
        // uid/gid and extended pairs are read past.
        let mut out = Vec::new();
        put_u32(&mut out, ATTR_UIDGID | ATTR_PERMISSIONS | ATTR_EXTENDED);
        put_u32(&mut out, 1000);
        put_u32(&mut out, 1000);
        put_u32(&mut out, 0o040755);
        put_u32(&mut out, 1);
        put_bytes(&mut out, b"k");
        put_bytes(&mut out, b"v");
        put_u32(&mut out, 99);
        let mut c = Cursor { bytes: &out };
        let decoded = Attrs::decode(&mut c).unwrap();
        assert!(decoded.is_dir());
        assert_eq!(c.u32(), Some(99));
        // A truncated packet is refused, not read past its end.
        assert_eq!(Attrs::decode(&mut Cursor { bytes: &out[..6] }), None);
    }
}
