//! `ferry check SRC DST [--bisync]`: what `ferry sync` (or `ferry bisync`) would do, as the same
//! lines as `--dry-run`, changing nothing (the state included). Exit 0 when the two sides are in sync, 3 when a sync would
//! change something or finds conflicts, 1 when something could not be checked.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{
    args::{CompareArgs, FilterArgs, OneWayArgs, OutputArgs, SyncArgs},
    sync, GlobalArgs,
};

/// Arguments of `ferry check`.
#[derive(Debug, Args)]
pub struct CheckCommand {
    /// The side a sync would copy from
    pub source: String,
    /// The side a sync would copy to
    pub destination: String,
    /// Compare as `ferry bisync LOCAL REMOTE` would (the first argument is the local side)
    #[arg(long)]
    pub bisync: bool,
    #[command(flatten)]
    pub one_way: OneWayArgs,
    #[command(flatten)]
    pub compare: CompareArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub resolve: super::bisync::ResolveArg,
}

impl CheckCommand {
    /// Its options as every sync command has them, as a dry run.
    fn sync_args(&self) -> SyncArgs {
        let mut args = SyncArgs {
            run: Default::default(),
            one_way: self.one_way.clone(),
            compare: self.compare.clone(),
            filters: self.filters.clone(),
            output: self.output.clone(),
        };
        args.run.dry_run = true;
        args
    }
}

/// Runs `ferry check`.
pub fn run(global: &GlobalArgs, command: &CheckCommand) -> Result<ExitCode> {
    let args = command.sync_args();
    let options = args.options()?;
    let summary = if command.bisync {
        let strategy = command.resolve.strategy(true)?;
        super::bisync::run_with(
            global,
            &command.source,
            &command.destination,
            &args,
            options,
            strategy,
        )?
    } else {
        if command.resolve.resolve.is_some() {
            anyhow::bail!("--resolve applies to bisync: add --bisync");
        }
        sync::run_with(
            global,
            &command.source,
            &command.destination,
            &args,
            options,
        )?
    };
    let pending = summary.transferred()
        + summary.deleted
        + summary.dirs_created
        + summary.conflicts
        + summary.resolved
        + summary.invalid;
    Ok(ExitCode::from(
        if summary.failed > 0 || summary.interrupted {
            summary.exit_code()
        } else if pending > 0 {
            3
        } else {
            0
        },
    ))
}
