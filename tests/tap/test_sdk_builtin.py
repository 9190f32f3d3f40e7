"""The SDK's own tap tests (discovery, sync, record/schema conformance) against a sandbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from peopleai_sandbox.pytest_plugin import default_test_config
from peopleai_sandbox.testing import start_sandbox
from tap_peopleai.tap import TapPeopleAI
from tests.support.tap_runs import NOW, tap_config

# The SDK builds its test class from a config at import time, so the sandbox starts here, not
# through the `sandbox_factory` fixture (whose configuration it shares).
# With undocumented fields and type drift, so the SDK's checks of records against the schema
# see additional_fields filled, and values converted or kept.
SANDBOX = start_sandbox(
    default_test_config(
        now=NOW,
        seed=21,
        activities_per_day=20,
        fragment_records=100,
        job_run_seconds=0.01,
        extra_fields=True,
        type_drift=True,
    )
)
CONFIG = tap_config(
    SANDBOX, start_date=(NOW.date() - dt.timedelta(days=20)).isoformat(), scheduled_horizon_days=30
)

# `reconciliations` has a row only after a reconciliation run, never in an ordinary sync.
TestTapPeopleAI = get_tap_test_class(
    TapPeopleAI,
    config=CONFIG,
    suite_config=SuiteConfig(ignore_no_records_for_streams=["reconciliations"]),
)


@pytest.fixture(scope="module", autouse=True)
def _stop_sandbox() -> Iterator[None]:
    yield
    SANDBOX.stop()
