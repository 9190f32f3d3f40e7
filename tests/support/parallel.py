"""The suite on several pytest-xdist workers: what the workers share, what must not overlap.

`make test` runs pytest with `-n 2 --dist loadgroup` (the Makefile's PYTEST_WORKERS). Each worker
is a pytest process of its own with its own session fixtures and temporary directory: its own
PostgreSQL server, its own copy of the Meltano project (so its own `output/`, system database and
state ids), its own sandboxes on free ports. What they share is made once per run under a lock:
the Meltano plugins (tests/e2e/conftest.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Tests that use the repository's own directory (its `.meltano/` with the demo's plugins and
# state, `output/`, the demo's sandbox port 8765) must not run at the same time as each other:
# `--dist loadgroup` sends every test of one group to one worker, which runs them in turn.
USES_REPOSITORY = pytest.mark.xdist_group("repository")

# The distribution mode that honours USES_REPOSITORY (tests/conftest.py refuses any other).
DIST_MODE = "loadgroup"


def run_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory that every worker of this pytest run shares: the parent of the workers' own
    base temporary directories, or the base temporary directory when pytest runs alone."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on LOCK_FILE (created if missing) against the other workers."""
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
