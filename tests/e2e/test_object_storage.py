"""Stateless runs: Meltano's state and the BATCH files in an S3-compatible bucket.

As on machines that keep nothing between runs (cron, CI runners, Kubernetes CronJobs): two fresh
copies of the project, each with its own empty `.meltano`, share nothing but the bucket. The
first runs the `stateless` environment's job (snapshot exports); the second, after the sandbox's
clock moved on, finds that run's state in the bucket and runs the schedule incrementally (delta
exports only). Both times the tap writes BATCH files to `s3://`, target-postgres reads them from
the bucket, and the table must equal the sandbox's truth. The bucket's credentials must never
appear in anything Meltano, the tap or the loader print.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.support.object_store import S3Server, running_s3_server
from tests.support.truth import compare, latest_versions
from tests.support.warehouse_rows import postgres_rows

SANDBOX_NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
START_DATE = (SANDBOX_NOW - timedelta(days=20)).date()
ADVANCE = timedelta(days=2)
SCHEMA = "peopleai_s3"
STATE_ID = "stateless:tap-peopleai-s3-to-target-postgres-s3"
STATE_PREFIX = "meltano-state"
BATCH_PREFIX = "peopleai-batches/peopleai-"
JOB = "peopleai-to-postgres-via-s3"

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


@pytest.fixture
def s3_server(tmp_path: Path) -> Iterator[S3Server]:
    with running_s3_server(tmp_path / "moto.log") as server:
        yield server


def _assert_no_secret(procs: list[subprocess.CompletedProcess[str]], server: S3Server) -> None:
    for proc in procs:
        for secret in server.secrets:
            assert secret not in proc.stdout, f"a bucket credential in the output of {proc.args}"
            assert secret not in proc.stderr, f"a bucket credential in the output of {proc.args}"


def _bookmark(state: dict[str, Any]) -> dict[str, Any]:
    bookmark = state["singer_state"]["bookmarks"]["activities"]
    assert isinstance(bookmark, dict)
    return bookmark


def _state_in_bucket(server: S3Server) -> dict[str, Any]:
    """The completed state Meltano stored in the bucket (`{"singer_state": ...}`)."""
    keys = [k for k in server.keys(STATE_PREFIX) if STATE_ID in k and k.endswith("state.json")]
    assert len(keys) == 1, f"expected one state object for {STATE_ID}: {server.keys('')}"
    stored = json.loads(server.read(keys[0]))
    assert not stored.get("partial"), f"a partial state was left behind: {stored}"
    state = stored["completed"]
    assert isinstance(state, dict)
    return state


def _batch_files_read(log: Path, server: S3Server) -> set[str]:
    """Batch file keys that something fetched from the server (moto logs every request)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", log.read_text(errors="replace"))  # its colours
    pattern = re.compile(rf'"GET /{re.escape(server.bucket)}/({re.escape(BATCH_PREFIX)}\S+)')
    return set(pattern.findall(text))


def test_two_fresh_projects_share_state_and_batch_files_through_the_bucket(
    project_copies: Callable[[str], Any],
    sandbox_factory: Callable[..., Any],
    postgres_server: Any,
    s3_server: S3Server,
    tmp_path: Path,
) -> None:
    sandbox = sandbox_factory(
        now=SANDBOX_NOW, activities_per_day=100, seed=23, fragment_records=400
    )
    postgres_server.psql(f"drop schema if exists {SCHEMA} cascade")
    env = {
        "MELTANO_ENVIRONMENT": "stateless",
        "MELTANO_STATE_BACKEND_URI": f"s3://{s3_server.bucket}/{STATE_PREFIX}",
        "PEOPLEAI_BATCH_ROOT": f"s3://{s3_server.bucket}/peopleai-batches",
        **s3_server.aws_env(),
        "TAP_PEOPLEAI_API_URL": sandbox.url,
        "TAP_PEOPLEAI_CLIENT_ID": sandbox.client_id,
        "TAP_PEOPLEAI_CLIENT_SECRET": sandbox.client_secret,
        "TAP_PEOPLEAI_START_DATE": START_DATE.isoformat(),
        "TAP_PEOPLEAI_POLL_INTERVAL": "1",
        **postgres_server.loader_env(SCHEMA),
    }
    procs: list[subprocess.CompletedProcess[str]] = []

    # 1. the first machine: a fresh project, the job of the stateless environment
    first = project_copies("first-machine")
    procs.append(first.run("install", "--schedule", "peopleai-stateless-daily", env=env))
    procs.append(first.run("--environment=stateless", "run", JOB, env=env))
    truth1 = latest_versions(sandbox.backend.ground_truth(activity_from=START_DATE))
    problems = compare(postgres_rows(postgres_server, SCHEMA, "activities"), truth1)
    assert not problems, f"after the first run: {problems}"
    moto_log = tmp_path / "moto.log"
    # target-postgres read a batch file per fragment from the bucket, then removed them
    files1 = _batch_files_read(moto_log, s3_server)
    assert len(files1) > 3, f"expected a batch file per fragment read from the bucket: {files1}"
    assert all(key.endswith(".jsonl.gz") for key in files1), files1
    assert not s3_server.keys(BATCH_PREFIX), "loaded batch files are removed from the bucket"
    state1 = _state_in_bucket(s3_server)
    assert _bookmark(state1)["cursor"] == SANDBOX_NOW.date().isoformat()
    assert not list((first.root).glob("**/*.jsonl.gz")), "batch files belong in the bucket"

    # 2. two days later, another machine: a fresh project that has only the bucket
    sandbox.clock.advance(ADVANCE)
    truth2 = latest_versions(sandbox.backend.ground_truth(activity_from=START_DATE))
    assert set(truth2) - set(truth1), "scenario: the clock advance should bring new activities"
    second = project_copies("second-machine")
    procs.append(second.run("install", "--schedule", "peopleai-stateless-daily", env=env))
    procs.append(second.run("state", "get", STATE_ID, env=env))
    read_back = json.loads(procs[-1].stdout[procs[-1].stdout.find("{") :])
    assert read_back["singer_state"] == state1["singer_state"], "state not read from the bucket"
    jobs_before = len(sandbox.backend.list_jobs())
    procs.append(
        second.run(
            "--environment=stateless", "schedule", "run", "peopleai-stateless-daily", env=env
        )
    )
    kinds = [job.export_type for job in sandbox.backend.list_jobs()[jobs_before:]]
    assert kinds, "the second run created no export job"
    assert set(kinds) == {"delta"}, f"the second run should be incremental: {kinds}"
    problems = compare(postgres_rows(postgres_server, SCHEMA, "activities"), truth2)
    assert not problems, f"after the second run: {problems}"
    files2 = _batch_files_read(moto_log, s3_server)
    assert files2 > files1, "the second run should have loaded batch files of its own"
    assert not s3_server.keys(BATCH_PREFIX)
    cursor = _bookmark(_state_in_bucket(s3_server))["cursor"]
    assert cursor == (SANDBOX_NOW + ADVANCE).date().isoformat()

    # 3. the first machine's system database does not hold the state: only the bucket does
    local_env = {k: v for k, v in env.items() if not k.startswith("MELTANO_STATE_BACKEND_")}
    procs.append(first.run("state", "list", env=local_env))
    assert STATE_ID not in procs[-1].stdout, f"state found in {first.sys_dir}"

    _assert_no_secret(procs, s3_server)
    for key in s3_server.keys(STATE_PREFIX):
        text = s3_server.read(key).decode()
        assert not any(secret in text for secret in s3_server.secrets), key
