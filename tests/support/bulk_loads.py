"""Singer messages and BATCH files for target-postgres-bulk's tests, and the target run
in-process against a PostgreSQL server (``tests/e2e``'s ``postgres_server``)."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from target_postgres_bulk.target import TargetPostgresBulk

TARGET = Path(sys.executable).parent / "target-postgres-bulk"

SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "n": {"type": ["integer", "null"]},
        "x": {"type": ["number", "null"]},
        "ok": {"type": ["boolean", "null"]},
        "at": {"type": ["string", "null"], "format": "date-time"},
        "tags": {"type": ["array", "null"], "items": {"type": ["string", "null"]}},
        "doc": {"type": ["object", "null"], "properties": {"a": {"type": "integer"}}},
        "docs": {"type": ["array", "null"], "items": {"type": "object"}},
        "Mixed Case": {"type": ["string", "null"]},
    },
}
ROWS = [
    {
        "id": "r1",
        "n": 1,
        "x": 1.5,
        "ok": True,
        "at": "2025-02-03T04:05:06.789Z",
        "tags": ["a", 'b"c', "d\\e"],
        "doc": {"a": 1, "nested": {"k": [1, 2]}},
        "docs": [{"p": "q"}, {"r": None}],
        "Mixed Case": "ünïcode ✓",
    },
    {"id": "r2", "n": None, "at": None, "tags": [], "doc": {}, "docs": []},
    {"id": "r3"},
]


def schema_message(stream: str, keys: list[str], schema: dict[str, Any] = SCHEMA) -> str:
    return json.dumps(
        {"type": "SCHEMA", "stream": stream, "schema": schema, "key_properties": keys}
    )


def batch_message(stream: str, *files: Path, compression: str | None = "gzip") -> str:
    encoding = {"format": "jsonl", "compression": compression}
    manifest = [path.as_uri() for path in files]
    return json.dumps(
        {"type": "BATCH", "stream": stream, "encoding": encoding, "manifest": manifest}
    )


def state_message(value: int) -> str:
    return json.dumps({"type": "STATE", "value": {"at": value}})


def batch_file(path: Path, lines: list[str]) -> Path:
    """A gzip JSON Lines file (plain when the name does not end in .gz)."""
    data = "".join(f"{line}\n" for line in lines).encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def rows_file(path: Path, rows: list[dict[str, Any]]) -> Path:
    return batch_file(path, [json.dumps(row) for row in rows])


@contextlib.contextmanager
def captured_stdout() -> Iterator[io.StringIO]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        yield out


def config(server: Any, schema: str, **extra: Any) -> dict[str, Any]:
    return {
        "host": server.host,
        "port": server.port,
        "user": server.user,
        "password": server.password,
        "database": server.database,
        "dialect+driver": "postgresql+psycopg",
        "default_target_schema": schema,
        "add_record_metadata": True,
        "use_copy": True,
        "validate_records": False,
        "load_method": "upsert",
        **extra,
    }


def load(server: Any, schema: str, lines: list[str], **extra: Any) -> list[dict[str, Any]]:
    """Feed the messages to a new target; the STATE values it wrote."""
    target = TargetPostgresBulk(config=config(server, schema, **extra))
    with captured_stdout() as out:
        target.listen(io.StringIO("".join(f"{line}\n" for line in lines)))
    return [json.loads(line) for line in out.getvalue().splitlines()]


def table(server: Any, schema: str, stream: str, order: str = "id") -> list[dict[str, Any]]:
    """Rows as row_to_json gives them, without the _sdc_ columns."""
    rows = server.psql(f'select row_to_json(t) from {schema}."{stream}" t order by {order}')  # noqa: S608
    parsed = [json.loads(row[0]) for row in rows]
    return [{k: v for k, v in row.items() if not k.startswith("_sdc_")} for row in parsed]


def column_types(server: Any, schema: str, stream: str) -> dict[str, str]:
    return dict(
        server.psql(
            "select attname, format_type(atttypid, atttypmod) from pg_attribute "  # noqa: S608
            f"where attrelid = '{schema}.\"{stream}\"'::regclass and attnum > 0 "
            "and not attisdropped"
        )
    )
