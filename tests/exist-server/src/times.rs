//! Time formats: the listing's xs:dateTime (exist-rest.md §4.1: milliseconds with trailing zeros
//! trimmed, `Z` or the JVM's offset) and HTTP dates (RFC 1123, rounded up to the next second when
//! there are milliseconds, §5.1).

/// `(year, month, day)` of days since 1970-01-01.
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Days since 1970-01-01 of a date.
fn days(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2025-03-04T09:15:02.33Z`, or with `offset_minutes` ≠ 0 `…+02:00`.
pub fn xs_date_time(ms: i64, offset_minutes: i32) -> String {
    let local = ms + i64::from(offset_minutes) * 60_000;
    let (secs, millis) = (local.div_euclid(1000), local.rem_euclid(1000));
    let (y, mo, d) = civil(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let mut text = format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if millis != 0 {
        text.push_str(format!(".{millis:03}").trim_end_matches('0'));
    }
    if offset_minutes == 0 {
        text.push('Z');
    } else {
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let abs = offset_minutes.abs();
        text.push_str(&format!("{sign}{:02}:{:02}", abs / 60, abs % 60));
    }
    text
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Tue, 04 Mar 2025 09:20:12 GMT`, rounded up to the next whole second.
pub fn http_date(ms: i64) -> String {
    let secs = (ms + 999).div_euclid(1000);
    let day_number = secs.div_euclid(86_400);
    let (y, mo, d) = civil(day_number);
    let rem = secs.rem_euclid(86_400);
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[day_number.rem_euclid(7) as usize],
        MONTHS[(mo - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Milliseconds of an RFC 1123 date (`If-Modified-Since`); `None` if it does not parse.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    let days = days(year.parse().ok()?, month, day.parse().ok()?);
    Some((days * 86_400 + h * 3600 + m * 60 + s) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_exist_does() {
        assert_eq!(xs_date_time(1_714_558_830_000, 0), "2024-05-01T10:20:30Z");
        assert_eq!(
            xs_date_time(1_714_558_830_120, 0),
            "2024-05-01T10:20:30.12Z"
        );
        assert_eq!(
            xs_date_time(1_714_558_830_123, 0),
            "2024-05-01T10:20:30.123Z"
        );
        assert_eq!(
            xs_date_time(1_714_558_830_005, 0),
            "2024-05-01T10:20:30.005Z"
        );
        assert_eq!(
            xs_date_time(1_714_558_830_123, 120),
            "2024-05-01T12:20:30.123+02:00"
        );
        assert_eq!(
            xs_date_time(1_714_558_830_120, -240),
            "2024-05-01T06:20:30.12-04:00"
        );
        assert_eq!(
            http_date(1_714_558_830_004),
            "Wed, 01 May 2024 10:20:31 GMT"
        );
        assert_eq!(
            http_date(1_714_558_830_000),
            "Wed, 01 May 2024 10:20:30 GMT"
        );
        assert_eq!(
            parse_http_date("Wed, 01 May 2024 10:20:30 GMT"),
            Some(1_714_558_830_000)
        );
    }
}
