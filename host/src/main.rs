//! The `ferry` executable: parse, run, print an error once, exit with the command's code.

use std::process::ExitCode;

fn main() -> ExitCode {
    match ferry::cli::run() {
        Ok(code) => code,
        Err(error) if ferry::output::is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ferry: error: {error:#}");
            if ferry::report::json::requested() {
                // A script reading --json gets the reason on stdout too, as the last object.
                let object = ferry::report::json::error_json(&format!("{error:#}"), 2);
                println!("{object}");
            }
            ExitCode::from(2)
        }
    }
}
