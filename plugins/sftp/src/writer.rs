//! Atomic writes: the bytes go to a temporary name in the target's directory with many WRITE
//! requests in flight, the modification time is set and the handle closed (both in one round
//! trip), and only a complete file is renamed over the target — with `posix-rename@openssh.com`,
//! which replaces it in one step, where the server offers it. A write whose target already has
//! a temporary name (the host's checked commit writes to one) goes there directly. Whatever
//! fails, the temporary file is removed and the target is untouched.

use std::{collections::VecDeque, io::Read, sync::mpsc};

use ferry_plugin_api::{io::wrong_size, temp_name::temp_name, BackendError, Entry, ErrorKind};

use crate::{
    backend::{entry_from, last_component, SftpBackend},
    protocol::{fields, kind, open, status, Attrs, Sftp},
};

/// Bytes per WRITE: the request then fits one SSH packet of 32 KiB.
const WRITE_CHUNK: usize = 32 * 1024 - 64;
/// WRITE requests in flight at most (2 MiB: OpenSSH's channel window).
const WRITES_IN_FLIGHT: usize = 64;
/// Chunks read ahead of the sender.
const BUFFERS: usize = 8;

/// Whole seconds for SFTP's 32-bit times, if `mtime_ns` fits.
pub fn mtime_seconds(mtime_ns: i64) -> Option<u32> {
    u32::try_from(mtime_ns.div_euclid(1_000_000_000)).ok()
}

/// Writes `path` from `source`; see the module documentation.
pub fn write(
    backend: &SftpBackend,
    path: &str,
    source: &mut dyn Read,
    size: Option<u64>,
    mtime_ns: Option<i64>,
) -> Result<Entry, BackendError> {
    let name = last_component(path);
    let direct = ferry_plugin_api::temp_name::is_temp_name(name);
    let temp = if direct {
        path.to_string()
    } else {
        match path.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{}", temp_name(name)),
            None => temp_name(name),
        }
    };
    let mut conn = backend.conn()?;
    let sftp = conn.sftp();
    backend.refuse_symlinks_on_the_way(sftp, path)?;
    let full_temp = backend.settings().full(&temp);
    let handle = open_for_write(backend, sftp, path, &temp, &full_temp)?;
    let written = match send_bytes(backend, sftp, &handle, path, source, size) {
        Ok(written) => written,
        Err(e) => {
            discard(sftp, Some(&handle), &full_temp);
            return Err(e);
        }
    };
    // The time and the close go out together; a failed close (the server could not store the
    // bytes) commits nothing.
    let times = mtime_ns.and_then(mtime_seconds).map(Attrs::times);
    let set_id = match &times {
        Some(attrs) => Some(sftp.send(kind::FSETSTAT, fields::handle_attrs(&handle, attrs))?),
        None => None,
    };
    let close_id = sftp.send(kind::CLOSE, fields::handle(&handle))?;
    let set_reply = set_id.map(|id| sftp.wait(id)).transpose()?;
    let closed = sftp.wait(close_id)?;
    let stored = backend
        .expect_ok(&closed, "CLOSE", path)
        .and_then(|()| match set_reply {
            Some(reply) => backend.expect_ok(&reply, "FSETSTAT", path),
            None => Ok(()),
        })
        .and_then(|()| {
            if direct {
                Ok(())
            } else {
                backend.rename_on(sftp, &temp, path)
            }
        });
    if let Err(error) = stored {
        discard(sftp, None, &full_temp);
        return Err(error);
    }
    let full = backend.settings().full(path);
    let attrs = backend
        .lstat(sftp, &full, path)?
        .ok_or_else(|| BackendError::not_found(path))?;
    let entry = entry_from(name, &attrs);
    if entry.size != written {
        return Err(BackendError::new(
            ErrorKind::OTHER,
            format!(
                "{}: {path}: {written} bytes were written but the server reports {}",
                backend.server, entry.size
            ),
        )
        .retryable());
    }
    Ok(entry)
}

/// Opens the temporary file, creating the missing parents when the first attempt finds none.
fn open_for_write(
    backend: &SftpBackend,
    sftp: &mut Sftp,
    path: &str,
    temp: &str,
    full_temp: &str,
) -> Result<Vec<u8>, BackendError> {
    let flags = open::WRITE | open::CREAT | open::TRUNC;
    let reply = sftp.call(kind::OPEN, fields::open(full_temp, flags))?;
    if let Some(handle) = reply.handle() {
        return Ok(handle);
    }
    match reply.status() {
        Some((status::NO_SUCH_FILE, _)) => {
            backend.mkdir_on(sftp, temp.rsplit_once('/').map_or("", |(parent, _)| parent))?;
            let again = sftp.call(kind::OPEN, fields::open(full_temp, flags))?;
            again
                .handle()
                .ok_or_else(|| backend.status_error(&again, "OPEN", path))
        }
        _ => Err(backend.status_error(&reply, "OPEN", path)),
    }
}

/// Streams the source into the open handle with up to [`WRITES_IN_FLIGHT`] WRITEs unanswered;
/// returns the byte count, or an error when the source fails or gives another size.
///
/// Two threads share the work, so that a large file keeps both cores busy: this one reads the
/// source (the host's file reads and hashing happen inside it), a scoped one builds, encrypts
/// and sends the WRITE requests and reads their answers. Buffers go round between them.
fn send_bytes(
    backend: &SftpBackend,
    sftp: &mut Sftp,
    handle: &[u8],
    path: &str,
    source: &mut dyn Read,
    size: Option<u64>,
) -> Result<u64, BackendError> {
    let (full_tx, full_rx) = mpsc::sync_channel::<(u64, Vec<u8>)>(BUFFERS);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..BUFFERS + 2 {
        let _ = empty_tx.send(vec![0u8; WRITE_CHUNK]);
    }
    let (read, sent) = std::thread::scope(|scope| {
        let sender = scope.spawn(move || -> Result<(), BackendError> {
            let mut in_flight: VecDeque<u32> = VecDeque::with_capacity(WRITES_IN_FLIGHT);
            let mut result = Ok(());
            for (offset, buffer) in full_rx {
                if in_flight.len() == WRITES_IN_FLIGHT {
                    let id = in_flight.pop_front().expect("full");
                    result = check_write(backend, sftp, id, path);
                }
                if result.is_ok() {
                    match sftp.send(kind::WRITE, fields::write(handle, offset, &buffer)) {
                        Ok(id) => in_flight.push_back(id),
                        Err(e) => result = Err(e),
                    }
                }
                // Dropping the receiver on an error ends the reader's loop.
                if result.is_err() || empty_tx.send(buffer).is_err() {
                    break;
                }
            }
            for id in in_flight {
                let checked = check_write(backend, sftp, id, path);
                if result.is_ok() {
                    result = checked;
                }
            }
            result
        });
        let read = read_chunks(source, size, path, &full_tx, &empty_rx);
        drop(full_tx);
        (
            read,
            sender.join().expect("the WRITE sender does not panic"),
        )
    });
    sent?;
    let offset = read?;
    match size {
        Some(expected) if expected != offset => Err(wrong_size(path, expected, offset)),
        _ => Ok(offset),
    }
}

/// Reads the source in [`WRITE_CHUNK`]s and hands them to the sender with their offsets; stops
/// early when the source gives more than `size` or the sender has stopped. Returns the byte
/// count read.
fn read_chunks(
    source: &mut dyn Read,
    size: Option<u64>,
    path: &str,
    full: &mpsc::SyncSender<(u64, Vec<u8>)>,
    empty: &mpsc::Receiver<Vec<u8>>,
) -> Result<u64, BackendError> {
    let mut offset: u64 = 0;
    loop {
        let Ok(mut buffer) = empty.recv() else {
            return Ok(offset);
        };
        buffer.resize(WRITE_CHUNK, 0);
        let filled = fill(source, &mut buffer).map_err(|e| BackendError::from_io(e, path))?;
        if filled == 0 {
            return Ok(offset);
        }
        if size.is_some_and(|expected| offset + filled as u64 > expected) {
            return Ok(offset + filled as u64);
        }
        buffer.truncate(filled);
        if full.send((offset, buffer)).is_err() {
            return Ok(offset + filled as u64);
        }
        offset += filled as u64;
        if filled < WRITE_CHUNK {
            return Ok(offset);
        }
    }
}

fn check_write(
    backend: &SftpBackend,
    sftp: &mut Sftp,
    id: u32,
    path: &str,
) -> Result<(), BackendError> {
    let reply = sftp.wait(id)?;
    backend.expect_ok(&reply, "WRITE", path)
}

/// Reads until `buffer` is full or the source ends.
fn fill(source: &mut dyn Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match source.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Closes (if still open) and removes a temporary file after a failure (best effort: the
/// channel may be gone; the host removes strays by their temporary names on the next run).
fn discard(sftp: &mut Sftp, handle: Option<&[u8]>, full_temp: &str) {
    if sftp.broken {
        return;
    }
    if let Some(handle) = handle {
        let _ = sftp.call(kind::CLOSE, fields::handle(handle));
    }
    let _ = sftp.call(kind::REMOVE, fields::path(full_temp));
}
