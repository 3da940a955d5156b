//! The plugins of one command, loaded lazily: a command that needs the `local` backend loads
//! only `libferry_backend_local.so`, so a broken unrelated plugin cannot break it. `ferry plugins`
//! loads them all.
//!
//! A URL scheme goes to the first plugin that declares it, in search-path order (within one
//! directory the plugin named like the scheme first, then by name): a plugin in a `--plugin-dir`
//! overrides an installed one. The [`RegistryCache`] knows each file's schemes, so only the
//! chosen plugin is loaded.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use anyhow::{anyhow, Result};
use ferry_plugin_api::library_file_name;

use super::{
    cache::RegistryCache,
    discovery::{Candidate, SearchPath},
    loader::{load, LoadError, LoadedPlugin},
};

/// Plugins found on one search path, each loaded at most once.
#[derive(Debug)]
pub struct Registry {
    search: SearchPath,
    loaded: Mutex<BTreeMap<String, Arc<LoadedPlugin>>>,
    cache: RegistryCache,
}

impl Registry {
    /// A registry over `search`, without a cache.
    pub fn new(search: SearchPath) -> Self {
        Registry::with_cache(search, RegistryCache::default())
    }

    /// A registry over `search` that consults and updates `cache`.
    pub fn with_cache(search: SearchPath, cache: RegistryCache) -> Self {
        Registry {
            search,
            loaded: Mutex::new(BTreeMap::new()),
            cache,
        }
    }

    /// The directories searched.
    pub fn search_path(&self) -> &SearchPath {
        &self.search
    }

    /// The plugin for backend `name`, loading it if needed.
    pub fn get(&self, name: &str) -> Result<Arc<LoadedPlugin>> {
        if let Some(plugin) = self.loaded.lock().expect("registry lock").get(name) {
            return Ok(plugin.clone());
        }
        let Some(path) = self.search.find(name) else {
            return Err(self.not_found(name));
        };
        let plugin = Arc::new(load(&path, name).map_err(|e| {
            anyhow!("the `{name}` backend plugin cannot be used: {e} (run `ferry plugins -v` for details)")
        })?);
        crate::plugins::host_services::debug(&format!(
            "loaded the {name} plugin ({})",
            path.display()
        ));
        self.cache.remember(&plugin);
        self.loaded
            .lock()
            .expect("registry lock")
            .insert(name.to_string(), plugin.clone());
        Ok(plugin)
    }

    /// The plugin serving URL scheme `scheme`: the first in search-path order that declares it
    /// (within one directory the one named like the scheme's first part — `ftps+implicit` →
    /// `ftps`, `file` → `local` — then by name).
    pub fn for_scheme(&self, scheme: &str) -> Result<Arc<LoadedPlugin>> {
        let scheme = scheme.to_ascii_lowercase();
        let conventional = conventional_name(&scheme);
        let mut first_error = None;
        for candidate in self.in_scheme_order(&conventional) {
            let declares = match self.cache.get(&candidate.path) {
                Some(cached) => cached.schemes.contains(&scheme),
                None => match self.get(&candidate.name) {
                    Ok(plugin) => plugin.serves_scheme(&scheme),
                    Err(e) => {
                        if candidate.name == conventional {
                            first_error.get_or_insert(e);
                        }
                        false
                    }
                },
            };
            if !declares {
                continue;
            }
            match self.get(&candidate.name) {
                // A cache entry can only be wrong about a file replaced in the same instant.
                Ok(plugin) if plugin.serves_scheme(&scheme) => {
                    self.cache.save();
                    return Ok(plugin);
                }
                Ok(_) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        self.cache.save();
        if let Some(error) = first_error {
            return Err(error);
        }
        Err(anyhow!(
            "no backend plugin serves `{scheme}://` URLs (installed: {}); see `ferry plugins`",
            self.installed_names()
        ))
    }

    /// The candidates in the order a scheme is looked for.
    fn in_scheme_order(&self, conventional: &str) -> Vec<Candidate> {
        let mut candidates = self.search.candidates();
        candidates.sort_by(|a, b| {
            (a.rank, a.name != conventional, &a.name).cmp(&(
                b.rank,
                b.name != conventional,
                &b.name,
            ))
        });
        candidates
    }

    /// Schemes that more than one working plugin declares, each with its plugins in the order
    /// [`Registry::for_scheme`] tries them (the first is the one used).
    pub fn scheme_conflicts(
        &self,
        plugins: &[Arc<LoadedPlugin>],
    ) -> BTreeMap<String, Vec<Arc<LoadedPlugin>>> {
        let mut owners: BTreeMap<String, Vec<Arc<LoadedPlugin>>> = BTreeMap::new();
        for plugin in plugins {
            for scheme in plugin.info.url_schemes.iter() {
                owners
                    .entry(scheme.to_ascii_lowercase())
                    .or_default()
                    .push(plugin.clone());
            }
        }
        owners.retain(|_, list| list.len() > 1);
        for (scheme, list) in owners.iter_mut() {
            let order: Vec<String> = self
                .in_scheme_order(&conventional_name(scheme))
                .into_iter()
                .map(|c| c.name)
                .collect();
            list.sort_by_key(|p| order.iter().position(|n| n == p.name()));
        }
        owners
    }

    /// Loads every plugin on the search path: the good ones and one error per broken one.
    pub fn load_all(&self) -> (Vec<Arc<LoadedPlugin>>, Vec<LoadError>) {
        let mut good = Vec::new();
        let mut broken = Vec::new();
        for candidate in self.search.candidates() {
            let cached = self
                .loaded
                .lock()
                .expect("registry lock")
                .get(&candidate.name)
                .cloned();
            match cached
                .map(Ok)
                .unwrap_or_else(|| load(&candidate.path, &candidate.name).map(Arc::new))
            {
                Ok(plugin) => {
                    self.cache.remember(&plugin);
                    self.loaded
                        .lock()
                        .expect("registry lock")
                        .insert(candidate.name.clone(), plugin.clone());
                    good.push(plugin);
                }
                Err(e) => broken.push(e),
            }
        }
        self.cache.save();
        (good, broken)
    }

    fn installed_names(&self) -> String {
        let names: Vec<String> = self
            .search
            .candidates()
            .into_iter()
            .map(|c| c.name)
            .collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    }

    fn not_found(&self, name: &str) -> anyhow::Error {
        let dirs: Vec<String> = self
            .search
            .dirs
            .iter()
            .map(|d| d.path.display().to_string())
            .collect();
        anyhow!(
            "no `{name}` backend plugin found: looked for {} in {}; installed: {}. Run `ferry plugins` to see every plugin and directory",
            library_file_name(name),
            if dirs.is_empty() { "no directory".to_string() } else { dirs.join(", ") },
            self.installed_names()
        )
    }
}

/// The plugin a scheme's name suggests: its first part (`ftps+implicit` → `ftps`), `file` →
/// `local`.
fn conventional_name(scheme: &str) -> String {
    match scheme.split('+').next().unwrap_or(scheme) {
        "file" => "local".to_string(),
        base => base.replace('-', "_"),
    }
}
