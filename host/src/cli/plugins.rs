//! `ferry plugins` (every plugin found, with broken ones and why) and `ferry plugins info NAME`
//! (one plugin's options).

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::GlobalArgs;
use crate::plugins::LoadedPlugin;

/// Arguments of `ferry plugins`.
#[derive(Debug, Args)]
pub struct PluginsArgs {
    #[command(subcommand)]
    pub action: Option<PluginsAction>,
}

/// What `ferry plugins` can do besides listing.
#[derive(Debug, Subcommand)]
pub enum PluginsAction {
    /// Show one plugin's description, capabilities and options
    Info {
        /// The backend name, e.g. `local`
        name: String,
    },
}

/// Runs `ferry plugins [info NAME]`.
pub fn run(global: &GlobalArgs, args: &PluginsArgs) -> Result<ExitCode> {
    let registry = global.registry();
    match &args.action {
        Some(PluginsAction::Info { name }) => {
            let plugin = registry.get(name)?;
            crate::outln!("{}", describe(&plugin).trim_end());
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let (plugins, broken) = registry.load_all();
            let rows: Vec<[String; 6]> = plugins
                .iter()
                .map(|p| {
                    [
                        p.name().to_string(),
                        p.info.version.to_string(),
                        p.epoch.clone(),
                        p.info
                            .url_schemes
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(","),
                        p.info.capabilities.to_string(),
                        p.path.display().to_string(),
                    ]
                })
                .collect();
            if rows.is_empty() {
                crate::outln!("no working plugins found");
            } else {
                print_table(
                    [
                        "NAME",
                        "VERSION",
                        "EPOCH",
                        "SCHEMES",
                        "CAPABILITIES",
                        "PATH",
                    ],
                    &rows,
                )?;
            }
            if !broken.is_empty() {
                crate::outln!("\nbroken plugins:");
                for error in &broken {
                    crate::outln!("  {error}");
                    if global.verbose > 0 && !error.detail.is_empty() {
                        for line in error.detail.lines() {
                            crate::outln!("      {line}");
                        }
                    }
                }
            }
            if global.verbose > 0 || rows.is_empty() {
                crate::outln!("\nsearched, in order:");
                for dir in &registry.search_path().dirs {
                    crate::outln!("  {} ({})", dir.path.display(), dir.origin.label());
                }
            }
            Ok(if broken.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn print_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> std::io::Result<()> {
    let mut widths = header.map(str::len);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> std::io::Result<()> {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == N {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        crate::outln!("{}", out.trim_end());
        Ok(())
    };
    line(header.to_vec())?;
    for row in rows {
        line(row.iter().map(String::as_str).collect())?;
    }
    Ok(())
}

fn describe(plugin: &LoadedPlugin) -> String {
    let info = &plugin.info;
    let mut out = format!("{} {} — {}\n", info.name, info.version, info.description);
    out.push_str(&format!("library:      {}\n", plugin.path.display()));
    out.push_str(&format!("epoch:        {}\n", plugin.epoch));
    let schemes: Vec<&str> = info.url_schemes.iter().map(|s| s.as_str()).collect();
    out.push_str(&format!(
        "schemes:      {}\n",
        if schemes.is_empty() {
            "-".into()
        } else {
            schemes.join(", ")
        }
    ));
    out.push_str(&format!(
        "capabilities: {}\n",
        info.capabilities.names().join(", ")
    ));
    out.push_str("options:\n");
    for option in info.options.iter() {
        let mut traits = vec![option.kind.name().to_string()];
        if option.required {
            traits.push("required".into());
        }
        if let Some(default) = option.default.as_ref().into_option() {
            traits.push(format!("default {default}"));
        }
        if option.secret {
            traits.push("secret".into());
        }
        out.push_str(&format!(
            "  {} ({})\n      {}\n",
            option.name,
            traits.join(", "),
            option.help
        ));
    }
    out
}
