"""Checks for the whole suite: how it may be spread over pytest-xdist workers."""

from __future__ import annotations

import pytest

from tests.support.parallel import DIST_MODE


def pytest_configure(config: pytest.Config) -> None:
    """Refuse workers without `--dist loadgroup`: other modes would run the tests that share the
    repository's directory (tests.support.parallel.USES_REPOSITORY) at the same time."""
    workers = config.getoption("numprocesses", default=None)
    dist = config.getoption("dist", default="no")
    if workers and dist != DIST_MODE:
        msg = f"with -n {workers}, pass --dist {DIST_MODE} (`make test` does): got --dist {dist}"
        raise pytest.UsageError(msg)
