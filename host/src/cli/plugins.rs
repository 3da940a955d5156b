//! `ferry plugins` (every plugin found, with broken ones and why) and `ferry plugins info NAME`
//! (one plugin's options); `ferry plugins check` is in [`super::plugin_check`].

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
    /// Load a plugin library as ferry does, open it, and run the conformance suite on it
    Check(super::plugin_check::CheckArgs),
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
        Some(PluginsAction::Check(args)) => super::plugin_check::run(args),
        None => {
            let (plugins, broken) = registry.load_all();
            let rows: Vec<[String; 4]> = plugins
                .iter()
                .map(|p| {
                    [
                        p.name().to_string(),
                        p.info.version.to_string(),
                        p.info
                            .url_schemes
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(","),
                        p.path.display().to_string(),
                    ]
                })
                .collect();
            // The capabilities go under each row, wrapped, so the table fits 100 columns.
            let capabilities: Vec<Vec<String>> = plugins
                .iter()
                .map(|p| wrap_words(&p.info.capabilities.to_string(), CAPABILITY_WIDTH))
                .collect();
            if rows.is_empty() {
                crate::outln!("no working plugins found");
            } else {
                print_table(["NAME", "VERSION", "SCHEMES", "PATH"], &rows, &capabilities)?;
            }
            if !broken.is_empty() {
                crate::outln!("\nbroken plugins:");
                for error in &broken {
                    crate::outln!("  {error}");
                    if global.verbose > 0 && !error.detail.is_empty() {
                        // abi_stable's layout reports run to thousands of lines; the start
                        // names the types compared, -vv shows it all.
                        let limit = if global.verbose > 1 {
                            usize::MAX
                        } else {
                            DETAIL_LINES
                        };
                        let lines: Vec<&str> = error.detail.lines().collect();
                        for line in lines.iter().take(limit) {
                            crate::outln!("      {line}");
                        }
                        if lines.len() > limit {
                            crate::outln!(
                                "      … {} more lines (-vv shows them)",
                                lines.len() - limit
                            );
                        }
                    }
                }
            }
            let conflicts = registry.scheme_conflicts(&plugins);
            if !conflicts.is_empty() {
                crate::outln!("\nschemes declared by more than one plugin (the first is used):");
                for (scheme, owners) in &conflicts {
                    let owners: Vec<String> = owners
                        .iter()
                        .map(|p| format!("{} ({})", p.name(), p.path.display()))
                        .collect();
                    crate::outln!("  {scheme}://  {}", owners.join(", then "));
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

/// Lines of a broken plugin's detail shown with `-v`.
const DETAIL_LINES: usize = 40;

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

/// How wide the wrapped capability lines under a plugin's row may be (indented by 4: 100 in
/// all).
const CAPABILITY_WIDTH: usize = 96;

/// `list,stat,read,…` as lines of `list, stat, read, …` no wider than `width`.
fn wrap_words(list: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let words: Vec<&str> = list.split(',').filter(|w| !w.is_empty()).collect();
    let mut current = String::new();
    for (i, word) in words.iter().enumerate() {
        let piece = if i + 1 < words.len() {
            format!("{word},")
        } else {
            (*word).to_string()
        };
        if !current.is_empty() && current.len() + 1 + piece.len() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&piece);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// Rows under a header, each followed by its `notes` lines, indented.
fn print_table<const N: usize>(
    header: [&str; N],
    rows: &[[String; N]],
    notes: &[Vec<String>],
) -> std::io::Result<()> {
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
    for (row, notes) in rows.iter().zip(notes) {
        line(row.iter().map(String::as_str).collect())?;
        for note in notes {
            crate::outln!("    {note}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_wrap_at_word_boundaries() {
        assert_eq!(
            wrap_words("list,stat,read-offset", 12),
            ["list, stat,", "read-offset"]
        );
        assert_eq!(wrap_words("list", 96), ["list"]);
        assert!(wrap_words("", 96).is_empty());
    }
}
