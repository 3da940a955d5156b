//! `ferry run [TASK]`: runs a task of `ferry.toml` (see [`crate::task`]). The task's options are
//! turned into flags and parsed together with the ones typed after `run`, which come later and
//! so win; `--execute` overrides `dry_run = true`. From a subdirectory of the project, `--root`
//! runs the whole task and `--here` only the part below the current directory.

use std::{collections::BTreeSet, ffi::OsString, process::ExitCode};

use anyhow::{bail, Context, Result};
use clap::{Args, CommandFactory, FromArgMatches, Parser};

use super::{
    args::SyncArgs,
    bisync::{self, ResolveArg},
    sync, GlobalArgs,
};
use crate::task::{self, TaskFile};

/// Arguments of `ferry run`.
#[derive(Debug, Args)]
pub struct RunCommand {
    /// The task to run [default: the file's default_task]
    pub task: Option<String>,
    /// From a subdirectory of the project: sync only the part below it (the remote gets the same path)
    #[arg(long, conflicts_with = "root")]
    pub here: bool,
    /// From a subdirectory of the project: sync the whole task
    #[arg(long)]
    pub root: bool,
    /// Really run a task whose file says `dry_run = true`
    #[arg(long)]
    pub execute: bool,
    /// List the tasks of ferry.toml and exit
    #[arg(long)]
    pub list: bool,
    #[command(flatten)]
    pub options: SyncArgs,
    #[command(flatten)]
    pub resolve: ResolveArg,
}

/// The task's flags and the typed ones, parsed as one command line.
#[derive(Debug, Parser)]
#[command(name = "ferry run", no_binary_name = true, args_override_self = true)]
struct Reparse {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(flatten)]
    run: RunCommand,
}

/// Global options that take a value (to skip it when looking for `run`).
const GLOBAL_VALUE_OPTIONS: [&str; 6] = [
    "--plugin-dir",
    "--backend",
    "--config",
    "--color",
    "--log-file",
    "--log-level",
];

/// The long options a task may set.
fn known_flags() -> BTreeSet<String> {
    let command = Reparse::command();
    let allowed_globals = ["backend", "ftp-active", "verbose"];
    command
        .get_arguments()
        .filter_map(|arg| arg.get_long())
        .filter(|long| {
            !matches!(
                *long,
                "here"
                    | "root"
                    | "execute"
                    | "list"
                    | "help"
                    | "plugin-dir"
                    | "config"
                    | "color"
                    | "log-file"
                    | "log-level"
            ) || allowed_globals.contains(long)
        })
        .map(String::from)
        .collect()
}

/// The arguments typed after `run`.
fn typed_after_run() -> Vec<OsString> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let mut skip_value = false;
    for (index, arg) in args.iter().enumerate() {
        if skip_value {
            skip_value = false;
            continue;
        }
        let text = arg.to_string_lossy();
        if text == "run" {
            return args[index + 1..].to_vec();
        }
        skip_value = GLOBAL_VALUE_OPTIONS.contains(&text.as_ref());
    }
    Vec::new()
}

/// Global options given before `run` and those from the task or after `run`, together.
fn merge(before: &GlobalArgs, after: GlobalArgs) -> GlobalArgs {
    GlobalArgs {
        plugin_dirs: before
            .plugin_dirs
            .iter()
            .cloned()
            .chain(after.plugin_dirs)
            .collect(),
        backend: after.backend.or_else(|| before.backend.clone()),
        verbose: before.verbose.max(after.verbose),
        config: after.config.or_else(|| before.config.clone()),
        log_file: after.log_file.or_else(|| before.log_file.clone()),
        log_level: if after.log_level == "info" {
            before.log_level.clone()
        } else {
            after.log_level
        },
        ftp_active: before.ftp_active || after.ftp_active,
        color: if after.color == super::args::ColorChoice::Auto {
            before.color
        } else {
            after.color
        },
    }
}

/// Runs `ferry run`.
pub fn run(global: &GlobalArgs, command: &RunCommand) -> Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot tell the current directory")?;
    let file = TaskFile::find(&cwd)?;
    if command.list {
        for (name, what) in task::describe(&file) {
            crate::outln!("{name}: {what}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let task = file.task(command.task.as_deref(), &known_flags())?;
    let mut flags: Vec<OsString> = task
        .flags
        .iter()
        .filter(|f| !(command.execute && f.as_str() == "--dry-run"))
        .map(OsString::from)
        .collect();
    flags.extend(typed_after_run());
    let matches = Reparse::command()
        .try_get_matches_from(flags)
        .map_err(|e| anyhow::anyhow!("task `{}` of {}: {e}", task.name, file.path.display()))?;
    let parsed = Reparse::from_arg_matches(&matches)?;
    let global = merge(global, parsed.global);
    let run = parsed.run;

    let root = file
        .root()
        .canonicalize()
        .unwrap_or_else(|_| file.root().to_path_buf());
    let cwd = cwd.canonicalize().unwrap_or(cwd);
    let local_dir = task
        .local
        .canonicalize()
        .unwrap_or_else(|_| task.local.clone());
    let (local, remote) = if cwd == root || cwd == local_dir || run.root || task.root {
        (task.local.clone(), task.remote.clone())
    } else if run.here || task.here {
        let task = task::Task {
            local: local_dir,
            ..task.clone()
        };
        task::narrow_to(&task, &cwd)?
    } else {
        bail!(
            "you are in {}, below the project in {}: add --here to sync only this part, or --root to run the whole task",
            cwd.display(),
            root.display()
        );
    };
    let local = local.to_string_lossy().into_owned();
    eprintln!(
        "ferry: task `{}`: {} {local} {remote}",
        task.name, task.command
    );
    let mut options = run.options.options()?;
    if command.execute {
        options.dry_run = false;
    }
    let summary = match task.command.as_str() {
        "bisync" => {
            let strategy = run.resolve.strategy(options.dry_run)?;
            bisync::run_with(&global, &local, &remote, &run.options, options, strategy)?
        }
        other => {
            if run.resolve.resolve.is_some() {
                bail!("`resolve` applies to bisync tasks, not to {other}");
            }
            let (from, to) = if other == "download" {
                (remote.as_str(), local.as_str())
            } else {
                (local.as_str(), remote.as_str())
            };
            sync::run_with(&global, from, to, &run.options, options)?
        }
    };
    Ok(ExitCode::from(summary.exit_code()))
}
