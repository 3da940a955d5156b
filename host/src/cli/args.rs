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

/// Global options: every subcommand takes them.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Search DIR for backend plugins before the standard directories (repeatable)
    #[arg(long = "plugin-dir", value_name = "DIR", global = true)]
    pub plugin_dirs: Vec<PathBuf>,

    /// Use this backend plugin for URL targets instead of the one the URL scheme picks
    #[arg(long, value_name = "NAME", global = true)]
    pub backend: Option<String>,

    /// Say more: -v unchanged files and why a plugin is broken; -vv each path's decision; -vvv backend traffic
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Also write the log to FILE (appended, timestamped), at --log-level whatever -v says
    #[arg(long, value_name = "FILE", global = true)]
    pub log_file: Option<PathBuf>,

    /// How much --log-file gets: error, warn, info, debug (each path's decision) or trace (backend traffic)
    #[arg(long, value_name = "LEVEL", default_value = "info", global = true, value_parser = clap::builder::PossibleValuesParser::new(crate::plugins::host_services::LOG_LEVELS))]
    pub log_level: String,

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
        Registry::with_cache(
            SearchPath::from_environment(&self.plugin_dirs),
            crate::plugins::cache::RegistryCache::open(),
        )
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

/// Defaults shared by the flags and by the commands that do not take them.
const DEFAULT_CHECKPOINT_EVERY: u64 = 100;
const DEFAULT_JOBS: u64 = 4;
const DEFAULT_RETRIES: u32 = 3;

/// How a run goes: given to the commands that change things (`sync`, `upload`, `download`,
/// `bisync`, `run`), not to `check`, which changes nothing.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Run")]
pub struct RunArgs {
    /// Transfer every source file, ignoring the state and conflicts
    #[arg(short, long)]
    pub force: bool,

    /// Print what would happen without changing anything (the state included)
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Stop at the first conflict, malformed XML file or failure (the state is saved)
    #[arg(long)]
    pub fail_fast: bool,

    /// Make the state durable every N completed actions
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CHECKPOINT_EVERY, value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_every: u64,

    /// Retries of a transfer after a transient error
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RETRIES)]
    pub retries: u32,

    /// Limit the whole run to RATE bytes per second: 500K, 1M, 2.5M (a bare number is KiB/s)
    #[arg(long, value_name = "RATE", value_parser = parse_bwlimit)]
    pub bwlimit: Option<Bandwidth>,

    /// Keep the files this run would replace or delete in DIR (relative to the root of the side
    /// they are on), at their own path; DIR is left out of the run
    #[arg(long, value_name = "DIR", value_parser = parse_backup_dir)]
    pub backup_dir: Option<String>,
}

fn parse_backup_dir(text: &str) -> Result<String, String> {
    crate::relpath::backup_dir(text)
}

/// A `--bwlimit` value: bytes per second, `None` for no limit (`0`, `off`).
#[derive(Clone, Copy, Debug)]
pub struct Bandwidth(pub Option<u64>);

fn parse_bwlimit(text: &str) -> Result<Bandwidth, String> {
    crate::transfer::bwlimit::parse_rate(text).map(Bandwidth)
}

impl Default for RunArgs {
    fn default() -> Self {
        RunArgs {
            force: false,
            dry_run: false,
            fail_fast: false,
            checkpoint_every: DEFAULT_CHECKPOINT_EVERY,
            retries: DEFAULT_RETRIES,
            bwlimit: None,
            backup_dir: None,
        }
    }
}

/// What only a one-way sync does: `sync`, `upload`, `download`, `check` (bisync carries
/// deletions across by its own rules, and replaces what changed on either side).
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "One-way")]
pub struct OneWayArgs {
    /// Remove destination files and empty directories that no longer exist on the source
    #[arg(long)]
    pub delete: bool,

    /// Also delete destination entries that the filters leave out (implies --delete)
    #[arg(long)]
    pub delete_unmatched: bool,

    /// Never replace a file the destination already has; copy only new files
    #[arg(long)]
    pub ignore_existing: bool,

    /// Skip files whose size is the same on both sides; read no file to compare
    #[arg(long)]
    pub size_only: bool,
}

/// What every sync command compares and checks, and how many workers it uses.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Comparing")]
pub struct CompareArgs {
    /// Check XML well-formedness before upload even if the destination does not require it
    #[arg(long, conflicts_with = "allow_malformed")]
    pub check_xml: bool,

    /// Never check XML well-formedness
    #[arg(long)]
    pub allow_malformed: bool,

    /// Parallel workers for listing, hashing and transfers
    #[arg(short, long, value_name = "N", default_value_t = DEFAULT_JOBS, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub jobs: u64,

    /// Refuse to delete more than N files or P% of the destination (default: 50% once more than 10)
    #[arg(long, value_name = "N|P%")]
    pub max_delete: Option<MaxDelete>,
}

impl Default for CompareArgs {
    fn default() -> Self {
        CompareArgs {
            check_xml: false,
            allow_malformed: false,
            jobs: DEFAULT_JOBS,
            max_delete: None,
        }
    }
}

/// Which paths a sync command looks at.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Skip paths matching GLOB (repeatable; without `/` it matches any path segment, a trailing `/` only directories)
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
}

impl FilterArgs {
    /// The filters of `--exclude`, `--include` and the pattern files.
    pub fn filter(&self) -> anyhow::Result<Filter> {
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
}

/// What a sync command prints.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
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

/// Every option of the sync commands: what `sync`, `upload`, `download` and task files take;
/// `bisync` and `check` take the groups that apply to them and fill in the rest.
#[derive(Clone, Debug, Args)]
#[allow(missing_docs)] // the groups document themselves; a doc comment here would become help text
pub struct SyncArgs {
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub one_way: OneWayArgs,
    #[command(flatten)]
    pub compare: CompareArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

impl SyncArgs {
    /// The validated engine options.
    pub fn options(&self) -> anyhow::Result<SyncOptions> {
        let (run, one_way, compare) = (&self.run, &self.one_way, &self.compare);
        Ok(SyncOptions {
            force: run.force,
            delete: one_way.delete || one_way.delete_unmatched,
            delete_unmatched: one_way.delete_unmatched,
            ignore_existing: one_way.ignore_existing,
            size_only: one_way.size_only,
            backup_dir: run.backup_dir.clone(),
            dry_run: run.dry_run,
            fail_fast: run.fail_fast,
            check_xml: compare.check_xml,
            allow_malformed: compare.allow_malformed,
            jobs: compare.jobs as usize,
            retries: run.retries,
            checkpoint_every: run.checkpoint_every as usize,
            max_delete: compare.max_delete.unwrap_or_default(),
            filter: self.filters.filter()?.hiding(run.backup_dir.as_deref()),
            cancel: crate::options::Cancel::new(),
            bwlimit: run
                .bwlimit
                .and_then(|b| b.0)
                .map(crate::transfer::bwlimit::RateLimit::new),
        })
    }
}
