"""Running target-duckdb-bulk on Singer messages, in process or as its console script."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from collections.abc import Iterable
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from target_duckdb_bulk import TargetDuckDBBulk

CONSOLE_SCRIPT = str(Path(sys.executable).parent / "target-duckdb-bulk")

Message = dict[str, Any]


def schema(stream: str, properties: dict[str, Any], keys: Iterable[str] = ("id",)) -> Message:
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": properties},
        "key_properties": list(keys),
    }


def record(stream: str, row: dict[str, Any], version: int | None = None) -> Message:
    message: Message = {"type": "RECORD", "stream": stream, "record": row}
    if version is not None:
        message["version"] = version
    return message


def batch(stream: str, files: Iterable[str], *, gzipped: bool = False) -> Message:
    return {
        "type": "BATCH",
        "stream": stream,
        "encoding": {"format": "jsonl", "compression": "gzip" if gzipped else "none"},
        "manifest": list(files),
    }


def state(value: dict[str, Any]) -> Message:
    return {"type": "STATE", "value": value}


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> str:
    """Rows as a JSON Lines file (gzip when PATH ends in .gz); returns its file:// URL."""
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path.as_uri()


@dataclass
class DuckDBLoad:
    """A DuckDB file loaded by the target, and what it printed (its STATE messages)."""

    path: Path
    config: dict[str, Any]

    def run(self, messages: Iterable[Message]) -> list[dict[str, Any]]:
        """Feed MESSAGES to a new target instance; returns the STATE messages it emitted."""
        text = "".join(json.dumps(m) + "\n" for m in messages)
        target = TargetDuckDBBulk(config={"filepath": str(self.path), **self.config})
        out = io.StringIO()
        with redirect_stdout(out):
            target.listen(io.StringIO(text))
        return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def column_types(self, table: str, schema: str = "main") -> dict[str, str]:
        return dict(
            self.query(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [schema, table],
            )
        )


def run_console_script(
    config: dict[str, Any], messages: Iterable[Message], config_dir: Path
) -> subprocess.CompletedProcess[str]:
    """The installed `target-duckdb-bulk` on MESSAGES, as Meltano starts it."""
    config_file = config_dir / "config.json"
    config_file.write_text(json.dumps(config))
    return subprocess.run(
        [CONSOLE_SCRIPT, "--config", str(config_file)],
        input="".join(json.dumps(m) + "\n" for m in messages),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
