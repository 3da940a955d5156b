//! The plugins of one command, loaded lazily: a command that needs the `local` backend loads
//! only `libferry_backend_local.so`, so a broken unrelated plugin cannot break it. `ferry plugins`
//! loads them all.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use anyhow::{anyhow, Result};
use ferry_plugin_api::library_file_name;

use super::{
    discovery::SearchPath,
    loader::{load, LoadError, LoadedPlugin},
};

/// Plugins found on one search path, each loaded at most once.
#[derive(Debug)]
pub struct Registry {
    search: SearchPath,
    loaded: Mutex<BTreeMap<String, Arc<LoadedPlugin>>>,
}

impl Registry {
    /// A registry over `search`.
    pub fn new(search: SearchPath) -> Self {
        Registry {
            search,
            loaded: Mutex::new(BTreeMap::new()),
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
        self.loaded
            .lock()
            .expect("registry lock")
            .insert(name.to_string(), plugin.clone());
        Ok(plugin)
    }

    /// The plugin serving URL scheme `scheme`: by convention the one named like the scheme's
    /// first part (`ftps+implicit` → `ftps`, `file` → `local`), else any plugin declaring it.
    pub fn for_scheme(&self, scheme: &str) -> Result<Arc<LoadedPlugin>> {
        let scheme = scheme.to_ascii_lowercase();
        let conventional = match scheme.split('+').next().unwrap_or(&scheme) {
            "file" => "local".to_string(),
            base => base.replace('-', "_"),
        };
        if self.search.find(&conventional).is_some() {
            let plugin = self.get(&conventional)?;
            if plugin.serves_scheme(&scheme) {
                return Ok(plugin);
            }
        }
        let (plugins, _) = self.load_all();
        plugins
            .into_iter()
            .find(|p| p.serves_scheme(&scheme))
            .ok_or_else(|| {
                anyhow!(
                    "no backend plugin serves `{scheme}://` URLs (installed: {}); see `ferry plugins`",
                    self.installed_names()
                )
            })
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
                    self.loaded
                        .lock()
                        .expect("registry lock")
                        .insert(candidate.name.clone(), plugin.clone());
                    good.push(plugin);
                }
                Err(e) => broken.push(e),
            }
        }
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
