//! TCP proxies on 127.0.0.1 between ferry and an FTP server, for fault injection:
//! - [`CuttingProxy`] forwards the control connection and cuts it — both directions, at once —
//!   a while after the client sends the Nth command starting with a given text (a `STOR`), so
//!   the transfer under way dies mid-stream (data connections go straight to the server and
//!   lose their session);
//! - [`TruncatingProxy`] carries the data connections too and ends the first upload cleanly
//!   early, as a middlebox that closes a transfer: the server replies 226 to a short file; or it
//!   ends the first download early, counting the bytes it carried to the client; or it stalls
//!   the first upload, reading no more of it while keeping every connection open;
//! - [`ByteCutProxy`] knows no protocol: it relays any TCP connection (SSH's) and cuts the first
//!   one to carry more than a given number of bytes from the client, both directions at once —
//!   a network path that dies mid-file.

use std::{
    io::{Read, Write},
    net::{Shutdown, TcpListener, TcpStream},
    sync::{
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
        Arc,
    },
    thread,
    time::Duration,
};

/// A running proxy; it stops accepting when dropped.
pub struct CuttingProxy {
    /// The port to connect to instead of the server's.
    pub port: u16,
    /// How many connections were cut (0 or 1).
    pub cuts: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl CuttingProxy {
    /// Forwards to `127.0.0.1:upstream`, cutting the connection `delay` after the `nth` command
    /// starting with `command` (counted over all connections); with no delay, instead of
    /// forwarding that command, so that no reply to it can arrive.
    pub fn start_on(upstream: u16, command: &'static str, nth: usize, delay: Duration) -> Self {
        let cuts = Arc::new(AtomicUsize::new(0));
        let stors = Arc::new(AtomicUsize::new(0));
        let cut_count = cuts.clone();
        let (port, stop) = serve(upstream, move |client, server| {
            let (stors, cuts) = (stors.clone(), cut_count.clone());
            let (client_read, server_write) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (victims_a, victims_b) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            // client → server, watching for the command
            thread::spawn(move || {
                let (mut from, mut to) = (client_read, server_write);
                let mut buffer = [0u8; 4096];
                let mut line = Vec::new();
                while let Ok(n) = from.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    let mut cut_now = false;
                    for &byte in &buffer[..n] {
                        line.push(byte);
                        if byte != b'\n' {
                            continue;
                        }
                        let hit = line.starts_with(command.as_bytes())
                            && stors.fetch_add(1, Ordering::SeqCst) + 1 == nth;
                        line.clear();
                        if !hit {
                            continue;
                        }
                        if delay.is_zero() {
                            cut_now = true;
                            continue;
                        }
                        let (a, b, cuts) = (
                            victims_a.try_clone().unwrap(),
                            victims_b.try_clone().unwrap(),
                            cuts.clone(),
                        );
                        thread::spawn(move || {
                            thread::sleep(delay);
                            let _ = a.shutdown(Shutdown::Both);
                            let _ = b.shutdown(Shutdown::Both);
                            cuts.fetch_add(1, Ordering::SeqCst);
                        });
                    }
                    if cut_now {
                        let _ = victims_a.shutdown(Shutdown::Both);
                        let _ = victims_b.shutdown(Shutdown::Both);
                        cuts.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                    if to.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
                let _ = to.shutdown(Shutdown::Write);
            });
            // server → client
            thread::spawn(move || {
                let (mut from, mut to) = (server, client);
                let _ = std::io::copy(&mut from, &mut to);
                let _ = to.shutdown(Shutdown::Write);
            });
        });
        CuttingProxy { port, cuts, stop }
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A TCP proxy for an FTP control connection that carries the passive data connections too (it
/// rewrites `229` EPSV replies to ports of its own) and ends the first upload's data connection
/// cleanly after `keep` bytes: the server sees a complete but shorter file and replies 226,
/// while the client's remaining bytes are read and dropped, so the client sees no error — a
/// middlebox that closes a transfer early.
pub struct TruncatingProxy {
    /// The port to connect to instead of the server's.
    pub port: u16,
    /// How many transfers were cut short (0 or 1).
    pub truncated: Arc<AtomicUsize>,
    /// Bytes carried from the server to the client over data connections.
    pub downloaded: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

/// Which transfer a [`TruncatingProxy`] cuts, and how.
#[derive(Clone, Copy, Debug)]
enum Cut {
    /// The first upload: the server sees a clean end after `keep` bytes.
    Upload { keep: u64 },
    /// The first data connection to carry `keep` bytes to the client (listings are smaller):
    /// the client sees a clean end, the server a connection that is gone.
    Download { keep: u64 },
    /// The first upload: after `keep` bytes nothing more is read from the client, and the
    /// connections stay open (a stalled network path).
    Stall { keep: u64 },
}

impl TruncatingProxy {
    /// Forwards to `127.0.0.1:upstream`, cutting the first upload after `keep` bytes.
    pub fn start(upstream: u16, keep: u64) -> Self {
        Self::launch(upstream, Cut::Upload { keep })
    }

    /// Forwards to `127.0.0.1:upstream`, ending the first download cleanly after `keep` bytes.
    pub fn start_download(upstream: u16, keep: u64) -> Self {
        Self::launch(upstream, Cut::Download { keep })
    }

    /// Forwards to `127.0.0.1:upstream`, stalling the first upload after `keep` bytes.
    pub fn start_stall(upstream: u16, keep: u64) -> Self {
        Self::launch(upstream, Cut::Stall { keep })
    }

    fn launch(upstream: u16, how: Cut) -> Self {
        let truncated = Arc::new(AtomicUsize::new(0));
        let downloaded = Arc::new(AtomicU64::new(0));
        let data = DataRelay {
            how,
            cut: truncated.clone(),
            downloaded: downloaded.clone(),
        };
        let (port, stop) = serve(upstream, move |client, server| {
            relay_control(client, server, data.clone());
        });
        TruncatingProxy {
            port,
            truncated,
            downloaded,
            stop,
        }
    }
}

/// What the data connections of a [`TruncatingProxy`] share.
#[derive(Clone)]
struct DataRelay {
    how: Cut,
    cut: Arc<AtomicUsize>,
    downloaded: Arc<AtomicU64>,
}

impl DataRelay {
    /// Claims the one cut of the run.
    fn claim(&self) -> bool {
        self.cut
            .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }
}

impl Drop for TruncatingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Accepts connections on a fresh port of 127.0.0.1 until the returned flag is set, handing
/// each, with a new connection to `127.0.0.1:upstream`, to `relay`.
fn serve(
    upstream: u16,
    relay: impl Fn(TcpStream, TcpStream) + Send + 'static,
) -> (u16, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stop_flag = stop.clone();
    thread::spawn(move || {
        while !stop_flag.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((client, _)) => {
                    client.set_nonblocking(false).unwrap();
                    let server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                    relay(client, server);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_millis(10))
                }
                Err(_) => break,
            }
        }
    });
    (port, stop)
}

/// Copies the control connection both ways, giving every EPSV reply a data port of the proxy.
fn relay_control(client: TcpStream, server: TcpStream, data: DataRelay) {
    let (mut client_read, mut server_write) =
        (client.try_clone().unwrap(), server.try_clone().unwrap());
    thread::spawn(move || {
        let _ = std::io::copy(&mut client_read, &mut server_write);
        let _ = server_write.shutdown(Shutdown::Write);
    });
    thread::spawn(move || {
        let mut from = std::io::BufReader::new(server);
        let mut to = client;
        let mut line = Vec::new();
        loop {
            line.clear();
            match std::io::BufRead::read_until(&mut from, b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            let rewritten = match text.strip_prefix("229 ").and_then(|_| epsv_port(&text)) {
                Some(data_port) => {
                    let proxy_port = relay_data(data_port, data.clone());
                    text.replace(&format!("|||{data_port}|"), &format!("|||{proxy_port}|"))
                }
                None => text,
            };
            if to.write_all(rewritten.as_bytes()).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// The port of a `229 Entering Extended Passive Mode (|||PORT|)` reply.
fn epsv_port(reply: &str) -> Option<u16> {
    let start = reply.find("(|||")? + 4;
    let end = start + reply[start..].find('|')?;
    reply[start..end].parse().ok()
}

/// Listens for one data connection and relays it to the server's `data_port`, cutting it where
/// `data` says. Returns the proxy's data port.
fn relay_data(data_port: u16, data: DataRelay) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let Ok((client, _)) = listener.accept() else {
            return;
        };
        let Ok(server) = TcpStream::connect(("127.0.0.1", data_port)) else {
            return;
        };
        let (server_read, client_write) =
            (server.try_clone().unwrap(), client.try_clone().unwrap());
        let down = data.clone();
        thread::spawn(move || relay_down(server_read, client_write, down));
        relay_up(client, server, data);
    });
    port
}

/// Server → client: counted; a download is ended cleanly for the client after `keep` bytes.
fn relay_down(mut from: TcpStream, mut to: TcpStream, data: DataRelay) {
    let keep = match data.how {
        Cut::Download { keep } => keep,
        Cut::Upload { .. } | Cut::Stall { .. } => u64::MAX,
    };
    let mut buffer = [0u8; 65536];
    let mut forwarded = 0u64;
    while let Ok(n) = from.read(&mut buffer) {
        if n == 0 {
            break;
        }
        let mut allowed = n;
        let cutting = forwarded + n as u64 >= keep && data.claim();
        if cutting {
            allowed = (keep - forwarded) as usize;
        }
        if to.write_all(&buffer[..allowed]).is_err() {
            break;
        }
        forwarded += allowed as u64;
        data.downloaded.fetch_add(allowed as u64, Ordering::SeqCst);
        if cutting {
            let _ = from.shutdown(Shutdown::Both);
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Client → server: the first upload is ended cleanly for the server after `keep` bytes, the
/// rest of the client's bytes read and dropped.
fn relay_up(mut from: TcpStream, mut to: TcpStream, data: DataRelay) {
    let (keep, stall) = match data.how {
        Cut::Upload { keep } => (keep, false),
        Cut::Stall { keep } => (keep, true),
        Cut::Download { .. } => (u64::MAX, false),
    };
    let mut buffer = [0u8; 65536];
    let mut forwarded = 0u64;
    let mut cutting = false;
    while let Ok(n) = from.read(&mut buffer) {
        if n == 0 {
            break;
        }
        if !cutting && forwarded == 0 && keep != u64::MAX {
            // The first upload of the run is the one cut short.
            cutting = data.claim();
        }
        let allowed = if cutting {
            (keep.saturating_sub(forwarded) as usize).min(n)
        } else {
            n
        };
        if allowed > 0 && to.write_all(&buffer[..allowed]).is_err() {
            break;
        }
        forwarded += allowed as u64;
        if cutting && forwarded >= keep && stall {
            // Read nothing more, hold both ends open: the client's sends block.
            thread::sleep(Duration::from_secs(120));
            return;
        }
        if cutting && forwarded >= keep {
            // A clean end for the server; the rest of the client's bytes are dropped.
            let _ = to.shutdown(Shutdown::Write);
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// A protocol-blind TCP proxy that cuts the first connection whose client has sent more than
/// `after` bytes (see the module documentation); later connections pass untouched.
pub struct ByteCutProxy {
    /// The port to connect to instead of the server's.
    pub port: u16,
    /// How many connections were cut (0 or 1).
    pub cut: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl ByteCutProxy {
    /// Forwards to `127.0.0.1:upstream`.
    pub fn start(upstream: u16, after: u64) -> Self {
        let cut = Arc::new(AtomicUsize::new(0));
        let claimed = cut.clone();
        let (port, stop) = serve(upstream, move |client, server| {
            let claimed = claimed.clone();
            let (mut server_read, mut client_write) =
                (server.try_clone().unwrap(), client.try_clone().unwrap());
            thread::spawn(move || {
                let _ = std::io::copy(&mut server_read, &mut client_write);
                let _ = client_write.shutdown(Shutdown::Write);
            });
            thread::spawn(move || {
                let (mut from, mut to) = (client, server);
                let mut carried = 0u64;
                let mut buffer = vec![0u8; 16 * 1024];
                loop {
                    let n = match from.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    carried += n as u64;
                    if carried > after
                        && claimed
                            .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                            .is_ok()
                    {
                        let _ = from.shutdown(Shutdown::Both);
                        let _ = to.shutdown(Shutdown::Both);
                        return;
                    }
                    if to.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
                let _ = to.shutdown(Shutdown::Write);
            });
        });
        ByteCutProxy { port, cut, stop }
    }
}

impl Drop for ByteCutProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}
