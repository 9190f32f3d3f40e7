#!/usr/bin/env python3
"""Regenerate the files generated from the code (`make readme`); `--check` only compares.

Two blocks are generated, each between `<!-- BEGIN name -->` and `<!-- END name -->` markers:
- `settings` in README.md: the settings table printed by `tap-peopleai --about --format=markdown`;
- `sandbox-help` in sandbox/README.md (the one place the sandbox is documented): the output of
  `peopleai-sandbox serve --help`.
Beside them, the tap's Meltano plugin definitions, from `tap-peopleai --about --format=json`
(see plugin_definition.py): `meltano-hub/tap-peopleai.yml` for other projects, and
`meltano-project/tap-peopleai.yml` in this repository's Meltano project.
tests/e2e/test_meltano_project.py runs the check, so none can drift from the code.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from scripts import plugin_definition

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
README = REPO / "README.md"
SANDBOX_README = REPO / "sandbox" / "README.md"
HUB_DEFINITION = REPO / plugin_definition.HUB_DEFINITION_PATH
PROJECT_DEFINITION = REPO / plugin_definition.PROJECT_DEFINITION_PATH


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


def render(readme: str, blocks: dict[str, str], path: Path) -> str:
    """`readme` with each generated block replaced by its current text."""
    for name, body in blocks.items():
        pattern = re.compile(
            rf"(<!-- BEGIN {re.escape(name)} -->\n).*?(\n<!-- END {re.escape(name)} -->)",
            re.DOTALL,
        )
        if not pattern.search(readme):
            raise SystemExit(
                f"{path.relative_to(REPO)} lacks the <!-- BEGIN/END {name} --> markers"
            )
        readme = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(2), readme)
    return readme


def _current(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def main() -> int:
    check = "--check" in sys.argv[1:]
    readme = README.read_text()
    sandbox_readme = SANDBOX_README.read_text()
    about = json.loads(_run(str(BIN / "tap-peopleai"), "--about", "--format=json"))
    outputs = {
        README: (readme, render(readme, {"settings": settings_table()}, README)),
        SANDBOX_README: (
            sandbox_readme,
            render(sandbox_readme, {"sandbox-help": sandbox_help()}, SANDBOX_README),
        ),
        HUB_DEFINITION: (_current(HUB_DEFINITION), plugin_definition.render_hub(about)),
        PROJECT_DEFINITION: (
            _current(PROJECT_DEFINITION),
            plugin_definition.render_project(about),
        ),
    }
    if kept := plugin_definition.not_generated(_current(PROJECT_DEFINITION), about):
        print(
            f"{PROJECT_DEFINITION.relative_to(REPO)} holds {', '.join(kept)}, which `make readme` "
            "would drop (`meltano config set` without --environment writes there): move the "
            "values to an environment of meltano-project/environments.yml (`meltano "
            "--environment=NAME config set ...`), then run `make readme`",
            file=sys.stderr,
        )
        return 1
    stale = []
    for path, (current, wanted) in outputs.items():
        if current == wanted:
            continue
        name = path.relative_to(REPO)
        if check:
            stale.append(str(name))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(wanted)
            print(f"{name} updated")
    if stale:
        print(f"{', '.join(stale)} out of date: run `make readme`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
