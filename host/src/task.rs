//! `ferry.toml`: named sync tasks for `ferry run`, found in the current directory or any parent
//! (pyftpsync's `pyftpsync.yaml`).
//!
//! ```toml
//! default_task = "site"
//!
//! [tasks.site]
//! command = "bisync"          # sync | upload | download | bisync
//! local = "public"            # relative to this file; default: its directory
//! remote = "ftp://deploy@example.org/www"   # or remote:path, or ./dir, ../dir (relative to this file)
//! resolve = "keep-both"       # any option of the command, by its long name
//! exclude = ["*.tmp", ".git"]
//! ```
//!
//! A task's options become command-line flags placed before the ones typed after `ferry run`, so
//! the command line overrides the file. Unknown keys are errors naming the key and its line.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use anyhow::{anyhow, bail, Context, Result};

/// The file name searched for.
pub const FILE_NAME: &str = "ferry.toml";

/// The commands a task can run.
pub const COMMANDS: [&str; 4] = ["sync", "upload", "download", "bisync"];

/// One task, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    /// Its name.
    pub name: String,
    /// `sync`, `upload`, `download` or `bisync`.
    pub command: String,
    /// The local directory, absolute.
    pub local: PathBuf,
    /// The remote target as written.
    pub remote: String,
    /// `here = true` / `root = true` in the file.
    pub here: bool,
    /// See `here`.
    pub root: bool,
    /// Every other key as command-line flags (`--exclude=*.tmp`, `--dry-run`).
    pub flags: Vec<String>,
}

/// A parsed `ferry.toml`.
#[derive(Debug)]
pub struct TaskFile {
    /// Where it was found.
    pub path: PathBuf,
    text: String,
    table: toml::Table,
}

impl TaskFile {
    /// Finds `ferry.toml` in `start` or the nearest parent holding one.
    pub fn find(start: &Path) -> Result<TaskFile> {
        let mut dir = Some(start);
        while let Some(at) = dir {
            let candidate = at.join(FILE_NAME);
            if candidate.is_file() {
                return TaskFile::load(&candidate);
            }
            dir = at.parent();
        }
        bail!(
            "no {FILE_NAME} in {} or any parent directory",
            start.display()
        )
    }

    /// Reads and parses one file.
    pub fn load(path: &Path) -> Result<TaskFile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let table: toml::Table = text
            .parse()
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        let file = TaskFile {
            path: path.to_path_buf(),
            text,
            table,
        };
        for key in file.table.keys() {
            if key != "default_task" && key != "tasks" {
                bail!(
                    "{}:{}: unknown key `{key}` (expected default_task or [tasks.NAME])",
                    file.path.display(),
                    file.line_of(None, key)
                );
            }
        }
        Ok(file)
    }

    /// The directory the file is in (the project root).
    pub fn root(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The names of the tasks.
    pub fn task_names(&self) -> Vec<String> {
        self.tasks()
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn tasks(&self) -> Option<&toml::Table> {
        self.table.get("tasks").and_then(toml::Value::as_table)
    }

    /// The line (1-based) where `key` is set, in `[tasks.TASK]` or at the top.
    fn line_of(&self, task: Option<&str>, key: &str) -> usize {
        let mut in_section = task.is_none();
        for (index, line) in self.text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.starts_with('[') {
                let header = trimmed.trim_matches(|c| c == '[' || c == ']').trim();
                in_section = task.is_some_and(|t| {
                    header == format!("tasks.{t}") || header == format!("tasks.\"{t}\"")
                });
                continue;
            }
            if in_section {
                let name = trimmed
                    .split('=')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches('"');
                if name == key {
                    return index + 1;
                }
            }
        }
        0
    }

    /// The task `name`, or the default task. `known_flags` are the long options a task may set.
    pub fn task(&self, name: Option<&str>, known_flags: &BTreeSet<String>) -> Result<Task> {
        let file = self.path.display();
        let name = match name {
            Some(name) => name.to_string(),
            None => match self.table.get("default_task") {
                Some(toml::Value::String(name)) => name.clone(),
                Some(_) => bail!(
                    "{file}:{}: default_task must be a task name",
                    self.line_of(None, "default_task")
                ),
                None => bail!(
                    "{file}: no task given and no default_task; tasks: {}",
                    self.task_names().join(", ")
                ),
            },
        };
        let Some(toml::Value::Table(table)) = self.tasks().and_then(|t| t.get(&name)) else {
            bail!(
                "{file}: no task `{name}`; tasks: {}",
                self.task_names().join(", ")
            );
        };
        let at = |key: &str| format!("{file}:{}", self.line_of(Some(&name), key));
        let string = |key: &str| -> Result<Option<String>> {
            match table.get(key) {
                None => Ok(None),
                Some(toml::Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => bail!("{}: `{key}` must be a string", at(key)),
            }
        };
        let boolean = |key: &str| -> Result<bool> {
            match table.get(key) {
                None => Ok(false),
                Some(toml::Value::Boolean(b)) => Ok(*b),
                Some(_) => bail!("{}: `{key}` must be true or false", at(key)),
            }
        };
        let command = string("command")?.ok_or_else(|| {
            anyhow!(
                "{file}: task `{name}` has no `command` ({})",
                COMMANDS.join(", ")
            )
        })?;
        if !COMMANDS.contains(&command.as_str()) {
            bail!(
                "{}: unknown command `{command}` (expected {})",
                at("command"),
                COMMANDS.join(", ")
            );
        }
        let mut remote =
            string("remote")?.ok_or_else(|| anyhow!("{file}: task `{name}` has no `remote`"))?;
        if remote.starts_with("./") || remote.starts_with("../") {
            // A local remote is relative to the file, like `local`.
            remote = self.root().join(&remote).to_string_lossy().into_owned();
        }
        let local = match string("local")? {
            Some(local) => self.root().join(local),
            None => self.root().to_path_buf(),
        };
        let mut flags = Vec::new();
        for (key, value) in table {
            if matches!(
                key.as_str(),
                "command" | "remote" | "local" | "here" | "root"
            ) {
                continue;
            }
            let long = key.replace('_', "-");
            if !known_flags.contains(&long) {
                bail!("{}: unknown key `{key}` in [tasks.{name}]", at(key));
            }
            let mut push = |value: &toml::Value| -> Result<()> {
                match value {
                    toml::Value::Boolean(true) => flags.push(format!("--{long}")),
                    toml::Value::Boolean(false) => {}
                    toml::Value::String(s) => flags.push(format!("--{long}={s}")),
                    toml::Value::Integer(n) => flags.push(format!("--{long}={n}")),
                    _ => bail!(
                        "{}: `{key}` must be a string, number, boolean or list",
                        at(key)
                    ),
                }
                Ok(())
            };
            match value {
                toml::Value::Array(items) => items.iter().try_for_each(&mut push)?,
                other => push(other)?,
            }
        }
        if command == "bisync"
            && (table.contains_key("delete") || table.contains_key("delete_unmatched"))
        {
            bail!("{}: bisync carries deletions across by itself; `delete` is for upload, download and sync", at("delete"));
        }
        Ok(Task {
            name: name.clone(),
            command,
            local,
            remote,
            here: boolean("here")?,
            root: boolean("root")?,
            flags,
        })
    }
}

/// The remote of `task` narrowed to the part of the tree under `cwd` (`--here`): the offset of
/// `cwd` below the task's local directory is appended to both sides.
pub fn narrow_to(task: &Task, cwd: &Path) -> Result<(PathBuf, String)> {
    let offset = cwd.strip_prefix(&task.local).map_err(|_| {
        anyhow!(
            "--here: {} is not inside the task's local directory {}",
            cwd.display(),
            task.local.display()
        )
    })?;
    let mut remote = task.remote.trim_end_matches('/').to_string();
    for part in offset.components() {
        remote.push('/');
        remote.push_str(&part.as_os_str().to_string_lossy());
    }
    Ok((cwd.to_path_buf(), remote))
}

/// Lists the tasks of the file for an error message or `ferry run --list`.
pub fn describe(file: &TaskFile) -> BTreeMap<String, String> {
    file.tasks()
        .map(|tasks| {
            tasks
                .iter()
                .map(|(name, t)| {
                    let get = |k: &str| t.get(k).and_then(toml::Value::as_str).unwrap_or("?");
                    (
                        name.clone(),
                        format!("{} → {}", get("command"), get("remote")),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> BTreeSet<String> {
        ["exclude", "dry-run", "resolve", "jobs"]
            .map(String::from)
            .into_iter()
            .collect()
    }

    fn file(text: &str) -> (tempfile::TempDir, Result<TaskFile>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), text).unwrap();
        let file = TaskFile::find(dir.path());
        (dir, file)
    }

    #[test]
    fn a_task_becomes_flags() {
        let (dir, file) = file(
            "default_task = \"site\"\n[tasks.site]\ncommand = \"bisync\"\nlocal = \"public\"\nremote = \"ftp://h/www\"\nexclude = [\"*.tmp\", \".git\"]\ndry_run = true\njobs = 2\n",
        );
        let task = file.unwrap().task(None, &known()).unwrap();
        assert_eq!(task.command, "bisync");
        assert_eq!(task.local, dir.path().join("public"));
        assert_eq!(
            task.flags,
            ["--dry-run", "--exclude=*.tmp", "--exclude=.git", "--jobs=2"]
        );
        let (local, remote) = narrow_to(&task, &dir.path().join("public/a/b")).unwrap();
        assert_eq!(local, dir.path().join("public/a/b"));
        assert_eq!(remote, "ftp://h/www/a/b");
    }

    #[test]
    fn unknown_keys_name_the_key_and_line() {
        let (_dir, parsed) =
            file("[tasks.site]\ncommand = \"sync\"\nremote = \"r:x\"\n\nfrobnicate = 1\n");
        let error = parsed
            .unwrap()
            .task(Some("site"), &known())
            .unwrap_err()
            .to_string();
        assert!(
            error.ends_with(":5: unknown key `frobnicate` in [tasks.site]"),
            "{error}"
        );
        let (_dir, parsed) = file("colour = 1\n");
        let error = parsed.unwrap_err().to_string();
        assert!(error.contains(":1: unknown key `colour`"), "{error}");
    }

    #[test]
    fn missing_and_bad_tasks_are_explained() {
        let (_dir, file) = file("[tasks.a]\ncommand = \"mirror\"\nremote = \"x\"\n");
        let file = file.unwrap();
        assert!(file
            .task(Some("b"), &known())
            .unwrap_err()
            .to_string()
            .contains("no task `b`; tasks: a"));
        assert!(file
            .task(None, &known())
            .unwrap_err()
            .to_string()
            .contains("no default_task"));
        assert!(file
            .task(Some("a"), &known())
            .unwrap_err()
            .to_string()
            .contains(":2: unknown command `mirror`"));
    }
}
