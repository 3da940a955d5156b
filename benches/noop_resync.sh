#!/usr/bin/env bash
# Benchmark: no-op re-sync of a 20,000-file local tree (local → local through the local plugin).
# Builds ferry in release mode, makes the tree, syncs it once, then times three no-op re-runs and
# prints each one's wall time and how many files it hashed (must be 0: a no-op run trusts the
# stored hashes and only stats). Usage: benches/noop_resync.sh [FILES]
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-20000}
cargo build --workspace --release --locked --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/src" "$files" <<'PY'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    d = os.path.join(root, f"d{i // 500:03}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05}.txt"), "w") as f:
        f.write(f"file {i}\n" * (1 + i % 16))
PY
export XDG_STATE_HOME="$work/state"
ferry=target/release/ferry
start=$(date +%s.%N)
"$ferry" sync --json "$work/src" "$work/dst" | tail -n 1 > "$work/first.json"
echo "first sync of $files files: $(echo "$(date +%s.%N) - $start" | bc) s"
for run in 1 2 3; do
    start=$(date +%s.%N)
    "$ferry" sync --json "$work/src" "$work/dst" | tail -n 1 > "$work/again.json"
    elapsed=$(echo "$(date +%s.%N) - $start" | bc)
    python3 - "$work/again.json" "$run" "$elapsed" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
print(f"no-op re-sync {sys.argv[2]}: {float(sys.argv[3]):.3f} s wall, "
      f"{summary['unchanged']} unchanged, {summary['uploaded']} uploaded, {summary['hashed_files']} hashed")
if summary["hashed_files"] != 0 or summary["uploaded"] != 0:
    sys.exit("a no-op re-sync must neither hash nor transfer")
PY
done
