"""target-postgres-bulk in-process on generic streams, into a real PostgreSQL server.

The BATCH path (COPY into staging, one upsert) against the base loader's RECORD path: the same
table, column types and values; the last line of a key winning within a file, across files and
across batches; append-only streams; new columns; a table without a key index; STATE passed on
only after the batch it follows is committed; files removed unless kept; one line per bad input.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from target_postgres_bulk.errors import BulkLoadError
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


@pytest.fixture
def fresh(postgres_server: Any, request: pytest.FixtureRequest) -> str:
    """A schema name of this test's own, dropped first."""
    name = "bulk_" + request.node.name.split("[")[0].removeprefix("test_")[:40]
    postgres_server.psql(f"drop schema if exists {name} cascade")
    postgres_server.psql(f"drop schema if exists {name}_rec cascade")
    return name


def test_batch_files_make_the_table_the_record_path_makes(
    postgres_server: Any, fresh: str, tmp_path: Path
) -> None:
    records = [json.dumps({"type": "RECORD", "stream": "things", "record": r}) for r in ROWS]
    load(postgres_server, f"{fresh}_rec", [schema_message("things", ["id"]), *records])
    path = rows_file(tmp_path / "things.jsonl.gz", ROWS)
    load(postgres_server, fresh, [schema_message("things", ["id"]), batch_message("things", path)])

    types = column_types(postgres_server, fresh, "things")
    assert types == column_types(postgres_server, f"{fresh}_rec", "things")
    assert types["at"] == "timestamp without time zone"
    assert types["tags"] == "text[]"
    assert types["doc"] == "jsonb"
    assert types["docs"] == "jsonb[]"
    assert table(postgres_server, fresh, "things") == table(
        postgres_server, f"{fresh}_rec", "things"
    )
    stamped = postgres_server.psql(
        f"select count(*) from {fresh}.things where _sdc_extracted_at is not null "  # noqa: S608
        "and _sdc_batched_at is not null and _sdc_received_at is not null "
        "and _sdc_sequence is not null and _sdc_sync_started_at is not null "
        "and _sdc_deleted_at is null"
    )
    assert stamped == [["3"]]
    assert not path.exists(), "a loaded batch file is removed"


def test_the_last_line_of_a_key_wins_in_a_file_across_files_and_batches(
    postgres_server: Any, fresh: str, tmp_path: Path
) -> None:
    first = rows_file(tmp_path / "1.jsonl.gz", [{"id": "a", "n": 1}, {"id": "b", "n": 1}])
    again = rows_file(tmp_path / "2.jsonl", [{"id": "a", "n": 2}, {"id": "c"}, {"id": "a", "n": 3}])
    later = rows_file(tmp_path / "3.jsonl.gz", [{"id": "b", "n": 4}, {"id": "b", "n": 5}])
    load(
        postgres_server,
        fresh,
        [
            schema_message("things", ["id"]),
            batch_message("things", first),
            json.dumps(
                {
                    "type": "BATCH",
                    "stream": "things",
                    "encoding": {"format": "jsonl", "compression": "none"},
                    "manifest": [again.as_uri()],
                }
            ),
            batch_message("things", later),
        ],
    )
    rows = table(postgres_server, fresh, "things")
    assert [(row["id"], row["n"]) for row in rows] == [("a", 3), ("b", 5), ("c", None)]


def test_composite_keys_and_append_only_streams(
    postgres_server: Any, fresh: str, tmp_path: Path
) -> None:
    lines = [{"id": "a", "n": 1, "x": 1}, {"id": "a", "n": 2, "x": 2}, {"id": "a", "n": 1, "x": 3}]
    keyed = rows_file(tmp_path / "keyed.jsonl.gz", lines)
    appended = rows_file(tmp_path / "appended.jsonl.gz", lines)
    load(
        postgres_server,
        fresh,
        [
            schema_message("pairs", ["id", "n"]),
            batch_message("pairs", keyed),
            schema_message("log", []),
            batch_message("log", appended),
        ],
    )
    pairs = table(postgres_server, fresh, "pairs", order="id, n")
    assert [(row["n"], row["x"]) for row in pairs] == [(1, 3), (2, 2)]
    log = table(postgres_server, fresh, "log", order="_sdc_sequence, x")
    assert [row["x"] for row in log] == [1, 2, 3]


def test_a_new_property_becomes_a_column(postgres_server: Any, fresh: str, tmp_path: Path) -> None:
    old = rows_file(tmp_path / "old.jsonl.gz", [{"id": "a", "n": 1}])
    wider = {**SCHEMA, "properties": {**SCHEMA["properties"], "late": {"type": ["string", "null"]}}}
    new = rows_file(tmp_path / "new.jsonl.gz", [{"id": "b", "late": "here"}])
    load(
        postgres_server,
        fresh,
        [
            schema_message("things", ["id"]),
            batch_message("things", old),
            schema_message("things", ["id"], wider),
            batch_message("things", new),
        ],
    )
    rows = table(postgres_server, fresh, "things")
    assert [(row["id"], row["late"]) for row in rows] == [("a", None), ("b", "here")]
    assert column_types(postgres_server, fresh, "things")["late"] == "text"


def test_a_table_without_a_key_index_is_still_upserted(
    postgres_server: Any, fresh: str, tmp_path: Path
) -> None:
    first = rows_file(tmp_path / "1.jsonl.gz", [{"id": "a", "n": 1}, {"id": "b", "n": 1}])
    load(postgres_server, fresh, [schema_message("things", ["id"]), batch_message("things", first)])
    postgres_server.psql(f"alter table {fresh}.things drop constraint things_pkey")
    second = rows_file(tmp_path / "2.jsonl.gz", [{"id": "b", "n": 2}, {"id": "c", "n": 2}])
    load(
        postgres_server, fresh, [schema_message("things", ["id"]), batch_message("things", second)]
    )
    rows = table(postgres_server, fresh, "things")
    assert [(row["id"], row["n"]) for row in rows] == [("a", 1), ("b", 2), ("c", 2)]


@pytest.mark.parametrize(
    "bad_line",
    ["{not json", '{"id": "c", "n": "many"}'],
    ids=["fails to stage", "fails to write"],
)
def test_state_is_passed_on_only_once_the_batch_before_it_is_committed(
    postgres_server: Any, fresh: str, tmp_path: Path, bad_line: str
) -> None:
    """The batch after a committed one is staged while that one is written; a failure in
    either step leaves the earlier batch committed and its STATE alone passed on."""
    good = rows_file(tmp_path / "good.jsonl.gz", [{"id": "a"}])
    bad = batch_file(tmp_path / "bad.jsonl.gz", ['{"id": "b"}', bad_line])
    messages = [
        schema_message("things", ["id"]),
        state_message(1),
        batch_message("things", good),
        state_message(2),
        batch_message("things", bad),
        state_message(3),
    ]
    target = TargetPostgresBulk(config=config(postgres_server, fresh))
    with captured_stdout() as out, pytest.raises(BulkLoadError):
        target.listen(io.StringIO("".join(f"{line}\n" for line in messages)))
    # STATE 1 came before the committed batch; STATE 2 covers the failed one: never passed on.
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [{"at": 1}]
    assert [row["id"] for row in table(postgres_server, fresh, "things")] == ["a"]
    assert bad.exists(), "a batch file that failed to load is kept"


def test_activate_version_keeps_batch_rows_loaded_after_the_version_began(
    postgres_server: Any, fresh: str, tmp_path: Path
) -> None:
    """BATCH rows carry the time they were loaded as their version (Singer versions are
    milliseconds): a sync's ACTIVATE_VERSION deletes what was loaded before the sync began and
    not delivered again, and keeps what was loaded since."""
    before = rows_file(tmp_path / "before.jsonl.gz", [{"id": "a"}, {"id": "b"}])
    first = [schema_message("things", ["id"]), batch_message("things", before)]
    load(postgres_server, fresh, first)
    version = int(time.time() * 1000) + 1
    time.sleep(0.01)
    since = rows_file(tmp_path / "since.jsonl.gz", [{"id": "c"}])
    again = {"type": "RECORD", "stream": "things", "record": {"id": "a"}, "version": version}
    activate = {"type": "ACTIVATE_VERSION", "stream": "things", "version": version}
    load(
        postgres_server,
        fresh,
        [
            schema_message("things", ["id"]),
            json.dumps(again),
            batch_message("things", since),
            json.dumps(activate),
        ],
        activate_version=True,
        hard_delete=False,
    )
    deleted = postgres_server.psql(
        f"select id, _sdc_deleted_at is not null from {fresh}.things order by id"  # noqa: S608
    )
    assert deleted == [["a", "f"], ["b", "t"], ["c", "f"]]


def test_batch_files_are_kept_when_asked(postgres_server: Any, fresh: str, tmp_path: Path) -> None:
    path = rows_file(tmp_path / "kept.jsonl.gz", [{"id": "a"}])
    states = load(
        postgres_server,
        fresh,
        [schema_message("things", ["id"]), batch_message("things", path), state_message(7)],
        keep_batch_files=True,
    )
    assert states == [{"at": 7}]
    assert path.exists()


BAD_FILES = {
    "not JSON": (
        ['{"id": "a"}', "", '{"id": oops}'],
        "line 3: not a JSON document (invalid input syntax for type json",
    ),
    "not an object": (['{"id": "a"}', "[1, 2]"], "line 2: the line is not a JSON object"),
    "no key": (
        ['{"id": "a"}', '{"n": 1}'],
        "line 2: the line has no value for the key property 'id'",
    ),
    "null key": (
        ['{"id": null}'],
        "line 1: the line has no value for the key property 'id'",
    ),
    "value of another type": (
        ['{"id": "a"}', '{"id": "b", "n": "many"}'],
        "line 2: the line has a value that does not fit its column (invalid input syntax for "
        'type bigint: "many")',
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_line_is_named_by_file_and_line_and_nothing_is_loaded(
    postgres_server: Any, fresh: str, tmp_path: Path, case: str
) -> None:
    lines, expected = BAD_FILES[case]
    good = rows_file(tmp_path / "good.jsonl.gz", [{"id": "z"}])
    bad = batch_file(tmp_path / "bad.jsonl.gz", lines)
    with pytest.raises(BulkLoadError) as raised:
        load(
            postgres_server,
            fresh,
            [schema_message("things", ["id"]), batch_message("things", good, bad)],
        )
    assert str(raised.value).startswith(f"batch file {bad.as_uri()}, {expected}"), raised.value
    assert table(postgres_server, fresh, "things") == [], "the whole batch is rolled back"


def test_unreadable_files_are_named(postgres_server: Any, fresh: str, tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl.gz"
    torn = tmp_path / "torn.jsonl.gz"
    torn.write_bytes(gzip.compress(b'{"id": "a"}\n' * 1000)[:-20])
    for path in (missing, torn):
        with pytest.raises(BulkLoadError, match="could not be read") as raised:
            load(postgres_server, fresh, [schema_message("t", ["id"]), batch_message("t", path)])
        assert str(raised.value).startswith(f"batch file {path.as_uri()} could not be read: ")


def _cli(
    config_data: dict[str, Any], tmp_path: Path, stdin: str
) -> subprocess.CompletedProcess[str]:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config_data))
    return subprocess.run(
        [str(TARGET), "--config", str(config_file)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_console_script_reports_bad_input_in_one_line(
    postgres_server: Any, fresh: str, tmp_path: Path
) -> None:
    settings = config(postgres_server, fresh)
    incomplete = {k: v for k, v in settings.items() if k not in {"password", "sqlalchemy_url"}}
    proc = _cli(incomplete, tmp_path, "")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert (
        "target-postgres-bulk: incomplete connection settings: Need either the sqlalchemy_url to "
        "be set or host, port, user, password, and dialect+driver to be set."
    ) in proc.stderr.splitlines()[-1]

    bad = batch_file(tmp_path / "bad.jsonl", ['{"id": "a"}', "{"])
    messages = [schema_message("things", ["id"]), batch_message("things", bad, compression=None)]
    proc = _cli(settings, tmp_path, "".join(f"{line}\n" for line in messages))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith(
        f"target-postgres-bulk: batch file {bad.as_uri()}, line 2: not a JSON document"
    )

    unreachable = {**settings, "port": 1}
    proc = _cli(unreachable, tmp_path, messages[0] + "\n")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    last = proc.stderr.splitlines()[-1]
    assert last.startswith("target-postgres-bulk: cannot use the PostgreSQL server: "), last
    assert settings["password"] not in proc.stderr
