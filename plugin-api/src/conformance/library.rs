//! The conformance suite on a built plugin library, loaded as ferry loads it: what an author's
//! in-process test cannot see (the file name, the export, the ABI check, the panic strategy,
//! `open` with options) is checked first, then every check of the suite runs through the ABI.

use std::path::Path;

use abi_stable::{sabi_trait::TD_Opaque, std_types::RStr};

use super::{run, CheckResult, Options, Report};
use crate::{
    backend_name_from_file_name, library_file_name,
    loader::{load, LoadedPlugin},
    Capabilities, ErrorKind, Host, HostBox, Host_TO, LogLevel, RawExtension,
};

/// An option no plugin declares: `open` must refuse it.
const UNDECLARED_OPTION: &str = "ferry_conformance_undeclared_option";

/// The checks [`check_library`] runs before the suite, in order.
const LIBRARY_CHECKS: [&str; 5] = [
    "loads-through-the-ferry-loader",
    "declares-the-options-it-is-given",
    "refuses-an-undeclared-option",
    "opens-with-the-given-options",
    "instance-capabilities-are-declared",
];

/// The names of the checks [`check_library`] runs before the suite's own.
pub fn library_check_names() -> Vec<&'static str> {
    LIBRARY_CHECKS.to_vec()
}

/// Loads the plugin library at `path` through ferry's loader, opens it with `options_toml` (a
/// TOML table; `location` is the target) and runs the suite on that instance. A check that
/// cannot run because an earlier one failed is reported as not applied.
pub fn check_library(path: &Path, options_toml: &str, suite: &Options) -> Report {
    let mut report = Report::default();
    let record = |report: &mut Report, name: &'static str, outcome: Result<(), String>| {
        let wanted = suite.only.is_empty()
            || suite.only.iter().any(|o| o == name)
            || name == LIBRARY_CHECKS[0];
        report.checks.push(CheckResult {
            name,
            outcome: wanted.then_some(outcome),
        });
    };
    let plugin = match load_named(path) {
        Ok(plugin) => plugin,
        Err(why) => {
            record(&mut report, LIBRARY_CHECKS[0], Err(why));
            return report;
        }
    };
    record(&mut report, LIBRARY_CHECKS[0], Ok(()));

    let table: toml::Table = match options_toml.parse() {
        Ok(table) => table,
        Err(e) => {
            record(
                &mut report,
                LIBRARY_CHECKS[1],
                Err(format!("the options given are not a TOML table: {e}")),
            );
            return report;
        }
    };
    let declared = plugin.info.option_names();
    let undeclared: Vec<&String> = table.keys().filter(|k| !plugin.info.declares(k)).collect();
    record(
        &mut report,
        LIBRARY_CHECKS[1],
        if undeclared.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "given {undeclared:?}, which its info does not declare (declared: {declared:?}); `ferry plugins info` and the host's option check go by the declaration"
            ))
        },
    );

    let mut bad = table.clone();
    bad.insert(UNDECLARED_OPTION.into(), toml::Value::Boolean(true));
    let refused = match plugin.open(&bad.to_string(), quiet_host()) {
        Ok(_) => Err(format!("`open` accepted the unknown option `{UNDECLARED_OPTION}`; refuse unknown keys (serde's deny_unknown_fields) with INVALID_CONFIG")),
        Err(e) if e.kind != ErrorKind::INVALID_CONFIG => Err(format!(
            "`open` refused the unknown option `{UNDECLARED_OPTION}` as {}, not INVALID_CONFIG: {}",
            e.kind, e.message
        )),
        Err(e) if !e.message.contains(UNDECLARED_OPTION) => Err(format!(
            "the refusal of `{UNDECLARED_OPTION}` does not name it: {}",
            e.message
        )),
        Err(_) => Ok(()),
    };
    record(&mut report, LIBRARY_CHECKS[2], refused);

    let backend = match plugin.open(&table.to_string(), quiet_host()) {
        Ok(backend) => backend,
        Err(e) => {
            record(
                &mut report,
                LIBRARY_CHECKS[3],
                Err(format!("`open` failed: {e:?}")),
            );
            return report;
        }
    };
    record(&mut report, LIBRARY_CHECKS[3], Ok(()));
    let instance = backend.capabilities();
    let extra = Capabilities(instance.0 & !plugin.info.capabilities.0);
    record(
        &mut report,
        LIBRARY_CHECKS[4],
        if extra == Capabilities::NONE {
            Ok(())
        } else {
            Err(format!(
                "the instance has {extra}, which the plugin's info does not declare"
            ))
        },
    );
    let suite_report = run(&backend, suite);
    let _ = backend.close();
    report.checks.extend(suite_report.checks);
    report
}

/// Loads `path` as the backend its file name names.
fn load_named(path: &Path) -> Result<LoadedPlugin, String> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(name) = backend_name_from_file_name(&file_name) else {
        return Err(format!(
            "`{file_name}` is not a plugin file name: ferry only loads {} (NAME: lower-case letters, digits, `_`)",
            library_file_name("NAME")
        ));
    };
    load(path, name).map_err(|e| e.summary)
}

/// A host for the checks: warnings and errors to stderr, never cancelled.
struct QuietHost;

impl Host for QuietHost {
    fn log(&self, level: LogLevel, message: RStr<'_>) {
        if level <= LogLevel::WARN {
            eprintln!("plugin: {message}");
        }
    }

    fn is_cancelled(&self) -> bool {
        false
    }

    fn extension(&self, _name: RStr<'_>) -> abi_stable::std_types::ROption<RawExtension> {
        abi_stable::std_types::ROption::RNone
    }
}

fn quiet_host() -> HostBox {
    Host_TO::from_value(QuietHost, TD_Opaque)
}
