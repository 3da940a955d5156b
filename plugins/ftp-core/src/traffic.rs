//! The control connection's traffic for `-vvv`: suppaftp traces every command it sends and
//! every reply line it reads through the `log` crate (`CC OUT: …`, `CC IN: …`, in
//! `sync_ftp/control.rs`); this forwards those lines to the host at debug level, the password of
//! `PASS` masked. One logger per plugin library (the `log` crate allows one per program, and each
//! plugin is its own program image), holding the host services of the first backend opened.

use std::sync::{Arc, OnceLock};

use ferry_plugin_api::{HostBox, LogLevel};

static LOGGER: OnceLock<HostLogger> = OnceLock::new();

thread_local! {
    /// This thread's last reply line, and whether only the code parse came after it.
    static LAST_REPLY: std::cell::RefCell<(String, bool)> = const { std::cell::RefCell::new((String::new(), false)) };
}

struct HostLogger {
    host: Arc<HostBox>,
}

impl log::Log for HostLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        // The control connection only: list parsing traces every line of a listing, which
        // would cost a large tree's scan for nothing shown.
        metadata.target().starts_with("suppaftp") && metadata.target().ends_with("control")
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let text = record.args().to_string();
        // suppaftp traces a reply's first line twice, around "Code parsed from response"; a
        // connection is used by one thread at a time, so the repeat is told apart per thread.
        let repeated = LAST_REPLY.with(|last| {
            let mut last = last.borrow_mut();
            if text.starts_with("Code parsed from response") {
                last.1 = true;
                return false;
            }
            let repeat = last.1 && last.0 == text;
            if text.starts_with("CC IN: ") {
                *last = (text.clone(), false);
            } else {
                last.1 = false;
            }
            repeat
        });
        if repeated {
            return;
        }
        if let Some(line) = shown(&text) {
            self.host.log(LogLevel::DEBUG, line.as_str().into());
        }
    }

    fn flush(&self) {}
}

/// The line to show for one of suppaftp's trace messages: commands and replies only, `PASS`
/// masked; `None` for everything else (list parsing, internal notes).
fn shown(text: &str) -> Option<String> {
    if let Some(command) = text.strip_prefix("CC OUT: ") {
        let masked = if command
            .get(..5)
            .is_some_and(|p| p.eq_ignore_ascii_case("PASS "))
        {
            "PASS ***"
        } else {
            command
        };
        return Some(format!("> {masked}"));
    }
    let reply = text.strip_prefix("CC IN: ")?;
    // The reply comes as the Debug form of its bytes ("[50, 51, 48, …]"): show it as text.
    let bytes: Vec<u8> = reply
        .trim_matches(['[', ']'])
        .split(", ")
        .filter_map(|b| b.trim().parse().ok())
        .collect();
    let line = String::from_utf8_lossy(&bytes);
    Some(format!("< {}", line.trim_end_matches(['\r', '\n'])))
}

/// Sends suppaftp's traffic lines to `host` from now on (the first call wins).
pub fn forward_to(host: &Arc<HostBox>) {
    if LOGGER.set(HostLogger { host: host.clone() }).is_ok() {
        if let Some(logger) = LOGGER.get() {
            if log::set_logger(logger).is_ok() {
                log::set_max_level(log::LevelFilter::Trace);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shown;

    #[test]
    fn commands_and_replies_with_the_password_masked() {
        assert_eq!(shown("CC OUT: USER bob").as_deref(), Some("> USER bob"));
        assert_eq!(shown("CC OUT: PASS hunter2").as_deref(), Some("> PASS ***"));
        assert_eq!(shown("CC OUT: pass hunter2").as_deref(), Some("> PASS ***"));
        let reply = format!("CC IN: {:?}", b"230 Login successful.\r\n".to_vec());
        assert_eq!(shown(&reply).as_deref(), Some("< 230 Login successful."));
        assert_eq!(shown("Parsed POSIX line x"), None);
    }
}
