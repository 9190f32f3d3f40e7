"""Writing staged batches in a thread of their own, so that PostgreSQL stages the next one
(COPY, in another session) while it upserts this one.

Upserts run one after another, in the order the batches came; after each commit the STATE that
preceded the batch is passed on. Whoever reads the next message that could make the target
write or confirm anything else (RECORD, SCHEMA, ACTIVATE_VERSION, the end of input) waits for
the writes first, and so gets their errors.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class BatchWriter:
    """One write at a time, in order, on a thread of its own."""

    def __init__(self, confirm: Callable[[dict[str, Any]], None]) -> None:
        self._confirm = confirm
        self._threads = ThreadPoolExecutor(1, thread_name_prefix="target-postgres-bulk")
        self._pending: Future[None] | None = None

    def submit(self, write: Callable[[], None], state: dict[str, Any] | None) -> None:
        """Start ``write`` once the previous write is done; then pass on ``state``."""
        self.wait()

        def write_and_confirm() -> None:
            write()
            if state is not None:
                self._confirm(state)

        self._pending = self._threads.submit(write_and_confirm)

    def wait(self) -> None:
        """Wait for the write in progress, if any; raise its error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._threads.shutdown()
