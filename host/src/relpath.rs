//! Paths inside a tree as the pipeline writes them: relative, `/`-separated, `""` for the root.
//! The two questions every layer asks of them — what is above a path, and is one path below
//! another — answered once.

/// The directories above `path`, nearest first, the root (`""`) last: `a/b/c` → `a/b`, `a`, `""`.
/// The root has none.
pub fn parents(path: &str) -> impl Iterator<Item = &str> {
    let mut at = Some(path).filter(|p| !p.is_empty());
    std::iter::from_fn(move || {
        let here = at?;
        let parent = here.rsplit_once('/').map_or("", |(parent, _)| parent);
        at = Some(parent).filter(|p| !p.is_empty());
        Some(parent)
    })
}

/// Is `path` strictly below the directory `dir` (everything is below the root `""`)?
pub fn is_below(path: &str, dir: &str) -> bool {
    if dir.is_empty() {
        return !path.is_empty();
    }
    path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/'
}

/// A `--backup-dir` as a path inside a tree: relative to the side's root, `/`-separated,
/// without `.` or empty segments. Absolute paths and `..` are refused: a backup is a rename on
/// the side it is taken from, and nothing is ever written outside a root.
pub fn backup_dir(text: &str) -> Result<String, String> {
    if text.starts_with('/') || text.contains("://") {
        return Err(format!(
            "`{text}`: give a directory relative to the root of the side whose files it keeps, such as `.ferry-backup`"
        ));
    }
    let mut segments = Vec::new();
    for segment in text.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err(format!("`{text}`: `..` would leave the root")),
            name => segments.push(name),
        }
    }
    if segments.is_empty() {
        return Err(format!(
            "`{text}` names the root itself; give a directory below it"
        ));
    }
    Ok(segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_dirs_stay_inside_the_root() {
        assert_eq!(backup_dir("./old//2026/").unwrap(), "old/2026");
        assert!(backup_dir("/tmp/x")
            .unwrap_err()
            .contains("relative to the root"));
        assert!(backup_dir("a/../../x").unwrap_err().contains("`..`"));
        assert!(backup_dir("./").unwrap_err().contains("the root itself"));
    }

    #[test]
    fn parents_and_below() {
        assert_eq!(parents("a/b/c").collect::<Vec<_>>(), ["a/b", "a", ""]);
        assert_eq!(parents("a").collect::<Vec<_>>(), [""]);
        assert_eq!(parents("").count(), 0);
        assert!(is_below("a/b", "a") && is_below("a", ""));
        assert!(!is_below("ab", "a") && !is_below("a", "a") && !is_below("", ""));
    }
}
