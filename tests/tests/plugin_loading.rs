//! Loading plugins through the real loader: broken libraries are reported in one line each while
//! the good ones keep working, a panicking plugin costs one operation and not the process, and
//! two plugins live side by side in one process.

use std::{io::Read, path::PathBuf, sync::OnceLock};

use ferry::{
    backend::Backend,
    plugins::{LoadFailure, Registry, SearchPath},
};
use ferry_plugin_api::{library_file_name, ErrorKind};
use ferry_tests::*;

fn testkit_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| build_fixture_plugin("testkit", ApiVariant::Same))
        .clone()
}

fn location(text: &str) -> toml::Table {
    let mut table = toml::Table::new();
    table.insert("location".into(), text.into());
    table
}

#[test]
fn broken_plugins_get_one_line_each_and_good_ones_still_work() {
    let forked = build_fixture_plugin("forked", ApiVariant::ExtraField);
    let next_epoch = build_fixture_plugin("nextepoch", ApiVariant::NextEpoch);
    let junk = tempfile::tempdir().unwrap();
    std::fs::write(
        junk.path().join(library_file_name("garbage")),
        b"this is not ELF",
    )
    .unwrap();
    if let Some(libm) = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
        "/lib64/libm.so.6",
    ]
    .iter()
    .find(|p| std::path::Path::new(p).exists())
    {
        std::fs::copy(libm, junk.path().join(library_file_name("libm"))).unwrap();
    }
    let dirs = [
        forked.to_str().unwrap(),
        next_epoch.to_str().unwrap(),
        junk.path().to_str().unwrap(),
    ];
    let args = [
        "--plugin-dir",
        dirs[0],
        "--plugin-dir",
        dirs[1],
        "--plugin-dir",
        dirs[2],
        "plugins",
    ];
    let output = ferry(&args);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("local ")),
        "local missing:\n{out}"
    );

    let broken: Vec<&str> = out
        .split("broken plugins:\n")
        .nth(1)
        .expect("a broken section")
        .lines()
        .collect();
    let line_for = |name: &str| {
        let file = library_file_name(name);
        let lines: Vec<&&str> = broken.iter().filter(|l| l.contains(&file)).collect();
        assert_eq!(lines.len(), 1, "expected one line for {file}:\n{out}");
        lines[0].to_string()
    };
    let forked_line = line_for("forked");
    // The cause (the field the fork added) leads, not what it did to the types around it.
    assert!(
        forked_line.contains("incompatible layout: unexpected field in `Listing`"),
        "{forked_line}"
    );
    assert!(
        forked_line.contains("too many fields in `Listing`"),
        "{forked_line}"
    );
    assert!(
        forked_line.contains("found `added_in_a_fork`"),
        "{forked_line}"
    );
    assert!(
        forked_line.contains(forked.to_str().unwrap()),
        "names the file: {forked_line}"
    );
    let epoch_line = line_for("nextepoch");
    assert!(
        epoch_line.contains("built for plugin API epoch 0.2, but this ferry uses epoch 0.1"),
        "{epoch_line}"
    );
    assert!(line_for("garbage").contains("not a loadable library"));
    if junk.path().join(library_file_name("libm")).exists() {
        assert!(line_for("libm").contains("not a ferry plugin"));
    }
    assert!(
        out.len() < 4000,
        "the report must stay short, not abi_stable's dump:\n{out}"
    );

    // With -v the start of the layout report follows (the types compared), with -vv all of it.
    let verbose = stdout(&ferry(&[&args[..], &["-v"]].concat()));
    assert!(verbose.len() > out.len() + 1000, "-v adds the details");
    assert!(
        verbose.lines().count() < 150,
        "-v stays readable:\n{verbose}"
    );
    assert!(verbose.contains("more lines (-vv shows them)"), "{verbose}");
    let everything = stdout(&ferry(&[&args[..], &["-vv"]].concat()));
    assert!(everything.lines().count() > 500, "-vv has the whole report");

    // A command that needs only `local` works next to the broken plugins.
    let tree = tempfile::tempdir().unwrap();
    std::fs::write(tree.path().join("f.txt"), b"12345").unwrap();
    let output = ferry(&[
        "--plugin-dir",
        dirs[0],
        "--plugin-dir",
        dirs[2],
        "ls",
        tree.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "           5  f.txt\n");
}

#[test]
fn the_loader_classifies_failures() {
    let forked = build_fixture_plugin("forked", ApiVariant::ExtraField);
    let error = ferry::plugins::loader::load(&forked.join(library_file_name("forked")), "forked")
        .unwrap_err();
    assert_eq!(error.failure, LoadFailure::IncompatibleLayout);
    assert!(
        error.detail.lines().count() > 20,
        "the full report is kept for -v"
    );
    let error =
        ferry::plugins::loader::load(&testkit_dir().join(library_file_name("testkit")), "other")
            .unwrap_err();
    assert_eq!(error.failure, LoadFailure::NameMismatch);
    assert!(
        error.summary.contains("calls itself `testkit`"),
        "{}",
        error.summary
    );
}

#[test]
fn a_panicking_plugin_fails_the_operation_not_the_process() {
    let registry = Registry::new(SearchPath::only([testkit_dir()]));
    let plugin = registry.get("testkit").unwrap();
    let backend = Backend::open(plugin.clone(), &location("mem://seeded"), "mem").unwrap();
    let error = backend.list("panic-dir").unwrap_err();
    assert_eq!(error.kind, ErrorKind::PANICKED);
    assert!(
        error.message.contains("deliberate panic for `panic-dir`"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("src/lib.rs"),
        "names the location: {}",
        error.message
    );
    // The same backend keeps working.
    let names: Vec<String> = backend
        .list("")
        .unwrap()
        .entries
        .iter()
        .map(|e| e.name.to_string())
        .collect();
    assert_eq!(names, ["a.txt", "panic-dir", "z"]);

    let mut options = location("mem://x");
    options.insert("panic_on_open".into(), true.into());
    let error = Backend::open(plugin, &options, "mem").unwrap_err();
    assert_eq!(error.kind, ErrorKind::PANICKED);
    assert!(error.message.contains("during open"), "{}", error.message);
}

#[test]
fn a_panic_in_the_cli_is_one_error_line_and_the_listing_goes_on() {
    let dir = testkit_dir();
    let output = ferry(&[
        "--plugin-dir",
        dir.to_str().unwrap(),
        "ls",
        "-r",
        "testkitmem://host/seeded",
    ]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert_eq!(
        stdout(&output),
        "           5  a.txt\n           -  panic-dir/\n           -  z/\n           2  z/b.txt\n"
    );
    assert!(
        err.contains("cannot list `panic-dir`: the plugin panicked during list"),
        "{err}"
    );
    assert!(!err.contains("Aborting"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn two_plugins_load_side_by_side_in_one_process() {
    let registry = Registry::new(SearchPath::only([workspace_plugin_dir(), testkit_dir()]));
    let local = registry.get("local").unwrap();
    let testkit = registry.get("testkit").unwrap();
    assert_eq!(local.name(), "local");
    assert_eq!(testkit.name(), "testkit");
    assert_ne!(local.path, testkit.path);
    let (all, broken) = registry.load_all();
    let names: Vec<&str> = all.iter().map(|p| p.name()).collect();
    assert!(
        names.contains(&"local") && names.contains(&"testkit"),
        "{names:?}"
    );
    assert!(broken.is_empty(), "{broken:?}");

    // Stream a file from one plugin to the other through the host.
    let dir = tempfile::tempdir().unwrap();
    let memory = Backend::open(testkit, &location("mem://seeded"), "mem").unwrap();
    let disk = Backend::open(local, &location(dir.path().to_str().unwrap()), "disk").unwrap();
    let source = memory.open_read("z/b.txt", 0).unwrap();
    let written = disk.write("copied/b.txt", source, Some(2), None).unwrap();
    assert_eq!(written.size, 2);
    assert_eq!(
        std::fs::read(dir.path().join("copied/b.txt")).unwrap(),
        b"bb"
    );
    let mut back = String::new();
    disk.open_read("copied/b.txt", 0)
        .unwrap()
        .read_to_string(&mut back)
        .unwrap();
    assert_eq!(back, "bb");
}
