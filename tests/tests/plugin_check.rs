//! `ferry plugins check PATH`: a plugin library loaded as ferry loads it (file name, export, ABI,
//! panic strategy), opened with a bad option and with the given ones, then the whole
//! conformance suite through the ABI; one check by name; each broken fixture named with its
//! cause. Also: the host refuses undeclared option keys before a plugin sees them, and
//! `export_plugin!` refuses to compile under `panic = "abort"`.

use std::path::Path;

use ferry_plugin_api::library_file_name;
use ferry_tests::*;

fn check(library: &Path, extra: &[&str]) -> Run {
    let pair = Pair::new();
    pair.ferry(&[&["plugins", "check", library.to_str().unwrap()], extra].concat())
}

#[test]
fn the_local_plugin_passes_every_check_through_the_loader() {
    let dir = tempfile::tempdir().unwrap();
    let location = format!("location={}", dir.path().display());
    let library = workspace_plugin_dir().join(library_file_name("local"));
    let run = check(&library, &["-o", &location, "--large-file-size", "300000"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    for line in [
        "ok    loads-through-the-ferry-loader",
        "ok    refuses-an-undeclared-option",
        "ok    declared-capabilities-are-implemented",
        "ok    rename",
        "skip  checksum-sha256",
    ] {
        assert!(run.stdout.contains(line), "{line}:\n{}", run.stdout);
    }
    assert!(
        run.stdout
            .trim_end()
            .ends_with(": 29 passed, 0 failed, 2 not applied"),
        "{}",
        run.stdout
    );
    let base = dir.path().join("ferry-conformance");
    assert_eq!(std::fs::read_dir(&base).unwrap().count(), 0, "cleaned up");

    // One check by name: the library checks run (they open it), the rest of the suite does not.
    let run = check(&library, &["-o", &location, "--check", "rename"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("ok    rename"), "{}", run.stdout);
    assert!(run.stdout.contains("skip  overwrite"), "{}", run.stdout);
    let run = check(&library, &["--check", "renames"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--check renames: no such check"),
        "{}",
        run.stderr
    );
    let names = Pair::new().ferry(&["plugins", "check", "--list-checks"]);
    assert!(
        names.stdout.contains("\nopens-with-the-given-options\n"),
        "{}",
        names.stdout
    );

    // Options the plugin does not declare are named.
    let run = check(&library, &["-o", &location, "-o", "fsynk=false"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("FAIL  declares-the-options-it-is-given: given [\"fsynk\"]"),
        "{}",
        run.stdout
    );
}

#[test]
fn broken_libraries_are_named_with_their_cause() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join(library_file_name("text"));
    std::fs::write(
        &text,
        "this is not ELF but long enough to have a header\n".repeat(40),
    )
    .unwrap();
    let run = check(&text, &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains(
            "FAIL  loads-through-the-ferry-loader: not a loadable library: invalid ELF header"
        ),
        "{}",
        run.stdout
    );

    let libm = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
    .expect("libm");
    let not_a_plugin = dir.path().join(library_file_name("libm"));
    std::fs::copy(libm, &not_a_plugin).unwrap();
    let run = check(&not_a_plugin, &[]);
    assert!(
        run.stdout.contains("it exports no plugin root module")
            && run.stdout.contains("export_plugin!(MyPlugin)"),
        "{}",
        run.stdout
    );

    let misnamed = dir.path().join("mine.so");
    std::fs::copy(libm, &misnamed).unwrap();
    let run = check(&misnamed, &[]);
    assert!(
        run.stdout.contains("`mine.so` is not a plugin file name"),
        "{}",
        run.stdout
    );

    let testkit =
        build_fixture_plugin("testkit", ApiVariant::Same).join(library_file_name("testkit"));
    let renamed = dir.path().join(library_file_name("other"));
    std::fs::copy(testkit, &renamed).unwrap();
    let run = check(&renamed, &[]);
    assert!(
        run.stdout
            .contains("calls itself `testkit` but the file name says `other`"),
        "{}",
        run.stdout
    );
    assert_eq!(run.code, 1);
}

#[test]
fn the_host_refuses_an_undeclared_option_before_the_plugin_sees_it() {
    let pair = Pair::new();
    pair.configure(&format!(
        "[remotes.typo]\nurl = \"file://{}\"\ndirmirror = true\n",
        pair.dst.display()
    ));
    let run = pair.ferry(&["ls", "typo:"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "`dirmirror` is not an option of the local backend; it takes: location, fsync"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn export_plugin_refuses_to_compile_under_panic_abort() {
    build_fixture_plugin("testkit", ApiVariant::Same);
    let output = check_fixture_plugin_with_panic_abort("testkit");
    assert!(!output.status.success());
    let errors = stderr(&output);
    assert!(
        errors.contains("ferry plugins must be built with panic = \"unwind\""),
        "{errors}"
    );
}
