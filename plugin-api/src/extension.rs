//! Extension modules: the way the ABI grows inside an epoch without changing the frozen root
//! module. A plugin (or the host) answers a name such as `"copy.v1"` with a [`RawExtension`]: a
//! pointer to a prefix-type module plus that module's type layout. The receiver checks the layout
//! against its own expectation before it touches the module, so a mismatch rejects only that
//! extension, never the plugin.

use abi_stable::{
    abi_stability::check_layout_compatibility,
    prefix_type::{PrefixRef, PrefixRefTrait, WithMetadata_},
    type_layout::TypeLayout,
    StableAbi,
};

/// An extension module as it crosses the boundary: untyped until checked.
#[repr(C)]
#[derive(StableAbi, Copy, Clone)]
pub struct RawExtension {
    #[sabi(unsafe_opaque_field)]
    layout: &'static TypeLayout,
    module: *const (),
}

impl RawExtension {
    /// Wraps a module reference (a `PrefixRef`-based `…_Ref` type) for sending.
    pub fn new<M>(module: M) -> Self
    where
        M: PrefixRefTrait + StableAbi + 'static,
    {
        RawExtension {
            layout: <M as StableAbi>::LAYOUT,
            module: module.to_prefix_ref().to_raw_ptr() as *const (),
        }
    }

    /// Checks that the module has the layout the receiver expects and returns it typed. On a
    /// mismatch the answer is abi_stable's layout report, condensed to its error lines.
    pub fn downcast<M>(self) -> Result<M, String>
    where
        M: PrefixRefTrait + StableAbi + 'static,
    {
        check_layout_compatibility(<M as StableAbi>::LAYOUT, self.layout)
            .into_result()
            .map_err(|errors| crate::condense_layout_error(&errors.to_string()))?;
        // SAFETY: the layout check above proved that the pointee has M's prefix layout.
        let prefix = unsafe {
            PrefixRef::<M::PrefixFields>::from_raw(
                self.module as *const WithMetadata_<M::PrefixFields, M::PrefixFields>,
            )
        };
        Ok(M::from_prefix_ref(prefix))
    }
}
