//! Filters as rsync and rclone users write them: pattern files (`--exclude-from`,
//! `--include-from`), a trailing `/` for directories only, and an included directory bringing
//! everything below it.

use ferry_tests::*;

fn source(pair: &Pair) {
    put(&pair.src, "keep.txt", b"keep");
    put(&pair.src, "cache/x.bin", b"cached");
    put(&pair.src, "a/cache", b"a file called cache");
    put(&pair.src, "build/out.o", b"object");
    put(&pair.src, "docs/guide/a.md", b"guide");
    put(&pair.src, "src/main.rs", b"fn main() {}");
}

fn files(dir: &std::path::Path) -> Vec<String> {
    tree(dir)
        .into_keys()
        .filter(|k| !k.ends_with('/'))
        .collect()
}

#[test]
fn an_exclude_file_with_a_directory_only_pattern() {
    let pair = Pair::new();
    source(&pair);
    let patterns = pair.root.path().join("excludes.txt");
    std::fs::write(&patterns, "# not wanted\ncache/\n\n  *.o\n").unwrap();
    let run = pair.sync(&["--exclude-from", patterns.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        files(&pair.dst),
        ["a/cache", "docs/guide/a.md", "keep.txt", "src/main.rs"],
        "the directory cache/ is left out, the file a/cache is not"
    );
}

#[test]
fn an_included_directory_brings_what_is_below_it() {
    let pair = Pair::new();
    source(&pair);
    let run = pair.sync(&["--include", "docs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(files(&pair.dst), ["docs/guide/a.md"]);

    let pair = Pair::new();
    source(&pair);
    let patterns = pair.root.path().join("includes.txt");
    std::fs::write(&patterns, "src/**\n; rclone-style comment\n*.txt\n").unwrap();
    let run = pair.sync(&["--include-from", patterns.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(files(&pair.dst), ["keep.txt", "src/main.rs"]);
}

#[test]
fn a_missing_pattern_file_is_a_usage_error() {
    let pair = Pair::new();
    source(&pair);
    let missing = pair.root.path().join("nope.txt");
    let run = pair.sync(&["--exclude-from", missing.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!(
            "cannot read the filter file {}",
            missing.display()
        )),
        "{}",
        run.stderr
    );
    assert!(files(&pair.dst).is_empty());
}
