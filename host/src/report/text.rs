//! The human output: one status line per action on stdout with exsh's prefixes (`↑ ↓ = ! ✗ +`),
//! `(dry run)` in front during a dry run, warnings on stderr, the summary line at the end, and a
//! progress bar on stderr only when stderr is a terminal.

use std::{
    io::{IsTerminal, Write},
    sync::Mutex,
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Direction, Event, Reporter, Summary};

/// Prints status lines.
pub struct TextReporter {
    verbose: bool,
    quiet: bool,
    color: bool,
    bar: Option<ProgressBar>,
    out: Mutex<()>,
}

impl TextReporter {
    /// `verbose` shows unchanged files; `quiet` only problems; `progress` allows the bar (it also
    /// needs stderr to be a terminal).
    pub fn new(verbose: bool, quiet: bool, progress: bool) -> Self {
        let bar = (progress && !quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {msg}",
                )
                .expect("valid template"),
            );
            bar
        });
        TextReporter {
            verbose,
            quiet,
            color: false,
            bar,
            out: Mutex::new(()),
        }
    }

    /// Colours the status prefixes (`--color`).
    pub fn with_color(mut self, color: bool) -> Self {
        self.color = color;
        self
    }

    /// The line with its prefix coloured: green for transfers, blue for new directories, red for
    /// deletions and failures, yellow for conflicts and invalid files, dim for unchanged files.
    fn colored(&self, line: &str, event: &Event<'_>) -> String {
        if !self.color {
            return line.to_string();
        }
        let code = match event {
            Event::Transferred { .. } => "32",
            Event::DirCreated { .. } => "34",
            Event::Deleted { .. } | Event::Failed { .. } => "31",
            Event::Conflict { .. } | Event::Invalid { .. } | Event::Resolved { .. } => "33",
            Event::Unchanged { .. } | Event::Warning { .. } => "2",
        };
        match line.split_once(' ') {
            Some((prefix, rest)) => format!("\x1b[{code}m{prefix}\x1b[0m {rest}"),
            None => line.to_string(),
        }
    }

    fn print(&self, to_stderr: bool, line: &str) {
        let _serial = self.out.lock().expect("output lock");
        let write = || {
            // A closed stdout must not kill a sync half-way; the state is still saved.
            if to_stderr {
                let _ = writeln!(std::io::stderr(), "{line}");
            } else {
                let _ = writeln!(std::io::stdout(), "{line}");
            }
        };
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

/// ` on local` / ` on remote` in a bisync.
fn on_side(side: Option<&str>) -> String {
    side.map(|side| format!(" on {side}")).unwrap_or_default()
}

/// The status line of an event (without the dry-run prefix), and whether it is a problem.
pub fn status_line(event: &Event<'_>) -> Option<(String, bool)> {
    Some(match event {
        Event::Transferred {
            path,
            reason,
            direction,
            ..
        } => {
            let arrow = match direction {
                Direction::Up => "↑",
                Direction::Down => "↓",
            };
            (format!("{arrow} {path} ({})", reason.word()), false)
        }
        Event::DirCreated { path, noun, side } => {
            (format!("+ {path}/ (new {noun}{})", on_side(*side)), false)
        }
        Event::Deleted { path, dir, side } => {
            let slash = if *dir { "/" } else { "" };
            (
                format!("✗ {path}{slash} (deleted{})", on_side(*side)),
                false,
            )
        }
        Event::Resolved { path, why, how } => (format!("! {path} ({why}; {how})"), false),
        Event::Unchanged { path } => (format!("= {path} (unchanged)"), false),
        Event::Conflict { path, why } | Event::Invalid { path, why } => {
            (format!("! {path} ({why})"), true)
        }
        Event::Failed { path, why } if !path.is_empty() => {
            (format!("! {path} (failed: {why})"), true)
        }
        Event::Failed { .. } | Event::Warning { .. } => return None,
    })
}

impl Reporter for TextReporter {
    fn event(&self, event: &Event<'_>, dry_run: bool) {
        let prefix = if dry_run { "(dry run) " } else { "" };
        match event {
            Event::Warning { message } => self.print(true, &format!("ferry: warning: {message}")),
            Event::Failed { path: "", why } => self.print(true, &format!("ferry: error: {why}")),
            Event::Unchanged { .. } if !self.verbose => {}
            _ => {
                if let Some((line, problem)) = status_line(event) {
                    if problem || !self.quiet {
                        self.print(false, &format!("{prefix}{}", self.colored(&line, event)));
                    }
                }
            }
        }
    }

    fn planned(&self, _transfers: usize, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(bytes);
        }
    }

    fn progress(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
        }
    }

    fn finished(&self, summary: &Summary) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if !self.quiet {
            let prefix = if summary.dry_run { "(dry run) " } else { "" };
            self.print(false, &format!("{prefix}{}", summary.line()));
        }
    }
}
