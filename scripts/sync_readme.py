#!/usr/bin/env python3
"""Regenerate the generated parts of README.md (`make readme`); `--check` only compares.

Two blocks are generated, each between `<!-- BEGIN name -->` and `<!-- END name -->` markers:
- `settings`: the settings table printed by `tap-peopleai --about --format=markdown`;
- `sandbox-help`: the output of `peopleai-sandbox serve --help`.
tests/e2e/test_meltano_project.py runs the check, so the README cannot drift from the code.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
README = REPO / "README.md"


def _run(*cmd: str) -> str:
    env = dict(os.environ, COLUMNS="100")  # argparse wraps its help to the terminal width
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=True)
    return proc.stdout


def settings_table() -> str:
    about = _run(str(BIN / "tap-peopleai"), "--about", "--format=markdown")
    lines = about.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Setting"))
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join(lines[start:end])


def sandbox_help() -> str:
    text = _run(str(BIN / "peopleai-sandbox"), "serve", "--help").rstrip()
    # drop the long usage synopsis: the option list below it says the same, with help texts
    _usage, _, rest = text.partition("\n\n")
    return f"```text\n{rest.strip()}\n```"


def render(readme: str) -> str:
    blocks = {"settings": settings_table(), "sandbox-help": sandbox_help()}
    for name, body in blocks.items():
        pattern = re.compile(
            rf"(<!-- BEGIN {re.escape(name)} -->\n).*?(\n<!-- END {re.escape(name)} -->)",
            re.DOTALL,
        )
        if not pattern.search(readme):
            raise SystemExit(f"README.md lacks the <!-- BEGIN/END {name} --> markers")
        readme = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(2), readme)
    return readme


def main() -> int:
    current = README.read_text()
    wanted = render(current)
    if "--check" in sys.argv[1:]:
        if current != wanted:
            print("README.md is out of date: run `make readme`", file=sys.stderr)
            return 1
        return 0
    if current != wanted:
        README.write_text(wanted)
        print("README.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
