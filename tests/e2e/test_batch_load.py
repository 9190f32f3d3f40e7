"""BATCH mode end to end: the tap writes jsonl.gz files, target-postgres bulk-loads them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.support.truth import compare, latest_versions
from tests.support.warehouse_rows import postgres_rows

SANDBOX_NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
START_DATE = (SANDBOX_NOW - timedelta(days=20)).date()

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]


def test_batch_files_load_into_postgres_and_equal_truth(
    meltano_project: Any,
    sandbox_factory: Callable[..., Any],
    postgres_server: Any,
    tmp_path: Path,
) -> None:
    sandbox = sandbox_factory(
        now=SANDBOX_NOW, activities_per_day=100, seed=17, fragment_records=400
    )
    schema = "peopleai_batch"
    postgres_server.psql(f"drop schema if exists {schema} cascade")
    batches = tmp_path / "batches"
    env = {
        "TAP_PEOPLEAI_API_URL": sandbox.url,
        "TAP_PEOPLEAI_CLIENT_ID": sandbox.client_id,
        "TAP_PEOPLEAI_CLIENT_SECRET": sandbox.client_secret,
        "TAP_PEOPLEAI_START_DATE": START_DATE.isoformat(),
        "TAP_PEOPLEAI_BATCH_CONFIG": json.dumps(
            {
                "encoding": {"format": "jsonl", "compression": "gzip"},
                "storage": {"root": f"file://{batches}", "prefix": "peopleai-"},
            }
        ),
        **postgres_server.loader_env(schema),
    }
    state_id = "sandbox:tap-peopleai-to-target-postgres"
    meltano_project.run("state", "clear", "--force", state_id, env=env, check=False)
    meltano_project.run("run", "tap-peopleai", "target-postgres", env=env)
    files = sorted(batches.glob("peopleai-*.jsonl.gz"))
    assert len(files) > 3, "a fragment under MIN_PART_BYTES becomes one batch file"
    truth = latest_versions(sandbox.backend.ground_truth(activity_from=START_DATE))
    problems = compare(postgres_rows(postgres_server, schema, "activities"), truth)
    assert not problems, problems
    bookmark = meltano_project.state(state_id, env=env)["singer_state"]["bookmarks"]["activities"]
    assert bookmark["cursor"] == SANDBOX_NOW.date().isoformat()
