//! The `ferry` executable: parse, run, print an error once, exit with the command's code.

use std::process::ExitCode;

fn main() -> ExitCode {
    match ferry::cli::run() {
        Ok(code) => code,
        Err(error) if ferry::output::is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ferry: error: {error:#}");
            ExitCode::from(2)
        }
    }
}
