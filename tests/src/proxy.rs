//! A TCP proxy on 127.0.0.1 that forwards an FTP control connection to a server and cuts it —
//! both directions, at once — a while after the client sends its Nth `STOR`, so the transfer
//! under way dies mid-stream (data connections go straight to the server and lose their session).

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
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let cuts = Arc::new(AtomicUsize::new(0));
        let stors = Arc::new(AtomicUsize::new(0));
        let (stop_flag, cut_count) = (stop.clone(), cuts.clone());
        thread::spawn(move || {
            while !stop_flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                        let (stors, cuts) = (stors.clone(), cut_count.clone());
                        let (client_read, server_write) =
                            (client.try_clone().unwrap(), server.try_clone().unwrap());
                        let (victims_a, victims_b) =
                            (client.try_clone().unwrap(), server.try_clone().unwrap());
                        // client → server, watching for STOR
                        thread::spawn(move || {
                            let (mut from, mut to) = (client_read, server_write);
                            let mut buffer = [0u8; 4096];
                            let mut line = Vec::new();
                            while let Ok(n) = from.read(&mut buffer) {
                                if n == 0 || to.write_all(&buffer[..n]).is_err() {
                                    break;
                                }
                                for &byte in &buffer[..n] {
                                    line.push(byte);
                                    if byte == b'\n' {
                                        if line.starts_with(b"STOR ")
                                            && stors.fetch_add(1, Ordering::SeqCst) + 1 == nth
                                        {
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
                                        line.clear();
                                    }
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
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(10))
                    }
                    Err(_) => break,
                }
            }
        });
        CuttingProxy { port, cuts, stop }
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}
