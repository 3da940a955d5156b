//! The ABI fingerprint: a SHA-256 over the type layouts of everything reachable from the root
//! module, as abi_stable checks them at load time (names, sizes, alignments, fields, variants,
//! function signatures), leaving out what may change within an epoch (source line numbers,
//! package patch versions). `src/abi-fingerprint.txt` records `EPOCH HASH`; a unit test fails when
//! the layout changes while the epoch stays the same, saying what to do.

use std::collections::{BTreeSet, HashSet};

use abi_stable::{type_layout::TypeLayout, StableAbi};
use sha2::{Digest, Sha256};

use crate::PluginModuleRef;

/// Every layout reachable from `root`, rendered without line numbers and versions, sorted.
fn rendered_layouts(root: &'static TypeLayout) -> BTreeSet<String> {
    let mut seen: HashSet<*const TypeLayout> = HashSet::new();
    let mut pending = vec![root];
    let mut rendered = BTreeSet::new();
    while let Some(layout) = pending.pop() {
        if !seen.insert(layout as *const TypeLayout) {
            continue;
        }
        let text: String = layout
            .to_string()
            .split_whitespace()
            .filter(|token| !token.starts_with("line:") && !token.starts_with("version:"))
            .collect::<Vec<_>>()
            .join(" ");
        rendered.insert(text);
        pending.extend(layout.shared_vars().type_layouts().iter().map(|get| get()));
    }
    rendered
}

/// The fingerprint of this build's plugin ABI, lower-case hex.
pub fn abi_fingerprint() -> String {
    let mut hasher = Sha256::new();
    for layout in rendered_layouts(<PluginModuleRef as StableAbi>::LAYOUT) {
        hasher.update(layout.as_bytes());
        hasher.update([0u8]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EPOCH;

    #[test]
    fn the_abi_did_not_change_within_the_epoch() {
        let recorded = include_str!("abi-fingerprint.txt");
        let (epoch, hash) = recorded
            .trim()
            .split_once(' ')
            .expect("`EPOCH HASH` in abi-fingerprint.txt");
        let current = abi_fingerprint();
        assert!(
            epoch == EPOCH,
            "the epoch is now {EPOCH} but plugin-api/src/abi-fingerprint.txt records epoch {epoch}: \
             record the new epoch's layout by writing `{EPOCH} {current}` to that file"
        );
        assert!(
            hash == current,
            "the plugin ABI layout changed, but the epoch is still {EPOCH}.\n\
             Within an epoch nothing reachable from the root module may change layout: plugins built \
             for {EPOCH} would be refused (docs/plugins.md).\n\
             Either revert the change, or add it as an extension module, or bump the epoch: set \
             ferry-plugin-api's version to the next minor (0.N+1.0) and EPOCH to match, then write \
             `<new epoch> {current}` to plugin-api/src/abi-fingerprint.txt (recorded: {hash})."
        );
    }

    #[test]
    fn the_walk_reaches_the_abi_types() {
        let all = rendered_layouts(<PluginModuleRef as StableAbi>::LAYOUT)
            .into_iter()
            .collect::<Vec<_>>()
            .join("\n");
        for name in [
            "PluginModule",
            "Entry",
            "Listing",
            "BackendError",
            "PluginInfo",
            "OptionSpec",
            "RawExtension",
        ] {
            assert!(all.contains(&format!("type:{name}")), "{name} not reached");
        }
    }
}
