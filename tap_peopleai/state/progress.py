"""Sync progress as kept in Singer state: the delta cursor, an unfinished snapshot, jobs in flight.

Pure bookkeeping, no I/O. The state stays bounded: one cursor, one snapshot marker and at most
as many job entries as the export queue holds, whatever the number of windows or fragments
(fragments of a job are emitted in order, so a count says which are done). How each entry is
read from the state is in state_entries.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tap_peopleai.errors import StateError
from tap_peopleai.settings.objects import PlanSettings
from tap_peopleai.state.entries import JobInFlight, SnapshotProgress, parse_date
from tap_peopleai.state.reconciliation import RECONCILE_HORIZON, ReconciliationProgress
from tap_peopleai.state.windows import (
    DAY,
    ExportWindow,
    cursor_after,
    plan_delta_windows,
    plan_snapshot_windows,
)


@dataclass
class SyncProgress:
    """Everything a sync must remember to resume, read from and written to the stream's bookmark."""

    cursor: dt.date | None = None
    snapshot: SnapshotProgress | None = None
    jobs: list[JobInFlight] = field(default_factory=list)
    reconciliation: ReconciliationProgress | None = None

    STATE_KEYS = ("cursor", "snapshot", "jobs", "reconciliation")

    @classmethod
    def from_bookmark(cls, bookmark: dict[str, Any]) -> SyncProgress:
        """Read the progress from the stream's bookmark (missing keys mean a first sync)."""
        cursor = bookmark.get("cursor")
        snapshot = bookmark.get("snapshot")
        jobs = bookmark.get("jobs") or []
        if not isinstance(jobs, list):
            raise StateError("bookmarks.activities.jobs", f"expected a list, got {jobs!r:.80}")
        reconciliation = bookmark.get("reconciliation")
        return cls(
            cursor=parse_date(cursor, "bookmarks.activities.cursor") if cursor else None,
            snapshot=SnapshotProgress.from_state(snapshot) if snapshot else None,
            jobs=[JobInFlight.from_state(job) for job in jobs],
            reconciliation=(
                ReconciliationProgress.from_state(reconciliation) if reconciliation else None
            ),
        )

    def write_to(self, bookmark: dict[str, Any]) -> None:
        """Store the progress in the stream's bookmark, leaving the SDK's own keys alone."""
        for key in self.STATE_KEYS:
            bookmark.pop(key, None)
        if self.cursor is not None:
            bookmark["cursor"] = self.cursor.isoformat()
        if self.snapshot is not None:
            bookmark["snapshot"] = self.snapshot.to_state()
        if self.jobs:
            bookmark["jobs"] = [job.to_state() for job in self.jobs]
        if self.reconciliation is not None:
            bookmark["reconciliation"] = self.reconciliation.to_state()

    def days_ahead_of(self, today: dt.date) -> list[tuple[str, dt.date]]:
        """Saved days that say "processed through here" but lie after ``today``: (key in the
        bookmark, day).

        The cursor, and the day an initial snapshot or a reconciliation was planned (the deltas
        take over from it). Such a day comes from a hand-edited state, another environment, or a
        clock that was wrong when it was saved.
        """
        ahead = []
        if self.cursor is not None and self.cursor > today:
            ahead.append(("cursor", self.cursor))
        snapshot = self.snapshot
        if snapshot is not None and snapshot.kind != "backfill" and snapshot.planned_on > today:
            ahead.append(("snapshot.planned_on", snapshot.planned_on))
        reconciliation = self.reconciliation
        if reconciliation is not None and reconciliation.planned_on > today:
            ahead.append(("reconciliation.planned_on", reconciliation.planned_on))
        return ahead

    def resume_point(self) -> str:
        """Where the next sync resumes from, in words."""
        if self.jobs:
            job = self.jobs[0]
            return (
                f"the next run resumes job {job.job_id} ({job.window.describe()}) after "
                f"{job.fragments_emitted} fragment(s)"
            )
        if self.snapshot is not None:
            return f"the next run resumes the snapshot from {self.snapshot.next_start}"
        if self.cursor is not None:
            return f"the next run resumes the deltas from {self.cursor}"
        return "the next run starts the first sync again"

    def plan(
        self, settings: PlanSettings, today: dt.date, now: dt.datetime | None = None
    ) -> list[ExportWindow]:
        """The windows this sync exports, in order; starts a snapshot sequence when one is due."""
        if settings.reconcile:
            return self._plan_reconciliation(settings, today, now)
        if settings.end_date is not None:
            last = settings.end_date
            snapshot = self.snapshot
            resumable = (
                snapshot is not None
                and snapshot.kind == "backfill"
                and snapshot.last == last
                and snapshot.planned_on == settings.start_date
            )
            if not resumable:
                # A backfill's planned_on is its first day, so a changed start_date restarts it.
                self.snapshot = SnapshotProgress(
                    "backfill", settings.start_date, settings.start_date, last
                )
        elif self.snapshot is None or self.snapshot.kind != "initial":
            self.snapshot = None
            if self.cursor is not None:
                return plan_delta_windows(self.cursor, today, settings.delta_window_days)
            last = today + dt.timedelta(days=settings.scheduled_horizon_days)
            self.snapshot = SnapshotProgress("initial", today, settings.start_date, last)
        assert self.snapshot is not None
        if self.snapshot.next_start > self.snapshot.last:
            return []
        return plan_snapshot_windows(
            self.snapshot.next_start, self.snapshot.last, settings.snapshot_window_days
        )

    def _plan_reconciliation(
        self, settings: PlanSettings, today: dt.date, now: dt.datetime | None
    ) -> list[ExportWindow]:
        """The whole history again, then a delta over what was processed since it started."""
        if self.reconciliation is None:
            moment = now or dt.datetime.now(dt.timezone.utc)
            self.reconciliation = ReconciliationProgress.start(moment, today)
            last = today + RECONCILE_HORIZON
            self.snapshot = SnapshotProgress("reconcile", today, settings.start_date, last)
        if self.reconciliation.done:
            return []  # only its ACTIVATE_VERSION and reconciliations row are left to write
        windows: list[ExportWindow] = []
        snapshot = self.snapshot
        if snapshot is not None and snapshot.next_start <= snapshot.last:
            windows = plan_snapshot_windows(
                snapshot.next_start, snapshot.last, settings.snapshot_window_days
            )
        # Created after every snapshot job, this job holds all they could have missed.
        return windows + plan_delta_windows(
            self.reconciliation.planned_on, today, settings.delta_window_days
        )

    def reusable_since(self, window: ExportWindow, today: dt.date) -> dt.datetime:
        """Earliest creation time at which an existing job still exports ``window`` completely.

        A delta job created before its last day ended misses what was processed later that day;
        that is harmless only for the window that ends today, which the next sync exports again.
        A snapshot job of the first sync must be no older than the day the delta cursor takes
        over from. A backfill does not hand over, so any job within retention will do.
        """
        if window.export_type == "delta":
            day = min(window.end + DAY, today)
        elif self.snapshot is not None and self.snapshot.kind in ("initial", "reconcile"):
            day = self.snapshot.planned_on
        else:
            return dt.datetime.min.replace(tzinfo=dt.timezone.utc)
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)

    def find_job(self, window: ExportWindow, activity_type: str) -> JobInFlight | None:
        """The stored job for exactly this window, if any."""
        for job in self.jobs:
            if job.window == window and job.activity_type == activity_type:
                return job
        return None

    def keep_only_jobs_for(
        self, windows: list[ExportWindow], activity_type: str
    ) -> list[JobInFlight]:
        """Drop stored jobs that no longer match the plan; returns the dropped ones."""
        wanted = set(windows)
        dropped = [
            j for j in self.jobs if j.window not in wanted or j.activity_type != activity_type
        ]
        self.jobs = [j for j in self.jobs if j not in dropped]
        return dropped

    def add_job(self, job: JobInFlight) -> None:
        """Remember a job before waiting on it, replacing any other job for its window."""
        self.jobs = [j for j in self.jobs if j.window != job.window] + [job]

    def drop_job(self, job: JobInFlight) -> None:
        """Forget a job (failed, gone, or replaced)."""
        self.jobs = [j for j in self.jobs if j is not job]

    def end_reconciliation(self) -> None:
        """The reconciliation is over (its row written, or no stream will write it): the next
        one starts afresh, its snapshot too."""
        self.reconciliation = None
        self.snapshot = None

    def window_emitted(self, window: ExportWindow, today: dt.date) -> None:
        """Record that every record of ``window`` was emitted: move the cursor past it."""
        self.jobs = [j for j in self.jobs if j.window != window]
        if window.export_type == "delta":
            self.cursor = cursor_after(window, today)
            if self.reconciliation is not None and window.end >= today:
                self.reconciliation.done = True
            return
        snapshot = self.snapshot
        if snapshot is None:
            msg = f"snapshot window {window.describe()} finished but no snapshot is in progress"
            raise RuntimeError(msg)
        snapshot.next_start = max(snapshot.next_start, window.end + DAY)
        if snapshot.next_start > snapshot.last:
            if snapshot.kind == "initial":
                # Deltas take over from the day the snapshot was planned: anything processed
                # while (or after) the snapshot jobs ran is in those delta windows.
                self.cursor = snapshot.planned_on
            self.snapshot = None
