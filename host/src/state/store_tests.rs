//! Tests of [`super`]: journal, snapshot, held lines, torn tails, locking.

use super::*;
use crate::state::SideState;
use std::os::unix::fs::PermissionsExt;

fn record(size: u64) -> Record {
    Record {
        dir: false,
        a: SideState {
            size,
            hash: Some(crate::hash::ContentHash {
                algorithm: crate::hash::Algorithm::Blake3,
                hex: "ab".into(),
            }),
            ..Default::default()
        },
        b: SideState {
            size,
            token: Some("t".into()),
            ..Default::default()
        },
    }
}

/// A complete journal line setting `path` to `record(size)`.
fn journal_line(path: &str, size: u64) -> String {
    serde_json::to_string(&JournalLineRef::Set {
        set: path,
        record: &record(size),
    })
    .unwrap()
}

#[test]
fn held_lines_reach_the_journal_only_at_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let paths = StatePaths::new(dir.path(), "local:/a", "local:/b");
    let (mut store, _) = StateStore::open(paths.clone(), 3).unwrap();
    let journal_lines = || {
        fs::read_to_string(&paths.journal)
            .map(|text| text.lines().count())
            .unwrap_or(0)
    };
    // Not held: each line is written at once; the third is due for a checkpoint.
    assert!(!store.append("a", Some(&record(1))).unwrap());
    assert_eq!(journal_lines(), 1);
    assert!(!store.append("b", Some(&record(1))).unwrap());
    assert!(store.append("c", Some(&record(1))).unwrap());
    store.checkpoint().unwrap();
    assert_eq!(journal_lines(), 3);
    store.hold_lines();
    assert!(!store.append("d", Some(&record(2))).unwrap());
    assert!(!store.append("a", None).unwrap());
    assert_eq!(journal_lines(), 3, "held lines are not written");
    assert!(store.append("e", Some(&record(2))).unwrap());
    store.checkpoint().unwrap();
    assert_eq!(journal_lines(), 6);
    assert_eq!(
        load(&paths).unwrap().records.keys().collect::<Vec<_>>(),
        ["b", "c", "d", "e"]
    );
    // Held lines a kill would lose are simply not there; the checkpointed ones are.
    assert!(!store.append("f", Some(&record(3))).unwrap());
    drop(store);
    assert!(!load(&paths).unwrap().records.contains_key("f"));
}

#[test]
fn a_line_held_too_long_makes_a_checkpoint_due() {
    let dir = tempfile::tempdir().unwrap();
    let paths = StatePaths::new(dir.path(), "local:/a", "local:/b");
    let (mut store, _) = StateStore::open(paths, 100).unwrap();
    store.hold_lines();
    assert!(!store.append("a", Some(&record(1))).unwrap());
    std::thread::sleep(HOLD_AT_MOST);
    assert!(store.append("b", Some(&record(1))).unwrap());
    store.checkpoint().unwrap();
    assert!(!store.append("c", Some(&record(1))).unwrap());
}

#[test]
fn compaction_keeps_what_held_lines_said() {
    let dir = tempfile::tempdir().unwrap();
    let paths = StatePaths::new(dir.path(), "local:/a", "local:/b");
    let (mut store, mut baseline) = StateStore::open(paths.clone(), 100).unwrap();
    store.hold_lines();
    store.append("a", Some(&record(1))).unwrap();
    baseline.records.insert("a".into(), record(1));
    store.compact(&baseline).unwrap();
    assert!(!paths.journal.exists());
    assert_eq!(load(&paths).unwrap(), baseline);
}

#[test]
fn journal_survives_without_compaction_and_compacts() {
    let dir = tempfile::tempdir().unwrap();
    let paths = StatePaths::new(dir.path(), "local:/b", "local:/a");
    assert!(paths.is_side_a("local:/a"));
    {
        let (mut store, baseline) = StateStore::open(paths.clone(), 100).unwrap();
        assert!(baseline.records.is_empty());
        store.append("x", Some(&record(1))).unwrap();
        store.append("y", Some(&record(2))).unwrap();
        store.append("x", None).unwrap();
        // Dropped without compaction, as after a kill.
    }
    let loaded = load(&paths).unwrap();
    assert_eq!(loaded.records.keys().collect::<Vec<_>>(), ["y"]);
    let (mut store, baseline) = StateStore::open(paths.clone(), 100).unwrap();
    store.compact(&baseline).unwrap();
    assert!(!paths.journal.exists());
    assert_eq!(load(&paths).unwrap(), baseline);
    let mode = fs::metadata(&paths.snapshot).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_run_that_changed_nothing_leaves_the_snapshot_alone() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let paths = StatePaths::new(dir.path(), "a", "b");
    let (mut store, mut baseline) = StateStore::open(paths.clone(), 100).unwrap();
    store.append("x", Some(&record(1))).unwrap();
    baseline.records.insert("x".into(), record(1));
    store.compact(&baseline).unwrap();
    let identity = |p: &Path| {
        let meta = fs::metadata(p).unwrap();
        (meta.ino(), meta.mtime_nsec(), meta.mtime())
    };
    let written = identity(&paths.snapshot);
    drop(store);
    let (mut store, baseline) = StateStore::open(paths.clone(), 100).unwrap();
    store.compact(&baseline).unwrap();
    assert_eq!(
        identity(&paths.snapshot),
        written,
        "rewritten with nothing changed"
    );
    drop(store);
    // A journal left by a killed run is folded in although this run appends nothing.
    fs::write(&paths.journal, format!("{}\n", journal_line("y", 2))).unwrap();
    let (mut store, baseline) = StateStore::open(paths.clone(), 100).unwrap();
    store.compact(&baseline).unwrap();
    assert!(!paths.journal.exists());
    assert_eq!(
        load(&paths).unwrap().records.keys().collect::<Vec<_>>(),
        ["x", "y"]
    );
}

#[test]
fn a_torn_last_line_is_ignored_but_damage_elsewhere_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let paths = StatePaths::new(dir.path(), "a", "b");
    let good = journal_line("p", 3);
    fs::write(&paths.journal, format!("{good}\n{{\"set\":\"q\",\"rec")).unwrap();
    assert_eq!(load(&paths).unwrap().records.len(), 1);
    fs::write(&paths.journal, format!("garbage\n{good}\n")).unwrap();
    let error = load(&paths).unwrap_err().to_string();
    assert!(error.contains("damaged at line 1"), "{error}");
}

#[test]
fn foreign_versions_and_garbage_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let paths = StatePaths::new(dir.path(), "a", "b");
    fs::write(
        &paths.snapshot,
        r#"{"format":"ferry-baseline","version":99,"endpoints":["a","b"],"records":{}}"#,
    )
    .unwrap();
    let error = format!("{:#}", load(&paths).unwrap_err());
    assert!(
        error.contains("format version 99, but this ferry reads versions 1 to 2"),
        "{error}"
    );
    fs::write(&paths.snapshot, "not json").unwrap();
    let error = format!("{:#}", load(&paths).unwrap_err());
    assert!(error.contains("is unreadable"), "{error}");
    fs::write(
        &paths.snapshot,
        r#"{"format":"ferry-baseline","version":1,"endpoints":["a","b"],"records":{"p":7}}"#,
    )
    .unwrap();
    let error = format!("{:#}", load(&paths).unwrap_err());
    assert!(error.contains("is damaged; move it away"), "{error}");
    fs::write(
        &paths.snapshot,
        r#"{"format":"other","version":1,"endpoints":["a","b"],"records":{}}"#,
    )
    .unwrap();
    let error = format!("{:#}", load(&paths).unwrap_err());
    assert!(
        error.contains("is not a ferry sync state (format `other`)"),
        "{error}"
    );
}

#[test]
fn a_torn_line_is_cut_off_before_more_is_appended() {
    let dir = tempfile::tempdir().unwrap();
    let paths = StatePaths::new(dir.path(), "a", "b");
    let good = journal_line("p", 3);
    for torn in ["{\"set\":\"q\",\"rec", "{\"set\":\"q\",\"rec\n"] {
        fs::write(&paths.journal, format!("{good}\n{torn}")).unwrap();
        // A run appends after the torn line and is killed; the next run must still open.
        {
            let (mut store, baseline) = StateStore::open(paths.clone(), 100).unwrap();
            assert_eq!(baseline.records.len(), 1);
            store.append("r", Some(&record(4))).unwrap();
        }
        let (_, baseline) = StateStore::open(paths.clone(), 100).unwrap();
        assert_eq!(
            baseline.records.keys().collect::<Vec<_>>(),
            ["p", "r"],
            "{torn:?}"
        );
        fs::remove_file(&paths.journal).unwrap();
    }
}

#[test]
fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let paths = StatePaths::new(dir.path(), "a", "b");
    let _first = StateStore::open(paths.clone(), 1).unwrap();
    let error = StateStore::open(paths, 1).unwrap_err().to_string();
    assert!(error.contains("another ferry run"), "{error}");
}
