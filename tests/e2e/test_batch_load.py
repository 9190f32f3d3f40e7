"""BATCH files into PostgreSQL through Meltano: `meltano run tap-peopleai-bulk target-postgres`.

target-postgres is this repository's target-postgres-bulk (COPY into staging, one upsert per
BATCH message). Here: files kept when asked, a batch holding one key twice (the later line
wins), and the loader SIGKILLed in the middle of a batch, then the pipeline rerun: no row lost,
none duplicated, none stale.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import signal
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest

from tests.support.tap_runs import meltano_env
from tests.support.truth import compare, latest_versions
from tests.support.warehouse_rows import postgres_records, postgres_rows

SANDBOX_NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
START_DATE = (SANDBOX_NOW - timedelta(days=20)).date()
PIPELINE = ("tap-peopleai-bulk", "target-postgres")
STATE_ID = "sandbox:tap-peopleai-bulk-to-target-postgres"

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]


def _fresh(meltano_project: Any, postgres_server: Any, schema: str, env: dict[str, str]) -> None:
    postgres_server.psql(f"drop schema if exists {schema} cascade")
    meltano_project.run("state", "clear", "--force", STATE_ID, env=env, check=False)


def _truth(sandbox: Any) -> dict[str, Any]:
    return latest_versions(sandbox.backend.ground_truth(activity_from=START_DATE))


def test_kept_files_and_a_batch_holding_a_key_twice(
    meltano_project: Any,
    sandbox_factory: Callable[..., Any],
    postgres_server: Any,
    tmp_path: Path,
) -> None:
    sandbox = sandbox_factory(
        now=SANDBOX_NOW, activities_per_day=100, seed=17, fragment_records=400
    )
    schema = "peopleai_batch"
    loader_env = {**postgres_server.loader_env(schema), "TARGET_POSTGRES_KEEP_BATCH_FILES": "true"}
    env = meltano_env(sandbox, START_DATE, loader_env)
    _fresh(meltano_project, postgres_server, schema, env)
    meltano_project.run("run", *PIPELINE, env=env)
    assert not compare(postgres_rows(postgres_server, schema, "activities"), _truth(sandbox))
    kept = sorted((meltano_project.root / "output" / "batches").glob("peopleai-*.jsonl.gz"))
    assert len(kept) > 3, "keep_batch_files: every file the run loaded is still there"

    # One batch file holding an activity twice: a newer version, then the older one again.
    # Stream order decides (the later line wins), as with RECORD messages.
    older = json.loads(gzip.decompress(kept[0].read_bytes()).splitlines()[0])
    newer = {**older, "subject": "newer", "ingest_timestamp": "2025-03-01T11:00:00Z"}
    older["subject"] = "the later line"
    twice = tmp_path / "twice.jsonl.gz"
    twice.write_bytes(gzip.compress(f"{json.dumps(newer)}\n{json.dumps(older)}\n".encode()))
    catalog = json.loads(
        meltano_project.run("invoke", "tap-peopleai", "--discover", env=env).stdout
    )
    stream = next(s for s in catalog["streams"] if s["tap_stream_id"] == "activities")
    messages = [
        {
            "type": "SCHEMA",
            "stream": "activities",
            "schema": stream["schema"],
            "key_properties": stream["key_properties"],
        },
        {
            "type": "BATCH",
            "stream": "activities",
            "encoding": {"format": "jsonl", "compression": "gzip"},
            "manifest": [twice.as_uri()],
        },
        {"type": "STATE", "value": {"after": "twice"}},
    ]
    stdin = "".join(f"{json.dumps(message)}\n" for message in messages)
    env_default = meltano_env(sandbox, START_DATE, postgres_server.loader_env(schema))
    loaded = meltano_project.run("invoke", "target-postgres", env=env_default, input=stdin)
    assert json.loads(loaded.stdout.splitlines()[-1]) == {"after": "twice"}
    rows, _ = postgres_records(postgres_server, schema, "activities")
    assert rows[older["uid"]]["subject"] == "the later line"
    assert len(rows) == len(_truth(sandbox)), "updated in place, not added"
    assert not twice.exists(), "a loaded batch file is removed by default"


@contextlib.contextmanager
def _connection(server: Any) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(
        host=server.host, port=server.port, user=server.user, dbname=server.database
    ) as connection:
        yield connection


def _upsert_waiting(connection: psycopg.Connection[Any], table: str) -> bool:
    """Is a loader's upsert waiting for its write lock on ``table`` (its lines staged)?"""
    row = connection.execute(
        "select count(*) from pg_locks where relation = to_regclass(%s) and not granted "
        "and mode = 'RowExclusiveLock'",
        [table],
    ).fetchone()
    return bool(row and row[0])


def _until(condition: Callable[[], bool], run: Any, log: Path) -> None:
    deadline = time.monotonic() + 240
    while not condition():
        assert run.poll() is None, f"meltano run ended:\n{log.read_text()[-4000:]}"
        assert time.monotonic() < deadline, f"timed out:\n{log.read_text()[-4000:]}"
        time.sleep(0.02)


def _kill_loader(run: Any) -> None:
    loaders = [
        process
        for process in psutil.Process(run.pid).children(recursive=True)
        if any("target-postgres-bulk" in part for part in process.cmdline())
    ]
    assert len(loaders) == 1, loaders
    loaders[0].send_signal(signal.SIGKILL)
    loaders[0].wait(30)


def test_loader_killed_mid_batch_then_rerun_loses_and_duplicates_nothing(
    meltano_project: Any,
    sandbox_factory: Callable[..., Any],
    postgres_server: Any,
    tmp_path: Path,
) -> None:
    """A first sync, then an incremental one whose loader is SIGKILLed in its second batch.

    A table lock held by the test stops each upsert after its lines are staged: released once
    so that the first batch commits, and taken again before the second batch's upsert (lock
    requests queue in order), which is then waiting when the loader is killed.
    """
    sandbox = sandbox_factory(
        now=SANDBOX_NOW, activities_per_day=100, seed=29, fragment_records=100
    )
    schema = "peopleai_batch_killed"
    one_day_deltas = {"TAP_PEOPLEAI_DELTA_WINDOW_DAYS": "1", **postgres_server.loader_env(schema)}
    env = meltano_env(sandbox, START_DATE, one_day_deltas)
    _fresh(meltano_project, postgres_server, schema, env)
    meltano_project.run("run", *PIPELINE, env=env)
    before = postgres_rows(postgres_server, schema, "activities")
    sandbox.clock.advance(timedelta(days=2))
    truth = _truth(sandbox)
    assert compare(before, truth), "scenario: the second sync has rows to add and update"

    log = tmp_path / "killed.log"
    with (
        _connection(postgres_server) as lock,
        _connection(postgres_server) as observer,
        log.open("w") as stderr,
    ):
        observer.autocommit = True
        # SHARE mode lets readers in and keeps the upsert (ROW EXCLUSIVE) waiting.
        table = f"{schema}.activities"
        lock.execute(f"lock table {table} in share mode")
        run = meltano_project.start("run", *PIPELINE, env=env, stderr=stderr)
        try:
            _until(lambda: _upsert_waiting(observer, table), run, log)
            lock.commit()
            lock.execute(f"lock table {table} in share mode")
            _until(lambda: _upsert_waiting(observer, table), run, log)
            _kill_loader(run)
            lock.rollback()
            assert run.wait(120) != 0, "meltano run fails when its loader is killed"
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()
    first_batch = postgres_rows(postgres_server, schema, "activities")
    assert compare(first_batch, truth), "the killed batch is not in the table"
    assert first_batch != before, "the first batch of the killed run was committed"

    meltano_project.run("run", *PIPELINE, env=env)
    problems = compare(postgres_rows(postgres_server, schema, "activities"), truth)
    assert not problems, f"after the rerun: {problems}"
