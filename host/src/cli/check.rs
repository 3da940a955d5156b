//! `ferry check SRC DST [--bisync]`: what `ferry sync` (or `ferry bisync`) would do, as the same
//! lines as `--dry-run`, changing nothing (the state included). Exit 0 when the two sides are in sync, 3 when a sync would
//! change something or finds conflicts, 1 when something could not be checked.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{args::SyncArgs, sync, GlobalArgs};

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
    pub options: SyncArgs,
    #[command(flatten)]
    pub resolve: super::bisync::ResolveArg,
}

/// Runs `ferry check`.
pub fn run(global: &GlobalArgs, command: &CheckCommand) -> Result<ExitCode> {
    let mut options = command.options.options()?;
    options.dry_run = true;
    let summary = if command.bisync {
        let strategy = command.resolve.strategy(true)?;
        super::bisync::run_with(
            global,
            &command.source,
            &command.destination,
            &command.options,
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
            &command.options,
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
