"""Export jobs against the API's shared queue: reuse, create, keep ahead, wait, replace.

The queue holds 10 jobs (2 running) for the whole organisation, so the scheduler creates a job
only while the API lists fewer than ``10 - reserved_queue_slots`` jobs queued or running, anyone's
(other tools', an overlapping sync's, its own), taking turns with the other syncs of the machine
for that count and creation (queue_turn.py); treats a full queue as "wait"; and records every job
in the sync progress before waiting on it, so a crash never orphans one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tap_peopleai.api.client import PeopleAIClient
from tap_peopleai.api.jobs import ApiJob
from tap_peopleai.errors import ApiError, ExportJobError
from tap_peopleai.export.adoption import JobAdoption
from tap_peopleai.export.context import JobRun, SyncContext
from tap_peopleai.export.job_watch import JobWatch
from tap_peopleai.export.queue_turn import QueueTurn
from tap_peopleai.export.reuse import ReusePolicy
from tap_peopleai.oplog.sync_log import SyncLog
from tap_peopleai.settings.api_limits import MAX_QUEUED_JOBS
from tap_peopleai.settings.objects import PipelineSettings
from tap_peopleai.state.entries import JobInFlight
from tap_peopleai.state.windows import ExportWindow


class JobScheduler:
    """Gets every planned window a Completed job, in order, never overfilling the queue."""

    def __init__(
        self,
        client: PeopleAIClient,
        sync: SyncContext,
        settings: PipelineSettings,
        report: SyncLog,
        sleep: Callable[[float], None] = time.sleep,
        queue_turn: QueueTurn | None = None,
    ) -> None:
        self.client = client
        self.queue_turn = queue_turn or QueueTurn()
        self.sync = sync
        self.settings = settings
        self.sleep = sleep
        self.reuse = ReusePolicy(
            sync.progress, sync.today, client.server_now(), settings.job_timeout
        )
        self.runs: dict[ExportWindow, JobRun] = {}
        self.report = report
        self.watch = JobWatch(client, self.runs, report)
        self.adoption = JobAdoption(sync, self.reuse, settings.activity_type, report)
        self.counters = {"jobs_created": 0, "jobs_reused": 0, "jobs_replaced": 0}

    # Start-up -----------------------------------------------------------------------------

    def adopt_existing_jobs(self, listed: list[ApiJob]) -> None:
        """Keep stored jobs that still match the plan and can be resumed; adopt orphans."""
        for job, item in self.adoption.jobs_taken_over(listed, self.client.server_now()):
            self.runs[job.window] = JobRun(job, item.state)
            self.counters["jobs_reused"] += 1
            self.watch.first_seen(self.runs[job.window], item)

    # Creating -----------------------------------------------------------------------------

    def _create_job(self, window: ExportWindow, replaced_ids: tuple[str, ...] = ()) -> bool:
        """Create the window's job; False when the queue has no room for it (try again later):
        full, or holding as many live jobs as ``reserved_queue_slots`` allows."""
        with self.queue_turn.held():
            live = self.watch.live_jobs()
            if live >= self.settings.max_jobs_ahead:
                self.report.queue_shared(window, live, self.settings.reserved_queue_slots)
                return False
            return self._create_now(window, replaced_ids)

    def _create_now(self, window: ExportWindow, replaced_ids: tuple[str, ...]) -> bool:
        body = {
            "start_date": window.start.isoformat(),
            "end_date": window.end.isoformat(),
            "activity_type": self.settings.activity_type,
            "output_format": "JSONLines",
            "export_type": window.export_type,
        }
        try:
            created = ApiJob.from_api(self.client.create_job(body))
        except ApiError as exc:
            if self._is_queue_limit(exc):
                self.report.queue_full(window, exc)
                return False
            msg = f"The API refused to create the export job for {window.describe()}: {exc}"
            raise ExportJobError(msg) from exc
        job = JobInFlight(window, self.settings.activity_type, created.job_id)
        self.sync.progress.add_job(job)
        self.runs[window] = JobRun(job, created.state, replaced_ids=replaced_ids)
        self.counters["jobs_created"] += 1
        self.sync.logger.info("Created export job %s (%s).", job.job_id, window.describe())
        self.watch.first_seen(self.runs[window], created)
        # The job id reaches state before we wait on it, so a crash cannot orphan it.
        self.sync.checkpoint()
        return True

    def _is_queue_limit(self, exc: ApiError) -> bool:
        if exc.status == 429:
            return True
        if exc.status not in (400, 409):
            return False
        # The limit error's status and body are undocumented: believe it when the queue is full.
        active = [job for job in self.client.list_jobs() if ApiJob.from_api(job).is_active]
        return len(active) >= MAX_QUEUED_JOBS or "limit" in exc.api_message.lower()

    def top_up(self, position: int) -> None:
        """Queue jobs for the windows from ``position`` on, up to our share of the queue."""
        ahead = self.sync.windows[position:]
        active = sum(1 for w in ahead if w in self.runs and self.runs[w].state != "completed")
        for window in ahead:
            if active >= self.settings.max_jobs_ahead:
                return
            if window in self.runs:
                continue
            if not self._create_job(window):
                return
            active += 1

    def replace(self, run: JobRun, why: str) -> JobRun:
        """Create the window's job again (once); a second failure stops the sync."""
        window = run.job.window
        if run.replaced_ids:
            # Nothing of the window is resumed from this job: the next sync exports it afresh.
            self.sync.progress.drop_job(run.job)
            self.sync.checkpoint()
            msg = (
                f"Export job {run.job.job_id} for {window.describe()} {why}, after job "
                f"{', '.join(run.replaced_ids)} for the same window failed too. Check the "
                "People.ai status page or contact support with these job ids; the next sync "
                "starts again from this window."
            )
            raise ExportJobError(msg)
        self.sync.logger.warning(
            "Export job %s (%s) %s; creating it again.", run.job.job_id, window.describe(), why
        )
        self.sync.progress.drop_job(run.job)
        self.watch.dropped(run)
        del self.runs[window]
        self.counters["jobs_replaced"] += 1
        deadline = time.monotonic() + self.settings.job_timeout
        while not self._create_job(window, replaced_ids=(*run.replaced_ids, run.job.job_id)):
            if time.monotonic() > deadline:
                self._raise_queue_timeout(window)
            self.sleep(self.settings.poll_interval)
        return self.runs[window]

    def _raise_queue_timeout(self, window: ExportWindow) -> None:
        msg = (
            f"Could not create the export job for {window.describe()} within job_timeout "
            f"({self.settings.job_timeout:g} s): the API's export queue stayed full, or kept no "
            "room beside `reserved_queue_slots`. Other tools or another sync may be using the "
            "queue; try again later, or raise `job_timeout`."
        )
        raise ExportJobError(msg)

    # Waiting ------------------------------------------------------------------------------

    def wait_for(self, position: int) -> tuple[JobRun, ApiJob]:
        """Wait until the window's job is Completed, replacing it once if it fails."""
        window = self.sync.windows[position]
        deadline = time.monotonic() + self.settings.job_timeout
        while window not in self.runs:
            self.top_up(position)
            if window in self.runs:
                break
            if time.monotonic() > deadline:
                self._raise_queue_timeout(window)
            self.watch.waiting(window)
            self.sleep(self.settings.poll_interval)
        run = self.runs[window]
        while True:
            body = self.client.get_job(run.job.job_id)
            if body is None:
                run = self.replace(run, "vanished from the API (expired or deleted)")
                continue
            status = ApiJob.from_api(body)
            self.watch.observed(run, status)
            if status.is_completed:
                self.watch.done_waiting()
                return run, status
            if status.has_failed:
                run = self.replace(run, status.failure)
                continue
            waited = time.monotonic() - run.started_waiting
            if waited > self.settings.job_timeout:
                self._raise_job_timeout(run, status, waited)
            # Counting from this window, so the job waited on takes one of the slots too.
            self.top_up(position)
            self.watch.waiting(window)
            self.sleep(self.settings.poll_interval)

    def _raise_job_timeout(self, run: JobRun, status: ApiJob, waited: float) -> None:
        if run.state == "queued":
            # A job that never started may never start: the next sync creates a new one
            # instead of waiting on it again. A running job is worth resuming.
            self.sync.progress.drop_job(run.job)
            self.sync.checkpoint()
            next_sync = "creates a new job for this window"
        else:
            next_sync = "resumes this job"
        msg = (
            f"Export job {run.job.job_id} for {run.job.window.describe()} is still "
            f"{status.state_label} after {waited:.0f} s (job_timeout "
            f"{self.settings.job_timeout:g} s). Raise `job_timeout` for large exports, or "
            f"check the People.ai status page; the next sync {next_sync}."
        )
        raise ExportJobError(msg)
