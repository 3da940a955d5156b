//! The TLS side of FTPS: a rustls client configuration that trusts the system's certificate
//! authorities (or the `ca_file` option's, or — with `insecure` — anything). Each control
//! connection gets a copy with a session cache of its own, shared with its data connections, so
//! that a data connection resumes its own control connection's TLS session and no other: vsftpd
//! (`require_ssl_reuse`) only checks that some session was resumed, but ProFTPD's mod_tls by
//! default refuses a data connection that resumes another connection's session (`425 Unable to
//! build data connection: Operation not permitted`).
//!
//! TLS 1.2 is the default: its session IDs can be resumed by any number of data connections,
//! while TLS 1.3 tickets are single-use and an upload never reads the fresh tickets the server
//! sends on its data connection, so a busy sync runs out of them and the server refuses the
//! next data connection (`522 … session reuse required`). `tls13 = true` allows TLS 1.3 for
//! servers that do not require reuse.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use ferry_ftp_core::session::{timed_socket, within, StreamType};
use ferry_ftp_core::{Connector, FtpConfig, FtpUrl, Security};
use ferry_plugin_api::BackendError;
use rustls::{client::Resumption, ClientConfig};
use suppaftp::{FtpResult, RustlsConnector, RustlsFtpStream, Status};

/// suppaftp's TLS stream type (not exported under its own name).
type RustlsStream = <RustlsFtpStream as StreamType>::Stream;

/// Makes TLS-protected control connections.
pub struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl TlsConnector {
    /// Builds the client configuration from the options.
    pub fn new(config: &FtpConfig) -> Result<Self, BackendError> {
        let versions = if config.tls13 {
            ferry_tls_config::TLS13_AND_12
        } else {
            ferry_tls_config::TLS12_ONLY
        };
        let trust = ferry_tls_config::Trust {
            ca_file: config.ca_file.as_deref(),
            fingerprint: config.fingerprint.as_deref(),
            insecure: config.insecure,
        };
        let client = ferry_tls_config::client_config(&trust, versions)?;
        Ok(TlsConnector {
            config: Arc::new(client),
        })
    }
}

impl TlsConnector {
    /// A connector for one control connection and its data connections: the shared settings
    /// with a fresh session cache (a few entries: the control session, and TLS 1.3's tickets).
    fn for_one_connection(&self) -> RustlsConnector {
        let mut config = ClientConfig::clone(&self.config);
        config.resumption = Resumption::in_memory_sessions(8);
        RustlsConnector::from(Arc::new(config))
    }
}

impl Connector for TlsConnector {
    type Stream = RustlsStream;

    fn connect(
        &self,
        url: &FtpUrl,
        address: SocketAddr,
        timeout: Duration,
    ) -> FtpResult<RustlsFtpStream> {
        let connector = self.for_one_connection();
        match url.security {
            Security::ImplicitTls => {
                // suppaftp connects and shakes hands here with no timeout of its own.
                let host = url.host.clone();
                let mut ftp = within(timeout, move || {
                    RustlsFtpStream::connect_secure_implicit(address, connector, &host)
                })?;
                {
                    let socket = ftp.get_ref();
                    let _ = socket.set_read_timeout(Some(timeout));
                    let _ = socket.set_write_timeout(Some(timeout));
                }
                // suppaftp does not protect implicit-TLS data channels by itself.
                ftp.custom_command("PBSZ 0", &[Status::CommandOk])?;
                ftp.custom_command("PROT P", &[Status::CommandOk])?;
                Ok(ftp)
            }
            _ => RustlsFtpStream::connect_with_stream(timed_socket(address, timeout)?)?
                .into_secure(connector, &url.host),
        }
    }
}
