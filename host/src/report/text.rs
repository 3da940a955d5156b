//! The human output: one status line per action on stdout with exsh's prefixes (`↑ ↓ = ! ✗ +`),
//! `(dry run)` in front during a dry run, warnings on stderr, the summary line at the end
//! (wrapped at its commas on a terminal narrower than it), and on stderr, only when stderr is a
//! terminal, a spinner with the count of entries listed while both sides are scanned, then a
//! progress bar with files and bytes done of the total, the rate and the time left.

use std::{
    io::{IsTerminal, Write},
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex, OnceLock,
    },
    time::Duration,
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Direction, Event, Reporter, Summary};

/// Prints status lines.
pub struct TextReporter {
    verbose: bool,
    quiet: bool,
    color: bool,
    /// Progress may be drawn (asked for, not quiet, stderr a terminal).
    progress: bool,
    scan: OnceLock<ProgressBar>,
    bar: OnceLock<ProgressBar>,
    files_total: AtomicU64,
    files_done: AtomicU64,
    out: Mutex<()>,
}

impl TextReporter {
    /// `verbose` shows unchanged files; `quiet` only problems; `progress` allows the spinner
    /// and the bar (they also need stderr to be a terminal).
    pub fn new(verbose: bool, quiet: bool, progress: bool) -> Self {
        TextReporter {
            verbose,
            quiet,
            color: false,
            progress: progress && !quiet && std::io::stderr().is_terminal(),
            scan: OnceLock::new(),
            bar: OnceLock::new(),
            files_total: AtomicU64::new(0),
            files_done: AtomicU64::new(0),
            out: Mutex::new(()),
        }
    }

    /// Colours the status prefixes (`--color`).
    pub fn with_color(mut self, color: bool) -> Self {
        self.color = color;
        self
    }

    /// The bar or spinner on screen now, if any.
    fn drawn(&self) -> Option<&ProgressBar> {
        self.bar
            .get()
            .or_else(|| self.scan.get().filter(|s| !s.is_finished()))
    }

    fn files_message(&self) -> String {
        format!(
            "{}/{} files",
            self.files_done.load(Ordering::Relaxed),
            self.files_total.load(Ordering::Relaxed)
        )
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
        match self.drawn() {
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

impl Drop for TextReporter {
    /// A run that ends in an error before its plan leaves no spinner behind on the terminal.
    fn drop(&mut self) {
        for bar in [self.scan.get(), self.bar.get()].into_iter().flatten() {
            if !bar.is_finished() {
                bar.finish_and_clear();
            }
        }
    }
}

impl Reporter for TextReporter {
    fn event(&self, event: &Event<'_>, dry_run: bool) {
        let prefix = if dry_run { "(dry run) " } else { "" };
        if let Event::Transferred { .. } = event {
            self.files_done.fetch_add(1, Ordering::Relaxed);
            if let Some(bar) = self.bar.get() {
                bar.set_message(self.files_message());
            }
        }
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

    fn wants_unchanged(&self) -> bool {
        self.verbose
    }

    fn listed(&self, entries: u64) {
        if !self.progress {
            return;
        }
        let spinner = self.scan.get_or_init(|| {
            let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            spinner.set_style(
                ProgressStyle::with_template("{spinner} listing: {pos} entries")
                    .expect("valid template"),
            );
            spinner.enable_steady_tick(Duration::from_millis(100));
            spinner
        });
        spinner.inc(entries);
    }

    fn planned(&self, transfers: usize, bytes: u64) {
        if let Some(spinner) = self.scan.get() {
            spinner.finish_and_clear();
        }
        self.files_total.store(transfers as u64, Ordering::Relaxed);
        if !self.progress || transfers == 0 {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(bytes), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:20} {msg} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .expect("valid template"),
        );
        bar.set_message(self.files_message());
        let _ = self.bar.set(bar);
    }

    fn progress(&self, bytes: u64) {
        if let Some(bar) = self.bar.get() {
            bar.set_position(bytes);
        }
    }

    fn finished(&self, summary: &Summary) {
        for bar in [self.scan.get(), self.bar.get()].into_iter().flatten() {
            bar.finish_and_clear();
        }
        if !self.quiet {
            let prefix = if summary.dry_run { "(dry run) " } else { "" };
            let line = format!("{prefix}{}", summary.line());
            let width = std::io::stdout()
                .is_terminal()
                .then(terminal_width)
                .flatten();
            match width {
                Some(width) => self.print(false, &wrap_summary(&line, width)),
                None => self.print(false, &line),
            }
        }
    }
}

/// The terminal's width in columns (`$COLUMNS`, else the tty's size), if known.
fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| {
            console::Term::stdout()
                .size_checked()
                .map(|(_, w)| w as usize)
        })
        .filter(|&w| w >= 20)
}

/// The summary line broken at its `, ` and ` — ` into lines of at most `width` columns, the
/// continuations indented by two spaces.
pub fn wrap_summary(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_string();
    }
    let mut pieces: Vec<String> = Vec::new();
    for (part_index, part) in line.split(" — ").enumerate() {
        let items: Vec<&str> = part.split(", ").collect();
        for (index, item) in items.iter().enumerate() {
            let mut piece = if part_index > 0 && index == 0 {
                format!("— {item}")
            } else {
                item.to_string()
            };
            if index + 1 < items.len() {
                piece.push(',');
            }
            pieces.push(piece);
        }
    }
    let mut out = String::new();
    let mut current = String::new();
    for piece in pieces {
        let candidate = if current.is_empty() {
            piece.clone()
        } else {
            format!("{current} {piece}")
        };
        if candidate.chars().count() > width && !current.is_empty() {
            out.push_str(&current);
            out.push('\n');
            current = format!("  {piece}");
        } else {
            current = candidate;
        }
    }
    out.push_str(&current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_summary_wraps_at_its_commas() {
        let line = "12 uploaded, 3 downloaded, 1840 unchanged, 1 conflict, 1 invalid, 2 deleted, 0 failed — 4.2 MiB in 1.3 s";
        assert_eq!(wrap_summary(line, 200), line);
        let wrapped = wrap_summary(line, 80);
        assert_eq!(
            wrapped,
            "12 uploaded, 3 downloaded, 1840 unchanged, 1 conflict, 1 invalid, 2 deleted,\n  0 failed — 4.2 MiB in 1.3 s"
        );
        assert!(wrapped.lines().all(|l| l.chars().count() <= 80));
        assert!(wrap_summary(line, 40)
            .lines()
            .all(|l| l.chars().count() <= 40));
    }
}
