#!/usr/bin/env python3
"""Writes link-order/symbol-order.txt: the functions that traced syncs call, in first-call order.

Usage (from the workspace root, after `cargo build --release --workspace`):

    python3 link-order/trace/order.py [--release target/release] [--ftp ftp://USER@127.0.0.1:PORT/DIR]

Runs local→local syncs (first, no-op, modify with deletes) and, with --ftp (password in
$FERRY_PASSWORD; the bench's `../shared/bench/ftpserver.sh start pure-ftpd` gives one), the
benchmark's FTP syncs (upload with 4 and 8 jobs, no-op, modify, download, a 32 MiB file) under
trace_first_calls.c, an LD_PRELOAD shim that logs the first call of every function of ferry and
its plugins. Every sync must exit 0. Then rebuild the release: the build scripts pass the new
order to the linker. The symbols are the release build's own (the release profile keeps its
symbol table), so run this again after a toolchain or dependency update, or after large code
changes; a stale order costs memory, never correctness.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER_FILE = HERE.parent / "symbol-order.txt"
FUNCTION_TYPES = {"t", "T", "W", "w"}


def modules(release: Path) -> list[Path]:
    found = [release / "ferry"] + sorted(release.glob("libferry_backend_*.so"))
    missing = [str(path) for path in found if not path.is_file()]
    if missing or len(found) == 1:
        sys.exit(f"order.py: no release build in {release} (cargo build --release --workspace)")
    return found


def functions(module: Path) -> dict[int, list[str]]:
    """Address → names of every sized function in `module`'s symbol table."""
    listing = subprocess.run(
        ["nm", "--defined-only", "-S", str(module)], capture_output=True, text=True, check=True
    ).stdout
    names: dict[int, list[str]] = {}
    for line in listing.splitlines():
        fields = line.split(None, 3)
        if len(fields) == 4 and fields[2] in FUNCTION_TYPES and int(fields[1], 16) > 0:
            names.setdefault(int(fields[0], 16), []).append(fields[3])
    if not names:
        sys.exit(f"order.py: {module} has no symbol table (is the release profile stripping symbols?)")
    return names


def make_tree(root: Path, files: int, seed: int) -> None:
    rng = random.Random(seed)
    for index in range(files):
        directory = root / f"dir {index % 12:02d}" / ("sub é" if index % 3 == 0 else "")
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"file_{index:04d}.txt").write_bytes(rng.randbytes(rng.randint(1, 16384)))


def modify(root: Path, seed: int) -> None:
    rng = random.Random(seed)
    files = sorted(path for path in root.rglob("*") if path.is_file())
    for path in rng.sample(files, max(1, len(files) // 50)):
        path.write_bytes(rng.randbytes(rng.randint(1, 16384)))
    for path in rng.sample(files, max(1, len(files) // 100)):
        if path.exists():
            path.unlink()


class Tracer:
    def __init__(self, ferry: Path, work: Path, shim: Path, symbols: Path):
        self.ferry, self.work = ferry, work
        self.trace = work / "first-calls.txt"
        self.environment = dict(
            os.environ,
            LD_PRELOAD=str(shim),
            FERRY_TRACE_SYMS=str(symbols),
            FERRY_TRACE_OUT=str(self.trace),
            HOME=str(work / "home"),
        )

    def sync(self, *arguments: str) -> None:
        command = [str(self.ferry), "sync", *arguments]
        result = subprocess.run(command, env=self.environment, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"order.py: {' '.join(command)} exited {result.returncode}:\n{result.stderr}")


def run_workloads(tracer: Tracer, ftp: str | None) -> None:
    work = tracer.work
    source = work / "source"
    make_tree(source, 600, 1)
    tracer.sync(str(source), str(work / "copy"))
    tracer.sync(str(source), str(work / "copy"))
    modify(source, 2)
    tracer.sync("--delete", str(source), str(work / "copy"))
    if not ftp:
        return
    remote = ftp.rstrip("/") + f"/ferry-order-{os.getpid()}"
    small = work / "small"
    make_tree(small, 600, 3)
    tracer.sync("--delete", str(small), remote + "/small")
    tracer.sync("--delete", "--jobs", "8", str(small), remote + "/small8")
    tracer.sync("--delete", str(small), remote + "/small")
    modify(small, 4)
    tracer.sync("--delete", str(small), remote + "/small")
    tracer.sync(remote + "/small8", str(work / "download"))
    large = work / "large"
    large.mkdir()
    (large / "large.bin").write_bytes(random.Random(5).randbytes(32 << 20))
    tracer.sync("--delete", str(large), remote + "/large")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--release", type=Path, default=Path("target/release"))
    parser.add_argument("--ftp", help="ftp://USER@127.0.0.1:PORT/DIR of a scratch FTP server")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ferry-order-") as scratch:
        work = Path(scratch)
        shim = work / "trace_first_calls.so"
        subprocess.run(
            ["cc", "-O2", "-shared", "-fPIC", "-o", str(shim), str(HERE / "trace_first_calls.c"), "-ldl"],
            check=True,
        )
        names: dict[tuple[str, int], list[str]] = {}
        symbols = work / "symbols.txt"
        with symbols.open("w") as out:
            for module in modules(options.release):
                for address, aliases in functions(module).items():
                    names[(module.name, address)] = aliases
                    out.write(f"{module.name} {address:x}\n")
        tracer = Tracer(options.release / "ferry", work, shim, symbols)
        run_workloads(tracer, options.ftp)
        order: list[str] = []
        seen: set[str] = set()
        for line in tracer.trace.read_text().splitlines():
            module, address = line.split()
            for name in names[(module, int(address, 16))]:
                if name not in seen:
                    seen.add(name)
                    order.append(name)
        ORDER_FILE.write_text(
            "# Functions in first-call order, written by link-order/trace/order.py; see its docstring.\n"
            + "".join(name + "\n" for name in order)
        )
        print(f"order.py: {len(order)} functions → {ORDER_FILE}")
        shutil.rmtree(work / "home", ignore_errors=True)


if __name__ == "__main__":
    main()
