"""The progress figures as SDK METRIC points, for log pipelines to chart.

Points go through the SDK's public ``metrics.log`` on the stream's metrics logger, so they look
like the SDK's own (``METRIC: {"type": ..., "metric": ..., "value": ..., "tags": ...}``) and obey
the same log level. Counters carry what happened since the previous point of that metric, as the
SDK's ``record_count`` does; their tags carry the running totals. Points written together get
names of their own (not one name with a tag apart), because Meltano's log shows a point's name
and value only.
"""

from __future__ import annotations

import enum
import logging
from typing import TYPE_CHECKING, Any, cast

from singer_sdk import metrics

from tap_peopleai.oplog.bookkeeping import PHASES, StateChange
from tap_peopleai.oplog.download_totals import Totals

if TYPE_CHECKING:
    from tap_peopleai.state.entries import JobInFlight


class ProgressMetric(str, enum.Enum):
    """The tap's metric names, besides the SDK's ``job_duration``."""

    EXPORT_JOB_WAIT = "export_job_wait"
    FRAGMENT_COUNT = "fragment_count"
    DOWNLOAD_BYTES = "download_bytes"
    RETRY_COUNT = "retry_count"
    EXPORT_JOBS_CREATED = "export_jobs_created"
    EXPORT_JOBS_REUSED = "export_jobs_reused"
    EXPORT_JOBS_REPLACED = "export_jobs_replaced"
    # The sync's wall time by what the tap waited for (see reporting.PHASES).
    QUEUED_DURATION = "queued_duration"
    RUNNING_DURATION = "running_duration"
    DOWNLOADING_DURATION = "downloading_duration"
    EMITTING_DURATION = "emitting_duration"


class MetricPoints:
    """Writes the METRIC points of one sync's progress."""

    def __init__(self, metrics_logger: logging.Logger, stream: str) -> None:
        self.metrics_logger = metrics_logger
        self.stream = stream
        self._reported = {"fragments": 0, "bytes": 0, "retries": 0}

    def state_change(self, job: JobInFlight, change: StateChange) -> None:
        """How long a job spent in the state it just left (the SDK's ``job_duration``)."""
        self.point(
            "timer",
            metrics.Metric.JOB_DURATION,
            round(change.seconds_in_previous, 3),
            job_id=job.job_id,
            job_type=job.window.export_type,
            window=job.window.describe(),
            state=change.previous.lower(),
            next_state=change.current.lower(),
        )

    def heartbeat(
        self, what: str, state: str, waited: float, states: list[str], others: int | None
    ) -> None:
        """How long the tap has been waiting, on what, with the queue's make-up."""
        self.point(
            "timer",
            ProgressMetric.EXPORT_JOB_WAIT,
            round(waited, 3),
            waiting_for=what,
            state=state,
            jobs_queued=states.count("queued"),
            jobs_running=states.count("running"),
            other_tools_slots=others,
        )

    def totals(self, totals: Totals, retries: int) -> None:
        """Fragments, bytes and retries since the previous totals point."""
        reported = self._reported
        left = totals.seconds_left
        running = {
            "fragments_total": totals.fragments,
            "fragments_known": max(totals.fragments_known, totals.fragments),
            "bytes_total": totals.downloaded_bytes,
            "records_total": totals.records,
            "bytes_in_progress": totals.in_progress_bytes,
            "seconds_left": None if left is None else round(left, 1),
        }
        fragments = totals.fragments - reported["fragments"]
        self.point("counter", ProgressMetric.FRAGMENT_COUNT, fragments, **running)
        size = totals.downloaded_bytes - reported["bytes"]
        self.point("counter", ProgressMetric.DOWNLOAD_BYTES, size, **running)
        if retries > reported["retries"]:
            self.point("counter", ProgressMetric.RETRY_COUNT, retries - reported["retries"])
        reported.update(fragments=totals.fragments, bytes=totals.downloaded_bytes, retries=retries)

    def summary(self, counters: dict[str, int], spent: dict[str, float]) -> None:
        """Jobs by outcome and the sync's time by phase."""
        for outcome in ("created", "reused", "replaced"):
            metric = ProgressMetric(f"export_jobs_{outcome}")
            self.point("counter", metric, counters[f"jobs_{outcome}"])
        for phase in PHASES:
            metric = ProgressMetric(f"{phase}_duration")
            self.point("timer", metric, round(spent[phase], 3))

    def point(
        self, kind: str, metric: ProgressMetric | metrics.Metric, value: Any, **tags: Any
    ) -> None:
        """One METRIC line."""
        # The SDK types a point's metric as its own enum but only ever writes its value; the
        # tap's names, a str enum too, go through the same public `metrics.log`.
        tags = {"stream": self.stream, **tags}
        metrics.log(
            self.metrics_logger, metrics.Point(kind, cast("metrics.Metric", metric), value, tags)
        )
