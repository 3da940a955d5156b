//! The rustls client configuration of ferry's TLS backends (FTPS, eXist over HTTPS): the ring
//! provider; the system's certificate authorities or the `ca_file` option's, one certificate
//! pinned by its SHA-256 fingerprint (`fingerprint`, the way FileZilla users trust a self-signed
//! server), or — with `insecure` — any certificate. One place, so every backend trusts the same
//! way and explains a refusal the same way ([`untrusted_message`]).

mod verify;

use std::{path::Path, sync::Arc};

use ferry_plugin_api::{BackendError, ErrorKind};
use rustls::{
    client::WebPkiServerVerifier,
    pki_types::{pem::PemObject, CertificateDer},
    ClientConfig, RootCertStore,
};

pub use verify::{untrusted_message, Fingerprint};
use verify::{AcceptAnything, Explained, Pinned};

/// The options that say which server certificates to trust.
#[derive(Clone, Copy, Debug, Default)]
pub struct Trust<'a> {
    /// `ca_file`: PEM certificate authorities to trust instead of the system's.
    pub ca_file: Option<&'a Path>,
    /// `fingerprint`: trust exactly the certificate with this SHA-256 fingerprint.
    pub fingerprint: Option<&'a str>,
    /// `insecure`: trust anything.
    pub insecure: bool,
}

/// TLS 1.2 only.
pub const TLS12_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
/// TLS 1.3 and 1.2.
pub const TLS13_AND_12: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// The crypto provider (ring).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client configuration for `versions` that trusts what `trust` says. Contradicting options
/// (a fingerprint with `ca_file` or `insecure`) and a malformed fingerprint are INVALID_CONFIG.
pub fn client_config(
    trust: &Trust,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<ClientConfig, BackendError> {
    let invalid = |why: String| BackendError::new(ErrorKind::INVALID_CONFIG, why);
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .map_err(|e| invalid(format!("TLS setup: {e}")))?;
    let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> =
        match (trust.fingerprint, trust.insecure) {
            (Some(_), true) => {
                return Err(invalid(
                    "fingerprint and insecure contradict each other: pin the certificate, or skip verification".into(),
                ))
            }
            (Some(_), false) if trust.ca_file.is_some() => {
                return Err(invalid(
                    "fingerprint and ca_file contradict each other: pin one certificate, or trust a CA".into(),
                ))
            }
            (Some(text), false) => Arc::new(Pinned::new(Fingerprint::parse(text)?)),
            (None, true) => Arc::new(AcceptAnything),
            (None, false) => {
                let roots = roots(trust.ca_file)?;
                // No authority at all (a system without CA certificates): every certificate is
                // refused with the way out, and plain connections still work.
                let webpki = if roots.is_empty() {
                    None
                } else {
                    Some(
                        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
                            .build()
                            .map_err(|e| invalid(format!("TLS setup: {e}")))?,
                    )
                };
                Arc::new(Explained::new(webpki, trust.ca_file.is_some()))
            }
        };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
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
