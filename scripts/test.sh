#!/usr/bin/env bash
# Runs ferry's whole test suite on a fresh machine: installs the FTP servers the suites start
# (scripts/install-test-servers.sh), builds the
# workspace (the integration suites run target/debug/ferry and load the plugin libraries beside
# it), then checks formatting and lints and runs every test. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
    echo "scripts/test.sh: cargo is not installed (https://rustup.rs)" >&2
    exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
scripts/install-test-servers.sh

# The suites run with the optional keyring feature on, so every password lookup also passes
# through the keyring step: a machine without a keyring service must fall back quietly.
features=(--features ferry/keyring)
cargo build --workspace --locked "${features[@]}"
# The install-layout test (tests/tests/install.rs) runs the binary this release install puts in
# target/install-root, from another working directory.
rm -rf target/install-root
make install PREFIX=/opt/ferry DESTDIR="$PWD/target/install-root" >/dev/null
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked "${features[@]}" -- -D warnings
cargo test --workspace --locked "${features[@]}"
# The host-only benchmark in its short mode, so that it keeps building and running; its timings
# are read from a full `cargo bench` run, never here.
cargo bench --workspace --bench host_parts --locked "${features[@]}" -- --quick
# Every `sh` block of the README and docs, as written (outside cargo: the README builds with it).
scripts/run-doc-commands.py
