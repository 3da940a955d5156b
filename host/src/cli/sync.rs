//! `ferry sync SRC DST`, `ferry upload LOCAL REMOTE` and `ferry download LOCAL REMOTE`: one-way
//! syncs. `sync` takes the direction from the argument order (exsh); `upload` and `download` take
//! pyftpsync's order (local first) and name the direction.

use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;

use super::{args::SyncArgs, GlobalArgs};
use crate::{
    backend::Backend,
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
    let pair = open_pair(global, source, destination, args)?;
    let (source_side, destination_side) = pair.sides();
    let reporter = reporter(global, args);
    install_interrupt_handler(&options.cancel);
    run_one_way(
        &source_side,
        &destination_side,
        &options,
        &state_dir()?,
        reporter.as_ref(),
    )
}

/// The two open backends of a run with their baseline labels.
pub struct OpenPair {
    first: Backend,
    first_identity: crate::target::Identity,
    second: Backend,
    second_identity: crate::target::Identity,
}

impl OpenPair {
    /// The two sides, in the order they were given.
    pub fn sides(&self) -> (Side<'_>, Side<'_>) {
        let side = |backend, identity: &crate::target::Identity| {
            Side::new(backend, identity.label()).with_legacy_label(identity.legacy_label.clone())
        };
        (
            side(&self.first, &self.first_identity),
            side(&self.second, &self.second_identity),
        )
    }
}

/// Resolves and opens both targets of a run (one connection per worker unless the remote's
/// configuration says otherwise); refuses a pair that is one place, or one inside the other,
/// before anything is opened.
pub fn open_pair(
    global: &GlobalArgs,
    first: &str,
    second: &str,
    args: &SyncArgs,
) -> Result<OpenPair> {
    let registry = global.registry();
    let config = global.config()?;
    let mut first_target = global.target(first, &registry, &config)?;
    let mut second_target = global.target(second, &registry, &config)?;
    for target in [&mut first_target, &mut second_target] {
        target.offer_option(
            "connections",
            toml::Value::Integer(args.compare.jobs as i64),
        );
    }
    crate::target::identity::refuse_overlap(
        (&first_target.identity, first),
        (&second_target.identity, second),
    )?;
    Ok(OpenPair {
        first: first_target.open()?,
        first_identity: first_target.identity,
        second: second_target.open()?,
        second_identity: second_target.identity,
    })
}

/// `upload LOCAL REMOTE` / `download LOCAL REMOTE`: LOCAL must be a local path, or the run would
/// go the other way round from what the command says (and `--delete` would delete there).
pub fn check_local_first(command: &str, local: &str, remote: &str) -> Result<()> {
    let is_url = local.contains("://") && !local.to_ascii_lowercase().starts_with("file://");
    let is_remote = !is_url
        && local
            .split_once(':')
            .is_some_and(|(name, _)| crate::config::valid_remote_name(name))
        && !std::path::Path::new(local).exists();
    if is_url || is_remote {
        let (local, remote) = (
            crate::target::redact_password(local),
            crate::target::redact_password(remote),
        );
        let other = if command == "upload" {
            "download"
        } else {
            "upload"
        };
        bail!(
            "`ferry {command} LOCAL REMOTE` takes the local directory first, but `{local}` is not a local path; nothing was changed. Did you mean: ferry {command} {remote} {local} (or ferry {other} {remote} {local})?"
        );
    }
    Ok(())
}

/// The reporter the options ask for: JSON lines, or status lines (coloured, with progress).
pub fn reporter(global: &GlobalArgs, args: &SyncArgs) -> Box<dyn Reporter> {
    if args.output.json {
        crate::report::json::set_requested();
        Box::new(JsonReporter::default())
    } else {
        Box::new(
            TextReporter::new(
                global.verbose > 0,
                args.output.quiet,
                !args.output.no_progress,
            )
            .with_color(global.color.enabled()),
        )
    }
}

/// The first Ctrl-C (or SIGTERM) cancels the run (`cancel`) and tells the plugins: workers take
/// no new work, the state is saved, and the exit code is 130. A second one exits at once; that is
/// safe too, because every completed action is already in the journal, which the next run replays.
pub fn install_interrupt_handler(cancel: &crate::options::Cancel) {
    let cancel = cancel.clone();
    let _ = ctrlc::set_handler(move || {
        if cancel.is_cancelled() {
            std::process::exit(130);
        }
        cancel.cancel();
        host_services::cancel();
        eprintln!("ferry: interrupted: finishing the transfers under way and saving the state (Ctrl-C again stops at once)");
    });
}
