"""Fixtures for the tap's tests: sandboxes with a frozen clock and small data."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tap_harness import NOW

from peopleai_sandbox import RunningSandbox, SandboxConfig, run_sandbox


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., RunningSandbox]]:
    """Start sandboxes with the tests' defaults (frozen clock, small data) plus overrides."""
    stack = contextlib.ExitStack()

    def start(**overrides: Any) -> RunningSandbox:
        settings: dict[str, Any] = {
            "seed": 11,
            "now": NOW,
            "activities_per_day": 40,
            "fragment_records": 150,
            "job_run_seconds": 0.02,
        }
        settings.update(overrides)
        return stack.enter_context(run_sandbox(SandboxConfig(**settings)))

    with stack:
        yield start
