//! `ferry sync SRC DST`, `ferry upload LOCAL REMOTE` and `ferry download LOCAL REMOTE`: one-way
//! syncs. `sync` takes the direction from the argument order (exsh); `upload` and `download` take
//! pyftpsync's order (local first) and name the direction.

use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use super::{args::SyncArgs, GlobalArgs};
use crate::{
    plugins::host_services,
    report::{json::JsonReporter, text::TextReporter, Reporter},
    state::state_dir,
    sync::{run_one_way, Side},
};

/// Arguments of `ferry sync`.
#[derive(Debug, Args)]
pub struct SyncCommand {
    /// Where to copy from: a local path, a URL or remote:path
    pub source: String,
    /// Where to copy to
    pub destination: String,
    #[command(flatten)]
    pub options: SyncArgs,
}

/// Arguments of `ferry upload` and `ferry download`.
#[derive(Debug, Args)]
pub struct LocalRemoteCommand {
    /// The local directory
    pub local: String,
    /// The remote target: a URL or remote:path
    pub remote: String,
    #[command(flatten)]
    pub options: SyncArgs,
}

/// Runs a one-way sync from `source` to `destination`.
pub fn run(
    global: &GlobalArgs,
    source: &str,
    destination: &str,
    args: &SyncArgs,
) -> Result<ExitCode> {
    let summary = run_with(global, source, destination, args, args.options()?)?;
    Ok(ExitCode::from(summary.exit_code()))
}

/// Runs a one-way sync with already validated options (also what `ferry check` runs, as a dry run).
pub fn run_with(
    global: &GlobalArgs,
    source: &str,
    destination: &str,
    args: &SyncArgs,
    options: crate::sync::SyncOptions,
) -> Result<crate::report::Summary> {
    let registry = global.registry();
    let config = global.config()?;
    let mut source_target = global.target(source, &registry, &config)?;
    let mut destination_target = global.target(destination, &registry, &config)?;
    for target in [&mut source_target, &mut destination_target] {
        // One connection per worker, unless the remote's configuration says otherwise.
        target.offer_option("connections", toml::Value::Integer(args.jobs as i64));
    }
    if source_target.endpoint_label() == destination_target.endpoint_label() {
        bail!("`{source}` and `{destination}` are the same place");
    }
    let source_backend = source_target.open()?;
    let destination_backend = destination_target.open()?;
    let source_side = Side::new(&source_backend, source_target.endpoint_label());
    let destination_side = Side::new(&destination_backend, destination_target.endpoint_label());
    install_interrupt_handler();
    let reporter: Box<dyn Reporter> = if args.json {
        Box::new(JsonReporter::default())
    } else {
        Box::new(
            TextReporter::new(global.verbose > 0, args.quiet, !args.no_progress)
                .with_color(global.color.enabled()),
        )
    };
    run_one_way(
        &source_side,
        &destination_side,
        &options,
        &state_dir()?,
        reporter.as_ref(),
    )
}

/// The first Ctrl-C (or SIGTERM) asks the run to stop: workers take no new work, the state is
/// saved, and the exit code is 130. A second one exits at once; that is safe too, because every
/// completed action is already in the journal, which the next run replays.
fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        if host_services::is_cancelled() {
            std::process::exit(130);
        }
        host_services::cancel();
        eprintln!("ferry: interrupted: finishing the transfers under way and saving the state (Ctrl-C again stops at once)");
    });
}
