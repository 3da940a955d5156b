//! TCP proxies on 127.0.0.1 between ferry and an FTP server, for fault injection:
//! - [`CuttingProxy`] forwards the control connection and cuts it — both directions, at once —
//!   a while after the client sends its Nth `STOR`, so the transfer under way dies mid-stream
//!   (data connections go straight to the server and lose their session);
//! - [`TruncatingProxy`] carries the data connections too and ends the first upload cleanly
//!   early, as a middlebox that closes a transfer: the server replies 226 to a short file.

use std::{
    io::{Read, Write},
    net::{Shutdown, TcpListener, TcpStream},
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
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
    /// Forwards to `127.0.0.1:upstream`, cutting the connection `delay` after the `nth` STOR
    /// command (counted over all connections).
    pub fn start(upstream: u16, nth: usize, delay: Duration) -> Self {
        Self::start_on(upstream, "STOR ", nth, delay)
    }

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
    /// How many uploads were cut short (0 or 1).
    pub truncated: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl TruncatingProxy {
    /// Forwards to `127.0.0.1:upstream`, cutting the first upload after `keep` bytes.
    pub fn start(upstream: u16, keep: u64) -> Self {
        let truncated = Arc::new(AtomicUsize::new(0));
        let cut = truncated.clone();
        let (port, stop) = serve(upstream, move |client, server| {
            relay_control(client, server, keep, cut.clone());
        });
        TruncatingProxy {
            port,
            truncated,
            stop,
        }
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
fn relay_control(client: TcpStream, server: TcpStream, keep: u64, cut: Arc<AtomicUsize>) {
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
                    let proxy_port = relay_data(data_port, keep, cut.clone());
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

/// Listens for one data connection and relays it to the server's `data_port`; the first one
/// that carries an upload is ended after `keep` bytes. Returns the proxy's data port.
fn relay_data(data_port: u16, keep: u64, cut: Arc<AtomicUsize>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let Ok((client, _)) = listener.accept() else {
            return;
        };
        let Ok(server) = TcpStream::connect(("127.0.0.1", data_port)) else {
            return;
        };
        let (mut server_read, mut client_write) =
            (server.try_clone().unwrap(), client.try_clone().unwrap());
        thread::spawn(move || {
            let _ = std::io::copy(&mut server_read, &mut client_write);
            let _ = client_write.shutdown(Shutdown::Write);
        });
        let (mut from, mut to) = (client, server);
        let mut buffer = [0u8; 65536];
        let mut forwarded = 0u64;
        let mut cutting = false;
        while let Ok(n) = from.read(&mut buffer) {
            if n == 0 {
                break;
            }
            if !cutting && forwarded == 0 {
                // The first upload of the run is the one cut short.
                cutting = cut
                    .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok();
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
            if cutting && forwarded >= keep {
                // A clean end for the server; the rest of the client's bytes are dropped.
                let _ = to.shutdown(Shutdown::Write);
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
    port
}
