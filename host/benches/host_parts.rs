//! Host-only costs, timed without any server: content hashing throughput (SHA-256 against
//! BLAKE3, in the 64 KiB pieces a copy hashes) and the sync state's save and load for 100,000
//! files. `cargo bench -p ferry --bench host_parts` prints medians; `-- --quick` runs a short
//! pass (smaller inputs, fewer repetitions) that only proves the bench still works.
//!
//! End-to-end runs (a 100k-file local no-op against rsync, the FTP comparison) are in
//! benches/local_100k.py and ../shared/bench: they measure what a user waits for.

use std::time::{Duration, Instant};

use ferry::{
    hash::{Algorithm, ContentHash, Hasher},
    state::{Baseline, Record, SideState, StatePaths, StateStore},
};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time(reps: usize, mut work: impl FnMut()) -> Duration {
    median(
        (0..reps)
            .map(|_| {
                let start = Instant::now();
                work();
                start.elapsed()
            })
            .collect(),
    )
}

fn hashing(bytes: usize, reps: usize) {
    let data: Vec<u8> = (0..bytes).map(|i| (i * 31 + i / 4096) as u8).collect();
    let mib = bytes as f64 / (1 << 20) as f64;
    for algorithm in [Algorithm::Sha256, Algorithm::Blake3] {
        let took = time(reps, || {
            let mut hasher = Hasher::new(&[algorithm]);
            for piece in data.chunks(64 * 1024) {
                hasher.update(piece);
            }
            std::hint::black_box(hasher.finish());
        });
        println!(
            "hash {:<7} {mib:>6.0} MiB  {:>8.3} s  {:>7.0} MiB/s",
            algorithm.name(),
            took.as_secs_f64(),
            mib / took.as_secs_f64()
        );
    }
}

fn baseline(files: usize) -> Baseline {
    let side = |i: usize| SideState {
        hash: Some(ContentHash {
            algorithm: Algorithm::Blake3,
            hex: format!("{i:064x}").into(),
        }),
        size: 1000 + i as u64,
        mtime_ns: Some(1_700_000_000_000_000_000 + i as i64),
        ..Default::default()
    };
    let mut baseline = Baseline::default();
    for i in 0..files {
        baseline.records.insert(
            format!("dir{:04}/file{i:06}.txt", i / 100),
            Record::file(true, side(i), side(i)),
        );
    }
    baseline
}

fn state(files: usize, reps: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let paths = StatePaths::new(dir.path(), "local:/a", "local:/b");
    let baseline = baseline(files);
    // Only the rewrite is timed: opening a store also loads what the last rep wrote.
    let save = median(
        (0..reps)
            .map(|_| {
                let (mut store, _) = StateStore::open(paths.clone(), 1000).expect("open");
                // A change, so that the snapshot is rewritten.
                store.append("x", None).expect("append");
                let start = Instant::now();
                store.compact(&baseline).expect("save");
                start.elapsed()
            })
            .collect(),
    );
    let load = time(reps, || {
        let loaded = ferry::state::store::load(&paths).expect("load");
        assert_eq!(loaded.records.len(), files);
    });
    let size = std::fs::metadata(&paths.snapshot).map_or(0, |m| m.len());
    println!(
        "state {files} files ({:.1} MB): save {:.3} s, load {:.3} s",
        size as f64 / 1e6,
        save.as_secs_f64(),
        load.as_secs_f64()
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (bytes, files, reps) = if quick {
        (32 << 20, 10_000, 1)
    } else {
        (1 << 30, 100_000, 5)
    };
    hashing(bytes, reps);
    state(files, reps);
}
