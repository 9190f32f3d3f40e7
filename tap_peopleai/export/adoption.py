"""Which existing export jobs a sync takes over at start-up, and what it says about each.

Its own jobs from the state are resumed when the reuse rules (reuse.py) allow, and dropped with
a reason otherwise; a window without one may adopt an orphan from the API's job list (a job a
crashed sync created but never recorded) that got going and exports exactly that window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from tap_peopleai.api.jobs import ApiJob
from tap_peopleai.state.entries import JobInFlight
from tap_peopleai.state.windows import ExportWindow

if TYPE_CHECKING:
    from tap_peopleai.export.reuse import ReusePolicy
    from tap_peopleai.export.scheduler import SyncContext
    from tap_peopleai.oplog.sync_log import SyncLog


def adopt_existing_jobs(
    sync: SyncContext,
    reuse: ReusePolicy,
    activity_type: str,
    listed: list[ApiJob],
    now: dt.datetime,
    report: SyncLog,
    adopt: Callable[[JobInFlight, ApiJob], None],
) -> None:
    """Hand every job this sync takes over to ``adopt``, its own (from state) first."""
    taken: set[ExportWindow] = set()
    for job in sync.progress.keep_only_jobs_for(sync.windows, activity_type):
        report.note(
            "Dropping stored job %s (%s): it no longer matches this sync's plan.",
            job.job_id,
            job.window.describe(),
        )
    by_id = {item.job_id: item for item in listed}
    for job in list(sync.progress.jobs):
        item = by_id.get(job.job_id)
        reason = reuse.unusable_reason(item, job.window, now)
        if reason or item is None:
            report.note(
                "Not resuming job %s (%s): %s; the window is exported again.",
                job.job_id,
                job.window.describe(),
                reason,
            )
            sync.progress.drop_job(job)
            continue
        adopt(job, item)
        taken.add(job.window)
        report.note(
            "Resuming job %s (%s) after %d emitted fragment(s).",
            job.job_id,
            job.window.describe(),
            job.fragments_emitted,
        )
    newest_first = sorted(listed, key=lambda j: j.created or dt.datetime.min, reverse=True)
    for window in sync.windows:
        if window in taken:
            continue
        if not reuse.adopts_listed_jobs(window):
            continue
        for item in newest_first:
            if reuse.adoptable(item, window, activity_type, now):
                adopted = JobInFlight(window, activity_type, item.job_id)
                sync.progress.add_job(adopted)
                adopt(adopted, item)
                report.note(
                    "Reusing job %s (%s, %s) found in the API's job list.",
                    adopted.job_id,
                    window.describe(),
                    item.state,
                )
                break
