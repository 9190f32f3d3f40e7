"""Settings the way Meltano users give them: `meltano run tap-peopleai target-jsonl` with
TAP_PEOPLEAI_* environment variables and a `.env` file in the project root, against a sandbox.

Meltano declares every tap setting `kind: string`, so values must reach the tap as written: a
fractional poll interval works, a misspelt name is warned about, and an invalid value (a date
Meltano's `date_iso8601` kind used to reinterpret, a word for a number) stops the run with one
line naming the setting, no traceback and no export job.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

SANDBOX_NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
START_DATE = (SANDBOX_NOW - timedelta(days=6)).date()
STATE_ID = "sandbox:tap-peopleai-to-target-jsonl"


def _sandbox_env(sandbox: Any, jsonl_dir: Path) -> dict[str, str]:
    jsonl_dir.mkdir(parents=True, exist_ok=True)
    return {
        "TAP_PEOPLEAI_API_URL": sandbox.url,
        "TAP_PEOPLEAI_CLIENT_ID": sandbox.client_id,
        "TAP_PEOPLEAI_CLIENT_SECRET": sandbox.client_secret,
        "TARGET_JSONL_DESTINATION_PATH": str(jsonl_dir),
    }


def _lines_with(output: str, text: str) -> list[str]:
    return [line for line in output.splitlines() if text in line]


def test_settings_from_environment_and_dotenv_reach_the_tap_as_written(
    meltano_project: Any, sandbox_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sandbox = sandbox_factory(now=SANDBOX_NOW, activities_per_day=60, seed=5)
    dotenv = meltano_project.root / ".env"
    # Meltano reads .env from the project root; the process environment outranks it.
    dotenv.write_text(
        f"TAP_PEOPLEAI_START_DATE={START_DATE.isoformat()}\n"
        "TAP_PEOPLEAI_DOWNLOAD_WORKERS=2\n"
        "TAP_PEOPLEAI_JOB_TIMEOUT=90.5\n"
    )
    env = {
        **_sandbox_env(sandbox, tmp_path / "jsonl"),
        "TAP_PEOPLEAI_POLL_INTERVAL": "0.5",
        "TAP_PEOPLEAI_SNAPSHOT_WINDOW_DAYS": "30",
        "TAP_PEOPLEAI_SCHEDULED_HORIZON_DAYS": "10",
        "TAP_PEOPLEAI_ALLOW_INSECURE_HTTP": "false",
        "TAP_PEOPLEAI_END_DATE": "",
        "TAP_PEOPLEAI_POLL_INTERVALL": "3",
    }
    try:
        meltano_project.run("state", "clear", "--force", STATE_ID, env=env, check=False)
        run = meltano_project.run("run", "tap-peopleai", "target-jsonl", env=env)
    finally:
        dotenv.unlink()
    output = run.stdout + run.stderr
    (settings,) = _lines_with(output, "Settings: ")
    assert f"start_date {START_DATE}, end_date -" in settings  # from .env
    assert "poll_interval 0.5 s, job_timeout 90.5 s" in settings  # fractions: env and .env
    assert "delta/snapshot windows 14/30 days, scheduled_horizon_days 10" in settings
    assert "download_workers 2" in settings  # from .env
    (warning,) = _lines_with(output, "unknown setting")
    assert "`poll_intervall` (TAP_PEOPLEAI_POLL_INTERVALL, did you mean `poll_interval`?)" in (
        warning
    )
    assert "Traceback" not in output
    assert sandbox.client_secret not in output

    lines = (tmp_path / "jsonl" / "activities.jsonl").read_text().splitlines()
    emitted = {json.loads(line)["uid"] for line in lines}
    # scheduled_horizon_days 10: meetings scheduled further ahead are not exported yet
    horizon = SANDBOX_NOW.date() + timedelta(days=10)
    truth = sandbox.backend.ground_truth(activity_from=START_DATE)
    assert emitted == {uid for uid, row in truth.items() if row.timestamp.date() <= horizon}
    assert len(emitted) < len(truth), "scenario: some meetings lie beyond the horizon"
    windows = [(job.export_type, job.start_date) for job in sandbox.backend.list_jobs()]
    assert windows[0] == ("snapshot", START_DATE)

    # Without the variable, the sandbox environment's `poll_interval: 0.2` (a YAML number that
    # Meltano's string kind passes on as it is) applies.
    env.pop("TAP_PEOPLEAI_POLL_INTERVAL")
    env["TAP_PEOPLEAI_START_DATE"] = START_DATE.isoformat()
    rerun = meltano_project.run("run", "tap-peopleai", "target-jsonl", env=env)
    (settings,) = _lines_with(rerun.stdout + rerun.stderr, "Settings: ")
    assert "poll_interval 0.2 s" in settings


INVALID = [
    ("start_date", "2024-13-01", "`start_date` must be a date as YYYY-MM-DD"),
    ("start_date", "01/11/2026", "`start_date` must be a date as YYYY-MM-DD"),
    ("start_date", "yesterday", "`start_date` must be a date as YYYY-MM-DD"),
    ("start_date", "2026-11-01T00:00:00Z", "`start_date` must be a date as YYYY-MM-DD"),
    ("download_workers", "abc", "`download_workers` must be a whole number from 1 to 16"),
]


@pytest.mark.parametrize(("name", "value", "expected"), INVALID, ids=[c[1] for c in INVALID])
def test_an_invalid_value_stops_the_run_with_one_line_naming_the_setting(
    meltano_project: Any,
    sandbox_factory: Callable[..., Any],
    tmp_path: Path,
    name: str,
    value: str,
    expected: str,
) -> None:
    sandbox = sandbox_factory(now=SANDBOX_NOW, activities_per_day=20, seed=5)
    env = {
        **_sandbox_env(sandbox, tmp_path / "jsonl"),
        "TAP_PEOPLEAI_START_DATE": START_DATE.isoformat(),
        f"TAP_PEOPLEAI_{name.upper()}": value,
    }
    run = meltano_project.run("run", "tap-peopleai", "target-jsonl", env=env, check=False)
    output = run.stdout + run.stderr
    assert run.returncode != 0, output[-3000:]
    (line,) = _lines_with(output, expected)
    assert f"got {value!r}" in line
    assert f"TAP_PEOPLEAI_{name.upper()}" in line
    assert "Traceback" not in output
    assert "│" not in output  # no rich traceback box from Meltano either
    assert "Config validation failed" not in output
    stats = sandbox.backend.stats()
    assert stats.get("jobs_created", 0) == 0
    assert stats.get("requests", 0) == 0
