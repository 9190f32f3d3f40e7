"""Running a planned sync: jobs from the scheduler, fragments from the downloader, in order.

The stream pulls fragments from ``ExportPipeline.fragments()`` and acknowledges each, in order,
once its records (or its BATCH message) were written; the pipeline records that in the sync
progress and asks for a checkpoint (a STATE message), so a crash never costs more than the
fragments in hand. Use the pipeline as a context manager: leaving it removes every temporary file.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType

from tap_peopleai.api.client import PeopleAIClient
from tap_peopleai.api.jobs import ApiJob
from tap_peopleai.errors import DamagedFragmentError, FragmentGoneError, JobIncompleteError
from tap_peopleai.export.context import SyncContext
from tap_peopleai.export.downloads import FragmentDownloader, FragmentFile
from tap_peopleai.export.scheduler import JobScheduler
from tap_peopleai.export.spool import SpoolDirectory
from tap_peopleai.interrupts import GUARD
from tap_peopleai.oplog.sync_log import SyncLog
from tap_peopleai.settings.objects import PipelineSettings
from tap_peopleai.state.progress import SyncProgress
from tap_peopleai.state.windows import ExportWindow

# A fragment whose JSON breaks is downloaded again this many times before the tap gives up.
FRAGMENT_ATTEMPTS = 3


@dataclass
class _WindowInHand:
    """A window whose fragments were handed out and are not all acknowledged yet."""

    window: ExportWindow
    fragments: deque[FragmentFile] = field(default_factory=deque)
    all_handed_out: bool = False


class AcknowledgementQueue:
    """Fragments handed out, per window, in order: a window is done once all are acknowledged."""

    def __init__(self) -> None:
        self._windows: deque[_WindowInHand] = deque()

    def open_window(self, window: ExportWindow) -> None:
        """Fragments handed out from now on belong to ``window``."""
        self._windows.append(_WindowInHand(window))

    def hand_out(self, fragment: FragmentFile) -> None:
        """Record that ``fragment`` (of the window opened last) was handed out."""
        self._windows[-1].fragments.append(fragment)

    def close_window(self) -> list[ExportWindow]:
        """The window opened last has no more fragments; returns the windows now complete."""
        self._windows[-1].all_handed_out = True
        return self._pop_complete()

    def acknowledge(self, fragment: FragmentFile) -> list[ExportWindow]:
        """Record that ``fragment`` was emitted; returns the windows now complete."""
        # Complete windows leave the queue at once, so the head holds the oldest fragment.
        head = self._windows[0].fragments if self._windows else deque()
        if not head or head[0] is not fragment:
            msg = f"fragments must be acknowledged in order: got {fragment.describe()}"
            raise RuntimeError(msg)
        head.popleft()
        return self._pop_complete()

    def _pop_complete(self) -> list[ExportWindow]:
        done: list[ExportWindow] = []
        while self._windows and self._windows[0].all_handed_out and not self._windows[0].fragments:
            done.append(self._windows.popleft().window)
        return done

    def discard_all(self) -> None:
        """Remove the files of every fragment not acknowledged."""
        for entry in self._windows:
            for fragment in entry.fragments:
                fragment.discard()


class BadLineRecovery:
    """A fragment with a broken line is downloaded again, until the same line stays broken."""

    def __init__(self, pipeline: ExportPipeline, fragment: FragmentFile) -> None:
        self.pipeline = pipeline
        self.fragment = fragment
        self.attempt = 1
        self.bad_lines: list[int] = []

    def retry(self, error: str, line_number: int) -> None:
        """Download the fragment again, or stop the sync if the file itself is damaged."""
        fragment = self.fragment
        if self.attempt >= FRAGMENT_ATTEMPTS or line_number in self.bad_lines:
            # Forget the job so the next sync exports the window afresh; the cursor stays.
            self.pipeline.sync.progress.drop_job(fragment.job)
            self.pipeline.sync.checkpoint()
            msg = (
                f"{error}. The line was still invalid after downloading the fragment "
                f"{self.attempt} times, so the export file is damaged. Records after it were not "
                "emitted and the cursor did not move. Run the tap again to export this window "
                "with a new job; if the error repeats, report the job id to People.ai support."
            )
            raise DamagedFragmentError(msg)
        self.bad_lines.append(line_number)
        self.pipeline.sync.logger.warning(
            "%s. Downloading the fragment again; records already emitted from it will be "
            "emitted again.",
            error,
        )
        self.pipeline.downloader.refetch(fragment)
        self.attempt += 1


class ExportPipeline:
    """One sync's export: windows in order, each job's fragments in order, acknowledged in order."""

    def __init__(
        self,
        client: PeopleAIClient,
        progress: SyncProgress,
        windows: list[ExportWindow],
        settings: PipelineSettings,
        today: dt.date,
        checkpoint: Callable[[], None],
        logger: logging.Logger,
        listed_jobs: list[ApiJob],
        metrics_logger: logging.Logger,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.sync = SyncContext(progress, windows, today, checkpoint, logger)
        self.listed_jobs = listed_jobs
        self.report = SyncLog(
            logger, metrics_logger, settings.heartbeat_interval, client.http.retry_log
        )
        self.scheduler = JobScheduler(
            client, self.sync, settings, self.report, sleep=sleep or time.sleep
        )
        self.spool = SpoolDirectory(settings.temp_dir)
        if self.spool.removed:
            logger.info(
                "Removed %d spool directory(ies) of syncs that ended without cleaning up "
                "(killed: SIGKILL, out of memory, a lost machine): %s.",
                len(self.spool.removed),
                "; ".join(removed.describe() for removed in self.spool.removed),
            )
        self.downloader = FragmentDownloader(
            client, self.spool, settings.download_workers, self.report, self.scheduler.watch
        )
        self.acks = AcknowledgementQueue()
        self.fragments_emitted = 0
        self._running: Iterator[FragmentFile] | None = None

    @property
    def counters(self) -> dict[str, int]:
        """What this sync did so far: jobs created, reused and replaced, fragments emitted."""
        return {**self.scheduler.counters, "fragments": self.fragments_emitted}

    def __enter__(self) -> ExportPipeline:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop downloading and remove every temporary file (idempotent)."""
        if self._running is not None:
            # Stops the download threads (an interrupted sync's downloads abort midway).
            self._running.close()  # type: ignore[attr-defined]
        self.acks.discard_all()
        self.spool.remove()

    def fragments(self) -> Iterator[FragmentFile]:
        """Every fragment still to emit, in order (see ``_fragments``); once per pipeline."""
        self._running = self._fragments()
        return self._running

    def _fragments(self) -> Iterator[FragmentFile]:
        """Yield every fragment still to emit, in window and fragment order.

        The caller may ask for the next fragments before it has emitted earlier ones, but it
        must ``acknowledge`` each, in order, once emitted: only acknowledged fragments count,
        and a window's cursor moves only after all of its fragments were acknowledged.
        """
        self.scheduler.adopt_existing_jobs(self.listed_jobs)
        self.report.plan(
            self.sync.windows,
            [self.scheduler.runs[w].job for w in self.sync.windows if w in self.scheduler.runs],
            self.sync.today,
            self.scheduler.settings.max_jobs_ahead,
        )
        pool = ThreadPoolExecutor(self.downloader.workers, thread_name_prefix="peopleai-download")
        try:
            for position, window in enumerate(self.sync.windows):
                self.acks.open_window(window)
                while True:
                    run, status = self.scheduler.wait_for(position)
                    self.scheduler.top_up(position + 1)
                    try:
                        for fragment in self.downloader.job_fragments(pool, run.job, status):
                            self.acks.hand_out(fragment)
                            yield fragment
                        break
                    except FragmentGoneError as exc:
                        # Fragments already emitted are emitted again from the new job:
                        # duplicates, never a hole.
                        self.scheduler.replace(run, f"lost its files ({exc})")
                    except JobIncompleteError as exc:
                        # Which fragment fell short is unknown: the window is exported anew.
                        self.scheduler.replace(run, f"stayed incomplete: {exc}")
                self._windows_done(self.acks.close_window())
        finally:
            # An interrupted sync does not wait for downloads: the process exits right after.
            pool.shutdown(wait=not GUARD.stopping.is_set(), cancel_futures=True)

    def acknowledge(self, fragment: FragmentFile, records: int) -> None:
        """Record that the ``records`` of ``fragment`` were all emitted, and checkpoint."""
        done = self.acks.acknowledge(fragment)
        fragment.discard()
        receipt = fragment.receipt
        fragment.job.fragment_emitted(
            fragment.index,
            receipt.decoded_bytes if receipt is not None else 0,
            receipt.wire_bytes if receipt is not None else 0,
        )
        self.fragments_emitted += 1
        self.sync.checkpoint()
        if self.report.fragment_emitted(records):
            self.scheduler.watch.look()  # with the totals line: the jobs ahead, seen Running
        self._windows_done(done)

    def resume_point(self) -> str:
        """Where the next sync starts if this one stops now, for messages."""
        resume = self.sync.progress.resume_point()
        return f"after emitting {self.fragments_emitted} fragment(s); {resume}"

    def recovery(self, fragment: FragmentFile) -> BadLineRecovery:
        """The bad-line retry for one fragment, shared by the RECORD and BATCH paths."""
        return BadLineRecovery(self, fragment)

    def _windows_done(self, windows: list[ExportWindow]) -> None:
        for window in windows:
            self.sync.progress.window_emitted(window, self.sync.today)
            self.sync.logger.info("Window %s emitted completely.", window.describe())
            self.sync.checkpoint()


def list_api_jobs(client: PeopleAIClient) -> list[ApiJob]:
    """Every job the API still lists, read."""
    return [ApiJob.from_api(job) for job in client.list_jobs()]
