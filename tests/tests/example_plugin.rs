//! The out-of-tree example plugin (examples/mem-plugin): built outside ferry's workspace against
//! ferry-plugin-api alone, dropped into a `--plugin-dir`, listed by `ferry plugins`, used for a
//! sync and by `--backend`, and passing the conformance suite through the real loader (`ferry plugins check`).

use ferry_plugin_api::library_file_name;
use ferry_tests::*;

#[test]
fn a_plugin_built_outside_the_workspace_works() {
    let plugins = build_example_plugin();
    let dir = plugins.path().to_str().unwrap();
    let pair = Pair::new();

    let listed = pair.ferry(&["--plugin-dir", dir, "plugins"]);
    let mem = listed
        .stdout
        .lines()
        .find(|l| l.starts_with("mem "))
        .unwrap_or_else(|| panic!("{}", listed.stdout));
    assert!(
        mem.contains(" 0.1.0 ") && mem.contains(" mem ") && mem.contains(&format!("{dir}/")),
        "{mem}"
    );

    put(&pair.src, "a.txt", b"into memory");
    put(&pair.src, "sub/b.txt", b"b");
    pair.ferry(&[
        "--plugin-dir",
        dir,
        "sync",
        pair.src.to_str().unwrap(),
        "mem://scratch",
    ])
    .expect(
        0,
        &[
            "+ sub/ (new directory)",
            "↑ a.txt (new)",
            "↑ sub/b.txt (new)",
        ],
        "2 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed",
    );
    let ls = pair.ferry(&[
        "--plugin-dir",
        dir,
        "--backend",
        "mem",
        "ls",
        "mem://anything",
    ]);
    assert_eq!((ls.code, ls.stdout.as_str()), (0, ""), "{}", ls.stderr);

    // Through ferry's loader, as `ferry plugins check` runs it.
    let check = pair.ferry(&[
        "plugins",
        "check",
        plugins
            .path()
            .join(library_file_name("mem"))
            .to_str()
            .unwrap(),
        "--option",
        "location=mem://conformance",
    ]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    assert!(check.stdout.contains(" 0 failed"), "{}", check.stdout);
}
