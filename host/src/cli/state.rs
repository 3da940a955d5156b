//! `ferry state list` and `ferry state forget A B`: the sync states ferry keeps (one per pair of
//! endpoints, keyed by their labels, in `$XDG_STATE_HOME/ferry/`; docs/sync.md "State"), listed,
//! or one forgotten so that the pair's next run is a first run.

use std::{
    io::{BufRead, IsTerminal, Write},
    process::ExitCode,
};

use anyhow::{bail, Result};
use clap::{Args, Subcommand};

use super::{ls::format_time, GlobalArgs};
use crate::{
    report::human_bytes,
    state::{catalog, state_dir, store, StatePaths},
};

/// Arguments of `ferry state`.
#[derive(Debug, Args)]
pub struct StateArgs {
    #[command(subcommand)]
    pub action: StateAction,
}

/// What `ferry state` does.
#[derive(Debug, Subcommand)]
pub enum StateAction {
    /// List the sync states: each pair, when it was last written, its files and size
    List,
    /// Forget the state of a pair (in either order): its next run compares both sides afresh
    Forget(ForgetArgs),
}

/// Arguments of `ferry state forget`.
#[derive(Debug, Args)]
pub struct ForgetArgs {
    /// One side of the pair: a path, a URL or remote:path
    pub one: String,
    /// The other side
    pub other: String,
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub yes: bool,
}

/// Runs `ferry state`.
pub fn run(global: &GlobalArgs, args: &StateArgs) -> Result<ExitCode> {
    match &args.action {
        StateAction::List => list(),
        StateAction::Forget(forget_args) => forget(global, forget_args),
    }
}

fn list() -> Result<ExitCode> {
    let dir = state_dir()?;
    let states = catalog::list(&dir)?;
    if states.is_empty() {
        crate::outln!("no sync states in {}", dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    for state in states {
        let written = format_time(state.written_ns);
        let size = human_bytes(state.bytes);
        match &state.endpoints {
            Some([a, b]) => crate::outln!(
                "{written}  {:>11}  {size:>9}  {a}  ⇄  {b}",
                files_text(state.files)
            ),
            None => crate::outln!(
                "{written}  {:>11}  {size:>9}  {} ({})",
                "?",
                state.key,
                state.problem.as_deref().unwrap_or("unreadable")
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn forget(global: &GlobalArgs, args: &ForgetArgs) -> Result<ExitCode> {
    let registry = global.registry();
    let config = global.config()?;
    let one = global.target(&args.one, &registry, &config)?;
    let other = global.target(&args.other, &registry, &config)?;
    let paths = StatePaths::new(
        &state_dir()?,
        &one.endpoint_label(),
        &other.endpoint_label(),
    );
    if !paths.exists() {
        bail!(
            "ferry keeps no state for {} ⇄ {}; `ferry state list` shows the pairs it knows",
            paths.endpoints[0],
            paths.endpoints[1]
        );
    }
    let files = store::load(&paths).map(|b| b.file_count()).ok();
    let what = format!(
        "the state of {} ⇄ {}{}",
        paths.endpoints[0],
        paths.endpoints[1],
        files
            .map(|n| format!(" ({})", files_text(n)))
            .unwrap_or_default()
    );
    if !args.yes
        && !confirm(&format!(
            "forget {what}? The next run compares both sides afresh [y/N] "
        ))?
    {
        crate::outln!("kept {what}");
        return Ok(ExitCode::SUCCESS);
    }
    catalog::forget(&paths)?;
    crate::outln!("forgot {what}");
    Ok(ExitCode::SUCCESS)
}

/// `1 file`, `12 files`.
fn files_text(count: usize) -> String {
    if count == 1 {
        "1 file".to_string()
    } else {
        format!("{count} files")
    }
}

/// Asks on stderr and reads one line from stdin (a terminal or a pipe); only `y`/`yes` agree.
fn confirm(question: &str) -> Result<bool> {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{question}");
    let _ = stderr.flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer)? == 0 {
        if !std::io::stdin().is_terminal() {
            bail!("no answer on standard input; add --yes to forget without asking");
        }
        return Ok(false);
    }
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
