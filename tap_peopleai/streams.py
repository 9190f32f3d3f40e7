"""The `activities` stream: every fragment of every export job is one partition."""

from __future__ import annotations

import json
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from functools import cached_property
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

from singer_sdk.helpers._util import utc_now
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.streams import Stream
from typing_extensions import override

from tap_peopleai.errors import DamagedFragmentError, FragmentDataError, TapPeopleAIError
from tap_peopleai.export import ExportPipeline, FragmentFile, PipelineSettings
from tap_peopleai.progress import PlanSettings, SyncProgress
from tap_peopleai.records import iter_fragment_lines, parse_activity, within_dates
from tap_peopleai.writer import BufferedOrjsonWriter

if TYPE_CHECKING:
    from singer_sdk.helpers._batch import BaseBatchFileEncoding, BatchConfig
    from singer_sdk.helpers.types import Context, Record
    from singer_sdk.tap_base import Tap

    from tap_peopleai.batches import BatchFileResult, BatchFileTask
    from tap_peopleai.client import PeopleAIClient
    from tap_peopleai.tap import TapPeopleAI


# A fragment whose JSON breaks is downloaded again this many times before the tap gives up.
FRAGMENT_ATTEMPTS = 3


class ActivitiesStream(Stream):
    """Emails, meetings and calls from People.ai's Raw Activity Data export, keyed on `uid`."""

    name = "activities"
    primary_keys = ("uid",)
    replication_key = "ingest_timestamp"
    is_sorted = False
    # One bookmark for the stream, not one per fragment: state stays bounded.
    state_partitioning_keys: list[str] = []  # noqa: RUF012

    def __init__(self, tap: Tap, client: PeopleAIClient) -> None:
        schema = resources.files("tap_peopleai.schemas").joinpath("activities.json").read_text()
        super().__init__(tap, schema=json.loads(schema))
        self.client = client
        self._partitions: Iterator[dict[str, Any]] | None = None
        self._fragment: FragmentFile | None = None
        self._progress: SyncProgress | None = None
        self.records_outside_dates = 0
        self._time_extracted = ""

    @property
    def progress(self) -> SyncProgress:
        """The sync progress, read from the stream's bookmark on first use."""
        if self._progress is None:
            self._progress = SyncProgress.from_bookmark(self.stream_state)
        return self._progress

    def checkpoint(self) -> None:
        """Write the progress into state and emit a STATE message now."""
        self.progress.write_to(self.stream_state)
        self.state_manager.is_flushed = False
        self._write_state_message()

    @property
    @override
    def partitions(self) -> Iterable[dict[str, Any]] | None:  # type: ignore[override]
        # The SDK reads this twice per run; export jobs must be planned and created only once.
        if self._partitions is None:
            self._partitions = self._fragment_contexts()
        return self._partitions

    @cached_property
    def _writer(self) -> BufferedOrjsonWriter | None:
        """The tap's writer when records may skip the SDK's generic record path, else None.

        Records parsed from the export are JSON-native and normalised already, so type
        conformance has nothing to change; with no stream maps, flattening or deselected
        properties, the SDK would only re-walk and re-serialise them slowly.
        """
        writer = self._tap.message_writer
        maps = self.stream_maps
        plain = (
            len(maps) == 1
            and type(maps[0]) is SameRecordTransform
            and not maps[0].flattening_enabled
            and all(self.mask.values())
        )
        return writer if plain and isinstance(writer, BufferedOrjsonWriter) else None

    @override
    def _write_record_message(self, record: Record) -> None:
        writer = self._writer
        if writer is None:
            super()._write_record_message(record)
            return
        writer.write_record(self.name, record, self._time_extracted)
        self.state_manager.is_flushed = False

    @override
    def generate_child_contexts(
        self, record: Record, context: Context | None
    ) -> Iterable[Context | None]:
        # No child streams: skip the SDK's per-record child-context work.
        return ()

    # Syncs resume from the window cursor in the bookmark, not from a replication-key value:
    # ``ingest_timestamp`` is declared so catalogs show what deltas select on, but the SDK's
    # per-record key bookkeeping (progress markers, signposts, starting values) would only add
    # misleading "not resumable" notes to a state that is resumable, at a cost per record.

    @override
    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        return

    @override
    def _write_starting_replication_value(self, context: Context | None) -> None:
        return

    @override
    def get_replication_key_signpost(self, context: Context | None = None) -> None:
        return None

    @cached_property
    def _plan_settings(self) -> PlanSettings:
        return cast("TapPeopleAI", self._tap).settings.plan

    @cached_property
    def _date_bounds(self) -> tuple[str, str | None]:
        """The activity dates a record must lie in to be emitted, as ISO strings."""
        dates = self._plan_settings
        return dates.start_date.isoformat(), dates.end_date.isoformat() if dates.end_date else None

    def _pipeline_settings(self) -> PipelineSettings:
        return cast("TapPeopleAI", self._tap).settings.pipeline

    def _pipeline(self) -> ExportPipeline:
        # The job list (for resuming) also fixes "today" from the server's clock (Date header).
        listed_jobs = self.client.list_jobs()
        today = self.client.server_now().date()
        windows = self.progress.plan(self._plan_settings, today)
        self.logger.info(
            "Planned %d %s window(s) for this sync (today is %s by the API's clock): %s",
            len(windows),
            windows[0].export_type if windows else "export",
            today,
            ", ".join(w.describe() for w in windows[:5]) + (" …" if len(windows) > 5 else ""),
        )
        return ExportPipeline(
            self.client,
            self.progress,
            windows,
            self._pipeline_settings(),
            today,
            checkpoint=self.checkpoint,
            logger=self.logger,
            listed_jobs=listed_jobs,
        )

    def _log_finished(self, pipeline: ExportPipeline) -> None:
        self.checkpoint()
        self.logger.info(
            "Sync finished: %s. Records dated outside start_date..end_date, not emitted: %d.",
            ", ".join(f"{k}={v}" for k, v in pipeline.counters.items()),
            self.records_outside_dates,
        )

    def _fragment_contexts(self) -> Iterator[dict[str, Any]]:
        pipeline = self._pipeline()
        for fragment in pipeline.fragments():
            self._fragment = fragment
            yield {
                "export_type": fragment.job.window.export_type,
                "start_date": fragment.job.window.start.isoformat(),
                "end_date": fragment.job.window.end.isoformat(),
                "job_id": fragment.job.job_id,
                "fragment": fragment.index,
            }
            # The SDK asks for the next partition only once this one's records are written.
            pipeline.acknowledge(fragment)
        self._fragment = None
        self._log_finished(pipeline)

    def _recover_from_bad_line(
        self,
        fragment: FragmentFile,
        error: str,
        line_number: int,
        attempt: int,
        bad_lines: list[int],
    ) -> None:
        """Download a fragment with a broken line again, or give up if it stays broken."""
        if attempt >= FRAGMENT_ATTEMPTS or line_number in bad_lines:
            # The file itself is damaged. Forget the job so the next sync exports the window
            # afresh; the cursor stays before it.
            self.progress.drop_job(fragment.job)
            self.checkpoint()
            msg = (
                f"{error}. The line was still invalid after downloading the fragment {attempt} "
                "times, so the export file is damaged. Records after it were not emitted and "
                "the cursor did not move. Run the tap again to export this window with a new "
                "job; if the error repeats, report the job id to People.ai support."
            )
            raise DamagedFragmentError(msg)
        bad_lines.append(line_number)
        self.logger.warning(
            "%s. Downloading the fragment again; records already emitted from it will be "
            "emitted again.",
            error,
        )
        fragment.refetch()

    @override
    def get_batches(
        self, batch_config: BatchConfig, context: Context | None = None
    ) -> Iterator[tuple[BaseBatchFileEncoding, list[str]]]:
        encoding = batch_config.encoding
        if encoding.format != "jsonl" or encoding.compression not in (None, "none", "gzip"):
            msg = (
                f"BATCH mode writes JSON Lines, optionally gzip-compressed: set "
                f'batch_config.encoding to {{"format": "jsonl", "compression": "gzip"}} '
                f"(got format {encoding.format!r}, compression {encoding.compression!r})."
            )
            raise TapPeopleAIError(msg)
        # The SDK reads `partitions` again after a BATCH sync; it must not start another export.
        self._partitions = iter(())
        first, last = self._date_bounds
        storage = batch_config.storage
        sync_id = f"{self.tap_name}--{self.name}-{uuid.uuid4()}"
        pipeline = self._pipeline()
        # Imported only here: RECORD mode has no use for msgspec (40 ms of imports).
        from tap_peopleai import batches  # noqa: PLC0415

        workers = batches.batch_processes()
        suffix = ".jsonl.gz" if encoding.compression == "gzip" else ".jsonl"

        def tasks_for(fragment: FragmentFile, parts: int) -> list[BatchFileTask]:
            job = fragment.job
            name = f"{sync_id}-{job.window.start}-{job.job_id}-{fragment.index}"
            return [
                batches.BatchFileTask(
                    source_path=fragment.path,
                    start=start,
                    end=end,
                    url=storage.get_url(f"{storage.prefix or ''}{name}-{part}{suffix}"),
                    storage_params=dict(storage.params or {}),
                    where=fragment.describe(),
                    first_date=first,
                    last_date=last,
                    gzip=encoding.compression == "gzip",
                )
                for part, (start, end) in enumerate(batches.plan_parts(fragment.path, parts))
            ]

        pending: deque[tuple[FragmentFile, list[BatchFileTask], list[Future[BatchFileResult]]]] = (
            deque()
        )
        start_method = batches.worker_start_method()
        self.logger.info(
            "Writing batch files with %d worker process(es), %s.",
            workers,
            "forked" if start_method == "fork" else "spawned (other threads are running)",
        )
        with batches.batch_executor(workers, start_method) as pool:

            def finish_oldest() -> Iterator[tuple[BaseBatchFileEncoding, list[str]]]:
                fragment, tasks, futures = pending.popleft()
                results, attempt = [future.result() for future in futures], 1
                bad_lines: list[int] = []
                while failed := [result for result in results if result.error is not None]:
                    assert failed[0].error is not None
                    assert failed[0].bad_line is not None
                    self._recover_from_bad_line(
                        fragment, failed[0].error, failed[0].bad_line, attempt, bad_lines
                    )
                    attempt += 1
                    # Downloaded again, so cut afresh; as many parts as before overwrite the
                    # same files (fewer, if the new download is much shorter).
                    tasks = tasks_for(fragment, len(tasks))
                    results = [batches.write_batch_file(task) for task in tasks]
                self.records_outside_dates += sum(result.outside_dates for result in results)
                yield encoding, [result.url for result in results if result.url is not None]
                # The SDK wrote the BATCH message before asking for more.
                pipeline.acknowledge(fragment)

            for fragment in pipeline.fragments():
                tasks = tasks_for(fragment, workers)
                futures = [pool.submit(batches.write_batch_file, task) for task in tasks]
                pending.append((fragment, tasks, futures))
                while len(pending) > workers or (
                    pending and all(future.done() for future in pending[0][2])
                ):
                    yield from finish_oldest()
            while pending:
                yield from finish_oldest()
        self._log_finished(pipeline)

    @override
    def get_records(self, context: Context | None) -> Iterable[Record]:
        fragment = self._fragment
        if fragment is None:
            return
        start, end = self._date_bounds
        where = fragment.describe()
        self._time_extracted = utc_now().isoformat()
        bad_lines: list[int] = []
        for attempt in range(1, FRAGMENT_ATTEMPTS + 1):
            try:
                with open(fragment.path, "rb") as stream:
                    for number, line in iter_fragment_lines(stream):
                        record, _ = parse_activity(line, number, where)
                        if not within_dates(record, start, end):
                            self.records_outside_dates += 1
                            continue
                        yield record
                return
            except FragmentDataError as exc:
                self._recover_from_bad_line(fragment, str(exc), exc.line_number, attempt, bad_lines)
