//! The root module every plugin library exports: the single entry point the host loads and
//! layout-checks. Its type graph is frozen for the whole epoch.

use abi_stable::{
    declare_root_module_statics,
    library::RootModule,
    package_version_strings,
    sabi_types::VersionStrings,
    std_types::{ROption, RResult, RStr},
    StableAbi,
};

use crate::{BackendBox, BackendError, HostBox, PluginInfo, RawExtension};

/// The root module of a backend plugin.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModuleRef)))]
#[sabi(missing_field(panic))]
pub struct PluginModule {
    /// Describes the plugin: name, version, schemes, capabilities, options.
    pub info: extern "C" fn() -> PluginInfo,
    /// Looks up a named plugin-level extension module.
    pub extension: extern "C" fn(name: RStr<'_>) -> ROption<RawExtension>,
    /// Opens a backend instance from a TOML table of options (see the plugin's option schema;
    /// the host always sets `location`, the target as a URL or, for local paths, an absolute
    /// path).
    #[sabi(last_prefix_field)]
    pub open:
        extern "C" fn(options_toml: RStr<'_>, host: HostBox) -> RResult<BackendBox, BackendError>,
}

impl RootModule for PluginModuleRef {
    declare_root_module_statics! {PluginModuleRef}
    const BASE_NAME: &'static str = "ferry_backend";
    const NAME: &'static str = "ferry backend plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}
