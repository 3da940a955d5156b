//! `ferry completions SHELL` (shell completion scripts) and the hidden `ferry man --dir DIR` (man
//! pages: `ferry.1` and one `ferry-SUBCOMMAND.1` each), both generated from the same clap
//! definitions as `--help`, so they never drift apart.

use std::{io::Write, path::PathBuf, process::ExitCode};

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;

/// Arguments of `ferry completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell
    pub shell: Shell,
}

/// Arguments of `ferry man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Where to write ferry.1 and ferry-SUBCOMMAND.1
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
}

/// Prints the completion script for a shell.
pub fn completions(args: &CompletionsArgs) -> Result<ExitCode> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "ferry", &mut out);
    std::io::stdout().lock().write_all(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the man pages.
pub fn man(args: &ManArgs) -> Result<ExitCode> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let command = Cli::command();
    write_page(&args.dir.join("ferry.1"), command.clone())?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("ferry-{}", sub.get_name());
        let page = sub
            .clone()
            .name(name.clone())
            .display_name(name.clone())
            .bin_name(format!("ferry {}", sub.get_name()));
        write_page(&args.dir.join(format!("{name}.1")), page)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn write_page(path: &std::path::Path, command: clap::Command) -> Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command).render(&mut out)?;
    std::fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))
}
