"""The `activities` stream: every fragment of every export job, in order."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from abc import abstractmethod
from collections.abc import Callable, Generator, Iterable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from singer_sdk.mapper import RemoveRecordTransform
from singer_sdk.singerlib import ActivateVersionMessage, StateMessage
from singer_sdk.streams import Stream
from singer_sdk.tap_base import Tap
from typing_extensions import override

from tap_peopleai.errors import FragmentDataError, StateAheadError, TapPeopleAIError
from tap_peopleai.export.pipeline import ExportPipeline, list_api_jobs
from tap_peopleai.interrupts import GUARD, SyncInterrupted
from tap_peopleai.records.field_notes import FieldReport
from tap_peopleai.records.parsing import iter_fragment_lines, parse_activity, within_dates
from tap_peopleai.records.schema import stream_schema
from tap_peopleai.sdk.internals import FastRecordPath, HideUnhandledErrorNotice, plain_record_path
from tap_peopleai.settings.objects import PipelineSettings, PlanSettings, TapSettings
from tap_peopleai.state.progress import SyncProgress
from tap_peopleai.state.reconciliation import RECONCILE_HORIZON, RowVersions

if TYPE_CHECKING:
    from singer_sdk.helpers._batch import BaseBatchFileEncoding, BatchConfig
    from singer_sdk.helpers.types import Context, Record

    from tap_peopleai.api.client import PeopleAIClient
    from tap_peopleai.export.downloads import FragmentFile


class SettingsTap(Tap):
    """A tap whose streams read its typed settings when a sync starts (discovery parses none).

    The streams' view of TapPeopleAI: typing them with it would make this module import the
    module that imports it.
    """

    @property
    @abstractmethod
    def settings(self) -> TapSettings:
        """The tap's settings, parsed once."""


class ActivitiesStream(FastRecordPath):
    """Emails, meetings and calls from People.ai's Raw Activity Data export, keyed on `uid`."""

    name = "activities"
    primary_keys = ("uid",)
    replication_key = "ingest_timestamp"
    is_sorted = False
    # One bookmark for the stream: state stays bounded.
    state_partitioning_keys: list[str] = []  # noqa: RUF012

    def __init__(self, tap: SettingsTap, client: PeopleAIClient) -> None:
        super().__init__(tap, schema=copy.deepcopy(stream_schema(self.name)))
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
    def plan_settings(self) -> PlanSettings:
        """The settings that shape this sync's windows."""
        return self.owner.settings.plan

    @cached_property
    def _date_bounds(self) -> tuple[str, str | None]:
        """The activity dates a record must lie in to be emitted, as ISO strings."""
        dates = self.plan_settings
        return dates.start_date.isoformat(), dates.end_date.isoformat() if dates.end_date else None

    def _pipeline_settings(self) -> PipelineSettings:
        return self.owner.settings.pipeline

    # The export ---------------------------------------------------------------------------

    def _pipeline(self) -> ExportPipeline:
        # The job list (for resuming) also fixes "today" from the server's clock (Date header).
        listed_jobs = list_api_jobs(self.client)
        today = self.client.server_now().date()
        ahead = self.progress.days_ahead_of(today)
        if ahead:
            raise StateAheadError(ahead, today, self.client.http.server_clock.source())
        # The plan line comes from the pipeline, once it knows which jobs it resumes.
        windows = self.progress.plan(self.plan_settings, today)
        return ExportPipeline(
            self.client,
            self.progress,
            windows,
            self._pipeline_settings(),
            today,
            checkpoint=self.checkpoint,
            logger=self.logger,
            listed_jobs=listed_jobs,
            metrics_logger=self.metrics_logger,
        )

    def _log_finished(self, pipeline: ExportPipeline, outside_dates: int) -> None:
        self.checkpoint()
        self.field_report.log_summary()
        pipeline.report.summary(pipeline.counters, outside_dates)

    @override
    def get_records(self, context: Context | None) -> Iterable[Record]:
        self.fast_writer = plain_record_path(self, self.owner.message_writer)
        with self._pipeline() as pipeline, GUARD.on_interrupt(self._stopper(pipeline)):
            reconciliation = self.progress.reconciliation
            versions = RowVersions(
                reconciliation.sync_started if reconciliation else dt.datetime.now(dt.timezone.utc)
            )
            for fragment in pipeline.fragments():
                records = yield from self._fragment_records(pipeline, fragment, versions)
                # The SDK wrote every record yielded so far before asking for the next.
                pipeline.acknowledge(fragment, records)
            if reconciliation is not None and reconciliation.done:
                self._activate_version(reconciliation.version)
                if not self.owner.streams["reconciliations"].selected:
                    self.progress.end_reconciliation()  # nothing else will write its row
            self._log_finished(pipeline, self.records_outside_dates)

    def _activate_version(self, version: int) -> None:
        """Tell the loader that every row of a lower version was erased at the source."""
        self.logger.info(
            "Reconciliation %d complete: rows the re-export did not return are now marked "
            "deleted (ACTIVATE_VERSION; sync_version below %d).",
            version,
            version,
        )
        for stream_map in self.stream_maps:
            if not isinstance(stream_map, RemoveRecordTransform):
                self.owner.write_message(
                    ActivateVersionMessage(stream=stream_map.stream_alias, version=version)
                )

    def _stopper(self, pipeline: ExportPipeline) -> Callable[[SyncInterrupted], None]:
        """What an interrupt does: a final STATE for what was acknowledged, files removed."""

        def stop(interrupt: SyncInterrupted) -> None:
            interrupt.summary = pipeline.resume_point()
            self.write_final_state()
            pipeline.close()

        return stop

    def _fragment_records(
        self, pipeline: ExportPipeline, fragment: FragmentFile, versions: RowVersions
    ) -> Generator[dict[str, Any], None, int]:
        """The fragment's records within the dates; returns how many were yielded."""
        start, end = self._date_bounds
        yielded = 0
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
                        record["sync_version"] = versions.of(record.get("timestamp"))
                        yielded += 1
                        yield record
                return yielded
            except FragmentDataError as exc:
                recovery.retry(str(exc), exc.line_number)

    @override
    def get_batches(
        self, batch_config: BatchConfig, context: Context | None = None
    ) -> Iterator[tuple[BaseBatchFileEncoding, list[str]]]:
        if self.plan_settings.reconcile:
            msg = (
                "`reconcile` needs RECORD mode: BATCH files carry no row versions, so the loader "
                "could not tell erased rows from live ones. Unset `batch_config` for the "
                "reconciliation run (tap-peopleai-reconcile in meltano.yml does)."
            )
            raise TapPeopleAIError(msg)
        # Imported only here: RECORD mode needs neither the worker pool nor ISA-L's gzip.
        from tap_peopleai.batch.exporter import BatchExporter  # noqa: PLC0415

        sync_id = f"{self.tap_name}--{self.name}-{uuid.uuid4()}"
        exporter = BatchExporter(
            batch_config, sync_id, self._date_bounds, self.logger, self.field_report
        )
        with self._pipeline() as pipeline, GUARD.on_interrupt(self._stopper(pipeline)):
            yield from exporter.batches(pipeline)
            self._log_finished(pipeline, exporter.records_outside_dates)


class ReconciliationsStream(Stream):
    """One row per completed reconciliation: the version below which activity rows were erased.

    Loaders that ignore ACTIVATE_VERSION (target-duckdb, target-jsonl) keep erased rows; with
    this table, a row is live when its ``sync_version`` is at least the latest ``version`` here.
    """

    name = "reconciliations"
    primary_keys = ("reconciliation_id",)
    replication_key = None

    def __init__(self, tap: Tap, activities: ActivitiesStream) -> None:
        super().__init__(tap, schema=copy.deepcopy(stream_schema(self.name)))
        self.activities = activities

    @override
    def get_records(self, context: Context | None) -> Iterable[Record]:
        progress = self.activities.progress
        reconciliation = progress.reconciliation
        if reconciliation is None or not reconciliation.done:
            return
        settings = self.activities.plan_settings
        yield reconciliation.record(
            dt.datetime.now(dt.timezone.utc),
            settings.start_date,
            reconciliation.planned_on + RECONCILE_HORIZON,
        )
        progress.end_reconciliation()
        self.activities.checkpoint()
