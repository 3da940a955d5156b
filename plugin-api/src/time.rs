//! Civil dates (proleptic Gregorian, UTC) to and from nanoseconds since the Unix epoch, for
//! backends that parse or print server dates and for the host's listings. Howard Hinnant's
//! algorithms; no time-zone data.

const NS: i64 = 1_000_000_000;

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Nanoseconds since the epoch of a civil date and time, or None if a field is out of range.
pub fn ns_from_civil(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
) -> Option<i64> {
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || !(0..=23).contains(&hour)
        || !(0..=59).contains(&minute)
        || !(0..=60).contains(&second)
    {
        return None;
    }
    Some((days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second) * NS)
}

/// `(year, month, day, hour, minute, second)` of nanoseconds since the epoch.
pub fn civil_from_ns(ns: i64) -> (i64, i64, i64, i64, i64, i64) {
    let secs = ns.div_euclid(NS);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day, rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(civil_from_ns(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil_from_ns(951_782_400 * NS), (2000, 2, 29, 0, 0, 0));
        let ns = ns_from_civil(2026, 11, 21, 6, 40, 12).unwrap();
        assert_eq!(civil_from_ns(ns), (2026, 11, 21, 6, 40, 12));
        assert_eq!(civil_from_ns(-NS), (1969, 12, 31, 23, 59, 59));
        assert!(ns_from_civil(2026, 13, 1, 0, 0, 0).is_none());
    }
}
