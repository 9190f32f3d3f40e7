"""One job creation at a time among the syncs on this machine.

Before creating a job a sync counts the live jobs in the API's list (anyone's) and creates only
while they leave ``reserved_queue_slots`` free. Two syncs that count at the same moment would both
see room for one job and both create it; holding this lock from the count to the creation makes
overlapping syncs on one machine (a slow run and the next cron tick) take turns. Syncs on
different machines cannot see each other's lock: there, the API offers nothing to take turns by.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, no turns
    fcntl = None  # type: ignore[assignment]

# In the system's temporary directory (not `temp_dir`), which every sync of the machine shares.
LOCK_NAME = "peopleai-queue.lock"


class QueueTurn:
    """An advisory lock file shared by every sync on the machine."""

    def __init__(self, directory: str | None = None) -> None:
        self.path = os.path.join(directory or tempfile.gettempdir(), LOCK_NAME)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the block (the kernel releases it if the process dies)."""
        if fcntl is None:
            yield
            return
        try:
            handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:
            yield  # no lock file possible here: count and create without taking turns
            return
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)
