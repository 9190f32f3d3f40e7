"""The job queue: creation under both limits, the state machine, retention, rendering threads.

Jobs advance lazily: every call first brings all jobs up to date from the real-time clock, so no
timer thread is needed and a test sees exactly the states its own requests caused. A job's result
is rendered to files by a background thread while the job is Running; the job completes only once
its files are complete, as a real export would.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from peopleai_sandbox.errors import ApiError
from peopleai_sandbox.models.clock import SandboxClock
from peopleai_sandbox.models.fault_dice import UNDOCUMENTED_STATE, FaultDice, job_outcome
from peopleai_sandbox.models.fragments import render_fragments
from peopleai_sandbox.models.jobs import ExportRequest, Job
from peopleai_sandbox.models.stats import Counters
from peopleai_sandbox.settings.config import SandboxConfig
from peopleai_sandbox.settings.faults import Faults

# What a job's export holds: (activity index, version) pairs, given the job.
Selection = Callable[[Job], Iterator[tuple[int, int]]]


class JobQueue:
    """The jobs of the last ``retention_days``: creation under both limits, and their states."""

    def __init__(
        self,
        config: SandboxConfig,
        clock: SandboxClock,
        counters: Counters,
        dice: FaultDice,
        faults: Callable[[], Faults],
        select: Selection,
        render_record: Callable[[int, int], bytes],
        data_dir: Path,
    ) -> None:
        self._config = config
        self._clock = clock
        self._counters = counters
        self._dice = dice
        self._faults = faults
        self._select = select
        self._render_record = render_record
        self._data_dir = data_dir
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._serial = 0
        self._threads: list[threading.Thread] = []
        self._closed = False

    def close(self) -> None:
        """Stop rendering (the caller deletes the files)."""
        with self._lock:
            self._closed = True
            for job in self._jobs.values():
                job.abandoned.set()
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=10)

    def create(self, request: ExportRequest, prepare: Callable[[Job], None] | None = None) -> Job:
        """Queue a job; a 429 (or the configured status) ApiError if the queue is full.

        ``prepare`` runs on the new job before it can start (e.g. to fix what it may export).
        """
        with self._lock:
            self._advance()
            active = sum(1 for job in self._jobs.values() if job.state in ("Queued", "Running"))
            if active >= self._config.max_queued:
                self._counters.count("limit_errors")
                raise ApiError(
                    self._config.variants.limit_status,
                    "too_many_jobs",
                    f"export job limit reached: at most {self._config.max_queued} jobs may be "
                    f"Queued or Running at once ({active} are); retry when one has ended",
                )
            self._serial += 1
            outcome = job_outcome(self._faults(), self._dice.roll("job_outcome"))
            if outcome == "stuck":
                self._counters.count("jobs_stuck")
                self._counters.count_fault("stuck_job")
            job = Job(
                serial=self._serial,
                public_id=self._public_id(self._serial),
                export_type=request.export_type,
                output_format=request.output_format,
                activity_type=request.activity_type,
                start_date=request.start_date,
                end_date=request.end_date,
                created_at=self._clock.now().replace(microsecond=0),
                created_mono=self._clock.real_seconds(),
                outcome=outcome,
            )
            if prepare is not None:
                prepare(job)
            self._jobs[str(job.public_id)] = job
            self._counters.count("jobs_created")
            # The ground truth of "did the clients leave slots free": the most jobs ever live.
            self._counters.note_max("max_live_jobs", active + 1)
            self._advance()
            return job

    def _public_id(self, serial: int) -> int | str:
        if self._config.variants.job_id_type == "int":
            return 1000 + serial
        digest = hashlib.blake2b(f"{self._config.seed}:job:{serial}".encode(), digest_size=16)
        return str(uuid.UUID(bytes=digest.digest()))

    def get(self, job_id: str) -> Job:
        """One job by its id as it appears in the URL; 404 if unknown or past retention."""
        with self._lock:
            self._advance()
            job = self._jobs.get(job_id)
            if job is None:
                raise ApiError(404, "not_found", f"export job {job_id} not found")
            return job

    def list(self) -> list[Job]:
        """Jobs created within the retention period, oldest first."""
        with self._lock:
            self._advance()
            return sorted(self._jobs.values(), key=lambda job: job.serial)

    def _advance(self) -> None:
        """Bring every job up to date: retention, Running -> end, Queued -> Running."""
        mono = self._clock.real_seconds()
        now = self._clock.now()
        cutoff = now - timedelta(days=self._config.retention_days)
        for key, job in list(self._jobs.items()):
            if job.created_at < cutoff:
                del self._jobs[key]
                job.abandoned.set()
                if job.rendered.is_set() and job.directory is not None:
                    shutil.rmtree(job.directory, ignore_errors=True)
        running = 0
        for job in self._jobs.values():
            if job.state != "Running":
                continue
            assert job.started_mono is not None
            if job.rendered.is_set() and mono - job.started_mono >= self._config.job_run_seconds:
                self._finish(job, now)
            else:
                running += 1
        for job in sorted(self._jobs.values(), key=lambda item: item.serial):
            if running >= self._config.max_running:
                break
            if job.state != "Queued" or job.outcome == "stuck":
                continue
            if mono - job.created_mono < self._config.job_queue_seconds:
                continue
            job.state = "Running"
            job.started_at = max(now, job.created_at).replace(microsecond=0)
            job.started_mono = mono
            running += 1
            self._start_rendering(job)

    def _finish(self, job: Job, now: datetime) -> None:
        assert job.started_at is not None
        job.ended_at = max(now.replace(microsecond=0), job.started_at)
        if job.render_error is not None or job.outcome == "Failed":
            job.state = "Failed"
            self._counters.count("jobs_failed")
            if job.render_error is None:
                self._counters.count_fault("job_failed")
        elif job.outcome == "Canceled":
            job.state = "Canceled"
            self._counters.count("jobs_canceled")
            self._counters.count_fault("job_canceled")
        elif job.outcome == UNDOCUMENTED_STATE:
            job.state = UNDOCUMENTED_STATE
            self._counters.count_fault("unknown_state")
        elif job.outcome == "stateless":
            job.state = ""  # the job object has no state field from now on
            self._counters.count_fault("missing_state")
        else:
            job.state = "Completed"
            job.results_size = sum(fragment.size for fragment in job.fragments)
            self._counters.count("jobs_completed")

    def _start_rendering(self, job: Job) -> None:
        if job.outcome != "Completed" or self._closed:
            job.rendered.set()
            return
        job.directory = self._data_dir / f"job-{job.serial}"
        thread = threading.Thread(
            target=self._render, args=(job,), name=f"render-job-{job.serial}", daemon=True
        )
        self._threads = [item for item in self._threads if item.is_alive()]
        self._threads.append(thread)
        thread.start()

    def _render(self, job: Job) -> None:
        """Write a job's result as fragment files: the job stays Running until this is done."""
        assert job.directory is not None
        try:
            job.directory.mkdir(parents=True, exist_ok=True)
            job.fragments, job.record_count = render_fragments(
                self._render_record,
                self._select(job),
                job.directory,
                self._config.fragment_records,
                crlf=self._config.variants.line_noise,
                abandoned=job.abandoned,
            )
        except Exception as error:  # a render failure must become a Failed job, not a hang
            job.render_error = repr(error)
        finally:
            job.rendered.set()
            if job.abandoned.is_set():
                shutil.rmtree(job.directory, ignore_errors=True)
