//! `ferry_backend_sftp`: SFTP over SSH (`sftp://user@host:port/path`), through libssh2 for
//! the SSH transport and ferry's own SFTP version 3 client on its channel.
//!
//! - [`config`]: the options table, the URL and the resolved connection settings;
//! - [`ssh_config`]: `Host` aliases of `~/.ssh/config`;
//! - [`known_hosts`]: host-key verification and `accept-new`;
//! - [`connect`]: TCP, handshake, host key, authentication (agent, key files, password);
//! - [`protocol`]: SFTP packets, request ids and pipelining;
//! - [`pool`]: the connections, bounded by `connections`;
//! - [`backend`]: the `BackendImpl` (list, stat, delete, mkdir, rmdir, rename, set_mtime);
//! - [`reader`] and [`writer`]: pipelined reads, atomic pipelined writes;
//! - [`error`]: the one place where SSH and SFTP failures become `BackendError`s.
#![warn(missing_docs)]

pub mod backend;
pub mod config;
pub mod connect;
mod error;
pub mod known_hosts;
pub mod pool;
pub mod protocol;
mod reader;
pub mod ssh_config;
mod writer;

use ferry_plugin_api::{
    abi_stable::std_types::Tuple2, author::Plugin, options::OptionDoc, BackendError, Capabilities,
    HostBox, OptionKind, PluginInfo,
};

pub use backend::SftpBackend;
pub use config::SftpConfig;

/// Everything this backend can do, declared once. Renames keep size and mtime (a file
/// system's rename on the server), so the host's checked commit applies. Changes are found by
/// size and mtime (`CHANGE_TOKEN`): hashing a remote file would mean downloading it.
pub const CAPABILITIES: Capabilities = Capabilities(
    Capabilities::LIST.0
        | Capabilities::STAT.0
        | Capabilities::READ.0
        | Capabilities::READ_OFFSET.0
        | Capabilities::WRITE.0
        | Capabilities::ATOMIC_WRITE.0
        | Capabilities::SET_MTIME.0
        | Capabilities::DELETE.0
        | Capabilities::MKDIR.0
        | Capabilities::RMDIR.0
        | Capabilities::RENAME.0
        | Capabilities::COMMIT_CHECK.0
        | Capabilities::CHANGE_TOKEN.0,
);

/// The plugin as the export macro sees it.
pub struct SftpPlugin;

impl Plugin for SftpPlugin {
    type Backend = SftpBackend;

    fn info() -> PluginInfo {
        PluginInfo {
            name: "sftp".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "SFTP servers over SSH (OpenSSH and others)".into(),
            url_schemes: vec!["sftp".into()].into(),
            capabilities: CAPABILITIES,
            options: ferry_plugin_api::options::specs::<SftpConfig>(&[
                OptionDoc::new(
                    "location",
                    OptionKind::STRING,
                    "sftp://[user@]host[:port]/path, relative to the login directory; //path is absolute.",
                ),
                OptionDoc::new(
                    "user",
                    OptionKind::STRING,
                    "Login name; default the URL's, ~/.ssh/config's User, then the local user.",
                ),
                OptionDoc::new(
                    "password",
                    OptionKind::STRING,
                    "Password for password login, also tried as a key passphrase; default the URL's, $FERRY_PASSWORD, the remote's password_command or ~/.netrc.",
                )
                .secret(),
                OptionDoc::new(
                    "passphrase",
                    OptionKind::STRING,
                    "Passphrase of encrypted key files (default: the password).",
                )
                .secret(),
                OptionDoc::new(
                    "key_file",
                    OptionKind::PATH,
                    "A private key to log in with, tried before ~/.ssh/config's IdentityFile and ~/.ssh/id_ed25519, id_ecdsa, id_rsa.",
                ),
                OptionDoc::new(
                    "agent",
                    OptionKind::BOOL,
                    "Offer the keys of the ssh-agent at $SSH_AUTH_SOCK first.",
                ),
                OptionDoc::new(
                    "known_hosts",
                    OptionKind::PATH,
                    "The known_hosts file that host keys are checked against (default ~/.ssh/known_hosts; /etc/ssh/ssh_known_hosts is read too).",
                ),
                OptionDoc::new(
                    "strict_host_key_checking",
                    OptionKind::STRING,
                    "yes: refuse a host not in known_hosts; accept-new: record its key and connect. A changed key is always refused.",
                ),
                OptionDoc::new(
                    "ssh_config",
                    OptionKind::PATH,
                    "OpenSSH client configuration read for Host aliases (HostName, User, Port, IdentityFile); default ~/.ssh/config, none for none.",
                ),
                OptionDoc::new(
                    "connections",
                    OptionKind::INTEGER,
                    "SSH connections at most (ferry sets it from --jobs).",
                ),
                OptionDoc::new(
                    "ciphers",
                    OptionKind::STRING,
                    "Ciphers to offer, in order of preference, comma-separated (OpenSSH's Ciphers).",
                ),
                OptionDoc::new(
                    "timeout",
                    OptionKind::DURATION_SECS,
                    "Seconds before connecting or waiting for the server gives up.",
                ),
            ])
            .into(),
            // The port a URL without one means, so ferry knows `sftp://h/` is `h:22`; paths
            // from the login directory (`//` is absolute: another place); and no password
            // prompt before the agent and the key files have had their turn.
            extra: vec![
                Tuple2("default_port:sftp".into(), "22".into()),
                Tuple2("paths".into(), "login-directory".into()),
                Tuple2("password_prompt".into(), "on-refusal".into()),
            ]
            .into(),
        }
    }

    fn open(options_toml: &str, host: HostBox) -> Result<SftpBackend, BackendError> {
        let settings = SftpConfig::parse(options_toml)?.settings()?;
        SftpBackend::open(settings, host)
    }
}

ferry_plugin_api::export_plugin!(SftpPlugin);
