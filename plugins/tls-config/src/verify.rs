//! The three ways a server certificate is judged: by certificate authorities (with a refusal
//! that says what to do, the certificate's fingerprint included), by one pinned fingerprint, or
//! not at all (`insecure`).

use std::{fmt, sync::Arc};

use ferry_plugin_api::{BackendError, ErrorKind};
use rustls::{
    client::{
        danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
        WebPkiServerVerifier,
    },
    pki_types::{CertificateDer, ServerName, UnixTime},
    CertificateError, DigitallySignedStruct, OtherError, SignatureScheme,
};
use sha2::{Digest, Sha256};

use crate::provider;

/// How every refusal of a certificate starts, so that backends can find it in a wrapped error.
const UNTRUSTED: &str = "the server's certificate is not trusted";

/// The explanation of a refused certificate inside `text` (an error as a TLS or HTTP library
/// printed it, perhaps with `{:?}`, which escapes its quotes and wraps it in type names);
/// `None` when `text` holds none. Every refusal ends with a full stop, so the wrapping is cut off
/// after the last one.
pub fn untrusted_message(text: &str) -> Option<String> {
    let start = text.find(UNTRUSTED)?;
    let rest = &text[start..];
    let end = rest.rfind('.').map_or(rest.len(), |stop| stop + 1);
    Some(rest[..end].replace("\\\"", "\""))
}

/// A certificate's SHA-256 fingerprint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of a DER certificate.
    pub fn of(certificate: &[u8]) -> Self {
        Fingerprint(Sha256::digest(certificate).into())
    }

    /// Reads `sha256:AB:CD:…` (the form `openssl x509 -noout -fingerprint -sha256` and FileZilla
    /// show), with or without the prefix and the colons, in either case.
    pub fn parse(text: &str) -> Result<Self, BackendError> {
        let trimmed = text.trim();
        let digits = trimmed
            .strip_prefix("sha256:")
            .or_else(|| trimmed.strip_prefix("SHA256:"))
            .unwrap_or(trimmed);
        let hex: String = digits.chars().filter(|c| *c != ':').collect();
        let invalid = || {
            BackendError::new(
                ErrorKind::INVALID_CONFIG,
                format!("fingerprint {text:?}: expected sha256: and 64 hex digits, as `openssl x509 -noout -fingerprint -sha256` prints them"),
            )
        };
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| invalid())?;
        }
        Ok(Fingerprint(bytes))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sha256:")?;
        for (i, byte) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{byte:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A refusal carried through rustls as the certificate's error.
#[derive(Debug)]
struct Refusal(String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

fn refuse(message: String) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(Refusal(
        message,
    )))))
}

/// Certificate authorities' verdict, with a refusal that gives the certificate's fingerprint
/// and the option that fits: a self-signed certificate given as `ca_file` is its own CA, which
/// webpki refuses (`CaUsedAsEndEntity`), so the way to trust it is to pin it.
#[derive(Debug)]
pub(crate) struct Explained {
    /// `None`: no certificate authority to trust (none installed, no `ca_file`).
    webpki: Option<Arc<WebPkiServerVerifier>>,
    ca_file_given: bool,
}

impl Explained {
    pub(crate) fn new(webpki: Option<Arc<WebPkiServerVerifier>>, ca_file_given: bool) -> Self {
        Explained {
            webpki,
            ca_file_given,
        }
    }

    fn explain(&self, error: &rustls::Error, end_entity: &CertificateDer<'_>) -> String {
        let pin = format!(
            "fingerprint = \"{}\" (check it with the server's administrator first)",
            Fingerprint::of(end_entity)
        );
        if format!("{error:?}").contains("CaUsedAsEndEntity") {
            format!("{UNTRUSTED}: it is signed by itself, and a self-signed certificate cannot be its own CA in ca_file; to trust exactly this certificate, set {pin} instead of ca_file.")
        } else if self.ca_file_given {
            format!("{UNTRUSTED} ({error}); check that ca_file holds the CA that signed it, or trust exactly this certificate with {pin}, or set insecure = true to skip verification.")
        } else {
            format!("{UNTRUSTED} ({error}); give its CA with the ca_file option, or trust exactly this certificate with {pin}, or set insecure = true to skip verification.")
        }
    }
}

impl ServerCertVerifier for Explained {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.webpki else {
            let error =
                rustls::Error::General("no certificate authorities are installed here".into());
            return Err(refuse(self.explain(&error, end_entity)));
        };
        webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|error| refuse(self.explain(&error, end_entity)))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Signatures::tls12(message, certificate, signature)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Signatures::tls13(message, certificate, signature)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        supported_schemes()
    }
}

/// `fingerprint = "sha256:…"`: exactly the certificate with that fingerprint is trusted,
/// whatever signed it, whatever names it carries and whenever it expires — the user has vouched
/// for it. The handshake's signatures are still verified against it.
#[derive(Debug)]
pub(crate) struct Pinned(Fingerprint);

impl Pinned {
    pub(crate) fn new(fingerprint: Fingerprint) -> Self {
        Pinned(fingerprint)
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = Fingerprint::of(end_entity);
        if presented == self.0 {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(refuse(format!(
                "{UNTRUSTED}: it is not the pinned one (its fingerprint is {presented}, the fingerprint option says {}); if the server's certificate was replaced, check the new fingerprint with its administrator.",
                self.0
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Signatures::tls12(message, certificate, signature)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Signatures::tls13(message, certificate, signature)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        supported_schemes()
    }
}

/// The handshake's signatures, verified with the provider's algorithms: the same whether the
/// certificate was vouched for by a CA or by its pinned fingerprint.
struct Signatures;

impl Signatures {
    fn tls12(
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            certificate,
            signature,
            &provider().signature_verification_algorithms,
        )
    }

    fn tls13(
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            certificate,
            signature,
            &provider().signature_verification_algorithms,
        )
    }
}

fn supported_schemes() -> Vec<SignatureScheme> {
    provider()
        .signature_verification_algorithms
        .supported_schemes()
}

/// `insecure = true`: accepts any certificate (the backend warns on every run).
#[derive(Debug)]
pub(crate) struct AcceptAnything;

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
        supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_read_the_forms_people_paste() {
        let colons = "sha256:".to_string() + &["AB"; 32].join(":");
        let bare = "ab".repeat(32);
        let a = Fingerprint::parse(&colons).unwrap();
        assert_eq!(a, Fingerprint::parse(&bare).unwrap());
        assert_eq!(a, Fingerprint::parse(&format!("SHA256:{bare}")).unwrap());
        assert_eq!(a.to_string(), colons);
        for bad in ["", "sha256:ab", &"zz".repeat(32), &"ab".repeat(33)] {
            let e = Fingerprint::parse(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::INVALID_CONFIG, "{bad}");
        }
    }

    #[test]
    fn refusals_are_found_in_wrapped_errors() {
        let error = refuse(format!("{UNTRUSTED}: set x = \"y\" instead."));
        let expected =
            Some("the server's certificate is not trusted: set x = \"y\" instead.".to_string());
        assert_eq!(
            untrusted_message(&format!("connect: TLS: {error}")),
            expected
        );
        assert_eq!(untrusted_message(&format!("connect: {error:?}")), expected);
        assert_eq!(untrusted_message("connection refused"), None);
    }
}
