//! Options shared by every subcommand, defined once so that they mean the same everywhere.

use std::path::PathBuf;

use clap::Args;

use crate::{
    config::Config,
    filter::Filter,
    plugins::{Registry, SearchPath},
    sync::{MaxDelete, SyncOptions},
    target::Target,
};

/// Global options.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Search DIR for backend plugins before the standard directories (repeatable)
    #[arg(long = "plugin-dir", value_name = "DIR", global = true)]
    pub plugin_dirs: Vec<PathBuf>,

    /// Use this backend plugin for URL targets instead of the one the URL scheme picks
    #[arg(long, value_name = "NAME", global = true)]
    pub backend: Option<String>,

    /// Say more: unchanged files in syncs, details of broken plugins (repeat for plugin debug output)
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Read named remotes from FILE instead of ~/.config/ferry/config.toml
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,

    /// FTP active mode: the server connects back to ferry for data (plugins with an `active` option)
    #[arg(long, global = true)]
    pub ftp_active: bool,

    /// Colour the status lines: auto (on a terminal, unless NO_COLOR is set), always or never
    #[arg(long, value_name = "WHEN", default_value = "auto", global = true)]
    pub color: ColorChoice,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Should stdout be coloured?
    pub fn enabled(self) -> bool {
        use std::io::IsTerminal;
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        }
    }
}

impl GlobalArgs {
    /// The plugin registry for this command line.
    pub fn registry(&self) -> Registry {
        Registry::new(SearchPath::from_environment(&self.plugin_dirs))
    }

    /// The configuration file (named remotes).
    pub fn config(&self) -> anyhow::Result<Config> {
        Config::load(self.config.as_deref())
    }

    /// Resolves a target with the global options applied.
    pub fn target(
        &self,
        text: &str,
        registry: &Registry,
        config: &Config,
    ) -> anyhow::Result<Target> {
        let mut target = Target::resolve(text, self.backend.as_deref(), registry, config)?;
        if self.ftp_active {
            target.offer_option("active", toml::Value::Boolean(true));
        }
        Ok(target)
    }
}

/// The options of every sync command (`sync`, `upload`, `download`, `bisync`, `check`), with
/// exsh's names.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Transfer every source file, ignoring the state and conflicts
    #[arg(short, long)]
    pub force: bool,

    /// Remove destination files and empty directories that no longer exist on the source
    #[arg(long)]
    pub delete: bool,

    /// Also delete destination entries that the filters leave out (implies --delete)
    #[arg(long)]
    pub delete_unmatched: bool,

    /// Print what would happen without changing anything (the state included)
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Stop at the first conflict, malformed XML file or failure (the state is saved)
    #[arg(long)]
    pub fail_fast: bool,

    /// Check XML well-formedness before upload even if the destination does not require it
    #[arg(long, conflicts_with = "allow_malformed")]
    pub check_xml: bool,

    /// Never check XML well-formedness
    #[arg(long)]
    pub allow_malformed: bool,

    /// Make the state durable every N completed actions
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_every: u64,

    /// Parallel workers for listing, hashing and transfers
    #[arg(short, long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub jobs: u64,

    /// Retries of a transfer after a transient error
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,

    /// Skip paths matching GLOB (repeatable; without `/` it matches any path segment)
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Only sync files matching GLOB, or below a directory matching it (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Skip the paths matching the patterns in FILE (one a line; `#` starts a comment)
    #[arg(long, value_name = "FILE")]
    pub exclude_from: Vec<PathBuf>,

    /// Only sync what the patterns in FILE match (one a line; `#` starts a comment)
    #[arg(long, value_name = "FILE")]
    pub include_from: Vec<PathBuf>,

    /// Refuse to delete more than N files or P% of the destination (default: 50% once more than 10)
    #[arg(long, value_name = "N|P%")]
    pub max_delete: Option<MaxDelete>,

    /// One JSON object per event on stdout, then a summary object
    #[arg(long, conflicts_with = "quiet")]
    pub json: bool,

    /// Print only problems (conflicts, invalid files, failures)
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Never show the progress bar
    #[arg(long)]
    pub no_progress: bool,
}

impl SyncArgs {
    /// The filters of `--exclude`, `--include` and the pattern files.
    fn filter(&self) -> anyhow::Result<Filter> {
        let mut excludes = self.exclude.clone();
        for file in &self.exclude_from {
            excludes.extend(crate::filter::read_pattern_file(file)?);
        }
        let mut includes = self.include.clone();
        for file in &self.include_from {
            includes.extend(crate::filter::read_pattern_file(file)?);
        }
        Filter::new(&excludes, &includes)
    }

    /// The validated engine options.
    pub fn options(&self) -> anyhow::Result<SyncOptions> {
        Ok(SyncOptions {
            force: self.force,
            delete: self.delete || self.delete_unmatched,
            delete_unmatched: self.delete_unmatched,
            dry_run: self.dry_run,
            fail_fast: self.fail_fast,
            check_xml: self.check_xml,
            allow_malformed: self.allow_malformed,
            jobs: self.jobs as usize,
            retries: self.retries,
            checkpoint_every: self.checkpoint_every as usize,
            max_delete: self.max_delete.unwrap_or_default(),
            filter: self.filter()?,
            cancel: crate::options::Cancel::new(),
        })
    }
}
