//! The TLS side of FTPS: a rustls client configuration that trusts the system's certificate
//! authorities (or the `ca_file` option's, or — with `insecure` — anything), shared by the
//! control and every data connection so that data channels resume the control channel's TLS
//! session (servers such as vsftpd with `require_ssl_reuse` insist on it).
//!
//! TLS 1.2 is the default: its session IDs can be resumed by any number of data connections,
//! while TLS 1.3 tickets are single-use and an upload never reads the fresh tickets the server
//! sends on its data connection, so a busy sync runs out of them and the server refuses the
//! next data connection (`522 … session reuse required`). `tls13 = true` allows TLS 1.3 for
//! servers that do not require reuse.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use ferry_ftp_core::session::StreamType;
use ferry_ftp_core::{Connector, FtpConfig, FtpUrl, Security};
use ferry_plugin_api::{BackendError, ErrorKind};
use rustls::{
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    pki_types::{pem::PemObject, CertificateDer, ServerName, UnixTime},
    ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use suppaftp::{FtpResult, RustlsConnector, RustlsFtpStream, Status};

/// suppaftp's TLS stream type (not exported under its own name).
type RustlsStream = <RustlsFtpStream as StreamType>::Stream;

const TLS12_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
const BOTH: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// Makes TLS-protected control connections.
pub struct TlsConnector {
    config: Arc<ClientConfig>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl TlsConnector {
    /// Builds the client configuration from the options.
    pub fn new(config: &FtpConfig) -> Result<Self, BackendError> {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(if config.tls13 { BOTH } else { TLS12_ONLY })
            .map_err(|e| BackendError::new(ErrorKind::INVALID_CONFIG, format!("TLS setup: {e}")))?;
        let client = if config.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnything))
                .with_no_client_auth()
        } else {
            builder
                .with_root_certificates(roots(config)?)
                .with_no_client_auth()
        };
        Ok(TlsConnector {
            config: Arc::new(client),
        })
    }
}

fn roots(config: &FtpConfig) -> Result<RootCertStore, BackendError> {
    let mut store = RootCertStore::empty();
    match &config.ca_file {
        Some(path) => {
            let invalid = |why: String| {
                BackendError::new(
                    ErrorKind::INVALID_CONFIG,
                    format!("ca_file {}: {why}", path.display()),
                )
            };
            let certificates = CertificateDer::pem_file_iter(path)
                .map_err(|e| invalid(e.to_string()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| invalid(e.to_string()))?;
            if certificates.is_empty() {
                return Err(invalid("no certificate in the file".into()));
            }
            for certificate in certificates {
                store.add(certificate).map_err(|e| invalid(e.to_string()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for certificate in found.certs {
                let _ = store.add(certificate);
            }
        }
    }
    Ok(store)
}

impl Connector for TlsConnector {
    type Stream = RustlsStream;

    fn connect(
        &self,
        url: &FtpUrl,
        address: SocketAddr,
        timeout: Duration,
    ) -> FtpResult<RustlsFtpStream> {
        let connector = RustlsConnector::from(self.config.clone());
        match url.security {
            Security::ImplicitTls => {
                // suppaftp does not protect implicit-TLS data channels by itself.
                let mut ftp =
                    RustlsFtpStream::connect_secure_implicit(address, connector, &url.host)?;
                ftp.custom_command("PBSZ 0", &[Status::CommandOk])?;
                ftp.custom_command("PROT P", &[Status::CommandOk])?;
                Ok(ftp)
            }
            _ => RustlsFtpStream::connect_timeout(address, timeout)?
                .into_secure(connector, &url.host),
        }
    }
}

/// `insecure = true`: accepts any certificate (the backend warns on every run).
#[derive(Debug)]
struct AcceptAnything;

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}
