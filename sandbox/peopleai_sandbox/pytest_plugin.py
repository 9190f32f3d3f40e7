"""Pytest fixtures for the People.ai sandbox: ``sandbox`` and ``sandbox_factory``.

Registered as a pytest11 entry point, so any test of this project can use them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from peopleai_sandbox.settings.config import SandboxConfig
from peopleai_sandbox.testing import RunningSandbox, start_sandbox

# A frozen instant two months after the default epoch: about 12,000 activities exist, enough for
# every behaviour while keeping exports small.
DEFAULT_TEST_NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)

SandboxFactory = Callable[..., RunningSandbox]


def default_test_config(now: datetime | None = DEFAULT_TEST_NOW, **overrides: Any) -> SandboxConfig:
    """The fixtures' configuration: defaults with the clock frozen at ``now`` (``None``: real
    time), plus ``overrides``."""
    return SandboxConfig().replace(now=now, **overrides)


@pytest.fixture
def sandbox_factory() -> Iterator[SandboxFactory]:
    """Start sandboxes: ``sandbox_factory(config)`` or ``sandbox_factory(gzip=True, seed=3)``.

    Keyword overrides apply to the default test configuration (``default_test_config``: the
    clock frozen at ``now``, by default ``DEFAULT_TEST_NOW``); variant and fault fields may be
    named directly. The one factory of the project's tests: the tap's tests ask it for their own
    clock (``sandbox_factory(now=...)``). Every sandbox started is stopped at teardown.
    """
    started: list[RunningSandbox] = []

    def factory(config: SandboxConfig | None = None, **overrides: Any) -> RunningSandbox:
        if config is None:
            config = default_test_config(**overrides)
        elif overrides:
            config = config.replace(**overrides)
        sandbox = start_sandbox(config)
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in reversed(started):
        sandbox.stop()


@pytest.fixture
def sandbox(sandbox_factory: SandboxFactory) -> RunningSandbox:
    """A sandbox with the default configuration and a frozen clock (``DEFAULT_TEST_NOW``)."""
    return sandbox_factory()
