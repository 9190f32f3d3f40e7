"""The target: TargetPostgres with the bulk sink, and STATE passed on after each BATCH commit."""

from __future__ import annotations

import copy
import functools
from types import FrameType
from typing import Any, ClassVar

from singer_sdk import typing as th
from singer_sdk.helpers._batch import BaseBatchFileEncoding
from target_postgres.target import TargetPostgres

from target_postgres_bulk.errors import BulkLoadError
from target_postgres_bulk.sink import BulkPostgresSink
from target_postgres_bulk.writer import BatchWriter

_KEEP_BATCH_FILES = th.Property(
    "keep_batch_files",
    th.BooleanType,
    default=False,
    description="Keep the files of BATCH messages once loaded (default: remove them).",
).to_dict()


class TargetPostgresBulk(TargetPostgres):
    """PostgreSQL loader; BATCH files load by COPY into staging and one set-based upsert."""

    name = "target-postgres-bulk"
    package_name = "target-postgres-bulk"
    config_jsonschema: ClassVar[dict[str, Any]] = {
        **TargetPostgres.config_jsonschema,
        "properties": {**TargetPostgres.config_jsonschema["properties"], **_KEEP_BATCH_FILES},
    }
    default_sink_class = BulkPostgresSink

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().__init__(*args, **kwargs)
        except AssertionError as exc:
            # The base loader asserts its connection settings.
            msg = (
                f"incomplete connection settings: {exc}. Set sqlalchemy_url, or host, port, "
                "user, password and database (in Meltano: TARGET_POSTGRES_HOST, _PORT, _USER, "
                "_PASSWORD, _DATABASE)"
            )
            raise BulkLoadError(msg) from None
        self._writer = BatchWriter(self._write_state_message)

    def _process_batch_message(self, message_dict: dict[str, Any]) -> None:
        """Stage the BATCH message's files (COPY) while the previous batch is written, then
        have this one written; the latest STATE received before it is passed on after its
        commit, so Meltano never holds a state ahead of the rows. (The base target would also
        drain every sink after five minutes here, confirming the latest STATE while this batch
        is still being written: the RECORD path drains instead, after waiting for the writes.)"""
        encoding = BaseBatchFileEncoding.from_dict(message_dict["encoding"])
        state = copy.deepcopy(self._latest_state)
        stream_maps = self.mapper.stream_maps[message_dict["stream"]]
        for number, stream_map in enumerate(stream_maps, 1):
            sink = self.get_sink(stream_map.stream_alias)
            try:
                staged = sink.stage(encoding, message_dict["manifest"])
            except BaseException:
                self._writer.wait()  # the batches before this one: written and confirmed
                raise
            confirmed = state if number == len(stream_maps) else None
            self._writer.submit(functools.partial(sink.write, staged), confirmed)

    def _process_record_message(self, message_dict: dict[str, Any]) -> None:
        self._writer.wait()
        super()._process_record_message(message_dict)

    def _process_schema_message(self, message_dict: dict[str, Any]) -> None:
        self._writer.wait()
        super()._process_schema_message(message_dict)

    def _process_activate_version_message(self, message_dict: dict[str, Any]) -> None:
        self._writer.wait()
        super()._process_activate_version_message(message_dict)

    def process_endofpipe(self) -> None:
        self._writer.close()
        super().process_endofpipe()

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """On SIGTERM/SIGINT the base target drains its sinks and confirms the latest STATE: only
        once the batch being written is committed, and not at all if its write failed."""
        try:
            self._writer.wait()
        except Exception:  # the base target's handler still runs, confirming nothing new
            self._latest_state = None
        super()._handle_termination(signum, frame)
