"""The SDK's own tap tests (discovery, sync, record/schema conformance) against a sandbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_harness import NOW, tap_config

from peopleai_sandbox import SandboxConfig, Variants
from peopleai_sandbox.testing import start_sandbox
from tap_peopleai.tap import TapPeopleAI

# The SDK builds its test class from a config at import time, so the sandbox starts here.
# With undocumented fields and type drift, so the SDK's checks of records against the schema
# see additional_fields filled, and values converted or kept.
SANDBOX = start_sandbox(
    SandboxConfig(
        seed=21,
        now=NOW,
        activities_per_day=20,
        fragment_records=100,
        job_run_seconds=0.01,
        variants=Variants(extra_fields=True, type_drift=True),
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
