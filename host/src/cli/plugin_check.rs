//! `ferry plugins check PATH`: a plugin library loaded as ferry loads it (file name, export, ABI,
//! panic strategy), opened with an undeclared option and with the given ones, then the
//! conformance suite through the ABI — `ferry_plugin_api::conformance::check_library` on the
//! command line, for plugin authors and packagers.

use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;
use ferry_plugin_api::conformance;

/// Arguments of `ferry plugins check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The library, e.g. target/debug/libferry_backend_mine.so
    #[arg(required_unless_present = "list_checks")]
    pub path: Option<std::path::PathBuf>,

    /// An option to open it with, KEY=VALUE (repeatable); VALUE is read as TOML (`true`, `3`,
    /// `"text"`), else as text. `location` is the target the checks may fill and empty
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE")]
    pub options: Vec<String>,

    /// Run only this check (repeatable)
    #[arg(long = "check", value_name = "NAME")]
    pub only: Vec<String>,

    /// Print the names of the checks and exit
    #[arg(long)]
    pub list_checks: bool,

    /// The size of the streamed large-file check, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024 + 1)]
    pub large_file_size: u64,
}

/// Runs `ferry plugins check`.
pub fn run(args: &CheckArgs) -> Result<ExitCode> {
    let names: Vec<&str> = conformance::library_check_names()
        .into_iter()
        .chain(conformance::check_names())
        .collect();
    if args.list_checks {
        for name in &names {
            crate::outln!("{name}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(unknown) = args.only.iter().find(|o| !names.contains(&o.as_str())) {
        bail!("--check {unknown}: no such check; `ferry plugins check --list-checks` names them");
    }
    let mut table = toml::Table::new();
    for option in &args.options {
        let Some((key, value)) = option.split_once('=') else {
            bail!("--option {option}: give KEY=VALUE, e.g. --option location=/tmp/scratch");
        };
        let value = format!("v = {value}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(value.to_string()));
        table.insert(key.trim().to_string(), value);
    }
    let path = args.path.as_deref().expect("clap requires PATH");
    let suite = conformance::Options {
        large_file_size: args.large_file_size,
        only: args.only.clone(),
        ..conformance::Options::default()
    };
    let report = conformance::check_library(path, &table.to_string(), &suite);
    crate::outln!("{}", report.to_string().trim_end());
    let count = |wanted: fn(&Option<Result<(), String>>) -> bool| {
        report.checks.iter().filter(|c| wanted(&c.outcome)).count()
    };
    let failed = count(|o| matches!(o, Some(Err(_))));
    crate::outln!(
        "{}: {} passed, {failed} failed, {} not applied",
        path.display(),
        count(|o| matches!(o, Some(Ok(())))),
        count(Option::is_none)
    );
    Ok(ExitCode::from(u8::from(failed > 0)))
}
