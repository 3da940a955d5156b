//! The one-way engine against real FTP servers — pyftpdlib (MLSD, MFMT), pure-ftpd (MLSD; plain and
//! explicit TLS), vsftpd (LIST only) and ProFTPD (MLSD, MFMT; plain, explicit and implicit TLS):
//! upload and download, no false changes on re-runs, conflicts with edits made on the server,
//! `--delete`, `--dry-run`, and a killed upload that resumes.

use ferry_tests::{
    scenarios::{
        counts, download as download_scenario, killed_upload_resumes, pair_for,
        upload as upload_scenario,
    },
    servers::*,
    *,
};

#[test]
fn upload_to_pyftpdlib() {
    upload_scenario(&FtpServer::start(Kind::Pyftpdlib));
}

#[test]
fn upload_to_vsftpd() {
    upload_scenario(&FtpServer::start(Kind::Vsftpd));
}

#[test]
fn download_from_pyftpdlib() {
    download_scenario(&FtpServer::start(Kind::Pyftpdlib));
}

#[test]
fn download_from_vsftpd() {
    download_scenario(&FtpServer::start(Kind::Vsftpd));
}

#[test]
fn killed_upload_resumes_on_pyftpdlib() {
    killed_upload_resumes(&FtpServer::start(Kind::Pyftpdlib));
}

#[test]
fn killed_upload_resumes_on_vsftpd() {
    killed_upload_resumes(&FtpServer::start(Kind::Vsftpd));
}

#[test]
fn upload_to_pure_ftpd() {
    upload_scenario(&FtpServer::start(Kind::PureFtpd));
}

#[test]
fn download_from_pure_ftpd_over_explicit_tls() {
    download_scenario(&FtpServer::start_tls(Kind::PureFtpd, Tls::Explicit));
}

#[test]
fn upload_to_proftpd() {
    upload_scenario(&FtpServer::start(Kind::ProFtpd));
}

#[test]
fn upload_to_proftpd_over_explicit_tls() {
    upload_scenario(&FtpServer::start_tls(Kind::ProFtpd, Tls::Explicit));
}

#[test]
fn download_from_proftpd_over_implicit_tls() {
    download_scenario(&FtpServer::start_tls(Kind::ProFtpd, Tls::Implicit));
}

#[test]
fn download_from_proftpd() {
    download_scenario(&FtpServer::start(Kind::ProFtpd));
}

#[test]
fn killed_upload_resumes_on_proftpd() {
    killed_upload_resumes(&FtpServer::start(Kind::ProFtpd));
}

#[test]
fn killed_upload_resumes_on_vsftpd_over_implicit_tls() {
    killed_upload_resumes(&FtpServer::start_tls(Kind::Vsftpd, Tls::Implicit));
}

/// ProFTPD's mod_tls by default refuses a data connection that does not resume the TLS session
/// of its own control connection (`425 Unable to build data connection: Operation not
/// permitted`). With one session cache shared by all control connections, a data connection
/// resumed whichever connection's session was stored last: at `--jobs 4` every run after the
/// first failed some transfers.
#[test]
fn proftpd_tls_data_connections_resume_their_own_control_session() {
    for tls in [Tls::Explicit, Tls::Implicit] {
        let server = FtpServer::start_tls(Kind::ProFtpd, tls);
        let pair = pair_for(&server);
        let src = pair.src.to_str().unwrap().to_string();
        for round in 0..3 {
            for i in 0..24 {
                put(
                    &pair.src,
                    &format!("d{}/f{i}.txt", i % 3),
                    format!("round {round}, file {i}\n").as_bytes(),
                );
            }
            let run = pair.ferry_with_password(&["sync", "--jobs", "4", &src, "srv:site"]);
            assert_eq!(
                run.code, 0,
                "{tls:?}, round {round}: {}{}",
                run.stdout, run.stderr
            );
            assert_eq!(
                run.summary,
                counts(24, 0, 0, 0, 0),
                "{tls:?}, round {round}: {}",
                run.stderr
            );
            assert_eq!(tree(&server.root.join("site")), tree(&pair.src), "{tls:?}");
        }
        let back = pair.ferry_with_password(&[
            "sync",
            "--jobs",
            "4",
            "srv:site",
            pair.dst.to_str().unwrap(),
        ]);
        assert_eq!(back.code, 0, "{tls:?}: {}", back.stderr);
        assert_eq!(tree(&pair.dst), tree(&pair.src), "{tls:?}");
    }
}

#[test]
fn active_mode_works_with_ftp_active() {
    let server = FtpServer::start(Kind::Pyftpdlib);
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"over an active-mode data connection");
    put(&pair.src, "sub/b.txt", b"b");
    let site = server.url("active");
    let run =
        pair.ferry_with_password(&["--ftp-active", "sync", pair.src.to_str().unwrap(), &site]);
    run.expect(
        0,
        &[
            "+ sub/ (new directory)",
            "↑ a.txt (new)",
            "↑ sub/b.txt (new)",
        ],
        &counts(2, 0, 0, 0, 0),
    );
    assert_eq!(tree(&server.root.join("active")), tree(&pair.src));
    let back =
        pair.ferry_with_password(&["--ftp-active", "sync", &site, pair.dst.to_str().unwrap()]);
    assert_eq!(back.code, 0, "{}", back.stderr);
    assert_eq!(tree(&pair.dst), tree(&pair.src));
}
