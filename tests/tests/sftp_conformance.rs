//! The plugin-api conformance suite through the `sftp` plugin against a real OpenSSH sshd on
//! 127.0.0.1, symlink checks included (the suite makes a link in the server's files and checks
//! that nothing is written through it); plus what the plugin does with a server without
//! `posix-rename@openssh.com` and with paths relative to the login directory.

use ferry::backend::Backend;
use ferry_plugin_api::{conformance, Capabilities};
use ferry_tests::{open_plugin, servers::ferrytest_ids, sshd::SshServer, workspace_plugin_dir};

fn open(options: &toml::Table) -> Result<Backend, ferry_plugin_api::BackendError> {
    open_plugin("sftp", options, "sftp test")
}

#[test]
fn the_sftp_plugin_passes_conformance_against_openssh() {
    let server = SshServer::start();
    assert!(server.replacing_rename_works());
    passes(&server);
}

/// Without posix-rename a replacing rename removes the old file first (FTP's fallback); the
/// suite's atomic-write and rename checks still hold.
#[test]
fn the_fallback_without_posix_rename_passes_conformance() {
    let server = SshServer::start_without_posix_rename();
    assert!(
        !server.replacing_rename_works(),
        "this server still replaces files on rename: the fallback would go untested"
    );
    passes(&server);
}

fn passes(server: &SshServer) {
    let backend = open(&server.options("")).unwrap();
    assert!(backend.capabilities().contains(
        Capabilities::ATOMIC_WRITE | Capabilities::SET_MTIME | Capabilities::COMMIT_CHECK
    ));
    let root = server.root.clone();
    let (uid, gid) = ferrytest_ids();
    let options = conformance::Options {
        make_symlink: Some(conformance::SymlinkMaker(std::sync::Arc::new(
            move |link: &str, target: &str| {
                let at = root.join(link);
                std::os::unix::fs::symlink(root.join(target), &at).map_err(|e| e.to_string())?;
                std::os::unix::fs::lchown(&at, Some(uid), Some(gid)).map_err(|e| e.to_string())
            },
        ))),
        ..conformance::Options::default()
    };
    let library = workspace_plugin_dir().join(ferry_plugin_api::library_file_name("sftp"));
    let report = conformance::check_library(&library, &server.options("").to_string(), &options);
    report.assert_ok();
    for check in [
        "large-file-streamed",
        "names-with-spaces-unicode-and-punctuation",
        "failed-source-commits-nothing",
        "set-mtime",
        "nothing-is-written-through-a-symlink",
    ] {
        assert!(report.passed(check), "{check} did not run:\n{report}");
    }
}
