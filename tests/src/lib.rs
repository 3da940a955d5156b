//! Helpers shared by ferry's integration suites: where the built binaries and plugins are, how to
//! run the `ferry` executable, and how to build fixture plugins outside the workspace (against
//! the real plugin-api or a deliberately altered copy of it).
//!
//! The suites expect `cargo build --workspace` to have run first (`scripts/test.sh` does), so that
//! `target/debug/ferry` and the plugin libraries beside it are current.

pub mod exist;
pub mod proxy;
pub mod scenarios;
pub mod servers;
pub mod sshd;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::Mutex,
};

/// The repository root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The cargo output directory of the current profile (`target/debug`): the test executable runs
/// from its `deps` subdirectory.
pub fn build_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("test exe has a directory");
    deps.parent().expect("deps has a parent").to_path_buf()
}

/// The `ferry` executable under test.
pub fn ferry_bin() -> PathBuf {
    let bin = build_dir().join("ferry");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build --workspace` before the tests (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// The directory holding the workspace's plugin libraries (`libferry_backend_local.so`…).
pub fn workspace_plugin_dir() -> PathBuf {
    let dir = build_dir();
    let local = dir.join(ferry_plugin_api::library_file_name("local"));
    assert!(
        local.is_file(),
        "{} is missing: run `cargo build --workspace` first",
        local.display()
    );
    dir
}

/// Opens the workspace's plugin `name` in this process through the host's loader, with
/// `options`; `label` names the target in its errors.
pub fn open_plugin(
    name: &str,
    options: &toml::Table,
    label: &str,
) -> Result<ferry::backend::Backend, ferry_plugin_api::BackendError> {
    let registry =
        ferry::plugins::Registry::new(ferry::plugins::SearchPath::only([workspace_plugin_dir()]));
    ferry::backend::Backend::open(registry.get(name).unwrap(), options, label)
}

/// Runs `ferry` with `args`, with a clean plugin environment (no `$FERRY_PLUGIN_PATH`, a private
/// `$XDG_DATA_HOME`), and returns its output.
pub fn ferry(args: &[&str]) -> Output {
    ferry_command(args).output().expect("run ferry")
}

/// The `ferry` command with a clean plugin environment, for callers that add more.
pub fn ferry_command(args: &[&str]) -> Command {
    let mut command = Command::new(ferry_bin());
    command
        .args(args)
        .env_remove("FERRY_PLUGIN_PATH")
        .env("XDG_DATA_HOME", build_dir().join("test-xdg-data"))
        .env("NO_COLOR", "1");
    command
}

/// stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// How a fixture plugin's copy of plugin-api is altered before building.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiVariant {
    /// Unchanged: a well-behaved plugin.
    Same,
    /// A field appended to an ABI struct (`Listing`): the layout check must reject it.
    ExtraField,
    /// The crate version bumped to the next epoch (0.2.0).
    NextEpoch,
}

static FIXTURE_BUILD: Mutex<()> = Mutex::new(());

/// Serialises fixture builds across threads and across test processes (they share directories).
fn fixture_lock() -> (std::sync::MutexGuard<'static, ()>, std::fs::File) {
    let guard = FIXTURE_BUILD.lock().unwrap_or_else(|e| e.into_inner());
    std::fs::create_dir_all(build_dir()).unwrap();
    let file = std::fs::File::create(build_dir().join("fixture.lock")).unwrap();
    file.lock().expect("lock fixture builds");
    (guard, file)
}

/// Builds the `testkit` fixture plugin as backend `name` against a copy of plugin-api altered
/// as `variant` says, outside the workspace, and returns the directory holding the library
/// (`target/fixture-plugins/<name>`), which contains nothing else.
pub fn build_fixture_plugin(name: &str, variant: ApiVariant) -> PathBuf {
    let _serial = fixture_lock();
    let root = workspace_root();
    let work = build_dir().join("fixture-src").join(name);
    let api = work.join("plugin-api");
    let plugin = work.join("plugin");
    // Fresh copies: a file moved or deleted in the repository must not linger here.
    for stale in [
        api.join("src"),
        plugin.join("src"),
        work.join("examples/mem-plugin/src"),
    ] {
        let _ = std::fs::remove_dir_all(stale);
    }
    copy_dir(&root.join("plugin-api/src"), &api.join("src"));
    copy_dir(
        &root.join("tests/fixtures/testkit-plugin/src"),
        &plugin.join("src"),
    );
    // The testkit wraps the example plugin's backend; it finds it at ../examples/mem-plugin, and
    // the example finds plugin-api at ../../plugin-api, as in the repository.
    let example = work.join("examples/mem-plugin");
    copy_dir(&root.join("examples/mem-plugin/src"), &example.join("src"));
    std::fs::copy(
        root.join("examples/mem-plugin/Cargo.toml"),
        example.join("Cargo.toml"),
    )
    .unwrap();
    let api_manifest = std::fs::read_to_string(root.join("plugin-api/Cargo.toml")).unwrap();
    // Outside the workspace: every `NAME.workspace = true` becomes the workspace's own line.
    let mut api_manifest: String = api_manifest
        .lines()
        .map(|line| match line.strip_suffix(".workspace = true") {
            Some("edition") => "edition = \"2021\"".to_string(),
            Some("rust-version" | "license" | "repository") => String::new(),
            Some(name) => dependency_line(&root, name),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    match variant {
        ApiVariant::Same => {}
        ApiVariant::ExtraField => {
            let entry = api.join("src/entry.rs");
            let text = std::fs::read_to_string(&entry).unwrap();
            let anchor = "    pub problems: RVec<BackendError>,\n";
            assert!(
                text.contains(anchor),
                "fixture patch anchor missing in entry.rs"
            );
            let patched = text.replacen(
                anchor,
                &format!("{anchor}    /// Added by a fork.\n    pub added_in_a_fork: u64,\n"),
                1,
            );
            std::fs::write(entry, patched).unwrap();
        }
        ApiVariant::NextEpoch => {
            api_manifest = api_manifest.replacen("version = \"0.1.0\"", "version = \"0.2.0\"", 1);
            let lib = api.join("src/lib.rs");
            let text = std::fs::read_to_string(&lib).unwrap();
            std::fs::write(
                lib,
                text.replace(
                    "pub const EPOCH: &str = \"0.1\";",
                    "pub const EPOCH: &str = \"0.2\";",
                ),
            )
            .unwrap();
        }
    }
    std::fs::write(
        api.join("Cargo.toml"),
        format!("{api_manifest}\n[workspace]\n"),
    )
    .unwrap();
    let template =
        std::fs::read_to_string(root.join("tests/fixtures/testkit-plugin/Cargo.toml.in")).unwrap();
    std::fs::write(plugin.join("Cargo.toml"), template.replace("@NAME@", name)).unwrap();
    std::fs::copy(root.join("Cargo.lock"), plugin.join("Cargo.lock")).unwrap();
    let target = build_dir().join("fixture-target");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--offline", "--quiet", "--manifest-path"])
        .arg(plugin.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .status()
        .expect("run cargo");
    assert!(status.success(), "building fixture plugin `{name}` failed");
    let library = ferry_plugin_api::library_file_name(name);
    let out = build_dir().join("fixture-plugins").join(name);
    std::fs::create_dir_all(&out).unwrap();
    // Replaced by a rename, never overwritten in place: a ferry of another test may have the
    // library mapped right now, and rewriting its pages under it kills that process.
    let staged = build_dir()
        .join("fixture-plugins")
        .join(format!(".{name}.{}", std::process::id()));
    std::fs::copy(target.join("debug").join(&library), &staged).unwrap();
    std::fs::rename(&staged, out.join(&library)).unwrap();
    out
}

/// `name = { version = "=X" , default-features = … }` pinned to what the workspace uses.
fn dependency_line(root: &Path, name: &str) -> String {
    let manifest: toml::Table = std::fs::read_to_string(root.join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let spec = &manifest["workspace"]["dependencies"][name];
    format!("{name} = {spec}")
}

/// Copies a directory tree (files only; overwrites).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for item in std::fs::read_dir(from).unwrap() {
        let item = item.unwrap();
        let target = to.join(item.file_name());
        if item.file_type().unwrap().is_dir() {
            copy_dir(&item.path(), &target);
        } else {
            std::fs::copy(item.path(), &target).unwrap();
        }
    }
}

/// A source and a destination directory, a private state directory, and `ferry sync` between
/// them, for the one-way suites.
pub struct Pair {
    /// Holds everything; removed on drop.
    pub root: tempfile::TempDir,
    /// The source tree.
    pub src: PathBuf,
    /// The destination tree.
    pub dst: PathBuf,
}

/// The outcome of one `ferry` run, split for assertions.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Status lines, sorted (workers finish in any order).
    pub lines: Vec<String>,
    /// The summary line without its ` — size in time` tail.
    pub summary: String,
    /// stderr.
    pub stderr: String,
    /// stdout as it came.
    pub stdout: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run::from_output(output)
    }
}

impl Run {
    fn from_output(output: Output) -> Self {
        let out = stdout(&output);
        let mut lines: Vec<String> = out.lines().map(String::from).collect();
        let summary = match lines.last() {
            Some(last) if last.contains(" uploaded, ") => {
                let line = lines.pop().unwrap();
                line.split(" — ").next().unwrap().to_string()
            }
            _ => String::new(),
        };
        lines.sort();
        Run {
            code: output.status.code().unwrap_or(-1),
            lines,
            summary,
            stderr: stderr(&output),
            stdout: out,
        }
    }

    /// Asserts the exit code, the sorted status lines and the summary counts.
    pub fn expect(&self, code: i32, lines: &[&str], summary: &str) {
        let mut expected: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        expected.sort();
        assert_eq!(
            self.lines, expected,
            "status lines; stderr: {}",
            self.stderr
        );
        assert_eq!(self.summary, summary, "summary; stdout: {}", self.stdout);
        assert_eq!(
            self.code, code,
            "exit code; stdout: {} stderr: {}",
            self.stdout, self.stderr
        );
    }
}

impl Default for Pair {
    fn default() -> Self {
        Self::new()
    }
}

impl Pair {
    /// Empty `src/` and `dst/`.
    pub fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let src = root.path().join("src");
        let dst = root.path().join("dst");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::create_dir_all(&dst).unwrap();
        Pair { root, src, dst }
    }

    /// Writes this pair's ferry configuration file (`$XDG_CONFIG_HOME/ferry/config.toml`).
    pub fn configure(&self, toml: &str) {
        let dir = self.root.path().join("config/ferry");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.toml"), toml).unwrap();
    }

    /// The state directory (`$XDG_STATE_HOME/ferry`).
    pub fn state_dir(&self) -> PathBuf {
        self.root.path().join("state/ferry")
    }

    /// The one snapshot in the state directory, parsed, and its path.
    pub fn snapshot(&self) -> (PathBuf, serde_json::Value) {
        let files: Vec<PathBuf> = std::fs::read_dir(self.state_dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
        (files[0].clone(), value)
    }

    /// Rewrites the snapshot as a ferry before BLAKE3 wrote it: format 1, and on `sides` ("a",
    /// "b") the SHA-256 of the file's content in `tree` instead of its BLAKE3 hash.
    pub fn downgrade_snapshot_to_sha256(&self, tree: &Path, sides: &[&str]) {
        use sha2::{Digest, Sha256};
        let (file, mut state) = self.snapshot();
        state["version"] = 1.into();
        for (path, record) in state["records"].as_object_mut().unwrap() {
            if record.get("dir").is_some() {
                continue;
            }
            let content = std::fs::read(tree.join(path)).unwrap();
            let sha256: String = Sha256::digest(&content)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            for side in sides {
                let side = record[*side].as_object_mut().unwrap();
                side.remove("blake3").expect("a BLAKE3 hash");
                side.insert("sha256".into(), sha256.clone().into());
            }
        }
        std::fs::write(&file, serde_json::to_vec(&state).unwrap()).unwrap();
    }

    /// The hash algorithms recorded for `path`'s sides a and b in the snapshot.
    pub fn hash_keys(&self, path: &str) -> [String; 2] {
        let (_, state) = self.snapshot();
        ["a", "b"].map(|side| {
            let keys: Vec<&String> = state["records"][path][side]
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| *k == "sha256" || *k == "blake3")
                .collect();
            assert_eq!(keys.len(), 1, "{path} {side}: {state}");
            keys[0].clone()
        })
    }

    /// Runs `ferry ARGS` with this pair's state and config directories.
    pub fn ferry(&self, args: &[&str]) -> Run {
        Run::from_output(self.command(args).output().expect("run ferry"))
    }

    /// Runs `ferry ARGS` with this pair's directories and the extra environment variables `env`
    /// (testkit faults, another cache).
    pub fn ferry_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = self.command(args);
        command.envs(env.iter().copied());
        Run::from(command.output().expect("run ferry"))
    }

    /// The command `ferry ARGS` with this pair's environment, to add more to.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = ferry_command(args);
        command
            .env("XDG_STATE_HOME", self.root.path().join("state"))
            .env("XDG_CONFIG_HOME", self.root.path().join("config"))
            .env("XDG_CACHE_HOME", self.root.path().join("cache"))
            .env_remove("FERRY_PASSWORD");
        command
    }

    /// How many complete files (not ferry's partial uploads) the destination holds.
    pub fn complete_files(&self) -> usize {
        tree(&self.dst)
            .keys()
            .filter(|k| !k.ends_with('/') && !k.contains(".ferry-part-"))
            .count()
    }

    /// Starts `ferry ARGS` in the background with one extra environment variable (a testkit
    /// fault), its output discarded; killed when the guard is dropped, even if the test fails.
    pub fn spawn_with(&self, args: &[&str], env: (&str, &str)) -> KillOnDrop {
        KillOnDrop(
            self.command(args)
                .env(env.0, env.1)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("start ferry"),
        )
    }

    /// `ferry ARGS` with the FTP test servers' password in `$FERRY_PASSWORD`.
    pub fn ferry_with_password(&self, args: &[&str]) -> Run {
        Run::from(
            self.command(args)
                .env("FERRY_PASSWORD", servers::PASSWORD)
                .output()
                .expect("run ferry"),
        )
    }

    /// `ferry sync EXTRA… src dst`.
    pub fn sync(&self, extra: &[&str]) -> Run {
        let (src, dst) = (self.src.to_str().unwrap(), self.dst.to_str().unwrap());
        self.ferry(&[&["sync"], extra, &[src, dst]].concat())
    }
}

/// A child process that is killed when this guard goes out of scope.
pub struct KillOnDrop(pub std::process::Child);

impl std::ops::Deref for KillOnDrop {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Writes `bytes` to `dir/rel`, creating parents.
pub fn put(dir: &Path, rel: &str, bytes: &[u8]) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Sets the mtime of `dir/rel` to `secs` since the epoch.
pub fn set_mtime(dir: &Path, rel: &str, secs: i64) {
    let file = std::fs::File::options()
        .write(true)
        .open(dir.join(rel))
        .unwrap();
    file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64))
        .unwrap();
}

/// Every file (content) and directory (`name/` → empty) below `dir`, by relative path.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        let Ok(items) = std::fs::read_dir(dir) else {
            return;
        };
        for item in items {
            let Ok(item) = item else { continue };
            let rel = item
                .path()
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if item.file_type().unwrap().is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                walk(base, &item.path(), out);
            } else {
                // A file may vanish while a running ferry renames it into place.
                match std::fs::read(item.path()) {
                    Ok(bytes) => {
                        out.insert(rel, bytes);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => panic!("{rel}: {e}"),
                }
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// `tree` with text contents, for readable assertions.
pub fn text_tree(dir: &Path) -> Vec<(String, String)> {
    tree(dir)
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect()
}

/// Pairs for `text_tree` comparisons.
pub fn entries(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Builds examples/mem-plugin where it stands, as a stranger would (its own workspace, its own
/// lock file taken from ferry's so the build works offline), and returns a fresh directory holding
/// only its library.
pub fn build_example_plugin() -> tempfile::TempDir {
    let _serial = fixture_lock();
    let example = workspace_root().join("examples/mem-plugin");
    std::fs::copy(
        workspace_root().join("Cargo.lock"),
        example.join("Cargo.lock"),
    )
    .unwrap();
    // Its own target directory: the testkit fixture builds the same crate (as a library, without
    // the exported root module) and would overwrite the library in a shared one.
    let target = build_dir().join("example-target");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--offline", "--quiet", "--manifest-path"])
        .arg(example.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("run cargo");
    assert!(status.success(), "building examples/mem-plugin failed");
    let dir = tempfile::tempdir().unwrap();
    let library = ferry_plugin_api::library_file_name("mem");
    std::fs::copy(
        target.join("debug").join(&library),
        dir.path().join(&library),
    )
    .unwrap();
    dir
}

/// The directories above a relative path, nearest first: `a/b/c` → `a/b`, `a`.
pub fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let mut at = path;
    std::iter::from_fn(move || {
        let (parent, _) = at.rsplit_once('/')?;
        at = parent;
        Some(parent)
    })
}

/// `cargo check` of the testkit fixture (as built by [`build_fixture_plugin`] for `name`) with
/// `panic = "abort"`: what an author who sets it sees.
pub fn check_fixture_plugin_with_panic_abort(name: &str) -> Output {
    let _serial = fixture_lock();
    let manifest = build_dir()
        .join("fixture-src")
        .join(name)
        .join("plugin/Cargo.toml");
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["check", "--offline", "--quiet", "--manifest-path"])
        .arg(manifest)
        .env("CARGO_TARGET_DIR", build_dir().join("fixture-abort-target"))
        .env("CARGO_PROFILE_DEV_PANIC", "abort")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo")
}
