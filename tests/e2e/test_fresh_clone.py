"""A newcomer's first hour: a fresh clone, plain Meltano (no `make`), every DuckDB pipeline.

The repository is cloned afresh (its committed HEAD) and used exactly as a Meltano user would:
`meltano install`, then `meltano run tap-peopleai target-duckdb`, the reconciliation job, the
load-and-models job and the other shipped pipelines, in the default `sandbox` environment, with
nothing set but the sandbox's address (it listens on a free port instead of 8765). The tables
must equal the sandbox's truth, and no log may warn about a setting nobody set. The install
shares the machine's uv cache, and happens once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from test_reconcile_meltano import duckdb_live_rows

from tests.support.analyst_queries import readme_queries, readme_shell_commands
from tests.support.dbt_marts import compare_marts, duckdb_query
from tests.support.dbt_truth import expected_marts
from tests.support.times import to_utc

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
START_DATE = date(2025, 2, 1)  # the sandbox environment's start_date (meltano-project/)
# What the tap, the loaders and Meltano say about settings they do not know.
SETTING_WARNINGS = ("unknown setting", "Unknown setting", "not a known setting")


def _clone(target: Path) -> None:
    head = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(REPO_ROOT), str(target)],
                   check=True, timeout=120)  # fmt: skip
    subprocess.run(["git", "-C", str(target), "checkout", "--quiet", head], check=True)


def _user_env(sandbox: Any) -> dict[str, str]:
    """A shell with Meltano on PATH and none of a developer's settings; the sandbox's URL."""
    scrubbed = ("TAP_PEOPLEAI_", "TARGET_", "PEOPLEAI_", "MELTANO_", "DBT_", "AWS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(scrubbed)}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["TAP_PEOPLEAI_API_URL"] = sandbox.url
    env["MELTANO_CLI_DISABLE_VERSION_CHECK"] = "true"
    return env


def test_fresh_clone_runs_every_duckdb_pipeline_with_plain_meltano(
    tmp_path: Path, sandbox_factory: Callable[..., Any]
) -> None:
    clone = tmp_path / "tap-peopleai"
    _clone(clone)
    sandbox = sandbox_factory()
    env = _user_env(sandbox)
    logs: list[str] = []

    def shell(
        command: str, stdin: str | None = None, extra: dict[str, str] | None = None, rc: int = 0
    ) -> str:
        proc = subprocess.run(
            ["bash", "-c", command], cwd=clone, env={**env, **(extra or {})}, input=stdin,
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        output = proc.stdout + proc.stderr
        assert proc.returncode == rc, f"`{command}` exited {proc.returncode}:\n{output[-6000:]}"
        logs.append(output)
        return output

    shell("meltano install")
    db = clone / "output" / "sandbox.duckdb"  # the sandbox environment's file

    # 1. the pipeline every Meltano user types first
    shell("meltano run tap-peopleai target-duckdb")
    truth = sandbox.backend.ground_truth(activity_from=START_DATE)
    assert duckdb_live_rows(db) == {uid: to_utc(row.ingest_timestamp) for uid, row in truth.items()}

    # 2. People.ai erases activities; the reconciliation job makes them leave the live rows
    uids = sorted(truth)
    sandbox.erase(uids=uids[:3])
    sandbox.advance(seconds=60)  # exports omit them once the erasure's time is past
    # (with a misspelt setting in the environment: the one warning this test expects)
    typo = {"TAP_PEOPLEAI_POLL_INTERVALL": "0.5"}
    reconciled = shell("meltano run peopleai-reconcile", extra=typo)
    (warning,) = [line for line in reconciled.splitlines() if "unknown setting" in line]
    assert (
        "`poll_intervall` (TAP_PEOPLEAI_POLL_INTERVALL, did you mean `poll_interval`?)" in warning
    )
    assert "reconcile_" not in warning
    logs.remove(reconciled)
    logs.append(reconciled.replace(warning, ""))
    truth = sandbox.backend.ground_truth(activity_from=START_DATE)
    assert not set(uids[:3]) & set(truth)
    assert duckdb_live_rows(db) == {uid: to_utc(row.ingest_timestamp) for uid, row in truth.items()}

    # 3. the load-and-models job: the marts equal the figures of the sandbox's records
    shell("meltano run peopleai-to-duckdb-models")
    records = sandbox.backend.truth_records(activity_from=START_DATE)
    problems = compare_marts(duckdb_query(db), expected_marts(records))
    assert not problems, "\n".join(problems)

    # 4. the README's way into the warehouse, with a README query on its input
    (command,) = [c for c in readme_shell_commands() if c.startswith("meltano invoke duckdb")]
    shown = shell(command, stdin=readme_queries()[0])
    assert "week_start" in shown

    # 5. the other pipelines: the scheduled job, JSON Lines, and PostgreSQL's job without its
    #    settings (loaders/loader-preflight, installed from the clone's relative pip_url)
    shell("meltano run peopleai-to-duckdb")
    shell("meltano run tap-peopleai target-jsonl")
    lines = (clone / "output" / "jsonl" / "activities.jsonl").read_text().splitlines()
    assert {json.loads(line)["uid"] for line in lines} == set(
        sandbox.backend.ground_truth(activity_from=START_DATE)
    )
    jobs = len(sandbox.backend.list_jobs())
    stopped = shell("meltano run peopleai-to-postgres-models", rc=1)
    assert "target-postgres: missing setting(s) host, user, password" in stopped
    assert len(sandbox.backend.list_jobs()) == jobs, "the tap created an export job"

    warned = [
        line
        for log in logs
        for line in log.splitlines()
        if any(w in line for w in SETTING_WARNINGS)
    ]
    assert not warned, "warnings about settings nobody set:\n" + "\n".join(warned)
    assert "Traceback" not in "".join(logs)
