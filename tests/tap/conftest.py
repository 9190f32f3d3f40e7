"""Fixtures for the tap's tests: sandboxes with the tap tests' frozen clock and small data."""

from __future__ import annotations

from typing import Any

import pytest

from peopleai_sandbox import RunningSandbox
from peopleai_sandbox.pytest_plugin import SandboxFactory
from tests.support.tap_runs import NOW

# What the tap's tests start from: the clock at NOW (2026-06-15, START two and a half months
# earlier) and small data, so that a sync takes a fraction of a second.
TAP_TEST_SANDBOX: dict[str, Any] = {
    "now": NOW,
    "seed": 11,
    "activities_per_day": 40,
    "fragment_records": 150,
    "job_run_seconds": 0.02,
}


@pytest.fixture
def make_sandbox(sandbox_factory: SandboxFactory) -> SandboxFactory:
    """The sandbox plugin's ``sandbox_factory`` with the tap tests' settings plus overrides."""

    def start(**overrides: Any) -> RunningSandbox:
        return sandbox_factory(**{**TAP_TEST_SANDBOX, **overrides})

    return start
