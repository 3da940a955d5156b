#!/usr/bin/env python3
"""SFTP comparison: ferry against rclone's sftp backend, lftp's sftp and `scp -r`, on one
OpenSSH sshd on 127.0.0.1 — the same shape as ../shared/bench (generated trees, tools taking
turns in a rotating order, every run verified byte for byte, medians), for SFTP.

    cargo build --workspace --release
    sudo apt-get install openssh-server rclone lftp        # once
    python3 benches/sftp_compare.py --reps 5               # as root: sshd logs in `ferrytest`

Scenarios: `upload` (2,000 files of 1-16 KiB in 50 directories into an empty remote
directory), `noop` (the same again: nothing to do), `large` (one 1 GiB file), `download` (the
2,000 files into an empty local directory). Tools log in with one generated key; ferry checks
the host key against a generated known_hosts, the others are told not to check (they would
otherwise stop and ask). Max RSS comes from /usr/bin/time. The report (Markdown) goes to
stdout and --out.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import pwd
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USER = "ferrytest"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(cmd: list[str] | str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def make_small_tree(dest: Path, files: int, seed: int) -> None:
    rng = random.Random(seed)
    dirs = [Path(f"d{d:02}") / (f"sub {d % 7}" if d % 3 == 0 else "") for d in range(50)]
    for i in range(files):
        name = f"f{i:04}" + (" é" if i % 37 == 0 else "") + ".bin"
        path = dest / dirs[i % 50] / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(rng.randint(1024, 16 * 1024)))
        os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))


def make_large_file(dest: Path, mib: int, seed: int) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    block = rng.randbytes(4 << 20)
    with open(dest / "large.bin", "wb") as out:
        for i in range(mib // 4):
            # Each block differs, so no layer can deduplicate.
            out.write(i.to_bytes(8, "little") + block[8:])
    os.utime(dest / "large.bin", (1_700_000_000, 1_700_000_000))


def manifest(root: Path) -> dict[str, str]:
    result = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(4 << 20):
                    digest.update(chunk)
            result[path.relative_to(root).as_posix()] = digest.hexdigest()
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sshd:
    def __init__(self, work: Path):
        self.dir = work / "sshd"
        self.dir.mkdir()
        os.chmod(work, 0o755)
        os.chmod(self.dir, 0o755)
        self.root = work / "served"
        self.root.mkdir()
        user = pwd.getpwnam(USER)
        os.chown(self.root, user.pw_uid, user.pw_gid)
        for name in ("host_ed25519", "client_ed25519"):
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.dir / name)])
        self.key = self.dir / "client_ed25519"
        shutil.copy(self.dir / "client_ed25519.pub", self.dir / "authorized_keys")
        os.chmod(self.dir / "authorized_keys", 0o644)
        Path("/run/sshd").mkdir(exist_ok=True)
        self.port = free_port()
        d = self.dir
        (d / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {d}/host_ed25519\n"
            f"PidFile {d}/sshd.pid\nAuthorizedKeysFile {d}/authorized_keys\nStrictModes no\n"
            f"UsePAM no\nPasswordAuthentication no\nPermitRootLogin no\nAllowUsers {USER}\n"
            "Subsystem sftp internal-sftp\nUseDNS no\nMaxStartups 200\nMaxSessions 64\n"
        )
        host_key = " ".join((d / "host_ed25519.pub").read_text().split()[:2])
        self.known_hosts = d / "known_hosts"
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {host_key}\n")
        self.process = subprocess.Popen(
            ["/usr/sbin/sshd", "-D", "-f", str(d / "sshd_config"), "-E", str(d / "sshd.log")],
            start_new_session=True,
        )
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    if s.recv(7) == b"SSH-2.0":
                        return
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"sshd did not start: {(d / 'sshd.log').read_text()}")

    def stop(self) -> None:
        os.killpg(self.process.pid, 9)
        self.process.wait()


def tools(ferry: str, server: Sshd, work: Path) -> dict[str, dict[str, str]]:
    key, port, kh = server.key, server.port, server.known_hosts
    ssh = f"ssh -a -x -i {key} -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR"
    rclone = (
        f"rclone --config /dev/null --sftp-host 127.0.0.1 --sftp-port {port} "
        f"--sftp-user {USER} --sftp-key-file {key}"
    )
    ferry_remote = work / "ferry-config" / "ferry"
    ferry_remote.mkdir(parents=True)
    (ferry_remote / "config.toml").write_text(
        f'[remotes.bench]\nurl = "sftp://{USER}@127.0.0.1:{port}/{server.root}"\nkey_file = "{key}"\n'
        f'known_hosts = "{kh}"\nagent = false\nssh_config = "none"\n'
        f'[remotes.bench-chacha]\nurl = "sftp://{USER}@127.0.0.1:{port}/{server.root}"\n'
        f'key_file = "{key}"\nknown_hosts = "{kh}"\nagent = false\nssh_config = "none"\n'
        'ciphers = "chacha20-poly1305@openssh.com"\n'
    )
    ferry_env = f"XDG_CONFIG_HOME={work}/ferry-config XDG_STATE_HOME={work}/ferry-state"
    lftp = (
        f"lftp -c 'set sftp:connect-program \"{ssh}\"; set cmd:fail-exit yes; "
        f"open -u {USER}, sftp://127.0.0.1:{port}; mirror {{dir}} {{flags}} {{a}} {{b}}'"
    )
    return {
        "ferry": {
            "upload": f"{ferry_env} {ferry} sync --delete --quiet {{local}} bench:{{remote_rel}}",
            "download": f"{ferry_env} {ferry} sync --quiet bench:{{remote_rel}} {{local}}",
        },
        "ferry-j8": {
            "upload": f"{ferry_env} {ferry} sync --jobs 8 --delete --quiet {{local}} bench:{{remote_rel}}",
            "download": f"{ferry_env} {ferry} sync --jobs 8 --quiet bench:{{remote_rel}} {{local}}",
        },
        "ferry-chacha": {
            "upload": f"{ferry_env} {ferry} sync --delete --quiet {{local}} bench-chacha:{{remote_rel}}",
            "download": f"{ferry_env} {ferry} sync --quiet bench-chacha:{{remote_rel}} {{local}}",
        },
        "rclone": {
            "upload": f"{rclone} sync {{local}} :sftp:{{remote}}",
            "download": f"{rclone} sync :sftp:{{remote}} {{local}}",
        },
        "lftp-p4": {
            "upload": lftp.format(dir="-R --delete", flags="--parallel=4", a="{local}", b="{remote}"),
            "download": lftp.format(dir="", flags="--parallel=4", a="{remote}", b="{local}"),
        },
        "scp -r": {
            "upload": f"scp -q -r -P {port} -i {key} -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR {{local}} {USER}@127.0.0.1:{{remote}}",
            "download": f"scp -q -r -P {port} -i {key} -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR {USER}@127.0.0.1:{{remote}} {{local}}",
        },
    }


def timed(command: str) -> tuple[float, int, int, str]:
    """Seconds, max RSS in KiB, exit code, stderr tail."""
    start = time.monotonic()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "bash", "-c", command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seconds = time.monotonic() - start
    lines = done.stderr.strip().splitlines()
    rss = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return seconds, rss, done.returncode, "\n".join(lines[-4:-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ferry", default=str(ROOT / "target/release/ferry"))
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--large-mib", type=int, default=1024)
    parser.add_argument("--tools", default="ferry,ferry-j8,rclone,lftp-p4,scp -r")
    parser.add_argument("--scenarios", default="upload,noop,large,download")
    parser.add_argument("--out", default="/tmp/ferry-sftp-bench.md")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ferry-sftp-bench-"))
    server = Sshd(work)
    user = pwd.getpwnam(USER)
    try:
        small, large = work / "small", work / "large"
        make_small_tree(small, args.files, 42)
        make_large_file(large, args.large_mib, 43)
        small_manifest, large_manifest = manifest(small), manifest(large)
        table = tools(args.ferry, server, work)
        names = [t for t in args.tools.split(",") if t]
        scenarios = args.scenarios.split(",")
        results: dict[tuple[str, str], list[tuple[float, int]]] = {}
        failures = []

        def check(tool: str, scenario: str, rep: int, outcome, tree: Path, expected: dict):
            seconds, rss, code, tail = outcome
            got = manifest(tree) if tree.exists() else {}
            if code != 0 or got != expected:
                missing = len(set(expected) - set(got))
                wrong = sum(1 for k in expected if k in got and got[k] != expected[k])
                failures.append(f"{tool} {scenario} r{rep}: exit {code}, {missing} missing, {wrong} wrong, {len(set(got) - set(expected))} extra; {tail}")
            else:
                results.setdefault((tool, scenario), []).append((seconds, rss))
            log(f"{tool:9} {scenario:8} r{rep} {seconds:7.3f} s {rss / 1024:7.1f} MiB exit {code}")

        # Every run gets directories of its own: ferry keeps a state per pair of places, and a
        # destination it synced before that has since vanished stops it (a safety rule).
        def remote_dir(name: str) -> Path:
            path = server.root / name
            if path.exists():
                shutil.rmtree(path)
            return path

        for rep in range(1, args.reps + 1):
            order = names[rep % len(names):] + names[: rep % len(names)]
            for tool in order:
                commands = table[tool]
                slug = tool.replace(" ", "_")
                target = remote_dir(f"{slug}-up-r{rep}")
                if "upload" in scenarios or "noop" in scenarios:
                    if tool == "scp -r":
                        # scp copies the directory itself into an existing target directory.
                        target.mkdir()
                        os.chown(target, user.pw_uid, user.pw_gid)
                        command = commands["upload"].format(local=small, remote=target, remote_rel=target.name)
                        outcome = timed(command)
                        shutil.move(target / "small", server.root / f"{slug}-tmp")
                        shutil.rmtree(target)
                        shutil.move(server.root / f"{slug}-tmp", target)
                    else:
                        outcome = timed(commands["upload"].format(local=small, remote=target, remote_rel=target.name))
                    if "upload" in scenarios:
                        check(tool, "upload", rep, outcome, target, small_manifest)
                    if "noop" in scenarios and tool != "scp -r":
                        outcome = timed(commands["upload"].format(local=small, remote=target, remote_rel=target.name))
                        check(tool, "noop", rep, outcome, target, small_manifest)
                if "download" in scenarios:
                    local = work / f"{slug}-down-r{rep}"
                    if local.exists():
                        shutil.rmtree(local)
                    if tool == "scp -r":
                        outcome = timed(commands["download"].format(local=local, remote=target, remote_rel=target.name))
                    else:
                        local.mkdir()
                        outcome = timed(commands["download"].format(local=local, remote=target, remote_rel=target.name))
                    check(tool, "download", rep, outcome, local, small_manifest)
                    shutil.rmtree(local)
                remote_dir(f"{slug}-up-r{rep}")
                if "large" in scenarios:
                    target = remote_dir(f"{slug}-large-r{rep}")
                    if tool == "scp -r":
                        target.mkdir()
                        os.chown(target, user.pw_uid, user.pw_gid)
                        command = commands["upload"].format(local=large / "large.bin", remote=target, remote_rel=target.name)
                    else:
                        command = commands["upload"].format(local=large, remote=target, remote_rel=target.name)
                    check(tool, "large", rep, timed(command), target, large_manifest)
                    remote_dir(f"{slug}-large-r{rep}")
        report = render(names, scenarios, results, failures, args)
        Path(args.out).write_text(report)
        print(report)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def render(names, scenarios, results, failures, args) -> str:
    versions = {
        "rclone": subprocess.run(["rclone", "version"], capture_output=True, text=True).stdout.splitlines()[0],
        "lftp": subprocess.run(["lftp", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
        "OpenSSH": subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip(),
    }
    lines = [
        f"# SFTP comparison ({time.strftime('%Y-%m-%d %H:%M')} UTC, {args.reps} reps, medians; "
        f"{args.files} files of 1-16 KiB, one {args.large_mib} MiB file)",
        "",
        "Versions: " + "; ".join(f"{k}: {v}" for k, v in versions.items()),
        "",
        "| tool | " + " | ".join(scenarios) + " | max RSS (large) |",
        "|---|" + "---|" * len(scenarios) + "---|",
    ]
    for tool in names:
        cells = []
        for scenario in scenarios:
            runs = results.get((tool, scenario))
            if not runs:
                cells.append("–")
                continue
            seconds = statistics.median(r[0] for r in runs)
            cell = f"{seconds:.3f} s"
            if scenario == "large":
                cell += f" ({args.large_mib / seconds:.0f} MiB/s)"
            cells.append(cell)
        rss = results.get((tool, "large")) or results.get((tool, "upload")) or []
        peak = max((r[1] for r in rss), default=0) / 1024
        lines.append(f"| {tool} | " + " | ".join(cells) + f" | {peak:.1f} MiB |")
    if "ferry" in names:
        lines += ["", "Ratios (ferry's better row / peer; below 1 is faster):", ""]
        for scenario in scenarios:
            ours = [statistics.median(r[0] for r in results[(t, scenario)]) for t in ("ferry", "ferry-j8") if (t, scenario) in results]
            if not ours:
                continue
            for peer in names:
                if peer.startswith("ferry") or (peer, scenario) not in results:
                    continue
                theirs = statistics.median(r[0] for r in results[(peer, scenario)])
                lines.append(f"- {scenario}: {min(ours) / theirs:.2f} × {peer}")
    lines += ["", "Every run verified byte for byte against the source's manifest."]
    if failures:
        lines += ["", "Failed runs (not in the medians):", ""] + [f"- {f}" for f in failures]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
