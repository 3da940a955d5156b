//! The command line: clap definitions (one file per subcommand) and dispatch. Each subcommand's
//! `run` returns the process exit code; errors before any work are returned as `Err` and printed
//! once by `main`.

mod args;
mod ask;
mod bisync;
mod check;
mod completions;
mod ls;
mod plugin_check;
mod plugins;
mod remote;
mod run;
mod state;
mod sync;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

pub use args::{GlobalArgs, SyncArgs};

/// The optional features this ferry was built with.
pub const FEATURES: &[&str] = &[
    #[cfg(feature = "keyring")]
    "keyring",
];

/// The version line: the host's version, the plugin ABI epoch it loads and its optional
/// features (`ferry 0.1.0 (plugin ABI epoch 0.1; features: keyring)`).
fn version() -> String {
    let features = if FEATURES.is_empty() {
        "none".to_string()
    } else {
        FEATURES.join(", ")
    };
    format!(
        "{} (plugin ABI epoch {}; features: {features})",
        env!("CARGO_PKG_VERSION"),
        ferry_plugin_api::EPOCH
    )
}

/// ferry keeps a local directory tree and a remote one in step, over pluggable backends.
#[derive(Debug, Parser)]
#[allow(missing_docs)] // clap turns doc comments into help text; these fields have none
#[command(name = "ferry", version = version(), about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the installed backend plugins, or describe one
    Plugins(plugins::PluginsArgs),
    /// Copy what changed from SOURCE to DESTINATION (one-way; direction from argument order)
    Sync(sync::SyncCommand),
    /// Copy what changed from LOCAL to REMOTE (pyftpsync's argument order)
    Upload(sync::LocalRemoteCommand),
    /// Copy what changed from REMOTE to LOCAL (pyftpsync's argument order)
    Download(sync::LocalRemoteCommand),
    /// Two-way sync: carry additions, edits and deletions both ways, detect conflicts
    Bisync(bisync::BisyncCommand),
    /// Show what `ferry sync SOURCE DESTINATION` (or with --bisync, `ferry bisync`) would do, changing nothing (exit 0 in sync, 3 not)
    Check(check::CheckCommand),
    /// Run a task of ferry.toml (searched in the current directory and its parents)
    Run(run::RunCommand),
    /// List the files of a target (a local path, a URL or remote:path)
    Ls(ls::LsArgs),
    /// Named remotes of the configuration file
    Remote(remote::RemoteArgs),
    /// The sync states ferry keeps: list them, or forget one
    State(state::StateArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(completions::CompletionsArgs),
    /// Write the man pages (used by `make install`)
    #[command(hide = true)]
    Man(completions::ManArgs),
}

/// Parses the command line and runs the command.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    crate::plugins::host_services::set_verbosity(cli.global.verbose);
    if let Some(path) = &cli.global.log_file {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the log file {}", path.display()))?;
        let level = crate::plugins::host_services::LOG_LEVELS
            .iter()
            .position(|l| *l == cli.global.log_level)
            .unwrap_or(2);
        crate::plugins::host_services::set_log_file(file, level as u8);
    }
    let json = match &cli.command {
        Command::Sync(args) => args.options.output.json,
        Command::Upload(args) | Command::Download(args) => args.options.output.json,
        Command::Bisync(args) => args.output.json,
        Command::Check(args) => args.output.json,
        Command::Run(args) => args.options.output.json,
        _ => false,
    };
    if json {
        crate::report::json::set_requested();
    }
    match &cli.command {
        Command::Plugins(args) => plugins::run(&cli.global, args),
        Command::Sync(args) => {
            sync::run(&cli.global, &args.source, &args.destination, &args.options)
        }
        Command::Upload(args) => {
            sync::check_local_first("upload", &args.local, &args.remote)?;
            sync::run(&cli.global, &args.local, &args.remote, &args.options)
        }
        Command::Download(args) => {
            sync::check_local_first("download", &args.local, &args.remote)?;
            sync::run(&cli.global, &args.remote, &args.local, &args.options)
        }
        Command::Bisync(args) => bisync::run(&cli.global, args),
        Command::Check(args) => check::run(&cli.global, args),
        Command::Run(args) => run::run(&cli.global, args),
        Command::Ls(args) => ls::run(&cli.global, args),
        Command::Remote(args) => remote::run(&cli.global, args),
        Command::State(args) => state::run(&cli.global, args),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_version_names_the_epoch_and_the_features() {
        assert!(version().contains(&format!("(plugin ABI epoch {};", ferry_plugin_api::EPOCH)));
        assert_eq!(
            version().ends_with("features: keyring)"),
            cfg!(feature = "keyring"),
            "{}",
            version()
        );
    }
}
