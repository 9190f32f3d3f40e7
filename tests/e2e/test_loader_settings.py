"""A loader without its connection settings stops the run before the tap exports anything.

Meltano starts the loader together with the tap and stops the tap when the loader exits first.
target-postgres itself only notices missing settings after its imports, when the tap has long
created its export jobs (on the sandbox: exported everything) and Meltano then prints pages of
broken-pipe tracebacks. Its Meltano executable, loaders/loader-preflight, checks the settings
within milliseconds and prints one line instead; these tests go through `meltano run`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from loader_preflight.settings import (
    TARGET_POSTGRES,
    complaint,
    loader_config,
    missing_settings,
)
from tests.support.tap_runs import meltano_env

pytestmark = pytest.mark.e2e

START_DATE = date(2025, 2, 1)
MISSING = "missing setting(s) host, user, password (or sqlalchemy_url)"


def _assert_stopped_before_export(run: Any, sandbox: Any, loader: str, variable: str) -> None:
    output = run.stdout + run.stderr
    assert run.returncode != 0, output[-3000:]
    (line,) = [line for line in output.splitlines() if MISSING in line]
    assert f"{loader}: {MISSING}" in line
    assert variable in line
    assert "Traceback" not in output
    assert "BrokenPipe" not in output
    assert "│" not in output  # no rich traceback box from Meltano either
    assert "Created export job" not in output
    assert sandbox.backend.list_jobs() == []
    assert sandbox.backend.stats().get("jobs_created", 0) == 0


def test_postgres_models_job_without_settings_stops_before_any_export_job(
    meltano_project: Any, sandbox_factory: Callable[..., Any]
) -> None:
    sandbox = sandbox_factory()
    env = meltano_env(sandbox, START_DATE)
    run = meltano_project.run("run", "peopleai-to-postgres-models", env=env, check=False)
    _assert_stopped_before_export(run, sandbox, "target-postgres", "TARGET_POSTGRES_HOST")
    assert "dbt" not in (run.stdout + run.stderr).split("Loader failed", 1)[1]


def test_inherited_postgres_loader_names_the_variables_it_reads(
    meltano_project: Any, sandbox_factory: Callable[..., Any]
) -> None:
    sandbox = sandbox_factory()
    env = {**meltano_env(sandbox, START_DATE), "TARGET_POSTGRES_HOST": "127.0.0.1"}
    run = meltano_project.run("run", "tap-peopleai", "target-postgres-s3", env=env, check=False)
    output = run.stdout + run.stderr
    assert "missing setting(s) user, password (or sqlalchemy_url)" in output
    assert "target-postgres-s3: " in output
    assert "TARGET_POSTGRES_USER, TARGET_POSTGRES_PASSWORD" in output
    assert sandbox.backend.list_jobs() == []


@pytest.mark.parametrize(
    ("config", "missing"),
    [
        ({}, ("host", "user", "password")),
        ({"host": "db", "user": "u", "password": ""}, ("password",)),
        ({"host": "db", "user": "u", "password": "p"}, ()),
        ({"sqlalchemy_url": "postgresql+psycopg://u:p@db/x"}, ()),
        ({"host": None, "sqlalchemy_url": ""}, ("host", "user", "password")),
    ],
)
def test_missing_settings_of_target_postgres(config: dict[str, Any], missing: tuple[str]) -> None:
    assert missing_settings(config, TARGET_POSTGRES) == missing


def test_config_is_read_as_the_loader_reads_it(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps({"host": "a", "user": "u"}))
    second.write_text(json.dumps({"host": "b"}))
    environ = {"MELTANO_LOADER_NAMESPACE": "target_postgres", "TARGET_POSTGRES_PASSWORD": "p"}
    argv = ["--config", str(first), f"--config={second}", "--config", "ENV"]
    assert loader_config(argv, environ, TARGET_POSTGRES) == {
        "host": "b",
        "user": "u",
        "password": "p",
    }
    assert loader_config(["--about"], environ, TARGET_POSTGRES) is None
    line = complaint("target-postgres", ("user",), TARGET_POSTGRES, "TARGET_POSTGRES_")
    assert "\n" not in line
    assert "TARGET_POSTGRES_USER" in line
