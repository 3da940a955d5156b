//! Loading one plugin library: dlopen with libloading, then abi_stable's checks (abi_stable
//! version, C ABI self-test, interface version = epoch, full type-layout comparison of the root
//! module), then the plugin's own description, whose name must match the file name.
//!
//! `RootModule::load_from_*` is deliberately not used: it caches one module per type, so a
//! second plugin would silently come back as the first. Libraries are never unloaded
//! (references into them are `'static`).

use std::{
    fmt,
    path::{Path, PathBuf},
};

use abi_stable::library::{
    AbiHeaderRef, LibraryError, RootModule, ROOT_MODULE_LOADER_NAME_WITH_NUL,
};
use ferry_plugin_api::{
    condense_layout_error, BackendBox, BackendError, HostBox, PluginInfo, PluginModuleRef, EPOCH,
};

/// A plugin library that passed every check.
pub struct LoadedPlugin {
    /// The plugin's self-description.
    pub info: PluginInfo,
    /// The library file.
    pub path: PathBuf,
    /// The ABI epoch it was built for (= the host's).
    pub epoch: String,
    module: PluginModuleRef,
}

impl fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("name", &self.info.name)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl LoadedPlugin {
    /// The backend name.
    pub fn name(&self) -> &str {
        self.info.name.as_str()
    }

    /// Opens a backend instance with the given options table.
    pub fn open(&self, options_toml: &str, host: HostBox) -> Result<BackendBox, BackendError> {
        (self.module.open())(options_toml.into(), host).into_result()
    }

    /// Does this plugin serve URL scheme `scheme`?
    pub fn serves_scheme(&self, scheme: &str) -> bool {
        self.info
            .url_schemes
            .iter()
            .any(|s| s.as_str().eq_ignore_ascii_case(scheme))
    }
}

/// Why a library could not be used, as a category.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadFailure {
    /// The file could not be read or is not a loadable shared library.
    Unreadable,
    /// A shared library, but not a ferry plugin.
    NotAPlugin,
    /// Built for another plugin ABI epoch.
    WrongEpoch,
    /// Same epoch, but the ABI types differ (a modified or mismatched plugin-api).
    IncompatibleLayout,
    /// The plugin's description does not match its file name.
    NameMismatch,
    /// The plugin failed while initialising.
    InitFailed,
}

/// A library that failed to load: one line for users, the full story for `-v`.
#[derive(Debug)]
pub struct LoadError {
    /// The library file.
    pub path: PathBuf,
    /// The category.
    pub failure: LoadFailure,
    /// One line saying what is wrong and what to do.
    pub summary: String,
    /// Everything abi_stable said (can be thousands of lines).
    pub detail: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.summary)
    }
}

impl std::error::Error for LoadError {}

/// Loads and checks the plugin library at `path`, which must be the backend `expected_name`.
pub fn load(path: &Path, expected_name: &str) -> Result<LoadedPlugin, LoadError> {
    let fail = |failure, summary: String, detail: String| LoadError {
        path: path.to_path_buf(),
        failure,
        summary,
        detail,
    };
    if let Err(e) = std::fs::File::open(path) {
        return Err(fail(
            LoadFailure::Unreadable,
            format!("cannot be read: {e}"),
            String::new(),
        ));
    }
    // SAFETY: loading a library runs its initialisers; the search path only holds directories
    // the user or the installation chose (never the current directory).
    let library = unsafe { libloading::Library::new(path) }.map_err(|e| {
        let text = e.to_string();
        let reason = text.rsplit(": ").next().unwrap_or(&text).to_string();
        fail(
            LoadFailure::Unreadable,
            format!("not a loadable library ({reason})"),
            text,
        )
    })?;
    // SAFETY: the symbol, if present, is abi_stable's library header static; as abi_stable's
    // own loader does, its address is taken as the `AbiHeaderRef` that starts the header.
    let header: AbiHeaderRef = unsafe {
        match library.get::<AbiHeaderRef>(ROOT_MODULE_LOADER_NAME_WITH_NUL.as_bytes()) {
            Ok(symbol) => *symbol,
            Err(e) => {
                return Err(fail(
                    LoadFailure::NotAPlugin,
                    "not a ferry plugin (it exports no plugin root module)".to_string(),
                    e.to_string(),
                ))
            }
        }
    };
    let lib_header = header.upgrade().map_err(|e| {
        fail(
            LoadFailure::IncompatibleLayout,
            "built with an incompatible abi_stable version; rebuild the plugin against this ferry's plugin API"
                .to_string(),
            e.to_string(),
        )
    })?;
    let consts = lib_header.root_mod_consts();
    if consts.name().as_str() != PluginModuleRef::NAME {
        return Err(fail(
            LoadFailure::NotAPlugin,
            format!(
                "not a ferry plugin (it is an abi_stable library for `{}`)",
                consts.name()
            ),
            String::new(),
        ));
    }
    let plugin_epoch = match consts.version_strings().parsed() {
        Ok(v) if v.major == 0 => format!("0.{}", v.minor),
        Ok(v) => v.major.to_string(),
        Err(e) => {
            return Err(fail(
                LoadFailure::NotAPlugin,
                format!("unreadable plugin API version: {e}"),
                String::new(),
            ))
        }
    };
    if plugin_epoch != EPOCH {
        return Err(fail(
            LoadFailure::WrongEpoch,
            format!(
                "built for plugin API epoch {plugin_epoch}, but this ferry uses epoch {EPOCH}; install the plugin built for {EPOCH} (plugins-{EPOCH} directory) or rebuild it"
            ),
            String::new(),
        ));
    }
    let module = lib_header.init_root_module::<PluginModuleRef>().map_err(|e| match e {
        LibraryError::AbiInstability(report) => {
            let report = report.to_string();
            fail(
                LoadFailure::IncompatibleLayout,
                format!(
                    "built for plugin API {EPOCH} but with an incompatible layout: {}; rebuild the plugin against this ferry's ferry-plugin-api",
                    condense_layout_error(&report)
                ),
                report,
            )
        }
        LibraryError::IncompatibleVersionNumber { expected_version, actual_version, .. } => fail(
            LoadFailure::WrongEpoch,
            format!("built for plugin API {actual_version}, but this ferry uses {expected_version}"),
            String::new(),
        ),
        other => {
            let text = other.to_string();
            fail(LoadFailure::InitFailed, format!("failed to initialise: {}", text.trim()), text)
        }
    })?;
    let info = (module.info())();
    if info.name.as_str() != expected_name {
        let summary = if info.name.is_empty() {
            format!("failed to describe itself: {}", info.description)
        } else {
            format!(
                "calls itself `{}` but the file name says `{expected_name}`",
                info.name
            )
        };
        return Err(fail(LoadFailure::NameMismatch, summary, String::new()));
    }
    // Plugins are never unloaded: the module and everything it returns point into the library.
    std::mem::forget(library);
    Ok(LoadedPlugin {
        info,
        path: path.to_path_buf(),
        epoch: plugin_epoch,
        module,
    })
}
