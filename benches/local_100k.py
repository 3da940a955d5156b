#!/usr/bin/env python3
"""Local comparison: ferry (local → local) against `rsync -a`, `cp -r` and `rclone sync` on one
tree of 100,000 files of 1-8 KiB in 1,000 directories, on the same disk.

    cargo build --workspace --release
    sudo apt-get install rsync rclone                      # once
    python3 benches/local_100k.py --reps 3                 # --files 10000 for a short run

Scenarios: `first` (into an empty directory; `cp -r` takes part here only) and `noop` (the same
again: nothing to do). Tools take turns in a rotating order; each first sync starts from an
empty destination, each no-op from a complete one; every destination is verified against the
source (names, sizes, bytes). Wall time medians and the largest max RSS (from /usr/bin/time)
per tool. The report (Markdown) goes to stdout and --out; the acceptance of issue 13 asks for
ferry's no-op ≤ 1.0 × rsync's time with max RSS ≤ 64 MiB, and its first sync ≤ 1.5 × rsync's.
"""
from __future__ import annotations

import argparse
import filecmp
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def make_tree(dest: Path, files: int, seed: int) -> None:
    rng = random.Random(seed)
    dirs = max(1, files // 100)
    for d in range(dirs):
        (dest / f"d{d:04}").mkdir(parents=True, exist_ok=True)
    for i in range(files):
        path = dest / f"d{i % dirs:04}" / f"f{i:06}.txt"
        path.write_bytes(rng.randbytes(rng.randint(1024, 8 * 1024)))
        os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))


def same_tree(a: Path, b: Path) -> bool:
    """Names, sizes and bytes equal (filecmp with shallow=False)."""
    def walk(x: Path, y: Path) -> bool:
        cmp = filecmp.dircmp(x, y)
        if cmp.left_only or cmp.right_only or cmp.funny_files:
            return False
        _, mismatch, errors = filecmp.cmpfiles(x, y, cmp.common_files, shallow=False)
        if mismatch or errors:
            return False
        return all(walk(x / d, y / d) for d in cmp.common_dirs)
    return walk(a, b)


def commands(ferry: str, src: Path, dst: Path) -> dict[str, dict[str, list[str]]]:
    rsync = ["rsync", "-a", "--delete", f"{src}/", f"{dst}/"]
    rclone = ["rclone", "sync", "--config", "/dev/null", str(src), str(dst)]
    ferry_cmd = [ferry, "sync", "--quiet", str(src), str(dst)]
    return {
        "ferry": {"first": ferry_cmd, "noop": ferry_cmd},
        "rsync -a": {"first": rsync, "noop": rsync},
        "rclone": {"first": rclone, "noop": rclone},
        "cp -r": {"first": ["cp", "-r", f"{src}/.", str(dst)]},
    }


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and max RSS (MiB) of one run; raises if it fails."""
    with tempfile.NamedTemporaryFile("r") as rss:
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd], env=env,
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{cmd[0]} exited {done.returncode}: {done.stderr.strip()}")
        return wall, int(rss.read().strip().splitlines()[-1]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ferry", default=str(ROOT / "target/release/ferry"))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--tools", default="ferry,rsync -a,rclone,cp -r")
    parser.add_argument("--work", default=None, help="directory for the trees (default: a temp dir)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    names = [t for t in args.tools.split(",") if t]
    for name in names:
        binary = {"ferry": args.ferry}.get(name, name.split()[0])
        if shutil.which(binary) is None and not Path(binary).exists():
            log(f"{name}: {binary} is not installed")
            return 2
    work = Path(tempfile.mkdtemp(prefix="ferry-local100k-", dir=args.work))
    try:
        src = work / "src"
        log(f"making {args.files} files in {src}")
        make_tree(src, args.files, 1)
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        failures: list[str] = []
        for rep in range(args.reps):
            order = names[rep % len(names):] + names[:rep % len(names)]
            for name in order:
                dst, state = work / "dst", work / "state"
                shutil.rmtree(dst, ignore_errors=True)
                shutil.rmtree(state, ignore_errors=True)
                dst.mkdir()
                env = dict(os.environ, XDG_STATE_HOME=str(state), XDG_CONFIG_HOME=str(work / "cfg"))
                table = commands(args.ferry, src, dst)[name]
                for scenario in ("first", "noop"):
                    if scenario not in table:
                        continue
                    subprocess.run(["sync"], check=True)
                    wall, rss = timed(table[scenario], env)
                    if not same_tree(src, dst):
                        failures.append(f"{name} {scenario} rep {rep + 1}: trees differ")
                    results.setdefault((name, scenario), []).append((wall, rss))
                    log(f"rep {rep + 1} {name:<9} {scenario:<5} {wall:7.3f} s  {rss:6.1f} MiB")
        rows = [f"Local → local, {args.files} files of 1-8 KiB in {max(1, args.files // 100)} "
                f"directories, medians of {args.reps}, tools taking turns, every run verified.",
                "", "| tool | first sync | no-op | max RSS |", "|---|---|---|---|"]
        for name in names:
            cells = []
            for scenario in ("first", "noop"):
                runs = results.get((name, scenario))
                cells.append(f"{statistics.median(w for w, _ in runs):.3f} s" if runs else "–")
            rss = max((r for s in ("first", "noop") for _, r in results.get((name, s), [])),
                      default=0)
            rows.append(f"| {name} | {cells[0]} | {cells[1]} | {rss:.1f} MiB |")
        base = {s: results.get(("rsync -a", s)) for s in ("first", "noop")}
        ours = {s: results.get(("ferry", s)) for s in ("first", "noop")}
        if all(base.values()) and all(ours.values()):
            ratio = {s: statistics.median(w for w, _ in ours[s]) / statistics.median(w for w, _ in base[s])
                     for s in ("first", "noop")}
            noop_rss = max(r for _, r in ours["noop"])
            rows += ["", f"ferry / rsync -a: first sync {ratio['first']:.2f} ×, no-op "
                     f"{ratio['noop']:.2f} × (no-op max RSS {noop_rss:.1f} MiB)"]
        if failures:
            rows += ["", "FAILED: " + "; ".join(failures)]
        report = "\n".join(rows)
        print(report)
        if args.out:
            Path(args.out).write_text(report + "\n")
        return 1 if failures else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
