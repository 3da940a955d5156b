//! `--resolve ask`: settling bisync conflicts one by one on the terminal. Each conflict shows
//! both sides (what changed, size, modification time) and offers local / remote / newer / older
//! / skip / keep both / diff; an upper-case answer applies to every conflict that follows. The
//! prompt goes to stderr so that stdout keeps only the status lines.

use std::io::{BufRead, IsTerminal, Read, Write};

use crate::{
    plan::{
        resolve::{Conflict, Decision, Version},
        Which,
    },
    report::human_bytes,
    sync::Side,
};

/// Largest file read whole for `diff`; bigger ones are compared byte by byte only.
const DIFF_LIMIT: u64 = 4 * 1024 * 1024;

/// The interactive decision function.
pub struct Asker<'s, 'b> {
    local: &'s Side<'b>,
    remote: &'s Side<'b>,
    for_all: Option<Decision>,
    /// The run's cancel token: Ctrl-C at the prompt (raw mode: no signal) interrupts the run as
    /// it would anywhere else.
    cancel: crate::options::Cancel,
}

impl<'s, 'b> Asker<'s, 'b> {
    /// An asker that can read both sides for `diff`.
    pub fn new(local: &'s Side<'b>, remote: &'s Side<'b>, cancel: crate::options::Cancel) -> Self {
        Asker {
            local,
            remote,
            for_all: None,
            cancel,
        }
    }

    /// Asks about one conflict (or applies an earlier "for all" answer).
    pub fn decide(&mut self, conflict: &Conflict) -> Decision {
        if let Some(decision) = self.for_all {
            return decision;
        }
        let mut stderr = std::io::stderr();
        let _ = writeln!(stderr, "! {} ({})", conflict.path, conflict.why);
        let _ = writeln!(stderr, "    local:  {}", describe(&conflict.local));
        let _ = writeln!(stderr, "    remote: {}", describe(&conflict.remote));
        loop {
            let _ = write!(
                stderr,
                "  [l]ocal, [r]emote, [n]ewer, [o]lder, [s]kip, keep [b]oth, [d]iff (upper case: all remaining)? "
            );
            let _ = stderr.flush();
            let answer = match read_answer() {
                Answer::Given(answer) => answer,
                Answer::Interrupted => {
                    // As a Ctrl-C anywhere else: the run stops taking work and saves its state.
                    let _ = writeln!(stderr);
                    self.cancel.cancel();
                    crate::plugins::host_services::cancel();
                    self.for_all = Some(Decision::Skip);
                    return Decision::Skip;
                }
                Answer::NoMore => {
                    // No more input: leave this and every later conflict alone.
                    let _ = writeln!(stderr);
                    self.for_all = Some(Decision::Skip);
                    return Decision::Skip;
                }
            };
            let answer = answer.trim();
            let mut letters = answer.chars();
            let (Some(letter), None) = (letters.next(), letters.next()) else {
                let _ = writeln!(
                    stderr,
                    "  answer with one letter: l, r, n, o, s, b or d (upper case: all remaining)"
                );
                continue;
            };
            let decision = match letter.to_ascii_lowercase() {
                'l' => Decision::Take(Which::Source),
                'r' => Decision::Take(Which::Destination),
                'n' => Decision::Newer,
                'o' => Decision::Older,
                's' => Decision::Skip,
                'b' => Decision::KeepBoth,
                'd' => {
                    let _ = writeln!(stderr, "{}", self.difference(conflict));
                    continue;
                }
                _ => {
                    let _ = writeln!(
                        stderr,
                        "  `{letter}` is not an answer: l, r, n, o, s, b or d (upper case: all remaining)"
                    );
                    continue;
                }
            };
            if letter.is_ascii_uppercase() {
                self.for_all = Some(decision);
            }
            return decision;
        }
    }

    /// A unified diff for text, a byte comparison for anything else.
    fn difference(&self, conflict: &Conflict) -> String {
        if conflict.local.dir || conflict.remote.dir {
            return "    (a directory: no content to compare)".to_string();
        }
        if !conflict.local.exists() || !conflict.remote.exists() {
            return "    (one side deleted it: no content to compare)".to_string();
        }
        let path = conflict.path.as_str();
        let read = |side: &Side| -> Result<Vec<u8>, String> {
            let mut bytes = Vec::new();
            side.backend
                .open_read(path, 0)
                .map_err(|e| e.to_string())?
                .take(DIFF_LIMIT + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| e.to_string())?;
            Ok(bytes)
        };
        let (local, remote) = match (read(self.local), read(self.remote)) {
            (Ok(l), Ok(r)) => (l, r),
            (Err(e), _) | (_, Err(e)) => return format!("    cannot read to compare: {e}"),
        };
        let whole = local.len() as u64 <= DIFF_LIMIT && remote.len() as u64 <= DIFF_LIMIT;
        match (std::str::from_utf8(&local), std::str::from_utf8(&remote)) {
            (Ok(l), Ok(r)) if whole => similar::TextDiff::from_lines(l, r)
                .unified_diff()
                .context_radius(3)
                .header(&format!("local/{path}"), &format!("remote/{path}"))
                .to_string(),
            _ => match local.iter().zip(&remote).position(|(a, b)| a != b) {
                Some(at) => format!("    binary content differs from byte {at}"),
                None if local.len() == remote.len() => "    the contents are identical".to_string(),
                None => format!(
                    "    one is a prefix of the other ({} vs {} bytes)",
                    local.len(),
                    remote.len()
                ),
            },
        }
    }
}

/// What the user gave at the prompt.
enum Answer {
    /// A key, or a line.
    Given(String),
    /// Ctrl-C, which raw mode delivers as a key rather than a signal.
    Interrupted,
    /// The input ended.
    NoMore,
}

/// One answer: on a terminal a single key, read in raw mode (no Enter needed) and echoed;
/// through a pipe a line (scripts and tests).
fn read_answer() -> Answer {
    if std::io::stdin().is_terminal() {
        let key = match console::Term::stderr().read_key() {
            Ok(key) => key,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Answer::Interrupted,
            Err(_) => return Answer::NoMore,
        };
        let answer = match key {
            console::Key::Char(c) => c.to_string(),
            console::Key::Enter => String::new(),
            console::Key::CtrlC => return Answer::Interrupted,
            other => format!("{other:?}"),
        };
        let _ = writeln!(std::io::stderr(), "{answer}");
        Answer::Given(answer)
    } else {
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) | Err(_) => Answer::NoMore,
            Ok(_) => Answer::Given(line),
        }
    }
}

/// `modified, 1.2 KiB, 2026-11-21 09:30:01 UTC`.
fn describe(version: &Version) -> String {
    if !version.exists() {
        return "deleted".to_string();
    }
    let mut parts = vec![version.change.word().to_string()];
    if version.dir {
        parts.push("directory".to_string());
    } else if let Some(size) = version.size {
        parts.push(human_bytes(size));
    }
    if let Some(ns) = version.mtime_ns {
        let (y, mo, d, h, mi, s) = ferry_plugin_api::time::civil_from_ns(ns);
        parts.push(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC"));
    }
    parts.join(", ")
}
