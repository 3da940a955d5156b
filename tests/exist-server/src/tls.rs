//! HTTPS for the test server (`--tls CERT,KEY`): a TLS front that accepts on the announced port
//! and relays each connection's plaintext to the HTTP server on a private port, as a real eXist
//! serves HTTPS (Jetty's SSL connector, or a proxy before it). rustls, with the certificate and
//! key the test made.

use std::{
    io::{Read, Write},
    net::{Shutdown, TcpListener, TcpStream},
    path::Path,
    sync::{Arc, Mutex},
    thread,
};

use anyhow::{Context, Result};
use rustls::{
    pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer},
    ServerConfig, ServerConnection,
};

/// Reads `cert` and `key` (PEM) into a server configuration.
pub fn config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>> {
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("--tls: {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("--tls: {}", cert.display()))?;
    let key =
        PrivateKeyDer::from_pem_file(key).with_context(|| format!("--tls: {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(Arc::new(config))
}

/// Accepts TLS connections on `listener` for good, relaying each to `127.0.0.1:plain_port`.
pub fn serve(listener: TcpListener, plain_port: u16, config: Arc<ServerConfig>) {
    for client in listener.incoming().flatten() {
        let config = config.clone();
        thread::spawn(move || {
            if let Ok(server) = TcpStream::connect(("127.0.0.1", plain_port)) {
                relay(client, server, config);
            }
        });
    }
}

/// One connection: client bytes are decrypted towards the HTTP server on this thread, the
/// server's answers encrypted towards the client on another; the sans-IO TLS state is shared.
fn relay(client: TcpStream, server: TcpStream, config: Arc<ServerConfig>) {
    let Ok(tls) = ServerConnection::new(config) else {
        return;
    };
    let shared = Arc::new(Mutex::new(tls));
    let (Ok(mut client_out), Ok(mut server_in)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let answers = {
        let tls = shared.clone();
        thread::spawn(move || {
            let mut buffer = [0u8; 16 * 1024];
            loop {
                let n = match server_in.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let mut tls = tls.lock().expect("tls");
                if tls.writer().write_all(&buffer[..n]).is_err() {
                    break;
                }
                while tls.wants_write() {
                    if tls.write_tls(&mut client_out).is_err() {
                        return;
                    }
                }
            }
            let mut tls = tls.lock().expect("tls");
            tls.send_close_notify();
            while tls.wants_write() {
                if tls.write_tls(&mut client_out).is_err() {
                    break;
                }
            }
            let _ = client_out.shutdown(Shutdown::Write);
        })
    };
    let (mut client_in, mut server_out) = (client, server);
    let mut plain = [0u8; 16 * 1024];
    'reading: loop {
        let mut tls = shared.lock().expect("tls");
        // Handshake replies (and alerts) go out before waiting for more.
        while tls.wants_write() {
            if tls.write_tls(&mut client_in).is_err() {
                break 'reading;
            }
        }
        drop(tls);
        let mut incoming = [0u8; 16 * 1024];
        let n = match client_in.read(&mut incoming) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut tls = shared.lock().expect("tls");
        let mut fed = &incoming[..n];
        while !fed.is_empty() {
            if tls.read_tls(&mut fed).is_err() || tls.process_new_packets().is_err() {
                while tls.wants_write() {
                    let _ = tls.write_tls(&mut client_in);
                }
                break 'reading;
            }
        }
        loop {
            match tls.reader().read(&mut plain) {
                Ok(0) => break 'reading,
                Ok(k) => {
                    if server_out.write_all(&plain[..k]).is_err() {
                        break 'reading;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => break 'reading,
            }
        }
    }
    let _ = server_out.shutdown(Shutdown::Write);
    let _ = answers.join();
}
