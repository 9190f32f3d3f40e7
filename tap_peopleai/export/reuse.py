"""Whether an existing export job can stand in for a planned window: pure decisions, no I/O.

A job is reused (from the sync's state, or found in the API's job list after a crash) only if it
exports exactly the window, is not failed, was created late enough to hold everything the window
must deliver, and is not about to expire.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tap_peopleai.api.jobs import ApiJob
from tap_peopleai.settings.api_limits import FILE_RETENTION
from tap_peopleai.state.progress import SyncProgress
from tap_peopleai.state.windows import ExportWindow

# A stored job this close to the end of retention is not worth resuming: its files may vanish
# while we download them.
RETENTION_MARGIN = dt.timedelta(hours=6)
# A delta job for a window that is still open (it ends today) holds what was processed until it
# was created. Only an interrupted sync's own job (from state) is reused for such a window, and
# only if created at most this long before the resumed sync started: a fresh sync delivers
# everything processed before it started, a resumed one everything processed up to this bound
# before it started (minutes ago, never this morning).
OPEN_WINDOW_REUSE_LIMIT = dt.timedelta(minutes=15)
REUSABLE_STATES = frozenset({"queued", "running", "completed"})
# From the API's list only jobs that got going: a queued orphan may be one that never starts.
ADOPTABLE_STATES = frozenset({"running", "completed"})


@dataclass(frozen=True)
class ReusePolicy:
    """The reuse rules of one sync: its progress, its day and its start by the API's clock."""

    progress: SyncProgress
    today: dt.date
    sync_started: dt.datetime
    job_timeout: float

    def is_open(self, window: ExportWindow) -> bool:
        """A delta window that reaches today: People.ai is still processing its last day."""
        return window.export_type == "delta" and window.end >= self.today

    def adopts_listed_jobs(self, window: ExportWindow) -> bool:
        """Whether a job found only in the API's list may stand in for ``window``.

        A listed job of a window still open may be the one a finished sync used minutes ago:
        reusing it would hide what was processed since. A reconciliation must see the source as
        it is now, so it reuses no job but its own (from state): an older one may still hold
        erased activities.
        """
        return not self.is_open(window) and self.progress.reconciliation is None

    def adoptable(
        self, item: ApiJob, window: ExportWindow, activity_type: str, now: dt.datetime
    ) -> bool:
        """Whether a listed job (one that got going) exports ``window`` and can be reused."""
        return (
            item.exports(window, activity_type)
            and item.state in ADOPTABLE_STATES
            and self.unusable_reason(item, window, now) is None
        )

    def unusable_reason(
        self, item: ApiJob | None, window: ExportWindow, now: dt.datetime
    ) -> str | None:
        """Why an existing job cannot stand in for ``window`` in this sync (None: it can)."""
        if item is None:
            return "the API no longer lists it (expired or unknown)"
        if item.problem is not None:
            return f"the API {item.problem}"
        if item.state not in REUSABLE_STATES:
            return f"its state is {item.state_label}"
        created = item.created
        if created is None:
            return "it has no creation time"
        if created < self.progress.reusable_since(window, self.today):
            return "it was created before the data it must cover was final"
        if self.is_open(window):
            age = self.sync_started - created
            if age > OPEN_WINDOW_REUSE_LIMIT:
                return (
                    f"its window is still open and it was created {age.total_seconds() / 60:.0f} "
                    "min before this sync started, so it would miss newer activities"
                )
        if now - created > FILE_RETENTION - RETENTION_MARGIN:
            return "its files are about to expire"
        if item.state == "queued" and (now - created).total_seconds() > self.job_timeout:
            return f"it has been queued for longer than job_timeout ({self.job_timeout:g} s)"
        return None
