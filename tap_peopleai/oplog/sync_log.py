"""The operator's view of a sync: a plan line, job state changes, heartbeats, totals, a summary.

Each figure also goes out as a METRIC point (``progress_metrics``). Periodic lines come at most
once per ``heartbeat_interval``, so a daily run that downloads its few fragments within a minute
logs no totals at all: the plan, each job's state changes and the summary.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import TYPE_CHECKING, Any

from tap_peopleai.oplog.bookkeeping import (
    PHASES,
    Cadence,
    Clock,
    JobStates,
    PhaseClock,
    format_duration,
)
from tap_peopleai.oplog.download_totals import DownloadTotals, Totals, format_mb
from tap_peopleai.oplog.metrics import MetricPoints
from tap_peopleai.settings.api_limits import MAX_QUEUED_JOBS

if TYPE_CHECKING:
    from tap_peopleai.errors import ApiError
    from tap_peopleai.oplog.retry_log import RetryLog
    from tap_peopleai.state.entries import JobInFlight
    from tap_peopleai.state.windows import ExportWindow

PLAN_WINDOWS_SHOWN = 5


def describe_plan(
    windows: list[ExportWindow], existing: list[JobInFlight], today: dt.date, most: int
) -> str:
    """The plan line: the windows, the jobs to resume and to create, our share of the queue."""
    if not windows:
        return f"Plan: nothing to export (today is {today} by the API's clock)."
    resumed = ", ".join(
        f"{job.job_id} after {job.fragments_emitted} fragment(s)"
        if job.fragments_emitted
        else job.job_id
        for job in existing
    )
    shown = ", ".join(w.describe() for w in windows[:PLAN_WINDOWS_SHOWN])
    more = " …" if len(windows) > PLAN_WINDOWS_SHOWN else ""
    return (
        f"Plan: {len(windows)} {windows[0].export_type} window(s) (today is {today} by the "
        f"API's clock): {shown}{more}. Jobs: {len(existing)} to resume"
        f"{f' ({resumed})' if existing else ''}, {len(windows) - len(existing)} to create; at "
        f"most {most} of them queued or running at once."
    )


class SyncLog:
    """Writes the progress lines (and, through ``MetricPoints``, the METRIC points) of a sync."""

    def __init__(
        self,
        logger: logging.Logger,
        metrics_logger: logging.Logger,
        heartbeat_interval: float,
        retries: RetryLog,
        stream: str = "activities",
        clock: Clock = time.monotonic,
    ) -> None:
        self.logger = logger
        self.points = MetricPoints(metrics_logger, stream)
        self.retries = retries
        self.clock = clock
        self.started = self._wait_started = clock()
        self.phases = PhaseClock(clock)
        self.jobs = JobStates(clock)
        self.downloads = DownloadTotals()
        self.heartbeat = Cadence(heartbeat_interval, clock)
        self.totals_cadence = Cadence(heartbeat_interval, clock)
        self._held_notes: list[tuple[str, tuple[Any, ...]]] | None = []
        self._queue_full_windows: set[ExportWindow] = set()
        self._bytes_shown = 0

    # The plan and the jobs ----------------------------------------------------------------

    def note(self, message: str, *args: Any) -> None:
        """An INFO line about the plan's jobs, held back until the plan line is out."""
        if self._held_notes is None:
            self.logger.info(message, *args)
        else:
            self._held_notes.append((message, args))

    def plan(
        self, windows: list[ExportWindow], existing: list[JobInFlight], today: dt.date, most: int
    ) -> None:
        """The first line: the windows, the jobs to resume and to create, our queue share."""
        self.logger.info("%s", describe_plan(windows, existing, today, most))
        for message, args in self._held_notes or []:
            self.logger.info(message, *args)
        self._held_notes = None

    def queue_full(self, window: ExportWindow, exc: ApiError) -> None:
        """The queue refused a job: said once per window; heartbeats tell the rest."""
        if window not in self._queue_full_windows:
            self._queue_full_windows.add(window)
            self.logger.info(
                "The export queue is full (HTTP %s: %s); waiting to create %s.",
                exc.status,
                exc.api_message,
                window.describe(),
            )

    def queue_shared(self, window: ExportWindow, live: int, reserved: int) -> None:
        """The queue has no room this sync may take: said once per window, like a full queue."""
        if window not in self._queue_full_windows:
            self._queue_full_windows.add(window)
            self.logger.info(
                "The API lists %d export job(s) queued or running (other tools' and syncs' "
                "included); leaving reserved_queue_slots (%d) free, waiting to create %s.",
                live,
                reserved,
                window.describe(),
            )

    def job_seen(
        self, job: JobInFlight, state: str, age: float | None = None, detail: str = ""
    ) -> None:
        """A job's state as just observed: each change is logged once, with the time it took."""
        change = self.jobs.seen(job.job_id, job.window.describe(), state, age)
        if change is not None:
            self.logger.info("%s%s", change.describe()[:-1], f" ({detail})." if detail else ".")
            self.points.state_change(job, change)

    def job_completed(self, job: JobInFlight, fragments: int, results_size: int | None) -> None:
        """A job's fragments and size are known."""
        self.downloads.job_completed(job.job_id, fragments, results_size, job.fragments_emitted)

    def job_dropped(self, job: JobInFlight) -> None:
        """A job is no longer this sync's (replaced, vanished)."""
        self.jobs.forget(job.job_id)
        self.downloads.job_dropped(job.job_id)

    # Waiting ------------------------------------------------------------------------------

    def start_waiting(self, state: str) -> None:
        """The tap waits on a job in ``state`` (or, as "queued", for a queue slot)."""
        self.phases.enter(state)
        if self.heartbeat.next_due is None:
            self._wait_started = self.clock()
        self.heartbeat.start()

    def heartbeat_due(self) -> bool:
        """Whether a heartbeat is due: at most once per interval while waiting."""
        return self.heartbeat.due()

    def stop_waiting(self) -> None:
        """The wait is over: the next one gets its first heartbeat an interval after it starts."""
        self.heartbeat.stop()

    def waiting(self, what: str, state: str, others: int | None) -> None:
        """The heartbeat line: every job in flight, its state and age; the others' slots."""
        flight = self.jobs.in_flight()
        now = self.clock()
        jobs = "; ".join(
            f"{job.job_id} {job.state} for {format_duration(now - job.since)}, "
            f"age {format_duration(self.jobs.age(job))}"
            for job in flight
        )
        slots = (
            "the queue could not be listed"
            if others is None
            else f"other tools hold {others} of the {MAX_QUEUED_JOBS} queue slots"
        )
        unlogged = self.retries.budget.take_unreported()
        self.logger.info(
            "Waiting for %s: %d job(s) in flight (%s); %s%s.",
            what,
            len(flight),
            jobs or "none",
            slots,
            f"; {unlogged} more retries, not logged one by one" if unlogged else "",
        )
        states = [job.state.lower() for job in flight]
        self.points.heartbeat(what, state, now - self._wait_started, states, others)

    # Downloads ----------------------------------------------------------------------------

    def phase(self, name: str) -> None:
        """The main thread now spends its time on ``name``; the first download starts the
        totals' interval."""
        self.phases.enter(name)
        if name == "downloading":
            self.totals_cadence.start()

    def fragment_downloaded(self, size: int) -> None:
        """A fragment is on disk."""
        self.downloads.fragment_downloaded(size)

    def fragment_emitted(self, records: int) -> bool:
        """A fragment's records were written: the totals line, if due (see ``downloading``)."""
        self.downloads.fragment_emitted(records)
        return self.downloading(0)

    def downloading(self, in_progress_bytes: int) -> bool:
        """Totals at most once per interval, when they moved.

        Returns whether the interval came round: the caller then takes its look at the export
        queue (the log itself never calls the API), so the jobs ahead are seen Running too.
        """
        if not self.totals_cadence.due():
            return False
        totals = self.totals(in_progress_bytes)
        if totals.received_bytes > self._bytes_shown:
            self._bytes_shown = totals.received_bytes
            self.logger.info("%s", totals.describe())
            self.points.totals(totals, self.retries.retries)
        return True

    def totals(self, in_progress_bytes: int = 0) -> Totals:
        """The download totals now, rates over the time spent downloading and emitting."""
        spent = self.phases.seconds()
        active = spent["downloading"] + spent["emitting"]
        return self.downloads.totals(active, in_progress_bytes)

    # The end ------------------------------------------------------------------------------

    def summary(self, counters: dict[str, int], outside_dates: int) -> None:
        """The last line: what the sync did and where its time went."""
        totals = self.totals()
        spent = self.phases.seconds()
        self.logger.info(
            "Sync finished: %d job(s) created, %d reused, %d replaced; %d fragment(s), %s, "
            "%s records emitted; %d records dated outside start_date..end_date, not emitted; "
            "retries: %d; %s in all: %s waiting on queued jobs, %s on running jobs, %s "
            "downloading, %s emitting.",
            counters["jobs_created"],
            counters["jobs_reused"],
            counters["jobs_replaced"],
            totals.fragments,
            format_mb(totals.downloaded_bytes),
            f"{totals.records:,}",
            outside_dates,
            self.retries.retries,
            format_duration(self.clock() - self.started),
            *(format_duration(spent[phase]) for phase in PHASES),
        )
        self.points.totals(totals, self.retries.retries)
        self.points.summary(counters, spent)
