//! Turns abi_stable's layout-mismatch reports (hundreds to thousands of lines of type dumps) into
//! one line a user can act on. The full report stays available to the host for `-v`.
//!
//! A report is a series of blocks: `N error(s)inside:`, the path of `field_name:`/`type:` lines
//! leading to the mismatched type, `Layout of expected type:` …, then `Error:` lines each followed
//! by `Expected:` and `Found:` values. The innermost type is named last in the report, and the
//! outer types only inherit its change of size, so causes are listed innermost first.

/// Condenses an abi_stable `AbiInstability` report, e.g. to
/// ``unexpected field in `Listing` (expected `extra`, found `added`); too many fields in `Listing` (expected 3, found 4)``.
pub fn condense_layout_error(report: &str) -> String {
    let lines: Vec<&str> = report.lines().map(str::trim).collect();
    let mut causes: Vec<String> = Vec::new();
    let mut culprit: Option<&str> = None;
    let mut in_path = false;
    for (index, line) in lines.iter().enumerate() {
        if line.ends_with("error(s)inside:") {
            in_path = true;
            culprit = None;
            continue;
        }
        if *line == "Layout of expected type:" {
            in_path = false;
            continue;
        }
        if in_path {
            if let Some(ty) = line.strip_prefix("type:") {
                culprit = Some(ty.trim());
            }
            continue;
        }
        let Some(error) = line.strip_prefix("Error:") else {
            continue;
        };
        let mut cause = error.trim().to_string();
        if let Some(ty) = culprit {
            cause.push_str(&format!(" in `{ty}`"));
        }
        let rest = &lines[index + 1..];
        let rest = &rest[..rest
            .iter()
            .position(|l| l.starts_with("Error:"))
            .unwrap_or(rest.len())];
        if let (Some(expected), Some(found)) =
            (value_after(rest, "Expected:"), value_after(rest, "Found:"))
        {
            cause.push_str(&format!(" (expected {expected}, found {found})"));
        }
        causes.push(cause);
    }
    causes.reverse();
    let mut unique: Vec<String> = Vec::new();
    for cause in causes {
        if !unique.contains(&cause) {
            unique.push(cause);
        }
    }
    if unique.is_empty() {
        return report
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("incompatible layout")
            .to_string();
    }
    let shown = unique.len().min(2);
    let mut text = unique[..shown].join("; ");
    if unique.len() > shown {
        text.push_str(&format!("; and {} more", unique.len() - shown));
    }
    text
}

/// The value following `label`: a field is shown by its name, anything else as written.
fn value_after(lines: &[&str], label: &str) -> Option<String> {
    let position = lines.iter().position(|l| *l == label)?;
    let value = lines.get(position + 1)?;
    let value = match value.strip_prefix("field_name:") {
        Some(name) => format!("`{name}`"),
        None => value.to_string(),
    };
    (value.len() <= 60).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "
      Compared <this>:
          type:PrefixRef<'a, PluginModule>
      1 error(s)inside:
          field_name:0
          type:PluginModule
          field_name:__returns
          type:RResult
      Layout of expected type:
          size:104
      Error:incompatible type size
      Expected:
          104
      Found:
          112
      3 error(s)inside:
          field_name:open
          type:AFunctionPointer
          field_name:field_0
          type:Listing
      Layout of expected type:
          Repr attribute:C
      Error:too many fields
      Expected:
          3
      Found:
          4
      Error:unexpected field
      Expected:
          field_name:extra
          type:RVec
      Found:
          field_name:added
          type:u64
";

    #[test]
    fn names_the_innermost_type_first() {
        assert_eq!(
            condense_layout_error(REPORT),
            "unexpected field in `Listing` (expected `extra`, found `added`); \
             too many fields in `Listing` (expected 3, found 4); and 1 more"
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
