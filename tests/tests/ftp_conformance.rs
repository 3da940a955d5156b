//! The plugin-api conformance suite against real FTP servers started on 127.0.0.1: pyftpdlib
//! (MLSD, MFMT), pure-ftpd (MLSD), vsftpd (LIST only) and ProFTPD (MLSD, MFMT), and FTPS
//! explicit and implicit with a certificate from a private CA given through `ca_file`.

use ferry::backend::Backend;
use ferry_plugin_api::{conformance, Capabilities, ErrorKind};
use ferry_tests::{open_plugin, servers::*, workspace_plugin_dir};

fn open(
    server: &FtpServer,
    plugin: &str,
    options: toml::Table,
) -> Result<Backend, ferry_plugin_api::BackendError> {
    open_plugin(plugin, &options, &server.url(""))
}

fn passes(server: &FtpServer, plugin: &str) -> conformance::Report {
    let library = workspace_plugin_dir().join(ferry_plugin_api::library_file_name(plugin));
    let report = conformance::check_library(
        &library,
        &server.options("").to_string(),
        &conformance::Options::default(),
    );
    report.assert_ok();
    assert!(
        report.passed("large-file-streamed")
            && report.passed("names-with-spaces-unicode-and-punctuation")
    );
    assert!(report.passed("failed-source-commits-nothing"), "{report}");
    report
}

#[test]
fn pyftpdlib_passes() {
    let report = passes(&FtpServer::start(Kind::Pyftpdlib), "ftp");
    assert!(report.passed("set-mtime"), "pyftpdlib has MFMT:\n{report}");
}

#[test]
fn pure_ftpd_passes() {
    passes(&FtpServer::start(Kind::PureFtpd), "ftp");
}

#[test]
fn pure_ftpd_passes_over_explicit_tls() {
    passes(&FtpServer::start_tls(Kind::PureFtpd, Tls::Explicit), "ftps");
}

#[test]
fn vsftpd_passes_through_the_list_fallback() {
    let server = FtpServer::start(Kind::Vsftpd);
    let backend = open(&server, "ftp", server.options("")).unwrap();
    assert!(
        !backend.capabilities().contains(Capabilities::SET_MTIME),
        "vsftpd has no MFMT"
    );
    passes(&server, "ftp");
}

#[test]
fn proftpd_passes() {
    let report = passes(&FtpServer::start(Kind::ProFtpd), "ftp");
    assert!(report.passed("set-mtime"), "ProFTPD has MFMT:\n{report}");
}

/// ProFTPD's mod_tls with its default options: data connections must resume their own control
/// connection's TLS session.
#[test]
fn proftpd_ftps_explicit_and_implicit_pass() {
    passes(&FtpServer::start_tls(Kind::ProFtpd, Tls::Explicit), "ftps");
    passes(&FtpServer::start_tls(Kind::ProFtpd, Tls::Implicit), "ftps");
}

#[test]
fn ftps_explicit_and_implicit_pass_with_a_private_ca() {
    passes(&FtpServer::start_tls(Kind::Vsftpd, Tls::Explicit), "ftps");
    passes(&FtpServer::start_tls(Kind::Vsftpd, Tls::Implicit), "ftps");
    passes(
        &FtpServer::start_tls(Kind::Pyftpdlib, Tls::Explicit),
        "ftps",
    );
}

#[test]
fn ftps_without_the_ca_fails_with_a_certificate_error() {
    let server = FtpServer::start_tls(Kind::Vsftpd, Tls::Explicit);
    let mut options = server.options("");
    options.remove("ca_file");
    let error = open(&server, "ftps", options.clone()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::CONNECTION);
    assert!(
        error.message.contains("certificate is not trusted"),
        "{}",
        error.message
    );
    assert!(error.message.contains("ca_file"), "{}", error.message);
    options.insert("insecure".into(), true.into());
    assert!(
        open(&server, "ftps", options).is_ok(),
        "insecure = true skips verification"
    );
}

/// A typical self-signed certificate (`openssl req -x509`: a CA certificate of its own) cannot be
/// trusted through `ca_file`; the refusal says so and gives the fingerprint to pin, pinning it
/// works, and a different pinned fingerprint is refused. (The refusal used to be a bare
/// `CaUsedAsEndEntity` with a hint to give the CA with ca_file, which the user had done.)
#[test]
fn a_self_signed_certificate_is_trusted_by_its_pinned_fingerprint() {
    let server = FtpServer::start_self_signed(Kind::Vsftpd, Tls::Explicit);
    let fingerprint = format!("sha256:{}", server.certificate_fingerprint());
    let error = open(&server, "ftps", server.options("")).unwrap_err();
    assert_eq!(error.kind, ErrorKind::CONNECTION, "{error:?}");
    assert!(!error.retryable);
    assert!(
        error.message.contains("signed by itself")
            && error
                .message
                .contains(&format!("set fingerprint = \"{fingerprint}\"")),
        "{}",
        error.message
    );
    let mut pinned = server.options("");
    pinned.remove("ca_file");
    pinned.insert("fingerprint".into(), fingerprint.to_lowercase().into());
    let backend = open(&server, "ftps", pinned.clone()).unwrap();
    backend.list("").unwrap();
    drop(backend);
    pinned.insert(
        "fingerprint".into(),
        format!("sha256:{}", "00".repeat(32)).into(),
    );
    let error = open(&server, "ftps", pinned.clone()).unwrap_err();
    assert!(
        error.message.contains("not the pinned one") && error.message.contains(&fingerprint),
        "{}",
        error.message
    );
    pinned.insert("ca_file".into(), "/dev/null".into());
    let error = open(&server, "ftps", pinned).unwrap_err();
    assert_eq!(error.kind, ErrorKind::INVALID_CONFIG, "{error:?}");
}

#[test]
fn a_wrong_password_is_an_auth_error_at_open() {
    let server = FtpServer::start(Kind::Pyftpdlib);
    let mut options = server.options("");
    options.insert("password".into(), "wrong".into());
    let error = open(&server, "ftp", options).unwrap_err();
    assert_eq!(error.kind, ErrorKind::AUTH, "{error:?}");
    assert!(!error.retryable);
    assert!(error.message.contains("530"), "{}", error.message);
}
