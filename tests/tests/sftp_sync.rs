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
