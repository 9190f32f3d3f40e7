"""Which existing export jobs a sync takes over at start-up, and what it says about each.

Its own jobs from the state are resumed when the reuse rules (reuse.py) allow, and dropped with
a reason otherwise; a window without one may adopt an orphan from the API's job list (a job a
crashed sync created but never recorded) that got going and exports exactly that window.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from tap_peopleai.api.jobs import ApiJob
from tap_peopleai.state.entries import JobInFlight
from tap_peopleai.state.windows import ExportWindow

if TYPE_CHECKING:
    from tap_peopleai.export.context import SyncContext
    from tap_peopleai.export.reuse import ReusePolicy
    from tap_peopleai.oplog.sync_log import SyncLog


class JobAdoption:
    """Decides, once per sync, which jobs it takes over; the sync progress records each."""

    def __init__(
        self, sync: SyncContext, reuse: ReusePolicy, activity_type: str, report: SyncLog
    ) -> None:
        self.sync = sync
        self.reuse = reuse
        self.activity_type = activity_type
        self.report = report

    def jobs_taken_over(
        self, listed: list[ApiJob], now: dt.datetime
    ) -> list[tuple[JobInFlight, ApiJob]]:
        """Every job this sync takes over, with the API's view of it; its own (from state) first."""
        for job in self.sync.progress.keep_only_jobs_for(self.sync.windows, self.activity_type):
            self.report.note(
                "Dropping stored job %s (%s): it no longer matches this sync's plan.",
                job.job_id,
                job.window.describe(),
            )
        own = self._own_jobs(listed, now)
        taken = {job.window for job, _ in own}
        return own + self._orphans(listed, now, taken)

    def _own_jobs(self, listed: list[ApiJob], now: dt.datetime) -> list[tuple[JobInFlight, ApiJob]]:
        """The stored jobs that can be resumed; the others are dropped from the progress."""
        resumed: list[tuple[JobInFlight, ApiJob]] = []
        by_id = {item.job_id: item for item in listed}
        for job in list(self.sync.progress.jobs):
            item = by_id.get(job.job_id)
            reason = self.reuse.unusable_reason(item, job.window, now)
            if reason or item is None:
                self.report.note(
                    "Not resuming job %s (%s): %s; the window is exported again.",
                    job.job_id,
                    job.window.describe(),
                    reason,
                )
                self.sync.progress.drop_job(job)
                continue
            resumed.append((job, item))
            self.report.note(
                "Resuming job %s (%s) after %d emitted fragment(s).",
                job.job_id,
                job.window.describe(),
                job.fragments_emitted,
            )
        return resumed

    def _orphans(
        self, listed: list[ApiJob], now: dt.datetime, taken: set[ExportWindow]
    ) -> list[tuple[JobInFlight, ApiJob]]:
        """For each window without a job, the newest listed job that exports exactly it."""
        adopted: list[tuple[JobInFlight, ApiJob]] = []
        newest_first = sorted(listed, key=lambda j: j.created or dt.datetime.min, reverse=True)
        for window in self.sync.windows:
            if window in taken or not self.reuse.adopts_listed_jobs(window):
                continue
            item = next(
                (
                    i
                    for i in newest_first
                    if self.reuse.adoptable(i, window, self.activity_type, now)
                ),
                None,
            )
            if item is None:
                continue
            job = JobInFlight(window, self.activity_type, item.job_id)
            self.sync.progress.add_job(job)
            adopted.append((job, item))
            self.report.note(
                "Reusing job %s (%s, %s) found in the API's job list.",
                job.job_id,
                window.describe(),
                item.state,
            )
        return adopted
