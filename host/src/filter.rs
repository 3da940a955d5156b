//! `--exclude` / `--include` globs (and `--exclude-from` / `--include-from` files of them),
//! applied at every depth.
//!
//! A pattern without `/` matches any single path segment (`*.tmp` excludes `a/b/x.tmp`, `cache`
//! excludes every directory named `cache` and what is below it). A pattern with `/` matches the
//! path from the root (`docs/*.pdf`, `build/**`); `*` stays within a segment and `**` crosses
//! directories. A pattern ending in `/` matches directories only (`cache/`), as in rsync and
//! gitignore. An excluded directory is not descended into. When include patterns are given, a
//! file is kept only if it, or a directory above it, matches one of them (`--include docs`
//! keeps everything below every `docs` directory).

use std::path::Path;

use anyhow::{bail, Context, Result};
use globset::{Glob, GlobBuilder, GlobMatcher};

/// One compiled pattern.
#[derive(Clone, Debug)]
struct Pattern {
    matcher: GlobMatcher,
    anchored: bool,
    directories_only: bool,
}

impl Pattern {
    fn new(text: &str) -> Result<Self> {
        let glob_text = text.trim_end_matches('/');
        if glob_text.trim().is_empty() {
            bail!("empty filter pattern `{text}`: give a glob such as `*.tmp`, `cache/` or `build/**`");
        }
        let anchored = glob_text.contains('/');
        let glob: Glob = GlobBuilder::new(glob_text.trim_start_matches('/'))
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .with_context(|| format!("bad filter pattern `{text}`"))?;
        Ok(Pattern {
            matcher: glob.compile_matcher(),
            anchored,
            directories_only: text.ends_with('/'),
        })
    }

    /// Does the pattern match `path` itself (a directory when `is_dir`), not counting its
    /// ancestors?
    fn matches_self(&self, path: &str, is_dir: bool) -> bool {
        if self.directories_only && !is_dir {
            return false;
        }
        if self.anchored {
            self.matcher.is_match(path)
        } else {
            self.matcher
                .is_match(path.rsplit('/').next().unwrap_or(path))
        }
    }

    /// Does the pattern match the file `path` or a directory above it?
    fn covers_file(&self, path: &str) -> bool {
        self.matches_self(path, false)
            || crate::relpath::parents(path)
                .filter(|dir| !dir.is_empty())
                .any(|dir| self.matches_self(dir, true))
    }
}

/// The patterns of a `--exclude-from` / `--include-from` file: one per line; blank lines and
/// lines starting with `#` or `;` are skipped, and leading and trailing spaces dropped (rclone's
/// rules).
pub fn read_pattern_file(file: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the filter file {}", file.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#') && !line.starts_with(';'))
        .map(String::from)
        .collect())
}

/// The filters of one run.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    excludes: Vec<Pattern>,
    includes: Vec<Pattern>,
    /// A directory outside the run altogether (the `--backup-dir`): never examined, never
    /// counted as unmatched, so never deleted.
    hidden: Option<String>,
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
            hidden: None,
        })
    }

    /// The same filters with `dir` (and everything below it) outside the run.
    pub fn hiding(mut self, dir: Option<&str>) -> Self {
        self.hidden = dir.map(str::to_string);
        self
    }

    /// Is `path` the hidden directory or below it?
    pub fn hides(&self, path: &str) -> bool {
        self.hidden
            .as_deref()
            .is_some_and(|dir| path == dir || crate::relpath::is_below(path, dir))
    }

    /// Is `path` (relative, `/`-separated; a directory when `is_dir`) excluded by itself?
    /// Callers do not descend into excluded directories, so ancestors need no check here.
    pub fn excludes(&self, path: &str, is_dir: bool) -> bool {
        self.hides(path) || self.excludes.iter().any(|p| p.matches_self(path, is_dir))
    }

    /// Is the file `path` kept? (Not excluded, and included — itself or a directory above it
    /// — when includes are given.)
    pub fn keeps_file(&self, path: &str) -> bool {
        !self.excludes(path, false)
            && (self.includes.is_empty() || self.includes.iter().any(|p| p.covers_file(path)))
    }

    /// Does a run with these filters look at `path` (a directory when `is_dir`)? Neither it nor a
    /// directory above it is excluded, and a file is included. A run keeps the baseline records
    /// of paths it does not look at as they were.
    pub fn examines(&self, path: &str, is_dir: bool) -> bool {
        if crate::relpath::parents(path).any(|dir| !dir.is_empty() && self.excludes(dir, true)) {
            return false;
        }
        if is_dir {
            !self.excludes(path, true)
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
        assert!(f.excludes("x.tmp", false));
        assert!(f.excludes("a/b/x.tmp", false));
        assert!(f.excludes("a/cache", true));
        assert!(f.excludes("a/cache", false));
        assert!(!f.excludes("a/cache.txt", false));
        assert!(!f.excludes("a/tmp", false));
    }

    #[test]
    fn a_trailing_slash_matches_directories_only() {
        let f = filter(&["cache/", "out/logs/"], &[]);
        assert!(f.excludes("a/cache", true));
        assert!(!f.excludes("a/cache", false), "a file called cache stays");
        assert!(f.excludes("out/logs", true));
        assert!(!f.excludes("x/out/logs", true), "anchored");
        assert!(!f.examines("a/cache/x.txt", false));
        assert!(f.examines("a/cache", false));
    }

    #[test]
    fn anchored_patterns_match_from_the_root() {
        let f = filter(&["docs/*.pdf", "build/**"], &[]);
        assert!(f.excludes("docs/a.pdf", false));
        assert!(!f.excludes("docs/sub/a.pdf", false), "* does not cross /");
        assert!(!f.excludes("x/docs/a.pdf", false));
        assert!(f.excludes("build/a/b/c", false));
        let f = filter(&["**/*.pdf"], &[]);
        assert!(f.excludes("a/b/c.pdf", false) && f.excludes("c.pdf", false));
    }

    #[test]
    fn includes_keep_only_matching_files() {
        let f = filter(&["skip.xml"], &["*.xml"]);
        assert!(f.keeps_file("a/b.xml"));
        assert!(!f.keeps_file("a/b.txt"));
        assert!(!f.keeps_file("skip.xml"));
    }

    #[test]
    fn including_a_directory_includes_what_is_below_it() {
        let f = filter(&["*.bak"], &["docs"]);
        assert!(f.keeps_file("docs/a.txt"));
        assert!(f.keeps_file("x/docs/deep/b.pdf"));
        assert!(f.keeps_file("docs"), "a file called docs");
        assert!(!f.keeps_file("src/a.txt"));
        assert!(!f.keeps_file("docs/old.bak"), "excludes still win");
        let f = filter(&[], &["docs/"]);
        assert!(f.keeps_file("docs/a.txt"));
        assert!(
            !f.keeps_file("docs"),
            "a file called docs is not a directory"
        );
    }

    #[test]
    fn pattern_files_skip_comments_and_blanks() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("excludes.txt");
        std::fs::write(
            &file,
            "# build output\nbuild/\n\n  *.tmp  \r\n; rclone comment\n",
        )
        .unwrap();
        assert_eq!(read_pattern_file(&file).unwrap(), ["build/", "*.tmp"]);
        let error = read_pattern_file(&dir.path().join("missing")).unwrap_err();
        assert!(
            format!("{error:#}").starts_with("cannot read the filter file "),
            "{error:#}"
        );
    }

    #[test]
    fn bad_patterns_are_errors() {
        assert!(Filter::new(&["".into()], &[]).is_err());
        assert!(Filter::new(&["/".into()], &[]).is_err());
        assert!(Filter::new(&["a[".into()], &[]).is_err());
    }
}
