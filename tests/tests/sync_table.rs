//! Every row of the one-way table (sync-semantics §4), local → local through the local plugin:
//! each test asserts both trees byte for byte, the status lines, the summary and the exit code.

use ferry_tests::*;

const NOTHING: &str =
    "0 uploaded, 0 downloaded, 0 unchanged, 0 conflicts, 0 invalid, 0 deleted, 0 failed";

fn counts(uploaded: u32, unchanged: u32, conflicts: u32, deleted: u32) -> String {
    let conflict_word = if conflicts == 1 {
        "conflict"
    } else {
        "conflicts"
    };
    format!("{uploaded} uploaded, 0 downloaded, {unchanged} unchanged, {conflicts} {conflict_word}, 0 invalid, {deleted} deleted, 0 failed")
}

#[test]
fn new_file_without_baseline_is_transferred() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"alpha");
    put(&pair.src, "sub/b.txt", b"beta");
    pair.sync(&[]).expect(
        0,
        &[
            "+ sub/ (new directory)",
            "↑ a.txt (new)",
            "↑ sub/b.txt (new)",
        ],
        &counts(2, 0, 0, 0),
    );
    assert_eq!(tree(&pair.dst), tree(&pair.src));
}

#[test]
fn a_file_the_destination_lost_is_transferred_again() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"alpha");
    pair.sync(&[])
        .expect(0, &["↑ a.txt (new)"], &counts(1, 0, 0, 0));
    std::fs::remove_file(pair.dst.join("a.txt")).unwrap();
    pair.sync(&[])
        .expect(0, &["↑ a.txt (new)"], &counts(1, 0, 0, 0));
    assert_eq!(text_tree(&pair.dst), entries(&[("a.txt", "alpha")]));
}

#[test]
fn first_run_records_equal_files_and_transfers_different_ones() {
    let pair = Pair::new();
    put(&pair.src, "same.txt", b"identical");
    put(&pair.dst, "same.txt", b"identical");
    put(&pair.src, "diff.txt", b"source version");
    put(&pair.dst, "diff.txt", b"destination version");
    pair.sync(&["-v"]).expect(
        0,
        &["= same.txt (unchanged)", "↑ diff.txt (modified)"],
        &counts(1, 1, 0, 0),
    );
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[("diff.txt", "source version"), ("same.txt", "identical")])
    );
    // The equal file was recorded: a later destination edit is a conflict, not a silent overwrite.
    put(&pair.dst, "same.txt", b"edited at the destination");
    pair.sync(&[]).expect(
        3,
        &["! same.txt (conflict: destination changed since last sync)"],
        &counts(0, 1, 1, 0),
    );
}

#[test]
fn a_source_change_is_transferred() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"one");
    pair.sync(&[]);
    put(&pair.src, "a.txt", b"two, longer");
    pair.sync(&[])
        .expect(0, &["↑ a.txt (modified)"], &counts(1, 0, 0, 0));
    assert_eq!(text_tree(&pair.dst), entries(&[("a.txt", "two, longer")]));
}

#[test]
fn unchanged_files_are_skipped_and_shown_with_verbose() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"one");
    pair.sync(&[]);
    pair.sync(&[]).expect(0, &[], &counts(0, 1, 0, 0));
    pair.sync(&["--verbose"])
        .expect(0, &["= a.txt (unchanged)"], &counts(0, 1, 0, 0));
}

#[test]
fn changes_on_both_sides_are_a_conflict_and_both_are_kept() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"base");
    pair.sync(&[]);
    put(&pair.src, "a.txt", b"source edit");
    put(&pair.dst, "a.txt", b"destination edit");
    pair.sync(&[]).expect(
        3,
        &["! a.txt (conflict: changed on both sides)"],
        &counts(0, 0, 1, 0),
    );
    assert_eq!(text_tree(&pair.src), entries(&[("a.txt", "source edit")]));
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[("a.txt", "destination edit")])
    );
    // --force transfers the source anyway.
    pair.sync(&["--force"])
        .expect(0, &["↑ a.txt (modified)"], &counts(1, 0, 0, 0));
    assert_eq!(text_tree(&pair.dst), entries(&[("a.txt", "source edit")]));
}

#[test]
fn a_destination_edit_is_never_overwritten_without_force() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"base");
    pair.sync(&[]);
    put(&pair.dst, "a.txt", b"edited downstream");
    for _ in 0..2 {
        pair.sync(&[]).expect(
            3,
            &["! a.txt (conflict: destination changed since last sync)"],
            &counts(0, 0, 1, 0),
        );
        assert_eq!(
            text_tree(&pair.dst),
            entries(&[("a.txt", "edited downstream")])
        );
    }
}

#[test]
fn source_deletions_propagate_only_with_delete() {
    let pair = Pair::new();
    put(&pair.src, "keep.txt", b"k");
    put(&pair.src, "gone.txt", b"g");
    put(&pair.src, "olddir/x.txt", b"x");
    pair.sync(&[]);
    std::fs::remove_file(pair.src.join("gone.txt")).unwrap();
    std::fs::remove_dir_all(pair.src.join("olddir")).unwrap();
    pair.sync(&[]).expect(0, &[], &counts(0, 1, 0, 0));
    assert!(pair.dst.join("gone.txt").exists());
    pair.sync(&["--delete"]).expect(
        0,
        &[
            "✗ gone.txt (deleted)",
            "✗ olddir/x.txt (deleted)",
            "✗ olddir/ (deleted)",
        ],
        // Files are counted, directories are not.
        &counts(0, 1, 0, 2),
    );
    assert_eq!(text_tree(&pair.dst), entries(&[("keep.txt", "k")]));
}

#[test]
fn a_changed_destination_file_whose_source_is_gone_is_kept() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"base");
    put(&pair.src, "b.txt", b"other");
    pair.sync(&[]);
    std::fs::remove_file(pair.src.join("a.txt")).unwrap();
    put(&pair.dst, "a.txt", b"edited downstream");
    pair.sync(&["--delete"]).expect(
        3,
        &["! a.txt (conflict: destination changed, source deleted)"],
        &counts(0, 1, 1, 0),
    );
    assert_eq!(
        text_tree(&pair.dst),
        entries(&[("a.txt", "edited downstream"), ("b.txt", "other")])
    );
}

#[test]
fn delete_mirrors_destination_files_never_synced() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"a");
    put(&pair.dst, "stray.txt", b"s");
    put(&pair.dst, "strays/deep.txt", b"d");
    pair.sync(&["--delete"]).expect(
        0,
        &[
            "↑ a.txt (new)",
            "✗ stray.txt (deleted)",
            "✗ strays/deep.txt (deleted)",
            "✗ strays/ (deleted)",
        ],
        &counts(1, 0, 0, 2),
    );
    assert_eq!(text_tree(&pair.dst), entries(&[("a.txt", "a")]));
}

#[test]
fn a_path_gone_from_both_sides_is_dropped_from_the_state() {
    let pair = Pair::new();
    put(&pair.src, "a.txt", b"a");
    put(&pair.src, "b.txt", b"b");
    pair.sync(&[]);
    std::fs::remove_file(pair.src.join("a.txt")).unwrap();
    std::fs::remove_file(pair.dst.join("a.txt")).unwrap();
    pair.sync(&[]).expect(0, &[], &counts(0, 1, 0, 0));
    let state: String = std::fs::read_dir(pair.state_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(
        state.contains("\"b.txt\"") && !state.contains("\"a.txt\""),
        "{state}"
    );
    // Recreated on the source: new again.
    put(&pair.src, "a.txt", b"again");
    pair.sync(&[])
        .expect(0, &["↑ a.txt (new)"], &counts(1, 1, 0, 0));
}

#[test]
fn an_empty_run_says_so() {
    let pair = Pair::new();
    pair.sync(&[]).expect(0, &[], NOTHING);
}
