//! The installed layout: `make install PREFIX=/opt/ferry DESTDIR=target/install-root` (done by
//! scripts/test.sh before the suites) gives a ferry that finds its plugins in
//! `<exe>/../lib/ferry/plugins-<epoch>` with no environment variables, from any working
//! directory; its man pages render, its bash completions load, and every `--help` is complete.

use std::{path::PathBuf, process::Command};

use ferry_tests::*;

fn prefix() -> PathBuf {
    let prefix = workspace_root().join("target/install-root/opt/ferry");
    assert!(
        prefix.join("bin/ferry").is_file(),
        "{} is missing: run scripts/test.sh (it runs make install into target/install-root first)",
        prefix.display()
    );
    prefix
}

fn installed(args: &[&str], cwd: &std::path::Path) -> std::process::Output {
    Command::new(prefix().join("bin/ferry"))
        .args(args)
        .current_dir(cwd)
        .env_remove("FERRY_PLUGIN_PATH")
        .env("XDG_DATA_HOME", cwd.join("data"))
        .env("XDG_STATE_HOME", cwd.join("state"))
        .env("XDG_CONFIG_HOME", cwd.join("config"))
        .output()
        .unwrap()
}

#[test]
fn the_installed_ferry_finds_its_plugins_without_environment_variables() {
    let elsewhere = tempfile::tempdir().unwrap();
    let output = installed(&["plugins", "-v"], elsewhere.path());
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}{}", stderr(&output));
    let plugin_dir = prefix().join(format!("lib/ferry/plugins-{}", ferry_plugin_api::EPOCH));
    for name in ["local", "ftp", "ftps", "exist", "sftp"] {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} missing:\n{out}"));
        assert!(
            line.ends_with(
                &plugin_dir
                    .join(ferry_plugin_api::library_file_name(name))
                    .display()
                    .to_string()
            ),
            "{line}"
        );
    }
    assert!(out.contains("(install prefix)"), "{out}");
    // `make install` without FERRY_SYSTEM_PLUGIN_DIR set builds no system directory in.
    assert!(
        !out.contains("(system)"),
        "an empty system directory is listed:\n{out}"
    );
    assert!(
        !out.contains("development build"),
        "an installed ferry is no development build:\n{out}"
    );

    put(elsewhere.path(), "src/a.txt", b"installed");
    let output = installed(&["sync", "src", "dst"], elsewhere.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        std::fs::read(elsewhere.path().join("dst/a.txt")).unwrap(),
        b"installed"
    );
}

#[test]
fn the_staging_root_holds_only_the_prefix() {
    // DESTDIR once leaked from `make install` through cargo into the vendored OpenSSL's own
    // `make install_dev`, which installed itself under the staging root (and broke the build).
    let root = workspace_root().join("target/install-root");
    prefix();
    let mut entries: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(entries, ["opt"], "{} holds more than opt/", root.display());
}

#[test]
fn the_man_pages_render() {
    for page in ["ferry.1", "ferry-sync.1", "ferry-plugins.1"] {
        let output = Command::new("man")
            .arg("-l")
            .arg(prefix().join("share/man/man1").join(page))
            .env("MANWIDTH", "80")
            .env("MANPAGER", "cat")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "man -l {page}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            text.contains("NAME") && text.contains("SYNOPSIS") && text.contains("OPTIONS"),
            "{page}:\n{text}"
        );
    }
}

#[test]
fn the_bash_completions_load() {
    let script = prefix().join("share/bash-completion/completions/ferry");
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}' && complete -p ferry",
            script.display()
        ))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The clap-generated `_ferry`, wrapped to offer remote names as well.
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("-F _ferry_with_remotes ferry"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    for file in [
        "share/zsh/site-functions/_ferry",
        "share/fish/vendor_completions.d/ferry.fish",
    ] {
        assert!(
            std::fs::metadata(prefix().join(file)).unwrap().len() > 1000,
            "{file}"
        );
    }
}

#[test]
fn every_help_is_complete() {
    let elsewhere = tempfile::tempdir().unwrap();
    let help = stdout(&installed(&["--help"], elsewhere.path()));
    let commands = ["plugins", "sync", "upload", "download", "ls", "completions"];
    for command in commands {
        assert!(
            help.contains(&format!("  {command} ")),
            "`{command}` missing from --help:\n{help}"
        );
        let output = installed(&[command, "--help"], elsewhere.path());
        let text = stdout(&output);
        assert_eq!(output.status.code(), Some(0));
        assert!(text.contains("Usage: ferry"), "{command} --help:\n{text}");
        for option in ["--plugin-dir", "--backend", "--verbose", "--config"] {
            assert!(
                text.contains(option),
                "{command} --help lacks the global {option}:\n{text}"
            );
        }
    }
    let sync_help = stdout(&installed(&["sync", "--help"], elsewhere.path()));
    for option in [
        "--force",
        "--delete",
        "--dry-run",
        "--fail-fast",
        "--check-xml",
        "--allow-malformed",
        "--checkpoint-every",
        "--jobs",
        "--retries",
        "--exclude",
        "--include",
        "--max-delete",
        "--json",
        "--quiet",
        "--no-progress",
        "--ftp-active",
    ] {
        assert!(sync_help.contains(option), "sync --help lacks {option}");
    }
}
