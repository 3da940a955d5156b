//! Epoch discipline: the fingerprint test of plugin-api passes as committed, and fails — with a
//! message saying what to do — in a copy of plugin-api that has a field appended to an ABI type
//! but kept its epoch.

use std::process::Command;

use ferry_tests::*;

#[test]
fn adding_a_field_without_an_epoch_bump_fails_the_fingerprint_check() {
    build_fixture_plugin("forked", ApiVariant::ExtraField);
    let patched_api = build_dir().join("fixture-src/forked/plugin-api");
    std::fs::copy(
        workspace_root().join("Cargo.lock"),
        patched_api.join("Cargo.lock"),
    )
    .unwrap();
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["test", "--offline", "--lib", "--manifest-path"])
        .arg(patched_api.join("Cargo.toml"))
        .args(["--", "the_abi_did_not_change_within_the_epoch"])
        .env("CARGO_TARGET_DIR", build_dir().join("fixture-target"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !output.status.success(),
        "the check passed on a changed layout:\n{text}"
    );
    assert!(
        text.contains("the plugin ABI layout changed, but the epoch is still 0.1"),
        "{text}"
    );
    assert!(text.contains("bump the epoch"), "{text}");
}

#[test]
fn the_committed_fingerprint_matches() {
    let recorded =
        std::fs::read_to_string(workspace_root().join("plugin-api/src/abi-fingerprint.txt"))
            .unwrap();
    assert_eq!(
        recorded.trim(),
        format!(
            "{} {}",
            ferry_plugin_api::EPOCH,
            ferry_plugin_api::abi_fingerprint()
        )
    );
}
