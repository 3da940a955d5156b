//! The rustls client configuration of ferry's TLS backends (FTPS, eXist over HTTPS): the ring
//! provider, the system's certificate authorities or the `ca_file` option's, or — with
//! `insecure` — any certificate. One place, so every backend trusts the same way.

use std::{path::Path, sync::Arc};

use ferry_plugin_api::{BackendError, ErrorKind};
use rustls::{
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    pki_types::{pem::PemObject, CertificateDer, ServerName, UnixTime},
    ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// TLS 1.2 only.
pub const TLS12_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
/// TLS 1.3 and 1.2.
pub const TLS13_AND_12: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// The crypto provider (ring).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client configuration for `versions`, trusting `ca_file`'s certificates (else the system's),
/// or anything with `insecure`.
pub fn client_config(
    ca_file: Option<&Path>,
    insecure: bool,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<ClientConfig, BackendError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .map_err(|e| BackendError::new(ErrorKind::INVALID_CONFIG, format!("TLS setup: {e}")))?;
    Ok(if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnything))
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(roots(ca_file)?)
            .with_no_client_auth()
    })
}

fn roots(ca_file: Option<&Path>) -> Result<RootCertStore, BackendError> {
    let mut store = RootCertStore::empty();
    match ca_file {
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
