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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_and_below() {
        assert_eq!(parents("a/b/c").collect::<Vec<_>>(), ["a/b", "a", ""]);
        assert_eq!(parents("a").collect::<Vec<_>>(), [""]);
        assert_eq!(parents("").count(), 0);
        assert!(is_below("a/b", "a") && is_below("a", ""));
        assert!(!is_below("ab", "a") && !is_below("a", "a") && !is_below("", ""));
    }
}
