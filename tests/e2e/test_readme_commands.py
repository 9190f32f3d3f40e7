"""The documentation works as written: every command README.md and docs/ show runs, in order.

Every command line of the shell blocks of README.md, docs/*.md and sandbox/README.md (and the
complete commands they quote inline, ``INLINE_COMMANDS``) is accounted for, in one of three ways:

- listed in ``HOW`` as ``RUN``: run here, in document order (README first, then docs/ by name,
  then sandbox/README.md), in one private copy of the Meltano project whose plugins are installed
  once per session (the ``meltano_project`` fixture), against a sandbox frozen at 2025-03-01;
- listed in ``HOW`` with the test that runs it (which must exist), or as run by CI;
- in a block marked ``<!-- run-by: tests/PATH.py::test_name -->``: that test runs the whole
  block (the README's walkthrough runs between two `make demo`s in tests/e2e/test_demo.py).

Blocks no test can run as written are marked ``<!-- illustration: KIND -->`` and checked here by
their KIND: ``cron`` (five valid schedule fields, a command that passes ``bash -n`` and runs a
meltano command of ``HOW``), ``github-actions`` (valid YAML, a valid cron schedule, the Meltano
version the project pins, every ``run:`` step a command of ``HOW``, a timeout above the tap's
``job_timeout``) and ``airflow`` (Python that compiles, a valid cron schedule, a
``bash_command`` of ``HOW``). A command added to the docs without any of these fails
``test_every_documented_command_is_run_by_a_test``. How tests/support/doc_commands.py runs
a command (the sandbox's port, the production environment's credentials) is said there.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import meltano_files
from tests.support.doc_commands import REPO_ROOT, Block, DocRunner, blocks, doc_files, shell_blocks
from tests.support.ports import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

VENV_BIN = Path(sys.executable).parent
RUN = "run here"
CI = "run by CI: .ci/run calls `make test`, which runs lint, typecheck and the whole pytest suite"
SANDBOX_NOW = "2025-03-01T12:00:00Z"
DEMO_TEST = "tests/e2e/test_demo.py::test_demo_then_the_readme_walkthrough_then_the_demo_again"
OBJECT_STORAGE = (
    "tests/e2e/test_object_storage.py::"
    "test_two_fresh_projects_share_state_and_batch_files_through_the_bucket"
)

# Complete commands the docs quote in running text, in the order they are run here.
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
    "meltano --environment=production config set tap-peopleai start_date 2024-01-01",
    "meltano state copy "
    "production:tap-peopleai-to-target-duckdb production:tap-peopleai-bulk-to-target-duckdb",
]

HOW: dict[str, str] = {
    "make demo": DEMO_TEST,
    "make test": CI,
    "make lint typecheck": CI,
    ".venv/bin/pytest tests/e2e -m e2e": CI,
    ".venv/bin/meltano --environment=production run tap-peopleai target-duckdb": RUN,
    "meltano --environment=production run peopleai-to-duckdb": RUN,
    "meltano install": "tests/e2e/conftest.py::meltano_project",
    "meltano state list": RUN,
    "meltano state get production:tap-peopleai-to-target-duckdb": RUN,
    "meltano state clear production:tap-peopleai-to-target-duckdb": RUN,
    "meltano --environment=production run --full-refresh tap-peopleai target-duckdb": RUN,
    "meltano run tap-peopleai-bulk target-duckdb": (
        "tests/e2e/test_warehouses.py::test_duckdb_snapshot_then_delta_equals_truth"
    ),
    "meltano run peopleai-to-duckdb": (
        "tests/e2e/test_warehouses.py::test_duckdb_snapshot_then_delta_equals_truth"
    ),
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
    "meltano install --schedule peopleai-stateless-daily": OBJECT_STORAGE,
    "meltano --environment=stateless run peopleai-to-postgres-via-s3": OBJECT_STORAGE,
    "meltano --environment=stateless schedule run peopleai-stateless-daily": OBJECT_STORAGE,
    "meltano state get stateless:tap-peopleai-s3-to-target-postgres-s3": OBJECT_STORAGE,
    "meltano add --no-install --from-ref "
    "/path/to/tap-peopleai/meltano-hub/tap-peopleai.yml tap-peopleai": (
        "tests/e2e/test_plugin_definition.py::"
        "test_new_project_adds_installs_and_runs_the_plugin_from_the_definition"
    ),
    "peopleai-sandbox serve --port 8765 --now 2025-03-01T12:00:00Z": RUN,
    "meltano run tap-peopleai target-duckdb dbt-duckdb:run": RUN,
    "meltano invoke dbt-duckdb:test": RUN,
    "meltano invoke dbt-duckdb:build": RUN,
    "meltano run peopleai-to-duckdb-models": RUN,
    "meltano run peopleai-to-postgres-models": (
        "tests/e2e/test_dbt_models.py::test_postgres_models_equal_truth"
    ),
    "meltano invoke duckdb -readonly output/sandbox.duckdb": (
        "tests/e2e/test_fresh_clone.py::"
        "test_fresh_clone_runs_every_duckdb_pipeline_with_plain_meltano"
    ),
    'psql -h "$TARGET_POSTGRES_HOST" -p "$TARGET_POSTGRES_PORT" -U "$TARGET_POSTGRES_USER" '
    '"$TARGET_POSTGRES_DATABASE"': (
        "tests/e2e/test_dbt_models.py::test_postgres_models_equal_truth"
    ),
    **dict.fromkeys(INLINE_COMMANDS, RUN),
}


def _test_exists(reference: str) -> bool:
    path, _, name = reference.partition("::")
    return bool(re.search(rf"def {re.escape(name)}\b", (REPO_ROOT / path).read_text()))


def _run_here(block: Block) -> list[str]:
    return [] if block.marker else [c for c in block.commands() if HOW.get(c) == RUN]


def test_every_documented_command_is_run_by_a_test() -> None:
    text = "\n".join(path.read_text() for path in doc_files())
    for command in INLINE_COMMANDS:
        assert f"`{command}`" in text, f"INLINE_COMMANDS lists a command the docs lack: {command}"
    missing = []
    for block in shell_blocks():
        if block.marker is None:
            missing += [f"{block.name}: {c}" for c in block.commands() if c not in HOW]
        elif block.marker.startswith("run-by: "):
            assert _test_exists(block.marker.removeprefix("run-by: ")), block.marker
        else:
            assert block.marker.startswith("illustration: "), f"{block.name}: {block.marker}"
    assert not missing, f"documented commands no test runs (add them to HOW): {missing}"
    for command, how in HOW.items():
        assert how in (RUN, CI) or _test_exists(how), f"{command}: {how} does not exist"
    ci = (REPO_ROOT / ".ci/run").read_text()
    assert re.search(r"^make test$", ci, re.M), ".ci/run must call exactly `make test`"
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert re.search(r"^test: lint typecheck .*pytest$", makefile, re.M)


# --- illustrations ------------------------------------------------------------------------------

_CRON_FIELD = re.compile(r"(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*")
_CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def _valid_cron(schedule: str) -> bool:
    fields = schedule.split()
    if len(fields) != 5:
        return False
    for field, (low, high) in zip(fields, _CRON_RANGES, strict=True):
        if not _CRON_FIELD.fullmatch(field):
            return False
        numbers = [int(n) for n in re.findall(r"(?<!/)\b\d+", field)]
        if any(not low <= n <= high for n in numbers):
            return False
    return True


def _meltano_command(shell: str) -> str:
    """The meltano invocation inside a shell command line, as the docs write it elsewhere."""
    match = re.search(r"(?:\.venv/bin/)?(meltano [^&|>;]*)", shell)
    assert match, f"no meltano command in {shell!r}"
    return match.group(1).strip()


def _check_cron(block: Block) -> None:
    lines = [line for line in block.body.splitlines() if line.strip() and not line.startswith("#")]
    assert lines, f"{block.name}: an empty crontab"
    for line in lines:
        fields = line.split(maxsplit=5)
        assert _valid_cron(" ".join(fields[:5])), f"{block.name}: bad schedule in {line!r}"
        syntax = subprocess.run(["bash", "-n", "-c", fields[5]], capture_output=True, check=False)
        assert syntax.returncode == 0, f"{block.name}: {syntax.stderr.decode()}"
        assert _meltano_command(fields[5]) in HOW, f"{block.name}: {fields[5]!r}"


def _job_timeout_seconds() -> float:
    tap = meltano_files.plugin(meltano_files.load_project(REPO_ROOT), "extractors", "tap-peopleai")
    (setting,) = [s for s in tap["settings"] if s["name"] == "job_timeout"]
    return float(setting["value"])


def _check_github_actions(block: Block) -> None:
    workflow = yaml.safe_load(block.body)
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads on: as True
    assert all(_valid_cron(entry["cron"]) for entry in triggers["schedule"]), triggers
    pinned = re.search(r'"meltano\[s3\]==([\d.]+)"', (REPO_ROOT / "pyproject.toml").read_text())
    assert pinned, "pyproject.toml pins meltano[s3]"
    (job,) = workflow["jobs"].values()
    assert job["timeout-minutes"] * 60 > _job_timeout_seconds(), "the job would be cut short"
    for step in job["steps"]:
        command = step.get("run")
        if command is None:
            continue
        if command.startswith("pip install"):
            assert f"meltano[s3]=={pinned.group(1)}" in command, command
        else:
            assert command in HOW, f"{block.name}: {command!r}"


def _check_airflow(block: Block) -> None:
    tree = ast.parse(block.body, filename=block.name)  # a SyntaxError fails the test
    keywords = {
        node.arg: node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.keyword) and isinstance(node.value, ast.Constant)
    }
    assert _valid_cron(str(keywords["schedule"].value))
    command = str(keywords["bash_command"].value)
    assert _meltano_command(command) in HOW, f"{block.name}: {command!r}"


ILLUSTRATIONS = {
    "cron": _check_cron,
    "github-actions": _check_github_actions,
    "airflow": _check_airflow,
}


def test_illustrations_are_valid_and_run_documented_commands() -> None:
    illustrations = [b for b in blocks() if (b.marker or "").startswith("illustration: ")]
    assert {b.marker for b in illustrations} == {f"illustration: {k}" for k in ILLUSTRATIONS}
    unmarked_cron = [b.name for b in blocks() if b.info == "cron" and b.marker is None]
    assert not unmarked_cron, f"crontab blocks must be marked as illustrations: {unmarked_cron}"
    for block in illustrations:
        ILLUSTRATIONS[(block.marker or "").removeprefix("illustration: ")](block)


# --- running them -------------------------------------------------------------------------------


@pytest.fixture
def runner(meltano_project: Any) -> Iterator[DocRunner]:
    doc_runner = DocRunner(meltano_project, VENV_BIN, free_port())
    for state_id in (
        "sandbox:tap-peopleai-to-target-duckdb",
        "sandbox:tap-peopleai-bulk-to-target-duckdb",  # the jobs' pipeline
        "production:tap-peopleai-to-target-duckdb",
        "production:tap-peopleai-bulk-to-target-duckdb",
    ):
        meltano_project.run("state", "clear", "--force", state_id, check=False)
    # `meltano config set` rewrites the project's files: the session's other tests get them back.
    originals = {
        path: path.read_text() for path in meltano_files.project_files(meltano_project.root)
    }
    try:
        doc_runner.run(f"peopleai-sandbox serve --port 8765 --now {SANDBOX_NOW} &")
        yield doc_runner
    finally:
        doc_runner.stop_sandboxes()
        for path, text in originals.items():
            path.write_text(text)


def test_documented_commands_run_in_order_against_the_sandbox(runner: DocRunner) -> None:
    commands = [command for block in shell_blocks() for command in _run_here(block)]
    outputs = runner.run_all(commands + INLINE_COMMANDS)
    states = outputs["meltano state list"]
    assert "production:tap-peopleai-to-target-duckdb" in states
    assert '"cursor"' in outputs["meltano state get production:tap-peopleai-to-target-duckdb"]
    assert "peopleai-reconcile-weekly" in outputs["meltano schedule list"]
    printed = outputs["meltano --environment=production config print tap-peopleai"]
    assert "sandbox-secret" not in printed, "config print must mask the secret"
    assert '"RECORD"' in outputs["TAP_PEOPLEAI_POLL_INTERVAL=0.5 tap-peopleai --config ENV"]
    assert "| start_date |" in outputs["tap-peopleai --about --format=markdown"]
    assert "No export job was created" in outputs["meltano invoke tap-peopleai --test"]
    copied = runner.project.state("production:tap-peopleai-bulk-to-target-duckdb")
    assert copied["singer_state"]["bookmarks"]["activities"]["cursor"] == "2026-11-01"
    # `meltano --environment=production config set` wrote into that environment's entry
    project = meltano_files.load_project(Path(runner.project.root))
    (production,) = [e for e in project["environments"] if e["name"] == "production"]
    tap = meltano_files.plugin(production["config"], "extractors", "tap-peopleai")
    assert str(tap["config"]["start_date"]) == "2024-01-01"
