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
    let rows: Vec<(String, String, String)> = config
        .remotes
        .iter()
        .map(|(name, remote)| {
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
            let details = if details.is_empty() {
                String::new()
            } else {
                format!("({})", details.join("; "))
            };
            (name.clone(), url, details)
        })
        .collect();
    // Columns line up: names, then URLs, then what else the remote sets.
    let name_width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let url_width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    for (name, url, details) in rows {
        let line = format!("{name:<name_width$}  {url:<url_width$}  {details}");
        crate::outln!("{}", line.trim_end());
    }
    Ok(ExitCode::SUCCESS)
}
