//! `--bwlimit RATE`: one byte budget for the whole run, shared by every transfer (rsync's and
//! rclone's meaning). A copy takes its bytes from the budget as they pass through the host and
//! waits when the run is ahead of `rate × time since the first byte`; the wait is cut into short
//! sleeps so Ctrl-C stays prompt.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, OnceLock,
    },
    time::{Duration, Instant},
};

use crate::options::Cancel;

/// A run's shared byte budget.
#[derive(Clone, Debug)]
pub struct RateLimit(Arc<Budget>);

#[derive(Debug)]
struct Budget {
    bytes_per_second: u64,
    started: OnceLock<Instant>,
    taken: AtomicU64,
}

impl RateLimit {
    /// A budget of `bytes_per_second` (more than 0).
    pub fn new(bytes_per_second: u64) -> Self {
        RateLimit(Arc::new(Budget {
            bytes_per_second: bytes_per_second.max(1),
            started: OnceLock::new(),
            taken: AtomicU64::new(0),
        }))
    }

    /// The rate, bytes per second.
    pub fn bytes_per_second(&self) -> u64 {
        self.0.bytes_per_second
    }

    /// Takes `n` bytes, waiting until the run may have moved them; returns early when the run
    /// is cancelled.
    pub fn take(&self, n: u64, cancel: &Cancel) {
        let budget = &self.0;
        let started = *budget.started.get_or_init(Instant::now);
        let taken = budget.taken.fetch_add(n, Ordering::Relaxed) + n;
        let due = Duration::from_secs_f64(taken as f64 / budget.bytes_per_second as f64);
        loop {
            let elapsed = started.elapsed();
            if elapsed >= due || cancel.is_cancelled() {
                return;
            }
            std::thread::sleep((due - elapsed).min(Duration::from_millis(100)));
        }
    }
}

/// Parses `RATE`: a number with an optional `K`, `M` or `G` (powers of 1024, as rsync and
/// rclone), optionally followed by `B`, `iB` or `/s`; a bare number is KiB/s. `0` or `off`
/// means no limit (`None`).
pub fn parse_rate(text: &str) -> Result<Option<u64>, String> {
    let lower = text.trim().to_ascii_lowercase();
    if lower == "off" || lower == "0" {
        return Ok(None);
    }
    let unit_part = lower.trim_end_matches("/s");
    let unit_part = unit_part
        .strip_suffix("ib")
        .or_else(|| unit_part.strip_suffix('b'))
        .unwrap_or(unit_part);
    let (number, multiplier) = match unit_part.chars().last() {
        Some('k') => (&unit_part[..unit_part.len() - 1], 1u64 << 10),
        Some('m') => (&unit_part[..unit_part.len() - 1], 1 << 20),
        Some('g') => (&unit_part[..unit_part.len() - 1], 1 << 30),
        _ => (unit_part, 1 << 10),
    };
    let bad = || {
        format!("`{text}` is not a rate: give bytes per second such as 500K, 1M or 2.5M (0 or off: no limit)")
    };
    let value: f64 = number.trim().parse().map_err(|_| bad())?;
    if !value.is_finite() || value < 0.0 {
        return Err(bad());
    }
    let bytes = (value * multiplier as f64).round() as u64;
    Ok((bytes > 0).then_some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_as_rsync_and_rclone_write_them() {
        assert_eq!(parse_rate("1M"), Ok(Some(1 << 20)));
        assert_eq!(parse_rate("1.5m"), Ok(Some(3 << 19)));
        assert_eq!(parse_rate("500K"), Ok(Some(500 << 10)));
        assert_eq!(parse_rate("2MiB/s"), Ok(Some(2 << 20)));
        assert_eq!(parse_rate("1G"), Ok(Some(1 << 30)));
        assert_eq!(parse_rate("100"), Ok(Some(100 << 10)), "bare: KiB/s");
        assert_eq!(parse_rate("0"), Ok(None));
        assert_eq!(parse_rate("off"), Ok(None));
        assert!(parse_rate("fast")
            .unwrap_err()
            .contains("`fast` is not a rate"));
        assert!(parse_rate("-1M").is_err());
    }

    #[test]
    fn the_budget_waits_for_the_rate_and_not_after_cancel() {
        let limit = RateLimit::new(1000);
        let cancel = Cancel::new();
        let start = Instant::now();
        limit.take(100, &cancel);
        limit.take(100, &cancel);
        assert!(start.elapsed() >= Duration::from_millis(190));
        cancel.cancel();
        let before = Instant::now();
        limit.take(1_000_000, &cancel);
        assert!(before.elapsed() < Duration::from_millis(500));
    }
}
