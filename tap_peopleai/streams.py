"""The `activities` stream: every fragment of every export job, in order."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from importlib import resources
from typing import TYPE_CHECKING, Any

from singer_sdk.singerlib import StateMessage
from typing_extensions import override

from tap_peopleai.errors import FragmentDataError, TapPeopleAIError
from tap_peopleai.export import ExportPipeline, PipelineSettings, list_api_jobs
from tap_peopleai.field_notes import FieldReport
from tap_peopleai.interrupts import GUARD, SyncInterrupted
from tap_peopleai.progress import PlanSettings, SyncProgress
from tap_peopleai.records import iter_fragment_lines, parse_activity, within_dates
from tap_peopleai.sdk_internals import FastRecordPath, HideUnhandledErrorNotice, plain_record_path

if TYPE_CHECKING:
    from singer_sdk.helpers._batch import BaseBatchFileEncoding, BatchConfig
    from singer_sdk.helpers.types import Context, Record
    from singer_sdk.tap_base import Tap

    from tap_peopleai.client import PeopleAIClient
    from tap_peopleai.downloads import FragmentFile


class ActivitiesStream(FastRecordPath):
    """Emails, meetings and calls from People.ai's Raw Activity Data export, keyed on `uid`."""

    name = "activities"
    primary_keys = ("uid",)
    replication_key = "ingest_timestamp"
    is_sorted = False
    # One bookmark for the stream: state stays bounded.
    state_partitioning_keys: list[str] = []  # noqa: RUF012

    def __init__(self, tap: Tap, client: PeopleAIClient) -> None:
        schema = resources.files("tap_peopleai.schemas").joinpath("activities.json").read_text()
        super().__init__(tap, schema=json.loads(schema))
        self.client = client
        self.owner = tap
        self.logger.addFilter(HideUnhandledErrorNotice((TapPeopleAIError, SyncInterrupted)))
        self._progress: SyncProgress | None = None
        self.records_outside_dates = 0
        # New field names, converted and kept values: logged as met, summed up at the end.
        self.field_report = FieldReport(self.logger)

    @property
    def progress(self) -> SyncProgress:
        """The sync progress, read from the stream's bookmark on first use."""
        if self._progress is None:
            self._progress = SyncProgress.from_bookmark(self.stream_state)
        return self._progress

    def checkpoint(self) -> None:
        """Write the progress into state and emit a STATE message now."""
        self.progress.write_to(self.stream_state)
        self.owner.state_writer.write_state(self.tap_state)

    def write_final_state(self) -> None:
        """A STATE message now, even if equal to the last one: the sync stops after it."""
        self.progress.write_to(self.stream_state)
        self.owner.message_writer.write_message(StateMessage(value=self.tap_state))

    @override
    def generate_child_contexts(
        self, record: Record, context: Context | None
    ) -> Iterable[Context | None]:
        # No child streams: skip the SDK's per-record child-context work.
        return ()

    @override
    def get_replication_key_signpost(self, context: Context | None = None) -> None:
        return None

    # Settings -----------------------------------------------------------------------------

    @cached_property
    def _plan_settings(self) -> PlanSettings:
        config = self.config
        end_date = config.get("end_date")
        return PlanSettings(
            start_date=dt.date.fromisoformat(str(config["start_date"])[:10]),
            end_date=dt.date.fromisoformat(str(end_date)[:10]) if end_date else None,
            activity_type=config.get("activity_type", "all"),
            snapshot_window_days=int(config.get("snapshot_window_days", 365)),
            delta_window_days=int(config.get("delta_window_days", 14)),
            scheduled_horizon_days=int(config.get("scheduled_horizon_days", 365)),
        )

    @cached_property
    def _date_bounds(self) -> tuple[str, str | None]:
        """The activity dates a record must lie in to be emitted, as ISO strings."""
        dates = self._plan_settings
        return dates.start_date.isoformat(), dates.end_date.isoformat() if dates.end_date else None

    def _pipeline_settings(self) -> PipelineSettings:
        config = self.config
        return PipelineSettings(
            activity_type=config.get("activity_type", "all"),
            poll_interval=float(config.get("poll_interval", 10)),
            job_timeout=float(config.get("job_timeout", 21600)),
            reserved_queue_slots=int(config.get("reserved_queue_slots", 2)),
            download_workers=int(config.get("download_workers", 4)),
            temp_dir=config.get("temp_dir"),
        )

    # The export ---------------------------------------------------------------------------

    def _pipeline(self) -> ExportPipeline:
        # The job list (for resuming) also fixes "today" from the server's clock (Date header).
        listed_jobs = list_api_jobs(self.client)
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

    def _log_finished(self, pipeline: ExportPipeline, outside_dates: int) -> None:
        self.checkpoint()
        self.field_report.log_summary()
        self.logger.info(
            "Sync finished: %s. Records dated outside start_date..end_date, not emitted: %d.",
            ", ".join(f"{k}={v}" for k, v in pipeline.counters.items()),
            outside_dates,
        )

    @override
    def get_records(self, context: Context | None) -> Iterable[Record]:
        self.fast_writer = plain_record_path(self, self.owner.message_writer)
        with self._pipeline() as pipeline, GUARD.on_interrupt(self._stopper(pipeline)):
            for fragment in pipeline.fragments():
                yield from self._fragment_records(pipeline, fragment)
                # The SDK wrote every record yielded so far before asking for the next.
                pipeline.acknowledge(fragment)
            self._log_finished(pipeline, self.records_outside_dates)

    def _stopper(self, pipeline: ExportPipeline) -> Callable[[SyncInterrupted], None]:
        """What an interrupt does: a final STATE for what was acknowledged, files removed."""

        def stop(interrupt: SyncInterrupted) -> None:
            interrupt.summary = pipeline.resume_point()
            self.write_final_state()
            pipeline.close()

        return stop

    def _fragment_records(
        self, pipeline: ExportPipeline, fragment: FragmentFile
    ) -> Iterator[dict[str, Any]]:
        start, end = self._date_bounds
        where = fragment.describe()
        self.time_extracted = dt.datetime.now(dt.timezone.utc).isoformat()
        recovery = pipeline.recovery(fragment)
        while True:
            try:
                with open(fragment.path, "rb") as stream:
                    for number, line in iter_fragment_lines(stream):
                        record, _ = parse_activity(line, number, where, self.field_report)
                        if not within_dates(record, start, end):
                            self.records_outside_dates += 1
                            continue
                        yield record
                return
            except FragmentDataError as exc:
                recovery.retry(str(exc), exc.line_number)

    @override
    def get_batches(
        self, batch_config: BatchConfig, context: Context | None = None
    ) -> Iterator[tuple[BaseBatchFileEncoding, list[str]]]:
        # Imported only here: RECORD mode needs neither the worker pool nor ISA-L's gzip.
        from tap_peopleai.batch_export import BatchExporter  # noqa: PLC0415

        sync_id = f"{self.tap_name}--{self.name}-{uuid.uuid4()}"
        exporter = BatchExporter(
            batch_config, sync_id, self._date_bounds, self.logger, self.field_report
        )
        with self._pipeline() as pipeline, GUARD.on_interrupt(self._stopper(pipeline)):
            yield from exporter.batches(pipeline)
            self._log_finished(pipeline, exporter.records_outside_dates)
