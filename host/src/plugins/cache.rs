//! The plugin registry cache (GStreamer keeps one for the same reason): per library file —
//! its size and mtime, the backend name, URL schemes and capabilities — so that finding the
//! plugin for a URL scheme loads only that plugin, not every installed one. An entry is used
//! only while the file's size and mtime are what was recorded; a changed, added or removed file
//! is simply looked at again. The cache only ever saves loading: a plugin is still fully checked
//! by the loader when it is used.
//!
//! It lives in `$XDG_CACHE_HOME/ferry/plugins-<epoch>.json` (default `~/.cache`). A cache that
//! cannot be read is empty; one that cannot be written is not kept.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Mutex,
    time::UNIX_EPOCH,
};

use serde::{Deserialize, Serialize};

use super::{discovery::epoch_dir_name, loader::LoadedPlugin};

/// What the cache knows of one library file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedPlugin {
    /// The file's size when it was loaded.
    pub size: u64,
    /// The file's mtime (ns since the epoch) when it was loaded.
    pub mtime_ns: i128,
    /// The backend name.
    pub name: String,
    /// The URL schemes it serves.
    pub schemes: Vec<String>,
    /// Its capability bits.
    pub capabilities: u64,
}

#[derive(Default, Serialize, Deserialize)]
struct CacheFile {
    plugins: BTreeMap<PathBuf, CachedPlugin>,
}

/// The cache of one process.
#[derive(Debug, Default)]
pub struct RegistryCache {
    file: Option<PathBuf>,
    plugins: Mutex<BTreeMap<PathBuf, CachedPlugin>>,
    changed: Mutex<bool>,
}

impl RegistryCache {
    /// The user's cache, read now.
    pub fn open() -> Self {
        let Some(file) = cache_file() else {
            return RegistryCache::default();
        };
        let plugins = std::fs::read(&file)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<CacheFile>(&bytes).ok())
            .map(|f| f.plugins)
            .unwrap_or_default();
        RegistryCache {
            file: Some(file),
            plugins: Mutex::new(plugins),
            changed: Mutex::new(false),
        }
    }

    /// The cached description of the library at `path`, if the file is as it was then.
    pub fn get(&self, path: &Path) -> Option<CachedPlugin> {
        let (size, mtime_ns) = stamp(path)?;
        self.plugins
            .lock()
            .expect("cache")
            .get(path)
            .filter(|c| c.size == size && c.mtime_ns == mtime_ns)
            .cloned()
    }

    /// Records a plugin that loaded.
    pub fn remember(&self, plugin: &LoadedPlugin) {
        let Some((size, mtime_ns)) = stamp(&plugin.path) else {
            return;
        };
        let entry = CachedPlugin {
            size,
            mtime_ns,
            name: plugin.name().to_string(),
            schemes: plugin
                .info
                .url_schemes
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            capabilities: plugin.info.capabilities.0,
        };
        let mut plugins = self.plugins.lock().expect("cache");
        if plugins.get(&plugin.path) != Some(&entry) {
            plugins.insert(plugin.path.clone(), entry);
            *self.changed.lock().expect("cache") = true;
        }
    }

    /// Writes the cache if it changed (atomically: a temporary file renamed into place).
    pub fn save(&self) {
        let Some(file) = &self.file else {
            return;
        };
        let mut changed = self.changed.lock().expect("cache");
        if !*changed {
            return;
        }
        let mut plugins = self.plugins.lock().expect("cache").clone();
        plugins.retain(|path, _| path.is_file());
        let Ok(bytes) = serde_json::to_vec_pretty(&CacheFile { plugins }) else {
            return;
        };
        let Some(dir) = file.parent() else {
            return;
        };
        let temp = dir.join(format!(".{}.{}", epoch_dir_name(), std::process::id()));
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&temp, bytes))
            .and_then(|()| std::fs::rename(&temp, file));
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        *changed = false;
    }
}

/// `$XDG_CACHE_HOME/ferry/plugins-<epoch>.json`, else under `~/.cache`.
fn cache_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(
        base.join("ferry")
            .join(format!("{}.json", epoch_dir_name())),
    )
}

/// A file's size and mtime.
fn stamp(path: &Path) -> Option<(u64, i128)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some((meta.len(), mtime.as_nanos() as i128))
}
