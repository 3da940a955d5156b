//! The check of `durability.v1` ([`crate::durability`]) for backends that offer it (not applied
//! to the others): the module has the layout this crate expects, and with durability deferred,
//! new files, replacements and renames still read back exactly, before and after `sync`, which
//! succeeds every time.

use super::{ensure, Ctx};
use crate::{
    durability::{DurabilityV1Ref, NAME},
    BackendBox, Capabilities,
};

/// Does `backend` offer the extension? Not applied where it does not (asking switches it on).
pub(super) fn offered(backend: &BackendBox) -> bool {
    backend.extension(NAME.into()).is_some()
}

pub(super) fn deferred_writes_read_back(ctx: &Ctx) -> Result<(), String> {
    let Some(raw) = ctx.backend.extension(NAME.into()).into_option() else {
        return Err(format!("{NAME} was offered, then not"));
    };
    let module = raw
        .downcast::<DurabilityV1Ref>()
        .map_err(|why| format!("{NAME} has another layout: {why}"))?;
    let sync = |when: &str| {
        module
            .sync_instance()
            .map_err(|e| format!("sync {when}: {e:?}"))
    };
    let (new, replaced, moved) = (ctx.path("new"), ctx.path("replaced"), ctx.path("moved"));
    ctx.write(&replaced, b"old version")?;
    sync("after a first write")?;
    ctx.write(&new, b"new file")?;
    ctx.write(&replaced, b"new version")?;
    let renames = ctx.backend.capabilities().contains(Capabilities::RENAME);
    if renames {
        ctx.write(&moved, b"moved over")?;
        ctx.backend
            .rename(moved.as_str().into(), new.as_str().into())
            .into_result()
            .map_err(|e| format!("rename over a deferred file: {e:?}"))?;
    }
    let expected_new: &[u8] = if renames { b"moved over" } else { b"new file" };
    let read_back = |when: &str| -> Result<(), String> {
        ensure(ctx.read(&new)? == expected_new, || {
            format!("{new} is not what was renamed over it ({when})")
        })?;
        ensure(ctx.read(&replaced)? == b"new version", || {
            format!("{replaced} is not the replacement ({when})")
        })
    };
    read_back("before sync")?;
    sync("after deferred writes")?;
    sync("with nothing written")?;
    read_back("after sync")
}
