"""BATCH mode's orchestration: the pipeline's fragments turned into files by worker processes.

Each fragment is cut into parts (one per worker); its BATCH message, listing the parts in order,
is yielded once every part is written, oldest fragment first, and the fragment is acknowledged
only after the SDK wrote that message. Imported only in BATCH mode (it loads fsspec and ISA-L).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tap_peopleai.batch import files as batches
from tap_peopleai.errors import TapPeopleAIError

if TYPE_CHECKING:
    from singer_sdk.helpers._batch import BaseBatchFileEncoding, BatchConfig

    from tap_peopleai.export.downloads import FragmentFile
    from tap_peopleai.export.pipeline import ExportPipeline
    from tap_peopleai.records.field_notes import FieldReport


def check_encoding(encoding: BaseBatchFileEncoding) -> None:
    """Stop with a clear message for an encoding this tap does not write."""
    if encoding.format != "jsonl" or encoding.compression not in (None, "none", "gzip"):
        msg = (
            f"BATCH mode writes JSON Lines, optionally gzip-compressed: set "
            f'batch_config.encoding to {{"format": "jsonl", "compression": "gzip"}} '
            f"(got format {encoding.format!r}, compression {encoding.compression!r})."
        )
        raise TapPeopleAIError(msg)


@dataclass
class _FragmentInWork:
    fragment: FragmentFile
    tasks: list[batches.BatchFileTask]
    futures: list[Future[batches.BatchFileResult]]

    def done(self) -> bool:
        return all(future.done() for future in self.futures)


class BatchExporter:
    """Writes every fragment of a pipeline as batch files and yields one BATCH message each."""

    def __init__(
        self,
        batch_config: BatchConfig,
        sync_id: str,
        dates: tuple[str, str | None],
        logger: logging.Logger,
        report: FieldReport,
    ) -> None:
        check_encoding(batch_config.encoding)
        self.report = report
        self.config = batch_config
        self.sync_id = sync_id
        self.first_date, self.last_date = dates
        self.logger = logger
        self.workers = batches.batch_processes()
        self.records_outside_dates = 0
        gzip = batch_config.encoding.compression == "gzip"
        self.suffix = ".jsonl.gz" if gzip else ".jsonl"

    def tasks_for(self, fragment: FragmentFile, parts: int) -> list[batches.BatchFileTask]:
        """The parts of one downloaded fragment, each with the file it becomes."""
        storage = self.config.storage
        job = fragment.job
        name = f"{self.sync_id}-{job.window.start}-{job.job_id}-{fragment.index}"
        return [
            batches.BatchFileTask(
                source_path=fragment.path,
                start=start,
                end=end,
                url=storage.get_url(f"{storage.prefix or ''}{name}-{part}{self.suffix}"),
                storage_params=dict(storage.params or {}),
                where=fragment.describe(),
                first_date=self.first_date,
                last_date=self.last_date,
                gzip=self.suffix.endswith(".gz"),
            )
            for part, (start, end) in enumerate(batches.plan_parts(fragment.path, parts))
        ]

    def batches(
        self, pipeline: ExportPipeline
    ) -> Iterator[tuple[BaseBatchFileEncoding, list[str]]]:
        """One (encoding, file URLs) per fragment, in order; acknowledges each after its message."""
        start_method = batches.worker_start_method()
        self.logger.info(
            "Writing batch files with %d worker process(es), %s.",
            self.workers,
            "forked" if start_method == "fork" else "spawned (other threads are running)",
        )
        in_work: deque[_FragmentInWork] = deque()
        # The workers start before the pipeline's download threads, so they can be forked.
        with batches.batch_executor(self.workers, start_method) as pool:
            for fragment in pipeline.fragments():
                tasks = self.tasks_for(fragment, self.workers)
                futures = [pool.submit(batches.write_batch_file, task) for task in tasks]
                in_work.append(_FragmentInWork(fragment, tasks, futures))
                while len(in_work) > self.workers or (in_work and in_work[0].done()):
                    yield from self._finish(pipeline, in_work.popleft())
            while in_work:
                yield from self._finish(pipeline, in_work.popleft())

    def _finish(
        self, pipeline: ExportPipeline, work: _FragmentInWork
    ) -> Iterator[tuple[BaseBatchFileEncoding, list[str]]]:
        results = [future.result() for future in work.futures]
        recovery = pipeline.recovery(work.fragment)
        tasks = work.tasks
        while failed := [result for result in results if result.error is not None]:
            error, line = failed[0].error, failed[0].bad_line
            assert error is not None
            assert line is not None
            recovery.retry(error, line)
            # Downloaded again, so cut afresh; as many parts as before overwrite the same files
            # (fewer, if the new download is much shorter).
            tasks = self.tasks_for(work.fragment, len(tasks))
            results = [batches.write_batch_file(task) for task in tasks]
        self.records_outside_dates += sum(result.outside_dates for result in results)
        for result in results:
            if result.notes is not None:
                self.report.merge(result.notes)
        yield self.config.encoding, [result.url for result in results if result.url is not None]
        # The SDK wrote the BATCH message before asking for more.
        pipeline.acknowledge(work.fragment, sum(result.records for result in results))
