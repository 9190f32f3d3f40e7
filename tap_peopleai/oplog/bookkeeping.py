"""Bookkeeping behind the operator's log: pure, no I/O, the clock injected.

Where the sync's time goes (waiting on a queued or running job, downloading, emitting), each
export job's state and how long it has been in it, when the next periodic line is due, and how
many lines of one kind the log may take per minute (the download totals are in
download_totals.py). ``sync_log`` turns these figures into log lines and METRIC points.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]
# What the tap's main thread waits for; everything else (start-up, planning) is "other".
PHASES = ("queued", "running", "downloading", "emitting")
FINISHED_STATES = frozenset({"completed", "failed", "canceled", "cancelled"})


def format_duration(seconds: float) -> str:
    """A duration as an operator reads it: 0.4 s, 12 s, 4 min 05 s, 2 h 03 min."""
    if seconds < 10:
        return f"{max(seconds, 0.0):.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


class PhaseClock:
    """Splits the sync's wall time by what the main thread is doing, one phase at a time."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.phase = "other"
        self.since = clock()
        self._seconds = dict.fromkeys((*PHASES, "other"), 0.0)

    def enter(self, phase: str) -> None:
        """From now on the time counts towards ``phase``."""
        now = self.clock()
        self._seconds[self.phase] += now - self.since
        self.phase, self.since = phase, now

    def seconds(self) -> dict[str, float]:
        """Seconds per phase so far, the current one included."""
        spent = dict(self._seconds)
        spent[self.phase] += self.clock() - self.since
        return spent


@dataclass(frozen=True)
class StateChange:
    """A job observed in a new state, and how long it was in the one before."""

    job_id: str
    window: str
    previous: str
    current: str
    seconds_in_previous: float

    def describe(self) -> str:
        """The log line."""
        return (
            f"Export job {self.job_id} ({self.window}): {self.previous} -> {self.current} "
            f"after {format_duration(self.seconds_in_previous)} {self.previous}."
        )


@dataclass
class JobInState:
    """A job as last observed: its state (as the API writes it), since when, and its birth."""

    job_id: str
    window: str
    state: str
    since: float
    born: float

    @property
    def finished(self) -> bool:
        """Completed, failed or canceled: no longer in the queue."""
        return self.state.lower() in FINISHED_STATES


class JobStates:
    """Every job's state as observed; each change is reported once, with the time it took."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.jobs: dict[str, JobInState] = {}

    def seen(
        self, job_id: str, window: str, state: str, age: float | None = None
    ) -> StateChange | None:
        """Record an observation; returns the change if the state differs from the last one.

        ``age`` is how long ago the API says the job was created (None: unknown, count from now).
        """
        now = self.clock()
        known = self.jobs.get(job_id)
        if known is None:
            born = now - age if age is not None and age >= 0 else now
            self.jobs[job_id] = JobInState(job_id, window, state, now, born)
            return None
        if known.state.lower() == state.lower():
            return None
        change = StateChange(job_id, window, known.state, state, now - known.since)
        known.state, known.since = state, now
        return change

    def forget(self, job_id: str) -> None:
        """The job is no longer this sync's (replaced or gone)."""
        self.jobs.pop(job_id, None)

    def in_flight(self) -> list[JobInState]:
        """Jobs still queued or running, oldest first."""
        return sorted((j for j in self.jobs.values() if not j.finished), key=lambda j: j.born)

    def age(self, job: JobInState) -> float:
        """Seconds since the job was created."""
        return self.clock() - job.born


class Cadence:
    """When a periodic line is next due: at most one per interval, counted from when it starts."""

    def __init__(self, interval: float, clock: Clock) -> None:
        self.interval = interval
        self.clock = clock
        self.next_due: float | None = None

    def start(self) -> None:
        """Begin counting (no effect if already counting)."""
        if self.next_due is None:
            self.next_due = self.clock() + self.interval

    def stop(self) -> None:
        """Stop counting: the next ``start`` waits a whole interval again."""
        self.next_due = None

    def due(self) -> bool:
        """True at most once per interval, once started."""
        now = self.clock()
        if self.next_due is None or now < self.next_due:
            return False
        self.next_due = now + self.interval
        return True


@dataclass
class LineBudget:
    """At most ``per_minute`` lines of one kind in any 60 s; the rest are counted, not logged.

    Thread-safe: retries are reported from the download threads too.
    """

    per_minute: int
    clock: Clock
    suppressed: int = 0
    _recent: deque[float] = field(default_factory=deque)
    _unreported: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self) -> bool:
        """Whether one more line fits; counts it as suppressed if not."""
        with self._lock:
            now = self.clock()
            while self._recent and now - self._recent[0] >= 60:
                self._recent.popleft()
            if len(self._recent) < self.per_minute:
                self._recent.append(now)
                return True
            self.suppressed += 1
            self._unreported += 1
            return False

    def take_unreported(self) -> int:
        """Lines suppressed since the last call (for a summary such as a heartbeat)."""
        with self._lock:
            count, self._unreported = self._unreported, 0
            return count
