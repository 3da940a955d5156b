//! `durability.v1`: batched durability of writes, an extension module of a backend instance.
//!
//! Without it every write a backend acknowledges must already be durable (a local backend
//! fsyncs each file before renaming it into place), because the host may record the write in
//! its durable baseline right after. That costs one disk flush per file. A backend that answers
//! [`NAME`] lets the host batch them instead:
//!
//! 1. The host asks for the module before it writes. Asking is the switch: from then on the
//!    instance may acknowledge a write of a **new** file while its bytes are still in a volatile
//!    cache. A write that replaces an existing file still makes the new bytes durable before
//!    they take the old version's name, so a power cut never leaves neither version.
//! 2. Before the host makes any record of such writes durable (a journal checkpoint, the
//!    compaction at the end of a run) it calls [`DurabilityV1::sync`], which returns once every
//!    write, rename and deletion the instance acknowledged before the call is durable.
//! 3. `close` syncs whatever is left, so a host that stops early loses no bytes either.
//!
//! A host that never asks gets the one-flush-per-file behaviour, so old hosts stay safe.
//! Plugin authors implement [`Durable`] and answer the name with [`extension_for`].

use abi_stable::{prefix_type::PrefixTypeTrait, std_types::RResult, StableAbi};

use crate::{author::guard, BackendError, RawExtension};

/// The name the host asks for.
pub const NAME: &str = "durability.v1";

/// The module: the instance it belongs to and the function that syncs it.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = DurabilityV1Ref)))]
#[sabi(missing_field(panic))]
pub struct DurabilityV1 {
    /// The backend instance, opaque to the host: an address inside the plugin, valid until the
    /// instance is closed and dropped. Held as an integer so the module can cross threads.
    pub instance: usize,
    /// Makes durable everything `instance` acknowledged before the call (see the module docs).
    #[sabi(last_prefix_field)]
    pub sync: extern "C" fn(instance: usize) -> RResult<(), BackendError>,
}

impl DurabilityV1Ref {
    /// Calls the module's `sync` for its instance.
    pub fn sync_instance(self) -> Result<(), BackendError> {
        (self.sync())(self.instance()).into_result()
    }
}

/// What a backend implements to offer `durability.v1`.
pub trait Durable: Send + Sync + 'static {
    /// From now on, new files may be acknowledged before their bytes are durable (called when
    /// the host asks for the module).
    fn defer_durability(&self);

    /// Makes durable everything acknowledged so far.
    fn sync_written(&self) -> Result<(), BackendError>;
}

/// The module for `backend`, to return from `BackendImpl::extension` when asked for [`NAME`];
/// switches `backend` to deferred durability. `backend` must be the instance the host holds
/// (the `&self` of `extension`), which lives at a fixed address until it is dropped.
///
/// The module is leaked: a few bytes, once per instance the host opens for writing.
pub fn extension_for<B: Durable>(backend: &B) -> RawExtension {
    backend.defer_durability();
    let module = DurabilityV1 {
        instance: backend as *const B as usize,
        sync: sync_shim::<B>,
    }
    .leak_into_prefix();
    RawExtension::new(module)
}

extern "C" fn sync_shim<B: Durable>(instance: usize) -> RResult<(), BackendError> {
    guard("sync", "", || {
        // SAFETY: `instance` was made from a `&B` by `extension_for`, and the host calls this
        // only while the instance is open (the contract of the module).
        let backend = unsafe { &*(instance as *const B) };
        backend.sync_written()
    })
}
