"""The target: TargetPostgres with the bulk sink, and STATE passed on after each BATCH commit."""

from __future__ import annotations

from typing import Any, ClassVar

from singer_sdk import typing as th
from target_postgres.target import TargetPostgres

from target_postgres_bulk.errors import BulkLoadError
from target_postgres_bulk.sink import BulkPostgresSink

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

    def _process_batch_message(self, message_dict: dict[str, Any]) -> None:
        """Load the BATCH message's files (committed on return), then pass on the STATE.

        The latest STATE received came before this BATCH message, so everything it covers is
        committed now: files loaded, and the RECORD messages that drain_all writes first.
        """
        super()._process_batch_message(message_dict)
        self.drain_all()
