//! `ferry bisync LOCAL REMOTE`: two-way sync (sync-semantics §5) with `--resolve`.

use std::{io::IsTerminal, process::ExitCode};

use anyhow::{bail, Result};
use clap::{builder::TypedValueParser, Args};

use super::{
    args::{CompareArgs, FilterArgs, OneWayArgs, OutputArgs, RunArgs, SyncArgs},
    ask::Asker,
    sync, GlobalArgs,
};
use crate::{
    plan::{
        resolve::{Conflict, Decision, Strategy},
        Which,
    },
    report::Summary,
    state::state_dir,
    sync::{run_bisync, SyncOptions},
};

/// Arguments of `ferry bisync`.
#[derive(Debug, Args)]
pub struct BisyncCommand {
    /// The local directory
    pub local: String,
    /// The remote target: a URL or remote:path
    pub remote: String,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub compare: CompareArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub resolve: ResolveArg,
    /// Not offered, but refused with the reason: bisync carries deletions across itself
    #[arg(long, hide = true)]
    pub delete: bool,
    /// Not offered, but refused with the reason
    #[arg(long, hide = true)]
    pub delete_unmatched: bool,
    /// Not offered, but refused with the reason
    #[arg(long, hide = true)]
    pub ignore_existing: bool,
    /// Not offered, but refused with the reason
    #[arg(long, hide = true)]
    pub size_only: bool,
}

impl BisyncCommand {
    /// Its options as every sync command has them (one-way deletions only to be refused).
    fn sync_args(&self) -> SyncArgs {
        SyncArgs {
            run: self.run.clone(),
            one_way: OneWayArgs {
                delete: self.delete,
                delete_unmatched: self.delete_unmatched,
                ignore_existing: self.ignore_existing,
                size_only: self.size_only,
            },
            compare: self.compare.clone(),
            filters: self.filters.clone(),
            output: self.output.clone(),
        }
    }
}

/// `--resolve`, shared by `bisync`, `check --bisync` and `run`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Conflicts")]
pub struct ResolveArg {
    /// How to settle conflicts: skip, ask, local, remote, new, old or keep-both [default: ask on a terminal, skip otherwise]
    #[arg(long, value_name = "STRATEGY", value_parser = clap::builder::PossibleValuesParser::new(Strategy::NAMES).map(|s| s.parse::<Strategy>().expect("listed")))]
    pub resolve: Option<Strategy>,
}

impl ResolveArg {
    /// The strategy of this run: the one given, else `ask` on a terminal and `skip` otherwise.
    /// A dry run never asks.
    pub fn strategy(&self, dry_run: bool) -> Result<Strategy> {
        let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        Ok(match self.resolve {
            Some(Strategy::Ask) if dry_run => Strategy::Skip,
            Some(Strategy::Ask) if !interactive => {
                bail!("--resolve ask needs a terminal; choose another strategy (skip, local, remote, new, old, keep-both)")
            }
            Some(strategy) => strategy,
            None if interactive && !dry_run => Strategy::Ask,
            None => Strategy::Skip,
        })
    }
}

/// Runs `ferry bisync`.
pub fn run(global: &GlobalArgs, command: &BisyncCommand) -> Result<ExitCode> {
    let args = command.sync_args();
    let options = args.options()?;
    let strategy = command.resolve.strategy(options.dry_run)?;
    let summary = run_with(
        global,
        &command.local,
        &command.remote,
        &args,
        options,
        strategy,
    )?;
    Ok(ExitCode::from(summary.exit_code()))
}

/// Runs a bisync with validated options (also what `ferry check --bisync` runs, as a dry run).
pub fn run_with(
    global: &GlobalArgs,
    local: &str,
    remote: &str,
    args: &SyncArgs,
    options: SyncOptions,
    strategy: Strategy,
) -> Result<Summary> {
    if args.one_way.delete || args.one_way.delete_unmatched {
        bail!("bisync always carries deletions across; --delete and --delete-unmatched are for upload, download and sync");
    }
    if args.one_way.ignore_existing {
        bail!("bisync carries edits both ways, so there is no destination whose files to leave alone; --ignore-existing is for upload, download and sync");
    }
    if args.one_way.size_only {
        bail!("bisync must tell which side changed, and an edit that keeps a file's size would pass unseen and be overwritten by the other side's; --size-only is for upload, download and sync");
    }
    let pair = sync::open_pair(global, local, remote, args)?;
    let (local_side, remote_side) = pair.sides();
    let reporter = sync::reporter(global, args);
    let mut asker = Asker::new(&local_side, &remote_side, options.cancel.clone());
    let mut decide = |conflict: &Conflict| match strategy {
        Strategy::Skip => Decision::Skip,
        Strategy::Ask => asker.decide(conflict),
        Strategy::Local => Decision::Take(Which::Source),
        Strategy::Remote => Decision::Take(Which::Destination),
        Strategy::New => Decision::Newer,
        Strategy::Old => Decision::Older,
        Strategy::KeepBoth => Decision::KeepBoth,
    };
    sync::install_interrupt_handler(&options.cancel);
    run_bisync(
        &local_side,
        &remote_side,
        &options,
        &mut decide,
        &state_dir()?,
        reporter.as_ref(),
    )
}
