"""`make demo`, the README's first command, run twice as a new user would: first, then delta."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _make_demo(port: int) -> subprocess.CompletedProcess[str]:
    # The demo's own port variable: 8765 may be a developer's running demo.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_PEOPLEAI_", "MELTANO_"))}
    env["DEMO_SANDBOX_PORT"] = str(port)
    proc = subprocess.run(
        ["make", "demo"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    assert proc.returncode == 0, f"make demo failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    return proc


def test_make_demo_runs_twice_first_then_incremental_and_checks_itself() -> None:
    port = _free_port()
    # Without its result file the demo starts over (its documented behaviour), whatever state a
    # developer's earlier demo left; Meltano's plugins and other state are left alone.
    (REPO_ROOT / "output" / "demo.duckdb").unlink(missing_ok=True)
    first = _make_demo(port).stdout
    assert "performing the FIRST (snapshot) sync" in first
    assert "meltano invoke dbt-duckdb:run" in first, "the demo ends by building the models"
    second = _make_demo(port).stdout
    assert "performing an INCREMENTAL (delta) run" in second
