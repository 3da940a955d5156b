//! `--exclude` / `--include` globs, applied at every depth.
//!
//! A pattern without `/` matches any single path segment (`*.tmp` excludes `a/b/x.tmp`, `cache`
//! excludes every directory named `cache` and what is below it). A pattern with `/` matches the
//! path from the root (`docs/*.pdf`, `build/**`); `*` stays within a segment and `**` crosses
//! directories. An excluded directory is not descended into. When include patterns are given, a
//! file is kept only if it matches one of them.

use anyhow::{bail, Context, Result};
use globset::{Glob, GlobBuilder, GlobMatcher};

/// One compiled pattern.
#[derive(Clone, Debug)]
struct Pattern {
    matcher: GlobMatcher,
    anchored: bool,
}

impl Pattern {
    fn new(text: &str) -> Result<Self> {
        if text.trim().is_empty() {
            bail!("empty filter pattern: give a glob such as `*.tmp` or `build/**`");
        }
        let anchored = text.contains('/');
        let glob: Glob = GlobBuilder::new(text.trim_start_matches('/'))
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .with_context(|| format!("bad filter pattern `{text}`"))?;
        Ok(Pattern {
            matcher: glob.compile_matcher(),
            anchored,
        })
    }

    /// Does the pattern match `path` itself (not counting its ancestors)?
    fn matches_self(&self, path: &str) -> bool {
        if self.anchored {
            self.matcher.is_match(path)
        } else {
            self.matcher
                .is_match(path.rsplit('/').next().unwrap_or(path))
        }
    }
}

/// The filters of one run.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    excludes: Vec<Pattern>,
    includes: Vec<Pattern>,
}

impl Filter {
    /// Compiles the patterns; an empty or malformed one is an error naming it.
    pub fn new(excludes: &[String], includes: &[String]) -> Result<Self> {
        Ok(Filter {
            excludes: excludes
                .iter()
                .map(|p| Pattern::new(p))
                .collect::<Result<_>>()?,
            includes: includes
                .iter()
                .map(|p| Pattern::new(p))
                .collect::<Result<_>>()?,
        })
    }

    /// Is `path` (relative, `/`-separated) excluded by itself? Callers do not descend into
    /// excluded directories, so ancestors need no check here.
    pub fn excludes(&self, path: &str) -> bool {
        self.excludes.iter().any(|p| p.matches_self(path))
    }

    /// Is the file `path` kept? (Not excluded, and included when includes are given.)
    pub fn keeps_file(&self, path: &str) -> bool {
        !self.excludes(path)
            && (self.includes.is_empty() || self.includes.iter().any(|p| p.matches_self(path)))
    }

    /// Does a run with these filters look at `path` (a directory when `is_dir`)? Neither it nor a
    /// directory above it is excluded, and a file is included. A run keeps the baseline records
    /// of paths it does not look at as they were.
    pub fn examines(&self, path: &str, is_dir: bool) -> bool {
        let root = "";
        if crate::relpath::parents(path).any(|dir| dir != root && self.excludes(dir)) {
            return false;
        }
        if is_dir {
            !self.excludes(path)
        } else {
            self.keeps_file(path)
        }
    }

    /// Are there include patterns (so directories are kept only around included files)?
    pub fn has_includes(&self) -> bool {
        !self.includes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(excludes: &[&str], includes: &[&str]) -> Filter {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Filter::new(&owned(excludes), &owned(includes)).unwrap()
    }

    #[test]
    fn segment_patterns_match_at_every_depth() {
        let f = filter(&["*.tmp", "cache"], &[]);
        assert!(f.excludes("x.tmp"));
        assert!(f.excludes("a/b/x.tmp"));
        assert!(f.excludes("a/cache"));
        assert!(!f.excludes("a/cache.txt"));
        assert!(!f.excludes("a/tmp"));
    }

    #[test]
    fn anchored_patterns_match_from_the_root() {
        let f = filter(&["docs/*.pdf", "build/**"], &[]);
        assert!(f.excludes("docs/a.pdf"));
        assert!(!f.excludes("docs/sub/a.pdf"), "* does not cross /");
        assert!(!f.excludes("x/docs/a.pdf"));
        assert!(f.excludes("build/a/b/c"));
        let f = filter(&["**/*.pdf"], &[]);
        assert!(f.excludes("a/b/c.pdf") && f.excludes("c.pdf"));
    }

    #[test]
    fn includes_keep_only_matching_files() {
        let f = filter(&["skip.xml"], &["*.xml"]);
        assert!(f.keeps_file("a/b.xml"));
        assert!(!f.keeps_file("a/b.txt"));
        assert!(!f.keeps_file("skip.xml"));
    }

    #[test]
    fn bad_patterns_are_errors() {
        assert!(Filter::new(&["".into()], &[]).is_err());
        assert!(Filter::new(&["a[".into()], &[]).is_err());
    }
}
