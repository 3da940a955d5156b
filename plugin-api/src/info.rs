//! What a plugin says about itself before it is opened: [`PluginInfo`] and the schema of its
//! options ([`OptionSpec`]), so that `ferry plugins info NAME` and the docs come from one table.

use abi_stable::{
    std_types::{ROption, RString, RVec},
    StableAbi,
};

use crate::{Capabilities, KeyValues};

/// Self-description of a plugin.
#[repr(C)]
#[derive(StableAbi, Clone, Debug)]
pub struct PluginInfo {
    /// The backend's name; must equal `NAME` in the file name `libferry_backend_NAME.so`.
    pub name: RString,
    /// The plugin's own version (not the ABI epoch).
    pub version: RString,
    /// One line for `ferry plugins`.
    pub description: RString,
    /// URL schemes this plugin serves, e.g. `ftp`, `exist+https`.
    pub url_schemes: RVec<RString>,
    /// The capabilities any instance has at most; an open backend may report fewer.
    pub capabilities: Capabilities,
    /// The options `open` accepts.
    pub options: RVec<OptionSpec>,
    /// Anything else (limits such as a maximum path length…), as key/value pairs.
    pub extra: KeyValues,
}

impl PluginInfo {
    /// The names of the options `open` accepts, in declaration order.
    pub fn option_names(&self) -> Vec<&str> {
        self.options.iter().map(|o| o.name.as_str()).collect()
    }

    /// Does `open` accept option `key`?
    pub fn declares(&self, key: &str) -> bool {
        self.options.iter().any(|o| o.name.as_str() == key)
    }

    /// The value of `key` in the `extra` list (`default_port:ftp`, `directory_noun`, `paths`,
    /// `password_prompt`; the plugin author guide lists them), if the plugin gives one.
    pub fn extra_value(&self, key: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|pair| pair.0.as_str() == key)
            .map(|pair| pair.1.as_str())
    }
}

/// The type of an option's value, as a transparent integer.
#[repr(transparent)]
#[derive(StableAbi, Copy, Clone, PartialEq, Eq, Debug)]
pub struct OptionKind(pub u32);

impl OptionKind {
    /// A string.
    pub const STRING: OptionKind = OptionKind(0);
    /// `true` or `false`.
    pub const BOOL: OptionKind = OptionKind(1);
    /// A whole number.
    pub const INTEGER: OptionKind = OptionKind(2);
    /// A path on the local machine.
    pub const PATH: OptionKind = OptionKind(3);
    /// A number of seconds.
    pub const DURATION_SECS: OptionKind = OptionKind(4);

    /// The name shown in `ferry plugins info`.
    pub fn name(self) -> &'static str {
        match self {
            OptionKind::BOOL => "bool",
            OptionKind::INTEGER => "integer",
            OptionKind::PATH => "path",
            OptionKind::DURATION_SECS => "seconds",
            _ => "string",
        }
    }
}

/// One option a plugin accepts in its options table.
#[repr(C)]
#[derive(StableAbi, Clone, Debug)]
pub struct OptionSpec {
    /// The key in the TOML table.
    pub name: RString,
    /// One or two sentences for the user.
    pub help: RString,
    /// The value's type.
    pub kind: OptionKind,
    /// The default, rendered as TOML, if any.
    pub default: ROption<RString>,
    /// Must be given.
    pub required: bool,
    /// A secret (password, token): never shown, logged or stored.
    pub secret: bool,
    /// Anything else, as key/value pairs.
    pub extra: KeyValues,
}

impl OptionSpec {
    /// An optional string option without a default.
    pub fn new(name: &str, kind: OptionKind, help: &str) -> Self {
        OptionSpec {
            name: name.into(),
            help: help.into(),
            kind,
            default: ROption::RNone,
            required: false,
            secret: false,
            extra: RVec::new(),
        }
    }

    /// Sets the default (as TOML text).
    pub fn default_value(mut self, toml: &str) -> Self {
        self.default = ROption::RSome(toml.into());
        self
    }

    /// Marks the option as required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Marks the option as a secret.
    pub fn secret(mut self) -> Self {
        self.secret = true;
        self
    }
}
