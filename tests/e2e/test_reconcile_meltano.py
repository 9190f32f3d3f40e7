"""End to end: erasures at People.ai leave the warehouse after `meltano run tap-peopleai-reconcile`.

Both loaders honour the reconciliation's ACTIVATE_VERSION: a live row is one whose
`_sdc_deleted_at` is null, and the live rows must equal the sandbox's truth exactly. The ordinary
syncs run the tap plugin of the loaders' jobs (BATCH files, tap-peopleai-bulk): their rows carry
no version, and each loader counts them as of the time it loaded them. The reconciliation sends
RECORD messages, whose versions it needs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.support.tap_runs import JOB_TAP, meltano_env
from tests.support.times import to_utc

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


def duckdb_live_rows(db: Path) -> Live:
    """The live rows of a DuckDB load: those the loader has not soft-deleted."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "select uid, epoch_us(ingest_timestamp) from peopleai.activities "
            "where _sdc_deleted_at is null"
        ).fetchall()
    finally:
        con.close()
    return {uid: to_utc(ts) for uid, ts in rows}


def postgres_live_rows(postgres_server: Any, schema: str) -> Live:
    """The live rows of a PostgreSQL load: those target-postgres has not soft-deleted."""
    rows = postgres_server.psql(
        "select uid, (extract(epoch from ingest_timestamp) * 1000000)::bigint::text "  # noqa: S608
        f"from {schema}.activities where _sdc_deleted_at is null"
    )
    return {uid: to_utc(int(ts)) for uid, ts in rows}


def _assert_live_rows_equal_the_truth(sandbox: Any, live: Live, erased: set[str]) -> None:
    truth = sandbox.backend.ground_truth(activity_from=START_DATE)
    assert not erased & set(live), "erased activities are still live"
    assert set(live) == set(truth), "live rows differ from the truth"
    stale = [uid for uid, row in truth.items() if live[uid] != to_utc(row.ingest_timestamp)]
    assert not stale, f"{len(stale)} rows not at their latest version"


def _scenario(
    meltano_project: Any,
    sandbox_factory: Callable[..., Any],
    loader: str,
    loader_env: dict[str, str],
    live_rows: Callable[[], Live],
) -> None:
    sandbox = sandbox_factory(now=SANDBOX_NOW, activities_per_day=60, seed=5)
    env = meltano_env(sandbox, START_DATE, loader_env)
    tap = JOB_TAP[loader]
    for state_id in (f"{tap}-to-{loader}", f"tap-peopleai-reconcile-to-{loader}"):
        meltano_project.run("state", "clear", "--force", f"sandbox:{state_id}", env=env)
    meltano_project.run("run", tap, loader, env=env)
    erased = _erase_some(sandbox)
    assert erased & set(live_rows()), "the scenario erases activities already loaded"
    sandbox.clock.advance(timedelta(hours=3))
    meltano_project.run("run", tap, loader, env=env)
    assert erased & set(live_rows()), "an ordinary sync cannot know of erasures"

    meltano_project.run("run", "tap-peopleai-reconcile", loader, env=env)
    _assert_live_rows_equal_the_truth(sandbox, live_rows(), erased)


def test_duckdb_reconciliation_leaves_exactly_the_live_activities(
    meltano_project: Any, sandbox_factory: Callable[..., Any], tmp_path: Path
) -> None:
    db = tmp_path / "reconcile.duckdb"

    _scenario(
        meltano_project,
        sandbox_factory,
        "target-duckdb",
        {"TARGET_DUCKDB_FILEPATH": str(db), "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": "peopleai"},
        lambda: duckdb_live_rows(db),
    )


def test_postgres_reconciliation_marks_exactly_the_erased_activities_deleted(
    meltano_project: Any, sandbox_factory: Callable[..., Any], postgres_server: Any
) -> None:
    schema = "peopleai_reconcile"
    postgres_server.psql(f"drop schema if exists {schema} cascade")

    _scenario(
        meltano_project,
        sandbox_factory,
        "target-postgres",
        postgres_server.loader_env(schema),
        lambda: postgres_live_rows(postgres_server, schema),
    )


# A reconciliation killed midway ------------------------------------------------------------
#
# Meltano saves the tap's state when the loader emits it: target-duckdb once the rows before it
# are committed (here its spool is loaded every 100 rows), target-postgres (a singer-sdk target)
# only when it drains all its sinks, every 5 minutes or at the end. So DuckDB's rerun resumes the
# killed reconciliation from its saved state, and PostgreSQL's starts a new one over rows the
# killed one loaded: both must end correct.


def _killed_midway(
    meltano_project: Any,
    env: dict[str, str],
    loader: str,
    log: Path,
    midway: Callable[[], bool],
) -> None:
    """Start the reconciliation and SIGKILL it (Meltano, tap and loader) once ``midway()``."""
    with log.open("w") as stderr:
        run = meltano_project.start("run", "tap-peopleai-reconcile", loader, env=env, stderr=stderr)
        try:
            deadline = time.monotonic() + 240
            while run.poll() is None and not midway() and time.monotonic() < deadline:
                time.sleep(0.5)
            ended = run.poll()
            assert ended is None, f"ended ({ended}) before the kill:\n{log.read_text()[-6000:]}"
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(run.pid, signal.SIGKILL)
            run.wait()


def _killed_scenario(
    meltano_project: Any,
    sandbox: Any,
    loader: str,
    loader_env: dict[str, str],
    log: Path,
    midway: Callable[[str, dict[str, str]], bool],
) -> tuple[set[str], dict[str, Any]]:
    """A sync, erasures, a reconciliation killed midway, a sync, the reconciliation rerun.

    Returns the erased uids and the reconciliation state Meltano held after the kill ({} if none).
    """
    # Many small windows and small loader batches: states are written while it runs.
    small_windows = {"TAP_PEOPLEAI_SNAPSHOT_WINDOW_DAYS": "15", **loader_env}
    env = meltano_env(sandbox, START_DATE, small_windows)
    reconcile_state = f"sandbox:tap-peopleai-reconcile-to-{loader}"
    tap = JOB_TAP[loader]
    for state_id in (f"sandbox:{tap}-to-{loader}", reconcile_state):
        meltano_project.run("state", "clear", "--force", state_id, env=env)
    meltano_project.run("run", tap, loader, env=env)
    erased = _erase_some(sandbox)
    _killed_midway(meltano_project, env, loader, log, lambda: midway(reconcile_state, env))
    saved = _saved_reconciliation(meltano_project, env, reconcile_state)
    # Meanwhile People.ai ingests more, and the ordinary sync loads it.
    sandbox.clock.advance(timedelta(hours=3))
    meltano_project.run("run", tap, loader, env=env)
    # Meltano marks the killed run stale only after its 5-minute heartbeat: the operator who
    # knows it is dead reruns with --force, as the README says.
    meltano_project.run("run", "--force", "tap-peopleai-reconcile", loader, env=env)
    return erased, saved


def _saved_reconciliation(meltano_project: Any, env: dict[str, str], state_id: str) -> Any:
    """The activities bookmark's reconciliation in the state Meltano holds ({} if none)."""
    state = meltano_project.state(state_id, env=env, missing_ok=True).get("singer_state", {})
    bookmark = state.get("bookmarks", {}).get("activities", {})
    return bookmark.get("reconciliation", {}) if _emitted_part(bookmark) else {}


def _emitted_part(bookmark: dict[str, Any]) -> bool:
    """Has the sync of this bookmark emitted part of its export?"""
    snapshot = bookmark.get("snapshot") or {}
    emitted = any(job["fragments_emitted"] for job in bookmark.get("jobs", []))
    return emitted or snapshot.get("next_start", START_DATE.isoformat()) > START_DATE.isoformat()


def _slow_sandbox(sandbox_factory: Callable[..., Any]) -> Any:
    return sandbox_factory(
        now=SANDBOX_NOW, activities_per_day=60, seed=7, job_run_seconds=1.5, fragment_records=100
    )


def test_duckdb_reconciliation_killed_midway_resumes_and_ends_correct(
    meltano_project: Any, sandbox_factory: Callable[..., Any], tmp_path: Path
) -> None:
    db = tmp_path / "killed.duckdb"
    sandbox = _slow_sandbox(sandbox_factory)
    loader_env = {
        "TARGET_DUCKDB_FILEPATH": str(db),
        "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": "peopleai",
        "TARGET_DUCKDB_BATCH_SIZE_ROWS": "100",
    }

    def midway(state_id: str, env: dict[str, str]) -> bool:
        return bool(_saved_reconciliation(meltano_project, env, state_id))

    erased, saved = _killed_scenario(
        meltano_project, sandbox, "target-duckdb", loader_env, tmp_path / "killed.log", midway
    )
    assert saved, "Meltano held the killed reconciliation's state"
    con = duckdb.connect(str(db), read_only=True)
    try:
        versions = con.execute("select version from peopleai.reconciliations").fetchall()
    finally:
        con.close()
    assert versions == [(saved["version"],)], "the rerun resumed the killed reconciliation"
    _assert_live_rows_equal_the_truth(sandbox, duckdb_live_rows(db), erased)


def test_postgres_reconciliation_killed_midway_and_rerun_ends_correct(
    meltano_project: Any, sandbox_factory: Callable[..., Any], postgres_server: Any, tmp_path: Path
) -> None:
    schema = "peopleai_reconcile_killed"
    postgres_server.psql(f"drop schema if exists {schema} cascade")
    sandbox = _slow_sandbox(sandbox_factory)
    loader_env = {"TARGET_POSTGRES_BATCH_SIZE_ROWS": "100", **postgres_server.loader_env(schema)}
    downloads_before_reconciling: list[int] = []

    def midway(state_id: str, env: dict[str, str]) -> bool:
        # target-postgres saves no state midway: kill once rows of the reconciliation are loaded.
        downloads = sandbox.backend.stats()["downloads"]
        if not downloads_before_reconciling:
            downloads_before_reconciling.append(downloads)
        return downloads >= downloads_before_reconciling[0] + 4 and bool(
            postgres_server.psql(
                f"select 1 from {schema}.activities where _sdc_table_version > "  # noqa: S608
                "(select min(_sdc_table_version) from "
                f"{schema}.activities) limit 1"
            )
        )

    erased, _ = _killed_scenario(
        meltano_project, sandbox, "target-postgres", loader_env, tmp_path / "killed.log", midway
    )
    versions = postgres_server.psql(f"select count(*)::text from {schema}.reconciliations")  # noqa: S608
    assert versions == [["1"]], "one reconciliation completed"
    _assert_live_rows_equal_the_truth(sandbox, postgres_live_rows(postgres_server, schema), erased)
