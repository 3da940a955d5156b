//! `ferry remote list`: the named remotes of the configuration, with their URLs, forced backend
//! and option names (never option values, which may be secrets).

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::GlobalArgs;

/// Arguments of `ferry remote`.
#[derive(Debug, Args)]
pub struct RemoteArgs {
    #[command(subcommand)]
    pub action: RemoteAction,
}

/// What `ferry remote` does.
#[derive(Debug, Subcommand)]
pub enum RemoteAction {
    /// List the named remotes of the configuration file
    List,
}

/// Runs `ferry remote list`.
pub fn run(global: &GlobalArgs, args: &RemoteArgs) -> Result<ExitCode> {
    let RemoteAction::List = args.action;
    let config = global.config()?;
    let Some(path) = &config.path else {
        crate::outln!(
            "no configuration file (looked for {})",
            crate::config::default_path()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "~/.config/ferry/config.toml".into())
        );
        return Ok(ExitCode::SUCCESS);
    };
    if config.remotes.is_empty() {
        crate::outln!("no remotes in {}", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    for (name, remote) in &config.remotes {
        let mut details = Vec::new();
        if let Some(backend) = &remote.backend {
            details.push(format!("backend {backend}"));
        }
        if remote.password_command.is_some() {
            details.push("password_command".to_string());
        }
        let keys: Vec<&str> = remote.options.keys().map(String::as_str).collect();
        if !keys.is_empty() {
            details.push(format!("options: {}", keys.join(", ")));
        }
        let url = crate::target::redact_password(&remote.url);
        if details.is_empty() {
            crate::outln!("{name}  {url}");
        } else {
            crate::outln!("{name}  {url}  ({})", details.join("; "));
        }
    }
    Ok(ExitCode::SUCCESS)
}
