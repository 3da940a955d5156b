#!/usr/bin/env python3
"""Runs every command of the README and the docs as written.

Each fenced block marked `sh` is run with `bash -euo pipefail`, from the repository root, in
order within its file, with a private HOME and XDG directories and target/release on the PATH.
Blocks marked `shell` need a server or are shown only; the test suites cover them (the FTP
suites, tests/tests/example_plugin.rs, tests/tests/install.rs). This runs outside `cargo test`
because the README's first command is itself a cargo build. Exit status 1 names the failed block.
"""
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def markdown_files():
    files = [ROOT / "README.md", ROOT / "examples/mem-plugin/README.md"]
    files += sorted((ROOT / "docs").rglob("*.md"))
    return files


def sh_blocks(text):
    blocks, current, start = [], None, 0
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.rstrip()
        if current is None and stripped == "```sh":
            current, start = [], number + 1
        elif current is not None and stripped == "```":
            blocks.append((start, "\n".join(current) + "\n"))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def main():
    assert sh_blocks("x\n```sh\necho a\n```\n```shell\nno\n```\n") == [(3, "echo a\n")]
    ran = 0
    for path in markdown_files():
        blocks = sh_blocks(path.read_text())
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ)
            env.pop("FERRY_PLUGIN_PATH", None)
            # The toolchain stays where it is installed, whatever HOME says.
            real_home = pathlib.Path.home()
            env.setdefault("RUSTUP_HOME", str(real_home / ".rustup"))
            env.setdefault("CARGO_HOME", str(real_home / ".cargo"))
            env.update(
                HOME=home,
                XDG_STATE_HOME=f"{home}/state",
                XDG_CONFIG_HOME=f"{home}/config",
                XDG_DATA_HOME=f"{home}/data",
                PATH=f"{ROOT / 'target/release'}:{env.get('PATH', '')}",
            )
            for line, block in blocks:
                result = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=ROOT, env=env,
                                        capture_output=True, text=True, timeout=600)
                if result.returncode != 0:
                    sys.stderr.write(f"{path.relative_to(ROOT)}:{line}: block failed (exit {result.returncode}):\n"
                                     f"{block}--- stdout\n{result.stdout}--- stderr\n{result.stderr}")
                    return 1
                ran += 1
    if ran < 8:
        sys.stderr.write(f"only {ran} sh blocks found: did the markers change?\n")
        return 1
    print(f"doc commands: {ran} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
