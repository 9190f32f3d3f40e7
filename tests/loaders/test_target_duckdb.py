"""target-duckdb-bulk on generic Singer streams, into a real DuckDB file."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import subprocess
from contextlib import redirect_stdout
from pathlib import Path

import duckdb
import fsspec
import pytest

from target_duckdb_bulk import TargetDuckDBBulk
from target_duckdb_bulk.checkpoints import WAL_BYTES_PER_CHECKPOINT, Checkpoints, rendered_bytes
from tests.loaders.duckdb_target import (
    CONSOLE_SCRIPT,
    DuckDBLoad,
    Message,
    batch,
    record,
    run_console_script,
    schema,
    state,
    write_jsonl,
)

PROPS = {
    "id": {"type": "integer"},
    "name": {"type": ["string", "null"]},
    "at": {"type": ["string", "null"], "format": "date-time"},
    "day": {"type": ["string", "null"], "format": "date"},
    "score": {"type": ["number", "null"]},
    "ok": {"type": ["boolean", "null"]},
    "tags": {"type": ["array", "null"], "items": {"type": "string"}},
    "meta": {"type": ["object", "null"], "properties": {"a": {"type": "integer"}}},
    "either": {"type": ["array", "string", "null"]},
}


@pytest.fixture
def load(tmp_path: Path) -> DuckDBLoad:
    return DuckDBLoad(tmp_path / "db" / "t.duckdb", {"add_record_metadata": True})


def test_schema_types_become_duckdb_types(load: DuckDBLoad) -> None:
    load.run([schema("s", PROPS), record("s", {"id": 1})])
    types = load.column_types("s")
    assert {k: types[k] for k in PROPS} == {
        "id": "BIGINT",
        "name": "VARCHAR",
        "at": "TIMESTAMP WITH TIME ZONE",
        "day": "DATE",
        "score": "DOUBLE",
        "ok": "BOOLEAN",
        "tags": "JSON",
        "meta": "JSON",
        "either": "JSON",
    }
    assert types["_sdc_deleted_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["_sdc_table_version"] == "BIGINT"


def test_records_keep_their_values(load: DuckDBLoad) -> None:
    row = {
        "id": 1,
        "name": 'é ✓ "quoted" \n',
        "at": "2025-01-02T03:04:05.123456+02:00",
        "day": "2025-01-02",
        "score": 1.25,
        "ok": True,
        "tags": ["a", "b"],
        "meta": {"a": 1, "undeclared": [1, {"x": None}]},
        "either": "one",
    }
    load.run([schema("s", PROPS), record("s", row)])
    [got] = load.query('select id, name, epoch_us("at"), day, score, ok, tags, meta, either from s')
    at = dt.datetime(2025, 1, 2, 1, 4, 5, 123456, tzinfo=dt.timezone.utc)
    expected_at = int(at.timestamp()) * 1_000_000 + 123456
    assert got[:6] == (1, row["name"], expected_at, dt.date(2025, 1, 2), 1.25, True)
    assert got[6:] == ('["a","b"]', '{"a":1,"undeclared":[1,{"x":null}]}', '"one"')


def test_upsert_keeps_the_last_record_of_each_key_in_stream_order(load: DuckDBLoad) -> None:
    rows = [{"id": 1, "name": "a1"}, {"id": 2, "name": "b1"}, {"id": 1, "name": "a2"}]
    load.run([schema("s", PROPS), *(record("s", r) for r in rows)])
    load.run([schema("s", PROPS), record("s", {"id": 2, "name": "b2"})])
    assert load.query("select id, name from s order by id") == [(1, "a2"), (2, "b2")]


def test_batch_files_upsert_in_manifest_and_line_order(load: DuckDBLoad, tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "1.jsonl.gz", [{"id": 1, "name": "x1"}, {"id": 1, "name": "x2"}])
    second = write_jsonl(
        tmp_path / "2.jsonl.gz", [{"id": 2, "name": "y1"}, {"id": 1, "name": "x3"}]
    )
    load.run([schema("s", PROPS), batch("s", [first, second], gzipped=True)])
    assert load.query("select id, name from s order by id") == [(1, "x3"), (2, "y1")]
    assert not (tmp_path / "1.jsonl.gz").exists(), "a loaded batch file is removed"
    assert not (tmp_path / "2.jsonl.gz").exists()


def test_composite_keys_upsert_with_and_without_a_key_twice_in_a_batch(
    load: DuckDBLoad, tmp_path: Path
) -> None:
    props = {"a": {"type": "integer"}, "b": {"type": ["string", "null"]}, **PROPS}
    unique = write_jsonl(
        tmp_path / "1.jsonl", [{"a": 1, "b": "p", "id": 1}, {"a": 1, "b": "q", "id": 2}]
    )
    # Each key twice in this batch, the later row wins; within a batch a null part of a key
    # counts as equal, as in SQL's DISTINCT.
    twice = write_jsonl(
        tmp_path / "2.jsonl",
        [
            {"a": 1, "b": "p", "id": 3},
            {"a": 2, "b": None, "id": 4},
            {"a": 1, "b": "p", "id": 5},
            {"a": 2, "b": None, "id": 6},
        ],
    )
    messages = [schema("s", props, keys=("a", "b")), batch("s", [unique]), batch("s", [twice])]
    load.run(messages)
    assert load.query("select a, b, id from s order by a, b") == [
        (1, "p", 5),
        (1, "q", 2),
        (2, None, 6),
    ]


def test_records_and_batches_interleaved_keep_stream_order(
    load: DuckDBLoad, tmp_path: Path
) -> None:
    plain = write_jsonl(tmp_path / "b.jsonl", [{"id": 1, "name": "from-batch"}])
    load.run(
        [
            schema("s", PROPS),
            record("s", {"id": 1, "name": "record-before"}),
            batch("s", [plain]),
            record("s", {"id": 2, "name": "record-after"}),
        ]
    )
    assert load.query("select id, name from s order by id") == [
        (1, "from-batch"),
        (2, "record-after"),
    ]


def test_a_new_schema_loads_the_old_schemas_spooled_records_first(
    load: DuckDBLoad, tmp_path: Path
) -> None:
    wider = {**PROPS, "late": {"type": ["string", "null"]}}
    newer = write_jsonl(tmp_path / "b.jsonl", [{"id": 1, "name": "newer", "late": "x"}])
    load.run(
        [
            schema("s", PROPS),
            record("s", {"id": 1, "name": "older"}),
            schema("s", wider),
            batch("s", [newer]),
        ]
    )
    assert load.query("select id, name, late from s") == [(1, "newer", "x")]


def test_a_file_named_like_its_schema(tmp_path: Path) -> None:
    load = DuckDBLoad(tmp_path / "peopleai.duckdb", {"default_target_schema": "peopleai"})
    load.run([schema("s", PROPS), record("s", {"id": 1})])
    load.run([schema("s", {**PROPS, "late": {"type": "string"}}), record("s", {"id": 1})])
    assert load.query('select id, late from "peopleai"."peopleai"."s"') == [(1, None)]


def test_a_new_file_in_an_older_storage_format_keeps_it(tmp_path: Path) -> None:
    load = DuckDBLoad(tmp_path / "old.duckdb", {"storage_compatibility_version": "v1.5.0"})
    load.run([schema("s", PROPS), record("s", {"id": 1})])
    load.run([schema("s", PROPS), record("s", {"id": 2})])
    tags = load.query("select tags from duckdb_databases() where database_name = 'old'")
    assert tags == [({"storage_version": "v1.5.0+"},)]
    assert load.query("select count(*) from s") == [(2,)]


def test_keep_batch_files_keeps_them(tmp_path: Path) -> None:
    load = DuckDBLoad(tmp_path / "k.duckdb", {"keep_batch_files": True})
    url = write_jsonl(tmp_path / "b.jsonl", [{"id": 1}])
    load.run([schema("s", PROPS), batch("s", [url])])
    assert (tmp_path / "b.jsonl").exists()
    assert load.query("select count(*) from s") == [(1,)]


def test_batch_files_through_an_fsspec_url(load: DuckDBLoad) -> None:
    memory = fsspec.filesystem("memory")
    memory.pipe("/batches/b.jsonl", b'{"id": 7, "name": "in memory"}\n')
    load.run([schema("s", PROPS), batch("s", ["memory:///batches/b.jsonl"])])
    assert load.query("select id, name from s") == [(7, "in memory")]
    assert not memory.exists("/batches/b.jsonl")


def test_streams_without_keys_are_appended(load: DuckDBLoad) -> None:
    messages = [schema("s", PROPS, keys=()), record("s", {"id": 1}), record("s", {"id": 1})]
    load.run(messages)
    load.run(messages)
    assert load.query("select count(*) from s") == [(4,)]


def test_an_unchanged_schema_changes_no_column(tmp_path: Path) -> None:
    # Every type a schema can give, the metadata columns included: a second run's SCHEMA must
    # find each column as it wants it (a retype would rewrite the whole table on every run).
    config = {"add_record_metadata": True}
    load = DuckDBLoad(tmp_path / "same.duckdb", config)
    props = {**PROPS, "t": {"type": ["string", "null"], "format": "time"}}
    load.run([schema("s", props), record("s", {"id": 1})])
    second = run_console_script(
        {"filepath": str(tmp_path / "same.duckdb"), **config},
        [schema("s", props), record("s", {"id": 2})],
        tmp_path,
    )
    assert second.returncode == 0, second.stderr
    assert "->" not in second.stderr, second.stderr
    assert "added column" not in second.stderr, second.stderr
    assert load.query("select count(*) from s") == [(2,)]


@pytest.mark.parametrize(
    ("rendered", "expected"),
    [
        ("0 bytes", 0),
        ("976.5 KiB", 999_936),
        ("122.0 MiB", 122 * 2**20),
        ("1.8 GiB", 1_932_735_283),
    ],
)
def test_sizes_as_duckdb_renders_them(rendered: str, expected: int) -> None:
    assert rendered_bytes(rendered) == expected


def test_a_size_duckdb_would_not_render_is_refused() -> None:
    with pytest.raises(ValueError, match="not a size as DuckDB renders one: '128MB'"):
        rendered_bytes("128MB")


def test_a_checkpoint_runs_under_half_the_limit_and_gives_the_loads_theirs_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "c.duckdb"
    wal = tmp_path / "c.duckdb.wal"
    con = duckdb.connect(str(path))
    con.execute("set memory_limit = '100MB'")
    limits: list[str] = []
    # What DuckDB's memory limit is while the checkpoint runs: read by a statement the loader
    # itself does not send, in between its own.
    spy = _LimitSpy(con, limits)
    checkpoints = Checkpoints(spy, wal, "100MB", logging.getLogger("t"), wal_bytes_per_checkpoint=1)
    con.execute("create table t as select range as id, repeat('x', 100) as pad from range(10000)")
    assert wal.stat().st_size > 0
    assert checkpoints.due()
    with caplog.at_level(logging.INFO, logger="t"):
        checkpoints.checkpoint()
    assert checkpoints.wal_bytes() == 0
    assert limits == ["47.6 MiB"]  # half of 100MB (95.3 MiB), as DuckDB renders it
    settings = "select current_setting('memory_limit'), current_setting('checkpoint_threshold')"
    assert con.execute(settings).fetchall() == [("95.3 MiB", "953.6 MiB")]
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["checkpointed c.duckdb"]
    con.close()


def test_no_checkpoint_before_the_log_reaches_its_size(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "c.duckdb"))
    wal = tmp_path / "c.duckdb.wal"
    checkpoints = Checkpoints(con, wal, "128MB", logging.getLogger("t"))
    con.execute("create table t as select range as id from range(1000)")
    assert 0 < checkpoints.wal_bytes() < WAL_BYTES_PER_CHECKPOINT
    assert not checkpoints.due()
    con.close()


def test_the_loader_checkpoints_its_file_before_closing_it(tmp_path: Path) -> None:
    url = write_jsonl(tmp_path / "b.jsonl", ({"id": i, "name": "n"} for i in range(1000)))
    proc = run_console_script(
        {"filepath": str(tmp_path / "w.duckdb")}, [schema("s", PROPS), batch("s", [url])], tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert "checkpointed w.duckdb" in proc.stderr
    assert not (tmp_path / "w.duckdb.wal").exists()


class _LimitSpy:
    """A DuckDB connection that notes the memory limit in force whenever it checkpoints."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, limits: list[str]) -> None:
        self.connection = connection
        self.limits = limits

    def execute(self, sql: str) -> duckdb.DuckDBPyConnection:
        if sql == "checkpoint":
            [(limit,)] = self.connection.execute(
                "select current_setting('memory_limit')"
            ).fetchall()
            self.limits.append(str(limit))
        return self.connection.execute(sql)


def test_a_new_property_adds_a_column_and_a_changed_type_retypes_it(load: DuckDBLoad) -> None:
    load.run([schema("s", PROPS), record("s", {"id": 1, "score": 2})])
    wider = {**PROPS, "score": {"type": ["string", "null"]}, "late": {"type": ["integer", "null"]}}
    load.run([schema("s", wider), record("s", {"id": 2, "score": "n/a", "late": 5})])
    assert load.column_types("s")["late"] == "BIGINT"
    assert load.query("select id, score, late from s order by id") == [
        (1, "2.0", None),
        (2, "n/a", 5),
    ]


def test_activate_version_soft_deletes_older_and_unversioned_rows(
    load: DuckDBLoad, tmp_path: Path
) -> None:
    before = write_jsonl(tmp_path / "b.jsonl", [{"id": 1}, {"id": 2}])
    load.run([schema("s", PROPS), batch("s", [before])])
    version = int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000) + 1
    later = write_jsonl(tmp_path / "later.jsonl", [{"id": 5}])
    load.run(
        [
            schema("s", PROPS),
            record("s", {"id": 2}, version=version),
            record("s", {"id": 3}, version=version - 10),
            record("s", {"id": 4}, version=version + 10),
            {"type": "ACTIVATE_VERSION", "stream": "s", "version": version},
        ]
    )
    # A BATCH load after the version began: loaded later, so not older.
    load.run([schema("s", PROPS), batch("s", [later])])
    load.run([schema("s", PROPS), {"type": "ACTIVATE_VERSION", "stream": "s", "version": version}])
    live = load.query("select id from s where _sdc_deleted_at is null order by id")
    assert live == [(2,), (4,), (5,)]
    assert load.query("select count(*) from s") == [(5,)]


def test_hard_delete_removes_older_rows(tmp_path: Path) -> None:
    load = DuckDBLoad(tmp_path / "h.duckdb", {"hard_delete": True, "add_record_metadata": True})
    load.run(
        [
            schema("s", PROPS),
            record("s", {"id": 1}, version=1),
            record("s", {"id": 2}, version=2),
            {"type": "ACTIVATE_VERSION", "stream": "s", "version": 2},
        ]
    )
    assert load.query("select id from s") == [(2,)]


def test_state_is_passed_on_only_once_its_records_are_committed(
    load: DuckDBLoad, tmp_path: Path
) -> None:
    url = write_jsonl(tmp_path / "b.jsonl", [{"id": 9}])
    states = load.run(
        [
            schema("s", PROPS),
            batch("s", [url]),
            state({"n": 1}),  # everything before it is committed: passed on at once
            record("s", {"id": 1}),
            state({"n": 2}),  # its record is still spooled: held until the load
            record("s", {"id": 2}),
            state({"n": 3}),
        ]
    )
    assert states == [{"n": 1}, {"n": 3}]
    assert load.query("select count(*) from s") == [(3,)]


def test_each_state_is_passed_on_once_the_batches_before_it_are_committed(
    tmp_path: Path,
) -> None:
    # Fed one message at a time; a second connection sees committed rows only.
    messages = [schema("s", PROPS)]
    for n in (1, 2, 3):
        url = write_jsonl(tmp_path / f"b{n}.jsonl", [{"id": n * 10 + i} for i in range(3)])
        messages += [batch("s", [url]), state({"n": n})]
    target = TargetDuckDBBulk(config={"filepath": str(tmp_path / "s.duckdb")})
    reader = target.connection.cursor()
    out = io.StringIO()
    steps: list[tuple[list[int], int]] = []  # after each message: STATEs passed on, rows committed
    with redirect_stdout(out):
        for message in messages:
            target.process_lines(io.StringIO(json.dumps(message) + "\n"))
            passed = [json.loads(line)["n"] for line in out.getvalue().splitlines()]
            [(rows,)] = reader.execute("select count(*) from s").fetchall()
            steps.append((passed, rows))
        target.process_endofpipe()
    assert steps == [
        ([], 0),  # SCHEMA
        ([], 3),  # batch 1, committed
        ([1], 3),  # STATE 1: everything before it is committed, passed on at once
        ([1], 6),
        ([1, 2], 6),
        ([1, 2], 9),
        ([1, 2, 3], 9),
    ]
    assert DuckDBLoad(tmp_path / "s.duckdb", {}).query("select count(*) from s") == [(9,)]


def test_a_bad_batch_stops_the_load_after_passing_on_what_came_before(
    tmp_path: Path,
) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [{"id": 1}])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 2}\nnot json\n')
    proc = run_console_script(
        {"filepath": str(tmp_path / "t.duckdb")},
        [
            schema("s", PROPS),
            batch("s", [good]),
            state({"n": 1}),
            batch("s", [bad.as_uri()]),
            state({"n": 2}),
        ],
        tmp_path,
    )
    line = _one_error_line(proc)
    assert f"batch file {bad.as_uri()}, line 2: not valid JSON" in line
    assert [json.loads(out) for out in proc.stdout.splitlines()] == [{"n": 1}]
    assert DuckDBLoad(tmp_path / "t.duckdb", {}).query("select count(*) from s") == [(1,)]


# Bad input: one line naming what is wrong, no traceback, a non-zero exit -------------------


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1, proc.stderr
    return errors[0]


def test_bad_json_line_names_the_file_and_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n{"id": 2}\n{"id": oops}\n')
    proc = run_console_script(
        {"filepath": str(tmp_path / "t.duckdb")},
        [schema("s", PROPS), batch("s", [bad.as_uri()])],
        tmp_path,
    )
    line = _one_error_line(proc)
    assert f"batch file {bad.as_uri()}, line 3: not valid JSON" in line
    assert bad.exists(), "a file that failed to load is kept"


def test_a_memory_limit_too_small_for_a_batch_names_the_setting(tmp_path: Path) -> None:
    url = write_jsonl(tmp_path / "b.jsonl", ({"id": i, "name": "x" * 100} for i in range(20000)))
    proc = run_console_script(
        {"filepath": str(tmp_path / "t.duckdb"), "memory_limit": "16MB"},
        [schema("s", PROPS), batch("s", [url])],
        tmp_path,
    )
    line = _one_error_line(proc)
    assert f"stream s: loading {url} needs more memory than memory_limit (16MB) allows" in line
    assert "raise the setting memory_limit" in line


def test_a_value_of_another_type_names_the_file_and_line(tmp_path: Path) -> None:
    url = write_jsonl(tmp_path / "b.jsonl", [{"id": 1}, {"id": "not a number"}])
    proc = run_console_script(
        {"filepath": str(tmp_path / "t.duckdb")}, [schema("s", PROPS), batch("s", [url])], tmp_path
    )
    line = _one_error_line(proc)
    assert "b.jsonl" in line
    assert "line 2" in line


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, "'filepath' is a required property"),
        ({"filepath": "{tmp}"}, "setting filepath is a directory"),
        ({"filepath": "/proc/no/such/dir/t.duckdb"}, "setting filepath: cannot open"),
        ({"filepath": "{tmp}/t.duckdb", "spool_dir": "/no/such"}, "setting spool_dir"),
        ({"filepath": "{tmp}/t.duckdb", "memory_limit": "lots"}, "setting memory_limit"),
        (
            {"filepath": "{tmp}/t.duckdb", "storage_compatibility_version": "v9"},
            "setting storage_compatibility_version",
        ),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, config: dict[str, str], expected: str) -> None:
    filled = {key: value.format(tmp=tmp_path) for key, value in config.items()}
    proc = run_console_script(filled, [schema("s", PROPS)], tmp_path)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr
    assert expected in proc.stderr


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([batch("s", ["file:///no/such/file.jsonl"])], "stream 's' was encountered before"),
        ([schema("s", PROPS), batch("s", ["file:///no/such/file.jsonl"])], "does not exist"),
        ([schema("s", PROPS), record("s", {"name": "no id"})], "bad Singer input"),
    ],
)
def test_bad_messages_are_named(tmp_path: Path, messages: list[Message], expected: str) -> None:
    proc = run_console_script({"filepath": str(tmp_path / "t.duckdb")}, messages, tmp_path)
    assert expected in _one_error_line(proc)


def test_not_json_input_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"filepath": str(tmp_path / "t.duckdb")}))
    proc = subprocess.run(
        [CONSOLE_SCRIPT, "--config", str(config)],
        input="this is not a Singer message\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "bad Singer input: Unable to parse line as JSON" in _one_error_line(proc)
