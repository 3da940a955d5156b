//! Parsing directory listings into entries: MLSD/MLST fact lines (RFC 3659) and the LIST
//! formats servers really send — Unix `ls -l` lines (names with spaces, symlinks, dates with a
//! year or with a time) and Windows/IIS lines.
//!
//! Versions, so that a server's clock or time zone never causes a false change: an MLSD entry's
//! token is its `modify` fact (UTC) plus its size. A LIST date has no time zone and changes form
//! when a file ages past six months (`Nov 21 06:40` → `Nov 21  2026`), so LIST entries carry no
//! token; their date is read as written (as if UTC) with the precision of its form — a minute, or
//! a day — and ferry compares size and date within that precision, always with the same server's
//! earlier listing, never with a local clock.
//!
//! Parsers answer `Ok(None)` for lines that are not entries (`total 12`, `.`, `..`, MLSD
//! `cdir`/`pdir`).

use ferry_plugin_api::{time::ns_from_civil as timestamp_ns, Entry, EntryKind};

const NS: i64 = 1_000_000_000;
const MINUTE: u64 = 60 * NS as u64;
const DAY: u64 = 86_400 * NS as u64;

/// `YYYYMMDDHHMMSS[.fff…]` (MLSD `modify`, MDTM replies) → ns since the epoch and precision.
pub fn parse_fact_time(value: &str) -> Option<(i64, u64)> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if whole.len() != 14
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let number = |range: std::ops::Range<usize>| whole[range].parse::<i64>().ok();
    let base = timestamp_ns(
        number(0..4)?,
        number(4..6)?,
        number(6..8)?,
        number(8..10)?,
        number(10..12)?,
        number(12..14)?,
    )?;
    let digits = fraction.len().min(9);
    let fraction_ns = if digits == 0 {
        0
    } else {
        fraction[..digits].parse::<i64>().ok()? * 10i64.pow(9 - digits as u32)
    };
    let precision = 10u64.pow(9 - digits as u32);
    Some((base + fraction_ns, precision))
}

/// Formats ns since the epoch as `YYYYMMDDHHMMSS` (for MFMT).
pub fn format_fact_time(ns: i64) -> String {
    let (year, month, day, hour, minute, second) = ferry_plugin_api::time::civil_from_ns(ns);
    format!("{year:04}{month:02}{day:02}{hour:02}{minute:02}{second:02}")
}

/// Parses one MLSD line (`fact=value;…; name`) or the fact line of an MLST reply. Unknown facts
/// are ignored; `cdir` and `pdir` are skipped.
pub fn parse_mlsd_line(line: &str) -> Result<Option<Entry>, String> {
    let line = line.trim_start_matches(' ').trim_end_matches(['\r', '\n']);
    // The name is taken verbatim: a name with `/` in a listing is refused by the caller, never
    // shortened (MLST, which answers with a path, renames the entry itself).
    let (facts, name) = line
        .split_once(' ')
        .ok_or_else(|| format!("MLSD line without a name: {line:?}"))?;
    let mut kind = None;
    let mut size = 0u64;
    let mut modify = None;
    let mut link_target = None;
    for fact in facts.split(';').filter(|f| !f.is_empty()) {
        let Some((key, value)) = fact.split_once('=') else {
            continue;
        };
        match key.to_ascii_lowercase().as_str() {
            "type" => {
                let lower = value.to_ascii_lowercase();
                kind = Some(match lower.as_str() {
                    "file" => EntryKind::FILE,
                    "dir" => EntryKind::DIRECTORY,
                    "cdir" | "pdir" => return Ok(None),
                    _ if lower.starts_with("os.unix=symlink")
                        || lower.starts_with("os.unix=slink") =>
                    {
                        link_target = value.split_once(':').map(|(_, t)| t.to_string());
                        EntryKind::SYMLINK
                    }
                    _ => EntryKind::OTHER,
                });
            }
            "size" => {
                size = value
                    .parse()
                    .map_err(|_| format!("bad size fact {value:?} in {line:?}"))?
            }
            "modify" => modify = Some(value.to_string()),
            _ => {}
        }
    }
    if name == "." || name == ".." {
        return Ok(None);
    }
    let kind = kind.unwrap_or(EntryKind::FILE);
    let mut entry = Entry::new(name, kind);
    if kind == EntryKind::FILE {
        entry.size = size;
    }
    if let Some(modify) = modify {
        if let Some((ns, precision)) = parse_fact_time(&modify) {
            entry = entry.with_mtime(ns, precision);
        }
        entry = entry.with_token(format!("{modify} {size}"));
    }
    entry.link_target = link_target.map(Into::into).into();
    Ok(Some(entry))
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_number(token: &str) -> Option<i64> {
    let lower = token.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| *m == lower)
        .map(|i| i as i64 + 1)
}

/// Whitespace-separated tokens with their byte offsets.
fn tokens(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &line[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    out
}

/// Parses one LIST line, Unix or Windows/IIS. `current_year` places dates given with a time
/// (recent files) in a year: this year, or the last one for a date more than a day ahead.
pub fn parse_list_line(
    line: &str,
    current_year: i64,
    today: (i64, i64),
) -> Result<Option<Entry>, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() || line.starts_with("total ") {
        return Ok(None);
    }
    if line.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return parse_dos_line(line);
    }
    let tokens = tokens(line);
    let kind = match line.as_bytes()[0] {
        b'-' => EntryKind::FILE,
        b'd' => EntryKind::DIRECTORY,
        b'l' => EntryKind::SYMLINK,
        b'b' | b'c' | b'p' | b's' => EntryKind::OTHER,
        _ => return Err(format!("unrecognised LIST line {line:?}")),
    };
    // Find `MONTH DAY TIME|YEAR`; the size is the token before it, the name what follows.
    let position = (3..tokens.len().saturating_sub(2))
        .find(|&i| {
            month_number(tokens[i].1).is_some()
                && tokens[i + 1]
                    .1
                    .parse::<u8>()
                    .is_ok_and(|d| (1..=31).contains(&d))
        })
        .ok_or_else(|| format!("no date in LIST line {line:?}"))?;
    let size: u64 = tokens[position - 1]
        .1
        .parse()
        .map_err(|_| format!("bad size in LIST line {line:?}"))?;
    let month = month_number(tokens[position].1).expect("found above");
    let day: i64 = tokens[position + 1].1.parse().expect("found above");
    let (time_offset, time_or_year) = tokens[position + 2];
    let (ns, precision) = if let Some((hour, minute)) = time_or_year.split_once(':') {
        let (hour, minute): (i64, i64) = (
            hour.parse().map_err(|_| format!("bad time in {line:?}"))?,
            minute
                .parse()
                .map_err(|_| format!("bad time in {line:?}"))?,
        );
        let year = if (month, day) > (today.0, today.1 + 1) {
            current_year - 1
        } else {
            current_year
        };
        (timestamp_ns(year, month, day, hour, minute, 0), MINUTE)
    } else {
        let year: i64 = time_or_year
            .parse()
            .map_err(|_| format!("bad year in {line:?}"))?;
        (timestamp_ns(year, month, day, 0, 0, 0), DAY)
    };
    let ns = ns.ok_or_else(|| format!("impossible date in LIST line {line:?}"))?;
    // The name is everything after the time/year token and the single separating space.
    let after = time_offset + time_or_year.len();
    let rest = &line[after..];
    let name = rest.strip_prefix(' ').unwrap_or(rest);
    let (name, link_target) = match (kind, name.split_once(" -> ")) {
        (EntryKind::SYMLINK, Some((name, target))) => (name, Some(target.to_string())),
        _ => (name, None),
    };
    if name == "." || name == ".." {
        return Ok(None);
    }
    let mut entry = Entry::new(name, kind).with_mtime(ns, precision);
    if kind == EntryKind::FILE {
        entry.size = size;
    }
    entry.link_target = link_target.map(Into::into).into();
    Ok(Some(entry))
}

/// `11-21-26  06:40AM       <DIR>          name` or `… 1234 name` (IIS, Windows).
fn parse_dos_line(line: &str) -> Result<Option<Entry>, String> {
    let tokens = tokens(line);
    if tokens.len() < 4 {
        return Err(format!("unrecognised LIST line {line:?}"));
    }
    let date: Vec<&str> = tokens[0].1.split(['-', '/']).collect();
    let bad = || format!("bad date in LIST line {line:?}");
    let [month, day, year] = date.as_slice() else {
        return Err(bad());
    };
    let (month, day, year): (i64, i64, i64) = (
        month.parse().map_err(|_| bad())?,
        day.parse().map_err(|_| bad())?,
        year.parse().map_err(|_| bad())?,
    );
    let year = if year < 100 {
        if year < 70 {
            2000 + year
        } else {
            1900 + year
        }
    } else {
        year
    };
    let time = tokens[1].1.to_ascii_uppercase();
    let (clock, pm) = match (time.strip_suffix("PM"), time.strip_suffix("AM")) {
        (Some(clock), _) => (clock.to_string(), true),
        (_, Some(clock)) => (clock.to_string(), false),
        _ => (time.clone(), false),
    };
    let (hour, minute) = clock.split_once(':').ok_or_else(bad)?;
    let (mut hour, minute): (i64, i64) = (
        hour.parse().map_err(|_| bad())?,
        minute.parse().map_err(|_| bad())?,
    );
    if pm && hour < 12 {
        hour += 12;
    } else if !pm && hour == 12 && time.ends_with("AM") {
        hour = 0;
    }
    let ns = timestamp_ns(year, month, day, hour, minute, 0).ok_or_else(bad)?;
    let (kind, size) = if tokens[2].1.eq_ignore_ascii_case("<DIR>") {
        (EntryKind::DIRECTORY, 0)
    } else {
        (
            EntryKind::FILE,
            tokens[2]
                .1
                .parse()
                .map_err(|_| format!("bad size in LIST line {line:?}"))?,
        )
    };
    let name = &line[tokens[3].0..];
    if name == "." || name == ".." {
        return Ok(None);
    }
    let mut entry = Entry::new(name, kind).with_mtime(ns, MINUTE);
    entry.size = size;
    Ok(Some(entry))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(line: Result<Option<Entry>, String>) -> Entry {
        line.unwrap().expect("an entry, not a skipped line")
    }

    #[test]
    fn mlsd_facts() {
        let e = entry(parse_mlsd_line("type=file;size=1234;modify=20261121064012.345;UNIX.mode=0644;x.unknown=1; my file;x.txt"));
        assert_eq!(
            (e.name.as_str(), e.kind, e.size),
            ("my file;x.txt", EntryKind::FILE, 1234)
        );
        assert_eq!(e.mtime_precision_ns, 1_000_000);
        assert_eq!(
            e.token.as_ref().map(|t| t.as_str()).into_option(),
            Some("20261121064012.345 1234")
        );
        assert_eq!(e.mtime_ns.into_option(), Some(1_795_243_212_345_000_000));
        assert_eq!(
            parse_mlsd_line("type=cdir;modify=20260101000000; .").unwrap(),
            None
        );
        assert_eq!(parse_mlsd_line("type=pdir; ..").unwrap(), None);
        assert_eq!(
            entry(parse_mlsd_line("Type=DIR;Modify=20260101000000; sub")).kind,
            EntryKind::DIRECTORY
        );
        let link = entry(parse_mlsd_line(
            "type=OS.unix=slink:/etc;modify=20260101000000; etc",
        ));
        assert_eq!(link.kind, EntryKind::SYMLINK);
        assert!(parse_mlsd_line("type=file;size=abc; x").is_err());
        assert_eq!(
            entry(parse_mlsd_line("type=file;size=1; ../x"))
                .name
                .as_str(),
            "../x",
            "kept verbatim, for the caller to refuse"
        );
    }

    #[test]
    fn unix_list_lines() {
        let today = (11, 21);
        let e = entry(parse_list_line(
            "-rw-r--r--    1 owner    group        1234 Nov 21 06:40 name  with  spaces",
            2026,
            today,
        ));
        assert_eq!(
            (e.name.as_str(), e.size, e.kind),
            ("name  with  spaces", 1234, EntryKind::FILE)
        );
        assert_eq!(
            e.mtime_ns.into_option(),
            timestamp_ns(2026, 11, 21, 6, 40, 0)
        );
        assert_eq!(e.mtime_precision_ns, MINUTE);
        assert!(e.token.is_none());
        let old = entry(parse_list_line(
            "-rw-r--r-- 1 ftp ftp 5 Jan  3  2019 old.txt",
            2026,
            today,
        ));
        assert_eq!(
            (old.mtime_ns.into_option(), old.mtime_precision_ns),
            (timestamp_ns(2019, 1, 3, 0, 0, 0), DAY)
        );
        let dec = entry(parse_list_line(
            "-rw-r--r-- 1 ftp ftp 5 Dec 30 10:00 last-year.txt",
            2026,
            today,
        ));
        assert_eq!(
            dec.mtime_ns.into_option(),
            timestamp_ns(2025, 12, 30, 10, 0, 0)
        );
        let dir = entry(parse_list_line(
            "drwxr-xr-x    2 0        0            4096 Nov 20 10:00 sub dir",
            2026,
            today,
        ));
        assert_eq!(
            (dir.kind, dir.name.as_str(), dir.size),
            (EntryKind::DIRECTORY, "sub dir", 0)
        );
        let link = entry(parse_list_line(
            "lrwxrwxrwx 1 u g 5 Nov 20 10:00 link name -> target file",
            2026,
            today,
        ));
        assert_eq!(
            (link.kind, link.name.as_str()),
            (EntryKind::SYMLINK, "link name")
        );
        assert_eq!(
            link.link_target.as_ref().map(|t| t.as_str()).into_option(),
            Some("target file")
        );
        let no_group = entry(parse_list_line(
            "-rw-r--r-- 1 ftp 77 Nov 20 10:00 a",
            2026,
            today,
        ));
        assert_eq!(no_group.size, 77);
        assert_eq!(parse_list_line("total 12", 2026, today).unwrap(), None);
        assert_eq!(
            parse_list_line("drwxr-xr-x 2 u g 4096 Nov 20 10:00 ..", 2026, today).unwrap(),
            None
        );
        assert!(parse_list_line("garbage line", 2026, today).is_err());
    }

    #[test]
    fn dos_list_lines() {
        let today = (11, 21);
        let e = entry(parse_list_line(
            "11-21-26  06:40PM                 1234 report 2026.txt",
            2026,
            today,
        ));
        assert_eq!((e.name.as_str(), e.size), ("report 2026.txt", 1234));
        assert_eq!(
            e.mtime_ns.into_option(),
            timestamp_ns(2026, 11, 21, 18, 40, 0)
        );
        let d = entry(parse_list_line(
            "01-02-2019  12:05AM       <DIR>          Old Stuff",
            2026,
            today,
        ));
        assert_eq!(
            (d.kind, d.name.as_str()),
            (EntryKind::DIRECTORY, "Old Stuff")
        );
        assert_eq!(d.mtime_ns.into_option(), timestamp_ns(2019, 1, 2, 0, 5, 0));
    }

    #[test]
    fn fact_times_round_trip() {
        let (ns, precision) = parse_fact_time("20000229235959").unwrap();
        assert_eq!(precision, 1_000_000_000);
        assert_eq!(format_fact_time(ns), "20000229235959");
        assert!(parse_fact_time("2000022923595").is_none());
        assert!(parse_fact_time("20001329235959").is_none());
    }
}
