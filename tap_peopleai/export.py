"""Running a planned sync: jobs kept queued ahead, fragments downloaded in parallel, in order.

The stream pulls fragments from ``ExportPipeline.fragments()`` and acknowledges each, in order,
once it is emitted; the pipeline records that in the sync progress and asks for a checkpoint
(a STATE message), so a crash never costs more than the fragments in hand.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import logging
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tap_peopleai.client import PeopleAIClient, first_present
from tap_peopleai.errors import ApiError, ExportJobError, FragmentGoneError, TapPeopleAIError
from tap_peopleai.planning import ExportWindow
from tap_peopleai.progress import JobInFlight, SyncProgress

VENDOR_MAX_QUEUED = 10
RETENTION = dt.timedelta(days=10)
# A stored job this close to the end of retention is not worth resuming: its files may vanish
# while we download them.
RETENTION_MARGIN = dt.timedelta(hours=6)
FRAGMENT_FIELDS = ("fragment", "fragments")
ACTIVE_STATES = ("queued", "running")
REUSABLE_STATES = ("queued", "running", "completed")
ADOPTABLE_STATES = ("running", "completed")


@dataclass(frozen=True)
class PipelineSettings:
    """How the pipeline paces itself."""

    activity_type: str
    poll_interval: float
    job_timeout: float
    reserved_queue_slots: int
    download_workers: int
    temp_dir: str | None = None

    @property
    def max_jobs_ahead(self) -> int:
        """How many of our jobs may be queued or running at once."""
        return max(1, VENDOR_MAX_QUEUED - self.reserved_queue_slots)


def parse_api_time(value: Any) -> dt.datetime | None:
    """Parse the API's ``yyyy-MM-ddTHH:mm:ssZ`` (or naive, meaning UTC) job times."""
    if not value:
        return None
    text = str(value).strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def fragment_count(job: dict[str, Any]) -> int:
    """The number the job reports for its fragments (a count or the highest index; 0 if absent)."""
    value = first_present(job, FRAGMENT_FIELDS)
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0


def job_state(job: dict[str, Any]) -> str:
    """The job's state in lower case (the API's case has varied)."""
    return str(job.get("state", "")).lower()


def job_matches(job: dict[str, Any], window: ExportWindow, activity_type: str) -> bool:
    """Whether a job listed by the API exports exactly ``window`` for ``activity_type``."""
    return (
        str(job.get("export_type", "")).lower() == window.export_type
        and str(job.get("start_date", "")) == window.start.isoformat()
        and str(job.get("end_date", "")) == window.end.isoformat()
        and str(job.get("activity_type", "")).lower() == activity_type
    )


@dataclass
class FragmentFile:
    """A downloaded fragment waiting in a temporary file to be emitted."""

    job: JobInFlight
    index: int
    path: str
    refetch: Callable[[], None]

    def describe(self) -> str:
        """Names the fragment in messages."""
        return f"job {self.job.job_id} ({self.job.window.describe()}), fragment {self.index}"

    def discard(self) -> None:
        """Remove the temporary file."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


@dataclass
class _JobRun:
    """What the pipeline knows about one window's job during this sync."""

    job: JobInFlight
    state: str = "queued"
    started_waiting: float = field(default_factory=time.monotonic)
    replaced_ids: tuple[str, ...] = ()


class ExportPipeline:
    """Creates, reuses and waits on export jobs and downloads their fragments for a planned sync."""

    def __init__(
        self,
        client: PeopleAIClient,
        progress: SyncProgress,
        windows: list[ExportWindow],
        settings: PipelineSettings,
        today: dt.date,
        checkpoint: Callable[[], None],
        logger: logging.Logger,
        listed_jobs: list[dict[str, Any]],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.progress = progress
        self.windows = windows
        self.settings = settings
        self.today = today
        self.checkpoint = checkpoint
        self.logger = logger
        self.sleep = sleep
        self.listed_jobs = listed_jobs
        self._runs: dict[ExportWindow, _JobRun] = {}
        self.counters = {"jobs_created": 0, "jobs_reused": 0, "jobs_replaced": 0, "fragments": 0}
        self._unacknowledged: deque[FragmentFile | ExportWindow] = deque()

    # Start-up -----------------------------------------------------------------------------

    def _adopt_existing_jobs(self) -> None:
        """Keep stored jobs that still match the plan and can be resumed; adopt orphans."""
        activity_type = self.settings.activity_type
        for job in self.progress.keep_only_jobs_for(self.windows, activity_type):
            self.logger.info(
                "Dropping stored job %s (%s): it no longer matches this sync's plan.",
                job.job_id,
                job.window.describe(),
            )
        listed = self.listed_jobs
        by_id = {str(item.get("job_id")): item for item in listed}
        now = self.client.server_now()
        for job in list(self.progress.jobs):
            reason = self._unusable_reason(by_id.get(job.job_id), job.window, now)
            if reason:
                self.logger.info(
                    "Not resuming job %s (%s): %s; the window is exported again.",
                    job.job_id,
                    job.window.describe(),
                    reason,
                )
                self.progress.drop_job(job)
                continue
            self._runs[job.window] = _JobRun(job, job_state(by_id[job.job_id]))
            self.counters["jobs_reused"] += 1
            self.logger.info(
                "Resuming job %s (%s) after %d emitted fragment(s).",
                job.job_id,
                job.window.describe(),
                job.fragments_emitted,
            )
        for window in self.windows:
            if window in self._runs:
                continue
            for item in sorted(
                listed, key=lambda j: str(j.get("job_created_time", "")), reverse=True
            ):
                # Only a job that got going: a queued orphan may be one that never starts.
                if (
                    job_matches(item, window, activity_type)
                    and job_state(item) in ADOPTABLE_STATES
                    and not self._unusable_reason(item, window, now)
                ):
                    adopted = JobInFlight(window, activity_type, str(item["job_id"]))
                    self.progress.add_job(adopted)
                    self._runs[window] = _JobRun(adopted, job_state(item))
                    self.counters["jobs_reused"] += 1
                    self.logger.info(
                        "Reusing job %s (%s, %s) found in the API's job list.",
                        adopted.job_id,
                        window.describe(),
                        job_state(item),
                    )
                    break

    def _unusable_reason(
        self, item: dict[str, Any] | None, window: ExportWindow, now: dt.datetime
    ) -> str | None:
        if item is None:
            return "the API no longer lists it (expired or unknown)"
        state = job_state(item)
        if state not in REUSABLE_STATES:
            return f"its state is {item.get('state')}"
        created = parse_api_time(item.get("job_created_time"))
        if created is None:
            return "it has no creation time"
        if created < self.progress.reusable_since(window, self.today):
            return "it was created before the data it must cover was final"
        if now - created > RETENTION - RETENTION_MARGIN:
            return "its files are about to expire"
        if state == "queued" and (now - created).total_seconds() > self.settings.job_timeout:
            return (
                f"it has been queued for longer than job_timeout ({self.settings.job_timeout:g} s)"
            )
        return None

    # Jobs ---------------------------------------------------------------------------------

    def _create_job(self, window: ExportWindow, replaced_ids: tuple[str, ...] = ()) -> bool:
        """Create the window's job; False when the API's queue is full (try again later)."""
        body = {
            "start_date": window.start.isoformat(),
            "end_date": window.end.isoformat(),
            "activity_type": self.settings.activity_type,
            "output_format": "JSONLines",
            "export_type": window.export_type,
        }
        try:
            created = self.client.create_job(body)
        except ApiError as exc:
            if self._is_queue_limit(exc):
                self.logger.info(
                    "The export queue is full (HTTP %s: %s); waiting to create %s.",
                    exc.status,
                    exc.api_message,
                    window.describe(),
                )
                return False
            msg = f"The API refused to create the export job for {window.describe()}: {exc}"
            raise ExportJobError(msg) from exc
        job = JobInFlight(window, self.settings.activity_type, str(created["job_id"]))
        self.progress.add_job(job)
        self._runs[window] = _JobRun(job, job_state(created), replaced_ids=replaced_ids)
        self.counters["jobs_created"] += 1
        self.logger.info("Created export job %s (%s).", job.job_id, window.describe())
        # The job id reaches state before we wait on it, so a crash cannot orphan it.
        self.checkpoint()
        return True

    def _is_queue_limit(self, exc: ApiError) -> bool:
        if exc.status == 429:
            return True
        if exc.status not in (400, 409):
            return False
        # The limit error's status and body are undocumented: believe it when the queue is full.
        active = [job for job in self.client.list_jobs() if job_state(job) in ACTIVE_STATES]
        return len(active) >= VENDOR_MAX_QUEUED or "limit" in exc.api_message.lower()

    def _top_up(self, position: int) -> None:
        """Queue jobs for the windows ahead, up to the configured share of the export queue."""
        ahead = self.windows[position:]
        active = sum(
            1 for w in ahead if w in self._runs and self._runs[w].state not in ("completed",)
        )
        for window in ahead:
            if active >= self.settings.max_jobs_ahead:
                return
            if window in self._runs:
                continue
            if not self._create_job(window):
                return
            active += 1

    def _replace_job(self, run: _JobRun, why: str) -> _JobRun:
        window = run.job.window
        if run.replaced_ids:
            msg = (
                f"Export job {run.job.job_id} for {window.describe()} {why}, after job "
                f"{', '.join(run.replaced_ids)} for the same window failed too. Check the "
                "People.ai status page or contact support with these job ids; the next sync "
                "starts again from this window."
            )
            raise ExportJobError(msg)
        self.logger.warning(
            "Export job %s (%s) %s; creating it again.", run.job.job_id, window.describe(), why
        )
        self.progress.drop_job(run.job)
        del self._runs[window]
        self.counters["jobs_replaced"] += 1
        deadline = time.monotonic() + self.settings.job_timeout
        while not self._create_job(window, replaced_ids=(*run.replaced_ids, run.job.job_id)):
            if time.monotonic() > deadline:
                self._raise_queue_timeout(window)
            self.sleep(self.settings.poll_interval)
        return self._runs[window]

    def _raise_queue_timeout(self, window: ExportWindow) -> None:
        msg = (
            f"Could not create the export job for {window.describe()} within job_timeout "
            f"({self.settings.job_timeout:g} s): the API's export queue stayed full. Other tools "
            "may be using the queue; try again later or raise `job_timeout`."
        )
        raise ExportJobError(msg)

    def _wait_for(self, position: int) -> tuple[_JobRun, dict[str, Any]]:
        """Wait until the window's job is Completed, replacing it once if it fails."""
        window = self.windows[position]
        deadline = time.monotonic() + self.settings.job_timeout
        while window not in self._runs:
            self._top_up(position)
            if window in self._runs:
                break
            if time.monotonic() > deadline:
                self._raise_queue_timeout(window)
            self.sleep(self.settings.poll_interval)
        run = self._runs[window]
        while True:
            status = self.client.get_job(run.job.job_id)
            if status is None:
                run = self._replace_job(run, "vanished from the API (expired or deleted)")
                continue
            run.state = job_state(status)
            if run.state == "completed":
                return run, status
            if run.state in ("failed", "canceled", "cancelled"):
                run = self._replace_job(run, f"ended {status.get('state')}")
                continue
            waited = time.monotonic() - run.started_waiting
            if waited > self.settings.job_timeout:
                if run.state == "queued":
                    # A job that never started may never start: the next sync creates a new
                    # one instead of waiting on it again. A running job is worth resuming.
                    self.progress.drop_job(run.job)
                    self.checkpoint()
                    next_sync = "creates a new job for this window"
                else:
                    next_sync = "resumes this job"
                msg = (
                    f"Export job {run.job.job_id} for {window.describe()} is still "
                    f"{status.get('state')} after {waited:.0f} s (job_timeout "
                    f"{self.settings.job_timeout:g} s). Raise `job_timeout` for large exports, or "
                    f"check the People.ai status page; the next sync {next_sync}."
                )
                raise ExportJobError(msg)
            # Counting from this window, so the job waited on takes one of the slots too.
            self._top_up(position)
            self.sleep(self.settings.poll_interval)

    # Fragments ----------------------------------------------------------------------------

    def _new_spool(self) -> str:
        try:
            handle, path = tempfile.mkstemp(
                prefix="peopleai-fragment-", suffix=".jsonl", dir=self.settings.temp_dir
            )
        except OSError as exc:
            raise self._disk_error(exc, "creating a temporary file") from exc
        os.close(handle)
        return path

    def _disk_error(self, exc: OSError, doing: str) -> TapPeopleAIError:
        where = self.settings.temp_dir or tempfile.gettempdir()
        if exc.errno == errno.ENOSPC:
            return TapPeopleAIError(
                f"No space left in {where} while {doing}. Free disk space there, or point "
                "`temp_dir` at a volume with room for a few fragments per download worker."
            )
        return TapPeopleAIError(f"Cannot write to {where} while {doing}: {exc}. Check `temp_dir`.")

    def _download(self, job: JobInFlight, index: int, path: str, expected: int | None) -> bool:
        doing = f"downloading fragment {index} of job {job.job_id}"
        try:
            with open(path, "wb") as sink:
                return self.client.download_fragment(job.job_id, index, sink, expected)
        except OSError as exc:
            if isinstance(exc, (ConnectionError, TimeoutError)) or exc.errno is None:
                raise
            raise self._disk_error(exc, doing) from exc

    def fragments(self) -> Iterator[FragmentFile]:
        """Yield every fragment still to emit, in window and fragment order.

        The caller may ask for the next fragments before it has emitted earlier ones, but it
        must ``acknowledge`` each, in order, once emitted: only acknowledged fragments count,
        and a window's cursor moves only after all of its fragments were acknowledged.
        """
        self._adopt_existing_jobs()
        workers = max(1, self.settings.download_workers)
        try:
            with ThreadPoolExecutor(workers, thread_name_prefix="peopleai-download") as pool:
                for position, window in enumerate(self.windows):
                    while True:
                        run, status = self._wait_for(position)
                        self._top_up(position + 1)
                        try:
                            yield from self._job_fragments(pool, workers, run, status)
                            break
                        except FragmentGoneError as exc:
                            # Fragments already emitted are emitted again from the new job:
                            # duplicates, never a hole.
                            self._replace_job(run, f"lost its files ({exc})")
                    self._unacknowledged.append(window)
                    self._complete_windows()
        except BaseException:
            for item in self._unacknowledged:
                if isinstance(item, FragmentFile):
                    item.discard()
            raise

    def acknowledge(self, fragment: FragmentFile) -> None:
        """Record that every record of ``fragment`` was emitted, and checkpoint."""
        head = self._unacknowledged.popleft() if self._unacknowledged else None
        if head is not fragment:
            msg = f"fragments must be acknowledged in order: got {fragment.describe()}"
            raise RuntimeError(msg)
        fragment.discard()
        fragment.job.fragments_emitted = fragment.index + 1
        self.counters["fragments"] += 1
        self.checkpoint()
        self._complete_windows()

    def _complete_windows(self) -> None:
        while self._unacknowledged and isinstance(self._unacknowledged[0], ExportWindow):
            window = self._unacknowledged.popleft()
            assert isinstance(window, ExportWindow)
            self.progress.window_emitted(window, self.today)
            self.logger.info("Window %s emitted completely.", window.describe())
            self.checkpoint()

    def _job_fragments(
        self, pool: ThreadPoolExecutor, workers: int, run: _JobRun, status: dict[str, Any]
    ) -> Iterator[FragmentFile]:
        job = run.job
        reported = fragment_count(status)
        results_size = status.get("results_size")
        size = int(str(results_size)) if str(results_size).isdigit() else None
        # Fragments below the reported number surely exist; from there on each may or may not
        # (the number may be a count or the highest index), so they are probed one at a time.
        expected = size // max(1, reported) if size else None
        probing_allowed = size != 0
        pending: dict[int, tuple[Future[bool], str]] = {}
        next_to_submit = job.fragments_emitted
        index = job.fragments_emitted

        def submit(i: int) -> None:
            path = self._new_spool()
            pending[i] = (pool.submit(self._download, job, i, path, expected), path)

        try:
            while True:
                while next_to_submit < reported and len(pending) < workers:
                    submit(next_to_submit)
                    next_to_submit += 1
                if index not in pending:
                    if index < reported or not probing_allowed:
                        break
                    submit(index)
                    next_to_submit = index + 1
                future, path = pending.pop(index)
                if not future.result():
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)
                    if index < reported:
                        msg = (
                            f"Fragment {index} of job {job.job_id} ({job.window.describe()}) "
                            f"returned 404 although the job reports {reported}."
                        )
                        raise FragmentGoneError(msg)
                    if self.client.get_job(job.job_id) is None:
                        msg = f"Job {job.job_id} vanished while its fragments were downloaded."
                        raise FragmentGoneError(msg)
                    break
                fragment = FragmentFile(
                    job,
                    index,
                    path,
                    refetch=functools.partial(self._refetch, job, index, path, expected),
                )
                self._unacknowledged.append(fragment)
                yield fragment
                index += 1
        finally:
            for future, path in pending.values():
                future.cancel()
                with contextlib.suppress(Exception):
                    future.result()
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)

    def _refetch(self, job: JobInFlight, index: int, path: str, expected: int | None) -> None:
        if not self._download(job, index, path, expected):
            msg = f"Fragment {index} of job {job.job_id} ({job.window.describe()}) is gone (404)."
            raise FragmentGoneError(msg)
