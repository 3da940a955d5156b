//! The one-way engine against a real OpenSSH sshd through the sftp plugin: the scenarios every
//! remote runs (upload, no-op, modify, conflicts, `--delete`, download, a killed upload that
//! resumes), and a connection cut mid-file by a proxy.

use std::sync::atomic::Ordering;

use ferry_tests::{proxy::ByteCutProxy, scenarios, servers::PASSWORD, sshd::SshServer, *};

#[test]
fn upload_to_openssh() {
    scenarios::upload(&SshServer::start());
}

#[test]
fn download_from_openssh() {
    scenarios::download(&SshServer::start());
}

#[test]
fn killed_upload_resumes_on_openssh() {
    scenarios::killed_upload_resumes(&SshServer::start());
}

/// The connection dies after 1 MiB of a 4 MiB upload: no partial file ever appears under the
/// final name, and the run (retrying on a new connection) or the next one stores the whole file.
#[test]
fn a_connection_cut_mid_file_commits_nothing_partial() {
    let server = SshServer::start();
    let proxy = ByteCutProxy::start(server.port, 1024 * 1024);
    let mut known = std::fs::read_to_string(&server.known_hosts).unwrap();
    known.push_str(&format!("[127.0.0.1]:{} {}\n", proxy.port, server.host_key));
    std::fs::write(&server.known_hosts, known).unwrap();
    let pair = Pair::new();
    pair.configure(&format!(
        "[remotes.cut]\nurl = \"{}\"\nkey_file = \"{}\"\nknown_hosts = \"{}\"\nagent = false\nssh_config = \"none\"\n",
        server.url_on(proxy.port, ""),
        server.client_key.display(),
        server.known_hosts.display()
    ));
    let big: Vec<u8> = (0..4 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    put(&pair.src, "big.bin", &big);
    put(&pair.src, "small.txt", b"small");
    let src = pair.src.to_str().unwrap();
    let first = pair.ferry_env(&["sync", src, "cut:site"], &[("FERRY_PASSWORD", PASSWORD)]);
    assert_eq!(proxy.cut.load(Ordering::SeqCst), 1, "the proxy cut nothing");
    let stored = server.root.join("site/big.bin");
    if stored.exists() {
        assert_eq!(
            std::fs::read(&stored).unwrap(),
            big,
            "a partial file was committed"
        );
    }
    if first.code != 0 {
        assert!(!stored.exists(), "{}", first.stderr);
        let again = pair.ferry_env(&["sync", src, "cut:site"], &[("FERRY_PASSWORD", PASSWORD)]);
        assert_eq!(again.code, 0, "{}", again.stderr);
    }
    let after = tree(&server.root.join("site"));
    assert!(
        !after.keys().any(|k| k.contains(".ferry-part-")),
        "the partial upload was cleaned up: {:?}",
        after.keys()
    );
    assert_eq!(after, tree(&pair.src));
}

/// Every cipher family OpenSSH and libssh2 share, with a MAC of each kind (encrypt-and-MAC,
/// encrypt-then-MAC, built into the cipher): several MiB go up and come back byte for byte.
/// ferry's libssh2 encrypts and decrypts whole packets in one OpenSSL call
/// (vendor/libssh2-sys/FERRY-PATCH.md); a mistake there corrupts or refuses exactly this.
#[test]
fn every_cipher_and_mac_kind_carries_the_bytes_intact() {
    let big: Vec<u8> = (0..3 * 1024 * 1024 + 12345u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    for (cipher, mac) in [
        ("aes128-ctr", "hmac-sha2-256"),
        ("aes256-ctr", "hmac-sha2-512-etm@openssh.com"),
        ("aes192-ctr", "hmac-sha2-512"),
        ("aes256-cbc", "hmac-sha2-256-etm@openssh.com"),
        ("aes128-gcm@openssh.com", "hmac-sha2-256"),
        ("aes256-gcm@openssh.com", "hmac-sha2-256"),
        ("chacha20-poly1305@openssh.com", "hmac-sha2-256"),
    ] {
        let server = SshServer::start_with_cipher(cipher, mac);
        let pair = Pair::new();
        pair.configure(&format!("{}ciphers = \"{cipher}\"\n", server.remote("srv")));
        put(&pair.src, "big.bin", &big);
        for i in 0..20 {
            put(
                &pair.src,
                &format!("small/{i}.txt"),
                &vec![b'a' + i as u8; 1 + i * 37],
            );
        }
        let up = pair.ferry(&["sync", pair.src.to_str().unwrap(), "srv:site"]);
        assert_eq!(up.code, 0, "{cipher} {mac} upload: {}", up.stderr);
        assert_eq!(
            tree(&server.root.join("site")),
            tree(&pair.src),
            "{cipher} {mac}: the upload differs"
        );
        let back = pair.root.path().join("back");
        let down = pair.ferry(&["sync", "srv:site", back.to_str().unwrap()]);
        assert_eq!(down.code, 0, "{cipher} {mac} download: {}", down.stderr);
        assert_eq!(
            tree(&back),
            tree(&pair.src),
            "{cipher} {mac}: the download differs"
        );
    }
}
