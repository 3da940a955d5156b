//! Turns abi_stable's layout-mismatch reports (hundreds to thousands of lines of type dumps) into
//! one line a user can act on. The full report stays available to the host for `-v`.

/// Condenses an abi_stable `AbiInstability` report to its `Error:` lines with their
/// expected/found values, e.g. `too many fields (expected 9, found 10) in Entry`.
pub fn condense_layout_error(report: &str) -> String {
    let lines: Vec<&str> = report.lines().map(str::trim).collect();
    let mut causes: Vec<String> = Vec::new();
    let mut current_type: Option<String> = None;
    for (index, line) in lines.iter().enumerate() {
        if let Some(rest) = line.strip_prefix("type:") {
            current_type = Some(short_type_name(rest));
        }
        let Some(error) = line.strip_prefix("Error:") else {
            continue;
        };
        let error = error.trim();
        let value_after = |label: &str| {
            lines[index + 1..]
                .iter()
                .take(12)
                .position(|l| *l == label)
                .and_then(|pos| lines.get(index + 1 + pos + 1))
                .map(|v| v.to_string())
        };
        let mut cause = error.to_string();
        if let (Some(expected), Some(found)) = (value_after("Expected:"), value_after("Found:")) {
            if expected.len() <= 40 && found.len() <= 40 {
                cause.push_str(&format!(" (expected {expected}, found {found})"));
            }
        }
        if let Some(ty) = &current_type {
            cause.push_str(&format!(" in `{ty}`"));
        }
        if !causes.contains(&cause) {
            causes.push(cause);
        }
    }
    if causes.is_empty() {
        return report
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("incompatible layout")
            .to_string();
    }
    let shown = causes.len().min(3);
    let mut text = causes[..shown].join("; ");
    if causes.len() > shown {
        text.push_str(&format!("; and {} more", causes.len() - shown));
    }
    text
}

/// `Entry` from `Entry  ... other columns`, `PrefixRef<'a, Foo>` kept whole.
fn short_type_name(rest: &str) -> String {
    let name = rest.trim();
    let name = name.split("  ").next().unwrap_or(name).trim();
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_error_lines() {
        let report = "\nCompared <this>:\n    --- Type Layout ---\n    type:Entry\n    size:72\n\
                      Error:too many fields\nExpected:\n    9\nFound:\n    10\n";
        assert_eq!(
            condense_layout_error(report),
            "too many fields (expected 9, found 10) in `Entry`"
        );
    }

    #[test]
    fn falls_back_to_the_first_line() {
        assert_eq!(
            condense_layout_error("\n  something odd\nmore"),
            "something odd"
        );
    }
}
