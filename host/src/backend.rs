//! The host's view of an open backend: the plugin's trait object behind ordinary Rust methods
//! that return `Result`, with the capabilities read once. The generic pipeline talks to this type
//! only, never to abi_stable types, and never to a protocol.

use std::{
    fmt,
    io::Read,
    sync::{Arc, OnceLock},
};

use ferry_plugin_api::{
    durability::{self, DurabilityV1Ref},
    io::{reader_box, ReaderBoxRead},
    BackendBox, BackendError, Capabilities, Entry, ErrorKind, HashAlgo, Listing,
};

use crate::plugins::{host_services::HostServices, LoadedPlugin};

/// One open backend instance.
pub struct Backend {
    inner: Arc<BackendBox>,
    plugin: Arc<LoadedPlugin>,
    capabilities: Capabilities,
    label: String,
    /// `durability.v1`, once asked for (`None` inside: the plugin does not offer it).
    durability: OnceLock<Option<DurabilityV1Ref>>,
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backend")
            .field("plugin", &self.plugin.name())
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl Backend {
    /// Opens an instance of `plugin` with `options` (a TOML table). `label` names it in messages
    /// (the target as the user wrote it, without secrets).
    pub fn open(
        plugin: Arc<LoadedPlugin>,
        options: &toml::Table,
        label: &str,
    ) -> Result<Self, BackendError> {
        // Only declared keys reach the plugin: a typo is named here, with what the backend
        // takes, whatever the plugin's own parser would have said.
        if let Some(key) = options.keys().find(|k| !plugin.info.declares(k)) {
            return Err(BackendError::new(
                ErrorKind::INVALID_CONFIG,
                format!(
                    "`{key}` is not an option of the {} backend; it takes: {}",
                    plugin.name(),
                    plugin.info.option_names().join(", ")
                ),
            ));
        }
        let options_toml = toml::to_string(options).map_err(|e| {
            BackendError::new(
                ErrorKind::INVALID_CONFIG,
                format!("cannot encode options: {e}"),
            )
        })?;
        let inner = plugin.open(&options_toml, HostServices::for_plugin(plugin.name()))?;
        let capabilities = inner.capabilities();
        Ok(Backend {
            inner: Arc::new(inner),
            plugin,
            capabilities,
            label: label.to_string(),
            durability: OnceLock::new(),
        })
    }

    /// An instance made in-process (a test's fault-injecting wrapper, an embedder's own
    /// backend), described by `plugin`'s info. `label` names it in messages.
    pub fn from_box(plugin: Arc<LoadedPlugin>, inner: BackendBox, label: &str) -> Self {
        let capabilities = inner.capabilities();
        Backend {
            inner: Arc::new(inner),
            plugin,
            capabilities,
            label: label.to_string(),
            durability: OnceLock::new(),
        }
    }

    /// Lets this instance acknowledge writes before they are durable, as `durability.v1`
    /// allows, where the plugin offers it. From then on nothing that records a write may become
    /// durable before [`Self::sync_deferred`] returned. Returns whether writes are deferred.
    pub fn defer_durability(&self) -> bool {
        self.durability
            .get_or_init(|| {
                let raw = self.inner.extension(durability::NAME.into()).into_option()?;
                match raw.downcast::<DurabilityV1Ref>() {
                    Ok(module) => Some(module),
                    Err(why) => {
                        crate::plugins::host_services::warn(&format!(
                            "{}: the {} plugin's {} does not match this ferry ({why}); every file is flushed on its own",
                            self.label,
                            self.plugin.name(),
                            durability::NAME
                        ));
                        None
                    }
                }
            })
            .is_some()
    }

    /// Makes durable every write this instance acknowledged so far; nothing to do unless
    /// [`Self::defer_durability`] switched deferral on.
    pub fn sync_deferred(&self) -> Result<(), BackendError> {
        match self.durability.get() {
            Some(Some(module)) => module.sync_instance(),
            _ => Ok(()),
        }
    }

    /// The plugin this instance came from.
    pub fn plugin(&self) -> &LoadedPlugin {
        &self.plugin
    }

    /// What the instance can do.
    pub fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    /// The target as shown to the user.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Lists one directory.
    pub fn list(&self, dir: &str) -> Result<Listing, BackendError> {
        self.inner.list(dir.into()).into_result()
    }

    /// A handle that stats and reads files of this instance, owned rather than borrowed: a
    /// copy's source reader goes to the destination's `write`, which takes readers that live on
    /// their own, and may have to open the source again to resume.
    pub fn read_handle(&self) -> ReadHandle {
        ReadHandle {
            inner: self.inner.clone(),
            _plugin: self.plugin.clone(),
        }
    }

    /// Describes one path.
    pub fn stat(&self, path: &str) -> Result<Entry, BackendError> {
        stat(&self.inner, path)
    }

    /// Opens a file for reading from `offset`.
    pub fn open_read(
        &self,
        path: &str,
        offset: u64,
    ) -> Result<impl Read + Send + 'static, BackendError> {
        open_read(&self.inner, path, offset)
    }

    /// Writes a file from `source`, returning the entry as the backend now reports it.
    pub fn write(
        &self,
        path: &str,
        source: impl Read + Send + 'static,
        size: Option<u64>,
        mtime_ns: Option<i64>,
    ) -> Result<Entry, BackendError> {
        let source = reader_box(source, path);
        self.inner
            .write(path.into(), source, size.into(), mtime_ns.into())
            .into_result()
    }

    /// Deletes a file (missing is fine).
    pub fn delete(&self, path: &str) -> Result<(), BackendError> {
        self.inner.delete(path.into()).into_result()
    }

    /// Creates a directory and its parents (existing is fine).
    pub fn mkdir(&self, path: &str) -> Result<(), BackendError> {
        self.inner.mkdir(path.into()).into_result()
    }

    /// Removes a directory, recursively if asked (missing is fine).
    pub fn rmdir(&self, path: &str, recursive: bool) -> Result<(), BackendError> {
        self.inner.rmdir(path.into(), recursive).into_result()
    }

    /// Renames a file or directory.
    pub fn rename(&self, from: &str, to: &str) -> Result<(), BackendError> {
        self.inner.rename(from.into(), to.into()).into_result()
    }

    /// Sets a file's modification time.
    pub fn set_mtime(&self, path: &str, mtime_ns: i64) -> Result<(), BackendError> {
        self.inner.set_mtime(path.into(), mtime_ns).into_result()
    }

    /// Hashes a file on the backend's side.
    pub fn checksum(&self, path: &str, algo: HashAlgo) -> Result<String, BackendError> {
        self.inner
            .checksum(path.into(), algo)
            .into_result()
            .map(|s| s.into_string())
    }

    /// The trait object itself, for the conformance suite.
    pub fn as_box(&self) -> &BackendBox {
        &self.inner
    }
}

/// See [`Backend::read_handle`]. It must not outlive its backend's use: the backend is closed
/// when the [`Backend`] is dropped.
pub struct ReadHandle {
    inner: Arc<BackendBox>,
    // Declared after `inner`, so dropped after it: the plugin's code stays loaded meanwhile.
    _plugin: Arc<LoadedPlugin>,
}

impl ReadHandle {
    /// [`Backend::stat`].
    pub fn stat(&self, path: &str) -> Result<Entry, BackendError> {
        stat(&self.inner, path)
    }

    /// [`Backend::open_read`].
    pub fn open_read(
        &self,
        path: &str,
        offset: u64,
    ) -> Result<impl Read + Send + 'static, BackendError> {
        open_read(&self.inner, path, offset)
    }
}

fn stat(inner: &BackendBox, path: &str) -> Result<Entry, BackendError> {
    inner.stat(path.into()).into_result()
}

fn open_read(inner: &BackendBox, path: &str, offset: u64) -> Result<ReaderBoxRead, BackendError> {
    let reader = inner.open_read(path.into(), offset).into_result()?;
    Ok(ReaderBoxRead::new(reader))
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Err(e) = self.inner.close().into_result() {
            eprintln!("ferry: warning: closing {}: {e}", self.label);
        }
    }
}
