//! Loading one plugin library as ferry does: dlopen with libloading, then abi_stable's checks
//! (abi_stable version, C ABI self-test, interface version = epoch, full type-layout comparison
//! of the root module), then the plugin's own description, whose name must match the file name,
//! and the panic strategy it was built with. The host loads every plugin through here, and
//! [`crate::conformance::check_library`] does too, so an author's test goes through the same
//! checks as a user's run.
//!
//! `RootModule::load_from_*` is deliberately not used: it caches one module per type, so a
//! second plugin would silently come back as the first. Libraries are never unloaded
//! (references into them are `'static`).

use std::{
    fmt,
    path::{Path, PathBuf},
};

use crate::{
    condense_layout_error, BackendBox, BackendError, HostBox, PluginInfo, PluginModuleRef, EPOCH,
};
use abi_stable::library::{
    AbiHeaderRef, LibraryError, RootModule, ROOT_MODULE_LOADER_NAME_WITH_NUL,
};

/// The key of [`PluginInfo::extra`] where [`export_plugin!`](crate::export_plugin) records the
/// panic strategy the plugin was built with (`unwind` or `abort`).
pub const PANIC_STRATEGY_KEY: &str = "ferry.panic-strategy";

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
    /// Built with `panic = "abort"`: a panic in it would end ferry instead of failing one
    /// operation.
    AbortsOnPanic,
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
        let reason = dlopen_reason(&e, path);
        fail(
            LoadFailure::Unreadable,
            format!("not a loadable library: {reason}"),
            error_chain(&e),
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
                    "not a ferry plugin: it exports no plugin root module (a plugin crate calls `ferry_plugin_api::export_plugin!(MyPlugin);` at its root and is built as a cdylib)".to_string(),
                    error_chain(&e),
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
    if panic_strategy(&info) == Some("abort") {
        return Err(fail(
            LoadFailure::AbortsOnPanic,
            "built with panic = \"abort\": a panic in it would end ferry instead of failing one operation; build it with the default panic = \"unwind\"".to_string(),
            String::new(),
        ));
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

/// The panic strategy a plugin recorded in its description, if it did.
pub fn panic_strategy(info: &PluginInfo) -> Option<&str> {
    // The last entry: `export_plugin!` appends it after whatever the plugin itself listed.
    info.extra
        .iter()
        .rev()
        .find(|kv| kv.0.as_str() == PANIC_STRATEGY_KEY)
        .map(|kv| kv.1.as_str())
}

/// Why dlopen refused `path`, in words: the dynamic linker's own reason without the path it
/// repeats, or what the first bytes show.
fn dlopen_reason(error: &libloading::Error, path: &Path) -> String {
    let chain = error_chain(error);
    let last = chain.lines().last().unwrap_or("").trim();
    let path_text = path.display().to_string();
    let reason = last
        .strip_prefix(&format!("{path_text}: "))
        .unwrap_or(last)
        .trim();
    if !reason.is_empty() && reason != "dlopen failed" {
        return reason.to_string();
    }
    let mut head = [0u8; 4];
    let is_elf = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && head == *b"\x7fELF";
    if is_elf {
        "the dynamic linker refused it".to_string()
    } else {
        "it is not a shared library (no ELF header)".to_string()
    }
}

/// An error and its sources, one per line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push('\n');
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use abi_stable::std_types::Tuple2;

    use super::*;
    use crate::Capabilities;

    #[test]
    fn the_panic_strategy_is_the_one_export_plugin_appended() {
        let mut info = PluginInfo {
            name: "x".into(),
            version: "1".into(),
            description: String::new().into(),
            url_schemes: Default::default(),
            capabilities: Capabilities::NONE,
            options: Default::default(),
            extra: Default::default(),
        };
        assert_eq!(panic_strategy(&info), None);
        // A plugin listing its own entry cannot hide the one the macro appends after it.
        info.extra
            .push(Tuple2(PANIC_STRATEGY_KEY.into(), "unwind".into()));
        info.extra
            .push(Tuple2(PANIC_STRATEGY_KEY.into(), "abort".into()));
        assert_eq!(panic_strategy(&info), Some("abort"));
    }
}
