//! Options shared by every subcommand, defined once so that they mean the same everywhere.

use std::path::PathBuf;

use clap::Args;

use crate::plugins::{Registry, SearchPath};

/// Global options.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Search DIR for backend plugins before the standard directories (repeatable)
    #[arg(long = "plugin-dir", value_name = "DIR", global = true)]
    pub plugin_dirs: Vec<PathBuf>,

    /// Use this backend plugin for URL targets instead of the one the URL scheme picks
    #[arg(long, value_name = "NAME", global = true)]
    pub backend: Option<String>,

    /// Say more (repeat for debug output of plugins)
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

impl GlobalArgs {
    /// The plugin registry for this command line.
    pub fn registry(&self) -> Registry {
        Registry::new(SearchPath::from_environment(&self.plugin_dirs))
    }
}
