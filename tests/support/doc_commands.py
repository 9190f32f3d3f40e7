"""The shell commands README.md, docs/*.md and sandbox/README.md show, and running them as a user.

A fenced block may carry a marker on the line before it:

- ``<!-- run-by: tests/PATH.py::test_name -->``: that test runs the whole block, in order (the
  README's walkthrough: tests/e2e/test_demo.py runs it between two `make demo`s);
- ``<!-- illustration: KIND -->``: a block no test can run as written (a crontab line, a CI
  workflow, an Airflow DAG); tests/e2e/test_readme_commands.py checks it by KIND instead.

Every other command line of a ``bash``/``sh``/``shell`` block, or ``$ `` line of a ``console``
block, must be listed in that test's ``HOW``.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
SHELL_BLOCKS = ("bash", "sh", "shell", "console")
_FENCE = re.compile(
    r"(?:^<!-- (?P<marker>[^>]*?) -->\n)?^```(?P<info>\w*)\n(?P<body>.*?)^```", re.M | re.S
)


def doc_files() -> list[Path]:
    """The documents whose commands must run: README.md, docs/*.md, sandbox/README.md."""
    return [
        REPO_ROOT / "README.md",
        *sorted((REPO_ROOT / "docs").glob("*.md")),
        REPO_ROOT / "sandbox" / "README.md",
    ]


@dataclass(frozen=True)
class Block:
    """One fenced block of a document."""

    path: Path
    info: str
    body: str
    marker: str | None

    @property
    def name(self) -> str:
        return str(self.path.relative_to(REPO_ROOT))

    def commands(self) -> list[str]:
        """Its command lines, in order: comments, a .env file's lines and `export`s left out."""
        if self.info == "console":
            return [line[2:].strip() for line in self.body.splitlines() if line.startswith("$ ")]
        lines = [re.sub(r"\s+# .*$", "", line).strip() for line in self.body.splitlines()]
        lines = [line for line in lines if line and not line.startswith("#")]
        if all(re.fullmatch(r"[A-Z][A-Z0-9_]*=\S*", line) for line in lines):
            return []  # the contents of a .env file, not commands
        return [line for line in lines if not line.startswith("export ")]


def blocks(paths: list[Path] | None = None) -> list[Block]:
    """Every fenced block of the documents, in document order."""
    found = []
    for path in paths or doc_files():
        for match in _FENCE.finditer(path.read_text()):
            found.append(Block(path, match["info"], match["body"], match["marker"]))
    return found


def shell_blocks() -> list[Block]:
    return [block for block in blocks() if block.info in SHELL_BLOCKS]


def marked(marker: str) -> list[Block]:
    """The blocks that carry exactly this marker."""
    return [block for block in blocks() if block.marker == marker]


class DocRunner:
    """Runs documented command lines as a user's shell would, in a Meltano project.

    Two substitutions, both what a user's own machine would make unnecessary: the sandbox listens
    on ``sandbox_port`` instead of 8765 (which a developer's demo may hold), so
    ``TAP_PEOPLEAI_API_URL`` points the sandbox environment there; and commands of the production
    environment get the sandbox's URL and credentials from environment variables, as a user's
    ``.env`` would give them. ``source .venv/bin/activate`` is what running the venv's programs
    does anyway; ``kill %1`` stops the sandbox started in the background.
    """

    def __init__(self, project: Any, venv_bin: Path, sandbox_port: int) -> None:
        self.project = project
        self.venv_bin = venv_bin
        self.port = sandbox_port
        self.sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        self.background: list[subprocess.Popen[str]] = []

    def argv_env(self, command: str) -> tuple[list[str], dict[str, str]]:
        words = shlex.split(
            command.replace("<state id>", "production:tap-peopleai-to-target-duckdb")
        )
        words = words[:-1] if words[-1] == "&" else words
        env = {"TAP_PEOPLEAI_API_URL": self.sandbox_url}
        while re.fullmatch(r"[A-Z][A-Z0-9_]*=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            env[name] = value
        if "--environment=production" in words or "ENV" in words:
            # What the user's .env holds for the real API, pointed at the sandbox.
            env.setdefault("TAP_PEOPLEAI_START_DATE", "2025-02-25")
            env.update(
                TAP_PEOPLEAI_CLIENT_ID="sandbox-client", TAP_PEOPLEAI_CLIENT_SECRET="sandbox-secret"
            )
        words[0] = str(self.venv_bin / words[0].removeprefix(".venv/bin/"))
        words = [str(self.port) if word == "8765" else word for word in words]
        return words, env

    def run(self, command: str) -> subprocess.CompletedProcess[str] | None:
        """Run one command line; a failure fails the test with the command's output."""
        if command == "source .venv/bin/activate":
            return None
        if command == "kill %1":
            self.stop_sandboxes()
            return None
        argv, env = self.argv_env(command)
        if argv[0].endswith("peopleai-sandbox"):
            self.start_sandbox(argv, env)
            return None
        proc = subprocess.run(
            argv,
            input="y\n",  # a user answers `meltano state clear`'s confirmation
            cwd=self.project.root,
            env=self.project.env(env),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert proc.returncode == 0, (
            f"documented command failed: {command}\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
        )
        return proc

    def run_all(self, commands: list[str]) -> dict[str, str]:
        """Run the commands in order; command -> its output (stdout and stderr)."""
        outputs = {}
        for command in commands:
            proc = self.run(command)
            if proc is not None:
                outputs[command] = proc.stdout + proc.stderr
        return outputs

    def start_sandbox(self, argv: list[str], env: dict[str, str]) -> None:
        self.stop_sandboxes()
        sandbox = subprocess.Popen(
            argv,
            env=self.project.env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.background.append(sandbox)
        assert sandbox.stdout is not None
        deadline = time.monotonic() + 60
        for line in sandbox.stdout:
            if f"listening on {self.sandbox_url}" in line:
                return
            assert time.monotonic() < deadline, "the sandbox did not start"
        raise AssertionError(f"the sandbox exited: {sandbox.wait()}")

    def stop_sandboxes(self) -> None:
        for process in self.background:
            process.terminate()
            process.wait(timeout=30)
            if process.stdout is not None:
                process.stdout.close()
        self.background.clear()
