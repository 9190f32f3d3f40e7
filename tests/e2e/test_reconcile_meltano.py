"""End to end: erasures at People.ai leave the warehouse after `meltano run tap-peopleai-reconcile`.

PostgreSQL honours the reconciliation's ACTIVATE_VERSION (`_sdc_deleted_at`); DuckDB's loader
ignores it, so there a row is live when its `sync_version` is at least the latest version in the
`reconciliations` table. Either way the live rows must equal the sandbox's truth exactly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import MELTANO
from e2e_warehouse import to_utc

UTC = timezone.utc
SANDBOX_NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
START_DATE = (SANDBOX_NOW - timedelta(days=20)).date()

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

Live = dict[str, datetime]


def _erase_some(sandbox: Any) -> set[str]:
    truth = sandbox.backend.truth_records(activity_from=START_DATE)
    uids = sorted(truth)
    user = next(
        str(p["peopleai_id"])
        for r in truth.values()
        for p in r.get("participants", [])
        if p.get("type") == "internal"
    )
    sandbox.erase(uids=uids[3:5], user_ids=[user])
    return set(sandbox.backend.erased()) & set(uids)


def _scenario(
    meltano_project: Any,
    sandbox_factory: Callable[..., Any],
    loader: str,
    loader_env: dict[str, str],
    live_rows: Callable[[], Live],
) -> None:
    sandbox = sandbox_factory(now=SANDBOX_NOW, activities_per_day=60, seed=5)
    env = {
        "TAP_PEOPLEAI_API_URL": sandbox.url,
        "TAP_PEOPLEAI_CLIENT_ID": sandbox.client_id,
        "TAP_PEOPLEAI_CLIENT_SECRET": sandbox.client_secret,
        "TAP_PEOPLEAI_START_DATE": START_DATE.isoformat(),
        **loader_env,
    }
    for state_id in (f"tap-peopleai-to-{loader}", f"tap-peopleai-reconcile-to-{loader}"):
        meltano_project.run("state", "clear", "--force", f"sandbox:{state_id}", env=env)
    meltano_project.run("run", "tap-peopleai", loader, env=env)
    erased = _erase_some(sandbox)
    assert erased & set(live_rows()), "the scenario erases activities already loaded"
    sandbox.clock.advance(timedelta(hours=3))
    meltano_project.run("run", "tap-peopleai", loader, env=env)
    assert erased & set(live_rows()), "an ordinary sync cannot know of erasures"

    meltano_project.run("run", "tap-peopleai-reconcile", loader, env=env)
    truth = sandbox.backend.ground_truth(activity_from=START_DATE)
    live = live_rows()
    assert not erased & set(live), "erased activities are still live"
    assert set(live) == set(truth), "live rows differ from the truth"
    stale = [uid for uid, row in truth.items() if live[uid] != to_utc(row.ingest_timestamp)]
    assert not stale, f"{len(stale)} rows not at their latest version"


def test_duckdb_reconciliation_leaves_exactly_the_live_activities(
    meltano_project: Any, sandbox_factory: Callable[..., Any], tmp_path: Path
) -> None:
    db = tmp_path / "reconcile.duckdb"

    def live_rows() -> Live:
        con = duckdb.connect(str(db), read_only=True)
        try:
            tables = {
                t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()
            }
            latest = "0"
            if "reconciliations" in tables:
                latest = "(select coalesce(max(version), 0) from peopleai.reconciliations)"
            rows = con.execute(
                "select uid, epoch_us(ingest_timestamp) from peopleai.activities "  # noqa: S608
                f"where sync_version >= {latest}"
            ).fetchall()
        finally:
            con.close()
        return {uid: to_utc(ts) for uid, ts in rows}

    _scenario(
        meltano_project,
        sandbox_factory,
        "target-duckdb",
        {"TARGET_DUCKDB_FILEPATH": str(db), "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": "peopleai"},
        live_rows,
    )


def test_postgres_reconciliation_marks_exactly_the_erased_activities_deleted(
    meltano_project: Any, sandbox_factory: Callable[..., Any], postgres_server: Any
) -> None:
    schema = "peopleai_reconcile"
    postgres_server.psql(f"drop schema if exists {schema} cascade")

    def live_rows() -> Live:
        rows = postgres_server.psql(
            "select uid, (extract(epoch from ingest_timestamp) * 1000000)::bigint::text "  # noqa: S608
            f"from {schema}.activities where _sdc_deleted_at is null"
        )
        return {uid: to_utc(int(ts)) for uid, ts in rows}

    _scenario(
        meltano_project,
        sandbox_factory,
        "target-postgres",
        postgres_server.loader_env(schema),
        live_rows,
    )


def _killed_midway(meltano_project: Any, env: dict[str, str], state_id: str) -> dict[str, Any]:
    """Start the reconciliation, SIGKILL it (Meltano, tap and loader) once Meltano has saved a
    state with the reconciliation under way, and return that state."""
    run = subprocess.Popen(
        [MELTANO, "run", "tap-peopleai-reconcile", "target-postgres"],
        cwd=meltano_project.root,
        env=meltano_project.env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        while run.poll() is None and time.monotonic() < deadline:
            if _under_way(meltano_project, env, state_id):
                break
            time.sleep(0.5)
        assert run.poll() is None, "the reconciliation ended before it could be killed midway"
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    state = meltano_project.state(state_id, env=env)
    return state["singer_state"]["bookmarks"]["activities"]["reconciliation"]  # type: ignore[index,no-any-return]


def _under_way(meltano_project: Any, env: dict[str, str], state_id: str) -> bool:
    """Has Meltano saved a state in which the reconciliation has emitted part of its export?"""
    saved = meltano_project.run("state", "get", state_id, env=env, check=False).stdout
    start = saved.find("{")
    if start < 0:
        return False
    state = json.loads(saved[start:]).get("singer_state", {})
    bookmark = state.get("bookmarks", {}).get("activities", {})
    snapshot = bookmark.get("snapshot") or {}
    emitted = any(job["fragments_emitted"] for job in bookmark.get("jobs", []))
    moved = snapshot.get("next_start", START_DATE.isoformat()) > START_DATE.isoformat()
    return "reconciliation" in bookmark and (emitted or moved)


def test_postgres_reconciliation_killed_midway_and_rerun_ends_correct(
    meltano_project: Any, sandbox_factory: Callable[..., Any], postgres_server: Any
) -> None:
    schema = "peopleai_reconcile_killed"
    postgres_server.psql(f"drop schema if exists {schema} cascade")
    # Slow jobs, many windows and small loader batches: Meltano saves states while it runs.
    sandbox = sandbox_factory(
        now=SANDBOX_NOW, activities_per_day=60, seed=7, job_run_seconds=1.5, fragment_records=100
    )
    env = {
        "TAP_PEOPLEAI_API_URL": sandbox.url,
        "TAP_PEOPLEAI_CLIENT_ID": sandbox.client_id,
        "TAP_PEOPLEAI_CLIENT_SECRET": sandbox.client_secret,
        "TAP_PEOPLEAI_START_DATE": START_DATE.isoformat(),
        "TAP_PEOPLEAI_SNAPSHOT_WINDOW_DAYS": "15",
        "TARGET_POSTGRES_BATCH_SIZE_ROWS": "100",
        **postgres_server.loader_env(schema),
    }
    reconcile_state = "sandbox:tap-peopleai-reconcile-to-target-postgres"
    for state_id in ("sandbox:tap-peopleai-to-target-postgres", reconcile_state):
        meltano_project.run("state", "clear", "--force", state_id, env=env)
    meltano_project.run("run", "tap-peopleai", "target-postgres", env=env)
    erased = _erase_some(sandbox)

    under_way = _killed_midway(meltano_project, env, reconcile_state)
    # Meanwhile People.ai ingests more, and the ordinary sync loads it.
    sandbox.clock.advance(timedelta(hours=3))
    meltano_project.run("run", "tap-peopleai", "target-postgres", env=env)
    meltano_project.run("run", "tap-peopleai-reconcile", "target-postgres", env=env)

    versions = postgres_server.psql(f"select version::text from {schema}.reconciliations")  # noqa: S608
    assert versions == [[str(under_way["version"])]], "the rerun resumed the killed one"
    rows = postgres_server.psql(
        "select uid, (extract(epoch from ingest_timestamp) * 1000000)::bigint::text "  # noqa: S608
        f"from {schema}.activities where _sdc_deleted_at is null"
    )
    live = {uid: to_utc(int(ts)) for uid, ts in rows}
    truth = sandbox.backend.ground_truth(activity_from=START_DATE)
    assert not erased & set(live), "erased activities are still live"
    assert set(live) == set(truth), "live rows differ from the truth"
    stale = [uid for uid, row in truth.items() if live[uid] != to_utc(row.ingest_timestamp)]
    assert not stale, f"{len(stale)} rows not at their latest version"
