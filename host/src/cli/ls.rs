//! `ferry ls TARGET [-r] [--long] [--tree]`: list a target through its backend plugin. Sizes are
//! exact bytes; directories end in `/`. A directory that cannot be listed, or an entry the
//! backend could not report, is an error on stderr and exit code 1; the rest is still listed.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use ferry_plugin_api::{Entry, EntryKind};

use super::GlobalArgs;
use crate::{backend::Backend, report::human_bytes};

/// Arguments of `ferry ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// A local path or a URL (ftp://…, exist://…, file://…)
    pub target: String,

    /// List subdirectories too
    #[arg(short, long)]
    pub recursive: bool,

    /// Show kind and modification time as well
    #[arg(short, long)]
    pub long: bool,

    /// Draw the tree (implies --recursive)
    #[arg(long, conflicts_with = "long")]
    pub tree: bool,
}

struct Listed {
    path: String,
    depth: usize,
    entry: Entry,
}

/// Runs `ferry ls`.
pub fn run(global: &GlobalArgs, args: &LsArgs) -> Result<ExitCode> {
    let registry = global.registry();
    let target = global.target(&args.target, &registry, &global.config()?)?;
    let backend = target.open()?;
    let root = backend
        .stat("")
        .map_err(|e| anyhow::anyhow!(crate::target::about(&target.label, e)))?;
    let mut listed = Vec::new();
    let mut failed = false;
    if root.is_dir() {
        walk(
            &backend,
            "",
            0,
            args.recursive || args.tree,
            &mut listed,
            &mut failed,
        );
    } else {
        // A file target: its own name (a backend's root entry may have none).
        let name = if root.name.is_empty() {
            target_file_name(&target.label)
        } else {
            root.name.to_string()
        };
        listed.push(Listed {
            path: name,
            depth: 0,
            entry: root,
        });
    }
    // eXist lists no sizes: show `?` rather than a made-up 0.
    let sizes_known = !backend
        .capabilities()
        .contains(ferry_plugin_api::Capabilities::APPROXIMATE_SIZES);
    if args.tree {
        print_tree(&target.label, &listed, sizes_known)?;
    } else {
        for item in &listed {
            crate::outln!("{}", format_line(item, args.long, sizes_known));
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn walk(
    backend: &Backend,
    dir: &str,
    depth: usize,
    recursive: bool,
    out: &mut Vec<Listed>,
    failed: &mut bool,
) {
    let listing = match backend.list(dir) {
        Ok(listing) => listing,
        Err(e) => {
            eprintln!(
                "ferry: error: cannot list `{}`: {e}",
                if dir.is_empty() { "." } else { dir }
            );
            *failed = true;
            return;
        }
    };
    for problem in listing.problems.iter() {
        eprintln!("ferry: error: {problem}");
        *failed = true;
    }
    let mut entries: Vec<Entry> = Vec::with_capacity(listing.entries.len());
    for entry in listing.entries {
        match Entry::validate_name(&entry.name) {
            Ok(()) => entries.push(entry),
            Err(why) => {
                eprintln!(
                    "ferry: error: refused an entry of `{dir}` named {:?}: {why}",
                    entry.name.as_str()
                );
                *failed = true;
            }
        }
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    for entry in entries {
        let path = if dir.is_empty() {
            entry.name.to_string()
        } else {
            format!("{dir}/{}", entry.name)
        };
        let descend = recursive && entry.is_dir();
        out.push(Listed {
            path: path.clone(),
            depth,
            entry,
        });
        if descend {
            walk(backend, &path, depth + 1, recursive, out, failed);
        }
    }
}

fn format_line(item: &Listed, long: bool, sizes_known: bool) -> String {
    let entry = &item.entry;
    let size = match (entry.is_file(), sizes_known) {
        (true, true) => entry.size.to_string(),
        (true, false) => "?".to_string(),
        (false, _) => "-".to_string(),
    };
    let name = display_name(&item.path, entry);
    if long {
        let mtime = entry
            .mtime_ns
            .into_option()
            .map(format_time)
            .unwrap_or_else(|| "-".into());
        format!("{:<7} {size:>12}  {mtime:<23}  {name}", entry.kind.name())
    } else {
        format!("{size:>12}  {name}")
    }
}

fn display_name(path: &str, entry: &Entry) -> String {
    match entry.kind {
        EntryKind::DIRECTORY => format!("{path}/"),
        EntryKind::SYMLINK => match entry.link_target.as_ref().into_option() {
            Some(target) => format!("{path} -> {target}"),
            None => path.to_string(),
        },
        _ => path.to_string(),
    }
}

fn print_tree(label: &str, listed: &[Listed], sizes_known: bool) -> std::io::Result<()> {
    crate::outln!("{label}");
    // open[level]: does the ancestor at `level` have siblings still to come (draw a `│`)?
    let mut open: Vec<bool> = Vec::new();
    for (index, item) in listed.iter().enumerate() {
        let last = listed[index + 1..]
            .iter()
            .find(|later| later.depth <= item.depth)
            .is_none_or(|later| later.depth < item.depth);
        open.truncate(item.depth);
        let prefix: String = open
            .iter()
            .map(|&more| if more { "│   " } else { "    " })
            .collect();
        let name = item.path.rsplit('/').next().unwrap_or(&item.path);
        let size = if item.entry.is_file() && sizes_known {
            format!("  ({})", human_bytes(item.entry.size))
        } else {
            String::new()
        };
        crate::outln!(
            "{prefix}{}{}{size}",
            if last { "└── " } else { "├── " },
            display_name(name, &item.entry)
        );
        open.push(!last);
    }
    Ok(())
}

/// The last path component of a target as the user wrote it (`./docs/a.txt` → `a.txt`).
fn target_file_name(label: &str) -> String {
    label
        .trim_end_matches('/')
        .rsplit(['/', ':'])
        .next()
        .unwrap_or(label)
        .to_string()
}

/// `YYYY-MM-DD HH:MM:SS UTC`: the zone said, so no one reads it as local time.
pub fn format_time(ns: i64) -> String {
    let (year, month, day, hour, minute, second) = ferry_plugin_api::time::civil_from_ns(ns);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02} UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_sizes() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(
            format_time(1_700_000_000_000_000_000),
            "2023-11-14 22:13:20 UTC"
        );
        assert_eq!(
            format_time(951_782_400_000_000_000),
            "2000-02-29 00:00:00 UTC"
        );
        assert_eq!(target_file_name("./docs/a.txt"), "a.txt");
        assert_eq!(target_file_name("web:www/index.html"), "index.html");
        assert_eq!(target_file_name("web:a.txt"), "a.txt");
        assert_eq!(human_bytes(5), "5 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }
}
