"""Singer message output: orjson serialisation and buffered stdout.

The SDK's default writer serialises with simplejson and flushes stdout after every message,
which costs more than everything else a record goes through. This writer buffers RECORD
messages and flushes before anything else (STATE above all), so a STATE message never
reaches the target ahead of the records it vouches for.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import sys
from typing import Any

import orjson
from singer_sdk.singerlib.encoding import GenericSingerWriter
from singer_sdk.singerlib.messages import Message, SingerMessageType
from typing_extensions import override

from tap_peopleai.interrupts import GUARD

FLUSH_BYTES = 1 << 20


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


class BufferedOrjsonWriter(GenericSingerWriter[bytes, Message]):
    """Writes Singer messages as orjson lines to stdout, buffering records between flushes."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    @override
    def serialize_message(self, message: Message) -> bytes:
        return orjson.dumps(message.to_dict(), default=_default)

    @override
    def write_message(self, message: Message) -> None:
        # One append per message, so the buffer only ever holds whole lines.
        self._buffer += orjson.dumps(
            message.to_dict(), default=_default, option=orjson.OPT_APPEND_NEWLINE
        )
        if message.type != SingerMessageType.RECORD or len(self._buffer) >= FLUSH_BYTES:
            self.flush()

    def write_record(
        self, stream: str, record: dict[str, Any], time_extracted: str, version: int | None
    ) -> None:
        """Append one RECORD message for an already-normalised, JSON-native record."""
        self._buffer += orjson.dumps(
            {
                "type": "RECORD",
                "stream": stream,
                "record": record,
                "version": version,
                "time_extracted": time_extracted,
            },
            default=_default,
            option=orjson.OPT_APPEND_NEWLINE,
        )
        if len(self._buffer) >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Hand everything buffered to stdout."""
        if not self._buffer:
            return
        with GUARD.writing():
            self._write(bytes(self._buffer))

    def _write(self, data: bytes) -> None:
        self._buffer.clear()
        stdout = sys.stdout
        raw = getattr(stdout, "buffer", None)
        if raw is None:  # stdout replaced by a text-only stream (tests capturing output)
            stdout.write(data.decode())
            stdout.flush()
            return
        stdout.flush()
        raw.flush()
        try:
            fd = raw.fileno()
        except (AttributeError, OSError, ValueError):  # an in-memory stream
            raw.write(data)
            raw.flush()
            return
        # os.write in a loop, not raw.write: a signal arriving while a pipe is full makes
        # BufferedWriter.write return after a partial write, silently dropping the rest.
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
