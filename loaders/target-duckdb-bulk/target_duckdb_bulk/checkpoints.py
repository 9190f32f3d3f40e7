"""When and how the loader checkpoints its DuckDB file: under half the loads' memory limit.

A checkpoint writes the write-ahead log into the file, rewriting every row group the loads since
the last one changed. It is the loader's most memory-hungry moment: measured (530,714 activities,
107 BATCH messages, memory_limit 128MB), the loader peaks at 240 MB during its checkpoints and at
180 MB during its loads. Under half the limit the checkpoints peak at 187 MB, in the same time.
So the loader checkpoints itself, under half the limit, whenever the log has grown past
`WAL_BYTES_PER_CHECKPOINT` and once more before it closes the file; DuckDB's own automatic
checkpoint stays set far above that, for a single batch larger than it.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

from target_duckdb_bulk.columns import literal
from target_duckdb_bulk.errors import LoaderError

# Fewer checkpoints are faster (each rewrites the row groups changed since the last one):
# measured, 16 MB (DuckDB's default) took twice the time of 1 GB, and 256 MB the same as 1 GB.
WAL_BYTES_PER_CHECKPOINT = 256 * 2**20
AUTOMATIC_CHECKPOINT_THRESHOLD = "1GB"

_UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50}
_RENDERED_SIZE = re.compile(r"(\d+(?:\.\d+)?) ?(bytes|[KMGTP]iB)")


def rendered_bytes(text: str) -> int:
    """Bytes of a size as DuckDB renders a setting (``122.0 MiB``, ``0 bytes``)."""
    match = _RENDERED_SIZE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a size as DuckDB renders one: {text!r}")
    number, unit = match.groups()
    return int(float(number) * _UNITS[unit])


class Checkpoints:
    """Checkpoints of one DuckDB file, each under half of the loads' memory limit."""

    def __init__(
        self,
        connection: Any,
        wal_path: Path,
        memory_limit: str,
        logger: logging.Logger,
        wal_bytes_per_checkpoint: int = WAL_BYTES_PER_CHECKPOINT,
    ) -> None:
        self.connection = connection
        self.logger = logger
        self.wal_path = wal_path
        self.memory_limit = memory_limit  # the loads' limit, as the user gave it
        self.wal_bytes_per_checkpoint = wal_bytes_per_checkpoint
        connection.execute(f"set checkpoint_threshold = {literal(AUTOMATIC_CHECKPOINT_THRESHOLD)}")
        [(limit,)] = connection.execute("select current_setting('memory_limit')").fetchall()
        try:
            self.checkpoint_limit = f"{rendered_bytes(str(limit)) // 2}B"
        except ValueError:
            raise LoaderError(
                f"setting memory_limit {memory_limit}: DuckDB reports it as {limit!r}, which this "
                "loader cannot read; give it in MB or GB (e.g. 128MB)"
            ) from None

    def wal_bytes(self) -> int:
        """Size of the write-ahead log now (0 when there is none)."""
        try:
            return self.wal_path.stat().st_size
        except FileNotFoundError:
            return 0

    def due(self) -> bool:
        """Whether the log has grown past the size per checkpoint."""
        return self.wal_bytes() >= self.wal_bytes_per_checkpoint

    def checkpoint(self) -> None:
        """Write the log into the file under half the limit, then give the loads theirs back."""
        wal = self.wal_bytes()
        started = time.perf_counter()
        self.connection.execute(f"set memory_limit = {literal(self.checkpoint_limit)}")
        try:
            self.connection.execute("checkpoint")
        finally:
            self.connection.execute(f"set memory_limit = {literal(self.memory_limit)}")
        self.logger.info(
            "checkpointed %s: %.1f MB of write-ahead log written into the file in %.1f s",
            self.wal_path.name.removesuffix(".wal"),
            wal / 2**20,
            time.perf_counter() - started,
        )
