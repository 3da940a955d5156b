//! The sync states kept in the state directory, as `ferry state list` shows them, and
//! forgetting one (`ferry state forget`): its next run is then a first run.

use std::{collections::BTreeSet, fs, path::Path, time::UNIX_EPOCH};

use anyhow::{Context, Result};
use serde::Deserialize;

use super::store::{self, StatePaths};

/// One kept state.
#[derive(Debug)]
pub struct Kept {
    /// The file name's key (16 hex digits).
    pub key: String,
    /// The two endpoint labels, when the snapshot says them.
    pub endpoints: Option<[String; 2]>,
    /// Files recorded (directories not counted).
    pub files: usize,
    /// Bytes on disk (snapshot and journal).
    pub bytes: u64,
    /// When it was last written, ns since the epoch.
    pub written_ns: i64,
    /// Why it could not be read, if it could not.
    pub problem: Option<String>,
}

#[derive(Deserialize)]
struct Endpoints {
    endpoints: [String; 2],
}

/// Every state in `dir`, the most recently written first.
pub fn list(dir: &Path) -> Result<Vec<Kept>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the state directory {}", dir.display()))
        }
    };
    let keys: BTreeSet<String> = entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let key = name
                .strip_suffix(".json")
                .or_else(|| name.strip_suffix(".journal"))?;
            (key.len() == 16 && key.bytes().all(|b| b.is_ascii_hexdigit())).then(|| key.to_string())
        })
        .collect();
    let mut kept: Vec<Kept> = keys.into_iter().map(|key| describe(dir, key)).collect();
    kept.sort_by(|a, b| b.written_ns.cmp(&a.written_ns).then(a.key.cmp(&b.key)));
    Ok(kept)
}

fn describe(dir: &Path, key: String) -> Kept {
    let snapshot = dir.join(format!("{key}.json"));
    let journal = dir.join(format!("{key}.journal"));
    let (mut bytes, mut written_ns) = (0, 0);
    for file in [&snapshot, &journal] {
        if let Ok(meta) = fs::metadata(file) {
            bytes += meta.len();
            let ns = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as i64);
            written_ns = written_ns.max(ns);
        }
    }
    let mut kept = Kept {
        key,
        endpoints: None,
        files: 0,
        bytes,
        written_ns,
        problem: None,
    };
    let endpoints = match fs::read(&snapshot) {
        Ok(text) => match serde_json::from_slice::<Endpoints>(&text) {
            Ok(parsed) => parsed.endpoints,
            Err(e) => {
                kept.problem = Some(format!("{}: {e}", snapshot.display()));
                return kept;
            }
        },
        Err(_) => {
            kept.problem = Some("no snapshot yet (a first run that did not finish)".into());
            return kept;
        }
    };
    let paths = StatePaths::new(dir, &endpoints[0], &endpoints[1]);
    match store::load(&paths) {
        Ok(baseline) => kept.files = baseline.file_count(),
        Err(e) => kept.problem = Some(format!("{e:#}")),
    }
    kept.endpoints = Some(endpoints);
    kept
}

/// Removes the state of `paths` under its lock, so no run is writing it meanwhile.
pub fn forget(paths: &StatePaths) -> Result<()> {
    let lock = store::lock(paths)?;
    paths.remove()?;
    drop(lock);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Record, SideState, StateStore};

    #[test]
    fn states_are_listed_and_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        assert!(list(&dir.path().join("none")).unwrap().is_empty());
        let paths = StatePaths::new(dir.path(), "local:/b", "local:/a");
        let (mut store, _) = StateStore::open(paths.clone(), 1).unwrap();
        let side = SideState {
            size: 3,
            ..SideState::default()
        };
        let mut baseline = crate::state::Baseline::default();
        baseline
            .records
            .insert("x.txt".into(), Record::file(true, side.clone(), side));
        baseline.records.insert("d".into(), Record::directory());
        store.compact(&baseline).unwrap();
        drop(store);
        fs::write(dir.path().join("0123456789abcdef.json"), "not json").unwrap();

        let kept = list(dir.path()).unwrap();
        assert_eq!(kept.len(), 2, "{kept:?}");
        let good = kept.iter().find(|k| k.endpoints.is_some()).unwrap();
        assert_eq!(
            good.endpoints.as_ref().unwrap(),
            &["local:/a".to_string(), "local:/b".to_string()]
        );
        assert_eq!(good.files, 1);
        assert!(good.bytes > 0 && good.written_ns > 0);
        let bad = kept.iter().find(|k| k.key == "0123456789abcdef").unwrap();
        assert!(bad
            .problem
            .as_deref()
            .unwrap()
            .contains("0123456789abcdef.json"));

        let (held, _) = StateStore::open(paths.clone(), 1).unwrap();
        let error = forget(&paths).unwrap_err();
        assert!(
            format!("{error:#}").contains("another ferry run"),
            "{error:#}"
        );
        drop(held);
        forget(&paths).unwrap();
        assert!(!paths.exists());
        assert_eq!(list(dir.path()).unwrap().len(), 1);
    }
}
