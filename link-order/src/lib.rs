//! Build-script helper that lays out a release build's machine code in the order a sync first
//! runs it, so that the code a sync needs sits in a few contiguous pages.
//!
//! Why: most of a transfer's memory is code. The kernel maps a touched code page together with
//! its 64 KiB neighbourhood ("fault-around"), and the functions a sync runs are spread over the
//! whole `.text`, so ferry had 3.5 of its 6.5 MiB of code resident to run 0.9 MiB of it.
//! `symbol-order.txt` lists the functions a set of traced syncs called, in first-call order
//! (written by `trace/order.py`, whose docstring says when and how to run it); the linker places them first.
//!
//! The order only moves code: a stale or missing entry costs memory, never correctness. It is
//! used for release builds whose linker understands `--symbol-ordering-file` (LLD, rustc's
//! default linker on x86_64 Linux since 1.90); a build script asks the linker once with a probe
//! program and quietly goes without when it does not. `FERRY_LINK_ORDER=0` turns it off.

use std::{
    env,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

/// The order file, beside this crate's manifest.
pub fn order_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("symbol-order.txt")
}

/// Called from a linked crate's `build.rs`: hands the linker the symbol order when this is a
/// release build and the linker takes it.
pub fn apply() {
    let order = order_file();
    println!("cargo:rerun-if-changed={}", order.display());
    println!("cargo:rerun-if-env-changed=FERRY_LINK_ORDER");
    let wanted = env::var("PROFILE").as_deref() == Ok("release")
        && env::var("FERRY_LINK_ORDER").as_deref() != Ok("0")
        && order.is_file();
    if !wanted {
        return;
    }
    let arguments = linker_arguments(&order);
    if linker_accepts(&arguments) {
        for argument in arguments {
            println!("cargo:rustc-link-arg={argument}");
        }
    }
}

fn linker_arguments(order: &Path) -> Vec<String> {
    vec![
        format!("-Wl,--symbol-ordering-file={}", order.display()),
        // Entries for other modules, or for functions a change renamed, are expected.
        "-Wl,--no-warn-symbol-ordering".to_owned(),
    ]
}

/// Links an empty program with `arguments` and the build's own flags and linker.
fn linker_accepts(arguments: &[String]) -> bool {
    let (Some(out_dir), Some(rustc), Some(target)) = (
        env::var_os("OUT_DIR"),
        env::var_os("RUSTC"),
        env::var_os("TARGET"),
    ) else {
        return false;
    };
    let out_dir = PathBuf::from(out_dir);
    let source = out_dir.join("link_order_probe.rs");
    if std::fs::write(&source, "fn main() {}\n").is_err() {
        return false;
    }
    let mut probe = Command::new(rustc);
    probe
        .arg(&source)
        .arg("--target")
        .arg(target)
        .arg("-o")
        .arg(out_dir.join("link_order_probe"));
    if let Ok(flags) = env::var("CARGO_ENCODED_RUSTFLAGS") {
        probe.args(flags.split('\x1f').filter(|flag| !flag.is_empty()));
    }
    if let Ok(linker) = env::var("RUSTC_LINKER") {
        probe.arg(format!("-Clinker={linker}"));
    }
    for argument in arguments {
        probe.arg(format!("-Clink-arg={argument}"));
    }
    probe
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
