//! Writing a plugin in ordinary Rust: implement [`Plugin`] and [`BackendImpl`], then call
//! [`export_plugin!`](crate::export_plugin). The ABI shims live here: [`Guarded`] implements the
//! `Backend` trait object for any [`BackendImpl`] and runs every call inside [`guard`], so a panic
//! in plugin code becomes a `PANICKED` error for that operation instead of ending the host process.

use std::{
    cell::{Cell, RefCell},
    panic::{catch_unwind, AssertUnwindSafe},
    sync::Once,
};

use abi_stable::{
    prefix_type::PrefixTypeTrait,
    sabi_trait::TD_Opaque,
    std_types::{ROption, RResult, RStr, RString},
};

use crate::{
    io::{reader_box, ReaderBoxRead},
    Backend, BackendBox, BackendError, Backend_TO, Capabilities, Entry, ErrorKind, HashAlgo,
    HostBox, Listing, PluginInfo, PluginModule, PluginModuleRef, RawExtension, ReaderBox,
};

/// The name of the static holding the library header: abi_stable's mangled root-module symbol
/// for its 0.11 ABI, spelled out because [`export_plugin!`](crate::export_plugin) cannot call a
/// proc macro through a re-export. A unit test keeps it equal to abi_stable's own constant.
pub const ROOT_MODULE_SYMBOL: &str = "_1as_0lib_1header_0root_bmodule_bloader";

/// A plugin: what it is and how to open one backend instance.
pub trait Plugin: 'static {
    /// The backend type `open` returns.
    type Backend: BackendImpl;

    /// Describes the plugin. `name` must match the library's file name.
    fn info() -> PluginInfo;

    /// Opens a backend from a TOML table of options. The host always sets `location`: the
    /// target as a URL, or an absolute path for local targets. Unknown keys should be refused
    /// with INVALID_CONFIG naming the key.
    fn open(options_toml: &str, host: HostBox) -> Result<Self::Backend, BackendError>;

    /// A plugin-level extension module, by name.
    fn extension(_name: &str) -> Option<RawExtension> {
        None
    }
}

/// A backend in ordinary Rust. The contract of each method is the one documented on the
/// [`Backend`] trait object; operations that are not overridden answer UNSUPPORTED.
pub trait BackendImpl: Send + Sync + 'static {
    /// What this instance can do.
    fn capabilities(&self) -> Capabilities;
    /// See [`Backend::list`].
    fn list(&self, dir: &str) -> Result<Listing, BackendError>;
    /// See [`Backend::stat`].
    fn stat(&self, path: &str) -> Result<Entry, BackendError>;
    /// See [`Backend::open_read`]. I/O errors of the returned reader are converted with
    /// [`BackendError::from_io`], so wrap a `BackendError` in `io::Error` to keep its kind.
    fn open_read(
        &self,
        path: &str,
        offset: u64,
    ) -> Result<Box<dyn std::io::Read + Send>, BackendError>;
    /// See [`Backend::write`]; `path` is never the root (refused before the call). Errors from
    /// `source` are host errors wrapped in `io::Error`;
    /// return them through [`BackendError::from_io`] unchanged.
    fn write(
        &self,
        path: &str,
        source: &mut dyn std::io::Read,
        size: Option<u64>,
        mtime_ns: Option<i64>,
    ) -> Result<Entry, BackendError>;
    /// See [`Backend::delete`].
    fn delete(&self, _path: &str) -> Result<(), BackendError> {
        Err(BackendError::unsupported("delete"))
    }
    /// See [`Backend::mkdir`].
    fn mkdir(&self, _path: &str) -> Result<(), BackendError> {
        Err(BackendError::unsupported("mkdir"))
    }
    /// See [`Backend::rmdir`].
    fn rmdir(&self, _path: &str, _recursive: bool) -> Result<(), BackendError> {
        Err(BackendError::unsupported("rmdir"))
    }
    /// See [`Backend::rename`].
    fn rename(&self, _from: &str, _to: &str) -> Result<(), BackendError> {
        Err(BackendError::unsupported("rename"))
    }
    /// See [`Backend::set_mtime`].
    fn set_mtime(&self, _path: &str, _mtime_ns: i64) -> Result<(), BackendError> {
        Err(BackendError::unsupported("set_mtime"))
    }
    /// See [`Backend::checksum`].
    fn checksum(&self, _path: &str, _algo: HashAlgo) -> Result<String, BackendError> {
        Err(BackendError::unsupported("checksum"))
    }
    /// See [`Backend::extension`].
    fn extension(&self, _name: &str) -> Option<RawExtension> {
        None
    }
    /// See [`Backend::close`].
    fn close(&self) -> Result<(), BackendError> {
        Ok(())
    }
}

/// Wraps a [`BackendImpl`] into the `Backend` trait object, every call guarded.
pub struct Guarded<B>(pub B);

/// Turns a [`BackendImpl`] into the trait object the host uses. Plugins get this through
/// [`export_plugin!`](crate::export_plugin); tests use it to run the conformance suite in-process.
pub fn backend_box<B: BackendImpl>(backend: B) -> BackendBox {
    Backend_TO::from_value(Guarded(backend), TD_Opaque)
}

impl<B: BackendImpl> Backend for Guarded<B> {
    fn capabilities(&self) -> Capabilities {
        guard("capabilities", "", || Ok(self.0.capabilities())).unwrap_or(Capabilities::NONE)
    }

    fn list(&self, dir: RStr<'_>) -> RResult<Listing, BackendError> {
        guard("list", dir.as_str(), || self.0.list(dir.as_str()))
    }

    fn stat(&self, path: RStr<'_>) -> RResult<Entry, BackendError> {
        guard("stat", path.as_str(), || self.0.stat(path.as_str()))
    }

    fn open_read(&self, path: RStr<'_>, offset: u64) -> RResult<ReaderBox, BackendError> {
        guard("open_read", path.as_str(), || {
            let reader = self.0.open_read(path.as_str(), offset)?;
            Ok(reader_box(reader, path.as_str()))
        })
    }

    fn write(
        &self,
        path: RStr<'_>,
        source: ReaderBox,
        size: ROption<u64>,
        mtime_ns: ROption<i64>,
    ) -> RResult<Entry, BackendError> {
        guard("write", path.as_str(), || {
            // Every backend's contract, checked once here rather than in each of them.
            if path.is_empty() {
                return Err(BackendError::new(
                    crate::ErrorKind::INVALID_INPUT,
                    "cannot write to the root itself",
                ));
            }
            let mut source = ReaderBoxRead::new(source);
            self.0.write(
                path.as_str(),
                &mut source,
                size.into_option(),
                mtime_ns.into_option(),
            )
        })
    }

    fn delete(&self, path: RStr<'_>) -> RResult<(), BackendError> {
        guard("delete", path.as_str(), || self.0.delete(path.as_str()))
    }

    fn mkdir(&self, path: RStr<'_>) -> RResult<(), BackendError> {
        guard("mkdir", path.as_str(), || self.0.mkdir(path.as_str()))
    }

    fn rmdir(&self, path: RStr<'_>, recursive: bool) -> RResult<(), BackendError> {
        guard("rmdir", path.as_str(), || {
            self.0.rmdir(path.as_str(), recursive)
        })
    }

    fn rename(&self, from: RStr<'_>, to: RStr<'_>) -> RResult<(), BackendError> {
        guard("rename", from.as_str(), || {
            self.0.rename(from.as_str(), to.as_str())
        })
    }

    fn set_mtime(&self, path: RStr<'_>, mtime_ns: i64) -> RResult<(), BackendError> {
        guard("set_mtime", path.as_str(), || {
            self.0.set_mtime(path.as_str(), mtime_ns)
        })
    }

    fn checksum(&self, path: RStr<'_>, algo: HashAlgo) -> RResult<RString, BackendError> {
        guard("checksum", path.as_str(), || {
            self.0.checksum(path.as_str(), algo).map(RString::from)
        })
    }

    fn extension(&self, name: RStr<'_>) -> ROption<RawExtension> {
        guard("extension", name.as_str(), || {
            Ok(self.0.extension(name.as_str()))
        })
        .unwrap_or(None)
        .into()
    }

    fn close(&self) -> RResult<(), BackendError> {
        guard("close", "", || self.0.close())
    }
}

thread_local! {
    static GUARD_DEPTH: Cell<u32> = const { Cell::new(0) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `body` and turns a panic into a PANICKED error naming the operation, the path, the panic
/// message and its location. The plugin's panic hook stays quiet for panics caught here (the
/// host reports the error once); panics elsewhere go to the previous hook as usual.
pub fn guard<T>(
    operation: &str,
    path: &str,
    body: impl FnOnce() -> Result<T, BackendError>,
) -> RResult<T, BackendError> {
    install_quiet_panic_hook();
    GUARD_DEPTH.with(|d| d.set(d.get() + 1));
    let outcome = catch_unwind(AssertUnwindSafe(body));
    GUARD_DEPTH.with(|d| d.set(d.get() - 1));
    match outcome {
        Ok(result) => result.into(),
        Err(payload) => {
            let detail = LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| panic_payload_text(payload.as_ref()));
            let target = if path.is_empty() {
                String::new()
            } else {
                format!(" of `{path}`")
            };
            let error = BackendError::new(
                ErrorKind::PANICKED,
                format!("the plugin panicked during {operation}{target}: {detail}"),
            )
            .with_context("operation", operation);
            RResult::RErr(if path.is_empty() {
                error
            } else {
                error.with_context("path", path)
            })
        }
    }
}

fn install_quiet_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARD_DEPTH.with(Cell::get) == 0 {
                return previous(info);
            }
            let message = panic_payload_text(info.payload());
            let text = match info.location() {
                Some(at) => format!("{message} (at {}:{})", at.file(), at.line()),
                None => message,
            };
            if cfg!(panic = "abort") {
                // Nothing will catch it: say what happened before the process ends.
                eprintln!("ferry: error: a plugin built with panic = \"abort\" panicked, which ends ferry: {text}");
            }
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
        }));
    });
}

fn panic_payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic with a non-text payload".to_string()
    }
}

/// The panic strategy this crate graph is built with: the plugin's, since plugin-api is compiled
/// into it.
const PANIC_STRATEGY: &str = if cfg!(panic = "abort") {
    "abort"
} else {
    "unwind"
};

extern "C" fn info_shim<P: Plugin>() -> PluginInfo {
    match guard("info", "", || Ok(P::info())) {
        RResult::ROk(mut info) => {
            info.extra.push(abi_stable::std_types::Tuple2(
                crate::loader::PANIC_STRATEGY_KEY.into(),
                PANIC_STRATEGY.into(),
            ));
            info
        }
        // A plugin that cannot even describe itself is reported as nameless; the host refuses
        // it because the name does not match the file name.
        RResult::RErr(error) => PluginInfo {
            name: RString::new(),
            version: RString::new(),
            description: error.message,
            url_schemes: Default::default(),
            capabilities: Capabilities::NONE,
            options: Default::default(),
            extra: Default::default(),
        },
    }
}

extern "C" fn extension_shim<P: Plugin>(name: RStr<'_>) -> ROption<RawExtension> {
    guard("extension", name.as_str(), || {
        Ok(P::extension(name.as_str()))
    })
    .unwrap_or(None)
    .into()
}

extern "C" fn open_shim<P: Plugin>(
    options_toml: RStr<'_>,
    host: HostBox,
) -> RResult<BackendBox, BackendError> {
    guard("open", "", || {
        P::open(options_toml.as_str(), host).map(backend_box)
    })
}

/// Builds the root module for plugin `P` (called once per process by the loader, through
/// [`export_plugin!`](crate::export_plugin)).
pub fn root_module<P: Plugin>() -> PluginModuleRef {
    PluginModule {
        info: info_shim::<P>,
        extension: extension_shim::<P>,
        open: open_shim::<P>,
    }
    .leak_into_prefix()
}

/// Exports a plugin's root module: `ferry_plugin_api::export_plugin!(MyPlugin);` at the crate
/// root of a `cdylib`, where `MyPlugin` implements [`author::Plugin`](crate::author::Plugin).
/// This is what abi_stable's `#[export_root_module]` generates, spelled out so that plugin crates
/// need no direct abi_stable dependency.
///
/// A plugin must unwind on panic (Cargo's default): ferry turns a panic inside a plugin into an
/// error of that one operation, which `panic = "abort"` makes impossible. The macro refuses to
/// compile under `panic = "abort"`, and the loader refuses a library built that way.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[cfg(panic = "abort")]
        compile_error!(
            "ferry plugins must be built with panic = \"unwind\" (Cargo's default): ferry turns a panic in a plugin into an error of one operation, and under panic = \"abort\" it would end ferry instead. Remove `panic = \"abort\"` from this crate's profile."
        );
        #[doc(hidden)]
        #[export_name = "_1as_0lib_1header_0root_bmodule_bloader"]
        pub static FERRY_PLUGIN_LIB_HEADER: $crate::abi_stable::library::LibHeader = {
            extern "C" fn ferry_plugin_root_module_loader(
            ) -> $crate::abi_stable::library::RootModuleResult {
                $crate::abi_stable::library::__call_root_module_loader(|| {
                    $crate::author::root_module::<$plugin>()
                })
            }
            // SAFETY: the constructor returns the root module type the header is declared for.
            unsafe {
                $crate::abi_stable::library::LibHeader::from_constructor::<$crate::PluginModuleRef>(
                    ferry_plugin_root_module_loader,
                    $crate::abi_stable::library::CheckTypeLayout::Yes,
                )
            }
        };
    };
}
