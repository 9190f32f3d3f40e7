"""Every use of singer-sdk internals, in one place, each with why and what it relies on.

The tap uses public SDK APIs wherever they exist. What is here has no public equivalent, and
``INTERNALS`` lists it so that ``tests/tap/test_sdk_internals.py`` fails, naming the piece, when
an SDK upgrade removes or changes one of them:

- ``Stream._write_record_message(record)``: overridden so that records skip the SDK's generic
  record path (type conformance, re-serialisation: 10x slower) when nothing would change them.
- ``Stream._increment_stream_state(latest_record, *, context)`` and
  ``Stream._write_starting_replication_value(context)``: overridden to do nothing. Syncs resume
  from the window cursor in the bookmark, not from a replication-key value; ``ingest_timestamp``
  stays declared (catalogs show what deltas select on, and without a key the SDK would treat the
  stream as FULL_TABLE and emit ACTIVATE_VERSION), but the SDK's per-record key bookkeeping would
  only add misleading "not resumable" notes to a state that is resumable, at a cost per record.
- The text of the SDK's "An unhandled error occurred while syncing" notice, filtered out of the
  log when the tap raises an error it explains itself (``HideUnhandledErrorNotice``).
- ``Stream._stream_version``: the version the SDK's record path puts into RECORD messages, set
  per record to its ``sync_version`` when stream maps make records take that path.
- ``Stream.state_manager.is_flushed``: set after a record written by the fast path, as the SDK's
  own ``_write_record_message`` does, so the SDK still writes its final STATE.
- The SDK's ``--state`` and ``--catalog`` options (``INPUT_FILE_OPTIONS``), replaced by options
  the tap reads itself: click opens them (a missing file is a multi-line usage error) and the SDK
  parses them (bad JSON is a traceback); ``--config`` has a public callback, ``cb_config``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

import click
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.streams import Stream

from tap_peopleai.sdk.writer import BufferedOrjsonWriter

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record

# (owner, attribute, parameter names it must accept) for each internal the tap relies on.
INTERNALS: tuple[tuple[type, str, tuple[str, ...]], ...] = (
    (Stream, "_write_record_message", ("self", "record")),
    (Stream, "_increment_stream_state", ("self", "latest_record", "context")),
    (Stream, "_write_starting_replication_value", ("self", "context")),
)


def plain_record_path(stream: Stream, writer: Any) -> BufferedOrjsonWriter | None:
    """The tap's writer when records may skip the SDK's record path, else None.

    Records parsed from the export are JSON-native and normalised already, so type conformance
    has nothing to change; with no stream maps, flattening or deselected properties, the SDK
    would only re-walk and re-serialise them slowly.
    """
    maps = stream.stream_maps
    plain = (
        len(maps) == 1
        and type(maps[0]) is SameRecordTransform
        and not maps[0].flattening_enabled
        and all(stream.mask.values())
    )
    return writer if plain and isinstance(writer, BufferedOrjsonWriter) else None


class FastRecordPath(Stream):
    """A stream whose plain records go straight to the tap's buffered writer."""

    fast_writer: BufferedOrjsonWriter | None = None
    time_extracted = ""

    def _write_record_message(self, record: Record) -> None:
        writer = self.fast_writer
        version = record.get("sync_version")
        if writer is None:
            # The SDK stamps every RECORD message with the stream's version; here each row
            # carries its own (see reconciliation.py).
            self._stream_version = version
            super()._write_record_message(record)
            return
        writer.write_record(self.name, record, self.time_extracted, version)
        self.state_manager.is_flushed = False

    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        return

    def _write_starting_replication_value(self, context: Context | None) -> None:
        return


# The SDK logs this at ERROR before re-raising any exception from a stream's sync. For an error
# the tap explains in one line itself, it is noise ahead of the real message.
UNHANDLED_ERROR_NOTICE = "An unhandled error occurred while syncing '%s'"


class HideUnhandledErrorNotice(logging.Filter):
    """Drops the SDK's notice above while one of the tap's own errors is being raised."""

    def __init__(self, explained: tuple[type[BaseException], ...]) -> None:
        super().__init__()
        self.explained = explained

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != UNHANDLED_ERROR_NOTICE:
            return True
        return not isinstance(sys.exc_info()[1], self.explained)


# The SDK's options that name an input file besides --config.
INPUT_FILE_OPTIONS = ("state", "catalog")
InputFileCallback = Callable[[click.Context, click.Parameter, "str | None"], "IO[str] | None"]


def read_input_files_with(command: click.Command, callback: InputFileCallback) -> click.Command:
    """``command`` with the SDK's --state and --catalog replaced by options whose ``callback``
    reads the file and hands the SDK its text as an open file, as click's would have been."""

    def replaced(option: click.Parameter) -> click.Parameter:
        if option.name not in INPUT_FILE_OPTIONS:
            return option
        help_text = option.help if isinstance(option, click.Option) else None
        return click.Option(option.opts, help=help_text, metavar="FILE", callback=callback)

    command.params = [replaced(option) for option in command.params]
    return command
