//! The check that every declared capability has its method behind it: a capability bit is a
//! promise the host plans with ("this backend can rename"), so a bit whose method still answers
//! UNSUPPORTED breaks runs halfway instead of being planned around.

use abi_stable::std_types::RResult;

use super::{Ctx, ErrorKind};
use crate::{BackendError, Capabilities, HashAlgo};

/// A call of one capability's method.
type Probe<'a> = Box<dyn Fn() -> Result<(), BackendError> + 'a>;

/// Calls the method of every declared capability that has one, on a path that does not exist
/// (or, for `write` and `mkdir`, on a fresh one); any UNSUPPORTED answer fails the check. Other
/// errors are left to the checks of each operation.
pub(super) fn declared_capabilities_answer(ctx: &Ctx) -> Result<(), String> {
    let backend = ctx.backend;
    let missing = ctx.path("no-such-entry");
    let other = ctx.path("no-such-entry-either");
    let unit = |result: RResult<(), BackendError>| result.into_result();
    let probes: Vec<(Capabilities, Probe)> = vec![
        (
            Capabilities::LIST,
            Box::new(|| {
                backend
                    .list(missing.as_str().into())
                    .into_result()
                    .map(drop)
            }),
        ),
        (
            Capabilities::STAT,
            Box::new(|| {
                backend
                    .stat(missing.as_str().into())
                    .into_result()
                    .map(drop)
            }),
        ),
        (
            Capabilities::READ,
            Box::new(|| {
                backend
                    .open_read(missing.as_str().into(), 0)
                    .into_result()
                    .map(drop)
            }),
        ),
        (
            Capabilities::READ_OFFSET,
            Box::new(|| {
                backend
                    .open_read(missing.as_str().into(), 1)
                    .into_result()
                    .map(drop)
            }),
        ),
        (
            Capabilities::WRITE,
            Box::new(|| {
                ctx.write_from(&ctx.path("written"), &b"x"[..], Some(1), None)
                    .map(drop)
            }),
        ),
        (
            Capabilities::SET_MTIME,
            Box::new(|| unit(backend.set_mtime(missing.as_str().into(), 0))),
        ),
        (
            Capabilities::DELETE,
            Box::new(|| unit(backend.delete(missing.as_str().into()))),
        ),
        (
            Capabilities::MKDIR,
            Box::new(|| unit(backend.mkdir(ctx.path("made").as_str().into()))),
        ),
        (
            Capabilities::RMDIR,
            Box::new(|| unit(backend.rmdir(missing.as_str().into(), false))),
        ),
        (
            Capabilities::RENAME,
            Box::new(|| unit(backend.rename(missing.as_str().into(), other.as_str().into()))),
        ),
        (
            Capabilities::CHECKSUM_SHA256,
            Box::new(|| {
                backend
                    .checksum(missing.as_str().into(), HashAlgo::SHA256)
                    .into_result()
                    .map(drop)
            }),
        ),
        (
            Capabilities::CHECKSUM_MD5,
            Box::new(|| {
                backend
                    .checksum(missing.as_str().into(), HashAlgo::MD5)
                    .into_result()
                    .map(drop)
            }),
        ),
    ];
    let mut hollow = Vec::new();
    for (capability, probe) in &probes {
        if !ctx.caps.contains(*capability) {
            continue;
        }
        if let Err(e) = probe() {
            if e.kind == ErrorKind::UNSUPPORTED {
                hollow.push(format!("{capability} ({})", e.message));
            }
        }
    }
    if ctx.caps.contains(Capabilities::RMDIR) {
        let _ = backend.rmdir(ctx.dir.as_str().into(), true);
    }
    if hollow.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "declared but answering UNSUPPORTED: {}; drop the capability or implement the method",
            hollow.join(", ")
        ))
    }
}
