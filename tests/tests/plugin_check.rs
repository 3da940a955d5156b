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
        "ok    deferred-durability",
        "skip  checksum-sha256",
    ] {
        assert!(run.stdout.contains(line), "{line}:\n{}", run.stdout);
    }
    assert!(
        run.stdout
            .trim_end()
            .ends_with(": 31 passed, 0 failed, 2 not applied"),
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

/// The `loaded the NAME plugin` lines of a `-vv` run.
fn loaded(run: &Run) -> Vec<String> {
    run.stderr
        .lines()
        .filter_map(|l| l.split("loaded the ").nth(1))
        .filter_map(|l| l.split(' ').next())
        .map(String::from)
        .collect()
}

/// A scheme goes to the first plugin declaring it in search-path order (a `--plugin-dir` over
/// the installed ones), `ferry plugins` names every scheme two plugins declare, `-v` names the
/// plugin a target uses, and the registry cache makes a command load only that plugin.
#[test]
fn schemes_go_to_the_first_plugin_and_the_cache_spares_loading_the_others() {
    let fixture = build_fixture_plugin("testkit", ApiVariant::Same);
    let pair = Pair::new();
    let dir = pair.root.path().join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["exist", "ftp", "ftps", "local"] {
        let file = library_file_name(name);
        std::fs::copy(workspace_plugin_dir().join(&file), dir.join(&file)).unwrap();
    }
    let testkit = dir.join(library_file_name("testkit"));
    std::fs::copy(fixture.join(library_file_name("testkit")), &testkit).unwrap();
    let plugin_dir = dir.to_str().unwrap();
    let run = |args: &[&str]| pair.ferry(&[&["--plugin-dir", plugin_dir], args].concat());

    // Cold: every plugin before the one that declares `testkitmem` is loaded to learn its schemes.
    let cold = run(&["-vv", "ls", "testkitmem://x"]);
    assert_eq!(cold.code, 0, "{}", cold.stderr);
    assert_eq!(loaded(&cold), ["exist", "ftp", "ftps", "local", "testkit"]);
    assert!(
        cold.stderr.contains(&format!(
            "ferry: info: testkitmem://x: the testkit plugin ({})",
            testkit.display()
        )),
        "{}",
        cold.stderr
    );
    // Warm: only the plugin used.
    let warm = run(&["-vv", "ls", "testkitmem://x"]);
    assert_eq!(loaded(&warm), ["testkit"], "{}", warm.stderr);
    // A changed file is looked at again.
    let local = dir.join(library_file_name("local"));
    let file = std::fs::File::options().write(true).open(&local).unwrap();
    file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    drop(file);
    let touched = run(&["-vv", "ls", "testkitmem://x"]);
    assert_eq!(loaded(&touched), ["local", "testkit"], "{}", touched.stderr);

    // A plugin earlier on the search path wins a scheme another declares too, and `ferry
    // plugins` says so.
    let high = pair.root.path().join("high");
    std::fs::create_dir_all(&high).unwrap();
    std::fs::copy(&testkit, high.join(library_file_name("testkit"))).unwrap();
    std::fs::remove_file(&testkit).unwrap();
    let cache2 = pair.root.path().join("cache2");
    let claim = |args: &[&str]| {
        let dirs = [
            "--plugin-dir",
            high.to_str().unwrap(),
            "--plugin-dir",
            plugin_dir,
        ];
        pair.ferry_env(
            &[&dirs[..], args].concat(),
            &[
                ("FERRY_TESTKIT_SCHEMES", "exist+https"),
                ("XDG_CACHE_HOME", cache2.to_str().unwrap()),
            ],
        )
    };
    let used = claim(&["-v", "ls", "exist+https://127.0.0.1:9/db"]);
    assert_eq!(
        used.code, 0,
        "the in-memory testkit answered, not eXist: {}",
        used.stderr
    );
    assert!(
        used.stderr.contains("the testkit plugin"),
        "{}",
        used.stderr
    );
    let listing = claim(&["plugins"]);
    assert!(
        listing.stdout.contains(&format!(
            "schemes declared by more than one plugin (the first is used):\n  exist+https://  testkit ({}), then exist ({})",
            high.join(library_file_name("testkit")).display(),
            dir.join(library_file_name("exist")).display()
        )),
        "{}",
        listing.stdout
    );
}
