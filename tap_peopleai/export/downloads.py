"""Downloading a Completed job's fragments in parallel into temporary files, in order.

Every file lives in one private directory per sync (``SpoolDirectory``), removed as a whole
when the sync ends however it ends, so no fragment outlives the process: not after an error, a
signal or a full disk.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tap_peopleai.api.client import PeopleAIClient
from tap_peopleai.api.jobs import ApiJob
from tap_peopleai.errors import FragmentGoneError, TapPeopleAIError
from tap_peopleai.interrupts import GUARD
from tap_peopleai.state.entries import JobInFlight

if TYPE_CHECKING:
    from tap_peopleai.oplog.sync_log import SyncLog

SPOOL_PREFIX = "peopleai-tap-"
# How often a slow download checks whether the totals line is due.
PROGRESS_CHECK_SECONDS = 1.0


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:  # not created yet, or just removed
        return 0


class SpoolDirectory:
    """A private temporary directory for one sync's fragment files."""

    def __init__(self, parent: str | None) -> None:
        self.parent = parent or tempfile.gettempdir()
        try:
            self.path = tempfile.mkdtemp(prefix=SPOOL_PREFIX, dir=parent)
        except OSError as exc:
            raise self.disk_error(exc, "creating a temporary directory") from exc

    def new_file(self) -> str:
        """A new empty file in the directory."""
        try:
            handle, path = tempfile.mkstemp(prefix="fragment-", suffix=".jsonl", dir=self.path)
        except OSError as exc:
            raise self.disk_error(exc, "creating a temporary file") from exc
        os.close(handle)
        return path

    def remove(self) -> None:
        """Delete the directory and every file in it (idempotent)."""
        shutil.rmtree(self.path, ignore_errors=True)

    def disk_error(self, exc: OSError, doing: str) -> TapPeopleAIError:
        """The one-line error for a failed write to the temporary directory."""
        if exc.errno == errno.ENOSPC:
            return TapPeopleAIError(
                f"No space left in {self.parent} while {doing}. Free disk space there, or point "
                "`temp_dir` at a volume with room for a few fragments per download worker."
            )
        return TapPeopleAIError(
            f"Cannot write to {self.parent} while {doing}: {exc.strerror or exc}. Check `temp_dir`."
        )


@dataclass
class FragmentFile:
    """A downloaded fragment waiting in a temporary file to be emitted."""

    job: JobInFlight
    index: int
    path: str
    expected_bytes: int | None

    def describe(self) -> str:
        """Names the fragment in messages."""
        return f"job {self.job.job_id} ({self.job.window.describe()}), fragment {self.index}"

    def discard(self) -> None:
        """Remove the temporary file."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class FragmentDownloader:
    """Fetches fragments with a pool of download threads, handing them out in index order."""

    def __init__(
        self, client: PeopleAIClient, spool: SpoolDirectory, workers: int, report: SyncLog
    ) -> None:
        self.client = client
        self.spool = spool
        self.workers = max(1, workers)
        self.report = report

    def download(self, fragment: FragmentFile) -> bool:
        """(Re)download ``fragment`` into its file; False when the API answers 404."""
        doing = f"downloading fragment {fragment.index} of job {fragment.job.job_id}"
        try:
            with open(fragment.path, "wb") as sink:
                return self.client.download_fragment(
                    fragment.job.job_id, fragment.index, sink, fragment.expected_bytes
                )
        except OSError as exc:
            if isinstance(exc, (ConnectionError, TimeoutError)) or exc.errno is None:
                raise
            raise self.spool.disk_error(exc, doing) from exc

    def refetch(self, fragment: FragmentFile) -> None:
        """Download a fragment again (its file had a broken line)."""
        if not self.download(fragment):
            msg = f"Fragment {fragment.index} of {fragment.describe()} is gone (404)."
            raise FragmentGoneError(msg)

    def job_fragments(
        self, pool: ThreadPoolExecutor, job: JobInFlight, status: ApiJob
    ) -> Iterator[FragmentFile]:
        """Every fragment of a Completed job from the first not yet emitted, in order.

        Fragments below the reported number surely exist; from there on each may or may not
        (the number may be a count or the highest index), so they are probed one at a time
        until the API answers 404.
        """
        reported = status.fragments_reported
        expected = status.expected_fragment_bytes()
        probing_allowed = status.results_size != 0
        pending: dict[int, tuple[Future[bool], FragmentFile]] = {}
        next_to_submit = index = job.fragments_emitted

        def submit(i: int) -> None:
            fragment = FragmentFile(job, i, self.spool.new_file(), expected)
            pending[i] = (pool.submit(self.download, fragment), fragment)

        try:
            while True:
                while next_to_submit < reported and len(pending) < self.workers:
                    submit(next_to_submit)
                    next_to_submit += 1
                if index not in pending:
                    if index < reported or not probing_allowed:
                        return
                    submit(index)
                    next_to_submit = index + 1
                future, fragment = pending.pop(index)
                self.report.phase("downloading")
                if not self._outcome(future, [fragment, *(f for _, f in pending.values())]):
                    fragment.discard()
                    self._check_missing(job, index, reported)
                    return
                self.report.fragment_downloaded(os.path.getsize(fragment.path))
                self.report.phase("emitting")
                yield fragment
                index += 1
        finally:
            for future, fragment in pending.values():
                future.cancel()
                if not GUARD.stopping.is_set():  # interrupted: the process exits right after
                    with contextlib.suppress(Exception):
                        future.result()
                fragment.discard()

    def _outcome(self, future: Future[bool], in_progress: list[FragmentFile]) -> bool:
        """Wait for a download; meanwhile the totals line stays on time, partial files counted."""
        while not wait([future], timeout=PROGRESS_CHECK_SECONDS).done:
            self.report.downloading(sum(_size(f.path) for f in in_progress))
        return future.result()

    def _check_missing(self, job: JobInFlight, index: int, reported: int) -> None:
        """A 404 ends the job's fragments, unless the job said there are more or vanished."""
        if index < reported:
            msg = (
                f"Fragment {index} of job {job.job_id} ({job.window.describe()}) "
                f"returned 404 although the job reports {reported}."
            )
            raise FragmentGoneError(msg)
        if self.client.get_job(job.job_id) is None:
            msg = f"Job {job.job_id} vanished while its fragments were downloaded."
            raise FragmentGoneError(msg)
