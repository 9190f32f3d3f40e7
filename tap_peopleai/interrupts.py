"""SIGINT and SIGTERM: stop promptly, with only whole messages on stdout and a final STATE.

The SDK's own handler writes a STATE wherever the main thread happens to be (possibly into the
middle of the writer's output) and exits 0, which tells an orchestrator that the sync succeeded.
This handler raises ``SyncInterrupted`` instead, except while the writer hands bytes to stdout:
there it waits until the write is whole. The stream then writes a STATE for what was
acknowledged, the export pipeline removes its temporary files, and the tap exits 128 + signal.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SyncInterrupted(BaseException):
    """The sync was stopped by a signal (a BaseException, like KeyboardInterrupt)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.signal_name = signal.Signals(signum).name
        self.summary = "before any export"
        super().__init__(f"stopped by {self.signal_name}")

    @property
    def exit_code(self) -> int:
        """The shell's convention for a process ended by a signal."""
        return 128 + self.signum


class InterruptGuard:
    """Turns SIGINT/SIGTERM into ``SyncInterrupted``, deferred while output is being written."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._pending: int | None = None
        self._writing = 0
        self._cleanups: list[Callable[[SyncInterrupted], None]] = []

    def install(self) -> None:
        """Replace the SDK's handlers (only the main thread may set handlers)."""
        if threading.current_thread() is threading.main_thread():
            for signum in HANDLED_SIGNALS:
                signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping.is_set():
            return  # already stopping: the clean-up under way must not be cut short
        self.stopping.set()
        if self._writing:
            self._pending = signum
            return
        raise SyncInterrupted(signum)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """A section that a signal must not cut: raises once the section is done."""
        self._writing += 1
        try:
            yield
        finally:
            self._writing -= 1
        if self._pending is not None and not self._writing:
            signum, self._pending = self._pending, None
            raise SyncInterrupted(signum)

    @contextlib.contextmanager
    def on_interrupt(self, cleanup: Callable[[SyncInterrupted], None]) -> Iterator[None]:
        """Run ``cleanup`` once if the sync is interrupted while inside this block.

        The signal may strike outside the block's own frame (in the SDK's code between two
        records), leaving a generator suspended inside it: ``run_cleanups`` then runs it.
        """
        self._cleanups.append(cleanup)
        try:
            yield
        except SyncInterrupted as stop:
            self._run(cleanup, stop)
            raise
        finally:
            if cleanup in self._cleanups:
                self._cleanups.remove(cleanup)

    def run_cleanups(self, stop: SyncInterrupted) -> None:
        """Run every clean-up still registered, newest first."""
        for cleanup in reversed(list(self._cleanups)):
            self._run(cleanup, stop)

    def _run(self, cleanup: Callable[[SyncInterrupted], None], stop: SyncInterrupted) -> None:
        if cleanup in self._cleanups:
            self._cleanups.remove(cleanup)
            cleanup(stop)


# One per process: signals are per process, and the writer and the client consult it.
GUARD = InterruptGuard()
