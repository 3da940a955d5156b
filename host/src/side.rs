//! One side of a sync: an open backend plus what the pipeline derives from its capabilities —
//! how its changes are detected, and how its directories are called. Nothing here depends on
//! which backend it is.

use ferry_plugin_api::Capabilities;

use crate::backend::Backend;

/// How changes of a side are detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareBy {
    /// By SHA-256 of the content, re-hashed only when (size, mtime) changed: sides without change
    /// tokens, such as local directories.
    Content,
    /// By the backend's version: its change token where it has one, else size and mtime. Sides
    /// that declare `CHANGE_TOKEN` (FTP, eXist): reading them to hash would cost a download.
    Version,
}

/// One side of a sync.
#[derive(Debug)]
pub struct Side<'a> {
    /// The open backend.
    pub backend: &'a Backend,
    /// The endpoint label the baseline is keyed by (`plugin:location`, no secrets).
    pub label: String,
    /// How its changes are detected.
    pub compare: CompareBy,
    /// The label an older ferry keyed the same endpoint by, if it differs: a state found only
    /// under it is taken over.
    pub legacy_label: Option<String>,
}

impl<'a> Side<'a> {
    /// A side over `backend`, labelled for the baseline.
    pub fn new(backend: &'a Backend, label: impl Into<String>) -> Self {
        let compare = if backend.capabilities().contains(Capabilities::CHANGE_TOKEN) {
            CompareBy::Version
        } else {
            CompareBy::Content
        };
        Side {
            backend,
            label: label.into(),
            compare,
            legacy_label: None,
        }
    }

    /// The same side, also known by an older spelling of its label.
    pub fn with_legacy_label(mut self, legacy: String) -> Self {
        if legacy != self.label {
            self.legacy_label = Some(legacy);
        }
        self
    }

    /// The word for a directory on this side (`directory`, or e.g. `collection`), from the
    /// plugin's `directory_noun` info.
    pub fn directory_noun(&self) -> String {
        self.backend
            .plugin()
            .info
            .extra_value("directory_noun")
            .unwrap_or("directory")
            .to_string()
    }

    /// Does the backend have this capability?
    pub fn can(&self, capability: Capabilities) -> bool {
        self.backend.capabilities().contains(capability)
    }
}
