"""The scheduler's eyes on the export queue: job state changes, and heartbeats while it waits.

The scheduler polls only the job it waits on. A heartbeat, once per ``heartbeat_interval``, lists
the API's jobs instead: one request shows every job of this sync in flight (so their state
changes are noticed too) and how many queue slots other tools hold. While fragments download,
the downloader and the pipeline take the same look whenever the sync log's totals interval comes
round, so the jobs ahead are seen Running too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tap_peopleai.api.jobs import ApiJob

if TYPE_CHECKING:
    from tap_peopleai.api.client import PeopleAIClient
    from tap_peopleai.export.context import JobRun
    from tap_peopleai.oplog.sync_log import SyncLog
    from tap_peopleai.state.windows import ExportWindow


class JobWatch:
    """Reports what the scheduler sees of its jobs to the sync log."""

    def __init__(
        self, client: PeopleAIClient, runs: dict[ExportWindow, JobRun], report: SyncLog
    ) -> None:
        self.client = client
        self.runs = runs
        self.report = report

    def first_seen(self, run: JobRun, item: ApiJob) -> None:
        """A job just created or adopted: its state, and its age by the API's clock."""
        age = None
        if item.created is not None:
            age = (self.client.server_now() - item.created).total_seconds()
        self.report.job_seen(run.job, item.state_label or "Queued", age)
        self._note_completion(run, item)

    def observed(self, run: JobRun, status: ApiJob) -> None:
        """The job's status as just read from the API."""
        run.state = status.state
        detail = ""
        if status.is_completed:
            size = f", {status.results_size:,} bytes" if status.results_size is not None else ""
            detail = f"{status.fragments_reported} fragment(s){size}"
        self.report.job_seen(run.job, status.state_label, detail=detail)
        self._note_completion(run, status)

    def _note_completion(self, run: JobRun, status: ApiJob) -> None:
        if status.is_completed:
            self.report.job_completed(run.job, status.fragments_reported, status.results_size)

    def dropped(self, run: JobRun) -> None:
        """The job is being replaced."""
        self.report.job_dropped(run.job)

    def waiting(self, window: ExportWindow) -> None:
        """One round of waiting for ``window``'s job (or for a slot to create it)."""
        run = self.runs.get(window)
        state = run.state if run is not None else "queued"
        self.report.start_waiting("running" if state == "running" else "queued")
        if not self.report.heartbeat_due():
            return
        others = self.look()
        if run is None:
            self.report.waiting(f"a queue slot for {window.describe()}", "queued", others)
        else:
            what = f"export job {run.job.job_id} ({window.describe()}) to complete"
            self.report.waiting(what, run.state, others)

    def look(self) -> int:
        """List the API's jobs: note our jobs' states; returns the slots others hold."""
        listed, ours = self._listed()
        return sum(1 for item in listed if item.is_active and item.job_id not in ours)

    def live_jobs(self) -> int:
        """List the API's jobs: note our jobs' states; returns every job Queued or Running,
        anyone's (other tools', an overlapping sync's, ours)."""
        listed, _ours = self._listed()
        return sum(1 for item in listed if item.is_active)

    def _listed(self) -> tuple[list[ApiJob], set[str]]:
        listed = [ApiJob.from_api(job) for job in self.client.list_jobs()]
        ours = {run.job.job_id: run for run in self.runs.values()}
        for item in listed:
            if item.job_id in ours:
                self.observed(ours[item.job_id], item)
        return listed, set(ours)

    def done_waiting(self) -> None:
        """The window's job is Completed."""
        self.report.stop_waiting()
