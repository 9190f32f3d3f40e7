"""The README works as written: every command it shows runs, in order, against the sandbox.

Every command of the README's shell blocks (and the complete commands it quotes inline, listed
below) must appear in ``HOW``: either it is run here, in a private copy of the Meltano project,
or another test that runs it is named (and must exist). A command added to the README without
a test fails ``test_every_readme_command_is_run_by_a_test``.

Two substitutions, both what a user's own machine would make unnecessary: the sandbox listens on
a free port instead of 8765 (which a developer's demo may hold), so ``TAP_PEOPLEAI_API_URL``
points the sandbox environment there; and commands of the production environment get the
sandbox's URL and credentials from environment variables, as a user's ``.env`` would give them.
"""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
README = REPO_ROOT / "README.md"
RUN = "run here"
CI = "run by CI: .ci/run calls `make test`, which runs lint, typecheck and the whole pytest suite"

# Complete commands the README quotes in running text, in the order they are run here.
INLINE_COMMANDS = [
    "tap-peopleai --about --format=markdown",
    "tap-peopleai --about --format=json",
    "TAP_PEOPLEAI_POLL_INTERVAL=0.5 tap-peopleai --config ENV",
    "meltano --environment=production config print tap-peopleai",
    "meltano invoke tap-peopleai --test",
    "TAP_PEOPLEAI_START_DATE=2022-01-01 TAP_PEOPLEAI_END_DATE=2022-12-31 meltano "
    "--environment=production run --state-id-suffix=backfill-2022 tap-peopleai target-duckdb",
    "meltano state set --force <state id> "
    """'{"singer_state": {"bookmarks": {"activities": {"cursor": "2026-11-01"}}}}'""",
    ".venv/bin/meltano --environment=production run tap-peopleai target-duckdb",
    "meltano config set tap-peopleai start_date 2024-01-01",
]

HOW: dict[str, str] = {
    "make demo": "tests/e2e/test_demo.py::"
    "test_make_demo_runs_twice_first_then_incremental_and_checks_itself",
    "make test": CI,
    "make lint typecheck": CI,
    ".venv/bin/pytest tests/e2e -m e2e": CI,
    "meltano install": "tests/e2e/conftest.py::meltano_project",
    "peopleai-sandbox serve --port 8765 --now 2025-03-01T12:00:00Z &": RUN,
    "meltano run tap-peopleai target-duckdb": RUN,
    "TAP_PEOPLEAI_START_DATE=2025-02-20 meltano run tap-peopleai target-jsonl": RUN,
    "meltano state list": RUN,
    "meltano state get sandbox:tap-peopleai-to-target-duckdb": RUN,
    "meltano --environment=production run peopleai-to-duckdb": RUN,
    "meltano state get production:tap-peopleai-to-target-duckdb": RUN,
    "meltano state clear production:tap-peopleai-to-target-duckdb": RUN,
    "meltano --environment=production run --full-refresh tap-peopleai target-duckdb": RUN,
    "meltano run tap-peopleai-bulk target-postgres": (
        "tests/e2e/test_warehouses.py::"
        "test_postgres_from_batch_files_snapshot_then_delta_equals_truth"
    ),
    "meltano run peopleai-to-postgres": (
        "tests/e2e/test_warehouses.py::"
        "test_postgres_from_batch_files_snapshot_then_delta_equals_truth"
    ),
    "meltano run tap-peopleai-reconcile target-postgres": (
        "tests/e2e/test_reconcile_meltano.py::"
        "test_postgres_reconciliation_marks_exactly_the_erased_activities_deleted"
    ),
    "meltano schedule list": RUN,
    "meltano install --schedule peopleai-stateless-daily": (
        "tests/e2e/test_object_storage.py::"
        "test_two_fresh_projects_share_state_and_batch_files_through_the_bucket"
    ),
    "meltano --environment=stateless run peopleai-to-postgres-via-s3": (
        "tests/e2e/test_object_storage.py::"
        "test_two_fresh_projects_share_state_and_batch_files_through_the_bucket"
    ),
    "meltano --environment=stateless schedule run peopleai-stateless-daily": (
        "tests/e2e/test_object_storage.py::"
        "test_two_fresh_projects_share_state_and_batch_files_through_the_bucket"
    ),
    "meltano state get stateless:tap-peopleai-s3-to-target-postgres-s3": (
        "tests/e2e/test_object_storage.py::"
        "test_two_fresh_projects_share_state_and_batch_files_through_the_bucket"
    ),
    "meltano add --no-install --from-ref "
    "/path/to/tap-peopleai/meltano-hub/tap-peopleai.yml tap-peopleai": (
        "tests/e2e/test_plugin_definition.py::"
        "test_new_project_adds_installs_and_runs_the_plugin_from_the_definition"
    ),
    ".venv/bin/peopleai-sandbox serve --port 8765 --now 2025-03-01T12:00:00Z": RUN,
    ".venv/bin/meltano run tap-peopleai target-duckdb": RUN,
    "meltano run tap-peopleai target-duckdb dbt-duckdb:run": RUN,
    "meltano invoke dbt-duckdb:test": RUN,
    "meltano invoke dbt-duckdb:build": RUN,
    "meltano run peopleai-to-duckdb-models": RUN,
    "meltano run peopleai-to-postgres-models": (
        "tests/e2e/test_dbt_models.py::test_postgres_models_equal_truth"
    ),
    "meltano invoke duckdb -readonly output/demo.duckdb": (
        "tests/e2e/test_fresh_clone.py::"
        "test_fresh_clone_runs_every_duckdb_pipeline_with_plain_meltano"
    ),
    'psql -h "$TARGET_POSTGRES_HOST" -p "$TARGET_POSTGRES_PORT" -U "$TARGET_POSTGRES_USER" '
    '"$TARGET_POSTGRES_DATABASE"': (
        "tests/e2e/test_dbt_models.py::test_postgres_models_equal_truth"
    ),
    **dict.fromkeys(INLINE_COMMANDS, RUN),
}


def _is_dotenv(lines: list[str]) -> bool:
    return all(re.fullmatch(r"[A-Z][A-Z0-9_]*=\S*", line) for line in lines)


def readme_commands() -> list[str]:
    """Every command line of the README's shell blocks, in order, comments and set-up left out."""
    commands: list[str] = []
    text = README.read_text()
    for block in re.findall(r"```(?:bash|sh|shell)\n(.*?)```", text, re.S):
        lines = [re.sub(r"\s+# .*$", "", line).strip() for line in block.splitlines()]
        lines = [line for line in lines if line and not line.startswith("#")]
        if _is_dotenv(lines):
            continue  # the contents of a .env file, not commands
        commands += [line for line in lines if not line.startswith("export ")]
    return commands


def test_every_readme_command_is_run_by_a_test() -> None:
    text = README.read_text()
    for command in INLINE_COMMANDS:
        assert f"`{command}`" in text, (
            f"INLINE_COMMANDS lists a command the README lacks: {command}"
        )
    missing = [command for command in readme_commands() if command not in HOW]
    assert not missing, f"README commands no test runs (add them to HOW): {missing}"
    for command, how in HOW.items():
        if how in (RUN, CI):
            continue
        path, _, name = how.partition("::")
        source = (REPO_ROOT / path).read_text()
        assert re.search(rf"def {re.escape(name)}\b", source), f"{command}: {how} does not exist"
    ci = (REPO_ROOT / ".ci/run").read_text()
    assert re.search(r"^make test$", ci, re.M), ".ci/run must call exactly `make test`"
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert re.search(r"^test: lint typecheck .*pytest$", makefile, re.M)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ReadmeRunner:
    """Runs README command lines as a user's shell would, in the project copy."""

    def __init__(self, project: Any, sandbox_port: int) -> None:
        self.project = project
        self.port = sandbox_port
        self.sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        self.background: list[subprocess.Popen[str]] = []

    def argv_env(self, command: str) -> tuple[list[str], dict[str, str], bool]:
        words = shlex.split(
            command.replace("<state id>", "production:tap-peopleai-to-target-duckdb")
        )
        background = words[-1] == "&"
        words = words[:-1] if background else words
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
        program = words[0].removeprefix(".venv/bin/")
        words[0] = str(VENV_BIN / program)
        words = [str(self.port) if word == "8765" else word for word in words]
        return words, env, background

    def run(self, command: str) -> subprocess.CompletedProcess[str] | None:
        argv, env, background = self.argv_env(command)
        if background or argv[0].endswith("peopleai-sandbox"):
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
            f"README command failed: {command}\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
        )
        return proc

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
        pytest.fail(f"the sandbox exited: {sandbox.wait()}")

    def stop_sandboxes(self) -> None:
        for process in self.background:
            process.terminate()
            process.wait(timeout=30)
            if process.stdout is not None:
                process.stdout.close()
        self.background.clear()


@pytest.fixture
def runner(meltano_project: Any) -> Iterator[ReadmeRunner]:
    readme_runner = ReadmeRunner(meltano_project, _free_port())
    for state_id in (
        "sandbox:tap-peopleai-to-target-duckdb",
        "sandbox:tap-peopleai-to-target-jsonl",
        "production:tap-peopleai-to-target-duckdb",
    ):
        meltano_project.run("state", "clear", "--force", state_id, check=False)
    # `meltano config set` writes into meltano.yml: the session's other tests get it back.
    config = Path(meltano_project.root) / "meltano.yml"
    original = config.read_text()
    try:
        yield readme_runner
    finally:
        readme_runner.stop_sandboxes()
        config.write_text(original)


def test_readme_commands_run_in_order_against_the_sandbox(runner: ReadmeRunner) -> None:
    outputs: dict[str, str] = {}
    commands = [c for c in readme_commands() if HOW.get(c) == RUN] + INLINE_COMMANDS
    for command in commands:
        proc = runner.run(command)
        if proc is not None:
            outputs[command] = proc.stdout + proc.stderr
    states = outputs["meltano state list"]
    assert "sandbox:tap-peopleai-to-target-duckdb" in states
    assert "sandbox:tap-peopleai-to-target-jsonl" in states
    assert '"cursor"' in outputs["meltano state get sandbox:tap-peopleai-to-target-duckdb"]
    assert "peopleai-reconcile-weekly" in outputs["meltano schedule list"]
    printed = outputs["meltano --environment=production config print tap-peopleai"]
    assert "sandbox-secret" not in printed, "config print must mask the secret"
    assert '"RECORD"' in outputs["TAP_PEOPLEAI_POLL_INTERVAL=0.5 tap-peopleai --config ENV"]
    assert "| start_date |" in outputs["tap-peopleai --about --format=markdown"]
    assert "No export job was created" in outputs["meltano invoke tap-peopleai --test"]
    config = (Path(runner.project.root) / "meltano.yml").read_text()
    assert "start_date: '2024-01-01'" in config or "start_date: 2024-01-01" in config
