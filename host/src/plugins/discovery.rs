//! The plugin search path, first match wins per backend name:
//!
//! 1. `--plugin-dir DIR` (repeatable), 2. `$FERRY_PLUGIN_PATH` (`:`-separated),
//! 3. `$XDG_DATA_HOME/ferry/plugins-<epoch>` (default `~/.local/share/…`),
//! 4. `<exe dir>/../lib/ferry/plugins-<epoch>` (relocatable installs),
//! 5. the system directory compiled in from `FERRY_SYSTEM_PLUGIN_DIR` (distributions),
//! 6. for a development build (the executable sits in a cargo target directory), the
//!    executable's own directory, where cargo puts the plugin libraries.
//!
//! The current directory and the dynamic linker's path are never searched: a library planted
//! there must not run with the user's rights.

use std::{
    collections::BTreeMap,
    env,
    path::{Path, PathBuf},
};

use ferry_plugin_api::{backend_name_from_file_name, library_file_name, EPOCH};

/// Where a search directory came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchOrigin {
    /// `--plugin-dir`.
    Flag,
    /// `$FERRY_PLUGIN_PATH`.
    Environment,
    /// The user's data directory.
    User,
    /// Relative to the installed executable.
    Prefix,
    /// The distribution's directory, fixed at build time.
    System,
    /// Beside a development build of the executable.
    Development,
}

impl SearchOrigin {
    /// How `ferry plugins` names the origin.
    pub fn label(self) -> &'static str {
        match self {
            SearchOrigin::Flag => "--plugin-dir",
            SearchOrigin::Environment => "$FERRY_PLUGIN_PATH",
            SearchOrigin::User => "user",
            SearchOrigin::Prefix => "install prefix",
            SearchOrigin::System => "system",
            SearchOrigin::Development => "development build",
        }
    }
}

/// One directory of the search path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchDir {
    /// The directory (may not exist).
    pub path: PathBuf,
    /// Why it is searched.
    pub origin: SearchOrigin,
}

/// The ordered list of directories searched for plugins.
#[derive(Clone, Debug, Default)]
pub struct SearchPath {
    /// The directories, highest priority first.
    pub dirs: Vec<SearchDir>,
}

/// A plugin library found on the search path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The backend name from the file name.
    pub name: String,
    /// The library file.
    pub path: PathBuf,
    /// The index of its directory in the search path (0 searched first).
    pub rank: usize,
}

impl SearchPath {
    /// The search path for this process: flags, environment, and the executable's location.
    pub fn from_environment(plugin_dirs: &[PathBuf]) -> Self {
        let mut dirs: Vec<SearchDir> = plugin_dirs
            .iter()
            .map(|p| SearchDir {
                path: p.clone(),
                origin: SearchOrigin::Flag,
            })
            .collect();
        if let Some(value) = env::var_os("FERRY_PLUGIN_PATH") {
            dirs.extend(
                env::split_paths(&value)
                    // Relative entries would make the result depend on the current directory.
                    .filter(|p| p.is_absolute())
                    .map(|path| SearchDir {
                        path,
                        origin: SearchOrigin::Environment,
                    }),
            );
        }
        let data_home = env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")));
        if let Some(data_home) = data_home {
            dirs.push(SearchDir {
                path: data_home.join("ferry").join(epoch_dir_name()),
                origin: SearchOrigin::User,
            });
        }
        let exe_dir = env::current_exe()
            .ok()
            .and_then(|exe| exe.canonicalize().ok())
            .and_then(|exe| exe.parent().map(Path::to_path_buf));
        if let Some(exe_dir) = &exe_dir {
            if let Some(prefix) = exe_dir.parent() {
                dirs.push(SearchDir {
                    path: prefix.join("lib/ferry").join(epoch_dir_name()),
                    origin: SearchOrigin::Prefix,
                });
            }
        }
        // The Makefile exports the variable even when a build leaves it empty: empty is unset.
        if let Some(system) = option_env!("FERRY_SYSTEM_PLUGIN_DIR").filter(|dir| !dir.is_empty()) {
            dirs.push(SearchDir {
                path: PathBuf::from(system),
                origin: SearchOrigin::System,
            });
        }
        if let Some(dev_dir) = exe_dir.as_deref().and_then(cargo_output_dir) {
            dirs.push(SearchDir {
                path: dev_dir,
                origin: SearchOrigin::Development,
            });
        }
        dedup(&mut dirs);
        SearchPath { dirs }
    }

    /// Only the given directories (tests, embedding).
    pub fn only(dirs: impl IntoIterator<Item = PathBuf>) -> Self {
        SearchPath {
            dirs: dirs
                .into_iter()
                .map(|path| SearchDir {
                    path,
                    origin: SearchOrigin::Flag,
                })
                .collect(),
        }
    }

    /// The library for backend `name`: the first directory that has it.
    pub fn find(&self, name: &str) -> Option<PathBuf> {
        let file = library_file_name(name);
        self.dirs
            .iter()
            .map(|d| d.path.join(&file))
            .find(|p| p.is_file())
    }

    /// Every plugin library on the path, one per backend name (the first found wins), sorted by
    /// name.
    pub fn candidates(&self) -> Vec<Candidate> {
        let mut found: BTreeMap<String, (PathBuf, usize)> = BTreeMap::new();
        for (rank, dir) in self.dirs.iter().enumerate() {
            let Ok(read) = std::fs::read_dir(&dir.path) else {
                continue;
            };
            let mut here: Vec<(String, PathBuf)> = read
                .filter_map(Result::ok)
                .filter_map(|item| {
                    let file_name = item.file_name().into_string().ok()?;
                    let name = backend_name_from_file_name(&file_name)?.to_string();
                    Some((name, item.path()))
                })
                .collect();
            here.sort();
            for (name, path) in here {
                found.entry(name).or_insert((path, rank));
            }
        }
        found
            .into_iter()
            .map(|(name, (path, rank))| Candidate { name, path, rank })
            .collect()
    }
}

/// `plugins-<epoch>`, the directory name that lets plugin sets of two epochs sit side by side.
pub fn epoch_dir_name() -> String {
    format!("plugins-{EPOCH}")
}

/// The cargo output directory holding the executable (`target/debug`), if it is one: it has
/// cargo's `.cargo-lock`; for test executables in `target/debug/deps` it is the parent.
fn cargo_output_dir(exe_dir: &Path) -> Option<PathBuf> {
    if exe_dir.join(".cargo-lock").is_file() {
        return Some(exe_dir.to_path_buf());
    }
    let parent = exe_dir.parent()?;
    (exe_dir.file_name()? == "deps" && parent.join(".cargo-lock").is_file())
        .then(|| parent.to_path_buf())
}

fn dedup(dirs: &mut Vec<SearchDir>) {
    let mut seen = Vec::new();
    dirs.retain(|d| {
        let key = d.path.canonicalize().unwrap_or_else(|_| d.path.clone());
        if seen.contains(&key) {
            false
        } else {
            seen.push(key);
            true
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_directory_wins_and_other_files_are_ignored() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for dir in [a.path(), b.path()] {
            std::fs::write(dir.join(library_file_name("x")), b"").unwrap();
        }
        std::fs::write(b.path().join(library_file_name("y")), b"").unwrap();
        std::fs::write(b.path().join("libsomething_else.so"), b"").unwrap();
        let path = SearchPath::only([a.path().to_path_buf(), b.path().to_path_buf()]);
        let names: Vec<_> = path
            .candidates()
            .into_iter()
            .map(|c| (c.name, c.path, c.rank))
            .collect();
        assert_eq!(
            names,
            [
                ("x".to_string(), a.path().join(library_file_name("x")), 0),
                ("y".to_string(), b.path().join(library_file_name("y")), 1)
            ]
        );
        assert_eq!(path.find("y"), Some(b.path().join(library_file_name("y"))));
        assert_eq!(path.find("z"), None);
    }

    #[test]
    fn the_current_directory_is_never_searched() {
        let path = SearchPath::from_environment(&[]);
        let cwd = env::current_dir().unwrap();
        assert!(path
            .dirs
            .iter()
            .all(|d| d.path != cwd && d.path != Path::new(".")));
    }
}
