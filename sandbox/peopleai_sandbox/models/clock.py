"""The sandbox clock: real time plus an offset, or a frozen instant that tests move by hand."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

UTC = timezone.utc


class SandboxClock:
    """Thread-safe clock of the sandbox, deciding which activities exist and what "today" is.

    Unfrozen, ``now()`` is the real UTC time plus ``offset``; ``advance`` grows the offset.
    Frozen (``set`` or a ``now`` given at construction), ``now()`` is a fixed instant and
    ``advance`` moves it. The HTTP ``Date`` header of every response is taken from this clock.

    ``real_seconds`` is the monotonic real time that token lifetimes and a job's minimum queued
    and running times are measured in, frozen or not (``time.monotonic``; a test may put a
    clock of its own there to pass those seconds without sleeping).
    """

    def __init__(
        self,
        now: datetime | None = None,
        offset: timedelta = timedelta(0),
        real_seconds: Callable[[], float] = time.monotonic,
    ) -> None:
        self.real_seconds = real_seconds
        self._lock = threading.Lock()
        self._frozen: datetime | None = _aware(now) if now is not None else None
        self._offset = offset

    def now(self) -> datetime:
        """Return the current sandbox instant, an aware UTC datetime."""
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._offset

    @property
    def frozen(self) -> bool:
        """Whether the clock stands still until moved by ``advance`` or ``set``."""
        with self._lock:
            return self._frozen is not None

    @property
    def offset(self) -> timedelta:
        """Difference between the sandbox time and the real time (for a frozen clock, now)."""
        with self._lock:
            if self._frozen is not None:
                return self._frozen - datetime.now(UTC)
            return self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward (or back, for a negative delta); return the new now."""
        with self._lock:
            if self._frozen is not None:
                self._frozen += delta
                return self._frozen
            self._offset += delta
            return datetime.now(UTC) + self._offset

    def set(self, instant: datetime) -> None:
        """Freeze the clock at ``instant`` (naive values are taken as UTC)."""
        with self._lock:
            self._frozen = _aware(instant)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
