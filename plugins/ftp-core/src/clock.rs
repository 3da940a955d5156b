//! The server's clock as its replies show it. MLSD and MLST give UTC (RFC 3659). LIST gives the
//! server's local time with no zone, and so does MDTM on some servers although RFC 3659 asks for
//! UTC (vsftpd with `use_localtime=YES`: its `handle_mdtm` formats the time with
//! `tunable_use_localtime`). Read as UTC, a server in Auckland puts downloaded files 13 hours in
//! the future and makes `--resolve new` pick the older file.
//!
//! So on a server without MLSD, ferry learns both offsets once per run: it writes a small probe
//! file under one of its own temporary names (which only ferry makes, and which a later run
//! removes if this one dies), notes its own clock before and after, reads the probe's LIST date
//! and MDTM time, and deletes it. Each offset is the quarter hour (UTC−12:00 … UTC+14:00)
//! nearest the difference, taken only when the difference is that close to it. It is one offset,
//! not a zone: a file dated in the other half of a daylight-saving year lists an hour off.

/// Seconds of clock difference between ferry's machine and the server tolerated on top of the
/// listing's own precision and the probe's upload time.
const SKEW_SECONDS: i64 = 90;
const QUARTER_HOUR: i64 = 900;
const WEST_MOST: i64 = -12 * 3600;
const EAST_MOST: i64 = 14 * 3600;

/// What the server's times are ahead of UTC by, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Offsets {
    /// LIST dates.
    pub list: i64,
    /// MDTM replies.
    pub mdtm: i64,
}

impl Offsets {
    /// `+13:00`, `-03:30`, or `UTC`.
    pub fn describe(seconds: i64) -> String {
        if seconds == 0 {
            return "UTC".to_string();
        }
        let sign = if seconds < 0 { '-' } else { '+' };
        let minutes = seconds.abs() / 60;
        format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    }
}

/// The offset that explains a probe written between `written_from` and `written_to` (seconds
/// since the epoch, ferry's clock) and shown as `shown_ns` with `precision_ns` (the server's
/// clock, read as if UTC). `Err` says why none fits.
pub fn learn(
    written_from: i64,
    written_to: i64,
    shown_ns: i64,
    precision_ns: u64,
) -> Result<i64, String> {
    let precision = (precision_ns / 1_000_000_000).max(1) as i64;
    // The shown date is the true time truncated to its precision: aim at the window's middle.
    let shown_middle = shown_ns.div_euclid(1_000_000_000) + precision / 2;
    let written_middle = (written_from + written_to) / 2;
    let difference = shown_middle - written_middle;
    let offset = (difference as f64 / QUARTER_HOUR as f64).round() as i64 * QUARTER_HOUR;
    let tolerance = precision / 2 + (written_to - written_from) / 2 + SKEW_SECONDS;
    if !(WEST_MOST..=EAST_MOST).contains(&offset) {
        return Err(format!(
            "the server's clock is {difference} s from ours, beyond any time zone"
        ));
    }
    if (difference - offset).abs() > tolerance {
        return Err(format!(
            "the server's clock is {difference} s from ours, not a whole time zone away"
        ));
    }
    Ok(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: i64 = 1_000_000_000;
    const MINUTE: u64 = 60 * NS as u64;

    #[test]
    fn offsets_are_learned_from_a_listing_to_the_minute() {
        let written = 1_800_000_030; // :30 past a minute
        let auckland = written + 13 * 3600;
        let shown = (auckland - auckland % 60) * NS;
        assert_eq!(learn(written, written + 1, shown, MINUTE), Ok(13 * 3600));
        let utc = (written - written % 60) * NS;
        assert_eq!(learn(written, written, utc, MINUTE), Ok(0));
        let newfoundland = written - 3 * 3600 - 1800;
        let shown = newfoundland * NS;
        assert_eq!(
            learn(written, written, shown, NS as u64),
            Ok(-3 * 3600 - 1800)
        );
        assert_eq!(Offsets::describe(-3 * 3600 - 1800), "UTC-03:30");
        assert_eq!(Offsets::describe(13 * 3600), "UTC+13:00");
    }

    #[test]
    fn a_clock_that_is_simply_wrong_is_not_taken_for_a_zone() {
        let written = 1_800_000_000;
        assert!(learn(written, written, (written + 420) * NS, NS as u64).is_err());
        assert!(learn(written, written, (written + 20 * 3600) * NS, NS as u64).is_err());
    }
}
