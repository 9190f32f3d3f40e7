"""target-duckdb-bulk: a Singer target that lets DuckDB itself read every batch."""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
import weakref
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, NoReturn

import duckdb
from singer_sdk import typing as th
from singer_sdk.exceptions import MissingKeyPropertiesError, RecordsWithoutSchemaException
from singer_sdk.helpers.capabilities import PluginCapabilities, TargetCapabilities
from singer_sdk.singerlib.exceptions import InvalidInputLine
from singer_sdk.target_base import Target

from target_duckdb_bulk.checkpoints import Checkpoints
from target_duckdb_bulk.columns import literal
from target_duckdb_bulk.errors import LoaderError, first_line
from target_duckdb_bulk.files import BatchFiles
from target_duckdb_bulk.sink import DuckDBSink
from target_duckdb_bulk.table import Table

# DuckDB's own default is 80 % of the machine's memory, most of it a cache of table blocks that
# a load does not need: capped, the loader stays small beside the tap (loads spill to disk
# rather than fail when they need more).
DEFAULT_MEMORY_LIMIT = "128MB"


@dataclass(frozen=True)
class Settings:
    """The loader's own settings, read and checked once."""

    filepath: Path
    schema: str
    keep_batch_files: bool
    spool_dir: str | None
    memory_limit: str
    storage_version: str | None

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        raw = str(config.get("filepath") or "").strip()
        if not raw:
            raise LoaderError("setting filepath is empty: give the DuckDB file to load")
        path = Path(raw).expanduser()
        if path.is_dir():
            raise LoaderError(f"setting filepath is a directory ({path}): give a file path")
        spool = config.get("spool_dir") or None
        if spool is not None and not Path(spool).is_dir():
            raise LoaderError(f"setting spool_dir: {spool} is not an existing directory")
        schema = str(config.get("default_target_schema") or "main")
        memory = str(config.get("memory_limit") or DEFAULT_MEMORY_LIMIT)
        storage = str(config.get("storage_compatibility_version") or "").strip() or None
        keep = bool(config.get("keep_batch_files", False))
        return cls(path, schema, keep, spool, memory, storage)


class TargetDuckDBBulk(Target):
    """Loads Singer streams into DuckDB: BATCH files and spooled records through read_json."""

    name = "target-duckdb-bulk"
    default_sink_class = DuckDBSink
    capabilities = [  # noqa: RUF012
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        PluginCapabilities.BATCH,
        PluginCapabilities.ACTIVATE_VERSION,
        TargetCapabilities.VALIDATE_RECORDS,
    ]
    config_jsonschema = th.PropertiesList(
        th.Property(
            "filepath",
            th.StringType,
            required=True,
            description="Path of the DuckDB database file (created, with its directory, if "
            "missing).",
        ),
        th.Property(
            "default_target_schema",
            th.StringType,
            default="main",
            description="Schema the tables are created in, one table per stream.",
        ),
        th.Property(
            "load_method",
            th.StringType,
            default="upsert",
            allowed_values=["upsert", "append-only", "overwrite"],
            description="`upsert` (default): a stream with key properties keeps one row per key, "
            "the last one sent; `append-only` keeps every row; `overwrite` empties each table "
            "before its first load of a run. Streams without keys are always appended.",
        ),
        th.Property(
            "keep_batch_files",
            th.BooleanType,
            default=False,
            description="Keep BATCH files after loading them (by default each is removed once "
            "its rows are committed).",
        ),
        th.Property(
            "hard_delete",
            th.BooleanType,
            default=False,
            description="On ACTIVATE_VERSION, delete rows of older versions instead of setting "
            "their _sdc_deleted_at.",
        ),
        th.Property(
            "memory_limit",
            th.StringType,
            default=DEFAULT_MEMORY_LIMIT,
            description="DuckDB's memory_limit for the loads (e.g. 128MB, 2GB): more makes large "
            "batches faster, at the cost of the loader's memory.",
        ),
        th.Property(
            "spool_dir",
            th.StringType,
            description="Existing directory for the JSON Lines files RECORD messages are "
            "spooled to before each load (default: the system temporary directory).",
        ),
        th.Property(
            "storage_compatibility_version",
            th.StringType,
            description="The oldest DuckDB version that must be able to open a database file "
            "this loader creates (DuckDB's own setting, e.g. v1.5.0); an existing file keeps "
            "its format. Default: DuckDB's own.",
        ),
    ).to_dict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One sink drains at a time: they share the connection, and DuckDB already spreads
        # each load over every core.
        self.max_parallelism = 1
        self.settings = Settings.from_config(dict(self.config))
        self._state_written: dict[str, Any] | None = None
        self._overwritten: set[str] = set()
        # Opens the file (a bad filepath stops the run before any message is read) and sets
        # DuckDB's own checkpoint threshold before the first load.
        _ = self.checkpoints

    @cached_property
    def connection(self) -> Any:
        """The one DuckDB connection of this run."""
        path = self.settings.filepath
        storage = self.settings.storage_version
        options: dict[str, str | bool | int | float | list[str]] = {}
        if storage:
            options["storage_compatibility_version"] = storage
            try:  # the version alone, so that a bad one is not blamed on filepath
                duckdb.connect(":memory:", config=options).close()
            except duckdb.Error as exc:
                raise LoaderError(
                    f"setting storage_compatibility_version: {first_line(str(exc))}"
                ) from None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = duckdb.connect(str(path), config=options)
            # UTC, so that casts between TIMESTAMP and TIMESTAMPTZ never depend on the machine
            # (set after connecting: the time zone extension is loaded by then).
            connection.execute("set TimeZone = 'UTC'")
        except (OSError, duckdb.Error) as exc:
            raise LoaderError(
                f"setting filepath: cannot open {path} as a DuckDB file: {first_line(str(exc))}"
            ) from None
        try:
            connection.execute(f"set memory_limit = {literal(self.settings.memory_limit)}")
        except duckdb.Error as exc:
            raise LoaderError(f"setting memory_limit: {first_line(str(exc))}") from None
        return connection

    @cached_property
    def checkpoints(self) -> Checkpoints:
        """The file's checkpoints, taken by the loader itself (see checkpoints.py)."""
        wal = self.settings.filepath.with_name(self.settings.filepath.name + ".wal")
        return Checkpoints(self.connection, wal, self.settings.memory_limit, self.logger)

    def after_commit(self) -> None:
        """Checkpoint once the write-ahead log has grown enough."""
        if self.checkpoints.due():
            self.checkpoints.checkpoint()

    @cached_property
    def batch_files(self) -> BatchFiles:
        """Batch file locations for this connection."""
        return BatchFiles(self.connection)

    @cached_property
    def spool_dir(self) -> str:
        """This run's own directory for spool files, removed at the end (or on failure)."""
        directory = tempfile.mkdtemp(prefix="target-duckdb-bulk-", dir=self.settings.spool_dir)
        weakref.finalize(self, shutil.rmtree, directory, ignore_errors=True)
        return directory

    def overwrite_once(self, table: Table) -> None:
        """Empty TABLE before its first load of this run (load_method `overwrite`)."""
        if table.qualified not in self._overwritten:
            table.truncate()
            self._overwritten.add(table.qualified)

    # STATE after commit -----------------------------------------------------------------

    def _process_state_message(self, message_dict: dict[str, Any]) -> None:
        # The SDK holds STATE until it drains every sink (5 minutes, or the end). When no sink
        # holds spooled records, everything before this STATE is committed already (BATCH
        # files load as they arrive), so it is passed on at once.
        super()._process_state_message(message_dict)
        latest = self._latest_state
        if latest and latest != self._state_written and self._nothing_pending():
            self._write_state_message(latest)

    def _write_state_message(self, state: dict[str, Any]) -> None:
        if state == self._state_written:
            return
        super()._write_state_message(state)
        self._state_written = dict(state)

    def _process_schema_message(self, message_dict: dict[str, Any]) -> None:
        # A new SCHEMA for a stream gets a new sink, and the SDK keeps the old one until its
        # next full drain: meanwhile the new sink could load later rows of the same keys, which
        # the old sink's spooled ones would then replace. They are loaded first.
        old = self._sinks_active.get(str(message_dict.get("stream")))
        if isinstance(old, DuckDBSink) and (
            old.original_schema != message_dict.get("schema")
            or list(old.key_properties) != list(message_dict.get("key_properties") or [])
        ):
            old.load_pending()
        super()._process_schema_message(message_dict)

    def _process_batch_message(self, message_dict: dict[str, Any]) -> None:
        # The SDK looks the stream up without a check: a BATCH before its SCHEMA would stop
        # with a bare KeyError.
        self._assert_line_requires(message_dict, requires={"stream", "encoding", "manifest"})
        if message_dict["stream"] not in self.mapper.stream_maps:
            self._assert_sink_exists(message_dict["stream"])
        super()._process_batch_message(message_dict)

    def _nothing_pending(self) -> bool:
        sinks = [*self._sinks_active.values(), *self._sinks_to_clear]
        return all(sink.current_size == 0 for sink in sinks)

    def _process_endofpipe_cleanup(self) -> None:
        shutil.rmtree(self.spool_dir, ignore_errors=True)
        if "connection" in self.__dict__:
            self.connection.close()

    def process_endofpipe(self) -> None:
        """Drain every sink, pass on the last STATE, checkpoint, then close the file."""
        super().process_endofpipe()
        self.checkpoints.checkpoint()  # __init__ opened the connection and made this
        self._process_endofpipe_cleanup()


def _no_parse_traceback(record: logging.LogRecord) -> bool:
    # The SDK's reader logs a bad input line with its traceback before raising; main() says
    # the same in one line.
    return not str(record.msg).startswith("Unable to parse")


def _exit_with(message: str) -> NoReturn:
    logging.getLogger(TargetDuckDBBulk.name).error("%s", message)
    sys.exit(1)


def main() -> None:
    """The console script: the SDK's command line, every explained error as one line."""
    logging.getLogger("singer_sdk.singerlib.encoding.simple").addFilter(_no_parse_traceback)
    try:
        TargetDuckDBBulk.cli()
    except LoaderError as exc:
        _exit_with(str(exc))
    except duckdb.Error as exc:
        _exit_with(f"DuckDB: {first_line(str(exc))}")
    except (InvalidInputLine, RecordsWithoutSchemaException, MissingKeyPropertiesError) as exc:
        _exit_with(f"bad Singer input: {first_line(str(exc))}")


if __name__ == "__main__":
    main()
