"""Spool directories of syncs that died without cleaning up (SIGKILL, OOM) are removed by the next
sync; a live sync's directory is never touched, whoever runs beside it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from peopleai_sandbox import Faults
from tap_peopleai.export.spool import (
    OWNER_MARKER,
    SPOOL_PREFIX,
    ProcessIdentity,
    remove_dead_spools,
)
from tests.support.processes import TapProcess
from tests.support.tap_runs import NOW, START, tap_config
from tests.support.truth import Warehouse


def _records(messages: list[dict]) -> int:  # type: ignore[type-arg]
    return sum(m["type"] == "RECORD" for m in messages)


def _spools(spool: Path) -> list[Path]:
    return sorted(spool.glob("peopleai-tap-*"))


def _slow_sandbox(make_sandbox):  # type: ignore[no-untyped-def]
    return make_sandbox(
        activities_per_day=60,
        fragment_records=100,
        faults=Faults(bandwidth_bytes_per_second=300_000),
    )


def test_the_spool_of_a_killed_sync_is_removed_by_the_next_and_the_rerun_completes(
    make_sandbox, tmp_path: Path
) -> None:
    sandbox = _slow_sandbox(make_sandbox)
    spool = tmp_path / "spool"
    spool.mkdir()
    config = tap_config(sandbox, scheduled_horizon_days=0, temp_dir=str(spool))
    killed = TapProcess(config, tmp_path / "killed")
    assert killed.read_until(lambda messages: _records(messages) > 150)
    killed.kill()
    (left,) = _spools(spool)
    assert list(left.glob("fragment-*")), "the killed sync left fragment files behind"

    rerun = TapProcess(config, tmp_path / "rerun", killed.last_state)
    assert rerun.finish() == 0, rerun.stderr[-2000:]
    assert not _spools(spool)
    removed = [line for line in rerun.stderr.splitlines() if "Removed" in line]
    assert len(removed) == 1, removed
    assert "INFO" in removed[0]
    assert str(left) in removed[0]
    assert f"process {killed.process.pid}" in removed[0]
    warehouse = Warehouse()
    warehouse.load_messages(killed.messages + rerun.messages)
    warehouse.assert_equals(
        sandbox.backend.ground_truth(activity_from=START, activity_to=NOW.date())
    )


def test_a_concurrent_sync_never_removes_a_live_syncs_spool(make_sandbox, tmp_path: Path) -> None:
    slow = _slow_sandbox(make_sandbox)
    quick = make_sandbox()
    spool = tmp_path / "spool"
    spool.mkdir()
    slow_config = tap_config(slow, scheduled_horizon_days=0, temp_dir=str(spool))
    running = TapProcess(slow_config, tmp_path / "running")
    assert running.read_until(lambda messages: _records(messages) > 150)
    (alive,) = _spools(spool)

    beside = TapProcess(tap_config(quick, temp_dir=str(spool)), tmp_path / "beside")
    assert beside.finish() == 0, beside.stderr[-2000:]
    assert "Removed" not in beside.stderr
    assert _spools(spool) == [alive], "the live sync's spool is untouched"

    assert running.finish() == 0, running.stderr[-2000:]
    assert not _spools(spool)
    warehouse = Warehouse()
    warehouse.load_messages(running.messages)
    warehouse.assert_equals(slow.backend.ground_truth(activity_from=START, activity_to=NOW.date()))


def _spool_of(parent: Path, name: str, owner: ProcessIdentity | None) -> Path:
    directory = parent / f"{SPOOL_PREFIX}{name}"
    directory.mkdir()
    (directory / "fragment-1.jsonl").write_text("{}\n")
    if owner is not None:
        (directory / OWNER_MARKER).write_text(json.dumps(dataclasses.asdict(owner)))
    return directory


def test_only_spools_whose_owner_has_certainly_ended_are_removed(tmp_path: Path) -> None:
    me = ProcessIdentity.current()
    # pid_max is at most 2**22: no process can have this PID.
    ended = _spool_of(tmp_path, "ended", dataclasses.replace(me, pid=2**22 + 1))
    reused = _spool_of(tmp_path, "reused", dataclasses.replace(me, started="another-boot:1"))
    alive = _spool_of(tmp_path, "alive", me)
    elsewhere = _spool_of(tmp_path, "elsewhere", dataclasses.replace(me, host="other-host"))
    unknown_start = _spool_of(tmp_path, "unknown", dataclasses.replace(me, started=None))
    unmarked = _spool_of(tmp_path, "unmarked", None)
    removed = remove_dead_spools(str(tmp_path))
    assert sorted(item.path for item in removed) == sorted([str(ended), str(reused)])
    assert all(item.files == 1 for item in removed)
    for kept in (alive, elsewhere, unknown_start, unmarked):
        assert kept.exists()
