//! `--json`: one JSON object per event on stdout, then a summary object; a fatal error is an
//! `error` object. The schema is ferry's interface, documented in docs/json.md and versioned by
//! the `schema` field every object carries ([`SCHEMA`]): fields are only ever added within a
//! version.

use std::{
    io::Write,
    sync::{
        atomic::{AtomicBool, Ordering},
        Mutex,
    },
};

use serde_json::{json, Value};

use super::{Direction, Event, Reporter, Summary};

/// The version of the JSON schema (docs/json.md).
pub const SCHEMA: u32 = 1;

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Notes that this run prints JSON, so that a fatal error is printed as JSON too.
pub fn set_requested() {
    REQUESTED.store(true, Ordering::Relaxed);
}

/// Did this run ask for JSON?
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// The object of a fatal error: what stopped the run before or during it.
pub fn error_json(message: &str, exit_code: u8) -> Value {
    json!({"event": "error", "why": message, "exit_code": exit_code, "schema": SCHEMA})
}

/// Prints JSON lines.
#[derive(Default)]
pub struct JsonReporter {
    out: Mutex<()>,
}

impl JsonReporter {
    fn emit(&self, value: Value) {
        let _serial = self.out.lock().expect("output lock");
        let _ = writeln!(std::io::stdout(), "{value}");
    }
}

/// The JSON object of an event.
pub fn event_json(event: &Event<'_>, dry_run: bool) -> Value {
    let mut value = match event {
        Event::Transferred {
            path,
            reason,
            direction,
            bytes,
        } => json!({
            "event": "transfer", "path": path, "reason": reason.word(),
            "direction": if *direction == Direction::Up { "up" } else { "down" }, "bytes": bytes,
        }),
        Event::DirCreated { path, noun, side } => {
            json!({"event": "mkdir", "path": path, "noun": noun, "side": side})
        }
        Event::Deleted { path, dir, side } => {
            json!({"event": "delete", "path": path, "dir": dir, "side": side})
        }
        Event::Resolved { path, why, how } => {
            json!({"event": "resolved", "path": path, "why": why, "how": how})
        }
        Event::Unchanged { path } => json!({"event": "unchanged", "path": path}),
        Event::Conflict { path, why } => json!({"event": "conflict", "path": path, "why": why}),
        Event::Invalid { path, why } => json!({"event": "invalid", "path": path, "why": why}),
        Event::Failed { path, why } => json!({"event": "failed", "path": path, "why": why}),
        Event::Warning { message } => json!({"event": "warning", "why": message}),
    };
    value["dry_run"] = Value::Bool(dry_run);
    value["schema"] = json!(SCHEMA);
    value
}

/// The JSON object of a summary.
pub fn summary_json(summary: &Summary) -> Value {
    json!({
        "event": "summary",
        "uploaded": summary.uploaded,
        "downloaded": summary.downloaded,
        "unchanged": summary.unchanged,
        "conflicts": summary.conflicts,
        "resolved": summary.resolved,
        "invalid": summary.invalid,
        "deleted": summary.deleted,
        "failed": summary.failed,
        "dirs_created": summary.dirs_created,
        "bytes": summary.bytes,
        "seconds": summary.elapsed.as_secs_f64(),
        "hashed_files": summary.hashed_files,
        "stopped_early": summary.stopped_early,
        "interrupted": summary.interrupted,
        "dry_run": summary.dry_run,
        "exit_code": summary.exit_code(),
        "schema": SCHEMA,
    })
}

impl Reporter for JsonReporter {
    fn event(&self, event: &Event<'_>, dry_run: bool) {
        self.emit(event_json(event, dry_run));
    }

    fn finished(&self, summary: &Summary) {
        self.emit(summary_json(summary));
    }
}
