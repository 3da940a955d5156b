//! The `ferry` executable end to end: `--version`, `plugins`, `plugins info`, `ls`, discovery
//! through `$FERRY_PLUGIN_PATH`, and clear errors for user mistakes.

use ferry_plugin_api::library_file_name;
use ferry_tests::*;

fn sample_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
    std::fs::write(root.join("a.txt"), b"hello\n").unwrap();
    std::fs::write(root.join("sub/b.bin"), vec![0u8; 3000]).unwrap();
    std::fs::write(root.join("sub/deeper/empty"), b"").unwrap();
    std::fs::write(root.join("sub/with space ü.txt"), b"xy").unwrap();
    dir
}

#[test]
fn version_names_the_plugin_abi_epoch() {
    let output = ferry(&["--version"]);
    let features = if ferry::cli::FEATURES.is_empty() {
        "none".to_string()
    } else {
        ferry::cli::FEATURES.join(", ")
    };
    assert_eq!(
        stdout(&output),
        format!(
            "ferry {} (plugin ABI epoch 0.1; features: {features})\n",
            env!("CARGO_PKG_VERSION").replace("0.0.0", "0.1.0")
        )
    );
}

#[test]
fn plugins_lists_local_with_its_capabilities() {
    let output = ferry(&["plugins"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}{}", stderr(&output));
    let header = out.lines().next().unwrap();
    assert!(
        header.starts_with("NAME") && header.contains("SCHEMES") && header.ends_with("PATH"),
        "{header}"
    );
    let mut lines = out.lines().skip_while(|l| !l.starts_with("local "));
    let local = lines.next().expect("local listed");
    for word in ["0.1.0", "file", library_file_name("local").as_str()] {
        assert!(local.contains(word), "`{word}` missing from `{local}`");
    }
    let capabilities: Vec<&str> = lines.take_while(|l| l.starts_with("    ")).collect();
    let joined = capabilities.join(" ");
    for word in ["list, stat, read", "atomic-write", "commit-check"] {
        assert!(joined.contains(word), "`{word}` missing under local: {out}");
    }
    // The table fits 100 columns, but for a long library path of the machine's own.
    for line in out.lines().filter(|l| !l.contains(".so")) {
        assert!(
            line.chars().count() <= 100,
            "{} columns: {line}",
            line.chars().count()
        );
    }
}

#[test]
fn plugins_info_shows_the_options() {
    let output = ferry(&["plugins", "info", "local"]);
    let out = stdout(&output);
    assert!(out.starts_with("local 0.1.0 — Local directories"), "{out}");
    assert!(out.contains("  location (string, required)\n"), "{out}");
    assert!(out.contains("  fsync (bool, default true)\n"), "{out}");
    let output = ferry(&["plugins", "info", "nosuch"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.starts_with("ferry: error: no `nosuch` backend plugin found"),
        "{err}"
    );
    assert!(err.contains("installed: exist, ftp, ftps, local"), "{err}");
}

#[test]
fn ls_recursive_prints_the_tree_with_sizes() {
    let tree = sample_tree();
    let output = ferry(&["ls", "-r", tree.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        concat!(
            "           6  a.txt\n",
            "           -  sub/\n",
            "        3000  sub/b.bin\n",
            "           -  sub/deeper/\n",
            "           0  sub/deeper/empty\n",
            "           2  sub/with space ü.txt\n",
        )
    );
    let output = ferry(&["ls", tree.path().to_str().unwrap()]);
    assert_eq!(stdout(&output), "           6  a.txt\n           -  sub/\n");
}

#[test]
fn ls_tree_and_long() {
    let tree = sample_tree();
    let path = tree.path().to_str().unwrap();
    let out = stdout(&ferry(&["ls", "--tree", path]));
    let expected = format!(
        "{path}\n├── a.txt  (6 B)\n└── sub/\n    ├── b.bin  (2.9 KiB)\n    ├── deeper/\n    │   └── empty  (0 B)\n    └── with space ü.txt  (2 B)\n"
    );
    assert_eq!(out, expected);
    let out = stdout(&ferry(&["ls", "--long", &format!("file://{path}")]));
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("file") && first.ends_with(" UTC  a.txt") && first.contains(" 6  "),
        "{first}"
    );
    // A file target lists the file, by its name.
    let file = tree.path().join("a.txt");
    let out = stdout(&ferry(&["ls", file.to_str().unwrap()]));
    assert_eq!(out, "           6  a.txt\n");
}

#[test]
fn user_mistakes_are_one_clear_line_and_exit_2() {
    let output = ferry(&["ls", "/definitely/not/here"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("ferry: error: /definitely/not/here: root directory: No such file"),
        "{err}"
    );

    let output = ferry(&["ls", "gopher://h/x"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no backend plugin serves `gopher://` URLs"),
        "{}",
        stderr(&output)
    );

    let output = ferry(&["ls"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("Usage"));
}

/// Messages name the thing and the cause once, with no empty part and no doubled separator
/// (`bad:: the password_command failed`, `cannot list the source f: : not a directory`).
#[test]
fn messages_have_no_empty_parts_or_doubled_separators() {
    let pair = Pair::new();
    pair.configure(
        "[remotes.bad]\nurl = \"ftp://someone@127.0.0.1:9/\"\npassword_command = \"exit 3\"\n",
    );
    let run = pair.ferry(&["ls", "bad:"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr.trim_end(),
        "ferry: error: bad: the password_command failed (exit status: 3)"
    );
    put(&pair.src, "a.txt", b"a file, not a directory");
    let file = pair.src.join("a.txt");
    let run = pair.ferry(&["sync", file.to_str().unwrap(), pair.dst.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "ferry: error: cannot list the source {}: not a directory",
            file.display()
        )
    );
}

/// `--quiet` and `--verbose` ask for opposite things: a usage error, not a silent winner.
#[test]
fn quiet_and_verbose_together_are_a_usage_error() {
    let pair = Pair::new();
    let run = pair.ferry(&[
        "sync",
        "-q",
        "-v",
        pair.src.to_str().unwrap(),
        pair.dst.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}

#[test]
fn ferry_plugin_path_is_searched_and_the_current_directory_is_not() {
    let testkit = build_fixture_plugin("testkit", ApiVariant::Same);
    let output = ferry_command(&["plugins"])
        .env("FERRY_PLUGIN_PATH", &testkit)
        .output()
        .unwrap();
    let out = stdout(&output);
    assert!(out.lines().any(|l| l.starts_with("testkit ")), "{out}");

    // A plugin library in the current directory is ignored.
    let output = ferry_command(&["plugins"])
        .current_dir(&testkit)
        .output()
        .unwrap();
    let out = stdout(&output);
    assert!(!out.contains("testkit"), "{out}");
}

/// A destination that cannot be created is one error before any transfer (exit 2), not one
/// failure per file.
#[test]
fn an_impossible_destination_is_one_early_error() {
    let pair = Pair::new();
    for name in ["a.txt", "b.txt", "sub/c.txt"] {
        put(&pair.src, name, b"content");
    }
    let run = pair.ferry(&[
        "sync",
        pair.src.to_str().unwrap(),
        "/proc/ferry-no-such-dir/dst",
    ]);
    assert_eq!(run.code, 2, "{} {}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "ferry: error: cannot create the destination /proc/ferry-no-such-dir/dst: "
        ),
        "{}",
        run.stderr
    );
}

/// Each subcommand's help lists the flags it takes, under headings, and no flag it refuses;
/// the global options have a heading of their own; every line fits 100 columns.
#[test]
fn help_lists_only_the_flags_a_subcommand_takes() {
    let help = |command: &str| {
        let output = ferry(&[command, "--help"]);
        assert!(output.status.success(), "{command} --help");
        let text = stdout(&output);
        for line in text.lines() {
            assert!(line.chars().count() <= 100, "{command}: {line:?}");
        }
        text
    };
    let has = |text: &str, flag: &str| {
        text.contains(&format!(" {flag} ")) || text.contains(&format!(" {flag}\n"))
    };
    let sync = help("sync");
    for heading in [
        "Run:",
        "One-way:",
        "Comparing:",
        "Filters:",
        "Output:",
        "Global options:",
    ] {
        assert!(
            sync.contains(&format!("\n{heading}\n")),
            "sync: {heading}\n{sync}"
        );
    }
    for flag in [
        "--delete",
        "--dry-run",
        "--exclude-from",
        "--jobs",
        "--verbose...",
    ] {
        assert!(has(&sync, flag), "sync offers {flag}\n{sync}");
    }
    assert!(!has(&sync, "--resolve"));

    let bisync = help("bisync");
    assert!(bisync.contains("\nConflicts:\n"), "{bisync}");
    for flag in ["--resolve", "--force", "--dry-run", "--max-delete"] {
        assert!(has(&bisync, flag), "bisync offers {flag}\n{bisync}");
    }
    for flag in ["--delete", "--delete-unmatched"] {
        assert!(
            !has(&bisync, flag),
            "bisync refuses {flag}, so it does not offer it"
        );
    }

    let check = help("check");
    for flag in [
        "--dry-run",
        "--force",
        "--fail-fast",
        "--checkpoint-every",
        "--retries",
    ] {
        assert!(
            !has(&check, flag),
            "check changes nothing: no {flag}\n{check}"
        );
    }
    for flag in ["--delete", "--bisync", "--resolve", "--exclude", "--json"] {
        assert!(has(&check, flag), "check offers {flag}\n{check}");
    }

    let ls = help("ls");
    assert!(ls.contains("\nGlobal options:\n"), "{ls}");
    for flag in ["--delete", "--json", "--exclude"] {
        assert!(!has(&ls, flag), "ls: no {flag}");
    }
    assert!(ls.contains("-v, --verbose..."), "{ls}");
}

/// The man pages: one for every subcommand at any depth (every page a SUBCOMMANDS list names
/// exists), the global options on each, and the sections a man page reader looks for.
#[test]
fn man_pages_name_only_pages_that_exist_and_have_the_usual_sections() {
    let dir = tempfile::tempdir().unwrap();
    let output = ferry(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for page in [
        "ferry.1",
        "ferry-sync.1",
        "ferry-remote-list.1",
        "ferry-state-forget.1",
    ] {
        assert!(pages.contains(&page.to_string()), "{page} in {pages:?}");
    }
    for page in &pages {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap();
        for section in [
            ".SH \"EXIT STATUS\"",
            ".SH ENVIRONMENT",
            ".SH FILES",
            ".SH \"GLOBAL OPTIONS\"",
        ] {
            assert!(text.contains(section), "{page}: {section}");
        }
        for reference in text.split("ferry\\-").skip(1) {
            let Some((name, _)) = reference.split_once("(1)") else {
                continue;
            };
            if name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '\\' || c == '-')
            {
                let file = format!("ferry-{}.1", name.replace("\\-", "-"));
                assert!(
                    pages.contains(&file),
                    "{page} names {file}, which is not generated"
                );
            }
        }
    }
}

/// A dry run prints its lines in the plan's order, the same on every run (with four workers
/// they came in the order the workers finished).
#[test]
fn dry_run_lines_come_in_a_stable_order() {
    let pair = Pair::new();
    for dir in ["a", "b", "c"] {
        for i in 0..40 {
            put(&pair.src, &format!("{dir}/f{i:02}"), b"x");
        }
    }
    let lines = || -> Vec<String> {
        let run = pair.sync(&["--dry-run"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
            .lines()
            .filter(|l| !l.contains(" uploaded, "))
            .map(String::from)
            .collect()
    };
    let first = lines();
    assert_eq!(first.len(), 3 + 120);
    let transfers: Vec<&String> = first.iter().filter(|l| l.contains('↑')).collect();
    let mut sorted = transfers.clone();
    sorted.sort();
    assert_eq!(transfers, sorted, "in path order");
    for _ in 0..9 {
        assert_eq!(lines(), first);
    }
}

/// `--json`: every object carries the schema version (docs/json.md), and a fatal error is an
/// `error` object on stdout too, not only a line on stderr.
#[test]
fn json_objects_carry_the_schema_and_a_fatal_error_is_one_of_them() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"a");
    let run = pair.sync(&["--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let objects: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 2, "{}", run.stdout);
    assert_eq!(objects[0]["event"], "transfer");
    assert_eq!(objects[1]["event"], "summary");
    assert!(objects.iter().all(|o| o["schema"] == 1), "{}", run.stdout);

    let missing = pair.root.path().join("nope");
    let run = pair.ferry(&[
        "sync",
        "--json",
        missing.to_str().unwrap(),
        pair.dst.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    let error: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(error["event"], "error");
    assert_eq!(error["exit_code"], 2);
    assert_eq!(error["schema"], 1);
    assert!(
        error["why"].as_str().unwrap().contains("does not exist"),
        "{error}"
    );
    assert!(run.stderr.starts_with("ferry: error: "), "{}", run.stderr);
}

/// Runs `script` in `shell` (`zsh -f -c` / `fish -c`) with the pair's config and this build's
/// ferry first on the PATH; its stdout.
fn in_shell(pair: &Pair, shell: &str, script: &str) -> String {
    let ferry_dir = ferry_tests::ferry_bin().parent().unwrap().to_path_buf();
    let mut command = std::process::Command::new(shell);
    if shell == "zsh" {
        command.arg("-f");
    }
    let output = command
        .arg("-c")
        .arg(script)
        .env("XDG_CONFIG_HOME", pair.root.path().join("config"))
        .env(
            "PATH",
            format!("{}:{}", ferry_dir.display(), std::env::var("PATH").unwrap()),
        )
        .output()
        .unwrap_or_else(|e| panic!("{shell}: {e} (scripts/install-test-servers.sh installs it)"));
    assert!(
        output.status.success(),
        "{shell}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn pair_with_remotes() -> Pair {
    let pair = Pair::new();
    pair.configure(
        "[remotes.web]\nurl = \"ftp://h.example/\"\n[remotes.backup]\nurl = \"file:///tmp\"\n",
    );
    pair
}

/// Fish completes the remotes (`NAME:`) where a target goes and the bare names after `remote
/// show`, through fish's own `complete -C`, files still offered.
#[test]
fn fish_completion_offers_remote_names() {
    let pair = pair_with_remotes();
    let script = pair.root.path().join("ferry.fish");
    std::fs::write(&script, stdout(&ferry(&["completions", "fish"]))).unwrap();
    let complete = |line: &str| {
        in_shell(
            &pair,
            "fish",
            &format!("source {}; complete -C '{line}'", script.display()),
        )
    };
    assert_eq!(complete("ferry sync we"), "web:\tremote\n");
    assert_eq!(
        complete("ferry remote show "),
        "backup\tremote\nweb\tremote\n"
    );
    let files = complete(&format!("ferry bisync {}/", pair.root.path().display()));
    assert!(files.contains("ferry.fish"), "{files}");
    assert!(!files.contains("web:"), "{files}");
}

/// Zsh: the wrapper around clap's `_ferry` adds the remotes. zsh's completion system cannot run
/// without a terminal, so `compadd` and clap's own `_ferry` are stood in for; what runs is
/// the wrapper as the script defines it, on the words zsh would give it.
#[test]
fn zsh_completion_offers_remote_names() {
    let pair = pair_with_remotes();
    let script = pair.root.path().join("_ferry");
    std::fs::write(&script, stdout(&ferry(&["completions", "zsh"]))).unwrap();
    let complete = |words: &[&str]| {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        in_shell(
            &pair,
            "zsh",
            &format!(
                "compdef() {{ :; }}; source {}; _ferry() {{ :; }}; compadd() {{ print -r -- \"$*\"; }}; \
                 words=({}); CURRENT={}; PREFIX={}; _ferry_with_remotes",
                script.display(),
                quoted.join(" "),
                words.len(),
                quoted.last().unwrap()
            ),
        )
    };
    assert_eq!(complete(&["ferry", "sync", "we"]), "-S  -- backup: web:\n");
    assert_eq!(
        complete(&["ferry", "remote", "show", ""]),
        "-- backup web\n"
    );
    assert_eq!(complete(&["ferry", "sync", "./"]), "");
    assert_eq!(
        complete(&["ferry", ""]),
        "",
        "no remote where a command goes"
    );
    // The script still parses as a whole, autoloaded or sourced.
    in_shell(&pair, "zsh", &format!("zsh -n {}", script.display()));
}

/// Bash completion offers the configured remotes (`NAME:`) where a target goes, read when
/// completing, so a remote added later is offered at once.
#[test]
fn bash_completion_offers_remote_names() {
    let pair = Pair::new();
    pair.configure(
        "[remotes.web]\nurl = \"ftp://h.example/\"\n[remotes.backup]\nurl = \"file:///tmp\"\n",
    );
    let run = pair.ferry(&["remote", "list", "--names"]);
    assert_eq!(run.stdout, "backup\nweb\n");
    let script = stdout(&ferry(&["completions", "bash"]));
    let script_file = pair.root.path().join("ferry.bash");
    std::fs::write(&script_file, script).unwrap();
    let ferry_dir = ferry_tests::ferry_bin().parent().unwrap().to_path_buf();
    let complete = |word: &str| {
        let output = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {}; COMP_WORDS=(ferry sync {word}); COMP_CWORD=2; _ferry_with_remotes ferry '{word}' sync; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                script_file.display()
            ))
            .env("XDG_CONFIG_HOME", pair.root.path().join("config"))
            .env("PATH", format!("{}:{}", ferry_dir.display(), std::env::var("PATH").unwrap()))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    assert_eq!(complete("we"), "web:\n");
    assert!(complete("").contains("backup:\n"), "{}", complete(""));
    assert!(!complete("./").contains("web:"));
}
