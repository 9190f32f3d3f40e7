"""Downloading a Completed job's fragments in parallel into temporary files, in order.

Every file lives in the sync's spool directory (spool.py), removed as a whole when the sync ends
however it ends, so no fragment outlives the process: not after an error, a signal or a full disk.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tap_peopleai.api.client import PeopleAIClient
from tap_peopleai.api.fragment_body import BodyReceipt
from tap_peopleai.api.jobs import ApiJob
from tap_peopleai.errors import FragmentGoneError, JobIncompleteError
from tap_peopleai.export.spool import SpoolDirectory
from tap_peopleai.interrupts import GUARD
from tap_peopleai.state.entries import JobInFlight

if TYPE_CHECKING:
    from tap_peopleai.export.job_watch import JobWatch
    from tap_peopleai.oplog.sync_log import SyncLog

# How often a slow download checks whether the totals line is due.
PROGRESS_CHECK_SECONDS = 1.0


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:  # not created yet, or just removed
        return 0


@dataclass
class FragmentFile:
    """A downloaded fragment waiting in a temporary file to be emitted."""

    job: JobInFlight
    index: int
    path: str
    expected_bytes: int | None
    # The job announced data and this fragment surely exists: an empty body is incomplete.
    must_have_data: bool = False
    receipt: BodyReceipt | None = None

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
        self,
        client: PeopleAIClient,
        spool: SpoolDirectory,
        workers: int,
        report: SyncLog,
        watch: JobWatch,
    ) -> None:
        self.client = client
        self.spool = spool
        self.workers = max(1, workers)
        self.report = report
        self.watch = watch

    def download(self, fragment: FragmentFile) -> bool:
        """(Re)download ``fragment`` into its file, shown whole; False when it does not exist
        (a 404, or an empty body where the job may have no such fragment)."""
        doing = f"downloading fragment {fragment.index} of job {fragment.job.job_id}"
        try:
            with open(fragment.path, "wb") as sink:
                fragment.receipt = self.client.download_fragment(
                    fragment.job.job_id,
                    fragment.index,
                    sink,
                    fragment.expected_bytes,
                    fragment.must_have_data,
                )
                return fragment.receipt is not None and (
                    fragment.must_have_data or fragment.receipt.decoded_bytes > 0
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
        until the API answers 404. A fragment that may be the last is held back until that is
        known: before it is handed out, the job's fragments together must hold the bytes the
        job announced (``JobIncompleteError`` otherwise), so the window never completes on a
        short export.
        """
        reported = status.fragments_reported
        results_size = status.results_size or 0
        expected = status.expected_fragment_bytes()
        probing_allowed = results_size > 0 or reported > 0
        pending: dict[int, tuple[Future[bool], FragmentFile]] = {}
        next_to_submit = job.fragments_emitted
        # bytes of the job's fragments so far, those emitted by earlier syncs included
        decoded, wire = job.bytes_decoded, job.bytes_on_wire

        def submit(i: int) -> None:
            must_have_data = results_size > 0 and i < reported
            fragment = FragmentFile(job, i, self.spool.new_file(), expected, must_have_data)
            pending[i] = (pool.submit(self.download, fragment), fragment)

        def fetch(i: int) -> FragmentFile | None:
            """Fragment ``i`` downloaded, or None when the job has no such fragment."""
            nonlocal next_to_submit
            while next_to_submit < reported and len(pending) < self.workers:
                submit(next_to_submit)
                next_to_submit += 1
            if i not in pending:
                if i < reported or not probing_allowed:
                    return None
                submit(i)
                next_to_submit = i + 1
            future, fragment = pending.pop(i)
            self.report.phase("downloading")
            if self._outcome(future, [fragment, *(f for _, f in pending.values())]):
                return fragment
            fragment.discard()
            self._check_missing(job, i, reported)
            return None

        try:
            current = fetch(job.fragments_emitted)
            if current is None:  # nothing (more) to download: what was emitted is all there is
                check_job_size(job, job.fragments_emitted - 1, results_size, decoded, wire)
            while current is not None:
                assert current.receipt is not None
                decoded += current.receipt.decoded_bytes
                wire += current.receipt.wire_bytes
                # Only past the reported number may a fragment be the last: find out first.
                following = fetch(current.index + 1) if current.index + 1 >= reported else None
                if following is None and current.index + 1 >= reported:
                    check_job_size(job, current.index, results_size, decoded, wire)
                self.report.fragment_downloaded(os.path.getsize(current.path))
                self.report.phase("emitting")
                yield current
                if current.index + 1 < reported:
                    following = fetch(current.index + 1)
                current = following
        finally:
            for future, fragment in pending.values():
                future.cancel()
                if not GUARD.stopping.is_set():  # interrupted: the process exits right after
                    with contextlib.suppress(Exception):
                        future.result()
                fragment.discard()

    def _outcome(self, future: Future[bool], in_progress: list[FragmentFile]) -> bool:
        """Wait for a download; meanwhile the totals line stays on time, partial files counted,
        and the queue is looked at with it."""
        while not wait([future], timeout=PROGRESS_CHECK_SECONDS).done:
            if self.report.downloading(sum(_size(f.path) for f in in_progress)):
                self.watch.look()
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


def check_job_size(job: JobInFlight, last: int, results_size: int, decoded: int, wire: int) -> None:
    """Raise JobIncompleteError unless the job's fragments hold what its results_size announced.

    The documentation says neither whether results_size counts compressed or plain bytes nor
    how it splits over fragments, so the job's fragments together must reach it by one of the
    two measures: as decoded, or as received on the wire. A truncated export reaches neither.
    """
    if max(decoded, wire) >= results_size:
        return
    where = f"fragments 0 to {last}" if last > 0 else "fragment 0" if last == 0 else "no fragment"
    msg = (
        f"Job {job.job_id} ({job.window.describe()}) delivered {decoded:,} bytes ({wire:,} on "
        f"the wire) in {where}, short of the {results_size:,} bytes its results_size announced"
    )
    raise JobIncompleteError(msg)
