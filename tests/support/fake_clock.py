"""A monotonic clock for unit tests that moves only when told."""

from __future__ import annotations


class FakeClock:
    """Stands in for ``time.monotonic``."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
