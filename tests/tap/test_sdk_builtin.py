"""The SDK's own tap tests (discovery, sync, record/schema conformance) against a sandbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from singer_sdk.testing import get_tap_test_class
from tap_harness import NOW, tap_config

from peopleai_sandbox import SandboxConfig
from peopleai_sandbox.testing import start_sandbox
from tap_peopleai.tap import TapPeopleAI

# The SDK builds its test class from a config at import time, so the sandbox starts here.
SANDBOX = start_sandbox(
    SandboxConfig(
        seed=21, now=NOW, activities_per_day=20, fragment_records=100, job_run_seconds=0.01
    )
)
CONFIG = tap_config(
    SANDBOX, start_date=(NOW.date() - dt.timedelta(days=20)).isoformat(), scheduled_horizon_days=30
)

TestTapPeopleAI = get_tap_test_class(TapPeopleAI, config=CONFIG)
# `additional_fields` is declared for the fields the schema lacks; this sandbox sends none, so
# the column stays absent from every record, which the SDK's test reports as a warning.
pytestmark = pytest.mark.filterwarnings(
    # "." for the colon, which would end the message part of the filter
    r"ignore:Fields in transformed catalog but not in records. \(\{'additional_fields'\}\)$"
)


@pytest.fixture(scope="module", autouse=True)
def _stop_sandbox() -> Iterator[None]:
    yield
    SANDBOX.stop()
